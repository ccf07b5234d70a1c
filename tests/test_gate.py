"""CI-gate outputs (github, sarif, junit, --output) and waivers (active, expired, stale)."""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest
from conftest import FIXTURES

HALF = str(FIXTURES / "kata-half")


@pytest.fixture
def half(fixture_copy) -> str:
    """kata-half outside any git repository: CI paths relative to the folder checked."""
    return str(fixture_copy("kata-half"))


FUTURE = (datetime.date.today() + datetime.timedelta(days=365)).isoformat()
PAST = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()


def test_github_annotations(cli, half):
    code, out, _ = cli("check", half, "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert (
        "::error file=containers/docker-compose.yml,line=18,title=no-postgres-service::"
        'the Postgres compose service must be removed: service "database" (image postgis/postgis%3A16-3.4)'
        not in lines
    )  # message data escapes only %, CR and LF; properties also escape : and ,
    assert (
        "::error file=containers/docker-compose.yml,line=18,title=no-postgres-service::"
        'the Postgres compose service must be removed: service "database" (image postgis/postgis:16-3.4)'
    ) in lines
    assert "::error file=packages/db/convex/http.ts,title=convex-project-files::" in out
    assert lines[-1] == "conformance: 16 findings, 0 waived, 12 of 18 rules failed, 1 unchecked"


def test_github_escaping():
    from conformance.formats import _command

    assert _command("error", "a,b:c.md", 3, "r", "50% done\nnext") == (
        "::error file=a%2Cb%3Ac.md,line=3,title=r::50%25 done%0Anext"
    )


def test_sarif_structure(cli, half):
    code, out, _ = cli("check", half, "--format", "sarif")
    assert code == 1
    document = json.loads(out)
    assert document["version"] == "2.1.0"
    assert document["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    [run] = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules][:3] == [
        "convex-dependency",
        "db-dev-script",
        "db-deploy-script",
    ]
    assert (
        "unknown option '--config'"
        in next(r for r in rules if r["id"] == "convex-cli-no-config-flag")["help"]["text"]
    )
    assert len(run["results"]) == 16
    result = next(r for r in run["results"] if r["ruleId"] == "no-postgres-service")
    assert rules[result["ruleIndex"]]["id"] == "no-postgres-service"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "containers/docker-compose.yml"
    assert location["region"] == {"startLine": 18}


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    """The official SARIF 2.1.0 schema, as shipped in the npm package @microsoft/jest-sarif."""
    cache = Path.home() / ".cache" / "conformance-tests" / "sarif"
    schema = cache / "package/lib/schemas/sarif-2.1.0-rtm.5.json"
    if not schema.exists():
        if shutil.which("npm") is None:
            pytest.skip(
                "SKIPPED: npm is not installed — SARIF output NOT validated against its schema"
            )
        cache.mkdir(parents=True, exist_ok=True)
        packed = subprocess.run(
            ["npm", "pack", "@microsoft/jest-sarif@1.0.0-beta.0", "--silent"],
            cwd=cache,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if packed.returncode != 0:
            pytest.skip(
                "SKIPPED: npm registry unreachable — SARIF output NOT validated against its schema"
            )
        with tarfile.open(cache / packed.stdout.strip().splitlines()[-1]) as archive:
            archive.extractall(cache, filter="data")
    return json.loads(schema.read_text())


def test_sarif_validates_against_the_official_schema(cli, sarif_schema, tree):
    root = tree(
        {
            "conformance.yaml": "contracts: [convex-adoption]\nwaivers:\n"
            "  - rule: no-postgres-service\n    reason: dropped in KAT-160\n"
            "  - rule: db-dev-script\n    reason: stale one\n"
        }
    )
    _, out, _ = cli("check", str(root), "--format", "sarif")
    jsonschema.Draft7Validator(sarif_schema).validate(json.loads(out))


def test_junit_structure(cli, tmp_path, half):
    report = tmp_path / "out" / "junit.xml"
    report.parent.mkdir()
    code, out, _ = cli("check", half, "--format", "junit", "--output", str(report))
    assert (code, out) == (1, "")
    suites = ElementTree.parse(report).getroot()
    [suite] = suites.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("18", "12")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    failure = cases["convex-cli-no-config-flag"].find("failure")
    assert failure.get("message") == "2 findings"
    assert "packages/db/package.json:12: " in failure.text
    assert cases["convex-dependency"].find("failure") is None


def test_output_to_an_unwritable_place(cli, tmp_path):
    code, _, err = cli("check", HALF, "--output", str(tmp_path / "missing" / "x.txt"))
    assert code == 2 and "cannot write the report" in err


def waived_repo(tree, waivers: str):
    config = "contracts: [{contract: convex-adoption, parameters: {package: packages/db}}]\n"
    return tree({"conformance.yaml": config + "waivers:\n" + waivers})


def test_active_waiver_sets_findings_aside(tree, cli):
    root = waived_repo(
        tree,
        f"  - rule: convex-project-files\n    path: packages/db/**\n"
        f"    reason: scaffolded in KAT-161\n    expires: {FUTURE}\n",
    )
    code, out, _ = cli("check", str(root), "--select", "convex-project-files")
    assert code == 0
    assert "packages/db/convex.json: convex-project-files waived: " in out
    assert out.endswith("The 1 rule passes, 3 waived (convex-adoption)\n")


def test_expired_waiver_fails_and_says_so(tree, cli):
    root = waived_repo(
        tree,
        f"  - rule: convex-project-files\n    reason: was due last sprint\n    expires: {PAST}\n",
    )
    code, out, _ = cli("check", str(root), "--select", "convex-project-files")
    assert code == 1
    assert (
        f"conformance.yaml:3: error: waiver for convex-project-files expired on {PAST}: was due last sprint"
        in out
    )
    assert (
        "packages/db/convex.json: convex-project-files the Convex baseline file is missing" in out
    )


def test_stale_waivers_are_reported_without_failing(tree, cli):
    root = waived_repo(
        tree,
        "  - rule: kept-compose-services\n    path: nowhere.yml\n    reason: old\n"
        "  - rule: no-such-rule\n    reason: typo\n"
        "  - rule: db-dev-script\n    reason: not checked this time\n",
    )
    code, out, _ = cli("check", str(root), "--select", "kept-compose-services")
    # No compose file: the optional rule is unchecked, which does not fail the run.
    assert code == 0
    assert "unchecked (optional): kept-compose-services: " in out
    assert (
        "conformance.yaml:3: warning: waiver for kept-compose-services matches no finding (stale)"
        in out
    )
    assert "conformance.yaml:6: warning: waiver for no-such-rule matches no finding (stale)" in out
    assert "db-dev-script" not in out  # not selected, so not stale


def test_waivers_in_json_and_in_pytest(tree, check_json, tmp_path):
    root = waived_repo(
        tree,
        "  - rule: convex-project-files\n    reason: later\n",
    )
    _, payload = check_json(str(root), "--select", "convex-project-files")
    assert payload["findings"] == [] and len(payload["waived"]) == 3
    assert payload["waived"][0]["waiver"] == {
        "rule": "convex-project-files",
        "path": None,
        "reason": "later",
        "expires": None,
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--conformance={root}",
            "-k",
            "convex-project-files",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert "1 passed" in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("waivers", "error"),
    [
        ("  - rule: convex-dependency\n", "conformance.yaml:3: waivers[0]: missing key `reason`"),
        (
            "  - rule: convex-dependency\n    reason: x\n    expires: soon\n",
            "conformance.yaml:5: waivers[0].expires: `soon` is not a date (YYYY-MM-DD)",
        ),
        (
            "  - rule: convex-dependency\n    reasn: x\n",
            "conformance.yaml:4: waivers[0]: unknown key `reasn` (did you mean `reason`?)",
        ),
    ],
)
def test_bad_waivers(tree, cli, waivers, error):
    root = waived_repo(tree, waivers)
    code, _, err = cli("check", str(root))
    assert code == 2 and err == f"conformance: error: {error}\n"


def test_inline_suppressions_need_a_reason_and_are_reported_when_unused(tree, cli):
    """`conformance-ignore RULE: why` on a finding's line or the one above sets it aside; one
    without a reason sets nothing aside, and one matching no finding is reported (as RUF100)."""
    root = tree(
        {
            "c.yaml": "name: t\ndescription: d\nrules:\n  - id: no-todo\n    kind: text-absent\n"
            "    files: 'docs/*.md'\n    phrases: [TODO]\n    message: m\n    why: w\n",
            "docs/a.md": "TODO one\n<!-- conformance-ignore no-todo: quoted from the old plan -->\n"
            "TODO two\nTODO three  <!-- conformance-ignore no-todo -->\n\n"
            "<!-- conformance-ignore no-todo: nothing below -->\nfine\n",
        }
    )
    code, out, _ = cli("check", str(root), "--contract", str(root / "c.yaml"), "--format", "json")
    payload = json.loads(out)
    assert code == 1
    assert [(f["path"], f["line"]) for f in payload["findings"]] == [
        ("docs/a.md", 1),
        ("docs/a.md", 4),
    ]
    assert [(w["line"], w["waiver"]["reason"]) for w in payload["waived"]] == [
        (3, "conformance-ignore: quoted from the old plan")
    ]
    assert payload["remarks"] == [
        {
            "path": "docs/a.md",
            "git_path": None,  # not in a git work tree
            "line": 4,
            "message": "conformance-ignore no-todo needs a reason (`: why`); it sets nothing aside",
        },
        {
            "path": "docs/a.md",
            "git_path": None,  # not in a git work tree
            "line": 6,
            "message": "conformance-ignore no-todo matches no finding (unused); remove it",
        },
    ]
