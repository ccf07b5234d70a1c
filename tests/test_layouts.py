"""Real layouts no seed describes, written by hand after public repositories: the contracts find
their subjects through discovery, say what they found, and never pass on what they did not
check. `init` always writes a file `check` accepts."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import FIXTURES, assert_exact, findings_of, init_git

from conformance.contract import builtin_names, load
from conformance.engine import run
from conformance.repo import RepoView

TURBO = "layout-convex-turborepo"
DRIZZLE = "layout-drizzle-workspace"
FUNCTIONS = "packages/backend/src/functions"
DB = "packages/db"


@pytest.fixture(params=[False, True], ids=["walk", "git"])
def layout(request, fixture_copy):
    """A copy of a layout fixture, in walk mode or committed to git (discovery reads what git
    tracks there)."""

    def copy(name: str):
        root = fixture_copy(name)
        if request.param:
            init_git(root)
        return root

    return copy


def statuses(root, contracts=None, **parameters) -> dict[str, str]:
    view = RepoView(root)
    _, rules = load(root, contracts, parameters, view)
    report = run(rules, view)
    return {entry["id"]: entry["status"] for entry in report.statuses()}


# A turborepo: Convex in packages/backend, functions where convex.json says, Next.js in src/app.

AUTH_FINDINGS = [
    ("apps/web/src/components/note-list.tsx", 3, "convex-auth-browser-access", "`convex/react`"),
    (f"{FUNCTIONS}/notes.ts", 26, "convex-auth-public-functions", "mutation remove()"),
    (f"{FUNCTIONS}/tags.ts", 3, "convex-auth-public-functions", "query all()"),
]


def test_convex_functions_are_where_convex_json_says(layout):
    root = layout(TURBO)
    assert_exact(findings_of(root), AUTH_FINDINGS)
    assert statuses(root) == {
        "convex-auth-public-functions": "fail",
        "convex-auth-schema-indexes": "unchecked",  # no index named: the ADR's are not ours
        "convex-auth-browser-access": "fail",
    }


def test_the_report_says_where_the_subjects_were_found(check_json):
    code, payload = check_json(str(FIXTURES / TURBO))
    assert code == 1
    found = {p["name"]: (p["origin"], p["values"], p["sources"]) for p in payload["parameters"]}
    assert found["functions_dir"] == (
        "discovered",
        [FUNCTIONS],
        ['packages/backend/convex.json "functions"'],
    )
    assert found["web_sources"][1] == ["apps/web/**/*.{ts,tsx,js,jsx,mts,mjs}"]
    [indexes] = [r for r in payload["rules"] if r["id"] == "convex-auth-schema-indexes"]
    assert indexes["optional"] and "no index is named" in indexes["reason"]


def test_without_convex_json_the_default_folder_would_be_empty(fixture_copy, cli):
    """What the vacuous pass looked like: the rule pointed at convex/ is unchecked, not green."""
    root = fixture_copy(TURBO)
    code, out, _ = cli("check", str(root), "--param", "functions_dir=convex")
    assert code == 1
    assert (
        "unchecked: convex-auth-public-functions: nothing to check: no file matches convex/" in out
    )


def test_convex_to_postgres_routes_in_src_app(layout):
    root = layout(TURBO)
    found = findings_of(root, ["convex-to-postgres"])
    routes = [(path, rule) for path, _, rule, _ in found if rule.endswith("-route")]
    # The tRPC handler exists under src/app (served); the SSE one is missing, and belongs there.
    assert routes == [("apps/web/src/app/api/live/[table]/[id]/route.ts", "c2p-sse-route")]
    assert (f"{FUNCTIONS}/", None, "c2p-convex-functions-removed") in {
        (p, line, rule) for p, line, rule, _ in found
    }
    rls = [message for _, _, rule, message in found if rule == "c2p-rls-policies"]
    assert rls == [
        "row-level security is missing: table notes: no ENABLE ROW LEVEL SECURITY, no CREATE POLICY"
    ]
    status = statuses(root, ["convex-to-postgres"])
    # The Expo app uses convex through hooks: it is no worker, and there is none here.
    assert status["c2p-workers-no-convex-client"] == "unchecked"
    assert status["c2p-trpc-route"] == "pass"


def test_fix_puts_the_route_in_the_router_the_app_uses(fixture_copy, cli):
    root = fixture_copy(TURBO)
    init_git(root)
    code, out, _ = cli(
        "fix", str(root), "--contract", "convex-to-postgres", "--select", "c2p-sse-route"
    )
    assert code == 0, out
    assert (root / "apps/web/src/app/api/live/[table]/[id]/route.ts").is_file()
    assert not (root / "apps/web/app").exists()  # an app/ beside src/app would stop routing


def test_app_wins_over_src_app(tree):
    from conformance.project import project_of

    root = tree({"web/app/page.tsx": "", "web/src/app/page.tsx": "", "web/package.json": "{}"})
    assert project_of(RepoView(root)).next.router("web", "app") == "web/app"


# A workspace: the Drizzle package is not the first database-related one; compose lives in it.

DRIZZLE_FINDINGS = [
    ("AGENTS.md", 6, "active-docs-baseline", "PostgreSQL with Drizzle"),
    (f"{DB}/.env.example", None, "env-example-convex", "Convex variables"),
    (f"{DB}/convex.json", None, "convex-project-files", "convex.json"),
    (f"{DB}/convex/http.ts", None, "convex-project-files", "http.ts"),
    (f"{DB}/convex/schema.ts", None, "convex-project-files", "schema.ts"),
    (
        f"{DB}/docker-compose.yml",
        3,
        "no-postgres-service",
        'service "ledger-db" (image postgres:17',
    ),
    (f"{DB}/drizzle.config.ts", None, "drizzle-scaffold-removed", "drizzle.config.ts"),
    (f"{DB}/package.json", 8, "db-codegen-script", '"db:codegen" is missing'),
    (f"{DB}/package.json", 8, "db-deploy-script", '"db:deploy" is missing'),
    (f"{DB}/package.json", 8, "db-dev-script", '"db:dev" is missing'),
    (f"{DB}/package.json", 10, "no-sql-scripts", "drizzle-kit generate"),
    (f"{DB}/package.json", 11, "no-sql-scripts", "drizzle-kit migrate"),
    (f"{DB}/package.json", 13, "convex-dependency", '"convex"'),
    (f"{DB}/package.json", 14, "no-postgres-dependencies", '"drizzle-orm"'),
    (f"{DB}/package.json", 15, "no-postgres-dependencies", '"pg"'),
    (f"{DB}/package.json", 18, "no-postgres-dependencies", '"drizzle-kit"'),
    (f"{DB}/package.json", 19, "no-postgres-dependencies", '"@types/pg"'),
    (f"{DB}/src/index.ts", 1, "no-postgres-imports", "`drizzle-orm`"),
    (f"{DB}/src/index.ts", 2, "no-postgres-imports", "`pg`"),
    (f"{DB}/src/index.ts", 7, "client-without-postgres", "`new pg.Pool`"),
    (f"{DB}/src/index.ts", 8, "client-without-postgres", "`drizzle(`"),
    (
        f"{DB}/src/migrations/",
        None,
        "drizzle-migrations-removed",
        f"`out` in {DB}/drizzle.config.ts:6",
    ),
    (f"{DB}/src/schema/accounts.ts", 1, "no-postgres-imports", "`drizzle-orm`"),
    (f"{DB}/src/schema/entries.ts", 1, "no-postgres-imports", "`drizzle-orm`"),
]


def test_the_data_layer_package_has_the_strongest_evidence(layout):
    """apps/api depends on pg and comes first alphabetically; packages/db holds the config."""
    root = layout(DRIZZLE)
    assert_exact(findings_of(root), DRIZZLE_FINDINGS)
    status = statuses(root)
    assert status["kept-compose-services"] == "unchecked"  # nothing recorded by init yet
    assert status["env-example-no-database-url"] == "unchecked"  # the package has none
    # apps/api imports the package by a name its index exports.
    passing = [rule for rule, s in status.items() if s == "pass"]
    assert passing == ["convex-cli-no-config-flag", "db-importers-intact"]


def test_kept_services_are_found_by_image(fixture_copy, cli):
    root = fixture_copy(DRIZZLE)
    # Redis runs as the service `cache`: kept, by its image.
    assert statuses(root, kept_services=["redis"])["kept-compose-services"] == "pass"
    code, out, _ = cli(
        "check", str(root), "--select", "kept-compose-services", "--param", "kept_services=[nats]"
    )
    assert code == 1
    assert (
        f'{DB}/docker-compose.yml:2: kept-compose-services a compose service current work needs is missing: service "nats" is missing'
        in out
    )


def test_init_records_what_it_found_and_check_accepts_it(fixture_copy, cli):
    root = fixture_copy(DRIZZLE)
    (root / "conformance.yaml").unlink()
    code, out, _ = cli("init", str(root))
    assert code == 0
    assert f"convex-adoption: package: {DB} (holds {DB}/drizzle.config.ts)" in out
    written = (root / "conformance.yaml").read_text()
    assert f'        - "{DB}/docker-compose.yml"  # from: named like a compose file\n' in written
    assert f'        - "cache"  # from: {DB}/docker-compose.yml:11 (redis:7-alpine)\n' in written
    code, payload = json_check(cli, root)
    assert code == 1
    assert {r["id"] for r in payload["rules"] if r["status"] == "unchecked"} == {
        "env-example-no-database-url"
    }
    assert {r["id"]: r["status"] for r in payload["rules"]}["kept-compose-services"] == "pass"


def json_check(cli, root):
    code, out, err = cli("check", str(root), "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out)


# init, everywhere.


def test_init_in_an_empty_directory(tmp_path, cli):
    code, out, _ = cli("init", str(tmp_path))
    assert code == 0 and "no built-in contract applies" in out
    code, out, _ = cli("check", str(tmp_path))
    assert code == 1 and "nothing is checked" in out
    for name in builtin_names():
        (tmp_path / "conformance.yaml").unlink()
        code, _, err = cli("init", str(tmp_path), "--contract", name)
        assert code == 0, err
        code, out, err = cli("check", str(tmp_path))
        assert code == 1 and err == "", (name, err)
        assert "unchecked: " in out  # what each rule could not find, said


FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if (p / "conformance.yaml").is_file())


@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_init_writes_a_file_check_accepts_on_every_fixture(tmp_path, cli, fixture):
    root = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, root, symlinks=True)
    for contracts in [[], *[["--contract", name] for name in builtin_names()]]:
        (root / "conformance.yaml").unlink(missing_ok=True)
        code, _, err = cli("init", str(root), *contracts)
        assert code == 0, (contracts, err)
        code, _, err = cli("check", str(root), "--format", "json")
        assert code in (0, 1) and err == "", (contracts, err)


@pytest.mark.parametrize("staged", [False, True], ids=["index-is-head", "index-differs"])
def test_rev_discovers_in_the_commit_not_the_work_tree(fixture_copy, cli, staged):
    from conftest import git

    root = fixture_copy(DRIZZLE)
    init_git(root)
    if staged:
        git(root, "rm", "-r", "-q", DB)  # the index no longer holds the commit's files
    else:
        shutil.rmtree(root / DB)
    code, out, _ = cli("check", str(root), "--rev", "HEAD", "--format", "json")
    assert code == 1
    payload = json.loads(out)
    [package] = [p for p in payload["parameters"] if p["name"] == "package"]
    assert package["values"] == [DB] and package["sources"] == [f"holds {DB}/drizzle.config.ts"]
    assert len(payload["findings"]) == len(DRIZZLE_FINDINGS)


def test_prisma_stated_as_the_stack_once_prisma_is_gone(tree, cli):
    root = tree(
        {
            "README.md": "# App\n\n## Stack\n\n- [Prisma](https://www.prisma.io/) \u2013 ORM\n- Next.js\n",
            "docs/overview.md": "- **Database**: PostgreSQL with Prisma ORM\n",
            "docs/history.md": "We migrated from Prisma with PostgreSQL to Convex in 2026.\n",
            "CHANGELOG.md": "- Prisma + Postgres removed\n",
        }
    )
    code, out, _ = cli(
        "check",
        str(root),
        "--contract",
        "prisma-to-convex",
        "--param",
        "phase=complete",
        "--select",
        "p2c-active-docs",
    )
    assert code == 1
    assert (
        'README.md:5: p2c-active-docs active docs still present Prisma as the data layer: "[Prisma](https://www.prisma.io/) \u2013 ORM"'
        in out
    )
    assert (
        'docs/overview.md:1: p2c-active-docs active docs still present Prisma as the data layer: "PostgreSQL with Prisma"'
        in out
    )
    assert "history.md" not in out and "CHANGELOG" not in out
