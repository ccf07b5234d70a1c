"""TypeScript modules as their top-level bindings, followed across files, never run.

A `Module` knows, from its syntax tree (tree-sitter), what each top-level name is bound to (a
declaration's value, or an import) and what it exports: its own declarations, `export default`,
`export { a as b }`, re-exports `export { default as x } from "./x"` and `export * from "./y"`.
`Modules` follows those across files, the way a bundler links them: an exported name leads to the
node that defines it, wherever that is.

Which file an import names is the caller's business (`resolve(path, specifier) -> path | None`:
relative paths, workspace packages, tsconfig aliases, within the repository), and so is reading
(`load(path) -> Tree`, raising FileProblem), so parse caches are shared. A caller may bound how
many modules are read (`max_modules`); an import past that bound is one that cannot be read.
"""

from __future__ import annotations

from collections import namedtuple

from ..model import FileProblem
from ..typescript import import_bindings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from tree_sitter import Node, Tree

# How far a chain of aliases and re-exports is followed (cycles stop it earlier).
MAX_HOPS = 16
WRAPPERS = frozenset(
    {"parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression"}
)

Binding = namedtuple("Binding", "module node name")
Binding.__doc__ = """A name's definition: the module holding it, its value node (the expression
after `=`, or the declaration of a function, class or enum) and the name it is declared under
(None for an anonymous `export default <expression>`)."""

External = namedtuple("External", "specifier name")
External.__doc__ = """A binding imported from outside the repository (a package such as
`drizzle-orm/pg-core`): the specifier and the imported name (`default`, `*` for a namespace)."""


def text(node: Node) -> str:
    return node.text.decode("utf-8")


def kids(node: Node) -> list[Node]:
    """Named children, comments left out."""
    return [child for child in node.named_children if child.type != "comment"]


def unwrap(node: Node) -> Node:
    """`(x)`, `x as T`, `x satisfies T`, `x!` → x."""
    while node.type in WRAPPERS and kids(node):
        node = kids(node)[0]
    return node


def string_of(node: Node) -> str | None:
    """The value of a string literal (escapes decoded), or a template string without
    substitutions; None for anything else."""
    node = unwrap(node)
    if node.type == "template_string":
        if any(part.type == "template_substitution" for part in node.named_children):
            return None
    elif node.type != "string":
        return None
    parts = []
    for part in node.named_children:
        if part.type == "escape_sequence":
            parts.append(text(part).encode().decode("unicode_escape"))
        else:
            parts.append(text(part))
    return "".join(parts)


def line_of(node: Node) -> int:
    return node.start_point[0] + 1


def property_key(node: Node) -> str | None:
    """An object key: `teamId`, `"teamId"` (not a computed `[key]`)."""
    if node.type == "property_identifier":
        return text(node)
    return string_of(node)


def property_value(node: Node | None, key: str) -> Node | None:
    """The value of `key: …` in an object literal (the first pair with that key)."""
    if node is None or node.type != "object":
        return None
    for entry in kids(node):
        if entry.type == "pair" and property_key(entry.child_by_field_name("key")) == key:
            return unwrap(entry.child_by_field_name("value"))
    return None


class Module:
    """One file's top-level bindings and exports."""

    def __init__(self, path: str, tree: Tree):
        self.path = path
        self.root = tree.root_node
        self.values: dict[str, Node] = {}
        # local name → (specifier, imported name: `default`, `*` for a namespace); a type-only
        # import binds no value.
        self.imports: dict[str, tuple[str, str]] = {
            local: (specifier, name)
            for local, (specifier, name, type_only) in import_bindings(tree).items()
            if not type_only
        }
        # exported name → ("local", name) | ("value", node) | ("from", specifier, name)
        self.exports: dict[str, tuple] = {}
        self.stars: list[str] = []
        for statement in kids(self.root):
            if statement.type == "export_statement":
                self._export(statement)
            else:
                self._declare(statement)

    def _declare(self, statement: Node) -> list[str]:
        """Record a declaration's names and values; the names, in order."""
        if statement.type in ("lexical_declaration", "variable_declaration"):
            names = []
            for declarator in kids(statement):
                name = declarator.child_by_field_name("name")
                value = declarator.child_by_field_name("value")
                if name is not None and name.type == "identifier" and value is not None:
                    self.values[text(name)] = value
                    names.append(text(name))
            return names
        if statement.type in (
            "function_declaration",
            "generator_function_declaration",
            "class_declaration",
            "enum_declaration",
        ):
            name = statement.child_by_field_name("name")
            if name is not None:
                self.values[text(name)] = statement
                return [text(name)]
        return []

    def _export(self, statement: Node) -> None:
        if _type_only(statement):
            return
        default = any(child.type == "default" for child in statement.children)
        declaration = statement.child_by_field_name("declaration")
        if declaration is not None:  # export const x = …, export default function f() {}
            names = self._declare(declaration)
            for name in names[:1] if default else names:
                self.exports.setdefault("default" if default else name, ("local", name))
            return
        value = statement.child_by_field_name("value")
        if value is not None:  # export default <expression>
            value = unwrap(value)
            local = ("local", text(value)) if value.type == "identifier" else ("value", value)
            self.exports.setdefault("default", local)
            return
        source = statement.child_by_field_name("source")
        specifier = string_of(source) if source is not None else None
        clause = next((c for c in statement.named_children if c.type == "export_clause"), None)
        if clause is None and specifier is not None:
            namespace = next(
                (c for c in statement.named_children if c.type == "namespace_export"), None
            )
            if namespace is None:
                self.stars.append(specifier)  # export * from "./x"
            elif kids(namespace):  # export * as ns from "./x": one object, the module
                self.exports.setdefault(text(kids(namespace)[-1]), ("from", specifier, "*"))
            return
        if clause is None:
            return
        for spec in clause.named_children:
            if spec.type != "export_specifier" or _type_only(spec):
                continue
            name = text(spec.child_by_field_name("name"))
            alias = spec.child_by_field_name("alias")
            exported = text(alias) if alias is not None else name
            if specifier is not None:
                self.exports.setdefault(exported, ("from", specifier, name))
            else:
                self.exports.setdefault(exported, ("local", name))

    def syntax_error(self) -> int | None:
        """The line of the first syntax error, None when the module parses. `export type * from`
        (TypeScript 5) is not an error: the grammar reads its `type` as one."""
        if not self.root.has_error:
            return None
        stack = [self.root]
        while stack:
            node = stack.pop()
            if not node.has_error and not node.is_missing:
                continue
            if node.is_missing:
                return line_of(node)
            if node.type == "ERROR":
                parent = node.parent
                if not (
                    parent is not None
                    and parent.type == "export_statement"
                    and text(node) == "type"
                ):
                    return line_of(node)
                continue
            stack.extend(reversed(node.children))
        return None


def _type_only(node: Node) -> bool:
    """`import type …`, `export type { … }`, `export type * from …`, `{ type X }`."""
    for child in node.children:
        if child.type == "type" or (child.type == "ERROR" and text(child) == "type"):
            return True
        if child.is_named and child.type not in ("ERROR",):
            return False
    return False


class Modules:
    """The modules of a program, parsed once each, with names followed across them."""

    def __init__(
        self,
        load: Callable[[str], Tree],
        resolve: Callable[[str, str], str | None],
        max_modules: int | None = None,
    ):
        self._load = load
        self._resolve = resolve
        self._max_modules = max_modules
        self._modules: dict[str, Module | None] = {}
        self._read = 0
        self.problems: dict[str, str] = {}  # path → why it could not be read
        self._names: dict[str, list[str]] = {}
        self._targets: dict[tuple[str, str], str | None] = {}

    def get(self, path: str) -> Module | None:
        if path not in self._modules:
            if self._max_modules is not None and self._read >= self._max_modules:
                # Not remembered: the bound says nothing about the file.
                self.problems[path] = f"more than {self._max_modules} modules would be read"
                return None
            try:
                self._modules[path] = Module(path, self._load(path))
                self._read += 1
            except FileProblem as problem:
                self._modules[path] = None
                self.problems[path] = problem.message
        return self._modules[path]

    def target(self, module: Module, specifier: str) -> Module | None:
        """The repository module an import of `module` names, None for a package."""
        key = (module.path, specifier)
        if key not in self._targets:
            self._targets[key] = self._resolve(module.path, specifier)
        path = self._targets[key]
        return self.get(path) if path is not None else None

    def export_names(self, module: Module, seen: set[str] | None = None) -> list[str]:
        """Every name the module exports, its own first, then those of `export *` (which never
        pass on a `default`)."""
        if seen is None:
            if module.path not in self._names:
                self._names[module.path] = self.export_names(module, set())
            return self._names[module.path]
        if module.path in seen:
            return []
        seen.add(module.path)
        names = list(module.exports)
        for specifier in module.stars:
            inner = self.target(module, specifier)
            if inner is None:
                continue
            for name in self.export_names(inner, seen):
                if name != "default" and name not in names:
                    names.append(name)
        return names

    def exported(
        self, module: Module, name: str, trail: list[str] | None = None, hops: int = 0
    ) -> Binding | External | None:
        """What `module` exports as `name`, followed to its definition. `trail` collects the
        modules passed through (barrels included)."""
        if hops > MAX_HOPS:
            return None
        if trail is not None and module.path not in trail:
            trail.append(module.path)
        entry = module.exports.get(name)
        if entry is not None:
            if entry[0] == "value":
                return Binding(module, entry[1], None)
            if entry[0] == "local":
                return self.binding(module, entry[1], trail, hops + 1)
            inner = self.target(module, entry[1])
            if inner is None:
                return External(entry[1], entry[2])
            if entry[2] == "*":
                return Binding(inner, inner.root, None)  # a namespace: the module itself
            return self.exported(inner, entry[2], trail, hops + 1)
        if name == "default":
            return None
        for specifier in module.stars:
            inner = self.target(module, specifier)
            if inner is not None and name in self.export_names(inner):
                return self.exported(inner, name, trail, hops + 1)
        return None

    def binding(
        self, module: Module, name: str, trail: list[str] | None = None, hops: int = 0
    ) -> Binding | External | None:
        """What a top-level name of `module` is bound to: its own declaration, or an import
        followed to the exporting module's definition."""
        if name in module.values:
            return Binding(module, module.values[name], name)
        imported = module.imports.get(name)
        if imported is None or hops > MAX_HOPS:
            return None
        specifier, original = imported
        inner = self.target(module, specifier)
        if inner is None:
            return External(specifier, original)
        if original == "*":
            return Binding(inner, inner.root, None)  # a namespace: the module itself
        return self.exported(inner, original, trail, hops + 1)

    def resolve(self, module: Module, node: Node) -> tuple[Module, Node]:
        """An expression with identifiers followed to the values they are bound to, across
        modules (`x` → `const x = …` here or where it is imported from); a member of a
        namespace import (`schema.users`) is followed into that module."""
        module, node, _ = self.follow(module, node)
        return module, node

    def follow(
        self, module: Module, node: Node, *, keys: bool = False
    ) -> tuple[Module, Node, str | None]:
        """`resolve`, and the name the value was last reached by: as written where it is used
        (an import's local name, a member's key), but through a default import, which each
        importer names as it likes, the name the value is declared under. With `keys`, a
        member of an object literal is followed too (`PLANS.FREE` of `const PLANS = { FREE:
        "free" } as const`)."""
        return self._follow(module, node, keys, [MAX_HOPS * 4])

    def _follow(
        self, module: Module, node: Node, keys: bool, budget: list[int]
    ) -> tuple[Module, Node, str | None]:
        """`budget` bounds the holders of members followed, whose own values may be members
        of themselves (`const a = a.k`)."""
        name = None
        for _ in range(MAX_HOPS):
            node = unwrap(node)
            found = reached = None
            if node.type in ("identifier", "shorthand_property_identifier"):
                reached = text(node)
                found = self.binding(module, reached)
                default = module.imports.get(reached, ("", ""))[1] == "default"
                if default and isinstance(found, Binding) and found.name is not None:
                    reached = found.name
            elif node.type == "member_expression":
                reached = text(node.child_by_field_name("property"))
                found = self._namespace_member(module, node)
                if found is None and keys and budget[0] > 0:
                    budget[0] -= 1
                    found = self._key(module, node, reached, budget)
            if not isinstance(found, Binding) or found.node.type == "program":
                break
            module, node, name = found.module, found.node, reached
        return module, node, name

    def _key(self, module: Module, node: Node, key: str, budget: list[int]) -> Binding | None:
        """`holder.key` of an object literal `holder`."""
        holder = node.child_by_field_name("object")
        module, holder, _ = self._follow(module, holder, True, budget)
        value = property_value(holder, key)
        return Binding(module, value, key) if value is not None else None

    def _namespace_member(self, module: Module, node: Node) -> Binding | External | None:
        holder = unwrap(node.child_by_field_name("object"))
        if holder.type != "identifier":
            return None
        bound = self.binding(module, text(holder))
        if not isinstance(bound, Binding) or bound.node.type != "program":
            return None
        return self.exported(bound.module, text(node.child_by_field_name("property")))

    def external(self, module: Module, node: Node) -> External | None:
        """The package binding an identifier (or `ns.member` of a namespace import) names."""
        node = unwrap(node)
        if node.type == "identifier":
            found = self.binding(module, text(node))
            return found if isinstance(found, External) else None
        if node.type == "member_expression":
            holder = unwrap(node.child_by_field_name("object"))
            if holder.type == "identifier":
                found = self.binding(module, text(holder))
                if isinstance(found, External) and found.name == "*":
                    return External(found.specifier, text(node.child_by_field_name("property")))
        return None

    def unbound(self, module: Module, name: str, outside: str) -> str:
        """Why a top-level name of `module` leads to no value read here: it is not defined, the
        module it is imported from does not export it, that module cannot be read, or it comes
        from a package (`outside` says what that leaves unread)."""
        if name not in module.imports:
            return f"`{name}` is not defined in {module.path}"
        specifier, original = module.imports[name]
        target = self.target(module, specifier)
        if target is not None:
            return f"{target.path} exports no `{original}` read here"
        if specifier.startswith("."):
            return f"{specifier}, which defines it, cannot be read"
        return f"it comes from {specifier}, outside the repository: {outside}"
