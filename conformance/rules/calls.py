"""Calls that must be gone from named TypeScript/JavaScript files, found in the syntax tree."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import Finding, Rule
from ..repo import RepoView
from .base import STRINGS, RuleKind, as_list

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Node, Tree

# Wrappers that do not change what an expression refers to: `(prisma as any)`, `prisma!`.
_TRANSPARENT = frozenset(
    {"parenthesized_expression", "as_expression", "non_null_expression", "satisfies_expression"}
)


def member_path(node: Node) -> str | None:
    """`prisma.task.create`, `prisma?.task!["create"]` → "prisma.task.create"; None when the
    expression is not a plain chain of names (a call result, a computed index)."""
    from ..typescript import string_value, text

    parts: list[str] = []
    while True:
        if node.type == "member_expression":
            parts.append(text(node.child_by_field_name("property")))
            node = node.child_by_field_name("object")
        elif node.type == "subscript_expression":
            key = string_value(node.child_by_field_name("index"))
            if key is None:
                return None
            parts.append(key)
            node = node.child_by_field_name("object")
        elif node.type in _TRANSPARENT and node.named_child_count:
            node = node.named_children[0]
        elif node.type in ("identifier", "this"):
            parts.append(text(node))
            return ".".join(reversed(parts))
        else:
            return None


def _aliases(root: Node) -> dict[str, str]:
    """`const db = prisma` / `const tasks = prisma.task`: local name → the path it stands for.
    File-wide and flow-insensitive: a name rebound in an inner scope still counts as the alias."""
    from ..typescript import text, walk

    found = {}
    for node in walk(root):
        if node.type == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if name is not None and name.type == "identifier" and value is not None:
                path = member_path(value)
                if path is not None and path != text(name):
                    found[text(name)] = path
    return found


def _expansions(path: str, aliases: dict[str, str]) -> list[str]:
    """The path as written, then as each alias in turn stands for it: `db.task.create` →
    [`db.task.create`, `prisma.task.create`]. Every step counts, so aliasing the Prisma client
    itself (`const prisma = globalForPrisma.prisma`) does not hide its calls."""
    found = [path]
    for _ in range(len(aliases)):  # alias chains, never looping on a cycle
        root, dot, rest = path.partition(".")
        if root not in aliases:
            break
        path = aliases[root] + dot + rest
        found.append(path)
    return found


def _registration(function: Node) -> str | None:
    """An anonymous callback registered under a string key: `app.get("/api/tasks", …)`,
    `socket.on("join-task", …)` → `app.get("/api/tasks") handler`."""
    from ..typescript import string_value

    arguments = function.parent
    call = arguments.parent if arguments is not None else None
    if arguments is None or arguments.type != "arguments" or call.type != "call_expression":
        return None
    callee = member_path(call.child_by_field_name("function"))
    first = arguments.named_children[0] if arguments.named_child_count else None
    key = string_value(first) if first is not None else None
    if callee is None or key is None:
        return None
    return f'{callee}("{key}") handler'


def scope(node: Node) -> str:
    """Where a node sits: `ChatService.saveMessage()`, `verifyTaskAccess()`, a registered
    callback (`socket.on("join-task") handler`), or module scope. Anonymous functions that are
    not registered callbacks are looked through, as `typescript.enclosing_function` does."""
    from ..typescript import FUNCTIONS, function_name, text

    current = node.parent
    while current is not None:
        if current.type in FUNCTIONS:
            name = function_name(current)
            if name is not None:
                body = current.parent
                if current.type == "method_definition" and body.type == "class_body":
                    class_name = body.parent.child_by_field_name("name")
                    if class_name is not None:
                        name = f"{text(class_name)}.{name}"
                return f"{name}()"
            registered = _registration(current)
            if registered is not None:
                return registered
        current = current.parent
    return "module scope"


class CallAbsent(RuleKind):
    """No call in the listed files (globs allowed, minus `exclude`) may have a callee matching
    `callees`: dotted member paths where `*` matches any run of characters, dots included
    (`prisma.*` is every call on the Prisma client, `prisma.$transaction` one method).

    The files are parsed as TypeScript, so comments, strings, regexes and names that merely
    start alike (`prismaLike.x()`) never count. Local aliases are followed (`const db = prisma;
    db.task.create()`), and so are `prisma!`, `(prisma as any)` and `prisma["task"]`. Each
    finding names the file, the line, the function the call is in (a method as
    `Class.method()`, a route or event callback by its registration) and the callee; `instead`
    maps callee globs to the replacement the finding suggests.
    """

    name = "call-absent"
    properties = {
        "files": STRINGS,
        "exclude": STRINGS,
        "callees": STRINGS,
        "instead": {"type": "object", "additionalProperties": {"type": "string"}},
    }
    required = ("files", "callees")
    hint = (
        "Replace each call with the one the finding suggests. Call sites are not rewritten "
        "automatically: the new API takes other arguments and returns other shapes."
    )

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        from ..typescript import line, walk

        callees = as_list(rule.options["callees"])
        instead = rule.options.get("instead", {})

        def check_tree(path: str, tree: Tree) -> Iterator[Finding]:
            aliases = _aliases(tree.root_node)
            for node in walk(tree.root_node):
                if node.type != "call_expression":
                    continue
                written = member_path(node.child_by_field_name("function"))
                if written is None:
                    continue
                callee = next(
                    (p for p in _expansions(written, aliases) if _matches(callees, p)), None
                )
                if callee is None:
                    continue
                item = f"{scope(node)} calls {callee}"
                if written != callee:
                    item += f" (as {written})"
                replacement = next((v for k, v in instead.items() if _matches([k], callee)), None)
                if replacement is not None:
                    item += f"; use {replacement} instead"
                yield self.finding(rule, path, line(node), item, callee=callee)

        # Every call it reports is written with its pattern's first name (aliases are bound to
        # it in the same file): a file without any of them is not parsed.
        roots = [re.split(r"[.*?\[]", callee, maxsplit=1)[0] for callee in callees]
        return self.each_tree(rule, repo, check_tree, needles=roots if all(roots) else ())


def _matches(patterns: list[str], callee: str) -> bool:
    from fnmatch import fnmatchcase

    return any(fnmatchcase(callee, pattern) for pattern in patterns)
