"""prisma-to-convex on Prisma laid out the way real projects lay it out, written by hand after the
field trial's repositories (no code copied): a Prisma 7 client generated into the app and imported
through a tsconfig alias, a schema folder and migrations where prisma.config.ts says, a default
export `{ client, transaction }` destructured at the call sites (layout-prisma-generated); a
workspace package re-exporting its client renamed and extended, and @prisma/client whole, a schema
at the package root, compose files in docker/<env>/ (layout-prisma-workspace). Nothing is named in
their conformance.yaml: every subject is discovered. The generated client's shape is checked
against the real `prisma` package."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from conftest import init_git

from conformance.contract import load_rules
from conformance.engine import run
from conformance.project import project_of
from conformance.repo import RepoView

GENERATED = "layout-prisma-generated"
WORKSPACE = "layout-prisma-workspace"
CRITICAL = "p2c-critical-path-no-prisma"


def findings(root, **parameters) -> list[str]:
    """As `conformance check` prints them; discovery and the rules read one view, as there."""
    view = RepoView(root)
    rules = load_rules(root, ["prisma-to-convex"], parameters, view)
    return sorted(f"{f.location()}: {f.rule} {f.message}" for f in run(rules, view).findings)


def discovered(root) -> dict[str, list[tuple[str, str]]]:
    project = project_of(RepoView(root))
    facts = {
        "prisma-schemas": "schemas",
        "prisma-migrations": "migrations",
        "prisma-generated-clients": "generated",
        "prisma-client-modules": "modules",
        "prisma-clients": "clients",
        "prisma-server": "server",
        "prisma-critical-path": "critical",
    }
    found = {}
    for fact, name in facts.items():
        discovery = project.discover(fact, {})
        found[name] = list(zip(discovery.values, discovery.sources, strict=True))
    return found


@pytest.fixture(params=[False, True], ids=["walk", "git"])
def layout(request, fixture_copy):
    def copy(name: str):
        root = fixture_copy(name)
        if request.param:
            init_git(root)
        return root

    return copy


# layout-prisma-generated -------------------------------------------------------------------

GENERATED_SETUP = """\
.env.example: p2c-env-convex-url the server's env example must name the Convex deployment URL: CONVEX_URL is not declared
package.json:10: p2c-server-convex-dependency the server must depend on convex: "convex" (not in dependencies)
src/lib/convex-client.ts: p2c-convex-client the server's Convex client singleton is incomplete: src/lib/convex-client.ts is missing
src/lib/convex-client.ts: p2c-convex-client-export the Convex client module must export its accessor: src/lib/convex-client.ts is missing
""".splitlines()
# The ways in (the Hono app, its chained router) and the module constructing the server's client:
# calls through `db.client`, a destructured `client`, the class imported through `@/`. Not
# reported: `Prisma.sql` (a tag, not the client), the cache's own `client` Map, a comment.
GENERATED_CRITICAL = """\
src/lib/db.ts:10: p2c-critical-path-no-prisma createClient() constructs new PrismaClient(…)
src/lib/db.ts:21: p2c-critical-path-no-prisma transaction() calls prisma.$transaction (as client.$transaction)
src/routes/visits.ts:13: p2c-critical-path-no-prisma .post("/:siteId") handler calls prisma.client.visit.create (as db.client.visit.create)
src/routes/visits.ts:18: p2c-critical-path-no-prisma .get("/:siteId/recent") handler calls prisma.client.$queryRaw (as db.client.$queryRaw)
src/routes/visits.ts:8: p2c-critical-path-no-prisma .get("/:siteId/count") handler calls prisma.client.visit.count (as client.visit.count)
src/server.ts:15: p2c-critical-path-no-prisma app.get("/sites/:id") handler calls prisma.client.site.findUnique (as db.client.site.findUnique)
""".splitlines()
GENERATED_COMPLETE = """\
README.md:3: p2c-active-docs active docs still present Prisma as the data layer: "PostgreSQL with Prisma"
database/migrations/: p2c-prisma-migrations-removed the Prisma migrations must be removed: database/migrations/
database/schema/: p2c-prisma-schema-removed the Prisma schema must be removed: database/schema/
docker/development/compose.yml:4: p2c-no-postgres-service the Postgres compose service must be removed: service "database" (image postgres:17)
package.json:12: p2c-no-prisma-dependencies Prisma must be gone from every package: "@prisma/adapter-pg" in dependencies
package.json:13: p2c-no-prisma-dependencies Prisma must be gone from every package: "@prisma/client" in dependencies
package.json:17: p2c-no-prisma-dependencies Prisma must be gone from every package: "prisma" in devDependencies
prisma.config.ts: p2c-prisma-schema-removed the Prisma schema must be removed: prisma.config.ts
src/lib/db.ts:2: p2c-no-prisma-imports Prisma is still imported: `@/generated/prisma/client`
src/queries/sites.ts:12: p2c-no-prisma-calls deleteSite() calls prisma.transaction (as inTransaction)
src/queries/sites.ts:13: p2c-no-prisma-calls deleteSite() calls prisma.client.visit.deleteMany (as client.visit.deleteMany)
src/queries/sites.ts:14: p2c-no-prisma-calls deleteSite() calls prisma.client.site.delete (as client.site.delete)
src/queries/sites.ts:2: p2c-no-prisma-imports Prisma is still imported: `@/generated/prisma/client`
src/queries/sites.ts:6: p2c-no-prisma-calls listSites() calls prisma.client.site.findMany (as client.site.findMany)
src/routes/visits.ts:2: p2c-no-prisma-imports Prisma is still imported: `@/generated/prisma/client`
""".splitlines()

# layout-prisma-workspace -------------------------------------------------------------------

WORKSPACE_SETUP = """\
apps/api/.env.example: p2c-env-convex-url the server's env example must name the Convex deployment URL: apps/api/.env.example is missing
apps/api/package.json:8: p2c-server-convex-dependency the server must depend on convex: "convex" (not in dependencies)
apps/api/src/lib/convex-client.ts: p2c-convex-client the server's Convex client singleton is incomplete: apps/api/src/lib/convex-client.ts is missing
apps/api/src/lib/convex-client.ts: p2c-convex-client-export the Convex client module must export its accessor: apps/api/src/lib/convex-client.ts is missing
""".splitlines()
# `db` is the package's `prisma`, re-exported renamed; the reporting client is constructed from
# the PrismaClient the package passes on with `export *`. Not reported: the search service's
# client, also called `db`.
WORKSPACE_CRITICAL = """\
apps/api/src/app.ts:10: p2c-critical-path-no-prisma app.get("/customers/:id") handler calls prisma.customer.findUnique (as db.customer.findUnique)
apps/api/src/reporting/db.ts:4: p2c-critical-path-no-prisma module scope constructs new PrismaClient(…)
apps/api/src/routes/invoices.ts:11: p2c-critical-path-no-prisma invoicesRouter.post("/:id/pay") handler calls prisma.$transaction (as db.$transaction)
apps/api/src/routes/invoices.ts:12: p2c-critical-path-no-prisma invoicesRouter.post("/:id/pay") handler calls prisma.invoice.update (as db.invoice.update)
apps/api/src/routes/invoices.ts:7: p2c-critical-path-no-prisma invoicesRouter.get("/") handler calls prisma.invoice.findMany (as db.invoice.findMany)
""".splitlines()
WORKSPACE_COMPLETE = """\
README.md:9: p2c-active-docs active docs still present Prisma as the data layer: "[Prisma](https://www.prisma.io/) - ORM"
apps/api/src/jobs/nightly-totals.ts:4: p2c-no-prisma-calls nightlyTotals() calls prisma.invoice.aggregate (as audited.invoice.aggregate)
apps/api/src/reporting/monthly.ts:4: p2c-no-prisma-calls monthlyRevenue() calls prisma.invoice.groupBy (as reporting.invoice.groupBy)
apps/web/app/invoices/page.tsx:4: p2c-no-prisma-calls InvoicesPage() calls prisma.invoice.findMany (as db.invoice.findMany)
docker/development/compose.yml:2: p2c-no-postgres-service the Postgres compose service must be removed: service "ledger-db" (image postgres:16-alpine)
docker/testing/compose.yml:2: p2c-no-postgres-service the Postgres compose service must be removed: service "ledger-db-test" (image postgres:16-alpine)
packages/database/migrations/: p2c-prisma-migrations-removed the Prisma migrations must be removed: packages/database/migrations/
packages/database/package.json:15: p2c-no-prisma-dependencies Prisma must be gone from every package: "@prisma/client" in dependencies
packages/database/package.json:18: p2c-no-prisma-dependencies Prisma must be gone from every package: "prisma" in devDependencies
packages/database/schema.prisma: p2c-prisma-schema-removed the Prisma schema must be removed: packages/database/schema.prisma
packages/database/src/client.ts:14: p2c-no-prisma-calls remember("prisma") handler constructs new PrismaClient(…)
packages/database/src/client.ts:17: p2c-no-prisma-calls module scope calls prisma.$extends
packages/database/src/client.ts:1: p2c-no-prisma-imports Prisma is still imported: `@prisma/client`
packages/database/src/index.ts:2: p2c-no-prisma-imports Prisma is still imported: `@prisma/client`
""".splitlines()

EXPECTED = {
    (GENERATED, "critical-path"): GENERATED_SETUP + GENERATED_CRITICAL,
    (GENERATED, "complete"): GENERATED_SETUP + GENERATED_CRITICAL + GENERATED_COMPLETE,
    (WORKSPACE, "critical-path"): WORKSPACE_SETUP + WORKSPACE_CRITICAL,
    (WORKSPACE, "complete"): WORKSPACE_SETUP + WORKSPACE_CRITICAL + WORKSPACE_COMPLETE,
}


@pytest.mark.parametrize(("fixture", "phase"), sorted(EXPECTED))
def test_findings_are_exact(layout, fixture, phase):
    assert findings(layout(fixture), phase=phase) == sorted(EXPECTED[fixture, phase])


def test_what_discovery_finds_in_the_generated_layout(layout):
    found = discovered(layout(GENERATED))
    assert found["schemas"] == [
        ("database/schema", "prisma.config.ts `schema`"),
        ("prisma.config.ts", "Prisma's config"),
    ]
    assert found["migrations"] == [
        ("database/migrations", "holds migration_lock.toml, 2 migrations")
    ]
    assert found["generated"] == [
        (
            "src/generated/prisma",
            "generator client (prisma-client) at database/schema/schema.prisma:2 `output`",
        )
    ]
    assert found["clients"] == [
        ("src/lib/db.ts#client", "holds a PrismaClient (constructed at src/lib/db.ts:10)"),
        ("src/lib/db.ts#default", "holds a PrismaClient (constructed at src/lib/db.ts:10)"),
    ]
    assert found["server"] == [(".", "uses Prisma and hono")]
    assert found["critical"] == [
        ("src/lib/db.ts", "constructs the server's own PrismaClient"),
        ("src/routes/visits.ts", "makes the server: new Hono()"),
        ("src/server.ts", "makes the server: new Hono()"),
    ]


def test_what_discovery_finds_in_the_workspace_layout(layout):
    found = discovered(layout(WORKSPACE))
    assert found["schemas"] == [("packages/database/schema.prisma", "a Prisma schema")]
    assert found["migrations"] == [
        ("packages/database/migrations", "holds migration_lock.toml, 3 migrations")
    ]
    assert found["generated"] == []  # prisma-client-js without `output`: @prisma/client
    assert found["modules"] == [
        ("@prisma/client", "the classic client's package"),
        (
            "packages/database/src/index.ts",
            "passes PrismaClient on (imported by apps/api/src/reporting/db.ts)",
        ),
    ]
    made = "(constructed at packages/database/src/client.ts:14)"
    assert found["clients"] == [
        (
            "apps/api/src/reporting/db.ts#reporting",
            "holds a PrismaClient (constructed at apps/api/src/reporting/db.ts:4)",
        ),
        ("packages/database/src/client.ts#auditedPrisma", f"holds a PrismaClient {made}"),
        ("packages/database/src/client.ts#prisma", f"holds a PrismaClient {made}"),
        (
            "packages/database/src/index.ts#auditedPrisma",
            f"passes on packages/database/src/client.ts#auditedPrisma {made}",
        ),
        (
            "packages/database/src/index.ts#db",
            f"passes on packages/database/src/client.ts#prisma {made}",
        ),
    ]
    assert found["critical"] == [
        ("apps/api/src/app.ts", "makes the server: express()"),
        ("apps/api/src/reporting/db.ts", "constructs the server's own PrismaClient"),
        ("apps/api/src/routes/invoices.ts", "makes the server: Router()"),
    ]


def test_init_writes_the_discovered_layout_and_check_accepts_it(fixture_copy, cli):
    root = fixture_copy(GENERATED)
    (root / "conformance.yaml").unlink()
    code, _, _ = cli("init", str(root), "--contract", "prisma-to-convex")
    assert code == 0
    written = (root / "conformance.yaml").read_text()
    assert (
        '- "src/generated/prisma"  # from: generator client (prisma-client) at '
        "database/schema/schema.prisma:2 `output`" in written
    )
    assert '- "src/lib/db.ts#default"  # from: holds a PrismaClient' in written
    assert '- "src/routes/visits.ts"  # from: makes the server: new Hono()' in written
    code, out, _ = cli("check", str(root))
    assert code == 1
    assert out.splitlines()[-1] == (
        "10 findings in 6 files: 5 of 6 rules failed, 1 unchecked (prisma-to-convex)"
    )


# The generated client, for real -------------------------------------------------------------

PRISMA_7 = [
    "prisma@7.10",
    "@prisma/client@7.10",
    "@prisma/adapter-pg@7.10",
    "hono@4",
    "@hono/node-server@1",
    "dotenv@17",
    "typescript@5",
    "@types/node@22",
]


def test_the_generated_client_is_where_discovery_says_and_the_layout_typechecks(fixture_copy):
    """`prisma generate` (the real Prisma 7 CLI) writes the client where the discovered
    `prisma_generated` says, with `client.ts` exporting PrismaClient; the fixture's imports
    through `@/generated/prisma/client` typecheck against it; and once it is there, the
    generated code is no finding."""
    from npm_cache import npm_install

    node_modules = npm_install("prisma7", PRISMA_7, "the Prisma 7 layout")
    root = fixture_copy(GENERATED)
    (root / "node_modules").symlink_to(node_modules, target_is_directory=True)
    before = findings(root, phase="complete")
    # The CLI fetches its schema engine at start-up (from binaries.prisma.sh); `generate` never
    # runs it, so a stand-in path does.
    environment = {
        **os.environ,
        "PRISMA_SCHEMA_ENGINE_BINARY": shutil.which("true") or "/bin/true",
        "DATABASE_URL": "postgresql://pulse:pulse@localhost:54320/pulse",
    }
    generate = subprocess.run(
        ["node", str(node_modules / "prisma/build/index.js"), "generate"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert generate.returncode == 0, generate.stdout + generate.stderr
    [(folder, _)] = discovered(root)["generated"]
    client = (root / folder / "client.ts").read_text()
    assert "export const PrismaClient = $Class.getPrismaClientClass()" in client
    tsc = subprocess.run(
        ["node", str(node_modules / "typescript/bin/tsc"), "--noEmit", "-p", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert tsc.returncode == 0, tsc.stdout
    (root / "node_modules").unlink()
    assert findings(root, phase="complete") == before


# Each file parsed once ------------------------------------------------------------------------


def test_each_file_is_parsed_once_per_run(fixture_copy, monkeypatch):
    """Both call rules, the import rule and discovery read the same modules: one parse each."""
    import conformance.typescript as ts

    parsed: list[str] = []
    real = ts.parse

    def counting(source: str, path: str = ""):
        parsed.append(path)
        return real(source, path)

    monkeypatch.setattr(ts, "parse", counting)
    root = fixture_copy(WORKSPACE)
    assert findings(root, phase="complete")
    assert parsed and len(parsed) == len(set(parsed))
