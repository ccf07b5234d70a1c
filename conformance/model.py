"""The small value types every part of the engine shares.

NamedTuples rather than dataclasses: `dataclasses` pulls in `inspect`, ~8 ms of start-up.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Finding(NamedTuple):
    """One violation: the exact file, line and item a rule objects to."""

    path: str
    line: int | None
    rule: str
    message: str
    fixable: bool = False

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


class Rule(NamedTuple):
    """A rule as loaded from a contract, parameters already substituted."""

    id: str
    kind: str
    message: str
    why: str
    contract: str
    options: dict[str, Any]
    source: str = ""
    line: int | None = None
    base_dir: str = "."
