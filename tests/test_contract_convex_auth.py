"""The `convex-auth` contract (ADR-001 of the AI Therapist app): ctx.auth in every public Convex
function, the schema's indexes, and no Convex client in "use client" modules."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, assert_exact, findings_of, git, init_git
from convex_codegen import typecheck, write_codegen

from conformance.engine import check_rule, run
from conformance.fix import plan
from conformance.model import Rule
from conformance.repo import RepoView
from conformance.workspace import Workspace

AUTH = "convex-auth-public-functions"
INDEXES = "convex-auth-schema-indexes"
CLIENT = "convex-auth-browser-access"

BEFORE = [
    (
        "components/chat-window.tsx",
        3,
        CLIENT,
        "it imports `convex/react` (usePreloadedQuery, useQuery)",
    ),
    ("components/convex-client-provider.tsx", 4, CLIENT, "`convex/react` (ConvexReactClient)"),
    (
        "components/convex-client-provider.tsx",
        5,
        CLIENT,
        "`convex/react-clerk` (ConvexProviderWithClerk)",
    ),
    ("convex/messages.ts", 17, AUTH, "public mutation send() never checks ctx.auth"),
    ("convex/schema.ts", 13, INDEXES, 'sessions.by_user_created on ["userId", "createdAt"]'),
    # Its helper getSessionOrThrow (./lib/sessions) only reads the database.
    ("convex/sessions.ts", 36, AUTH, "public query get() never checks ctx.auth"),
    # Its comment names ctx.auth; a comment is not a call.
    ("convex/users.ts", 20, AUTH, "public mutation updateProfile() never checks ctx.auth"),
]
EXPECTED = {"convex-auth-before": BEFORE, "convex-auth-after": []}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_findings_are_exact(name):
    assert_exact(findings_of(FIXTURES / name), EXPECTED[name])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_git_mode_agrees_with_walk_mode(name, fixture_copy):
    root = fixture_copy(name)
    init_git(root)
    assert_exact(findings_of(root), EXPECTED[name])


def test_decoys_are_present_in_the_before_fixture():
    """The decoys exist, so the absence of findings on them means something."""
    before = FIXTURES / "convex-auth-before"
    users = (before / "convex/users.ts").read_text()
    assert "internalQuery({" in users and "internalMutation({" in users
    sessions = (before / "convex/sessions.ts").read_text()
    assert "async function currentUser(ctx: MutationCtx)" in sessions  # same-file helper
    assert "await currentUser(ctx)" in sessions
    assert 'import { requireUser } from "./lib/auth"' in sessions
    auth = (before / "convex/lib/auth.ts").read_text()
    # requireUser → requireIdentity → ctx.auth, and requireSessionOwner → requireUser.
    assert "await requireIdentity(ctx)" in auth and "await requireUser(ctx)" in auth
    messages = (before / "convex/messages.ts").read_text()
    assert "export const list = query(async (ctx," in messages  # the function form
    assert "async ({ auth, runMutation }, args)" in messages  # destructured ctx
    assert "httpAction(async (ctx, request)" in (before / "convex/http.ts").read_text()
    server = (before / "lib/convex-server.ts").read_text()
    assert 'from "convex/browser"' in server and '"use client" module' in server
    assert 'from "convex/browser"' in (before / "app/api/sessions/route.ts").read_text()
    page = (before / "app/sessions/[sessionId]/page.tsx").read_text()
    assert 'import { Preloaded } from "convex/react"' in page and "use client" not in page
    assert "import { type Preloaded," in (before / "components/chat-window.tsx").read_text()


def test_after_schema_is_what_the_fix_writes(fixture_copy, cli):
    root = fixture_copy("convex-auth-before")
    init_git(root)
    code, out, _ = cli("fix", str(root))
    assert code == 1  # the client findings have no automatic fix
    assert "edit      convex/schema.ts  [convex-auth-schema-indexes]" in out
    assert "edit      convex/messages.ts  [convex-auth-public-functions]" in out
    after = FIXTURES / "convex-auth-after/convex/schema.ts"
    assert (root / "convex/schema.ts").read_bytes() == after.read_bytes()
    assert cli("check", str(root), "--select", INDEXES)[0] == 0
    snapshot = (root / "convex/schema.ts").read_bytes()
    code, out, _ = cli("fix", str(root), "--select", INDEXES)
    assert (code, out) == (0, "The 1 rule passes (convex-auth)\n")
    assert (root / "convex/schema.ts").read_bytes() == snapshot


def test_http_actions_are_checked_when_listed(cli):
    root = FIXTURES / "convex-auth-before"
    code, out, _ = cli("check", str(root), "--param", "public_builders=[query, httpAction]")
    assert code == 1
    assert (
        "convex/http.ts:22: convex-auth-public-functions public httpAction POST "
        "/clerk-users-webhook never checks ctx.auth"
    ) in out
    # Mutations are no longer listed: send() and updateProfile() drop out.
    assert "send()" not in out and "updateProfile()" not in out
    assert "get()" in out


def test_list_and_explain_cover_the_new_rules(cli):
    code, out, _ = cli("list", "--contract", "convex-auth")
    assert code == 0
    for rule_id, kind in [
        (AUTH, "convex-auth-required"),
        (INDEXES, "convex-index-present"),
        (CLIENT, "import-absent"),
    ]:
        assert any(line.split()[:2] == [rule_id, kind] for line in out.splitlines())
    assert "convex-auth-required" in out.splitlines()[-1]
    assert "convex-index-present" in out.splitlines()[-1]

    code, out, _ = cli("explain", AUTH)
    assert code == 0
    out = " ".join(out.split())
    assert "(contract convex-auth, kind convex-auth-required)" in out
    assert "internalQuery" in out and "httpAction" in out and "Svix" in out
    code, out, _ = cli("explain", INDEXES, str(FIXTURES / "convex-auth-before"))
    out = " ".join(out.split())
    assert "keeping every other byte" in out and "indexes: {'table': 'users'" in out
    code, out, _ = cli("explain", CLIENT)
    out = " ".join(out.split())
    assert "directive: use client" in out and "type-only imports" in out.lower()


# The auth reachability analysis on small trees ------------------------------------------------

SERVER = 'import { action, internalMutation, internalQuery, mutation, query } from "./_generated/server";\n'


def auth_findings(tree, files, **options):
    root = tree(files)
    rule = Rule(
        id="auth",
        kind="convex-auth-required",
        message="public {builder} {function} never checks ctx.auth",
        why="w",
        contract="t",
        options={
            "files": "convex/**/*.{ts,tsx,js}",
            "exclude": ["convex/_generated/**", "convex/schema.ts"],
            **options,
        },
    )
    return [(f.path, f.line, f.message) for f in check_rule(rule, RepoView(root)).findings]


def test_direct_checks_in_every_handler_form(tree):
    source = SERVER + (
        "export const a = query({ args: {}, handler: async (ctx) => {\n"
        "  return await ctx.auth.getUserIdentity();\n} });\n"
        "export const b = query(async (ctx) => (await ctx.auth.getUserIdentity())?.subject);\n"
        "export const c = mutation({ async handler(context) { await context.auth.getUserIdentity(); } });\n"
        "export const d = action({ handler: async ({ auth }) => auth.getUserIdentity() });\n"
        "export const e = action({ handler: async ({ auth: who }) => who.getUserIdentity() });\n"
        "export const f = query({ handler: async (ctx) => { const { auth } = ctx;\n"
        "  return auth.getUserIdentity(); } });\n"
        "export const g = query(async function (ctx) { return ctx.auth?.getUserIdentity(); });\n"
    )
    assert auth_findings(tree, {"convex/a.ts": source}) == []


def test_missing_checks_are_reported_with_name_and_line(tree):
    source = SERVER + (
        "// ctx.auth.getUserIdentity() in a comment is not a call\n"
        "export const a = query({ handler: async (ctx) => {\n"
        "  // await ctx.auth.getUserIdentity();\n"
        '  return "ctx.auth.getUserIdentity()";\n} });\n'
        "export const b = mutation(async (ctx) => ctx.db.query('x').collect());\n"
        "export const c = action({ args: {} });\n"
        "export default query(async (ctx) => null);\n"
    )
    assert auth_findings(tree, {"convex/a.ts": source}) == [
        ("convex/a.ts", 3, "public query a() never checks ctx.auth"),
        ("convex/a.ts", 7, "public mutation b() never checks ctx.auth"),
        ("convex/a.ts", 8, "public action c() never checks ctx.auth"),
        ("convex/a.ts", 9, "public query default() never checks ctx.auth"),
    ]


def test_internal_and_unexported_functions_are_exempt(tree):
    source = SERVER + (
        "export const a = internalQuery({ handler: async (ctx) => null });\n"
        "export const b = internalMutation(async (ctx) => null);\n"
        "const notRegistered = query(async (ctx) => null);\n"
    )
    generated = SERVER + "export const x = query(async (ctx) => null);\n"
    files = {"convex/a.ts": source, "convex/_generated/x.ts": generated}
    assert auth_findings(tree, files) == []


def test_builders_are_recognised_by_import_not_by_name(tree):
    source = (
        'import { query as q, mutation } from "./_generated/server.js";\n'
        'import * as server from "./_generated/server";\n'
        'import { query } from "convex-helpers/server";\n'
        "export const a = q(async (ctx) => null);\n"
        "export const b = server.mutation({ handler: async (ctx) => null });\n"
        "export const c = query(async (ctx) => null);\n"
        "const d = mutation(async (ctx) => null);\n"
        "export { d as renamed };\n"
    )
    assert [m for *_, m in auth_findings(tree, {"convex/a.ts": source})] == [
        "public query a() never checks ctx.auth",
        "public mutation b() never checks ctx.auth",
        "public mutation renamed() never checks ctx.auth",
    ]


def test_same_file_helpers_follow_the_ctx_argument(tree):
    source = SERVER + (
        "async function identity(c) { return await c.auth.getUserIdentity(); }\n"
        "const user = async (ctx, id) => { await identity(ctx); return id; };\n"
        "const late = async (id, ctx) => identity(ctx);\n"
        "function unrelated(ctx) { return ctx.db; }\n"
        "export const a = query({ handler: async (ctx, { id }) => user(ctx, id) });\n"
        "export const b = query({ handler: async (ctx, { id }) => late(id, ctx) });\n"
        # ctx passed where the helper expects the id: the helper's `ctx` is something else.
        "export const c = query({ handler: async (ctx, { id }) => late(ctx, id) });\n"
        "export const d = query({ handler: async (ctx) => unrelated(ctx) });\n"
        "const listHandler = async (ctx) => identity(ctx);\n"
        "export const e = query(listHandler);\n"
        "const handler = async (ctx) => identity(ctx);\n"
        "export const f = query({ args: {}, handler });\n"
    )
    assert [m for *_, m in auth_findings(tree, {"convex/a.ts": source})] == [
        "public query c() never checks ctx.auth",
        "public query d() never checks ctx.auth",
    ]


def test_imported_helpers_are_followed_transitively(tree):
    files = {
        "convex/lib/identity.ts": (
            "export async function requireIdentity(ctx) {\n"
            "  const identity = await ctx.auth.getUserIdentity();\n"
            '  if (!identity) throw new Error("Not authenticated");\n'
            "  return identity;\n}\n"
        ),
        # A helper calling a helper of another module that calls ctx.auth.
        "convex/lib/auth.ts": (
            'import { requireIdentity } from "./identity";\n'
            "export const requireUser = async (ctx) => {\n"
            "  const who = await requireIdentity(ctx);\n  return who.subject;\n};\n"
            "export default async function owner(ctx) { return requireUser(ctx); }\n"
            "export async function noAuth(ctx) { return ctx.db; }\n"
        ),
        "convex/lib/index.ts": (
            'export { requireUser as mustBeSignedIn } from "./auth";\nexport * from "./identity";\n'
        ),
        "convex/a.ts": SERVER
        + (
            'import { requireUser, noAuth } from "./lib/auth";\n'
            'import owner from "./lib/auth.js";\n'
            'import * as auth from "./lib/auth";\n'
            'import { mustBeSignedIn, requireIdentity } from "./lib";\n'
            'import { requireUser as fromAlias } from "@/convex/lib/auth";\n'
            'import { requireUser as fromPackage } from "convex-helpers/auth";\n'
            'import { requireUser as missing } from "./lib/missing";\n'
            "export const a = query({ handler: async (ctx) => requireUser(ctx) });\n"
            "export const b = query({ handler: async (ctx) => owner(ctx) });\n"
            "export const c = query({ handler: async (ctx) => auth.requireUser(ctx) });\n"
            "export const d = query({ handler: async (ctx) => mustBeSignedIn(ctx) });\n"
            "export const e = query({ handler: async (ctx) => requireIdentity(ctx) });\n"
            "export const f = query({ handler: async (ctx) => noAuth(ctx) });\n"
            "export const g = query({ handler: async (ctx) => fromAlias(ctx) });\n"
            "export const h = query({ handler: async (ctx) => fromPackage(ctx) });\n"
            "export const i = query({ handler: async (ctx) => missing(ctx) });\n"
        ),
    }
    assert [m.split()[2] for *_, m in auth_findings(tree, files)] == ["f()", "g()", "h()", "i()"]


def test_cycles_terminate_and_do_not_poison_later_answers(tree):
    source = SERVER + (
        "async function ping(ctx) { return pong(ctx); }\n"
        "async function pong(ctx) { return ping(ctx); }\n"
        # a → b → a is cut while a is decided; a then reaches ctx.auth through c.
        "async function a(ctx) { await b(ctx); return c(ctx); }\n"
        "async function b(ctx) { return a(ctx); }\n"
        "async function c(ctx) { return ctx.auth.getUserIdentity(); }\n"
        "export const loops = query({ handler: async (ctx) => ping(ctx) });\n"
        "export const first = query({ handler: async (ctx) => a(ctx) });\n"
        "export const second = query({ handler: async (ctx) => b(ctx) });\n"
        "async function self(ctx, n) { return n ? self(ctx, n - 1) : null; }\n"
        "export const recursive = query({ handler: async (ctx) => self(ctx, 3) });\n"
    )
    files = {
        "convex/a.ts": source,
        # Modules importing each other.
        "convex/x.ts": 'import { y } from "./y";\nexport async function x(ctx) { return y(ctx); }\n',
        "convex/y.ts": 'import { x } from "./x";\nexport async function y(ctx) { return x(ctx); }\n',
        "convex/z.ts": SERVER
        + 'import { x } from "./x";\nexport const z = query({ handler: async (ctx) => x(ctx) });\n',
    }
    assert [(p, m.split()[2]) for p, _, m in auth_findings(tree, files)] == [
        ("convex/a.ts", "loops()"),
        ("convex/a.ts", "recursive()"),
        ("convex/z.ts", "z()"),
    ]


def test_http_actions_by_route_or_name(tree):
    source = (
        'import { httpRouter } from "convex/server";\n'
        'import { httpAction } from "./_generated/server";\n'
        "const http = httpRouter();\n"
        "export const hook = httpAction(async (ctx, request) => new Response());\n"
        'http.route({ path: "/who", method: "GET", handler: httpAction(async (ctx) => {\n'
        "  return Response.json(await ctx.auth.getUserIdentity());\n}) });\n"
        'http.route({ pathPrefix: "/files/", method: "GET", handler: httpAction(async () => {\n'
        "  return new Response();\n}) });\n"
        'http.route({ path: "/hook", method: "POST", handler: hook });\n'
        "export default http;\n"
    )
    files = {"convex/http.ts": source}
    assert auth_findings(tree, files) == []
    assert auth_findings(tree, files, builders=["httpAction"]) == [
        ("convex/http.ts", 4, "public httpAction hook() never checks ctx.auth"),
        ("convex/http.ts", 8, "public httpAction GET /files/ never checks ctx.auth"),
    ]


# The fix: an identity guard first in each reported handler ----------------------------------

GUARD = (
    "{i}const identity = await ctx.auth.getUserIdentity();\n"
    "{i}if (identity === null) {{\n"
    '{i}  throw new Error("Unauthenticated");\n'
    "{i}}}\n"
)


def auth_rule(**fix):
    return Rule(
        id="auth",
        kind="convex-auth-required",
        message="public {builder} {function} never checks ctx.auth",
        why="w",
        contract="t",
        options={
            "files": "convex/**/*.{ts,tsx,js}",
            "exclude": ["convex/_generated/**", "convex/schema.ts"],
            "fix": fix,
        },
    )


def auth_fix(root, rule=None):
    """The planned changes of the auth fix, by path: (status, text after, note)."""
    from conformance.rules import KINDS

    rule = rule or auth_rule()
    work = Workspace(RepoView(root))
    KINDS[rule.kind].apply_fix(rule, work)
    return {c.path: (c.status, c.after, c.note) for c in work.changes()}


# An identity provider: without one the fix writes no guard (see test_layouts_auth.py).
PROVIDER = {"convex/auth.config.ts": "export default { providers: [] };\n"}


def fixed_text(tree, source, path="convex/a.ts", **fix):
    """The fixed file; it must then pass the check, and a second fix must change nothing."""
    root = tree({path: source, **PROVIDER})
    [(status, after, note)] = auth_fix(root, auth_rule(**fix)).values()
    assert (status, note) == ("edit", "")
    (root / path).write_bytes(after.encode("utf-8"))
    assert check_rule(auth_rule(**fix), RepoView(root)).findings == []
    assert auth_fix(root, auth_rule(**fix)) == {}
    return after


def test_fix_object_form(tree):
    source = SERVER + (
        "export const send = mutation({\n"
        "  args: {},\n"
        "  handler: async (ctx, { id }) => {\n"
        "    // Loads the session first.\n"
        "    const session = await ctx.db.get(id);\n"
        "    return session;\n"
        "  },\n"
        "});\n"
    )
    assert fixed_text(tree, source) == source.replace(
        "=> {\n", "=> {\n" + GUARD.format(i="    "), 1
    )


def test_fix_function_form_block_and_expression_bodies(tree):
    source = SERVER + (
        "export const list = query(async (ctx, { id }: { id: string }) => {\n"
        "  return await ctx.db.get(id);\n"
        "});\n"
        'export const all = query(async (ctx) => ctx.db.query("tasks").collect());\n'
        "export const wrapped = query({\n"
        "  handler: async (ctx) =>\n"
        '    ctx.db.query("tasks").first(),\n'
        "});\n"
    )
    assert fixed_text(tree, source) == SERVER + (
        "export const list = query(async (ctx, { id }: { id: string }) => {\n"
        + GUARD.format(i="  ")
        + "  return await ctx.db.get(id);\n"
        "});\n"
        "export const all = query(async (ctx) => {\n"
        + GUARD.format(i="  ")
        + '  return ctx.db.query("tasks").collect();\n'
        "});\n"
        "export const wrapped = query({\n"
        "  handler: async (ctx) => {\n"
        + GUARD.format(i="    ")
        + '    return ctx.db.query("tasks").first();\n'
        "  },\n"
        "});\n"
    )


def test_fix_keeps_crlf_and_single_quotes(tree):
    source = (
        "import { query } from './_generated/server';\r\n"
        "\r\n"
        "// Schéma ✓\r\n"
        "export const get = query({\r\n"
        "  args: {},\r\n"
        "  handler: async (context) => {\r\n"
        "    return await context.db.query('tasks').first();\r\n"
        "  },\r\n"
        "});\r\n"
    )
    assert fixed_text(tree, source) == source.replace(
        "=> {\r\n",
        "=> {\r\n"
        "    const identity = await context.auth.getUserIdentity();\r\n"
        "    if (identity === null) {\r\n"
        "      throw new Error('Unauthenticated');\r\n"
        "    }\r\n",
    )


@pytest.mark.parametrize("unit", ["    ", "\t"])
def test_fix_follows_the_files_indentation(tree, unit):
    source = SERVER + (
        "export const a = mutation({\n"
        "{1}args: {},\n"
        "{1}handler: async (ctx) => {\n"
        "{2}if (Math.random() > 0.5) {\n"
        "{3}return 1;\n"
        "{2}}\n"
        "{2}return 0;\n"
        "{1}},\n"
        "});\n"
        "export const empty = mutation({\n"
        "{1}handler: async (ctx) => {},\n"
        "});\n"
    ).replace("{1}", unit).replace("{2}", unit * 2).replace("{3}", unit * 3)

    def guard(indent):
        return (
            f"{indent}const identity = await ctx.auth.getUserIdentity();\n"
            f"{indent}if (identity === null) {{\n"
            f'{indent}{unit}throw new Error("Unauthenticated");\n'
            f"{indent}}}\n"
        )

    expected = source.replace(
        "handler: async (ctx) => {\n", "handler: async (ctx) => {\n" + guard(unit * 2)
    ).replace(
        "handler: async (ctx) => {},\n",
        "handler: async (ctx) => {\n" + guard(unit * 2) + unit + "},\n",
    )
    assert fixed_text(tree, source) == expected


def test_fix_patches_every_function_of_a_file_in_one_edit(tree):
    source = SERVER + (
        "export const a = query({\n"
        "  handler: async (ctx) => {\n"
        "    return null;\n"
        "  },\n"
        "});\n"
        "export const b = mutation({\n"
        "  async handler(context, args) {\n"
        "    await context.db.insert('tasks', args);\n"
        "  },\n"
        "});\n"
        "export const c = action({\n"
        "  handler: async ({ auth: who, runQuery }) => {\n"
        "    return runQuery;\n"
        "  },\n"
        "});\n"
        "const d = query(async function (ctx) { return null; });\n"
        "export { d, d as alsoD };\n"
    )
    guard_b = GUARD.format(i="    ").replace("ctx.auth", "context.auth")
    guard_c = GUARD.format(i="    ").replace("ctx.auth", "who")
    assert fixed_text(tree, source) == SERVER + (
        "export const a = query({\n"
        "  handler: async (ctx) => {\n" + GUARD.format(i="    ") + "    return null;\n"
        "  },\n"
        "});\n"
        "export const b = mutation({\n"
        "  async handler(context, args) {\n"
        + guard_b
        + "    await context.db.insert('tasks', args);\n"
        "  },\n"
        "});\n"
        "export const c = action({\n"
        "  handler: async ({ auth: who, runQuery }) => {\n" + guard_c + "    return runQuery;\n"
        "  },\n"
        "});\n"
        # A body written on one line keeps to its line (and is patched once for both names).
        "const d = query(async function (ctx) { const identity = await ctx.auth.getUserIdentity();"
        ' if (identity === null) { throw new Error("Unauthenticated"); } return null; });\n'
        "export { d, d as alsoD };\n"
    )


def test_fix_picks_a_name_the_handler_does_not_use(tree):
    source = SERVER + (
        'import { identity2 } from "./lib/identity";\n'
        "export const a = mutation({\n"
        "  handler: async (ctx, { identity }) => {\n"
        "    return identity2(identity);\n"
        "  },\n"
        "});\n"
        "export const b = query({\n"
        "  handler: async (ctx, args) => {\n"
        "    const identity = args.who;\n"
        "    return identity;\n"
        "  },\n"
        "});\n"
    )
    assert fixed_text(tree, source, error_message='Sign in "first"') == source.replace(
        "  handler: async (ctx, { identity }) => {\n",
        "  handler: async (ctx, { identity }) => {\n"
        "    const identity3 = await ctx.auth.getUserIdentity();\n"
        "    if (identity3 === null) {\n"
        '      throw new Error("Sign in \\"first\\"");\n'
        "    }\n",
    ).replace(
        "  handler: async (ctx, args) => {\n",
        "  handler: async (ctx, args) => {\n"
        "    const identity2 = await ctx.auth.getUserIdentity();\n"
        "    if (identity2 === null) {\n"
        '      throw new Error("Sign in \\"first\\"");\n'
        "    }\n",
    )


def test_fix_skips_what_it_cannot_patch_and_says_why(tree):
    source = SERVER + (
        'import { listHandler } from "./lib/handlers";\n'
        'import { withUser } from "./lib/wrappers";\n'
        "export const imported = query({ handler: listHandler });\n"
        "export const wrapped = query({ handler: withUser(async (ctx) => null) });\n"
        "export const destructured = query({ handler: async ({ db }, args) => db.get(args.id) });\n"
        "export const sync = query({ handler: (ctx) => null });\n"
        "export const noCtx = query({ handler: async () => null });\n"
        "export const noHandler = action({ args: {} });\n"
        "export const commented = query(async (ctx) => // why\n  null);\n"
        "export const fixable = query({ handler: async (ctx) => {\n  return 1;\n} });\n"
        # One handler under two names is one note.
        "const shared = query(listHandler);\n"
        "export { shared, shared as alias };\n"
    )
    root = tree({"convex/a.ts": source, **PROVIDER})
    [(status, after, note)] = auth_fix(root).values()
    assert status == "edit"  # fixable() is patched, the rest is reported
    assert after == source.replace(
        "=> {\n  return 1;", "=> {\n" + GUARD.format(i="  ") + "  return 1;"
    )
    assert note.split("; ") == [
        "not fixed: imported() uses `listHandler` as its handler: put the check where that is defined",
        "wrapped() has its handler built by withUser(…): put the check in the function it wraps",
        "destructured() has a handler that destructures ctx without `auth` ({ db })",
        "sync() has a handler that is not async (the guard awaits ctx.auth.getUserIdentity())",
        "noCtx() has a handler without the ctx parameter",
        "noHandler() has no handler",
        "commented() has a comment between `=>` and its body",
        "shared() uses `listHandler` as its handler: put the check where that is defined",
    ]
    unfixable = source.replace("export const fixable", "const fixable")
    root = tree({"convex/a.ts": unfixable, **PROVIDER})
    [(status, after, note)] = auth_fix(root).values()
    assert (status, after) == ("skip", unfixable)
    assert note.count("; ") == 7


def test_fix_makes_the_fixture_pass_and_is_idempotent(fixture_copy, cli):
    root = fixture_copy("convex-auth-before")
    init_git(root)
    code, out, _ = cli("fix", str(root))
    assert code == 1
    for path in ("convex/messages.ts", "convex/sessions.ts", "convex/users.ts"):
        assert f"edit      {path}  [convex-auth-public-functions]" in out
    # Only what has no automatic fix is left: client components talking to Convex.
    assert {(p, rule) for p, _, rule, _ in findings_of(root)} == {
        ("components/chat-window.tsx", CLIENT),
        ("components/convex-client-provider.tsx", CLIENT),
    }
    # The guard is the project's own: its handlers establish the caller with requireUser(ctx)
    # (./lib/auth), which throws for visitors; it is imported where it is not yet.
    before = FIXTURES / "convex-auth-before/convex/users.ts"
    server = (
        'import { internalMutation, internalQuery, mutation, query } from "./_generated/server";\n'
    )
    assert (root / "convex/users.ts").read_text() == before.read_text().replace(
        server, server + 'import { requireUser } from "./lib/auth";\n'
    ).replace(
        "  handler: async (ctx, { userId, name }) => {\n",
        "  handler: async (ctx, { userId, name }) => {\n    await requireUser(ctx);\n",
    )
    assert (
        'import { requireSessionOwner, requireUser } from "./lib/auth";'
        in (root / "convex/messages.ts").read_text()
    )
    assert cli("check", str(root), "--select", AUTH)[0] == 0
    snapshot = files_of(root)
    code, out, _ = cli("fix", str(root))
    assert code == 1 and "0 paths changed" in out
    assert files_of(root) == snapshot


def files_of(root):
    return {
        p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts
    }


def test_explain_shows_the_fix(cli):
    out = " ".join(cli("explain", AUTH)[1].split())
    assert "fix: {'error_message': 'Unauthenticated'}" in out
    assert (
        "The fix inserts the project's own guard first in each reported inline async handler" in out
    )
    assert "only where the project has an identity provider" in out


# The schema's indexes ------------------------------------------------------------------------

WANTED = [
    {"table": "users", "name": "by_clerkId", "fields": ["clerkId"]},
    {"table": "sessions", "name": "by_user_created", "fields": ["userId", "createdAt"]},
    {"table": "messages", "name": "by_session_time", "fields": ["sessionId", "timestamp"]},
]


def index_rule(indexes=WANTED):
    return Rule(
        id="idx",
        kind="convex-index-present",
        message="missing index: {item}",
        why="w",
        contract="t",
        options={"schema": "convex/schema.ts", "indexes": indexes, "fix": {}},
    )


def index_findings(root, rule=None):
    return [
        (f.path, f.line, f.message)
        for f in check_rule(rule or index_rule(), RepoView(root)).findings
    ]


def fixed(root, rule=None):
    from conformance.rules import KINDS

    rule = rule or index_rule()
    work = Workspace(RepoView(root))
    KINDS[rule.kind].apply_fix(rule, work)
    return work


ADR_SCHEMA = (
    "import { defineSchema, defineTable } from 'convex/server';\r\n"
    "import { v } from 'convex/values';\r\n"
    "\r\n"
    "// Schéma — ADR-001 ✓\r\n"
    "const users = defineTable({ clerkId: v.string(), email: v.string() });\r\n"
    "export default defineSchema({\r\n"
    "  users,\r\n"
    "  sessions: defineTable(v.object({ userId: v.id('users'), createdAt: v.number() }))\r\n"
    "    .index('by_user', ['userId']),\r\n"
    "  'messages': defineTable({\r\n"
    "    sessionId: v.id('sessions'), timestamp: v.number(), content: v.string(), // encrypted\r\n"
    "  }).index('by_session_time', { fields: ['sessionId', 'timestamp'] }),\r\n"
    "});\r\n"
)


def test_index_findings_and_a_byte_preserving_fix(tree):
    root = tree({"convex/schema.ts": ADR_SCHEMA})
    assert index_findings(root) == [
        ("convex/schema.ts", 5, 'missing index: users.by_clerkId on ["clerkId"]'),
        (
            "convex/schema.ts",
            8,
            'missing index: sessions.by_user_created on ["userId", "createdAt"]',
        ),
    ]
    work = fixed(root)
    [change] = work.changes()
    assert (change.path, change.status) == ("convex/schema.ts", "edit")
    expected = ADR_SCHEMA.replace(
        "email: v.string() })", "email: v.string() }).index('by_clerkId', ['clerkId'])"
    ).replace(
        "    .index('by_user', ['userId']),\r\n",
        "    .index('by_user', ['userId'])\r\n"
        "    .index('by_user_created', ['userId', 'createdAt']),\r\n",
    )
    assert change.after == expected
    (root / "convex/schema.ts").write_bytes(change.after.encode("utf-8"))
    assert index_findings(root) == []
    assert fixed(root).changes() == []


def test_wrong_fields_missing_tables_and_undeclared_fields_are_not_fixed(tree):
    schema = (
        'import { defineSchema, defineTable } from "convex/server";\n'
        "export default defineSchema({\n"
        "  users: defineTable({ email: v.string() })\n"
        '    .index("by_clerkId", ["email"]),\n'
        '  sessions: defineTable({ userId: v.id("users") }),\n'
        "  ...authTables,\n"
        "});\n"
    )
    root = tree({"convex/schema.ts": schema})
    assert index_findings(root) == [
        (
            "convex/schema.ts",
            2,
            'missing index: table "messages" is missing (for index '
            'by_session_time on ["sessionId", "timestamp"])',
        ),
        ("convex/schema.ts", 4, 'missing index: users.by_clerkId is on ["email"], not ["clerkId"]'),
        (
            "convex/schema.ts",
            5,
            'missing index: sessions.by_user_created on ["userId", "createdAt"]',
        ),
    ]
    [change] = fixed(root).changes()
    assert change.status == "skip"
    assert "users.by_clerkId has other fields" in change.note
    assert "sessions does not declare createdAt" in change.note
    assert 'table "messages" is missing' in change.note


def test_tables_held_in_a_const_object(tree):
    schema = (
        'import { defineSchema, defineTable } from "convex/server";\n'
        "const tables = {\n"
        "  users: defineTable({ clerkId: v.string() }),\n"
        "};\n"
        "export default defineSchema(tables);\n"
    )
    root = tree({"convex/schema.ts": schema})
    rule = index_rule(WANTED[:1])
    assert index_findings(root, rule) == [
        ("convex/schema.ts", 3, 'missing index: users.by_clerkId on ["clerkId"]')
    ]
    [change] = fixed(root, rule).changes()
    assert change.after == schema.replace(
        "v.string() }),", 'v.string() }).index("by_clerkId", ["clerkId"]),'
    )


def test_a_missing_schema_is_unchecked_not_a_finding(tree):
    """No fix can make a schema appear: there is nothing to check, and nothing to repair."""
    root = tree({"convex/users.ts": "export {};\n"})
    assert index_findings(root) == []
    outcome = check_rule(index_rule(), RepoView(root))
    assert outcome.reason == "no Convex schema at convex/schema.ts"
    view = RepoView(root)
    assert plan(run([index_rule()], view), view).changes() == []


# "use client" modules and the Convex client ------------------------------------------------------


def client_findings(tree, files):
    root = tree(files)
    rule = Rule(
        id="client",
        kind="import-absent",
        message="imports {item}",
        why="w",
        contract="t",
        options={
            "files": ["app/**/*.{ts,tsx}", "components/**/*.{ts,tsx}"],
            "directive": "use client",
            "modules": ["convex/react", "convex/browser"],
        },
    )
    return [(f.path, f.line, f.message) for f in check_rule(rule, RepoView(root)).findings]


def test_directive_option_reads_the_prologue_and_names_the_imports(tree):
    files = {
        "components/a.tsx": (
            "// a comment may precede the prologue\n'use client';\n"
            'import { useQuery as q, ConvexProvider } from "convex/react";\n'
            'import * as browser from "convex/browser";\n'
            'export { useMutation } from "convex/react";\n'
            'const lazy = () => import("convex/react");\n'
            'const legacy = require("convex/browser");\n'
        ),
        # Type-only imports are erased at build time.
        "components/types.tsx": (
            '"use client";\nimport type { Preloaded } from "convex/react";\n'
            'import { type ReactMutation } from "convex/react";\n'
        ),
        # The directive after an import is no directive; neither is a string.
        "components/late.tsx": 'import { useQuery } from "convex/react";\n"use client";\n',
        "components/text.tsx": (
            'const hint = "use client";\nimport { useQuery } from "convex/react";\n'
        ),
        # A server component or server module is not a client component.
        "app/page.tsx": 'import { ConvexHttpClient } from "convex/browser";\n',
        "app/server.ts": '"use server";\nimport { ConvexHttpClient } from "convex/browser";\n',
    }
    assert client_findings(tree, files) == [
        ("components/a.tsx", 3, "imports `convex/react` (useQuery, ConvexProvider)"),
        ("components/a.tsx", 4, "imports `convex/browser` (*)"),
        ("components/a.tsx", 5, "imports `convex/react` (useMutation)"),
        ("components/a.tsx", 6, "imports `convex/react`"),
        ("components/a.tsx", 7, "imports `convex/browser`"),
    ]


def test_without_directive_import_absent_is_unchanged(tree):
    root = tree({"src/a.ts": 'import { x } from "convex/react";\n// import "convex/react"\n'})
    rule = Rule(
        id="r",
        kind="import-absent",
        message="m {item}",
        why="w",
        contract="t",
        options={"files": "src/**/*.ts", "modules": "convex/react"},
    )
    assert [(f.line, f.message) for f in check_rule(rule, RepoView(root)).findings] == [
        (1, "m `convex/react`")
    ]


# The fixed functions compile against the real `convex` package ------------------------------

# http.ts verifies Clerk's webhook with svix, which is not what is being proven here.
SVIX_STAND_IN = """declare module "svix" {
  export class Webhook {
    constructor(secret: string);
    verify(payload: string, headers: Record<string, string>): unknown;
  }
}
"""


def test_fixed_fixture_functions_typecheck(convex_node_modules, fixture_copy, cli):
    root = fixture_copy("convex-auth-before")
    init_git(root)
    cli("fix", str(root))
    assert git(root, "diff", "--name-only").split() == [
        "convex/messages.ts",
        "convex/schema.ts",
        "convex/sessions.ts",
        "convex/users.ts",
    ]
    convex = root / "convex"
    write_codegen(convex, {"svix.stand-in.d.ts": SVIX_STAND_IN})
    result = typecheck(root, convex, convex_node_modules)
    assert result.returncode == 0, f"tsc -p convex:\n{result.stdout}{result.stderr}"
