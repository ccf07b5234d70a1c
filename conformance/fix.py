"""`conformance fix`: plan every change in memory, show it, then write it safely.

Fixes never touch disk while they are planned: each failing rule edits a `Workspace`, an overlay
of the repository, so several rules can edit one file (package.json) and the whole plan can be
shown as a diff first. Applying refuses files with uncommitted changes, never writes outside the
repository or through a symlink, writes atomically, and stages removals of tracked files.
"""

from __future__ import annotations

import os
from pathlib import Path

from .model import FileProblem, Rule, UsageError
from .repo import RepoView

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .engine import Report

CREATE, EDIT, REMOVE, IDENTICAL, CONFLICT, SKIP = (
    "create",
    "edit",
    "remove",
    "identical",
    "conflict",
    "skip",
)
WRITES = (CREATE, EDIT, REMOVE)


class Change:
    """What the plan does to one path (a directory ends in `/`); `after` is None for a removal."""

    def __init__(self, path: str, status: str, before: str | None, after: str | None):
        self.path, self.status, self.before, self.after = path, status, before, after
        self.rules: list[str] = []
        self.note = ""
        # For a directory removal: the repository files inside it (what is deleted).
        self.files: list[str] = []


class Workspace:
    """The repository as the fixes planned so far would leave it."""

    def __init__(self, repo: RepoView, *, force: bool = False):
        self.repo = repo
        self.force = force
        self._planned: dict[str, str | None] = {}
        self._rules: dict[str, list[str]] = {}
        self._notes: dict[str, str] = {}
        self._conflicts: set[str] = set()
        self._dir_files: dict[str, list[str]] = {}

    def original(self, path: str) -> str | None:
        """The file as it is in the repository (None when it is not there)."""
        return self.repo.text(path) if self.repo.is_file(path) else None

    def read(self, path: str) -> str | None:
        """The file as the plan leaves it so far."""
        return self._planned[path] if path in self._planned else self.original(path)

    def _touch(self, path: str, rule: Rule, note: str = "") -> None:
        rules = self._rules.setdefault(path, [])
        if rule.id not in rules:
            rules.append(rule.id)
        if note:
            self._notes[path] = note

    def edit(self, path: str, text: str, rule: Rule) -> None:
        """Set the content of a file the rule is entitled to change (or create)."""
        if os.path.lexists(self.repo.root / path) and self.original(path) is None:
            # On disk but not in the repository's view (git-ignored): not ours to overwrite.
            self._conflict(path, rule, "exists on disk but is ignored by git")
            return
        self._planned[path] = text
        self._touch(path, rule)

    def rewrite(self, path: str, text: str, rule: Rule) -> None:
        """Replace a file the rule found wrong, in the line endings it already uses."""
        current = self.read(path)
        if current is not None and "\r\n" in current:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        self.edit(path, text, rule)

    def create(self, path: str, text: str, rule: Rule) -> None:
        """A file that must exist: created when missing, a conflict when it differs."""
        current = self.read(path)
        if current is None:
            self.edit(path, text, rule)
        elif current == text or self.force:
            self.rewrite(path, text, rule)
            if current != text:
                self._touch(path, rule, "replaced (--force)")
        else:
            self._conflict(path, rule, "exists and differs from the template; --force replaces it")

    def _conflict(self, path: str, rule: Rule, note: str) -> None:
        self._conflicts.add(path)
        self._touch(path, rule, note)

    def remove(self, path: str, rule: Rule) -> None:
        path = path.rstrip("/")
        if self.repo.is_dir(path):
            files = self.repo.glob(path + "/**", files_only=True)
            for file in files:
                self._planned[file] = None
            self._planned[path + "/"] = None
            self._dir_files[path + "/"] = files
            self._touch(path + "/", rule)
        elif self.read(path) is not None:
            self._planned[path] = None
            self._touch(path, rule)

    def skip(self, path: str, rule: Rule, note: str) -> None:
        self._touch(path, rule, note)

    def changes(self) -> list[Change]:
        """One Change per touched path; files inside a removed directory are folded into it."""
        changes = []
        for path, rules in sorted(self._rules.items()):
            if any(path.startswith(d) and path != d for d in self._dir_files):
                continue
            before = None if path.endswith("/") else self.original(path)
            after = self._planned.get(path, before)
            if path in self._conflicts:
                status = CONFLICT
            elif path not in self._planned:
                status = SKIP
            elif after is None:
                status = REMOVE
            elif before is None:
                status = CREATE
            else:
                status = EDIT if after != before else IDENTICAL
            change = Change(path, status, before, after)
            change.rules, change.note = rules, self._notes.get(path, "")
            change.files = self._dir_files.get(path, [])
            changes.append(change)
        return changes


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
        try:
            kind.apply_fix(rule, work)
        except FileProblem as problem:
            work.skip(problem.path, rule, f"cannot fix: {problem.message}")
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
