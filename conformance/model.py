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


def did_you_mean(word: str, choices: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean `{close[0]}`?)" if close else f" (known: {', '.join(choices)})"


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

    def __init__(self, path: str, message: str, line: int | None = None):
        super().__init__(message)
        self.path = path
        self.line = line
        self.message = message


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
    "id kind message why contract options source line base_dir when",
    defaults=("", None, ".", None),
)
Rule.__doc__ = """A rule as loaded from a contract, parameters already substituted: `options` holds
its kind's fields; `source`/`line` locate it; `base_dir` is its contract's directory; `when` the
parameter values it applies under (None: always)."""
