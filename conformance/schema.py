"""JSON Schemas of contract files and `conformance.yaml`, assembled from the rule kinds.

Each rule kind declares its own options, so the schema for a rule is an `if kind == X then
X's options` branch per kind, and a misspelt key is rejected where it stands. Validation reports
the first violation as `file:line: where: what`.
"""

from __future__ import annotations

import os
import re
import sys

from .containment import PATH_FORMAT, spelled_outside
from .model import PARAMETER, UsageError, did_you_mean
from .repo import YamlDocument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# `x-literal`: read as written, never filled from a parameter, so `${name}` gets no pass there.
RULE_ID = {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$", "x-literal": True}
COMMON_PROPERTIES = {
    "id": {**RULE_ID, "description": "The rule's name in reports, `--select` and waivers."},
    "kind": {"type": "string", "x-literal": True, "description": "What the rule checks."},
    "message": {
        "type": "string",
        "minLength": 1,
        "format": "message",
        "description": "A finding's message: `{item}`, `{path}` and the kind's facts are "
        "filled in; `{{ }}` are braces.",
    },
    "why": {"type": "string", "minLength": 1, "description": "The reason, shown by `explain`."},
    "when": {
        "type": "object",
        "x-literal": True,
        "description": "Parameter → value: the rule applies only when each has it (a phase).",
    },
    "optional": {
        "type": "boolean",
        "x-literal": True,
        "default": False,
        "description": "With nothing to check, the rule is `unchecked` without failing the run.",
    },
}


_FORMAT_NAMES = {
    "repository-path": "path",
    "glob": "glob",
    "regex": "regex",
    "sql_identifier": "SQL identifier",
    "message": "string",
}


def option_type(schema: dict[str, Any]) -> str:
    """An option's schema as a reader says it: `path or list of paths`, `mapping of string to
    string` (the rule-kind reference and `conformance explain KIND`)."""
    if "anyOf" in schema:
        shapes = [option_type(option) for option in schema["anyOf"]]
        single, *rest = shapes
        if rest == [f"list of {single}s"]:
            return f"{single} or list of {single}s"
        return " or ".join(shapes)
    if "enum" in schema:
        return "one of " + ", ".join(f"`{value}`" for value in schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        return _FORMAT_NAMES.get(schema.get("format"), "string")
    if kind == "array":
        items = schema.get("items", {})
        if "enum" in items:
            return "list of " + ", ".join(f"`{value}`" for value in items["enum"])
        return f"list of {option_type(items)}s"
    if kind == "object":
        values = schema.get("additionalProperties")
        if isinstance(values, dict):
            return f"mapping of string to {option_type(values)}"
        return "mapping"
    return {"boolean": "boolean"}.get(kind, "any value")


def options_schema(kind: str) -> dict[str, Any]:
    """The schema of one kind's options (its own, and its `fix:`)."""
    from .rules import KINDS
    from .rules.base import GENERIC_FIX

    rule_kind = KINDS[kind]

    def documented(name: str, schema: dict[str, Any]) -> dict[str, Any]:
        notes = {}
        if name in rule_kind.option_help:
            notes["description"] = rule_kind.option_help[name]
        if name in rule_kind.option_defaults:
            notes["default"] = rule_kind.option_defaults[name]
        return {**schema, **notes} if notes else schema

    fix = {
        name: documented(f"fix.{name}", schema)
        for name, schema in {**GENERIC_FIX, **rule_kind.fix_properties}.items()
    }
    return {
        "type": "object",
        "properties": {
            **{name: documented(name, schema) for name, schema in rule_kind.properties.items()},
            "fix": {"type": "object", "additionalProperties": False, "properties": fix},
        },
    }


def rule_schema() -> dict[str, Any]:
    from .rules import KINDS

    branches = [
        {
            "if": {"properties": {"kind": {"const": name}}, "required": ["kind"]},
            "then": {
                "properties": {**COMMON_PROPERTIES, **options_schema(name)["properties"]},
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
    from .project import FACTS

    # A parameter needs a `default`, a `discover` (a fact of the project model), or both (the
    # default applies when discovery finds nothing); the loader says which is missing.
    parameter = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "default": {},
            "discover": {"enum": sorted(FACTS)},
            "description": {"type": "string"},
            "choices": {"type": "array", "minItems": 1},
        },
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
            # The fact whose presence makes `conformance init` propose the contract.
            "subject": {"enum": sorted(FACTS)},
            "parameters": {"type": "object", "additionalProperties": parameter},
            "rules": {"type": "array", "items": rule_schema()},
        },
    }


# An accepted exception: which rule (and optionally which paths), why, and until when.
WAIVER = {
    "type": "object",
    "required": ["rule", "reason"],
    "additionalProperties": False,
    "properties": {
        "rule": RULE_ID,
        "path": {"type": "string", "format": "glob"},
        "reason": {"type": "string", "minLength": 1},
        "expires": {"format": "date"},
    },
}


def config_schema(with_rules: bool = True) -> dict[str, Any]:
    """`with_rules=False` leaves the extra rules unchecked: their schema imports every rule
    kind, which a config without `rules:` does not need to pay for."""
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
            "rules": {"type": "array", "items": rule_schema() if with_rules else {}},
            "waivers": {"type": "array", "items": WAIVER},
            # Rule ids (globs allowed) that may stay unchecked without failing the run.
            "optional": {"type": "array", "items": {"type": "string", "format": "glob"}},
            # The known findings `check` does not fail on (`conformance baseline` writes it),
            # relative to the repository; and whether entries it holds that match nothing any
            # more (fixed, not yet pruned) fail the run.
            "baseline": {"type": "string", "minLength": 1},
            "strict_baseline": {"type": "boolean"},
        },
    }


# What an editor accepts where the loader accepts a parameter: its value is checked once the
# contract's parameters are filled in.
PARAMETER_REFERENCE = {"type": "string", "pattern": r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$"}


def editor_schema(which: str) -> dict[str, Any]:
    """The schema `conformance schema` prints for editors (yaml-language-server): `contract` for
    contract files, `config` for conformance.yaml, each as `validate` reads it, but a `${name}`
    reference is accepted wherever the loader accepts one."""
    schema = contract_schema() if which == "contract" else config_schema()
    return _shared_parts_named(_parameters_allowed(schema))


def _shared_parts_named(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with each large part it repeats (a fix's rendered files, once per rule kind)
    written once under `definitions` and referred to: 1.3 MB of JSON becomes ~0.2 MB."""
    import json

    seen: dict[str, int] = {}

    def count(part: Any) -> None:
        if isinstance(part, dict):
            text = json.dumps(part, sort_keys=True)
            seen[text] = seen.get(text, 0) + 1
            for item in part.values():
                count(item)
        elif isinstance(part, list):
            for item in part:
                count(item)

    count(schema)
    definitions: dict[str, Any] = {}
    names: dict[str, str] = {}

    def shared(part: Any, key: str) -> Any:
        if isinstance(part, list):
            return [shared(item, key) for item in part]
        if not isinstance(part, dict):
            return part
        text = json.dumps(part, sort_keys=True)
        if seen[text] > 1 and len(text) > 300:
            if text not in names:
                name, number = key, 1
                while name in definitions:
                    number += 1
                    name = f"{key}-{number}"
                names[text] = name
                definitions[name] = None  # taken before its parts are named
                definitions[name] = inside(part, key)
            return {"$ref": f"#/definitions/{names[text]}"}
        return inside(part, key)

    def inside(part: dict[str, Any], key: str) -> dict[str, Any]:
        # A part is named after the option (or key) holding it.
        if "properties" in part:
            properties = {k: shared(v, k) for k, v in part["properties"].items()}
            return {k: properties if k == "properties" else shared(v, key) for k, v in part.items()}
        return {k: shared(v, key) for k, v in part.items()}

    named = shared(schema, "schema")
    return {**named, "definitions": definitions}


def _parameters_allowed(schema: dict[str, Any], value: bool = False) -> dict[str, Any]:
    """`schema` with each schema of a value (a property's, a list item's) also accepting a
    `${name}` reference, unless written literally (`x-literal`); the `if` of a rule's kind
    stays as it is."""
    out: dict[str, Any] = {}
    for key, part in schema.items():
        if key == "properties":
            out[key] = {name: _parameters_allowed(item, True) for name, item in part.items()}
        elif key in ("items", "additionalProperties") and isinstance(part, dict):
            out[key] = _parameters_allowed(part, True)
        elif key in ("anyOf", "allOf"):
            out[key] = [_parameters_allowed(item) for item in part]
        elif key == "then":
            out[key] = _parameters_allowed(part)
        else:
            out[key] = part
    if value and not schema.get("x-literal") and schema.get("type") != "string" and schema:
        notes = {k: out.pop(k) for k in ("description", "default") if k in out}
        return {**notes, "anyOf": [out, PARAMETER_REFERENCE]}
    return out


def option_violation(kind_name: str, options: dict[str, Any]) -> SchemaViolation | None:
    """The first way a rule's options, parameters filled in, do not fit its kind's schema."""
    try:
        check(options_schema(kind_name), options, [])
    except SchemaViolation as violation:
        return violation
    return None


class SchemaViolation(Exception):
    def __init__(self, keys: list[str | int], message: str, key: str | None = None):
        super().__init__(message)
        self.keys, self.message, self.key = keys, message, key


def validate(document: YamlDocument, which: str) -> None:
    """Raise a UsageError naming the file, line and key for the first schema violation."""
    if not isinstance(document.data, dict):
        raise UsageError("expected a mapping at the top level", document.path, 1)
    try:
        if which == "contract":
            schema = contract_schema()
        else:
            schema = config_schema(with_rules="rules" in document.data)
        check(schema, document.data, [])
    except SchemaViolation as violation:
        where = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in violation.keys)
        where = where.lstrip(".") or "top level"
        keys = [*violation.keys, violation.key] if violation.key else violation.keys
        line = document.line_of(*keys) or 1
        raise UsageError(f"{where}{violation.message}", document.path, line) from None


# The subset of JSON Schema (draft-07) the schemas above use, interpreted directly: compiling
# them with a validator library costs 60-85 ms per run, more than the whole check of a repo.
# The test suite checks the schemas and the verdicts against the `jsonschema` package.
_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def is_valid(schema: dict[str, Any], value: Any) -> bool:
    try:
        check(schema, value, [])
    except SchemaViolation:
        return False
    return True


def check(schema: dict[str, Any], value: Any, keys: list[str | int]) -> None:
    if isinstance(value, str) and PARAMETER.fullmatch(value) and not schema.get("x-literal"):
        return  # `${name}` stands for a parameter's value, whatever its shape
    _check_plain(schema, value, keys)
    kind = schema.get("type")
    if kind and not isinstance(value, _TYPES[kind]):
        raise SchemaViolation(keys, f" must be {_shape(schema)}")
    if "const" in schema and value != schema["const"]:
        raise SchemaViolation(keys, f" must be {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        if keys and keys[-1] == "kind":
            hint = did_you_mean(str(value), schema["enum"])
            raise SchemaViolation(keys, f": unknown rule kind `{value}`{hint}")
        raise SchemaViolation(keys, f" must be one of: {', '.join(map(str, schema['enum']))}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            raise SchemaViolation(keys, " must not be empty")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise SchemaViolation(keys, f" must match pattern {schema['pattern']}")
    if "format" in schema and (isinstance(value, str) or schema["format"] == "date"):
        problem = _FORMATS[schema["format"]](value)
        if problem:
            raise SchemaViolation(keys, f": {problem}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            raise SchemaViolation(keys, " must not be empty")
        for index, item in enumerate(value):
            if "items" in schema:
                check(schema["items"], item, [*keys, index])
            else:
                _check_plain({}, item, [*keys, index], deep=True)
    if isinstance(value, dict):
        _check_mapping(schema, value, keys)
    if "anyOf" in schema and not any(is_valid(option, value) for option in schema["anyOf"]):
        # The option of the value's own type says what is wrong inside it (a bad regex in a
        # list of regexes); a value of no option's type gets the shapes it may take.
        for option in schema["anyOf"]:
            if "type" in option and isinstance(value, _TYPES[option["type"]]):
                check(option, value, keys)
        shapes = " or ".join(_shape(option) for option in schema["anyOf"])
        raise SchemaViolation(keys, f" must be {shapes}")
    for part in schema.get("allOf", ()):
        check(part, value, keys)
    if "if" in schema and "then" in schema and is_valid(schema["if"], value):
        check(schema["then"], value, keys)


# What YAML reads that JSON has no word for: dates, times, binary, sets.
_PLAIN = (str, bool, int, float, list, dict, type(None))


def _check_plain(schema: dict[str, Any], value: Any, keys: list[str | int], deep=False) -> None:
    """Contracts hold plain data: a YAML date is only a date where the schema asks for one
    (`format: date`); mapping keys are strings. `deep` checks what no schema describes."""
    # A date can only have been read by PyYAML, which imported `datetime`: a run whose contracts
    # all came from the cache need not import it (~1 ms).
    datetime = sys.modules.get("datetime")
    if datetime is not None and isinstance(value, datetime.date):
        if schema.get("format") != "date":
            raise SchemaViolation(keys, f": `{value}` is read as a date; quote it for a string")
        if isinstance(value, datetime.datetime):
            raise SchemaViolation(keys, f": `{value}` must be a date (YYYY-MM-DD), without a time")
        return
    if not isinstance(value, _PLAIN):
        raise SchemaViolation(keys, f": a YAML {type(value).__name__} is not plain data")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise SchemaViolation(keys, f": the key `{key}` must be a string (quote it)")
            if deep:
                _check_plain({}, item, [*keys, key], deep=True)
    elif isinstance(value, list) and deep:
        for index, item in enumerate(value):
            _check_plain({}, item, [*keys, index], deep=True)


def _check_mapping(schema: dict[str, Any], value: dict, keys: list[str | int]) -> None:
    properties = schema.get("properties", {})
    additional = schema.get("additionalProperties", True)
    # A misspelt key also leaves a required key missing; the misspelling is the news.
    if additional is False:
        for key in value:
            if key not in properties:
                hint = did_you_mean(str(key), sorted(properties))
                raise SchemaViolation(keys, f": unknown key `{key}`{hint}", key=key)
    for key in schema.get("required", ()):
        if key not in value:
            raise SchemaViolation(keys, f": missing key `{key}`")
    for key, item in value.items():
        if key in properties:
            check(properties[key], item, [*keys, key])
        elif isinstance(additional, dict):
            check(additional, item, [*keys, key])
        else:
            _check_plain({}, item, [*keys, key], deep=True)


def _regex_problem(value: str) -> str | None:
    try:
        re.compile(value)
    except (re.error, OverflowError, RecursionError) as error:
        return f"`{value}` is not a regular expression: {error}"
    return None


def _glob_problem(value: str) -> str | None:
    from .globs import glob_problem

    return glob_problem(value)


def _path_problem(value: str) -> str | None:
    """A repository path or glob: valid, and inside the root by its spelling (what a symlink
    leads to is checked where the path is read)."""
    if spelled_outside(value):
        return f"`{value}` is outside the repository"
    if "\x00" in value:
        return "a path cannot hold a NUL byte"
    try:
        os.fsencode(value)
    except UnicodeEncodeError:
        return "a path cannot hold a lone surrogate"
    return _glob_problem(value)


def _message_problem(value: str) -> str | None:
    """A message is `str.format`-ted with named facts only: `{item}`, never `{0}`, `{item.x}`,
    a conversion or a format spec (`{item:999999999}` asks for a gigabyte of padding)."""
    import string

    try:
        fields = [field for _, *field in string.Formatter().parse(value) if field[0] is not None]
    except ValueError as error:
        return f"{str(error).lower()}: write `{{{{` and `}}}}` for braces"
    for name, spec, conversion in fields:
        shown = (
            "{"
            + name
            + (f"!{conversion}" if conversion else "")
            + (f":{spec}" if spec else "")
            + "}"
        )
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            return f"`{shown}` is not a fact: name one, `{{item}}` or `{{path}}`"
        if spec or conversion:
            return f"`{shown}`: a fact takes no conversion or format spec"
    return None


def _date_problem(value: Any) -> str | None:
    """A waiver's expiry: a YAML date, or a string holding one."""
    import datetime

    if isinstance(value, datetime.date):
        return None
    if not isinstance(value, str):
        return "must be a date (YYYY-MM-DD)"
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return f"`{value}` is not a date (YYYY-MM-DD)"
    return None


def _sql_identifier_problem(value: str) -> str | None:
    from .model import SQL_IDENTIFIER

    if SQL_IDENTIFIER.fullmatch(value):
        return None
    return f"`{value}` is not an SQL identifier (lower-case letters, digits and `_`)"


_FORMATS = {
    "regex": _regex_problem,
    "sql_identifier": _sql_identifier_problem,
    "glob": _glob_problem,
    PATH_FORMAT: _path_problem,
    "message": _message_problem,
    "date": _date_problem,
}


def _shape(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items", {}).get("type")
        return {"string": "a list of strings", "object": "a list of mappings"}.get(items, "a list")
    return {"string": "a string", "object": "a mapping", "boolean": "true or false"}.get(
        kind, "a value"
    )
