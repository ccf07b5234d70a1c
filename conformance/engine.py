"""Run rules against one repository view; both front-ends (CLI and pytest) go through here."""

from __future__ import annotations

import datetime
from pathlib import Path

from .globs import matches_any
from .model import FileProblem, Finding, Rule, UsageError
from .repo import RepoView

TYPE_CHECKING = False  # `typing` costs ~5 ms of start-up; annotations are not evaluated
if TYPE_CHECKING:
    from typing import Any

    from .contract import Waiver


def select_rules(rules: list[Rule], select: list[str], ignore: list[str]) -> list[Rule]:
    """Keep rules whose id matches a `select` glob (all when empty) and no `ignore` glob."""
    ids = [rule.id for rule in rules]
    for pattern in [*select, *ignore]:
        if not any(matches_any([pattern], rule_id) for rule_id in ids):
            raise UsageError(f"no rule matches `{pattern}` (rules: {', '.join(ids)})")
    return [
        rule
        for rule in rules
        if (not select or matches_any(select, rule.id)) and not matches_any(ignore, rule.id)
    ]


def check_rule(rule: Rule, repo: RepoView) -> list[Finding]:
    from .rules import KINDS

    kind = KINDS[rule.kind]
    findings: list[Finding] = []
    try:
        findings.extend(kind.check(rule, repo))
    except FileProblem as problem:
        findings.append(kind.problem(rule, problem))
    return sorted(set(findings), key=Finding.sort_key)


class Report:
    def __init__(self, rules: list[Rule], results: dict[str, list[Finding]]):
        self.rules = rules
        self.results = results  # rule id → findings that count (not waived)
        self.waived: list[tuple[Finding, Waiver]] = []
        self.expired: list[Waiver] = []  # matched a finding, but past its date: fails the run
        self.stale: list[Waiver] = []  # matches no finding: reported, does not fail
        self.unchanged: list[str] = []  # skipped by --changed-since: inputs did not change
        self.contracts = list(dict.fromkeys(rule.contract for rule in rules))

    @property
    def failing(self) -> bool:
        return bool(self.findings or self.expired)

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
        }

    def apply_waivers(self, waivers: list[Waiver], today: datetime.date, known: set[str]) -> None:
        """Set aside the findings an unexpired waiver covers; note expired and stale waivers.
        `known` holds every loaded rule id: a waiver for a rule left out by --select is not
        stale, one naming no rule at all is."""
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


def _covers(waiver: Waiver, finding: Finding) -> bool:
    return waiver.rule == finding.rule and (
        waiver.path is None or matches_any([waiver.path], finding.path.rstrip("/"))
    )


def run(rules: list[Rule], repo: RepoView) -> Report:
    from .rules import KINDS

    repo.prefetch([p for rule in rules for p in KINDS[rule.kind].patterns(rule)])
    return Report(rules, {rule.id: check_rule(rule, repo) for rule in rules})


def open_repo(path: str | Path) -> RepoView:
    root = Path(path)
    if not root.exists():
        raise UsageError(f"path `{path}` does not exist")
    if not root.is_dir():
        raise UsageError(f"path `{path}` is not a directory")
    return RepoView(root)
