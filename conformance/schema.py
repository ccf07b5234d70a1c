"""JSON Schemas of contract files and `conformance.yaml`, assembled from the rule kinds.

Each rule kind declares its own options, so the schema for a rule is an `if kind == X then
X's options` branch per kind, and a misspelt key is rejected where it stands.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .contract import did_you_mean
from .model import UsageError
from .repo import YamlDocument

RULE_ID = {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$"}
COMMON_PROPERTIES = {
    "id": RULE_ID,
    "kind": {"type": "string"},
    "message": {"type": "string", "minLength": 1},
    "why": {"type": "string", "minLength": 1},
}


def rule_schema() -> dict[str, Any]:
    from .rules import KINDS

    branches = [
        {
            "if": {"properties": {"kind": {"const": name}}, "required": ["kind"]},
            "then": {
                "properties": {**COMMON_PROPERTIES, **kind.properties},
                "required": list(kind.required),
                "additionalProperties": False,
            },
        }
        for name, kind in KINDS.items()
    ]
    return {
        "type": "object",
        "required": ["id", "kind", "message", "why"],
        "properties": {"kind": {"enum": sorted(KINDS)}},
        "allOf": branches,
    }


def contract_schema() -> dict[str, Any]:
    parameter = {
        "type": "object",
        "required": ["default"],
        "additionalProperties": False,
        "properties": {"default": {}, "description": {"type": "string"}},
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "conformance contract",
        "type": "object",
        "required": ["name", "description", "rules"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
            "description": {"type": "string"},
            "parameters": {"type": "object", "additionalProperties": parameter},
            "rules": {"type": "array", "items": rule_schema()},
        },
    }


def config_schema() -> dict[str, Any]:
    reference = {
        "type": "object",
        "required": ["contract"],
        "additionalProperties": False,
        "properties": {"contract": {"type": "string"}, "parameters": {"type": "object"}},
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "conformance.yaml",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "contracts": {
                "type": "array",
                "items": {"anyOf": [{"type": "string"}, reference]},
            },
            "rules": {"type": "array", "items": rule_schema()},
        },
    }


@cache
def _validator(which: str):
    import fastjsonschema

    schema = contract_schema() if which == "contract" else config_schema()
    return fastjsonschema.compile(schema)


def validate(document: YamlDocument, which: str) -> None:
    """Raise a UsageError naming the file, line and key for the first schema violation."""
    import fastjsonschema

    if not isinstance(document.data, dict):
        raise UsageError("expected a mapping at the top level", document.path, 1)
    try:
        _validator(which)(document.data)
    except fastjsonschema.JsonSchemaValueException as error:
        keys = [int(k) if k.isdigit() else k for k in error.path[1:]]
        raise _explain(document, keys, error) from None


def _explain(document: YamlDocument, keys: list, error) -> UsageError:
    where = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".")
    where = where or "top level"
    definition = error.definition or {}
    closed = definition.get("additionalProperties") is False and isinstance(error.value, dict)
    # A misspelt key also leaves a required key missing; the misspelling is the news.
    if closed and error.rule in ("additionalProperties", "required"):
        allowed = sorted(definition.get("properties", {}))
        extra = sorted(set(error.value) - set(allowed))
        if extra:
            hint = did_you_mean(extra[0], allowed)
            line = document.line_of(*keys, extra[0])
            return UsageError(f"{where}: unknown key `{extra[0]}`{hint}", document.path, line)
    if error.rule == "required" and isinstance(error.value, dict):
        missing = [key for key in definition.get("required", []) if key not in error.value]
        line = document.line_of(*keys) or 1
        return UsageError(f"{where}: missing key `{missing[0]}`", document.path, line)
    if error.rule == "enum" and keys and keys[-1] == "kind":
        hint = did_you_mean(str(error.value), error.definition["enum"])
        line = document.line_of(*keys)
        return UsageError(f"{where}: unknown rule kind `{error.value}`{hint}", document.path, line)
    if error.rule == "anyOf":
        shapes = " or ".join(_shape(option) for option in definition["anyOf"])
        return UsageError(f"{where} must be {shapes}", document.path, document.line_of(*keys))
    message = error.message.replace(error.name, where, 1) if error.name else error.message
    return UsageError(message, document.path, document.line_of(*keys) or 1)


def _shape(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items", {}).get("type")
        return "a list of " + {"string": "strings", "object": "mappings"}.get(items, "values")
    return {"string": "a string", "object": "a mapping"}.get(kind, "a value")
