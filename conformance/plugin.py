"""pytest plugin: `pytest --conformance=PATH` checks PATH's contracts, one test item per rule.

The items are built directly from the contract, so pytest never collects, imports or configures
anything inside the target repository (its conftest.py and pytest settings are not loaded).
Registered through the `pytest11` entry point; the engine is imported only when it is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .contract import Waiver
    from .model import Rule
    from .repo import RepoView

_views = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "architectural contracts")
    group.addoption(
        "--conformance",
        action="append",
        nargs="?",
        const=".",
        dest="conformance_paths",
        metavar="PATH",
        help="check the contracts of the repository at PATH (default .), one item per rule",
    )
    group.addoption(
        "--conformance-contract",
        action="append",
        dest="conformance_contracts",
        metavar="NAME|FILE",
        help="contract to check instead of the repository's conformance.yaml",
    )
    parser.addini("conformance", type="paths", help="repositories whose contracts to check")


def _targets(config: pytest.Config) -> list[Path]:
    paths = [Path(p) for p in config.getoption("conformance_paths") or []]
    return [*(p.resolve() for p in paths), *config.getini("conformance")]


def shared_view(config: pytest.Config, root: Path) -> RepoView:
    """One cached repo view per repository and pytest process."""
    from .repo import RepoView

    views = config.stash.setdefault(_views, {})
    if root not in views:
        views[root] = RepoView(root)
    return views[root]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    for root in _targets(config):
        path = root / "conformance.yaml"
        # Node ids are relative to the rootdir; a target outside it is named by its directory.
        shown = path.relative_to(config.rootpath) if path.is_relative_to(config.rootpath) else None
        nodeid = (shown or Path(root.name, path.name)).as_posix()
        items.extend(ContractFile.from_parent(session, path=path, nodeid=nodeid).collect())


class ContractViolation(Exception):
    def __init__(self, lines: list[str]):
        super().__init__("1 finding" if len(lines) == 1 else f"{len(lines)} findings")
        self.lines = lines


class InternalError(Exception):
    """conformance itself failed checking a rule: a bug to report, not a finding. Raised in the
    item's setup, so pytest counts an error (E), never a failed rule (F)."""

    def __init__(self, error: Exception):
        from .model import error_summary

        super().__init__(f"conformance: internal error, please report: {error_summary(error)}")


class ContractFile(pytest.File):
    def collect(self) -> list[RuleItem]:
        from .contract import load_rules, load_waivers
        from .engine import open_repo
        from .model import UsageError
        from .rules import rule_patterns

        root = self.path.parent
        contracts = self.config.getoption("conformance_contracts")
        try:
            open_repo(root)
            rules = load_rules(root, contracts, repo=shared_view(self.config, root))
            waivers = load_waivers(root)
        except UsageError as error:
            raise pytest.UsageError(f"conformance: {error}") from None
        except Exception as error:  # collected by a hook, where pytest has no item to blame
            import traceback

            traceback.print_exc()
            pytest.exit(str(InternalError(error)), returncode=pytest.ExitCode.INTERNAL_ERROR)
        view = shared_view(self.config, root)
        view.prefetch([p for rule in rules for p in rule_patterns(rule)])
        known = {rule.id for rule in rules}
        return [
            RuleItem.from_parent(self, name=rule.id, rule=rule, waivers=waivers, known=known)
            for rule in rules
        ]


class RuleItem(pytest.Item):
    def __init__(self, *, rule: Rule, waivers: list[Waiver], known: set[str], **kwargs):
        super().__init__(**kwargs)
        self.rule, self.waivers, self.known = rule, waivers, known

    def setup(self) -> None:
        from .engine import check_rule
        from .model import UsageError

        self.outcome = self.usage_error = None
        try:
            self.outcome = check_rule(self.rule, shared_view(self.config, self.path.parent))
        except UsageError as error:  # e.g. a custom check module that does not import
            self.usage_error = error
        except Exception as error:
            raise InternalError(error) from error

    def runtest(self) -> None:
        import datetime

        from .engine import Report
        from .formats import expired_message, printable

        if self.usage_error is not None:
            raise ContractViolation([f"conformance: error: {self.usage_error}"])
        outcome = self.outcome
        report = Report([self.rule], {self.rule.id: outcome})
        report.apply_waivers(self.waivers, datetime.date.today(), self.known)
        lines = [f"{f.location()}: {f.rule} {f.message}" for f in report.findings]
        lines += [f"conformance.yaml:{w.line}: {expired_message(w)}" for w in report.expired]
        if lines:
            raise ContractViolation(list(map(printable, lines)))
        if outcome.reason is not None:
            if self.rule.optional:
                pytest.skip(printable(f"unchecked (optional): {outcome.reason}"))
            raise ContractViolation([printable(f"unchecked: {outcome.reason}")])

    def repr_failure(self, excinfo, style=None) -> str:
        if isinstance(excinfo.value, ContractViolation):
            return "\n".join([*excinfo.value.lines, "", f"why: {self.rule.why}"])
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"conformance: {self.rule.id}"


@pytest.fixture(scope="session")
def repo(request: pytest.FixtureRequest) -> RepoView:
    """The cached repo view of the first `--conformance` target (else the rootdir)."""
    targets = _targets(request.config)
    return shared_view(request.config, targets[0] if targets else request.config.rootpath)
