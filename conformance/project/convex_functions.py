"""Convex functions as a deployment sees them, read from the syntax tree (tree-sitter), never run.

A function is an export built from a Convex builder: `query` / `mutation` / `action` (or an
`internal…` one, or `httpAction`) of `_generated/server` or their `…Generic` originals in
`convex/server`; a custom builder made from one of those by convex-helpers (`customQuery`,
`customMutation`, `customAction`, the zod `zCustom…`), defined in the module or in any module it
imports, through any chain of re-exports (`import { mutation } from "../triggers"`); or a
fluent-convex chain (`createBuilder()` … `.query()` … `.use(middleware)` … `.handler(fn)` ending
in `.public()` or `.internal()`). Builders made from internal ones stay internal.

A function establishes its caller when its handler, its builder's customization (`input`,
`customCtx(fn)`) or a middleware of its chain reaches `ctx.auth` — itself, or through helpers it
passes ctx to (same module, imported modules, workspace packages, transitively) — or calls a
known entry point of an auth library (`getAuthUserId` of @convex-dev/auth, the methods of the
client @convex-dev/better-auth's `createClient` makes). Entry points are data: a contract can add
its own.
"""

from __future__ import annotations

import posixpath
import re
from collections import namedtuple
from functools import cache

from ..globs import has_magic
from ..model import FileProblem
from ..typescript import (
    FUNCTIONS,
    add_import_bindings,
    below,
    import_bindings,
    line,
    string_value,
    walk,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from tree_sitter import Node, Tree

    from . import Project

# Builder name → (kind, visibility), as `_generated/server` exports them.
BASE_BUILDERS = {
    "query": ("query", "public"),
    "mutation": ("mutation", "public"),
    "action": ("action", "public"),
    "internalQuery": ("query", "internal"),
    "internalMutation": ("mutation", "internal"),
    "internalAction": ("action", "internal"),
    "httpAction": ("httpAction", "public"),
}
GENERIC_BUILDERS = {f"{name}Generic": value for name, value in BASE_BUILDERS.items()}
CUSTOM_BUILDERS = frozenset(
    {
        "customQuery",
        "customMutation",
        "customAction",
        "zCustomQuery",
        "zCustomMutation",
        "zCustomAction",
    }
)
FLUENT_KINDS = {"query": "query", "mutation": "mutation", "action": "action"}
PUBLISHED = ("public", "internal")  # how a fluent-convex chain registers a function
EXTENSIONS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
# What the auth libraries export that calls ctx.auth.getUserIdentity(), read in the npm packages
# (@convex-dev/auth 0.0.95, @convex-dev/better-auth 0.12.5): a function of a module, or methods of
# what a factory of a module returns (of one `property` of it, when the result is destructured:
# `const { auth } = convexAuth(…)`). `returns` is what a call gives a visitor.
DEFAULT_ENTRY_POINTS = (
    {"module": "@convex-dev/auth/server", "function": "getAuthUserId", "returns": "null"},
    {"module": "@convex-dev/auth/server", "function": "getAuthSessionId", "returns": "null"},
    {
        "module": "@convex-dev/auth/server",
        "factory": "convexAuth",
        "property": "auth",
        "methods": ["getUserId", "getSessionId"],
        "returns": "null",
    },
    {
        "module": "@convex-dev/better-auth",
        "factory": "createClient",
        "methods": ["getAuthUser"],
        "returns": "throws",
    },
    {
        "module": "@convex-dev/better-auth",
        "factory": "createClient",
        "methods": ["safeGetAuthUser", "getHeaders", "getAuth"],
        "returns": "undefined",
    },
)
_MARKER = re.compile(r"conformance-public\b(?:\s*:\s*(?P<reason>\S.*?))?\s*(?:\*/)?\s*$")

Builder = namedtuple("Builder", "kind visibility name where guards")
Builder.__doc__ = """What a function is built with: its kind (query, mutation, action,
httpAction), visibility (public, internal), the name it was written with, where a custom one is
defined (`path:line`, None for Convex's own), and the functions that establish the caller for
every function it builds ((path, node) taking ctx first: an `input`, a `customCtx` function, a
middleware)."""

ConvexFunction = namedtuple("ConvexFunction", "path name line builder handler definition marker")
ConvexFunction.__doc__ = """One function: its module, exported name (`send`, `default`, or the
route of an HTTP action), line, Builder, handler node (None when it cannot be told), the call
that defines it, and the reason of a `// conformance-public: why` marker on it ("" for a marker
without a reason, None without a marker)."""


def _text(node: Node) -> str:
    return node.text.decode("utf-8")


def unwrap(node: Node | None) -> Node | None:
    """An expression without `as T`, `satisfies T`, `!` and parentheses around it."""
    while node is not None and node.type in _WRAPPERS:
        node = node.named_children[0] if node.named_children else None
    return node


_WRAPPERS = frozenset(
    {"as_expression", "satisfies_expression", "non_null_expression", "parenthesized_expression"}
)


# ctx methods that run another function as the same caller (`ctx.runQuery(api.users.me)`): the
# identity goes with the call. The scheduler's do not carry it.
_DELEGATING = {"runQuery", "runMutation", "runAction"}

# What a function's body is read for: by `_reaches`, and by `_throws_in`.
_REACHING = ("variable_declarator", "call_expression")
_THROWING = ("throw_statement", "call_expression")

# How far an import, re-export or helper call is followed: chains in real apps are 1 to 3 deep.
_MAX_HOPS = 8


class ConvexAnalysis:
    """The functions of Convex modules and whether each reaches ctx.auth; one per run."""

    def __init__(self, project: Project, entry_points=DEFAULT_ENTRY_POINTS):
        self.project = project
        self.repo = project.repo
        self.entry_points = list(entry_points)
        # (module, function) → the first entry point naming it.
        self._functions_entered: dict[tuple, dict] = {}
        for entry in self.entry_points:
            key = (entry.get("module"), entry.get("function"))
            self._functions_entered.setdefault(key, entry)
        self._functions: dict[str, list[ConvexFunction]] = {}
        self._builders: dict[tuple, Builder | None] = {}
        self._fluent_bases: dict[tuple, Builder | None] = {}
        # What a called name means (see `_named`): an entry point, a helper function.
        self._entries: dict[tuple, bool] = {}
        self._helpers: dict[tuple, tuple[str, Node] | None] = {}
        self._memo: dict[tuple[str, int, int], bool] = {}
        self._throws: dict[tuple[str, int, int], bool] = {}
        self._depth: dict[tuple[str, int, int], int] = {}
        self._low = 0
        self._top: dict[str, dict[str, Node]] = {}
        self._exports: dict[str, list[tuple[str, str, Node]]] = {}
        # path → local name → the property of the value it was destructured from
        self._destructured: dict[str, dict[str, str]] = {}
        self._imports: dict[str, dict[str, tuple[str, str]]] = {}
        self._modules: dict[tuple[str, str], str | None] = {}
        self._paths: dict[tuple[str, str], tuple[str, ...]] = {}
        self._origins: dict[tuple[str, str], tuple[str, str] | None] = {}
        self._reexports: dict[tuple[str, str, int], tuple[str, str] | None] = {}
        self._exported: dict[tuple[str, str], tuple[str, Node] | None] = {}
        self._imported_origins: dict[tuple[str, str, str, int], tuple[str, str] | None] = {}

    # Modules -------------------------------------------------------------------------------

    def tree(self, path: str) -> Tree | None:
        try:
            return self.repo.typescript(path)
        except FileProblem:
            return None

    def release(self, path: str) -> None:
        """Forget the syntax of a module whose functions have been judged: what was learned
        from it stays (builders, verdicts, imports), and a module that asks for it later has
        it parsed again. Memory then stays bounded by the modules in use, not by the app."""
        self._top.pop(path, None)
        self._exports.pop(path, None)
        self._destructured.pop(path, None)
        self._functions.pop(path, None)
        self.repo.release_typescript(path)

    def bindings(self, path: str) -> dict[str, tuple[str, str]]:
        """Local name → (module specifier, exported name; `default`, or `*` for a namespace)."""
        if path not in self._imports:
            tree = self.tree(path)
            bound = import_bindings(tree) if tree is not None else {}
            self._imports[path] = {local: (m, name) for local, (m, name, _) in bound.items()}
        return self._imports[path]

    def top_level(self, path: str) -> dict[str, Node]:
        """Top-level bindings of a module by name: function declarations, and the value of each
        `const x = …` (exported or not)."""
        if path not in self._top:
            self._statements(path)
        return self._top[path]

    def exports(self, path: str) -> list[tuple[str, str, Node]]:
        """(local name, exported as, statement) of what a module exports itself (not `export
        … from`); the local name of `export default <expression>` is ""."""
        if path not in self._exports:
            self._statements(path)
        return self._exports[path]

    def _statements(self, path: str) -> None:
        """One pass over a module's statements for its top-level bindings and its exports."""
        values: dict[str, Node] = {}
        destructured: dict[str, str] = {}
        exported: list[tuple[str, str, Node]] = []
        tree = self.tree(path)
        # The module's imports are read in the same pass, unless they were read before.
        imported: dict[str, tuple[str, str, bool]] | None = None
        if path not in self._imports:
            imported = {}
        for statement in tree.root_node.children if tree else ():
            declaration = statement
            export = None
            kind = statement.type
            if kind == "import_statement":
                if imported is not None:
                    add_import_bindings(imported, statement)
                continue
            if kind == "comment":
                continue
            if kind == "export_statement":
                declaration = statement.child_by_field_name("declaration")
                # A declaration comes with no `from` and no default value.
                if declaration is not None or not statement.child_by_field_name("source"):
                    export = statement
                    if declaration is None and statement.child_by_field_name("value") is not None:
                        exported.append(("", "default", statement))
                if declaration is None:
                    for clause in statement.children if export is not None else ():
                        if clause.type == "export_clause":
                            for spec in clause.named_children:
                                local = _text(spec.child_by_field_name("name"))
                                alias = spec.child_by_field_name("alias")
                                exported.append((local, _text(alias) if alias else local, export))
                    continue
                kind = declaration.type
            if kind in ("function_declaration", "generator_function_declaration"):
                name = _text(declaration.child_by_field_name("name"))
                values[name] = declaration
                if export is not None and kind == "function_declaration":
                    exported.append((name, name, export))
            elif kind in ("lexical_declaration", "variable_declaration"):
                for declarator in declaration.named_children:
                    name = declarator.child_by_field_name("name")
                    if name is None:
                        continue
                    value = declarator.child_by_field_name("value")
                    if name.type == "identifier":
                        text = _text(name)
                        if export is not None:
                            exported.append((text, text, export))
                        if value is not None:
                            values[text] = value
                    elif name.type == "object_pattern" and value is not None:
                        for key, local in _pattern_names(name):  # `const { auth } = convexAuth()`
                            values[local] = value
                            destructured[local] = key
        self._top[path] = values
        self._destructured[path] = destructured
        self._exports[path] = exported
        if imported is not None and tree is not None:
            self._imports[path] = {local: (m, name) for local, (m, name, _) in imported.items()}

    def module(self, path: str, specifier: str) -> str | None:
        """The repository file an import names: a relative path, or a workspace package's
        (`@acme/backend/convex/lib`); None for other packages and path aliases."""
        key = (_folder(path), specifier)
        if key not in self._modules:
            self._modules[key] = self._module(path, specifier)
        return self._modules[key]

    def _module(self, path: str, specifier: str) -> str | None:
        for base in self._bases(path, specifier):  # an alias may list several folders
            resolved = self._file(base)
            if resolved is not None:
                return resolved
        return None

    def module_paths(self, path: str, specifier: str) -> list[str]:
        """The module paths an import may name, whether or not a file is there (a generated
        client is git-ignored): a relative one, a tsconfig alias's (several when it lists
        several folders), a workspace package's entry; none for other packages."""
        key = (_folder(path), specifier)  # as `module`: the folder decides
        if key not in self._paths:
            self._paths[key] = tuple(self._bases(path, specifier))
        return list(self._paths[key])

    def _bases(self, path: str, specifier: str) -> list[str]:
        """The module paths an import may name, in the order TypeScript tries them: a relative
        one; else the importer's tsconfig `paths` targets, then the workspace package's entry
        its manifest publishes (`exports`, `types`, `main`) — where its source probably is
        when that is build output —, or the path below the package."""
        if specifier.startswith("."):
            base = posixpath.normpath(posixpath.join(posixpath.dirname(path), specifier))
            return [] if base == ".." or base.startswith("../") else [base]
        graph = self.project.imports
        bases = list(graph.aliases(path, specifier))
        package = graph.package_of_specifier(specifier)
        if package is not None:
            from .imports import Entry, built_sources

            _, directory, subpath = package
            try:
                entry = graph.resolver.entry(directory, subpath)
            except FileProblem:
                entry = Entry(None, None)
            if entry.file is not None:
                bases.append(entry.file)
            else:  # only built, or not published: where its source probably is
                sources = [s for built in entry.built for s in built_sources(directory, built)]
                bases += sources or [posixpath.normpath(posixpath.join(directory, subpath))]
        return list(dict.fromkeys(bases))

    def _file(self, base: str) -> str | None:
        """The file a module path without its extension means."""
        stems = [base]
        for extension in (".js", ".jsx", ".mjs", ".cjs"):
            if base.endswith(extension):
                stems.insert(0, base[: -len(extension)])
        candidates = [base, *(stem + ext for stem in stems for ext in EXTENSIONS)]
        candidates += [f"{base}/index{extension}" for extension in EXTENSIONS]
        # One listing of the folder answers for every candidate in it.
        self.repo.prefetch([posixpath.dirname(base) or base])
        for candidate in candidates:
            # A literal `[id]` directory would read as a glob character class.
            if not has_magic(candidate) and self.repo.is_file(candidate):
                return candidate
        return None

    def value(self, path: str, name: str, seen: set | None = None) -> tuple[str, Node] | None:
        """What `name` is bound to in the module at `path`: a top-level value, or an imported
        module's export, followed through re-exports. Imports of packages stay unresolved."""
        found = self.top_level(path).get(name)
        if found is not None:
            return path, found
        module, original = self.bindings(path).get(name, ("", "*"))
        target = self.module(path, module) if original != "*" else None
        if not target:
            return None
        if seen is not None:
            return self.exported(target, original, seen)
        # Every module importing `requireUser` from `./lib/auth` asks the same: look once.
        key = (target, original)
        if key not in self._exported:
            self._exported[key] = self.exported(target, original, set())
        return self._exported[key]

    def exported(self, path: str, name: str, seen: set) -> tuple[str, Node] | None:
        """The value a module exports as `name`, following `export … from` and `export *`."""
        if (path, name) in seen:
            return None
        seen.add((path, name))
        tree = self.tree(path)
        for statement in tree.root_node.children if tree else ():
            if statement.type != "export_statement":
                continue
            source = statement.child_by_field_name("source")
            origin = self.module(path, string_value(source) or "") if source else None
            if name == "default" and any(c.type == "default" for c in statement.children):
                value = statement.child_by_field_name("declaration")
                value = value or statement.child_by_field_name("value")
                if value is not None and value.type == "identifier":
                    return self.value(path, _text(value), seen)
                return (path, value) if value is not None else None
            clause = next((c for c in statement.children if c.type == "export_clause"), None)
            for spec in clause.named_children if clause else ():
                local = _text(spec.child_by_field_name("name"))
                alias = spec.child_by_field_name("alias")
                if (_text(alias) if alias else local) != name:
                    continue
                if source is None:
                    return self.value(path, local, seen)
                return self.exported(origin, local, seen) if origin else None
            if (
                clause is None
                and origin is not None
                and not statement.child_by_field_name("declaration")
            ):
                found = self.exported(origin, name, seen)  # `export * from "./m"`
                if found is not None:
                    return found
        found = self.top_level(path).get(name)
        return (path, found) if found is not None else None

    def origin(self, path: str, name: str, hops: int = 0) -> tuple[str, str] | None:
        """(module, exported name) when `name` comes from a package or from the generated
        server module — through imports, and through local modules re-exporting it
        (`export { mutation } from "./_generated/server"`); None when the repository defines it."""
        key = (path, name)
        if hops == 0 and key in self._origins:
            return self._origins[key]
        found = self._origin(path, name, hops)
        if hops == 0:
            self._origins[key] = found
        return found

    def _origin(self, path: str, name: str, hops: int) -> tuple[str, str] | None:
        module, original = self.bindings(path).get(name, ("", ""))
        if not module or hops > _MAX_HOPS:
            return None
        # What an import names depends on the importer's folder only: a module of `convex/`
        # importing `query` from "./_generated/server" asks what the others asked.
        key = (_folder(path), module, original, hops)
        if key not in self._imported_origins:
            self._imported_origins[key] = self._imported_origin(path, module, original, hops)
        return self._imported_origins[key]

    def _imported_origin(
        self, path: str, module: str, original: str, hops: int
    ) -> tuple[str, str] | None:
        if _generated_server(module):
            return module, original
        target = self.module(path, module)
        if target is None:
            return module, original
        found = self._reexported(target, original, hops + 1)
        if found is None and not module.startswith("."):
            # A workspace package defining it is still that package to its importers (the
            # repository of convex-helpers imports `convex-helpers/server/customFunctions`).
            return module, original
        return found

    def _reexported(self, path: str, name: str, hops: int) -> tuple[str, str] | None:
        # Every module importing a builder from `./triggers` asks the same: read it once.
        key = (path, name, hops)
        if key not in self._reexports:
            self._reexports[key] = self._reexported_from(path, name, hops)
        return self._reexports[key]

    def _reexported_from(self, path: str, name: str, hops: int) -> tuple[str, str] | None:
        if hops > _MAX_HOPS:
            return None
        tree = self.tree(path)
        for statement in tree.root_node.children if tree else ():
            clause = next((c for c in statement.children if c.type == "export_clause"), None)
            if statement.type != "export_statement" or clause is None:
                continue
            source = statement.child_by_field_name("source")
            for spec in clause.named_children:
                local = _text(spec.child_by_field_name("name"))
                alias = spec.child_by_field_name("alias")
                if (_text(alias) if alias else local) != name:
                    continue
                if source is None:  # `import { x } from "pkg"; export { x }`
                    return self.origin(path, local, hops + 1)
                specifier = string_value(source) or ""
                target = self.module(path, specifier)
                if _generated_server(specifier) or target is None:
                    return specifier, local
                return self._reexported(target, local, hops + 1)
        if name in self.bindings(path) and name not in self.top_level(path):
            return self.origin(path, name, hops + 1)
        return None

    # Builders ------------------------------------------------------------------------------

    def builder(self, path: str, node: Node | None, depth: int = 0) -> Builder | None:
        """The builder an expression means, or None when it is no Convex builder."""
        node = unwrap(node)
        if node is None or depth > 20:
            return None
        if node.type == "identifier":
            key = self._named(path, node.text.decode("utf-8"))
        else:
            key = (path, node.start_byte, node.end_byte)  # a call and its callee start together
        if key in self._builders:
            return self._builders[key]
        self._builders[key] = None  # a cycle means nothing
        found = self._builder(path, node, depth)
        self._builders[key] = found
        return found

    def _named(self, path: str, name: str) -> tuple:
        """What a name means in a module, as a key: the import it names when the module does
        not define it (every module of a folder importing `query` from "./_generated/server"
        means one thing by it), else the module's own binding."""
        if name not in self.top_level(path):
            imported = self.bindings(path).get(name)
            if imported is not None:
                return (_folder(path), *imported, name)
        return (path, name)

    def _builder(self, path: str, node: Node, depth: int) -> Builder | None:
        if node.type == "identifier":
            name = _text(node)
            source = self.origin(path, name)
            if source is not None:
                return _base(*source)
            bound = self.value(path, name)
            if bound is None:
                return None
            found = self.builder(*bound, depth + 1)
            if found is not None and found.where is not None and found.name is None:
                return Builder(found.kind, found.visibility, name, found.where, found.guards)
            return found
        if node.type == "member_expression":  # `server.query` of `import * as server`
            target, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
            module, original = self.bindings(path).get(_text(target), ("", ""))
            if original == "*" and _generated_server(module):
                return _base(module, _text(prop))
            return None
        if node.type != "call_expression":
            return None
        callee = unwrap(node.child_by_field_name("function"))
        if callee is not None and callee.type == "identifier":
            source = self.origin(path, _text(callee))
            if (
                source is not None
                and source[1] in CUSTOM_BUILDERS
                and source[0].startswith("convex-helpers")
            ):
                return self._custom(path, node, depth)
            made = self._made(path, callee, depth)
            if made is not None:
                return made
        return self._fluent(path, node, depth)

    def _made(self, path: str, callee: Node, depth: int) -> Builder | None:
        """The builder a factory of the repository returns: `orgRoleMutation(["owner"])` where
        `const orgRoleMutation = (roles) => customMutation(mutation, …)`."""
        functions = self._function(path, callee)
        if not functions:
            return None
        where, function = functions[0]
        body = function.child_by_field_name("body")
        if body is None:
            return None
        if body.type != "statement_block":
            return self.builder(where, body, depth + 1)
        for statement in body.named_children:
            if statement.type == "return_statement" and statement.named_children:
                return self.builder(where, statement.named_children[0], depth + 1)
        return None

    def _custom(self, path: str, call: Node, depth: int) -> Builder | None:
        """`customQuery(base, customization)`: the base's kind and visibility, and the guards of
        both."""
        arguments = [
            a for a in call.child_by_field_name("arguments").named_children if a.type != "comment"
        ]
        base = self.builder(path, arguments[0], depth + 1) if arguments else None
        if base is None or base.kind == "httpAction":
            return None
        guards = list(base.guards)
        if len(arguments) > 1:
            guards += self._customization(path, arguments[1])
        where = f"{path}:{call.start_point[0] + 1}"
        return Builder(base.kind, base.visibility, None, where, tuple(guards))

    def _customization(self, path: str, node: Node, hops: int = 0) -> list[tuple[str, Node]]:
        """The functions of a customization that receive ctx: `input` of `{ args, input }`,
        the function of `customCtx(fn)`."""
        node = unwrap(node)
        if node is None or hops > 5:
            return []
        if node.type == "identifier":
            bound = self.value(path, _text(node))
            return self._customization(*bound, hops + 1) if bound else []
        if node.type == "call_expression":
            callee = unwrap(node.child_by_field_name("function"))
            source = self.origin(path, _text(callee)) if callee.type == "identifier" else None
            arguments = node.child_by_field_name("arguments").named_children
            if source is not None and source[1] == "customCtx" and arguments:
                return self._function(path, arguments[0])
            return []
        if node.type == "object":
            for member in node.named_children:
                if (
                    member.type == "method_definition"
                    and _text(member.child_by_field_name("name")) == "input"
                ):
                    return [(path, member)]
                if (
                    member.type == "pair"
                    and _text(member.child_by_field_name("key")).strip("\"'") == "input"
                ):
                    return self._customization(path, member.child_by_field_name("value"), hops + 1)
            return []
        if node.type in FUNCTIONS:
            return [(path, node)]
        return []

    def _function(self, path: str, node: Node) -> list[tuple[str, Node]]:
        node = unwrap(node)
        if node is None:
            return []
        if node.type in FUNCTIONS:
            return [(path, node)]
        if node.type == "identifier":
            bound = self.value(path, _text(node))
            if bound is not None:
                return self._function(*bound)
        return []

    def _fluent(self, path: str, node: Node, depth: int, calls=None) -> Builder | None:
        """A fluent-convex chain: `root.query().use(m).input(…).handler(fn)[.public()]`. The
        chain is a builder whose kind its `.query()`/`.mutation()`/`.action()` call sets; its
        guards are the middlewares (`.use(m)`), inherited from the chain it extends. `calls`
        is `chain_of(node)` when the caller has it already."""
        calls = calls or chain_of(node)
        if calls is None:
            return None
        root, steps = calls
        base: Builder | None = None
        root = unwrap(root)
        if root is not None and root.type == "identifier":
            name = _text(root)
            if depth:
                base = self._fluent_base(path, name, depth)
            else:  # no builder is being worked out: what the name means decides, once
                key = self._named(path, name)
                if key not in self._fluent_bases:
                    self._fluent_bases[key] = self._fluent_base(path, name, depth)
                base = self._fluent_bases[key]
        elif (
            root is not None
            and root.type == "call_expression"
            and _is_fluent_root(self, path, root)
        ):
            base = Builder(None, "public", None, None, ())
        if base is None:
            return None
        kind, visibility, guards = base.kind, base.visibility, list(base.guards)
        for method, arguments in steps:
            if method in FLUENT_KINDS:
                kind = FLUENT_KINDS[method]
            elif method == "use" and arguments:
                guards += self._middleware(path, arguments[0])
            elif method in ("public", "internal"):
                visibility = method
            elif method in ("handler", "input", "returns", "args"):
                continue
            elif method == "createMiddleware":
                return None  # a middleware, not a builder
        # Extending a chain defined elsewhere (`authedQuery.input(…)`), that chain is the builder;
        # otherwise this chain is (where it is a builder's definition).
        name = _text(root) if base.where is not None and root.type == "identifier" else None
        where = base.where or f"{path}:{node.start_point[0] + 1}"
        return Builder(kind, visibility, name, where, tuple(guards))

    def _fluent_base(self, path: str, name: str, depth: int) -> Builder | None:
        """The builder a chain's root name stands for: a chain defined elsewhere, or
        fluent-convex's `createBuilder()` (a builder of no kind yet); None otherwise."""
        if self.origin(path, name) is not None:
            return None
        bound = self.value(path, name)
        base = self.builder(*bound, depth + 1) if bound else None
        if base is None and bound is not None and _is_fluent_root(self, *bound):
            base = Builder(None, "public", None, None, ())
        return base

    def _middleware(self, path: str, node: Node, hops: int = 0) -> list[tuple[str, Node]]:
        """The function of a middleware: `x.createMiddleware(fn)`, a function given directly,
        or a name bound to either."""
        node = unwrap(node)
        if node is None or hops > 5:
            return []
        if node.type == "identifier":
            bound = self.value(path, _text(node))
            return self._middleware(*bound, hops + 1) if bound else []
        if node.type == "call_expression":
            callee = unwrap(node.child_by_field_name("function"))
            if (
                callee.type == "member_expression"
                and _text(callee.child_by_field_name("property")) == "createMiddleware"
            ):
                arguments = node.child_by_field_name("arguments").named_children
                return self._function(path, arguments[0]) if arguments else []
            return []
        return self._function(path, node)

    # Functions -----------------------------------------------------------------------------

    def functions(self, path: str) -> list[ConvexFunction]:
        """Every Convex function a module exports (internal ones too), in source order; HTTP
        actions also when routed inline (`http.route({ handler: httpAction(…) })`)."""
        if path not in self._functions:
            self._functions[path] = self._module_functions(path)
        return self._functions[path]

    def _module_functions(self, path: str) -> list[ConvexFunction]:
        tree = self.tree(path)
        if tree is None:
            return []
        found: list[ConvexFunction] = []
        seen_http: set[int] = set()
        top = self.top_level(path)
        # A module that never writes the marker has none on any of its functions.
        marked = "conformance-public" in self.repo.text(path)
        for local, name, statement in self.exports(path):
            value = (
                statement.child_by_field_name("value")
                if name == "default" and not local
                else top.get(local)
            )
            call = unwrap(value)
            if call is None or call.type != "call_expression":
                continue
            defined = self._definition(path, call)
            if defined is None:
                continue
            builder, handler = defined
            if builder.kind == "httpAction":
                seen_http.add(call.start_byte)
            marker = _marker(tree, statement) if marked else None
            found.append(
                ConvexFunction(
                    path, name, line(call if local else statement), builder, handler, call, marker
                )
            )
        # HTTP actions are reachable through the router, not through exports.
        # (Asked of the text the tree was read from: the root's text would be copied out.)
        routed = walk(tree.root_node) if "httpAction" in self.repo.text(path) else ()
        for node in routed:
            if node.type != "call_expression" or node.start_byte in seen_http:
                continue
            callee = unwrap(node.child_by_field_name("function"))
            if callee is None or callee.type != "identifier":
                continue
            builder = _base(*self.origin(path, _text(callee)) or ("", ""))
            if builder is None or builder.kind != "httpAction":
                continue
            parent = node.parent
            if parent.type == "variable_declarator":
                name = _text(parent.child_by_field_name("name"))
            else:  # `http.route({ path, method, handler: httpAction(…) })`
                route = parent.parent if parent.type == "pair" else None
                path_node = _property(route, "path") or _property(route, "pathPrefix")
                method = _property(route, "method")
                shown = [string_value(n) or _text(n) for n in (method, path_node) if n is not None]
                name = " ".join(shown) or "httpAction(…)"
            found.append(
                ConvexFunction(path, name, line(node), builder, handler_of(node), node, None)
            )
        return found

    def _definition(self, path: str, call: Node) -> tuple[Builder, Node | None] | None:
        """(builder, handler) of a call defining a Convex function."""
        callee = unwrap(call.child_by_field_name("function"))
        if callee is None:
            return None
        if callee.type == "member_expression":  # a chain: no other call is one
            calls = chain_of(call)
            chain = self._fluent(path, call, 0, calls)
            # fluent-convex registers only a chain ending in `.public()` or `.internal()`.
            if chain is not None and chain.kind is not None and calls[1][-1][0] in PUBLISHED:
                if chain.where == f"{path}:{call.start_point[0] + 1}":  # from createBuilder()
                    chain = chain._replace(where=None)
                return chain, _fluent_handler(calls)
        builder = self.builder(path, callee)
        if builder is None or builder.kind is None:
            return None
        return builder, handler_of(call)

    # Authentication ------------------------------------------------------------------------

    def authenticates(self, function: ConvexFunction) -> bool:
        """Whether the handler, or a guard of its builder, reaches ctx.auth."""
        if function.handler is not None and self.reaches(function.path, function.handler, 0):
            return True
        return any(self.reaches(path, node, 0) for path, node in function.builder.guards)

    def reaches(self, path: str, node: Node, position: int) -> bool:
        """Whether a function, given the Convex ctx as its parameter number `position`, calls a
        `ctx.auth` method or an auth library's entry point, itself or through the helpers it
        passes ctx to."""
        kind = node.type
        if kind in FUNCTIONS:
            target = (path, node)
        elif kind in ("identifier", "shorthand_property_identifier"):
            bound = self.value(path, _text(node))
            target = self._function(*bound)[0] if bound and self._function(*bound) else None
        else:
            target = None
        if target is None:
            return False
        key = (target[0], target[1].start_byte, position)
        if key in self._memo:
            return self._memo[key]
        if key in self._depth:  # a cycle: this path proves nothing
            self._low = min(self._low, self._depth[key])
            return False
        start = _start(target[1], position)
        if start is None:  # a "no" that leans on nothing else
            self._memo[key] = False
            return False
        depth = self._depth[key] = len(self._depth)
        outer_low, self._low = self._low, depth
        result = self._reaches(target[0], *start)
        del self._depth[key]
        # A "no" that leaned on a function still being decided further up may yet turn "yes".
        if result or self._low >= depth:
            self._memo[key] = result
        self._low = min(outer_low, self._low)
        return result

    def _reaches(
        self, path: str, body: Node, written: bytes, ctx: set[str], auth: set[str], quiet: bool
    ) -> bool:
        """`reaches` of a function `_start` did not answer: from its body (and the body's
        text), the names of ctx and of ctx.auth, and whether the body spells neither `auth`
        nor `run`."""
        # A body that spells neither `auth` nor `run` can only give ctx to a call: the calls
        # it gives ctx to are found where it spells ctx's names, without a query over it.
        given = _given(body, written, ctx) if quiet and not auth else None
        if given is not None:
            return self._reaches_through(path, given, ctx)
        nodes = below(body, path, *_REACHING)
        for node in nodes:  # `const { auth } = ctx;`, `const c = ctx;`
            if node.type != "variable_declarator":
                continue
            value, bound = node.child_by_field_name("value"), node.child_by_field_name("name")
            # Only an identifier's text is a name (and reading a long value's text is slow).
            if value is None or value.type != "identifier" or _text(value) not in ctx:
                continue
            if bound.type == "object_pattern":
                auth |= aliases(bound, "auth")
            elif bound.type == "identifier":
                ctx.add(_text(bound))
        calls = [
            (node, node.child_by_field_name("function"))
            for node in nodes
            if node.type == "call_expression"
        ]
        # What the body does not spell it cannot call: `ctx.auth.…` and `ctx.run…` are read
        # only in the bodies that write `auth` (or take it destructured) and `run`.
        for _, callee in calls if auth or b"auth" in written else ():
            if callee.type != "member_expression":
                continue
            target = callee.child_by_field_name("object")
            if target.type == "identifier" and _text(target) in auth:
                return True
            if (
                target.type == "member_expression"
                and _text(target.child_by_field_name("property")) == "auth"
                and _text(target.child_by_field_name("object")) in ctx
            ):
                return True
        if not ctx:
            return False
        for call, callee in calls if b"run" in written else ():
            if (
                callee.type == "member_expression"
                and _text(callee.child_by_field_name("property")) in _DELEGATING
                and _text(callee.child_by_field_name("object")) in ctx
            ):
                called = self.referenced(path, call.child_by_field_name("arguments"))
                if called is not None and self.authenticates(called):
                    return True
        names = [name.encode("utf-8") for name in ctx]
        given = []
        for call, _ in calls:
            arguments = call.child_by_field_name("arguments")
            if arguments is None or arguments.type != "arguments":
                continue
            # A call that is not passed ctx does not spell its name (the text is read in C).
            if any(name in arguments.text for name in names):
                given.append(call)
        return self._reaches_through(path, given, ctx)

    def _reaches_through(self, path: str, calls: list[Node], ctx: set[str]) -> bool:
        """Whether one of `calls` (in source order), given a name of ctx as an argument, is an
        entry point or a helper that reaches ctx.auth with it."""
        for call in calls:
            callee = call.child_by_field_name("function")
            arguments = call.child_by_field_name("arguments")
            for index, argument in enumerate(arguments.named_children):
                if argument.type != "identifier" or _text(argument) not in ctx:
                    continue
                if self._is_entry_point(path, callee):
                    return True
                helper = self._helper(path, callee)
                if helper is not None and self.reaches(*helper, index):
                    return True
        return False

    def _is_entry_point(self, path: str, callee: Node) -> bool:
        """`is_entry_point`, asked once per import of a called name (every module of a folder
        calling `requireUser` imported from "./lib/auth" asks the same)."""
        key = self._imported_name(path, callee)
        if key is None:
            return self.is_entry_point(path, callee)
        if key not in self._entries:
            self._entries[key] = self.is_entry_point(path, callee)
        return self._entries[key]

    def _helper(self, path: str, callee: Node) -> tuple[str, Node] | None:
        """`_callee`, asked once per import of a called name."""
        key = self._imported_name(path, callee)
        if key is None:
            return self._callee(path, callee)
        if key not in self._helpers:
            self._helpers[key] = self._callee(path, callee)
        return self._helpers[key]

    def _imported_name(self, path: str, callee: Node) -> tuple | None:
        """What a called name means when the module imports it (see `_named`), else None: a
        module's own names are not kept (what they hold would keep its syntax tree)."""
        if callee.type != "identifier":
            return None
        key = self._named(path, callee.text.decode("utf-8"))
        return key if key[0] != path else None

    def referenced(self, path: str, arguments: Node | None) -> ConvexFunction | None:
        """The function the first argument names through the generated API
        (`api.integrations.github.queries.getConnection`, `internal.users.get`), None when it
        names another way or nothing in the repository."""
        first = arguments.named_children[0] if arguments and arguments.named_children else None
        parts: list[str] = []
        node = unwrap(first)
        while node is not None and node.type == "member_expression":
            parts.insert(0, _text(node.child_by_field_name("property")))
            node = unwrap(node.child_by_field_name("object"))
        if node is None or node.type != "identifier" or len(parts) < 2:
            return None
        specifier, original = self.bindings(path).get(_text(node), ("", ""))
        generated = re.sub(r"\.[mc]?[jt]s$", "", specifier)
        if original not in ("api", "internal") or not generated.endswith("_generated/api"):
            return None
        for api in self._bases(path, generated):
            functions_dir = posixpath.dirname(posixpath.dirname(api))
            module = self._file(posixpath.join(functions_dir, *parts[:-1]))
            if module is not None:
                return next((f for f in self.functions(module) if f.name == parts[-1]), None)
        return None

    def throws(self, path: str, function: Node, position: int, depth: int = 0) -> bool:
        """Whether a function given ctx as its parameter number `position` throws somewhere,
        itself or in a helper it passes ctx to, or calls an entry point that throws for
        visitors: a guard's result may then go unchecked. One that never throws answers a
        visitor with a value its caller has to check."""
        key = (path, function.start_byte, position)
        if key not in self._throws:
            # A cycle cut short says "no": the guard then checks the result, which is safe.
            self._throws[key] = self._throws_in(path, function, position, depth)
        return self._throws[key]

    def _throws_in(self, path: str, function: Node, position: int, depth: int) -> bool:
        parameters = parameters_of(function)
        body = function.child_by_field_name("body")
        if position >= len(parameters) or body is None or depth > _MAX_HOPS:
            return False
        pattern = parameters[position].child_by_field_name("pattern") or parameters[position]
        nodes = below(body, path, *_THROWING)
        if any(node.type == "throw_statement" for node in nodes):
            return True
        name = pattern.text
        for call in (node for node in nodes if node.type == "call_expression"):
            arguments = call.child_by_field_name("arguments")
            if arguments is None or arguments.type != "arguments" or name not in arguments.text:
                continue
            for index, argument in enumerate(arguments.named_children):
                if _text(argument) != _text(pattern):
                    continue
                callee = call.child_by_field_name("function")
                entry = self.entry_point(path, callee)
                if entry is not None:
                    if entry.get("returns") == "throws":
                        return True
                    continue
                helper = self._callee(path, callee)
                if helper is not None and self.throws(*helper, index, depth + 1):
                    return True
        return False

    def is_entry_point(self, path: str, callee: Node) -> bool:
        """Whether a callee is an auth library's entry point: an imported function, or a method
        of the object a library's factory made (`authComponent.getAuthUser`)."""
        return self.entry_point(path, callee) is not None

    def entry_point(self, path: str, callee: Node) -> dict | None:
        """The entry point a callee is (see DEFAULT_ENTRY_POINTS), or None."""
        callee = unwrap(callee)
        if callee.type == "identifier":
            source = self.origin(path, _text(callee))
            return self._functions_entered.get(source) if source is not None else None
        if callee.type != "member_expression":
            return None
        method = _text(callee.child_by_field_name("property"))
        target = unwrap(callee.child_by_field_name("object"))
        made = self._made_by(path, _text(target)) if target.type == "identifier" else None
        if made is None:
            return None
        module, factory, properties = made
        return next(
            (
                e
                for e in self.entry_points
                if method in e.get("methods", ())
                and (e["module"], e.get("factory")) == (module, factory)
                and (e["property"] in properties if e.get("property") else not properties)
            ),
            None,
        )

    def _made_by(self, path: str, name: str) -> tuple[str, str, frozenset] | None:
        """(package, factory, properties) when `name` is bound to `factory(…)` imported from a
        package; `properties` are the ones destructured from its result (empty when none is)."""
        bound = self.value(path, name)
        if bound is None:
            return None
        where, node = bound
        node = unwrap(node)
        if node is None or node.type != "call_expression":
            return None
        callee = unwrap(node.child_by_field_name("function"))
        source = self.origin(where, _text(callee)) if callee.type == "identifier" else None
        if source is None:
            return None
        top = self.top_level(where)
        properties = frozenset(
            key
            for local, key in self._destructured[where].items()
            if unwrap(top.get(local)).start_byte == node.start_byte
        )
        return source[0], source[1], properties

    def _callee(self, path: str, callee: Node) -> tuple[str, Node] | None:
        callee = unwrap(callee)
        if callee.type == "identifier":
            bound = self.value(path, _text(callee))
            functions = self._function(*bound) if bound else []
            return functions[0] if functions else None
        if callee.type == "member_expression":  # `auth.requireUser(ctx)` on `import * as auth`
            module, original = self.bindings(path).get(
                _text(callee.child_by_field_name("object")), ("", "")
            )
            target = self.module(path, module) if original == "*" else None
            if target is not None:
                bound = self.exported(target, _text(callee.child_by_field_name("property")), set())
                functions = self._function(*bound) if bound else []
                return functions[0] if functions else None
        return None


@cache
def _unmembered(name: str | bytes) -> re.Pattern:
    """`name` written as a whole word and not as the object of a member (`ctx,`, `ctx)`,
    `= ctx;`, `...ctx`, but not `ctx.db` nor `ctx?.db`): where a body may give it on."""
    word = _word(name if isinstance(name, bytes) else name.encode("utf-8"))
    return re.compile(word + rb"(?!\s*(?:\.|\?\.(?!\d)))")


def _start(function: Node, position: int) -> tuple | None:
    """What `_reaches` starts from — (body, its text, names of ctx, names of ctx.auth,
    whether the body spells neither `auth` nor `run`) — or None when the function, given ctx
    as its parameter number `position`, cannot reach ctx.auth (a "no" without a query)."""
    body = function.child_by_field_name("body")
    parameter = _parameter(function, position)
    if parameter is None or body is None:
        return None
    pattern = parameter.child_by_field_name("pattern") or parameter
    kind = pattern.type
    written = body.text
    quiet = b"auth" not in written and b"run" not in written
    if kind == "identifier":
        name = pattern.text
        # Without `auth` or `run`, only a call given ctx could reach it, and a body that writes
        # ctx only before a `.` (`ctx.db`) gives it to no call nor name.
        if quiet and (name not in written or not _unmembered(name).search(written)):
            return None
        ctx, auth = {name.decode("utf-8")}, set()
    elif kind == "object_pattern":
        # fluent-convex's earlier handlers took `({ context, input })`.
        ctx, auth = aliases(pattern, "context"), aliases(pattern, "auth")
        if quiet and not auth and not any(_unmembered(n).search(written) for n in ctx):
            return None
    elif quiet:
        return None
    else:
        ctx, auth = set(), set()
    return body, written, ctx, auth, quiet


def _given(body: Node, written: bytes, ctx: set[str]) -> list[Node] | None:
    """The calls under `body` (its text `written`) given a name of `ctx` as an argument, in
    source order (what `below` would list, filtered), found from where the text spells those
    names; None when a name is the value of a declaration (`const c = ctx`, which names ctx
    anew: the query path follows it)."""
    calls: dict[tuple[int, int], Node] = {}
    offset = body.start_byte
    for name in ctx:
        for spelled in _whole_word(name).finditer(written):
            start, end = offset + spelled.start(), offset + spelled.end()
            node = body.descendant_for_byte_range(start, end)
            if node is None or node.type != "identifier" or node.byte_range != (start, end):
                continue  # in a string, a comment, a longer name
            parent = node.parent
            if parent.type == "variable_declarator" and parent.child_by_field_name("value") == node:
                return None
            if parent.type != "arguments":
                continue
            call = parent.parent
            if call.type == "call_expression" and call.child_by_field_name("arguments") == parent:
                calls[(call.start_byte, -call.end_byte)] = call
    return [calls[key] for key in sorted(calls)]


@cache
def _whole_word(name: str) -> re.Pattern:
    return re.compile(_word(name.encode("utf-8")))


def _word(name: bytes) -> bytes:
    """A regex of `name` as a whole word: not after nor before a letter, digit, `_` or `$`.
    The name comes first, the look back after it: a pattern starting with its literal is
    searched for as a string (ten times faster than trying the look-behind everywhere)."""
    word = re.escape(name)
    return word + rb"(?<![\w$]" + word + rb")(?![\w$])"


def _folder(path: str) -> str:
    """The folder of a repository path (normalized: `posixpath.dirname`, at a third of its
    cost), as a key of what the modules of one folder share."""
    return path.rpartition("/")[0]


def _generated_server(module: str) -> bool:
    return module.removesuffix(".js").split("/")[-2:] == ["_generated", "server"] or (
        module == "convex/server"
    )


def _base(module: str, name: str) -> Builder | None:
    if module == "convex/server":
        found = GENERIC_BUILDERS.get(name)
    elif _generated_server(module):
        found = BASE_BUILDERS.get(name)
    else:
        return None
    return Builder(found[0], found[1], name, None, ()) if found else None


def chain_of(node: Node) -> tuple[Node, list[tuple[str, list[Node]]]] | None:
    """A method chain `root.a(x).b(y)` → (root, [("a", [x]), ("b", [y])]); None otherwise."""
    steps: list[tuple[str, list[Node]]] = []
    current = unwrap(node)
    # `unwrap` is called only on a wrapper: a chain's links rarely are, and there are many.
    while current is not None and current.type == "call_expression":
        callee = current.child_by_field_name("function")
        if callee is not None and callee.type in _WRAPPERS:
            callee = unwrap(callee)
        if callee is None or callee.type != "member_expression":
            break
        arguments = current.child_by_field_name("arguments")
        values = [a for a in arguments.named_children if a.type != "comment"] if arguments else []
        steps.append((callee.child_by_field_name("property").text.decode("utf-8"), values))
        current = callee.child_by_field_name("object")
        if current is not None and current.type in _WRAPPERS:
            current = unwrap(current)
    if not steps:
        return None
    return current, list(reversed(steps))


def _fluent_handler(chain: tuple[Node, list[tuple[str, list[Node]]]]) -> Node | None:
    """The function of a chain's last `.handler(fn)`."""
    for method, arguments in reversed(chain[1]):
        if method == "handler" and arguments:
            return arguments[0]
    return None


def _is_fluent_root(analysis: ConvexAnalysis, path: str, node: Node) -> bool:
    """`createBuilder<DataModel>()` imported from fluent-convex."""
    node = unwrap(node)
    if node is None or node.type != "call_expression":
        return False
    callee = unwrap(node.child_by_field_name("function"))
    if callee is None or callee.type != "identifier":
        return False
    source = analysis.origin(path, _text(callee))
    return (
        source is not None
        and source[0].startswith("fluent-convex")
        and source[1] == "createBuilder"
    )


def _property(obj: Node | None, key: str) -> Node | None:
    """The value of `key` in an object literal (a method counts as its own value)."""
    if obj is None or obj.type != "object":
        return None
    written = key.encode("utf-8")  # compared as written, without decoding every key
    for member in obj.named_children:
        kind = member.type
        if kind == "pair" and member.child_by_field_name("key").text.strip(b"\"'") == written:
            return member.child_by_field_name("value")
        if kind == "method_definition" and member.child_by_field_name("name").text == written:
            return member
        if kind == "shorthand_property_identifier" and member.text == written:
            return member
    return None


def handler_of(call: Node) -> Node | None:
    """The handler of `builder({ handler })` or `builder(handler)`: a function or a name."""
    arguments = call.child_by_field_name("arguments")
    for first in arguments.named_children if arguments else ():
        if first.type == "object":
            return _property(first, "handler")
        if first.type != "comment":
            return first
    return None


def _parameter(function: Node, position: int) -> Node | None:
    """`parameters_of(function)[position]`, or None when there are not that many."""
    single = function.child_by_field_name("parameter")  # `ctx => …`
    if single is not None:
        return single if position == 0 else None
    parameters = function.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters else ():
        if parameter.type in _PARAMETERS:
            if position == 0:
                return parameter
            position -= 1
    return None


_PARAMETERS = ("required_parameter", "optional_parameter")


def parameters_of(function: Node) -> list[Node]:
    """A function's parameters (one for `ctx => …`)."""
    single = function.child_by_field_name("parameter")  # `ctx => …`
    if single is not None:
        return [single]
    parameters = function.child_by_field_name("parameters")
    kinds = ("required_parameter", "optional_parameter")
    return [p for p in parameters.named_children if p.type in kinds] if parameters else []


def aliases(pattern: Node, key: str) -> set[str]:
    """The names `{ key }` / `{ key: a }` bind in an object pattern."""
    aliases = set()
    for member in pattern.named_children:
        if member.type == "shorthand_property_identifier_pattern" and _text(member) == key:
            aliases.add(key)
        elif member.type == "pair_pattern" and _text(member.child_by_field_name("key")) == key:
            value = member.child_by_field_name("value")
            if value.type == "identifier":
                aliases.add(_text(value))
    return aliases


def _pattern_names(pattern: Node) -> list[tuple[str, str]]:
    """(property, local name) of each binding of an object pattern."""
    names = []
    for member in pattern.named_children:
        if member.type == "shorthand_property_identifier_pattern":
            names.append((_text(member), _text(member)))
        elif member.type == "pair_pattern":
            value = member.child_by_field_name("value")
            if value.type == "identifier":
                names.append((_text(member.child_by_field_name("key")), _text(value)))
    return names


def _marker(tree: Tree, statement: Node) -> str | None:
    """The reason of a `// conformance-public: why` comment on the lines right above an export
    (or on its first line); "" when it gives none, None without one."""
    comments: list[Node] = []
    previous = statement.prev_sibling
    row = statement.start_point[0]
    while previous is not None and previous.type == "comment" and previous.end_point[0] >= row - 1:
        comments.append(previous)
        row = previous.start_point[0]
        previous = previous.prev_sibling
    following = statement.next_sibling
    if (
        following is not None
        and following.type == "comment"
        and following.start_point[0] == statement.start_point[0]
    ):
        comments.append(following)
    for comment in comments:
        text = _text(comment)
        # At the first mention only: a search from every one is quadratic.
        match = _MARKER.match(text, max(text.find("conformance-public"), 0))
        if match:
            return (match.group("reason") or "").strip()
    return None


def analysis_of(project: Project, entry_points: Any = None) -> ConvexAnalysis:
    """The project's analysis for a set of auth entry points (the defaults unless a contract
    names others), made once."""
    key = repr(entry_points)
    cache = project.__dict__.setdefault("_convex_analyses", {})
    if key not in cache:
        cache[key] = ConvexAnalysis(project, entry_points or DEFAULT_ENTRY_POINTS)
    return cache[key]
