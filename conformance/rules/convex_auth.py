"""Public Convex functions must establish the caller's identity through `ctx.auth`."""

from __future__ import annotations

import posixpath
from collections import Counter, namedtuple
from collections.abc import Iterator

from ..globs import has_magic
from ..model import FileProblem, Finding, Rule
from ..repo import RepoView
from .base import STRING, STRINGS, RuleKind, included_files

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Node, Tree

    from ..workspace import Workspace

BUILDERS = ("query", "mutation", "action", "httpAction")
DEFAULT_BUILDERS = ("query", "mutation", "action")
# TypeScript resolves `./auth` and ESM-style `./auth.js` to `./auth.ts`, or to `./auth/index.ts`.
EXTENSIONS = (".ts", ".tsx", ".mts", ".js", ".jsx", ".mjs")
DEFAULT_ERROR = "Unauthenticated"


class ConvexAuthRequired(RuleKind):
    """Every public Convex function must establish identity through `ctx.auth`.

    A public function is an exported `query`, `mutation` or `action` (the `builders`) imported
    from the functions dir's `_generated/server`, in either form: `query({ args, handler })` or
    `query(async (ctx, args) => …)`; `export { f as g }` and `export default` count. Its handler
    must call a method of `ctx.auth` (`await ctx.auth.getUserIdentity()`, or `auth.…` when the
    handler destructures `{ auth }`), itself or through helpers it passes ctx to: functions of the
    same file or of a module it imports by a relative path, followed transitively (re-exports
    included) with ctx at the parameter it is passed in. Comments and strings are not calls. A
    helper from a package or a path alias (`@/…`), a method of an object, or a handler built by
    a wrapper call (`withUser(async (ctx) => …)`) is not read, so it proves nothing; neither
    does a cycle among helpers by itself.

    `internalQuery`, `internalMutation` and `internalAction` are exempt: clients cannot call
    them. `httpAction` is not a default builder: HTTP actions are webhook endpoints (Clerk's user
    sync is verified by its Svix signature; it carries no user token). With `httpAction` listed,
    every HTTP action counts, routed or exported, named by its const or its route path.
    """

    name = "convex-auth-required"
    properties = {
        "files": STRINGS,
        "exclude": STRINGS,
        "builders": {"type": "array", "items": {"enum": list(BUILDERS)}},
    }
    required = ("files",)
    fix_properties = {"error_message": STRING}
    hint = (
        "Call `await ctx.auth.getUserIdentity()` in the handler, or in a helper it passes ctx "
        "to, and reject callers without an identity; a function only the backend calls becomes "
        "internal (`internalQuery` / `internalMutation` / `internalAction`). The fix inserts "
        "that guard first in each reported inline async handler; a handler defined elsewhere or "
        "built by a wrapper call, one that is not async, or one without ctx (or destructuring "
        "it without `auth`) is left to you."
    )

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        builders = set(rule.options.get("builders", DEFAULT_BUILDERS))
        reach = AuthReach(repo)
        for path in included_files(rule, repo):
            try:
                definitions = public_functions(repo.typescript(path), builders)
            except FileProblem as problem:
                yield self.problem(rule, problem)
                continue
            for name, builder, line, handler in definitions:
                if handler is None or not reach.reaches(path, handler, 0):
                    yield self.finding(rule, path, line, name, builder=builder, function=name)

    def fix(self, rule: Rule, work: Workspace) -> None:
        """Insert an identity guard at the top of every handler the check reports, all of a
        file's in one edit; what cannot be patched is reported as skipped, with the reason."""
        from ..typescript import parse

        builders = set(rule.options.get("builders", DEFAULT_BUILDERS))
        message = rule.options["fix"].get("error_message", DEFAULT_ERROR)
        reach = AuthReach(work.repo)
        for path in included_files(rule, work.repo):
            text = work.read(path)
            if text is None:
                continue
            tree = parse(text, path)
            data = text.encode("utf-8")
            style = _style(text, tree, message)
            edits: list[tuple[int, int, str]] = []
            notes: list[str] = []
            seen: set[int] = set()  # `export { f as g }` names the same handler twice
            for name, _, _, handler in public_functions(tree, builders):
                if handler is not None:
                    if handler.start_byte in seen or reach.reaches(path, handler, 0):
                        continue
                    seen.add(handler.start_byte)
                patch = _guard_edits(handler, data, style)
                if isinstance(patch, str):
                    notes.append(f"{name} {patch}")
                else:
                    edits += patch
            # From the end backwards, so each offset still points where it was read.
            for start, end, insert in sorted(edits, reverse=True):
                data = data[:start] + insert.encode("utf-8") + data[end:]
            if edits:
                work.edit(path, data.decode("utf-8"), rule)
            if notes:
                work.skip(path, rule, "not fixed: " + "; ".join(notes))


def _text(node: Node) -> str:
    return node.text.decode("utf-8")


def _builder_bindings(tree: Tree, builders: set[str]) -> tuple[dict[str, str], set[str]]:
    """Local name → builder for `import { query as q } from "./_generated/server"`, and the
    namespaces (`import * as server from …`) builders can be called through."""
    from ..typescript import string_value, walk

    named: dict[str, str] = {}
    namespaces: set[str] = set()
    for statement in tree.root_node.children:
        source = statement.child_by_field_name("source")
        module = string_value(source) if statement.type == "import_statement" and source else None
        if module is None or module.removesuffix(".js").split("/")[-2:] != ["_generated", "server"]:
            continue
        for node in walk(statement):
            if node.type == "import_specifier":
                original = _text(node.child_by_field_name("name"))
                alias = node.child_by_field_name("alias") or node.child_by_field_name("name")
                if original in builders:
                    named[_text(alias)] = original
            elif node.type == "namespace_import":
                namespaces.update(_text(c) for c in node.children if c.type == "identifier")
    return named, namespaces


def public_functions(tree: Tree, builders: set[str]) -> list[tuple[str, str, int, Node | None]]:
    """(shown name, builder, line, handler) of every public function a module defines: `send()`,
    or `POST /path` for an HTTP action routed inline."""
    from ..typescript import line, string_value, walk

    named, namespaces = _builder_bindings(tree, builders)

    def builder_of(node: Node | None) -> str | None:
        if node is None or node.type != "call_expression":
            return None
        callee = node.child_by_field_name("function")
        if callee.type == "identifier":
            return named.get(_text(callee))
        if callee.type == "member_expression":
            target, prop = (
                callee.child_by_field_name("object"),
                callee.child_by_field_name("property"),
            )
            if _text(target) in namespaces and _text(prop) in builders:
                return _text(prop)
        return None

    found: list[tuple[str, str, int, Node | None]] = []
    declared: dict[str, tuple[str, Node, Node]] = {}
    exported: list[tuple[str, str]] = []  # (local, exported) from `export { a as b }`
    for statement in tree.root_node.children:
        declaration = statement
        if statement.type == "export_statement":
            value = statement.child_by_field_name("value")
            builder = builder_of(value)
            if builder is not None and builder != "httpAction":
                found.append(("default()", builder, line(statement), handler_of(value)))
            declaration = statement.child_by_field_name("declaration")
            for clause in statement.children:
                if clause.type == "export_clause" and not statement.child_by_field_name("source"):
                    for spec in clause.named_children:
                        local = _text(spec.child_by_field_name("name"))
                        alias = spec.child_by_field_name("alias")
                        exported.append((local, _text(alias) if alias else local))
        if declaration is None or declaration.type not in (
            "lexical_declaration",
            "variable_declaration",
        ):
            continue
        for declarator in declaration.named_children:
            value = declarator.child_by_field_name("value")
            builder = builder_of(value)
            if builder is None or builder == "httpAction":
                continue
            name = _text(declarator.child_by_field_name("name"))
            if statement.type == "export_statement":
                found.append((f"{name}()", builder, line(declarator), handler_of(value)))
            declared[name] = (builder, declarator, value)
    for local, name in exported:
        if local in declared:
            builder, declarator, value = declared[local]
            found.append((f"{name}()", builder, line(declarator), handler_of(value)))
    # HTTP actions are reachable through the router, not through exports: every one counts.
    for node in walk(tree.root_node):
        if builder_of(node) == "httpAction":
            parent = node.parent
            if parent.type == "variable_declarator":
                name = _text(parent.child_by_field_name("name")) + "()"
            else:  # `http.route({ path, method, handler: httpAction(…) })`
                route = parent.parent if parent.type == "pair" else None
                path = _property(route, "path") or _property(route, "pathPrefix")
                method = _property(route, "method")
                shown = [string_value(n) or _text(n) for n in (method, path) if n is not None]
                name = " ".join(shown) or "httpAction(…)"
            found.append((name, "httpAction", line(node), handler_of(node)))
    return found


def _property(obj: Node | None, key: str) -> Node | None:
    """The value of `key` in an object literal (a method counts as its own value)."""
    if obj is None or obj.type != "object":
        return None
    for member in obj.named_children:
        if member.type == "pair" and _text(member.child_by_field_name("key")).strip("\"'") == key:
            return member.child_by_field_name("value")
        if member.type == "method_definition" and _text(member.child_by_field_name("name")) == key:
            return member
        if member.type == "shorthand_property_identifier" and _text(member) == key:
            return member
    return None


def handler_of(call: Node) -> Node | None:
    """The handler of `builder({ handler })` or `builder(handler)`: a function or a name."""
    arguments = call.child_by_field_name("arguments")
    first = arguments.named_children[0] if arguments and arguments.named_children else None
    if first is not None and first.type == "object":
        return _property(first, "handler")
    return first


def _parameters(function: Node) -> list[Node]:
    single = function.child_by_field_name("parameter")  # `ctx => …`
    if single is not None:
        return [single]
    parameters = function.child_by_field_name("parameters")
    kinds = ("required_parameter", "optional_parameter")
    return [p for p in parameters.named_children if p.type in kinds] if parameters else []


# The file's line ending, indentation step, and the error message as a string literal in its
# quotes.
Style = namedtuple("Style", "newline unit literal")


def _style(text: str, tree: Tree, message: str) -> Style:
    from ..typescript import walk

    first_string = next((n for n in walk(tree.root_node) if n.type == "string"), None)
    quote = first_string.text[:1].decode() if first_string is not None else '"'
    escaped = message.replace("\\", "\\\\").replace(quote, "\\" + quote)
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r")
    newline = "\r\n" if "\r\n" in text else "\n"
    return Style(newline, _indent_unit(text), quote + escaped + quote)


def _indent_unit(text: str) -> str:
    """A tab, or the most common step by which a line is indented deeper than the line before
    (two spaces when nothing is indented)."""
    steps: Counter[int] = Counter()
    previous = 0
    for row in text.splitlines():
        code = row.lstrip(" \t")
        if not code or code.startswith("*"):  # blank lines, the ` * ` of a doc comment
            continue
        indent = row[: len(row) - len(code)]
        if indent.startswith("\t"):
            return "\t"
        if len(indent) > previous:
            steps[len(indent) - previous] += 1
        previous = len(indent)
    return " " * steps.most_common(1)[0][0] if steps else "  "


def _guard_edits(
    handler: Node | None, data: bytes, style: Style
) -> list[tuple[int, int, str]] | str:
    """(start, end, text) splices putting the guard first in `handler`'s body, or why not."""
    from ..typescript import FUNCTIONS, walk

    if handler is None:
        return "has no handler"
    if handler.type == "call_expression":
        callee = _text(handler.child_by_field_name("function"))
        return f"has its handler built by {callee}(…): put the check in the function it wraps"
    if handler.type not in FUNCTIONS:
        return f"uses `{_text(handler)}` as its handler: put the check where that is defined"
    if handler.has_error:
        return "has a handler that does not parse"
    if not any(child.type == "async" for child in handler.children):
        return "has a handler that is not async (the guard awaits ctx.auth.getUserIdentity())"
    parameters = _parameters(handler)
    if not parameters:
        return "has a handler without the ctx parameter"
    pattern = parameters[0].child_by_field_name("pattern") or parameters[0]
    if pattern.type == "identifier":
        auth = _text(pattern) + ".auth"
    elif pattern.type == "object_pattern" and _auth_aliases(pattern):
        auth = min(_auth_aliases(pattern))
    else:
        shown = " ".join(_text(pattern).split())
        return f"has a handler that destructures ctx without `auth` ({shown})"
    # A name the handler neither binds nor reads, so the guard shadows nothing it uses.
    used = {
        _text(node)
        for node in walk(handler)
        if node.type
        in ("identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern")
    }
    variable, number = "identity", 1
    while variable in used:
        number += 1
        variable = f"identity{number}"
    lines = [
        f"const {variable} = await {auth}.getUserIdentity();",
        f"if ({variable} === null) {{",
        f"{style.unit}throw new Error({style.literal});",
        "}",
    ]
    nl = style.newline

    def block(indent: str) -> str:
        return "".join(indent + line + nl for line in lines)

    body = handler.child_by_field_name("body")
    if body.type != "statement_block":  # `async (ctx) => expr` becomes `{ guard; return expr; }`
        arrow = next(child for child in handler.children if child.type == "=>")
        if data[arrow.end_byte : body.start_byte].strip():
            return "has a comment between `=>` and its body"
        indent = _indentation(data, arrow.start_byte) + style.unit
        opening = " {" + nl + block(indent) + indent + "return "
        closing = ";" + nl + _indentation(data, arrow.start_byte) + "}"
        return [(arrow.end_byte, body.start_byte, opening), (body.end_byte, body.end_byte, closing)]
    row = body.start_point[0]
    # A comment ending the `{` line (`{ // why`) stays there.
    first = next(
        (c for c in body.named_children if not (c.type == "comment" and c.start_point[0] == row)),
        None,
    )
    if first is None:  # an empty body: the guard on its own lines, one step in
        children = body.named_children
        start = children[-1].end_byte if children else body.start_byte + 1
        indent = _indentation(data, body.start_byte)
        return [(start, body.end_byte - 1, nl + block(indent + style.unit) + indent)]
    line_start = data.rfind(b"\n", 0, first.start_byte) + 1
    prefix = data[line_start : first.start_byte]
    if first.start_point[0] > row and not prefix.strip():
        return [(line_start, line_start, block(prefix.decode("utf-8")))]
    # A body written on one line gets the guard on that line.
    return [(first.start_byte, first.start_byte, " ".join(line.strip() for line in lines) + " ")]


def _indentation(data: bytes, offset: int) -> str:
    """The leading whitespace of the line `offset` is on."""
    line = data[data.rfind(b"\n", 0, offset) + 1 : offset]
    return line[: len(line) - len(line.lstrip(b" \t"))].decode("utf-8")


def _auth_aliases(pattern: Node) -> set[str]:
    """The names `{ auth }` / `{ auth: a }` bind in an object pattern."""
    aliases = set()
    for member in pattern.named_children:
        if member.type == "shorthand_property_identifier_pattern" and _text(member) == "auth":
            aliases.add("auth")
        elif member.type == "pair_pattern" and _text(member.child_by_field_name("key")) == "auth":
            value = member.child_by_field_name("value")
            if value.type == "identifier":
                aliases.add(_text(value))
    return aliases


class AuthReach:
    """Whether a function, given the Convex ctx as its parameter number `position`, calls a
    `ctx.auth` method, itself or through the helpers it passes ctx to."""

    def __init__(self, repo: RepoView):
        self.repo = repo
        self._memo: dict[tuple[str, int, int], bool] = {}
        # The functions being decided, by their depth on the stack, and the shallowest depth a
        # cycle below the current one returned to (as in Tarjan's strongly connected components).
        self._depth: dict[tuple[str, int, int], int] = {}
        self._low = 0
        self._top: dict[str, dict[str, Node]] = {}
        self._imports: dict[str, dict[str, tuple[str, str]]] = {}

    def reaches(self, path: str, node: Node, position: int) -> bool:
        from ..typescript import FUNCTIONS

        if node.type in ("identifier", "shorthand_property_identifier"):
            target = self.resolve(path, _text(node))
        else:
            target = (path, node) if node.type in FUNCTIONS else None
        if target is None:
            return False
        key = (target[0], target[1].start_byte, position)
        if key in self._memo:
            return self._memo[key]
        if key in self._depth:  # a cycle: this path proves nothing
            self._low = min(self._low, self._depth[key])
            return False
        depth = self._depth[key] = len(self._depth)
        outer_low, self._low = self._low, depth
        result = self._reaches(*target, position)
        del self._depth[key]
        # A "no" that leaned on a function still being decided further up may yet turn "yes".
        if result or self._low >= depth:
            self._memo[key] = result
        self._low = min(outer_low, self._low)
        return result

    def _reaches(self, path: str, function: Node, position: int) -> bool:
        from ..typescript import walk

        parameters = _parameters(function)
        body = function.child_by_field_name("body")
        if position >= len(parameters) or body is None:
            return False
        parameter = parameters[position]
        pattern = parameter.child_by_field_name("pattern") or parameter
        ctx = _text(pattern) if pattern.type == "identifier" else None
        auth = _auth_aliases(pattern) if pattern.type == "object_pattern" else set()
        nodes = list(walk(body))
        for node in nodes:  # `const { auth } = ctx;`
            if node.type == "variable_declarator" and ctx is not None:
                value, bound = node.child_by_field_name("value"), node.child_by_field_name("name")
                if value is not None and _text(value) == ctx and bound.type == "object_pattern":
                    auth |= _auth_aliases(bound)
        calls = [node for node in nodes if node.type == "call_expression"]
        for call in calls:
            callee = call.child_by_field_name("function")
            target = (
                callee.child_by_field_name("object") if callee.type == "member_expression" else None
            )
            if target is None:
                continue
            if target.type == "identifier" and _text(target) in auth:
                return True
            if (
                target.type == "member_expression"
                and _text(target.child_by_field_name("property")) == "auth"
                and _text(target.child_by_field_name("object")) == ctx
            ):
                return True
        if ctx is None:
            return False
        for call in calls:
            arguments = call.child_by_field_name("arguments")
            if arguments is None or arguments.type != "arguments":
                continue
            for index, argument in enumerate(arguments.named_children):
                if argument.type == "identifier" and _text(argument) == ctx:
                    helper = self._callee(path, call.child_by_field_name("function"))
                    if helper is not None and self.reaches(*helper, index):
                        return True
        return False

    def _callee(self, path: str, callee: Node) -> tuple[str, Node] | None:
        if callee.type == "identifier":
            return self.resolve(path, _text(callee))
        if callee.type == "member_expression":  # `auth.requireUser(ctx)` on `import * as auth`
            module, original = self._bindings(path).get(
                _text(callee.child_by_field_name("object")), ("", "")
            )
            target = self._module(path, module) if original == "*" else None
            if target is not None:
                return self._exported(target, _text(callee.child_by_field_name("property")), set())
        return None

    def resolve(self, path: str, name: str) -> tuple[str, Node] | None:
        """The function `name` means in the module at `path`: declared there, or imported."""
        function = self._functions(path).get(name)
        if function is not None:
            return path, function
        module, original = self._bindings(path).get(name, ("", "*"))
        target = self._module(path, module) if original != "*" else None
        return self._exported(target, original, set()) if target is not None else None

    def _exported(self, path: str, name: str, seen: set) -> tuple[str, Node] | None:
        """The function a module exports as `name`, following `export … from` re-exports."""
        from ..typescript import FUNCTIONS, string_value

        if (path, name) in seen:
            return None
        seen.add((path, name))
        tree = self._tree(path)
        for statement in tree.root_node.children if tree else ():
            if statement.type != "export_statement":
                continue
            source = statement.child_by_field_name("source")
            origin = self._module(path, string_value(source) or "") if source else None
            if name == "default" and any(c.type == "default" for c in statement.children):
                value = statement.child_by_field_name("declaration")
                value = value or statement.child_by_field_name("value")
                if value is not None and value.type in (*FUNCTIONS, "function_declaration"):
                    return path, value
                return self.resolve(path, _text(value)) if value is not None else None
            clause = next((c for c in statement.children if c.type == "export_clause"), None)
            for spec in clause.named_children if clause else ():
                local = _text(spec.child_by_field_name("name"))
                alias = spec.child_by_field_name("alias")
                if (_text(alias) if alias else local) != name:
                    continue
                if source is None:
                    return self.resolve(path, local)
                return self._exported(origin, local, seen) if origin else None
            if (
                clause is None
                and origin is not None
                and statement.child_by_field_name("declaration") is None
            ):
                found = self._exported(origin, name, seen)  # `export * from "./m"`
                if found is not None:
                    return found
        function = self._functions(path).get(name)
        return (path, function) if function is not None else None

    def _tree(self, path: str) -> Tree | None:
        try:
            return self.repo.typescript(path)
        except FileProblem:
            return None

    def _functions(self, path: str) -> dict[str, Node]:
        """Top-level functions of a module by name: declarations and `const f = (…) => …`."""
        if path not in self._top:
            functions: dict[str, Node] = {}
            tree = self._tree(path)
            for statement in tree.root_node.children if tree else ():
                if statement.type == "export_statement":
                    statement = statement.child_by_field_name("declaration") or statement
                if statement.type in ("function_declaration", "generator_function_declaration"):
                    functions[_text(statement.child_by_field_name("name"))] = statement
                elif statement.type in ("lexical_declaration", "variable_declaration"):
                    for declarator in statement.named_children:
                        value = declarator.child_by_field_name("value")
                        if value is not None and value.type in (
                            "arrow_function",
                            "function_expression",
                        ):
                            functions[_text(declarator.child_by_field_name("name"))] = value
            self._top[path] = functions
        return self._top[path]

    def _bindings(self, path: str) -> dict[str, tuple[str, str]]:
        """Local name → (module, exported name; `default`, or `*` for a namespace)."""
        from ..typescript import string_value

        if path not in self._imports:
            bound: dict[str, tuple[str, str]] = {}
            tree = self._tree(path)
            for statement in tree.root_node.children if tree else ():
                source = statement.child_by_field_name("source")
                if statement.type != "import_statement" or source is None:
                    continue
                module = string_value(source) or ""
                for clause in statement.children:
                    for node in clause.children if clause.type == "import_clause" else ():
                        if node.type == "identifier":
                            bound[_text(node)] = (module, "default")
                        elif node.type == "namespace_import":
                            for name in node.named_children:
                                bound[_text(name)] = (module, "*")
                        elif node.type == "named_imports":
                            for spec in node.named_children:
                                original = _text(spec.child_by_field_name("name"))
                                alias = spec.child_by_field_name("alias")
                                bound[_text(alias) if alias else original] = (module, original)
            self._imports[path] = bound
        return self._imports[path]

    def _module(self, path: str, specifier: str) -> str | None:
        """The repository file a relative import names; None for packages and aliases."""
        if not specifier.startswith("."):
            return None
        base = posixpath.normpath(posixpath.join(posixpath.dirname(path), specifier))
        if base == ".." or base.startswith("../"):
            return None
        stems = [base]
        for extension in (".js", ".jsx", ".mjs"):
            if base.endswith(extension):
                stems.insert(0, base[: -len(extension)])
        candidates = [base]
        candidates += [stem + extension for stem in stems for extension in EXTENSIONS]
        candidates += [f"{base}/index{extension}" for extension in EXTENSIONS]
        for candidate in candidates:
            # A literal `[id]` directory would read as a glob character class.
            if not has_magic(candidate) and self.repo.is_file(candidate):
                return candidate
        return None
