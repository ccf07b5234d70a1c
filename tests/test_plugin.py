"""The pytest front-end: one item per rule, plain failures, same findings as the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, write_tree

import conformance
from conformance.contract import load_rules
from conformance.engine import run
from conformance.formats import text as render_text
from conformance.repo import RepoView

FINDING = re.compile(r"^\S+?(?::\d+)?: [a-z0-9._-]+ .+$")


def pytest_run(cwd, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def cli_lines(root) -> set[str]:
    text = render_text(run(load_rules(root), RepoView(root)))
    # Findings only: not the summary, nor what the report says about rules and parameters.
    said = ("note: ", "unchecked", "discovered: ", "not found: ")
    return {
        line
        for line in text.splitlines()
        if FINDING.match(line) and " rules " not in line and not line.startswith(said)
    }


def finding_lines(output: str) -> set[str]:
    return {
        line
        for line in output.splitlines()
        if FINDING.match(line) and not line.startswith(("FAILED", "why:"))
    }


def shown(path, cwd) -> str:
    """A path as pytest shows a node id: relative to where it runs, with `..` outside it."""
    return Path(os.path.relpath(path, cwd)).as_posix()


def test_items_are_collected_like_any_test(tmp_path):
    config = FIXTURES / "kata-half" / "conformance.yaml"
    result = pytest_run(tmp_path, f"--conformance={config.parent}", "--collect-only")
    assert result.returncode == 0, result.stdout + result.stderr
    ids = [line for line in result.stdout.splitlines() if "::" in line]
    assert ids[0] == f"{shown(config, tmp_path)}::convex-dependency"
    assert len(ids) == 18
    assert "18 tests collected" in result.stdout
    result = pytest_run(tmp_path, f"--conformance={config.parent}", "-v")  # the header: -q -v
    assert "collected 18 items" in result.stdout
    # -x stops at the first failed rule; -k selects rules by id.
    result = pytest_run(tmp_path, f"--conformance={config.parent}", "-x")
    assert result.stdout.splitlines()[-1].startswith("1 failed, 3 passed in ")
    result = pytest_run(tmp_path, f"--conformance={config.parent}", "-k", "no-sql-scripts")
    assert result.stdout.splitlines()[-1].startswith("1 failed, 17 deselected in ")


def failed_ids(output: str) -> list[str]:
    return [line.split()[1] for line in output.splitlines() if line.startswith("FAILED ")]


@pytest.mark.parametrize("inside", [True, False], ids=["target-is-cwd", "target-elsewhere"])
def test_a_printed_node_id_reruns_its_rule(fixture_copy, tmp_path, inside):
    root = fixture_copy("kata-half")
    cwd = root if inside else tmp_path / "runner"
    cwd.mkdir(exist_ok=True)
    target = "." if inside else str(root)
    first = failed_ids(pytest_run(cwd, f"--conformance={target}").stdout)
    assert len(first) == 12
    wanted = next(i for i in first if i.endswith("::no-sql-scripts"))
    assert wanted == f"{shown(root / 'conformance.yaml', cwd)}::no-sql-scripts"
    again = pytest_run(cwd, f"--conformance={target}", wanted)
    assert failed_ids(again.stdout) == [wanted], again.stdout + again.stderr
    assert again.stdout.splitlines()[-1].startswith("1 failed in ")


def test_last_failed_reruns_the_failed_rules(fixture_copy):
    root = fixture_copy("kata-half")
    run = [sys.executable, "-m", "pytest", "--conformance=."]
    subprocess.run(run, cwd=root, capture_output=True, check=False)
    again = subprocess.run([*run, "--lf"], cwd=root, capture_output=True, text=True, check=False)
    assert "collected 12 items\nrun-last-failure: rerun previous 12 failures\n" in again.stdout
    assert re.search(r"=+ 12 failed in [\d.]+s =+$", again.stdout.splitlines()[-1])


def test_node_ids_inside_the_target(tmp_path):
    result = pytest_run(
        FIXTURES / "kata-after",
        "--conformance",
        "--collect-only",
        f"--rootdir={FIXTURES / 'kata-after'}",
    )
    assert "conformance.yaml::active-docs-baseline" in result.stdout.splitlines()


def test_failures_are_plain_text_and_agree_with_the_cli(tmp_path):
    root = FIXTURES / "kata-half"
    result = pytest_run(tmp_path, f"--conformance={root}")
    assert result.returncode == 1
    assert "12 failed, 5 passed" in result.stdout
    assert "Traceback" not in result.stdout and "raise ContractViolation" not in result.stdout
    assert finding_lines(result.stdout) == cli_lines(root)
    assert (
        "why: The implementation plan proposes `convex dev --config ./convex.json`" in result.stdout
    )


def test_parallel_run_agrees(tmp_path):
    root = FIXTURES / "kata-before"
    result = pytest_run(tmp_path, f"--conformance={root}", "-n", "2")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "15 failed, 2 passed" in result.stdout
    assert finding_lines(result.stdout) == cli_lines(root)


def test_clean_repo_passes(tmp_path):
    result = pytest_run(tmp_path, f"--conformance={FIXTURES / 'kata-after'}")
    assert result.returncode == 0
    assert "17 passed" in result.stdout


TARGET = {
    # Leaves a mark when pytest imports it; pytest.ini's option does not exist.
    "conftest.py": "from pathlib import Path\nPath(__file__).with_name('imported').touch()\n",
    "pytest.ini": "[pytest]\naddopts = --definitely-not-an-option\n",
    "conformance.yaml": "rules:\n  - id: has-readme\n    kind: path-present\n"
    "    paths: README.md\n    message: m\n    why: w\n",
}


def test_a_target_elsewhere_is_collected_like_a_test_file(tmp_path):
    """Its conftest.py is imported, as for any test file pytest collects; its pytest.ini is
    not read (pytest finds its config from the directory it runs in and the paths on its
    command line: `--conformance` names none)."""
    target = write_tree(tmp_path / "target", TARGET)
    runner = tmp_path / "runner"
    runner.mkdir()
    result = pytest_run(runner, f"--conformance={target}")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "README.md: has-readme m: README.md" in result.stdout
    assert (target / "imported").exists()
    # A node id of the target on the command line is a path pytest finds its config from.
    nodeid = f"{shown(target / 'conformance.yaml', runner)}::has-readme"
    result = pytest_run(runner, f"--conformance={target}", nodeid)
    assert result.returncode == 4
    assert "unrecognized arguments: --definitely-not-an-option" in result.stderr


def test_the_target_as_working_directory_is_pytests_own_project(tmp_path):
    target = write_tree(tmp_path / "target", TARGET)
    result = pytest_run(target, "--conformance=.")
    assert result.returncode == 4
    assert "unrecognized arguments: --definitely-not-an-option" in result.stderr
    assert "inifile: " + str(target / "pytest.ini") in result.stderr


def test_conformance_repo_fixture_serves_custom_checks(tmp_path):
    target = FIXTURES / "kata-before"
    write_tree(
        tmp_path,
        {
            "test_custom.py": "def test_no_env_committed(conformance_repo):\n"
            "    repo = conformance_repo\n"
            "    assert repo.glob('**/.env') == []\n"
            "    assert 'pg' in repo.package_json('packages/db/package.json').data['dependencies']\n"
            "    services = [s.name for s in repo.compose_services('containers/docker-compose.yml')]\n"
            "    assert services == ['db', 'redis']\n"
        },
    )
    result = pytest_run(tmp_path, f"--conformance={target}", "test_custom.py", "-k", "custom")
    assert result.returncode == 0, result.stdout
    assert "1 passed, 18 deselected" in result.stdout


def test_the_plugin_defines_no_repo_fixture_and_loads_nothing_unused(tmp_path):
    write_tree(
        tmp_path,
        {
            "test_own.py": "import sys\n\n\ndef test_uses_repo(repo):\n    pass\n\n\n"
            "def test_nothing_of_the_engine_loaded():\n"
            "    assert 'conformance.contract' not in sys.modules\n"
        },
    )
    result = pytest_run(tmp_path, "test_own.py")
    assert result.returncode == 1
    assert "fixture 'repo' not found" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("1 passed, 1 error in ")


def test_ini_option_and_bad_contract(tmp_path):
    target = write_tree(tmp_path / "target", {"conformance.yaml": "contracts: [no-such]\n"})
    write_tree(tmp_path, {"pytest.ini": "[pytest]\nconformance = target\n"})
    result = pytest_run(tmp_path)
    # An error collecting the config, as pytest reports a test module that does not import.
    assert result.returncode == 2, result.stdout + result.stderr
    assert "ERROR collecting target/conformance.yaml" in result.stdout
    assert "\nconformance: conformance.yaml:1: unknown contract `no-such`" in result.stdout
    (target / "conformance.yaml").write_text("contracts: [convex-adoption]\n")
    result = pytest_run(tmp_path)
    assert result.returncode == 1
    assert "FAILED target/conformance.yaml::convex-dependency" in result.stdout


def test_missing_config_names_the_plugins_option(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = pytest_run(tmp_path, "--conformance=empty")
    assert result.returncode == 4
    assert result.stderr.startswith(
        f"ERROR: conformance: no conformance.yaml (nor [tool.conformance] in pyproject.toml) "
        f"in {empty}; `conformance init {empty}` writes one, or name a contract with "
        "--conformance-contract (built in: convex-adoption, "
    ), result.stderr
    result = pytest_run(
        tmp_path, "--conformance=empty", "--conformance-contract=convex-adoption", "-rf"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    contract = Path(conformance.__file__).parent / "contracts/convex-adoption.yaml"
    assert f"FAILED {shown(contract, tmp_path)}::convex-dependency" in result.stdout


@pytest.mark.parametrize(
    "name", ["convex-auth-before", "prisma-to-convex-before", "convex-to-postgres-before"]
)
def test_every_contract_agrees_with_the_cli(tmp_path, name):
    root = FIXTURES / name
    result = pytest_run(tmp_path, f"--conformance={root}", "-n", "2")
    assert result.returncode == 1, result.stdout + result.stderr
    assert finding_lines(result.stdout) == cli_lines(root)


@pytest.fixture(scope="module")
def old_pytest(tmp_path_factory) -> Path:
    """A virtual environment with pytest 6.2 and this package's plugin registered by its entry
    point, as installing the package there would (skipped when pytest 6 cannot be installed)."""
    venv = tmp_path_factory.mktemp("pytest6") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "pytest==6.2.5"]
    if subprocess.run(pip, capture_output=True, timeout=300, check=False).returncode:
        pytest.skip("pytest 6.2.5 cannot be installed here")
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    write_tree(
        Path(site),
        {
            "conformance-local.pth": f"{Path(conformance.__file__).parent.parent}\n",
            "repo_conformance-0.0.dist-info/METADATA": "Metadata-Version: 2.1\n"
            "Name: repo-conformance\nVersion: 0.0\n",
            "repo_conformance-0.0.dist-info/entry_points.txt": "[pytest11]\n"
            "conformance = conformance.plugin\n",
        },
    )
    return python


def test_pytest_6_runs_and_is_told_what_the_plugin_needs(old_pytest, tmp_path):
    write_tree(tmp_path, {"test_own.py": "def test_own():\n    pass\n"})
    run = [str(old_pytest), "-m", "pytest", "-p", "no:cacheprovider"]
    result = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "plugins: repo-conformance-0.0" in result.stdout
    assert "1 passed" in result.stdout
    result = subprocess.run(
        [*run, f"--conformance={FIXTURES / 'kata-after'}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 4
    assert result.stderr.strip() == (
        "ERROR: conformance: the pytest plugin needs pytest>=7.0; this is pytest 6.2.5 "
        "(pip install 'repo-conformance[pytest]')"
    )
