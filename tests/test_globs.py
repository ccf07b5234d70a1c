"""Globs as contract authors write them: braces (nested, with globs inside), classes, escapes;
an invalid pattern is a usage error naming the contract's file and line."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.globs import compile_glob, glob_problem, matches

PATHS = [
    "src/x.env",
    "src/y.secret",
    "src/z.txt",
    "src/a/x.env",
    "src/b/c.txt",
    "a",
    "b",
    "c",
    "d",
    "config/z.env",
    "config/a.env",
    "config/-.env",
    "a*b",
    "axb",
    "x.ts",
    "lib/y.ts",
    "lib/a/b/x.ts",
    "lib/z.ts",
    "src/bx",
    "src/ax",
    "{a",
    "a,b",
]

# What wcmatch 12.0.1 answers, `globmatch(path, pattern, flags=GLOBSTAR | BRACE | DOTGLOB)`,
# for each pattern over PATHS (in PATHS' order).
WCMATCH = [
    ("src/{*.env,*.secret}", ["src/x.env", "src/y.secret"]),
    ("src/{b/c.txt,{x.env,y.secret}}", ["src/x.env", "src/y.secret", "src/b/c.txt"]),
    ("{a,{b,c}}", ["a", "b", "c"]),
    ("{a,{b,{c,d}}}", ["a", "b", "c", "d"]),
    ("config/[a-z].env", ["config/z.env", "config/a.env"]),
    ("config/[!a-y].env", ["config/z.env", "config/-.env"]),
    (r"config/[\-].env", ["config/-.env"]),
    (r"a\*b", ["a*b"]),
    ("**/{x,y}.ts", ["x.ts", "lib/y.ts", "lib/a/b/x.ts"]),
    ("lib/{**/x,z}.ts", ["lib/a/b/x.ts", "lib/z.ts"]),
    ("src/[!a]x", ["src/bx"]),
    ("{a}", []),  # no comma: a literal `{a}`, as in bash
    ("{a,b", []),  # no closing brace: literal
    (r"\{a", ["{a"]),
    (r"{a\,b,c}", ["c", "a,b"]),
]


@pytest.mark.parametrize(("pattern", "expected"), WCMATCH)
def test_globs_match_what_wcmatch_matches(pattern, expected):
    assert [path for path in PATHS if matches(pattern, path)] == expected
    assert glob_problem(pattern) is None


SIMPLE = st.text(alphabet="ab*?.", min_size=0, max_size=4)
NAMES = st.text(alphabet="ab.", min_size=0, max_size=5)


@given(SIMPLE, SIMPLE, SIMPLE, NAMES)
def test_braces_are_the_union_of_their_alternatives(first, second, third, name):
    """`{A,B}` matches what A or B matches; a nested `{A,{B,C}}` is `{A,B,C}`."""
    path = f"d/x{name}"
    assert matches(f"d/x{{{first},{second}}}", path) == (
        matches(f"d/x{first}", path) or matches(f"d/x{second}", path)
    )
    assert matches(f"{{{first},{{{second},{third}}}}}", name) == matches(
        f"{{{first},{second},{third}}}", name
    )


@given(st.text(alphabet="ab[]!^-{},*?\\/", max_size=12))
def test_any_text_compiles_and_problems_are_said_not_raised(pattern):
    """A pattern from the repository (pnpm's workspace globs) must never stop the check."""
    assert isinstance(compile_glob(pattern), re.Pattern)
    problem = glob_problem(pattern)
    assert problem is None or "is not a character class" in problem


def test_braces_nested_past_the_limit_are_a_problem_not_a_crash():
    deep = "{a," * 33 + "b" + "}" * 33
    assert glob_problem(deep) == "braces nested more than 32 deep"
    assert isinstance(compile_glob(deep), re.Pattern)
    assert matches("{a," * 32 + "b" + "}" * 32, "b") and glob_problem("{a," * 32 + "b}") is None


CONTRACT = """\
rules:
  - id: no-env
    kind: path-absent
    message: env files must go
    why: secrets
    paths:
      - config/*.secret
      - config/[z-a].env
"""


def test_an_invalid_range_in_a_contract_is_exit_2_with_its_line(tmp_path):
    import subprocess
    import sys

    (tmp_path / "conformance.yaml").write_text(CONTRACT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "check", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "conformance: error: conformance.yaml:8: rules[0].paths[1]: `[z-a]` is not a character "
        "class (empty, or a range running backwards)\n"
    )


def test_braces_in_a_contract_find_the_files(cli, tree):
    root = tree(
        {
            "conformance.yaml": CONTRACT.replace("config/[z-a].env", "src/{*.env,{*.pem,x.key}}"),
            "src/a.env": "",
            "src/b.pem": "",
            "src/x.key": "",
            "src/y.key": "",
        }
    )
    code, out, _ = cli("check", str(root))
    assert code == 1
    assert [line.split(":")[0] for line in out.splitlines() if ": no-env " in line] == [
        "src/a.env",
        "src/b.pem",
        "src/x.key",
    ]
