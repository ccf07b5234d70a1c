"""The `convex-to-postgres` contract (Kianax leaves Convex for PostgreSQL, Drizzle, tRPC and SSE):
exact findings on its three fixtures, decoys included; its rule kinds (`sql-interpolation`,
`client-usage-absent`, `rls-policies`, `next-route-present`) on inline sources; `conformance fix`
scaffolding the database layer from the Convex schema; and the scaffold's typecheck against the
real npm packages (skipped, loudly, without the registry).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, assert_exact, git, init_git
from conftest import findings_of as conftest_findings
from npm_cache import npm_install

from conformance.engine import run
from conformance.model import Rule
from conformance.repo import RepoView
from conformance.templates import render
from conformance.translate.convex_drizzle import drizzle_schema_context

CONTRACT = "convex-to-postgres"
DB = "packages/database"
WEB = "apps/web"
WORKERS = "apps/workers"
MIGRATIONS = f"{DB}/drizzle/migrations/"
ACTIVITIES = f"{WORKERS}/src/activities"
UNFIXABLE = ("c2p-no-convex-react", "c2p-workers-no-convex-client")

# Call sites a person rewrites (no automatic fix): the Convex hooks and ConvexHttpClient.
BEFORE_CALL_SITES = [
    (f"{WEB}/app/dashboard/routines/[id]/edit/page.tsx", 5, "c2p-no-convex-react", "convex/react"),
    (f"{WEB}/app/dashboard/routines/page.tsx", 5, "c2p-no-convex-react", "convex/react"),
    (
        f"{WEB}/app/dashboard/settings/credentials/page.tsx",
        5,
        "c2p-no-convex-react",
        "convex/react",
    ),
    (
        f"{WEB}/components/providers/convex-client-provider.tsx",
        3,
        "c2p-no-convex-react",
        "`@convex-dev/better-auth`",
    ),
    (
        f"{WEB}/components/providers/convex-client-provider.tsx",
        4,
        "c2p-no-convex-react",
        "`convex/react`",
    ),
    (
        f"{WEB}/components/providers/dashboard-theme-provider.tsx",
        4,
        "c2p-no-convex-react",
        "`convex/react`",
    ),
    (
        f"{WEB}/components/routines/execution-history-drawer.tsx",
        5,
        "c2p-no-convex-react",
        "`convex/react`",
    ),
    (
        f"{WEB}/components/routines/routine-editor/hooks/use-routine-execution.ts",
        2,
        "c2p-no-convex-react",
        "`convex/react`",
    ),
]
BEFORE_WORKERS = [
    (
        f"{ACTIVITIES}/convex.ts",
        18,
        "c2p-workers-no-convex-client",
        "getConvexClient() constructs `new ConvexHttpClient(...)`",
    ),
    (
        f"{ACTIVITIES}/convex.ts",
        25,
        "c2p-workers-no-convex-client",
        "createRoutineExecution() calls `convex.mutation(api.executions.create)`",
    ),
    (
        f"{ACTIVITIES}/convex.ts",
        36,
        "c2p-workers-no-convex-client",
        "storeNodeResult() calls `convex.mutation(api.executions.storeNodeResult)`",
    ),
    (
        f"{ACTIVITIES}/convex.ts",
        46,
        "c2p-workers-no-convex-client",
        "updateRoutineStatus() calls `getConvexClient().mutation(api.executions.updateStatus)`",
    ),
    (
        f"{ACTIVITIES}/credentials.ts",
        6,
        "c2p-workers-no-convex-client",
        "module scope constructs `new ConvexHttpClient(...)`",
    ),
    (
        f"{ACTIVITIES}/credentials.ts",
        13,
        "c2p-workers-no-convex-client",
        "getCredentialForExecution() calls `convex.query(api.credentials.getForExecution)`",
    ),
    (
        f"{ACTIVITIES}/credentials.ts",
        24,
        "c2p-workers-no-convex-client",
        "getCredentialForExecution() calls `convex.mutation(api.credentials.updateData)`",
    ),
]


def _missing(path: str, rule: str = "") -> tuple:
    """A file the fix creates, by the rule that wants it: the database package's package.json
    by c2p-database-manifest, its other files by c2p-database-package."""
    if not rule:
        rule = "c2p-database-manifest" if path.endswith("package.json") else "c2p-database-package"
    return (path, None, rule, path if rule == "c2p-trpc-router" else f"{path} is missing")


BEFORE = sorted(
    [
        ("apps/server/convex/", None, "c2p-convex-functions-removed", "apps/server/convex/"),
        (
            f"{WEB}/app/api/executions/[workflowId]/stream/route.ts",
            None,
            "c2p-sse-route",
            "/api/executions/[workflowId]/stream has no route handler",
        ),
        (
            f"{WEB}/app/api/trpc/[trpc]/route.ts",
            None,
            "c2p-trpc-route",
            "/api/trpc/[trpc] has no route handler",
        ),
        *BEFORE_CALL_SITES,
        (f"{WEB}/package.json", 13, "c2p-database-dependency", '"@kianax/database" (not in'),
        # Kianax declares better-auth, not the drizzle-orm its Drizzle adapter loads.
        (f"{WEB}/package.json", 13, "c2p-web-auth", '"drizzle-orm" (not in dependencies)'),
        (f"{WEB}/package.json", 13, "c2p-web-trpc-server", '"@trpc/server" (not in dependencies)'),
        (f"{WEB}/package.json", 13, "c2p-web-zod", '"zod" (not in dependencies)'),
        (
            f"{WEB}/package.json",
            14,
            "c2p-no-convex-dependency",
            '"@convex-dev/better-auth" in dependencies',
        ),
        (f"{WEB}/package.json", 22, "c2p-no-convex-dependency", '"convex" in dependencies'),
        _missing(f"{WEB}/server/trpc/router.ts", "c2p-trpc-router"),
        *[
            _missing(f"{WEB}/server/trpc/routers/{module}.ts", "c2p-trpc-router")
            for module in ("credentials", "executions", "routines", "settings")
        ],
        _missing(f"{WEB}/server/trpc/trpc.ts", "c2p-trpc-router"),
        (f"{WORKERS}/package.json", 16, "c2p-database-dependency", '"@kianax/database" (not in'),
        (f"{WORKERS}/package.json", 21, "c2p-no-convex-dependency", '"convex" in dependencies'),
        *BEFORE_WORKERS,
        _missing(f"{DB}/drizzle.config.ts"),
        *[
            (MIGRATIONS, None, "c2p-rls-policies", f"table {table}: no ENABLE ROW LEVEL SECURITY")
            for table in ("routine_executions", "routines", "user_credentials", "user_settings")
        ],
        _missing(f"{DB}/package.json"),
        _missing(f"{DB}/src/client.ts"),
        _missing(f"{DB}/src/migrate.ts"),
        _missing(f"{DB}/src/repositories/credentials.ts"),
        _missing(f"{DB}/src/repositories/executions.ts"),
        _missing(f"{DB}/src/repositories/routines.ts"),
        _missing(f"{DB}/src/repositories/settings.ts"),
        _missing(f"{DB}/src/schema.ts"),
    ],
    key=lambda f: (f[0], f[1] or 0, f[2], f[3]),
)

# The seed followed to the letter: its own string-built SQL, drizzle-kit 0.20 config and
# commands. Its RLS migration, routes, tRPC router and workers pass.
SEED_SQL_INTERPOLATION = [
    (
        f"{DB}/src/client.ts",
        31,
        "c2p-no-sql-interpolation",
        "withUserContext() passes an interpolated template string to db.execute()",
    ),
    (
        f"{DB}/src/repositories/routines.ts",
        55,
        "c2p-no-sql-interpolation",
        "incrementVersion() passes an interpolated template string to this.db.execute()",
    ),
]
SEED_SQL = [
    (f"{DB}/drizzle.config.ts", 6, "c2p-drizzle-config-dialect", 'driver: "pg"'),
    (f"{DB}/drizzle.config.ts", 8, "c2p-drizzle-config-dialect", "connectionString:"),
    (
        f"{DB}/package.json",
        12,
        "c2p-drizzle-kit-commands",
        'script "db:generate" runs `bunx drizzle-kit generate:pg`',
    ),
    (
        f"{DB}/package.json",
        13,
        "c2p-drizzle-kit-commands",
        'script "db:push" runs `bunx drizzle-kit push:pg`',
    ),
    *SEED_SQL_INTERPOLATION,
]


def _database(*files: str, package: str = DB) -> list[tuple]:
    return [_missing(f"{package}/{path}") for path in files]


# One Convex table, `notes`; a Next.js app routing from src/app, signing in with Clerk.
NOTES_WEB = "apps/web"
NOTES = [
    (f"{NOTES_WEB}/package.json", 8, "c2p-database-dependency", '"@notes/database" (not in'),
    (f"{NOTES_WEB}/package.json", 8, "c2p-web-trpc-server", '"@trpc/server" (not in'),
    (f"{NOTES_WEB}/package.json", 8, "c2p-web-zod", '"zod" (not in dependencies)'),
    (f"{NOTES_WEB}/package.json", 11, "c2p-no-convex-dependency", '"convex" in dependencies'),
    (
        f"{NOTES_WEB}/src/app/api/live/[table]/[id]/route.ts",
        None,
        "c2p-sse-route",
        "the live update stream is missing: /api/live/[table]/[id] has no route handler",
    ),
    (
        f"{NOTES_WEB}/src/app/api/trpc/[trpc]/route.ts",
        None,
        "c2p-trpc-route",
        "/api/trpc/[trpc] has no route handler",
    ),
    (f"{NOTES_WEB}/src/app/notes/page.tsx", 3, "c2p-no-convex-react", "`convex/react`"),
    (
        f"{NOTES_WEB}/src/components/convex-client-provider.tsx",
        4,
        "c2p-no-convex-react",
        "`convex/react`",
    ),
    (
        f"{NOTES_WEB}/src/components/convex-client-provider.tsx",
        5,
        "c2p-no-convex-react",
        "`convex/react-clerk`",
    ),
    _missing(f"{NOTES_WEB}/src/server/trpc/router.ts", "c2p-trpc-router"),
    _missing(f"{NOTES_WEB}/src/server/trpc/routers/notes.ts", "c2p-trpc-router"),
    _missing(f"{NOTES_WEB}/src/server/trpc/trpc.ts", "c2p-trpc-router"),
    ("packages/backend/convex/", None, "c2p-convex-functions-removed", "packages/backend/convex/"),
    *_database("drizzle.config.ts"),
    (MIGRATIONS, None, "c2p-rls-policies", "table notes: no ENABLE ROW LEVEL SECURITY"),
    *_database("package.json", "src/client.ts", "src/migrate.ts"),
    *_database("src/repositories/notes.ts", "src/schema.ts"),
]

# Tables spread in and imported from other modules (and from @convex-dev/auth); a Pages Router
# app that already serves /api/trpc. The workspace globs are `apps/*` only: the database package
# goes where they reach, apps/database.
SITE = "apps/site"
SPREAD_DB = "apps/database"
SPREAD = sorted(
    [
        (f"{SITE}/package.json", 8, "c2p-database-dependency", '"@shelf/database" (not in'),
        (f"{SITE}/package.json", 8, "c2p-web-auth", '"better-auth" (not in dependencies)'),
        (f"{SITE}/package.json", 8, "c2p-web-auth", '"drizzle-orm" (not in dependencies)'),
        (f"{SITE}/package.json", 10, "c2p-no-convex-dependency", '"convex" in dependencies'),
        (
            f"{SITE}/src/app/api/live/[table]/[id]/route.ts",
            None,
            "c2p-sse-route",
            "/api/live/[table]/[id] has no route handler",
        ),
        (f"{SITE}/src/pages/index.tsx", 1, "c2p-no-convex-react", "`convex/react`"),
        _missing(f"{SITE}/src/server/trpc/router.ts", "c2p-trpc-router"),
        *[
            _missing(f"{SITE}/src/server/trpc/routers/{module}.ts", "c2p-trpc-router")
            for module in ("invoices", "loans", "shelves", "subscriptions")
        ],
        _missing(f"{SITE}/src/server/trpc/trpc.ts", "c2p-trpc-router"),
        ("convex/", None, "c2p-convex-functions-removed", "convex/"),
        *[
            (
                f"{SPREAD_DB}/drizzle/migrations/",
                None,
                "c2p-rls-policies",
                f"table {table}: no ENABLE ROW LEVEL SECURITY",
            )
            for table in ("invoices", "loans", "shelves", "subscriptions")
        ],
        *_database(
            "drizzle.config.ts",
            "package.json",
            "src/client.ts",
            "src/migrate.ts",
            *[
                f"src/repositories/{module}.ts"
                for module in (
                    "books",
                    "editions",
                    "invoices",
                    "loans",
                    "shelves",
                    "subscriptions",
                    "users",
                )
            ],
            "src/schema.ts",
            package=SPREAD_DB,
        ),
    ],
    key=lambda f: (f[0], f[1] or 0, f[2], f[3]),
)

# One package.json at the root, no workspaces: the database code is the app's (src/db, beside
# drizzle.config.ts), its dependencies the root package.json's; Convex Auth, so Better Auth.
SINGLE = sorted(
    [
        ("convex/", None, "c2p-convex-functions-removed", "convex/"),
        _missing("drizzle.config.ts"),
        *[
            ("drizzle/migrations/", None, "c2p-rls-policies", f"table {table}: no ENABLE ROW")
            for table in ("checkins", "habits")
        ],
        ("package.json", 12, "c2p-database-dependencies", '"drizzle-orm" (not in dependencies)'),
        ("package.json", 12, "c2p-database-dependencies", '"pg" (not in dependencies)'),
        ("package.json", 12, "c2p-database-tools", '"@types/pg" (not in dependencies or devDep'),
        ("package.json", 12, "c2p-database-tools", '"drizzle-kit" (not in dependencies or devD'),
        ("package.json", 12, "c2p-web-auth", '"better-auth" (not in dependencies)'),
        ("package.json", 12, "c2p-web-auth", '"drizzle-orm" (not in dependencies)'),
        ("package.json", 12, "c2p-web-trpc-server", '"@trpc/server" (not in dependencies)'),
        ("package.json", 12, "c2p-web-zod", '"zod" (not in dependencies)'),
        ("package.json", 16, "c2p-no-convex-dependency", '"convex" in dependencies'),
        (
            "src/app/api/live/[table]/[id]/route.ts",
            None,
            "c2p-sse-route",
            "/api/live/[table]/[id] has no route handler",
        ),
        ("src/app/api/trpc/[trpc]/route.ts", None, "c2p-trpc-route", "/api/trpc/[trpc] has no"),
        ("src/app/habits/page.tsx", 3, "c2p-no-convex-react", "`convex/react`"),
        (
            "src/components/convex-client-provider.tsx",
            3,
            "c2p-no-convex-react",
            "`@convex-dev/auth`",
        ),
        ("src/components/convex-client-provider.tsx", 4, "c2p-no-convex-react", "`convex/react`"),
        *[_missing(f"src/db/{path}.ts") for path in ("client", "migrate", "schema")],
        *[
            _missing(f"src/db/repositories/{table}.ts")
            for table in ("checkins", "habits", "quotes")
        ],
        _missing("src/server/trpc/router.ts", "c2p-trpc-router"),
        _missing("src/server/trpc/routers/checkins.ts", "c2p-trpc-router"),
        _missing("src/server/trpc/routers/habits.ts", "c2p-trpc-router"),
        _missing("src/server/trpc/trpc.ts", "c2p-trpc-router"),
    ],
    key=lambda f: (f[0], f[1] or 0, f[2], f[3]),
)

EXPECTED = {
    "convex-to-postgres-before": BEFORE,
    "convex-to-postgres-after": [],
    "convex-to-postgres-seed-sql": SEED_SQL,
    "convex-to-postgres-notes": NOTES,
    "convex-to-postgres-spread": SPREAD,
    "convex-to-postgres-single": SINGLE,
}
SNAPSHOTS = ROOT / "tests" / "snapshots"
SNAPSHOT_FIXTURES = [
    "convex-to-postgres-notes",
    "convex-to-postgres-spread",
    "convex-to-postgres-single",
]


def findings_of(root: Path, **parameters) -> list[tuple]:
    """Through the fixture's conformance.yaml, which names Kianax's layout and modules."""
    return conftest_findings(root, None, **parameters)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_findings_are_exact(name):
    assert_exact(findings_of(FIXTURES / name), EXPECTED[name])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_git_mode_agrees_with_walk_mode(name, fixture_copy):
    root = fixture_copy(name)
    init_git(root)
    assert_exact(findings_of(root), EXPECTED[name])


def test_fixtures_name_the_contract(cli):
    for name in EXPECTED:
        code, _, _ = cli("check", str(FIXTURES / name))
        assert code == (0 if name.endswith("after") else 1)


def test_decoys_are_present():
    """The decoys exist, so the zero findings on them mean something."""
    after = FIXTURES / "convex-to-postgres-after"
    before = FIXTURES / "convex-to-postgres-before"

    def read(root: Path, path: str) -> str:
        return (root / path).read_text(encoding="utf-8")

    # Tagged sql templates with interpolations, constant SQL, non-SQL `.query(`/`useQuery`.
    assert "sql`${routines.version} + 1`" in read(after, f"{DB}/src/repositories/routines.ts")
    assert "set_config('app.current_user_id', ${userId}, true)" in read(
        after, f"{DB}/src/client.ts"
    )
    health = read(after, f"{WEB}/app/api/health/route.ts")
    assert 'db.execute("select 1")' in health and "sql.raw(`select 1`)" in health
    assert ".query(({ ctx, input }) =>" in read(after, f"{WEB}/server/trpc/routers/routines.ts")
    assert "trpc.routines.list.useQuery()" in read(after, f"{WEB}/app/dashboard/routines/page.tsx")
    drawer = read(after, f"{WEB}/components/routines/execution-history-drawer.tsx")
    assert "document.querySelector(`#execution-${id}`)" in drawer
    stream = read(after, f"{WEB}/app/api/executions/[workflowId]/stream/route.ts")
    assert "encoder.encode(`data: ${JSON.stringify(data)}\\n\\n`)" in stream
    assert "new Error(`Credential ${credentialId} not found`)" in read(
        after, f"{ACTIVITIES}/credentials.ts"
    )
    # ConvexHttpClient and convex/react in comments; RLS statements in SQL comments and bodies.
    assert "ConvexHttpClient" in read(after, f"{WORKERS}/src/worker.ts")
    assert "ConvexHttpClient" in read(before, f"{WORKERS}/src/worker.ts")
    assert '"convex/react"' in read(before, f"{WEB}/app/layout.tsx")
    notify = read(after, f"{MIGRATIONS}0001_execution_notify.sql")
    assert "-- ALTER TABLE routine_executions DISABLE ROW LEVEL SECURITY;" in notify
    assert "-- DROP POLICY routine_executions_user_isolation" in notify


def test_parameters_move_the_database_package(fixture_copy):
    root = fixture_copy("convex-to-postgres-seed-sql")
    (root / DB).rename(root / "packages/db")
    found = findings_of(root, database_package="packages/db")
    assert {path.split("/")[1] for path, *_ in found} == {"db"}
    assert len(found) == len(SEED_SQL)


# sql-interpolation ----------------------------------------------------------------------------


def check(root: Path, kind: str, **options) -> list[tuple]:
    rule = Rule(id="r", kind=kind, message="{item}", why="w", contract="t", options=options)
    return [(f.path, f.line, f.message) for f in run([rule], RepoView(root)).findings]


def sql_findings(tree, source: str, path: str = "src/db.ts", **options) -> list[tuple]:
    root = tree({path: source})
    return [
        (line, message)
        for _, line, message in check(root, "sql-interpolation", files="src/**", **options)
    ]


def test_sql_interpolation_direct_template(tree):
    source = (
        "export async function withUserContext(db: Database, userId: string) {\n"
        "  await db.execute(`SET LOCAL app.current_user_id = '${userId}'`);\n"
        "}\n"
    )
    assert sql_findings(tree, source) == [
        (2, "withUserContext() passes an interpolated template string to db.execute()")
    ]


def test_sql_interpolation_concatenation_and_method_names(tree):
    source = (
        "class Repo {\n"
        "  async byId(id: string) {\n"
        '    return client.query("select * from routines where id = \'" + id + "\'");\n'
        "  }\n"
        "}\n"
    )
    assert sql_findings(tree, source) == [
        (3, "byId() passes a concatenated string to client.query()")
    ]


def test_sql_interpolation_through_a_local_variable(tree):
    source = (
        "export async function withUserContext(db: Database, userId: string) {\n"
        "  return db.transaction(async (tx) => {\n"
        "    const q = `SET app.user_id = '${userId}'`;\n"
        "    await tx.execute(q);\n"
        "  });\n"
        "}\n"
        "export async function search(term: string) {\n"
        "  let text = 'select * from routines where true';\n"
        '  text += " and name like \'%" + term + "%\'";\n'
        "  return pool.query(text);\n"
        "}\n"
    )
    assert sql_findings(tree, source) == [
        (
            4,
            "withUserContext() passes `q` (an interpolated template string, line 3) "
            "to tx.execute()",
        ),
        (10, "search() passes `text` (appended to with +=, line 9) to pool.query()"),
    ]


def test_sql_interpolation_nested_functions_and_scopes(tree):
    source = (
        "const TABLE_SQL = `select * from ${table}`;\n"
        "export function outer(id: string) {\n"
        "  const q = `delete from routines where id = '${id}'`;\n"
        "  function inner() {\n"
        "    return db.execute(q);\n"  # the closure's q: a finding in inner()
        "  }\n"
        "  const run = () => db.execute(TABLE_SQL);\n"  # a module constant, built by interpolation
        "  return [inner, run];\n"
        "}\n"
        "export function shadowed(TABLE_SQL: string) {\n"
        "  return db.execute(TABLE_SQL);\n"  # the parameter, not the module constant
        "}\n"
        "export function later() {\n"
        "  db.execute(sqlText);\n"  # bound only after the call
        "  const sqlText = `select ${1}`;\n"
        "}\n"
    )
    assert sql_findings(tree, source) == [
        (5, "inner() passes `q` (an interpolated template string, line 3) to db.execute()"),
        (7, "run() passes `TABLE_SQL` (an interpolated template string, line 1) to db.execute()"),
    ]


def test_sql_interpolation_decoys(tree):
    source = (
        'import { sql } from "drizzle-orm";\n'
        "export async function decoys(id: string, userId: string, text: string) {\n"
        "  await db.execute(sql`update routines set version = version + 1 where id = ${id}`);\n"
        "  await tx.execute(sql`select set_config('app.current_user_id', ${userId}, true)`);\n"
        '  await db.execute("select 1");\n'
        "  await db.execute(`select 1`);\n"
        '  await db.execute("select " + "1");\n'
        '  await client.query("select * from routines where id = $1", [id]);\n'
        "  await client.query(text, [id]);\n"
        '  await db.execute(sql.raw("select 1"));\n'
        "  const postgres = await sqlClient`select * from routines where id = ${id}`;\n"
        "  const a = trpc.workflows.list.useQuery();\n"
        "  const b = api.routines.get.useQuery({ id: `${id}` });\n"
        "  document.querySelector(`#node-${id}`);\n"
        "  return router({ list: procedure.query(async ({ ctx }) => ctx.userId) });\n"
        "}\n"
    )
    assert sql_findings(tree, source) == []


def test_sql_interpolation_raw_unsafe_and_prisma(tree):
    source = (
        "export async function raw(column: string, id: string) {\n"
        "  await db.execute(sql`select ${sql.raw(`${column}`)} from t`);\n"
        "  await sql.unsafe(`select * from t where id = ${id}`);\n"
        "  await prisma.$queryRawUnsafe(`select * from t where id = '${id}'`);\n"
        "  await prisma.$queryRaw`select * from t where id = ${id}`;\n"
        "}\n"
    )
    assert [line for line, _ in sql_findings(tree, source)] == [2, 3, 4]


def test_sql_interpolation_callees_option_and_file_types(tree):
    root = tree(
        {
            "src/run.mjs": "export const go = (x) => db.run(`delete from t where id = ${x}`);\n",
            "src/page.tsx": "export const P = () => <div>{db.execute(`select ${1}`)}</div>;\n",
            "src/notes.sql": "select '${not code}';\n",
        }
    )
    assert check(root, "sql-interpolation", files="src/**", callees=["run"]) == [
        ("src/run.mjs", 1, "go() passes an interpolated template string to db.run()")
    ]
    assert check(root, "sql-interpolation", files="src/**") == [
        ("src/page.tsx", 1, "P() passes an interpolated template string to db.execute()")
    ]


# client-usage-absent --------------------------------------------------------------------------


def test_client_usage_follows_imports_factories_and_types(tree):
    root = tree(
        {
            "src/a.ts": (
                "// new ConvexHttpClient(url) in a comment is not code\n"
                'import { ConvexHttpClient as Client } from "convex/browser";\n'
                'import * as browser from "convex/browser";\n'
                "const shared = new Client(process.env.CONVEX_URL!);\n"
                "export async function typed(client: Client) {\n"
                "  return client.query(api.routines.list, {});\n"
                "}\n"
                "export async function viaNamespace() {\n"
                '  const c = new browser.ConvexHttpClient("https://x.convex.cloud");\n'
                "  await c.action(api.oauth.refresh, { id: 1 });\n"
                "  await shared.mutation(api.executions.create, {\n"
                "    workflowId: 'w',\n"
                "  });\n"
                "}\n"
            ),
            "src/fake.ts": (
                'import { ConvexHttpClient } from "./test-double";\n'
                "export const fake = new ConvexHttpClient();\n"
                "fake.mutation();\n"
            ),
        }
    )
    found = check(
        root,
        "client-usage-absent",
        files="src/**",
        classes="ConvexHttpClient",
        modules="convex/browser",
    )
    assert found == [
        ("src/a.ts", 4, "module scope constructs `new ConvexHttpClient(...)`"),
        ("src/a.ts", 6, "typed() calls `client.query(api.routines.list)`"),
        ("src/a.ts", 9, "viaNamespace() constructs `new ConvexHttpClient(...)`"),
        ("src/a.ts", 10, "viaNamespace() calls `c.action(api.oauth.refresh)`"),
        ("src/a.ts", 11, "viaNamespace() calls `shared.mutation(api.executions.create)`"),
    ]
    # Without `modules`, any class of that name counts.
    assert (
        len(check(root, "client-usage-absent", files="src/fake.ts", classes="ConvexHttpClient"))
        == 2
    )


# rls-policies ---------------------------------------------------------------------------------

TABLES = ["routines", "routine_executions"]


def rls(root: Path, **options) -> list[tuple]:
    options = {"config": "db/drizzle.config.ts", "tables": TABLES, **options}
    return check(root, "rls-policies", **options)


def test_rls_reads_the_config_out_dir_and_quoted_names(tree):
    root = tree(
        {
            "db/drizzle.config.ts": 'export default { out: "./sql", dialect: "postgresql" };\n',
            "db/sql/0000_init.sql": (
                'ALTER TABLE "public"."routines" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint\n'
                'CREATE POLICY "own" ON "public"."routines" AS PERMISSIVE FOR ALL TO public\n'
                "  USING (user_id = current_setting('app.current_user_id', true));\n"
            ),
            "db/sql/20250101_execs/migration.sql": (
                "alter table only Routine_Executions enable row level security, "
                "force row level security;\n"
                "create policy own on public.routine_executions using (true);\n"
            ),
            "db/drizzle/0000_ignored.sql": "-- not where `out` points\n",
        }
    )
    assert rls(root) == []
    assert rls(root, tables=["user_settings"]) == [
        ("db/sql/", None, "table user_settings: no ENABLE ROW LEVEL SECURITY, no CREATE POLICY")
    ]


def test_rls_later_statements_undo_earlier_ones_comments_do_not(tree):
    root = tree(
        {
            "db/drizzle.config.ts": "export default { out: './migrations' };\n",
            "db/migrations/0000_init.sql": (
                "ALTER TABLE routines ENABLE ROW LEVEL SECURITY;\n"
                "ALTER TABLE routine_executions ENABLE ROW LEVEL SECURITY;\n"
                "CREATE POLICY a ON routines USING (user_id = current_setting('x; DROP POLICY a ON routines', true));\n"
                "CREATE POLICY b ON routine_executions USING (true);\n"
            ),
            "db/migrations/0001_later.sql": (
                "-- ALTER TABLE routines DISABLE ROW LEVEL SECURITY;\n"
                "/* DROP POLICY b ON routine_executions; */\n"
                "CREATE FUNCTION f() RETURNS trigger AS $body$ BEGIN\n"
                "  EXECUTE 'DROP POLICY a ON routines'; ALTER TABLE routines DISABLE ROW LEVEL SECURITY;\n"
                "END; $body$ LANGUAGE plpgsql;\n"
                "DROP POLICY IF EXISTS b ON routine_executions;\n"
                "ALTER TABLE routines DISABLE ROW LEVEL SECURITY;\n"
            ),
        }
    )
    assert rls(root) == [
        ("db/migrations/", None, "table routine_executions: no CREATE POLICY"),
        ("db/migrations/", None, "table routines: no ENABLE ROW LEVEL SECURITY"),
    ]


def test_rls_default_dir_without_config(tree):
    root = tree({"db/drizzle/0000.sql": "ALTER TABLE routines ENABLE ROW LEVEL SECURITY;\n"})
    assert rls(root, tables="routines") == [
        ("db/drizzle/", None, "table routines: no CREATE POLICY")
    ]


# next-route-present ---------------------------------------------------------------------------


def test_next_routes_by_shape_groups_and_exports(tree):
    root = tree(
        {
            "web/app/(api)/api/executions/[id]/stream/route.ts": (
                "export async function GET(request: Request) { return new Response(); }\n"
            ),
            "web/app/api/trpc/[trpc]/route.ts": (
                "const handler = (req: Request) => new Response();\n"
                "export { handler as GET };\n"
                "export const PUT = handler;\n"
            ),
            "web/app/_private/health/route.ts": "export function GET() {}\n",
            "web/app/api/health/page.tsx": "export default function Page() {}\n",
        }
    )

    def routes(route: str, methods: list[str]) -> list[tuple]:
        return check(root, "next-route-present", app="web/app", routes=route, methods=methods)

    assert routes("/api/executions/[workflowId]/stream", ["GET"]) == []
    assert routes("/api/trpc/[trpc]", ["GET", "POST", "PUT"]) == [
        ("web/app/api/trpc/[trpc]/route.ts", None, "/api/trpc/[trpc] handler does not export POST")
    ]
    assert routes("/health", ["GET"]) == [
        ("web/app/health/route.ts", None, "/health has no route handler")
    ]
    assert routes("/api/health", ["GET"]) == [
        ("web/app/api/health/route.ts", None, "/api/health has no route handler")
    ]
    assert routes("/api/executions/[...rest]", []) == [
        (
            "web/app/api/executions/[...rest]/route.ts",
            None,
            "/api/executions/[...rest] has no route handler",
        )
    ]


def test_next_routes_read_the_pages_router_api(tree):
    root = tree(
        {
            "web/package.json": '{"dependencies": {"next": "15"}}',
            "web/src/pages/index.tsx": "export default function Home() {}\n",
            "web/src/pages/api/trpc/[trpc].ts": "export default function handler() {}\n",
            "web/src/pages/api/health/index.ts": "export const config = {};\n",
            "web/src/pages/api/_util.ts": "export default function helper() {}\n",
        }
    )

    def routes(route: str) -> list[tuple]:
        return check(root, "next-route-present", project="web", routes=route, methods=["GET"])

    # A Pages API route serves every method through its default export.
    assert routes("/api/trpc/[trpc]") == []
    assert routes("/api/health") == [
        ("web/src/pages/api/health/index.ts", None, "/api/health API route has no default export")
    ]
    # A missing handler belongs in an App Router beside src/pages: Next.js wants one parent.
    assert routes("/api/live/[table]/[id]") == [
        (
            "web/src/app/api/live/[table]/[id]/route.ts",
            None,
            "/api/live/[table]/[id] has no route handler",
        )
    ]
    assert routes("/api/util") == [
        ("web/src/app/api/util/route.ts", None, "/api/util has no route handler")
    ]


@pytest.mark.parametrize(
    ("files", "app_router", "source_root"),
    [
        ({"web/app/page.tsx": "", "web/src/app/page.tsx": ""}, "web/app", "web"),
        ({"web/src/app/page.tsx": "", "web/src/lib/x.ts": ""}, "web/src/app", "web/src"),
        ({"web/pages/index.tsx": "", "web/src/lib/x.ts": ""}, "web/app", "web"),
        ({"web/src/pages/index.tsx": ""}, "web/src/app", "web/src"),
        ({"web/src/lib/x.ts": ""}, "web/src/app", "web/src"),
        ({"web/next.config.js": ""}, "web/app", "web"),
        # Routing from app/, code in src/ where the alias points (reflet's shape).
        (
            {
                "web/app/page.tsx": "",
                "web/src/lib/x.ts": "",
                "web/tsconfig.json": '{"compilerOptions": {"paths": {"@/*": ["./src/*"],}}}',
            },
            "web/app",
            "web/src",
        ),
        # An alias to a folder that does not exist says nothing.
        (
            {
                "web/src/app/page.tsx": "",
                "web/tsconfig.json": '{"compilerOptions": {"paths": {"@/*": ["./lib/*"]}}}',
            },
            "web/src/app",
            "web/src",
        ),
    ],
)
def test_each_app_has_its_router_root(tree, files, app_router, source_root):
    from conformance.project import project_of

    root = tree({"web/package.json": '{"dependencies": {"next": "15"}}', **files})
    found = project_of(RepoView(root)).next
    assert (found.app_router_for("web"), found.source_root("web")) == (app_router, source_root)


def test_the_route_fix_never_makes_app_beside_src(tree, cli):
    """An app on src/pages gets src/app (Next.js fails on `app` and `pages` in different
    folders); one on src/app keeps it."""
    root = tree(
        {
            "web/package.json": '{"dependencies": {"next": "15"}}',
            "web/src/pages/index.tsx": "export default function Home() {}\n",
            "contract.yaml": (
                "name: routes\ndescription: d\nrules:\n"
                "  - id: r-health\n    kind: next-route-present\n    project: web\n"
                "    routes: /api/health\n    methods: GET\n    message: missing\n    why: w\n"
                "    fix:\n      template: convex-to-postgres/apps/web/app/api/trpc-route.ts.j2\n"
                '      vars: {route: "/api/trpc/[trpc]"}\n'
                "      context:\n        web_app:\n          app: web\n"
                "          modules: {router: web/src/server/router, trpc: web/src/server/trpc}\n"
            ),
        }
    )
    init_git(root)
    code, out, _ = cli("fix", str(root), "--contract", str(root / "contract.yaml"))
    assert code == 0, out
    written = (root / "web/src/app/api/health/route.ts").read_text()
    # No tsconfig alias in this app: the imports are relative.
    assert 'import { appRouter } from "../../../server/router";' in written
    assert not (root / "web/app").exists()


# fix ------------------------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


@pytest.fixture
def committed(fixture_copy):
    def make(name: str) -> Path:
        root = fixture_copy(name)
        init_git(root)
        return root

    return make


def test_fix_scaffolds_the_database_layer_and_leaves_the_call_sites(committed, cli, check_json):
    root = committed("convex-to-postgres-before")
    code, out, err = cli("fix", str(root))
    assert err == ""
    assert code == 1  # the hooks and ConvexHttpClient calls are a person's rewrite
    lines = out.splitlines()
    assert "remove    apps/server/convex/  [c2p-convex-functions-removed]" in lines
    assert f"create    {DB}/src/schema.ts  [c2p-database-package]" in lines
    assert f"create    {MIGRATIONS}row_level_security.sql  [c2p-rls-policies]" in lines
    assert f"create    {WEB}/app/api/trpc/[trpc]/route.ts  [c2p-trpc-route]" in lines
    assert (
        f"create    {WEB}/app/api/executions/[workflowId]/stream/route.ts  [c2p-sse-route]" in lines
    )
    assert f"create    {WEB}/lib/auth.ts  [c2p-trpc-router]" in lines
    assert (
        f"edit      {WEB}/package.json  [c2p-no-convex-dependency, c2p-database-dependency, "
        "c2p-web-trpc-server, c2p-web-zod, c2p-web-auth]" in lines
    )
    skipped = [line for line in lines if line.startswith("skip ")]
    assert len(skipped) == 9 and all("no automatic fix" in line for line in skipped)
    # What remains is exactly the call sites, with the functions that hold them.
    _, payload = check_json(str(root))
    remaining = [(f["path"], f["line"], f["rule"], f["message"]) for f in payload["findings"]]
    assert_exact(remaining, BEFORE_CALL_SITES + BEFORE_WORKERS)
    assert cli("check", str(root), "--ignore", ",".join(UNFIXABLE))[0] == 0
    # Removals are staged; the Convex schema the Drizzle schema came from is gone with them.
    staged = git(root, "diff", "--cached", "--name-status")
    assert "D\tapps/server/convex/schema.ts" in staged
    assert not (root / "apps/server/convex").exists()


def test_second_fix_is_a_no_op(committed, cli):
    root = committed("convex-to-postgres-before")
    cli("fix", str(root), "--ignore", ",".join(UNFIXABLE))
    first = snapshot(root)
    code, out, _ = cli("fix", str(root), "--ignore", ",".join(UNFIXABLE))
    assert (code, out) == (
        0,
        "discovered: web_source = apps/web (apps/web/app/ routes) [convex-to-postgres]\n"
        "discovered: database_layout = package (packages/database is a workspace package of its "
        "own) [convex-to-postgres]\n"
        "discovered: database_source = src (the package's src/, which its exports map) "
        "[convex-to-postgres]\n"
        "discovered: web_auth_packages = better-auth (lib/auth.ts (Better Auth) imports it), "
        "drizzle-orm (the peer Better Auth's Drizzle adapter loads) [convex-to-postgres]\n\n"
        "All 15 rules pass (convex-to-postgres)\n",
    )
    assert snapshot(root) == first


def test_fix_derives_the_schema_from_the_convex_schema(committed, cli):
    root = committed("convex-to-postgres-before")
    convex_schema = (root / "apps/server/convex/schema.ts").read_text(encoding="utf-8")
    cli("fix", str(root))
    schema = (root / DB / "src/schema.ts").read_text(encoding="utf-8")
    context = drizzle_schema_context(convex_schema, "apps/server/convex/schema.ts")
    assert context["source"] == "apps/server/convex/schema.ts"
    assert schema == render(f"{CONTRACT}/{DB}/src/schema.ts.j2", context)
    assert 'export const routineExecutions = pgTable(\n  "routine_executions"' in schema


def test_fix_edits_package_json_and_writes_the_real_drizzle_shapes(committed, cli):
    root = committed("convex-to-postgres-before")
    cli("fix", str(root))
    web = json.loads((root / WEB / "package.json").read_text())["dependencies"]
    assert "convex" not in web and "@convex-dev/better-auth" not in web
    assert (web["@kianax/database"], web["@trpc/server"], web["zod"]) == ("*", "^11.0.0", "^4.0.0")
    workers = json.loads((root / WORKERS / "package.json").read_text())["dependencies"]
    assert "convex" not in workers and workers["@kianax/database"] == "*"
    package = json.loads((root / DB / "package.json").read_text())
    assert package["name"] == "@kianax/database"
    assert package["scripts"]["db:generate"] == "drizzle-kit generate"
    assert package["dependencies"] == {"drizzle-orm": "^0.45.0", "pg": "^8.16.0"}
    config = (root / DB / "drizzle.config.ts").read_text()
    assert 'dialect: "postgresql"' in config and 'out: "./drizzle/migrations"' in config
    assert "url: process.env.DATABASE_URL!" in config
    rls_sql = (root / MIGRATIONS / "row_level_security.sql").read_text()
    for table in ("routines", "routine_executions", "user_credentials", "user_settings"):
        assert f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;" in rls_sql
        assert f"DROP POLICY IF EXISTS {table}_user_isolation ON {table};" in rls_sql
        assert f"CREATE POLICY {table}_user_isolation ON {table}\n" in rls_sql


@pytest.mark.parametrize("name", sorted([*SNAPSHOT_FIXTURES, "convex-to-postgres-before"]))
def test_scaffold_passes_sql_interpolation(committed, cli, name):
    """The scaffold binds every value, in every fixture: better-auth and Clerk, a live route by
    table and by a column."""
    root = committed(name)
    before = set(snapshot(root))
    cli("fix", str(root))
    written = sorted(p for p in set(snapshot(root)) - before if p.endswith(".ts"))
    assert len(written) >= 10
    assert check(root, "sql-interpolation", files=written) == []


def test_every_template_is_written_by_some_fixture():
    templates = ROOT / "templates" / CONTRACT
    names = sorted(p.relative_to(templates).as_posix() for p in templates.rglob("*.j2"))
    assert names == [
        "apps/web/app/api/live-route.ts.j2",
        "apps/web/app/api/trpc-route.ts.j2",
        "apps/web/lib/auth.ts.j2",
        "apps/web/server/trpc/router.ts.j2",
        "apps/web/server/trpc/routers/router.ts.j2",
        "apps/web/server/trpc/trpc.ts.j2",
        "packages/database/drizzle.config.ts.j2",
        "packages/database/package.json.j2",
        "packages/database/row_level_security.sql.j2",
        "packages/database/src/client.ts.j2",
        "packages/database/src/migrate.ts.j2",
        "packages/database/src/repositories/repository.ts.j2",
        "packages/database/src/schema.ts.j2",
        "packages/database/tsconfig.json.j2",
    ]


def test_the_seed_own_sql_is_flagged():
    seed = FIXTURES / "convex-to-postgres-seed-sql"
    assert [f[1:] for f in check(seed, "sql-interpolation", files=f"{DB}/src/**")] == [
        (31, "withUserContext() passes an interpolated template string to db.execute()"),
        (55, "incrementVersion() passes an interpolated template string to this.db.execute()"),
    ]


def test_fix_on_the_seed_literal_repo_corrects_drizzle_kit_and_leaves_the_sql(
    committed, cli, check_json
):
    root = committed("convex-to-postgres-seed-sql")
    code, out, _ = cli("fix", str(root))
    assert code == 1
    assert f"edit      {DB}/drizzle.config.ts  [c2p-drizzle-config-dialect]" in out
    scripts = json.loads((root / DB / "package.json").read_text())["scripts"]
    assert scripts["db:generate"] == "bunx drizzle-kit generate"
    assert scripts["db:push"] == "bunx drizzle-kit push"
    assert 'dialect: "postgresql"' in (root / DB / "drizzle.config.ts").read_text()
    _, payload = check_json(str(root))
    remaining = [(f["path"], f["line"], f["rule"], f["message"]) for f in payload["findings"]]
    assert_exact(remaining, SEED_SQL_INTERPOLATION)


def test_fix_leaves_an_existing_auth_module_alone(fixture_copy, cli):
    root = fixture_copy("convex-to-postgres-before")
    (root / WEB / "lib/auth.ts").write_text("export const auth = {} as never;\n")
    init_git(root)
    _, out, _ = cli("fix", str(root), "--ignore", ",".join(UNFIXABLE))
    assert f"conflict  {WEB}/lib/auth.ts  [c2p-trpc-router]  (exists and differs" in out
    assert (root / WEB / "lib/auth.ts").read_text() == "export const auth = {} as never;\n"
    assert (root / WEB / "server/trpc/trpc.ts").exists()


def test_rls_fix_follows_the_config_out_dir(tree, cli):
    root = tree(
        {
            f"{DB}/drizzle.config.ts": 'export default defineConfig({ out: "./sql/migrations" });\n',
            f"{DB}/sql/migrations/0000_init.sql": "CREATE TABLE routines (id uuid);\n",
        }
    )
    init_git(root)
    code, out, _ = cli(
        "fix",
        str(root),
        "--contract",
        CONTRACT,
        "--select",
        "c2p-rls-policies",
        "--param",
        "rls_tables=[routines]",
    )
    assert code == 0, out
    assert f"create    {DB}/sql/migrations/row_level_security.sql  [c2p-rls-policies]" in out


@pytest.mark.parametrize("name", SNAPSHOT_FIXTURES)
def test_fix_writes_exactly_the_snapshot(committed, cli, name):
    """Every file `fix` creates or edits, byte for byte, is the one under tests/snapshots/; the
    Convex directory is gone; nothing else changed."""
    root = committed(name)
    before = snapshot(root)
    code, _, err = cli("fix", str(root))
    assert (code, err) == (1, "")  # the Convex hooks are a person's rewrite
    after = snapshot(root)
    expected_root = SNAPSHOTS / name
    expected = {
        p.relative_to(expected_root).as_posix(): p.read_bytes()
        for p in expected_root.rglob("*")
        if p.is_file()
    }
    changed = sorted(path for path in after if before.get(path) != after[path])
    assert changed == sorted(expected)
    for path in changed:
        assert after[path].decode() == expected[path].decode(), path
    functions_dir = next(f[0] for f in EXPECTED[name] if f[2] == "c2p-convex-functions-removed")
    assert sorted(set(before) - set(after)) == sorted(
        p for p in before if p.startswith(functions_dir)
    )


def test_fix_on_one_table_writes_no_kianax_name_and_nothing_beside_src_app(committed, cli):
    root = committed("convex-to-postgres-notes")
    code, out, _ = cli("fix", str(root))
    assert code == 1  # the Convex hooks remain, for a person
    lines = out.splitlines()
    assert (
        "skip      apps/web/src/lib/auth.ts  [c2p-trpc-router]  (not written: apps/web signs "
        "users in with Clerk (@clerk/nextjs))" in lines
    )
    assert "create    apps/web/src/app/api/live/[table]/[id]/route.ts  [c2p-sse-route]" in lines
    assert not (root / "apps/web/app").exists() and not (root / "apps/web/lib").exists()
    written = "".join(
        (root / path).read_text() for path in SCAFFOLDS["convex-to-postgres-notes"][0]
    )
    for name in ("routine", "Routine", "execution", "credential", "workflow", "kianax"):
        assert name not in written, name
    # The Convex functions that name `notes` in a ctx.db call, not `greeting`'s "notes" string.
    repository = (root / DB / "src/repositories/notes.ts").read_text()
    assert (
        "notes.saveSummary: internal mutation (packages/backend/convex/notes.ts:43)" in repository
    )
    assert "greeting" not in repository
    # Once the new files are added, discovery reads the Drizzle schema: the rest passes.
    git(root, "add", "-A")
    _, out, _ = cli("fix", str(root))
    assert [
        line for line in out.splitlines() if line.startswith(("create", "edit", "remove"))
    ] == []


def test_fix_lists_the_tables_it_cannot_read_and_leaves_the_pages_router_alone(committed, cli):
    root = committed("convex-to-postgres-spread")
    _, out, _ = cli("fix", str(root))
    assert (
        "create    apps/database/src/schema.ts  [c2p-database-package]  (`...authTables` "
        "(convex/schema.ts) not generated: it comes from @convex-dev/auth/server, outside the "
        "repository: its tables are not read)" in out.splitlines()
    )
    # /api/trpc is served by the Pages Router; the new route goes beside src/pages.
    assert "api/trpc" not in out
    assert (root / SITE / "src/app/api/live/[table]/[id]/route.ts").is_file()
    assert not (root / SITE / "app").exists()
    assert (
        'import { auth } from "~/lib/auth";'
        in (root / SITE / "src/server/trpc/trpc.ts").read_text()
    )


def test_dry_run_writes_nothing(committed, cli):
    root = committed("convex-to-postgres-before")
    before = snapshot(root)
    code, out, _ = cli("fix", str(root), "--dry-run")
    assert code == 1 and snapshot(root) == before
    assert f"--- /dev/null\n+++ b/{DB}/src/repositories/routines.ts\n" in out
    assert "deleted: apps/server/convex/\n" in out


# list / explain -------------------------------------------------------------------------------

RULE_IDS = [
    "c2p-no-convex-dependency",
    "c2p-convex-functions-removed",
    "c2p-no-convex-react",
    "c2p-workers-no-convex-client",
    "c2p-database-package",
    "c2p-database-manifest",
    "c2p-database-dependency",
    "c2p-database-dependencies",
    "c2p-database-tools",
    "c2p-drizzle-config-dialect",
    "c2p-drizzle-kit-commands",
    "c2p-rls-policies",
    "c2p-trpc-router",
    "c2p-web-trpc-server",
    "c2p-web-zod",
    "c2p-web-auth",
    "c2p-trpc-route",
    "c2p-sse-route",
    "c2p-no-sql-interpolation",
]


def test_list_shows_the_contract(cli):
    code, out, _ = cli("list", "--contract", CONTRACT)
    assert code == 0
    assert out.startswith("convex-to-postgres: Kianax leaves Convex")
    assert "param convex_dir = discovered: every Convex functions directory" in out
    assert "param sql_callees = ['execute', 'query', 'raw', 'unsafe'" in out
    assert [line.split()[0] for line in out.splitlines() if line.startswith("  c2p-")] == RULE_IDS
    for kind in ("sql-interpolation", "client-usage-absent", "rls-policies", "next-route-present"):
        assert kind in out.splitlines()[-1]


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_explain_every_rule(cli, rule_id):
    code, out, _ = cli("explain", rule_id)
    assert code == 0
    assert out.startswith(f"{rule_id}  (contract convex-to-postgres, kind ")
    assert "Why:" in out and "How to fix:" in out


def test_explain_names_the_seed_and_the_real_world(cli):
    out = cli("explain", "c2p-no-sql-interpolation")[1]
    assert "`incrementVersion`" in out and "set_config" in out
    assert "Drizzle's tagged sql`... ${x}` template" in out
    assert "peer range is ^4.18.0" in cli("explain", "c2p-web-trpc-server")[1]
    assert "drizzle-kit 0.20" in cli("explain", "c2p-drizzle-config-dialect")[1]


# The scaffold compiles, against what its package.json declares -----------------------------


def _contract_default(name: str) -> str:
    import yaml

    contract = yaml.safe_load((ROOT / "conformance/contracts" / f"{CONTRACT}.yaml").read_text())
    return contract["parameters"][name]["default"]


# The ranges the contract declares (what a fresh install of the fixed repository gets), and what
# the fixtures declare themselves (@clerk/nextjs, next, typescript).
DECLARED = {
    "drizzle-orm": _contract_default("drizzle_orm_version"),
    "drizzle-kit": _contract_default("drizzle_kit_version"),
    "pg": _contract_default("pg_version"),
    "@types/pg": _contract_default("pg_version"),
    "@trpc/server": _contract_default("trpc_version"),
    "zod": _contract_default("zod_version"),
    "better-auth": _contract_default("better_auth_version"),
    "@types/node": _contract_default("node_types_version"),
}
PACKAGES = [
    *(f"{name}@{version}" for name, version in DECLARED.items()),
    "@clerk/nextjs@^6",
    "next@^15",
    "typescript@5",
]
KIANAX_MODULES = ("routines", "executions", "credentials", "settings")
SPREAD_MODULES = ("books", "editions", "invoices", "loans", "shelves", "subscriptions", "users")


def _database_files(folder: str, config: str, modules) -> list[str]:
    return [
        config,
        f"{folder}/client.ts",
        f"{folder}/migrate.ts",
        *[f"{folder}/repositories/{module}.ts" for module in sorted(modules)],
        f"{folder}/schema.ts",
    ]


# What `fix` writes in TypeScript into each fixture; the web app's import alias (→ its folder);
# the database package's npm name and the folder its exports map (None: the app's own code).
SCAFFOLDS = {
    "convex-to-postgres-before": (
        [
            *_database_files(f"{DB}/src", f"{DB}/drizzle.config.ts", KIANAX_MODULES),
            f"{WEB}/app/api/executions/[workflowId]/stream/route.ts",
            f"{WEB}/app/api/trpc/[trpc]/route.ts",
            f"{WEB}/lib/auth.ts",
            f"{WEB}/server/trpc/router.ts",
            *[f"{WEB}/server/trpc/routers/{module}.ts" for module in sorted(KIANAX_MODULES)],
            f"{WEB}/server/trpc/trpc.ts",
        ],
        ("@/", WEB),
        ("@kianax/database", f"{DB}/src"),
    ),
    "convex-to-postgres-notes": (
        [
            "apps/web/src/app/api/live/[table]/[id]/route.ts",
            "apps/web/src/app/api/trpc/[trpc]/route.ts",
            "apps/web/src/server/trpc/router.ts",
            "apps/web/src/server/trpc/routers/notes.ts",
            "apps/web/src/server/trpc/trpc.ts",
            *_database_files(f"{DB}/src", f"{DB}/drizzle.config.ts", ["notes"]),
        ],
        ("@/", "apps/web/src"),
        ("@notes/database", f"{DB}/src"),
    ),
    "convex-to-postgres-spread": (
        [
            *_database_files(f"{SPREAD_DB}/src", f"{SPREAD_DB}/drizzle.config.ts", SPREAD_MODULES),
            "apps/site/src/app/api/live/[table]/[id]/route.ts",
            "apps/site/src/lib/auth.ts",
            "apps/site/src/server/trpc/router.ts",
            *[
                f"apps/site/src/server/trpc/routers/{module}.ts"
                for module in ("invoices", "loans", "shelves", "subscriptions")
            ],
            "apps/site/src/server/trpc/trpc.ts",
        ],
        ("~/", "apps/site/src"),
        ("@shelf/database", f"{SPREAD_DB}/src"),
    ),
    # No workspaces: the database code is the app's, imported through its `@/` alias.
    "convex-to-postgres-single": (
        [
            *_database_files("src/db", "drizzle.config.ts", ["checkins", "habits", "quotes"]),
            "src/app/api/live/[table]/[id]/route.ts",
            "src/app/api/trpc/[trpc]/route.ts",
            "src/lib/auth.ts",
            "src/server/trpc/router.ts",
            "src/server/trpc/routers/checkins.ts",
            "src/server/trpc/routers/habits.ts",
            "src/server/trpc/trpc.ts",
        ],
        ("@/", "src"),
        None,
    ),
}


@pytest.fixture(scope="module")
def node_modules() -> Path:
    return npm_install("npm-convex-to-postgres", PACKAGES, "the convex-to-postgres scaffold")


@pytest.fixture
def fixed(committed, cli):
    """A fixture after `conformance fix`, and the TypeScript files the fix created in it."""

    def make(name: str) -> tuple[Path, list[str]]:
        root = committed(name)
        before = set(snapshot(root))
        cli("fix", str(root))
        created = sorted(p for p in set(snapshot(root)) - before if p.endswith(".ts"))
        assert created == sorted(SCAFFOLDS[name][0])
        return root, created

    return make


@pytest.mark.parametrize("name", sorted(SCAFFOLDS))
def test_fixed_repository_typechecks(node_modules, fixed, name):
    """What `conformance fix` writes into each Convex fixture — every TypeScript file it creates
    — compiles, with `strict`, against drizzle-orm, pg, drizzle-kit, @trpc/server 11, zod 4,
    better-auth and @clerk/nextjs as published, in the ranges the fix declares."""
    _, (alias, folder), database = SCAFFOLDS[name]
    root, files = fixed(name)
    (root / "node_modules").symlink_to(node_modules)
    # The web app's own alias, and the database package's `exports` (it has none in the app).
    paths = {f"{alias}*": [f"{folder}/*"]}
    if database is not None:
        package, source = database
        paths[f"{package}/repositories/*"] = [f"{source}/repositories/*"]
        paths[f"{package}/*"] = [f"{source}/*"]
    tsconfig = {
        "compilerOptions": {
            "target": "ES2022",
            "module": "ESNext",
            "moduleResolution": "Bundler",
            "strict": True,
            "skipLibCheck": True,
            "noEmit": True,
            "isolatedModules": True,
            "types": ["node"],
            "baseUrl": ".",
            "paths": paths,
        },
        "files": files,
    }
    (root / "tsconfig.fixed.json").write_text(json.dumps(tsconfig, indent=2))
    result = subprocess.run(
        [str(node_modules / ".bin" / "tsc"), "-p", "tsconfig.fixed.json", "--listFiles"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    errors = [line for line in result.stdout.splitlines() if "error TS" in line]
    assert result.returncode == 0, "\n".join(errors or [result.stdout[-2000:], result.stderr])
    listed = {Path(line).resolve() for line in result.stdout.splitlines()}
    assert {(root / path).resolve() for path in files} <= listed


def _ships_types(package: Path) -> bool:
    manifest = json.loads((package / "package.json").read_text())
    return bool(
        manifest.get("types")
        or manifest.get("typings")
        or '"types"' in json.dumps(manifest.get("exports") or {})
        or (package / "index.d.ts").is_file()
    )


def _needed_packages(path: str, text: str, aliases: list[str], node_modules: Path) -> set[str]:
    """The npm packages a module needs declared: each bare import's package (not relative, not
    through the app's aliases), @types/<name> for one shipping no types, @types/node for node:
    modules and `process`."""
    import re

    from conformance.typescript import module_imports, parse

    needed = {"@types/node"} if re.search(r"\bprocess\.", text) else set()
    for found in module_imports(parse(text, path)):
        specifier = found.specifier
        if specifier.startswith(".") or any(specifier.startswith(a) for a in aliases):
            continue
        if specifier.startswith("node:"):
            needed.add("@types/node")
            continue
        parts = specifier.split("/")
        name = "/".join(parts[:2] if specifier.startswith("@") else parts[:1])
        needed.add(name)
        installed = node_modules / name
        if installed.is_dir() and not _ships_types(installed):
            needed.add("@types/" + name.lstrip("@").replace("/", "__"))
    return needed


@pytest.mark.parametrize("name", sorted(SCAFFOLDS))
def test_every_package_a_created_file_imports_is_declared(node_modules, fixed, name):
    """Each file `fix` creates compiles after a fresh install only if the package holding it
    (the nearest package.json) declares what it imports: every bare import's package, the
    @types a package without types needs (pg), @types/node for node: modules and process.env,
    and each `types` entry of a tsconfig.json the fix writes. Better Auth's module in an app
    that did not declare better-auth is one case; the database code in the app is another."""
    from conformance.project import project_of

    root, files = fixed(name)
    project = project_of(RepoView(root))
    created_tsconfigs = [
        p
        for p in set(snapshot(root)) - set(snapshot(FIXTURES / name))
        if p.endswith("tsconfig.json")
    ]

    def holder(path: str) -> str:
        folder = Path(path).parent
        while not (root / folder / "package.json").is_file():
            folder = folder.parent
        return folder.as_posix()

    def declared(package: str) -> set[str]:
        manifest = json.loads((root / package / "package.json").read_text())
        sections = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
        return {dependency for section in sections for dependency in manifest.get(section) or {}}

    # `next build` refuses a TypeScript app without typescript, @types/react and @types/node
    # (next/dist/lib/verify-typescript-setup.js) and installs them: a Next.js app has them.
    next_apps = {app.path for app in project.next.apps}
    undeclared = []
    for path in files:
        package = holder(path)
        aliases = [prefix for prefix, _ in project.next.aliases(package)]
        text = (root / path).read_text()
        needed = _needed_packages(path, text, aliases, node_modules)
        if package in next_apps:
            needed.discard("@types/node")
        undeclared += [(path, name) for name in sorted(needed - declared(package))]
    for path in created_tsconfigs:
        types = json.loads((root / path).read_text())["compilerOptions"].get("types", [])
        undeclared += [
            (path, f"@types/{entry}")
            for entry in types
            if f"@types/{entry}" not in declared(holder(path))
        ]
    assert undeclared == []
    database = SCAFFOLDS[name][2]
    package = [] if database is None else [str(Path(database[1]).parent / "tsconfig.json")]
    assert created_tsconfigs == package


# Where the database code goes ---------------------------------------------------------------

NEXT_APP = {"dependencies": {"next": "15", "convex": "1"}}
SCHEMA = (
    'import { defineSchema, defineTable } from "convex/server";\n'
    'import { v } from "convex/values";\n'
    "export default defineSchema({\n"
    "  notes: defineTable({ userId: v.string(), body: v.string() }),\n"
    "});\n"
)


def _layout(root: Path) -> tuple:
    """The database package, layout and source folder the contract resolves, or why not."""
    from conformance.contract import BUILTIN_DIR, load_contract
    from conformance.project import project_of

    contract = load_contract(CONTRACT, BUILTIN_DIR, project=project_of(RepoView(root)))
    found = {r.name: r for r in contract.resolutions}
    package = found["database_package"]
    if package.origin == "undiscovered":
        return (None, package.reason)
    values = contract.parameters
    return (values["database_package"], values["database_layout"], values["database_source"])


def _repo(root_manifest: dict, **files: str) -> dict[str, str]:
    return {"package.json": json.dumps(root_manifest), **files}


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # A pnpm workspace listing packages/*: today's packages/database.
        (
            {
                "package.json": '{"name": "mono"}',
                "pnpm-workspace.yaml": "packages:\n  - apps/*\n  - packages/*\n",
                "apps/web/package.json": json.dumps(NEXT_APP),
                "apps/web/src/app/page.tsx": "",
                "packages/backend/package.json": '{"dependencies": {"convex": "1"}}',
                "packages/backend/convex/schema.ts": SCHEMA,
            },
            ("packages/database", "package", "src"),
        ),
        # Globs reaching apps/* only: the new package goes where they reach.
        (
            {
                "package.json": '{"name": "shelf", "workspaces": ["apps/*"]}',
                "apps/site/package.json": json.dumps(NEXT_APP),
                "apps/site/src/pages/index.tsx": "",
                "convex/schema.ts": SCHEMA,
            },
            ("apps/database", "package", "src"),
        ),
        # packages/database excluded by a negated glob: the next folder a glob names.
        (
            {
                "package.json": '{"workspaces": ["packages/*", "!packages/database", "apps/*"]}',
                "apps/web/package.json": json.dumps(NEXT_APP),
                "apps/web/app/page.tsx": "",
                "packages/backend/package.json": '{"dependencies": {"convex": "1"}}',
                "packages/backend/convex/schema.ts": SCHEMA,
            },
            ("apps/database", "package", "src"),
        ),
        # Only literal globs: no new package would be a member; nothing is proposed.
        (
            {
                "package.json": '{"workspaces": ["web", "backend"]}',
                "web/package.json": json.dumps(NEXT_APP),
                "web/app/page.tsx": "",
                "backend/package.json": '{"dependencies": {"convex": "1"}}',
                "backend/convex/schema.ts": SCHEMA,
            },
            (
                None,
                "the workspace globs (web, backend) name no folder a new package could go in "
                "(such as packages/*): add one, or give database_package (`.` makes it the root "
                "package's own code)",
            ),
        ),
        # pnpm-workspace.yaml holding settings only (no `packages`), a Vite app: not a workspace;
        # the code goes in src/db (cannvas's shape).
        (
            {
                "package.json": '{"name": "board", "dependencies": {"convex": "1", "react": "19"}}',
                "pnpm-workspace.yaml": "onlyBuiltDependencies:\n  - esbuild\n",
                "tsconfig.json": '{"files": [], "references": [{"path": "./tsconfig.app.json"}]}',
                "src/main.tsx": "",
                "convex/schema.ts": SCHEMA,
            },
            (".", "app", "src/db"),
        ),
        # A root Next.js app whose alias points elsewhere than src: db/ where the alias points.
        (
            {
                "package.json": json.dumps({"name": "site", **NEXT_APP}),
                "tsconfig.json": '{"compilerOptions": {"paths": {"~/*": ["./lib/*"]}}}',
                "app/page.tsx": "",
                "lib/format.ts": "",
                "convex/schema.ts": SCHEMA,
            },
            (".", "app", "lib/db"),
        ),
    ],
)
def test_the_database_code_goes_where_an_install_reaches_it(tree, files, expected):
    assert _layout(tree(files)) == expected


def test_without_an_alias_the_app_imports_its_database_code_relatively(tree, cli):
    root = tree(
        {
            "package.json": json.dumps({"name": "jot", **NEXT_APP}),
            "src/app/page.tsx": "export default function Page() { return null; }\n",
            "convex/schema.ts": SCHEMA,
        }
    )
    init_git(root)
    _, out, _ = cli("fix", str(root), "--contract", CONTRACT)
    assert "create    src/db/client.ts  [c2p-database-package]" in out.splitlines()
    assert 'from "../../db/client";' in (root / "src/server/trpc/trpc.ts").read_text()
    router = (root / "src/server/trpc/routers/notes.ts").read_text()
    assert 'import { NotesRepository } from "../../../db/repositories/notes";' in router
    live = (root / "src/app/api/live/[table]/[id]/route.ts").read_text()
    assert 'from "../../../../../db/client";' in live
    assert not (root / "packages").exists()


def test_fix_on_a_single_package_app_adds_no_package_and_a_second_fix_writes_nothing(
    committed, cli
):
    root = committed("convex-to-postgres-single")
    code, out, _ = cli("fix", str(root))
    assert code == 1  # the Convex hooks remain, for a person
    lines = out.splitlines()
    assert (
        "edit      package.json  [c2p-no-convex-dependency, c2p-database-dependencies, "
        "c2p-database-tools, c2p-web-trpc-server, c2p-web-zod, c2p-web-auth]" in lines
    )
    assert "create    drizzle.config.ts  [c2p-database-package]" in lines
    assert not (root / "packages").exists()
    manifest = json.loads((root / "package.json").read_text())
    assert not [name for name in manifest["dependencies"] if name.endswith("/database")]
    assert "workspaces" not in manifest
    git(root, "add", "-A")
    before = snapshot(root)
    _, out, _ = cli("fix", str(root))
    assert [
        line for line in out.splitlines() if line.startswith(("create", "edit", "remove"))
    ] == []
    assert snapshot(root) == before
    assert "discovered: database_package = . (holds drizzle.config.ts)" in out
