"""The workspace import graph: which file of one package imports which workspace package, down to
the names it takes, and whether each import holds — the imported package publishes the subpath
(package.json `exports`, else `typings`/`types`/`module`/`main`), the subpath resolves to a file of
the repository, and that module exports every name taken (followed through `export … from`,
`export *` and barrels; types count).

Resolution is TypeScript's `moduleResolution: "bundler"` for an `import` (what typechecks a
workspace), read in TypeScript 5.9's resolver and Node's documentation:

* `exports` is a target (string, array, conditions object) for `.`, or a map of subpaths; an exact
  key wins, then the single-`*` pattern keys, longest prefix first (Node's PATTERN_KEY_COMPARE),
  `*` standing for any string, `/` included. Targets start with `./` and never leave the package.
* Conditions are read in the object's key order; `types`, `import` and `default` match. Like
  TypeScript, a condition whose file does not exist falls through to the next (`types` pointing
  at an unbuilt `dist/*.d.ts`, then `default` at the source); `null` publishes nothing (Node,
  and TypeScript after its PR #62483).
* A `.js` target may be its `.ts`/`.tsx`/`.d.ts` source (`.mjs` → `.mts`, `.cjs` → `.cts`).
* Without `exports`, the first of `typings`, `types`, `module`, `main` whose file exists (each
  probed with extensions and as a folder's index; TypeScript reads the type fields then `main`,
  bundlers `module` first), then `index.*`; a subpath is a file path, probed the same way. With
  `exports`, nothing else is published.
* A tsconfig `paths` alias of the importer that reaches a file comes first, as in TypeScript.

A target missing from the repository because it is built — git ignores it (`dist/`), or it is in
a `_generated` folder (`convex codegen`) — is not a broken import: what it exports cannot be
read, so its names are not checked. A module whose exports cannot be listed (`export =`, CommonJS)
or that passes on another npm package's exports (`export * from "drizzle-orm/sql"`) may export
any name; those names are counted as unchecked.

Importers are found by a text search first (`git grep -F` for the quoted package names, or the
repository's files read when git cannot answer), so only files naming a workspace package are
parsed, and only up to the last line naming one. In a pnpm workspace only the packages that can
resolve the name are searched (see `importer_folders`). The graph, each entry point and each
module's exports are computed once per run, on first use.
"""

from __future__ import annotations

import posixpath
import re
from collections import namedtuple
from functools import cached_property, cmp_to_key

from ..model import FileProblem

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..repo import RepoView
    from ..typescript import Surface
    from . import Project

# TypeScript's `bundler` resolution of an `import` (`default` always matches).
CONDITIONS = frozenset({"types", "import", "default"})
_TS_FOR_JS = {
    ".js": (".ts", ".tsx", ".d.ts"),
    ".jsx": (".tsx", ".d.ts"),
    ".mjs": (".mts", ".d.mts"),
    ".cjs": (".cts", ".d.cts"),
}
_TS_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts")  # `.d.ts` & co end in these too
_PROBED = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs")
_SOURCES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
# Build output, dependencies and test fixtures are not the packages' own importers.
_NOT_IMPORTERS = frozenset(
    {"node_modules", "dist", "build", ".next", ".turbo", ".output", "fixtures", "__fixtures__"}
)

WorkspaceImport = namedtuple(
    "WorkspaceImport", "path line specifier name package subpath names aliases"
)
WorkspaceImport.__doc__ = """An import of a workspace package from a file of another package: the
importer's `path` and `line`, the `specifier`, the imported package's npm `name` and directory
(`package`), the `subpath` (`.`, `./schema`), the `names` taken (empty: the module whole), and
the paths the importer's tsconfig `paths` send it to first (`aliases`)."""

FOUND, MISSING, UNKNOWN = "found", "missing", "unknown"
Lookup = namedtuple("Lookup", "status chain type_only", defaults=(False,))
Lookup.__doc__ = """Whether a module exports a name (FOUND, MISSING, or UNKNOWN when it may, through
a module that cannot be read), the files that answer depended on, and whether what is exported
is only a type."""

Entry = namedtuple("Entry", "file problem built", defaults=((),))
Entry.__doc__ = """The file a package subpath resolves to (None when it does not, or only to build
output), why it does not (`problem`, None when it does or cannot be told), and the build output
it names when that is all it names (`built`)."""

Verdict = namedtuple("Verdict", "problem file missing unknown chains")
Verdict.__doc__ = """What holds of one import: `problem` when it does not resolve (said as the end
of "imports X, …"), the `file` it resolves to, the names that `file` does not export (`missing`)
or may (`unknown`), and for each name the files its answer depended on (`chains`; `None` key: the
package.json and the entry file)."""


class Files:
    """The repository as the resolver reads it; `fix` gives the resolver the plan instead."""

    def __init__(self, repo: RepoView):
        self.repo = repo
        self._generated: dict[str, bool] = {}

    def is_file(self, path: str) -> bool:
        # One listing of the folder (usually of the whole package, listed already) answers
        # every candidate in it.
        self.repo.prefetch([posixpath.dirname(path)])
        return self.repo.is_file(path)

    def tree(self, path: str):
        return self.repo.typescript(path)

    def json(self, path: str) -> Any:
        return self.repo.json(path).data

    def generated(self, path: str) -> bool:
        """Whether a path is written by a build, not kept in the repository: git ignores it, or
        it is in a `_generated` folder (what `convex codegen` writes)."""
        if path not in self._generated:
            from ..repo import run_git

            # Exit status 1 (not ignored) and 128 (no git) both read as None: not ignored.
            ignored = run_git(self.repo.root, ["check-ignore", "-q", "--", path]) is not None
            self._generated[path] = ignored or "_generated" in path.split("/")
        return self._generated[path]


class ImportGraph:
    """The imports between the workspace's packages (`project.imports`)."""

    def __init__(self, project: Project):
        self.project = project
        self.repo = project.repo
        self._imports: dict[frozenset, tuple[list, list]] = {}
        self._nearest: dict[str, tuple[str, dict] | None] = {}  # folder → its tsconfig `paths`
        self._paths: dict[str, tuple[str, dict] | None] = {}  # tsconfig → its `paths`

    @cached_property
    def packages(self) -> dict[str, str]:
        """npm name → directory of every workspace package (members first: a copy outside the
        workspace globs does not shadow the package it copies)."""
        return self.named([package.path for package in self.project.workspace.packages])

    def named(self, directories: list[str]) -> dict[str, str]:
        """npm name → directory of the packages in `directories` that have a name (only their
        manifests are read)."""
        workspace = self.project.workspace
        members = {package.path: package.member for package in workspace.packages}
        named: dict[str, str] = {}
        for directory in sorted(directories, key=lambda d: not members.get(d)):
            name = workspace.manifest(directory).get("name")
            if isinstance(name, str) and name and directory != ".":
                named.setdefault(name, directory)
        return named

    def package_of_specifier(
        self, specifier: str, packages: dict[str, str] | None = None
    ) -> tuple[str, str, str] | None:
        """(npm name, directory, subpath) of the workspace package (among `packages`, else all)
        a bare specifier names (a bundler's `?query` suffix left out)."""
        specifier = specifier.partition("?")[0]
        if specifier.startswith("@"):
            scope, _, rest = specifier.partition("/")
            package, _, tail = rest.partition("/")
            name = f"{scope}/{package}"
        else:
            name, _, tail = specifier.partition("/")
        directory = (self.packages if packages is None else packages).get(name)
        if directory is None:
            return None
        return name, directory, "./" + tail if tail else "."

    def imports_of(self, directories: list[str]) -> tuple[list[WorkspaceImport], list[FileProblem]]:
        """Every import of the packages in `directories` from a file of another package, in
        path and line order, and the files that could not be read."""
        key = frozenset(directories)
        if key not in self._imports:
            self._imports[key] = self._find(key)
        return self._imports[key]

    def _find(self, directories: frozenset) -> tuple[list[WorkspaceImport], list[FileProblem]]:
        from ..typescript import module_imports, parse

        checked = self.named(sorted(directories))
        names = sorted(checked)
        folders = self.importer_folders(names) if names else []
        if folders == []:
            return [], []
        found, problems = [], []
        naming = re.compile("[\"'](?:" + "|".join(map(re.escape, names)) + ")")
        for path in files_naming(self.repo, names, folders):
            if _NOT_IMPORTERS.intersection(path.split("/")):
                continue
            try:
                text = self.repo.text(path)
            except FileProblem as problem:
                problems.append(problem)
                continue
            # Only the text up to the last mention of a package is parsed, to the end of the
            # line where the statement naming it closes (`)` of a multi-line `import(`, or `;`):
            # nothing after it imports one. On 7,825 importers of nine real monorepos this found
            # exactly the imports of whole files, 8-13x faster.
            end = 0
            for match in naming.finditer(text):
                end = match.end()
            close = _CLOSING.search(text, end)
            cut = text.find("\n", close.end()) if close else -1
            tree = parse(text if cut < 0 else text[:cut], path)
            own = self.project.workspace.package_of(path)
            for statement in module_imports(tree):
                target = self.package_of_specifier(statement.specifier, checked)
                if target is None or target[1] == own:
                    continue
                name, directory, subpath = target
                if _from_registry(self.project.workspace.manifest(own or "."), name):
                    continue
                aliases = self.aliases(path, statement.specifier.partition("?")[0])
                found.append(
                    WorkspaceImport(
                        path,
                        statement.line,
                        statement.specifier,
                        name,
                        directory,
                        subpath,
                        statement.names,
                        aliases,
                    )
                )
        return found, problems

    def importer_folders(self, names: list[str]) -> list[str] | None:
        """The folders whose files can import these packages (None: any file). npm, yarn and bun
        link every workspace package into the root node_modules, where any file finds it. pnpm
        gives a package only what it declares (workspace packages are hoisted to the hidden
        node_modules/.pnpm/node_modules) unless its settings hoist them to the root: then the
        importers are the packages declaring one, the folders whose tsconfig `paths` name one,
        and everything when the root package declares one."""
        if not self.project.has_file("pnpm-workspace.yaml") or self._pnpm_hoists(names):
            return None
        workspace = self.project.workspace
        # Most manifests do not name the packages and most tsconfigs set no `paths`: a search of
        # their text comes first, and only those that do are parsed.
        # A package's folder is a listed path's folder, normal already: its manifest is a join.
        manifests = {
            package.path: "package.json" if package.path == "." else f"{package.path}/package.json"
            for package in workspace.packages
        }
        configs = sorted(self._configs)
        needles = [*(f'"{name}"' for name in names), '"paths"']
        # Discovery listed them from git's index, and `named` kept those on disk: no walk for
        # untracked files is needed.
        found = self.repo.files_holding([*manifests.values(), *configs], needles)
        if found is None:
            found = grep(self.repo, needles, ["*package.json", "*tsconfig.json"], untracked=False)
        if found is None:
            found = [p for p in [*manifests.values(), *configs] if _holds(self.repo, p, needles)]
        mentioned = set(found)
        folders = set()
        for package in workspace.packages:
            if (
                manifests[package.path] in mentioned
                and set(names) & workspace.dependencies(package.path).keys()
            ):
                folders.add(package.path)
        # A tsconfig whose `paths` (its own or inherited) name a package makes its folder an
        # importer; most repositories have no such `paths`, and then nothing is parsed.
        if any(self._aliasing(config, names) for config in mentioned.intersection(configs)):
            for config in self._configs:
                found = self._compiler_paths(config)
                if found and any(_names_package(k, name) for k in found[1] for name in names):
                    folders.add(posixpath.dirname(config) or ".")
        return None if "." in folders else sorted(folders)

    def _aliasing(self, config: str, names: list[str]) -> bool:
        """Whether a tsconfig's `paths` (its own or inherited) name one of the packages."""
        found = self._compiler_paths(config)
        return bool(found) and any(_names_package(k, name) for k in found[1] for name in names)

    def _pnpm_hoists(self, names: list[str]) -> bool:
        """Whether pnpm's settings (.npmrc, pnpm-workspace.yaml) put any of these packages in the
        root node_modules: `shamefully-hoist`, `node-linker=hoisted`, a `public-hoist-pattern`
        matching one."""
        from fnmatch import fnmatchcase

        settings: dict[str, list] = {}
        if self.repo.file_exists(".npmrc"):
            try:
                text = self.repo.text(".npmrc")
            except FileProblem:
                text = ""
            for line in text.splitlines():
                key, _, value = line.partition("=")
                key = key.strip().removesuffix("[]")
                settings.setdefault(key, []).append(value.strip().strip("\"'").lower())
        try:
            data = self.repo.yaml("pnpm-workspace.yaml").data
        except FileProblem:
            data = None
        if isinstance(data, dict):
            for key, setting in (
                ("shamefullyHoist", "shamefully-hoist"),
                ("nodeLinker", "node-linker"),
                ("publicHoistPattern", "public-hoist-pattern"),
            ):
                value = data.get(key)
                if value is not None:
                    values = value if isinstance(value, list) else [value]
                    settings.setdefault(setting, []).extend(str(v).lower() for v in values)
        if "true" in settings.get("shamefully-hoist", ()):
            return True
        if "hoisted" in settings.get("node-linker", ()):
            return True
        patterns = settings.get("public-hoist-pattern", ())
        return any(
            fnmatchcase(name, pattern)
            for pattern in patterns
            if pattern and not pattern.startswith("!")
            for name in names
        )

    def aliases(self, path: str, specifier: str) -> tuple[str, ...]:
        """Where the `paths` of the tsconfig.json nearest the importer send a specifier (its
        targets with `*` filled in, relative to the repository), the longest matching prefix
        first, as TypeScript tries them before node_modules."""
        config = self._paths_of(posixpath.dirname(path))
        if config is None:
            return ()
        base, paths = config
        if specifier in paths:
            key, match = specifier, None
        else:
            matching = [
                k
                for k in paths
                if k.count("*") == 1
                and specifier.startswith(k.partition("*")[0])
                and specifier.endswith(k.partition("*")[2])
                and len(specifier) >= len(k) - 1
            ]
            if not matching:
                return ()
            key = max(matching, key=lambda k: len(k.partition("*")[0]))
            prefix, _, suffix = key.partition("*")
            match = specifier[len(prefix) : len(specifier) - len(suffix)]
        targets = paths[key] if isinstance(paths[key], list) else []
        return tuple(
            _join(base, t.replace("*", match) if match is not None else t)
            for t in targets
            if isinstance(t, str)
        )

    def _paths_of(self, directory: str) -> tuple[str, dict] | None:
        """(folder the targets are relative to, `paths`) of the nearest tsconfig.json."""
        if directory not in self._nearest:
            config = _join(directory, "tsconfig.json")
            if config in self._configs:
                self._nearest[directory] = self._compiler_paths(config)
            elif directory in ("", "."):
                self._nearest[directory] = None
            else:
                self._nearest[directory] = self._paths_of(posixpath.dirname(directory))
        return self._nearest[directory]

    @cached_property
    def _configs(self) -> set[str]:
        return set(self.project.named("tsconfig.json"))

    def _compiler_paths(self, config: str, depth: int = 0) -> tuple[str, dict] | None:
        """The `paths` a tsconfig sets, itself or through the configs it `extends` (a later
        one wins), relative to its `baseUrl` or else to the config that sets them."""
        if config not in self._paths:
            self._paths[config] = self._read_paths(config, depth)
        return self._paths[config]

    def _read_paths(self, config: str, depth: int) -> tuple[str, dict] | None:
        import json

        from .drizzle import strip_comments

        try:
            text = self.repo.text(config)
            if '"paths"' in text:
                data = json.loads(re.sub(r",(\s*[}\]])", r"\1", strip_comments(text)))
            else:  # only what it `extends` matters: not worth a parse
                found = _EXTENDS.search(text)
                data = {"extends": re.findall(r'"([^"]*)"', found.group(1)) if found else []}
        except (FileProblem, ValueError, RecursionError):
            return None
        if not isinstance(data, dict):
            return None
        options = data.get("compilerOptions")
        if isinstance(options, dict) and isinstance(options.get("paths"), dict):
            base_url = options.get("baseUrl")
            base = _join(posixpath.dirname(config), base_url if isinstance(base_url, str) else ".")
            return base, options["paths"]
        extends = data.get("extends")
        parents = extends if isinstance(extends, list) else [extends]
        for parent in reversed(parents):
            # Only a relative `extends` is in the repository; a package's config sets no alias
            # to the workspace's own packages.
            if depth < 8 and isinstance(parent, str) and parent.startswith("."):
                path = _join(posixpath.dirname(config), parent)
                path = path if path.endswith(".json") else path + ".json"
                found = self._compiler_paths(path, depth + 1)
                if found is not None:
                    return found
        return None

    @cached_property
    def resolver(self) -> Resolver:
        """The resolver over the repository as it is."""
        return Resolver(self, Files(self.repo))


def files_naming(repo: RepoView, names: list[str], folders: list[str] | None) -> list[str]:
    """The JS/TS files (in `folders`, or anywhere) whose text holds one of `names` right after a
    quote, sorted."""
    # A pathspec's `*` matches `/` too: `packages/api/*.ts` is every .ts file below it. git
    # matches every file against every pathspec: past a few folders, one search of the whole
    # repository, filtered here, is faster.
    bases = [f"{folder}/" for folder in folders] if folders is not None else [""]
    # Hundreds of needles slow git's fixed-string search down tenfold: many names are searched
    # by their scopes (`"@acme/`), and the parse keeps the imports of the names.
    if len(names) > _FEW_FOLDERS:
        names = sorted({name.partition("/")[0] + "/" if "/" in name else name for name in names})
    needles = [quote + name for name in names for quote in "\"'"]
    searched = bases if len(bases) <= _FEW_FOLDERS else [""]
    found = grep(repo, needles, [f"{base}*{suffix}" for base in searched for suffix in _SOURCES])
    if found is not None:
        return [path for path in found if path.startswith(tuple(bases))]
    listed = {p for base in bases for p in repo.glob(f"{base}**", files_only=True)}
    return [
        path
        for path in sorted(listed)
        if path.endswith(_SOURCES)
        and not _NOT_IMPORTERS.intersection(path.split("/"))
        and _holds(repo, path, needles)
    ]


def grep(
    repo: RepoView, needles: list[str], pathspecs: list[str], untracked: bool = True
) -> list[str] | None:
    """The files of `pathspecs` holding one of `needles`, sorted, by `git grep -F` (a work
    tree's tracked files, and its untracked ones unless told not to, or a commit's); None when
    git cannot answer."""
    from ..repo import GitTreeView, run_git

    if isinstance(repo, GitTreeView):
        return repo.grep_fixed(needles, pathspecs)
    arguments = ["grep", "-l", "-z", "-F", *(a for n in needles for a in ("-e", n))]
    output = run_git(repo.root, [*arguments, *["--untracked"][:untracked], "--", *pathspecs])
    if output is not None:
        # git grep reads the work tree: what it lists exists.
        return sorted(p for p in output.decode("utf-8", "surrogateescape").split("\0") if p)
    if run_git(repo.root, ["rev-parse", "--is-inside-work-tree"]) is not None:
        return []  # git grep exits 1 when nothing matches
    return None


def _holds(repo: RepoView, path: str, needles: list[str]) -> bool:
    """Whether a file's text holds a needle (an unreadable one is kept: its reader reports it)."""
    try:
        text = repo.text(path)
    except FileProblem:
        return True
    return any(needle in text for needle in needles)


class Resolver:
    """Resolves imports of workspace packages against one state of the files (see `Files`)."""

    def __init__(self, graph: ImportGraph, files: Files):
        self.graph = graph
        self.files = files
        self._entries: dict[tuple[str, str], Entry] = {}
        self._surfaces: dict[str, Surface | FileProblem | None] = {}
        self._lookups: dict[tuple[str, str], Lookup] = {}
        # Modules and manifests that could not be read, by path: what they export is unknown.
        self.unreadable: dict[str, FileProblem] = {}

    def verdict(self, imported: WorkspaceImport) -> Verdict:
        manifest = _join(imported.package, "package.json")
        try:
            entry = self.aliased(imported.aliases) or self.entry(imported.package, imported.subpath)
        except FileProblem as problem:
            self.unreadable.setdefault(problem.path, problem)
            return Verdict(f"whose {problem.path} cannot be read", None, (), (), {})
        base = (manifest, *([entry.file] if entry.file else []))
        if entry.problem is not None or entry.file is None:
            unknown = () if entry.problem else imported.names
            return Verdict(entry.problem, None, (), unknown, {None: base})
        if "?" in imported.specifier:  # a bundler transforms it (`?raw`, `?inline`): names unread
            return Verdict(None, entry.file, (), imported.names, {None: base})
        missing, unknown, chains = [], [], {None: base}
        for name in imported.names:
            found = self.lookup(entry.file, name)
            chains[name] = found.chain
            if found.status == MISSING:
                missing.append(name)
            elif found.status == UNKNOWN:
                unknown.append(name)
        return Verdict(None, entry.file, tuple(missing), tuple(unknown), chains)

    # Packages --------------------------------------------------------------------------------

    def aliased(self, aliases: tuple[str, ...]) -> Entry | None:
        """The file a tsconfig `paths` alias leads to; None when none of its targets exists
        (TypeScript then resolves the package the usual way)."""
        for base in aliases:
            for candidate in file_candidates(base):
                if self.files.is_file(candidate):
                    return Entry(candidate, None)
        return None

    def manifest(self, package: str) -> dict[str, Any]:
        path = _join(package, "package.json")
        data = self.files.json(path)
        if not isinstance(data, dict):
            raise FileProblem(path, "is not a package.json object", 1)
        return data

    def entry(self, package: str, subpath: str) -> Entry:
        key = (package, subpath)
        if key not in self._entries:
            self._entries[key] = self._entry(package, subpath)
        return self._entries[key]

    def _entry(self, package: str, subpath: str) -> Entry:
        self.graph.repo.prefetch([package])
        manifest = self.manifest(package)
        shown = _join(package, "package.json")
        if "exports" not in manifest:
            if subpath != ".":
                bases = [_join(package, subpath[2:])]
                return self._first(file_candidates(bases[0]), bases)
            fields = [manifest.get(f) for f in ("typings", "types", "module", "main")]
            declared = [_join(package, f) for f in fields if isinstance(f, str) and f]
            bases = list(dict.fromkeys(declared))
            # The package folder's index is the last resort.
            index = _join(package, "index")
            candidates = [c for base in [*bases, index] for c in file_candidates(base)]
            entry = self._first(candidates, bases)
            if not bases and entry.file is None:
                why = "has no `exports`, `types`, `module` or `main`, and no index file"
                return Entry(None, f"whose {shown} {why}")
            return entry
        published = exports_target(manifest["exports"], subpath)
        if published is None:
            return Entry(None, f"which {shown} `exports` does not publish")
        target, match = published
        targets, excluded = target_paths(target, match)
        if not targets:
            why = "maps to null" if excluded else "gives no target TypeScript can use"
            return Entry(None, f"which {shown} `exports` {why}")
        bases = [_join(package, t) for t in targets]
        if any(b == ".." or b.startswith("../") for b in bases):
            return Entry(None, f"whose {shown} `exports` target leaves the package")
        candidates = [c for base in bases for c in target_candidates(base)]
        return self._first(candidates, bases)

    def _first(self, candidates: list[str], bases: list[str]) -> Entry:
        for candidate in candidates:
            if self.files.is_file(candidate):
                return Entry(candidate, None)
        absent = [b for b in bases if not self.files.generated(b)]
        if not absent:
            return Entry(None, None, tuple(bases))  # build output only: nothing to read
        listed = " or ".join(dict.fromkeys(absent))
        return Entry(None, f"which resolves to {listed}: no such file")

    # Modules ---------------------------------------------------------------------------------

    def module(self, path: str, specifier: str) -> tuple[str, str | None]:
        """What a specifier in the module at `path` names: ("file", path), ("missing", base),
        ("generated", base) for a built one (see `Files.generated`), or ("external", None)."""
        if specifier.startswith("."):
            base = posixpath.normpath(posixpath.join(posixpath.dirname(path), specifier))
            if base == ".." or base.startswith("../"):
                return "external", None
            for candidate in file_candidates(base):
                if self.files.is_file(candidate):
                    return "file", candidate
            return ("generated" if self.files.generated(base) else "missing"), base
        package = self.graph.package_of_specifier(specifier)
        if package is None:
            return "external", None
        entry = self.entry(package[1], package[2])
        if entry.file is not None:
            return "file", entry.file
        return ("missing" if entry.problem else "generated"), None

    def surface(self, path: str) -> Surface | None:
        """What a module exports; None for a file that is no JS/TS module (JSON, CSS)."""
        if path not in self._surfaces:
            from ..typescript import SOURCE_SUFFIXES, module_exports

            if not path.endswith(SOURCE_SUFFIXES):
                self._surfaces[path] = None
            else:
                try:
                    self._surfaces[path] = module_exports(self.files.tree(path), path)
                except FileProblem as problem:
                    self._surfaces[path] = problem
        found = self._surfaces[path]
        if isinstance(found, FileProblem):
            raise found
        return found

    def lookup(self, path: str, name: str, seen: frozenset = frozenset()) -> Lookup:
        """Whether the module at `path` exports `name`, followed through re-exports."""
        key = (path, name)
        if key in seen:
            return Lookup(MISSING, (path,))  # a cycle adds nothing
        if key not in self._lookups:
            self._lookups[key] = self._lookup(path, name, seen | {key})
        return self._lookups[key]

    def _lookup(self, path: str, name: str, seen: frozenset) -> Lookup:
        try:
            surface = self.surface(path)
        except FileProblem as problem:
            self.unreadable.setdefault(problem.path, problem)
            return Lookup(UNKNOWN, (path,))
        if surface is None or surface.opaque:
            return Lookup(UNKNOWN, (path,))
        exported = surface.names.get(name)
        if exported is not None:
            if exported.source is None:
                return Lookup(FOUND, (path,), exported.type_only)
            kind, target = self.module(path, exported.source)
            if kind == "missing":
                return Lookup(MISSING, (path,))
            if kind != "file" or exported.imported == "*":
                # Another npm package's export, or a namespace: the module names it itself.
                status = UNKNOWN if kind == "generated" else FOUND
                return Lookup(status, (path,), exported.type_only)
            found = self.lookup(target, exported.imported, seen)
            type_only = exported.type_only or found.type_only
            return Lookup(found.status, (path, *found.chain), type_only)
        if name == "default":
            return Lookup(MISSING, (path,))  # `export *` never passes on a default export
        chain, unknown = [path], False
        for specifier, _ in surface.stars:
            kind, target = self.module(path, specifier)
            if kind == "file":
                found = self.lookup(target, name, seen)
                if found.status == FOUND:
                    return Lookup(FOUND, (path, *found.chain), found.type_only)
                unknown = unknown or found.status == UNKNOWN
                chain.extend(found.chain)
            elif kind in ("external", "generated"):
                unknown = True
        return Lookup(UNKNOWN if unknown else MISSING, tuple(dict.fromkeys(chain)))


# Package entry points ----------------------------------------------------------------------------


def exports_target(exports: Any, subpath: str) -> tuple[Any, str | None] | None:
    """The target `exports` gives a subpath (`.`, `./schema`) and what `*` matched; None when the
    subpath is not published."""
    if isinstance(exports, str | list) or (
        isinstance(exports, dict) and not any(key.startswith(".") for key in exports)
    ):
        return (exports, None) if subpath == "." else None  # sugar for {".": …}
    if not isinstance(exports, dict) or not all(key.startswith(".") for key in exports):
        return None  # Node: ERR_INVALID_PACKAGE_CONFIG; TypeScript: not found
    if subpath in exports and "*" not in subpath:
        return exports[subpath], None
    patterns = sorted((k for k in exports if k.count("*") == 1), key=cmp_to_key(_pattern_order))
    for key in patterns:
        base, _, trailer = key.partition("*")
        if (
            subpath.startswith(base)
            and subpath != base
            and (not trailer or (subpath.endswith(trailer) and len(subpath) >= len(key)))
        ):
            return exports[key], subpath[len(base) : len(subpath) - len(trailer)]
    return None


def _pattern_order(a: str, b: str) -> int:
    """Node's PATTERN_KEY_COMPARE: the longer prefix before `*` first, then the longer key."""
    base_a, base_b = a.find("*") + 1, b.find("*") + 1
    if base_a != base_b:
        return -1 if base_a > base_b else 1
    return -1 if len(a) > len(b) else 1 if len(b) > len(a) else 0


def target_paths(target: Any, match: str | None) -> tuple[list[str], bool]:
    """The paths (relative to the package) a target gives under the conditions, in the order
    TypeScript tries them, and whether a `null` stopped the search."""
    if isinstance(target, str):
        if not target.startswith("./"):
            return [], False  # Node: invalid target; `exports` never names another package
        path = target.replace("*", match) if match is not None else target
        parts = path[2:].split("/")
        if {"..", ".", "node_modules"} & set(parts):
            return [], False
        return [path[2:]], False
    if isinstance(target, list):
        found: list[str] = []
        for item in target:
            paths, excluded = target_paths(item, match)
            found += paths
            if excluded:
                return found, True
        return found, False
    if isinstance(target, dict):
        found = []
        for condition, value in target.items():
            if condition not in CONDITIONS:
                continue
            if value is None:
                return found, True
            paths, excluded = target_paths(value, match)
            found += paths
            if excluded:
                return found, True
        return found, False
    return [], target is None


def built_sources(package: str, built: str) -> list[str]:
    """Where the source of a package's build output probably is (a guess, not a resolution:
    bundlers such as Vite or tsup keep no outDir → rootDir map): the path below the build
    folder, at the package's root or in its `src/` (`dist/src/prisma.js` → `src/prisma`,
    `dist/index.js` → `index`, `src/index`), without the built extension."""
    rest = posixpath.relpath(built, package).split("/", 1)
    if len(rest) < 2 or rest[0] in ("", ".."):
        return []
    stem = re.sub(r"(\.d)?\.[cm]?[jt]sx?$", "", rest[1])
    if stem.startswith("src/"):
        return [_join(package, stem)]
    return [_join(package, stem), _join(package, "src/" + stem)]


def target_candidates(base: str) -> list[str]:
    """The files an `exports` target may be: itself, or for a `.js` one its TypeScript source
    first (TypeScript does not add extensions to `exports` targets)."""
    for extension, replacements in _TS_FOR_JS.items():
        if base.endswith(extension):
            stem = base[: -len(extension)]
            return [*(stem + r for r in replacements), base]
    return [base]


def file_candidates(base: str) -> list[str]:
    """The files a relative specifier (or a `main` field, or a subpath of a package without
    `exports`) may be: itself with its TypeScript source first, with an extension, or a folder's
    index."""
    candidates = target_candidates(base)
    if not base.endswith(_TS_EXTENSIONS) and not any(base.endswith(e) for e in _TS_FOR_JS):
        candidates += [base + extension for extension in _PROBED]
        candidates += [f"{base}/index{extension}" for extension in _PROBED]
    return candidates


_CLOSING = re.compile(r"[);]")
_FEW_FOLDERS = 16

# What a tsconfig `extends`: `"extends": "./base.json"`, or a list of them.
_EXTENDS = re.compile(r'"extends"\s*:\s*(\[[^\]]*\]|"[^"]*")')


def _names_package(key: str, name: str) -> bool:
    """Whether a tsconfig `paths` key (`@acme/db`, `@acme/db/*`, `@acme/*`) can match an import
    of the package `name`."""
    prefix = key.partition("*")[0]
    return key == name or name.startswith(prefix) or prefix.startswith(name + "/")


# Dependency specs that take a package from a registry or elsewhere, never from the workspace (a
# workspace package may share its name with an npm one: `storybook`).
_NOT_WORKSPACE_SPECS = ("catalog:", "npm:", "jsr:", "github:", "git+", "git:", "http:", "https:")


def _from_registry(manifest: dict[str, Any], name: str) -> bool:
    """Whether a package's manifest takes `name` from outside the workspace."""
    for section in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        declared = manifest.get(section)
        spec = declared.get(name) if isinstance(declared, dict) else None
        if isinstance(spec, str):
            return spec.startswith(_NOT_WORKSPACE_SPECS)
    return False


def _join(package: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(package, path))
