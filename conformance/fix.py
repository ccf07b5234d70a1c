"""`conformance fix`: plan every change in memory, show it, then write it safely.

Fixes never touch disk while they are planned: each failing rule edits a `Workspace`, an overlay
of the repository, so several rules can edit one file (package.json) and the whole plan can be
shown as a diff first. Applying refuses files with uncommitted changes, never writes outside the
repository or through a symlink, writes atomically, and stages removals of tracked files.
"""

from __future__ import annotations

import os
import stat
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .model import FileProblem, NothingToCheck, Rule, UsageError, instances
from .project.imports import MISSING, Files, Resolver
from .repo import RepoView, parse_json
from .workspace import CREATE, EDIT, REMOVE, WRITES, Change, Workspace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .engine import Report
    from .project.imports import ImportGraph, Verdict, WorkspaceImport


def plan(report: Report, repo: RepoView, *, force: bool = False) -> Workspace:
    """Let every failing rule with a declared fix edit the workspace, in contract order."""
    from .rules import KINDS
    from .rules.base import cannot_fix

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
                cannot_fix(work, rule, problem)
            except NothingToCheck:
                continue  # this subject had nothing to check, so nothing to repair
    _leave_baselined(work, report)
    guard_importers(work, force=force)
    return work


def _leave_baselined(work: Workspace, report: Report) -> None:
    """A fix stays away from a path where the rules that planned it have only findings the
    baseline knows: that debt is paid down on purpose (`fix --include-baseline` repairs it)."""
    if not report.known:
        return
    known: dict[str, set[str]] = {}
    for finding in report.known:
        known.setdefault(finding.rule, set()).add(finding.path.rstrip("/"))
    for findings in report.results.values():
        for finding in findings:
            known.get(finding.rule, set()).discard(finding.path.rstrip("/"))
    for change in work.changes():
        if change.status in WRITES and all(
            change.path.rstrip("/") in known.get(rule, ()) for rule in change.rules
        ):
            work.leave(
                change.path, "its findings are in the baseline (--include-baseline fixes them)"
            )


# Importers ------------------------------------------------------------------------------------


class PlannedFiles(Files):
    """The files as the plan leaves them, for the import resolver."""

    def __init__(self, work: Workspace):
        super().__init__(work.repo)
        self.work = work
        self._trees: dict[str, Any] = {}

    def is_file(self, path: str) -> bool:
        if self.work.planned(path):
            return self.work.read(path) is not None
        return super().is_file(path)

    def _planned_text(self, path: str) -> str:
        text = self.work.read(path)
        if text is None:
            raise FileProblem(path, "does not exist", missing=True)
        return text

    def tree(self, path: str):
        if not self.work.planned(path):
            return super().tree(path)
        if path not in self._trees:
            from .typescript import parse

            self._trees[path] = parse(self._planned_text(path), path)
        return self._trees[path]

    def json(self, path: str) -> Any:
        if not self.work.planned(path):
            return super().json(path)
        return parse_json(path, self._planned_text(path)).data


def guard_importers(work: Workspace, *, force: bool) -> None:
    """Before anything is written, the plan's removals and rewrites are held against the other
    packages importing them. A rewritten module keeps the re-exports those importers still take
    when their source survives the plan (appended, marked deprecated); any other change that
    would leave an import unresolved or a name no longer exported becomes a conflict naming its
    importers (written anyway with --force, and the note says so). A module the plan writes that
    imports a change held back, or a file the plan removes, is held back too."""
    from .project import project_of

    owners = _changed_files(work)
    if not owners:
        return
    graph = project_of(work.repo).imports
    workspace = graph.project.workspace
    packages = sorted(graph.named(list({workspace.package_of(f) or "." for f in owners})).values())
    before = graph.resolver
    at_risk = []
    for imported in graph.imports_of(packages)[0] if packages else []:
        verdict = before.verdict(imported)
        reads = {f for chain in verdict.chains.values() for f in chain}
        # An import broken already is not the plan's doing; one reading no change cannot break.
        if verdict.problem is None and not verdict.missing and reads & owners.keys():
            at_risk.append((imported, verdict))
    after = Resolver(graph, PlannedFiles(work))
    for path, broken in _breaks(at_risk, after, owners).items():
        if work.read(path) is not None:  # rewritten, not removed
            _keep_surface(work, graph, path, broken, after)
    held: set[str] = set()
    while True:
        after = Resolver(graph, PlannedFiles(work))
        breaks = _breaks(at_risk, after, {f: p for f, p in owners.items() if p not in held})
        if not force:
            breaks.update(_own_imports_breaking(work, before, after, owners, held))
        fresh = {path: why for path, why in breaks.items() if path not in held}
        if not fresh:
            return
        for path, why in fresh.items():
            said = _say(why)
            if force:
                work.annotate(path, f"--force: written although {said}")
            else:
                work.hold(path, f"{said}; --force writes it anyway")
            held.add(path)
        if force:
            return  # nothing was held back, so nothing else changes


def _changed_files(work: Workspace) -> dict[str, str]:
    """Every existing file the plan rewrites or removes → the path of its change (a removed
    directory's files map to the directory)."""
    owners = {}
    for change in work.changes():
        if change.status in (EDIT, REMOVE):
            for file in change.files or [change.path]:
                owners[file] = change.path
    return owners


Break = namedtuple("Break", "importer specifier names")
Break.__doc__ = """An import a change would break: the importing file ("" for the module the plan
writes itself), the specifier, and the names it takes."""

# The package.json fields that decide what a package publishes.
_ENTRY_FIELDS = ("exports", "types", "typings", "module", "main")


def _breaks(
    at_risk: list[tuple[WorkspaceImport, Verdict]], after: Resolver, owners: dict[str, str]
) -> dict[str, list[Break]]:
    """Change path → the imports (that hold now) the planned files break, each blamed on the
    changed files its resolution read."""
    found: dict[str, list[Break]] = {}
    for imported, verdict in at_risk:
        post = after.verdict(imported)
        lost = [(name, verdict.chains.get(name, ())) for name in post.missing]
        if post.problem is not None:
            lost = [(None, verdict.chains[None])]
        for name, chain in lost:
            blamed = [f for f in chain if f in owners and _matters(f, after)] or [
                f for c in verdict.chains.values() for f in c if f in owners and _matters(f, after)
            ]
            names = imported.names if name is None else (name,)
            for path in dict.fromkeys(owners[f] for f in blamed):
                found.setdefault(path, []).append(Break(imported.path, imported.specifier, names))
    return found


def _matters(path: str, after: Resolver) -> bool:
    """A changed package.json breaks an import only when what it publishes changed (the fix
    edits dependencies and scripts all the time)."""
    if not path.endswith("package.json"):
        return True
    package = path.rpartition("/")[0] or "."
    try:
        old = after.graph.resolver.manifest(package)
        new = after.manifest(package)
    except FileProblem:
        return True
    return any(old.get(field) != new.get(field) for field in _ENTRY_FIELDS)


def _keep_surface(
    work: Workspace, graph: ImportGraph, path: str, broken: list[Break], after: Resolver
) -> None:
    """Append to a rewritten module the re-exports other packages still take from it that can
    be kept: those passed on from another module (`export … from`, `export *`, an imported
    binding exported again) that the plan leaves exporting them. What it declares itself cannot
    be kept without its code: those imports stay broken (a conflict)."""
    before = graph.resolver
    kept: dict[tuple[str, bool], dict[str, str]] = {}
    importers = set()
    for importer, _, names in broken:
        for name in names:
            source = _passed_on(before, path, name)
            if source is not None and _survives(after, graph, path, *source):
                type_only = before.lookup(path, name).type_only
                kept.setdefault((source[0], type_only), {})[name] = source[1]
                importers.add(importer)
    if not kept:
        return
    lines = [
        "",
        "// Kept by `conformance fix`: other packages still import these from here. Deprecated:",
        "// not part of the new surface; move these importers, then remove the re-exports.",
        *(f"//   {importer}" for importer in sorted(importers)),
    ]
    for (specifier, type_only), names in kept.items():
        shown = ", ".join(
            name if imported == name else f"{imported} as {name}"
            for name, imported in sorted(names.items())
        )
        lines.append(f'export {"type " if type_only else ""}{{ {shown} }} from "{specifier}";')
    text = work.read(path)
    addition = "\n".join(lines) + "\n"
    if "\r\n" in text:
        addition = addition.replace("\n", "\r\n")
    names = sorted(name for group in kept.values() for name in group)
    work.amend(
        path,
        text + addition,
        f"keeps {', '.join(f'`{n}`' for n in names)} re-exported for {_listed(sorted(importers))}",
    )


def _passed_on(before: Resolver, path: str, name: str) -> tuple[str, str] | None:
    """(specifier, name there) of the module the original `path` passes `name` on from; None
    when it declares the name itself or it cannot be told which module gives it."""
    try:
        surface = before.surface(path)
    except FileProblem:
        return None
    if surface is None or surface.opaque:
        return None
    exported = surface.names.get(name)
    if exported is not None:
        if exported.source is None or exported.imported == "*":
            return None
        return exported.source, exported.imported
    files, packages = [], []
    for specifier, _ in surface.stars:
        kind, target = before.module(path, specifier)
        if kind == "file" and before.lookup(target, name).status != MISSING:
            files.append(specifier)
        elif kind == "external":
            packages.append(specifier)
    # Another npm package's `export *` may give the name only when no other star could.
    candidates = files or packages
    return (candidates[0], name) if len(candidates) == 1 else None


def _survives(after: Resolver, graph: ImportGraph, path: str, specifier: str, name: str) -> bool:
    """Whether `export { name } from specifier` in `path` still holds once the plan is written:
    the module exists and exports it, or it is an npm package the package still declares."""
    kind, target = after.module(path, specifier)
    if kind == "file":
        return after.lookup(target, name).status != MISSING
    if kind != "external" or specifier.startswith("."):
        return False
    if specifier.startswith("node:"):
        return True
    package = graph.project.workspace.package_of(path) or "."
    parts = specifier.split("/")
    npm_name = "/".join(parts[:2] if specifier.startswith("@") else parts[:1])
    try:
        manifest = after.manifest(package)
    except FileProblem:
        return False
    sections = ("dependencies", "peerDependencies", "optionalDependencies", "devDependencies")
    return any(isinstance(manifest.get(s), dict) and npm_name in manifest[s] for s in sections)


def _own_imports_breaking(
    work: Workspace, before: Resolver, after: Resolver, owners: dict[str, str], held: set[str]
) -> dict[str, list[Break]]:
    """The modules the plan writes whose relative imports would break: they take a name the
    file they import no longer exports (it is held back, or rewritten), or import a file the
    plan removes."""
    from .project.imports import file_candidates
    from .typescript import SOURCE_SUFFIXES, module_imports

    touched = set(owners) | held
    found: dict[str, list[Break]] = {}
    for change in work.changes():
        if change.status not in (CREATE, EDIT) or not change.path.endswith(SOURCE_SUFFIXES):
            continue
        try:
            tree = after.files.tree(change.path)
        except FileProblem:
            continue
        for statement in module_imports(tree):
            if not statement.specifier.startswith("."):
                continue
            kind, target = after.module(change.path, statement.specifier)
            if kind == "missing":
                existed = any(before.files.is_file(c) for c in file_candidates(target))
                lost = statement.names if existed else None
            elif kind == "file" and target in touched:
                lost = tuple(
                    n for n in statement.names if after.lookup(target, n).status == MISSING
                )
            else:
                lost = None
            if lost is not None and (lost or kind == "missing"):
                found.setdefault(change.path, []).append(Break("", statement.specifier, lost))
    return found


def _say(breaks: list[Break]) -> str:
    """`a.ts imports `x`, `y` from @acme/db; b.ts imports @acme/db/schema` (the first few)."""
    merged: dict[tuple[str, str], dict[str, None]] = {}
    for importer, specifier, names in breaks:
        merged.setdefault((importer, specifier), {}).update(dict.fromkeys(names))
    said = []
    for (importer, specifier), names in sorted(merged.items()):
        taken = f"{', '.join(f'`{n}`' for n in names)} from {specifier}" if names else specifier
        if importer:
            said.append(f"{importer} imports {taken}")
        else:
            said.append(f"it imports {taken}, which the plan no longer provides")
    shown = "; ".join(said[:5])
    return shown + (f" (and {len(said) - 5} more)" if len(said) > 5 else "")


def _listed(paths: list[str]) -> str:
    shown = ", ".join(paths[:3])
    return shown + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


RECHECK_WHY = (
    "A fix that removes or rewrites a module another package imports must not end green: the "
    "check after `fix` always holds every package it changed to its importers."
)


def recheck(selected: list[Rule], repo: RepoView, changed: list[str]) -> list[Rule]:
    """The rule the check after `fix` adds: `workspace-imports` on every package the fix
    changed that no selected rule of that kind covers already."""
    from .project import project_of
    from .rules.base import as_list
    from .rules.workspace_imports import checked_packages

    graph = project_of(repo).imports
    workspace = graph.project.workspace
    touched = {workspace.package_of(path.rstrip("/")) or "." for path in changed}
    covered = {
        package
        for rule in selected
        if rule.kind == "workspace-imports"
        for instance in instances(rule)
        for package in checked_packages(graph, as_list(instance.options.get("packages")))
    }
    packages = sorted(set(graph.named(sorted(touched)).values()) - covered)
    if not packages or any(rule.id == RECHECK_RULE for rule in selected):
        return []
    return [
        Rule(
            RECHECK_RULE,
            "workspace-imports",
            "{item}",
            RECHECK_WHY,
            "conformance fix",
            {"packages": packages},
            optional=True,
        )
    ]


RECHECK_RULE = "importers-after-fix"


def render_diff(changes: list[Change]) -> str:
    """The plan as a unified diff, for a person to read: a line of a file is one line of the
    diff (split at newlines only, not at the other separators Python knows), and what a
    terminal would act on rather than show (ESC, CR inside a line, bidi controls…) is shown
    escaped, as in every report; a CRLF line ending stays as it is."""
    import difflib

    from .formats import printable

    out: list[str] = []
    for change in changes:
        if change.status in (CREATE, EDIT):
            before = _lines(change.before or "")
            after = _lines(change.after or "")
            old = f"a/{change.path}" if change.before is not None else "/dev/null"
            lines = difflib.unified_diff(before, after, old, f"b/{change.path}")
            for line in lines:
                crlf = line.endswith("\r\n")
                body = line[:-2] if crlf else line.removesuffix("\n")
                out.append(printable(body) + ("\r\n" if crlf else "\n"))
        elif change.status == REMOVE:
            out.append(printable(f"deleted: {change.path}") + "\n")
    return "".join(out)


def _lines(text: str) -> list[str]:
    """The lines of a text with their newline, split at newlines only."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def render_statuses(changes: list[Change]) -> str:
    from .formats import printable

    lines = []
    for change in changes:
        note = f"  ({change.note})" if change.note else ""
        line = f"{change.status:<9} {change.path}  [{', '.join(change.rules)}]{note}"
        lines.append(printable(line))
    return "\n".join(lines) + ("\n" if lines else "")


# Applying -------------------------------------------------------------------------------------

# The lock of a `fix` outside git (inside git: `conformance.lock` in the git directory).
LOCK_NAME = ".conformance.lock"
TEMPORARY_SUFFIX = ".conformance-tmp"


@contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the repository's fix lock: one `conformance fix` writes a repository at a time; a
    second one stops (exit 2) instead of racing the first. The lock is an flock, released by
    the kernel when its process dies, so a `fix` killed with -9 leaves no stale lock."""
    import fcntl

    git = _git_repo(root)
    path = Path(git.git_dir) / "conformance.lock" if git else root / LOCK_NAME
    try:
        handle = open(path, "a")  # noqa: SIM115 -- held until the context ends
    except OSError as error:
        raise UsageError(f"cannot take the fix lock {path}: {error.strerror}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # The holder before us may have removed the file we opened: ours must be the one there.
        if os.fstat(handle.fileno()).st_ino != os.stat(path).st_ino:
            raise BlockingIOError
    except (BlockingIOError, FileNotFoundError):
        handle.close()
        raise UsageError(
            f"another `conformance fix` is writing this repository (it holds {path}); "
            "run again once it is done"
        ) from None
    try:
        yield
    finally:
        # Removed only while it is the file we hold: one deleted by hand meanwhile may have
        # been replaced by another run's.
        with suppress(FileNotFoundError):
            if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                path.unlink()
        handle.close()


def remove_leftovers(root: Path) -> list[str]:
    """Delete the temporary files a `fix` killed before renaming them left behind (only ever
    called under the lock, when no other `fix` is writing). Returns their paths."""
    from .repo import FIX_OWN_FILE, SKIPPED_DIRS, run_git

    listed = run_git(root, ["ls-files", "-z", "--others", "--exclude-standard"])
    if listed is not None:
        names = listed.decode("utf-8", "surrogateescape").split("\0")
    else:
        names = []
        for directory, folders, files in os.walk(root):
            folders[:] = [f for f in folders if f not in SKIPPED_DIRS]
            base = Path(directory).relative_to(root).as_posix()
            names += [name if base == "." else f"{base}/{name}" for name in files]
    found = [n for n in names if n.endswith(TEMPORARY_SUFFIX) and FIX_OWN_FILE.search(n)]
    for name in found:
        (root / name).unlink(missing_ok=True)
    return found


Writing = namedtuple("Writing", "changes git tracked removals")
Writing.__doc__ = """A plan checked for writing: the changes that write, the git repository
(None outside git), the tracked files `git rm` stages, and every file removed."""


def preflight(planned: list[Change], root: Path, *, allow_dirty: bool = False) -> Writing:
    """Everything `apply` checks before the first byte, with nothing written: where each path
    is, whether it has uncommitted changes, and whether it can be written at all. UsageError
    says what stops it (`fix --dry-run` shows it too)."""
    changes = [c for c in planned if c.status in WRITES]
    git = _git_repo(root)
    for change in changes:
        _check_inside(root, change, git)
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
    problems = unwritable(changes, root, Path(git.git_dir) if tracked else None)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UsageError(f"refusing to fix: {problems[0]}{more}; nothing was written")
    return Writing(changes, git, tracked, removals)


def apply(planned: list[Change], root: Path, *, allow_dirty: bool = False) -> None:
    """Write the plan, once `preflight` found nothing in the way."""
    changes, git, tracked, removals = preflight(planned, root, allow_dirty=allow_dirty)
    # Writes first: what they are made from (a Drizzle schema a Convex schema is derived from)
    # may be removed after them, so a `fix` stopped between the two completes when run again.
    for change in changes:
        if change.status in (CREATE, EDIT):
            atomic_write(root / change.path, _with_bom_of(root / change.path, change.after or ""))
    if tracked:
        # Dirtiness was checked above; git can still fail, by a command started since.
        _git_rm(git, sorted(tracked))
    for path in removals:
        if os.path.lexists(root / path):
            (root / path).unlink()
    for change in changes:
        if change.files:
            _prune_empty_dirs(root / change.path.rstrip("/"))


def unwritable(changes: list[Change], root: Path, git_dir: Path | None) -> list[str]:
    """Why the plan could not be written whole, path by path: a target that is no regular
    file or cannot be read, a folder that cannot be written, something in the way of a folder
    to create, a file to remove that is a folder; git's index, when `git rm` will stage."""
    problems: list[str] = []
    folders: dict[Path, str | None] = {}

    def folder_problem(folder: Path) -> str | None:
        if folder not in folders:
            shown = folder.relative_to(root).as_posix() if folder != root else "the repository"
            if not folder.is_dir():
                folders[folder] = f"{shown} is not a folder"
            elif not os.access(folder, os.W_OK | os.X_OK):
                folders[folder] = f"{shown} is not writable"
            else:
                folders[folder] = None
        return folders[folder]

    for change in changes:
        target = root / change.path.rstrip("/")
        if change.status in (CREATE, EDIT):
            if os.path.lexists(target):
                if not stat.S_ISREG(target.lstat().st_mode):
                    problems.append(f"{change.path} is not a regular file")
                    continue
                if not os.access(target, os.R_OK | os.W_OK):
                    problems.append(f"{change.path} cannot be read and written")
                    continue
            folder = target.parent
            while not os.path.lexists(folder):
                folder = folder.parent
            said = folder_problem(folder)
        elif change.path.endswith("/"):
            listable = target.is_dir() and os.access(target, os.R_OK | os.X_OK)
            said = folder_problem(target) if listable else f"{change.path} cannot be listed"
            for file in change.files:
                full = root / file
                if said is None and full.is_dir() and not full.is_symlink():
                    said = f"{file} is a folder, not a file"
                said = said or folder_problem(full.parent)
        else:
            said = folder_problem(target.parent)
        if said:
            problems.append(f"{said} (to {change.status} {change.path})")
    if git_dir is not None and not os.access(git_dir, os.W_OK | os.X_OK):
        problems.append(f"git's index cannot be written ({git_dir} is not writable)")
    elif git_dir is not None and os.path.lexists(git_dir / "index.lock"):
        problems.append(
            f"git's index is locked ({git_dir / 'index.lock'} exists: another git command is "
            "running, or one was killed; delete it once none is)"
        )
    return list(dict.fromkeys(problems))


def _with_bom_of(target: Path, text: str) -> str:
    """Files are read without their UTF-8 byte-order mark; an edit puts it back."""
    if target.is_file():
        with target.open("rb") as stream:
            if stream.read(3) == b"\xef\xbb\xbf":
                return "\ufeff" + text
    return text


def _check_inside(root: Path, change: Change, git) -> None:
    from .containment import IN_GIT_DIR, in_git_dir

    path = change.path
    parts = Path(path.rstrip("/")).parts
    if Path(path).is_absolute() or ".." in parts:
        raise UsageError(f"refusing to write {path}: outside the repository")
    if in_git_dir(path):
        raise UsageError(f"refusing to write {path}: {IN_GIT_DIR}")
    target = root / path.rstrip("/")
    # Removing a symlink unlinks the link, never what it points to; writing would go through it.
    if target.is_symlink() and (change.status != REMOVE or path.endswith("/")):
        raise UsageError(f"refusing to write {path}: it is a symlink")
    ancestor = target.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    resolved = ancestor.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise UsageError(f"refusing to write {path}: a symlink leads outside the repository")
    if git is not None:
        for own in {Path(git.git_dir).resolve(), Path(git.common_dir).resolve()}:
            if resolved == own or resolved.is_relative_to(own):
                raise UsageError(f"refusing to write {path}: {IN_GIT_DIR}")


def atomic_write(target: Path, text: str) -> None:
    """Write through a temporary file in the same directory, then rename over the target. An
    edited file keeps its mode; a created one gets the mode the umask gives new files, as an
    editor's would (not the 0600 of the temporary file)."""
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=TEMPORARY_SUFFIX
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def _umask() -> int:
    """The process's umask (reading it means setting it: it is put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _prune_empty_dirs(top: Path) -> None:
    """Remove the folders a removal emptied (what is left, ignored files, keeps its folder)."""
    for directory, _, _ in sorted(os.walk(top), key=lambda entry: -len(entry[0])):
        try:
            if not os.listdir(directory):
                os.rmdir(directory)
        except OSError:
            continue  # an empty folder left behind loses nothing


GitRepo = namedtuple("GitRepo", "git_dir common_dir working_tree_dir")
GitRepo.__doc__ = """The work tree holding a repository root: its git directory, the common one
(they differ in a linked worktree) and its top, as absolute paths."""


def _git_repo(root: Path) -> GitRepo | None:
    """The work tree `root` is in, or None outside one. The git CLI, not GitPython: `import git`
    alone costs 35-60 ms, a third of a `fix --dry-run`."""
    from .repo import run_git

    asked = ["--git-dir", "--git-common-dir", "--show-toplevel"]
    said = run_git(root, ["rev-parse", "--path-format=absolute", *asked])
    if said is None:
        return None
    paths = os.fsdecode(said).removesuffix("\n").split("\n")
    if len(paths) != len(asked):  # a newline in a path: ask one at a time
        paths = []
        for question in asked:
            said = run_git(root, ["rev-parse", "--path-format=absolute", question])
            if said is None:
                return None
            paths.append(os.fsdecode(said).removesuffix("\n"))
    return GitRepo(*paths)


def _git(git: GitRepo, *args: str) -> str:
    """git's stdout, run at the top of the work tree; a failure stops the fix (exit 2)."""
    from .repo import run_git

    said = run_git(Path(git.working_tree_dir), list(args))
    if said is None:
        raise UsageError(f"`git {args[0]}` failed in {git.working_tree_dir}")
    return os.fsdecode(said)


def _relative_to_git(git: GitRepo, root: Path, path: str) -> str:
    return (root / path).relative_to(Path(git.working_tree_dir).resolve()).as_posix()


def _dirty(git: GitRepo, root: Path, paths: list[str]) -> list[str]:
    """Paths (or files under directories) with staged, unstaged or untracked changes."""
    specs = [_relative_to_git(git, root, p.rstrip("/")) for p in paths]
    status = _git(git, "status", "--porcelain", "-z", "--untracked-files=all", "--", *specs)
    dirty_files = {entry[3:] for entry in status.split("\0") if len(entry) > 3}
    return [
        path
        for path, spec in zip(paths, specs, strict=True)
        if any(f == spec or f.startswith(spec + "/") for f in dirty_files)
    ]


def _tracked(git: GitRepo, root: Path, paths: list[str]) -> set[str]:
    """The files among `paths` that git tracks, relative to the work tree's top."""
    if not paths:
        return set()  # `git ls-files --` with no pathspec would list every file
    specs = [_relative_to_git(git, root, p) for p in paths]
    return {f for f in _git(git, "ls-files", "-z", "--", *specs).split("\0") if f}


def _git_rm(git: GitRepo, paths: list[str]) -> None:
    """Stage the removal of tracked files; git's own message when it fails."""
    import subprocess

    done = subprocess.run(
        ["git", "-C", git.working_tree_dir, "rm", "-q", "-f", "--", *paths],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "LC_ALL": "C"},
    )
    if done.returncode:
        said = os.fsdecode(done.stderr).strip() or f"exit status {done.returncode}"
        raise UsageError(
            f"git rm failed: {said.splitlines()[0]}; the files were written, nothing was "
            "removed: run `conformance fix` again once git is done"
        )
