"""Git awareness: --rev from git objects, --rev A..B's breaking commits, --changed-since, init."""

from __future__ import annotations

import json

import pytest
from conftest import git, init_git

PKG_JSON = "packages/db/package.json"


def commit(root, message: str, author: str = "Ann") -> None:
    git(root, "add", "-A")
    git(root, "-c", f"user.name={author}", "commit", "-q", "-m", message)


@pytest.fixture
def history(fixture_copy):
    """kata-after committed, then a commit adding `pg`, then an unrelated docs commit."""
    root = fixture_copy("kata-after")
    init_git(root)
    package = root / PKG_JSON
    package.write_text(
        package.read_text().replace(
            '"convex": "^1.48.0"', '"convex": "^1.48.0",\n    "pg": "^8.0.0"'
        )
    )
    commit(root, "add pg for a quick script", "Bob")
    with (root / "README.md").open("a") as readme:
        readme.write("\nMore words.\n")
    commit(root, "docs", "Cy")
    return root


def test_rev_reads_git_objects_not_the_work_tree(history, cli):
    # The work tree is broken in a way the commits are not: --rev must not see it.
    (history / "packages/db/convex/http.ts").unlink()
    code, out, _ = cli("check", str(history), "--rev", "HEAD~2")
    assert code == 0
    assert out.endswith(
        "1 of 18 rules had nothing to check; 17 pass; the run passes (convex-adoption)\n"
    )
    code, out, _ = cli("check", str(history), "--rev", "HEAD", "--format", "json")
    findings = json.loads(out)["findings"]
    assert [(f["rule"], f["path"], f["line"]) for f in findings] == [
        ("no-postgres-dependencies", PKG_JSON, 21)
    ]
    assert git(history, "status", "--porcelain") == " D packages/db/convex/http.ts\n"


def test_rev_of_a_subdirectory_root(history, cli):
    code, out, _ = cli(
        "check",
        str(history / "packages/db"),
        "--rev",
        "HEAD",
        "--contract",
        "convex-adoption",
        "--param",
        "package=.",
    )
    assert code == 1
    assert "package.json:21: no-postgres-dependencies" in out


def test_range_names_the_commit_that_broke_each_rule(history, cli):
    code, out, _ = cli("check", str(history), "--rev", "HEAD~2..HEAD")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "HEAD~2..HEAD: 2 commits checked"
    short = git(history, "rev-parse", "--short", "HEAD~1").strip()
    assert lines[1].startswith(
        f"no-postgres-dependencies: broken by {short} 'add pg for a quick script' (Bob, "
    )
    code, out, _ = cli("check", str(history), "--rev", "HEAD~1..HEAD", "--format", "json")
    payload = json.loads(out)
    assert payload["broken_by"] == {"no-postgres-dependencies": None}  # already failing at HEAD~1
    assert [c["subject"] for c in payload["commits"]] == ["docs"]
    assert payload["tip"]["summary"]["findings"] == 1


def test_range_forgets_a_rule_that_was_mended(history, cli):
    package = history / PKG_JSON
    package.write_text(package.read_text().replace(',\n    "pg": "^8.0.0"', ""))
    commit(history, "drop pg again")
    code, out, _ = cli("check", str(history), "--rev", "HEAD~3..HEAD")
    assert code == 0
    assert "no rule fails at the end of the range" in out


def test_bad_revisions(history, cli):
    for argv, message in [
        (("--rev", "nope"), "--rev nope: not a commit"),
        (("--rev", "nope..HEAD"), "--rev nope..HEAD: expected A..B with two revisions"),
        (("--changed-since", "nope"), "--changed-since nope: not a revision"),
        (("--rev", "HEAD~1..HEAD", "--format", "sarif"), "reports as text, json or html"),
        (("--rev", "HEAD", "--changed-since", "HEAD"), "not allowed with argument"),
    ]:
        code, _, err = cli("check", str(history), *argv)
        assert code == 2 and message in err, err


def test_changed_since_runs_only_the_affected_rules(history, cli):
    code, out, _ = cli("check", str(history), "--changed-since", "HEAD")
    assert (code, out) == (
        0,
        "All 0 rules pass (convex-adoption)\n18 rules not run: their inputs did not change\n",
    )
    (history / "docs/PROJECT_PLAN.md").write_text("PostgreSQL schema + Drizzle migrations\n")
    code, out, _ = cli("check", str(history), "--changed-since", "HEAD", "--format", "json")
    payload = json.loads(out)
    assert code == 1
    assert payload["summary"]["rules"] == 1 and payload["summary"]["unchanged"] == 17
    assert {f["rule"] for f in payload["findings"]} == {"active-docs-baseline"}
    # Committed changes since an older revision count too, as do untracked files.
    (history / "packages/db/src/extra.ts").write_text('import pg from "pg";\n')
    _, out, _ = cli("check", str(history), "--changed-since", "HEAD~2", "--format", "json")
    rules = {f["rule"] for f in json.loads(out)["findings"]}
    assert rules == {"active-docs-baseline", "no-postgres-dependencies", "no-postgres-imports"}


def test_changed_config_or_contract_runs_every_rule(history, cli):
    with (history / "conformance.yaml").open("a") as config:
        config.write("# touched\n")
    _, out, _ = cli("check", str(history), "--changed-since", "HEAD", "--format", "json")
    assert json.loads(out)["summary"]["rules"] == 18
    git(history, "checkout", "conformance.yaml")
    contract = history / "policy" / "ours.yaml"
    contract.parent.mkdir()
    contract.write_text(
        "name: ours\ndescription: d\nrules:\n  - id: has-readme\n    kind: path-present\n"
        "    paths: README.md\n    message: m\n    why: w\n  - id: no-env\n    kind: path-absent\n"
        "    paths: .env\n    message: m\n    why: w\n"
    )
    (history / "conformance.yaml").write_text("contracts: [./policy/ours.yaml]\n")
    commit(history, "own contract")
    _, out, _ = cli("check", str(history), "--changed-since", "HEAD", "--format", "json")
    assert json.loads(out)["summary"]["rules"] == 0
    with contract.open("a") as text:
        text.write("# touched\n")
    _, out, _ = cli("check", str(history), "--changed-since", "HEAD", "--format", "json")
    assert json.loads(out)["summary"]["rules"] == 2


def test_init_detects_parameters_and_never_overwrites(fixture_copy, cli):
    root = fixture_copy("kata-before")
    (root / "conformance.yaml").unlink()
    (root / "packages/db").rename(root / "packages/storage")
    (root / "containers").rename(root / "infra")
    code, out, _ = cli("init", str(root))
    assert code == 0
    assert "convex-adoption: proposed, because this repository has packages/storage" in out
    assert (
        "convex-adoption: package: packages/storage (holds packages/storage/drizzle.config.ts)"
        in out
    )
    assert "convex-adoption: compose_files: infra/docker-compose.yml" in out
    assert "convex-adoption: kept_services: redis" in out  # what the compose file keeps now
    written = (root / "conformance.yaml").read_text()
    assert (
        '      package: "packages/storage"  # from: holds packages/storage/drizzle.config.ts\n'
        in written
    )
    assert '        - "redis"  # from: infra/docker-compose.yml:' in written
    assert "#   - rule: RULE_ID" in written
    code, out, _ = cli("check", str(root), "--format", "json")
    payload = json.loads(out)
    assert {f["path"] for f in payload["findings"]} >= {
        "packages/storage/package.json",
        "infra/docker-compose.yml",
    }
    # Only what no discovery can record stays unchecked: kata has no importer of its data layer.
    unchecked = [rule["id"] for rule in payload["rules"] if rule["status"] == "unchecked"]
    assert unchecked == ["db-importers-intact"]
    before = written
    code, _, err = cli("init", str(root))
    assert code == 2 and "already exists" in err
    assert (root / "conformance.yaml").read_text() == before


def test_init_with_npm_workspaces_and_nothing_to_detect(tree, cli):
    root = tree(
        {
            "package.json": '{"workspaces": {"packages": ["services/*"]}}',
            "services/api/package.json": '{"dependencies": {"express": "4"}}',
            "services/data/package.json": '{"dependencies": {"convex": "1"}}',
        }
    )
    code, out, _ = cli("init", str(root))
    assert code == 0 and "no built-in contract applies" in out
    assert "contracts: []" in (root / "conformance.yaml").read_text()
    code, out, _ = cli("check", str(root))
    assert code == 1 and "names no contract and no rule: nothing is checked" in out
    (root / "conformance.yaml").unlink()
    code, out, _ = cli("init", str(root), "--contract", "convex-adoption")
    assert code == 0 and "package: services/data (depends on convex)" in out
    written = (root / "conformance.yaml").read_text()
    assert "      # compose_files: not found: no compose file" in written
    code, out, _ = cli("check", str(root))
    assert code == 1 and "unchecked (optional): no-postgres-service: " in out
