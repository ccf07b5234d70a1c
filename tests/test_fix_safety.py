"""`fix` deletes only what the contract means, checks everything before the first byte, holds a
lock, cleans up after a killed run, and leaves files as an editor would (issue 11: 1, 4, 8)."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pytest
from conftest import git, init_git

from conformance.repo import RepoView

PKG = "packages/db"
ROOT_USER = os.geteuid() == 0
AS_ROOT = "root ignores file modes: the simulated test next to this one covers it"
HINT = "correct `out`, or delete the migrations in it by hand"


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


@pytest.fixture
def kata(tmp_path):
    """A committed git copy of kata-before (a new one at each call)."""
    from conftest import FIXTURES

    def make() -> Path:
        root = Path(shutil.copytree(FIXTURES / "kata-before", tmp_path / f"kata{len(made)}"))
        made.append(root)
        init_git(root)
        return root

    made: list[Path] = []
    return make


def with_out(root: Path, out: str) -> Path:
    config = root / PKG / "drizzle.config.ts"
    config.write_text(config.read_text().replace('out: "./drizzle"', f'out: "{out}"'))
    commit(root, f"out: {out}")
    return root


def shown_removed(path: str, plan: str) -> bool:
    """Whether the plan printed by `fix` removes `path` (itself, or a folder holding it)."""
    for line in plan.splitlines():
        if line.startswith("remove    "):
            target = line.split()[1]
            if path == target or (target.endswith("/") and path.startswith(target)):
                return True
    return False


# 1. A Drizzle output folder is deleted only when drizzle-kit wrote it -------------------------

INSIDE = "it is not a folder inside packages/db, the package drizzle-kit runs in"


@pytest.mark.parametrize(
    "out, named, why",
    [
        ("../../apps", "apps/", INSIDE),
        ("..", "packages/", INSIDE),
        (".", "packages/db/", INSIDE),
        (
            "./src",
            "packages/db/src/",
            "it holds neither meta/_journal.json nor .sql migrations: drizzle-kit did not write it",
        ),
    ],
)
def test_fix_keeps_a_folder_out_names_that_is_no_drizzle_output(kata, cli, out, named, why):
    root = with_out(kata(), out)
    before = snapshot(root)
    code, plan, err = cli("fix", str(root))
    assert (code, err) == (1, "")  # the folder stays, and so does the finding
    assert (
        f"skip      {named}  [drizzle-migrations-removed]  (not removed: {why}; {HINT})"
        in plan.splitlines()
    )
    assert (root / named).is_dir()
    lost = [p for p in before if p.startswith(named) and not (root / p).exists()]
    assert [p for p in lost if not shown_removed(p, plan)] == []
    assert "apps/gateway/src/index.ts" not in lost and f"{PKG}/tsconfig.json" not in lost


def test_check_says_why_fix_leaves_the_folder(kata, cli):
    root = with_out(kata(), "../../apps")
    _, out, _ = cli("check", str(root), "--select", "drizzle-migrations-removed")
    assert out.splitlines()[0] == (
        "apps/: drizzle-migrations-removed SQL migrations directory left behind: apps/ (`out` in "
        f"packages/db/drizzle.config.ts:5; `fix` leaves it: {INSIDE}; {HINT})"
    )


@pytest.mark.parametrize(
    "files",
    [
        ["0000_initial.sql", "meta/_journal.json", "meta/0000_snapshot.json"],
        ["meta/_journal.json"],
        ["0000_initial.sql", "0001_more.sql"],
        # drizzle-kit 1.0's layout
        ["20250301120000_init/migration.sql", "20250301120000_init/snapshot.json"],
    ],
)
def test_fix_removes_what_drizzle_kit_wrote(tree, cli, files):
    root = tree({"pkg/drizzle.config.ts": "export default { out: './migrations' };\n"})
    for name in files:
        (root / "pkg/migrations" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "pkg/migrations" / name).write_text("{}\n")
    rule = "  - {id: out-gone, kind: drizzle-output-absent, config: pkg/drizzle.config.ts, "
    (root / "conformance.yaml").write_text(f"rules:\n{rule}message: m, why: w, fix: {{}}}}\n")
    init_git(root)
    code, out, _ = cli("fix", str(root))
    assert "remove    pkg/migrations/  [out-gone]" in out.splitlines()
    assert code == 0 and not (root / "pkg/migrations").exists()


def test_fix_keeps_an_output_folder_holding_other_files(kata, cli):
    root = kata()
    (root / PKG / "drizzle/README.md").write_text("How we write migrations by hand.\n")
    (root / PKG / "drizzle/seed.ts").write_text("export const seed = 1;\n")
    commit(root, "notes")
    code, out, _ = cli("fix", str(root))
    assert code == 1
    assert (
        f"skip      {PKG}/drizzle/  [drizzle-migrations-removed]  (not removed: it holds files "
        f"drizzle-kit does not write (README.md, seed.ts); {HINT})" in out.splitlines()
    )
    assert (root / PKG / "drizzle/0000_initial.sql").exists()


# A deletion built from a discovered parameter removes only the artifact its `removes:` names ---


def committed_copy(tmp_path: Path, fixture: str, files: dict[str, str] | None = None) -> Path:
    from conftest import FIXTURES, write_tree

    root = Path(shutil.copytree(FIXTURES / fixture, tmp_path / fixture))
    write_tree(root, files or {})
    init_git(root)
    return root


def plan_lines(cli, root: Path, *argv: str) -> list[str]:
    code, out, err = cli("fix", "--dry-run", str(root), *argv)
    assert (code, err) == (1, "")
    return [line for line in out.splitlines() if line[:10].rstrip() in ("remove", "skip")]


def test_a_schema_folder_loses_only_its_drizzle_modules(kata, cli):
    root = kata()
    config = root / PKG / "drizzle.config.ts"
    config.write_text(config.read_text().replace('"./src/schema.ts"', '"./src"'))
    commit(root, "schema: ./src")
    lines = [line for line in plan_lines(cli, root) if f"{PKG}/src" in line]
    assert lines == [
        f"skip      {PKG}/src/  [no-postgres-imports]  (not removed: the rest is no schema "
        "drizzle-kit reads (__tests__/schema-contract.test.ts); `removes: drizzle-schema`)",
        f"remove    {PKG}/src/migrate.ts  [no-postgres-imports, drizzle-scaffold-removed]",
        f"remove    {PKG}/src/schema.ts  [no-postgres-imports]",
    ]


def test_drizzle_schema_barrels_are_followed_into_workspace_packages(tree):
    from conformance.project import project_of, removal

    root = tree(
        {
            "package.json": '{"name": "root", "workspaces": ["apps/*", "packages/*"]}\n',
            "packages/server/package.json": (
                '{"name": "@acme/server", "exports": {"./db/schema": "./src/schema.ts"}}\n'
            ),
            "packages/server/src/schema.ts": (
                'import { pgTable, text } from "drizzle-orm/pg-core";\n'
                'export const users = pgTable("users", { id: text("id") });\n'
            ),
            "apps/web/package.json": '{"name": "web"}\n',
            "apps/web/tsconfig.json": (
                '{"compilerOptions": {"paths": {"@srv/*": ["../../packages/server/src/*"]}}}\n'
            ),
            "apps/web/db/package.ts": 'export * from "@acme/server/db/schema";\n',
            "apps/web/db/alias.ts": 'export { users } from "@srv/schema";\n',
            "apps/web/db/helpers.ts": "export const limit = 10;\n",
            "apps/web/db/util.ts": 'export * from "./helpers";\n',
        }
    )
    project = project_of(RepoView(root))
    kept = "it is not a Drizzle schema module"
    for module, removed in [("package", True), ("alias", True), ("util", False)]:
        found = removal(project, "drizzle-schema", f"apps/web/db/{module}.ts")
        assert found.paths == ([f"apps/web/db/{module}.ts"] if removed else []), module
        assert (found.problem is None) if removed else found.problem.startswith(kept)


def test_a_package_named_as_the_convex_functions_is_not_removed(tmp_path, cli):
    root = committed_copy(tmp_path, "convex-to-postgres-before")
    argv = ("--param", "convex_dir=apps/server", "--force")
    assert (
        "skip      apps/server/  [c2p-convex-functions-removed]  (not removed: it holds a "
        "package (apps/server/package.json); `removes: convex-functions`)"
        in plan_lines(cli, root, *argv)
    )
    assert cli("fix", str(root), *argv)[0] == 1
    assert (root / "apps/server/convex/schema.ts").exists()


def test_a_folder_without_convex_code_is_not_removed_as_convex_functions(tmp_path, cli):
    root = committed_copy(tmp_path, "convex-to-postgres-before")
    assert (
        "skip      apps/workers/src/lib/  [c2p-convex-functions-removed]  (not removed: nothing "
        "in it is Convex's: no schema, no _generated/, no convex.config, no module importing "
        "_generated/server; `removes: convex-functions`)"
        in plan_lines(cli, root, "--param", "convex_dir=apps/workers/src/lib")
    )


def test_prisma_migrations_holding_other_code_stay(tmp_path, cli):
    migrations = {
        "prisma/schema.prisma": "model A {\n  id Int @id\n}\n",
        "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
        "prisma/migrations/0001_init/migration.sql": "CREATE TABLE a (id integer);\n",
        "prisma/migrations/backfill.ts": "export const backfill = 1;\n",
    }
    root = committed_copy(tmp_path, "prisma-to-convex-complete", migrations)
    assert plan_lines(cli, root) == [
        "skip      prisma/migrations/  [p2c-prisma-migrations-removed]  (not removed: it holds "
        "files Prisma Migrate does not write (backfill.ts); `removes: prisma-migrations`)",
        "remove    prisma/schema.prisma  [p2c-prisma-schema-removed]",
    ]


# 4. Everything is checked before the first byte -----------------------------------------------

UNREADABLE = {
    "not-utf8": (b'{"name": "\xff"}\n', "cannot fix: is not valid UTF-8 (byte 0xff) at line 1"),
    "binary": (bytes(range(256)), "cannot fix: is a binary file, expected text"),
    "utf16": ('{"name": "x"}\n'.encode("utf-16"), "cannot fix: is a binary file, expected text"),
    "nul": (b'{"name": "x\x00"}\n', "cannot fix: is a binary file, expected text"),
    "dangling": (None, "cannot fix: is a broken symlink"),
    "outside": (None, "cannot fix: is a symlink pointing outside the repository"),
}


@pytest.mark.parametrize("variant", UNREADABLE)
@pytest.mark.parametrize("target", [f"{PKG}/package.json", "docs/PROJECT_PLAN.md"])
def test_unreadable_target_is_a_skip_not_a_crash(kata, cli, tmp_path, variant, target):
    root = kata()
    path = root / target
    content, reason = UNREADABLE[variant]
    path.unlink()
    if variant == "dangling":
        path.symlink_to("nowhere")
    elif variant == "outside":
        (tmp_path / "elsewhere.txt").write_text("outside\n")
        path.symlink_to(tmp_path / "elsewhere.txt")
    else:
        path.write_bytes(content)
    commit(root, variant)
    code, out, err = cli("fix", "--dry-run", str(root))
    assert (code, err) == (1, "")
    [line] = [line for line in out.splitlines() if line.startswith(f"skip      {target}  ")]
    assert line.endswith(f"({reason})")
    before = snapshot(root)
    code, out, err = cli("fix", str(root))
    assert (code, err) == (1, "")
    assert os.readlink(path) if path.is_symlink() else path.read_bytes() == content
    assert {p for p in before if p not in snapshot(root)} == {
        p for p in before if shown_removed(p, out)
    }


def test_a_target_that_cannot_be_read_is_a_skip(kata, cli, monkeypatch):
    """chmod 000, simulated: root reads any file (the test next to this one does it for real)."""
    root = kata()
    before = snapshot(root)
    real = os.open

    def denied(path, flags, *args, **kwargs):
        if str(path) == str(root / PKG / "package.json"):
            raise PermissionError(13, "Permission denied")
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    code, out, err = cli("fix", str(root))
    assert (code, err) == (1, "")
    [line] = [line for line in out.splitlines() if line.startswith(f"skip      {PKG}/package.json")]
    assert line.endswith("(cannot fix: cannot be read: permission denied)")
    monkeypatch.undo()
    assert (root / PKG / "package.json").read_bytes() == before[f"{PKG}/package.json"]


@pytest.mark.skipif(ROOT_USER, reason=AS_ROOT)
def test_a_target_that_cannot_be_read_for_real(kata, cli):
    root = kata()
    (root / PKG / "package.json").chmod(0)
    try:
        code, out, err = cli("fix", str(root))
    finally:
        (root / PKG / "package.json").chmod(0o644)
    assert (code, err) == (1, "")
    assert "(cannot fix: cannot be read: permission denied)" in out


@pytest.mark.parametrize("variant", ["binary", "dangling"])
def test_a_file_to_remove_need_not_be_readable(kata, cli, variant):
    root = kata()
    path = root / PKG / "src/migrate.ts"
    path.unlink()
    if variant == "dangling":
        path.symlink_to("nowhere")
    else:
        path.write_bytes(bytes(range(256)))
    commit(root, variant)
    code, out, err = cli("fix", "--dry-run", str(root))
    assert (code, err) == (1, "")
    assert f"deleted: {PKG}/src/migrate.ts" in out.splitlines()
    assert cli("fix", str(root))[0] == 0
    assert not os.path.lexists(path)


def deny(monkeypatch, denied: Path, mode: int) -> None:
    """Simulate a folder's permissions for `os.access` (the tests may run as root)."""
    real = os.access

    def access(path, wanted, **kwargs):
        if Path(path) == denied and wanted & mode:
            return False
        return real(path, wanted, **kwargs)

    monkeypatch.setattr(os, "access", access)


def assert_untouched(root: Path, before: dict[str, bytes]) -> None:
    assert snapshot(root) == before
    assert git(root, "status", "--porcelain") == ""


def test_read_only_folder_is_refused_before_any_write(kata, cli, monkeypatch):
    root = kata()
    before = snapshot(root)
    deny(monkeypatch, root / PKG / "src", os.W_OK)
    code, out, err = cli("fix", str(root))
    assert (code, out) == (2, "")
    assert err == (
        "conformance: error: refusing to fix: packages/db/src is not writable (to edit "
        "packages/db/src/client.ts) (and 3 more); nothing was written\n"
    )
    assert_untouched(root, before)


def test_dry_run_says_what_would_stop_fix(kata, cli, monkeypatch):
    root = kata()
    deny(monkeypatch, root / PKG / "src", os.W_OK)
    code, out, err = cli("fix", "--dry-run", str(root))
    assert (code, err) == (1, "")
    assert out.splitlines()[-2:] == [
        "without --dry-run, `fix` would stop: refusing to fix: packages/db/src is not writable "
        "(to edit packages/db/src/client.ts) (and 3 more); nothing was written",
        "dry run: nothing was written",
    ]
    monkeypatch.undo()
    (root / PKG / "package.json").write_text("{}\n")
    _, out, _ = cli("fix", "--dry-run", str(root))
    assert out.splitlines()[-2] == (
        "without --dry-run, `fix` would stop: refusing to touch packages/db/package.json: it has "
        "uncommitted changes; commit or stash first, or pass --allow-dirty"
    )
    assert "would stop" not in cli("fix", "--dry-run", "--allow-dirty", str(root))[1]


@pytest.mark.skipif(ROOT_USER, reason=AS_ROOT)
def test_read_only_folder_for_real(kata, cli):
    root = kata()
    before = snapshot(root)
    (root / PKG / "src").chmod(0o555)
    try:
        code, _, err = cli("fix", str(root))
    finally:
        (root / PKG / "src").chmod(0o755)
    assert code == 2 and "packages/db/src is not writable" in err
    assert_untouched(root, before)


def test_unlistable_drizzle_folder_stays_and_the_rest_is_fixed(kata, cli, monkeypatch):
    root = kata()
    deny(monkeypatch, root / PKG / "drizzle", os.R_OK)
    code, out, err = cli("fix", str(root))
    assert (code, err) == (1, "")
    assert (
        f"skip      {PKG}/drizzle/  [drizzle-migrations-removed]  (not removed: it cannot be "
        "listed (permission denied))" in out.splitlines()
    )
    assert (root / PKG / "drizzle/0000_initial.sql").exists()
    assert (root / PKG / "convex/schema.ts").exists()


@pytest.mark.skipif(ROOT_USER, reason=AS_ROOT)
def test_unlistable_drizzle_folder_for_real(kata, cli):
    root = kata()
    (root / PKG / "drizzle").chmod(0)
    try:
        code, out, err = cli("fix", str(root))
    finally:
        (root / PKG / "drizzle").chmod(0o755)
    assert (code, err) == (1, "")
    assert f"skip      {PKG}/drizzle/  [drizzle-migrations-removed]" in out
    assert (root / PKG / "drizzle/0000_initial.sql").exists()


def test_a_locked_git_index_is_refused_before_any_write(kata, cli, monkeypatch):
    root = kata()
    before = snapshot(root)
    index_lock = root / ".git/index.lock"
    index_lock.touch()  # what a git killed mid-command leaves
    code, out, err = cli("fix", str(root))
    assert (code, out) == (2, "")
    assert err == (
        f"conformance: error: refusing to fix: git's index is locked ({index_lock} exists: "
        "another git command is running, or one was killed; delete it once none is); nothing "
        "was written\n"
    )
    assert snapshot(root) == before
    index_lock.unlink()

    # A git command starting between the checks and `git rm`: the writes are done, the
    # removals not, and a second `fix` completes it.
    import conformance.fix

    checked = conformance.fix.preflight

    def then_git_starts(*args, **kwargs):
        found = checked(*args, **kwargs)
        index_lock.touch()
        return found

    monkeypatch.setattr(conformance.fix, "preflight", then_git_starts)
    code, out, err = cli("fix", str(root))
    assert (code, out) == (2, "")
    assert err == (
        f"conformance: error: git rm failed: fatal: Unable to create '{index_lock}': File "
        "exists.; the files were written, nothing was removed: run `conformance fix` again once "
        "git is done\n"
    )
    assert (root / PKG / "src/schema.ts").exists() and (root / PKG / "convex.json").exists()
    monkeypatch.undo()
    index_lock.unlink()
    done = kata()
    cli("fix", str(done))
    assert cli("fix", str(root))[0] == 0
    assert snapshot(root) == snapshot(done)


# The lock, and what a killed run leaves -------------------------------------------------------


def test_a_second_fix_stops_while_the_first_holds_the_lock(kata, cli):
    root = kata()
    before = snapshot(root)
    lock = root / ".git/conformance.lock"
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, out, err = cli("fix", str(root))
        assert (code, out) == (2, "")
        assert err == (
            f"conformance: error: another `conformance fix` is writing this repository (it "
            f"holds {lock}); run again once it is done\n"
        )
        assert_untouched(root, before)
        assert cli("fix", "--dry-run", str(root))[0] == 1  # a dry run writes nothing: no lock
    assert cli("fix", str(root))[0] == 0
    assert not lock.exists()


LEFTOVER = f"{PKG}/.package.json.k3j9x_2a.conformance-tmp"


def test_temporary_files_are_ignored_by_check_and_removed_by_fix(kata, cli):
    root = kata()
    expected = cli("check", str(root))
    (root / LEFTOVER).write_text('{ "name": "half wri')
    mine = root / PKG / ".notes.conformance-tmp"  # not a name `fix` makes: it stays
    mine.write_text("mine\n")
    assert LEFTOVER not in RepoView(root).glob("**", files_only=True)
    assert cli("check", str(root)) == expected
    code, out, _ = cli("fix", str(root))
    assert code == 0
    assert out.startswith(
        f"removed {LEFTOVER}: a temporary file an interrupted `conformance fix` left\n"
    )
    assert not (root / LEFTOVER).exists() and mine.read_text() == "mine\n"


def test_a_rerun_completes_an_interrupted_fix(kata, cli, monkeypatch):
    done = kata()
    assert cli("fix", str(done))[0] == 0
    root = kata()
    real, replaced = os.replace, []

    def killed_at_the_fourth(source, target):
        if len(replaced) == 3:
            raise KeyboardInterrupt
        replaced.append(target)
        real(source, target)

    monkeypatch.setattr(os, "replace", killed_at_the_fourth)
    assert cli("fix", str(root))[0] == 130
    monkeypatch.setattr(os, "replace", real)
    assert len(replaced) == 3
    (root / LEFTOVER).write_text("{")  # what kill -9 leaves between write and rename
    code, out, _ = cli("fix", str(root))
    assert code == 0, out
    assert snapshot(root) == snapshot(done)


# 8. Modes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_created_files_take_the_umask_mode(kata, cli, umask, mode):
    root = kata()
    previous = os.umask(umask)
    try:
        assert cli("fix", str(root))[0] == 0
    finally:
        os.umask(previous)
    for created in ["convex.json", "convex/schema.ts", "convex/http.ts"]:
        assert (root / PKG / created).stat().st_mode & 0o777 == mode, created


# Never under .git/ ----------------------------------------------------------------------------


def test_a_parameter_into_git_is_a_conflict_and_nothing_is_written_there(kata, cli):
    root = kata()
    # `.git/conformance/` is conformance's own cache of git's listing (conformance/listing.py),
    # never a file of the plan.
    cache = root / ".git/conformance"
    git_files = sorted(p.name for p in (root / ".git").iterdir() if p != cache)
    code, out, err = cli("fix", str(root), "--param", "package=.git")
    assert (code, err) == (1, "")
    assert (
        "conflict  .git/convex.json  [convex-project-files]  (not written: it is inside git's own "
        "folder)" in out.splitlines()
    )
    assert not (root / ".git/convex.json").exists() and not (root / ".git/convex").exists()
    assert sorted(p.name for p in (root / ".git").iterdir() if p != cache) == git_files
    assert all(p.name.startswith(("listing-", "files-")) for p in cache.glob("*"))


@pytest.mark.parametrize("path", [".git/hooks/post-checkout", "gitlink/hooks/post-checkout"])
def test_apply_refuses_a_path_into_git(kata, path):
    from conformance.fix import apply
    from conformance.model import UsageError
    from conformance.workspace import CREATE, Change

    root = kata()
    (root / "gitlink").symlink_to(".git")
    with pytest.raises(UsageError, match="it is inside git's own folder"):
        apply([Change(path, CREATE, None, "#!/bin/sh\necho owned\n")], root)
    assert not (root / ".git/hooks/post-checkout").exists()
