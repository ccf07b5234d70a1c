from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def findings_of(root: Path, contracts: list[str] | None = None, **parameters) -> list[tuple]:
    """(path, line, rule, message) of every finding on `root`."""
    from conformance.contract import load_rules
    from conformance.engine import run
    from conformance.repo import RepoView

    report = run(load_rules(root, contracts, parameters), RepoView(root))
    return [(f.path, f.line, f.rule, f.message) for f in report.findings]


def assert_exact(found: list[tuple], expected: list[tuple]) -> None:
    """The same findings at the same places; each expected item is part of its message."""
    assert [(p, line, rule) for p, line, rule, _ in found] == [
        (p, line, rule) for p, line, rule, _ in expected
    ]
    for (*_, message), (*_, item) in zip(found, expected, strict=True):
        assert item in message


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def init_git(root: Path) -> None:
    git(root, "init", "-q")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "user.name", "test")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")


@pytest.fixture(scope="session")
def convex_node_modules() -> Path:
    """The real `convex` package (the version REAL_WORLD.md's facts were checked against),
    TypeScript 5 as the kata package pins it, and @types/node for `process`."""
    from npm_cache import npm_install

    packages = ["convex@~1.48.0", "typescript@5", "@types/node@22"]
    return npm_install("npm", packages, "the Convex code")


@pytest.fixture
def tree(tmp_path: Path):
    """Write files into a fresh directory: tree({"a/b.txt": "..."}) → root."""

    def make(files: dict[str, str | bytes]) -> Path:
        return write_tree(tmp_path / "repo", files)

    return make


@pytest.fixture
def fixture_copy(tmp_path: Path):
    """A copy of fixtures/NAME outside any git repository."""

    def copy(name: str) -> Path:
        return Path(shutil.copytree(FIXTURES / name, tmp_path / name, symlinks=True))

    return copy


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def check_json(cli):
    """`conformance check --format json`: returns (exit code, parsed payload)."""

    def run(*argv: str) -> tuple[int, dict]:
        code, out, err = cli("check", "--format", "json", *argv)
        assert code in (0, 1), err
        return code, json.loads(out)

    return run


@pytest.fixture(autouse=True)
def _no_colour_settings(monkeypatch):
    """The reports as a pipe gets them, whatever colour the shell running the tests asks for."""
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
