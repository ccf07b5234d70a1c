"""Clients of a class that must be gone: where they are constructed and where they are called."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Finding, Rule
from ..repo import RepoView
from .base import PATHS, STRINGS, RuleKind, as_list
from .sql_interpolation import bindings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Node, Tree


def imported_classes(
    tree: Tree, classes: list[str], modules: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(local name → class, namespace name → module) for the classes imported from `modules`."""
    from ..typescript import string_value, text, walk

    local: dict[str, str] = {}
    namespaces: dict[str, str] = {}
    for statement in tree.root_node.children:
        source = statement.child_by_field_name("source")
        if statement.type != "import_statement" or source is None:
            continue
        module = string_value(source)
        if module not in modules:
            continue
        for node in walk(statement):
            if node.type == "import_specifier":
                original = text(node.child_by_field_name("name"))
                alias = node.child_by_field_name("alias")
                if original in classes:
                    local[text(alias) if alias else original] = original
            elif node.type == "namespace_import":
                name = next((c for c in node.children if c.type == "identifier"), None)
                if name is not None:
                    namespaces[text(name)] = module
    return local, namespaces


class ClientUsageAbsent(RuleKind):
    """No client of the named classes may be constructed or called in the named sources.

    Each `new Class(...)` is a finding naming the function it is in, and so is each method call
    on a variable holding such a client: one bound to `new Class(...)`, to a call of a local
    function that constructs one (a lazy `getClient()`), or typed with the class. With `modules`
    only the classes imported from them count (aliases and namespace imports followed), so a
    local stand-in of the same name is not a finding; comments never are.
    """

    name = "client-usage-absent"
    properties = {"files": PATHS, "exclude": PATHS, "classes": STRINGS, "modules": STRINGS}
    required = ("files", "classes")
    option_help = {
        "files": "TypeScript/JavaScript files to read (globs).",
        "exclude": "Files to leave out (globs).",
        "classes": "Client classes that may be neither constructed nor called.",
        "modules": "Only classes imported from these modules count.",
    }
    example = """\
id: no-browser-http-client
kind: client-usage-absent
files: "apps/web/src/**/*.tsx"
classes: [ConvexHttpClient]
modules: [convex/browser]
message: "{item}"
why: Components go through the app's API routes, never to Convex directly.
"""
    hint = (
        "Replace the client's calls with the new data layer (a repository method or a tRPC "
        "procedure) and delete the client."
    )

    def scan(self, rule: Rule) -> tuple:
        classes = tuple(as_list(rule.options["classes"]))
        modules = tuple(as_list(rule.options.get("modules")))
        # A client is constructed, typed or imported by its class's name: a file that never
        # writes one is not parsed.
        return _client_usages, (classes, modules), classes

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        def report(path: str, usages: list[tuple[int, str, str | None]]) -> Iterator[Finding]:
            for line, item, function in usages:
                yield self.finding(rule, path, line, item, function=function)

        return self.each_facts(rule, repo, report)


def _client_usages(
    repo: RepoView, path: str, tree: Tree, key: tuple
) -> list[tuple[int, str, str | None]]:
    classes, modules = map(list, key)
    if modules:
        local, namespaces = imported_classes(tree, classes, modules)
    else:
        local, namespaces = {name: name for name in classes}, {}
    if not local and not namespaces:
        return []
    return list(_usages(tree, classes, local, namespaces))


def _usages(
    tree: Tree, classes: list[str], local: dict[str, str], namespaces: dict[str, str]
) -> Iterator[tuple[int, str, str | None]]:
    from ..typescript import FUNCTIONS, enclosing_function, find, function_name, line, text, walk

    def constructed(node: Node) -> str | None:
        """The class a `new` expression constructs, if it is one of ours."""
        target = node.child_by_field_name("constructor")
        if target is None:
            return None
        if target.type == "identifier":
            return local.get(text(target))
        if target.type == "member_expression":
            namespace = target.child_by_field_name("object")
            member = text(target.child_by_field_name("property"))
            if namespace.type == "identifier" and text(namespace) in namespaces:
                return member if member in classes else None
        return None

    # One query for both kinds: running it costs about the same for one node type as for two.
    nodes = find(tree, "new_expression", "call_expression")
    news = [n for n in nodes if n.type == "new_expression" and constructed(n)]
    # Functions that construct a client (lazy getters): a call to one yields a client.
    factories = set()
    for new in news:
        scope = new.parent
        while scope is not None and scope.type not in FUNCTIONS:
            scope = scope.parent
        name = function_name(scope) if scope is not None else None
        if name:
            factories.add(name)

    def unwrap(node: Node) -> Node:
        while node.type in ("await_expression", "parenthesized_expression", "non_null_expression"):
            node = node.named_children[0]
        return node

    def yields_client(node: Node | None) -> bool:
        if node is None:
            return False
        node = unwrap(node)
        if node.type == "new_expression":
            return constructed(node) is not None
        function = node.child_by_field_name("function") if node.type == "call_expression" else None
        return (
            function is not None and function.type == "identifier" and text(function) in factories
        )

    def typed_as_client(binding: Node) -> bool:
        annotation = binding.child_by_field_name("type")
        return annotation is not None and any(
            n.type == "type_identifier" and text(n) in local for n in walk(annotation)
        )

    held: dict[tuple[int, str], bool] = {}

    def holds_client(name_node: Node) -> bool:
        """Whether the variable holds a client; the answer depends only on the name and its
        innermost scope, so it is computed once per pair."""
        scope = name_node.parent
        while scope.type not in FUNCTIONS and scope.type != "program":
            scope = scope.parent
        key = (scope.start_byte, text(name_node))
        if key not in held:
            held[key] = any(
                yields_client(b.child_by_field_name("value") or b.child_by_field_name("right"))
                or typed_as_client(b)
                for b in bindings(name_node, key[1], tree, before=False)
            )
        return held[key]

    def where(node: Node) -> tuple[str, str | None]:
        function = enclosing_function(node)
        return (f"{function}()" if function else "module scope"), function

    for new in news:
        shown, function = where(new)
        yield line(new), f"{shown} constructs `new {constructed(new)}(...)`", function
    for node in nodes:
        if node.type != "call_expression":
            continue
        callee = node.child_by_field_name("function")
        if callee is None or callee.type != "member_expression":
            continue
        receiver = unwrap(callee.child_by_field_name("object"))
        if (receiver.type == "identifier" and holds_client(receiver)) or yields_client(receiver):
            arguments = node.child_by_field_name("arguments")
            first = arguments.named_children[0] if arguments and arguments.named_children else None
            argument = text(first) if first is not None else ""
            if "\n" in argument or len(argument) > 48:
                argument = "…"
            shown, function = where(node)
            call = f"{' '.join(text(callee).split())}({argument})"
            yield line(node), f"{shown} calls `{call}`", function
