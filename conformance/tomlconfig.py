"""The `[tool.conformance]` table of a pyproject.toml: the same document as conformance.yaml.

tomllib gives values, not where they were written, so the line of every key path is found here
by a scan of the (already parsed, hence valid) text. tomllib costs ~5 ms to import: a
pyproject.toml that never names `conformance` as a key is not parsed at all, and a table whose
text is unchanged since the last run is read back from the user's cache.
"""

from __future__ import annotations

import re

from .yamlcache import CompiledDocument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TABLE = ("tool", "conformance")
# A key `conformance` (bare or quoted) anywhere: a header, a dotted key, an inline table. A
# project that only depends on the package (`"repo-conformance>=1"`) does not match.
_MAY_HAVE_TABLE = re.compile(r"""(?:^|[\[.{,\s])["']?conformance["']?\s*[\].=]""", re.MULTILINE)


class TomlDocument(CompiledDocument):
    """The table's data and the line of each key path in it; a path with no line of its own
    (nothing of it written) is named by the table's first line."""

    __slots__ = ()

    def line_of(self, *keys: str | int) -> int | None:
        return super().line_of(*keys) or self.lines.get(())


def conformance_table(source: str, shown: str, text: str) -> TomlDocument | None:
    """The `[tool.conformance]` table of pyproject.toml's `text` (read from the file
    `source`), None without one. Raises
    ValueError (tomllib's TOMLDecodeError) when the text is not TOML. Kept in the user's cache
    as YAML configs are (tomllib and the scan cost ~6 ms a run)."""
    if not _MAY_HAVE_TABLE.search(text):
        return None
    from .yamlcache import compiled

    try:
        return compiled("contracts", f"pyproject-{source}", shown, text, _parsed, TomlDocument)
    except _NoTable:
        return None


class _NoTable(Exception):
    """A pyproject.toml that names `conformance` as some other key (a pytest ini option)."""


def _parsed(shown: str, text: str) -> TomlDocument:
    import tomllib

    data: Any = tomllib.loads(text)
    for key in TABLE:
        data = data.get(key) if isinstance(data, dict) else None
    if data is None:
        raise _NoTable
    every = key_lines(text).items()
    lines = {keys[len(TABLE) :]: line for keys, line in every if keys[:2] == TABLE}
    return TomlDocument(shown, _plain(data), lines)


def _plain(value: Any) -> Any:
    """TOML's dates as the ISO text YAML configs give (the schema checks `expires` as text)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """The line of every key path of a valid TOML text: table headers (an array of tables'
    entries by index), keys, array items and inline tables' keys."""
    return _Scanner(text).scan()


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BASIC_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_LITERAL_STRING = re.compile(r"'[^'\n]*'")
_SCALAR = re.compile(r"[^,\]}\n#]*")


class _Scanner:
    def __init__(self, text: str):
        self.text, self.at, self.line = text, 0, 1
        self.lines: dict[tuple[str | int, ...], int] = {}
        self.entries: dict[tuple[str, ...], int] = {}  # array of tables -> entries so far

    def scan(self) -> dict[tuple[str | int, ...], int]:
        table: tuple[str | int, ...] = ()
        while self._skip(newlines=True) < len(self.text):
            if self.text[self.at] == "[":
                table = self._header()
            else:
                self._pair(table)
        return self.lines

    def _header(self) -> tuple[str | int, ...]:
        line = self.line
        many = self.text.startswith("[[", self.at)
        self.at += 2 if many else 1
        keys = self._key()
        self.at += 2 if many else 1
        if many:
            self.entries[keys] = self.entries.get(keys, 0) + 1
        path: list[str | int] = []
        for index in range(len(keys)):
            path.append(keys[index])
            entries = self.entries.get(keys[: index + 1])
            if entries:
                path.append(entries - 1)
        for end in range(1, len(path) + 1):
            self.lines.setdefault(tuple(path[:end]), line)
        return tuple(path)

    def _pair(self, table: tuple[str | int, ...]) -> None:
        path = (*table, *self._key())
        for end in range(len(table) + 1, len(path) + 1):
            self.lines.setdefault(path[:end], self.line)
        self._skip()
        self.at += 1  # "="
        self._value(path)

    def _key(self) -> tuple[str, ...]:
        keys = []
        while True:
            self._skip()
            text, at = self.text, self.at
            for pattern in (_BASIC_STRING, _LITERAL_STRING, _BARE_KEY):
                match = pattern.match(text, at)
                if match:
                    break
            assert match, "tomllib parsed this text"
            raw = match.group()
            keys.append(raw[1:-1] if pattern is _LITERAL_STRING else _unquoted(raw))
            self.at = match.end()
            self._skip()
            if not text.startswith(".", self.at):
                return tuple(keys)
            self.at += 1

    def _value(self, path: tuple[str | int, ...]) -> None:
        self._skip()
        text = self.text
        if text.startswith(('"""', "'''"), self.at):
            quote = text[self.at : self.at + 3]
            end = self.at + 3
            while True:
                end = text.index(quote, end)
                if quote == '"""' and _escaped(text, end):
                    end += 1
                    continue
                break
            end += 3
            while text.startswith(quote[0], end):  # up to two quotes end the content
                end += 1
            self._move(end)
        elif text[self.at] in "\"'":
            pattern = _BASIC_STRING if text[self.at] == '"' else _LITERAL_STRING
            self._move(pattern.match(text, self.at).end())
        elif text[self.at] == "[":
            self.at += 1
            index = 0
            while self._skip(newlines=True) < len(text) and text[self.at] != "]":
                self.lines.setdefault((*path, index), self.line)
                self._value((*path, index))
                self._skip(newlines=True)
                if text[self.at] == ",":
                    self.at += 1
                index += 1
            self.at += 1
        elif text[self.at] == "{":
            self.at += 1
            while self._skip() < len(text) and text[self.at] != "}":
                self._pair(path)
                self._skip()
                if text[self.at] == ",":
                    self.at += 1
            self.at += 1
        else:
            self.at = _SCALAR.match(text, self.at).end()

    def _skip(self, newlines: bool = False) -> int:
        """Past blanks and comments (and line ends, when `newlines`); returns the position."""
        text = self.text
        while self.at < len(text):
            char = text[self.at]
            if char in " \t\r":
                self.at += 1
            elif char == "#":
                end = text.find("\n", self.at)
                self.at = len(text) if end < 0 else end
            elif char == "\n" and newlines:
                self.at += 1
                self.line += 1
            else:
                break
        return self.at

    def _move(self, end: int) -> None:
        self.line += self.text.count("\n", self.at, end)
        self.at = end


def _escaped(text: str, at: int) -> bool:
    """Whether the quote at `at` follows an odd number of backslashes."""
    count = 0
    while at - count - 1 >= 0 and text[at - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _unquoted(raw: str) -> str:
    if not raw.startswith('"'):
        return raw
    import json  # TOML's basic-string escapes are JSON's (bar \e and \x, rare in keys)

    try:
        return json.loads(raw)
    except ValueError:
        return raw[1:-1]
