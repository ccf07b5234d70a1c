"""Listing a work tree at a cost that does not grow with the repository.

git answers "which files are tracked" from its index, which it reads whole whatever the pathspec:
at 500,000 files that is 57 MB read and ~150 MB of git's memory per command. What the index
says changes only when git rewrites it (always a new file renamed over the old one), so the
tracked paths a run asked for are kept in `<git dir>/conformance/` under the index file's
identity (device, inode, size, mtime and ctime in ns) and reused until git rewrites it: exactly
git's answer, without git. Untracked files are found by walking the few folders the rules name
and asking `git check-ignore --no-index` about the ones the index does not hold (it reads the
ignore files, never the index).

The first run after any change to the index lists as before and fills the cache; a `.git` that
cannot be written, or a layout the cache cannot vouch for (`GIT_DIR`, `GIT_INDEX_FILE`, … set),
means no cache: the full listing, every time. `CONFORMANCE_LISTING=full` forces it (the benchmark
and the tests compare both).
"""

from __future__ import annotations

import contextlib
import os
import time
import zlib
from pathlib import Path

# Set by the benchmark and the tests: git's full listing on every run, no cache read or written.
LISTING_ENV = "CONFORMANCE_LISTING"
# Environment variables that move the index or the work tree away from where the cache looks.
_GIT_LAYOUT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR")
# A walk of a rule's folders that visits more entries than this hands the listing back to git,
# which lists a large folder faster (and skips ignored ones without entering them).
WALK_LIMIT = 20_000
_VERSION = 2
# A file changed this recently (ns) is read, not kept: timestamps are coarse (a few ms), and a
# second change within the same tick and of the same size would look like no change.
RECENT_NS = 2_000_000_000


def full_listing_forced() -> bool:
    return os.environ.get(LISTING_ENV) == "full"


def _git_dir(root: Path) -> tuple[Path, str] | None:
    """(git directory, root's path inside the work tree) of the repository holding `root`, found
    without running git; None when there is none or it is laid out in a way this does not read."""
    for top in (root, *root.parents):
        dot_git = top / ".git"
        try:
            if dot_git.is_dir():
                git_dir = dot_git
            elif dot_git.is_file():  # a linked work tree or a submodule: `gitdir: <path>`
                text = dot_git.read_text(encoding="utf-8").strip()
                if not text.startswith("gitdir: "):
                    return None
                git_dir = Path(top, text[len("gitdir: ") :])
            else:
                continue
        except (OSError, UnicodeDecodeError):
            return None
        return git_dir, "" if root == top else root.relative_to(top).as_posix()
    return None


class IndexCache:
    """Facts read from git's index, kept between runs while the index file stays the same."""

    def __init__(self, root: Path):
        self.file: Path | None = None
        self.index: Path | None = None
        self.prefix = ""
        self.facts: dict = {}
        found = None if any(os.environ.get(v) for v in _GIT_LAYOUT_ENV) else _git_dir(root)
        if found is None or full_listing_forced():
            return
        git_dir, self.prefix = found
        self.index = git_dir / "index"
        self.file = _cache_file(git_dir, "listing", self.prefix)
        key = self.identity()
        if key is None:
            return
        try:
            import json

            data = json.loads(self.file.read_bytes())
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("key") == [_VERSION, self.prefix, *key]:
            self.facts = data

    def identity(self) -> list[int] | None:
        """What changes whenever git writes the index; None when there is no index."""
        if self.index is None:
            return None
        try:
            info = os.stat(self.index)
        except OSError:
            return None
        return [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]

    def get(self, kind: str, name: str):
        return self.facts.get(kind, {}).get(name) if self.facts else None

    def put(self, kind: str, values: dict, before: list[int] | None) -> None:
        """Keep what git answered, when the index was the same before and after it answered."""
        if before is None or self.file is None or self.identity() != before:
            return
        if self.facts.get("key") != [_VERSION, self.prefix, *before]:
            self.facts = {"key": [_VERSION, self.prefix, *before]}
        self.facts.setdefault(kind, {}).update(values)
        _write(self.file, self.facts)


class WalkTooLarge(Exception):
    """The folders hold more than WALK_LIMIT entries: git lists them."""


def walk(root: Path, prefixes: list[str], skipped: frozenset[str]):
    """(files, symlinks, nested repositories as `dir/`, unreadable folders → OSError) below
    `prefixes`, as `git ls-files --others` would see the work tree before ignore rules: symlinks
    are files, a folder holding `.git` is a repository of its own and not entered."""
    files: list[str] = []
    links: set[str] = set()
    unreadable: dict[str, OSError] = {}
    visited = 0
    pending = []
    for prefix in prefixes:
        full = f"{root}/{prefix}"
        if _beyond_symlink(root, prefix):
            continue  # git lists nothing through a symlinked folder
        if os.path.islink(full):
            files.append(prefix)
            links.add(prefix)
        elif os.path.isdir(full):
            pending.append(prefix)
        elif os.path.lexists(full):
            files.append(prefix)
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(f"{root}/{folder}"))
        except OSError as error:
            unreadable[folder] = error
            continue
        visited += len(entries)
        if visited > WALK_LIMIT:
            raise WalkTooLarge
        if any(entry.name == ".git" for entry in entries):
            files.append(folder + "/")
            continue
        for entry in entries:
            if entry.name in skipped:
                continue
            path = f"{folder}/{entry.name}"
            if entry.is_symlink():
                files.append(path)
                links.add(path)
            elif entry.is_dir(follow_symlinks=False):
                pending.append(path)
            else:
                files.append(path)
    return files, links, unreadable


def _beyond_symlink(root: Path, path: str) -> bool:
    parent = path.rpartition("/")[0]
    while parent:
        if os.path.islink(f"{root}/{parent}"):
            return True
        parent = parent.rpartition("/")[0]
    return False


class FileFacts:
    """What a file holds (a text in it, its object id), kept between runs in
    `<git dir>/conformance/` under the file's identity (inode, size, mtime and ctime in ns): a
    file git or an editor rewrites gets new ones. A file changed in the last two seconds is not
    kept (its timestamps could stay the same through one more change)."""

    def __init__(self, root: Path):
        self.file: Path | None = None
        self.version: list | None = None
        self.facts: dict = {}
        self.changed = False
        found = None if any(os.environ.get(v) for v in _GIT_LAYOUT_ENV) else _git_dir(root)
        if found is None:
            return
        git_dir, prefix = found
        self.file = _cache_file(git_dir, "files", prefix)
        self.version = [_VERSION, prefix]
        try:
            import json

            data = json.loads(self.file.read_bytes())
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("version") == self.version:
            self.facts = data

    def get(self, question: str, path: str, identity: str | None):
        """The answer kept for a file whose `identity` (see `identity`) is still the same."""
        kept = self.facts.get(question, {}).get(path) if identity else None
        return kept[1] if kept and kept[0] == identity else None

    def put(self, question: str, path: str, identity: str | None, answer) -> None:
        if self.file is None or not identity:
            return
        self.facts.setdefault("version", self.version)
        self.facts.setdefault(question, {})[path] = [identity, answer]
        self.changed = True

    def save(self) -> None:
        if not self.changed or self.file is None:
            return
        self.changed = False
        _write(self.file, self.facts)


def _cache_file(git_dir: Path, kind: str, prefix: str) -> Path:
    """One file per folder of the work tree checked (the prefix is also written inside it and
    compared on reading: two prefixes may share a checksum)."""
    checksum = zlib.crc32(prefix.encode("utf-8", "surrogateescape"))
    return git_dir / "conformance" / f"{kind}-{checksum:08x}.json"


def identity(info: os.stat_result) -> str:
    """What changes when a file is written (inode, size, mtime, ctime), as one short string (a
    large monorepo keeps ten thousand); "" for a file changed too recently to be kept."""
    if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) < RECENT_NS:
        return ""
    return f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"


def _write(file: Path, data: dict) -> None:
    """Replace a cache file whole (a reader sees the old one or the new one); a read-only .git
    keeps nothing."""
    import json

    temporary = file.with_name(f"{file.name}.{os.getpid()}.tmp")
    try:
        file.parent.mkdir(exist_ok=True)
        temporary.write_text(json.dumps(data), encoding="utf-8")
        os.replace(temporary, file)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
