"""The pytest plugin's items (pytest 7 or later; `plugin` is the entry point).

`--conformance=PATH` (or the `conformance` ini list) names repositories. Each one's config file
(conformance.yaml, or pyproject.toml with `[tool.conformance]`; with `--conformance-contract`
and no config, the first contract's file) is added to the paths pytest collects, and pytest
collects it like any test file: a `ContractFile` collector whose children are one item per
rule. So the counts, `-k`, `--collect-only`, `-x`, `--lf` and xdist see them as they see any
test, and the node id pytest prints can be given back on the command line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pytest

from .model import counted

if TYPE_CHECKING:
    from .contract import Waiver
    from .model import Rule
    from .repo import RepoView

# Per pytest process: the file collected for each repository, and one cached view of each.
_sources = pytest.StashKey[dict[Path, Path]]()
_views = pytest.StashKey[dict[Path, "RepoView"]]()


def _roots(config: pytest.Config) -> list[Path]:
    paths = [Path(p) for p in config.getoption("conformance_paths") or []]
    return [*(p.resolve() for p in paths), *(p.resolve() for p in config.getini("conformance"))]


def pytest_configure(config: pytest.Config) -> None:
    roots = _roots(config)
    if not roots:
        return  # a project that does not use the plugin pays for no import
    from .contract import config_document, contract_path, missing_config
    from .model import UsageError

    contracts = config.getoption("conformance_contracts")
    sources: dict[Path, Path] = {}
    for root in dict.fromkeys(roots):
        try:
            document = config_document(root)
            if document is not None:
                source = root / document.path
            elif contracts:
                source = contract_path(contracts[0], Path.cwd())[0]
            else:
                raise UsageError(missing_config(root, "--conformance-contract"))
        except UsageError as error:
            raise pytest.UsageError(f"conformance: {error}") from None
        if source in sources:
            raise pytest.UsageError(
                f"conformance: {sources[source]} and {root} have no config of their own to "
                f"collect their rules from: check them one at a time"
            )
        sources[source] = root
    config.stash[_sources] = sources
    # Collected as pytest collects a path on its command line, unless the command line already
    # names that file (`conformance.yaml::rule-id`, as a failure's node id says).
    here = config.invocation_params.dir
    named = {(here / arg.split("::")[0]).resolve() for arg in config.args}
    config.args.extend(str(source) for source in sources if source not in named)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ContractFile | None:
    sources = parent.config.stash.get(_sources, {})
    if not sources or file_path.name not in {source.name for source in sources}:
        return None
    root = sources.get(file_path.resolve())
    if root is None:
        return None
    # A file outside the rootdir is named from it with `..`, as pytest names a test module there
    # (its own default would be an empty id).
    rootdir = parent.config.rootpath
    outside = None if file_path.is_relative_to(rootdir) else os.path.relpath(file_path, rootdir)
    nodeid = outside and Path(outside).as_posix()
    return ContractFile.from_parent(parent, path=file_path, root=root, nodeid=nodeid)


def shared_view(config: pytest.Config, root: Path) -> RepoView:
    """One cached repo view per repository and pytest process."""
    from .repo import RepoView

    views = config.stash.setdefault(_views, {})
    if root not in views:
        views[root] = RepoView(root)
    return views[root]


class ContractViolation(Exception):
    def __init__(self, lines: list[str]):
        super().__init__(counted(len(lines), "finding"))
        self.lines = lines


class ContractError(Exception):
    """The repository's config or a contract cannot be loaded: an error collecting its file."""


class InternalError(Exception):
    """conformance itself failed: a bug to report, not a finding. Raised collecting a config
    file or in an item's setup, so pytest counts an error (E), never a failed rule (F)."""

    def __init__(self, error: Exception):
        from .model import error_summary

        super().__init__(f"conformance: internal error, please report: {error_summary(error)}")


class ContractFile(pytest.File):
    def __init__(self, *, root: Path, **kwargs):
        super().__init__(**kwargs)
        self.root = root

    def collect(self) -> list[RuleItem]:
        from .baseline import read
        from .contract import baseline_settings, load_rules, load_waivers
        from .engine import open_repo
        from .model import UsageError
        from .rules import rule_patterns

        root = self.root
        contracts = self.config.getoption("conformance_contracts")
        try:
            open_repo(root)
            view = shared_view(self.config, root)
            rules = load_rules(root, contracts, repo=view)
            waivers = load_waivers(root)
            path, strict, _ = baseline_settings(root)
            baseline = Baseline(path, read(view, path), strict)
        except UsageError as error:
            raise ContractError(f"conformance: {error}") from None
        except Exception as error:
            raise InternalError(error) from error
        view.prefetch([p for rule in rules for p in rule_patterns(rule)])
        known = {rule.id for rule in rules}
        return [
            RuleItem.from_parent(
                self, name=rule.id, rule=rule, waivers=waivers, known=known, baseline=baseline
            )
            for rule in rules
        ]

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ContractError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class Baseline(NamedTuple):
    """The repository's baseline: its path, its entries (None without one), strict_baseline."""

    path: str
    entries: list | None
    strict: bool


class RuleItem(pytest.Item):
    def __init__(
        self, *, rule: Rule, waivers: list[Waiver], known: set[str], baseline: Baseline, **kwargs
    ):
        super().__init__(**kwargs)
        self.rule, self.waivers, self.known, self.baseline = rule, waivers, known, baseline

    def setup(self) -> None:
        from .engine import check_rule
        from .model import UsageError

        self.outcome = self.usage_error = None
        try:
            self.outcome = check_rule(self.rule, shared_view(self.config, self.parent.root))
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
        if self.baseline.entries is not None:
            report.apply_baseline(self.baseline.entries, self.baseline.path, self.known)
        lines = [f"{f.location()}: {f.rule} {f.message}" for f in report.findings]
        lines += [f"{w.source}:{w.line}: {expired_message(w)}" for w in report.expired]
        fixed = sum(entry.count for entry in report.fixed)
        if fixed and self.baseline.strict:
            lines.append(
                f"{self.baseline.path}: holds {counted(fixed, 'fixed finding')} of this rule, "
                "which strict_baseline does not allow: `conformance check --update-baseline`"
            )
        if lines:
            raise ContractViolation(list(map(printable, lines)))
        if report.known:
            # Passed: what is left of the debt is said, not hidden (`pytest -rP` shows it).
            note = f"{counted(len(report.known), 'known finding')} in {self.baseline.path}"
            note += f", {fixed} fixed" if fixed else ""
            self.user_properties.append(("baseline", note))
            self.add_report_section("call", "baseline", printable(note))
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
def conformance_repo(request: pytest.FixtureRequest) -> RepoView:
    """The cached repo view of the first `--conformance` target (else the rootdir). Named for
    the plugin: a test of the project asking for a `repo` fixture it lacks still errors."""
    roots = _roots(request.config)
    return shared_view(request.config, roots[0] if roots else request.config.rootpath)
