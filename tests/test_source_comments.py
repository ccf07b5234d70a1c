"""Comments in TypeScript/JavaScript are told apart by the parser: a regex literal holding `/*`,
a string or a template literal holding `//` are code, and the code after them is still read."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.engine import run
from conformance.model import Rule
from conformance.repo import RepoView
from conformance.rules.source import (
    _JS_LEXEME,
    _blank_comment,
    _regex_literal_possible,
    _strip_parsed_comments,
    strip_js_comments,
)

# A regex literal holding `/*` (trailing slashes trimmed), the way URL helpers write it.
SOURCE = """\
const base = url.replace(/\\/*$/, "");
const link = `${base}//api`; // new pg.Pool() was here
const note = "see http://example.com/*not a comment*/";
/* new pg.Pool() in a block
   comment */
export const pool = new pg.Pool({ connectionString: link });
"""


def _check(root: Path, kind: str, **options) -> list[tuple]:
    rule = Rule(id="r", kind=kind, message="{item}", why="w", contract="t", options=options)
    return [(f.path, f.line, f.message) for f in run([rule], RepoView(root)).findings]


@pytest.mark.parametrize("name", ["src/db.ts", "src/db.tsx", "src/db.js", "src/db.mjs"])
def test_code_after_a_regex_literal_holding_a_comment_opener_is_read(tree, name):
    # A lexer reading the `/*` as a comment's start hides the code up to the next `*/`.
    source = (
        'const base = url.replace(/\\/*$/, "");\n'
        "export const pool = new pg.Pool();\n"
        "/** The pool's size. */\n"
        "export const size = 10;\n"
    )
    root = tree({name: source, "src/all.ts": SOURCE})
    assert _check(root, "source-absent", files="src/*", phrases=["new pg.Pool"]) == [
        ("src/all.ts", 6, "`new pg.Pool`"),
        (name, 2, "`new pg.Pool`"),
    ]


def test_strings_and_template_literals_keep_their_slashes():
    stripped = strip_js_comments(SOURCE, "db.ts")
    assert stripped.splitlines() == [
        'const base = url.replace(/\\/*$/, "");',
        "const link = `${base}//api`;" + " " * len(" // new pg.Pool() was here"),
        'const note = "see http://example.com/*not a comment*/";',
        " " * len("/* new pg.Pool() in a block"),
        " " * len("   comment */"),
        "export const pool = new pg.Pool({ connectionString: link });",
    ]
    # tree-sitter counts bytes; a comment holding non-ASCII text is blanked character for character.
    assert strip_js_comments("// café\nx", "a.tsx") == " " * len("// café") + "\nx"


def test_import_absent_reads_past_a_regex_literal(tree):
    root = tree(
        {
            "src/a.ts": 'const s = p.replace(/\\/*$/, "");\nimport { Pool } from "pg";\n/** A pool. */\n'
        }
    )
    assert _check(root, "import-absent", files="src/*.ts", modules=["pg"]) == [
        ("src/a.ts", 2, "`pg`")
    ]


def test_files_that_cannot_match_or_hold_no_comment_are_not_parsed(tree, monkeypatch):
    import conformance.typescript

    parsed: list[str] = []
    real_parse = conformance.typescript.parse

    def counting_parse(source: str, path: str = ""):
        parsed.append(path)
        return real_parse(source, path)

    monkeypatch.setattr(conformance.typescript, "parse", counting_parse)
    root = tree(
        {
            "src/a.ts": "// a comment\nexport const x = 1;\n",  # no pattern: never read past grep
            "src/b.ts": "export const pool = new pg.Pool();\n",  # no comment: nothing to blank
            "src/c.ts": "// old client\nexport const pool = new pg.Pool();\n",  # the lexer will do
            "src/d.ts": 'const s = p.replace(/\\/*$/, ""); /** x */\nconst pool = new pg.Pool();\n',
            "src/e.tsx": "// <p>http://x</p>\nexport const pool = new pg.Pool();\n",
        }
    )
    found = _check(root, "source-absent", files="src/*", phrases=["new pg.Pool"])
    assert [(path, line) for path, line, _ in found] == [
        ("src/b.ts", 1),
        ("src/c.ts", 2),
        ("src/d.ts", 2),
        ("src/e.tsx", 2),
    ]
    assert parsed == ["src/d.ts", "src/e.tsx"]


# Statements and comments of TypeScript a lexer may misread, and plain code around them.
PIECES = [
    "x = a / b;",
    "y = /\\/*$/;",
    "z = /^https?:\\/\\//;",
    'q = /["]/;',
    "// line comment",
    "/* block */",
    "/** doc\n comment */",
    's = "str // not";',
    "c = 'it\\'s /* not */';",
    "t = `tpl ${a} // not`;",
    "m = `multi\nline /* not */`;",
    "f(x);",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(["\n", " "])), max_size=10))
def test_the_lexer_answers_as_the_parser_wherever_it_is_trusted(pieces):
    from hypothesis import assume

    from conformance.typescript import parse

    source = "".join(piece + separator for piece, separator in pieces)
    # A line comment followed by " " swallows the next piece: an unterminated template literal
    # or string is not code, and no answer about it is right.
    assume(not parse(source, "a.ts").root_node.has_error)
    if not _regex_literal_possible(source):
        assert _JS_LEXEME.sub(_blank_comment, source) == _strip_parsed_comments(source, "a.ts")
