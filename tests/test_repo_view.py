"""The cached repo view: what counts as a repository file, and reading each file once."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from conftest import git, init_git, write_tree

from conformance import repo
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
    real = repo.read_file

    def spy(full, shown):
        reads[full] += 1
        return real(full, shown)

    monkeypatch.setattr(repo, "read_file", spy)
    view = RepoView(root)  # discovery and the rules share it
    report = run(load_rules(root, ["convex-adoption"], repo=view), view)
    assert report.findings
    assert reads[str(view.root / "packages/db/package.json")] == 1
    assert max(reads.values()) == 1


def test_git_is_not_needed_for_staged_deletions(git_repo):
    git(git_repo, "rm", "-q", "pkg/tracked.ts")
    assert not RepoView(git_repo).exists("pkg/tracked.ts")


# Searching file contents, and what the TypeScript scans keep ---------------------------------

SOURCES = {
    "src/db.ts": "export const prisma = new PrismaClient();\n",
    "src/other.ts": "export const x = 1;\n",
    "src/notes.md": "new PrismaClient() in prose\n",
    "node_modules/@prisma/client/index.ts": "new PrismaClient()\n",
}


def test_grep_searches_what_git_tracks_and_else_the_disk(tmp_path):
    outside = write_tree(tmp_path / "outside", SOURCES)
    pattern = r"new +PrismaClient\b"
    assert RepoView(outside).grep(pattern, (".ts",)) == ["src/db.ts"]
    inside = write_tree(tmp_path / "inside", SOURCES)
    init_git(inside)
    write_tree(inside, {"src/untracked.ts": "new PrismaClient()\n"})
    (inside / "src/other.ts").write_text("const c = new PrismaClient();\n")  # modified
    assert RepoView(inside).grep(pattern, (".ts",)) == ["src/db.ts", "src/other.ts"]
    from conformance.repo import GitTreeView

    # `--rev` greps the commit: neither the modification nor the untracked file is in it.
    assert GitTreeView(inside, "HEAD").grep(pattern, (".ts",)) == ["src/db.ts"]


def test_typescript_facts_are_kept_and_the_trees_are_not(tmp_path, monkeypatch):
    """An extraction announced for a file runs on the tree the first request parses; the
    facts stay, the tree goes, and an unreadable file is the same problem every time."""
    import conformance.typescript as ts
    from conformance.model import FileProblem

    root = write_tree(tmp_path / "repo", {"a.ts": "f(1); g(2);\n", "b.ts": b"\xff\xfe"})
    parsed: list[str] = []
    real = ts.parse
    monkeypatch.setattr(ts, "parse", lambda source, path="": parsed.append(path) or real(source))
    view = RepoView(root)

    def calls(repo, path, tree, key):
        return [ts.text(node) for node in ts.find(tree, "call_expression")]

    def count(repo, path, tree, key):
        return len(tree.root_node.children) + key

    view.expect_facts("a.ts", count, 10)
    assert view.typescript_facts("a.ts", calls) == ["f(1)", "g(2)"]
    assert view.typescript_facts("a.ts", count, 10) == 12
    assert view.typescript_facts("a.ts", calls) == ["f(1)", "g(2)"]
    assert parsed == ["a.ts"]
    assert ("a.ts", "typescript") not in view._documents
    for _ in range(2):
        with pytest.raises(FileProblem, match=r"not valid UTF-8"):
            view.typescript_facts("b.ts", calls)


def test_mentions_tests_words_then_the_regex(tmp_path):
    import re

    from conformance.repo import Needles

    root = write_tree(tmp_path / "repo", {"a.ts": 'import x from "@acme/prisma";\nprisma.y();\n'})
    view = RepoView(root)
    assert view.mentions("a.ts", ("prisma",))
    assert not view.mentions("a.ts", ("drizzle",))
    called = Needles(("prisma",), re.compile(r"prisma(?![\w$'\"/-])"))
    assert view.mentions("a.ts", called)
    (root / "a.ts").write_text('import x from "@acme/prisma";\n')
    assert view.mentions("a.ts", called)  # answered once per run
    assert not RepoView(root).mentions("a.ts", called)


def test_read_all_reads_past_the_size_a_stat_gave(tmp_path):
    """A file that grew since its stat is read whole, up to one byte over the limit."""
    import os

    from conformance.repo import MAX_FILE_BYTES, _read_all

    path = tmp_path / "grown.ts"
    path.write_bytes(b"0123456789" * 300_000)
    handle = os.open(path, os.O_RDONLY)
    try:
        assert _read_all(handle, 5) == b"0123456789" * 300_000
    finally:
        os.close(handle)
    path.write_bytes(b"x" * (MAX_FILE_BYTES + 5000))
    handle = os.open(path, os.O_RDONLY)
    try:
        assert len(_read_all(handle, 10)) == MAX_FILE_BYTES + 1
    finally:
        os.close(handle)
