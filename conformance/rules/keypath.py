"""Assertions on a key path inside a JSON, YAML or TOML file."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import FileProblem, Finding, Rule
from ..repo import RepoView
from .base import PATHS, REGEX, STRING, RuleKind

TYPE_CHECKING = False  # `typing` costs ~5 ms of start-up; annotations are not evaluated
if TYPE_CHECKING:
    from typing import Any

_MISSING = object()
_FORMATS = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}


def split_key(key: str | list) -> list[str | int]:
    """`a.b.0` → ["a", "b", 0]; a list is taken as is (for keys that contain dots)."""
    parts = key if isinstance(key, list) else key.split(".")
    return [int(p) if isinstance(p, str) and p.isdigit() else p for p in parts]


def lookup(data: Any, keys: list[str | int]) -> Any:
    for key in keys:
        in_dict = isinstance(data, dict) and key in data
        if in_dict or (isinstance(data, list) and isinstance(key, int) and key < len(data)):
            data = data[key]
        else:
            return _MISSING
    return data


class KeyPath(RuleKind):
    """A value inside a JSON, YAML or TOML file must exist (or not), equal a value, or match.

    Configuration carries decisions too: a `convex.json` pointing at the wrong functions dir, or a
    tool config still naming the old driver. Exactly one of `exists`, `equals`, `matches` applies.
    """

    name = "key-path"
    properties = {
        "files": PATHS,
        "key": {"anyOf": [STRING, {"type": "array", "items": STRING}]},
        "exists": {"type": "boolean"},
        "equals": {},
        "matches": REGEX,
        "format": {"enum": ["json", "yaml", "toml"]},
    }
    required = ("files", "key")
    option_help = {
        "files": "JSON, YAML or TOML files to read (globs).",
        "key": "Dotted path of the key, or a list of keys (for keys holding dots).",
        "exists": "Whether the key must exist (`false`: must be absent).",
        "equals": "Value the key must hold.",
        "matches": "Regex the key's value must match.",
        "format": "Format of the files when their suffix does not tell: `json`, `yaml` or `toml`.",
    }
    option_defaults = {"exists": True}
    example = """\
id: convex-functions-dir
kind: key-path
files: convex.json
key: functions
equals: convex/
message: "{item}"
why: The CLI deploys the functions from where the code lives.
"""
    hint = "Edit the value in the file."

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        keys = split_key(rule.options["key"])
        shown = ".".join(str(k) for k in keys)
        options = rule.options

        def check_file(path: str) -> Iterator[Finding]:
            fmt = options.get("format") or _FORMATS.get(path[path.rfind(".") :])
            if fmt is None:
                raise FileProblem(path, "unknown format; set `format` to json, yaml or toml")
            document = getattr(repo, fmt)(path)
            data = document if fmt == "toml" else document.data
            value = lookup(data, keys)
            line = None if fmt == "toml" else document.line_of(*keys)
            expect_exists = options.get("exists", True)
            if value is _MISSING:
                if expect_exists:
                    yield self.finding(rule, path, line, f"`{shown}` is missing", key=shown)
            elif not expect_exists:
                yield self.finding(rule, path, line, f"`{shown}` must not be set", key=shown)
            elif "equals" in options and value != options["equals"]:
                item = f"`{shown}` is {value!r}, expected {options['equals']!r}"
                yield self.finding(rule, path, line, item, key=shown)
            elif "matches" in options and not re.search(options["matches"], str(value)):
                item = f"`{shown}` is {value!r}, expected /{options['matches']}/"
                yield self.finding(rule, path, line, item, key=shown)

        return self.each_file(rule, repo, check_file, required=bool(options.get("exists", True)))
