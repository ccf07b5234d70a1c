"""One cached view of the target repository.

Files are listed from git when the root is inside a work tree (tracked plus untracked files that
are not ignored, minus files deleted from the work tree), otherwise by walking the tree. Only the
directories the rules name are listed, `node_modules` and `.git` are never entered, and every file
is read and parsed at most once per run. Of the TypeScript files the rules scan by the hundred, what
the rules need is kept (`typescript_facts`), not the syntax trees.
"""

from __future__ import annotations

import errno
import os
import posixpath
import re
import stat
import sys
from collections import namedtuple
from pathlib import Path

from .containment import OUTSIDE, outside, outside_in, spelled_outside
from .globs import compile_glob, has_magic, literal_prefix
from .listing import identity
from .model import FileProblem, Inspection, UsageError

TYPE_CHECKING = False  # `typing` costs ~5 ms of start-up; annotations are not evaluated
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any

    from .yamlcache import CompiledDocument

SKIPPED_DIRS = frozenset({"node_modules", ".git"})
# What `fix` leaves in the work tree for a moment: its temporary files
# (`.package.json.k3j9x_2a.conformance-tmp`, renamed over their targets; a `fix` killed before
# the rename leaves one, which the next `fix` deletes) and its lock outside git. Never part of
# the repository, whatever git says of them.
FIX_OWN_FILE = re.compile(
    r"(?:^|/)(?:\.conformance\.lock|\.[^/]+\.[a-z0-9_]{8}\.conformance-tmp)\Z"
)
# `-s`: a tracked entry comes as `mode object stage<TAB>path`, an untracked one as its path.
_LS_FILES = ["ls-files", "-z", "-s", "--cached", "--others", "--exclude-standard", "--"]
_SYMLINK_MODE = "120000 "


class JsonDocument:
    def __init__(self, path: str, text: str, data: Any):
        self.path, self.text, self.data = path, text, data
        self._key_lines: dict[tuple, int] | None = None

    def line_of(self, *keys: str | int) -> int | None:
        """Line of the deepest existing key along `keys` (the parent when the key is missing)."""
        if self._key_lines is None:
            from .jsonlines import key_lines

            self._key_lines = key_lines(self.text)
        while keys:
            line = self._key_lines.get(tuple(keys))
            if line is not None:
                return line
            keys = keys[:-1]
        return None


class YamlDocument(namedtuple("YamlDocument", "path data node")):
    __slots__ = ()

    def line_of(self, *keys: str | int) -> int | None:
        """Line of the deepest existing key along `keys`; anchors and merges are not followed."""
        from yaml import MappingNode, SequenceNode

        node, line = self.node, None
        for key in keys:
            if isinstance(node, MappingNode):
                for key_node, value_node in node.value:
                    if key_node.value == key:
                        node, line = value_node, key_node.start_mark.line + 1
                        break
                else:
                    return line
            elif isinstance(node, SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                return line
        return line


ComposeService = namedtuple("ComposeService", "name image line")

Needles = namedtuple("Needles", "words regex")
Needles.__doc__ = """What a file must contain to be worth parsing: one of `words` (a substring
test, fast), then a match of `regex` (precise: a regex alone is slower to scan a large file)."""


class RepoView:
    # Whether the view lists the work tree (and may keep what git's index says between runs).
    reads_work_tree = True

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).resolve()
        # What a file's path in the repository follows on disk: a string join, once per file,
        # costs less than pathlib's `/` or formatting the Path each time.
        self._root_slash = f"{self.root}/"
        self._listed: set[str] = set()  # the folders listed so far ("" is the whole tree)
        self._files: set[str] = set()
        self._dirs: set[str] = set()
        self._texts: dict[str, str | FileProblem] = {}
        # Folder → why it leads outside the repository, or None (see `_read_bytes`).
        self._folders_outside: dict[str, str | None] = {}
        self._documents: dict[tuple[str, str], Any] = {}
        self._disk: dict[str, bool] = {}
        # What `_on_disk` found, for `files_holding`: a regular file's `listing.identity`, None
        # for anything else (a stat result takes ~600 bytes: 6 MB for 10,000 manifests).
        self._stats: dict[str, str | None] = {}
        self._untracked: set[str] = set()  # listed files git does not track (and does not ignore)
        self._use_git: bool | None = None
        self._git_trusted = False  # git was asked whether it reads this work tree, and does
        self._cache = None
        self._facts_kept = None
        self._found: dict[str, list[str]] = {}  # pattern → `find(pattern, present=False)`
        self._present_found: dict[str, list[str]] = {}  # pattern → `find(pattern)`
        self._finding: dict[str, Any] = {}
        # (path, extract, key) → what `extract` found in the file, or the FileProblem reading it
        self._facts: dict[tuple[str, Any, Any], Any] = {}
        # path → the extractions announced for it and not run yet (`expect_facts`)
        self._mentions: dict[tuple[str, Any], bool] = {}
        self._grepped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        self._grepping: dict[tuple[str, tuple[str, ...]], tuple[int, int]] = {}
        self._expected: dict[str, list[tuple[Any, Any]]] = {}
        # Folders the listing could not enter (unreadable, or a symlink leading out): a rule
        # whose globs reach into one cannot check it, and says so.
        self._unreadable: dict[str, FileProblem] = {}
        # A symlinked folder inside the repository a rule names a path through → the folder
        # it points to (`docs` → `documentation`).
        self._aliases: dict[str, str] = {}
        self._followed: set[str] = set()
        # Symlinks the listing holds (as a file, as git lists them: never entered).
        self._listed_links: set[str] = set()
        self._link_targets: dict[str, str | None] = {}
        # What the rule being checked looks at (see `Inspection`); None outside a check.
        self.inspection: Inspection | None = None

    # Listing -----------------------------------------------------------------------------

    def prefetch(self, patterns: list[str]) -> None:
        """List, in one go, everything the given globs can match."""
        self._ensure_listed({literal_prefix(pattern) for pattern in patterns})

    def _covered(self, prefix: str, listed: set[str] | None = None) -> bool:
        """Whether `prefix` or a folder holding it is in `listed` (the folders listed so far):
        a look-up per ancestor, not a scan of thousands of listed files."""
        listed = self._listed if listed is None else listed
        return "" in listed or any(a in listed for a in _self_and_ancestors(prefix))

    def _ensure_listed(self, prefixes: set[str]) -> None:
        prefixes = {p for p in prefixes if not spelled_outside(p)}
        self._list_prefixes(prefixes)
        for prefix in prefixes:
            self._follow_link_on(prefix)

    def _list_prefixes(self, prefixes: set[str]) -> None:
        wanted = sorted(p for p in prefixes if not self._covered(p))
        # Listing a parent covers its children: keep only the outermost prefixes.
        outermost: list[str] = []
        kept: set[str] = set()
        for prefix in wanted:
            if not self._covered(prefix, kept):
                outermost.append(prefix)
                kept.add(prefix)
        if not outermost:
            return
        for path in self._list(outermost):
            self._add(path)
        self._listed.update(outermost)

    def _add(self, path: str) -> None:
        self._files.add(path)
        parent = path.rpartition("/")[0]
        while parent and parent not in self._dirs:
            self._dirs.add(parent)
            parent = parent.rpartition("/")[0]

    def _follow_link_on(self, prefix: str) -> None:
        """A path named through a symlinked folder (`docs/guide.md` with `docs` → `documentation`)
        is listed as what the folder it points to holds, when that folder is inside the
        repository: listings never enter symlinks, so it would otherwise be silently missing.
        A symlink leading out, or back to a folder holding it, is recorded as a folder the rules
        cannot check."""
        if prefix in self._followed:
            return
        self._followed.add(prefix)
        # A listed folder holds no symlink on its way: only the parts below the last one can.
        unlisted = []
        for ancestor in _self_and_ancestors(prefix):
            if ancestor in self._dirs:
                break
            unlisted.append(ancestor)
        link = next((a for a in reversed(unlisted) if self._link_target(a) is not None), None)
        if link is None or link in self._unreadable or link in self._aliases:
            return
        target = self._link_target(link)
        if target.startswith("/"):
            inside = target.startswith(f"{self.root}/")
            relative = target[len(f"{self.root}/") :] if inside else "/"
        else:
            relative = posixpath.join(posixpath.dirname(link), target)
        resolved = posixpath.normpath(relative)
        real = normalize(resolved)
        if spelled_outside(resolved) or real == "" or link.startswith(real + "/"):
            why = "pointing outside the repository" if spelled_outside(resolved) else "loop"
            self._unreadable[link] = FileProblem(link, f"is a symlink {why} ({target})")
            return
        self._aliases[link] = real
        self._ensure_listed({real})
        for path in [p for p in self._files if p == real or p.startswith(real + "/")]:
            self._add(link + path[len(real) :])

    def _link_target(self, path: str) -> str | None:
        """Where a symlink points (as written in it); None for anything else."""
        if path not in self._link_targets:
            self._link_targets[path] = self._read_link(path)
        return self._link_targets[path]

    def _read_link(self, path: str) -> str | None:
        try:
            return os.readlink(f"{self.root}/{path}")
        except (OSError, ValueError):
            return None

    def _problems_under(self, prefix: str) -> None:
        """Tell the rule being checked about the folders it could not list below `prefix`."""
        if self.inspection is None or not self._unreadable:
            return
        for folder, problem in self._unreadable.items():
            if (
                not prefix
                or folder == prefix
                or folder.startswith(prefix + "/")
                or (prefix.startswith(folder + "/"))
            ):
                self.inspection.problems[folder] = problem

    def _list(self, prefixes: list[str]) -> list[str]:
        files = self._list_git(prefixes) if self._git_available() else None
        return self._list_walk(prefixes) if files is None else files

    def _git_available(self) -> bool:
        if self._use_git is None:
            self._use_git = any((d / ".git").exists() for d in (self.root, *self.root.parents))
        return self._use_git

    def _insist_on_git(self) -> None:
        """Before reading the disk where git did not answer: a work tree git refuses to read
        (\"dubious ownership\" in a CI container, a broken config) would have its ignored files
        checked as if they were the repository's, so that is a usage error; a folder outside any
        repository, a repository with nothing committed yet and a missing git read the disk."""
        if not self.reads_work_tree or not self._git_available() or self._git_trusted:
            return
        refusal = git_refusal(self.root)
        if refusal is not None:
            raise UsageError(refusal)
        self._git_trusted = True

    def _index_cache(self):
        """The tracked files kept from earlier runs (see `listing`), or None for a view that does
        not read the work tree."""
        if self._cache is None:
            from .listing import IndexCache

            self._cache = IndexCache(self.root)
        return self._cache

    def _list_git(self, prefixes: list[str]) -> list[str] | None:
        prefixes = [p for p in prefixes if not spelled_outside(p)]
        if not prefixes:
            return []
        listed = self._list_cached(prefixes)
        return listed if listed is not None else self._list_index(prefixes)

    def _list_cached(self, prefixes: list[str]) -> list[str] | None:
        """The files below `prefixes` from the tracked files kept for the index as it is, and a
        walk of those folders for the untracked ones (`git check-ignore` weeds out the ignored);
        None when the cache does not hold them all or the walk is better left to git."""
        from .listing import WalkTooLarge, walk

        cache = self._index_cache()
        kept = [self._kept_tracked(cache, prefix) for prefix in prefixes]
        if any(normalize(prefix) == "" for prefix in prefixes) or None in kept:
            return None
        try:
            found, links, unreadable = walk(self.root, prefixes, SKIPPED_DIRS)
        except WalkTooLarge:
            return None
        if unreadable:
            return None  # git says which of them it would have entered
        tracked = {path: link for entries in kept for path, link in entries}
        new = [
            path
            for path in found
            if path not in tracked
            and path.rstrip("/") not in tracked  # a submodule
            and not SKIPPED_DIRS.intersection(path.split("/"))
            and not FIX_OWN_FILE.search(path)
        ]
        ignored = _ignored(self.root, new) if new else set()
        if ignored is None:
            return None
        self._listed_links.update(path for path, link in tracked.items() if link)
        self._listed_links.update(path for path in new if path in links)
        untracked = [path for path in new if path not in ignored]
        self._untracked.update(untracked)
        return [*tracked, *untracked]

    def _file_facts(self):
        """What files held at earlier runs (see `listing.FileFacts`), read once per run."""
        if self._facts_kept is None:
            from .listing import FileFacts

            self._facts_kept = FileFacts(self.root)
        return self._facts_kept

    @staticmethod
    def _kept_tracked(cache, prefix: str) -> list[tuple[str, bool]] | None:
        """The tracked files below `prefix` kept for the index as it is (listed with it, or
        with a folder holding it); None when none were kept."""
        for folder in _self_and_ancestors(prefix):
            entries = cache.get("tracked", folder)
            if entries is not None:
                return (
                    entries if folder == prefix else [e for e in entries if _is_below(e[0], prefix)]
                )
        return None

    def _list_index(self, prefixes: list[str]) -> list[str] | None:
        # Literal excludes keep git out of untracked node_modules next to the listed paths; a
        # `**` glob exclude would cost a scan of the whole tree. Deleted files are weeded out at
        # query time (`--deleted` costs an lstat of every index entry, whatever the pathspec).
        cache = self._index_cache()
        before = cache.identity()
        specs = [f":(literal){p}" if p else "." for p in prefixes]
        excludes = [
            f":(exclude,literal){p}/{d}" if p else f":(exclude){d}"
            for p in prefixes
            for d in SKIPPED_DIRS
        ]
        # git skips a folder it cannot open with a warning only: each is a folder a rule whose
        # paths reach into it cannot check. Its stderr goes to a file, which never fills up.
        with _scratch_file() as warnings:
            output = collect_git(
                spawn_git(self.root, [*_LS_FILES, *specs, *excludes], warnings.fileno())
            )
            warnings.seek(0)
            said = warnings.read().decode("utf-8", "surrogateescape")
        if output is None:
            self._insist_on_git()
            self._use_git = False
            return None
        for folder, reason in _UNOPENED.findall(said):
            self._unreadable[folder] = FileProblem(
                folder, f"is a folder that cannot be listed: {reason.lower()}"
            )
        paths = []
        kept: dict[str, list[tuple[str, bool]]] = {prefix: [] for prefix in prefixes}
        for entry in output.decode("utf-8", "surrogateescape").split("\0"):
            head, tab, path = entry.partition("\t")
            tracked = tab and len(head) in (49, 73) and head[6] == " "  # sha1 or sha256 names
            if not tracked:
                head, path = "", entry
            if not path or SKIPPED_DIRS.intersection(path.split("/")) or FIX_OWN_FILE.search(path):
                continue
            paths.append(path)
            link = (
                head.startswith(_SYMLINK_MODE) if tracked else os.path.islink(f"{self.root}/{path}")
            )
            if link:
                self._listed_links.add(path)
            if tracked:
                for prefix in _prefixes_holding(path, prefixes):
                    kept[prefix].append((path, link))
            else:
                self._untracked.add(path)
        if not said and all(normalize(prefix) for prefix in kept):
            cache.put("tracked", kept, before)
        return paths

    def _list_walk(self, prefixes: list[str]) -> list[str]:
        found: list[str] = []

        def unreadable(error: OSError) -> None:
            folder = os.path.relpath(error.filename, self.root).replace(os.sep, "/")
            reason = "permission denied" if isinstance(error, PermissionError) else error.strerror
            problem = FileProblem(folder, f"is a folder that cannot be listed: {reason}")
            self._unreadable[folder] = problem

        for prefix in prefixes:
            start = self.root / prefix if prefix else self.root
            if set(prefix.split("/")) & SKIPPED_DIRS or outside(self.root, prefix):
                continue
            if os.path.islink(start) or not start.is_dir():
                if os.path.lexists(start):
                    found.append(prefix)
                continue
            for dirpath, dirnames, filenames in os.walk(start, onerror=unreadable):
                rel = os.path.relpath(dirpath, self.root).replace(os.sep, "/")
                base = "" if rel == "." else rel + "/"
                # A symlinked folder is listed as the link, as git lists it, and not entered.
                dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
                links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
                dirnames[:] = [d for d in dirnames if d not in links]
                found.extend(
                    base + name for name in (*filenames, *links) if not FIX_OWN_FILE.search(name)
                )
                self._listed_links.update(base + name for name in links)
        return found

    def find(self, pattern: str, *, present: bool = True) -> list[str]:
        """Files anywhere in the repository whose path matches `pattern` (an extended regular
        expression, as grep reads it), sorted. Inside git these are the files git tracks, listed
        by `git ls-files | grep -E` (the whole index is scanned in C, or the answer kept for the
        index as it is, see `listing`; untracked files are seen where the rules list their
        paths); outside git, or before the first `git add`, the tree on disk. `node_modules` is
        never listed. The project model discovers what the repository is from these;
        `start_find` begins the listing early, in the background. With `present=False`, tracked
        files deleted from the work tree are kept (`present` tells them, one stat each)."""
        found = self._found.get(pattern)
        if found is None:
            listed = None
            if self.start_find(pattern):
                listed = self._collect_find(pattern, self._finding.pop(pattern))
                if not listed and not run_git(self.root, self._tracked_command()):
                    listed = None  # nothing committed or staged yet: the disk is the repository
            if listed is None:
                self._insist_on_git()
                regex = re.compile(pattern)
                listed = [path for path in self._list_walk([""]) if regex.search(path)]
            found = self._found[pattern] = sorted(
                [
                    path
                    for path in listed
                    if "node_modules/" not in path and not path.startswith(".git/")
                ]
            )
        if not present:
            return found
        if pattern not in self._present_found:
            self._present_found[pattern] = [path for path in found if self._on_disk(path)]
        return self._present_found[pattern]

    def present(self, path: str) -> bool:
        """Whether a file `find` listed is in the work tree (git lists tracked files even after
        they were deleted from it): one stat, once per run."""
        # The kept answer first: a monorepo asks this twice for each of thousands of manifests.
        present = self._disk.get(path)
        return self._on_disk(path) if present is None else present

    def grep(self, pattern: str, suffixes: tuple[str, ...]) -> list[str]:
        """Files named `*<suffix>` whose text matches `pattern` (an extended regular expression
        in the subset git and Python read alike), sorted. Inside git, the files git tracks,
        searched by `git grep` (in C: reading a large repository's sources here costs several
        times more); outside git, or before the first `git add`, the files on disk. Discovery
        finds the few modules worth parsing with it; `start_grep` begins searching early, so
        several searches run at once. `node_modules` is never searched."""
        key = (pattern, suffixes)
        found = self._grepped.get(key)
        if found is None:
            listed = None
            if self.start_grep(pattern, suffixes):
                listed = self._collect_grep(self._grepping.pop(key))
                if not listed and not run_git(self.root, self._tracked_command()):
                    listed = None  # nothing committed or staged yet: the disk is the repository
            if listed is None:
                self._insist_on_git()
                listed = self._grep_disk(pattern, suffixes)
            found = self._grepped[key] = sorted(
                path
                for path in listed
                if not SKIPPED_DIRS.intersection(path.split("/")) and self._on_disk(path)
            )
        return found

    def start_grep(self, pattern: str, suffixes: tuple[str, ...]) -> bool:
        """Start `grep(pattern, suffixes)` in the background (git only); False when it cannot."""
        key = (pattern, suffixes)
        if key in self._grepping:
            return True
        if key in self._grepped or not self._git_available():
            return False
        specs = ["--", *(f"*{suffix}" for suffix in suffixes)]
        command = ["grep", "-l", "-z", "-I", "-E", "-e", pattern, *self.grep_tree(), *specs]
        spawned = spawn_git(self.root, command)
        if spawned is None:
            return False
        self._grepping[key] = spawned
        return True

    def _collect_grep(self, spawned: tuple[int, int]) -> list[str] | None:
        """The paths a `git grep -l -z` listed, relative to the root; None when git failed."""
        output = collect_git(spawned, succeeded=(0, 1))
        if output is None:
            return None
        prefix = self.grep_prefix()
        listed = output.decode("utf-8", "surrogateescape").split("\0")
        return [path[len(prefix) :] for path in listed if path]

    def changed_since(self, rev: str, prefixes: list[str]) -> set[str] | None:
        """The files below `prefixes` that `git diff --no-renames --name-only REV` and
        `git ls-files --others --exclude-standard` would name (changed since `rev`, committed,
        staged or not; untracked), without reading git's index: the tracked files kept for the
        index as it is (see `listing`), `git ls-tree` of `rev` along those paths only, and each
        file's object id (kept under its stat; `git hash-object`, which applies the repository's
        attributes, for the others). None when that cannot answer exactly — a sparse checkout,
        a submodule, a change of mode only, no cache — and git compares."""
        from .listing import full_listing_forced

        prefixes = sorted({normalize(p) for p in prefixes if not spelled_outside(p)})
        if (
            not self.reads_work_tree
            or full_listing_forced()
            or "" in prefixes
            or not self._git_available()
        ):
            return None
        cache = self._index_cache()
        if cache.file is None or (cache.file.parent.parent / "info/sparse-checkout").exists():
            return None
        self._list_prefixes(set(prefixes))
        outermost = [p for p in prefixes if not any(p.startswith(o + "/") for o in prefixes)]
        kept = [self._kept_tracked(cache, prefix) for prefix in outermost]
        if None in kept:
            return None
        tracked = {path for entries in kept for path, _ in entries}
        specs = [f":(literal){p}" for p in outermost]
        listed = run_git(self.root, ["ls-tree", "-r", "-z", rev, "--", *specs])
        if listed is None:
            return None
        committed: dict[str, tuple[str, str]] = {}  # path → (mode, object id) at `rev`
        for entry in listed.decode("utf-8", "surrogateescape").split("\0"):
            head, _, path = entry.partition("\t")
            if path:
                mode, _, oid = head.split(" ")
                committed[path] = (mode, oid)
        if any(mode == "160000" for mode, _ in committed.values()):
            return None
        facts = self._file_facts()
        now: dict[str, tuple[str, str | None]] = {}  # path → (mode, object id) in the work tree
        unhashed = []
        linked: dict[str, bool] = {}  # folder → whether it or a folder holding it is a symlink
        for path in tracked:
            if _through_symlink(self.root, path.rpartition("/")[0], linked):
                continue  # git sees no file beyond a symlink: absent
            try:
                info = os.lstat(f"{self.root}/{path}")
            except (OSError, ValueError):
                continue  # deleted: absent
            if stat.S_ISLNK(info.st_mode):
                mode = "120000"
            elif stat.S_ISREG(info.st_mode):
                mode = "100755" if info.st_mode & stat.S_IXUSR else "100644"
            else:
                return None
            oid = facts.get("object id", path, identity(info))
            now[path] = (mode, oid)
            if oid is None:
                unhashed.append((path, info))
        if len(unhashed) > HASHED_AT_MOST:
            return None
        if unhashed:
            hashed = _hash_objects(self.root, [path for path, _ in unhashed])
            if hashed is None:
                return None
            for (path, info), oid in zip(unhashed, hashed, strict=True):
                now[path] = (now[path][0], oid)
                facts.put("object id", path, identity(info), oid)
            facts.save()
        changed = {
            path
            for path in {*committed, *now}
            if committed.get(path, (None, None))[1] != now.get(path, (None, None))[1]
        }
        for path in committed.keys() & now.keys() - changed:
            if committed[path][0] != now[path][0]:
                return None  # a change of mode only: whether it counts is git's config
        return changed | set(self._untracked_below(outermost))

    def _untracked_below(self, prefixes: list[str]) -> list[str]:
        return [p for p in self._untracked if any(_is_below(p, prefix) for prefix in prefixes)]

    def files_holding(self, paths: list[str], needles: list[str]) -> list[str] | None:
        """Which of these tracked files hold one of `needles`, sorted, as `git grep -l -F` over
        them would say (bytes compared; a symlink is not searched, an unreadable file is
        kept: its reader reports it), without reading git's index. What each file holds is
        kept between runs under the file's stat (see `listing.FileFacts`). None when the view is
        not a git work tree, or CONFORMANCE_LISTING=full asks for `git grep`."""
        from .listing import full_listing_forced

        if not self.reads_work_tree or not self._git_available() or full_listing_forced():
            return None
        facts = self._file_facts()
        question = "\0".join(sorted(needles))
        encoded = [needle.encode() for needle in needles]
        found = []
        for path in paths:
            if path in self._stats:
                kept = self._stats[path]
            else:
                try:
                    kept = _regular_identity(os.lstat(self._root_slash + path))
                except (OSError, ValueError):
                    continue
            if kept is None:
                continue  # not a regular file: git grep does not search it
            holds = facts.get(question, path, kept)
            if holds is None:
                try:
                    data = read_file(f"{self.root}/{path}", path)
                except FileProblem:
                    found.append(path)
                    continue
                holds = any(needle in data for needle in encoded)
                facts.put(question, path, kept, holds)
            if holds:
                found.append(path)
        facts.save()
        return sorted(found)

    def grep_tree(self) -> list[str]:
        """What `git grep` searches for this view: nothing named is the work tree."""
        return []

    def grep_prefix(self) -> str:
        """What `git grep` puts before each path it lists for this view."""
        return ""

    def _grep_disk(self, pattern: str, suffixes: tuple[str, ...]) -> list[str]:
        regex = re.compile(pattern)
        found = []
        for path in self._list_walk([""]):
            if not path.endswith(suffixes):
                continue
            try:
                text = self._read_bytes(path).decode("utf-8", "replace")
            except FileProblem:
                continue
            if regex.search(text):
                found.append(path)
        return found

    def start_find(self, pattern: str) -> bool:
        """Start listing `find(pattern)` in the background (git only); False when it cannot.
        Tracked files kept for the index as it is (see `listing`) need no git at all."""
        if pattern in self._finding:
            return True
        if pattern in self._found or not self._git_available():
            return False
        cache = self._index_cache() if self.reads_work_tree else None
        kept = cache.get("find", pattern) if cache else None
        if kept:  # an empty listing goes to git: the index may be empty, then the disk answers
            self._finding[pattern] = (kept, None, None)
            return True
        before = cache.identity() if cache else None
        spawned = spawn_pipeline(self.root, self._tracked_command(), ["grep", "-zE", pattern])
        if spawned is None:
            return False
        self._finding[pattern] = (None, spawned, before)
        return True

    def _tracked_command(self) -> list[str]:
        return ["ls-files", "-z", "--cached"]

    def _collect_find(self, pattern: str, finding) -> list[str] | None:
        kept, spawned, before = finding
        if kept is not None:
            return kept
        output = collect_pipeline(spawned)
        if output is None:
            return None
        found = [path for path in output.decode("utf-8", "surrogateescape").split("\0") if path]
        if before is not None:
            self._index_cache().put("find", {pattern: found}, before)
        return found

    def glob(self, pattern: str, *, files_only: bool = False) -> list[str]:
        """Repo-relative paths (files, and directories unless `files_only`) matching a glob."""
        pattern = normalize(pattern)
        prefix = literal_prefix(pattern)
        self._ensure_listed({prefix})
        # A symlinked folder the pattern reaches below its literal prefix is followed too.
        if has_magic(pattern):
            for link in sorted(self._listed_links):
                if not prefix or link.startswith(prefix + "/"):
                    self._follow_link_on(link)
        self._problems_under(prefix)
        # A path that exists as written is taken literally: Next.js routes such as
        # `app/api/trpc/[trpc]/route.ts` would otherwise read as a character class.
        if pattern in self._files or (not files_only and pattern in self._dirs):
            found = [pattern]
        elif has_magic(pattern):
            regex = compile_glob(pattern)
            candidates = self._files if files_only else self._files | self._dirs
            found = sorted(path for path in candidates if regex.match(path))
        else:
            found = []
        found = [path for path in found if self._on_disk(path)]
        if self.inspection is not None:
            self.inspection.seen.update(found)
        return found

    def _on_disk(self, path: str) -> bool:
        """Git lists tracked files even after they were deleted from the work tree."""
        if not self._use_git:
            return True
        present = self._disk.get(path)
        if present is None:
            try:
                self._stats[path] = _regular_identity(os.lstat(self._root_slash + path))
                present = True
            except PermissionError:
                present = True  # in a folder that cannot be read: reading it says so
            except (OSError, ValueError):
                present = False
            self._disk[path] = present
        return present

    def exists(self, path: str) -> bool:
        return bool(self.glob(path))

    def is_dir(self, path: str) -> bool:
        path = normalize(path)
        self._ensure_listed({path})
        self._problems_under(path)
        found = path in self._dirs and self._on_disk(path)
        if found and self.inspection is not None:
            self.inspection.seen.add(path)
        return found

    def is_file(self, path: str) -> bool:
        return bool(self.glob(path, files_only=True))

    def file_exists(self, path: str) -> bool:
        """Whether a file exists, by one stat and without listing anything (git-ignored files
        count): for discovery's probes of known names (package.json, pnpm-workspace.yaml)."""
        root = str(self.root)
        return outside_in(root, path, self._folders_outside) is None and os.path.isfile(
            f"{root}/{path}"
        )

    def dir_exists(self, path: str) -> bool:
        """Whether a directory exists, by one stat and without listing anything."""
        root = str(self.root)
        return outside_in(root, path, self._folders_outside) is None and os.path.isdir(
            f"{root}/{path}"
        )

    # Reading -----------------------------------------------------------------------------

    def text(self, path: str) -> str:
        """A UTF-8 text file's contents; FileProblem when binary, undecodable or unreadable."""
        cached = self._texts.get(path)
        if cached is None:
            try:
                cached = self._read_text(path)
            except FileProblem as problem:
                cached = problem
            self._texts[path] = cached
        if self.inspection is not None and not getattr(cached, "missing", False):
            self.inspection.seen.add(path)
        if isinstance(cached, FileProblem):
            raise cached
        return cached

    def _read_text(self, path: str) -> str:
        data = self._read_bytes(path)
        if b"\0" in data[:8192]:
            raise FileProblem(path, "is a binary file, expected text")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            bad = data[error.start]
            raise FileProblem(path, f"is not valid UTF-8 (byte 0x{bad:02x})", line) from None

    def _read_bytes(self, path: str) -> bytes:
        root = str(self.root)
        full = f"{root}/{path}"
        reason = outside_in(root, path, self._folders_outside)
        if reason == OUTSIDE:
            raise FileProblem(path, "is outside the repository")
        if reason is not None:
            where = "is a symlink" if os.path.islink(full) else "is in a symlinked folder"
            raise FileProblem(path, f"{where} pointing outside the repository")
        return read_file(full, path)

    def _document(self, path: str, fmt: str, parse) -> Any:
        key = (path, fmt)
        cached = self._documents.get(key)
        if cached is None:
            try:
                cached = parse(path, self.text(path))
            except FileProblem as problem:
                cached = problem
            self._documents[key] = cached
        if isinstance(cached, FileProblem):
            raise cached
        return cached

    def json(self, path: str) -> JsonDocument:
        return self._document(path, "json", parse_json)

    def yaml(self, path: str) -> YamlDocument | CompiledDocument:
        return self._document(path, "yaml", self._parse_yaml)

    def _parse_yaml(self, path: str, text: str) -> YamlDocument | CompiledDocument:
        from .yamlcache import compiled

        return compiled("documents", f"{self.root}/{path}", path, text, parse_yaml)

    def toml(self, path: str) -> dict[str, Any]:
        return self._document(path, "toml", _parse_toml)

    def typescript(self, path: str):
        """The tree-sitter syntax tree of a TypeScript/JavaScript file (see `typescript.py`)."""
        return self._document(path, "typescript", _parse_typescript)

    def release_typescript(self, path: str) -> None:
        """Let go of a file's syntax tree once what it holds has been read (a large app's trees
        take ~18 bytes of memory per byte of source); a later `typescript()` parses it again."""
        self._documents.pop((path, "typescript"), None)

    def typescript_facts(self, path: str, extract, key: Any = ()) -> Any:
        """What `extract(repo, path, tree, key)` finds in a TypeScript/JavaScript file: plain
        data, without syntax nodes, computed once per run and kept where the tree is not (a
        large repository's trees take ~18 bytes of memory per byte of source). The file is
        parsed once: every extraction announced for it with `expect_facts` runs on that tree,
        and a tree `typescript()` already holds is reused. FileProblem when it cannot be read."""
        wanted = (path, extract, key)
        if wanted not in self._facts:
            pending = [
                (e, k) for e, k in self._expected.pop(path, ()) if (path, e, k) not in self._facts
            ]
            if (extract, key) not in pending:
                pending.append((extract, key))
            try:
                tree = self._documents.get((path, "typescript"))
                if tree is None:
                    tree = _parse_typescript(path, self.text(path))
                elif isinstance(tree, FileProblem):
                    raise tree
            except FileProblem as problem:
                for e, k in pending:
                    self._facts[(path, e, k)] = problem
            else:
                for e, k in pending:
                    self._facts[(path, e, k)] = e(self, path, tree, k)
        facts = self._facts[wanted]
        if isinstance(facts, FileProblem):
            raise facts
        return facts

    def mentions(self, path: str, needles: tuple[str, ...] | Needles) -> bool:
        """Whether a text file contains one of `needles` (and, with a `Needles` regex, matches
        it too), answered once per run: the cheap test that spares most files a parse.
        FileProblem when the file cannot be read."""
        key = (path, needles)
        found = self._mentions.get(key)
        if found is None:
            text = self.text(path)
            words, regex = needles if isinstance(needles, Needles) else (needles, None)
            found = any(word in text for word in words) and (
                regex is None or regex.search(text) is not None
            )
            self._mentions[key] = found
        return found

    def expect_facts(self, path: str, extract, key: Any = ()) -> None:
        """Announce that `typescript_facts(path, extract, key)` will be asked for, so that the
        first extraction from the file runs this one on the same tree."""
        if (path, extract, key) not in self._facts:
            self._expected.setdefault(path, []).append((extract, key))

    def package_json(self, path: str) -> JsonDocument:
        document = self.json(path)
        if not isinstance(document.data, dict):
            raise FileProblem(path, "is not a package.json object", 1)
        return document

    def compose_services(self, path: str) -> list[ComposeService]:
        return self._document(path, "compose", self._parse_compose)

    def _parse_compose(self, path: str, _text: str) -> list[ComposeService]:
        document = self.yaml(path)
        services = document.data.get("services") if isinstance(document.data, dict) else None
        if services is None:
            return []
        if not isinstance(services, dict):
            raise FileProblem(path, "`services` is not a mapping", document.line_of("services"))
        found = []
        for name, spec in services.items():
            image = spec.get("image") if isinstance(spec, dict) else None
            line = document.line_of("services", name)
            found.append(ComposeService(str(name), image if isinstance(image, str) else None, line))
        return found

    def lines_matching(self, path: str, regex: re.Pattern[str]) -> list[tuple[int, str]]:
        """(line, matched text) for every match of `regex` in a text file."""
        from .lines import LineCounter

        text = self.text(path)
        line_of = LineCounter(text)
        return [(line_of(m.start()), m.group()) for m in regex.finditer(text)]


def _prefixes_holding(path: str, prefixes: list[str]) -> Iterator[str]:
    parent = path
    while parent:
        if parent in prefixes:
            yield parent
        parent = parent.rpartition("/")[0]


def _regular_identity(info: os.stat_result) -> str | None:
    return identity(info) if stat.S_ISREG(info.st_mode) else None


def _through_symlink(root: Path, folder: str, linked: dict[str, bool]) -> bool:
    if not folder:
        return False
    if folder not in linked:
        parent = folder.rpartition("/")[0]
        linked[folder] = _through_symlink(root, parent, linked) or os.path.islink(
            f"{root}/{folder}"
        )
    return linked[folder]


def _is_below(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _hash_objects(root: Path, paths: list[str]) -> list[str] | None:
    """The object ids git would give these work-tree files (`git hash-object`, attributes
    applied); None when git fails."""
    output = run_git(root, ["hash-object", "--", *paths])
    ids = output.decode().split() if output is not None else []
    return ids if len(ids) == len(paths) else None


def _ignored(root: Path, paths: list[str]) -> set[str] | None:
    """Which of these untracked paths git ignores, by `git check-ignore --no-index` (the ignore
    files only, never the index); None when git cannot tell."""
    with _scratch_file() as asked:
        asked.write("".join(f"{path}\0" for path in paths).encode("utf-8", "surrogateescape"))
        asked.seek(0)
        command = ["check-ignore", "--no-index", "--stdin", "-z"]
        spawned = spawn_git(root, command, stdin=asked.fileno())
    output = collect_git(spawned, succeeded=(0, 1))
    if output is None:
        return None
    return {path for path in output.decode("utf-8", "surrogateescape").split("\0") if path}


def _self_and_ancestors(path: str) -> Iterator[str]:
    while path:
        yield path
        path = path.rpartition("/")[0]


def normalize(path: str) -> str:
    """`./a//b/` → `a/b`: contract paths built from parameters (`${package}/x` with package
    `.`) must name files the way listings do."""
    parts = [part for part in path.strip("/").split("/") if part not in ("", ".")]
    return "/".join(parts)


# git's warning for a folder it could not list (`LC_ALL=C`).
_UNOPENED = re.compile(r"^warning: could not open directory '(.*)/': (.*)$", re.MULTILINE)


def _scratch_file():
    """An anonymous file for what a child process writes (memory-backed on Linux)."""
    if hasattr(os, "memfd_create"):
        return os.fdopen(os.memfd_create("conformance-git-stderr"), "w+b")
    import tempfile

    return tempfile.TemporaryFile()


# What makes git look for the repository elsewhere than the nearest `.git` above a folder.
_GIT_DISCOVERY_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_CEILING_DIRECTORIES", "GIT_COMMON_DIR")


def git_prefix(root: Path) -> str | None:
    """Where `root` lies in its git work tree: "" at the top level, "services/kata/" below it;
    None when it is in no work tree (or git is missing). What CI systems want paths relative to:
    the repository they check out, not the folder conformance was pointed at. Found as git
    finds it, the nearest folder holding `.git`, without starting git (~2 ms) unless the
    environment tells git where to look."""
    if not any(name in os.environ for name in _GIT_DISCOVERY_ENV):
        here = os.path.realpath(root)
        folder = here
        while True:
            marker = os.path.join(folder, ".git")
            if os.path.isfile(marker) or os.path.isfile(os.path.join(marker, "HEAD")):
                inside = os.path.relpath(here, folder)
                return "" if inside == "." else inside.replace(os.sep, "/") + "/"
            parent = os.path.dirname(folder)
            if parent == folder or os.path.basename(folder) == ".git":
                break
            folder = parent
    shown = run_git(root, ["rev-parse", "--is-inside-work-tree", "--show-prefix"])
    if shown is None:
        return None
    inside, _, prefix = os.fsdecode(shown).partition("\n")
    return prefix.removesuffix("\n") if inside == "true" else None


def git_refusal(root: Path) -> str | None:
    """Why git refuses to read the repository holding `root`, in one line; None when it reads
    it, when there is no repository there, or when git is missing."""
    with _scratch_file() as said:
        output = collect_git(spawn_git(root, ["rev-parse", "--git-dir"], said.fileno()))
        said.seek(0)
        message = said.read().decode("utf-8", "surrogateescape")
    if output is not None or not message or "not a git repository" in message:
        return None
    lines = [line.strip().removeprefix("fatal: ") for line in message.splitlines()]
    return f"git cannot read {root}: " + "; ".join(line.rstrip(":") for line in lines if line)


def run_git(cwd: Path, args: list[str]) -> bytes | None:
    """git's stdout, or None when git is missing or fails."""
    return collect_git(spawn_git(cwd, args))


def spawn_git(
    cwd: Path, args: list[str], stderr: int | None = None, stdin: int | None = None
) -> tuple[int, int] | None:
    """Start git in the background: (pid, stdout pipe), or None when git is missing; it reads
    the file descriptor `stdin` (a file, which never blocks the writer), else nothing; its
    stderr goes to the file descriptor `stderr` (in English), else nowhere. Spawned with
    posix_spawn: importing `subprocess` alone costs ~4 ms of the check's start-up."""
    read_end, write_end = os.pipe()  # both close-on-exec; the child only keeps its dup as stdout
    actions = [
        (os.POSIX_SPAWN_DUP2, write_end, 1),
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)
        if stdin is None
        else (os.POSIX_SPAWN_DUP2, stdin, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)
        if stderr is None
        else (os.POSIX_SPAWN_DUP2, stderr, 2),
    ]
    env = os.environ if stderr is None else {**os.environ, "LC_ALL": "C"}
    try:
        pid = os.posix_spawnp("git", ["git", "-C", str(cwd), *args], env, file_actions=actions)
    except OSError:
        os.close(read_end)
        return None
    finally:
        os.close(write_end)
    return pid, read_end


def spawn_pipeline(cwd: Path, git_args: list[str], filter_argv: list[str]):
    """`git … | filter` in the background: (git pid, filter pid, filter's stdout), or None."""
    between_read, between_write = os.pipe()
    read_end, write_end = os.pipe()
    devnull = (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)
    pids: list[int] = []
    try:
        pids.append(
            os.posix_spawnp(
                "git",
                ["git", "-C", str(cwd), *git_args],
                os.environ,
                file_actions=[(os.POSIX_SPAWN_DUP2, between_write, 1), devnull],
            )
        )
        pids.append(
            os.posix_spawnp(
                filter_argv[0],
                filter_argv,
                os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, between_read, 0),
                    (os.POSIX_SPAWN_DUP2, write_end, 1),
                    devnull,
                ],
            )
        )
    except OSError:
        for pid in pids:
            os.waitpid(pid, 0)
        os.close(read_end)
        return None
    finally:
        for fd in (between_read, between_write, write_end):
            os.close(fd)
    return pids[0], pids[1], read_end


def collect_pipeline(spawned) -> bytes | None:
    """The filtered output of a `spawn_pipeline`; None when git failed. grep exits 1 when
    nothing matched, which is an empty result, not a failure."""
    git_pid, filter_pid, read_end = spawned
    with os.fdopen(read_end, "rb") as pipe:
        output = pipe.read()
    _, git_status = os.waitpid(git_pid, 0)
    _, filter_status = os.waitpid(filter_pid, 0)
    if os.waitstatus_to_exitcode(git_status) != 0:
        return None
    return output if os.waitstatus_to_exitcode(filter_status) in (0, 1) else None


def collect_git(spawned: tuple[int, int] | None, succeeded: tuple[int, ...] = (0,)) -> bytes | None:
    """The output of a `spawn_git`, or None when it failed (exited with a code not in
    `succeeded`: `git grep` and `git check-ignore` exit 1 when nothing matched)."""
    if spawned is None:
        return None
    pid, read_end = spawned
    with os.fdopen(read_end, "rb") as pipe:
        output = pipe.read()
    _, status = os.waitpid(pid, 0)
    return output if os.waitstatus_to_exitcode(status) in succeeded else None


# Past this many files to hash, `git diff` (which reads the index's stat data) compares faster.
HASHED_AT_MOST = 2_000
# The largest file read: more is not a source file or a manifest but data or an accident, and
# reading and parsing it would cost seconds. README.md documents the limit.
MAX_FILE_BYTES = 10 * 1024 * 1024
# How many YAML nodes aliases may repeat in one document: real compose files and contracts
# repeat hundreds; a 443-byte anchor bomb repeats 10^9, and whatever walks the data explodes.
YAML_ALIAS_BUDGET = 100_000

_FILE_TYPES = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def read_file(full: str, shown: str) -> bytes:
    """The bytes of the regular file at `full` (named `shown` in problems). Anything else is a
    FileProblem, found by a stat before the file is opened: a FIFO would block the run forever,
    a device never ends, and a file over MAX_FILE_BYTES is refused without being read."""
    try:
        _check_regular(os.stat(full), shown)
        # Non-blocking: the file may have been swapped for a FIFO since the stat.
        handle = os.open(full, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            info = os.fstat(handle)
            _check_regular(info, shown)
            data = _read_all(handle, info.st_size)
        finally:
            os.close(handle)
    except FileNotFoundError:
        if os.path.lexists(full):
            raise FileProblem(shown, "is a broken symlink") from None
        raise FileProblem(shown, "does not exist", missing=True) from None
    except PermissionError:
        raise FileProblem(shown, "cannot be read: permission denied") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise FileProblem(shown, "is a symlink loop") from None
        raise FileProblem(shown, f"cannot be read: {error.strerror}") from None
    if len(data) > MAX_FILE_BYTES:  # it grew after the stat
        raise FileProblem(shown, _too_large(len(data)))
    return data


def _read_all(handle: int, size: int) -> bytes:
    """The bytes of an open file of `size` bytes, up to MAX_FILE_BYTES + 1 (it may have grown
    since): with `os.read`, as a buffered reader costs 4x more for a small file (it makes a
    buffer of the largest size asked)."""
    data = os.read(handle, size + 1)
    if len(data) <= size:
        return data
    chunks = [data]
    total = len(data)
    while total <= MAX_FILE_BYTES:
        more = os.read(handle, min(1 << 20, MAX_FILE_BYTES + 1 - total))
        if not more:
            break
        chunks.append(more)
        total += len(more)
    return b"".join(chunks)


def _check_regular(info: os.stat_result, shown: str) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise FileProblem(shown, "is a directory, expected a file")
    if not stat.S_ISREG(info.st_mode):
        kind = _FILE_TYPES.get(stat.S_IFMT(info.st_mode), "special")
        raise FileProblem(shown, f"is not a regular file ({kind})")
    if info.st_size > MAX_FILE_BYTES:
        raise FileProblem(shown, _too_large(info.st_size))


def _too_large(size: int) -> str:
    limit = MAX_FILE_BYTES // 2**20
    return f"is too large to check ({size / 2**20:.0f} MB; the limit is {limit} MB)"


def parse_json(path: str, text: str) -> JsonDocument:
    """JSON text as a document; FileProblem for anything Python cannot hold faithfully: invalid
    JSON, nesting deeper than its recursion limit, an integer longer than `int` converts, a
    string with a lone surrogate (`"\\ud800"`: no output encoding can print it)."""
    import json

    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise FileProblem(path, f"invalid JSON: {error.msg}", error.lineno) from None
    except RecursionError:
        depth, line = _deepest(text)
        raise FileProblem(path, f"is nested too deeply to check ({depth} levels)", line) from None
    except ValueError:  # only an integer over `sys.get_int_max_str_digits()` gets here
        digits = sys.get_int_max_str_digits()
        found = re.search(rf"\d{{{digits + 1},}}", text)
        line = text.count("\n", 0, found.start()) + 1 if found else None
        raise FileProblem(path, f"has a number of more than {digits} digits", line) from None
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(path, text)
    return JsonDocument(path, text, data)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]')
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _deepest(text: str) -> tuple[int, int]:
    """The deepest nesting of a JSON text and the line where it is first reached."""
    depth = deepest = 0
    where = 0
    for token in _JSON_TOKEN.finditer(text):
        lexeme = token.group()
        if lexeme in "[{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, token.start()
        elif lexeme in "]}":
            depth -= 1
    return deepest, text.count("\n", 0, where) + 1


def _refuse_lone_surrogates(path: str, text: str) -> None:
    import json

    for token in _JSON_TOKEN.finditer(text):
        if "\\u" not in token.group():
            continue
        value = json.loads(token.group())
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            code = ord(value[error.start])
            line = text.count("\n", 0, token.start()) + 1
            raise FileProblem(
                path, f"has a lone surrogate (\\u{code:04x}) in a string", line
            ) from None


def parse_yaml(path: str, text: str) -> YamlDocument:
    """YAML text as a document, for the repository's files and for contracts alike; FileProblem
    when it is invalid, holds a value its tag cannot be (`2024-02-30`, `!!int x`), an alias of
    its own anchor, or aliases repeating more than YAML_ALIAS_BUDGET nodes."""
    import yaml

    loader = _yaml_loader()(text)
    try:
        node = loader.get_single_node()
        if node is not None and _MAYBE_ALIAS.search(text):
            _check_aliases(path, node)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise FileProblem(path, f"invalid YAML: {error.problem or error.context}", line) from None
    except yaml.YAMLError as error:
        raise FileProblem(path, f"invalid YAML: {error}") from None
    except RecursionError:  # the pure-Python composer, without libyaml's depth limit
        raise FileProblem(path, "is nested too deeply to check") from None
    finally:
        loader.dispose()
    return YamlDocument(path, data, node)


_loader_class = None
# Where an alias (`*name`) can start: a document without one needs no alias check.
_MAYBE_ALIAS = re.compile(r"(?:^|[\s\[{,:])\*")


def _yaml_loader():
    """The safe loader (libyaml's when installed) whose constructors' errors on a value
    (`2024-02-30`, `!!int x`, a 5,000-digit integer) are YAML errors at that value's line."""
    global _loader_class
    if _loader_class is None:
        import yaml

        class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            def construct_object(self, node, deep=False):
                try:
                    return super().construct_object(node, deep)
                except (ValueError, TypeError, OverflowError) as error:
                    value = repr(node.value[:40]) if isinstance(node.value, str) else node.id
                    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
                    reason = str(error).split(";")[0]
                    problem = f"cannot read {value} as {tag}: {reason}"
                    raise yaml.constructor.ConstructorError(
                        None, None, problem, node.start_mark
                    ) from None

        _loader_class = Loader
    return _loader_class


def _check_aliases(path: str, root) -> None:
    """Refuse a document whose aliases refer to their own anchor (the data would be cyclic) or
    repeat more than YAML_ALIAS_BUDGET nodes. PyYAML shares an aliased node rather than copying
    it, so parsing a bomb is cheap; what walks the data afterwards is not."""
    from yaml import MappingNode, SequenceNode

    sizes: dict[int, int] = {}  # node → its node count with aliases expanded
    open_nodes: set[int] = set()
    repeated = []
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if key in open_nodes:
            line = node.start_mark.line + 1
            raise FileProblem(path, "invalid YAML: an alias refers to its own anchor", line)
        if key in sizes:
            repeated.append(node)
            continue
        if isinstance(node, (MappingNode, SequenceNode)):
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(_children(node)))
        else:
            sizes[key] = 1
    expanded = sizes[id(root)]
    if expanded - len(sizes) > YAML_ALIAS_BUDGET:
        biggest = max(repeated, key=lambda node: sizes[id(node)])
        raise FileProblem(
            path,
            f"aliases repeat {expanded - len(sizes):,} nodes, more than the "
            f"{YAML_ALIAS_BUDGET:,} allowed",
            biggest.start_mark.line + 1,
        )


def _children(node) -> list:
    from yaml import MappingNode

    if isinstance(node, MappingNode):
        return [item for pair in node.value for item in pair]
    return node.value if isinstance(node.value, list) else []


def _parse_typescript(path: str, text: str):
    from .typescript import parse

    return parse(text, path)


def _parse_toml(path: str, text: str) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        where = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(where.group(1)) if where else None
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise FileProblem(path, f"invalid TOML: {reason}", line) from None


class GitObjects:
    """The git objects of a repository, read through one `git cat-file --batch` that serves a
    whole run (every commit of a `--rev A..B` range too). Tree objects are kept once read:
    consecutive commits share most of theirs, so listing a commit after another one costs only
    the trees that changed."""

    def __init__(self, root: Path):
        self.root = root
        self._batch = None
        self._trees: dict[str, list[tuple[str, str, str]]] = {}  # sha → [(mode, name, sha)]
        # (tree sha, its path, what is asked) → the paths found below it: this commit's and the
        # previous one's (`next_commit`), so memory holds two commits' listings at most.
        self._found: dict[tuple, list] = {}
        self._found_before: dict[tuple, list] = {}
        self._objects: dict[str, tuple[str, bytes]] = {}
        self._roots: dict[tuple[str, str], str] = {}
        self._kept_bytes = 0
        # What a search found at the last commit it ran in, and the paths changed since.
        self._searched: dict[tuple, tuple[list[str], set[str]]] = {}

    def read(self, name: str, shown: str) -> tuple[str, str, bytes] | None:
        """(object name, type, content) of a git object (`HEAD:path`, `v1^{commit}`, a sha), or
        None when there is none by that name; one over MAX_FILE_BYTES is a FileProblem on
        `shown`."""
        import subprocess

        if self._batch is None:
            self._batch = subprocess.Popen(
                ["git", "-C", str(self.root), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        if "\n" in name:  # one request a line: a newline would be a second request
            return None
        self._batch.stdin.write(f"{name}\n".encode("utf-8", "surrogateescape"))
        self._batch.stdin.flush()
        header = self._batch.stdout.readline().split()
        if len(header) != 3:
            return None
        size = int(header[2])
        if size > MAX_FILE_BYTES:
            left = size + 1  # the blob and its newline still have to leave the pipe
            while left:
                chunk = self._batch.stdout.read(min(left, 2**20))
                if not chunk:
                    break
                left -= len(chunk)
            raise FileProblem(shown, _too_large(size))
        return header[0].decode(), header[1].decode(), self._batch.stdout.read(size + 1)[:-1]

    def object(self, sha: str, shown: str) -> tuple[str, bytes] | None:
        """(type, content) of the object `sha`, kept while the objects kept stay under
        KEPT_BYTES: the commits of a range share most of the files their rules read."""
        kept = self._objects.get(sha)
        if kept is None:
            found = self.read(sha, shown)
            if found is None:
                return None
            kept = found[1:]
            self._kept_bytes += len(kept[1])
            if self._kept_bytes > KEPT_BYTES:
                self._objects.clear()
                self._kept_bytes = len(kept[1])
            self._objects[sha] = kept
        return kept

    def root_tree(self, commit: str, prefix: str) -> str:
        """The tree object of the folder `prefix` at `commit` ("" when there is none)."""
        key = (commit, prefix)
        if key not in self._roots:
            found = self.read(f"{commit}:{prefix}", commit)
            self._roots[key] = found[0] if found is not None and found[1] == "tree" else ""
        return self._roots[key]

    def tree(self, sha: str) -> list[tuple[str, str, str]]:
        """The entries (mode, name, object) of a tree object."""
        entries = self._trees.get(sha)
        if entries is None:
            found = self.read(sha, sha)
            data = found[2] if found is not None and found[1] == "tree" else b""
            width = len(sha) // 2  # sha1 or sha256
            entries, at = [], 0
            while at < len(data):
                space = data.index(b" ", at)
                end = data.index(b"\0", space)
                name = data[space + 1 : end].decode("utf-8", "surrogateescape")
                entries.append(
                    (data[at:space].decode(), name, data[end + 1 : end + 1 + width].hex())
                )
                at = end + 1 + width
            self._trees[sha] = entries
        return entries

    def entry(self, tree: str, path: str) -> tuple[str, str] | None:
        """(mode, object) of `path` below the tree `tree` ("" is the tree itself); None when
        there is nothing by that name."""
        mode, sha = _TREE_MODE, tree
        for part in path.split("/") if path else ():
            if mode != _TREE_MODE:
                return None
            found = next((e for e in self.tree(sha) if e[1] == part), None)
            if found is None:
                return None
            mode, _, sha = found
        return mode, sha

    def files(self, tree: str, base: str) -> list[tuple[str, str, str]]:
        """(path, mode, object) of every file below the tree `tree` (at path `base`); listings
        never enter `node_modules` or `.git`."""
        wanted = (tree, base)
        found = self._found.get(wanted)
        if found is None:
            found = self._found_before.get(wanted)
            if found is None:
                found = []
                for mode, name, sha in self.tree(tree):
                    path = f"{base}/{name}" if base else name
                    if mode == _TREE_MODE:
                        if name not in SKIPPED_DIRS:
                            found.extend(self.files(sha, path))
                    elif name not in SKIPPED_DIRS:
                        found.append((path, mode, sha))
            self._found[wanted] = found
        return found

    def searched(self, key, compute, still_found) -> list[str]:
        """What `compute()` finds in the current commit (sorted paths), kept for the next
        commits: there the files changed since are looked at again (`still_found(path)`), not
        the whole tree."""
        kept = self._searched.get(key)
        if kept is None:
            found = compute()
        else:
            before, changed = kept
            found = set(before) - changed
            found.update(path for path in changed if still_found(path))
            found = sorted(found)
        self._searched[key] = (found, set())
        return found

    def next_commit(self, changed: Iterable[str] | None) -> None:
        """Move on to the next commit of a range, `changed` (None: not known) the paths changed
        since the one before: forget all but the last commit's listings."""
        self._found_before, self._found = self._found, {}
        for key, (_, since) in list(self._searched.items()):
            if changed is None:
                del self._searched[key]
            else:
                since.update(changed)

    def close(self) -> None:
        if self._batch is not None:
            self._batch.stdin.close()
            self._batch.wait()
            self._batch = None


_TREE_MODE = "40000"
KEPT_BYTES = 32 * 2**20
_LINK_MODE = "120000"
_BLOB_MODES = ("100644", "100755", _LINK_MODE)  # what `git grep` reads in a tree


class GitTreeView(RepoView):
    """The repository as committed at a revision, read from git objects: nothing is checked out
    and the work tree is never read. Everything the view is asked is noted in `consulted`:
    ("tree", folder) listed, ("file", path) read, ("search", paths, key) searched (`paths` a
    compiled regex of the paths that can change its answer; the answer
    in `answers[key]`: the same search again is `search(key)`), ("grep", suffixes) and ("all",
    None) for searches only git can answer. A range check reuses a rule's outcome while no
    change between commits touches what it consulted."""

    reads_work_tree = False

    def __init__(
        self,
        root: str | os.PathLike[str],
        rev: str,
        objects: GitObjects | None = None,
        commit: str | None = None,
        prefix: str | None = None,
    ):
        super().__init__(root)
        if commit is None or prefix is None:
            resolved = run_git(self.root, ["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"])
            shown = run_git(self.root, ["rev-parse", "--show-prefix"])
            if resolved is None or shown is None:
                from .model import UsageError

                raise UsageError(f"--rev {rev}: not a commit of the git repository at {self.root}")
            commit, prefix = resolved.decode().strip(), shown.decode().strip()
        self.rev = rev
        self.commit = commit
        self._prefix = prefix  # root's path inside the repository ("" or ending with "/")
        self._use_git = True
        self._objects = objects or GitObjects(self.root)
        self._own_objects = objects is None
        self._tree: str | None = None
        self._same_index: bool | None = None
        self._grepping_sources = False
        self.consulted: set[tuple] = set()
        self.answers: dict[tuple, list[str]] = {}

    def _root_tree(self) -> str | None:
        """The tree object of the root folder at the commit."""
        if self._tree is None:
            self._tree = self._objects.root_tree(self.commit, self._prefix)
        return self._tree or None

    def _list(self, prefixes: list[str]) -> list[str]:
        self.consulted.update(("tree", prefix) for prefix in prefixes)
        listed = (
            self._list_objects(prefixes) if not self._own_objects else self._list_tree(prefixes)
        )
        paths = []
        for path, mode in listed:
            if not SKIPPED_DIRS.intersection(path.split("/")):
                paths.append(path)
                if mode == _LINK_MODE:
                    self._listed_links.add(path)
        return paths

    def _list_tree(self, prefixes: list[str]) -> Iterator[tuple[str, str]]:
        """One commit's listing: one `git ls-tree` (faster than reading a large tree's
        objects one by one)."""
        specs = [p if p else "." for p in prefixes]
        output = run_git(self.root, ["ls-tree", "-r", "-z", self.commit, "--", *specs])
        for entry in (output or b"").decode("utf-8", "surrogateescape").split("\0"):
            head, _, path = entry.partition("\t")  # `mode type object<TAB>path`
            if path:
                yield path, head[:6]

    def _list_objects(self, prefixes: list[str]) -> Iterator[tuple[str, str]]:
        """A listing in a range, from tree objects: the ones the commit before shares with
        this one are read already, and so are their listings."""
        tree = self._root_tree()
        for prefix in prefixes:
            found = self._objects.entry(tree, prefix) if tree else None
            if found is not None and found[0] == _TREE_MODE:
                yield from ((path, mode) for path, mode, _ in self._objects.files(found[1], prefix))
            elif found is not None:
                yield prefix, found[0]

    def find(self, pattern: str, *, present: bool = True) -> list[str]:
        """As `RepoView.find`, from the commit's tree objects (all present: `present` is moot)."""
        found = self._found.get(pattern)
        if found is None:
            search = re.compile(pattern).search

            def listed() -> list[str]:
                # The commit's names through `grep -E`, in C (from the index when it holds
                # exactly the commit): matching 50,000 names in Python cost ~100 ms, and one
                # listing is faster than the tree objects one by one.
                command = self._tracked_command()
                spawned = spawn_pipeline(self.root, command, ["grep", "-zE", pattern])
                output = collect_pipeline(spawned) if spawned else None
                if output is None:
                    output = run_git(self.root, ["ls-tree", "-r", "-z", "--name-only", self.commit])
                text = (output or b"").decode("utf-8", "surrogateescape")
                return sorted(
                    p for p in text.split("\0") if p and search(p) and "node_modules/" not in p
                )

            def still_found(path: str) -> bool:
                if not search(path) or "node_modules/" in path:
                    return False
                entry = self._entry(path)
                return entry is not None and entry[0] != _TREE_MODE

            found = self._found[pattern] = self._objects.searched(
                ("find", self._prefix, pattern), listed, still_found
            )
            self.consulted.add(("search", re.compile(pattern), ("find", pattern)))
            self.answers["find", pattern] = found
        return found

    def grep_fixed(self, needles: list[str], pathspecs: list[str]) -> list[str]:
        """The files of `pathspecs` (git's, `*` matching `/` too) holding one of `needles`,
        sorted: `git grep -F` of the commit, or, in a range, the last commit's answer updated
        with the files changed since."""
        import fnmatch

        spelled = "|".join(
            fnmatch.translate(spec) if has_magic(spec) else re.escape(spec) + r"(?:/|\Z)"
            for spec in pathspecs
        )
        paths = re.compile(f"^(?:{spelled})")
        matches = paths.search
        words = [needle.encode("utf-8", "surrogateescape") for needle in needles]

        def grepped() -> list[str]:
            arguments = ["grep", "-l", "-z", "-F", *(a for n in needles for a in ("-e", n))]
            self._grepping_sources = True  # what it searches is noted above
            try:
                tree = self.grep_tree()
            finally:
                self._grepping_sources = False
            output = run_git(self.root, [*arguments, *tree, "--", *pathspecs])
            listed = (output or b"").decode("utf-8", "surrogateescape").split("\0")
            prefix = self.grep_prefix()
            return sorted(p[len(prefix) :] for p in listed if p)

        def still_found(path: str) -> bool:
            entry = self._entry(path) if matches(path) else None
            if entry is None or entry[0] not in _BLOB_MODES:
                return False
            found = self._objects.object(entry[1], path)
            return found is not None and any(word in found[1] for word in words)

        key = ("grep", tuple(needles), tuple(pathspecs))
        found = self._objects.searched((*key, self._prefix), grepped, still_found)
        self.consulted.add(("search", paths, key))
        self.answers[key] = found
        return found

    def search(self, key: tuple) -> list[str]:
        """The answer, at this view's commit, of a search another view noted (`answers`)."""
        if key[0] == "find":
            return self.find(key[1])
        return self.grep_fixed(list(key[1]), list(key[2]))

    def _entry(self, path: str) -> tuple[str, str] | None:
        tree = self._root_tree()
        return self._objects.entry(tree, path) if tree else None

    def start_find(self, pattern: str) -> bool:
        return False  # `find` reads tree objects already read: nothing to start

    def start_grep(self, pattern: str, suffixes: tuple[str, ...]) -> bool:
        self.consulted.add(("grep", suffixes))
        self._grepping_sources = True
        try:
            return super().start_grep(pattern, suffixes)
        finally:
            self._grepping_sources = False

    def _on_disk(self, path: str) -> bool:
        return True  # the tree lists exactly what the commit holds

    def _index_is_commit(self) -> bool:
        """Whether the index holds exactly the commit's files (`--rev HEAD` in a clean
        checkout): git then reads the index's blobs, where reading every blob of the commit
        costs ~4x to grep."""
        if self._same_index is None:
            same = run_git(self.root, ["diff-index", "--cached", "--quiet", self.commit, "--"])
            self._same_index = same is not None
        return self._same_index

    def _tracked_command(self) -> list[str]:
        if self._index_is_commit():
            return ["ls-files", "-z", "--cached"]
        return ["ls-tree", "-r", "-z", "--name-only", self.commit]

    def _list_walk(self, prefixes: list[str]) -> list[str]:
        return []  # a commit is read from git objects, never from the disk

    def grep_tree(self) -> list[str]:
        if not self._grepping_sources:  # a search of files this view cannot name
            self.consulted.add(("all", None))
        return ["--cached"] if self._index_is_commit() else [self.commit]

    def grep_prefix(self) -> str:
        return "" if self._index_is_commit() else f"{self.commit}:"

    def file_exists(self, path: str) -> bool:
        return self.is_file(path)

    def dir_exists(self, path: str) -> bool:
        return self.is_dir(path)

    def _read_bytes(self, path: str) -> bytes:
        if spelled_outside(path):
            raise FileProblem(path, "is outside the repository")
        # A path through a symlinked folder is read where the link points (git stores the link).
        real = next(
            (
                self._aliases[ancestor] + path[len(ancestor) :]
                for ancestor in _self_and_ancestors(path)
                if ancestor in self._aliases
            ),
            path,
        )
        self.consulted.add(("file", real))
        entry = self._entry(real)
        found = self._objects.object(entry[1], path) if entry is not None else None
        if found is None:
            raise FileProblem(path, f"does not exist at {self.rev}", missing=True)
        kind, data = found
        if kind != "blob":
            raise FileProblem(path, f"is a {kind} at {self.rev}, expected a file")
        return data

    def _read_link(self, path: str) -> str | None:
        self.consulted.add(("file", path))
        tree = self._root_tree()
        found = self._objects.entry(tree, path) if tree else None
        if found is None or found[0] != _LINK_MODE:
            return None
        data = self._objects.read(found[1], path)
        return data[2].decode("utf-8", "surrogateescape") if data else None

    def close(self) -> None:
        if self._own_objects:
            self._objects.close()


class GitIndexView(GitTreeView):
    """The repository as staged: the files of git's index, what `git commit` would commit, read
    from git objects (`git ls-files -s` names each file's blob, one `git cat-file --batch` reads
    them). The work tree is never read: an unstaged edit or an untracked file is not seen. It
    needs no commit (the first commit of a repository is checked like any other). A file
    staged as a symlink is read where it points, when that is a file staged inside the
    repository, as the work tree's reader follows it; a path that is staged in a merge
    conflict reads as "ours" (stage 2)."""

    def __init__(self, root: str | os.PathLike[str]):
        # No commit: what the tree view would read from one is read from the index here.
        super().__init__(root, "the index", None, "", "")
        listed = run_git(self.root, ["ls-files", "-s", "-z"])
        if listed is None:
            from .model import UsageError

            raise UsageError(f"{self.root} is not in a git work tree: there is no index to check")
        self._staged: dict[str, tuple[str, str]] = {}  # path → (mode, blob)
        for entry in listed.decode("utf-8", "surrogateescape").split("\0"):
            head, _, path = entry.partition("\t")  # `mode object stage<TAB>path`
            if path:
                mode, sha, stage = head.split(" ")
                if stage in ("0", "2") or path not in self._staged:
                    self._staged[path] = (mode, sha)

        self._sorted = sorted(self._staged)

    def staged(self) -> list[str]:
        """Every path of the index below the root, sorted."""
        return self._sorted

    def _below(self, prefix: str) -> list[str]:
        """The staged paths at or below `prefix`, by bisection ("/" sorts before any character
        a path can continue a name with but the ones below it)."""
        from bisect import bisect_left

        if not prefix:
            return self._sorted
        start = bisect_left(self._sorted, prefix)
        end = bisect_left(self._sorted, prefix + "0", start)  # "0" follows "/"
        return [p for p in self._sorted[start:end] if p == prefix or p.startswith(prefix + "/")]

    def _list(self, prefixes: list[str]) -> list[str]:
        paths = []
        for prefix in prefixes:
            for path in self._below(prefix):
                if not SKIPPED_DIRS.intersection(path.split("/")):
                    paths.append(path)
                    if self._staged[path][0] == _LINK_MODE:
                        self._listed_links.add(path)
        return paths

    def _index_is_commit(self) -> bool:
        return True  # `git grep --cached` and `git ls-files` read exactly this view's files

    # Discovery's listing starts in the background, as in the work tree (a tree view reads
    # objects instead): `git ls-files | grep -E` lists the index.
    start_find = RepoView.start_find
    find = RepoView.find

    def _entry(self, path: str) -> tuple[str, str] | None:
        found = self._staged.get(path)
        if found is None and self._below(path):
            return _TREE_MODE, ""
        return found

    def _read_bytes(self, path: str) -> bytes:
        if spelled_outside(path):
            raise FileProblem(path, "is outside the repository")
        real = normalize(path)
        for _ in range(40):  # as many links as the kernel follows before ELOOP
            real = next(
                (
                    self._aliases[ancestor] + real[len(ancestor) :]
                    for ancestor in _self_and_ancestors(real)
                    if ancestor in self._aliases
                ),
                real,
            )
            entry = self._entry(real)
            if entry is None:
                problem = "is a broken symlink" if real != normalize(path) else "does not exist"
                raise FileProblem(path, problem, missing=problem == "does not exist")
            mode, sha = entry
            if mode == _TREE_MODE:
                raise FileProblem(path, "is a directory, expected a file")
            if mode not in _BLOB_MODES:
                raise FileProblem(path, "is not a regular file (submodule)")
            found = self._objects.object(sha, path)
            if found is None or found[0] != "blob":
                raise FileProblem(path, "cannot be read: its staged blob is missing")
            if mode != _LINK_MODE:
                return found[1]
            target = found[1].decode("utf-8", "surrogateescape")
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(real), target))
            if target.startswith("/") or spelled_outside(resolved):
                raise FileProblem(path, "is a symlink pointing outside the repository")
            real = resolved
        raise FileProblem(path, "is a symlink loop")

    def _read_link(self, path: str) -> str | None:
        found = self._staged.get(path)
        if found is None or found[0] != _LINK_MODE:
            return None
        data = self._objects.object(found[1], path)
        return data[1].decode("utf-8", "surrogateescape") if data else None
