"""docs/rule-kinds.md is what docs/generate.py writes from the kinds, every option of every kind
is described, and every kind's example is a rule the contract loader accepts as written."""

from __future__ import annotations

import importlib.util

import pytest
import yaml
from conftest import ROOT

from conformance.contract import load_contract
from conformance.rules import KINDS


def _generator():
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_checked_in_page_is_what_the_generator_writes():
    page = (ROOT / "docs" / "rule-kinds.md").read_text(encoding="utf-8")
    assert page == _generator().render(), "run: python docs/generate.py"


@pytest.mark.parametrize("name", list(KINDS))
def test_every_option_is_described_and_its_default_is_an_option(name):
    kind = KINDS[name]
    options = {*kind.properties, *(f"fix.{option}" for option in kind.fix_properties)}
    assert set(kind.option_help) == options
    assert all(text.strip() for text in kind.option_help.values())
    assert set(kind.option_defaults) <= options


@pytest.mark.parametrize("name", list(KINDS))
def test_every_example_loads_through_the_contract_loader(name, tmp_path):
    example = yaml.safe_load(KINDS[name].example)
    assert example["kind"] == name
    contract = {"name": "example", "description": "d", "rules": [example]}
    path = tmp_path / "example.yaml"
    path.write_text(yaml.safe_dump(contract, sort_keys=False), encoding="utf-8")
    (loaded,) = load_contract(str(path), tmp_path).rules
    written = {k: v for k, v in example.items() if k not in ("id", "kind", "message", "why")}
    assert (loaded.id, loaded.kind, loaded.options) == (example["id"], name, written)
    # An option the kind does not know would have been refused: the example shows real ones.
    assert set(written) - {"fix"} <= set(KINDS[name].properties)


def test_a_kind_without_help_fails_the_check(monkeypatch):
    generator = _generator()
    monkeypatch.setitem(KINDS["path-absent"].option_help, "paths", "Something else.")
    assert "Something else." in generator.render()
    assert generator.render() != (ROOT / "docs" / "rule-kinds.md").read_text(encoding="utf-8")
