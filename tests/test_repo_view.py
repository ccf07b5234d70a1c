"""The cached repo view: what counts as a repository file, and reading each file once."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from conftest import git, init_git, write_tree

from conformance.contract import load_rules
from conformance.engine import run
from conformance.repo import RepoView

FILES = {
    ".gitignore": "ignored/\n*.log\n",
    "pkg/tracked.ts": "x",
    "pkg/gone.ts": "x",
    "ignored/drizzle.config.ts": "x",
    "pkg/debug.log": "x",
    "node_modules/drizzle-kit/drizzle.config.ts": "x",
    "pkg/node_modules/pg/index.js": "x",
}


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "repo", FILES)
    # node_modules is deliberately not git-ignored: it must be skipped anyway.
    init_git(root)
    (root / "pkg/gone.ts").unlink()
    write_tree(root, {"pkg/untracked.ts": "x", "pkg/also-ignored.log": "x"})
    return root


def test_git_listing_is_tracked_plus_untracked_not_ignored(git_repo):
    view = RepoView(git_repo)
    assert view.glob("**", files_only=True) == [".gitignore", "pkg/tracked.ts", "pkg/untracked.ts"]
    assert view.exists("pkg") and view.is_dir("pkg")
    assert not view.exists("pkg/gone.ts")
    assert not view.exists("ignored/drizzle.config.ts")
    assert view.glob("**/drizzle.config.ts") == []


def test_git_listing_from_a_subdirectory(git_repo):
    view = RepoView(git_repo / "pkg")
    assert view.glob("*.ts") == ["tracked.ts", "untracked.ts"]


def test_walk_listing_outside_git(tmp_path):
    root = write_tree(tmp_path / "plain", FILES)
    view = RepoView(root)
    listed = view.glob("**", files_only=True)
    assert "pkg/gone.ts" in listed and "ignored/drizzle.config.ts" in listed
    assert not [path for path in listed if "node_modules" in path]


def test_walk_never_enters_node_modules(tmp_path, monkeypatch):
    root = write_tree(tmp_path / "plain", FILES)
    visited: list[str] = []
    real_walk = os.walk

    def spy(top, *args, **kwargs):
        for entry in real_walk(top, *args, **kwargs):
            visited.append(entry[0])
            yield entry

    monkeypatch.setattr(os, "walk", spy)
    RepoView(root).glob("**")
    assert visited and not [d for d in visited if "node_modules" in d]


def test_listing_is_limited_to_the_named_directories(git_repo, monkeypatch):
    calls: list[list[str]] = []
    view = RepoView(git_repo)
    real = view._list_git

    def spy(prefixes):
        calls.append(prefixes)
        return real(prefixes)

    monkeypatch.setattr(view, "_list_git", spy)
    view.prefetch(["pkg/src/a.ts", "pkg/**/*.ts", "docs/plan.md"])
    view.glob("pkg/tracked.ts")
    view.glob("docs/plan.md")
    assert calls == [["docs/plan.md", "pkg"]]
    view.glob("docs/*.md")
    view.glob("docs/**")
    assert calls[1:] == [["docs"]]


def test_each_file_is_read_once_per_run(fixture_copy, monkeypatch):
    root = fixture_copy("kata-before")
    reads: Counter[str] = Counter()
    real = Path.read_bytes

    def spy(self):
        reads[str(self)] += 1
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    view = RepoView(root)  # discovery and the rules share it
    report = run(load_rules(root, ["convex-adoption"], repo=view), view)
    assert report.findings
    assert reads[str(view.root / "packages/db/package.json")] == 1
    assert max(reads.values()) == 1


def test_git_is_not_needed_for_staged_deletions(git_repo):
    git(git_repo, "rm", "-q", "pkg/tracked.ts")
    assert not RepoView(git_repo).exists("pkg/tracked.ts")
