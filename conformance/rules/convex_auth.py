"""Public Convex functions must establish the caller's identity through `ctx.auth`."""

from __future__ import annotations

import posixpath
import re
from collections import Counter, namedtuple
from collections.abc import Iterator

from ..globs import matches_any
from ..model import FileProblem, Finding, Rule
from ..project.convex_functions import aliases, parameters_of
from ..repo import RepoView
from ..typescript import text as _text
from .base import GLOBS, PATHS, STRING, RuleKind, as_list, included_files

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Node, Tree

    from ..project.convex_functions import ConvexAnalysis, ConvexFunction
    from ..workspace import Workspace

BUILDERS = ("query", "mutation", "action", "httpAction")
DEFAULT_BUILDERS = ("query", "mutation", "action")
DEFAULT_ERROR = "Unauthenticated"
# An auth library's entry point (see project/convex_functions.DEFAULT_ENTRY_POINTS).
ENTRY_POINT = {
    "type": "object",
    "required": ["module"],
    "additionalProperties": False,
    "properties": {
        "module": STRING,
        "function": STRING,
        "factory": STRING,
        "property": STRING,
        "methods": {"type": "array", "items": STRING},
        "returns": {"enum": ["null", "undefined", "throws"]},
    },
}


class ConvexAuthRequired(RuleKind):
    """Every public Convex function must establish the caller through `ctx.auth`.

    A public function is an export built from `query`, `mutation` or `action` (the `builders`)
    of the functions dir's `_generated/server` — directly, through a custom builder
    (convex-helpers' `customQuery` / `customMutation` / `customAction`, the zod `zCustom…`)
    defined here or in any module imported or re-exported (`import { mutation } from
    "../triggers"`), or through a fluent-convex chain ending in `.public()`. Builders made from
    `internalQuery`, `internalMutation` or `internalAction` are internal: clients cannot call
    them, and they are exempt.

    It establishes the caller when its handler, its builder's customization (`input`,
    `customCtx(fn)`) or a middleware of its chain calls a method of `ctx.auth` — itself or
    through helpers it passes ctx to (same module, imported modules, workspace packages,
    transitively) — or an auth library's entry point (`auth_functions`: by default
    `getAuthUserId` / `getAuthSessionId` of @convex-dev/auth, the `auth` of its `convexAuth()`,
    and `getAuthUser` / `safeGetAuthUser` / `getHeaders` / `getAuth` of the client
    @convex-dev/better-auth's `createClient()` makes, read in those npm packages). Comments and
    strings are not calls.

    A function public on purpose (a newsletter sign-up, a public feed) says so with a reason:
    `// conformance-public: why` right above its export, or a `public_functions` glob of
    `module.function` names (`web.subscribe`, `public/*`); a marker without a reason is a
    finding of its own. The rule's status line counts them.

    `httpAction` is not a default builder: HTTP actions are webhook endpoints (Clerk's user
    sync is verified by its Svix signature; it carries no user token). With `httpAction` listed,
    every HTTP action counts, routed or exported, named by its const or its route path.

    The fix writes a guard only where the project has an identity provider (`auth.config.*` in
    the functions dir, or a dependency on an auth library); it uses the guard the project's own
    authenticated handlers of that kind write first most often — a helper that throws is
    called alone, one that returns null gets its check — else `ctx.auth.getUserIdentity()`.
    A query that answers visitors early (null, undefined, []) and a function public on purpose
    get no guard; each one left is said, with the reason.
    """

    name = "convex-auth-required"
    properties = {
        "files": PATHS,
        "exclude": PATHS,
        "builders": {"type": "array", "items": {"enum": list(BUILDERS)}},
        "public_functions": GLOBS,
        "auth_functions": {"type": "array", "items": ENTRY_POINT},
    }
    required = ("files",)
    fix_properties = {"error_message": STRING}
    option_help = {
        "files": "Convex function modules to read (globs).",
        "exclude": "Files to leave out (globs).",
        "builders": "Builders of `_generated/server` whose exports clients can call.",
        "public_functions": "Functions public on purpose, as `module.function` globs (`public/*`).",
        "auth_functions": "Auth library calls that establish the caller, beyond the defaults.",
        "fix.error_message": "Message of the error the guard the fix writes throws.",
    }
    option_defaults = {
        "builders": ["query", "mutation", "action"],
        "fix.error_message": "Unauthenticated",
    }
    example = """\
id: convex-functions-check-auth
kind: convex-auth-required
files: "convex/**/*.ts"
exclude: ["convex/_generated/**"]
public_functions: [web.subscribe]
message: "{item}"
why: A public function is callable by anyone with the deployment URL.
"""
    hint = (
        "Establish the caller in the handler (`await ctx.auth.getUserIdentity()`, or the "
        "helper the project uses) and reject visitors; a function only the backend calls "
        "becomes internal; one that is public on purpose says why "
        "(`// conformance-public: reason`). The fix inserts the project's own guard first in "
        "each reported inline async handler, only where the project has an identity provider "
        "(auth.config.* or an auth library), never in a query that already answers visitors "
        "with null, undefined or []."
    )

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        if not as_list(rule.options["files"]):
            return  # no file named: the rule inspected nothing, and says so (unchecked)
        survey = Survey(rule, repo)
        for path in included_files(rule, repo):
            try:
                repo.typescript(path)
            except FileProblem as problem:
                yield self.problem(rule, problem)
                continue
            for function, verdict in survey.functions(path):
                if verdict == "unmarked":
                    yield Finding(
                        path,
                        function.line,
                        rule.id,
                        f"{_shown(function)} is marked `conformance-public` without a reason: "
                        "say why it is public (`// conformance-public: newsletter sign-up`)",
                    )
                elif verdict == "unauthenticated":
                    shown = _shown(function)
                    yield self.finding(
                        rule,
                        path,
                        function.line,
                        shown,
                        builder=function.builder.kind,
                        function=shown,
                        via=_looked_at(function),
                    )
            survey.analysis.release(path)
        if repo.inspection is not None:  # one line per functions directory checked
            said = f"{survey.root or '.'}: {survey.summary()}"
            previous = repo.inspection.note
            repo.inspection.note = f"{previous}; {said}" if previous else said

    def fix(self, rule: Rule, work: Workspace) -> None:
        """Insert the project's guard first in every handler the check reports, all of a file's
        in one edit; what cannot be patched is reported as skipped, with the reason."""
        survey = Survey(rule, work.repo)
        message = rule.options["fix"].get("error_message", DEFAULT_ERROR)
        provider = survey.identity_provider()
        guards = most_used_guards(survey) if provider is not None else []
        for path in included_files(rule, work.repo):
            verdicts = survey.functions(path)
            reported = [f for f, verdict in verdicts if verdict == "unauthenticated"]
            unmarked = [
                f"{_shown(f)} is marked conformance-public without a reason: say why; no guard"
                for f, verdict in verdicts
                if verdict == "unmarked"
            ]
            if not reported:
                if unmarked:
                    work.skip(path, rule, "not fixed: " + "; ".join(unmarked))
                continue
            if provider is None:
                names = ", ".join(_shown(f) for f in reported)
                work.skip(
                    path,
                    rule,
                    f"not fixed: {names}: no identity provider (no auth.config.* beside the "
                    "functions, no auth library), so a guard would turn every caller away; "
                    "establish the caller the way the app does",
                )
                continue
            text = work.read(path)
            if text is None or text != work.original(path):
                continue
            tree = work.repo.typescript(path)
            data = text.encode("utf-8")
            style = _style(text, tree, message)
            edits: list[tuple[int, int, str]] = []
            notes: list[str] = list(unmarked)
            seen: set[int] = set()  # `export { f as g }` names the same handler twice
            used: list[Guard] = []
            for function in reported:
                handler = function.handler
                if handler is not None and handler.start_byte in seen:
                    continue
                if handler is not None:
                    seen.add(handler.start_byte)
                answer = _visitor_answer(handler) if function.builder.kind == "query" else None
                if answer is not None:
                    notes.append(
                        f"{_shown(function)} answers visitors with {answer}: a throwing guard "
                        "would change that; check ctx.auth where it decides"
                    )
                    continue
                guard = _guard_for(guards, function)
                patch = _guard_edits(handler, data, style, guard)
                if isinstance(patch, str):
                    notes.append(f"{_shown(function)} {patch}")
                    continue
                edits += patch
                if guard is not None:
                    used.append(guard)
            for guard in {id(g): g for g in used}.values():
                edits += guard.import_edits(path, tree, data, style)
            # From the end backwards, so each offset still points where it was read.
            for start, end, insert in sorted(edits, reverse=True):
                data = data[:start] + insert.encode("utf-8") + data[end:]
            if edits:
                work.edit(path, data.decode("utf-8"), rule)
            if notes:
                work.skip(path, rule, "not fixed: " + "; ".join(notes))


def _shown(function: ConvexFunction) -> str:
    """`send()`, or an HTTP action's route (`POST /webhook`)."""
    return f"{function.name}()" if _NAME.fullmatch(function.name) else function.name


_NAME = re.compile(r"[\w$]+")


def _looked_at(function: ConvexFunction) -> str:
    builder = function.builder
    if builder.where is None:
        return ""
    return f" (neither its handler nor its builder {builder.name or '(…)'} at {builder.where} does)"


class Survey:
    """The public functions of the rule's files, each with a verdict: authenticated,
    unauthenticated, public on purpose, or `unmarked` (a conformance-public marker without a
    reason)."""

    def __init__(self, rule: Rule, repo: RepoView):
        from ..globs import literal_prefix
        from ..project import project_of
        from ..project.convex_functions import analysis_of

        self.rule, self.repo = rule, repo
        self.project = project_of(repo)
        self.analysis = analysis_of(self.project, rule.options.get("auth_functions"))
        self.builders = set(rule.options.get("builders", DEFAULT_BUILDERS))
        self.public = as_list(rule.options.get("public_functions"))
        self.root = literal_prefix(as_list(rule.options["files"])[0])
        self.counts: Counter[str] = Counter()

    def functions(self, path: str) -> list[tuple[ConvexFunction, str]]:
        found = []
        for function in self.analysis.functions(path):
            builder = function.builder
            if builder.visibility != "public" or builder.kind not in self.builders:
                continue
            if function.marker or (
                self.public and matches_any(self.public, self.qualified(function))
            ):
                verdict = "on purpose"
            elif self.analysis.authenticates(function):
                verdict = "authenticated"
            elif function.marker == "":
                verdict = "unmarked"
            else:
                verdict = "unauthenticated"
            self.counts[verdict] += 1
            found.append((function, verdict))
        return found

    def qualified(self, function: ConvexFunction) -> str:
        """`messages.send`, `admin/users.list`: the function's name as `api` spells it."""
        module = function.path[len(self.root) :].lstrip("/") if self.root else function.path
        return f"{re.sub(r'[.][^./]+$', '', module)}.{function.name}"

    def summary(self) -> str:
        total = sum(self.counts.values())
        parts = [
            f"{self.counts[v]} {v}"
            for v in ("authenticated", "on purpose", "unauthenticated", "unmarked")
            if self.counts[v]
        ]
        return f"{total} public functions" + (": " + ", ".join(parts) if parts else "")

    def identity_provider(self) -> str | None:
        """What establishes callers in this project: an auth.config.* beside the functions, or
        a dependency on an auth library; None when nothing does (sessions of its own)."""
        for name in ("auth.config.ts", "auth.config.js", "auth.config.mjs", "auth.config.mts"):
            path = f"{self.root}/{name}" if self.root else name
            if self.repo.is_file(path):
                return path
        libraries = {e["module"].removesuffix("/server") for e in self.analysis.entry_points}
        package = self.project.workspace.package_of(f"{self.root}/x") or "."
        declared = self.project.workspace.dependencies(package)
        found = sorted(libraries & declared.keys())
        return found[0] if found else None


# The file's line ending, indentation step, the error message as a string literal in its
# quotes, and how it ends a statement (";" or "", for projects that leave semicolons out).
Style = namedtuple("Style", "newline unit literal end")


def _style(text: str, tree: Tree, message: str) -> Style:
    from ..typescript import walk

    first_string = next((n for n in walk(tree.root_node) if n.type == "string"), None)
    quote = first_string.text[:1].decode() if first_string is not None else '"'
    escaped = message.replace("\\", "\\\\").replace(quote, "\\" + quote)
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r")
    newline = "\r\n" if "\r\n" in text else "\n"
    statements = [
        n
        for n in walk(tree.root_node)
        if n.type in ("expression_statement", "lexical_declaration", "import_statement")
    ]
    ended = sum(n.text.endswith(b";") for n in statements)
    end = ";" if ended * 2 >= len(statements) else ""
    return Style(newline, _indent_unit(text), quote + escaped + quote, end)


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
    handler: Node | None, data: bytes, style: Style, guard: Guard | None = None
) -> list[tuple[int, int, str]] | str:
    """(start, end, text) splices putting the guard — the project's own, or
    `ctx.auth.getUserIdentity()` — first in `handler`'s body, or why not."""
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
    parameters = parameters_of(handler)
    if not parameters:
        return "has a handler without the ctx parameter"
    style = style._replace(unit=_step(handler, data) or style.unit)
    pattern = parameters[0].child_by_field_name("pattern") or parameters[0]
    # A name the handler neither binds nor reads, so the guard shadows nothing it uses.
    used = {
        _text(node)
        for node in walk(handler)
        if node.type
        in ("identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern")
    }
    if guard is not None and pattern.type == "identifier":
        lines = guard.lines(_text(pattern), used, style)
    elif guard is not None:
        shown = " ".join(_text(pattern).split())
        return f"has a handler that destructures ctx ({shown}): {guard.shown} needs ctx itself"
    else:
        if pattern.type == "identifier":
            auth = _text(pattern) + ".auth"
        elif pattern.type == "object_pattern" and aliases(pattern, "auth"):
            auth = min(aliases(pattern, "auth"))
        else:
            shown = " ".join(_text(pattern).split())
            return f"has a handler that destructures ctx without `auth` ({shown})"
        variable = _free("identity", used)
        lines = [
            f"const {variable} = await {auth}.getUserIdentity(){style.end}",
            f"if ({variable} === null) {{",
            f"{style.unit}throw new Error({style.literal}){style.end}",
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
        closing = style.end + nl + _indentation(data, arrow.start_byte) + "}"
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


def _step(handler: Node, data: bytes) -> str | None:
    """How much deeper the body's first statement is indented than the line its `{` is on:
    files that mix tabs and spaces keep each handler's own."""
    body = handler.child_by_field_name("body")
    if body.type != "statement_block":
        return None
    first = next((c for c in body.named_children if c.type != "comment"), None)
    if first is None:
        return None
    if first.start_point[0] == body.start_point[0]:
        return None
    outer, inner = _indentation(data, body.start_byte), _indentation(data, first.start_byte)
    return inner[len(outer) :] if len(inner) > len(outer) and inner.startswith(outer) else None


def _indentation(data: bytes, offset: int) -> str:
    """The leading whitespace of the line `offset` is on."""
    line = data[data.rfind(b"\n", 0, offset) + 1 : offset]
    return line[: len(line) - len(line.lstrip(b" \t"))].decode("utf-8")


def _free(name: str, used: set[str]) -> str:
    """`name`, or `name2`, `name3`… whichever the handler does not use."""
    candidate, number = name, 1
    while candidate in used:
        number += 1
        candidate = f"{name}{number}"
    return candidate


def _visitor_answer(handler: Node | None) -> str | None:
    """What a handler returns early for some callers (`if (…) return null;`): the visitor
    answer a throwing guard would replace; None when it has none."""
    from ..typescript import FUNCTIONS

    if handler is None or handler.type not in FUNCTIONS:
        return None
    body = handler.child_by_field_name("body")
    if body is None or body.type != "statement_block":
        return None
    for statement in body.named_children:
        if statement.type != "if_statement":
            continue
        consequence = statement.child_by_field_name("consequence")
        returns = (
            [consequence]
            if consequence.type == "return_statement"
            else [child for child in consequence.named_children if child.type == "return_statement"]
        )
        for returned in returns:
            value = next((c for c in returned.named_children if c.type != "comment"), None)
            shown = "nothing" if value is None else _text(value)
            if value is None or shown in ("null", "undefined", "[]"):
                return shown
    return None


class Guard:
    """The statements a project establishes its callers with, as its own handlers write them:
    the helper or library call, and the check after it (`const userId = await
    getAuthUserId(ctx); if (userId === null) throw …`), to be written with another handler's
    ctx name, and the import that brings the helper."""

    def __init__(
        self,
        analysis: ConvexAnalysis,
        source: str,
        statements: list[Node],
        ctx: str,
        root: str,
        returns: str,
    ):
        self.analysis, self.source, self.statements, self.ctx, self.root = (
            analysis,
            source,
            statements,
            ctx,
            root,
        )
        # What a visitor gets: "throws", "null" or "undefined" (an entry point's), or "falsy"
        # (a project helper that never throws).
        self.returns = returns
        self.kinds = ALL_KINDS  # the kinds of function whose ctx it takes
        self.home: str | None = None  # the module of a helper it does not export
        self.shown = _text(statements[0]).split("\n")[0].strip()

    def lines(self, ctx: str, used: set[str], style: Style) -> list[str]:
        """The statements, with the target's ctx name and a variable name it does not use,
        dedented; a check added when the call returns null or undefined to visitors."""
        from ..typescript import walk

        declared = _declared(self.statements[0])
        renames = {self.ctx: ctx}
        if declared is not None:
            renames[declared] = _free(
                declared, used - {declared} | {ctx} if declared != ctx else used
            )
            if declared in used:
                renames[declared] = _free(declared, used)
        start = self.statements[0].start_byte
        text = self.statements[0].parent.text  # the block, as bytes
        base = self.statements[0].parent.start_byte
        pieces, cursor = [], start
        end = self.statements[-1].end_byte
        for statement in self.statements:
            for node in walk(statement):
                if node.type == "identifier" and _text(node) in renames and _is_reference(node):
                    pieces.append(text[cursor - base : node.start_byte - base].decode("utf-8"))
                    pieces.append(renames[_text(node)])
                    cursor = node.end_byte
        pieces.append(text[cursor - base : end - base].decode("utf-8"))
        written = "".join(pieces).replace("\r\n", "\n").split("\n")
        value = _awaited_value(self.statements[0])
        if len(self.statements) == 1 and value is not None and self.returns == "throws":
            # `const user = await requireUser(ctx);` guards by throwing; the name would go unused.
            call = value.text.decode("utf-8")
            for old, new in renames.items():
                call = re.sub(rf"\b{re.escape(old)}\b", new, call)
            return [call + style.end]
        indent = _leading(self.statements[0])
        lines = [
            line[len(indent) :] if line.startswith(indent) else line.lstrip() for line in written
        ]
        if len(self.statements) == 1 and declared is not None and self.returns != "throws":
            variable = renames[declared]
            check = f"!{variable}" if self.returns == "falsy" else f"{variable} === {self.returns}"
            lines += [
                f"if ({check}) {{",
                f"{style.unit}throw new Error({style.literal}){style.end}",
                "}",
            ]
        return [line.replace("\t" if style.unit != "\t" else "\0", style.unit) for line in lines]

    def import_edits(
        self, path: str, tree: Tree, data: bytes, style: Style
    ) -> list[tuple[int, int, str]]:
        """The import of the helper's name into `path`, unless it is bound there already."""
        module, original = self.analysis.bindings(self.source).get(self.root, ("", ""))
        if not module:  # the helper is the source module's own export
            stem = re.sub(r"\.[mc]?[jt]sx?$", "", posixpath.basename(self.source))
            module, original = f"./{stem}", self.root
        if self.analysis.bindings(path).get(self.root, ("", ""))[
            1
        ] == original or self.root in self.analysis.top_level(path):
            return []
        if module.startswith("."):
            target = self.analysis.module(self.source, module)
            if target is None:
                return []
            specifier = posixpath.relpath(
                re.sub(r"\.[mc]?[jt]sx?$", "", target), posixpath.dirname(path) or "."
            )
            if not specifier.startswith("."):
                specifier = "./" + specifier
            if module.endswith(".js"):
                specifier += ".js"
        else:
            specifier = module
        quote = style.literal[0]
        name = original if original == self.root else f"{original} as {self.root}"
        if original == "default":
            statement = f"import {self.root} from {quote}{specifier}{quote}{style.end}"
        else:
            statement = f"import {{ {name} }} from {quote}{specifier}{quote}{style.end}"
        imports = [c for c in tree.root_node.named_children if c.type == "import_statement"]
        for existing in imports if original != "default" else ():
            source = existing.child_by_field_name("source")
            named = next(
                (
                    n
                    for c in existing.children
                    if c.type == "import_clause"
                    for n in c.children
                    if n.type == "named_imports"
                ),
                None,
            )
            if named is not None and source is not None and _text(source)[1:-1] == specifier:
                last = named.named_children[-1] if named.named_children else None
                if last is not None and not any(c.type == "type" for c in existing.children):
                    # `import { a } from "./lib/auth"` becomes `import { a, requireUser } …`
                    return [(last.end_byte, last.end_byte, f", {name}")]
        if imports:
            return [(imports[-1].end_byte, imports[-1].end_byte, style.newline + statement)]
        return [(0, 0, statement + style.newline)]


def _written_value(statement: Node) -> Node | None:
    """The value `helper(ctx);`, `await helper(ctx);` or `const x = await helper(ctx);`
    computes, without its await."""
    if statement.type == "expression_statement":
        value = statement.named_children[0] if statement.named_children else None
    else:
        declarator = _declarator(statement)
        value = declarator.child_by_field_name("value") if declarator else None
    if value is not None and value.type == "await_expression":
        value = value.named_children[0] if value.named_children else None
    return value


def _declarator(statement: Node) -> Node | None:
    """The `x = …` of `const x = …;`."""
    if statement.type not in ("lexical_declaration", "variable_declaration"):
        return None
    return next((c for c in statement.named_children if c.type == "variable_declarator"), None)


def _awaited_value(statement: Node) -> Node | None:
    """The `await helper(ctx)` of `const x = await helper(ctx);`."""
    declarator = _declarator(statement)
    value = declarator.child_by_field_name("value") if declarator else None
    return value if value is not None and value.type == "await_expression" else None


def _declared(statement: Node) -> str | None:
    """The name `const x = …` declares."""
    declarator = _declarator(statement)
    name = declarator.child_by_field_name("name") if declarator else None
    return _text(name) if name is not None and name.type == "identifier" else None


def _is_reference(node: Node) -> bool:
    """An identifier that names a variable (not the property of `a.b` or a key of `{ b: … }`)."""
    parent = node.parent
    if parent.type == "member_expression" and parent.child_by_field_name("property") == node:
        return False
    return not (parent.type == "pair" and parent.child_by_field_name("key") == node)


def _leading(node: Node) -> str:
    data = node.parent.text
    base = node.parent.start_byte
    line_start = data.rfind(b"\n", 0, node.start_byte - base) + 1
    prefix = data[line_start : node.start_byte - base]
    return prefix.decode("utf-8") if not prefix.strip() else ""


ALL_KINDS = frozenset({"query", "mutation", "action"})


def _guard_for(guards: list[Guard], function: ConvexFunction) -> Guard | None:
    """The most written guard that takes a ctx of the function's kind and can be called from
    its module; None falls back to ctx.auth.getUserIdentity(), which every kind has."""
    kind = "action" if function.builder.kind == "httpAction" else function.builder.kind
    return next((g for g in guards if kind in g.kinds and g.home in (None, function.path)), None)


def _ctx_kinds(annotation: str | None, written_in: set[str]) -> frozenset[str]:
    """The kinds of function whose ctx a helper's ctx parameter takes, by its type: an untyped
    or auth-only parameter takes any; `QueryCtx` takes a mutation's too (a MutationCtx is a
    QueryCtx); a type it cannot tell takes what the helper was written in."""
    if annotation is None or not re.search(r"Ctx\b|Context\b", annotation):
        return ALL_KINDS
    kinds = {kind for kind in ALL_KINDS if re.search(rf"{kind}Ctx\b", annotation, re.I)}
    if not kinds:
        kinds = set(written_in)
    if "query" in kinds:
        kinds.add("mutation")
    return frozenset(kinds)


def most_used_guards(survey: Survey) -> list[Guard]:
    """The guards the project writes first in its authenticated handlers, most written first,
    each with the kinds of function it can guard: a call passing ctx to a helper or library
    entry point that reaches ctx.auth (with the check after it). Empty when its handlers call
    ctx.auth themselves, or none authenticates."""
    from ..typescript import FUNCTIONS, walk

    analysis = survey.analysis
    found: dict[tuple[str, str], list[Guard]] = {}
    for path in included_files(survey.rule, survey.repo):
        for function, verdict in survey.functions(path):
            handler = function.handler
            if verdict != "authenticated" or handler is None or handler.type not in FUNCTIONS:
                continue
            parameters = parameters_of(handler)
            pattern = (
                (parameters[0].child_by_field_name("pattern") or parameters[0])
                if parameters
                else None
            )
            body = handler.child_by_field_name("body")
            if (
                pattern is None
                or pattern.type != "identifier"
                or body is None
                or body.type != "statement_block"
            ):
                continue
            ctx = _text(pattern)
            statements = [c for c in body.named_children if c.type != "comment"]
            for index, statement in enumerate(statements):
                call = (
                    next(
                        (
                            n
                            for n in walk(statement)
                            if n.type == "call_expression"
                            # Only ctx: a call needing the handler's other values does not
                            # move to another handler.
                            and [
                                _text(a) for a in n.child_by_field_name("arguments").named_children
                            ]
                            == [ctx]
                        ),
                        None,
                    )
                    if statement.type in ("lexical_declaration", "expression_statement")
                    else None
                )
                if call is None:
                    continue
                if _written_value(statement) != call:
                    break  # `await requireUser(ctx).catch(() => null)` guards nothing
                callee = call.child_by_field_name("function")
                entry = analysis.entry_point(path, callee)
                root_node = (
                    callee.child_by_field_name("object")
                    if callee.type == "member_expression"
                    else callee
                )
                if root_node is None or root_node.type != "identifier":
                    break
                root = _text(root_node)
                # Unknown for an entry point: treated like a helper that never throws.
                returns = entry.get("returns", "falsy") if entry else "falsy"
                home = None
                if entry is None:
                    helper = analysis._callee(path, callee)
                    if helper is None or not analysis.reaches(*helper, 0):
                        continue
                    if root not in analysis.bindings(path) and not any(
                        local == exported == root for local, exported, _ in analysis.exports(path)
                    ):
                        home = path  # a helper this module keeps to itself guards only its own
                    # A helper that never throws answers visitors with a value to check.
                    returns = "throws" if analysis.throws(*helper, 0) else "falsy"
                taken = [statement]
                declared = _declared(statement)
                following = statements[index + 1] if index + 1 < len(statements) else None
                if (
                    declared is not None
                    and following is not None
                    and following.type == "if_statement"
                    and declared in _text(following.child_by_field_name("condition"))
                    and "throw" in _text(following)
                ):
                    taken.append(following)
                elif declared is None and returns != "throws":
                    continue  # `await getUser(ctx);` alone would let visitors through
                annotation = None
                if entry is None:
                    typed = parameters_of(helper[1])[0].child_by_field_name("type")
                    annotation = _text(typed) if typed is not None else None
                kind = "action" if function.builder.kind == "httpAction" else function.builder.kind
                guard = Guard(analysis, path, taken, ctx, root, returns)
                guard.home = home
                found.setdefault(f"{home}:{_text(callee)}", []).append((guard, kind, annotation))
                break
    guards = []
    for written in sorted(found.values(), key=len, reverse=True):
        guard, _, annotation = written[0]
        guard.kinds = _ctx_kinds(annotation, {kind for _, kind, _ in written})
        guards.append(guard)
    return guards
