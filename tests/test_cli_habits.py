"""What ruff, pytest and eslint users expect of a command line: --version, help for the bare
command and for every option, colour at a terminal only (NO_COLOR, FORCE_COLOR), --quiet,
--exit-zero, --statistics, `check --fix`/`--diff`, "did you mean", `explain KIND`, `list PATH`
and `list --format json`, "1 finding" not "1 findings", and a progress line on a terminal."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from importlib import metadata

import pytest
from conftest import FIXTURES, ROOT, git, init_git

from conformance import __version__, engine, terminal
from conformance.cli import build_parser, version_text

BEFORE = str(FIXTURES / "kata-before")
AFTER = str(FIXTURES / "kata-after")
HALF = str(FIXTURES / "kata-half")
ESC = "\x1b["


def command(*argv: str, env: dict[str, str] | None = None, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "conformance", *argv],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        **kwargs,
    )


def in_pty(*argv: str, env: dict[str, str] | None = None, stream: str = "stdout"):
    """`python -m conformance ARGV` with `stream` (stdout or stderr) a terminal (a pty), the
    other a pipe; returns (exit code, what the terminal got, what the pipe got)."""
    leader, follower = pty.openpty()
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, stream: follower}
    child = subprocess.Popen(
        [sys.executable, "-m", "conformance", *argv],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        **pipes,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    other = (child.stderr if stream == "stdout" else child.stdout).read()
    code = child.wait()
    # A pty turns "\n" into "\r\n" on the way out.
    return code, seen.decode().replace("\r\n", "\n"), other.decode()


# --version, the bare command, help ---------------------------------------------------------


def test_version_is_the_installed_distributions(monkeypatch):
    def installed(name):
        assert name == "repo-conformance"
        return "7.8.9"

    monkeypatch.setattr(metadata, "version", installed)
    assert version_text() == "conformance 7.8.9"


def test_version_from_a_source_tree_says_so(monkeypatch):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    folder = ROOT / "conformance"
    assert version_text() == f"conformance {__version__} (not installed: {folder})"


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_flag_prints_one_line_and_exits_0(flag):
    done = command(flag)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(f"conformance {__version__}") and done.stdout.count("\n") == 1


def test_the_bare_command_prints_help_on_stderr_and_exits_2():
    done = command()
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == build_parser().format_help()
    assert done.stderr.startswith("usage: conformance [-h] [-V] COMMAND ...")
    assert "Traceback" not in done.stderr


def parsers():
    parser = build_parser()
    (commands,) = [a for a in parser._actions if a.dest == "command"]
    return [("conformance", parser), *commands.choices.items()]


@pytest.mark.parametrize(("name", "parser"), parsers(), ids=[name for name, _ in parsers()])
def test_every_option_and_command_has_help(name, parser):
    undocumented = [
        action.option_strings or action.dest for action in parser._actions if not action.help
    ]
    assert undocumented == []
    if name == "conformance":
        (commands,) = [a for a in parser._actions if a.dest == "command"]
        assert all(choice.help for choice in commands._choices_actions)


def test_format_help_names_every_format():
    help_text = " ".join(command("check", "--help").stdout.split())
    assert (
        "--format {text,json,github,sarif,junit,html} report format: text (for people, the "
        "default), json (for scripts), github (workflow annotations), sarif (code scanning), "
        "junit (test reports), html (one page to look at)" in help_text
    )


# Colour ---------------------------------------------------------------------------------------

HALF_FIRST = (
    "\x1b[1mcontainers/docker-compose.yml:18\x1b[0m: \x1b[1;31mno-postgres-service\x1b[0m the "
    'Postgres compose service must be removed: service "database" (image postgis/postgis:16-3.4)'
)
HALF_LAST = (
    "\x1b[1;31m16 findings in 9 files: 12 of 18 rules failed, 1 unchecked (convex-adoption)\x1b[0m"
)


def test_force_color_paints_the_text_report(cli, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    code, out, _ = cli("check", HALF)
    lines = out.splitlines()
    assert (code, lines[0], lines[-1]) == (1, HALF_FIRST, HALF_LAST)
    assert (
        "\x1b[2munchecked (optional): db-importers-intact: nothing to check: no other package "
        "imports @kata/db\x1b[0m\n" in out
    )
    # Without the escapes, the very report a pipe gets.
    monkeypatch.delenv("FORCE_COLOR")
    assert cli("check", HALF)[1] == terminal_free(out)


def terminal_free(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_a_passing_verdict_is_green(cli, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, out, _ = cli("check", AFTER)
    assert out.splitlines()[-1] == (
        "\x1b[1;32mNo findings, but 1 of 18 rules had nothing to check; 17 pass; the run passes "
        "(convex-adoption)\x1b[0m"
    )


@pytest.mark.parametrize("value", ["1", "0", "false"])  # any non-empty value
def test_no_color_wins_over_force_color(cli, monkeypatch, value):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("NO_COLOR", value)
    assert ESC not in cli("check", HALF)[1]


def test_an_empty_no_color_does_not_count(cli, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("NO_COLOR", "")
    assert ESC in cli("check", HALF)[1]


@pytest.mark.parametrize("fmt", ["json", "github", "sarif", "junit"])
def test_never_colour_in_machine_formats(cli, monkeypatch, fmt):
    monkeypatch.setenv("FORCE_COLOR", "1")
    code, out, _ = cli("check", HALF, "--format", fmt)
    assert code == 1 and ESC not in out


def test_never_colour_in_a_written_report(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("FORCE_COLOR", "1")
    report = tmp_path / "report.txt"
    assert cli("check", HALF, "--output", str(report))[:2] == (1, "")
    assert ESC not in report.read_text() and "16 findings in 9 files" in report.read_text()


def test_colour_at_a_terminal_and_not_in_a_pipe():
    code, shown, _ = in_pty("check", HALF)
    assert code == 1 and shown.splitlines()[0] == HALF_FIRST
    code, shown, _ = in_pty("check", HALF, env={"NO_COLOR": "1"})
    assert code == 1 and ESC not in shown and shown.startswith("containers/docker-compose.yml:18")
    code, shown, _ = in_pty("check", HALF, env={"TERM": "dumb"})
    assert ESC not in shown
    piped = command("check", HALF)
    assert ESC not in piped.stdout
    assert command("check", HALF, env={"FORCE_COLOR": "1"}).stdout.splitlines()[0] == HALF_FIRST


def test_fix_dry_run_colours_the_diff_and_statuses(cli, monkeypatch):
    plain = cli("fix", "--dry-run", BEFORE)[1]
    monkeypatch.setenv("FORCE_COLOR", "1")
    painted = cli("fix", "--dry-run", BEFORE)[1]
    assert terminal_free(painted) == plain
    assert "\x1b[1;31mremove\x1b[0m    packages/db/src/migrate.ts  [drizzle-scaffold-removed]" in (
        painted
    )
    assert '\x1b[32m+    "convex": "^1.48.0"\x1b[0m\n' in painted


# --quiet, --exit-zero, --statistics --------------------------------------------------------------


def test_quiet_prints_only_findings(cli, check_json):
    _, payload = check_json(BEFORE)
    code, out, err = cli("check", BEFORE, "--quiet")
    assert (code, err) == (1, "")
    located = [
        (f["path"] if f["line"] is None else f"{f['path']}:{f['line']}", f)
        for f in payload["findings"]
    ]
    expected = [f"{where}: {f['rule']} {f['message']}" for where, f in located]
    assert out.splitlines() == expected
    assert cli("check", AFTER, "-q") == (0, "", "")


def test_quiet_says_what_else_fails_the_run(tree, cli):
    root = tree(
        {
            "conformance.yaml": "rules:\n  - id: has-convex\n    kind: dependency-present\n"
            "    files: packages/*/package.json\n    names: convex\n    message: '{item}'\n"
            "    why: Convex is the data layer.\n"
        }
    )
    assert cli("check", str(root), "-q") == (
        1,
        "unchecked: has-convex: nothing to check: no file matches packages/*/package.json\n",
        "",
    )


def test_quiet_fix_dry_run_prints_the_diff_alone(cli):
    full = cli("fix", "--dry-run", BEFORE)[1]
    code, quiet, _ = cli("fix", "--dry-run", "--quiet", BEFORE)
    assert code == 1 and quiet.startswith("--- a/") and full.startswith(quiet)
    assert "dry run: nothing was written" not in quiet


def test_exit_zero_with_findings_but_not_on_errors(cli, monkeypatch):
    code, out, _ = cli("check", BEFORE, "--exit-zero")
    assert code == 0 and out.endswith(
        "32 findings in 14 files: 15 of 18 rules failed, 1 unchecked (convex-adoption)\n"
    )
    assert cli("fix", "--dry-run", "--exit-zero", BEFORE)[0] == 0
    assert cli("check", BEFORE, "--exit-zero", "--select", "nope")[0] == 2

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "run", broken)
    assert cli("check", BEFORE, "--exit-zero")[0] == 3


STATISTICS_HEAD = [
    "4  active-docs-baseline         [*] active docs still present Postgres/Drizzle as the "
    'baseline: "…"',
    "4  no-postgres-dependencies     [*] the Postgres/Drizzle stack must be removed: …",
]


def test_statistics_counts_findings_per_rule(cli, check_json):
    code, out, _ = cli("check", BEFORE, "--statistics")
    lines = out.splitlines()
    assert code == 1 and lines[:2] == STATISTICS_HEAD
    assert lines[-1] == "32 findings of 15 rules; [*] fixable with `conformance fix`"
    assert "1  env-example-convex           [*] … must document the Convex variables" in out
    _, payload = check_json(BEFORE)
    counts = {}
    for finding in payload["findings"]:
        counts[finding["rule"]] = counts.get(finding["rule"], 0) + 1
    code, out, _ = cli("check", BEFORE, "--statistics", "--format", "json")
    rows = json.loads(out)
    assert {row["rule"]: row["count"] for row in rows} == counts
    assert [row["count"] for row in rows] == sorted(counts.values(), reverse=True)
    assert rows[0] == {
        "rule": "active-docs-baseline",
        "count": 4,
        "fixable": True,
        "message": 'active docs still present Postgres/Drizzle as the baseline: "…"',
    }


def test_statistics_grammar_and_a_clean_run(cli):
    assert cli("check", BEFORE, "--select", "convex-dependency", "--statistics")[1] == (
        "1  convex-dependency  [*] the Convex package must be a dependency: …\n"
        "1 finding of 1 rule; [*] fixable with `conformance fix`\n"
    )
    assert cli("check", AFTER, "--statistics") == (0, "No findings (18 rules checked)\n", "")


def test_statistics_is_text_or_json(cli):
    code, out, err = cli("check", BEFORE, "--statistics", "--format", "sarif")
    assert (code, out, err) == (
        2,
        "",
        "conformance: error: --statistics reports as text or json, not sarif\n",
    )


# check --fix / check --diff ---------------------------------------------------------------------


def test_check_diff_is_fix_dry_run(cli):
    assert cli("check", "--diff", BEFORE) == cli("fix", "--dry-run", BEFORE)


def test_check_fix_is_fix(cli, fixture_copy, tmp_path):
    trees = []
    outputs = []
    for argv in (["check", "--fix"], ["fix"]):
        root = fixture_copy("kata-before")
        init_git(root)
        outputs.append(cli(*argv, str(root)))
        trees.append({p.relative_to(root).as_posix(): p.read_bytes() for p in _files(root)})
        shutil.move(root, tmp_path / argv[-1])
    assert outputs[0] == outputs[1] and outputs[0][0] == 0
    assert trees[0] == trees[1]


def _files(root):
    return sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--fix", "--diff"], "--fix writes, --diff does not: give one of them"),
        (["--fix", "--format", "json"], "--format is for a check; --fix and --diff report as "),
        (["--diff", "--statistics"], "--statistics is for a check; --fix and --diff report as "),
        (["--force"], "--force is for --fix or --diff (or `fix`)"),
        (["--allow-dirty"], "--allow-dirty is for --fix or --diff (or `fix`)"),
    ],
)
def test_check_fix_options_that_do_not_go_together(cli, argv, error):
    code, out, err = cli("check", BEFORE, *argv)
    assert (code, out) == (2, "") and err.startswith(f"conformance: error: {error}")


# did you mean ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (
            ["check", BEFORE, "--select", "no-postgres-dependencie"],
            "--select: no rule matches `no-postgres-dependencie` "
            "(did you mean `no-postgres-dependencies`?)",
        ),
        (
            ["check", BEFORE, "--ignore", "db-dev-scrip"],
            "--ignore: no rule matches `db-dev-scrip` (did you mean `db-dev-script`?)",
        ),
        (
            ["fix", BEFORE, "--select", "convex-dependancy"],
            "--select: no rule matches `convex-dependancy` (did you mean `convex-dependency`?)",
        ),
        (
            ["explain", "no-postgres-dependencie"],
            "unknown rule or rule kind `no-postgres-dependencie` (did you mean "
            "`no-postgres-dependencies`?); `conformance list` shows them",
        ),
        (
            ["explain", "path-absnt"],
            "unknown rule or rule kind `path-absnt` (did you mean `path-absent`?); "
            "`conformance list` shows them",
        ),
        (
            ["explain", "--kind", "pathabsent"],
            "unknown rule kind `pathabsent` (did you mean `path-absent`?)",
        ),
    ],
)
def test_did_you_mean(cli, argv, error):
    assert cli(*argv) == (2, "", f"conformance: error: {error}\n")


# explain KIND ---------------------------------------------------------------------------------


def test_explain_a_rule_kind(cli):
    code, out, _ = cli("explain", "path-absent")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "path-absent  (rule kind)"
    assert "  No file or directory may match the listed paths (globs allowed)." in lines
    assert "  paths (required): path or list of paths" in lines
    assert "  delete: path or list of paths" in lines
    assert lines[-2:] == ["How to fix:", "  Delete the path (`git rm -r` when it is tracked)."]


def test_a_rule_id_comes_before_a_kind_of_the_same_name(tree, cli):
    root = tree(
        {
            "conformance.yaml": "rules:\n  - id: path-absent\n    kind: path-absent\n"
            "    paths: .env\n    message: m\n    why: Secrets do not belong in git.\n"
        }
    )
    code, out, _ = cli("explain", "path-absent", str(root))
    assert code == 0
    assert out.startswith("path-absent  (contract conformance.yaml, kind path-absent)\n")
    assert out.endswith(
        "\n(`path-absent` is also a rule kind: `conformance explain --kind path-absent` "
        "explains it)\n"
    )
    code, out, _ = cli("explain", "--kind", "path-absent", str(root))
    assert code == 0 and out.startswith("path-absent  (rule kind)\n")


# list -----------------------------------------------------------------------------------------


def test_list_as_json(cli):
    code, out, _ = cli("list", "--format", "json")
    payload = json.loads(out)
    assert code == 0
    assert [c["name"] for c in payload["contracts"]] == [
        "convex-adoption",
        "convex-auth",
        "convex-to-postgres",
        "prisma-to-convex",
    ]
    adoption = payload["contracts"][0]
    assert adoption["source"] == "<built-in>/convex-adoption.yaml"
    package = adoption["parameters"][0]
    assert (package["name"], package["origin"], package["value"]) == ("package", "discovered", None)
    assert package["discovered"].startswith("discovered: the package holding the data layer: ")
    (rule,) = [r for r in adoption["rules"] if r["id"] == "convex-cli-no-config-flag"]
    assert rule["kind"] == "script-forbidden" and "unknown option '--config'" in rule["why"]
    assert "path-absent" in payload["rule_kinds"]


LOCAL_CONTRACT = """\
name: house-rules
description: What this repository decided for itself. And more.
parameters:
  secrets:
    default: .env
    description: The secrets file.
rules:
  - id: no-secrets
    kind: path-absent
    paths: ${secrets}
    message: "{item}"
    why: Secrets do not belong in git.
"""


def test_list_a_repository_names_its_contracts_and_own_rules(tree, cli):
    root = tree(
        {
            "conformance.yaml": "contracts:\n  - contract: contracts/house.yaml\n"
            "    parameters: {secrets: .env.local}\n  - convex-auth\n"
            "rules:\n  - id: no-env\n    kind: path-absent\n    paths: .env\n"
            "    message: m\n    why: Keep env files out.\n",
            "contracts/house.yaml": LOCAL_CONTRACT,
        }
    )
    code, out, _ = cli("list", str(root))
    assert code == 0
    lines = out.splitlines()
    assert lines[:5] == [
        "house-rules: What this repository decided for itself.",
        "  from contracts/house.yaml",
        "  param secrets = '.env.local'",
        "        The secrets file.",
        f"  {'no-secrets':<28} {'path-absent':<24} Secrets do not belong in git.",
    ]
    assert "convex-auth: " in out
    assert lines[-4:] == [
        "conformance.yaml: the rules the repository's own config defines.",
        f"  {'no-env':<28} {'path-absent':<24} Keep env files out.",
        "",
        lines[-1],
    ]
    payload = json.loads(cli("list", str(root), "--format", "json")[1])
    assert [c["name"] for c in payload["contracts"]] == [
        "house-rules",
        "convex-auth",
        "conformance.yaml",
    ]
    assert payload["contracts"][0]["parameters"][0]["value"] == ".env.local"


def test_list_a_repository_without_a_config_names_init(cli, tmp_path):
    assert cli("list", str(tmp_path)) == (
        2,
        "",
        f"conformance: error: no conformance.yaml (nor [tool.conformance] in pyproject.toml) in "
        f"{tmp_path}; `conformance init {tmp_path}` writes one, or name a contract with --contract "
        "(built in: convex-adoption, convex-auth, convex-to-postgres, prisma-to-convex)\n",
    )


def test_the_missing_config_error_names_init(cli, tmp_path):
    code, _, err = cli("check", str(tmp_path))
    assert code == 2
    assert err.startswith(
        f"conformance: error: no conformance.yaml (nor [tool.conformance] in pyproject.toml) in "
        f"{tmp_path}; `conformance init {tmp_path}` writes one, or name a contract with --contract "
        "(built in: convex-adoption, "
    )


# 1 finding, 1 file, 1 rule --------------------------------------------------------------------

ONE_RULE = (
    "rules:\n  - id: no-env\n    kind: path-absent\n    paths: .env\n    message: '{item}'\n"
    "    why: Secrets do not belong in git.\n    fix: {delete: .env}\n"
)


def test_one_finding_in_one_file_of_one_rule(tree, cli):
    root = tree({"conformance.yaml": ONE_RULE, ".env": "SECRET=1\n"})
    code, out, _ = cli("check", str(root))
    assert code == 1
    assert out.splitlines()[-1] == "1 finding in 1 file: 1 of 1 rule failed (conformance.yaml)"
    _, out, _ = cli("check", str(root), "--format", "github")
    assert out.splitlines()[-1] == (
        "conformance: 1 finding, 0 waived, 1 of 1 rule failed, 0 unchecked"
    )
    _, out, _ = cli("check", str(root), "--format", "junit")
    assert '<failure message="1 finding" type="conformance">' in out
    init_git(root)
    code, out, _ = cli("fix", str(root))
    assert code == 0
    assert "1 path changed; checking again:\n" in out
    assert out.endswith("The 1 rule passes (conformance.yaml)\n")


def test_one_commit_checked(tree, cli):
    root = tree({"conformance.yaml": ONE_RULE})
    init_git(root)
    (root / ".env").write_text("SECRET=1\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "add env")
    code, out, _ = cli("check", str(root), "--rev", "HEAD~1..HEAD")
    assert code == 1 and out.startswith("HEAD~1..HEAD: 1 commit checked\n")


# Progress ---------------------------------------------------------------------------------------


def test_the_engine_reports_each_rule_to_a_callback(tree):
    from conformance.contract import load_rules
    from conformance.repo import RepoView

    heard = []
    rules = load_rules(FIXTURES / "kata-before")
    engine.run(rules, RepoView(FIXTURES / "kata-before"), lambda *step: heard.append(step))
    total = len(rules)
    assert heard == [
        (0, total, "listing files"),
        *((done, total, f"checking {rule.id}") for done, rule in enumerate(rules)),
    ]


def test_a_range_reports_each_commit_to_a_callback(tree):
    from conformance.contract import load_rules
    from conformance.history import check_range

    root = tree({"conformance.yaml": ONE_RULE})
    init_git(root)
    for name in ("a", "b"):
        (root / name).write_text(name)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", name)
    shorts = git(root, "log", "--reverse", "--format=%h", "HEAD~2..HEAD").split()
    heard = []
    check_range(root, load_rules(root), "HEAD~2..HEAD", progress=lambda *s: heard.append(s))
    assert heard == [
        (0, 3, "checking HEAD~2"),
        (1, 3, f"checking {shorts[0]}"),
        (2, 3, f"checking {shorts[1]}"),
    ]


SLOW_RUN = (
    "import sys, time\n"
    "from conformance import cli, engine, terminal\n"
    "terminal.Progress.DELAY = 0.05\n"
    "checked = engine.check_rule\n"
    "def slow(rule, repo):\n"
    "    time.sleep(0.03)\n"
    "    return checked(rule, repo)\n"
    "engine.check_rule = slow\n"
    "sys.exit(cli.main(sys.argv[1:]))\n"
)


def slow_check(*argv: str, stderr_tty: bool):
    """A check made slow (each rule 30 ms, the progress line after 50 ms), stderr a terminal
    or a pipe; returns (exit code, stdout, stderr)."""
    if stderr_tty:
        leader, follower = pty.openpty()
        child = subprocess.Popen(
            [sys.executable, "-c", SLOW_RUN, *argv],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=follower,
        )
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        os.close(leader)
        out = child.stdout.read().decode()
        return child.wait(), out, seen.decode()
    done = subprocess.run(
        [sys.executable, "-c", SLOW_RUN, *argv], cwd=ROOT, capture_output=True, text=True
    )
    return done.returncode, done.stdout, done.stderr


def test_a_slow_run_shows_progress_on_a_terminal_and_clears_it():
    code, out, err = slow_check("check", BEFORE, stderr_tty=True)
    assert code == 1 and out.endswith("(convex-adoption)\n") and ESC not in out
    assert "\r\x1b[Kconformance: checking " in err
    assert " of 18 done)" in err
    assert err.endswith("\r\x1b[K")  # cleared: the line is blank when the run ends


def test_no_progress_in_a_pipe_or_when_quiet():
    assert slow_check("check", BEFORE, stderr_tty=False)[2] == ""
    assert slow_check("check", BEFORE, "--quiet", stderr_tty=True)[2] == ""


def test_a_quick_run_shows_no_progress():
    # Over well before the one-second mark: nothing on the terminal at all.
    code, err, _ = in_pty("check", AFTER, stream="stderr")
    assert (code, err) == (0, "")


def test_progress_is_written_only_once_the_delay_passed(monkeypatch):
    import io
    import time

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(terminal.Progress, "DELAY", 10.0)
    stream = Terminal()
    with terminal.Progress(stream) as progress:
        progress.step(1, 2, "checking x")
    assert stream.getvalue() == ""
    monkeypatch.setattr(terminal.Progress, "DELAY", 0.0)
    stream = Terminal()
    with terminal.Progress(stream) as progress:
        progress.step(1, 2, "checking \x1b]0;x")  # a rule id is the repository's text
        time.sleep(0.3)
    # Drawn once (it did not change), escaped, then cleared.
    assert stream.getvalue() == "\r\x1b[Kconformance: checking \\x1b]0;x (1 of 2 done)\r\x1b[K"


def test_the_pytest_plugin_counts_one_finding_as_one():
    from conformance.pytest_items import ContractViolation

    assert [str(ContractViolation(["a"])), str(ContractViolation(["a", "b"]))] == [
        "1 finding",
        "2 findings",
    ]
