"""Run rules against one repository view; both front-ends (CLI and pytest) go through here."""

from __future__ import annotations

from pathlib import Path

from .globs import matches_any
from .model import FileProblem, Finding, Rule, UsageError
from .repo import RepoView

TYPE_CHECKING = False  # `typing` costs ~5 ms of start-up; annotations are not evaluated
if TYPE_CHECKING:
    from typing import Any


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
        self.results = results

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
        }


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
