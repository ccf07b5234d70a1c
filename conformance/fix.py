"""`conformance fix`: plan every change in memory, show it, then write it safely.

Fixes never touch disk while they are planned: each failing rule edits a `Workspace`, an overlay
of the repository, so several rules can edit one file (package.json) and the whole plan can be
shown as a diff first. Applying refuses files with uncommitted changes, never writes outside the
repository or through a symlink, writes atomically, and stages removals of tracked files.
"""

from __future__ import annotations

import os
from pathlib import Path

from .model import FileProblem, NothingToCheck, UsageError, instances
from .repo import RepoView
from .workspace import CREATE, EDIT, REMOVE, WRITES, Change, Workspace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .engine import Report


def plan(report: Report, repo: RepoView, *, force: bool = False) -> Workspace:
    """Let every failing rule with a declared fix edit the workspace, in contract order."""
    from .rules import KINDS

    work = Workspace(repo, force=force)
    for rule in report.rules:
        findings = report.results[rule.id]
        if not findings:
            continue
        kind = KINDS[rule.kind]
        if "fix" not in rule.options:
            for finding in findings:
                work.skip(finding.path, rule, f"no automatic fix: {kind.hint}")
            continue
        for instance in instances(rule):
            try:
                kind.apply_fix(instance, work)
            except FileProblem as problem:
                work.skip(problem.path, rule, f"cannot fix: {problem.message}")
            except NothingToCheck:
                continue  # this subject had nothing to check, so nothing to repair
    return work


def render_diff(changes: list[Change]) -> str:
    import difflib

    out: list[str] = []
    for change in changes:
        if change.status in (CREATE, EDIT):
            before = (change.before or "").splitlines(keepends=True)
            after = (change.after or "").splitlines(keepends=True)
            old = f"a/{change.path}" if change.before is not None else "/dev/null"
            lines = difflib.unified_diff(before, after, old, f"b/{change.path}")
            out.extend(line if line.endswith("\n") else line + "\n" for line in lines)
        elif change.status == REMOVE:
            out.append(f"deleted: {change.path}\n")
    return "".join(out)


def render_statuses(changes: list[Change]) -> str:
    lines = []
    for change in changes:
        note = f"  ({change.note})" if change.note else ""
        lines.append(f"{change.status:<9} {change.path}  [{', '.join(change.rules)}]{note}")
    return "\n".join(lines) + ("\n" if lines else "")


# Applying -------------------------------------------------------------------------------------


def apply(planned: list[Change], root: Path, *, allow_dirty: bool = False) -> None:
    """Write the plan. Everything is checked before the first byte is written."""
    changes = [c for c in planned if c.status in WRITES]
    for change in changes:
        _check_inside(root, change.path)
    git = _git_repo(root)
    existing = [c.path for c in changes if c.status != CREATE]
    if existing and not allow_dirty:
        dirty = _dirty(git, root, existing) if git else existing
        if dirty:
            why = "has uncommitted changes" if git else "is not under version control"
            more = f" (and {len(dirty) - 1} more)" if len(dirty) > 1 else ""
            raise UsageError(
                f"refusing to touch {dirty[0]}{more}: it {why}; "
                "commit or stash first, or pass --allow-dirty"
            )
    # Only the repository's files go: a removed directory keeps what git ignores in it.
    removals = [f for c in changes if c.status == REMOVE for f in (c.files or [c.path])]
    tracked = _tracked(git, root, removals) if git else set()
    for change in changes:
        if change.status in (CREATE, EDIT):
            atomic_write(root / change.path, _with_bom_of(root / change.path, change.after or ""))
    if tracked:
        git.git.rm("-q", "-f", "--", *sorted(tracked))  # dirtiness was checked above
    for path in removals:
        if os.path.lexists(root / path):
            (root / path).unlink()
    for change in changes:
        if change.files:
            _prune_empty_dirs(root / change.path.rstrip("/"))


def _with_bom_of(target: Path, text: str) -> str:
    """Files are read without their UTF-8 byte-order mark; an edit puts it back."""
    if target.is_file():
        with target.open("rb") as stream:
            if stream.read(3) == b"\xef\xbb\xbf":
                return "\ufeff" + text
    return text


def _check_inside(root: Path, path: str) -> None:
    parts = Path(path.rstrip("/")).parts
    if Path(path).is_absolute() or ".." in parts:
        raise UsageError(f"refusing to write {path}: outside the repository")
    target = root / path.rstrip("/")
    if target.is_symlink():
        raise UsageError(f"refusing to write {path}: it is a symlink")
    ancestor = target.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.resolve().is_relative_to(root.resolve()):
        raise UsageError(f"refusing to write {path}: a symlink leads outside the repository")


def atomic_write(target: Path, text: str) -> None:
    """Write through a temporary file in the same directory, then rename over the target."""
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    mode = target.stat().st_mode & 0o7777 if target.exists() else None
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def _prune_empty_dirs(top: Path) -> None:
    for directory, _, _ in sorted(os.walk(top), key=lambda entry: -len(entry[0])):
        if not os.listdir(directory):
            os.rmdir(directory)


def _git_repo(root: Path):
    """The gitpython Repo for `root`, or None outside a work tree."""
    import git

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def _relative_to_git(git, root: Path, path: str) -> str:
    return (root / path).relative_to(Path(git.working_tree_dir).resolve()).as_posix()


def _dirty(git, root: Path, paths: list[str]) -> list[str]:
    """Paths (or files under directories) with staged, unstaged or untracked changes."""
    specs = [_relative_to_git(git, root, p.rstrip("/")) for p in paths]
    status = git.git.status("--porcelain", "-z", "--untracked-files=all", "--", *specs)
    dirty_files = {entry[3:] for entry in status.split("\0") if len(entry) > 3}
    return [
        path
        for path, spec in zip(paths, specs, strict=True)
        if any(f == spec or f.startswith(spec + "/") for f in dirty_files)
    ]


def _tracked(git, root: Path, paths: list[str]) -> set[str]:
    """The files among `paths` that git tracks, relative to the work tree's top."""
    if not paths:
        return set()  # `git ls-files --` with no pathspec would list every file
    specs = [_relative_to_git(git, root, p) for p in paths]
    return {f for f in git.git.ls_files("-z", "--", *specs).split("\0") if f}
