"""The kata fixtures give exactly the seed's findings — decoys included — in walk and git mode."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, assert_exact, findings_of, init_git

PKG = "packages/db"
PKG_JSON = f"{PKG}/package.json"

BEFORE = [
    (
        "containers/docker-compose.yml",
        19,
        "no-postgres-service",
        'service "db" (image postgres:16-alpine)',
    ),
    (
        "docs/M1-dependency-graph.mermaid",
        7,
        "active-docs-baseline",
        "PostgreSQL schema + Drizzle migrations",
    ),
    # The stack row in other words (a SHOULD item of the fixture's README): "Hono + PostgreSQL +
    # Drizzle".
    ("docs/PROJECT_PLAN.md", 20, "active-docs-baseline", "PostgreSQL + Drizzle"),
    ("docs/PROJECT_PLAN.md", 37, "active-docs-baseline", "PostgreSQL schema + Drizzle migrations"),
    # The same phrase wrapped over lines 39-40.
    ("docs/PROJECT_PLAN.md", 39, "active-docs-baseline", "PostgreSQL schema + Drizzle migrations"),
    (f"{PKG}/.env.example", None, "env-example-convex", "Convex variables"),
    (f"{PKG}/.env.example", 3, "env-example-no-database-url", "DATABASE_URL="),
    (f"{PKG}/convex.json", None, "convex-project-files", f"{PKG}/convex.json"),
    (f"{PKG}/convex/http.ts", None, "convex-project-files", f"{PKG}/convex/http.ts"),
    (f"{PKG}/convex/schema.ts", None, "convex-project-files", f"{PKG}/convex/schema.ts"),
    (f"{PKG}/drizzle.config.ts", None, "drizzle-scaffold-removed", f"{PKG}/drizzle.config.ts"),
    (f"{PKG}/drizzle/", None, "drizzle-migrations-removed", f"`out` in {PKG}/drizzle.config.ts:5"),
    (PKG_JSON, 11, "db-codegen-script", 'script "db:codegen" is missing'),
    (PKG_JSON, 11, "db-deploy-script", 'script "db:deploy" is missing'),
    (PKG_JSON, 11, "db-dev-script", 'script "db:dev" is missing'),
    (PKG_JSON, 12, "no-sql-scripts", 'script "db:generate" runs `drizzle-kit generate`'),
    (PKG_JSON, 13, "no-sql-scripts", 'script "db:migrate" runs `tsx src/migrate.ts`'),
    (PKG_JSON, 14, "no-sql-scripts", 'script "db:studio" runs `drizzle-kit studio`'),
    (PKG_JSON, 15, "no-sql-scripts", 'script "db:smoke"'),
    (PKG_JSON, 19, "convex-dependency", '"convex" (not in dependencies or devDependencies)'),
    (PKG_JSON, 20, "no-postgres-dependencies", '"drizzle-orm" in dependencies'),
    (PKG_JSON, 21, "no-postgres-dependencies", '"pg" in dependencies'),
    (PKG_JSON, 25, "no-postgres-dependencies", '"@types/pg" in devDependencies'),
    (PKG_JSON, 26, "no-postgres-dependencies", '"drizzle-kit" in devDependencies'),
    (f"{PKG}/scripts/migration-smoke.mjs", None, "drizzle-scaffold-removed", "migration-smoke.mjs"),
    (f"{PKG}/src/client.ts", 1, "no-postgres-imports", "`pg`"),
    (f"{PKG}/src/client.ts", 2, "no-postgres-imports", "`drizzle-orm`"),
    (f"{PKG}/src/client.ts", 7, "client-without-postgres", "`new pg.Pool`"),
    (f"{PKG}/src/client.ts", 12, "client-without-postgres", "`drizzle(`"),
    (f"{PKG}/src/migrate.ts", None, "drizzle-scaffold-removed", f"{PKG}/src/migrate.ts"),
    (f"{PKG}/src/migrate.ts", 1, "no-postgres-imports", "`drizzle-orm`"),
    (f"{PKG}/src/schema.ts", 13, "no-postgres-imports", "`drizzle-orm`"),
]

HALF = [
    (
        "containers/docker-compose.yml",
        18,
        "no-postgres-service",
        'service "database" (image postgis/postgis:16-3.4)',
    ),
    (
        "docs/M1-dependency-graph.mermaid",
        7,
        "active-docs-baseline",
        "PostgreSQL schema + Drizzle migrations",
    ),
    (f"{PKG}/.env.example", 7, "env-example-no-database-url", "DATABASE_URL="),
    (f"{PKG}/convex/http.ts", None, "convex-project-files", f"{PKG}/convex/http.ts"),
    (f"{PKG}/drizzle.config.ts", None, "drizzle-scaffold-removed", f"{PKG}/drizzle.config.ts"),
    # Not drizzle/: the config's `out` points at ./migrations.
    (
        f"{PKG}/migrations/",
        None,
        "drizzle-migrations-removed",
        f"`out` in {PKG}/drizzle.config.ts:5",
    ),
    (PKG_JSON, 11, "db-codegen-script", 'script "db:codegen" is missing'),
    (
        PKG_JSON,
        12,
        "convex-cli-no-config-flag",
        'script "db:dev" runs `convex dev --config ./convex.json`',
    ),
    (
        PKG_JSON,
        13,
        "convex-cli-no-config-flag",
        'script "db:deploy" runs `convex deploy --config ./convex.json`',
    ),
    (PKG_JSON, 14, "no-sql-scripts", 'script "db:generate" runs `drizzle-kit generate`'),
    (PKG_JSON, 20, "no-postgres-dependencies", '"postgres" in dependencies'),
    (PKG_JSON, 24, "no-postgres-dependencies", '"drizzle-kit" in devDependencies'),
    (f"{PKG}/src/client.ts", 1, "no-postgres-imports", "`drizzle-orm`"),
    (f"{PKG}/src/client.ts", 2, "no-postgres-imports", "`postgres`"),
    (f"{PKG}/src/client.ts", 12, "client-without-postgres", "`drizzle(`"),
    (f"{PKG}/src/schema.ts", 13, "no-postgres-imports", "`drizzle-orm`"),
]

EXPECTED = {"kata-before": BEFORE, "kata-half": HALF, "kata-after": []}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_findings_are_exact(name):
    assert_exact(findings_of(FIXTURES / name), EXPECTED[name])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_git_mode_agrees_with_walk_mode(name, fixture_copy):
    root = fixture_copy(name)
    init_git(root)
    assert_exact(findings_of(root), EXPECTED[name])


def test_decoys_are_present_in_the_fixtures():
    """The decoys exist, so the zero findings on them above mean something."""
    after = FIXTURES / "kata-after"
    before = FIXTURES / "kata-before"
    assert "new pg.Pool" in (after / PKG / "src/__tests__/schema-contract.test.ts").read_text()
    assert "drizzle(" in (after / PKG / "src/client.ts").read_text()
    assert "postgres:16-alpine" in (after / "containers/docker-compose.yml").read_text()
    phrase = "PostgreSQL schema + Drizzle migrations"
    assert phrase in (after / "docs/verification/KAT-106-verification.md").read_text()
    assert (
        phrase
        in (before / "docs/plans/2026-02-28-kat-152-convex-adoption-implementation.md").read_text()
    )
    assert (
        "new pg.Pool" in (before / "tests/scaffold/db-package.test.mjs").read_text()
        or "new pg.Pool" in (before / PKG / "src/__tests__/schema-contract.test.ts").read_text()
    )


def test_widening_active_docs_still_spares_historical_docs(cli):
    code, out, _ = cli(
        "check",
        str(FIXTURES / "kata-after"),
        "--contract",
        "convex-adoption",
        "--param",
        "active_docs=[docs/**]",
    )
    assert code == 0, out


def test_parameters_move_the_package(fixture_copy, cli):
    root = fixture_copy("kata-half")
    (root / "packages/db").rename(root / "packages/data")
    code, out, _ = cli(
        "check", str(root), "--contract", "convex-adoption", "--param", "package=packages/data"
    )
    assert code == 1
    assert "packages/data/package.json:12: convex-cli-no-config-flag" in out
    assert "packages/db" not in out
