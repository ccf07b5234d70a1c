"""Repository globs: `*` stays inside one path segment, `**` spans segments, `{a,{b,c}}`
alternates, `[a-z]` and `[!a-z]` are classes, `\\*` is a literal star.
A name glob (script names, rule ids) has no segments: `*` spans `/` (`gen/*` matches `gen/all`).
Any character a file name may hold matches, newlines included."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

_MAGIC = re.compile(r"[*?\[{\\]")
# A run of characters that mean themselves (what `_sequence` escapes in one go).
_PLAIN = re.compile(r"[^*?\[{\\]+")


def has_magic(pattern: str) -> bool:
    return _MAGIC.search(pattern) is not None


def literal_prefix(pattern: str) -> str:
    """The leading directory segments of a glob that contain no glob characters."""
    segments = pattern.strip("/").split("/")
    literal: list[str] = []
    for segment in segments:
        if has_magic(segment):
            break
        literal.append(segment)
    return "/".join(literal)


@lru_cache(maxsize=512)
def compile_glob(pattern: str, names: bool = False) -> re.Pattern[str]:
    """Translate a glob into a regex matching repo-relative POSIX paths (files or directories),
    or names when `names`. A pattern `glob_problem` rejects still compiles (a glob from the
    repository, pnpm's workspace list, must not stop the check): its broken class is a literal."""
    if not names:
        pattern = pattern.strip("/")
    return re.compile(_Translation(pattern, names).regex + r"\Z", re.DOTALL)


def glob_problem(pattern: str) -> str | None:
    """Why a glob written in a contract or on the command line is not what its author meant, or
    None: a `[...]` that is empty or holds a backwards range would be read as a literal `[`."""
    problems = _Translation(pattern, False).problems
    return problems[0] if problems else None


# Hand-written rather than wcmatch: `import wcmatch.glob` costs 13.1 ms against 4.5 ms for this
# module (`python -X importtime`, wcmatch 12.0.1), on a check whose whole start-up is ~40 ms;
# the regex it makes matches as fast. tests/test_globs.py holds wcmatch's answers (GLOBSTAR,
# BRACE) for the patterns it checks.
# Each level of braces is read by a call of its own: a pattern nesting them hundreds deep would
# exhaust Python's stack.
MAX_BRACE_DEPTH = 32


class _Translation:
    """A glob read once, left to right: `{a,{b,c}}` alternatives are globs themselves (nested
    braces, a `*` in an alternative), `[...]` classes (`!`/`^` negates, `a-z` ranges, `\\]` for a
    `]`), `\\x` is a literal x. A `{` without a `,` at its level or without its
    `}` is a literal, as in bash."""

    def __init__(self, pattern: str, names: bool):
        self.pattern, self.names = pattern, names
        self.problems: list[str] = []
        self.depth = 0  # of the braces being read
        self.regex = self._sequence(0, len(pattern))

    def _sequence(self, start: int, end: int) -> str:
        pattern, names = self.pattern, self.names
        # Outside a path's segments `*` matches `/` too.
        star, one = (".*", ".") if names else ("[^/]*", "[^/]")
        out: list[str] = []
        i = start
        while i < end:
            char = pattern[i]
            if not names and pattern.startswith("**/", i) and i + 3 <= end:
                out.append("(?:.*/)?")
                i += 3
            elif pattern.startswith("**", i) and i + 2 <= end:
                out.append(".*")
                i += 2
            elif char == "*":
                out.append(star)
                i += 1
            elif char == "?":
                out.append(one)
                i += 1
            elif char == "\\" and i + 1 < end:
                out.append(re.escape(pattern[i + 1]))
                i += 2
            elif char == "[":
                regex, i = self._class(i, end)
                out.append(regex)
            elif char == "{":
                regex, i = self._braces(i, end)
                out.append(regex)
            else:
                plain = _PLAIN.match(pattern, i, end)
                stop = plain.end() if plain else i + 1  # a `\\` that ends the pattern
                out.append(re.escape(pattern[i:stop]))
                i = stop
        return "".join(out)

    def _braces(self, start: int, end: int) -> tuple[str, int]:
        """The regex of the `{...}` at `start` and where it ends; a literal `{` when it has no
        `}` or no `,` at its own level."""
        commas, depth, i = [], 0, start + 1
        while i < end:
            char = self.pattern[i]
            if char == "\\":
                i += 1
            elif char == "[":
                i = self._class_end(i, end) or i
            elif char == "{":
                depth += 1
            elif char == "}":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                commas.append(i)
            i += 1
        if i >= end or not commas:
            return re.escape("{"), start + 1
        if self.depth == MAX_BRACE_DEPTH:
            self.problems.append(f"braces nested more than {MAX_BRACE_DEPTH} deep")
            return re.escape("{"), start + 1
        self.depth += 1
        bounds = [start, *commas, i]
        options = [self._sequence(a + 1, b) for a, b in pairwise(bounds)]
        self.depth -= 1
        return "(?:" + "|".join(options) + ")", i + 1

    def _class_end(self, start: int, end: int) -> int | None:
        """Where the `[...]` at `start` closes (its `]`), or None when it does not."""
        i = start + 1
        while i < end and self.pattern[i] != "]":
            i += 2 if self.pattern[i] == "\\" else 1
        return i if i < end else None

    def _class(self, start: int, end: int) -> tuple[str, int]:
        """The regex of the `[...]` at `start` and where it ends; a literal `[` when it closes
        nowhere, is empty or holds a backwards range (a problem for `glob_problem`)."""
        close = self._class_end(start, end)
        if close is None:
            return re.escape("["), start + 1
        body = self.pattern[start + 1 : close]
        negated = body[:1] in ("!", "^")
        # (character, written escaped): `[a\-z]` is three members, not a range.
        members = [
            (match.group()[-1], len(match.group()) == 2)
            for match in re.finditer(r"\\.|.", body[1:] if negated else body, re.DOTALL)
        ]
        parts: list[str] = []
        i = 0
        while i < len(members):
            if i + 2 < len(members) and members[i + 1] == ("-", False):
                low, high = members[i][0], members[i + 2][0]
                if low > high:
                    return self._not_a_class(start, close)
                parts.append(f"{re.escape(low)}-{re.escape(high)}")
                i += 3
            else:
                parts.append(re.escape(members[i][0]))
                i += 1
        if not parts:
            return self._not_a_class(start, close)
        # A class never matches the `/` between a path's segments.
        guard = "" if self.names else "(?!/)"
        return guard + "[" + ("^" if negated else "") + "".join(parts) + "]", close + 1

    def _not_a_class(self, start: int, close: int) -> tuple[str, int]:
        shown = self.pattern[start : close + 1]
        self.problems.append(
            f"`{shown}` is not a character class (empty, or a range running backwards)"
        )
        return re.escape("["), start + 1


def matches(pattern: str, path: str) -> bool:
    return compile_glob(pattern).match(path) is not None


def matches_name(pattern: str, name: str) -> bool:
    """Whether a name that is no path (a package.json script) matches a glob."""
    return compile_glob(pattern, names=True).match(name) is not None


def matches_any(patterns: list[str], path: str) -> bool:
    return any(matches(pattern, path) for pattern in patterns)
