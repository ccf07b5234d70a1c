"""Repository globs: `*` stays inside one path segment, `**` spans segments, `{a,b}` alternates.
A name glob (script names, rule ids) has no segments: `*` spans `/` (`gen/*` matches `gen/all`).
Any character a file name may hold matches, newlines included."""

from __future__ import annotations

import re
from functools import lru_cache

GLOB_CHARS = frozenset("*?[{")


def has_magic(pattern: str) -> bool:
    return any(char in GLOB_CHARS for char in pattern)


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
    or names when `names`."""
    if not names:
        pattern = pattern.strip("/")
    # Outside a path's segments `*` matches `/` too.
    star, one = (".*", ".") if names else ("[^/]*", "[^/]")
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if not names and pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append(star)
            i += 1
        elif char == "?":
            out.append(one)
            i += 1
        elif char == "[":
            end = pattern.find("]", i + 1)
            members = _class(pattern[i + 1 : end]) if end != -1 else None
            if members is None:  # no class: a literal `[` (as fnmatch has it)
                out.append(re.escape(char))
                i += 1
            else:
                out.append(members)
                i = end + 1
        elif char == "{":
            end = pattern.find("}", i + 1)
            if end == -1:
                out.append(re.escape(char))
                i += 1
            else:
                options = pattern[i + 1 : end].split(",")
                out.append("(?:" + "|".join(re.escape(option) for option in options) + ")")
                i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def _class(body: str) -> str | None:
    """The regex of a `[...]` class body (`!` or `^` negates it, `a-z` are ranges, anything else
    is itself), or None when it is no class: empty, or a range running backwards."""
    negated = body[:1] in ("!", "^")
    body = body[1:] if negated else body
    members: list[str] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            if body[i] > body[i + 2]:
                return None
            members.append(f"{re.escape(body[i])}-{re.escape(body[i + 2])}")
            i += 3
        else:
            members.append(re.escape(body[i]))
            i += 1
    if not members:
        return None
    return "[" + ("^/" if negated else "") + "".join(members) + "]"


def glob_problem(pattern: str) -> str | None:
    """Why a glob written in a contract or on the command line is not what its author meant, or
    None: a `[...]` that is empty or holds a backwards range would be read as a literal `[`."""
    # `[` stops a class too: a run of `[` without `]` is then read once, not once per `[`.
    for match in re.finditer(r"\[([^\][]*)\]", pattern):
        if _class(match.group(1)) is None:
            return (
                f"`{match.group()}` is not a character class (empty, or a range running backwards)"
            )
    return None


def matches(pattern: str, path: str) -> bool:
    return compile_glob(pattern).match(path) is not None


def matches_name(pattern: str, name: str) -> bool:
    """Whether a name that is no path (a package.json script) matches a glob."""
    return compile_glob(pattern, names=True).match(name) is not None


def matches_any(patterns: list[str], path: str) -> bool:
    return any(matches(pattern, path) for pattern in patterns)
