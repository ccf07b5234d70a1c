"""The repository as a fix would leave it: an in-memory overlay that rule kinds edit.

Fixes never touch disk while they are planned: each failing rule edits the `Workspace`, so several
rules can edit one file (package.json) and the whole plan can be shown as a diff before anything
is written (`fix.py` writes it).
"""

from __future__ import annotations

import os

from .containment import IN_GIT_DIR, OUTSIDE, in_git_dir
from .model import FileProblem, Rule
from .repo import RepoView

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


def _out_of_bounds(path: str) -> str | None:
    """Why a path may never be written or removed, whatever a contract's parameters say."""
    parts = path.rstrip("/").split("/")
    if path.rstrip("/") in ("", "."):
        return "it is the repository itself"
    if path.startswith("/") or ".." in parts:  # stricter than a read: no `..` at all
        return f"it is {OUTSIDE}"
    if in_git_dir(path):
        return IN_GIT_DIR
    return None


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
        """The file as it is in the repository (None when it is not there); FileProblem when
        it cannot be read as text."""
        if not self.repo.is_file(path):
            return None
        return self.repo.text(path)

    def _text_or_none(self, path: str) -> str | None:
        try:
            return self.original(path)
        except FileProblem:
            return None

    def read(self, path: str) -> str | None:
        """The file as the plan leaves it so far."""
        return self._planned[path] if path in self._planned else self.original(path)

    def _touch(self, path: str, rule: Rule, note: str = "") -> None:
        rules = self._rules.setdefault(path, [])
        if rule.id not in rules:
            rules.append(rule.id)
        if note and note not in self._notes.get(path, ""):
            # Two rules skipping one file may say different things: both are shown.
            self._notes[path] = f"{self._notes[path]}; {note}" if path in self._notes else note

    def edit(self, path: str, text: str, rule: Rule) -> None:
        """Set the content of a file the rule is entitled to change (or create)."""
        refused = _out_of_bounds(path)
        if refused:
            self._conflict(path, rule, f"not written: {refused}")
            return
        if os.path.islink(self.repo.root / path):
            # Applying refuses to write through a symlink: the plan says so first.
            self._conflict(path, rule, "is a symlink: `fix` does not write through one")
            return
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
        """Remove a file, or a directory with the repository's files in it. Never the root,
        nothing outside it or in git's own folder, and no directory that cannot be listed
        whole: those stay, and the plan says why."""
        path = path.rstrip("/")
        refused = _out_of_bounds(path)
        if refused:
            self.skip(path, rule, f"not removed: {refused}")
        elif self.repo.is_dir(path):
            if not os.access(self.repo.root / path, os.R_OK | os.X_OK):
                self.skip(path + "/", rule, "not removed: it cannot be listed (permission denied)")
                return
            files = self.repo.glob(path + "/**", files_only=True)
            if not files:
                self.skip(path + "/", rule, "not removed: it holds no file of the repository")
                return
            for file in files:
                self._planned[file] = None
            self._planned[path + "/"] = None
            self._dir_files[path + "/"] = files
            self._touch(path + "/", rule)
        elif self.repo.is_file(path) or path in self._planned:
            self._planned[path] = None
            self._touch(path, rule)

    def skip(self, path: str, rule: Rule, note: str) -> None:
        self._touch(path, rule, note)

    def planned(self, path: str) -> bool:
        """Whether the plan writes or removes this file (or directory, ending in `/`)."""
        return path in self._planned

    def amend(self, path: str, text: str, note: str) -> None:
        """Change what the plan writes at a path it already writes (say, to keep re-exports
        other packages still import), saying why."""
        self._planned[path] = text
        self._notes[path] = note

    def annotate(self, path: str, note: str) -> None:
        """Add to what is said about a planned change (shown next to its status)."""
        previous = self._notes.get(path)
        self._notes[path] = f"{previous}; {note}" if previous else note

    def hold(self, path: str, note: str) -> None:
        """Leave a planned change out of the plan: it becomes a conflict, with the reason."""
        for file in self._dir_files.get(path, []):
            self._planned.pop(file, None)
        self._planned.pop(path, None)
        self._conflicts.add(path)
        self._notes[path] = note

    def leave(self, path: str, note: str) -> None:
        """Take a planned change out of the plan on purpose (it becomes `skip`, with why)."""
        for file in self._dir_files.pop(path, []):
            self._planned.pop(file, None)
        self._planned.pop(path, None)
        self.annotate(path, note)

    def changes(self) -> list[Change]:
        """One Change per touched path; files inside a removed directory are folded into it (a
        place inside one, `path:line`, a translator reports something it left out of, stays)."""
        changes = []
        for path, rules in sorted(self._rules.items()):
            inside = any(path.startswith(d) and path != d for d in self._dir_files)
            if inside and path in self._planned:
                continue
            # A file to remove need not be readable; one left as it is may not be (its `after`
            # is its text when it can be read).
            planned = path in self._planned and path not in self._conflicts
            if planned:
                after = self._planned[path]
                before = None if after is None else self.original(path)
            else:
                before = after = None if path.endswith("/") else self._text_or_none(path)
            if path in self._conflicts:
                status = CONFLICT
            elif not planned:
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
