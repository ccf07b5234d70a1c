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
            if end == -1:
                out.append(re.escape(char))
                i += 1
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
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


def matches(pattern: str, path: str) -> bool:
    return compile_glob(pattern).match(path) is not None


def matches_name(pattern: str, name: str) -> bool:
    """Whether a name that is no path (a package.json script) matches a glob."""
    return compile_glob(pattern, names=True).match(name) is not None


def matches_any(patterns: list[str], path: str) -> bool:
    return any(matches(pattern, path) for pattern in patterns)
