"""One cached view of the target repository.

Files are listed from git when the root is inside a work tree (tracked plus untracked files that
are not ignored, minus files deleted from the work tree), otherwise by walking the tree. Only the
directories the rules name are listed, `node_modules` and `.git` are never entered, and every file
is read and parsed at most once per run. Of the TypeScript files the rules scan by the hundred, what
the rules need is kept (`typescript_facts`), not the syntax trees.
"""

from __future__ import annotations

import os
import re
from collections import namedtuple
from pathlib import Path

from .globs import compile_glob, has_magic, literal_prefix
from .model import FileProblem, Inspection

TYPE_CHECKING = False  # `typing` costs ~5 ms of start-up; annotations are not evaluated
if TYPE_CHECKING:
    from typing import Any

SKIPPED_DIRS = frozenset({"node_modules", ".git"})
_LS_FILES = ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--"]


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
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).resolve()
        self._listed: list[str] = []
        self._files: set[str] = set()
        self._dirs: set[str] = set()
        self._texts: dict[str, str | FileProblem] = {}
        self._documents: dict[tuple[str, str], Any] = {}
        self._disk: dict[str, bool] = {}
        self._use_git: bool | None = None
        self._found: dict[str, list[str]] = {}
        self._finding: dict[str, Any] = {}
        # (path, extract, key) → what `extract` found in the file, or the FileProblem reading it
        self._facts: dict[tuple[str, Any, Any], Any] = {}
        # path → the extractions announced for it and not run yet (`expect_facts`)
        self._mentions: dict[tuple[str, Any], bool] = {}
        self._grepped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        self._grepping: dict[tuple[str, tuple[str, ...]], tuple[int, int]] = {}
        self._expected: dict[str, list[tuple[Any, Any]]] = {}
        # What the rule being checked looks at (see `Inspection`); None outside a check.
        self.inspection: Inspection | None = None

    # Listing -----------------------------------------------------------------------------

    def prefetch(self, patterns: list[str]) -> None:
        """List, in one go, everything the given globs can match."""
        self._ensure_listed({literal_prefix(pattern) for pattern in patterns})

    def _covered(self, prefix: str) -> bool:
        return any(
            done == "" or prefix == done or prefix.startswith(done + "/") for done in self._listed
        )

    def _ensure_listed(self, prefixes: set[str]) -> None:
        wanted = sorted(p for p in prefixes if not self._covered(p))
        # Listing a parent covers its children: keep only the outermost prefixes.
        outermost: list[str] = []
        for prefix in wanted:
            if not any(prefix == o or o == "" or prefix.startswith(o + "/") for o in outermost):
                outermost.append(prefix)
        if not outermost:
            return
        for path in self._list(outermost):
            self._files.add(path)
            parent = path.rpartition("/")[0]
            while parent and parent not in self._dirs:
                self._dirs.add(parent)
                parent = parent.rpartition("/")[0]
        self._listed.extend(outermost)

    def _list(self, prefixes: list[str]) -> list[str]:
        files = self._list_git(prefixes) if self._git_available() else None
        return self._list_walk(prefixes) if files is None else files

    def _git_available(self) -> bool:
        if self._use_git is None:
            self._use_git = any((d / ".git").exists() for d in (self.root, *self.root.parents))
        return self._use_git

    def _list_git(self, prefixes: list[str]) -> list[str] | None:
        # Literal excludes keep git out of untracked node_modules next to the listed paths; a
        # `**` glob exclude would cost a scan of the whole tree. Deleted files are weeded out at
        # query time (`--deleted` costs an lstat of every index entry, whatever the pathspec).
        specs = [f":(literal){p}" if p else "." for p in prefixes]
        excludes = [
            f":(exclude,literal){p}/{d}" if p else f":(exclude){d}"
            for p in prefixes
            for d in SKIPPED_DIRS
        ]
        output = run_git(self.root, [*_LS_FILES, *specs, *excludes])
        if output is None:
            self._use_git = False
            return None
        listed = output.decode("utf-8", "surrogateescape").split("\0")
        return [path for path in listed if path and not SKIPPED_DIRS.intersection(path.split("/"))]

    def _list_walk(self, prefixes: list[str]) -> list[str]:
        found: list[str] = []
        for prefix in prefixes:
            start = self.root / prefix if prefix else self.root
            if set(prefix.split("/")) & SKIPPED_DIRS:
                continue
            if not start.is_dir():
                if os.path.lexists(start):
                    found.append(prefix)
                continue
            for dirpath, dirnames, filenames in os.walk(start):
                dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
                rel = os.path.relpath(dirpath, self.root).replace(os.sep, "/")
                base = "" if rel == "." else rel + "/"
                found.extend(base + name for name in filenames)
        return found

    def find(self, pattern: str) -> list[str]:
        """Files anywhere in the repository whose path matches `pattern` (an extended regular
        expression, as grep reads it), sorted. Inside git these are the files git tracks, listed
        by `git ls-files | grep -E` (the whole index is scanned in C; untracked files are seen
        where the rules list their paths); outside git, or before the first `git add`, the tree
        on disk. `node_modules` is never listed. The project model discovers what the repository
        is from these; `start_find` begins the listing early, in the background."""
        found = self._found.get(pattern)
        if found is None:
            listed = None
            if self.start_find(pattern):
                listed = self._collect_find(self._finding.pop(pattern))
                if not listed and not run_git(self.root, self._tracked_command()):
                    listed = None  # nothing committed or staged yet: the disk is the repository
            if listed is None:
                regex = re.compile(pattern)
                listed = [path for path in self._list_walk([""]) if regex.search(path)]
            found = self._found[pattern] = sorted(
                path
                for path in listed
                if "node_modules/" not in path
                and not path.startswith(".git/")
                and self._on_disk(path)
            )
        return found

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
        pid, read_end = spawned
        with os.fdopen(read_end, "rb") as pipe:
            output = pipe.read()
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1: nothing matched
            return None
        prefix = self.grep_prefix()
        listed = output.decode("utf-8", "surrogateescape").split("\0")
        return [path[len(prefix) :] for path in listed if path]

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
        """Start listing `find(pattern)` in the background (git only); False when it cannot."""
        if pattern in self._finding:
            return True
        if pattern in self._found or not self._git_available():
            return False
        spawned = spawn_pipeline(self.root, self._tracked_command(), ["grep", "-zE", pattern])
        if spawned is None:
            return False
        self._finding[pattern] = spawned
        return True

    def _tracked_command(self) -> list[str]:
        return ["ls-files", "-z", "--cached"]

    def _collect_find(self, spawned) -> list[str] | None:
        output = collect_pipeline(spawned)
        if output is None:
            return None
        return [path for path in output.decode("utf-8", "surrogateescape").split("\0") if path]

    def glob(self, pattern: str, *, files_only: bool = False) -> list[str]:
        """Repo-relative paths (files, and directories unless `files_only`) matching a glob."""
        pattern = normalize(pattern)
        self._ensure_listed({literal_prefix(pattern)})
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
            # A string join: pathlib's `/` costs more than the lstat itself.
            present = self._disk[path] = os.path.lexists(f"{self.root}/{path}")
        return present

    def exists(self, path: str) -> bool:
        return bool(self.glob(path))

    def is_dir(self, path: str) -> bool:
        path = normalize(path)
        self._ensure_listed({path})
        found = path in self._dirs and self._on_disk(path)
        if found and self.inspection is not None:
            self.inspection.seen.add(path)
        return found

    def is_file(self, path: str) -> bool:
        return bool(self.glob(path, files_only=True))

    def file_exists(self, path: str) -> bool:
        """Whether a file exists, by one stat and without listing anything (git-ignored files
        count): for discovery's probes of known names (package.json, pnpm-workspace.yaml)."""
        return os.path.isfile(self.root / path)

    def dir_exists(self, path: str) -> bool:
        """Whether a directory exists, by one stat and without listing anything."""
        return os.path.isdir(self.root / path)

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
        full = self.root / path
        try:
            if full.is_symlink() and not full.resolve().is_relative_to(self.root):
                raise FileProblem(path, "is a symlink pointing outside the repository")
            return full.read_bytes()
        except FileNotFoundError:
            raise FileProblem(path, "does not exist", missing=True) from None
        except IsADirectoryError:
            raise FileProblem(path, "is a directory, expected a file") from None
        except PermissionError:
            raise FileProblem(path, "cannot be read: permission denied") from None
        except OSError as error:
            raise FileProblem(path, f"cannot be read: {error.strerror}") from None

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
        return self._document(path, "json", _parse_json)

    def yaml(self, path: str) -> YamlDocument:
        return self._document(path, "yaml", parse_yaml)

    def toml(self, path: str) -> dict[str, Any]:
        return self._document(path, "toml", _parse_toml)

    def typescript(self, path: str):
        """The tree-sitter syntax tree of a TypeScript/JavaScript file (see `typescript.py`)."""
        return self._document(path, "typescript", _parse_typescript)

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


def normalize(path: str) -> str:
    """`./a//b/` → `a/b`: contract paths built from parameters (`${package}/x` with package
    `.`) must name files the way listings do."""
    parts = [part for part in path.strip("/").split("/") if part not in ("", ".")]
    return "/".join(parts)


def run_git(cwd: Path, args: list[str]) -> bytes | None:
    """git's stdout, or None when git is missing or fails."""
    return collect_git(spawn_git(cwd, args))


def spawn_git(cwd: Path, args: list[str]) -> tuple[int, int] | None:
    """Start git in the background: (pid, stdout pipe), or None when git is missing. Spawned with
    posix_spawn: importing `subprocess` alone costs ~4 ms of the check's start-up."""
    read_end, write_end = os.pipe()  # both close-on-exec; the child only keeps its dup as stdout
    actions = [
        (os.POSIX_SPAWN_DUP2, write_end, 1),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    try:
        pid = os.posix_spawnp(
            "git", ["git", "-C", str(cwd), *args], os.environ, file_actions=actions
        )
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


def collect_git(spawned: tuple[int, int] | None) -> bytes | None:
    """The output of a `spawn_git`, or None when it failed."""
    if spawned is None:
        return None
    pid, read_end = spawned
    with os.fdopen(read_end, "rb") as pipe:
        output = pipe.read()
    _, status = os.waitpid(pid, 0)
    return output if os.waitstatus_to_exitcode(status) == 0 else None


def _parse_json(path: str, text: str) -> JsonDocument:
    import json

    try:
        return JsonDocument(path, text, json.loads(text))
    except json.JSONDecodeError as error:
        raise FileProblem(path, f"invalid JSON: {error.msg}", error.lineno) from None


def parse_yaml(path: str, text: str) -> YamlDocument:
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise FileProblem(path, f"invalid YAML: {error.problem or error.context}", line) from None
    except yaml.YAMLError as error:
        raise FileProblem(path, f"invalid YAML: {error}") from None
    finally:
        loader.dispose()
    return YamlDocument(path, data, node)


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


class GitTreeView(RepoView):
    """The repository as committed at a revision, read from git objects: nothing is checked out
    and the work tree is never read."""

    def __init__(self, root: str | os.PathLike[str], rev: str):
        super().__init__(root)
        resolved = run_git(self.root, ["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"])
        prefix = run_git(self.root, ["rev-parse", "--show-prefix"])
        if resolved is None or prefix is None:
            from .model import UsageError

            raise UsageError(f"--rev {rev}: not a commit of the git repository at {self.root}")
        self.rev = rev
        self.commit = resolved.decode().strip()
        self._prefix = prefix.decode().strip()  # root's path inside the repository
        self._use_git = True
        self._batch = None
        self._same_index: bool | None = None

    def _list(self, prefixes: list[str]) -> list[str]:
        specs = [p if p else "." for p in prefixes]
        output = run_git(
            self.root, ["ls-tree", "-r", "-z", "--name-only", self.commit, "--", *specs]
        )
        listed = (output or b"").decode("utf-8", "surrogateescape").split("\0")
        return [path for path in listed if path and not SKIPPED_DIRS.intersection(path.split("/"))]

    def _on_disk(self, path: str) -> bool:
        return True  # the tree lists exactly what the commit holds

    def _index_is_commit(self) -> bool:
        """Whether the index holds exactly the commit's files (`--rev HEAD` in a clean
        checkout): git then reads the index's listing and blobs, where walking every tree
        object of the commit costs ~6x to list and ~4x to grep."""
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
        return ["--cached"] if self._index_is_commit() else [self.commit]

    def grep_prefix(self) -> str:
        return "" if self._index_is_commit() else f"{self.commit}:"

    def file_exists(self, path: str) -> bool:
        return self.is_file(path)

    def dir_exists(self, path: str) -> bool:
        return self.is_dir(path)

    def _read_bytes(self, path: str) -> bytes:
        import subprocess

        if self._batch is None:
            # One `git cat-file --batch` serves every read of the run.
            self._batch = subprocess.Popen(
                ["git", "-C", str(self.root), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        self._batch.stdin.write(f"{self.commit}:{self._prefix}{path}\n".encode())
        self._batch.stdin.flush()
        header = self._batch.stdout.readline().split()
        if len(header) != 3:
            raise FileProblem(path, f"does not exist at {self.rev}", missing=True)
        data = self._batch.stdout.read(int(header[2]) + 1)[:-1]
        if header[1] != b"blob":
            raise FileProblem(path, f"is a {header[1].decode()} at {self.rev}, expected a file")
        return data

    def close(self) -> None:
        if self._batch is not None:
            self._batch.stdin.close()
            self._batch.wait()
            self._batch = None
