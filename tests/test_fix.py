"""`conformance fix` end to end on the kata fixtures, and every refusal."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import git, init_git

PKG = "packages/db"


def snapshot(root):
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


CLEAN = (
    "unchecked (optional): db-importers-intact: nothing to check: no other package imports "
    "@kata/db\n\nNo findings, but 1 of 18 rules had nothing to check; 17 pass; the run passes "
    "(convex-adoption)\n"
)


@pytest.fixture
def kata(fixture_copy):
    """A committed git copy of a kata fixture."""

    def make(name: str):
        root = fixture_copy(name)
        init_git(root)
        return root

    return make


@pytest.mark.parametrize("name", ["kata-before", "kata-half"])
def test_fix_makes_the_fixture_conform_and_is_idempotent(kata, cli, name):
    root = kata(name)
    code, out, err = cli("fix", str(root))
    assert err == ""
    assert code == 0, out
    # No other package of kata imports its data layer: nothing to break, and the report says so.
    assert out.endswith(CLEAN)
    assert cli("check", str(root))[0] == 0
    after_first = snapshot(root)
    code, out, _ = cli("fix", str(root))
    assert (code, out) == (0, CLEAN)
    assert snapshot(root) == after_first


def test_statuses_and_staged_removals(kata, cli):
    root = kata("kata-before")
    _, out, _ = cli("fix", str(root))
    lines = out.splitlines()
    assert f"create    {PKG}/convex.json  [convex-project-files]" in lines
    assert any(
        line.startswith(f"edit      {PKG}/package.json  [convex-dependency, ") for line in lines
    )
    assert f"remove    {PKG}/drizzle/  [drizzle-migrations-removed]" in lines
    assert any(line.startswith("skip      ") for line in lines) is False
    staged = git(root, "diff", "--cached", "--name-status")
    assert f"D\t{PKG}/drizzle/0000_initial.sql" in staged
    assert f"D\t{PKG}/src/migrate.ts" in staged
    assert f"D\t{PKG}/src/schema.ts" in staged
    assert not (root / PKG / "drizzle").exists()


def test_dry_run_shows_the_diff_and_writes_nothing(kata, cli):
    root = kata("kata-before")
    before = snapshot(root)
    code, out, _ = cli("fix", str(root), "--dry-run")
    assert code == 1
    assert snapshot(root) == before
    assert f"--- a/{PKG}/package.json\n+++ b/{PKG}/package.json\n" in out
    assert '-    "pg": "^8.13.3"\n' in out
    assert '+    "convex": "^1.48.0"\n' in out
    assert f"--- /dev/null\n+++ b/{PKG}/convex/schema.ts\n" in out
    assert f"deleted: {PKG}/drizzle/\n" in out
    assert out.rstrip().endswith("dry run: nothing was written")


def test_package_json_keeps_its_formatting(kata, cli):
    root = kata("kata-before")
    original = (root / PKG / "package.json").read_text()
    cli("fix", str(root))
    fixed = (root / PKG / "package.json").read_text()
    data = json.loads(fixed)
    assert data["dependencies"] == {"convex": "^1.48.0"}
    assert data["scripts"] == {
        "test": "vitest run",
        "typecheck": "tsc --noEmit",
        "db:dev": "convex dev",
        "db:deploy": "convex deploy",
        "db:codegen": "convex codegen",
    }
    assert "drizzle-kit" not in data["devDependencies"]
    # Untouched lines are byte-identical and in the same order.
    kept = [line for line in original.splitlines() if line in fixed.splitlines()]
    assert kept == [line for line in fixed.splitlines() if line in original.splitlines()]
    assert '  "exports": {\n    ".": "./src/index.ts"\n  },\n' in fixed
    assert fixed.endswith("}\n")


def test_compose_keeps_redis_comments_and_anchors(kata, cli):
    root = kata("kata-before")
    original = (root / "containers/docker-compose.yml").read_text()
    cli("fix", str(root))
    fixed = (root / "containers/docker-compose.yml").read_text()
    data = yaml.safe_load(fixed)
    assert list(data["services"]) == ["redis"]
    assert data["volumes"] == {"redisdata": None}
    assert "x-healthcheck-defaults: &healthcheck-defaults" in fixed
    assert "<<: *healthcheck-defaults" in fixed
    assert "# Redis backs websocket fan-out in apps/gateway." in fixed
    assert "# Local development services for kata." in fixed
    assert "PostgreSQL 16 is the primary datastore" not in fixed
    redis_block = original[original.index("  # Redis backs") : original.index("\nvolumes:")]
    assert redis_block in fixed


def test_docs_replacement_spares_historical_docs(kata, cli):
    root = kata("kata-before")
    history = root / "docs/verification/KAT-106-verification.md"
    before = history.read_bytes()
    cli("fix", str(root))
    assert history.read_bytes() == before
    mermaid = (root / "docs/M1-dependency-graph.mermaid").read_text()
    assert (
        'KAT106["KAT-106: Postgres/Drizzle scaffold (historical, superseded by Convex in KAT-152)"]'
        in mermaid
    )


def test_convex_schema_is_derived_from_the_drizzle_schema(kata, cli):
    root = kata("kata-before")
    cli("fix", str(root))
    schema = (root / PKG / "convex/schema.ts").read_text()
    assert "defineSchema" in schema and "teamMembers: defineTable(" in schema
    assert 'v.id("users")' in schema


def test_refuses_files_with_uncommitted_changes(kata, cli):
    root = kata("kata-before")
    package = root / PKG / "package.json"
    package.write_text(package.read_text().replace('"private": true', '"private": false'))
    before = snapshot(root)
    code, out, err = cli("fix", str(root))
    assert (code, out) == (2, "")
    assert err == (
        f"conformance: error: refusing to touch {PKG}/package.json: it has uncommitted changes; "
        "commit or stash first, or pass --allow-dirty\n"
    )
    assert snapshot(root) == before
    code, _, _ = cli("fix", str(root), "--allow-dirty")
    assert code == 0
    assert json.loads(package.read_text())["private"] is False


def test_refuses_untracked_files_and_non_git_trees(fixture_copy, cli):
    root = fixture_copy("kata-half")
    before = snapshot(root)
    code, _, err = cli("fix", str(root))
    assert code == 2 and "is not under version control" in err
    assert snapshot(root) == before
    assert cli("fix", str(root), "--allow-dirty")[0] == 0


def test_conflicting_template_target_is_left_alone_unless_forced(kata, cli):
    root = kata("kata-half")
    (root / PKG / "convex.json").write_text('{"functions": "convex/"}\n')
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "own convex.json")
    code, out, _ = cli("fix", str(root))
    assert code == 0  # the file exists, which is what the rule asks
    assert f"conflict  {PKG}/convex.json  [convex-project-files]" in out
    assert (root / PKG / "convex.json").read_text() == '{"functions": "convex/"}\n'


def test_force_replaces_a_differing_file(kata, cli):
    root = kata("kata-before")
    (root / PKG / "convex").mkdir()
    (root / PKG / "convex/http.ts").write_text("export default 1;\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "placeholder")
    _, out, _ = cli("fix", str(root), "--force")
    assert f"edit      {PKG}/convex/http.ts  [convex-project-files]  (replaced (--force))" in out
    assert "httpRouter" in (root / PKG / "convex/http.ts").read_text()


def test_env_example_keeps_crlf_line_endings(kata, cli):
    root = kata("kata-before")
    env = root / PKG / ".env.example"
    env.write_bytes(env.read_bytes().replace(b"\n", b"\r\n"))
    git(root, "commit", "-q", "-am", "crlf")
    cli("fix", str(root))
    data = env.read_bytes()
    assert b"CONVEX_URL=" in data and b"DATABASE_URL" not in data
    assert data.count(b"\n") == data.count(b"\r\n")


def test_never_writes_through_a_symlink_leaving_the_repo(kata, cli, tmp_path):
    root = kata("kata-before")
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / PKG / "convex").symlink_to(outside)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "link")
    before = snapshot(root)
    code, _, err = cli("fix", str(root))
    assert code == 2 and "a symlink leads outside the repository" in err
    assert list(outside.iterdir()) == []
    assert snapshot(root) == before


def test_writes_keep_the_file_mode(kata, cli):
    root = kata("kata-before")
    package = root / PKG / "package.json"
    package.chmod(0o600)  # git records only the executable bit: the file stays clean
    cli("fix", str(root))
    assert package.stat().st_mode & 0o777 == 0o600
    assert not [p for p in package.parent.iterdir() if p.name.startswith(".package.json.")]


def test_rules_without_a_fix_are_skipped(tree, cli):
    root = tree(
        {
            "conformance.yaml": "rules:\n  - id: keep-readme\n    kind: path-present\n"
            "    paths: README.md\n    message: m\n    why: w\n"
        }
    )
    init_git(root)
    code, out, _ = cli("fix", str(root))
    assert code == 1
    assert (
        "skip      README.md  [keep-readme]  (no automatic fix: Create the missing file or directory.)"
        in out
    )


def test_fixable_flag_in_json(check_json):
    from conftest import FIXTURES

    _, payload = check_json(str(FIXTURES / "kata-before"))
    fixable = {f["rule"]: f["fixable"] for f in payload["findings"]}
    assert fixable["no-postgres-dependencies"] is True
    assert payload["summary"]["fixable"] == sum(f["fixable"] for f in payload["findings"])


def test_removing_a_directory_keeps_ignored_files(kata, cli):
    root = kata("kata-before")
    with (root / ".gitignore").open("a") as ignore:
        ignore.write("*.local.md\n")
    git(root, "commit", "-q", "-am", "ignore local notes")
    notes = root / PKG / "drizzle/notes.local.md"
    notes.write_text("my own notes, not in git\n")
    code, out, _ = cli("fix", str(root))
    assert code == 0, out
    assert notes.read_text() == "my own notes, not in git\n"
    assert not (root / PKG / "drizzle/0000_initial.sql").exists()


def test_edits_keep_a_byte_order_mark(kata, cli):
    root = kata("kata-before")
    package = root / PKG / "package.json"
    package.write_bytes(b"\xef\xbb\xbf" + package.read_bytes())
    git(root, "commit", "-q", "-am", "bom")
    assert cli("fix", str(root))[0] == 0
    data = package.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf{") and data.count(b"\xef\xbb\xbf") == 1
