"""Phrases or patterns that must appear in, or be gone from, text files such as active docs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import FileProblem, Finding, Rule
from ..repo import RepoView
from .base import (
    BOOLEAN,
    PATHS,
    REGEX,
    REGEXES,
    STRING,
    STRINGS,
    RuleKind,
    as_list,
    included_files,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..workspace import Workspace


def phrase_regex(phrase: str) -> str:
    """A literal phrase whose whitespace may be any run of spaces or line breaks (wrapped prose)."""
    return r"\s+".join(re.escape(word) for word in phrase.split())


def compile_patterns(rule: Rule) -> list[tuple[str, re.Pattern[str]]]:
    """(shown item, regex) for every `phrases` and `regex` entry of a rule."""
    flags = re.IGNORECASE if rule.options.get("ignore_case") else 0
    compiled = [
        (p, re.compile(phrase_regex(p), flags)) for p in as_list(rule.options.get("phrases"))
    ]
    compiled += [(f"/{r}/", re.compile(r, flags)) for r in as_list(rule.options.get("regex"))]
    return compiled


TEXT_PROPERTIES = {
    "files": PATHS,
    "exclude": PATHS,
    "phrases": STRINGS,
    "regex": REGEXES,
    "ignore_case": BOOLEAN,
}


class TextAbsent(RuleKind):
    """No listed file (globs allowed, minus `exclude`) may contain the phrases or patterns.

    Active documentation that still describes the old stack steers new work the wrong way.
    Historical records are evidence of what was true then and are excluded, never rewritten;
    a line matching `unless` (say, one calling itself historical) is left alone too. A phrase
    matches across line breaks, so wrapped prose is caught; a line is reported once, for the
    first phrase or pattern it matches.
    """

    name = "text-absent"
    properties = {**TEXT_PROPERTIES, "unless": REGEX}
    required = ("files",)
    option_help = {
        "files": "Files to read (globs).",
        "exclude": "Files to leave out (globs).",
        "phrases": "Phrases no file may contain (any run of whitespace matches a space).",
        "regex": "Regexes no file may match.",
        "ignore_case": "Whether phrases and regexes match without regard to case.",
        "unless": "Regex: a line matching it is left alone.",
        "fix.replacements": "Mapping of each phrase to the text the fix writes in its place.",
        "fix.pattern_replacement": "Text the fix writes in place of each regex match.",
    }
    option_defaults = {"ignore_case": False}
    example = """\
id: docs-no-postgres
kind: text-absent
files: "docs/**/*.md"
exclude: ["docs/adr/**"]
phrases: [Postgres, Drizzle]
unless: "(?i)historical"
message: "still describes the old stack: {item}"
why: Active documentation steers new work.
fix:
  replacements:
    Postgres: Convex
"""
    hint = "Reword the passage, or mark it as historical and move it under an excluded path."
    # Phrase → replacement, applied only to the rule's files (never to excluded ones);
    # `pattern_replacement` replaces what a `regex` matched, except inside markdown links.
    fix_properties = {
        "replacements": {"type": "object", "additionalProperties": STRING},
        "pattern_replacement": STRING,
    }

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        patterns = compile_patterns(rule)
        unless = re.compile(rule.options["unless"]) if rule.options.get("unless") else None
        for path in included_files(rule, repo):
            try:
                hits = [(repo.lines_matching(path, regex), item) for item, regex in patterns]
                historical = _unless_lines(repo.text(path), unless)
            except FileProblem as problem:
                yield self.problem(rule, problem)
                continue
            reported: set[int] = set()
            for lines, item in hits:
                for line, matched in lines:
                    if line in reported or historical(line):
                        continue
                    reported.add(line)
                    # A regex hit is shown as the text it matched, a phrase as the phrase.
                    shown = matched.strip() if item.startswith("/") else item
                    yield self.finding(rule, path, line, shown)

    def fix(self, rule: Rule, work: Workspace) -> None:
        flags = re.IGNORECASE if rule.options.get("ignore_case") else 0
        replacements = rule.options["fix"].get("replacements", {})
        by_pattern = rule.options["fix"].get("pattern_replacement")
        unless = re.compile(rule.options["unless"]) if rule.options.get("unless") else None
        for path in included_files(rule, work.repo):
            text = original = work.read(path)
            for phrase, replacement in replacements.items():
                # A plain replacement: backslashes in it are not regex group references.
                regex = re.compile(phrase_regex(phrase), flags)
                text = regex.sub(replacement.replace("\\", r"\\"), text)
            kept: list[str] = []
            if by_pattern is not None:
                for pattern in as_list(rule.options.get("regex")):
                    text = _replace_outside_links(
                        re.compile(pattern, flags), text, by_pattern, unless, kept
                    )
            if text != original:
                work.edit(path, text, rule)
            if kept:
                work.skip(path, rule, "reword by hand (a markdown link): " + "; ".join(kept))


def _replace_outside_links(
    regex: re.Pattern[str], text: str, replacement: str, unless, kept: list[str]
) -> str:
    """Replace each match, except on a line `unless` matches, and except a match spanning a
    markdown link (`[PostgreSQL](…) with [Drizzle`), whose rewrite would break the link."""

    from ..lines import LineCounter

    line_of = LineCounter(text)
    historical = _unless_lines(text, unless)

    def substitute(match: re.Match[str]) -> str:
        # Each match's line from one pass: a search back to the line start for every match is
        # quadratic on a long line.
        number = line_of(match.start())
        if historical(number):
            return match.group()
        if "[" in match.group() or "](" in match.group():
            kept.append(f"line {number}: {match.group()}")
            return match.group()
        return replacement

    return regex.sub(substitute, text)


def _unless_lines(text: str, unless: re.Pattern[str] | None):
    """`historical(line)`: whether `unless` matches that line, searched once per line (a long
    line with many matches is not searched again for each)."""
    lines = text.split("\n") if unless is not None else []
    found: dict[int, bool] = {}

    def historical(number: int) -> bool:
        if unless is None:
            return False
        if number not in found:
            found[number] = unless.search(lines[number - 1]) is not None
        return found[number]

    return historical


class TextPresent(RuleKind):
    """Every listed file must contain each phrase or pattern."""

    name = "text-present"
    properties = TEXT_PROPERTIES
    required = ("files",)
    option_help = {
        "files": "Files to read (globs).",
        "exclude": "Files to leave out (globs).",
        "phrases": "Phrases each file must contain (any run of whitespace matches a space).",
        "regex": "Regexes each file must match.",
        "ignore_case": "Whether phrases and regexes match without regard to case.",
    }
    option_defaults = {"ignore_case": False}
    example = """\
id: readme-names-convex
kind: text-present
files: README.md
phrases: [Convex]
message: "{item}"
why: The README tells a newcomer what the data layer is.
"""
    hint = "Add the expected text."

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        patterns = compile_patterns(rule)
        paths = included_files(rule, repo)
        if not paths:
            for pattern in as_list(rule.options["files"]):
                if self.creates(rule, pattern):
                    yield self.finding(rule, pattern, None, f"{pattern} is missing")
        for path in paths:
            try:
                text = repo.text(path)
            except FileProblem as problem:
                yield self.problem(rule, problem)
                continue
            for item, regex in patterns:
                if not regex.search(text):
                    yield self.finding(rule, path, None, f"{item} not found")
