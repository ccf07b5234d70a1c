"""Workspace packages: every package.json of the repository, which of them the workspace globs
name (pnpm-workspace.yaml `packages`, package.json `workspaces` as a list or `{packages}`), and
what each declares — dependencies, scripts, exports."""

from __future__ import annotations

import posixpath
import re
from collections import namedtuple
from functools import cached_property

from ..globs import compile_glob
from ..model import FileProblem
from ..shapes import mapping, strings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from . import Discovery, Project

DEPENDENCY_SECTIONS = (
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
)
# Copies of packages that are not the project's own: test fixtures and build output.
NOT_PACKAGES = frozenset({"fixtures", "__fixtures__", "__tests__", "dist", "build", ".next"})

Package = namedtuple("Package", "path member")
Package.__doc__ = """A directory holding a package.json (`.` for the root); `member` when the
workspace globs name it (every package is a member in a repository without workspaces)."""


class Workspace:
    def __init__(self, project: Project):
        self.project = project
        self.repo = project.repo
        # Manifests discovery could not read, as "path:line: why" (the rules reading them
        # report them as findings; discovery says why it could not use them).
        self.unreadable: list[str] = []

    @property
    def globs(self) -> list[str]:
        """The workspace globs, from pnpm-workspace.yaml and package.json (both are read:
        real repositories keep both, and they sometimes disagree)."""
        return self._definition[0]

    @property
    def definition_problems(self) -> list[str]:
        """Why the workspace globs cannot be told ("pnpm-workspace.yaml:1: `packages` is a
        string, expected an array"): a fact resting on them must not guess."""
        return self._definition[1]

    @cached_property
    def _definition(self) -> tuple[list[str], list[str]]:
        globs: list[str] = []
        problems: list[str] = []
        try:
            if self.project.has_file("pnpm-workspace.yaml"):
                globs += strings(self.repo.yaml("pnpm-workspace.yaml"), "packages")
        except FileProblem as problem:
            problems.append(f"{problem.path}:{problem.line or 1}: {problem.message}")
        self.manifest(".")  # an unreadable root manifest is noted, as every other
        try:
            if self.project.has_file("package.json"):
                document = self.repo.json("package.json")
                # `workspaces` is a list, or yarn's `{packages: [...], nohoist: [...]}`.
                nested = isinstance(mapping(document).get("workspaces"), dict)
                keys = ("workspaces", "packages") if nested else ("workspaces",)
                globs += strings(document, *keys)
        except FileProblem as problem:
            problems.append(f"{problem.path}:{problem.line or 1}: {problem.message}")
        except RecursionError:  # as `manifest` says
            problems.append("package.json: nested too deeply")
        return list(dict.fromkeys(globs)), problems

    @cached_property
    def packages(self) -> list[Package]:
        found = []
        every_one = not self.globs
        for manifest in self.project.named("package.json"):
            # A listed path is normal (no "//", no trailing "/"): its folder is what precedes
            # the last "/" (posixpath.dirname's rules cost more, thousands of times).
            directory = manifest.rpartition("/")[0] or "."
            if not NOT_PACKAGES.isdisjoint(directory.split("/")):
                continue
            found.append(
                Package(directory, every_one or directory == "." or self.reaches(directory))
            )
        return found

    def reaches(self, directory: str) -> bool:
        """Whether the workspace globs name this directory (a package there is a member)."""
        included, excluded = self._member_patterns
        # A loop, and no generator for no exclusions: a generator's set-up costs more than the
        # match it wraps.
        for pattern in included:
            if pattern.match(directory):
                break
        else:
            return False
        return not excluded or not any(r.match(directory) for r in excluded)

    @cached_property
    def _member_patterns(self) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
        """The workspace globs compiled once (included, excluded): a repository of 5,000
        packages asks `reaches` 5,000 times."""
        included = [
            compile_glob(g.strip().rstrip("/")) for g in self.globs if not g.startswith("!")
        ]
        excluded = [
            compile_glob(g[1:].strip().rstrip("/")) for g in self.globs if g.startswith("!")
        ]
        return included, excluded

    @cached_property
    def paths(self) -> set[str]:
        return {package.path for package in self.packages}

    def package_of(self, path: str) -> str | None:
        """The package directory a path belongs to: the nearest one above it (a package.json
        git does not track yet counts too: a fix may just have written it)."""
        directory = posixpath.dirname(path)
        while True:
            candidate = directory or "."
            if candidate in self.paths or self.repo.file_exists(_manifest(candidate)):
                return candidate
            if not directory:
                return None
            directory = posixpath.dirname(directory)

    def manifest(self, package: str) -> dict[str, Any]:
        """A package's package.json as data; empty when it is missing or malformed (the rules
        that read it report that)."""
        path = "package.json" if package in ("", ".") else f"{package}/package.json"
        if not self.project.has_file(path):
            return {}
        try:
            data = self.repo.json(path).data
        except FileProblem as problem:
            self._unreadable(f"{path}:{problem.line or 1}: {problem.message}")
            return {}
        except RecursionError:
            self._unreadable(f"{path}: nested too deeply")
            return {}
        if not isinstance(data, dict):
            self._unreadable(f"{path}:1: is not a package.json object")
            return {}
        return data

    def _unreadable(self, note: str) -> None:
        if note not in self.unreadable:
            self.unreadable.append(note)

    def dependencies(self, package: str) -> dict[str, str]:
        """Declared dependency → the section declaring it (the first, in npm's order)."""
        data = self.manifest(package)
        found: dict[str, str] = {}
        for section in DEPENDENCY_SECTIONS:
            declared = data.get(section)
            if isinstance(declared, dict):
                for name in declared:
                    found.setdefault(name, section)
        return found

    def scripts(self, package: str) -> dict[str, str]:
        scripts = self.manifest(package).get("scripts")
        if not isinstance(scripts, dict):
            return {}
        return {name: command for name, command in scripts.items() if isinstance(command, str)}

    def depending_on(self, *names: str) -> list[str]:
        """Packages declaring any of `names`, members first."""
        hits = [p for p in self.packages if set(names) & self.dependencies(p.path).keys()]
        return [p.path for p in sorted(hits, key=lambda p: not p.member)]


def manifests(project: Project, binding: dict[str, Any]) -> Discovery:
    from . import Discovery

    packages = project.workspace.packages
    paths = [_manifest(p.path) for p in packages]
    return Discovery(
        paths,
        ["member of the workspace" if p.member else "package.json" for p in packages],
        "no package.json in the repository",
    )


def _manifest(package: str) -> str:
    return "package.json" if package == "." else f"{package}/package.json"


def database_package_name(project: Project, binding: dict[str, Any]) -> Discovery:
    """The npm name of the database package: its package.json's, else `@scope/database` in the
    scope the workspace's packages share. Code inside the app has none (its app's name is
    shown)."""
    from collections import Counter

    from . import Discovery

    package = binding.get("database_package")
    if isinstance(package, str) and binding.get("database_layout") == "app":
        # The app's own code, imported by path: no npm name imports it.
        name = project.workspace.manifest(package).get("name")
        shown = name if isinstance(name, str) else ""
        return Discovery([shown], [f"{_manifest(package)}: the app's own code, imported by path"])
    if isinstance(package, str):
        name = project.workspace.manifest(package).get("name")
        if isinstance(name, str):
            return Discovery([name], [f'{_manifest(package)} "name"'])
    scopes = Counter(
        name.partition("/")[0]
        for p in project.workspace.packages
        if isinstance(name := project.workspace.manifest(p.path).get("name"), str)
        and name.startswith("@")
        and "/" in name
    )
    if scopes:
        scope, _ = scopes.most_common(1)[0]
        return Discovery(
            [f"{scope}/database"], [f"the scope the workspace's packages share ({scope})"]
        )
    # Scoped by the project's own name: an unscoped `database` would be a stranger's package on
    # the npm registry, which a `"*"` dependency outside the workspace installs.
    root = project.workspace.manifest(".").get("name")
    scope = re.sub(r"[^a-z0-9._-]+", "-", root.lower()).strip("-.") if isinstance(root, str) else ""
    if scope:
        return Discovery([f"@{scope}/database"], [f'the root package.json "name" ({root})'])
    return Discovery(
        [], [], "no package.json of the database package, no shared npm scope, no project name"
    )


# Where a fix puts the database code (the `convex-to-postgres` contract).

# A workspace glob naming every folder of one parent (`packages/*`, `apps/**`): a new package
# there is a member.
_FOLDER_GLOB = re.compile(r"([^*?\[\]{}!]+)/\*\*?")


def database_package(project: Project, binding: dict[str, Any]) -> Discovery:
    """The package the database code goes in: the one holding a drizzle.config.* once there is
    one. Else, in a workspace, a new package the workspace globs reach — `packages/database`
    when `packages/*` is a glob, else `database` in the first folder a glob names every child of
    — since an app's `"*"` dependency on a package outside them does not install. In a
    repository without workspaces, the app itself (the web app, else the package holding the
    Convex project): nothing would install a package of its own there."""
    from . import Discovery

    configs = project.drizzle.configs
    if configs:
        packages = list(dict.fromkeys(config.package for config in configs))
        return Discovery(
            packages,
            ["holds " + ", ".join(c.path for c in configs if c.package == p) for p in packages],
        )
    workspace = project.workspace
    if workspace.definition_problems:
        return Discovery([], [], _unknown_workspace(workspace))
    if not workspace.globs:
        app = binding.get("web_app")
        convex_dir = binding.get("convex_dir")
        if isinstance(app, str):
            return Discovery([app], ["no workspaces: the database code is the web app's own"])
        holder = (
            workspace.package_of(f"{convex_dir}/schema.ts") if isinstance(convex_dir, str) else None
        )
        holder = holder or "."
        return Discovery(
            [holder], [f"no workspaces: the database code is {_manifest(holder)}'s own"]
        )
    folders = [
        match.group(1).strip("/")
        for glob in workspace.globs
        if (match := _FOLDER_GLOB.fullmatch(glob.strip().rstrip("/")))
    ]
    for folder in sorted(folders, key=lambda folder: folder != "packages"):
        candidate = f"{folder}/database"
        if workspace.reaches(candidate):
            return Discovery([candidate], [f"a new package the workspace glob {folder}/* reaches"])
    return Discovery(
        [],
        [],
        f"the workspace globs ({', '.join(workspace.globs)}) name no folder a new package could "
        "go in (such as packages/*): add one, or give database_package (`.` makes it the root "
        "package's own code)",
    )


def database_layout(project: Project, binding: dict[str, Any]) -> Discovery:
    """`package` when the database code is a workspace package of its own, `app` when it is the
    app's own code (no workspaces, or the package is the root or a Next.js app)."""
    from . import Discovery

    package = binding.get("database_package")
    if not isinstance(package, str):
        return Discovery([], [], "no database package")
    if project.workspace.definition_problems:
        return Discovery([], [], _unknown_workspace(project.workspace))
    if not project.workspace.globs:
        return Discovery(["app"], ["no workspaces: one package.json installs everything"])
    if package == "." or package in {app.path for app in project.next.apps}:
        return Discovery(["app"], [f"{_manifest(package)} is an app's"])
    return Discovery(["package"], [f"{package} is a workspace package of its own"])


def _unknown_workspace(workspace: Workspace) -> str:
    return "cannot tell which packages the workspace has: " + "; ".join(
        workspace.definition_problems
    )


def database_source(project: Project, binding: dict[str, Any]) -> Discovery:
    """The folder of the database modules, relative to the database package: `src` for a
    package of its own; for the app's own code, `db/` in the folder the app keeps its code in
    (where its tsconfig alias points, else `src/`, else its root)."""
    from . import Discovery

    package, layout = binding.get("database_package"), binding.get("database_layout")
    if not isinstance(package, str):
        return Discovery([], [], "no database package")
    if layout != "app":
        return Discovery(["src"], ["the package's src/, which its exports map"])
    folder = project.next.source_root(package)
    source = posixpath.join(posixpath.relpath(folder, package), "db").removeprefix("./")
    return Discovery([source], [f"db/ in {folder}, where {_manifest(package)}'s code is"])
