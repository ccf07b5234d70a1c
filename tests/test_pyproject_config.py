"""`[tool.conformance]` in pyproject.toml: the same config as conformance.yaml, read by the CLI
and the pytest plugin alike."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import yaml

from conformance import contract
from conformance.tomlconfig import key_lines

# kata-half's config plus a rule of the repository's own and two waivers (one expired).
EXTRA = """
rules:
  - id: has-license
    kind: path-present
    paths: LICENSE
    message: the repository states its licence
    why: >-
      Reused code needs a licence.
waivers:
  - rule: no-postgres-dependencies
    path: packages/db/package.json
    reason: dropped with the db package in the next step
  - rule: has-license
    reason: chosen by legal
    expires: 2020-01-31
"""


def toml_value(value) -> str:
    """A JSON-shaped value as TOML (JSON's strings are TOML basic strings)."""
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
        )
    if isinstance(value, list):
        return "[\n" + "".join(f"  {toml_value(item)},\n" for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()  # a TOML local date
    return json.dumps(value)


def as_pyproject(config: dict) -> str:
    """A pyproject.toml holding `config` as [tool.conformance], lists of mappings as arrays of
    tables, the way a person writes them."""
    text = '[project]\nname = "kata"\ndependencies = ["repo-conformance>=0.1"]\n\n'
    text += "[tool.conformance]\n"
    for key, value in config.items():
        if not (isinstance(value, list) and value and isinstance(value[0], dict)):
            text += f"{key} = {toml_value(value)}\n"
    for key, value in config.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for entry in value:
                text += f"\n[[tool.conformance.{key}]]\n"
                text += "".join(f"{k} = {toml_value(v)}\n" for k, v in entry.items())
    return text


def both_configs(fixture_copy):
    """kata-half with EXTRA in conformance.yaml, and a copy with the same in pyproject.toml."""
    with_yaml = fixture_copy("kata-half")
    config = with_yaml / "conformance.yaml"
    config.write_text(config.read_text() + EXTRA)
    with_toml = with_yaml.parent / "kata-half-toml"
    with_toml.mkdir()
    subprocess.run(["cp", "-a", f"{with_yaml}/.", str(with_toml)], check=True)
    (with_toml / "conformance.yaml").unlink()
    data = yaml.safe_load(config.read_text())
    (with_toml / "pyproject.toml").write_text(as_pyproject(data))
    return with_yaml, with_toml


def test_pyproject_config_gives_identical_findings(fixture_copy, check_json, cli):
    with_yaml, with_toml = both_configs(fixture_copy)
    code_yaml, from_yaml = check_json(str(with_yaml))
    code_toml, from_toml = check_json(str(with_toml))
    assert code_yaml == code_toml == 1
    for key in ("findings", "waived", "rules", "parameters", "summary"):
        assert from_toml[key] == from_yaml[key], key
    assert any(f["rule"] == "has-license" for f in from_toml["findings"])
    assert len(from_toml["waived"]) == 2  # pg and drizzle-orm in packages/db
    # The expired waiver is named where it is written: its [[tool.conformance.waivers]] line.
    text = (with_toml / "pyproject.toml").read_text().splitlines()
    headers = [n for n, line in enumerate(text, 1) if line == "[[tool.conformance.waivers]]"]
    assert text[headers[1]] == 'rule = "has-license"'
    _, out, _ = cli("check", str(with_toml))
    said = "error: waiver for has-license expired on 2020-01-31"
    assert f"pyproject.toml:{headers[1]}: {said}" in out
    _, out, _ = cli("check", str(with_yaml))
    assert f"conformance.yaml:{yaml_line(with_yaml, '  - rule: has-license')}: {said}" in out


def yaml_line(root, text: str) -> int:
    return (root / "conformance.yaml").read_text().splitlines().index(text) + 1


def test_pyproject_config_under_the_pytest_plugin(fixture_copy, tmp_path):
    _, with_toml = both_configs(fixture_copy)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--conformance={with_toml}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED kata-half-toml/pyproject.toml::has-license" in result.stdout
    assert "FAILED kata-half-toml/pyproject.toml::no-postgres-dependencies" not in result.stdout


def test_explain_finds_a_rule_of_the_pyproject_config(fixture_copy, cli):
    _, with_toml = both_configs(fixture_copy)
    code, out, _ = cli("explain", "has-license", str(with_toml))
    assert code == 0
    assert "Reused code needs a licence." in out


def test_both_configs_is_an_error(fixture_copy, cli):
    with_yaml, with_toml = both_configs(fixture_copy)
    (with_toml / "conformance.yaml").write_text((with_yaml / "conformance.yaml").read_text())
    code, out, err = cli("check", str(with_toml))
    line = (with_toml / "pyproject.toml").read_text().splitlines().index("[tool.conformance]") + 1
    assert (code, out) == (2, "")
    assert err == (
        f"conformance: error: pyproject.toml:{line}: [tool.conformance] here and "
        f"conformance.yaml both configure {with_toml}; keep one\n"
    )


def test_schema_error_names_pyproject_and_line(tree, cli):
    root = tree(
        {
            "pyproject.toml": '[project]\nname = "x"\n\n[tool.conformance]\n'
            'contracts = ["convex-adoption"]\n\n[[tool.conformance.rules]]\n'
            'id = "has-readme"\nkind = "path-present"\npaths = "README.md"\n'
            'message = "m"\nwhy = "w"\n\n[[tool.conformance.rules]]\n'
            'id = "second"\nkind = "path-present"\npath = "README.md"\nmessage = "m"\nwhy = "w"\n'
        }
    )
    code, _, err = cli("check", str(root))
    assert code == 2
    assert err.startswith("conformance: error: pyproject.toml:17: rules[1]"), err


def test_a_cached_table_gives_what_the_parse_gave(tree, cli, monkeypatch, tmp_path):
    """The second run reads the table back from the user's cache: without tomllib, with the
    same lines."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tree(
        {
            "pyproject.toml": '[tool.conformance]\ncontracts = ["convex-adoption"]\n\n'
            '[[tool.conformance.rules]]\nid = "a"\nkind = "path-present"\npaths = "x"\n'
            'message = "m"\nwhy = "w"\nextra = 1\n'
        }
    )
    first = cli("check", str(root))
    assert first[2].startswith("conformance: error: pyproject.toml:10: rules[0]"), first
    contract._parsed.clear()
    monkeypatch.setitem(sys.modules, "tomllib", None)  # importing it now raises ImportError
    assert cli("check", str(root)) == first


def test_error_in_a_contract_entry_names_its_line(tree, cli):
    root = tree(
        {
            "pyproject.toml": "[tool.conformance]\ncontracts = [\n"
            '  "convex-adoption",\n  { contract = "no-such" },\n]\n'
        }
    )
    code, _, err = cli("check", str(root))
    assert code == 2
    assert err.startswith("conformance: error: pyproject.toml:4: unknown contract `no-such`"), err


def test_invalid_toml_is_a_usage_error(tree, cli):
    root = tree({"pyproject.toml": "[tool.conformance]\ncontracts = [\n"})
    code, _, err = cli("check", str(root))
    assert code == 2
    assert err.startswith("conformance: error: pyproject.toml: invalid TOML: "), err


def test_broken_pyproject_beside_conformance_yaml_is_not_judged(tree, cli):
    root = tree(
        {
            "conformance.yaml": "rules:\n  - id: has-readme\n    kind: path-present\n"
            "    paths: README.md\n    message: m\n    why: w\n",
            "pyproject.toml": "[tool.conformance\n",
            "README.md": "x\n",
        }
    )
    assert cli("check", str(root))[0] == 0


def test_pyproject_without_the_table_is_no_config(tree, cli):
    # Naming the package, and even a pytest option called conformance, is not a config.
    root = tree(
        {
            "pyproject.toml": '[project]\nname = "x"\ndependencies = ["repo-conformance"]\n\n'
            '[tool.pytest.ini_options]\nconformance = ["."]\n'
        }
    )
    code, _, err = cli("check", str(root))
    assert code == 2
    assert err.startswith(
        f"conformance: error: no conformance.yaml (nor [tool.conformance] in pyproject.toml) "
        f"in {root}; `conformance init {root}` writes one, or name a contract with --contract "
        "(built in: "
    ), err


def test_init_leaves_a_pyproject_config_alone(tree, cli):
    root = tree({"pyproject.toml": '[tool.conformance]\ncontracts = ["convex-adoption"]\n'})
    code, _, err = cli("init", str(root))
    assert code == 2
    assert (
        err
        == f"conformance: error: pyproject.toml:1: [tool.conformance] already configures {root}\n"
    )
    assert not (root / "conformance.yaml").exists()


def test_key_lines_of_every_toml_form():
    text = (
        "# a comment [tool.conformance]\n"
        '[tool."conformance"]\n'
        'contracts = [ "x",\n  { contract = "y", parameters = { "kept" = [1,\n 2] } },\n]\n'
        'notes = """\n[not.a.table]\nkey = 1 \\"""\n"""\n'
        "[[tool.conformance.rules]]\n"
        "id = 'one'\n"
        "[tool.conformance.rules.options]\n"
        "when = 1979-05-27 07:32:00 # a comment\n"
        "[[tool.conformance.rules]]\n"
        "id = 'two'\n"
    )
    tomllib.loads(text)  # valid TOML, as the scanner assumes
    lines = key_lines(text)
    assert lines == {
        ("tool",): 2,
        ("tool", "conformance"): 2,
        ("tool", "conformance", "contracts"): 3,
        ("tool", "conformance", "contracts", 0): 3,
        ("tool", "conformance", "contracts", 1): 4,
        ("tool", "conformance", "contracts", 1, "contract"): 4,
        ("tool", "conformance", "contracts", 1, "parameters"): 4,
        ("tool", "conformance", "contracts", 1, "parameters", "kept"): 4,
        ("tool", "conformance", "contracts", 1, "parameters", "kept", 0): 4,
        ("tool", "conformance", "contracts", 1, "parameters", "kept", 1): 5,
        ("tool", "conformance", "notes"): 7,
        ("tool", "conformance", "rules"): 11,
        ("tool", "conformance", "rules", 0): 11,
        ("tool", "conformance", "rules", 0, "id"): 12,
        ("tool", "conformance", "rules", 0, "options"): 13,
        ("tool", "conformance", "rules", 0, "options", "when"): 14,
        ("tool", "conformance", "rules", 1): 15,
        ("tool", "conformance", "rules", 1, "id"): 16,
    }
    dotted = "[tool]\nconformance.optional = ['a-*']\n"
    tomllib.loads(dotted)
    assert key_lines(dotted)[("tool", "conformance", "optional", 0)] == 2
