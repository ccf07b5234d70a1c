"""Run rules against one repository view; both front-ends (CLI and pytest) go through here."""

from __future__ import annotations

import re
import time
from collections import namedtuple
from pathlib import Path

from .globs import glob_problem, matches_any
from .lines import LineCounter
from .model import (
    FileProblem,
    Finding,
    Inspection,
    NothingToCheck,
    Rule,
    UsageError,
    did_you_mean,
    instances,
)
from .repo import RepoView

TYPE_CHECKING = False  # `typing` costs ~5 ms of start-up; annotations are not evaluated
if TYPE_CHECKING:
    import datetime
    from collections.abc import Callable
    from typing import Any

    from .baseline import Entry

    # (done, total, what is being done): how a front-end hears of a long run's progress.
    Progress = Callable[[int, int, str], None]

    from .contract import Waiver


def select_rules(rules: list[Rule], select: list[str], ignore: list[str]) -> list[Rule]:
    """Keep rules whose id matches a `select` glob (all when empty) and no `ignore` glob."""
    ids = [rule.id for rule in rules]
    for option, patterns in (("--select", select), ("--ignore", ignore)):
        for pattern in patterns:
            problem = glob_problem(pattern)
            if problem:
                raise UsageError(f"{option} {pattern}: {problem}")
    for pattern in [*select, *ignore]:
        if not any(matches_any([pattern], rule_id) for rule_id in ids):
            option = "--select" if pattern in select else "--ignore"
            hint = did_you_mean(pattern, ids, "rules")
            raise UsageError(f"{option}: no rule matches `{pattern}`{hint}")
    return [
        rule
        for rule in rules
        if (not select or matches_any(select, rule.id)) and not matches_any(ignore, rule.id)
    ]


Outcome = namedtuple(
    "Outcome", "findings inspected reason note suppressed remarks", defaults=(None, (), ())
)
Outcome.__doc__ = """What checking one rule gave: its findings, how many paths it looked at, why
it could not check anything (None when it did), what its kind says about what it saw, the
findings an inline `conformance-ignore` set aside (finding, reason), and remarks on those
comments ((path, line, text): unused, or without a reason)."""

# `// conformance-ignore RULE_ID[, OTHER]: why` (or in `#`, `<!-- -->` comments), on a finding's
# line or the line above it.
_SUPPRESSION = re.compile(
    r"conformance-ignore[ \t]+(?P<rules>[\w.*-]+(?:[ \t]*,[ \t]*[\w.*-]+)*)"
    r"(?:[ \t]*:[ \t]*(?P<reason>.*?))?[ \t]*(?:\*/|-->)?[ \t]*$",
    re.MULTILINE,
)

# `known`: every finding of the rule is in the baseline (debt being paid down; the run passes).
STATUSES = ("pass", "fail", "unchecked", "waived", "known", "skipped")


def check_rule(rule: Rule, repo: RepoView) -> Outcome:
    """Run a rule once per subject it is bound to. A rule that looked at nothing is unchecked
    (an absence rule — path-absent, dependency-absent — passes instead: gone is what it wants)."""
    from .rules import KINDS

    kind = KINDS[rule.kind]
    if rule.unchecked is not None:
        # What discovery did not find is not there: for an absence rule, that is the goal.
        return Outcome([], 0, None if kind.absence else rule.unchecked)
    findings: list[Finding] = []
    nothing: list[str] = []
    inspection, previous = Inspection(), repo.inspection
    repo.inspection = inspection
    try:
        for instance in instances(rule):
            try:
                findings.extend(kind.check(instance, repo))
            except FileProblem as problem:
                findings.append(kind.problem(instance, problem))
            except NothingToCheck as reason:
                nothing.append(str(reason))
    finally:
        repo.inspection = previous
    # A link the listing could not follow is said once, even when the rule also tried to read it.
    unreadable = {f.path for f in findings if f.message.startswith("cannot check: ")}
    findings.extend(
        kind.problem(rule, problem)
        for path, problem in inspection.problems.items()
        if path not in unreadable
    )
    findings = sorted(set(findings), key=Finding.sort_key)
    findings, suppressed, remarks = _suppress(rule, findings, repo, inspection.seen)
    inspected = len(inspection.seen)
    reason = None
    if not findings:
        if nothing and len(nothing) == len(instances(rule)):
            reason = "; ".join(dict.fromkeys(nothing))
        elif not inspected and not kind.absence:
            reason = kind.nothing_found(rule)
        if reason is not None and rule.notes:
            reason += " (" + "; ".join(rule.notes) + ")"
    if suppressed:
        reason = None
    return Outcome(findings, inspected, reason, inspection.note, suppressed, remarks)


def _suppress(
    rule: Rule, findings: list[Finding], repo: RepoView, seen: set[str]
) -> tuple[list[Finding], list[tuple[Finding, str]], list[tuple[str, int, str]]]:
    """Set aside the findings an inline `conformance-ignore RULE: reason` covers (on their line
    or the one above); a comment without a reason covers nothing and is remarked on, and so is
    one naming this rule in a file it read that matches no finding (as ruff's RUF100 does)."""
    comments: dict[tuple[str, int], str | None] = {}
    for path in sorted(seen):
        try:
            text = repo.text(path)
        except FileProblem:
            continue
        if "conformance-ignore" not in text:
            continue
        line_of = LineCounter(text)
        for match in _SUPPRESSION.finditer(text):
            names = [name.strip() for name in match.group("rules").split(",")]
            if any(matches_any([name], rule.id) for name in names):
                line = line_of(match.start())
                comments[(path, line)] = (match.group("reason") or "").strip()
    if not comments:
        return findings, [], []
    kept, suppressed, used = [], [], set()
    for finding in findings:
        where = (
            next(
                (
                    key
                    for key in (
                        (finding.path, finding.line),
                        (finding.path, (finding.line or 0) - 1),
                    )
                    if key in comments
                ),
                None,
            )
            if finding.line
            else None
        )
        if where is not None and comments[where]:
            suppressed.append((finding, comments[where]))
            used.add(where)
        else:
            kept.append(finding)
            if where is not None:
                used.add(where)
    remarks = []
    for (path, line), reason in sorted(comments.items()):
        if not reason:
            remarks.append(
                (
                    path,
                    line,
                    f"conformance-ignore {rule.id} needs a reason (`: why`); it sets nothing aside",
                )
            )
        elif (path, line) not in used:
            remarks.append(
                (path, line, f"conformance-ignore {rule.id} matches no finding (unused); remove it")
            )
    return kept, suppressed, remarks


class Report:
    def __init__(self, rules: list[Rule], outcomes: dict[str, Outcome], root: Path | None = None):
        self.rules = rules
        self.outcomes = outcomes
        self.root = root  # the folder checked (the reports place paths relative to it)
        self.seconds: dict[str, float] = {}  # rule id → time spent checking it
        self.elapsed: float | None = None  # the whole run, listing included
        # rule id → findings that count (not waived)
        self.results = {rule_id: list(o.findings) for rule_id, o in outcomes.items()}
        # Findings set aside, with the waiver (or inline comment) that did it.
        self.waived: list[tuple[Finding, Waiver]] = [
            (finding, _inline_waiver(finding, reason))
            for outcome in outcomes.values()
            for finding, reason in outcome.suppressed
        ]
        # (path, line, text) remarks on inline `conformance-ignore` comments.
        self.remarks: list[tuple[str, int, str]] = [
            remark for outcome in outcomes.values() for remark in outcome.remarks
        ]
        self.expired: list[Waiver] = []  # matched a finding, but past its date: fails the run
        self.stale: list[Waiver] = []  # matches no finding: reported, does not fail
        # Against a baseline file (None: none in use): findings it knows, entries it holds that
        # no longer match (fixed), and whether fixed entries fail the run (strict_baseline).
        self.baseline: str | None = None
        self.known: list[Finding] = []
        self.fixed: list[Entry] = []
        self.strict_baseline = False
        self.unchanged: list[str] = []  # skipped by --changed-since or hook: inputs unchanged
        # (contract, Resolution) of every parameter discovery decided (see `parameters`).
        self.discovered: list[tuple[str, Any]] = []
        # Files discovery consulted but could not read ("path:line: why"; the rules reading them
        # report them as findings).
        self.unread: list[str] = []
        # Why nothing at all was checked (a config naming no contract): that fails the run.
        self.empty: str | None = None
        self.contracts = list(dict.fromkeys(rule.contract for rule in rules))

    @property
    def failing(self) -> bool:
        required = any(not rule.optional for rule in self.unchecked_rules)
        stale_baseline = self.strict_baseline and bool(self.fixed)
        return bool(self.findings or self.expired or required or self.empty or stale_baseline)

    @property
    def unchecked_rules(self) -> list[Rule]:
        """Rules that had nothing to check (and no findings), in contract order."""
        return [rule for rule in self.rules if self.outcomes[rule.id].reason is not None]

    def status(self, rule: Rule) -> str:
        if self.results[rule.id]:
            return "fail"
        if any(finding.rule == rule.id for finding in self.known):
            return "known"
        if self.outcomes[rule.id].findings or self.outcomes[rule.id].suppressed:
            return "waived"
        return "unchecked" if self.outcomes[rule.id].reason is not None else "pass"

    def statuses(self) -> list[dict[str, Any]]:
        """One entry per rule: id, status (pass, fail, unchecked, waived, skipped), how many
        paths it inspected, and why it is unchecked."""
        entries = [
            {
                "id": rule.id,
                "status": self.status(rule),
                "inspected": self.outcomes[rule.id].inspected,
                "reason": self.outcomes[rule.id].reason,
                "optional": rule.optional,
                "note": self.outcomes[rule.id].note,
            }
            for rule in self.rules
        ]
        entries += [
            {
                "id": rule_id,
                "status": "skipped",
                "inspected": 0,
                "reason": "none of its inputs changed (--changed-since) or is committed (hook)",
                "optional": False,
                "note": None,
            }
            for rule_id in self.unchanged
        ]
        return entries

    @property
    def findings(self) -> list[Finding]:
        return sorted(
            (f for findings in self.results.values() for f in findings), key=Finding.sort_key
        )

    @property
    def failed(self) -> list[str]:
        return [rule.id for rule in self.rules if self.results[rule.id]]

    def summary(self) -> dict[str, Any]:
        findings = self.findings
        return {
            "rules": len(self.rules),
            "failed_rules": len(self.failed),
            "findings": len(findings),
            "files": len({f.path for f in findings}),
            "fixable": sum(f.fixable for f in findings),
            "waived": len(self.waived),
            "expired_waivers": len(self.expired),
            "stale_waivers": len(self.stale),
            "unchanged": len(self.unchanged),
            "unchecked": len(self.unchecked_rules),
            **(
                {"known": len(self.known), "fixed": sum(e.count for e in self.fixed)}
                if self.baseline is not None
                else {}
            ),
        }

    def progress(self) -> list[dict[str, Any]]:
        """Per rule against the baseline: how many findings are known, fixed and new (rules
        with none of the three left out)."""
        counts = {
            rule.id: {"rule": rule.id, "known": 0, "fixed": 0, "new": 0} for rule in self.rules
        }
        for finding in self.known:
            counts[finding.rule]["known"] += 1
        for entry in self.fixed:  # a rule no contract has any more: all its entries are fixed
            counts.setdefault(entry.rule, {"rule": entry.rule, "known": 0, "fixed": 0, "new": 0})
            counts[entry.rule]["fixed"] += entry.count
        for rule_id, findings in self.results.items():
            counts[rule_id]["new"] += len(findings)
        return [c for c in counts.values() if c["known"] or c["fixed"] or c["new"]]

    def apply_baseline(self, entries: list[Entry], source: str, known: set[str]) -> None:
        """Set aside the findings the baseline knows; its entries for the rules checked that
        match nothing are fixed. `known` holds every loaded rule id: entries of a rule left out
        by --select or --changed-since say nothing, those of a rule no contract has are fixed."""
        from .baseline import compare

        checked = {rule.id for rule in self.rules}
        relevant = [e for e in entries if e.rule in checked or e.rule not in known]
        self.leave_out(source)
        comparison = compare([f for fs in self.results.values() for f in fs], relevant)
        self.baseline, self.known, self.fixed = source, comparison.known, comparison.fixed
        new = set(comparison.new)
        for rule_id, findings in self.results.items():
            self.results[rule_id] = [f for f in findings if f in new]

    def leave_out(self, baseline: str) -> None:
        """Drop the findings in the baseline file: it quotes the findings it holds, a rule
        searching every file for a phrase would find it there again, and a baseline of that
        would quote it once more."""
        for rule_id, findings in self.results.items():
            self.results[rule_id] = [f for f in findings if f.path != baseline]

    def apply_waivers(
        self, waivers: list[Waiver], today: datetime.date | None, known: set[str]
    ) -> None:
        """Set aside the findings an unexpired waiver covers; note expired and stale waivers.
        `known` holds every loaded rule id: a waiver for a rule left out by --select is not
        stale, one naming no rule at all is. `today` may be None when there are no waivers."""
        matched: set[Waiver] = set()
        for rule_id, findings in self.results.items():
            kept = []
            for finding in findings:
                waiver = next((w for w in waivers if _covers(w, finding)), None)
                if waiver is None:
                    kept.append(finding)
                    continue
                matched.add(waiver)
                if waiver.expires is not None and waiver.expires < today:
                    kept.append(finding)
                else:
                    self.waived.append((finding, waiver))
            self.results[rule_id] = kept
        checked = {rule.id for rule in self.rules}
        for waiver in waivers:
            if waiver in matched:
                if waiver.expires is not None and waiver.expires < today:
                    self.expired.append(waiver)
            elif waiver.rule in checked or waiver.rule not in known:
                self.stale.append(waiver)


def _inline_waiver(finding: Finding, reason: str) -> Waiver:
    from .contract import Waiver

    return Waiver(finding.rule, finding.path, f"conformance-ignore: {reason}", None, None)


def _covers(waiver: Waiver, finding: Finding) -> bool:
    return waiver.rule == finding.rule and (
        waiver.path is None or matches_any([waiver.path], finding.path.rstrip("/"))
    )


def run(rules: list[Rule], repo: RepoView, progress: Progress | None = None) -> Report:
    """Check `rules` on `repo`; `progress(done, total, what)` hears of each rule as it starts
    (a front-end shows it: nothing here prints)."""
    from .rules import KINDS, rule_patterns

    started = time.perf_counter()
    if progress:
        progress(0, len(rules), "listing files")
    repo.prefetch([pattern for rule in rules for pattern in rule_patterns(rule)])
    # The kinds that scan TypeScript files say which first: each file is then parsed once.
    for rule in rules:
        if rule.unchecked is None:
            for instance in instances(rule):
                KINDS[rule.kind].expect(instance, repo)
    outcomes, seconds = {}, {}
    for done, rule in enumerate(rules):
        if progress:
            progress(done, len(rules), f"checking {rule.id}")
        begun = time.perf_counter()
        outcomes[rule.id] = check_rule(rule, repo)
        seconds[rule.id] = time.perf_counter() - begun
    report = Report(rules, outcomes, repo.root)
    report.seconds = seconds
    report.elapsed = time.perf_counter() - started
    return report


def open_repo(path: str | Path) -> RepoView:
    root = Path(path)
    if not root.exists():
        raise UsageError(f"path `{path}` does not exist")
    if not root.is_dir():
        raise UsageError(f"path `{path}` is not a directory")
    return RepoView(root)
