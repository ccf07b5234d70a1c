"""SQL text built from strings at run time and handed to a query call (an injection risk)."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Finding, Rule
from ..repo import Needles, RepoView
from ..typescript import FUNCTIONS
from .base import PATHS, STRINGS, RuleKind, as_list

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Node, Tree

# Methods that run their first argument as SQL text: Drizzle's db.execute and sql.raw, pg's
# client.query, postgres.js's sql.unsafe, Prisma's unsafe raw queries.
DEFAULT_CALLEES = ["execute", "query", "raw", "unsafe", "$queryRawUnsafe", "$executeRawUnsafe"]
_LITERALS = frozenset({"string", "number", "true", "false", "null", "undefined"})
# Wrappers that do not change the value: (expr), expr as T, expr satisfies T, expr!.
_TRANSPARENT = frozenset(
    {"parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression"}
)
# Where a name gets its value: the field holding the name, by node type.
_BINDING_FIELDS = {
    "variable_declarator": "name",
    "required_parameter": "pattern",
    "optional_parameter": "pattern",
    "assignment_expression": "left",
    "augmented_assignment_expression": "left",
}
# What `bindings` looks for in a scope: the binding nodes, and the functions it does not enter.
_SCOPE_TYPES = (*_BINDING_FIELDS, *sorted(FUNCTIONS))


def bindings(use: Node, name: str, tree: Tree, *, before: bool) -> list[Node]:
    """The nodes that give `name` its value where `use` (a node of `tree`) reads it:
    declarators, parameters and assignments, from the innermost function (or the module) out to
    the one that declares it. Nested functions are not entered; with `before`, only what
    precedes `use` in the source. Each scope's are listed as a walk from its last statement
    back meets them (the outer of two first): a query finds them in C."""
    from ..typescript import find

    wanted = name.encode("utf-8")
    found: list[Node] = []
    scope = use.parent
    while scope is not None:
        if scope.type in FUNCTIONS or scope.type == "program":
            declared = False
            nested_end = -1  # the end of the nested function the nodes are in, not entered
            here = []
            for node in find(tree, *_SCOPE_TYPES, within=scope):
                if node.start_byte < nested_end or node == scope:
                    continue
                kind = node.type
                if kind in FUNCTIONS:
                    nested_end = node.end_byte
                    continue
                target = node.child_by_field_name(_BINDING_FIELDS[kind])
                if target is None or target.type != "identifier" or target.text != wanted:
                    continue
                declared = declared or "assignment" not in kind
                if not before or node.start_byte < use.start_byte:
                    here.append(node)
            found += sorted(here, key=_walked_back)
            if declared:
                break
        scope = scope.parent
    return found


def _walked_back(node: Node) -> tuple[int, int]:
    """Last first, an enclosing node before what it holds: the order of a depth-first walk
    taking the children last to first."""
    return -node.end_byte, node.start_byte


def _unwrap(node: Node) -> Node:
    while node.type in _TRANSPARENT and node.named_children:
        node = node.named_children[0]
    return node


def _leaves(node: Node) -> list[Node]:
    """The operands of a chain of `+`."""
    node = _unwrap(node)
    operator = node.child_by_field_name("operator")
    if node.type == "binary_expression" and operator is not None and operator.type == "+":
        return _leaves(node.child_by_field_name("left")) + _leaves(
            node.child_by_field_name("right")
        )
    return [node]


def _interpolated(node: Node) -> bool:
    return node.type == "template_string" and any(
        child.type == "template_substitution" for child in node.children
    )


def dynamic_sql(node: Node, tree: Tree, depth: int = 0) -> str | None:
    """How the expression builds its text at run time, or None when it is constant or not a
    string built here: a tagged template (sql`...`) is a call, parameterised by its tag."""
    from ..typescript import line, text

    node = _unwrap(node)
    if _interpolated(node):
        return "an interpolated template string"
    leaves = _leaves(node)
    if len(leaves) > 1:
        stringy = any(leaf.type in ("string", "template_string") for leaf in leaves)
        constant = all(leaf.type in _LITERALS and not _interpolated(leaf) for leaf in leaves)
        if stringy and not constant:
            return "a concatenated string"
    if node.type == "identifier" and depth < 3:
        name = text(node)
        for bound in bindings(node, name, tree, before=True):
            value = bound.child_by_field_name("value") or bound.child_by_field_name("right")
            if value is None:
                continue
            operator = bound.child_by_field_name("operator")
            if operator is not None and operator.type == "+=" and _unwrap(value).type != "string":
                return f"`{name}` (appended to with +=, line {line(bound)})"
            how = dynamic_sql(value, tree, depth + 1)
            if how:
                return f"`{name}` ({how}, line {line(value)})"
    return None


def callee_name(call: Node) -> tuple[str, str] | None:
    """(method or function name, callee as written) of a call expression."""
    from ..typescript import text

    function = call.child_by_field_name("function")
    if function is None:
        return None
    if function.type == "member_expression":
        name = function.child_by_field_name("property")
    elif function.type == "identifier":
        name = function
    else:
        return None
    shown = " ".join(text(function).split())
    if len(shown) > 40:
        shown = "…." + text(name)
    return text(name), shown


class SqlInterpolation(RuleKind):
    """No SQL text built by interpolation or concatenation may reach an execute/query call.

    db.execute(`... ${x} ...`), client.query("... " + id) and sql.raw(`...${x}`) put a value
    into the SQL text itself: a quote in it rewrites the statement (injection). Text built in a
    local variable first (const q = `SET ... '${userId}'`; then tx.execute(q)) counts too, and
    the finding names the function. Drizzle's tagged sql`... ${x}` template sends x as a bound
    parameter and is fine, and so is constant text; calls whose argument is not a string (a
    tRPC .query(fn), React Query's useQuery) are not SQL. The method names are an option
    (`callees`).
    """

    name = "sql-interpolation"
    properties = {"files": PATHS, "exclude": PATHS, "callees": STRINGS}
    required = ("files",)
    option_help = {
        "files": "TypeScript/JavaScript files to read (globs).",
        "exclude": "Files to leave out (globs).",
        "callees": "Method names that run SQL text.",
    }
    option_defaults = {
        "callees": ["execute", "query", "raw", "unsafe", "$queryRawUnsafe", "$executeRawUnsafe"]
    }
    example = """\
id: no-sql-interpolation
kind: sql-interpolation
files: "packages/db/src/**/*.ts"
message: "{item}"
why: A value spliced into SQL text is an injection.
"""
    hint = (
        "Bind values as parameters: Drizzle's tagged sql`... ${value}` template (or the query "
        "builder), `client.query(text, [value])` for pg. SET takes no parameters: use "
        "sql`select set_config('app.current_user_id', ${userId}, true)` inside the transaction."
    )

    def scan(self, rule: Rule) -> tuple:
        import re

        callees = tuple(sorted(set(as_list(rule.options.get("callees", DEFAULT_CALLEES)))))
        # Only a file calling one of them by name (`.execute(`, `query<Row>(`, `raw?.(`) is
        # parsed: most files name `query` only as a word or a property (`db.query.users`).
        names = "|".join(re.escape(callee) for callee in callees)
        called = re.compile(rf"(?:{names})\s*(?:<[^()]*>\s*)?(?:\?\.)?\(")
        return _interpolations, callees, Needles(callees, called)

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        def report(path: str, found: list[tuple[int, str, str | None]]) -> Iterator[Finding]:
            for line, item, function in found:
                yield self.finding(rule, path, line, item, function=function)

        return self.each_facts(rule, repo, report)


def _interpolations(
    repo: RepoView, path: str, tree: Tree, callees: tuple[str, ...]
) -> list[tuple[int, str, str | None]]:
    """(line, what is wrong, enclosing function) of each dynamic SQL text passed to a callee."""
    from ..typescript import enclosing_function, find, line

    found = []
    for node in find(tree, "call_expression"):
        callee = callee_name(node)
        arguments = node.child_by_field_name("arguments")
        # A tagged template's "arguments" is the template itself: parameterised.
        if callee is None or callee[0] not in callees or arguments.type != "arguments":
            continue
        first = next((a for a in arguments.named_children if a.type != "comment"), None)
        how = dynamic_sql(first, tree) if first is not None else None
        if how:
            function = enclosing_function(node)
            where = f"{function}()" if function else "module scope"
            found.append((line(first), f"{where} passes {how} to {callee[1]}()", function))
    return found
