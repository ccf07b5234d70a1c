"""convex-auth on Convex apps written the way real ones are: custom builders, a builder
re-exported from ./triggers, fluent-convex chains, @convex-dev/auth and @convex-dev/better-auth,
functions public on purpose, an app with its own sessions. Exact findings, the counts, the
fix's guard (the project's own, never where it would lock people out), and a typecheck of
the fixed functions against the real npm packages."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, assert_exact, findings_of, git, init_git
from convex_codegen import typecheck, write_codegen

AUTH = "convex-auth-public-functions"
CLIENT = "convex-auth-browser-access"

BUILDERS = [
    (
        "components/convex-client-provider.tsx",
        3,
        CLIENT,
        "`@convex-dev/auth/react` (ConvexAuthProvider)",
    ),
    ("components/convex-client-provider.tsx", 4, CLIENT, "`convex/react` (ConvexReactClient)"),
    ("components/sign-in.tsx", 3, CLIENT, "`@convex-dev/auth/react` (useAuthActions)"),
    # Built with the mutation ./triggers exports, whose customization only wraps the database.
    (
        "convex/notes/notes.ts",
        35,
        AUTH,
        "public mutation remove() never checks ctx.auth (neither its handler nor its builder "
        "mutation at convex/triggers.ts:15 does)",
    ),
    # A fluent chain straight from createBuilder(): no middleware.
    ("convex/posts.ts", 28, AUTH, "public query count() never checks ctx.auth"),
    (
        "convex/subscribers.ts",
        13,
        AUTH,
        "unsubscribe() is marked `conformance-public` without a reason",
    ),
    (
        "convex/web.ts",
        6,
        AUTH,
        "public query version() never checks ctx.auth (neither its handler nor its builder "
        "publicQuery at convex/lib/functions.ts:34 does)",
    ),
    ("convex/web.ts", 14, AUTH, "public query latestSubscriber() never checks ctx.auth"),
]
SESSIONS = [
    ("convex/auth.ts", 6, AUTH, "public mutation loginAnonymous() never checks ctx.auth"),
    ("convex/auth.ts", 16, AUTH, "public query getUser() never checks ctx.auth"),
    ("convex/auth.ts", 27, AUTH, "public mutation rename() never checks ctx.auth"),
]
BETTER_AUTH = [
    ("components/clerk-provider.tsx", 4, CLIENT, "`convex/react-clerk` (ConvexProviderWithClerk)"),
    (
        "components/providers.tsx",
        3,
        CLIENT,
        "`@convex-dev/better-auth/react` (ConvexBetterAuthProvider)",
    ),
    ("components/providers.tsx", 4, CLIENT, "`convex/react` (ConvexReactClient)"),
    ("convex/todos.ts", 37, AUTH, "public mutation toggle() never checks ctx.auth"),
]
EXPECTED = {
    "convex-auth-builders": BUILDERS,
    "convex-auth-sessions": SESSIONS,
    "convex-auth-better-auth": BETTER_AUTH,
}
COUNTS = {
    # list, create, rename, archive (getAuthUserId, builders' customizations), drafts (the
    # middleware); feed, subscribe (markers), ping (public_functions in conformance.yaml).
    "convex-auth-builders": "convex: 13 public functions: 5 authenticated, 3 on purpose, 4 unauthenticated, 1 unmarked",
    "convex-auth-sessions": "convex: 3 public functions: 3 unauthenticated",
    "convex-auth-better-auth": "convex: 4 public functions: 3 authenticated, 1 unauthenticated",
}


@pytest.mark.parametrize("git_mode", [False, True], ids=["walk", "git"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_findings_are_exact(fixture_copy, name, git_mode):
    root = fixture_copy(name)
    if git_mode:
        init_git(root)
    assert_exact(findings_of(root), EXPECTED[name])


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_the_report_counts_the_public_functions(check_json, name):
    _, payload = check_json(str(FIXTURES / name))
    [rule] = [r for r in payload["rules"] if r["id"] == AUTH]
    assert rule["note"] == COUNTS[name]


def test_internal_builders_stay_internal(check_json):
    """reportQuery is customQuery(internalQuery, …): web.noteCount is no public function."""
    _, payload = check_json(str(FIXTURES / "convex-auth-builders"))
    assert not any("noteCount" in f["message"] for f in payload["findings"])


def test_the_fix_writes_the_projects_own_guard(fixture_copy, cli):
    root = fixture_copy("convex-auth-builders")
    init_git(root)
    before = {p: (root / p).read_text() for p in ("convex/notes/notes.ts", "convex/posts.ts")}
    code, out, _ = cli("fix", str(root))
    assert code == 1
    # The guard its handlers write most: getAuthUserId(ctx) and its null check.
    guard = (
        "    const userId = await getAuthUserId(ctx);\n"
        "    if (userId === null) {\n"
        '      throw new Error("Not signed in");\n'
        "    }\n"
    )
    assert (root / "convex/notes/notes.ts").read_text() == before["convex/notes/notes.ts"].replace(
        "  handler: async (ctx, { noteId }) => {\n    await ctx.db.delete(noteId);",
        "  handler: async (ctx, { noteId }) => {\n" + guard + "    await ctx.db.delete(noteId);",
    )
    posts = (
        before["convex/posts.ts"]
        .replace(
            'import type { DataModel } from "./_generated/dataModel";\n',
            'import type { DataModel } from "./_generated/dataModel";\n'
            'import { getAuthUserId } from "@convex-dev/auth/server";\n',
        )
        .replace(
            '  .handler(async (ctx) => (await ctx.db.query("posts").collect()).length)\n',
            "  .handler(async (ctx) => {\n"
            + guard
            + '    return (await ctx.db.query("posts").collect()).length;\n  })\n',
        )
    )
    assert (root / "convex/posts.ts").read_text() == posts
    # What it leaves, and why: no ctx, a visitor answer, a marker without its reason.
    assert "version() has a handler without the ctx parameter" in out
    assert "latestSubscriber() answers visitors with null" in out
    assert "unsubscribe() is marked conformance-public without a reason" in out
    assert git(root, "diff", "--name-only").split() == ["convex/notes/notes.ts", "convex/posts.ts"]
    code, out, _ = cli("fix", str(root))
    assert "0 paths changed" in out


def test_no_guard_without_an_identity_provider(fixture_copy, cli):
    """An app with its own session tokens: a guard would turn every caller away, the
    anonymous sign-in first."""
    root = fixture_copy("convex-auth-sessions")
    init_git(root)
    code, out, _ = cli("fix", str(root))
    assert code == 1
    assert "no identity provider" in out and "0 paths changed" in out
    assert git(root, "status", "--porcelain") == ""


def test_the_fix_uses_the_auth_librarys_client(fixture_copy, cli):
    root = fixture_copy("convex-auth-better-auth")
    init_git(root)
    before = (root / "convex/todos.ts").read_text()
    cli("fix", str(root))
    # getAuthUser throws for visitors: the call alone is the guard.
    assert (root / "convex/todos.ts").read_text() == before.replace(
        "  handler: async (ctx, { todoId }) => {\n    const todo",
        "  handler: async (ctx, { todoId }) => {\n"
        "    await authComponent.getAuthUser(ctx);\n    const todo",
    )


def test_inline_markers_and_config_list_are_both_honoured(tree, cli):
    server = 'import { query } from "./_generated/server";\n'
    root = tree(
        {
            "convex/_generated/server.d.ts": "export declare const query: any;\n",
            "convex/public/feed.ts": server + "export const latest = query(async () => []);\n",
            "convex/web.ts": server
            + "// conformance-public: the status badge is anonymous\n"
            + "export const status = query(async () => 'ok');\n"
            + "export const other = query(async () => 1);\n",
        }
    )
    code, out, _ = cli(
        "check",
        str(root),
        "--contract",
        "convex-auth",
        "--select",
        AUTH,
        "--format",
        "json",
        "--param",
        "public_functions=[public/*]",
    )
    payload = json.loads(out)
    assert code == 1
    assert [f["message"] for f in payload["findings"]] == [
        "public query other() never checks ctx.auth"
    ]
    assert (
        payload["rules"][0]["note"] == "convex: 3 public functions: 2 on purpose, 1 unauthenticated"
    )


@pytest.fixture(scope="session")
def convex_auth_node_modules():
    """The real packages the builders fixture imports, for tsc."""
    from npm_cache import npm_install

    packages = [
        "convex@~1.48.0",
        "convex-helpers@0.1.135",
        "@convex-dev/auth@0.0.95",
        "fluent-convex@0.12.3",
        "typescript@5",
        "@types/node@22",
    ]
    return npm_install("npm-convex-auth", packages, "the fixed Convex functions")


def test_fixed_functions_typecheck_against_the_real_packages(
    convex_auth_node_modules, fixture_copy, cli
):
    root = fixture_copy("convex-auth-builders")
    init_git(root)
    cli("fix", str(root))
    convex = root / "convex"
    write_codegen(convex)
    result = typecheck(root, convex, convex_auth_node_modules)
    assert result.returncode == 0, f"tsc -p convex:\n{result.stdout}{result.stderr}"


# A helper that answers visitors with null (it never throws), typed for queries and mutations,
# in a project that leaves semicolons out.
SOFT_HELPER = {
    "convex/auth.config.ts": (
        "export default {\n"
        '  providers: [{ domain: "https://issuer.example.com", applicationID: "convex" }],\n'
        "}\n"
    ),
    "convex/schema.ts": (
        'import { defineSchema, defineTable } from "convex/server"\n'
        'import { v } from "convex/values"\n\n'
        "export default defineSchema({\n"
        '  users: defineTable({ token: v.string(), name: v.string() }).index("by_token", '
        '["token"]),\n'
        "})\n"
    ),
    "convex/lib/viewer.ts": (
        'import type { MutationCtx, QueryCtx } from "../_generated/server"\n\n'
        "export async function getViewer(ctx: QueryCtx | MutationCtx) {\n"
        "  const identity = await ctx.auth.getUserIdentity()\n"
        "  if (identity === null) return null\n"
        "  return await ctx.db\n"
        '    .query("users")\n'
        '    .withIndex("by_token", (q) => q.eq("token", identity.tokenIdentifier))\n'
        "    .unique()\n"
        "}\n"
    ),
    "convex/users.ts": (
        'import { action, mutation, query } from "./_generated/server"\n'
        'import { v } from "convex/values"\n'
        'import { getViewer } from "./lib/viewer"\n\n'
        "export const me = query({\n"
        "  args: {},\n"
        "  handler: async (ctx) => {\n"
        "    const viewer = await getViewer(ctx)\n"
        "    return viewer?.name ?? null\n"
        "  },\n"
        "})\n\n"
        "export const rename = mutation({\n"
        "  args: { name: v.string() },\n"
        "  handler: async (ctx, args) => {\n"
        "    const viewer = await getViewer(ctx)\n"
        "    if (viewer) await ctx.db.patch(viewer._id, { name: args.name })\n"
        "  },\n"
        "})\n\n"
        "export const remove = mutation({\n"
        '  args: { id: v.id("users") },\n'
        "  handler: async (ctx, args) => {\n"
        "    await ctx.db.delete(args.id)\n"
        "  },\n"
        "})\n\n"
        "export const ping = action({\n"
        "  args: {},\n"
        "  handler: async (ctx) => {\n"
        '    return "pong"\n'
        "  },\n"
        "})\n"
    ),
}


def test_a_helper_that_returns_null_gets_its_check_and_actions_keep_their_ctx(
    convex_auth_node_modules, tree, cli
):
    root = tree(SOFT_HELPER)
    init_git(root)
    before = (root / "convex/users.ts").read_text()
    cli("fix", str(root), "--contract", "convex-auth", "--select", AUTH)
    assert (root / "convex/users.ts").read_text() == before.replace(
        "  handler: async (ctx, args) => {\n    await ctx.db.delete",
        "  handler: async (ctx, args) => {\n"
        "    const viewer = await getViewer(ctx)\n"
        "    if (!viewer) {\n"
        '      throw new Error("Unauthenticated")\n'
        "    }\n"
        "    await ctx.db.delete",
    ).replace(
        # getViewer takes a query's or a mutation's ctx, not an action's.
        '  handler: async (ctx) => {\n    return "pong"',
        "  handler: async (ctx) => {\n"
        "    const identity = await ctx.auth.getUserIdentity()\n"
        "    if (identity === null) {\n"
        '      throw new Error("Unauthenticated")\n'
        "    }\n"
        '    return "pong"',
    )
    convex = root / "convex"
    write_codegen(convex)
    result = typecheck(root, convex, convex_auth_node_modules)
    assert result.returncode == 0, f"tsc -p convex:\n{result.stdout}{result.stderr}"


def test_an_action_authenticates_through_the_function_it_runs_as_its_caller(tree, cli):
    """ctx.runQuery / runMutation / runAction carry the caller's identity; the scheduler's
    runAfter does not."""
    server = (
        'import { action, query, internalQuery } from "../../_generated/server";\n'
        'import { api, internal } from "../../_generated/api";\n'
    )
    root = tree(
        {
            "convex/_generated/server.d.ts": "export declare const query: any;\n",
            "convex/_generated/api.d.ts": "export declare const api: any, internal: any;\n",
            "convex/integrations/github/queries.ts": server
            + "export const getConnection = query(async (ctx) => {\n"
            + "  const identity = await ctx.auth.getUserIdentity();\n"
            + "  return identity && { token: 't' };\n"
            + "});\n"
            + "export const anyConnection = internalQuery(async () => ({ token: 't' }));\n",
            "convex/integrations/github/actions.ts": server
            + "export const listRepositories = action(async (ctx) => {\n"
            + "  const connection = await ctx.runQuery(api.integrations.github.queries"
            + ".getConnection, {});\n"
            + '  if (!connection) throw new Error("no");\n'
            + "});\n"
            + "export const listAll = action(async (ctx) => {\n"
            + "  await ctx.runQuery(internal.integrations.github.queries.anyConnection, {});\n"
            + "});\n"
            + "export const later = action(async (ctx) => {\n"
            + "  await ctx.scheduler.runAfter(0, api.integrations.github.queries.getConnection);\n"
            + "});\n",
        }
    )
    code, out, _ = cli(
        "check", str(root), "--contract", "convex-auth", "--select", AUTH, "--format", "json"
    )
    assert code == 1
    assert [(f["path"], f["message"]) for f in json.loads(out)["findings"]] == [
        ("convex/integrations/github/actions.ts", "public action listAll() never checks ctx.auth"),
        ("convex/integrations/github/actions.ts", "public action later() never checks ctx.auth"),
    ]


def test_a_modules_own_helper_guards_where_it_can_be_called(tree, cli):
    """An exported helper is imported where it is missing; one a module keeps to itself guards
    only that module's functions, even when it is the most written."""
    server = 'import { mutation, query } from "./_generated/server";\n'

    def handler(name: str, kind: str, body: str) -> str:
        return f"export const {name} = {kind}({{\n  handler: async (ctx) => {{\n{body}  }},\n}});\n"

    def guard(helper: str) -> str:
        return f'    const who = await {helper}(ctx);\n    if (!who) throw new Error("no");\n'

    def guarded(helper: str, names: list[str]) -> str:
        return "".join(handler(n, "query", guard(helper) + "    return 1;\n") for n in names)

    files = {
        "convex/auth.config.ts": "export default { providers: [] };\n",
        "convex/_generated/server.d.ts": "export declare const query: any;\n",
        "convex/notes.ts": server
        + "export const userOf = async (ctx: { auth: any }) =>\n"
        + "  (await ctx.auth.getUserIdentity())?.subject;\n"
        + guarded("userOf", ["list", "get"])
        + handler("remove", "mutation", "    return 0;\n"),
        "convex/tasks.ts": server + handler("clear", "mutation", "    return 0;\n"),
        "convex/chat.ts": server
        + "async function me(ctx: { auth: any }) {\n"
        + "  const identity = await ctx.auth.getUserIdentity();\n"
        + '  if (!identity) throw new Error("no");\n'
        + "  return identity;\n}\n"
        # A soft check first: `.catch` swallows what the helper throws, so it guards nothing.
        + handler("peek", "query", "    return await me(ctx).catch(() => null);\n")
        + handler("peer", "query", "    await me(ctx).catch(() => null);\n")
        + guarded("me", ["a", "b", "c"])
        + handler("wipe", "mutation", "    return 0;\n"),
    }
    root = tree(files)
    init_git(root)
    cli("fix", str(root), "--contract", "convex-auth", "--select", AUTH)

    def after(path: str, name: str, helper: str, imported: str = "") -> str:
        unfixed = handler(name, "mutation", "    return 0;\n")
        fixed = handler(name, "mutation", guard(helper) + "    return 0;\n")
        return files[path].replace(unfixed, fixed).replace(server, server + imported)

    assert (root / "convex/notes.ts").read_text() == after("convex/notes.ts", "remove", "userOf")
    assert (root / "convex/chat.ts").read_text() == after("convex/chat.ts", "wipe", "me")
    assert (root / "convex/tasks.ts").read_text() == after(
        "convex/tasks.ts", "clear", "userOf", 'import { userOf } from "./notes";\n'
    )


def test_the_guard_follows_the_handlers_own_indentation_in_a_file_that_mixes_them(tree, cli):
    handler = "export const list = query({\n  handler: async (ctx) => {\n    return 1;\n  },\n});\n"
    files = {
        "convex/auth.config.ts": "export default { providers: [] };\n",
        "convex/_generated/server.d.ts": "export declare const query: any;\n",
        "convex/items.ts": 'import { query } from "./_generated/server";\n\n'
        "const limits = {\n\tmax: 10,\n\tmin: 1,\n};\n\n" + handler,
    }
    root = tree(files)
    init_git(root)
    cli("fix", str(root), "--contract", "convex-auth", "--select", AUTH)
    assert (root / "convex/items.ts").read_text() == files["convex/items.ts"].replace(
        "    return 1;\n",
        "    const identity = await ctx.auth.getUserIdentity();\n"
        "    if (identity === null) {\n"
        '      throw new Error("Unauthenticated");\n'
        "    }\n"
        "    return 1;\n",
    )
