"""Broken contracts, conformance.yaml and command lines: exit 2 with one line naming the file and
line (or the --param), never a traceback; a crash of conformance itself is exit 3."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT, write_tree

from conformance.cli import EXIT_INTERNAL

RULE = "  - id: a\n    kind: {kind}\n{body}    message: {message}\n    why: w\n"


def contract(body: str = "    paths: x\n", kind: str = "path-absent", message: str = "m") -> str:
    return "name: mine\ndescription: d\nrules:\n" + RULE.format(
        kind=kind, body=body, message=message
    )


def usage_error(cli, *argv: str) -> str:
    """The one line of a usage error, without its `conformance: error: ` prefix."""
    code, out, err = cli(*argv)
    assert (code, out) == (2, ""), err
    assert err.count("\n") == 1, err
    return err.removeprefix("conformance: error: ").rstrip("\n")


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x").write_text("1\n")
    return tmp_path


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("'a {'", "single '{' encountered in format string: write `{{` and `}}` for braces"),
        ("'a }'", "single '}' encountered in format string: write `{{` and `}}` for braces"),
        ("'a {0}'", "`{0}` is not a fact: name one, `{item}` or `{path}`"),
        ("'a {}'", "`{}` is not a fact: name one, `{item}` or `{path}`"),
        (
            "'a {item.__class__}'",
            "`{item.__class__}` is not a fact: name one, `{item}` or `{path}`",
        ),
        ("'a {item[0]}'", "`{item[0]}` is not a fact: name one, `{item}` or `{path}`"),
        (
            "'{item:999999999999}'",
            "`{item:999999999999}`: a fact takes no conversion or format spec",
        ),
        ("'{item!z}'", "`{item!z}`: a fact takes no conversion or format spec"),
        ("'{item:d}'", "`{item:d}`: a fact takes no conversion or format spec"),
    ],
)
def test_message_format_strings(cli, root, message, expected):
    (root / "c.yaml").write_text(contract(message=message))
    error = usage_error(cli, "check", ".", "--contract", "c.yaml")
    assert error == f"c.yaml:7: rules[0].message: {expected}"


def test_braces_written_twice_are_braces(cli, root):
    (root / "c.yaml").write_text(contract(message="'the {{ x }} of {path}: {item}'"))
    code, out, _ = cli("check", ".", "--contract", "c.yaml")
    assert code == 1
    assert out.splitlines()[0] == "x: a the { x } of x: x"


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        (
            "text-absent",
            "    files: x\n    regex: '(['\n",
            "c.yaml:7: rules[0].regex: `([` is not a regular expression: "
            "unterminated character set at position 1",
        ),
        (
            "text-absent",
            "    files: x\n    regex: [ok, 'a{99999999999}']\n",
            "c.yaml:7: rules[0].regex[1]: `a{99999999999}` is not a regular expression: "
            "the repetition number is too large",
        ),
        (
            "text-absent",
            "    files: x\n    phrases: [a]\n    unless: '*'\n",
            "c.yaml:8: rules[0].unless: `*` is not a regular expression: "
            "nothing to repeat at position 0",
        ),
        (
            "script-forbidden",
            "    files: package.json\n    pattern: '(?P<'\n",
            "c.yaml:7: rules[0].pattern: `(?P<` is not a regular expression: "
            "missing group name at position 4",
        ),
        (
            "script-present",
            "    files: package.json\n    script: dev\n    matches: '['\n",
            "c.yaml:8: rules[0].matches: `[` is not a regular expression: "
            "unterminated character set at position 0",
        ),
        (
            "key-path",
            "    files: a.json\n    key: a\n    matches: '+'\n",
            "c.yaml:8: rules[0].matches: `+` is not a regular expression: "
            "nothing to repeat at position 0",
        ),
        (
            "script-forbidden",
            "    files: package.json\n    pattern: x\n    fix: {strip: '('}\n",
            "c.yaml:8: rules[0].fix.strip: `(` is not a regular expression: "
            "missing ), unterminated subpattern at position 0",
        ),
        (
            "path-absent",
            "    paths: '[!]'\n",
            "c.yaml:6: rules[0].paths: `[!]` is not a character class (empty, or a range "
            "running backwards)",
        ),
        (
            "path-absent",
            "    paths: [ok, 'src/[z-a]/x']\n",
            "c.yaml:6: rules[0].paths[1]: `[z-a]` is not a character class (empty, or a range "
            "running backwards)",
        ),
        (
            "text-absent",
            "    files: '**/*.md'\n    exclude: 'docs/[]'\n    phrases: a\n",
            "c.yaml:7: rules[0].exclude: `[]` is not a character class (empty, or a range "
            "running backwards)",
        ),
        (
            "path-absent",
            "    paths: x\n    fix: {delete: '[b-a]'}\n",
            "c.yaml:7: rules[0].fix.delete: `[b-a]` is not a character class (empty, or a range "
            "running backwards)",
        ),
    ],
)
def test_bad_regexes_and_globs(cli, root, kind, body, expected):
    (root / "c.yaml").write_text(contract(body, kind))
    assert usage_error(cli, "check", ".", "--contract", "c.yaml") == expected


def test_globs_with_classes_and_literal_brackets(tree):
    """A well-formed class is a class of one path character; a `[` that opens none is itself."""
    from conformance.globs import glob_problem, matches

    assert matches("src/[!a]x", "src/bx") and not matches("src/[!a]x", "src/ax")
    assert not matches("src[!a]x", "src/x")  # a class never matches the separator
    assert matches("a[b", "a[b") and matches(r"[\d]", "d") and not matches(r"[\d]", "5")
    assert matches("[]", "[]") and glob_problem("[]") is not None
    assert glob_problem("a[b") is None and glob_problem("{a,{b}") is None


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            "  - rule: convex-dependency\n    path: '[z-a]'\n    reason: r\n",
            "conformance.yaml:4: waivers[0].path: `[z-a]` is not a character class (empty, or "
            "a range running backwards)",
        ),
        (
            "  - rule: convex-dependency\n    reason: r\n    expires: 2027-01-01T10:00:00\n",
            "conformance.yaml:5: waivers[0].expires: `2027-01-01 10:00:00` must be a date "
            "(YYYY-MM-DD), without a time",
        ),
        (
            "  - rule: convex-dependency\n    reason: r\n    expires: '2027-02-30'\n",
            "conformance.yaml:5: waivers[0].expires: `2027-02-30` is not a date (YYYY-MM-DD)",
        ),
        (
            "  - rule: convex-dependency\n    reason: r\n    expires: 20270101\n",
            "conformance.yaml:5: waivers[0].expires: must be a date (YYYY-MM-DD)",
        ),
    ],
)
def test_bad_waivers(cli, root, config, expected):
    (root / "conformance.yaml").write_text("contracts: [convex-adoption]\nwaivers:\n" + config)
    assert usage_error(cli, "check", ".") == expected


def test_an_impossible_date_is_a_usage_error(cli, root):
    (root / "conformance.yaml").write_text(
        "contracts: [convex-adoption]\nwaivers:\n"
        "  - rule: convex-dependency\n    reason: r\n    expires: 2027-02-30\n"
    )
    error = usage_error(cli, "check", ".")
    assert error.startswith("conformance.yaml") and "day is out of range for month" in error


def test_a_waiver_expiring_on_a_date_still_works(cli, root):
    (root / "package.json").write_text("{}\n")
    (root / "conformance.yaml").write_text(
        "contracts: [convex-adoption]\nwaivers:\n"
        "  - rule: convex-dependency\n    reason: r\n    expires: 2000-01-31\n"
    )
    code, out, _ = cli("check", ".", "--select", "convex-dependency", "--param", "package=.")
    assert code == 1
    assert "conformance.yaml:3: error: waiver for convex-dependency expired on 2000-01-31: r" in out


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        (
            "active_docs: 3",
            "conformance.yaml:4: parameter `active_docs` must be a string (it fills `files[0]` "
            "of rule `active-docs-baseline`)",
        ),
        (
            "removed_packages: [[pg]]",
            "conformance.yaml:4: parameter `removed_packages` must be a string (it fills "
            "`names[0]` of rule `no-postgres-dependencies`)",
        ),
        (
            "doc_replacements: x",
            "conformance.yaml:4: parameter `doc_replacements` must be a mapping (it fills "
            "`fix.replacements` of rule `active-docs-baseline`)",
        ),
        (
            "doc_replacements: {a: [b]}",
            "conformance.yaml:4: parameter `doc_replacements` must be a string (it fills "
            "`fix.replacements.a` of rule `active-docs-baseline`)",
        ),
        (
            "historical_docs: ['docs/[z-a]']",
            "conformance.yaml:4: parameter `historical_docs`: `[z-a]` is not a character class "
            "(empty, or a range running backwards) (it fills `exclude[0]` of rule "
            "`active-docs-baseline`)",
        ),
        (
            "package: {a: b}",
            "conformance.yaml:4: parameter `package` must be a string, a number or a list of "
            "them (it fills `files` of rule `convex-dependency`)",
        ),
        (
            "kept_services: 2024-01-01",
            "conformance.yaml:4: contracts[0].parameters.kept_services: `2024-01-01` is read as "
            "a date; quote it for a string",
        ),
    ],
)
def test_parameters_are_checked_against_the_options_they_fill(cli, root, parameters, expected):
    (root / "conformance.yaml").write_text(
        f"contracts:\n  - contract: convex-adoption\n    parameters:\n      {parameters}\n"
    )
    assert usage_error(cli, "check", ".") == expected


def test_a_bad_default_is_named_in_the_contract(cli, root):
    (root / "c.yaml").write_text(
        "name: mine\ndescription: d\nparameters:\n  where:\n    default: [[x]]\n"
        "rules:\n" + RULE.format(kind="path-absent", body="    paths: ${where}\n", message="m")
    )
    assert usage_error(cli, "check", ".", "--contract", "c.yaml") == (
        "c.yaml:5: parameter `where` must be a string (it fills `paths[0]` of rule `a`)"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("kept_services=[a", "--param kept_services: invalid YAML: did not find expected ',' or ']'"),
        ("kept_services=[!!int x]", "--param kept_services: invalid YAML: cannot read 'x' as !!int: invalid literal for int() with base 10: 'x'"),
        ("kept_services=[a]\n---\n[b]", "--param kept_services: invalid YAML: but found another document"),
        ("kept_services=[&a [b], *a, !!python/name:os.system c]", "--param kept_services: invalid YAML: could not determine a constructor for the tag 'tag:yaml.org,2002:python/name:os.system'"),
        ("kept_services=[1, 2]", "--param kept_services must be a string (it fills `names[0]` of rule `kept-compose-services`)"),
        ("kept_services=[2024-01-01]", "--param kept_services: `2024-01-01` is read as a date; quote it for a string (it fills `names[0]` of rule `kept-compose-services`)"),
        ("historical_docs=['docs/[b-a]']", "--param historical_docs: `[b-a]` is not a character class (empty, or a range running backwards) (it fills `exclude[0]` of rule `active-docs-baseline`)"),
    ],
)  # fmt: skip
def test_bad_param_values(cli, root, value, expected):
    argv = ("check", ".", "--contract", "convex-adoption", "--param", value)
    assert usage_error(cli, *argv) == expected


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_bad_select_globs(cli, root, option):
    error = usage_error(cli, "check", ".", "--contract", "convex-adoption", option, "[z-a]")
    assert error == (
        f"{option} [z-a]: `[z-a]` is not a character class (empty, or a range running backwards)"
    )


@pytest.mark.parametrize(
    ("vars_", "expected"),
    [
        ("{a: 2020-01-01}", "vars.a: `2020-01-01` is read as a date; quote it for a string"),
        ("{1: a}", "vars: the key `1` must be a string (quote it)"),
        ("{a: {2: b}}", "vars.a: the key `2` must be a string (quote it)"),
        ("{a: [!!binary aGk=]}", "vars.a[0]: a YAML bytes is not plain data"),
        ("{a: !!set {b: null}}", "vars.a: a YAML set is not plain data"),
    ],
)
def test_template_vars_are_plain_data(cli, root, vars_, expected):
    body = (
        "    paths: x\n    fix:\n      create:\n        - path: y\n"
        f"          template: convex-adoption/convex.json.j2\n          vars: {vars_}\n"
    )
    (root / "c.yaml").write_text(contract(body))
    error = usage_error(cli, "fix", ".", "--contract", "c.yaml", "--dry-run")
    assert error == f"c.yaml:11: rules[0].fix.create[0].{expected}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f(:\n", "checks.py:1: rule a: invalid syntax"),
        ("x = 1\nraise RuntimeError('boom')\n", "checks.py:2: rule a: importing it raised RuntimeError: boom"),
        ("import no_such_module_anywhere\n", "c.yaml:4: rule a: No module named 'no_such_module_anywhere'"),
    ],
)  # fmt: skip
def test_a_checks_module_that_does_not_import(cli, root, source, expected):
    (root / "checks.py").write_text(source)
    (root / "c.yaml").write_text(contract("    function: checks.py:f\n", "python"))
    assert usage_error(cli, "check", ".", "--contract", "c.yaml") == expected


def test_contracts_that_are_no_regular_file(cli, root):
    assert usage_error(cli, "check", ".", "--contract", "/dev/zero") == (
        "/dev/zero: is not a regular file"
    )
    (root / "dir.yaml").mkdir()
    assert usage_error(cli, "check", ".", "--contract", "dir.yaml") == (
        "dir.yaml: is not a regular file"
    )
    os.mkfifo(root / "fifo.yaml")  # opening it would wait for a writer forever
    assert usage_error(cli, "check", ".", "--contract", "fifo.yaml") == (
        "fifo.yaml: is not a regular file"
    )
    with open(root / "huge.yaml", "wb") as huge:
        huge.truncate(5 * 1024 * 1024)
    assert usage_error(cli, "check", ".", "--contract", "huge.yaml") == (
        "huge.yaml: is 5,242,880 bytes; a contract is at most 4,194,304"
    )


def test_an_internal_error_exits_3_without_a_traceback(cli, root, monkeypatch):
    from conformance.rules.paths import PathAbsent

    def broken(self, rule, repo):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(PathAbsent, "check", broken)
    (root / "c.yaml").write_text(contract())
    code, out, err = cli("check", ".", "--contract", "c.yaml")
    assert (code, out) == (EXIT_INTERNAL, "")
    assert err == (
        "conformance: internal error, please report: ZeroDivisionError: division by zero "
        "(--debug prints the traceback)\n"
    )
    code, out, err = cli("check", ".", "--contract", "c.yaml", "--debug")
    assert (code, out) == (EXIT_INTERNAL, "")
    assert err.startswith("Traceback (most recent call last):\n")
    assert 'raise ZeroDivisionError("division by zero")' in err
    assert err.endswith(
        "conformance: internal error, please report: ZeroDivisionError: division by zero\n"
    )


def _pytest_with(tmp_path, target: str, attribute: str) -> subprocess.CompletedProcess:
    """pytest checking kata-after's convex-project-files, `target.attribute` (`target` as an
    import names it) raising ZeroDivisionError."""
    (tmp_path / "inject.py").write_text(
        f"{target} as target\n\n"
        "def broken(*args, **kwargs):\n    raise ZeroDivisionError('division by zero')\n\n"
        f"target.{attribute} = broken\n"
    )
    return subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-p", "inject"),
            *(f"--conformance={FIXTURES / 'kata-after'}", "-k", "convex-project-files"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])},
    )


INTERNAL = "conformance: internal error, please report: ZeroDivisionError: division by zero"


def test_the_pytest_plugin_reports_an_internal_error_as_an_error(tmp_path):
    """A rule whose check crashed is an error of its item (E), not a failed rule (F)."""
    result = _pytest_with(tmp_path, "from conformance.rules.paths import PathPresent", "check")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"E           conformance.pytest_items.InternalError: {INTERNAL}" in result.stdout
    assert "raise ZeroDivisionError('division by zero')" in result.stdout  # where it broke
    assert " deselected, 1 error in " in result.stdout.splitlines()[-1]


def test_the_pytest_plugin_stops_on_an_internal_error_loading_contracts(tmp_path):
    """An error collecting the config file, with the traceback: never a failed rule."""
    result = _pytest_with(tmp_path, "import conformance.contract", "load_rules")
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"E   conformance.pytest_items.InternalError: {INTERNAL}" in result.stdout
    assert "raise ZeroDivisionError('division by zero')" in result.stdout
    assert "Interrupted: 1 error during collection" in result.stdout


def test_a_checks_module_in_conformance_yaml_is_named_from_the_repository(cli, tmp_path):
    root = write_tree(
        tmp_path / "repo",
        {
            "conformance.yaml": "rules:\n"
            + RULE.format(kind="python", body="    function: ci/checks.py:f\n", message="m"),
            "ci/checks.py": "\n\ndef f(repo:\n",
        },
    )
    assert usage_error(cli, "check", str(root)) == "ci/checks.py:3: rule a: '(' was never closed"


EMPTY = (
    " is empty, and `${package}/package.json` would be absolute (it fills `files` of rule "
    "`convex-dependency`)"
)


@pytest.mark.parametrize("command", [("check", "."), ("fix", ".", "--dry-run")])
def test_an_empty_param_beginning_a_path_is_a_usage_error(cli, root, command):
    """`--param package=` crashed (KeyError 'config'), and would make `${package}/x` `/x`."""
    argv = (*command, "--contract", "convex-adoption", "--param", "package=")
    assert usage_error(cli, *argv) == f"--param package{EMPTY}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("''", f"parameter `package`{EMPTY}"),
        (
            "",
            "parameter `package` must be a string, a number or a list of them (it fills `files` "
            "of rule `convex-dependency`)",
        ),
    ],
)
def test_an_empty_parameter_in_conformance_yaml_is_a_usage_error(cli, root, value, expected):
    (root / "conformance.yaml").write_text(
        f"contracts:\n  - contract: convex-adoption\n    parameters:\n      package: {value}\n"
    )
    assert usage_error(cli, "check", ".") == f"conformance.yaml:4: {expected}"


def test_an_empty_default_for_a_drizzle_package_is_named_in_the_contract(cli, root):
    (root / "c.yaml").write_text(
        "name: mine\ndescription: d\nparameters:\n  where:\n    default: ''\nrules:\n"
        + RULE.format(kind="drizzle-output-absent", body="    package: ${where}\n", message="m")
    )
    assert usage_error(cli, "check", ".", "--contract", "c.yaml") == (
        "c.yaml:5: parameter `where` must not be empty (it fills `package` of rule `a`)"
    )


def test_an_empty_list_for_a_subject_parameter_is_a_usage_error(fixture_copy, cli):
    """Found by the fuzz suite: `package: []` left the contract with no binding at all, and
    `check` and `fix` crashed (IndexError) instead of saying what was wrong."""
    root = fixture_copy("kata-before")
    config = "contracts:\n  - contract: convex-adoption\n    parameters:\n      package: []\n"
    (root / "conformance.yaml").write_text(config)
    expected = "is an empty list: name one package at least, or leave it out\n"
    for argv in (["check"], ["fix", "--dry-run"]):
        code, out, err = cli(*argv, str(root))
        assert (code, out) == (2, "")
        assert err == f"conformance: error: conformance.yaml:4: parameter `package` {expected}"
    code, _, err = cli("check", str(root), "--param", "package=[]")
    assert (code, err) == (2, f"conformance: error: --param package {expected}")


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("package", "a\x00b", "a NUL byte"),
        ("active_docs", "a\x00b", "a NUL byte"),
        ("package", "a\ud800b", "a lone surrogate"),
    ],
)
def test_a_path_no_file_system_can_hold_is_a_usage_error(cli, name, value, said):
    """Found by the fuzz suite: a NUL byte reached `os.stat` (ValueError), a lone surrogate the
    path encoder (UnicodeEncodeError), both exit 3."""
    code, out, err = cli("check", str(FIXTURES / "kata-before"), "--param", f"{name}={value}")
    assert (code, out) == (2, "")
    assert err.startswith(f"conformance: error: --param {name}: a path cannot hold {said} (")


@pytest.mark.parametrize(
    ("key", "expected"), [("when", "must be a mapping"), ("optional", "must be true or false")]
)
def test_options_read_as_written_take_no_parameter(cli, root, key, expected):
    """Found by the fuzz suite: `when: ${x}` passed the schema as if a parameter would fill it,
    then crashed (AttributeError); `when` and `optional` are read as written."""
    text = contract(body=f'    paths: x\n    {key}: "${{x}}"\n').replace(
        "rules:", "parameters:\n  x: {default: a}\nrules:"
    )
    (root / "c.yaml").write_text(text)
    assert usage_error(cli, "check", "--contract", "c.yaml").endswith(f"rules[0].{key} {expected}")


def test_a_kind_given_no_files_is_unchecked(cli, root):
    """Found by the fuzz suite: `files: []` crashed convex-auth-required (IndexError)."""
    (root / "c.yaml").write_text(contract(body="    files: []\n", kind="convex-auth-required"))
    code, out, err = cli("check", "--contract", "c.yaml")
    assert (code, err) == (1, "")
    assert "unchecked: a: nothing to check" in out


def test_drizzle_output_absent_naming_no_config_nor_package_is_unchecked(cli, root):
    """It crashed with KeyError: without either there is no folder to look for."""
    (root / "c.yaml").write_text(contract(body="", kind="drizzle-output-absent"))
    code, out, err = cli("check", "--contract", "c.yaml")
    assert (code, err) == (1, "")
    assert "unchecked: a: name the Drizzle `config` or the `package` drizzle-kit runs in" in out
