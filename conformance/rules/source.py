"""Code patterns that must be gone from named source files (comments do not count)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..lines import LineCounter
from ..model import FileProblem, Finding, Rule
from ..repo import RepoView
from .base import PATHS, REGEXES, STRINGS, RuleKind, included_files
from .text import compile_patterns

# Strings and template literals are matched so that comment markers inside them are kept;
# comments are blanked out, keeping their line breaks so line numbers stay true. A regex literal
# holding `/*` or `//`, or JSX text, fools it: see `strip_js_comments`.
_JS_LEXEME = re.compile(
    r"""//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`""",
    re.DOTALL,
)


def strip_js_comments(source: str, path: str) -> str:
    """`source` with its comments blanked (line breaks kept, so lines stay true). The lexer
    above reads most files right; a TypeScript or JavaScript file where it might not is parsed
    (tree-sitter tells a comment from a regex literal holding `/*` or `//`, or JSX text)."""
    if "//" not in source and "/*" not in source:
        return source
    from ..typescript import SOURCE_SUFFIXES

    if path.endswith((".tsx", ".jsx")) or (
        path.endswith(SOURCE_SUFFIXES) and _regex_literal_possible(source)
    ):
        return _strip_parsed_comments(source, path)
    return _JS_LEXEME.sub(_blank_comment, source)


def _blank_comment(match: re.Match[str]) -> str:
    text = match.group()
    return re.sub(r"[^\n]", " ", text) if text.startswith(("//", "/*")) else text


def _regex_literal_possible(source: str) -> bool:
    """Whether a lexeme could start inside a regex literal: one (single-line) starts with a `/`
    of the code, and the lexer then reads a `//`, `/*` or quote in it as a comment or a string.
    Parsing a file costs ~0.15 ms a KB; most have no `/` before a lexeme on its line."""
    code_from = 0
    for match in _JS_LEXEME.finditer(source):
        line_start = source.rfind("\n", 0, match.start()) + 1
        if "/" in source[max(code_from, line_start) : match.start()]:
            return True
        code_from = match.end()
    return False


def _strip_parsed_comments(source: str, path: str) -> str:
    from ..typescript import find, parse

    data = source.encode("utf-8")
    parts, done = [], 0
    # tree-sitter counts bytes: the text between comments is decoded whole.
    for comment in find(parse(source, path), "comment"):
        parts.append(data[done : comment.start_byte].decode("utf-8"))
        parts.append(re.sub(r"[^\n]", " ", data[comment.start_byte : comment.end_byte].decode()))
        done = comment.end_byte
    parts.append(data[done:].decode("utf-8"))
    return "".join(parts)


class SourceAbsent(RuleKind):
    """The named source files must not contain the code patterns (comments are ignored).

    Only the files the contract names are read: a test that asserts `new pg.Pool` is gone
    mentions it on purpose and is not a violation, and neither is a comment recalling the old
    client. TypeScript/JavaScript files are parsed to blank their comments (a regex literal
    holding `/*` or a string holding `//` is code); strings still count as code.
    """

    name = "source-absent"
    properties = {"files": PATHS, "exclude": PATHS, "phrases": STRINGS, "regex": REGEXES}
    required = ("files",)
    option_help = {
        "files": "Source files to read (globs).",
        "exclude": "Files to leave out (globs).",
        "phrases": "Code that must be gone; comments do not count.",
        "regex": "Regexes of code that must be gone.",
    }
    example = """\
id: no-pg-pool
kind: source-absent
files: "packages/*/src/**/*.ts"
exclude: ["**/*.test.ts"]
phrases: [new pg.Pool]
message: "the Postgres pool is still built: {item}"
why: Convex replaced the connection pool.
"""
    hint = "Rewrite the code so it no longer uses the old API."

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        patterns = [
            (item, regex, None if item.startswith("/") else item.split()[0])
            for item, regex in compile_patterns(rule)
        ]
        yield from search_code(self, rule, repo, patterns)


def search_code(
    kind: RuleKind,
    rule: Rule,
    repo: RepoView,
    patterns: list[tuple[str, re.Pattern[str], str | None]],
) -> Iterator[Finding]:
    """Findings for every pattern match in the rule's files, comments blanked out. A pattern
    with a needle (a literal its matches contain) skips the files without it: most files of a
    package never name the old stack, and scanning each of them with each regex is what costs."""
    for path in included_files(rule, repo):
        try:
            present = [
                (i, r)
                for i, r, needle in patterns
                if needle is None or repo.mentions(path, (needle,))
            ]
            # Blanking comments only takes matches away: a file the raw text does not match
            # is not lexed.
            text = repo.text(path)
            present = [(i, r) for i, r in present if r.search(text)]
            if not present:
                continue
            code = strip_js_comments(text, path)
        except FileProblem as problem:
            yield kind.problem(rule, problem)
            continue
        for item, regex in present:
            line_of = LineCounter(code)
            for match in regex.finditer(code):
                line = line_of(match.start())
                yield kind.finding(rule, path, line, f"`{item}`")
