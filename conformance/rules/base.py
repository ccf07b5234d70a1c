"""What every rule kind is: a check, its message, why it matters and how it is fixed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ..model import FileProblem, Finding, Rule
from ..repo import RepoView

TYPE_CHECKING = False  # `typing` costs ~5 ms of start-up; annotations are not evaluated
if TYPE_CHECKING:
    from typing import Any, ClassVar

STRINGS = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
STRING = {"type": "string"}
BOOLEAN = {"type": "boolean"}


def as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


class _Facts(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class RuleKind:
    """Subclasses set the class attributes; the docstring is what `conformance explain` shows."""

    name: ClassVar[str]
    # JSON Schema of the kind's own options; `id`, `kind`, `message` and `why` are common to all.
    properties: ClassVar[dict[str, Any]] = {}
    required: ClassVar[tuple[str, ...]] = ()
    # How a person fixes a finding by hand.
    hint: ClassVar[str] = ""

    def patterns(self, rule: Rule) -> list[str]:
        """The globs this rule reads, so the repo view can list them in one pass."""
        return as_list(rule.options.get("files"))

    def check(self, rule: Rule, repo: RepoView) -> Iterable[Finding]:
        raise NotImplementedError

    @staticmethod
    def finding(rule: Rule, path: str, line: int | None, item: str, **facts: Any) -> Finding:
        """A finding whose message is the rule's message with `{item}` (and facts) filled in."""
        template = rule.message if "{" in rule.message else rule.message + ": {item}"
        message = template.format_map(_Facts(item=item, path=path, **facts))
        return Finding(path, line, rule.id, message)

    @staticmethod
    def problem(rule: Rule, problem: FileProblem) -> Finding:
        return Finding(problem.path, problem.line, rule.id, f"cannot check: {problem.message}")

    @classmethod
    def each_file(
        cls,
        rule: Rule,
        repo: RepoView,
        check_file: Callable[[str], Iterable[Finding]],
        *,
        required: bool,
    ) -> Iterator[Finding]:
        """Run `check_file` on every file the rule names; a missing required file is a finding."""
        for pattern in as_list(rule.options["files"]):
            paths = repo.glob(pattern, files_only=True)
            if not paths and required:
                yield cls.finding(rule, pattern, None, f"{pattern} is missing")
            for path in paths:
                try:
                    yield from list(check_file(path))
                except FileProblem as problem:
                    yield cls.problem(rule, problem)
