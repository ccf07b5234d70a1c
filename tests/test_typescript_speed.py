"""The fast paths of the TypeScript rules give what the slow ones gave (issue 12).

- `typescript.below` (a query, matched in C) finds exactly the nodes `walk` filtered by type
  finds, in the same order, on every TypeScript file of the fixtures.
- convex-auth lets go of each module's syntax tree once its functions are judged, and parses a
  module again when another one asks for it later: its report is the same as when every tree is
  kept, in the listing's order and in the reverse order (where the modules a builder or helper
  lives in are released before the modules importing them are judged).
- The bench's generated projects are the same report for the package at `/work/wt/base`-like
  trees: that comparison is `bench/typescript.py --compare`, not a test (it needs the old code).
"""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES

from conformance.contract import load_rules
from conformance.engine import check_rule, run
from conformance.model import Rule
from conformance.repo import RepoView
from conformance.typescript import SOURCE_SUFFIXES, below, parse, walk

TYPESCRIPT_FILES = sorted(
    path
    for path in FIXTURES.rglob("*")
    if path.suffix in SOURCE_SUFFIXES and "node_modules" not in path.parts and path.is_file()
)
# The node types the rules ask `below` for, and a few more. (A query matches named nodes only:
# `string` would differ, as the `string` keyword of a type annotation is an anonymous node.)
TYPE_SETS = [
    ("variable_declarator", "call_expression"),
    ("throw_statement", "call_expression"),
    ("arrow_function", "function_expression", "member_expression"),
    ("variable_declarator", "call_expression", "new_expression"),
    ("new_expression", "call_expression"),
    ("return_statement",),
    ("variable_declarator", "required_parameter", "assignment_expression", "arrow_function"),
    ("string",),
]
CONVEX_AUTH_FIXTURES = sorted(
    path.parent.name
    for path in FIXTURES.glob("*/conformance.yaml")
    if "convex-auth" in path.read_text()
)


def _spans(nodes) -> list[tuple[int, int, str]]:
    return [(node.start_byte, node.end_byte, node.type) for node in nodes]


def test_there_are_files_to_compare():
    assert len(TYPESCRIPT_FILES) > 100
    assert {"convex-auth-before", "convex-auth-builders", "hostile"} <= set(CONVEX_AUTH_FIXTURES)


def _queried(node, path, types):
    """What `below` answers once the run has made the query (after its walking budget)."""
    from conformance.typescript import _cursor, _language, _source_order

    language = _language(path.endswith((".tsx", ".jsx")))
    found = _cursor(language, types).captures(node).get("node", [])
    return sorted(found, key=_source_order)


@pytest.mark.parametrize("types", TYPE_SETS, ids="+".join)
def test_below_finds_what_walk_finds(types):
    """The query (matching named nodes only) and the walk `below` starts with find the same
    nodes in the same order."""
    compared = 0
    for file in TYPESCRIPT_FILES:
        path = str(file.relative_to(FIXTURES))
        try:
            tree = parse(file.read_text(encoding="utf-8"), path)
        except UnicodeDecodeError:  # the hostile fixture's undecodable file
            continue
        blocks = ("arrow_function", "statement_block")
        functions = [n for n in walk(tree.root_node) if n.type in blocks]
        for node in [tree.root_node, *functions]:
            expected = _spans(n for n in walk(node) if n.type in types and n.is_named)
            assert _spans(_queried(node, path, types)) == expected, (path, node.start_point)
            assert _spans(below(node, path, *types)) == expected, (path, node.start_point)
            compared += len(expected)
    assert compared > 500


def _report(root, monkeypatch, *, keep_trees: bool, reverse: bool):
    from conformance.project import convex_functions
    from conformance.rules import convex_auth

    with monkeypatch.context() as patched:
        if keep_trees:
            patched.setattr(convex_functions.ConvexAnalysis, "release", lambda self, path: None)
        if reverse:
            listed = convex_auth.included_files
            patched.setattr(
                convex_auth, "included_files", lambda rule, repo: listed(rule, repo)[::-1]
            )
        repo = RepoView(root)
        report = run(load_rules(root, ["convex-auth"], {}), repo)
        held = sum(fmt == "typescript" for _, fmt in repo._documents)
    findings = sorted((f.path, f.line, f.rule, f.message) for f in report.findings)
    return findings, report.statuses(), held


@pytest.mark.parametrize("name", CONVEX_AUTH_FIXTURES)
def test_releasing_trees_changes_no_verdict(name, monkeypatch):
    root = FIXTURES / name
    kept, kept_statuses, kept_trees = _report(root, monkeypatch, keep_trees=True, reverse=False)
    for reverse in (False, True):
        found, statuses, held = _report(root, monkeypatch, keep_trees=False, reverse=reverse)
        assert found == kept
        assert statuses == kept_statuses
        assert held <= kept_trees
        if name == "convex-auth-builders":  # many modules: most trees are let go
            assert held < kept_trees / 2


def test_string_values_read_without_the_children_are_the_fragments():
    """`string_value` slices a plain string between its quotes: the same value the fragment
    children give, on every string of the fixtures (escapes, JSX character references, quotes
    of the other kind, unterminated strings) and of a few hand-written ones."""
    from conformance.typescript import _fragments, string_value

    written = (
        b"const a = 'it\\'s', b = \"say \\\"hi\\\"\", c = '', d = \"caf\xc3\xa9\", e = '\"';\n"
        b'const f = <a title="&amp; more" alt=\'x\' />;\nconst g = "unterminated\n'
    )
    sources = [(path.read_bytes(), str(path)) for path in TYPESCRIPT_FILES]
    sources.append((written, "hand.tsx"))
    compared = set()
    for source, path in sources:
        tree = parse(source.decode("utf-8", "replace"), path)
        for node in walk(tree.root_node):
            if node.type == "string" and node.is_named:
                assert string_value(node) == _fragments(node), (path, node.start_point)
                compared.add(node.text)
    assert len(compared) > 500
    assert {b"'it\\'s'", b'"&amp; more"', b"''", b"'\"'"} <= compared


def _bindings_walked(use, name, *, before):
    """`sql_interpolation.bindings` as it was: a walk of every node of each scope in Python."""
    from conformance.typescript import FUNCTIONS, text

    fields = {
        "variable_declarator": "name",
        "required_parameter": "pattern",
        "optional_parameter": "pattern",
        "assignment_expression": "left",
        "augmented_assignment_expression": "left",
    }
    found = []
    scope = use.parent
    while scope is not None:
        if scope.type in FUNCTIONS or scope.type == "program":
            declared = False
            stack = list(scope.children)
            while stack:
                node = stack.pop()
                if node.type in FUNCTIONS:
                    continue
                stack.extend(node.children)
                field = fields.get(node.type)
                target = node.child_by_field_name(field) if field else None
                if target is None or target.type != "identifier" or text(target) != name:
                    continue
                declared = declared or "assignment" not in node.type
                if not before or node.start_byte < use.start_byte:
                    found.append(node)
            if declared:
                break
        scope = scope.parent
    return found


def test_bindings_found_by_query_are_the_walks():
    """The query-matched `bindings` (client-usage-absent, sql-interpolation) gives the nodes,
    in the order, the walk gave, for every identifier read in the fixtures, before and not."""
    from conformance.rules.sql_interpolation import bindings

    compared = 0
    for path in TYPESCRIPT_FILES:
        tree = parse(path.read_text(errors="replace"), str(path))
        uses = [n for n in walk(tree.root_node) if n.type == "identifier"]
        for use in uses[::3]:  # a third of them: all take seconds
            name = use.text.decode()
            for before in (False, True):
                expected = _spans(_bindings_walked(use, name, before=before))
                assert _spans(bindings(use, name, tree, before=before)) == expected, (
                    path,
                    use.start_point,
                )
                compared += len(expected)
    assert compared > 1500


IMPORTS_WRITTEN = """\
import a from "m1";
import * as b from 'm2';
import c, * as d from "m3";
import e, { f, g as h, type i, type j as k, } from "m4";
import type { l, m as n } from "m5";
import type o from "m6";
import type * as p from "m7";
import type from "m8";
import type, { q } from "m9";
import { type } from "m10";
import { default as r, as, type as s } from "m11";
import {} from "m12";
import "m13";
import t = require("m14");
import u from "m15" with { type: "json" };
import { v /* why */ } from "m16";
import { "w-x" as w } from "m17";
import y from "m\\u0031";
import {z}from"m18"
import AA, {BB} from "m19"
import { ﬁ } from "m20";
"""


def test_import_bindings_read_from_the_text_are_the_nodes():
    """An import statement in a plain form is read from its text: the same bindings its nodes
    give, on every import statement of the fixtures and on hand-written odd ones (names that
    are keywords of an import, comments, string names, attributes, escapes)."""
    from conformance.typescript import _statement_bindings, _written_bindings

    sources = [(path.read_text(errors="replace"), str(path)) for path in TYPESCRIPT_FILES]
    sources.append((IMPORTS_WRITTEN, "hand.ts"))
    read_from_text = compared = 0
    for source, path in sources:
        tree = parse(source, path)
        for statement in tree.root_node.children:
            if statement.type != "import_statement" or statement.has_error:
                continue
            written = _written_bindings(statement.text)
            compared += 1
            if written is not None:
                read_from_text += 1
                assert written == _statement_bindings(statement), (path, statement.text)
    assert compared > 300
    assert read_from_text > compared * 0.8


@pytest.mark.parametrize(
    "written",
    [
        b"import " + b"type " * 40_000 + b"x",
        b"import { " + b"a, " * 40_000 + b"} from 'm",
        b"import a" + b" " * 100_000 + b", { b } form 'm'",
        b"'" + b"a" * 200_000,
        b'"' + b"a" * 200_000 + b"'",
    ],
)
def test_the_text_fast_paths_are_linear(written):
    """The byte patterns of the fast paths (test_patterns_linear reads str patterns only) take
    linear time on 200 KB that almost match."""
    import time

    from conformance.typescript import _PLAIN_IMPORT, _PLAIN_SPECIFIER, _PLAIN_STRING

    for pattern in (_PLAIN_IMPORT, _PLAIN_SPECIFIER, _PLAIN_STRING):
        start = time.perf_counter()
        pattern.fullmatch(written)
        assert time.perf_counter() - start < 0.5, pattern.pattern


def _made_from_every_call(tree, modules):
    """`prisma._made_from` as it was: every call and `new` of the module, matched in order."""
    from conformance.typescript import find, imports, text

    bound = {local for local, module in imports(tree).items() if module in modules}
    for node in find(tree, "call_expression", "new_expression"):
        callee = node.child_by_field_name(
            "function" if node.type == "call_expression" else "constructor"
        )
        root = callee
        while root is not None and root.type == "member_expression":
            root = root.child_by_field_name("object")
        if root is not None and root.type == "identifier" and text(root) in bound:
            shown = " ".join(text(callee).split())
            return f"new {shown}()" if node.type == "new_expression" else f"{shown}()"
    return None


MADE_WRITTEN = """\
import express, { Router as R, RouterX } from "express";
import { Hono } from "hono";
import * as io from "socket.io";
import { cors } from "hono/cors";

// express() in a comment, "Router()" in a string
const label = "express()";
const routerX = RouterX.make();
const app = express().use(cors());
const router = R();
export const hono = new Hono<{ Bindings: Env }>();
const server = new io.Server(3000);
const x = (express)();
const y = express.static.bind(null)("public");
"""


def test_made_from_found_where_names_are_spelled_is_every_calls():
    """`_made_from` finds from where an imported name is spelled the call that matching every
    call found, on every fixture file (with the server frameworks, and with every module the file
    imports) and on a hand-written one (aliases, namespaces, member chains, names one of which
    begins another, names in comments and strings)."""
    from conformance.project.prisma import SERVER_FRAMEWORKS, _made_from
    from conformance.typescript import imports

    sources = [(path.read_text(errors="replace"), str(path)) for path in TYPESCRIPT_FILES]
    sources.append((MADE_WRITTEN, "hand.ts"))
    made = 0
    for source, path in sources:
        tree = parse(source, path)
        for modules in (SERVER_FRAMEWORKS, tuple(set(imports(tree).values()))):
            expected = _made_from_every_call(tree, modules)
            assert _made_from(tree, modules) == expected, path
            made += expected is not None
    assert made > 40
    hand = parse(MADE_WRITTEN, "hand.ts")
    assert _made_from(hand, ("express",)) == "RouterX.make()"
    assert _made_from(hand, ("hono",)) == "new Hono()"
    assert _made_from(hand, ("socket.io",)) == "new io.Server()"


# Handlers the pre-test of `_reaches` answers "no" without a query, and ones it must leave to the
# query or to the calls found where ctx is spelled: ctx given on (as an argument, renamed, across lines, after a comment), ctx only as the
# object of a member (`ctx.db`, `ctx?.db`, across a line), ctx in a string or a longer name.
REACHING_HANDLERS = {
    "member": "async (ctx) => await ctx.db.query('t').take(1)",
    "optional": "async (ctx) => ctx?.db.get('x')",
    "split": "async (ctx) => ctx\n    .db.get('x')",
    "commented": "async (ctx) => ctx /* the caller */ .db.get('x')",
    "string": "async (ctx) => { await load('ctx'); return ctxCount; }",
    "spread": "async (ctx) => { await requireUser({ ...ctx }); }",
    "given": "async (ctx) => { await requireUser(ctx); }",
    "across": "async (ctx) => { await requireUser(\n    ctx\n  ); }",
    "after": "async (ctx) => { await requireUser(ctx /* c */); }",
    "renamed": "async (ctx) => { const c = ctx; await requireUser(c); }",
    "dollar": "async ($ctx) => { await requireUser($ctx); }",
    "context": "async ({ context }) => { await requireUser(context); }",
    "delegated": "async (ctx) => await ctx.runQuery(api.a.me, {})",
    "destructured": "async ({ auth: who }) => await who.getUserIdentity()",
}


def _reaching_source() -> str:
    handlers = REACHING_HANDLERS.items()
    return (
        'import { query } from "./_generated/server";\n'
        'import { api } from "./_generated/api";\n'
        "async function requireUser(ctx) { return await ctx.auth.getUserIdentity(); }\n"
        "export const me = query({ handler: async (ctx) => ctx.auth.getUserIdentity() });\n"
        + "".join(
            f"export const {name} = query({{ handler: {body} }});\n" for name, body in handlers
        )
    )


def _reaching_report(tree, monkeypatch, *, pretest: bool):
    from conformance.project import convex_functions
    from conformance.rules.convex_auth import ConvexAuthRequired

    source = _reaching_source()
    queried = []
    root = tree({"convex/a.ts": source, "convex/_generated/api.ts": "export const api = {};\n"})
    with monkeypatch.context() as patched:
        if not pretest:  # every name "given on", and no call found from the text: the query
            patched.setattr(convex_functions, "_unmembered", lambda name: re.compile(b""))
            patched.setattr(convex_functions, "_given", lambda body, written, ctx: None)
        below = convex_functions.below
        patched.setattr(convex_functions, "below", lambda *a: queried.append(a) or below(*a))
        rule = Rule(
            id="auth",
            kind=ConvexAuthRequired.name,
            message="{function}",
            why="w",
            contract="t",
            options={"files": "convex/**/*.ts", "exclude": ["convex/_generated/**"]},
        )
        report = check_rule(rule, RepoView(root)).findings
    return [(f.path, f.line, f.message) for f in report], len(queried)


def test_the_reaching_pretest_answers_as_the_query(tree, monkeypatch):
    fast, fast_queries = _reaching_report(tree, monkeypatch, pretest=True)
    slow, slow_queries = _reaching_report(tree, monkeypatch, pretest=False)
    assert fast == slow
    # Only a body writing `auth` or `run`, or naming ctx anew (`renamed`), is read with the
    # query: `me`, the helper it calls, `renamed`, `delegated`, `destructured`. The others are
    # answered from where the text spells ctx (`member`, `optional`, `split` before a `.` only).
    assert (fast_queries, slow_queries) == (5, len(REACHING_HANDLERS) + 2)
    lines = _reaching_source().splitlines()
    line_of = {
        line.split()[2]: number for number, line in enumerate(lines, 1) if line.startswith("export")
    }
    unreached = ["member", "optional", "split", "commented", "string", "spread"]
    assert fast == [("convex/a.ts", line_of[name], f"{name}()") for name in unreached]


@pytest.mark.parametrize("name", CONVEX_AUTH_FIXTURES)
def test_the_shared_answers_change_no_verdict(name, monkeypatch):
    """A builder asked once per import a folder's modules share, an import statement's text
    read once, and the pre-test of `_reaches`: without them the fixtures' reports are the same."""
    from conformance import typescript
    from conformance.project import convex_functions

    fast = _report(FIXTURES / name, monkeypatch, keep_trees=False, reverse=False)
    with monkeypatch.context() as patched:
        patched.setattr(convex_functions.ConvexAnalysis, "_named", lambda self, path, n: (path, n))
        patched.setattr(typescript, "_written_bindings", typescript._written_bindings.__wrapped__)
        patched.setattr(convex_functions, "_unmembered", lambda n: re.compile(b""))
        patched.setattr(convex_functions, "_given", lambda body, written, ctx: None)
        slow = _report(FIXTURES / name, monkeypatch, keep_trees=False, reverse=False)
    assert fast[:2] == slow[:2]


# Calls given ctx in the ways the text can hide or repeat it: nested, chained from the same
# byte, after a comment, in a string or a longer name, to `new`, a tagged template, a spread,
# an optional call; and ctx named anew (the two functions `_given` leaves to the query).
GIVEN = """
async function a(ctx, other) {
  await f(g(ctx), ctx)(ctx, /* ctx */ "ctx", ctxs, other);
  new Client(ctx);
  tag`${ctx}`;
  h({ ...ctx }, [ctx], (ctx));
  obj.method?.(ctx);
  const inner = (ctx) => k(ctx);
}
async function b(ctx) { const c = ctx; await f(c); }
const d = async (ctx) => { const { auth } = ctx; return auth; };
"""


def test_calls_given_ctx_found_from_the_text_are_the_querys():
    """`_given` lists the calls the query path of `_reaches` would try with ctx, in its order,
    for every function of the fixtures and each name it declares as a parameter (or says None
    where a declaration names one anew)."""
    from conformance.project.convex_functions import FUNCTIONS, _given, parameters_of

    compared = declared = 0
    for file in [*TYPESCRIPT_FILES, None]:
        path = "given.ts" if file is None else str(file.relative_to(FIXTURES))
        try:
            tree = parse(GIVEN if file is None else file.read_text(encoding="utf-8"), path)
        except UnicodeDecodeError:
            continue
        for function in (n for n in walk(tree.root_node) if n.type in FUNCTIONS):
            body = function.child_by_field_name("body")
            for parameter in parameters_of(function) if body is not None else ():
                pattern = parameter.child_by_field_name("pattern") or parameter
                if pattern.type != "identifier":
                    continue
                name = pattern.text
                nodes = below(body, path, "variable_declarator", "call_expression")
                aliased = any(
                    n.type == "variable_declarator"
                    and (value := n.child_by_field_name("value")) is not None
                    and value.type == "identifier"
                    and value.text == name
                    for n in nodes
                )
                expected = [
                    _spans([n])[0]
                    for n in nodes
                    if n.type == "call_expression"
                    and (arguments := n.child_by_field_name("arguments")) is not None
                    and arguments.type == "arguments"
                    and any(
                        a.type == "identifier" and a.text == name for a in arguments.named_children
                    )
                ]
                found = _given(body, body.text, {name.decode()})
                if aliased:
                    assert found is None, (path, function.start_point)
                    declared += 1
                    continue
                assert found is not None and _spans(found) == expected, (path, function.start_point)
                compared += len(expected)
    assert compared > 150 and declared == 2, (compared, declared)


WORDS = [b"ctx", b"$ctx", b"context", b"c", b"db", b"_", b"import"]
WRITTEN = [b"ctx", b"xctx", b"$ctx", b"ctx$", b"a.ctx", b" ctx.", b"ctx?.d", b"ctx?.1", b"$import("]


def test_words_searched_literal_first_are_the_look_behinds():
    """The regexes of a whole word put the word first and look back after it (searched for as
    a string): they match where the look-behind-first forms match, on every fixture file."""
    from conformance.project.convex_functions import _unmembered, _whole_word
    from conformance.typescript import _DYNAMIC_IMPORT

    def spans(pattern, data):
        return [m.span() for m in pattern.finditer(data)]

    texts = [*WRITTEN, *(file.read_bytes() for file in TYPESCRIPT_FILES)]
    dynamic = re.compile(rb"\bimport\s*\(")
    for data in texts:
        assert spans(_DYNAMIC_IMPORT, data) == spans(dynamic, data)
        for name in WORDS:
            word = rb"(?<![\w$])" + re.escape(name) + rb"(?![\w$])"
            assert spans(_whole_word(name.decode()), data) == spans(re.compile(word), data)
            unmembered = re.compile(word + rb"(?!\s*(?:\.|\?\.(?!\d)))")
            assert spans(_unmembered(name), data) == spans(unmembered, data)
