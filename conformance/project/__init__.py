"""What the repository is, discovered once per run: its packages, Convex projects, Drizzle
configs, Prisma schemas, compose files, Next.js apps and docs.

One `Project` per repo view (`project_of`), one module per ecosystem, each computed lazily from
the view's inventory and never by running anything: TypeScript configs are read as text. Contract
parameters that declare `discover: FACT` default to the facts named in `FACTS`; each fact says
where every value came from, or — when it finds nothing — what it looked for and what it found
instead, so a rule never passes on a subject that does not exist.
"""

from __future__ import annotations

import posixpath
from collections import namedtuple
from functools import cached_property
from importlib import import_module

from ..containment import PATH_FORMAT

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..repo import RepoView
    from ..workspace import Workspace as FixWorkspace
    from .compose import Compose
    from .convex import Convex
    from .docs import Docs
    from .drizzle import Drizzle
    from .imports import ImportGraph
    from .next import Next
    from .prisma import Prisma
    from .workspace import Workspace


# Base names (and a few parent folders) of every file discovery reads: one listing of the
# repository, filtered by grep, serves every ecosystem.
DISCOVERED_FILES = (
    r"(^|/)(package\.json|convex\.json|drizzle[^/]*\.config(\.[^/]*)?\.[cm]?[jt]s"
    r"|[^/]*compose[^/]*\.ya?ml"
    r"|next\.config\.[cm]?[jt]s|[^/]*\.prisma|migration_lock\.toml"
    r"|prisma7?\.config\.[cm]?[jt]s|\.config/prisma7?(\.config)?\.[cm]?[jt]s"
    r"|[Mm]akefile|GNUmakefile|README\.md|AGENTS\.md|CLAUDE\.md|GEMINI\.md|CONTRIBUTING\.md"
    r"|ARCHITECTURE\.md|copilot-instructions\.md|\.cursorrules|pnpm-workspace\.yaml"
    r"|tsconfig[^/]*\.json"
    r"|convex/schema\.[cm]?[jt]s"
    r"|_generated/server\.(js|ts|d\.ts)|convex\.config\.[cm]?[jt]s)$"
)


class Discovery(namedtuple("Discovery", "values sources reason proposed", defaults=("", None))):
    """What a fact found: `values` with one `sources` entry each (where it came from); `reason`
    says what was looked for when nothing was found; `proposed` is what `init` writes when it
    differs from what a check may assume (kept services: a check cannot take the services a
    file has now as the ones it must keep)."""

    __slots__ = ()

    @classmethod
    def of(cls, found: list[tuple[Any, str]], reason: str) -> Discovery:
        """From (value, source) pairs."""
        return cls([value for value, _ in found], [source for _, source in found], reason)


class Project:
    def __init__(self, repo: RepoView):
        self.repo = repo

    @cached_property
    def files(self) -> list[str]:
        """The files discovery reads (manifests, configs, compose files, docs…), anywhere."""
        return self.repo.find(DISCOVERED_FILES)

    @cached_property
    def _by_name(self) -> dict[str, list[str]]:
        # From the listing before the stat that tells which files are on disk: `named` and
        # `named_like` stat only the files they return (a large monorepo lists tens of
        # thousands, most of them READMEs nothing asks for).
        index: dict[str, list[str]] = {}
        for path in self.repo.find(DISCOVERED_FILES, present=False):
            index.setdefault(path.rpartition("/")[2], []).append(path)
        return index

    def named(self, *names: str) -> list[str]:
        """Discovered files whose base name is one of `names`, sorted."""
        present = self.repo.present
        return sorted([p for name in names for p in self._by_name.get(name, ()) if present(p)])

    def named_like(self, regex) -> list[str]:
        """Discovered files whose base name matches a compiled regex, sorted."""
        present = self.repo.present
        return sorted(
            p
            for name, paths in self._by_name.items()
            if regex.match(name)
            for p in paths
            if present(p)
        )

    def has_dir(self, path: str) -> bool:
        """Whether a directory exists in the repository."""
        return path in ("", ".") or self.repo.dir_exists(path)

    def has_file(self, path: str) -> bool:
        """Whether a file exists: listed by discovery, or new (not tracked yet)."""
        return self.discovered(path) or self.repo.file_exists(path)

    def discovered(self, path: str) -> bool:
        """Whether discovery lists a file (in a git work tree: tracked, and on disk)."""
        return path in self._listed and self.repo.present(path)

    @cached_property
    def _listed(self) -> set[str]:
        return set(self.repo.find(DISCOVERED_FILES, present=False))

    @cached_property
    def workspace(self) -> Workspace:
        from .workspace import Workspace

        return Workspace(self)

    @cached_property
    def imports(self) -> ImportGraph:
        from .imports import ImportGraph

        return ImportGraph(self)

    @cached_property
    def convex(self) -> Convex:
        from .convex import Convex

        return Convex(self)

    @cached_property
    def drizzle(self) -> Drizzle:
        from .drizzle import Drizzle

        return Drizzle(self)

    @cached_property
    def prisma(self) -> Prisma:
        from .prisma import Prisma

        return Prisma(self)

    @cached_property
    def compose(self) -> Compose:
        from .compose import Compose

        return Compose(self)

    @cached_property
    def next(self) -> Next:
        from .next import Next

        return Next(self)

    @cached_property
    def docs(self) -> Docs:
        from .docs import Docs

        return Docs(self)

    def discover(self, fact: str, binding: dict[str, Any]) -> Discovery:
        """The values of a fact; `binding` holds the parameters already resolved (a fact about
        the data-layer package reads the package chosen for this check)."""
        module, function, _, _ = FACTS[fact]
        return getattr(import_module(f".{module}", __name__), function)(self, binding)


def project_of(repo: RepoView) -> Project:
    """The one project model of a repo view."""
    project = repo.__dict__.get("_project")
    if project is None:
        project = repo.__dict__["_project"] = Project(repo)
    return project


def unread_by_discovery(repo: RepoView) -> list[str]:
    """The files discovery consulted but could not read ("path:line: why"), so the report can say
    a value may be missing because of them; empty when nothing was discovered."""
    project = repo.__dict__.get("_project")
    workspace = project.__dict__.get("workspace") if project is not None else None
    if workspace is None:
        return []
    # The workspace globs only when something read them: asking would read them now.
    told = workspace.definition_problems if "_definition" in workspace.__dict__ else []
    return list(dict.fromkeys([*told, *workspace.unreadable]))


def import_targets(project: Project, importer: str, specifier: str) -> list[str]:
    """The repository paths an import in `importer` may name — relative, a tsconfig `paths`
    alias, a workspace package's entry as its manifest publishes it — whether or not a file is
    there; empty for npm packages."""
    from .convex_functions import analysis_of

    return analysis_of(project).module_paths(importer, specifier)


def imports_module(project: Project, importer: str, specifier: str, module: str) -> bool:
    """Whether an import names `module`: an npm package (`@prisma/client`, its subpaths too),
    or a repository file or folder (`src/lib/db.ts`, `src/generated/prisma`: an import of the
    file, its folder's index, or anything inside the folder)."""
    if specifier == module or specifier.startswith(module + "/"):
        return True
    stem = _without_extension(module)
    for target in import_targets(project, importer, specifier):
        target = _without_extension(target)
        if target in (stem, module) or target + "/index" == stem:
            return True
        if target.startswith(module + "/"):
            return True
    return False


def imports_export(project: Project, importer: str, specifier: str, module: str, name: str) -> bool:
    """Whether importing `name` through `specifier` reaches the export `name` of `module` (a
    repository file): an import of the module itself, or — for a named export, which a package
    passes on from its entry point — of the workspace package holding it (`@acme/db` for an
    export of packages/db/src/client.ts) or another module of that package."""
    if imports_module(project, importer, specifier, module):
        return True
    if name in ("default", "*"):
        return False
    package = project.workspace.package_of(module)
    if package is None or package == ".":
        return False
    npm_name = project.workspace.manifest(package).get("name")
    if isinstance(npm_name, str) and (
        specifier == npm_name or specifier.startswith(npm_name + "/")
    ):
        return True
    return any(
        target.startswith(package + "/") for target in import_targets(project, importer, specifier)
    )


def _without_extension(path: str) -> str:
    stem, dot, extension = path.rpartition(".")
    return stem if dot and "/" not in extension and extension in _EXTENSIONS else path


_EXTENSIONS = frozenset({"ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs"})


def relative(path: str, base: str) -> str:
    """`path` joined to the directory `base`, normalised (`.` for the root)."""
    joined = posixpath.normpath(posixpath.join(base or ".", path))
    return "." if joined in ("", ".") else joined


# fact → (module, function, each, description). An `each` fact names one subject per value
# (a package, a functions directory): a rule reading it is checked once per value.
FACTS: dict[str, tuple[str, str, bool, str]] = {
    "data-layer-package": (
        "datalayer",
        "data_layer_package",
        True,
        "the package holding the data layer: its drizzle.config.*, else its convex.json or "
        "Convex functions, else the strongest Drizzle/Postgres/Convex dependencies",
    ),
    "drizzle-schema": (
        "drizzle",
        "drizzle_schema",
        True,
        "the `schema` of the package's drizzle.config.*, relative to the package",
    ),
    "drizzle-packages": (
        "drizzle",
        "drizzle_packages",
        True,
        "every package holding a drizzle.config.*",
    ),
    "convex-functions-dir": (
        "convex",
        "functions_dirs",
        True,
        "every Convex functions directory: convex.json `functions`, else `convex/` beside a "
        "package.json depending on convex, or holding the generated code or schema",
    ),
    "convex-functions-dirs": (
        "convex",
        "functions_dirs",
        False,
        "every Convex functions directory (as a list)",
    ),
    "convex-packages": (
        "convex",
        "client_packages",
        True,
        "Node packages using Convex from outside the functions directory (no UI app: no react)",
    ),
    "compose-files": (
        "compose",
        "compose_files",
        False,
        "every compose file: compose*.y(a)ml and docker-compose*.y(a)ml anywhere, and files "
        "named by `-f` in package.json scripts and Makefiles",
    ),
    "compose-kept-services": (
        "compose",
        "kept_services",
        False,
        "the non-Postgres services of the compose files, recorded by `conformance init`",
    ),
    "next-app": (
        "next",
        "next_apps",
        True,
        "every Next.js app (next.config.* or a `next` dependency)",
    ),
    "next-source-root": (
        "next",
        "next_source_root",
        True,
        "the folder the Next.js app's own code lives in: where its tsconfig alias points "
        "(`@/*` → `./src/*`), else the parent of its App Router folder (`src/` or the app's "
        "root; beside the Pages Router folder when it has none)",
    ),
    "next-sources": (
        "next",
        "next_sources",
        False,
        "the source files of every Next.js app",
    ),
    "active-docs": (
        "docs",
        "active_docs",
        False,
        "README/AGENTS/CLAUDE/CONTRIBUTING/ARCHITECTURE at the root, agent instructions anywhere, "
        "and docs/**",
    ),
    "workspace-manifests": (
        "workspace",
        "manifests",
        False,
        "every package.json of the repository",
    ),
    "prisma-schemas": (
        "prisma",
        "schemas",
        False,
        "every Prisma schema (prisma.config.* `schema`, package.json `prisma.schema`, a script's "
        "`--schema`, a .prisma file or a folder of them) and prisma.config.*",
    ),
    "prisma-migrations": (
        "prisma",
        "migrations",
        False,
        "every Prisma Migrate directory (holding migration_lock.toml, a config's "
        "`migrations.path`, migrations/ beside a schema)",
    ),
    "prisma-server": (
        "prisma",
        "server_packages",
        True,
        "packages that depend on the Prisma client and are no Next.js app",
    ),
    "prisma-generated-clients": (
        "prisma",
        "generated_clients",
        False,
        "the folders the schemas' client generators write (`output`)",
    ),
    "prisma-client-modules": (
        "prisma",
        "client_modules",
        False,
        "the modules PrismaClient is imported from: @prisma/client, the generated clients, and "
        "the repository's modules passing the class on",
    ),
    "prisma-clients": (
        "prisma",
        "clients",
        False,
        "the top-level bindings (`module#name`) holding a PrismaClient their module constructs",
    ),
    "prisma-critical-path": (
        "prisma",
        "critical_path",
        False,
        "the modules of each Prisma server that make its app, router or socket server, or "
        "construct a PrismaClient of its own",
    ),
    "rls-tables": (
        "datalayer",
        "rls_tables",
        False,
        "the tables with a user id: from the Convex schema, else the database package's Drizzle "
        "schema",
    ),
    "database-package": (
        "workspace",
        "database_package",
        True,
        "where the database code goes: the package holding a drizzle.config.*, else a new "
        "package the workspace globs reach (packages/database), else (no workspaces) the app",
    ),
    "database-layout": (
        "workspace",
        "database_layout",
        True,
        "`package` for a workspace package of its own, `app` for the app's own code (no "
        "workspaces, or the package is the root or a Next.js app)",
    ),
    "database-source": (
        "workspace",
        "database_source",
        True,
        "the folder of the database modules in the package: src/ for a package of its own, "
        "else db/ where the app keeps its code (src/db)",
    ),
    "database-package-name": (
        "workspace",
        "database_package_name",
        True,
        "the database package's npm name, else `@scope/database` in the workspace's scope",
    ),
    "repository-modules": (
        "convex_scaffold",
        "repository_modules",
        False,
        "one repository module per table: the Convex schema's (and the modules it imports), "
        "else the database package's Drizzle schema's",
    ),
    "router-modules": (
        "convex_scaffold",
        "router_modules",
        False,
        "one tRPC router per user-scoped table (a userId field), from the same schema",
    ),
    "web-auth-packages": (
        "convex_scaffold",
        "web_auth_packages",
        False,
        "what the web app's Better Auth module imports (better-auth, and drizzle-orm for its "
        "Drizzle adapter); nothing for an app signing in with Clerk",
    ),
    "prisma-sources": (
        "prisma",
        "prisma_sources",
        False,
        "the source files of every package that depends on Prisma",
    ),
}


STRING = {"type": "string"}
STRINGS = {"anyOf": [STRING, {"type": "array", "items": STRING}]}
# A repository path or glob: the loader refuses one leading outside the root (containment.py).
PATH = {"type": "string", "format": PATH_FORMAT}
PATHS = {"anyOf": [PATH, {"type": "array", "items": PATH}]}

# Template context sources, by the name a contract's `context:` gives them: the ecosystem module
# that translates them, its function, and the JSON Schema of what the contract passes.
CONTEXTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    # The Drizzle schema module a Convex schema is derived from.
    "drizzle_schema": ("drizzle", "convex_schema_context", PATH),
    # The Convex schema (convex/schema.ts) a Drizzle schema is derived from.
    "convex_schema": ("convex_scaffold", "drizzle_schema_context", PATH),
    # One table of that schema, for a module named after it (a repository, a tRPC router), and
    # the Convex functions that read or write it; `user_scoped` only for a table with a userId.
    "convex_table": (
        "convex_scaffold",
        "repository_context",
        {
            "type": "object",
            "required": ["schema"],
            "additionalProperties": False,
            "properties": {"schema": PATH, "user_scoped": {"type": "boolean"}},
        },
    ),
    # The rows a Server-Sent Events route streams: of the user-scoped `modules` (a `[table]`
    # segment) or of the one `table`; `schema` is a list, empty once the Convex schema is gone.
    "convex_live_rows": (
        "convex_scaffold",
        "live_context",
        {
            "type": "object",
            "required": ["schema"],
            "additionalProperties": False,
            "properties": {"schema": PATHS, "modules": STRINGS, "table": STRING},
        },
    ),
    # How a web app file imports `modules` (name → path without extension: its tsconfig alias,
    # else relative) and which identity provider the app has.
    "web_app": (
        "convex_scaffold",
        "web_app_context",
        {
            "type": "object",
            "required": ["app", "modules"],
            "additionalProperties": False,
            "properties": {
                "app": PATH,
                "modules": {"type": "object", "additionalProperties": PATH},
            },
        },
    ),
    # Whether the app needs a Better Auth server module (not when it signs in with Clerk).
    "web_auth_module": (
        "convex_scaffold",
        "auth_module_context",
        {
            "type": "object",
            "required": ["app"],
            "additionalProperties": False,
            "properties": {"app": PATH},
        },
    ),
    # Wrappers named `operations` over the Convex functions in `dir`, each calling the one
    # `functions` maps it to ("module.function"), through `client`.
    "convex_functions": (
        "convex",
        "operations_context",
        {
            "type": "object",
            "required": ["dir", "operations", "functions", "client"],
            "additionalProperties": False,
            "properties": {
                "dir": PATH,
                "operations": STRINGS,
                "functions": {"type": "object", "additionalProperties": STRING},
                "client": STRING,
            },
        },
    ),
}


# What a fix's deletion may remove, by the name its `removes:` gives: the ecosystem module that
# knows what one looks like, its function (project, path) → Removal, and what it accepts. Paths
# come from parameters a repository's own configs feed (`convex.json` "functions", Prisma's
# `migrations.path`, drizzle-kit's `schema`); `functions: "."` must not delete a package.
ARTIFACTS: dict[str, tuple[str, str, str]] = {
    "drizzle-schema": (
        "drizzle",
        "schema_removal",
        "Drizzle schema modules: a script file importing drizzle-orm or only passing such "
        "modules on; of a folder, the ones directly inside (the folder when nothing else is)",
    ),
    "prisma-schema": (
        "prisma",
        "schema_removal",
        "a .prisma file, a prisma.config.*, or a folder of .prisma files (and the Prisma "
        "Migrate folders inside it)",
    ),
    "prisma-migrations": (
        "prisma",
        "migrations_removal",
        "a Prisma Migrate folder: migration_lock.toml and <name>/migration.sql, nothing else",
    ),
    "convex-functions": (
        "convex",
        "functions_removal",
        "a Convex functions folder: it holds the schema, _generated/ or a convex.config, or "
        "modules importing Convex's server code, and no package.json or convex.json",
    ),
}

Removal = namedtuple("Removal", "paths problem")
Removal.__doc__ = """What a deletion may remove of a path (`paths`: itself, or a part of it), and
why the rest stays (`problem`, None when nothing does)."""


def removal(project: Project, artifact: str, path: str) -> Removal:
    """What of `path` is the `artifact` (see ARTIFACTS) a fix means to delete. A folder holding
    a package is never one."""
    if project.repo.is_dir(path):
        manifests = [
            f
            for f in project.repo.glob(f"{path}/**", files_only=True)
            if f.rpartition("/")[2] == "package.json"
        ]
        if manifests:
            return Removal([], f"it holds a package ({manifests[0]})")
    module, function, _ = ARTIFACTS[artifact]
    return getattr(import_module(f".{module}", __name__), function)(project, path)


def listed_problem(said: str, paths: list[str], folder: str) -> str:
    """`said (a.ts, b/c.md and 3 more)`, the paths shown relative to `folder`."""
    shown = [p[len(folder) + 1 :] if p.startswith(folder + "/") else p for p in paths]
    more = f" and {len(shown) - 3} more" if len(shown) > 3 else ""
    return f"{said} ({', '.join(shown[:3])}{more})"


def template_context(name: str, spec: Any, work: FixWorkspace, target: str) -> dict[str, Any]:
    """The context a template rendered at `target` gets from the source `name` (see CONTEXTS);
    sources read the repository as it is, before the fix."""
    module, function, _ = CONTEXTS[name]
    return getattr(import_module(f".{module}", __name__), function)(spec, work, target)


def describe(fact: str) -> str:
    return FACTS[fact][3]


def each(fact: str) -> bool:
    return FACTS[fact][2]
