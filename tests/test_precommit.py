"""The pre-commit hook checks exactly what is being committed: git's index (`conformance hook`,
`GitIndexView`), with the rules the files pre-commit passes touch. The hook runs under the real
`pre-commit`, from this repository's .pre-commit-hooks.yaml."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, git, init_git

from conformance.model import FileProblem

PKG_JSON = "packages/db/package.json"
BIN = Path(sys.executable).parent
# What kata-before's `conformance check` says, its last line (the findings are compared whole).
KATA_BEFORE_SUMMARY = (
    "32 findings in 14 files: 15 of 18 rules failed, 1 unchecked (convex-adoption)"
)


def with_pg(text: str) -> str:
    """kata-after's package.json with the Postgres driver added back (a violation)."""
    return text.replace('"convex": "^1.48.0"', '"convex": "^1.48.0",\n    "pg": "^8.0.0"')


# The real pre-commit -----------------------------------------------------------------------


def hooks_config() -> str:
    """A .pre-commit-config.yaml running this repository's hooks as its manifest defines them,
    as local hooks of `language: system` with this virtualenv's `conformance`: `language:
    python` installs the hook repository with `pip install .`, which needs the package index
    (offline it fails, see /work/shared/REAL_WORLD.md)."""
    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hooks = []
    for hook in manifest:
        command, _, arguments = hook["entry"].partition(" ")
        entry = f"{shlex.quote(str(BIN / command))} {arguments}".strip()
        hooks.append({**hook, "entry": entry, "language": "system"})
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False)


@pytest.fixture
def precommit(tmp_path: Path):
    """Run pre-commit (or git, whose commit runs the installed hook) in a repository: returns
    (exit code, output)."""
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}

    def run(root: Path, *argv: str, tool: str = "pre-commit") -> tuple[int, str]:
        command = [str(BIN / "pre-commit")] if tool == "pre-commit" else ["git"]
        done = subprocess.run(
            [*command, *argv], cwd=root, env=env, capture_output=True, text=True, timeout=300
        )
        return done.returncode, done.stdout + done.stderr

    return run


def with_hooks(root: Path, precommit, *, install: bool = False) -> Path:
    """`root` with the hooks' config staged (and the git hook installed)."""
    (root / ".pre-commit-config.yaml").write_text(hooks_config())
    git(root, "add", ".pre-commit-config.yaml")
    if install:
        code, out = precommit(root, "install")
        assert code == 0, out
    return root


def new_repository(root: Path) -> None:
    git(root, "init", "-q")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "user.name", "test")


def hook_output(out: str) -> str:
    """What the `conformance` hook printed, from pre-commit's report of it."""
    _, _, rest = out.partition("- hook id: conformance\n")
    assert rest, out
    rest = rest.removeprefix("- exit code: 1\n").removeprefix("\n")
    # pre-commit ends it with a blank line, and may say it restored the unstaged changes.
    return rest.split("\n[INFO] Restored changes")[0].rstrip("\n") + "\n"


def test_all_files_reports_what_check_reports(fixture_copy, precommit, cli):
    root = fixture_copy("kata-before")
    init_git(root)
    with_hooks(root, precommit)
    _, expected, _ = cli("check", str(root))
    assert expected.endswith(KATA_BEFORE_SUMMARY + "\n")
    code, out = precommit(root, "run", "--all-files")
    assert code == 1
    assert out.startswith("conformance" + "." * 62 + "Failed\n")
    assert hook_output(out) == expected


def test_first_commit(fixture_copy, precommit):
    clean = fixture_copy("kata-after")
    new_repository(clean)
    with_hooks(clean, precommit, install=True)
    git(clean, "add", "-A")
    code, out = precommit(clean, "commit", "-q", "-m", "first", tool="git")
    assert code == 0, out
    assert out == "conformance" + "." * 62 + "Passed\n"
    assert git(clean, "log", "--format=%s") == "first\n"

    violating = fixture_copy("kata-before")
    new_repository(violating)
    with_hooks(violating, precommit, install=True)
    git(violating, "add", "-A")
    code, out = precommit(violating, "commit", "-q", "-m", "first", tool="git")
    assert code == 1
    # Every rule ran: conformance.yaml is among the files being committed.
    assert hook_output(out).endswith(KATA_BEFORE_SUMMARY + "\n")
    assert subprocess.run(["git", "rev-parse", "-q", "--verify", "HEAD"], cwd=violating).returncode


@pytest.fixture
def committed(fixture_copy, precommit):
    """kata-after (clean) committed, with the hooks installed."""
    root = fixture_copy("kata-after")
    init_git(root)
    with_hooks(root, precommit, install=True)
    git(root, "commit", "-q", "-m", "hooks")
    return root


def test_commit_checks_the_index_not_the_work_tree(committed, precommit):
    package = committed / PKG_JSON
    clean = package.read_text()

    # A violation only in the work tree (unstaged) does not block the staged, clean edit.
    package.write_text(clean.replace('"private": true', '"private": true,\n  "license": "MIT"'))
    git(committed, "add", PKG_JSON)
    staged = package.read_text()
    package.write_text(with_pg(staged))
    code, out = precommit(committed, "commit", "-q", "-m", "license", tool="git")
    assert code == 0, out
    assert package.read_text() == with_pg(staged)  # pre-commit gave the unstaged edit back
    assert git(committed, "show", f"HEAD:{PKG_JSON}") == staged

    # A violation only in the index blocks the commit.
    git(committed, "add", PKG_JSON)
    package.write_text(staged)
    code, out = precommit(committed, "commit", "-q", "-m", "pg", tool="git")
    assert code == 1
    assert (
        f'{PKG_JSON}:22: no-postgres-dependencies the Postgres/Drizzle stack must be removed: "pg" in dependencies'
        in hook_output(out).splitlines()
    )
    git(committed, "reset", "-q")

    # An untracked file does not block a commit, even one running the rules that would see it.
    (committed / "packages/db/drizzle.config.ts").write_text("export default {};\n")
    package.write_text(staged.replace('"license": "MIT"', '"license": "ISC"'))
    git(committed, "add", PKG_JSON)
    code, out = precommit(committed, "commit", "-q", "-m", "isc", tool="git")
    assert code == 0, out
    assert git(committed, "status", "--porcelain") == "?? packages/db/drizzle.config.ts\n"
    # ... which `conformance check` of the work tree does see.
    done = subprocess.run([BIN / "conformance", "check"], cwd=committed, capture_output=True)
    assert b"drizzle-scaffold-removed" in done.stdout

    # A commit that only deletes a file: pre-commit passes no file, the hook finds it in the
    # index.
    git(committed, "rm", "-q", "packages/db/convex/schema.ts")
    code, out = precommit(committed, "commit", "-q", "-m", "rm", tool="git")
    assert code == 1
    assert (
        "packages/db/convex/schema.ts: convex-project-files the Convex baseline file is missing: packages/db/convex/schema.ts"
        in hook_output(out).splitlines()
    )


def test_config_among_the_files_runs_every_rule(fixture_copy, precommit):
    root = fixture_copy("kata-before")
    init_git(root)
    with_hooks(root, precommit)
    git(root, "commit", "-q", "-m", "hooks")
    # Only README.md: no rule reads it.
    code, out = precommit(root, "run", "--verbose", "--files", "README.md")
    assert code == 0, out
    assert hook_output(out).endswith("18 rules not run: their inputs did not change\n")
    # conformance.yaml among the files (unchanged since HEAD): every rule.
    code, out = precommit(root, "run", "--files", "README.md", "conformance.yaml")
    assert code == 1
    assert hook_output(out).endswith(KATA_BEFORE_SUMMARY + "\n")
    # conformance.yaml changed in the index, not among the files: every rule too.
    with (root / "conformance.yaml").open("a") as config:
        config.write("# reviewed\n")
    git(root, "add", "conformance.yaml")
    code, out = precommit(root, "run", "--files", "README.md")
    assert code == 1
    assert hook_output(out).endswith(KATA_BEFORE_SUMMARY + "\n")


# `conformance hook` and the staged view, without pre-commit -------------------------------


def test_hook_of_every_file_equals_check(fixture_copy, cli, monkeypatch):
    """Before the first commit, every staged file given: the findings of the work tree's check."""
    for name in ("kata-before", "kata-half", "convex-auth-before", "workspace-imports"):
        root = fixture_copy(name)
        new_repository(root)
        git(root, "add", "-A")
        monkeypatch.chdir(root)
        code, checked, _ = cli("check", "--format", "json")
        files = git(root, "ls-files").split()
        hooked = cli("hook", "--format", "json", *files)
        assert hooked[0] == code, name
        assert json.loads(hooked[1])["findings"] == json.loads(checked)["findings"], name
        assert json.loads(hooked[1])["rules"] == json.loads(checked)["rules"], name


def test_hook_split_over_several_runs(fixture_copy, cli, monkeypatch):
    """pre-commit splits a long list of files over several runs (xargs-style): each run checks
    the rules its files touch, and together they find what one run of every file finds."""
    root = fixture_copy("kata-before")
    init_git(root)
    monkeypatch.chdir(root)
    files = [f for f in git(root, "ls-files").split() if f != "conformance.yaml"]

    def findings(*chunk: str) -> set[tuple]:
        _, out, _ = cli("hook", "--format", "json", *chunk)
        return {
            (f["path"], f["line"], f["rule"], f["message"]) for f in json.loads(out)["findings"]
        }

    whole = findings(*files)
    # Not the 32 of every rule: conformance.yaml is not among the files, and no file names
    # convex-project-files' missing files (3 findings).
    assert len(whole) == 29
    chunks = [files[start::4] for start in range(4)]
    parts = [findings(*chunk) for chunk in chunks]
    assert set().union(*parts) == whole
    assert all(part < whole for part in parts)  # no run checked every rule


def test_hook_reads_the_index(fixture_copy, cli, monkeypatch):
    root = fixture_copy("kata-after")
    init_git(root)
    monkeypatch.chdir(root)
    package = root / PKG_JSON
    clean = package.read_text()
    package.write_text(with_pg(clean))  # unstaged
    (root / "packages/db/drizzle.config.ts").write_text("export default {};\n")  # untracked
    code, out, _ = cli("hook", PKG_JSON)
    assert code == 0, out
    assert out.endswith("7 rules not run: their inputs did not change\n")

    git(root, "add", PKG_JSON)
    package.write_text(clean)  # staged only
    code, out, _ = cli("hook", PKG_JSON)
    assert code == 1
    assert out.startswith(
        f'{PKG_JSON}:21: no-postgres-dependencies the Postgres/Drizzle stack must be removed: "pg" in dependencies\n'
    )
    # Without files: the paths staged differently from HEAD.
    assert cli("hook")[1] == out
    assert cli("hook", "README.md")[0] == 0


def test_hook_outside_git(fixture_copy, cli, monkeypatch):
    root = fixture_copy("kata-after")
    monkeypatch.chdir(root)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(root.parent))
    code, out, err = cli("hook", PKG_JSON)
    assert (code, out) == (2, "")
    assert (
        err == f"conformance: error: {root} is not in a git work tree: there is no index to check\n"
    )


def test_staged_view(tree):
    from conformance.repo import GitIndexView

    root = tree(
        {
            "a.txt": "committed\n",
            "gone.txt": "deleted from the work tree only\n",
            "dir/b.txt": "b\n",
            "other/c.txt": "c\n",
        }
    )
    new_repository(root)
    git(root, "add", "-A")
    (root / "a.txt").write_text("unstaged\n")
    (root / "gone.txt").unlink()
    (root / "untracked.txt").write_text("untracked\n")
    git(root, "rm", "-q", "--cached", "other/c.txt")  # staged deletion, still on disk
    os.symlink("dir/b.txt", root / "link")
    os.symlink("../../outside", root / "dir/out")
    os.symlink("nowhere", root / "broken")
    os.symlink("a.txt", root / "self")
    git(root, "add", "link", "dir/out", "broken")
    (root / "self").unlink()
    os.symlink("self", root / "self")
    git(root, "add", "self")
    view = GitIndexView(root)  # no commit yet
    try:
        assert view.staged() == [
            *["a.txt", "broken", "dir/b.txt", "dir/out", "gone.txt", "link", "self"]
        ]
        assert view.text("a.txt") == "committed\n"
        assert view.text("gone.txt") == "deleted from the work tree only\n"
        assert view.text("link") == "b\n"
        assert view.glob("*.txt") == ["a.txt", "gone.txt"]
        assert view.glob("**/*.txt") == ["a.txt", "dir/b.txt", "gone.txt"]
        assert view.is_dir("dir") and not view.is_dir("other")
        assert view.find(r"\.txt$") == ["a.txt", "dir/b.txt", "gone.txt"]
        assert view.grep("deleted", (".txt",)) == ["gone.txt"]
        for path, problem in {
            "untracked.txt": "untracked.txt does not exist",
            "other/c.txt": "other/c.txt does not exist",
            "dir": "dir is a directory, expected a file",
            "dir/out": "dir/out is a symlink pointing outside the repository",
            "self": "self is a symlink loop",
            "broken": "broken is a broken symlink",
        }.items():
            with pytest.raises(FileProblem) as raised:
                view.text(path)
            assert f"{raised.value.path} {raised.value.message}" == problem
    finally:
        view.close()


def test_staged_paths(fixture_copy):
    from conformance.history import staged_paths
    from conformance.repo import GitIndexView

    root = fixture_copy("kata-after")
    new_repository(root)
    git(root, "add", "-A")
    view = GitIndexView(root)
    definitions = {"conformance.yaml"}
    # Before the first commit every file is added: conformance.yaml with them.
    assert staged_paths(view, ["./README.md"], definitions) == {"README.md", "conformance.yaml"}
    git(root, "commit", "-q", "-m", "init")
    git(root, "rm", "-q", "packages/db/convex/schema.ts")
    (root / "README.md").write_text("edited\n")
    git(root, "add", "README.md")
    view = GitIndexView(root)
    assert staged_paths(view, ["docs/PROJECT_PLAN.md"], definitions) == {
        "docs/PROJECT_PLAN.md",
        "packages/db/convex/schema.ts",
    }
    assert staged_paths(view, [], definitions) == {"README.md", "packages/db/convex/schema.ts"}
