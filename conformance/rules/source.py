"""Code patterns that must be gone from named source files (comments do not count)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..lines import LineCounter
from ..model import FileProblem, Finding, Rule
from ..repo import RepoView
from .base import PATHS, REGEXES, STRINGS, RuleKind, included_files
from .text import compile_patterns

# Outside JavaScript/TypeScript (Vue, Svelte, Astro files): strings and template literals are
# matched so that comment markers inside them are kept; comments are blanked out, keeping their
# line breaks so line numbers stay true. A regex literal holding `/*` fools it, hence the parser.
_JS_LEXEME = re.compile(
    r"""//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`""",
    re.DOTALL,
)


def strip_js_comments(source: str, path: str) -> str:
    """`source` with its comments blanked (line breaks kept, so lines stay true). A TypeScript
    or JavaScript file is parsed (tree-sitter tells a comment from a regex literal holding `/*`
    or a string holding `//`); a file without `//` or `/*` holds no comment and is not."""
    if "//" not in source and "/*" not in source:
        return source
    from ..typescript import SOURCE_SUFFIXES

    if path.endswith(SOURCE_SUFFIXES):
        return _strip_parsed_comments(source, path)

    def blank(match: re.Match[str]) -> str:
        text = match.group()
        if text.startswith(("//", "/*")):
            return re.sub(r"[^\n]", " ", text)
        return text

    return _JS_LEXEME.sub(blank, source)


def _strip_parsed_comments(source: str, path: str) -> str:
    from ..typescript import find, parse

    tree = parse(source, path)
    # tree-sitter counts bytes: blanking them (line breaks kept) keeps every line where it was.
    code = bytearray(source.encode("utf-8"))
    for comment in find(tree, "comment"):
        start, end = comment.start_byte, comment.end_byte
        code[start:end] = re.sub(rb"[^\n]", b" ", bytes(code[start:end]))
    return code.decode("utf-8")


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
