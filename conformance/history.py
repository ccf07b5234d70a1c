"""Git awareness: which rules a change can affect, and which commit of a range broke a rule."""

from __future__ import annotations

from pathlib import Path

from .globs import literal_prefix, matches
from .model import Rule, UsageError
from .repo import collect_git, run_git, spawn_git

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .engine import Report
    from .repo import RepoView


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


def check_range(root: Path, rules: list[Rule], spec: str) -> RangeReport:
    from .engine import run
    from .repo import GitTreeView

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
    failing = set(_checked_at(root, rules, base).failed)
    broken_by: dict[str, dict | None] = dict.fromkeys(failing)
    report = None
    for commit in commits:
        report = _checked_at(root, rules, commit["sha"])
        commit["failed"] = report.failed
        now = set(report.failed)
        # A rule that starts failing is broken by this commit; one that passes again is mended.
        broken_by.update({rule: commit for rule in now - failing})
        for rule in failing - now:
            broken_by.pop(rule)
        failing = now
    tip_report = report or run(rules, GitTreeView(root, tip))
    return RangeReport(base, tip, commits, broken_by, tip_report)


def _checked_at(root: Path, rules: list[Rule], rev: str):
    from .engine import run
    from .repo import GitTreeView

    view = GitTreeView(root, rev)
    try:
        return run(rules, view)
    finally:
        view.close()


def render_range(report: RangeReport, fmt: str) -> str:
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
    lines = [f"{report.base}..{report.tip}: {len(report.commits)} commits checked"]
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
