"""The command line: formats, exit codes, selection, list and explain."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import FIXTURES

BEFORE = str(FIXTURES / "kata-before")


def test_json_format_shape(check_json):
    code, payload = check_json(BEFORE)
    assert code == 1
    assert set(payload) == {
        "findings",
        "waived",
        "expired_waivers",
        "stale_waivers",
        "remarks",
        "rules",
        "parameters",
        "unread_by_discovery",
        "baseline",
        "summary",
    }
    assert payload["baseline"] is None  # the fixture has no .conformance-baseline.json
    # No other package of kata imports its data layer: db-importers-intact is unchecked.
    assert {entry["status"] for entry in payload["rules"]} == {"fail", "pass", "unchecked"}
    assert set(payload["rules"][0]) == {"id", "status", "inspected", "reason", "optional", "note"}
    first = payload["findings"][0]
    assert set(first) == {"rule", "path", "git_path", "line", "message", "fixable"}
    assert first["fixable"] is True  # the compose service removal has a fix
    summary = payload["summary"]
    assert summary["findings"] == len(payload["findings"])
    assert summary["rules"] == 18
    pg = [
        {key: value for key, value in f.items() if key != "git_path"}  # see test_ci_paths.py
        for f in payload["findings"]
        if f["message"].endswith('"pg" in dependencies')
    ]
    assert pg == [
        {
            "rule": "no-postgres-dependencies",
            "path": "packages/db/package.json",
            "line": 21,
            "message": 'the Postgres/Drizzle stack must be removed: "pg" in dependencies',
            "fixable": True,
        }
    ]


def test_text_format_groups_by_file_and_summarises(cli):
    code, out, err = cli("check", str(FIXTURES / "kata-half"))
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("containers/docker-compose.yml:18: no-postgres-service ")
    assert lines[1] == ""
    assert lines[-1] == (
        "16 findings in 9 files: 12 of 18 rules failed, 1 unchecked (convex-adoption)"
    )


def test_clean_repo_exits_zero(cli):
    code, out, _ = cli("check", str(FIXTURES / "kata-after"))
    assert code == 0
    assert out.endswith(
        "No findings, but 1 of 18 rules had nothing to check; 17 pass; the run passes (convex-adoption)\n"
    )


def test_contract_by_name_needs_no_config(tree, cli):
    root = tree({"packages/db/package.json": '{"dependencies": {"pg": "1"}}'})
    code, out, _ = cli("check", str(root), "--contract", "convex-adoption")
    assert code == 1
    assert "packages/db/package.json:1: no-postgres-dependencies" in out


def test_select_and_ignore(check_json):
    _, payload = check_json(BEFORE, "--select", "db-*-script")
    assert {f["rule"] for f in payload["findings"]} == {
        "db-dev-script",
        "db-deploy-script",
        "db-codegen-script",
    }
    assert payload["summary"]["rules"] == 3
    _, payload = check_json(BEFORE, "--ignore", "no-postgres-*,active-docs-baseline")
    rules = {f["rule"] for f in payload["findings"]}
    assert not rules & {"no-postgres-dependencies", "no-postgres-imports", "no-postgres-service"}
    assert "active-docs-baseline" not in rules and "convex-dependency" in rules


def test_usage_errors_exit_2_with_one_line(cli, tmp_path):
    for argv, expected in [
        (("check", str(tmp_path / "missing")), "does not exist"),
        (("check", BEFORE, "--select", "no-such-rule"), "no rule matches `no-such-rule`"),
        (("check", BEFORE, "--format", "xml"), "invalid choice: 'xml'"),
        (("check", str(tmp_path)), "no conformance.yaml"),
        (("check", BEFORE, "--contract", "convex-adoptin"), "did you mean `convex-adoption`"),
        (("check", BEFORE, "--param", "packge=x"), "--param packge"),
        (("explain", "no-such-rule"), "unknown rule or rule kind `no-such-rule`"),
        (("frobnicate",), "invalid choice"),
    ]:
        code, out, err = cli(*argv)
        assert code == 2, argv
        assert out == ""
        assert err.count("\n") == 1 and expected in err, err


def test_list_shows_contracts_and_rules(cli):
    code, out, _ = cli("list")
    assert code == 0
    assert out.startswith("convex-adoption: ")
    assert "convex-cli-no-config-flag" in out
    assert "param package = discovered: the package holding the data layer" in out
    assert "param convex_version = '^1.48.0'" in out


def test_explain_uses_the_rule_and_kind_docs(cli):
    code, out, _ = cli("explain", "convex-cli-no-config-flag")
    assert code == 0
    assert "unknown option '--config'" in " ".join(out.split())  # the rule's why
    assert "No script (or none of the named ones" in out  # the kind's docstring
    assert "How to fix:" in out


def test_explain_finds_rules_of_the_repo_config(tree, cli):
    root = tree(
        {
            "conformance.yaml": "rules:\n  - id: no-env\n    kind: path-absent\n    paths: .env\n"
            "    message: m\n    why: Secrets do not belong in git.\n"
        }
    )
    code, out, _ = cli("explain", "no-env", str(root))
    assert code == 0 and "Secrets do not belong in git." in out


def test_console_script_runs_as_module():
    result = subprocess.run(
        [sys.executable, "-m", "conformance", "check", BEFORE, "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert json.loads(result.stdout)["summary"]["findings"] == 32


def test_json_report_is_one_finding_per_line_and_the_same_data(cli):
    import json

    from conformance.formats import readable_json

    _, out, _ = cli("check", BEFORE, "--format", "json")
    payload = json.loads(out)
    assert json.loads(readable_json(payload)) == payload
    finding_lines = [line for line in out.splitlines() if line.startswith('    {"rule": ')]
    assert len(finding_lines) == len(payload["findings"])
    assert readable_json({"a": [], "b": {}, "c": [1, {"d": None}]}) == (
        '{\n  "a": [],\n  "b": {},\n  "c": [\n    1,\n    {"d": null}\n  ]\n}'
    )
