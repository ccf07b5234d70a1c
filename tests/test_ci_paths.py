"""CI outputs name files as the CI system checked the repository out: relative to the git top
level when the folder checked is a subfolder of it (`conformance check services/kata`), so
GitHub's annotations and code-scanning alerts land on the pull request's files. SARIF passes
Microsoft's validator; JUnit says how long each rule took."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import FIXTURES, init_git

COMPOSE_LINE = (
    "line=18,title=no-postgres-service::the Postgres compose service must be removed: "
    'service "database" (image postgis/postgis:16-3.4)'
)
# A waiver naming a rule that finds nothing: reported stale, on conformance.yaml's line.
STALE = "waivers:\n  - rule: convex-dependency\n    reason: not needed any more\n"


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """kata-half as `services/kata` of a larger git repository (with a stale waiver)."""
    top = tmp_path / "monorepo"
    kata = Path(shutil.copytree(FIXTURES / "kata-half", top / "services" / "kata", symlinks=True))
    config = kata / "conformance.yaml"
    config.write_text(config.read_text() + STALE)
    (top / "README.md").write_text("other services live here\n")
    init_git(top)
    return kata


def stale_line(kata: Path) -> int:
    return kata.joinpath("conformance.yaml").read_text().splitlines().index("waivers:") + 2


def test_github_annotations_name_files_from_the_git_top_level(cli, monorepo):
    code, out, _ = cli("check", str(monorepo), "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert f"::error file=services/kata/containers/docker-compose.yml,{COMPOSE_LINE}" in lines
    assert (
        "::error file=services/kata/packages/db/convex/http.ts,title=convex-project-files::"
        "the Convex baseline file is missing: packages/db/convex/http.ts"
    ) in lines
    assert (
        f"::warning file=services/kata/conformance.yaml,line={stale_line(monorepo)},"
        "title=stale waiver::waiver for convex-dependency matches no finding (stale); "
        "remove it: not needed any more"
    ) in lines
    assert not [line for line in lines if "file=" in line and "file=services/kata/" not in line]


def test_github_annotations_when_the_folder_checked_is_the_top_level(cli, fixture_copy):
    root = fixture_copy("kata-half")
    init_git(root)
    _, out, _ = cli("check", str(root), "--format", "github")
    assert f"::error file=containers/docker-compose.yml,{COMPOSE_LINE}" in out.splitlines()


def test_sarif_uris_are_relative_to_the_git_top_level(cli, monorepo):
    code, out, _ = cli("check", str(monorepo), "--format", "sarif")
    assert code == 1
    [run] = json.loads(out)["runs"]
    top = monorepo.parent.parent.resolve()
    assert run["originalUriBaseIds"] == {
        "%SRCROOT%": {
            "uri": top.as_uri() + "/",
            "description": {"text": "the top level of the git work tree"},
        }
    }
    located = {
        (r["ruleId"], json.dumps(r["locations"][0]["physicalLocation"], sort_keys=True))
        for r in run["results"]
    }

    def where(uri: str, line: int) -> str:
        found = {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}}
        found["region"] = {"startLine": line}
        return json.dumps(found, sort_keys=True)

    assert ("no-postgres-service", where("services/kata/containers/docker-compose.yml", 18)) in (
        located
    )
    # A missing file, a whole file and a folder: placed on line 1.
    assert ("convex-project-files", where("services/kata/packages/db/convex/http.ts", 1)) in (
        located
    )
    assert (
        "drizzle-scaffold-removed",
        where("services/kata/packages/db/drizzle.config.ts", 1),
    ) in (located)
    assert ("drizzle-migrations-removed", where("services/kata/packages/db/migrations/", 1)) in (
        located
    )
    [stale] = run["invocations"][0]["toolExecutionNotifications"][:1]
    assert stale["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "services/kata/conformance.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": stale_line(monorepo)},
    }
    driver = run["tool"]["driver"]
    assert driver["informationUri"] == "https://pypi.org/project/repo-conformance/"
    names = {rule["id"]: rule.get("name") for rule in driver["rules"]}
    assert names["no-postgres-service"] == "NoPostgresService"
    assert all(name != rule_id for rule_id, name in names.items())


def test_sarif_outside_git_is_relative_to_the_folder_checked(cli, fixture_copy):
    root = fixture_copy("kata-half")
    _, out, _ = cli("check", str(root), "--format", "sarif")
    [run] = json.loads(out)["runs"]
    assert run["originalUriBaseIds"]["%SRCROOT%"] == {
        "uri": root.resolve().as_uri() + "/",
        "description": {"text": "the folder checked"},
    }
    result = next(r for r in run["results"] if r["ruleId"] == "no-postgres-service")
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact["uri"] == "containers/docker-compose.yml"


def test_junit_paths_and_times(cli, monorepo):
    code, out, _ = cli("check", str(monorepo), "--format", "junit")
    assert code == 1
    suites = ElementTree.fromstring(out)
    [suite] = suites.findall("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 18
    times = [float(case.get("time")) for case in cases]  # present and numeric
    assert all(time >= 0 for time in times)
    # The suite's time is the whole run: the listing, then every rule.
    assert float(suite.get("time")) >= sum(times) > 0
    assert float(suites.get("time")) == float(suite.get("time"))
    failure = next(c for c in cases if c.get("name") == "convex-cli-no-config-flag").find("failure")
    assert failure.text.splitlines()[:2] == [
        "services/kata/packages/db/package.json:12: the Convex CLI has no `--config` flag: "
        'script "db:dev" runs `convex dev --config ./convex.json`',
        "services/kata/packages/db/package.json:13: the Convex CLI has no `--config` flag: "
        'script "db:deploy" runs `convex deploy --config ./convex.json`',
    ]


def test_json_keeps_paths_relative_to_the_folder_checked_and_adds_git_path(
    check_json, monorepo, fixture_copy
):
    _, payload = check_json(str(monorepo))
    compose = next(f for f in payload["findings"] if f["rule"] == "no-postgres-service")
    assert (compose["path"], compose["git_path"]) == (
        "containers/docker-compose.yml",
        "services/kata/containers/docker-compose.yml",
    )
    assert all(f["git_path"] == "services/kata/" + f["path"] for f in payload["findings"])
    _, outside = check_json(str(fixture_copy("kata-half")))
    assert {f["git_path"] for f in outside["findings"]} == {None}


def test_text_keeps_paths_relative_to_the_folder_checked(cli, monorepo):
    _, out, _ = cli("check", str(monorepo))
    assert out.splitlines()[0].startswith("containers/docker-compose.yml:18: no-postgres-service ")


def multitool() -> Path:
    from npm_cache import npm_install, skip

    subject = "SARIF output"
    modules = npm_install(
        "sarif-multitool", ["@microsoft/sarif-multitool@5.7.0"], subject, "validated"
    )
    binary = modules / "@microsoft" / f"sarif-multitool-{sys.platform}" / "Sarif.Multitool"
    if not binary.is_file():
        skip(
            f"no Sarif.Multitool build for {sys.platform} in the npm package", subject, "validated"
        )
    binary.chmod(binary.stat().st_mode | 0o100)  # npm ran no install script to do it
    return binary


def sarif_validation(log: Path, tmp_path: Path) -> list[dict]:
    """What `Sarif.Multitool validate` says of a SARIF file with its SARIF rules and GitHub's
    (errors, warnings and notes); skipped loudly when the validator cannot be installed."""
    import subprocess

    binary = multitool()
    validation = tmp_path / "validation.sarif"
    options = [
        "--log",
        "ForceOverwrite",
        "--level",
        "Error;Warning;Note",
        "--rule-kind",
        "Sarif;Gh",
    ]
    run = subprocess.run(
        [str(binary), "validate", str(log), "--output", str(validation), *options],
        capture_output=True,
        text=True,
        timeout=300,
        env={"DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1", "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(validation.read_text())["runs"][0]["results"]


def test_sarif_passes_microsofts_validator(cli, monorepo, tmp_path):
    """`Sarif.Multitool validate` with its SARIF rules and GitHub's: no error, no warning (its
    notes are advice: numeric rule ids, help URIs, message ids, code snippets)."""
    config = monorepo / "conformance.yaml"
    config.write_text(  # a waived finding (a suppression) and an expired waiver too
        config.read_text()
        + "  - rule: no-postgres-service\n    reason: dropped in KAT-160\n"
        + "  - rule: no-sql-scripts\n    reason: old\n    expires: 2020-01-01\n"
    )
    log = tmp_path / "report.sarif"
    code, _, _ = cli("check", str(monorepo), "--format", "sarif", "--output", str(log))
    assert code == 1
    results = sarif_validation(log, tmp_path)
    serious = [
        f"{r['ruleId']}: {r['message'].get('text', r['message'].get('id'))}"
        for r in results
        if r.get("level", "warning") in ("error", "warning")
    ]
    assert serious == []
    seen = {r["ruleId"] for r in results}
    assert "SARIF2012" in seen  # the validator ran its rules (this note: no help URIs)
    assert not {"SARIF1001", "SARIF2017"} & seen


def test_the_prefix_found_without_git_is_gits_own(tmp_path, monkeypatch):
    """`git_prefix` looks for `.git` itself (no process); git must agree, in a nested
    repository, a linked worktree (`.git` is a file there), through a symlink, outside any."""
    import subprocess

    from conformance.repo import git_prefix

    def gits(folder: Path) -> str | None:
        shown = subprocess.run(
            ["git", "rev-parse", "--show-prefix"], cwd=folder, capture_output=True, text=True
        )
        return shown.stdout.strip("\n") if shown.returncode == 0 else None

    outer = tmp_path / "outer"
    (outer / "services/kata/src").mkdir(parents=True)
    (outer / "vendor/inner/lib").mkdir(parents=True)
    for repo in (outer, outer / "vendor/inner"):
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (outer / "README.md").write_text("x\n")
    subprocess.run(["git", "-C", str(outer), "add", "README.md"], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(outer),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "x",
        ],
        check=True,
    )
    subprocess.run(
        ["git", "-C", str(outer), "worktree", "add", "-q", str(tmp_path / "linked")], check=True
    )
    (tmp_path / "linked/deep").mkdir()
    (tmp_path / "alias").symlink_to(outer / "services")
    (tmp_path / "nowhere").mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    folders = [
        outer,
        outer / "services/kata/src",
        outer / "vendor/inner/lib",
        tmp_path / "linked/deep",
        tmp_path / "alias/kata",
    ]
    expected = ["", "services/kata/src/", "lib/", "deep/", "services/kata/"]
    assert [gits(folder) for folder in folders] == expected
    monkeypatch.delenv("GIT_CEILING_DIRECTORIES")
    assert [git_prefix(folder) for folder in folders] == expected
    assert git_prefix(tmp_path / "nowhere") is None
