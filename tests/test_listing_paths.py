"""The listing that does not read git's index (tracked files kept under the index file's identity,
untracked ones walked, `git check-ignore --no-index`; conformance/listing.py) and git's full
listing (`CONFORMANCE_LISTING=full`) see the same repository: same reports, same files, same
changes for `--changed-since`, in every state of the index and the work tree the fast path could
get wrong. Each state is checked cold (the cache is filled) and warm (the cache answers)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, git, init_git

from conformance.history import changed_paths
from conformance.listing import LISTING_ENV
from conformance.repo import RepoView

# What the convex-adoption rules read in kata-before, and the config that defines them.
PREFIXES = ["packages/db", "docs", "README.md", "containers/docker-compose.yml", "conformance.yaml"]


def report(cli, root: Path, *argv: str) -> tuple[int, str, str]:
    return cli("check", str(root), "--format", "json", *argv)


def listing(root: Path) -> dict:
    """What a view lists below the rules' paths, and which of those it holds as symlinks."""
    view = RepoView(root)
    files = sorted({p for prefix in PREFIXES for p in [*view.glob(f"{prefix}/**"), prefix]})
    found = [p for p in files if view.exists(p)]
    return {"files": found, "links": sorted(view._listed_links)}


def cache_files(root: Path) -> list[str]:
    folder = Path(git(root, "rev-parse", "--absolute-git-dir").strip(), "conformance")
    return sorted(p.name.split("-")[0] for p in folder.glob("*.json")) if folder.exists() else []


def assert_same(
    cli, monkeypatch, root: Path, *argv: str, since: str | None = None, fast=("packages/db",)
) -> None:
    """Full listing, then the fast one twice (cold, then warm): the same report, the same
    files listed and, with `since`, the same changed paths. The warm run lists the `fast`
    folders without git's index (none: git's listing is expected)."""
    results = []
    for mode in ("full", "fast", "fast"):
        if mode == "full":
            monkeypatch.setenv(LISTING_ENV, "full")
        else:
            monkeypatch.delenv(LISTING_ENV, raising=False)
        seen = {"report": report(cli, root, *argv), "listing": listing(root)}
        if since is not None:
            seen["changed-since"] = report(cli, root, *argv, "--changed-since", since)
            try:
                seen["changed"] = sorted(changed_paths(root, since, PREFIXES, RepoView(root)))
            except Exception as error:  # a usage error, the same in both modes
                seen["changed"] = repr(error)
        results.append(seen)
    if fast:
        assert RepoView(root)._list_cached(list(fast)) is not None
    for seen in results[1:]:
        for key, value in results[0].items():
            assert (key, seen[key]) == (key, value)


@pytest.fixture
def kata(fixture_copy):
    root = fixture_copy("kata-before")
    init_git(root)
    return root


def test_the_fast_listing_is_used_and_kept_and_the_switch_turns_it_off(kata, cli, monkeypatch):
    monkeypatch.setenv(LISTING_ENV, "full")
    report(cli, kata)
    assert cache_files(kata) == []
    monkeypatch.delenv(LISTING_ENV)
    report(cli, kata)
    assert "listing" in cache_files(kata)
    assert RepoView(kata)._list_cached(["packages/db"]) is not None


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_every_fixture_as_a_git_repository(name, fixture_copy, cli, monkeypatch):
    root = fixture_copy(name)
    init_git(root)
    (root / "new-untracked.md").write_text("# new\n")
    assert_same(cli, monkeypatch, root, since="HEAD", fast=())


def test_no_commit_yet(fixture_copy, cli, monkeypatch):
    root = fixture_copy("kata-before")
    git(root, "init", "-q")
    assert_same(cli, monkeypatch, root, since="HEAD", fast=())  # no index: git's listing
    git(root, "add", "-A")  # staged, still no commit
    assert_same(cli, monkeypatch, root, since="HEAD")


def test_a_staged_new_file(kata, cli, monkeypatch):
    (kata / "packages/db/src/extra.ts").write_text('import pg from "pg";\n')
    git(kata, "add", "packages/db/src/extra.ts")
    assert_same(cli, monkeypatch, kata, since="HEAD")


def test_a_staged_and_an_unstaged_deletion(kata, cli, monkeypatch):
    git(kata, "rm", "-q", "packages/db/src/migrate.ts")
    (kata / "docs/PROJECT_PLAN.md").unlink()
    assert_same(cli, monkeypatch, kata, since="HEAD")


def test_force_added_ignored_files_committed_and_only_staged(kata, cli, monkeypatch):
    (kata / "packages/db/debug.log").write_text("DATABASE_URL=postgres://x\n")
    git(kata, "add", "-f", "packages/db/debug.log")
    git(kata, "commit", "-q", "-m", "force-add a log")
    (kata / "packages/db/dist").mkdir()
    (kata / "packages/db/dist/client.js").write_text('import pg from "pg";\n')
    git(kata, "add", "-f", "packages/db/dist/client.js")
    (kata / "packages/db/dist/other.js").write_text('import pg from "pg";\n')  # ignored
    assert_same(cli, monkeypatch, kata, since="HEAD")


def test_untracked_and_ignored_files_inside_a_rules_path(kata, cli, monkeypatch):
    (kata / "packages/db/src/new.ts").write_text('import { drizzle } from "drizzle-orm";\n')
    (kata / "packages/db/.env").write_text("DATABASE_URL=postgres://x\n")  # ignored
    (kata / "packages/db/coverage").mkdir()
    (kata / "packages/db/coverage/index.ts").write_text('import pg from "pg";\n')  # ignored
    (kata / "docs/untracked.md").write_text("PostgreSQL schema + Drizzle migrations\n")
    assert_same(cli, monkeypatch, kata, since="HEAD")


def test_git_rm_cached_of_an_ignored_and_of_a_plain_file(kata, cli, monkeypatch):
    with (kata / ".gitignore").open("a") as ignore:
        ignore.write("packages/db/src/client.ts\n")
    git(kata, "rm", "-q", "--cached", "packages/db/src/client.ts", "packages/db/src/migrate.ts")
    assert_same(cli, monkeypatch, kata, since="HEAD")


def test_a_renamed_file(kata, cli, monkeypatch):
    git(kata, "mv", "packages/db/src/migrate.ts", "packages/db/src/run-migrations.ts")
    (kata / "docs/PROJECT_PLAN.md").rename(kata / "docs/PLAN.md")
    assert_same(cli, monkeypatch, kata, since="HEAD")
    git(kata, "add", "-A")
    git(kata, "commit", "-q", "-m", "renames")
    assert_same(cli, monkeypatch, kata, since="HEAD~1")


def test_a_symlinked_folder(kata, cli, monkeypatch):
    shutil.move(kata / "docs", kata / "documentation")
    os.symlink("documentation", kata / "docs")
    assert_same(cli, monkeypatch, kata, since="HEAD")
    git(kata, "add", "-A")
    git(kata, "commit", "-q", "-m", "docs live in documentation/")
    assert_same(cli, monkeypatch, kata, since="HEAD~1")


def test_a_nested_gitignore(kata, cli, monkeypatch):
    (kata / "packages/db/.gitignore").write_text("drizzle/\n!drizzle/keep.sql\nscripts/*.mjs\n")
    (kata / "packages/db/drizzle/0001_more.sql").write_text("CREATE TABLE t (id int);\n")
    (kata / "packages/db/scripts/extra.mjs").write_text('import pg from "pg";\n')
    (kata / "docs/.gitignore").write_text("*.md\n")
    (kata / "docs/draft.md").write_text("PostgreSQL schema + Drizzle migrations\n")
    assert_same(cli, monkeypatch, kata, since="HEAD")


def test_a_nested_repository_inside_a_rules_path(kata, cli, monkeypatch):
    nested = kata / "packages/db/vendor"
    nested.mkdir()
    (nested / "index.ts").write_text('import pg from "pg";\n')
    git(nested, "init", "-q")
    assert_same(cli, monkeypatch, kata, since="HEAD")


def test_a_modified_file_and_one_changed_back(kata, cli, monkeypatch):
    plan = kata / "docs/PROJECT_PLAN.md"
    original = plan.read_text()
    plan.write_text(original + "\nPostgreSQL schema + Drizzle migrations\n")
    assert_same(cli, monkeypatch, kata, since="HEAD")
    git(kata, "add", "docs/PROJECT_PLAN.md")
    plan.write_text(original)  # staged a change, then undid it in the work tree
    assert_same(cli, monkeypatch, kata, since="HEAD")


def test_a_root_below_the_top_of_the_repository(kata, cli, monkeypatch):
    (kata / "packages/db/src/new.ts").write_text('import pg from "pg";\n')
    argv = ("--contract", "convex-adoption", "--param", "package=db")
    assert_same(cli, monkeypatch, kata / "packages", *argv, since="HEAD", fast=("db",))
    # The package as the root: its rules name `.`, which git lists whole.
    argv = ("--contract", "convex-adoption", "--param", "package=.")
    assert_same(cli, monkeypatch, kata / "packages/db", *argv, since="HEAD", fast=())


def test_a_stale_cache_is_not_read(kata, cli, monkeypatch):
    """The cache answers for the index it was written for only: `git add` rewrites the index."""
    monkeypatch.delenv(LISTING_ENV, raising=False)
    report(cli, kata)
    (kata / "packages/db/.env").write_text("DATABASE_URL=x\n")
    git(kata, "add", "-f", "packages/db/.env")
    assert_same(cli, monkeypatch, kata, since="HEAD")


def test_a_read_only_git_directory_keeps_nothing_and_lists_the_same(kata, cli, monkeypatch):
    git_dir = kata / ".git"
    git_dir.chmod(0o555)
    try:
        if os.access(git_dir, os.W_OK):
            pytest.skip("running as a user who writes anywhere (root)")
        assert_same(cli, monkeypatch, kata, since="HEAD", fast=())
        assert cache_files(kata) == []
    finally:
        git_dir.chmod(0o755)


def test_changed_since_names_both_sides_of_a_rename(kata):
    git(kata, "mv", "packages/db/src/migrate.ts", "packages/db/src/run.ts")
    expected = {"packages/db/src/migrate.ts", "packages/db/src/run.ts"}
    assert changed_paths(kata, "HEAD", PREFIXES) == expected
    assert changed_paths(kata, "HEAD", PREFIXES, RepoView(kata)) == expected
    (kata / "docs/new.md").write_text("new\n")
    (kata / "README.md").write_text("changed\n")
    expected |= {"docs/new.md", "README.md"}
    assert RepoView(kata).changed_since("HEAD", PREFIXES) == expected  # without git diff
    assert changed_paths(kata, "HEAD", PREFIXES) == expected


def test_cache_files_are_json_under_the_git_directory(kata, cli, monkeypatch):
    monkeypatch.delenv(LISTING_ENV, raising=False)
    report(cli, kata)
    folder = kata / ".git" / "conformance"
    for path in folder.iterdir():
        json.loads(path.read_text())
    assert git(kata, "status", "--porcelain") == ""


def test_a_change_of_mode_and_line_endings_git_normalizes(kata, cli, monkeypatch):
    (kata / "packages/db/scripts/migration-smoke.mjs").chmod(0o755)
    (kata / ".gitattributes").write_text("*.md text eol=lf\n")
    git(kata, "add", ".gitattributes")
    git(kata, "commit", "-q", "-m", "attributes")
    plan = kata / "docs/PROJECT_PLAN.md"
    plan.write_bytes(plan.read_bytes().replace(b"\n", b"\r\n"))  # the same blob for git
    # A change of mode only is left to `git diff`, which refreshes (rewrites) the index here:
    # the next run lists with git again.
    assert_same(cli, monkeypatch, kata, since="HEAD", fast=())
    assert "docs/PROJECT_PLAN.md" not in changed_paths(kata, "HEAD", PREFIXES, RepoView(kata))


def test_git_layout_variables_mean_no_cache(kata, cli, monkeypatch):
    """GIT_INDEX_FILE & co move the index away from where the cache looks: git lists."""
    monkeypatch.setenv("GIT_INDEX_FILE", str(kata / ".git/index"))
    (kata / "packages/db/src/new.ts").write_text('import pg from "pg";\n')
    assert_same(cli, monkeypatch, kata, since="HEAD", fast=())
    assert cache_files(kata) == []


def test_kept_file_facts_follow_the_file(kata, monkeypatch):
    """What a file holds is kept under its stat: a rewrite of the same size with its mtime put
    back still changes its ctime, and the file is read again."""
    monkeypatch.setattr("conformance.listing.RECENT_NS", 0)  # keep what was just written
    manifest = kata / "apps/gateway/package.json"
    text = manifest.read_text()
    needles = ['"@kata/db"']
    old = 1_700_000_000
    manifest.write_text(text.replace('"name"', '"nAme"'))
    os.utime(manifest, (old, old))
    view = RepoView(kata)
    before = view.files_holding(["apps/gateway/package.json"], needles)
    assert view.files_holding(["apps/gateway/package.json"], ['"nAme"']) == [
        "apps/gateway/package.json"
    ]
    assert RepoView(kata)._file_facts().facts  # kept (the file is older than two seconds)
    swapped = text.replace('"name"', '"nAme"').replace('"type": "module"', '"@kata/db": "mo"')
    assert len(swapped) == len(text.replace('"name"', '"nAme"'))
    manifest.write_text(swapped)
    os.utime(manifest, (old, old))
    after = RepoView(kata).files_holding(["apps/gateway/package.json"], needles)
    assert (before, after) == ([], ["apps/gateway/package.json"])
