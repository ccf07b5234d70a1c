"""`conformance schema`: the JSON Schema an editor (yaml-language-server) validates contract
files and conformance.yaml with, the loader's schema with `${name}` references allowed."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import FIXTURES, ROOT

CONTRACTS = sorted((ROOT / "conformance" / "contracts").glob("*.yaml"))


def _schema(cli, *which: str) -> dict:
    code, out, err = cli("schema", *which)
    assert (code, err) == (0, "")
    schema = json.loads(out)
    jsonschema.Draft7Validator.check_schema(schema)
    return schema


def _errors(schema: dict, document) -> list[str]:
    return [error.message for error in jsonschema.Draft7Validator(schema).iter_errors(document)]


def test_the_default_is_the_contract_schema(cli):
    assert _schema(cli) == _schema(cli, "contract")
    assert _schema(cli)["title"] == "conformance contract"


@pytest.mark.parametrize("path", CONTRACTS, ids=lambda p: p.name)
def test_every_built_in_contract_fits_the_contract_schema(cli, path: Path):
    assert _errors(_schema(cli, "contract"), yaml.safe_load(path.read_text())) == []


def test_the_contract_schema_rejects_what_the_loader_rejects(cli):
    schema = _schema(cli, "contract")
    contract = {
        "name": "c",
        "description": "d",
        "parameters": {"kinds": {"default": ["query"]}},
        "rules": [
            {
                "id": "auth",
                "kind": "convex-auth-required",
                "message": "m",
                "why": "w",
                "files": "convex/**/*.ts",
                # A list option may be a parameter: its value is checked once filled in.
                "builders": "${kinds}",
            }
        ],
    }
    assert _errors(schema, contract) == []
    misspelt = json.loads(json.dumps(contract))
    misspelt["rules"][0]["filez"] = "x"
    assert _errors(schema, misspelt) != []
    unknown = json.loads(json.dumps(contract))
    unknown["rules"][0]["kind"] = "no-such-kind"
    assert _errors(schema, unknown) != []
    wrong = json.loads(json.dumps(contract))
    wrong["rules"][0]["builders"] = ["queryy"]
    assert _errors(schema, wrong) != []


def test_every_fixture_config_fits_the_config_schema(cli):
    schema = _schema(cli, "config")
    configs = sorted(FIXTURES.glob("*/conformance.yaml"))
    assert configs
    for config in configs:
        assert _errors(schema, yaml.safe_load(config.read_text())) == [], config
    assert _errors(schema, {"contract": ["convex-adoption"]}) != []  # `contracts`, misspelt


def test_an_unknown_schema_is_a_usage_error(cli):
    code, out, err = cli("schema", "contracts")
    assert (code, out) == (2, "")
    assert err.startswith("conformance: error: argument which: invalid choice: 'contracts'")
