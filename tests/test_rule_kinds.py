"""Each rule kind against small repositories, including the decoys a naive tool trips on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conformance.engine import run
from conformance.model import Rule
from conformance.project.compose import image_repository
from conformance.repo import RepoView
from conformance.rules.source import strip_js_comments


def check(root: Path, kind: str, message: str = "{item}", **options) -> list[tuple]:
    rule = Rule(id="r", kind=kind, message=message, why="w", contract="t", options=options)
    report = run([rule], RepoView(root))
    return [(f.path, f.line, f.message) for f in report.findings]


PACKAGE = {
    "name": "@kata/db",
    "scripts": {"db:dev": "convex dev --config ./convex.json", "test": "vitest run"},
    "dependencies": {"convex": "^1.48.0", "pg": "^8.11.0"},
    "devDependencies": {"drizzle-kit": "^0.24.0"},
}


@pytest.fixture
def package(tree):
    return tree({"pkg/package.json": json.dumps(PACKAGE, indent=2) + "\n"})


def test_dependency_absent_names_section_and_line(package):
    found = check(
        package, "dependency-absent", files="pkg/package.json", names=["pg", "drizzle-kit"]
    )
    assert found == [
        ("pkg/package.json", 9, '"pg" in dependencies'),
        ("pkg/package.json", 12, '"drizzle-kit" in devDependencies'),
    ]


def test_dependency_absent_respects_sections(package):
    found = check(
        package,
        "dependency-absent",
        files="pkg/package.json",
        names="drizzle-kit",
        sections=["dependencies"],
    )
    assert found == []


def test_dependency_present(package):
    assert check(package, "dependency-present", files="pkg/package.json", names="convex") == []
    found = check(
        package,
        "dependency-present",
        files="pkg/package.json",
        names="convex",
        sections=["devDependencies"],
    )
    assert found == [("pkg/package.json", 11, '"convex" (not in devDependencies)')]


def test_dependency_present_on_missing_file_is_unchecked(tree):
    """A package.json that is not there is not a finding no fix could clear: the rule had
    nothing to look at."""
    root = tree({"README.md": "x"})
    rule = Rule(
        "r",
        "dependency-present",
        "{item}",
        "w",
        "t",
        {"files": "pkg/package.json", "names": "convex"},
    )
    report = run([rule], RepoView(root))
    assert report.findings == []
    assert report.statuses()[0]["status"] == "unchecked"
    assert report.statuses()[0]["reason"] == "nothing to check: no file matches pkg/package.json"
    assert report.failing


def test_missing_file_the_fix_creates_is_a_finding(tree):
    root = tree({"README.md": "x"})
    fix = {"create": [{"path": "pkg/package.json", "template": "t.j2"}]}
    found = check(root, "dependency-present", files="pkg/package.json", names="convex", fix=fix)
    assert found == [("pkg/package.json", None, "pkg/package.json is missing")]


def test_script_present_missing_and_mismatch(package):
    found = check(package, "script-present", files="pkg/package.json", script="db:codegen")
    assert found == [("pkg/package.json", 3, 'script "db:codegen" is missing')]
    found = check(
        package, "script-present", files="pkg/package.json", script="test", matches=r"\bjest\b"
    )
    assert found == [
        ("pkg/package.json", 5, 'script "test" runs `vitest run`, expected /\\bjest\\b/')
    ]
    ok = check(
        package, "script-present", files="pkg/package.json", script="db:dev", matches="convex dev"
    )
    assert ok == []


def test_script_forbidden_names_the_script(package):
    found = check(package, "script-forbidden", files="pkg/package.json", pattern=r"\s--config\b")
    assert found == [
        ("pkg/package.json", 4, 'script "db:dev" runs `convex dev --config ./convex.json`')
    ]
    only_test = check(
        package, "script-forbidden", files="pkg/package.json", pattern="--config", scripts="te*"
    )
    assert only_test == []


def test_path_present_and_absent_with_globs(tree):
    root = tree(
        {
            "pkg/drizzle/0000_init.sql": "create table x();",
            "pkg/drizzle/meta/_journal.json": "{}",
            "pkg/convex/schema.ts": "export default {}",
        }
    )
    assert check(root, "path-present", paths=["pkg/convex/*.ts", "pkg/convex"]) == []
    assert check(root, "path-present", paths="pkg/convex", type="file") == [
        ("pkg/convex", None, "pkg/convex")
    ]
    assert check(root, "path-present", paths="pkg/convex.json") == [
        ("pkg/convex.json", None, "pkg/convex.json")
    ]
    # A matching directory is reported once, not file by file.
    assert check(root, "path-absent", paths="pkg/drizzle") == [
        ("pkg/drizzle/", None, "pkg/drizzle/")
    ]
    assert check(root, "path-absent", paths="pkg/**/*.sql") == [
        ("pkg/drizzle/0000_init.sql", None, "pkg/drizzle/0000_init.sql")
    ]


COMPOSE = """\
x-defaults: &defaults
  restart: unless-stopped

# Postgres used to live here: image postgres:16-alpine (a comment, not a service)
services:
  db:
    <<: *defaults
    image: docker.io/library/postgres:16-alpine@sha256:abc
  geo:
    image: ${GEO_IMAGE:-postgis/postgis:16-3.4}
  cache:
    image: redis:7-alpine
  app:
    build: .
"""


def test_compose_absent_matches_by_image_not_name_or_comment(tree):
    root = tree({"compose.yml": COMPOSE})
    found = check(
        root, "compose-service-absent", files="compose.yml", images=["postgres", "postgis/*"]
    )
    assert found == [
        ("compose.yml", 6, 'service "db" (image docker.io/library/postgres:16-alpine@sha256:abc)'),
        ("compose.yml", 9, 'service "geo" (image ${GEO_IMAGE:-postgis/postgis:16-3.4})'),
    ]
    assert check(root, "compose-service-absent", files="compose.yml", names="app") == [
        ("compose.yml", 13, 'service "app"')
    ]


def test_compose_present_by_name_or_image(tree):
    """`redis` is kept by the service `cache` running redis:7-alpine; `nats` by nothing."""
    root = tree({"compose.yml": COMPOSE})
    assert check(root, "compose-service-present", files="compose.yml", names="cache") == []
    assert check(root, "compose-service-present", files="compose.yml", names="redis") == []
    assert check(root, "compose-service-present", files="compose.yml", names=["redis", "nats"]) == [
        ("compose.yml", 5, 'service "nats" is missing')
    ]


def test_compose_present_in_any_of_several_files(tree):
    root = tree({"a/compose.yml": COMPOSE, "b/compose.yml": "services:\n  web:\n    build: .\n"})
    files = ["a/compose.yml", "b/compose.yml"]
    assert check(root, "compose-service-present", files=files, names="redis") == []
    assert check(root, "compose-service-present", files=files, names="nats") == [
        ("a/compose.yml", 5, 'service "nats" is missing from all 2 compose files')
    ]


def test_compose_present_without_names_is_unchecked(tree):
    root = tree({"compose.yml": COMPOSE})
    rule = Rule(
        "r", "compose-service-present", "{item}", "w", "t", {"files": "compose.yml", "names": []}
    )
    report = run([rule], RepoView(root))
    assert report.status(rule) == "unchecked"
    assert report.outcomes["r"].reason == "no compose service is named to be kept"


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        ("postgres:16-alpine", "postgres"),
        ("docker.io/library/postgres", "postgres"),
        ("localhost:5000/team/postgres:15", "team/postgres"),
        ("ghcr.io/org/pg:1@sha256:00", "org/pg"),
        ("Bitnami/PostgreSQL:16", "bitnami/postgresql"),
        ("${PG_IMAGE:-postgres:16}", "postgres"),
    ],
)
def test_image_repository(image, repository):
    assert image_repository(image) == repository


def test_text_absent_finds_wrapped_phrase_and_skips_excluded(tree):
    root = tree(
        {
            "docs/PLAN.md": "intro\nKAT-106: PostgreSQL schema + Drizzle migrations\n"
            "we built the PostgreSQL schema +\nDrizzle migrations first\n",
            "docs/plans/old.md": "PostgreSQL schema + Drizzle migrations\n",
        }
    )
    found = check(
        root,
        "text-absent",
        files="docs/**/*.md",
        exclude="docs/plans/**",
        phrases="PostgreSQL schema + Drizzle migrations",
    )
    assert found == [
        ("docs/PLAN.md", 2, "PostgreSQL schema + Drizzle migrations"),
        ("docs/PLAN.md", 3, "PostgreSQL schema + Drizzle migrations"),
    ]


def test_text_absent_regex_and_case(tree):
    root = tree({"a.md": "Uses POSTGRES\n"})
    assert check(root, "text-absent", files="a.md", regex="postgres") == []
    assert check(root, "text-absent", files="a.md", regex="postgres", ignore_case=True) == [
        ("a.md", 1, "POSTGRES")
    ]


def test_text_present(tree):
    root = tree({"a.md": "Convex is the data layer\n"})
    assert check(root, "text-present", files="a.md", phrases="Convex") == []
    assert check(root, "text-present", files="a.md", phrases="Redis") == [
        ("a.md", None, "Redis not found")
    ]


def test_source_absent_ignores_comments_and_unnamed_files(tree):
    root = tree(
        {
            "src/client.ts": "// replaces the old drizzle(pool) client\n"
            "/* new pg.Pool() was here\n   drizzle( */\n"
            'const url = "http://x//y";\n'
            "export const db = drizzle(pool);\n",
            "src/client.test.ts": "expect(source).not.toContain('new pg.Pool');\n",
        }
    )
    found = check(root, "source-absent", files="src/client.ts", phrases=["new pg.Pool", "drizzle("])
    assert found == [("src/client.ts", 5, "`drizzle(`")]


def test_strip_js_comments_keeps_strings_and_lines():
    source = "a = '//x'; // gone\nb = `/* kept */`; /* gone\n gone */ c\n"
    stripped = strip_js_comments(source, "a.vue")
    assert "'//x'" in stripped and "`/* kept */`" in stripped
    assert "gone" not in stripped
    assert stripped.count("\n") == source.count("\n")


def test_key_path_json_yaml_toml(tree):
    root = tree(
        {
            "convex.json": '{\n  "functions": "src/convex/"\n}\n',
            "conf.yaml": "node:\n  nodeVersion: '20'\n",
            "pyproject.toml": "[tool.x]\nname = 'y'\n",
        }
    )
    assert check(root, "key-path", files="convex.json", key="functions", equals="convex/") == [
        ("convex.json", 2, "`functions` is 'src/convex/', expected 'convex/'")
    ]
    assert (
        check(root, "key-path", files="conf.yaml", key="node.nodeVersion", matches="^2[02]$") == []
    )
    assert check(root, "key-path", files="conf.yaml", key="node.externalPackages") == [
        ("conf.yaml", 1, "`node.externalPackages` is missing")
    ]
    assert check(root, "key-path", files="pyproject.toml", key="tool.x.name", exists=False) == [
        ("pyproject.toml", None, "`tool.x.name` must not be set")
    ]


def test_drizzle_output_read_from_config(tree):
    root = tree(
        {
            "pkg/drizzle.config.ts": 'export default defineConfig({\n  out: "./migrations",\n});\n',
            "pkg/migrations/0000_init.sql": "",
            "pkg/drizzle/unrelated.txt": "",
        }
    )
    found = check(root, "drizzle-output-absent", config="pkg/drizzle.config.ts")
    assert found == [
        ("pkg/migrations/", None, "pkg/migrations/ (`out` in pkg/drizzle.config.ts:2)")
    ]


def test_drizzle_output_default_without_config(tree):
    root = tree({"pkg/drizzle/0000_init.sql": ""})
    found = check(root, "drizzle-output-absent", config="pkg/drizzle.config.ts")
    assert found == [("pkg/drizzle/", None, "pkg/drizzle/ (drizzle-kit's default)")]


def test_python_check(tree):
    root = tree(
        {
            "checks.py": "def no_todo(repo, word):\n"
            "    for path in repo.glob('src/*.ts', files_only=True):\n"
            "        for line, _ in repo.lines_matching(path, __import__('re').compile(word)):\n"
            "            yield path, line, f'{word} left in code'\n"
            "def broken(repo):\n"
            "    raise ValueError('boom')\n",
            "src/a.ts": "ok\n// TODO later\n",
        }
    )
    rule = Rule(
        id="todo",
        kind="python",
        message="m",
        why="w",
        contract="t",
        options={"function": "checks.py:no_todo", "args": {"word": "TODO"}},
        base_dir=str(root),
    )
    broken = Rule(
        id="broken",
        kind="python",
        message="m",
        why="w",
        contract="t",
        options={"function": "checks.py:broken"},
        base_dir=str(root),
    )
    report = run([rule, broken], RepoView(root))
    assert [(f.rule, f.path, f.line, f.message) for f in report.findings] == [
        ("broken", "checks.py", 6, "custom check raised ValueError: boom"),
        ("todo", "src/a.ts", 2, "TODO left in code"),
    ]


def test_message_template_fills_item(package):
    found = check(
        package,
        "dependency-absent",
        message="drop {name} from {section}",
        files="pkg/package.json",
        names="pg",
    )
    assert found == [("pkg/package.json", 9, "drop pg from dependencies")]


def test_every_kind_has_docs_and_hint():
    from conformance.rules import KINDS

    for name, kind in KINDS.items():
        assert kind.name == name  # the lazy registry's table matches the classes
        assert kind.__doc__ and kind.hint, name
        assert set(kind.required) <= set(kind.properties), name


def test_builtin_contract_is_valid_yaml_mapping():
    from conformance.contract import BUILTIN_DIR

    for path in BUILTIN_DIR.glob("*.yaml"):
        assert isinstance(yaml.safe_load(path.read_text()), dict)


def test_bracketed_next_route_paths_are_taken_literally(tree):
    root = tree({"app/api/trpc/[trpc]/route.ts": "export const GET = 1;\n"})
    assert check(root, "path-present", paths="app/api/trpc/[trpc]/route.ts") == []
    assert check(root, "path-absent", paths="app/api/trpc/[trpc]/route.ts") == [
        ("app/api/trpc/[trpc]/route.ts", None, "app/api/trpc/[trpc]/route.ts")
    ]
