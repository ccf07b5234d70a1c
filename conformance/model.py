"""The small value types every part of the engine shares.

Plain named tuples: `dataclasses` (through `inspect`) and `typing` cost ~13 ms of start-up, and
the check path is measured against a 100 ms budget.
"""

from __future__ import annotations

import re
from collections import namedtuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# `${name}` in a contract: a parameter reference.
PARAMETER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# A Postgres identifier written unquoted that means itself: lower case (unquoted names are
# folded to it), at most 63 bytes (longer ones are truncated).
SQL_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# A JavaScript/TypeScript identifier a template writes into code (ASCII: the ones it derives).
TS_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def did_you_mean(word: str, choices: list[str], known: str | None = "known") -> str:
    """` (did you mean `x`?)` for the closest of `choices`; without one, ` (known: …)` listing
    them all (`known` names the list; None: say nothing)."""
    import difflib

    close = difflib.get_close_matches(word, choices, n=1)
    if close:
        return f" (did you mean `{close[0]}`?)"
    return f" ({known}: {', '.join(choices)})" if known else ""


def counted(count: int, word: str, words: str | None = None) -> str:
    """`1 finding`, `2 findings` (`words` when the plural is not `word` + s)."""
    return f"{count} {word if count == 1 else words or word + 's'}"


def error_summary(error: BaseException) -> str:
    """`Type: message` on one line, at most 300 characters: how an internal error is named."""
    return " ".join(f"{type(error).__name__}: {error}".split())[:300]


class Finding(namedtuple("Finding", "path line rule message fixable", defaults=(False,))):
    """One violation: the exact file (`path`, `line`) and item a rule objects to."""

    __slots__ = ()

    def sort_key(self) -> tuple:
        return (self.path, self.line or 0, self.rule, self.message)

    def location(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"

    def as_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in ("rule", "path", "line", "message", "fixable")}


class FileProblem(Exception):
    """A target file cannot be read or parsed; it becomes a finding on that file."""

    def __init__(self, path: str, message: str, line: int | None = None, missing: bool = False):
        super().__init__(message)
        self.path = path
        self.line = line
        self.message = message
        self.missing = missing  # the file does not exist (as opposed to being unreadable)


class NothingToCheck(Exception):
    """A rule kind found no subject to check (no router directory, no schema…): the rule is
    `unchecked`, with this reason."""


class Inspection:
    """What one rule looked at while it was checked: the paths it listed or read, what its
    kind says about them (`12 public functions: 9 authenticated, 3 on purpose`), and the
    folders its globs reach that could not be listed (each a finding: what is in them is not
    known to pass)."""

    __slots__ = ("note", "problems", "seen")

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.note: str | None = None
        self.problems: dict[str, FileProblem] = {}


class UsageError(Exception):
    """Bad command line, bad contract, missing path: one line, exit code 2."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


Rule = namedtuple(
    "Rule",
    "id kind message why contract options source line base_dir when variants unchecked "
    "optional notes",
    defaults=("", None, ".", None, None, None, False, ()),
)
Rule.__doc__ = """A rule as loaded from a contract, parameters already substituted: `options` holds
its kind's fields; `source`/`line` locate it; `base_dir` is its contract's directory; `when` the
parameter values it applies under (None: always). `variants` holds the options once per subject
discovery found (two Convex projects: two), `unchecked` why there is nothing to check at all,
`optional` whether an unchecked rule may pass the run, `notes` what discovery could not find."""


def instances(rule: Rule) -> list[Rule]:
    """The rule once per subject it checks (itself, when it was not bound per subject)."""
    if rule.variants is None:
        return [rule]
    return [rule._replace(options=options) for options in rule.variants]
