"""Every built-in regular expression runs in time linear in its input.

Repository content reaches them all: scripts, docs, env examples, sources, compose files. A
pattern with nested or overlapping unbounded quantifiers (`[ \\t]*#?[ \\t]*`, `\\bconvex\\b[^;]*\\s`
from every `convex`) takes seconds on a 140 KB file and minutes on a megabyte. Each pattern —
the kinds' and the project model's own, the built-in contracts' (with their defaults) — is run
over 1 MB inputs made of adversarial runs: long runs of spaces, tabs and line breaks, its own
words repeated, a word before or after a long run, all its words in a row (a near-match). A
linear pattern scans each in milliseconds; a quadratic one takes minutes on one 64 KB run.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import time
from pathlib import Path

import pytest
import yaml

from conformance.globs import compile_glob
from conformance.model import Rule

PACKAGE = Path(__file__).resolve().parent.parent / "conformance"
CONTRACTS = sorted((PACKAGE / "contracts").glob("*.yaml"))
# Well under a second for 1 MB on a loaded 2-core machine; a super-linear pattern takes minutes.
BUDGET = 0.5
RUN = 64 * 1024
INPUT = 1024 * 1024
_CALLS = {"compile", "search", "match", "fullmatch", "sub", "subn", "finditer", "findall", "split"}
_ANCHORED = {"match", "fullmatch"}


def _modules() -> list[str]:
    return [
        "conformance." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "__main__.py"
    ]


def _flags(node: ast.expr | None) -> int:
    """`re.IGNORECASE | re.MULTILINE` written in a call, as flags."""
    if node is None:
        return 0
    if isinstance(node, ast.BinOp):
        return _flags(node.left) | _flags(node.right)
    if isinstance(node, ast.Attribute):
        return getattr(re, node.attr)
    raise AssertionError(f"flags not understood: {ast.unparse(node)}")


def _calls() -> list[tuple[str, ast.Call, str]]:
    """Every `re.<function>(…)` call of the package, with its `file:line` and how its pattern is
    used: `match` when only from the start of a string (`re.match`, `re.compile(…).match`), else
    `search`."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        anchored = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in _ANCHORED
        }
        # Module-level patterns are tested by their name, as they are used (_module_patterns).
        kept = {id(node.value) for node in tree.body if isinstance(node, ast.Assign)}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _CALLS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.args
                and id(node) not in kept
            ):
                use = "match" if node.func.attr in _ANCHORED or id(node) in anchored else "search"
                found.append((f"{path.relative_to(PACKAGE)}:{node.lineno}", node, use))
    return found


def _literal_calls() -> list[tuple[str, re.Pattern[str], str]]:
    """The patterns written as literals in `re.…(…)` calls."""
    patterns = []
    for where, call, use in _calls():
        pattern = call.args[0]
        if not isinstance(pattern, ast.Constant):
            continue
        flags = next((k.value for k in call.keywords if k.arg == "flags"), None)
        position = 1 if call.func.attr == "compile" else 3 if call.func.attr == "sub" else 2
        if flags is None and len(call.args) > position:
            flags = call.args[position]
        patterns.append((where, re.compile(pattern.value, _flags(flags)), use))
    return patterns


def _use(name: str, sources: str) -> str:
    """`match` when every use of a module's pattern in the package is `NAME.match(` or
    `NAME.fullmatch(`; else `search`."""
    uses = re.findall(rf"\b{re.escape(name)}\b(?!\s*=[^=])(\.\w+\()?", sources)
    return "match" if uses and all(u in (".match(", ".fullmatch(") for u in uses) else "search"


def _module_patterns() -> list[tuple[str, re.Pattern[str], str]]:
    """Compiled patterns kept at module level, and the grep patterns kept as strings."""
    sources = "\n".join(p.read_text(encoding="utf-8") for p in sorted(PACKAGE.rglob("*.py")))
    patterns = []
    for name in _modules():
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                patterns.append((f"{name}.{attribute}", value, _use(attribute, sources)))
    from conformance.project import DISCOVERED_FILES, prisma

    # Matched against paths.
    patterns.append(("DISCOVERED_FILES", re.compile(DISCOVERED_FILES), "search"))
    for grepped in ("_NAMING_CLIENT", "_EXPORTING", "_FRAMEWORK_IMPORT"):
        # Run by `git grep`, and by Python outside git.
        pattern = re.compile(getattr(prisma, grepped), re.M)
        patterns.append((f"prisma.{grepped}", pattern, "search"))
    return patterns


def _contract_rules() -> list[tuple[str, dict, dict]]:
    """(contract, rule, parameter defaults) of every built-in contract."""
    found = []
    for path in CONTRACTS:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        defaults = {
            name: spec["default"]
            for name, spec in (document.get("parameters") or {}).items()
            if "default" in spec
        }
        found += [(path.stem, rule, defaults) for rule in document["rules"]]
    return found


def _filled(value, defaults: dict) -> list[str]:
    """A rule option's strings with `${parameter}` replaced by the parameter's default."""
    values = value if isinstance(value, list) else [value]
    filled = []
    for item in values:
        whole = re.fullmatch(r"\$\{(\w+)\}", str(item))
        if whole:
            default = defaults.get(whole.group(1), [])
            filled += default if isinstance(default, list) else [default]
        else:
            filled.append(item)
    return [item for item in filled if isinstance(item, str)]


def _contract_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """The regexes of the built-in contracts' rules, filled with their defaults (phrases as the
    text kinds compile them)."""
    from conformance.rules.text import phrase_regex

    patterns = []
    for contract, rule, defaults in _contract_rules():
        flags = re.IGNORECASE if rule.get("ignore_case") else 0
        where = f"{contract}:{rule['id']}"
        fix = rule.get("fix") or {}
        for key, value in [
            *((k, rule[k]) for k in ("regex", "matches", "pattern", "unless") if k in rule),
            *(("strip", fix[k]) for k in ("strip",) if k in fix),
        ]:
            for item in _filled(value, defaults):
                patterns.append((f"{where} {key}", re.compile(item, flags)))
        phrases = [*_filled(rule.get("phrases", []), defaults)]
        phrases += list(_filled_mapping(fix.get("replacements"), defaults))
        for phrase in phrases:
            patterns.append((f"{where} phrase", re.compile(phrase_regex(phrase), flags)))
    return patterns


def _filled_mapping(value, defaults: dict) -> list[str]:
    if isinstance(value, str):
        whole = re.fullmatch(r"\$\{(\w+)\}", value)
        value = defaults.get(whole.group(1)) if whole else None
    return list(value) if isinstance(value, dict) else []


def _kind_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """The patterns the kinds and the project model build at run time, from the built-in
    contracts' options or from representative names."""
    from conformance.project.convex_functions import _unmembered
    from conformance.project.prisma import reexport_regex
    from conformance.rules import KINDS
    from conformance.rules.envfile import declaration
    from conformance.rules.imports import import_regex

    patterns = []
    for contract, raw, defaults in _contract_rules():
        kind = KINDS[raw["kind"]]
        options = {
            key: (_filled(value, defaults) if isinstance(value, str | list) else value)
            for key, value in raw.items()
        }
        rule = Rule(raw["id"], raw["kind"], "", "", contract, options)
        try:
            scan = kind.scan(rule)
        except (KeyError, TypeError):
            scan = None  # options only a discovered parameter fills
        needles = scan[2] if scan else None
        if getattr(needles, "regex", None) is not None:
            patterns.append((f"{contract}:{raw['id']} needles", needles.regex))
        if raw["kind"] == "env-var-present":
            for name in options["names"]:
                patterns.append((f"{contract}:{raw['id']} declaration", declaration(name)))
        if raw["kind"] in ("import-absent", "import-present"):
            for module in options.get("modules", []):
                patterns.append((f"{contract}:{raw['id']} import", import_regex(module)))
    patterns.append(("prisma reexport", reexport_regex(["db", "client", "prisma"])))
    for kind in ("query", "mutation", "action"):
        patterns.append((f"convex_auth {kind}Ctx", re.compile(rf"{kind}Ctx\b", re.I)))
    patterns.append(("convex_auth renamed", re.compile(rf"\b{re.escape('ctx')}\b")))
    # Matched against a handler's bytes; the same pattern as text scans as it does.
    unmembered = _unmembered("ctx").pattern.decode()
    patterns.append(("convex_functions unmembered", re.compile(unmembered)))
    names = ["@acme/db", "@acme/api", "db"]
    patterns.append(("imports naming", re.compile("[\"'](?:" + "|".join(names) + ")")))
    return patterns


def _drizzle_patterns() -> list[tuple[str, re.Pattern[str], str]]:
    from conformance.project.drizzle import _STRING

    return [
        (f"drizzle literal {suffix}", re.compile(r"\s*" + _STRING + suffix), "match")
        for suffix in ("", r"\s*(,)?")
    ]


def all_patterns() -> list[tuple[str, re.Pattern[str], str]]:
    """(where, pattern, use) of every built-in pattern, each once."""
    searched = [(w, p, "search") for w, p in [*_contract_patterns(), *_kind_patterns()]]
    found = [*_literal_calls(), *_module_patterns(), *_drizzle_patterns(), *searched]
    return list({(p.pattern, p.flags, use): (w, p, use) for w, p, use in found}.values())


# Calls whose pattern is no literal: each is covered above (or is a glob, or the user's own).
DYNAMIC = {
    "globs.py": "compile_glob: test_globs_match_long_paths_in_linear_time",
    "project/convex_functions.py": "_unmembered: _kind_patterns",
    "project/drizzle.py": "literal: _drizzle_patterns",
    "project/imports.py": "naming: _kind_patterns",
    "project/prisma.py": "reexport_regex: _kind_patterns; _SETTING on a generator block",
    "repo.py": "find/_grep_disk: DISCOVERED_FILES and prisma's grep patterns, _module_patterns; "
    "grep_fixed: fnmatch's translation of the import grep's pathspecs",
    "rules/calls.py": "Needles regex: _kind_patterns",
    "rules/convex_auth.py": "{kind}Ctx, renamed helper: _kind_patterns",
    "rules/envfile.py": "declaration: _kind_patterns",
    "rules/imports.py": "import_regex: _kind_patterns",
    "rules/keypath.py": "matches: a contract's, _contract_patterns",
    "rules/scripts.py": "matches, pattern, strip: a contract's, _contract_patterns",
    "rules/sql_interpolation.py": "Needles regex: _kind_patterns",
    "rules/text.py": "phrases, regex, unless: a contract's, _contract_patterns",
    "schema.py": "pattern: the contract schema's own, _literal_calls of schema.py",
}


def test_every_dynamic_pattern_is_covered():
    """A pattern built at run time is tested only if it is listed here: a new one must be."""
    dynamic = {
        where.rsplit(":", 1)[0]
        for where, call, _ in _calls()
        if not isinstance(call.args[0], ast.Constant)
    }
    assert sorted(dynamic) == sorted(DYNAMIC)


def _words(pattern: str) -> list[str]:
    """The words a pattern spells out, most distinctive first."""
    words = re.findall(r"(?<![\\(?])[A-Za-z][A-Za-z0-9_-]+", pattern)
    words = [w for w in dict.fromkeys(words) if w not in {"n", "t", "s", "b", "w", "d"}]
    return sorted(words, key=len, reverse=True)[:12]


# Runs of one unit: whitespace, punctuation that opens or continues a token, a word character.
_UNITS = [
    " ",
    "\t",
    "\n",
    "\r\n",
    " \n",
    "a",
    "a ",
    "a\n",
    "ab_",
    "#",
    "-",
    "/",
    "*",
    "'",
    '"',
    "`",
]
_UNITS += ["{", "[", "(", "<", ":", "=", "\\", "$", "$a", "@", ".", "// ", "/*", "--", "a.", ", "]


def inputs(pattern: re.Pattern[str]) -> list[str]:
    """Inputs of about `INPUT` characters for one pattern, each `RUN`-long runs on lines of
    their own: runs of the generic units, and runs built from the pattern's own words (repeated,
    before or after a long run of spaces, all of them in a row: a near-match)."""
    generic = [unit * (RUN // len(unit)) for unit in _UNITS]
    per_input = INPUT // RUN
    words = _words(pattern.pattern)[:4] or ["a"]
    own = [unit * (RUN // len(unit)) for w in words for unit in (f"{w} ", w, f"{w}\n")]
    sentence = " ".join(words) + " "
    own += [words[0] + " " * RUN, " " * RUN + words[0], sentence * (RUN // len(sentence))]
    own.append("".join(words) * (RUN // len("".join(words))))
    blocks = [generic[i : i + per_input] for i in range(0, len(generic), per_input)]
    return ["\n".join(block) for block in [*blocks, own]]


# Patterns matched against a file's path or name, never its content: a path is at most
# PATH_MAX (4,096 bytes on Linux) long, and is tested at that length.
PATHS = {
    "conformance.project.compose.COMPOSE_NAME": "match",  # named_like
    "conformance.project.convex._MARKERS": "match",
    "conformance.project.drizzle.CONFIG_NAME": "search",
    "conformance.project.prisma.CONFIG": "search",
    "project/prisma.py": "match",  # named_like(.*\\.prisma$)
    "project/imports.py": "search",  # a module specifier's file extension
    "repo.py": "search",  # a tomllib error message, one short line
}
PATH_MAX = 4096


def _bounded(where: str) -> str | None:
    """How a pattern applied to a path (or another short string) is used; None for content."""
    return PATHS.get(where) or PATHS.get(where.rsplit(":", 1)[0])


def slowest(pattern: re.Pattern[str], use: str, where: str = "") -> tuple[float, str]:
    """The longest time the pattern takes over one of its inputs, as it is used (every match
    found, or a match from the start), and that input's first run (a repr prefix), to name it."""
    worst, named = 0.0, ""
    texts = inputs(pattern)
    if _bounded(where):
        texts = ["\n".join(run[:PATH_MAX] for run in text.split("\n")) for text in texts]
    for text in texts:
        start = time.perf_counter()
        if _bounded(where):
            for line in text.split("\n"):
                getattr(pattern, _bounded(where))(line)
        elif use == "match":
            pattern.match(text)
        else:
            pattern.subn("", text)  # every match, without a Python object for each
        took = time.perf_counter() - start
        if took > worst:
            worst, named = took, repr(text[:40])
    return worst, named


@pytest.mark.parametrize(
    "where, pattern, use", [pytest.param(w, p, u, id=w) for w, p, u in all_patterns()]
)
def test_pattern_is_linear(where: str, pattern: re.Pattern[str], use: str):
    took, named = slowest(pattern, use, where)
    assert took < BUDGET, f"{where}: /{pattern.pattern}/ took {took:.2f} s on {named}…"


def test_globs_match_long_paths_in_linear_time():
    """The contracts' globs are matched against paths; a path of 64 KB is beyond any file
    system's, and still matched at once."""
    globs = set()
    for _, rule, defaults in _contract_rules():
        for key in ("files", "exclude", "paths"):
            globs.update(g for g in _filled(rule.get(key, []), defaults) if "$" not in g)
    paths = ["a/" * (RUN // 2), "a" * RUN, "docs/" * (RUN // 5) + "x.md", "/" * RUN]
    for glob in sorted(globs):
        regex = compile_glob(glob)
        start = time.perf_counter()
        for path in paths:
            regex.match(path)
        took = time.perf_counter() - start
        assert took < BUDGET, f"{glob}: {took:.2f} s"


def _contract_option(rule_id: str, key: str, fix: bool = False) -> str:
    for _, rule, _ in _contract_rules():
        if rule["id"] == rule_id:
            return (rule["fix"] if fix else rule)[key]
    raise KeyError(rule_id)


def _timed(function, *args, **options):
    start = time.perf_counter()
    result = function(*args, **options)
    return result, time.perf_counter() - start


def test_convex_config_flag_on_repeated_words(tree):
    """140 KB of `convex convex …` in a script took 12.9 s (each `convex` scanned to the end)."""
    from tests.test_rule_kinds import check

    scripts = {"dev": "convex " * 20_000, "deploy": "convex " * 20_000 + "deploy --config c"}
    root = tree({"package.json": json.dumps({"scripts": scripts}, indent=2)})
    pattern = _contract_option("convex-cli-no-config-flag", "pattern")
    found, took = _timed(check, root, "script-forbidden", files="package.json", pattern=pattern)
    assert [(path, line) for path, line, _ in found] == [("package.json", 4)]
    assert took < 1.0
    strip = _contract_option("convex-cli-no-config-flag", "strip", fix=True)
    stripped, took = _timed(re.sub, strip, "", "convex dev" + " " * 200_000 + "x --config a b")
    assert stripped == "convex dev" + " " * 200_000 + "x b" and took < 1.0


def test_text_absent_with_many_matches(tree):
    """A 1.5 MB doc with 40,000 matches took 13 s: each line was counted from the file start."""
    from tests.test_rule_kinds import check

    root = tree(
        {"doc.md": "old stack here\n" + "x" * 20 + "\n" + f"old stack {'x' * 30}\n" * 40_000}
    )
    found, took = _timed(check, root, "text-absent", files="doc.md", phrases=["old stack"])
    assert len(found) == 40_001 and found[-1][:2] == ("doc.md", 40_002)
    assert took < 2.0


def test_env_example_regex_on_a_long_line_of_spaces(tree):
    """A 160,000-space line took 13 s (`[ \\t]*#?[ \\t]*` splits the run every way)."""
    from tests.test_rule_kinds import check

    regex = _contract_option("env-example-convex", "regex")
    root = tree({".env.example": " " * 160_000 + "\n  # CONVEX_URL=\n"})
    found, took = _timed(check, root, "text-present", files=".env.example", regex=[regex])
    assert found == [] and took < 1.0


def test_text_absent_on_one_long_historical_line(tree, capsys):
    """A 960 KB line with 40,000 matches that `unless` marks historical at its end: the line was searched
    again for every match, in check and in fix (minutes); now once."""
    import yaml

    from conformance.cli import main
    from tests.test_rule_kinds import check

    options = {"files": "doc.md", "regex": ["PostgreSQL with Drizzle"], "unless": "historical"}
    line = "PostgreSQL with Drizzle " * 40_000 + "(historical)"
    rule = {"id": "docs", "kind": "text-absent", "message": "{item}", "why": "w", **options}
    rule["fix"] = {"pattern_replacement": "Convex"}
    root = tree(
        {
            "doc.md": f"{line}\nPostgreSQL with Drizzle\n",
            "conformance.yaml": yaml.safe_dump({"rules": [rule]}),
        }
    )
    found, took = _timed(check, root, "text-absent", **options)
    assert found == [("doc.md", 2, "PostgreSQL with Drizzle")] and took < 1.0
    code, took = _timed(main, ["fix", "--dry-run", "--allow-dirty", str(root)])
    assert code == 1 and took < 2.0
    assert "+Convex\n" in capsys.readouterr().out
