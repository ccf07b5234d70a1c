"""When git refuses to read the repository ("dubious ownership" in a CI container), the check
stops with git's reason (exit 2) instead of walking the disk and reporting ignored files; a
folder outside any repository is read from the disk, silently."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import init_git, write_tree

CONFIG = """\
rules:
  - id: no-logs
    kind: path-absent
    message: logs must not be kept
    why: logs hold secrets
    paths: ["*.log"]
"""


@pytest.fixture
def distrusted(monkeypatch, tmp_path: Path):
    """git as it runs on a work tree owned by someone else, with no `safe.directory` for it
    (git honours GIT_TEST_ASSUME_DIFFERENT_OWNER since 2.35.2; checked with 2.39)."""

    def distrust() -> None:
        empty = tmp_path / "empty.gitconfig"
        empty.write_text("", encoding="utf-8")
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
        monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")

    return distrust


def _repository(root: Path) -> Path:
    # The ignored log is no file of the repository: git never lists it.
    write_tree(root, {"conformance.yaml": CONFIG, ".gitignore": "*.log\n", "README.md": "x\n"})
    init_git(root)
    (root / "debug.log").write_text("token\n", encoding="utf-8")
    return root


def test_a_repository_git_refuses_is_a_usage_error_not_a_walk(cli, distrusted, tmp_path):
    root = _repository(tmp_path / "repo")
    assert cli("check", str(root)) == (0, "The 1 rule passes (conformance.yaml)\n", "")
    distrusted()
    code, out, err = cli("check", str(root))
    assert (code, out) == (2, "")
    assert err == (
        f"conformance: error: git cannot read {root}: detected dubious ownership in repository "
        f"at '{root}'; To add an exception for this directory, call; "
        f"git config --global --add safe.directory {root}\n"
    )


def test_a_refusal_is_seen_when_the_listing_was_kept_from_an_earlier_run(cli, distrusted, tmp_path):
    root = _repository(tmp_path / "repo")
    (root / "logs").mkdir()
    (root / "logs" / "old.log").write_text("x\n", encoding="utf-8")
    config = CONFIG.replace('["*.log"]', '["logs/*.log"]')
    (root / "conformance.yaml").write_text(config, encoding="utf-8")
    cli("check", str(root))  # keeps the tracked files of `logs` for the index as it is
    distrusted()
    code, _, err = cli("check", str(root))
    assert code == 2 and "detected dubious ownership" in err and err.count("\n") == 1


def test_outside_any_repository_the_disk_is_read_silently(cli, distrusted, tmp_path):
    root = write_tree(tmp_path / "plain", {"conformance.yaml": CONFIG, "debug.log": "x\n"})
    distrusted()
    code, out, err = cli("check", str(root))
    assert (code, err) == (1, "")
    assert out.startswith("debug.log: no-logs logs must not be kept: debug.log\n")
