"""The shape a value read from a repository's JSON or YAML must have.

A file that parses can still hold anything: `"dependencies": true`, `"scripts": []`, a compose
service that is a string. What a rule cannot read is a `FileProblem` at the line of its key
("`scripts` is an array, expected an object"), which the rule reports as "cannot check", never a
traceback. Data absent or null is no problem: there is nothing there to read.
"""

from __future__ import annotations

from .model import FileProblem

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def described(value: Any) -> str:
    """What a parsed JSON/YAML value is, in words: `an array`, `a boolean`, `null`…"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"  # YAML's dates, timestamps, binary


def shown(keys: tuple[str | int, ...]) -> str:
    return "`" + ".".join(map(str, keys)) + "`"


def mapping(document: Any, *keys: str, writing: bool = False) -> dict[str, Any]:
    """The object at `keys` of a parsed document (with `path`, `data` and `line_of`; no keys:
    the whole document): empty when absent or null, FileProblem at the key's line when it is
    anything else. `writing` (a fix adds to it): null is a problem too, nothing can go in it."""
    value = document.data
    for depth in range(len(keys) + 1):
        if value is _ABSENT or (value is None and not writing):
            return {}
        where = keys[:depth]
        if not isinstance(value, dict):
            what = shown(where) if where else "the file"
            line = document.line_of(*where) if where else 1
            raise FileProblem(
                document.path, f"{what} is {described(value)}, expected an object", line
            )
        if depth < len(keys):
            value = value.get(keys[depth], _ABSENT)
    return value


_ABSENT = object()


def string(document: Any, *keys: str) -> str | None:
    """The string at `keys` (None when absent or null), FileProblem when it is something else."""
    parent = mapping(document, *keys[:-1])
    value = parent.get(keys[-1])
    if value is None or isinstance(value, str):
        return value
    raise FileProblem(
        document.path,
        f"{shown(keys)} is {described(value)}, expected a string",
        document.line_of(*keys),
    )


def strings(document: Any, *keys: str) -> list[str]:
    """The array of strings at `keys` (empty when absent or null), FileProblem at the line of
    the first value that is not one."""
    parent = mapping(document, *keys[:-1])
    value = parent.get(keys[-1])
    if value is None:
        return []
    if not isinstance(value, list):
        raise FileProblem(
            document.path,
            f"{shown(keys)} is {described(value)}, expected an array",
            document.line_of(*keys),
        )
    for index, item in enumerate(value):
        if not isinstance(item, str):
            where = (*keys, index)
            raise FileProblem(
                document.path,
                f"{shown(where)} is {described(item)}, expected a string",
                document.line_of(*where),
            )
    return value
