"""Contract files and conformance.yaml: validated on load, errors as `file:line: what`, exit 2."""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from conformance.contract import (
    BUILTIN_DIR,
    builtin_names,
    load_contract,
    load_rules,
)
from conformance.model import UsageError
from conformance.parameters import substitute
from conformance.project import each
from conformance.repo import parse_yaml
from conformance.schema import config_schema, contract_schema, validate

RULE = "  - id: a\n    kind: path-absent\n    paths: x\n    message: m\n    why: w\n"


def contract_text(rules: str = RULE, head: str = "name: mine\ndescription: d\n") -> str:
    return head + "rules:\n" + rules


def error_of(cli, root, contract: str) -> str:
    (root / "c.yaml").write_text(contract)
    code, out, err = cli("check", ".", "--contract", "c.yaml")
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    return err.removeprefix("conformance: error: ").strip()


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("contract", "expected"),
    [
        (
            contract_text(RULE.replace("paths:", "pths:")),
            "c.yaml:6: rules[0]: unknown key `pths` (did you mean `paths`?)",
        ),
        (
            contract_text(RULE.replace("path-absent", "path-absnt")),
            "c.yaml:5: rules[0].kind: unknown rule kind `path-absnt` (did you mean `path-absent`?)",
        ),
        (contract_text(RULE.replace("    why: w\n", "")), "c.yaml:4: rules[0]: missing key `why`"),
        (
            contract_text(RULE.replace("paths: x", "paths: 3")),
            "c.yaml:6: rules[0].paths must be a string or a list of strings",
        ),
        (
            contract_text(RULE.replace("paths: x", "paths: ${nope}")),
            "c.yaml:6: rules[0].paths: unknown parameter `${nope}`",
        ),
        (
            contract_text(RULE.replace("id: a", "id: A B")),
            "c.yaml:4: rules[0].id must match pattern ^[a-z0-9][a-z0-9._-]*$",
        ),
        (
            "name: mine\ndescriptoin: d\nrules: []\n",
            "c.yaml:2: top level: unknown key `descriptoin` (did you mean `description`?)",
        ),
        (
            "name: x\n  bad: [\n",
            "c.yaml:2: invalid YAML: mapping values are not allowed in this context",
        ),
        ("- just\n- a list\n", "c.yaml:1: expected a mapping at the top level"),
        (contract_text(RULE + RULE), "c.yaml:9: rule id `a` is defined twice (also in c.yaml)"),
    ],
)
def test_contract_errors_name_file_and_line(cli, root, contract, expected):
    assert error_of(cli, root, contract) == expected


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            "contract:\n  - convex-adoption\n",
            "conformance.yaml:1: top level: unknown key `contract` (did you mean `contracts`?)",
        ),
        (
            "contracts:\n  - convex-adoptoin\n",
            "conformance.yaml:2: unknown contract `convex-adoptoin` (did you mean `convex-adoption`?)",
        ),
        (
            "contracts:\n  - contract: convex-adoption\n    parameters:\n      pakage: x\n",
            "conformance.yaml:4: contract `convex-adoption` has no parameter `pakage` (did you mean `package`?)",
        ),
        ("contracts: convex-adoption\n", "conformance.yaml:1: contracts must be a list"),
        ("contracts:\n  - 3\n", "conformance.yaml:2: contracts[0] must be a string or a mapping"),
        ("contracts:\n  - ./missing.yaml\n", "./missing.yaml: no such file"),
        (
            "contracts: [\n",
            "conformance.yaml:2: invalid YAML: did not find expected node content",
        ),
    ],
)
def test_config_errors_name_file_and_line(cli, root, config, expected):
    (root / "conformance.yaml").write_text(config)
    code, out, err = cli("check", str(root))
    assert (code, out) == (2, "")
    assert err == f"conformance: error: {expected}\n"


def test_config_with_overrides_and_extra_rules(tree):
    root = tree(
        {
            "conformance.yaml": "contracts:\n  - contract: convex-adoption\n    parameters:\n"
            "      package: services/data\n"
            "rules:\n  - id: no-env-file\n    kind: path-absent\n    paths: .env\n"
            "    message: m\n    why: w\n",
        }
    )
    rules = {rule.id: rule for rule in load_rules(root)}
    assert rules["convex-dependency"].options["files"] == "services/data/package.json"
    assert rules["no-env-file"].contract == "conformance.yaml"


def test_list_parameters_are_spliced():
    contract = load_contract("convex-adoption", BUILTIN_DIR)
    rule = next(r for r in contract.rules if r.id == "no-postgres-service")
    assert "postgres" in rule.options["names"] and "postgis/*" in rule.options["images"]


@pytest.mark.parametrize(
    "contract",
    [
        contract_text(),
        contract_text(RULE.replace("paths:", "pths:")),
        contract_text(RULE.replace("path-absent", "path-absnt")),
        contract_text(RULE.replace("    why: w\n", "")),
        contract_text(RULE.replace("paths: x", "paths: 3")),
        contract_text(RULE.replace("paths: x", "paths: [x, 3]")),
        contract_text(RULE.replace("paths: x", "paths: [x, y]")),
        contract_text(RULE.replace("id: a", "id: A B")),
        contract_text(RULE.replace("message: m", "message: ''")),
        contract_text(
            RULE.replace(
                "kind: path-absent\n    paths: x",
                "kind: dependency-absent\n    files: p\n    names: pg\n    sections: [dependencies]",
            )
        ),
        contract_text(
            RULE.replace(
                "kind: path-absent\n    paths: x",
                "kind: dependency-absent\n    files: p\n    names: pg\n    sections: [deps]",
            )
        ),
        contract_text(
            RULE.replace(
                "kind: path-absent\n    paths: x",
                "kind: dependency-absent\n    files: p\n    names: pg\n    sections: []",
            )
        ),
        contract_text(
            RULE.replace(
                "kind: path-absent\n    paths: x",
                "kind: key-path\n    files: p\n    key: a\n    exists: 'yes'",
            )
        ),
        contract_text(
            RULE.replace(
                "kind: path-absent\n    paths: x",
                "kind: python\n    function: c.py:f\n    args: {a: 1}",
            )
        ),
        "name: mine\ndescriptoin: d\nrules: []\n",
        "name: mine\ndescription: d\nparameters:\n  p: {default: 1}\nrules: []\n",
        "name: mine\ndescription: d\nparameters:\n  p: {description: x}\nrules: []\n",
    ],
)
def test_validator_agrees_with_jsonschema(contract):
    """The built-in interpreter of the schema gives the same verdicts as the jsonschema package."""
    data = yaml.safe_load(contract)
    document = parse_yaml("c.yaml", contract)
    expected = jsonschema.Draft7Validator(contract_schema()).is_valid(data)
    try:
        validate(document, "contract")
    except UsageError:
        assert not expected
    else:
        assert expected


def test_schemas_are_valid_draft7():
    jsonschema.Draft7Validator.check_schema(contract_schema())
    jsonschema.Draft7Validator.check_schema(config_schema())


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_contracts_validate(name):
    """Built-ins skip validation at run time (speed); this is where they are validated."""
    path = BUILTIN_DIR / f"{name}.yaml"
    document = parse_yaml(path.name, path.read_text())
    validate(document, "contract")
    # With the defaults filled in, every value also has the shape its kind expects.
    data = yaml.safe_load(path.read_text())
    # A discovered parameter stands in as what discovery gives: one subject, or a list.
    defaults = {
        name: spec["default"] if "default" in spec else "x" if each(spec["discover"]) else ["x"]
        for name, spec in data.get("parameters", {}).items()
    }
    data["rules"] = substitute(data["rules"], defaults)
    jsonschema.validate(data, contract_schema())


def test_when_selects_rules_by_parameter(tmp_path, cli):
    contract = tmp_path / "c.yaml"
    contract.write_text(
        "name: phased\ndescription: d\nparameters:\n  phase: {default: one}\nrules:\n"
        "  - id: always\n    kind: path-present\n    paths: a\n    message: m\n    why: w\n"
        "  - id: later\n    kind: path-present\n    paths: b\n    message: m\n    why: w\n"
        "    when: {phase: [two, three]}\n"
        "  - id: typo\n    kind: path-present\n    paths: c\n    message: m\n    why: w\n"
        "    when: {phse: one}\n"
    )
    code, _, err = cli("check", str(tmp_path), "--contract", str(contract))
    assert code == 2 and "c.yaml:22: rules[2].when: unknown parameter `phse`" in err
    contract.write_text(contract.read_text().replace("phse", "phase"))
    assert [r.id for r in load_rules(tmp_path, [str(contract)])] == ["always", "typo"]
    rules = load_rules(tmp_path, [str(contract)], {"phase": "two"})
    assert [r.id for r in rules] == ["always", "later"]


def test_list_and_explain_cover_rules_behind_when(cli):
    _, out, _ = cli("list", "--contract", "prisma-to-convex")
    assert "p2c-no-prisma-calls" in out and "[when phase=complete]" in out
    code, out, _ = cli("explain", "p2c-no-prisma-calls")
    assert code == 0 and "applies when: phase=complete" in out


def test_parameter_choices(cli, tmp_path):
    code, _, err = cli(
        "check", str(tmp_path), "--contract", "prisma-to-convex", "--param", "phase=compelte"
    )
    assert code == 2
    assert (
        err
        == "conformance: error: parameter `phase` of `prisma-to-convex` cannot be `compelte` (did you mean `complete`?)\n"
    )
    (tmp_path / "conformance.yaml").write_text(
        "contracts:\n  - contract: prisma-to-convex\n    parameters:\n      phase: later\n"
    )
    code, _, err = cli("check", str(tmp_path))
    assert code == 2 and err.startswith("conformance: error: conformance.yaml:4: parameter `phase`")
