"""A migration in progress: `conformance baseline` accepts today's findings, `check` then fails
only on new ones, says what was fixed, and the ratchet only ever shrinks the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import git, init_git

BASELINE = ".conformance-baseline.json"
NEW_IMPORT = 'import { Pool } from "pg";\nexport const pool = new Pool();\n'


@pytest.fixture
def kata(fixture_copy) -> Path:
    root = fixture_copy("kata-before")
    init_git(root)
    return root


def entries(root: Path) -> list[dict]:
    return json.loads((root / BASELINE).read_text())["findings"]


def test_baseline_then_only_new_findings_fail(kata, cli, check_json):
    code, out, _ = cli("baseline", str(kata))
    assert code == 0
    assert out == f"wrote {BASELINE}: 32 findings of 15 rules known (31 entries)\n"
    assert sum(e["count"] for e in entries(kata)) == 32
    assert check_json(str(kata))[0] == 0

    (kata / "packages/db/src/extra.ts").write_text(NEW_IMPORT)
    code, payload = check_json(str(kata))
    assert code == 1
    assert [(f["path"], f["line"], f["rule"]) for f in payload["findings"]] == [
        ("packages/db/src/extra.ts", 1, "no-postgres-imports")
    ]
    assert payload["summary"]["known"] == 32
    statuses = {r["id"]: r["status"] for r in payload["rules"]}
    assert statuses["no-postgres-imports"] == "fail"
    assert statuses["no-sql-scripts"] == "known"
    assert statuses["convex-dependency"] == "known"
    # Everything, the baseline's too, on request.
    assert check_json(str(kata), "--no-baseline")[1]["summary"]["findings"] == 33


def test_a_fixed_finding_is_counted_and_the_ratchet_only_removes(kata, cli, check_json):
    cli("baseline", str(kata))
    before = entries(kata)
    git(kata, "rm", "-q", "packages/db/src/migrate.ts")
    code, payload = check_json(str(kata))
    assert code == 0
    assert payload["summary"]["fixed"] == 2  # the scaffold file, and its pg import
    (kata / "packages/db/src/extra.ts").write_text(NEW_IMPORT)

    code, _, err = cli("check", str(kata), "--update-baseline")
    assert code == 1
    assert err == f"{BASELINE}: 2 fixed findings removed\n"
    after = entries(kata)
    assert len(after) == len(before) - 2
    assert all(entry in before for entry in after)  # never gains one, the new import included
    _, _, err = cli("check", str(kata), "--update-baseline")
    assert err == f"{BASELINE}: nothing fixed, unchanged\n"
    assert entries(kata) == after


def test_moved_code_keeps_every_finding_known(kata, cli, check_json):
    cli("baseline", str(kata))
    code, payload = check_json(str(kata), "--no-baseline")
    for path in {f["path"] for f in payload["findings"]}:
        file = kata / path
        if file.is_file():
            text = file.read_text()
            # Lines above every finding: a blank line is valid in each of these formats.
            file.write_text("\n\n\n" + text if not text.startswith("{") else "{\n\n\n" + text[1:])
    code, payload = check_json(str(kata), "--no-baseline")
    assert payload["summary"]["findings"] == 32
    code, payload = check_json(str(kata))
    assert (code, payload["findings"], payload["summary"]["fixed"]) == (0, [], 0)


def test_rev_reads_the_baseline_of_the_commit_it_checks(kata, cli, check_json):
    cli("baseline", str(kata))
    git(kata, "add", BASELINE)
    git(kata, "commit", "-q", "-m", "baseline")
    (kata / BASELINE).unlink()
    assert check_json(str(kata), "--rev", "HEAD")[0] == 0
    assert check_json(str(kata), "--rev", "HEAD~1")[0] == 1
    assert check_json(str(kata))[0] == 1


def test_fix_leaves_baselined_findings_alone(kata, cli):
    cli("baseline", str(kata))
    (kata / "docs/NEW.md").write_text("# Stack\n\nPostgreSQL schema + Drizzle migrations\n")
    (kata / "conformance.yaml").write_text(
        (kata / "conformance.yaml").read_text().replace("docs/PROJECT_PLAN.md,", "docs/*.md,")
    )
    git(kata, "add", "-A")
    git(kata, "commit", "-q", "-m", "new doc")
    code, out, _ = cli("check", str(kata))
    assert code == 1
    assert "docs/NEW.md:3: active-docs-baseline" in out
    code, out, _ = cli("fix", "--dry-run", str(kata))
    statuses = [line for line in out.splitlines() if "docs/" in line and "[" in line]
    left = (
        "[active-docs-baseline]  (its findings are in the baseline (--include-baseline fixes them))"
    )
    assert statuses == [
        f"skip      docs/M1-dependency-graph.mermaid  {left}",
        "edit      docs/NEW.md  [active-docs-baseline]",
        f"skip      docs/PROJECT_PLAN.md  {left}",
    ]
    code, out, _ = cli("fix", "--dry-run", "--include-baseline", str(kata))
    assert "edit      docs/PROJECT_PLAN.md  [active-docs-baseline]" in out


def test_strict_baseline_fails_until_the_file_shrinks(kata, cli, check_json):
    cli("baseline", str(kata))
    config = kata / "conformance.yaml"
    config.write_text(config.read_text() + "strict_baseline: true\n")
    assert check_json(str(kata))[0] == 0
    git(kata, "rm", "-q", "packages/db/src/migrate.ts")
    assert check_json(str(kata))[0] == 1
    cli("check", str(kata), "--update-baseline")
    assert check_json(str(kata))[0] == 0


def test_a_configured_baseline_path_and_a_broken_file(kata, cli):
    config = kata / "conformance.yaml"
    config.write_text(config.read_text() + "baseline: ci/known.json\n")
    assert cli("baseline", str(kata))[0] == 0  # its folder made
    assert (kata / "ci/known.json").is_file() and not (kata / BASELINE).exists()
    (kata / "ci/known.json").write_text('{"version": 1,\n "findings": [\n<<<<<<< ours\n')
    code, out, err = cli("check", str(kata))
    assert (code, out) == (2, "")
    assert err == "conformance: error: ci/known.json:3: not a baseline file: Expecting value\n"
    config.write_text(config.read_text().replace("ci/known.json", "../outside.json"))
    code, _, err = cli("check", str(kata))
    assert code == 2
    assert "conformance.yaml:12: baseline `../outside.json`: must be a path inside" in err


def test_a_range_compares_each_commit_with_its_own_baseline(kata, cli):
    cli("baseline", str(kata))
    git(kata, "add", BASELINE)
    git(kata, "commit", "-q", "-m", "baseline")
    git(kata, "rm", "-q", "packages/db/src/migrate.ts")
    git(kata, "commit", "-q", "-m", "drop the migrator")
    (kata / "packages/db/src/extra.ts").write_text(NEW_IMPORT)
    git(kata, "add", "-A")
    git(kata, "commit", "-q", "-m", "a new pg import")
    code, out, _ = cli("check", str(kata), "--rev", "HEAD~3..HEAD", "--format", "json")
    assert code == 1
    payload = json.loads(out)

    def counts(commit, rule):
        found = [c for c in commit["baseline"] if c["rule"] == rule]
        return (found[0]["known"], found[0]["fixed"], found[0]["new"]) if found else None

    baselined, dropped, added = payload["commits"]
    assert [c["failed"] for c in payload["commits"]] == [[], [], ["no-postgres-imports"]]
    assert counts(baselined, "no-postgres-imports") == (4, 0, 0)
    assert counts(dropped, "no-postgres-imports") == (3, 1, 0)
    assert counts(added, "no-postgres-imports") == (3, 1, 1)
    # Before the baseline existed every finding was new: the base fails all 15 rules, and
    # the commit adding the baseline mends them.
    assert payload["broken_by"] == {"no-postgres-imports": added["sha"]}
    assert payload["tip"]["summary"]["known"] == 30


def test_every_report_format_tells_known_from_new(kata, cli, tmp_path):
    """Text: progress per rule; JSON: the same, with the known findings and fixed entries;
    SARIF: baselineState on every result (and Microsoft's validator accepts it); JUnit: a rule
    with only known findings passes and says how many are left; GitHub: only new findings."""
    from xml.etree import ElementTree

    cli("baseline", str(kata))
    git(kata, "rm", "-q", "packages/db/src/migrate.ts")
    (kata / "packages/db/src/extra.ts").write_text(NEW_IMPORT)

    _, out, _ = cli("check", str(kata))
    assert "\n  no-postgres-imports: 3 known, 1 fixed, 1 new\n" in out
    assert "\n  drizzle-scaffold-removed: 2 known, 1 fixed, 0 new\n" in out
    assert (
        "note: the baseline holds 2 fixed findings; `conformance check --update-baseline` "
        "removes them\n" in out
    )
    assert out.endswith(
        "1 finding in 1 file, 30 known: 1 of 18 rules failed, 1 unchecked (convex-adoption)\n"
    )

    _, out, _ = cli("check", str(kata), "--format", "json")
    compared = json.loads(out)["baseline"]
    assert compared["path"] == BASELINE and compared["strict"] is False
    assert {"rule": "no-postgres-imports", "known": 3, "fixed": 1, "new": 1} in compared["rules"]
    assert len(compared["known"]) == 30
    assert sorted((e["rule"], e["path"], e["count"]) for e in compared["fixed"]) == [
        ("drizzle-scaffold-removed", "packages/db/src/migrate.ts", 1),
        ("no-postgres-imports", "packages/db/src/migrate.ts", 1),
    ]

    log = tmp_path / "report.sarif"
    cli("check", str(kata), "--format", "sarif", "--output", str(log))
    results = json.loads(log.read_text())["runs"][0]["results"]
    states = {}
    for result in results:
        states[result["baselineState"]] = states.get(result["baselineState"], 0) + 1
    assert states == {"new": 1, "unchanged": 30, "absent": 2}
    [new] = [r for r in results if r["baselineState"] == "new"]
    assert (new["level"], new["ruleId"]) == ("error", "no-postgres-imports")

    _, out, _ = cli("check", str(kata), "--format", "junit")
    cases = {case.get("name"): case for case in ElementTree.fromstring(out).iter("testcase")}
    assert cases["no-sql-scripts"].find("failure") is None
    assert cases["no-sql-scripts"].findtext("system-out") == f"4 known findings in {BASELINE}"
    assert cases["no-postgres-imports"].find("failure").get("message") == "1 finding"

    _, out, _ = cli("check", str(kata), "--format", "github")
    assert [line.split(",")[0] for line in out.splitlines() if line.startswith("::error")] == [
        "::error file=packages/db/src/extra.ts"
    ]

    from test_ci_paths import sarif_validation

    problems = [r for r in sarif_validation(log, tmp_path) if r.get("level", "warning") != "note"]
    assert [f"{r['ruleId']}: {r['message']}" for r in problems] == []


def test_explain_says_when_to_waive_and_when_to_baseline(cli):
    code, out, _ = cli(
        "explain", "no-sql-scripts", str(Path(__file__).parent.parent / "fixtures/kata-before")
    )
    assert code == 0
    tail = " ".join(out.split("Not fixing it yet:")[1].split())
    assert tail.startswith("a waiver (`waivers:` in conformance.yaml")
    assert "a baseline (`conformance baseline`) holds findings you intend to pay down" in tail


def test_the_pytest_plugin_passes_rules_with_only_known_findings_and_says_so(kata, cli):
    import subprocess
    import sys

    def pytest_run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfP", *args]
        return subprocess.run(command, cwd=kata, capture_output=True, text=True, check=False)

    assert (
        pytest_run(f"--conformance={kata}")
        .stdout.splitlines()[-1]
        .startswith("15 failed, 2 passed, 1 skipped")
    )
    cli("baseline", str(kata))
    result = pytest_run(f"--conformance={kata}")
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1].startswith("17 passed, 1 skipped")
    assert f"4 known findings in {BASELINE}" in result.stdout  # no-sql-scripts, under -rP

    (kata / "packages/db/src/extra.ts").write_text(NEW_IMPORT)
    git(kata, "rm", "-q", "packages/db/src/migrate.ts")
    result = pytest_run(f"--conformance={kata}")
    assert result.returncode == 1
    assert "FAILED conformance.yaml::no-postgres-imports" in result.stdout
    assert "packages/db/src/extra.ts:1: no-postgres-imports" in result.stdout
    assert f"3 known findings in {BASELINE}, 1 fixed" not in result.stdout  # it failed
    assert f"2 known findings in {BASELINE}, 1 fixed" in result.stdout  # drizzle-scaffold-removed


def test_changed_since_and_the_hook_compare_with_the_baseline(kata, cli, monkeypatch):
    cli("baseline", str(kata))
    git(kata, "add", BASELINE)
    git(kata, "commit", "-q", "-m", "baseline")
    (kata / "packages/db/src/extra.ts").write_text(NEW_IMPORT)
    code, out, _ = cli("check", str(kata), "--changed-since", "HEAD", "--format", "json")
    payload = json.loads(out)
    assert code == 1
    assert [f["path"] for f in payload["findings"]] == ["packages/db/src/extra.ts"]
    assert payload["summary"]["fixed"] == 0  # rules not run say nothing of their entries

    monkeypatch.chdir(kata)
    assert cli("hook", "packages/db/src/schema.ts")[0] == 0  # known findings only
    git(kata, "add", "packages/db/src/extra.ts")
    code, out, _ = cli("hook", "packages/db/src/extra.ts")
    assert code == 1
    assert out.startswith("packages/db/src/extra.ts:1: no-postgres-imports ")
    # The staged baseline is the one compared with: accepting the new import there passes.
    cli("baseline", str(kata))
    git(kata, "add", BASELINE)
    assert cli("hook", "packages/db/src/extra.ts")[0] == 0


def test_a_rule_over_every_file_does_not_find_the_baseline_quoting_it(kata, cli, check_json):
    config = kata / "conformance.yaml"
    config.write_text(
        config.read_text()
        + "rules:\n  - id: no-drizzle-anywhere\n    kind: text-absent\n    files: ['**/*']\n"
        + "    phrases: ['PostgreSQL schema + Drizzle migrations']\n"
        + "    message: 'the old stack is named: {item}'\n    why: It is gone.\n"
    )
    before = check_json(str(kata))[1]["summary"]["findings"]
    cli("baseline", str(kata))
    code, payload = check_json(str(kata))
    assert (code, payload["findings"]) == (0, [])
    assert payload["summary"]["known"] == before


def test_the_verdict_against_a_baseline_is_coloured_as_any_verdict(kata, cli, monkeypatch):
    cli("baseline", str(kata))
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, out, _ = cli("check", str(kata))
    assert out.splitlines()[-1] == (
        "\x1b[1;32mNo new findings, 32 known, but 1 of 18 rules had nothing to check; 2 pass, "
        "15 only known; the run passes (convex-adoption)\x1b[0m"
    )


def test_writing_the_baseline_again_does_not_quote_itself(kata, cli):
    config = kata / "conformance.yaml"
    config.write_text(
        config.read_text()
        + "rules:\n  - id: no-drizzle-anywhere\n    kind: text-absent\n    files: ['**/*']\n"
        + "    phrases: ['PostgreSQL schema + Drizzle migrations']\n"
        + "    message: 'the old stack is named: {item}'\n    why: It is gone.\n"
    )
    cli("baseline", str(kata))
    first = (kata / BASELINE).read_text()
    assert cli("baseline", str(kata))[0] == 0
    assert (kata / BASELINE).read_text() == first
    _, out, _ = cli("check", str(kata), "--no-baseline")
    assert BASELINE not in out
