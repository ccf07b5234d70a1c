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

    @cached_property
    def globs(self) -> list[str]:
        """The workspace globs, from pnpm-workspace.yaml and package.json (both are read:
        real repositories keep both, and they sometimes disagree)."""
        globs: list[str] = []
        if self.project.has_file("pnpm-workspace.yaml"):
            try:
                data = self.repo.yaml("pnpm-workspace.yaml").data
            except FileProblem:
                data = None
            listed = data.get("packages") if isinstance(data, dict) else None
            globs += (
                [g for g in listed or [] if isinstance(g, str)] if isinstance(listed, list) else []
            )
        workspaces = self.manifest(".").get("workspaces")
        if isinstance(workspaces, dict):
            workspaces = workspaces.get("packages")
        if isinstance(workspaces, list):
            globs += [g for g in workspaces if isinstance(g, str)]
        return list(dict.fromkeys(globs))

    @cached_property
    def packages(self) -> list[Package]:
        manifests = self.project.named("package.json")
        included = [
            compile_glob(g.strip().rstrip("/")) for g in self.globs if not g.startswith("!")
        ]
        excluded = [
            compile_glob(g[1:].strip().rstrip("/")) for g in self.globs if g.startswith("!")
        ]
        found = []
        for manifest in manifests:
            directory = posixpath.dirname(manifest) or "."
            if NOT_PACKAGES.intersection(directory.split("/")):
                continue
            member = (
                directory == "."
                or not self.globs
                or (
                    any(r.match(directory) for r in included)
                    and not any(r.match(directory) for r in excluded)
                )
            )
            found.append(Package(directory, member))
        return found

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
    scope the workspace's packages share."""
    from collections import Counter

    from . import Discovery

    package = binding.get("database_package")
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
