"""TypeScript/JavaScript syntax trees for the rules that read code.

tree-sitter's TypeScript grammar (PyPI wheels, no compiler or node needed) gives a real syntax
tree: calls, member expressions, template strings, directives and enclosing functions are nodes,
so a rule never mistakes a comment, a string or a test's expectation for code the way a regex
would. It is imported only by the rules that need it, keeping it off the check path of contracts
that do not read TypeScript.
"""

from __future__ import annotations

import re
from collections import namedtuple
from functools import cache, lru_cache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from tree_sitter import Node, Tree


SOURCE_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")


@cache
def _parser(tsx: bool):
    import tree_sitter_typescript
    from tree_sitter import Language, Parser

    grammar = (
        tree_sitter_typescript.language_tsx()
        if tsx
        else tree_sitter_typescript.language_typescript()
    )
    return Parser(Language(grammar))


def parse(source: str, path: str = "") -> Tree:
    """Parse TypeScript (TSX for `.tsx`/`.jsx`, whose grammar also reads plain JavaScript)."""
    return _parser(path.endswith((".tsx", ".jsx"))).parse(source.encode("utf-8"))


def text(node: Node) -> str:
    return node.text.decode("utf-8")


def line(node: Node) -> int:
    return node.start_point[0] + 1


def walk(node: Node) -> Iterator[Node]:
    """Every node below `node`, depth first, in source order (`find` is the fast way to reach
    the nodes of a few types)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


@cache
def _cursor(language, types: tuple[str, ...]):
    """A cursor of the query matching nodes of `types`, made once: `captures` runs it to the
    end and resets it, so one serves every call (making one costs a fifth of a small match)."""
    from tree_sitter import Query, QueryCursor

    return QueryCursor(Query(language, "[" + " ".join(f"({t})" for t in types) + "] @node"))


def find(tree: Tree, *types: str, within: Node | None = None) -> list[Node]:
    """Every node of the given types in the tree (or under `within`, itself included), in
    source order, an enclosing node before the nodes inside it. A tree-sitter query matches
    them in C: walking a module node by node in Python costs several times more."""
    root = within if within is not None else tree.root_node
    return _matching(tree.language, types, root)


def below(node: Node, path: str, *types: str) -> list[Node]:
    """Every node of the given types under `node` (itself included) of the file at `path`, in
    source order, an enclosing node before the nodes inside it: `walk` filtered by type, but
    matched in C, without a Python object for every node of the subtree."""
    return _matching(_language(path.endswith((".tsx", ".jsx"))), types, node)


def _matching(language, types: tuple[str, ...], node: Node) -> list[Node]:
    """The named nodes of `types` under `node`, in source order. Making a query costs 1.5 to
    4 ms, as much as walking ~10,000 nodes in Python: the first few thousand nodes a run asks
    about for a set of types are walked, and the query is made only for a run that asks more
    (a convex-auth run whose handlers all answer from their text never makes it)."""
    key = (language, types)
    budget = _walk_budget.get(key, _WALK_BUDGET)
    if budget > 0 and key not in _made:
        size = node.descendant_count
        if size <= budget:
            _walk_budget[key] = budget - size
            wanted = frozenset(types)
            return [n for n in walk(node) if n.type in wanted and n.is_named]
    _made.add(key)
    return sorted(_cursor(language, types).captures(node).get("node", []), key=_source_order)


# Nodes walked per (language, types) before the query is made instead (~1 ms of walking).
_WALK_BUDGET = 4000
_walk_budget: dict[tuple, int] = {}
_made: set[tuple] = set()


def _source_order(node: Node) -> tuple[int, int]:
    return node.start_byte, -node.end_byte


@cache
def _language(tsx: bool):
    return _parser(tsx).language


def string_value(node: Node) -> str | None:
    """The value of a plain string literal node (no interpolation), else None."""
    if node.type != "string":
        return None
    written = node.text
    if _PLAIN_STRING.fullmatch(written):  # the fragments are all that is between the quotes
        return written[1:-1].decode("utf-8")
    return _fragments(node)


# Quoted on one line, without an escape or (in JSX) a character reference: no child but
# fragments.
_PLAIN_STRING = re.compile(rb'"[^"\\&\r\n]*"|\'[^\'\\&\r\n]*\'')


def _fragments(node: Node) -> str:
    return "".join(text(child) for child in node.children if child.type == "string_fragment")


def imports(tree: Tree) -> dict[str, str]:
    """Local name → module for every import binding in a module (`import x`, `{ a as b }`,
    `* as ns`)."""
    return {local: module for local, (module, _, _) in import_bindings(tree).items()}


def directives(tree: Tree) -> list[str]:
    """The directive prologue (`"use client"`, `"use server"`, `"use strict"`)."""
    found = []
    for statement in tree.root_node.children:
        if statement.type == "comment":
            continue
        if statement.type != "expression_statement":
            break
        value = string_value(statement.children[0]) if statement.children else None
        if value is None:
            break
        found.append(value)
    return found


FUNCTIONS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "method_definition",
        "function_expression",
        "arrow_function",
    }
)


def function_name(function: Node) -> str | None:
    """A function's own name, or the name it is bound to (`const f = () => …`, `{ f: … }`)."""
    name = function.child_by_field_name("name")
    if name is not None:
        return text(name)
    parent = function.parent
    if parent is not None and parent.type == "variable_declarator":
        bound = parent.child_by_field_name("name")
        return text(bound) if bound is not None and bound.type == "identifier" else None
    if parent is not None and parent.type == "pair":
        key = parent.child_by_field_name("key")
        return string_value(key) if key.type == "string" else text(key)
    return None


def enclosing_function(node: Node) -> str | None:
    """The name of the nearest named function around `node` (anonymous ones are looked through,
    so a call in an arrow callback is reported under the function that holds the callback)."""
    current = node.parent
    while current is not None:
        if current.type in FUNCTIONS:
            name = function_name(current)
            if name is not None:
                return name
        current = current.parent
    return None


# Modules as the workspace import graph reads them ------------------------------------------

ModuleImport = namedtuple("ModuleImport", "line specifier names")
ModuleImport.__doc__ = """One import of a module: its line, the specifier, and the names it takes
(`default` for a default import, types included); `names` is empty when it takes the module whole
(`import * as ns`, `import "m"`, `export * from`, an `import()` not destructured)."""

Exported = namedtuple("Exported", "name line source imported type_only")
Exported.__doc__ = """A name a module exports: where (`line`), and — when it is passed on from
another module (`export { a } from "m"`, or an imported binding exported again) — the `source`
specifier and the name `imported` there (`*` for `export * as ns`); `type_only` when only a type
is exported (`interface`, `type`, `export type { … }`)."""

Surface = namedtuple("Surface", "names stars opaque")
Surface.__doc__ = """What a module exports: `names` (name → Exported), the `stars` it re-exports
whole ((specifier, line) of each `export * from`), and `opaque` when its exports cannot be listed
from the syntax (`export =`, or CommonJS)."""


def module_imports(tree: Tree) -> list[ModuleImport]:
    """Every import of a module: static imports (`import type` too), `export … from`, and
    `import("m")` with a literal specifier (with the names a destructuring takes from it)."""
    found = []
    for statement in tree.root_node.children:
        if statement.type not in ("import_statement", "export_statement"):
            continue
        source = statement.child_by_field_name("source")
        specifier = string_value(source) if source is not None else None
        if specifier is None:
            continue
        names = [
            "default" if node.type == "identifier" else _name(node.child_by_field_name("name"))
            for node in _bindings(statement)
            if node.type != "namespace_import"
        ]
        found.append(ModuleImport(line(statement), specifier, tuple(names)))
    # Dynamic imports can sit anywhere: a query finds them (in C, not by walking every node),
    # compiled (~6 ms) only once a file has one.
    if _DYNAMIC_IMPORT.search(tree.root_node.text):
        from tree_sitter import QueryCursor

        for _, match in QueryCursor(_dynamic_imports(tree.language)).matches(tree.root_node):
            [call], [argument] = match["call"], match["specifier"]
            specifier = string_value(argument)
            if specifier is not None:
                found.append(ModuleImport(line(call), specifier, _destructured(call)))
    return sorted(found, key=lambda found_import: found_import.line)


# `\bimport\s*\(` with the word first and the look back after it: a pattern starting with its
# literal is searched for as a string, ten times faster on a module.
_DYNAMIC_IMPORT = re.compile(rb"import(?<!\wimport)\s*\(")


@cache
def _dynamic_imports(language):
    from tree_sitter import Query

    return Query(
        language,
        "(call_expression function: (import) arguments: (arguments . (string) @specifier)) @call",
    )


def _bindings(statement: Node) -> list[Node]:
    """The binding nodes of an import or `export … from` statement: its default import (an
    identifier), `namespace_import`, and each `import_specifier` / `export_specifier`."""
    found = []
    for child in statement.named_children:
        if child.type == "import_clause":
            for part in child.named_children:
                if part.type in ("identifier", "namespace_import"):
                    found.append(part)
                elif part.type == "named_imports":
                    found += [n for n in part.named_children if n.type == "import_specifier"]
        elif child.type == "export_clause":
            found += [n for n in child.named_children if n.type == "export_specifier"]
    return found


def _name(node: Node) -> str:
    """An identifier, or a string used as a name (`export { x as "a-b" }`)."""
    value = string_value(node)
    return text(node) if value is None else value


def _destructured(call: Node) -> tuple[str, ...]:
    """The names `const { a, b: c } = await import("m")` takes."""
    parent = call.parent
    if parent is not None and parent.type == "await_expression":
        parent = parent.parent
    if parent is None or parent.type != "variable_declarator":
        return ()
    pattern = parent.child_by_field_name("name")
    if pattern is None or pattern.type != "object_pattern":
        return ()
    names = []
    for child in pattern.named_children:
        if child.type == "shorthand_property_identifier_pattern":
            names.append(text(child))
        elif child.type == "object_assignment_pattern":
            names.append(text(child.child_by_field_name("left")))
        elif child.type == "pair_pattern":
            names.append(_name(child.child_by_field_name("key")))
    return tuple(names)


# Declarations whose name is a value (and, for classes and enums, a type too).
_NAMED_DECLARATIONS = {
    "function_declaration": False,
    "generator_function_declaration": False,
    "function_signature": False,
    "class_declaration": False,
    "abstract_class_declaration": False,
    "enum_declaration": False,
    "internal_module": False,
    "module": False,
    "interface_declaration": True,
    "type_alias_declaration": True,
}


def module_exports(tree: Tree, path: str = "") -> Surface:
    """The names a module exports, read from its top-level statements."""
    names: dict[str, Exported] = {}
    stars: list[tuple[str, int]] = []
    opaque = False
    bound = import_bindings(tree)
    has_module_syntax = False
    for statement in tree.root_node.children:
        if statement.type == "import_statement":
            has_module_syntax = True
        if statement.type != "export_statement":
            continue
        has_module_syntax = True
        at = line(statement)
        kinds = [child.type for child in statement.children]
        source = statement.child_by_field_name("source")
        specifier = string_value(source) if source is not None else None
        statement_type_only = "type" in kinds
        if "=" in kinds:  # `export = value`
            opaque = True
            continue
        if "default" in kinds:
            names["default"] = Exported("default", at, None, None, False)
            continue
        declaration = statement.child_by_field_name("declaration")
        if declaration is not None:
            for name, type_only in _declared(declaration):
                names[name] = Exported(name, at, None, None, type_only)
            continue
        if "*" in kinds and specifier is not None:
            stars.append((specifier, at))
            continue
        for child in statement.named_children:
            if child.type == "namespace_export" and specifier is not None:
                for alias in child.named_children:
                    shown = _name(alias)
                    names[shown] = Exported(shown, at, specifier, "*", statement_type_only)
            elif child.type == "export_clause":
                for specifier_node in child.named_children:
                    if specifier_node.type != "export_specifier":
                        continue
                    local = _name(specifier_node.child_by_field_name("name"))
                    alias = specifier_node.child_by_field_name("alias")
                    shown = _name(alias) if alias is not None else local
                    type_only = statement_type_only or any(
                        c.type == "type" for c in specifier_node.children
                    )
                    if specifier is not None:
                        names[shown] = Exported(shown, at, specifier, local, type_only)
                    elif local in bound:
                        module, imported, imported_type = bound[local]
                        type_only = type_only or imported_type
                        names[shown] = Exported(shown, at, module, imported, type_only)
                    else:
                        names[shown] = Exported(shown, at, None, None, type_only)
    if not has_module_syntax and not path.endswith((".ts", ".tsx", ".mts", ".cts")):
        opaque = True  # a script or CommonJS module: `module.exports` is not read
    return Surface(names, stars, opaque)


def import_bindings(tree: Tree) -> dict[str, tuple[str, str, bool]]:
    """Local name → (module, name imported there, type only) of every import binding."""
    bound: dict[str, tuple[str, str, bool]] = {}
    for statement in tree.root_node.children:
        if statement.type == "import_statement":
            add_import_bindings(bound, statement)
    return bound


def add_import_bindings(bound: dict[str, tuple[str, str, bool]], statement: Node) -> None:
    """Add to `bound` what `import_bindings` reads from one import statement."""
    written = None if statement.has_error else _written_bindings(statement.text)
    for local, module, imported, type_only in (
        written if written is not None else _statement_bindings(statement)
    ):
        bound[local] = (module, imported, type_only)


def _statement_bindings(statement: Node) -> list[tuple[str, str, str, bool]]:
    """(local, module, imported, type only) of each binding of an import statement, read from
    its nodes."""
    source = statement.child_by_field_name("source")
    module = string_value(source) if source is not None else None
    if module is None:
        return []
    found = []
    statement_type_only = _has_type_keyword(statement)
    for node in _bindings(statement):
        if node.type == "import_specifier":
            imported = _name(node.child_by_field_name("name"))
            alias = node.child_by_field_name("alias")
            local = text(alias) if alias is not None else imported
            type_only = statement_type_only or _has_type_keyword(node)
            found.append((local, module, imported, type_only))
        elif node.type == "namespace_import":
            for child in node.named_children:
                found.append((text(child), module, "*", statement_type_only))
        else:
            found.append((text(node), module, "default", statement_type_only))
    return found


_ASCII_NAME = rb"[A-Za-z_$][\w$]*"
# An import statement in its plain forms (ASCII names, no comment, no escape in the module,
# no attributes): its text says all its nodes would. Anything else is read from the nodes.
_PLAIN_IMPORT = re.compile(
    rb"import\s+(?P<type>type\s+)?(?:"
    rb"(?P<default>" + _ASCII_NAME + rb")"
    rb"(?:\s*,\s*(?:\*\s*as\s+(?P<namespace_after>" + _ASCII_NAME + rb")\s+"
    rb"|\{(?P<named_after>[\w$\s,]*)\}\s*)|\s+)"
    rb"|\*\s*as\s+(?P<namespace>" + _ASCII_NAME + rb")\s+"
    rb"|\{(?P<named>[\w$\s,]*)\}\s*"
    rb")from\s*(?P<source>\"[^\"\\\\&\r\n]*\"|'[^'\\\\&\r\n]*')\s*;?"
)
_PLAIN_SPECIFIER = re.compile(
    rb"(?:(?P<type>type)\s+)?(?P<name>"
    + _ASCII_NAME
    + rb")(?:\s+as\s+(?P<alias>"
    + _ASCII_NAME
    + rb"))?"
)
# Words that are keywords of an import, or may be: a name spelled so is read from the nodes.
_IMPORT_WORDS = frozenset({b"type", b"as", b"from", b"default", b"import"})


@lru_cache(maxsize=1024)
def _written_bindings(written: bytes) -> list[tuple[str, str, str, bool]] | None:
    """What `_statement_bindings` reads from the nodes, read from the statement's text when it
    is plain (most are); None when it is not. The modules of an app repeat their imports
    (`import { query } from "./_generated/server"`): each text is read once (the list is
    shared: read it, do not change it)."""
    match = _PLAIN_IMPORT.fullmatch(written)
    if match is None:
        return None
    module = match["source"][1:-1].decode()
    type_only = match["type"] is not None
    found = []
    default = match["default"]
    if default is not None:
        if default in _IMPORT_WORDS:
            return None
        found.append((default.decode(), module, "default", type_only))
    namespace = match["namespace"] or match["namespace_after"]
    if namespace is not None:
        if namespace in _IMPORT_WORDS:
            return None
        found.append((namespace.decode(), module, "*", type_only))
    named = match["named"] if match["named"] is not None else match["named_after"]
    if named is not None:
        items = [item.strip() for item in named.split(b",")]
        if items[-1] == b"":  # a trailing comma, or `{}`
            items.pop()
        for item in items:
            specifier = _PLAIN_SPECIFIER.fullmatch(item)
            if specifier is None or {specifier["name"], specifier["alias"]} & _IMPORT_WORDS:
                return None
            imported = specifier["name"].decode()
            local = specifier["alias"].decode() if specifier["alias"] else imported
            found.append((local, module, imported, type_only or specifier["type"] is not None))
    return found


def _has_type_keyword(node: Node) -> bool:
    """Whether an import statement or specifier says `type` (`import type …`, `{ type A }`):
    its children are read only when its text spells the word."""
    return b"type" in node.text and any(child.type == "type" for child in node.children)


def _declared(declaration: Node) -> list[tuple[str, bool]]:
    """(name, type only) of what an exported declaration binds."""
    if declaration.type == "ambient_declaration":  # `export declare const x`
        inner = declaration.named_children
        return _declared(inner[0]) if inner else []
    if declaration.type in ("lexical_declaration", "variable_declaration"):
        return [
            (name, False)
            for declarator in declaration.named_children
            if declarator.type == "variable_declarator"
            for name in pattern_names(declarator.child_by_field_name("name"))
        ]
    if declaration.type == "import_alias":  # `export import A = N.B`
        return [(text(declaration.named_children[0]), False)]
    if declaration.type in _NAMED_DECLARATIONS:
        name = declaration.child_by_field_name("name")
        if name is not None:
            return [(_name(name), _NAMED_DECLARATIONS[declaration.type])]
    return []


def pattern_names(pattern: Node | None) -> list[str]:
    """The names a binding pattern binds (`a`, `{ a, b: c, ...d }`, `[e, , f = 1]`)."""
    if pattern is None:
        return []
    if pattern.type in ("identifier", "shorthand_property_identifier_pattern"):
        return [text(pattern)]
    if pattern.type == "pair_pattern":
        return pattern_names(pattern.child_by_field_name("value"))
    if pattern.type in ("object_assignment_pattern", "assignment_pattern"):
        return pattern_names(pattern.child_by_field_name("left"))
    if pattern.type in ("object_pattern", "array_pattern", "rest_pattern"):
        return [name for child in pattern.named_children for name in pattern_names(child)]
    return []
