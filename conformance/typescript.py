"""TypeScript/JavaScript syntax trees for the rules that read code.

tree-sitter's TypeScript grammar (PyPI wheels, no compiler or node needed) gives a real syntax
tree: calls, member expressions, template strings, directives and enclosing functions are nodes,
so a rule never mistakes a comment, a string or a test's expectation for code the way a regex
would. It is imported only by the rules that need it, keeping it off the check path of contracts
that do not read TypeScript.
"""

from __future__ import annotations

from functools import cache

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
def _query(language, types: tuple[str, ...]):
    from tree_sitter import Query

    return Query(language, "[" + " ".join(f"({t})" for t in types) + "] @node")


def find(tree: Tree, *types: str, within: Node | None = None) -> list[Node]:
    """Every node of the given types in the tree (or under `within`, itself included), in
    source order, an enclosing node before the nodes inside it. A tree-sitter query matches
    them in C: walking a module node by node in Python costs several times more."""
    from tree_sitter import QueryCursor

    root = within if within is not None else tree.root_node
    found = QueryCursor(_query(tree.language, types)).captures(root).get("node", [])
    return sorted(found, key=lambda node: (node.start_byte, -node.end_byte))


def string_value(node: Node) -> str | None:
    """The value of a plain string literal node (no interpolation), else None."""
    if node.type != "string":
        return None
    return "".join(text(child) for child in node.children if child.type == "string_fragment")


def imports(tree: Tree) -> dict[str, str]:
    """Local name → module for every import binding in a module (`import x`, `{ a as b }`,
    `* as ns`)."""
    bound: dict[str, str] = {}
    for statement in tree.root_node.children:
        if statement.type != "import_statement":
            continue
        source = statement.child_by_field_name("source")
        module = string_value(source) if source else None
        if module is None:
            continue
        for node in walk(statement):
            if node.type == "import_specifier":
                alias = node.child_by_field_name("alias") or node.child_by_field_name("name")
                bound[text(alias)] = module
            elif node.type in ("namespace_import", "import_clause"):
                for child in node.children:
                    if child.type == "identifier":
                        bound[text(child)] = module
    return bound


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
