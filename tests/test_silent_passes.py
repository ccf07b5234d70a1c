"""What a rule cannot look at is a finding, never a pass: unreadable and symlinked folders,
script names with `/`, file names with a newline, revisions that compare nothing."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import git, init_git

from conformance.globs import matches, matches_name

UNREADABLE = [
    "packages/db/src: client-without-postgres cannot check: is a folder that cannot be listed: "
    "permission denied",
    "packages/db/src: drizzle-scaffold-removed cannot check: is a folder that cannot be listed: "
    "permission denied",
    "packages/db/src: no-postgres-imports cannot check: is a folder that cannot be listed: "
    "permission denied",
]


@pytest.fixture
def kata_after(fixture_copy):
    """kata-after, which passes; active docs left to discovery (`docs/**`)."""
    root = fixture_copy("kata-after")
    config = root / "conformance.yaml"
    config.write_text(
        "".join(line for line in config.read_text().splitlines(True) if "active_docs" not in line)
    )
    return root


def finding_lines(out: str) -> list[str]:
    """The finding lines of a text report: what comes before its other blocks and summary."""
    lines = []
    for line in out.splitlines():
        if (
            line.startswith(("unchecked", "note:", "discovered:", "not found:"))
            or " rules " in line
        ):
            break
        if line:
            lines.append(line)
    return lines


def test_kata_after_passes(kata_after, cli):
    code, out, _ = cli("check", str(kata_after))
    assert code == 0, out


def test_unreadable_folder_is_a_finding_simulated(kata_after, cli, monkeypatch):
    """EACCES simulated on listing the folder: root, as CI runs, reads any folder."""
    scandir = os.scandir

    def denied(path="."):
        if os.fspath(path).endswith("packages/db/src"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", denied)
    code, out, _ = cli("check", str(kata_after))
    assert code == 1
    assert finding_lines(out) == UNREADABLE


def test_unreadable_folder_git_warns_about_is_a_finding(kata_after, cli, tmp_path, monkeypatch):
    """git lists a folder it cannot open with a warning only (root never gets one: the warning is
    what git prints for a non-root user, given by a wrapper around the real git)."""
    init_git(kata_after)
    real = shutil.which("git")
    wrapper = tmp_path / "bin" / "git"
    wrapper.parent.mkdir()
    wrapper.write_text(
        "#!/bin/sh\n"
        'if [ "$3" = ls-files ]; then\n'
        "  echo \"warning: could not open directory 'packages/db/drizzle/': Permission denied\" >&2\n"
        "fi\n"
        f'exec {real} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}")
    code, out, _ = cli("check", str(kata_after), "--select", "drizzle-migrations-removed")
    assert code == 1
    assert finding_lines(out) == [
        "packages/db/drizzle: drizzle-migrations-removed cannot check: is a folder that cannot "
        "be listed: permission denied"
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 folder: simulated above")
@pytest.mark.parametrize("in_git", [False, True], ids=["walk", "git"])
def test_unreadable_folder_is_a_finding(kata_after, cli, in_git):
    if in_git:
        init_git(kata_after)
        (kata_after / "packages/db/src/untracked").mkdir()
        (kata_after / "packages/db/src/untracked/pool.ts").write_text('import pg from "pg";\n')
        folder = kata_after / "packages/db/src/untracked"
    else:
        folder = kata_after / "packages/db/src"
    folder.chmod(0)
    try:
        code, out, _ = cli("check", str(kata_after), "--select", "no-postgres-imports")
    finally:
        folder.chmod(0o755)
    assert code == 1
    assert finding_lines(out) == [
        f"{folder.relative_to(kata_after)}: no-postgres-imports cannot check: is a folder that "
        "cannot be listed: permission denied"
    ]


def _symlink_folder(root, path: str, target: str) -> None:
    (root / path).rename(root / target)
    (root / path).symlink_to(os.path.relpath(root / target, (root / path).parent))


@pytest.mark.parametrize("in_git", [False, True], ids=["walk", "git"])
def test_symlinked_docs_folder_is_followed(kata_after, cli, in_git):
    _symlink_folder(kata_after, "docs", "documentation")
    with (kata_after / "documentation/PROJECT_PLAN.md").open("a") as plan:
        plan.write("We keep the PostgreSQL schema + Drizzle migrations.\n")
    lines = (kata_after / "documentation/PROJECT_PLAN.md").read_text().count("\n")
    if in_git:
        init_git(kata_after)
    code, out, _ = cli("check", str(kata_after), "--select", "active-docs-baseline")
    assert code == 1
    assert finding_lines(out) == [
        f"docs/PROJECT_PLAN.md:{lines}: active-docs-baseline active docs still present "
        'Postgres/Drizzle as the baseline: "PostgreSQL schema + Drizzle migrations"'
    ]


@pytest.mark.parametrize("in_git", [False, True], ids=["walk", "git"])
def test_symlinked_drizzle_folder_is_followed(kata_after, cli, in_git):
    real = kata_after / "packages/db/migrations-sql"
    real.mkdir()
    (real / "0000_init.sql").write_text("CREATE TABLE users (id serial);\n")
    (kata_after / "packages/db/drizzle").symlink_to("migrations-sql")
    if in_git:
        init_git(kata_after)
    code, out, _ = cli("check", str(kata_after), "--select", "drizzle-migrations-removed")
    assert code == 1
    assert finding_lines(out) == [
        "packages/db/drizzle/: drizzle-migrations-removed SQL migrations directory left behind: "
        "packages/db/drizzle/ (drizzle-kit's default)"
    ]


@pytest.mark.parametrize("in_git", [False, True], ids=["walk", "git"])
def test_symlinked_folder_below_a_glob_is_followed(kata_after, cli, in_git):
    _symlink_folder(kata_after, "packages/db/src", "packages/db/source")
    (kata_after / "packages/db/source/pool.ts").write_text('import pg from "pg";\n')
    if in_git:
        init_git(kata_after)
    code, out, _ = cli("check", str(kata_after), "--select", "no-postgres-imports")
    assert code == 1
    # The file is found through the link and through the folder it points to.
    assert finding_lines(out) == [
        "packages/db/source/pool.ts:1: no-postgres-imports package source still imports the "
        "Postgres/Drizzle stack: `pg`",
        "packages/db/src/pool.ts:1: no-postgres-imports package source still imports the "
        "Postgres/Drizzle stack: `pg`",
    ]


def test_symlink_loop_is_a_finding(kata_after, cli):
    (kata_after / "docs/again").symlink_to("..")
    code, out, _ = cli("check", str(kata_after), "--select", "active-docs-baseline")
    assert code == 1
    assert finding_lines(out) == [
        "docs/again: active-docs-baseline cannot check: is a symlink loop (..)"
    ]


def test_script_name_with_a_slash_is_checked(kata_after, cli):
    package = kata_after / "packages/db/package.json"
    package.write_text(
        package.read_text().replace(
            '"scripts": {', '"scripts": {\n    "gen/all": "drizzle-kit generate",'
        )
    )
    code, out, _ = cli("check", str(kata_after), "--select", "no-sql-scripts")
    assert code == 1
    assert finding_lines(out) == [
        "packages/db/package.json:13: no-sql-scripts SQL-migration script left in package.json: "
        'script "gen/all" runs `drizzle-kit generate`'
    ]


def test_globs_match_names_with_a_newline():
    assert matches("docs/**", "docs/a\nb.md")
    assert matches("docs/**/*.md", "docs/x\ny/a\nb.md")
    assert matches("**/*.md", "a\nb.md")
    assert not matches("docs/*", "docs/a/b.md")
    assert matches_name("gen*", "gen/all") and matches_name("*", "a\nb")


def test_doc_named_with_a_newline_is_checked(kata_after, cli):
    (kata_after / "docs/old\nplan.md").write_text("PostgreSQL schema + Drizzle migrations\n")
    code, out, _ = cli("check", str(kata_after), "--select", "active-docs-baseline")
    assert code == 1
    assert finding_lines(out) == [
        "docs/old\\nplan.md:1: active-docs-baseline active docs still present Postgres/Drizzle "
        'as the baseline: "PostgreSQL schema + Drizzle migrations"'
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--changed-since", "HEAD.."],
            "--changed-since HEAD..: expected one revision, not a range",
        ),
        (["--changed-since", ".."], "--changed-since ..: expected one revision, not a range"),
        (["--changed-since", "..."], "--changed-since ...: expected one revision, not a range"),
        (["--changed-since", "HEAD...HEAD"], "--changed-since HEAD...HEAD: expected one revision"),
        (["--changed-since", ""], "--changed-since: the revision is empty"),
        (["--changed-since", " "], "--changed-since: the revision is empty"),
        (["--rev", ""], "--rev: the revision is empty"),
        (["--rev", "HEAD...HEAD"], "--rev HEAD...HEAD: expected A..B (`...` is not a range"),
        (["--rev=-p"], "--rev -p: a revision cannot start with `-`"),
    ],
)
def test_revisions_that_compare_nothing_are_usage_errors(kata_after, cli, argv, message):
    init_git(kata_after)
    # An uncommitted edit that adds a finding: a run passing over it would be a false pass.
    (kata_after / "packages/db/src/pool.ts").write_text('import pg from "pg";\n')
    git(kata_after, "add", "-A")
    code, out, err = cli("check", str(kata_after), *argv)
    assert (code, out) == (2, "")
    assert err.startswith(f"conformance: error: {message}") and err.count("\n") == 1


@pytest.mark.parametrize("in_git", [False, True], ids=["walk", "git"])
def test_symlinked_node_modules_is_never_entered(kata_after, cli, tmp_path, in_git):
    store = tmp_path / "store/pg"
    store.mkdir(parents=True)
    (store / "index.ts").write_text('import pg from "pg";\n')
    (kata_after / "packages/db/node_modules").symlink_to(store.parent)
    if in_git:
        init_git(kata_after)
    code, out, _ = cli("check", str(kata_after), "--select", "no-postgres-imports")
    assert (code, finding_lines(out)) == (0, [])
