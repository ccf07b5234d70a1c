"""Git awareness: which rules a change can affect, and which commit of a range broke a rule."""

from __future__ import annotations

from pathlib import Path

from .globs import literal_prefix, matches
from .model import Rule, UsageError, counted
from .repo import collect_git, normalize, run_git, spawn_git

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .engine import Progress, Report
    from .repo import GitIndexView, RepoView


def check_revision(option: str, rev: str, *, ranges: bool = False) -> None:
    """Refuse, before git sees it, a revision that is empty, could pass for one of git's options,
    or (unless `ranges`) is a range: `--changed-since HEAD..` would compare two commits and never
    the work tree, passing whatever was edited."""
    if not rev.strip():
        raise UsageError(f"{option}: the revision is empty")
    if rev.startswith("-"):
        raise UsageError(f"{option} {rev}: a revision cannot start with `-`")
    if ".." in rev and not ranges:
        raise UsageError(
            f"{option} {rev}: expected one revision, not a range (the work tree is compared "
            "with it; `--rev A..B` checks the commits of a range)"
        )
    if ranges and "..." in rev:
        raise UsageError(f"{option} {rev}: expected A..B (`...` is not a range of commits)")


def changed_paths(
    root: Path, rev: str, prefixes: list[str], repo: RepoView | None = None
) -> set[str]:
    """Files under `prefixes` changed between `rev` and the work tree (committed, staged or not;
    a renamed file under both its names) or untracked. The repository view answers without
    reading git's index when it can (`RepoView.changed_since`); else git compares, limited to
    the paths the rules read so that it does not stat the whole work tree, both git commands
    at once."""
    if repo is not None:
        changed = repo.changed_since(rev, prefixes)
        if changed is not None:
            return changed
    specs = [f":(literal){p}" if p else "." for p in sorted(set(prefixes))]
    command = ["diff", "--no-renames", "--name-only", "-z", "--relative", rev, "--", *specs]
    diff = spawn_git(root, command)
    others = spawn_git(root, ["ls-files", "-z", "--others", "--exclude-standard", "--", *specs])
    untracked, output = collect_git(others), collect_git(diff)
    if output is None:
        raise UsageError(f"--changed-since {rev}: not a revision of the git repository at {root}")
    return {
        path
        for listing in (output, untracked or b"")
        for path in listing.decode("utf-8", "surrogateescape").split("\0")
        if path
    }


def staged_paths(view: GitIndexView, files: list[str], definitions: set[str]) -> set[str]:
    """The paths whose rules a commit of the index must run: `files` (what pre-commit passes:
    the files being committed, every tracked file with --all-files; without them, every path
    staged differently from HEAD), the paths the index deletes (pre-commit never passes
    those) and the `definitions` staged differently from HEAD."""
    changes = staged_changes(view)
    picked = {normalize(path) for path in files} if files else set(changes)
    picked.update(path for path, status in changes.items() if status == "D" or path in definitions)
    return picked


def staged_changes(view: GitIndexView) -> dict[str, str]:
    """Each path staged differently from HEAD, with git's status letter (A, D, M, T); before
    the first commit, every staged path is added."""
    command = ["diff", "--cached", "--no-renames", "--name-status", "-z", "--relative", "HEAD"]
    output = run_git(view.root, command)
    if output is None:
        if run_git(view.root, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]) is None:
            return dict.fromkeys(view.staged(), "A")
        raise UsageError(f"cannot compare git's index with HEAD in {view.root}")
    tokens = output.decode("utf-8", "surrogateescape").split("\0")
    return {path: status for status, path in zip(tokens[::2], tokens[1::2], strict=False) if path}


def reads(patterns: list[str], path: str) -> bool:
    """Whether a rule reading `patterns` can see `path` (a match, or inside a named directory)."""
    for pattern in patterns:
        prefix = literal_prefix(pattern)
        if matches(pattern, path) or path == prefix or path.startswith(prefix + "/"):
            return True
    return False


def affected(
    rules: list[Rule], changed: set[str], definitions: set[str]
) -> tuple[list[Rule], list[Rule]]:
    """(rules whose inputs changed, the others). A change to one of the `definitions` (the
    config and contract files) affects every rule; a rule that declares no inputs (a custom
    check) always runs."""
    from .rules import rule_patterns

    if changed & definitions:
        return rules, []
    run, skipped = [], []
    for rule in rules:
        patterns = rule_patterns(rule)
        hit = not patterns or any(reads(patterns, path) for path in changed)
        (run if hit else skipped).append(rule)
    return run, skipped


class RangeReport:
    """The check of every commit of A..B: for each rule failing at B, the commit that broke it."""

    def __init__(self, base: str, tip: str, commits: list[dict], broken_by: dict, tip_report):
        self.base, self.tip, self.commits = base, tip, commits
        self.broken_by = broken_by  # rule id → commit dict, or None when failing before A
        self.tip_report: Report = tip_report


def check_range(
    root: Path,
    rules: list[Rule],
    spec: str,
    definitions: set[str] = frozenset(),
    baseline: str | None = None,
    progress: Progress | None = None,
) -> RangeReport:
    """Check A, then each commit of A..B, incrementally: a rule runs again at a commit only
    when the change from the commit checked before it touches what the rule consulted there (a
    folder it listed, a file it read, a search it made); otherwise its outcome is kept. A
    change to one of the `definitions` (config and contract files) runs every rule again. git
    runs four times for the whole range: log, rev-parse, one diff-tree fed every pair of
    consecutive commits, and one cat-file serving every object read. With a `baseline` path,
    each commit is compared with the baseline that commit holds: a rule fails where it has
    findings that baseline does not know, and every commit records per rule how many findings
    were known, new and fixed (the burn-down). `progress(done, total, what)` hears of each
    commit as its check starts."""
    from .engine import run
    from .repo import GitObjects, GitTreeView

    base, _, tip = spec.partition("..")
    log = run_git(
        root, ["log", "--reverse", "-z", "--format=%H%x1f%h%x1f%s%x1f%an%x1f%as", f"{base}..{tip}"]
    )
    if not base or not tip or log is None:
        raise UsageError(f"--rev {spec}: expected A..B with two revisions of the git repository")
    commits = [
        dict(zip(("sha", "short", "subject", "author", "date"), entry.split("\x1f"), strict=True))
        for entry in log.decode("utf-8", "replace").split("\0")
        if entry.strip()
    ]
    prefix = (run_git(root, ["rev-parse", "--show-prefix"]) or b"").decode().strip()
    objects = GitObjects(root)
    try:
        start = _commit_of(objects, root, base)
        if progress:
            progress(0, len(commits) + 1, f"checking {base}")
        checked = _Checked(root, rules, objects, prefix)
        checked.at(base, start, None, True)
        failing = set(checked.failed(baseline))
        broken_by: dict[str, dict | None] = dict.fromkeys(failing)
        shas = [start, *(commit["sha"] for commit in commits)]
        tip_report = None
        for done, (commit, changed) in enumerate(
            zip(commits, _changes(root, shas, prefix), strict=True), start=1
        ):
            if progress:
                progress(done, len(commits) + 1, f"checking {commit['short']}")
            if commit is commits[-1]:
                # The tip is checked as `--rev B` checks it, every rule in one view (a rule's
                # count of inspected files depends on what the rules before it read).
                objects.next_commit(changed)
                view = GitTreeView(root, tip, objects, commit["sha"], prefix)
                tip_report = run(rules, view)
                _against_baseline(tip_report, view, baseline, rules)
                commit["failed"] = tip_report.failed
                if baseline is not None:
                    commit["baseline"] = tip_report.progress()
            else:
                everything = changed is None or not definitions.isdisjoint(changed)
                checked.at(commit["sha"], commit["sha"], changed, everything)
                commit["failed"] = checked.failed(baseline)
                if baseline is not None:
                    commit["baseline"] = checked.progress
            now = set(commit["failed"])
            # A rule that starts failing is broken by this commit; one that passes again is mended.
            broken_by.update({rule: commit for rule in now - failing})
            for rule in failing - now:
                broken_by.pop(rule)
            failing = now
        if tip_report is None:  # an empty range
            objects.next_commit(None)
            view = GitTreeView(root, tip, objects, _commit_of(objects, root, tip), prefix)
            tip_report = run(rules, view)
            _against_baseline(tip_report, view, baseline, rules)
    finally:
        objects.close()
    return RangeReport(base, tip, commits, broken_by, tip_report)


def _against_baseline(report: Report, view, path: str | None, rules: list[Rule]) -> None:
    """Compare a commit's report with the baseline that commit holds (if it holds one)."""
    from .baseline import read

    entries = read(view, path) if path is not None else None
    if entries is not None:
        report.apply_baseline(entries, path, {rule.id for rule in rules})


def _commit_of(objects, root: Path, rev: str) -> str:
    found = objects.read(f"{rev}^{{commit}}", rev)
    if found is None or found[1] != "commit":
        raise UsageError(f"--rev {rev}: not a commit of the git repository at {root}")
    return found[0]


_DIFF_OPTIONS = ["--no-renames", "--name-status", "-z"]


def _changes(root: Path, shas: list[str], prefix: str) -> list[dict[str, str] | None]:
    """The paths (relative to `root`) changed between each commit of `shas` and the next, with
    git's status letter (A, D, M, T), from one `git diff-tree --stdin`; None for each when git
    cannot tell."""
    import subprocess
    from itertools import pairwise

    pairs = list(pairwise(shas))
    if not pairs:
        return []
    # `NEW OLD`: OLD taken as NEW's only parent, whatever the history between them.
    feed = "".join(f"{new} {old}\n" for old, new in pairs).encode()
    done = subprocess.run(
        ["git", "-C", str(root), "diff-tree", "--stdin", "-r", "--always", *_DIFF_OPTIONS],
        input=feed,
        capture_output=True,
    )
    changes: list[dict[str, str]] = []
    status = None
    # `SHA\0` for each pair, then `STATUS\0PATH\0` per changed file (statuses are one letter).
    for token in done.stdout.split(b"\0"):
        if status is not None:
            path = token.decode("utf-8", "surrogateescape")
            if path.startswith(prefix):
                changes[-1][path[len(prefix) :]] = status
            status = None
        elif len(token) == 1:
            status = token.decode()
        elif token:
            changes.append({})
    if done.returncode != 0 or len(changes) != len(pairs):
        return [None] * len(pairs)
    return changes


class _Checked:
    """The outcome of every rule at the commit checked last, and what each consulted there."""

    def __init__(self, root: Path, rules: list[Rule], objects, prefix: str):
        from .rules import rule_patterns

        self.root, self.rules, self.objects, self.prefix = root, rules, objects, prefix
        self.outcomes: dict = {}
        self.consulted: dict[str, _Consulted] = {}
        self.view = None  # of the commit checked last
        self.progress: list[dict] = []  # against its baseline: see Report.progress
        # A custom check may read what no view records: it always runs.
        self.always = {
            rule.id for rule in rules if rule.kind == "python" or not rule_patterns(rule)
        }

    def at(self, rev: str, sha: str, changed: dict[str, str] | None, everything: bool) -> None:
        """Check the commit `sha`: every rule, or the rules the `changed` paths (since the
        commit checked before; None when not known) touch."""
        from .repo import GitTreeView

        self.objects.next_commit(changed)
        probe = self.view = GitTreeView(self.root, rev, self.objects, sha, self.prefix)
        for rule in self.rules:
            if (
                not everything
                and rule.id not in self.always
                and not self.consulted[rule.id].touched_by(changed, probe)
            ):
                continue
            # A view of its own: what the view is asked is what this rule consulted.
            view = GitTreeView(self.root, rev, self.objects, sha, self.prefix)
            self.outcomes[rule.id] = _check_alone(rule, view)
            self.consulted[rule.id] = _Consulted(view)

    def failed(self, baseline: str | None = None) -> list[str]:
        """The rules failing at the commit checked last: with findings its `baseline` (a path)
        does not know."""
        if baseline is None:
            return [rule.id for rule in self.rules if self.outcomes[rule.id].findings]
        from .engine import Report

        report = Report(self.rules, self.outcomes)
        _against_baseline(report, self.view, baseline, self.rules)
        self.progress = report.progress()
        return report.failed


def _check_alone(rule: Rule, view):
    """`engine.run` of one rule."""
    from .engine import check_rule
    from .model import instances
    from .rules import KINDS, rule_patterns

    view.prefetch(rule_patterns(rule))
    if rule.unchecked is None:
        for instance in instances(rule):
            KINDS[rule.kind].expect(instance, view)
    return check_rule(rule, view)


class _Consulted:
    """What a rule's view was asked (see `GitTreeView`), as a change can touch it."""

    def __init__(self, view):
        consulted = view.consulted
        self.everything = ("all", None) in consulted
        self.trees = {what for kind, what, *_ in consulted if kind == "tree"}
        self.files = {what for kind, what, *_ in consulted if kind == "file"}
        self.paths = sorted(self.trees | self.files)
        self.searches = [
            (item[1], item[2], view.answers[item[2]]) for item in consulted if item[0] == "search"
        ]
        self.suffixes = tuple(s for kind, what, *_ in consulted if kind == "grep" for s in what)

    def touched_by(self, changed: dict[str, str], probe) -> bool:
        """Whether the `changed` paths (path → git's status letter) touch it; `probe` is a
        view of the commit they lead to, for searches to answer again."""
        from bisect import bisect_left

        if not changed:
            return False
        if self.everything:
            return True
        for path, status in changed.items():
            # A file it read, a folder it listed ("" is the root) gaining or losing a file (an
            # edit changes no listing), or a file in place of a folder a consulted path goes
            # through (a symlinked folder whose target changed).
            if path in self.files:
                return True
            parts = path.split("/")
            if status != "M" and any(
                "/".join(parts[:end]) in self.trees for end in range(len(parts) + 1)
            ):
                return True
            below = bisect_left(self.paths, path + "/")
            if below < len(self.paths) and self.paths[below].startswith(path + "/"):
                return True
            if self.suffixes and path.endswith(self.suffixes):
                return True
        # A search whose answer may have changed is made again (from the last answer and the
        # changed files: cheap), and touches the rule only when it answers differently.
        return any(
            any(paths.search(path) for path in changed) and probe.search(key) != answer
            for paths, key, answer in self.searches
        )


def render_range(report: RangeReport, fmt: str) -> str:
    if fmt == "html":
        from .html_report import range_page

        return range_page(report.tip_report, report.commits, f"{report.base}..{report.tip}")
    if fmt == "json":
        import json

        from .formats import json as json_report

        payload = {
            "range": f"{report.base}..{report.tip}",
            "commits": report.commits,
            "broken_by": {
                rule: (commit["sha"] if commit else None)
                for rule, commit in report.broken_by.items()
            },
            "tip": json.loads(json_report(report.tip_report)),
        }
        return json.dumps(payload, indent=2) + "\n"
    lines = [f"{report.base}..{report.tip}: {counted(len(report.commits), 'commit')} checked"]
    for rule, commit in sorted(report.broken_by.items()):
        if commit is None:
            lines.append(f"{rule}: already failing at {report.base}")
        else:
            lines.append(
                f"{rule}: broken by {commit['short']} {commit['subject']!r} "
                f"({commit['author']}, {commit['date']})"
            )
    if not report.broken_by:
        lines.append("no rule fails at the end of the range")
    from .formats import printable, text

    # Commit subjects and author names are the repository's text.
    return "\n".join(map(printable, lines)) + "\n\n" + text(report.tip_report)
