"""Prisma as projects lay it out: schemas (a `schema.prisma` anywhere, a multi-file schema
folder, what `prisma.config.*`, package.json `prisma.schema` or a script's `--schema` names),
Prisma Migrate directories (the folder holding `migration_lock.toml`, the config's
`migrations.path`, `migrations/` beside a schema), the generated clients (each client
generator's `output`), the modules that construct a `PrismaClient` and the names they hold it
under, the packages that use Prisma — directly, or through a workspace package that does — and
the ways in to the servers that use it.

Everything is read as text or syntax, never run: prisma.config.* with the same literal reader as
drizzle configs, paths relative to the config's folder (as @prisma/config 7 resolves them).
"""

from __future__ import annotations

import posixpath
import re
from collections import namedtuple
from functools import cached_property, lru_cache

from ..model import FileProblem, counted
from . import relative

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from tree_sitter import Node, Tree

    from . import Discovery, Project, Removal

PRISMA_PACKAGES = ("@prisma/client", "prisma")
SERVER_FRAMEWORKS = (
    "express",
    "fastify",
    "hono",
    "koa",
    "socket.io",
    "@nestjs/core",
    "@hapi/hapi",
    "elysia",
)
SOURCES = "**/*.{ts,tsx,mts,cts,js,jsx,mjs}"
SOURCE_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
# Where @prisma/config 7 looks for its config: prisma7.config.*, then prisma.config.*, and the
# same names under .config/.
CONFIG = re.compile(r"(?:^|/)(?:prisma7?\.config|\.config/prisma7?(?:\.config)?)\.[cm]?[jt]s$")
# Generators that write a Prisma Client: the new one (`output` required) and the classic one
# (into node_modules, imported as @prisma/client, unless `output` says otherwise).
CLIENT_GENERATORS = ("prisma-client", "prisma-client-js")
# A `prisma …` command line naming its schema. Each `prisma` is scanned only up to the next one
# and each block only up to the next `generator`: a scan to the end from every start is
# quadratic (`prisma prisma …`, a schema of unclosed blocks).
_SCHEMA_FLAG = re.compile(
    r"\bprisma\b(?:[^&|;p-]++|(?!\bprisma\b|--schema)[^&|;])*+"
    r"--schema(?:=|\s+)([\"']?)([^\s\"'&|;]+)\1"
)
_GENERATOR = re.compile(
    r"^[ \t]*generator\s+(\w+)\s*\{((?:(?!^[ \t]*generator\b).)*?)^[ \t]*\}",
    re.MULTILINE | re.DOTALL,
)
_SETTING = r'^\s*{}\s*=\s*"([^"]*)"'

PrismaConfig = namedtuple("PrismaConfig", "path schema migrations problem")
PrismaConfig.__doc__ = """A prisma.config.*: its `schema` and `migrations.path` as repository paths
(None when unset), and why a value could not be read (not a literal)."""

Generator = namedtuple("Generator", "schema line name provider output")
Generator.__doc__ = """A client generator block: the schema file and line it is written at, its
name and provider, and where it writes the client (a repository folder; None: @prisma/client)."""


# What discovery greps for: modules naming PrismaClient, modules re-exporting something, and
# modules importing a server framework.
_NAMING_CLIENT = r"\bPrismaClient\b"
_EXPORTING = r"^export *(\*|\{)"
_FRAMEWORK_IMPORT = (
    r"""(from|require\(|import\() *["']("""
    + "|".join(re.escape(f) for f in SERVER_FRAMEWORKS)
    + r""")["'/]"""
)


def reexport_regex(names: list[str]) -> re.Pattern[str]:
    """`export * from "…/<name>"` or `export { … } from "…/<name>"` (its index, any extension)."""
    alternatives = "|".join(re.escape(name) for name in names)
    return re.compile(
        rf"""export\s*(\*|\{{[^}}]*\}})\s*from\s*["'][^"']*({alternatives})(/index)?"""
        rf"""(\.[cm]?[jt]sx?)?["']"""
    )


class Prisma:
    def __init__(self, project: Project):
        self.project = project
        self.repo = project.repo
        # (importer's folder, specifier) → the files the import may be (`_modules`)
        self._resolved: dict[tuple[str, str], list[str]] = {}

    def _grep(self, pattern: str, *alongside: str) -> list[str]:
        """`repo.grep` over the sources; the `alongside` searches, sure to be needed next, start
        now too, to run at the same time (each is collected by its own `_grep`)."""
        for started in (pattern, *alongside):
            self.repo.start_grep(started, SOURCE_SUFFIXES)
        return self.repo.grep(pattern, SOURCE_SUFFIXES)

    # Schemas, configs, migrations ------------------------------------------------------------

    @cached_property
    def configs(self) -> list[PrismaConfig]:
        return [self._config(path) for path in self.project.files if CONFIG.search(path)]

    def _config(self, path: str) -> PrismaConfig:
        from .drizzle import literal, object_keys, strip_comments, top_level_keys

        folder = posixpath.dirname(path) or "."
        try:
            text = strip_comments(self.repo.text(path))
        except FileProblem as problem:
            return PrismaConfig(path, None, None, problem.message)
        keys = top_level_keys(text)
        found: dict[str, str | None] = {"schema": None, "migrations": None}
        problems = []
        places = {"schema": keys.get("schema")}
        if "migrations" in keys:
            opening = re.compile(r"\s*\{").match(text, keys["migrations"])
            if opening is not None:
                places["migrations"] = object_keys(text, opening.end()).get("path")
        for key, offset in places.items():
            if offset is None:
                continue
            value = literal(text, offset)
            if isinstance(value, str):
                found[key] = relative(value, folder)
            else:
                line = text.count("\n", 0, offset) + 1
                problems.append(f"`{key}` at {path}:{line} is not a literal string")
        return PrismaConfig(path, found["schema"], found["migrations"], "; ".join(problems))

    @cached_property
    def schema_files(self) -> list[str]:
        return self.project.named_like(re.compile(r".*\.prisma$"))

    @cached_property
    def schemas(self) -> list[tuple[str, str]]:
        """(schema file or folder, where it was found): what a config, package.json or a
        script names first, then the `.prisma` files nothing names (a folder of several is one
        multi-file schema)."""
        found: dict[str, str] = {}
        for config in self.configs:
            said = f" ({config.problem})" if config.problem else ""
            found.setdefault(config.path, f"Prisma's config{said}")
            if config.schema and self._exists(config.schema):
                found.setdefault(config.schema, f"{config.path} `schema`")
        for package in self.packages:
            prisma = self.project.workspace.manifest(package).get("prisma")
            schema = prisma.get("schema") if isinstance(prisma, dict) else None
            if isinstance(schema, str):
                path = relative(schema, package)
                if self._exists(path):
                    found.setdefault(path, f'{_manifest(package)} "prisma.schema"')
            for name, command in self.project.workspace.scripts(package).items():
                for match in _SCHEMA_FLAG.finditer(command):
                    path = relative(match.group(2), package)
                    if self._exists(path):
                        found.setdefault(path, f'{_manifest(package)} script "{name}" --schema')
        named = [path for path in found if not CONFIG.search(path)]
        unnamed = [
            file
            for file in self.schema_files
            if not any(file == path or file.startswith(path + "/") for path in named)
        ]
        folders = {posixpath.dirname(f) for f in unnamed}
        for folder in sorted(folders):
            files = [f for f in unnamed if posixpath.dirname(f) == folder]
            if len(files) > 1:
                found.setdefault(folder, f"a multi-file Prisma schema ({len(files)} files)")
            else:
                found.setdefault(files[0], "a Prisma schema")
        return sorted(found.items())

    def _exists(self, path: str) -> bool:
        return self.project.has_file(path) or self.project.has_dir(path)

    @cached_property
    def migrations(self) -> list[tuple[str, str]]:
        """(Prisma Migrate directory, where it was found, with its number of migrations)."""
        found: dict[str, str] = {}
        for lock in self.project.named("migration_lock.toml"):
            found.setdefault(posixpath.dirname(lock) or ".", "holds migration_lock.toml")
        for config in self.configs:
            if config.migrations and self.project.has_dir(config.migrations):
                found.setdefault(config.migrations, f"{config.path} `migrations.path`")
        for path, _ in self.schemas:
            folder = path if self.project.has_dir(path) else posixpath.dirname(path)
            beside = relative("migrations", folder)
            if self.project.has_dir(beside):
                found.setdefault(beside, f"beside the schema {path}")
        migrations = []
        for folder, source in sorted(found.items()):
            steps = self.repo.glob(f"{folder}/*/migration.sql", files_only=True)
            migrations.append((folder, f"{source}, {counted(len(steps), 'migration')}"))
        return migrations

    # The client ------------------------------------------------------------------------------

    @cached_property
    def generators(self) -> list[Generator]:
        """The client generators of every schema file."""
        found = []
        for schema in self.schema_files:
            try:
                text = re.sub(r"//[^\n]*", "", self.repo.text(schema))
            except FileProblem:
                continue
            for block in _GENERATOR.finditer(text):
                provider = re.search(_SETTING.format("provider"), block.group(2), re.MULTILINE)
                if provider is None or provider.group(1) not in CLIENT_GENERATORS:
                    continue
                output = re.search(_SETTING.format("output"), block.group(2), re.MULTILINE)
                folder = posixpath.dirname(schema) or "."
                found.append(
                    Generator(
                        schema,
                        text.count("\n", 0, block.start()) + 1,
                        block.group(1),
                        provider.group(1),
                        relative(output.group(1), folder) if output else None,
                    )
                )
        return found

    @cached_property
    def generated(self) -> list[tuple[str, str]]:
        """(module a Prisma Client is imported from, where it was found): `@prisma/client`,
        and the folder each generator with an `output` writes (git usually ignores it)."""
        found = {"@prisma/client": "the classic client's package"}
        for generator in self.generators:
            if generator.output is not None:
                found.setdefault(
                    generator.output,
                    f"generator {generator.name} ({generator.provider}) at "
                    f"{generator.schema}:{generator.line} `output`",
                )
        return list(found.items())

    def _client_module(self, importer: str, specifier: str, hops: int = 0) -> bool:
        """Whether an import gives the PrismaClient class: from @prisma/client, a generated
        client, or a module of the repository passing one of them on (a facade: `export *
        from "@prisma/client"`, `export const PrismaClient = Generated.PrismaClient`)."""
        from . import imports_module

        if any(imports_module(self.project, importer, specifier, m) for m, _ in self.generated):
            return True
        return hops <= 2 and any(
            self._facade(module, hops) for module in self._modules(importer, specifier)
        )

    def _facade(self, module: str, hops: int = 0) -> bool:
        """Whether a module of the repository passes PrismaClient on: it re-exports a client
        module whole or the class by name, or imports the class to export it again."""
        tree = self._tree(module)
        for statement in tree.root_node.children if tree is not None else ():
            source = _source(statement)
            if statement.type not in ("import_statement", "export_statement") or not source:
                continue
            passes = statement.type == "import_statement" or _passes_on(statement)
            if passes and self._client_module(module, source, hops + 1):
                return True
        return False

    @cached_property
    def client_modules(self) -> list[tuple[str, str]]:
        """(module PrismaClient is imported from, why): @prisma/client, the generated clients,
        and the modules of the repository passing the class on that code constructs it from."""
        from ..typescript import string_value, text, walk

        found = dict(self.generated)
        for path in self._naming_client:
            tree = self._tree(path)
            for statement in tree.root_node.children if tree is not None else ():
                source = _source(statement)
                if statement.type != "import_statement" or source is None:
                    continue
                names = [
                    string_value(n) or text(n)
                    for node in walk(statement)
                    if node.type == "import_specifier"
                    and (n := node.child_by_field_name("name")) is not None
                ]
                if "PrismaClient" not in names:
                    continue
                for module in self._modules(path, source):
                    if module not in found and self._facade(module):
                        found[module] = f"passes PrismaClient on (imported by {path})"
        return list(found.items())

    def _modules(self, importer: str, specifier: str) -> list[str]:
        """The repository files an import may be: the module itself (with an extension, or a
        folder's index), or a workspace package's entry point its manifest publishes."""
        from . import import_targets

        # What an import names depends on the importer's folder only (as for the Convex
        # analysis): the thousand modules importing the client's package ask one question.
        key = (posixpath.dirname(importer), specifier)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = []
            for target in import_targets(self.project, importer, specifier):
                candidates = [target, *(target + ext for ext in SOURCE_SUFFIXES)]
                candidates += [f"{target}/index{ext}" for ext in SOURCE_SUFFIXES]
                found += [c for c in candidates if self.repo.file_exists(c)][:1]
        return found

    @cached_property
    def _naming_client(self) -> list[str]:
        """The modules naming PrismaClient outside the generated clients: those constructing
        one are among them."""
        outputs = [m for m, _ in self.generated if not m.startswith("@")]
        return [
            path
            for path in self._grep(_NAMING_CLIENT)
            if not any(path.startswith(output + "/") for output in outputs)
        ]

    def _tree(self, path: str) -> Tree | None:
        try:
            return self.repo.typescript(path)
        except FileProblem:
            return None

    @cached_property
    def clients(self) -> list[tuple[str, str]]:
        """(`module#name`, why) for every top-level binding of a module that holds a Prisma
        client it constructs: `new PrismaClient()` (of an import from a client module), a
        function returning one, `a ?? b`, `x.$extends(…)`, a memoizing call given a function
        returning one (`remember("prisma", () => new PrismaClient())`), an object holding one
        (`export default { client, transaction }`); exported or not, and `default`. Then the
        names other modules of the package pass them on under (`export { prisma as db } from
        "./client"`, `export * from "./client"`)."""
        found: dict[str, str] = {}
        exported: dict[str, dict[str, str]] = {}  # module → exported holder → where it is made
        if not self.packages and not self.schema_files:
            return []  # no Prisma here: nothing to search for
        for path in self._naming_client:
            tree = self._tree(path)
            if tree is None:
                continue
            classes = _imported_names(
                tree, "PrismaClient", lambda s, p=path: self._client_module(p, s)
            )
            for name, line, public in _holders(tree, classes) if classes else ():
                where = f"{path}:{line}"
                found[f"{path}#{name}"] = f"holds a PrismaClient (constructed at {where})"
                if public:
                    exported.setdefault(path, {})[name] = where
        exporting = self._grep(_EXPORTING) if exported else []
        pending = dict(exported)
        for _ in range(4):  # a package's entry re-exports an index that re-exports the module
            passed = self._passed_on(pending, exporting)
            for module, names in passed.items():
                for name, (origin, where) in names.items():
                    found.setdefault(
                        f"{module}#{name}", f"passes on {origin} (constructed at {where})"
                    )
            pending = {m: {n: w for n, (_, w) in names.items()} for m, names in passed.items()}
            if not pending:
                break
        return sorted(found.items())

    def _passed_on(
        self, holders: dict[str, dict[str, str]], exporting: list[str]
    ) -> dict[str, dict[str, tuple]]:
        """Modules of the same packages re-exporting `holders` (module → name → where made):
        module → exported name → (`module#name` passed on, where made). `git grep` lists the
        modules with an `export *` or `export {` statement; those naming a holder's module in
        one are parsed."""
        from . import imports_module

        reexport = reexport_regex(sorted({_module_name(m) for m in holders}))
        packages = {self.project.workspace.package_of(m) or "." for m in holders}
        found: dict[str, dict[str, tuple]] = {}
        for path in exporting:
            if not any(p == "." or path.startswith(p + "/") for p in packages):
                continue
            try:
                if not reexport.search(self.repo.text(path)):
                    continue
            except FileProblem:
                continue
            if (self.project.workspace.package_of(path) or ".") not in packages:
                continue
            tree = self._tree(path)
            for statement in tree.root_node.children if tree is not None else ():
                source = _source(statement)
                if statement.type != "export_statement" or source is None:
                    continue
                for module, made in holders.items():
                    if module == path or not imports_module(self.project, path, source, module):
                        continue
                    for original, alias in _reexported(statement, made):
                        found.setdefault(path, {})[alias] = (f"{module}#{original}", made[original])
        return found

    # Packages and servers --------------------------------------------------------------------

    @cached_property
    def packages(self) -> list[str]:
        """Packages that use Prisma: they declare it, or a workspace package that declares it."""
        workspace = self.project.workspace
        direct = workspace.depending_on(*PRISMA_PACKAGES)
        names = {
            name
            for package in direct
            if isinstance(name := workspace.manifest(package).get("name"), str)
        }
        through = workspace.depending_on(*names) if names else []
        return list(dict.fromkeys([*direct, *through]))

    @cached_property
    def servers(self) -> list[tuple[str, list[str]]]:
        """(package, server frameworks it declares) of the packages using Prisma that are no
        Next.js app."""
        workspace = self.project.workspace
        apps = {app.path for app in self.project.next.apps}
        found = []
        for package in self.packages:
            frameworks = sorted(set(workspace.dependencies(package)) & set(SERVER_FRAMEWORKS))
            if frameworks and package not in apps:
                found.append((package, frameworks))
        return found

    @cached_property
    def critical_path(self) -> list[tuple[str, str]]:
        """(module, why) of the ways in to each Prisma server: the modules that make its app,
        router or socket server (call or construct what they import from the framework:
        `express()`, `new Hono()`, `new Server(httpServer)` of socket.io), and the modules of
        the server that construct a PrismaClient of their own."""
        servers = [package for package, _ in self.servers]
        if not servers:
            return []
        found: dict[str, str] = {}
        packages: dict[str, str | None] = {}  # folder → its package: a folder's files share it
        for path in self._grep(_FRAMEWORK_IMPORT, _NAMING_CLIENT):
            folder = posixpath.dirname(path)
            if folder not in packages:
                packages[folder] = self.project.workspace.package_of(path)
            if packages[folder] not in servers:
                continue
            tree = self._tree(path)
            made = _made_from(tree, SERVER_FRAMEWORKS) if tree is not None else None
            if made:
                found.setdefault(path, f"makes the server: {made}")
        for client, _ in self.clients:
            path = client.partition("#")[0]
            if self.project.workspace.package_of(path) in servers:
                found.setdefault(path, "constructs the server's own PrismaClient")
        return sorted(found.items())


def _manifest(package: str) -> str:
    return "package.json" if package == "." else f"{package}/package.json"


def _stem(path: str) -> str:
    stem, dot, extension = path.rpartition(".")
    return stem if dot and "/" not in extension else path


def _module_name(module: str) -> str:
    """What an import of a module ends with: `client` of `src/client.ts`, `db` of
    `packages/db/index.ts`."""
    stem = _stem(module).rpartition("/")[2]
    return posixpath.dirname(module).rpartition("/")[2] if stem == "index" else stem


def _source(statement: Node) -> str | None:
    """The module an import or `export … from` statement names."""
    from ..typescript import string_value

    source = statement.child_by_field_name("source")
    return string_value(source) if source is not None else None


def _passes_on(statement: Node) -> bool:
    """Whether an `export … from` statement passes PrismaClient on (`export *`, or by name)."""
    from ..typescript import text

    clause = next((c for c in statement.children if c.type == "export_clause"), None)
    if clause is None:
        return any(child.type == "*" for child in statement.children)
    return any(
        text(spec.child_by_field_name("name")) == "PrismaClient" for spec in clause.named_children
    )


def _reexported(statement: Node, names: dict[str, str]) -> list[tuple[str, str]]:
    """(name in the module, name exported here) of the `names` an `export … from` passes on."""
    from ..typescript import text

    clause = next((c for c in statement.children if c.type == "export_clause"), None)
    if clause is None:  # `export * from`: every exported name but the default
        star = any(child.type == "*" for child in statement.children)
        return [(name, name) for name in names if name != "default"] if star else []
    found = []
    for spec in clause.named_children:
        original = text(spec.child_by_field_name("name"))
        alias = spec.child_by_field_name("alias")
        if original in names:
            found.append((original, text(alias) if alias else original))
    return found


def _imported_names(tree: Tree, name: str, accepts) -> set[str]:
    """The local names a module imports `name` under, from modules `accepts(specifier)`."""
    from ..typescript import string_value, text, walk

    found = set()
    for statement in tree.root_node.children:
        source = statement.child_by_field_name("source")
        specifier = string_value(source) if source is not None else None
        if statement.type != "import_statement" or specifier is None:
            continue
        for node in walk(statement):
            if node.type == "import_specifier" and text(node.child_by_field_name("name")) == name:
                alias = node.child_by_field_name("alias")
                local = text(alias) if alias else name
                if accepts(specifier):
                    found.add(local)
    return found


def _unwrap(node: Node) -> Node:
    while (
        node.type
        in (
            "parenthesized_expression",
            "as_expression",
            "satisfies_expression",
            "non_null_expression",
            "await_expression",
        )
        and node.named_children
    ):
        node = node.named_children[0]
    return node


def _holders(tree: Tree, classes: set[str]) -> list[tuple[str, int, bool]]:
    """(top-level name, line of the construction, exported) of the bindings holding a client,
    and the names `export { local as name }` gives them: a fixed point over the module's
    declarations (a holder may be declared after its first use)."""
    from ..typescript import FUNCTIONS, find, line, text

    constructions = [
        node
        for node in find(tree, "new_expression")
        if (c := node.child_by_field_name("constructor")) is not None and text(c) in classes
    ]
    if not constructions:
        return []
    first = line(constructions[0])
    top: dict[str, Node] = {}
    public: dict[str, list[str]] = {}  # local name → the names it is exported under
    exported_default: Node | None = None
    for statement in tree.root_node.children:
        if statement.type == "export_statement":
            if any(child.type == "default" for child in statement.children):
                exported_default = statement.child_by_field_name(
                    "value"
                ) or statement.child_by_field_name("declaration")
                continue
            clause = next((c for c in statement.children if c.type == "export_clause"), None)
            if clause is not None and statement.child_by_field_name("source") is None:
                for spec in clause.named_children:
                    local = text(spec.child_by_field_name("name"))
                    alias = spec.child_by_field_name("alias")
                    public.setdefault(local, []).append(text(alias) if alias else local)
                continue
            declaration = statement.child_by_field_name("declaration")
            for name in _declared_names(declaration) if declaration is not None else ():
                public.setdefault(name, []).append(name)
            statement = declaration or statement
        if statement.type == "function_declaration":
            top[text(statement.child_by_field_name("name"))] = statement
        elif statement.type in ("lexical_declaration", "variable_declaration"):
            for declarator in statement.named_children:
                name = declarator.child_by_field_name("name")
                value = declarator.child_by_field_name("value")
                if name is not None and name.type == "identifier" and value is not None:
                    top[text(name)] = value

    holders: set[str] = set()  # names whose value is a client
    factories: set[str] = set()  # functions returning one

    def client(node: Node | None, scope: Node | None, depth: int = 0) -> bool:
        """Whether an expression gives a client (`scope`: the function it is in)."""
        if node is None or depth > 12:
            return False
        node = _unwrap(node)
        kind = node.type
        if kind == "new_expression":
            constructor = node.child_by_field_name("constructor")
            return constructor is not None and text(constructor) in classes
        if kind == "identifier":
            name = text(node)
            local = _local_value(scope, name) if scope is not None else None
            if local is not None:
                return client(local, scope, depth + 1)
            return name in holders
        if kind == "binary_expression":  # a ?? b, a || b
            return any(
                client(node.child_by_field_name(side), scope, depth + 1)
                for side in ("left", "right")
            )
        if kind == "ternary_expression":
            return any(
                client(node.child_by_field_name(side), scope, depth + 1)
                for side in ("consequence", "alternative")
            )
        if kind == "object":
            return any(
                client(pair.child_by_field_name("value"), scope, depth + 1)
                if pair.type == "pair"
                else pair.type == "shorthand_property_identifier" and text(pair) in holders
                for pair in node.named_children
            )
        if kind == "call_expression":
            function = _unwrap(node.child_by_field_name("function"))
            if function.type == "identifier" and text(function) in factories:
                return True
            if function.type == "member_expression":  # client.$extends(…)
                method = text(function.child_by_field_name("property"))
                if method == "$extends":
                    return client(function.child_by_field_name("object"), scope, depth + 1)
            arguments = node.child_by_field_name("arguments")
            return any(  # remember("prisma", () => new PrismaClient())
                argument.type in FUNCTIONS and returns_client(argument, depth + 1)
                for argument in (arguments.named_children if arguments is not None else ())
            )
        return False

    def returns_client(function: Node, depth: int = 0) -> bool:
        body = function.child_by_field_name("body")
        if body is None:
            return False
        if body.type != "statement_block":  # () => expression
            return client(body, function, depth)
        return any(
            client(
                statement.named_children[0] if statement.named_children else None, function, depth
            )
            for statement in find(tree, "return_statement", within=body)
            if _innermost_function(statement) == function
        )

    changed = True
    while changed:
        changed = False
        for name, value in top.items():
            if name in holders or name in factories:
                continue
            if value.type in FUNCTIONS or value.type == "function_declaration":
                if returns_client(value):
                    factories.add(name)
                    changed = True
            elif client(value, None):
                holders.add(name)
                changed = True
    found = []
    for name in top:
        if name in holders:
            names = public.get(name, [])
            found.append((name, first, name in names))
            found += [(alias, first, True) for alias in names if alias != name]
    if exported_default is not None and client(exported_default, None):
        found.append(("default", first, True))
    return found


def _declared_names(declaration: Node) -> list[str]:
    from ..typescript import text

    if declaration.type == "function_declaration":
        return [text(declaration.child_by_field_name("name"))]
    return [
        text(name)
        for declarator in declaration.named_children
        if (name := declarator.child_by_field_name("name")) is not None
        and name.type == "identifier"
    ]


def _innermost_function(node: Node) -> Node | None:
    from ..typescript import FUNCTIONS

    current = node.parent
    while current is not None and current.type not in FUNCTIONS:
        current = current.parent
    return current


def _local_value(scope: Node, name: str) -> Node | None:
    """The value a function's own `const name = …` gives it."""
    from ..typescript import FUNCTIONS, text

    body = scope.child_by_field_name("body")
    stack = list(body.children) if body is not None else []
    while stack:
        node = stack.pop()
        if node.type in FUNCTIONS:
            continue
        if node.type == "variable_declarator":
            bound = node.child_by_field_name("name")
            if bound is not None and bound.type == "identifier" and text(bound) == name:
                return node.child_by_field_name("value")
        stack.extend(node.children)
    return None


def _made_from(tree: Tree, modules: tuple[str, ...]) -> str | None:
    """The first call or construction of something imported from `modules` themselves
    (`express()`, `express.Router()`, `new Hono()`; not their subpaths' helpers, such as
    `hono/cors`), as written; None when the module only imports types. Found from where the
    source spells an imported name: matching every call of the module costs more."""
    from ..typescript import imports, text

    bound = {local for local, module in imports(tree).items() if module in modules}
    if not bound:
        return None
    root = tree.root_node
    spelled = _spelling(frozenset(bound))
    first = None
    for found in spelled.finditer(root.text):
        name = root.descendant_for_byte_range(found.start(), found.end())
        if name is None or name.type != "identifier" or name.byte_range != found.span():
            continue
        made = _made_with(name)
        if made is not None and (
            first is None or (made.start_byte, -made.end_byte) < (first.start_byte, -first.end_byte)
        ):
            first = made
    if first is None:
        return None
    callee = first.child_by_field_name(
        "function" if first.type == "call_expression" else "constructor"
    )
    shown = " ".join(text(callee).split())
    return f"new {shown}()" if first.type == "new_expression" else f"{shown}()"


@lru_cache(maxsize=64)
def _spelling(names: frozenset[str]) -> re.Pattern[bytes]:
    """Where a source spells one of `names` as a whole name (the modules of a server import
    the same few names: made once)."""
    # The longest name first: of two a position spells, the identifier there is the longer.
    ordered = sorted((name.encode() for name in names), key=len, reverse=True)
    # Each name first and the look back after it: searched for by its first characters, not
    # by trying the look-behind at every position.
    alternatives = [re.escape(n) + rb"(?<![\w$]" + re.escape(n) + rb")" for n in ordered]
    return re.compile(rb"(?:" + b"|".join(alternatives) + rb")(?![\w$])")


def _made_with(name: Node) -> Node | None:
    """The call or `new` whose callee is `name` or a member chain on it (`name.a.b()`)."""
    callee, parent = name, name.parent
    while (
        parent is not None
        and parent.type == "member_expression"
        and parent.child_by_field_name("object") == callee
    ):
        callee, parent = parent, parent.parent
    if parent is None:
        return None
    field = {"call_expression": "function", "new_expression": "constructor"}.get(parent.type)
    return parent if field and parent.child_by_field_name(field) == callee else None


# What a fix may delete ----------------------------------------------------------------------

# The files of a Prisma Migrate folder: what `prisma migrate` writes there.
_MIGRATE_FILES = re.compile(r"migration_lock\.toml|[^/]+/migration\.sql")


def migrations_removal(project: Project, path: str) -> Removal:
    """A Prisma Migrate folder is removed whole when it holds only what `prisma migrate`
    writes (migration_lock.toml, `<name>/migration.sql`); a folder holding anything else (a
    project's own data migrations in TypeScript, a README) stays, named."""
    from . import Removal, listed_problem

    if not project.repo.is_dir(path):
        return Removal([], "it is not a folder")
    files = project.repo.glob(f"{path}/**", files_only=True)
    if not files:
        return Removal([], "it holds no file of the repository")
    others = [f for f in files if not _MIGRATE_FILES.fullmatch(f[len(path) + 1 :])]
    if others:
        return Removal(
            [], listed_problem("it holds files Prisma Migrate does not write", others, path)
        )
    return Removal([path], None)


def schema_removal(project: Project, path: str) -> Removal:
    """A Prisma schema: a `.prisma` file, Prisma's config, or a multi-file schema folder that
    holds `.prisma` files and nothing else but Prisma Migrate folders."""
    from . import Removal, listed_problem

    repo = project.repo
    if not repo.is_dir(path):
        if path.endswith(".prisma") or CONFIG.search(path):
            return Removal([path], None)
        return Removal([], "it is neither a .prisma file nor a prisma.config.*")
    files = repo.glob(f"{path}/**", files_only=True)
    if not any(f.endswith(".prisma") for f in files):
        return Removal([], "it holds no .prisma file")
    migrations = [
        folder
        for folder in {posixpath.dirname(f) for f in files if f.endswith("/migration_lock.toml")}
        if migrations_removal(project, folder).problem is None
    ]
    others = [
        f
        for f in files
        if not f.endswith(".prisma") and not any(f.startswith(m + "/") for m in migrations)
    ]
    if others:
        return Removal([], listed_problem("it holds files that are no Prisma schema", others, path))
    return Removal([path], None)


# Facts ------------------------------------------------------------------------------------------


def schemas(project: Project, binding: dict[str, Any]) -> Discovery:
    from . import Discovery

    found = project.prisma.schemas
    return Discovery.of(
        found,
        "no Prisma schema: no .prisma file, no prisma.config.*",
    )


def migrations(project: Project, binding: dict[str, Any]) -> Discovery:
    from . import Discovery

    found = project.prisma.migrations
    return Discovery.of(
        found,
        "no Prisma Migrate directory (no migration_lock.toml, no `migrations.path` in a "
        "prisma.config.*, no migrations/ beside a schema)",
    )


def generated_clients(project: Project, binding: dict[str, Any]) -> Discovery:
    from . import Discovery

    found = [(m, s) for m, s in project.prisma.generated if not m.startswith("@")]
    return Discovery.of(
        found,
        "no generated Prisma Client: no client generator with an `output` in the schemas",
    )


def client_modules(project: Project, binding: dict[str, Any]) -> Discovery:
    from . import Discovery

    found = project.prisma.client_modules
    return Discovery.of(found, "")


def clients(project: Project, binding: dict[str, Any]) -> Discovery:
    from . import Discovery

    found = project.prisma.clients
    return Discovery.of(
        found,
        "no module constructs a PrismaClient (of @prisma/client or a generated client)",
    )


def server_packages(project: Project, binding: dict[str, Any]) -> Discovery:
    """Node servers that use Prisma: they use it and declare a server framework."""
    from . import Discovery

    found = project.prisma.servers
    return Discovery(
        [package for package, _ in found],
        [f"uses Prisma and {', '.join(frameworks)}" for _, frameworks in found],
        "no server package: none uses Prisma together with a server framework ("
        + ", ".join(SERVER_FRAMEWORKS)
        + ")",
    )


def critical_path(project: Project, binding: dict[str, Any]) -> Discovery:
    from . import Discovery

    found = project.prisma.critical_path
    reason = (
        "no module of a Prisma server makes its app, router or socket server ("
        + ", ".join(SERVER_FRAMEWORKS)
        + ") or constructs a PrismaClient"
    )
    if not project.prisma.servers:
        reason = "no Prisma server (a package using Prisma and a server framework) to start from"
    return Discovery.of(found, reason)


def prisma_sources(project: Project, binding: dict[str, Any]) -> Discovery:
    """The sources of the packages that use Prisma; once none declares it, every package's
    (a call left behind in a package that dropped the dependency is what the check is for)."""
    from . import Discovery

    packages = project.prisma.packages
    why = "uses Prisma"
    if not packages:
        members = [p.path for p in project.workspace.packages if p.member]
        packages = [p for p in members if p != "."] or members
        why = "a package of the workspace (none declares Prisma any more)"
    return Discovery(
        [SOURCES if package == "." else f"{package}/{SOURCES}" for package in packages],
        [f"{package}: {why}" for package in packages],
        "no package in the repository",
    )
