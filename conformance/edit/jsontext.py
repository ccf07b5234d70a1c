"""Edit a JSON object's text in place: change one member, keep every other byte.

Re-serialising with `json` would reformat a user's package.json. Instead a small scanner records
where each object's members are written, and an edit splices the text at those offsets.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
# Numbers, true, false and null; `json.loads` has already checked the text.
_ATOM = re.compile(r"[-+.\w]+")
_SPACE = re.compile(r"[ \t\r\n]*")


class _Object(NamedTuple):
    start: int  # the "{"
    end: int  # just past the "}"
    members: list[_Member]


class _Member(NamedTuple):
    key: str
    start: int  # the key's opening quote
    key_end: int
    value_start: int
    value_end: int
    comma: int  # the comma after the member, -1 after the last one
    value: _Object | None  # the value when it is an object


class _Style(NamedTuple):
    """How new members are written: indent unit, line ending, and key/value separator."""

    unit: str
    eol: str
    colon: str


def remove_member(text: str, keys: tuple[str, ...]) -> str:
    """Remove the member at the key path `keys`; return `text` unchanged when there is none."""
    obj, depth, member = _locate(_parse(text), keys)
    if member is None or depth < len(keys) - 1:
        return text
    text = _cut(text, obj, obj.members.index(member))
    # With a duplicate key `json.loads` would now see the earlier member: remove that one too.
    return remove_member(text, keys)


def set_member(text: str, keys: tuple[str, ...], value: Any) -> str:
    """Set the member at the key path `keys` to `value`, appending it (and any missing parent
    objects) at the end of its parent object when absent."""
    root = _parse(text)
    obj, depth, member = _locate(root, keys)
    if member is None:
        return _append(text, root, obj, keys[depth:], value)
    if depth < len(keys) - 1:
        parent = ".".join(keys[: depth + 1])
        raise ValueError(f"cannot set {'.'.join(keys)}: {parent} is not an object")
    return text[: member.value_start] + _dumps(value) + text[member.value_end :]


def _parse(text: str) -> _Object:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ValueError(f"JSON text is not an object but {type(data).__name__}")
    return _object(text, _skip(text, 0))


def _skip(text: str, pos: int) -> int:
    return _SPACE.match(text, pos).end()


def _object(text: str, start: int) -> _Object:
    members = []
    pos = _skip(text, start + 1)
    while text[pos] != "}":
        key_end = _STRING.match(text, pos).end()
        value_start = _skip(text, _skip(text, key_end) + 1)
        value_end, value = _value(text, value_start)
        after = _skip(text, value_end)
        comma = after if text[after] == "," else -1
        key = json.loads(text[pos:key_end])
        members.append(_Member(key, pos, key_end, value_start, value_end, comma, value))
        pos = after if comma < 0 else _skip(text, comma + 1)
    return _Object(start, pos + 1, members)


def _value(text: str, pos: int) -> tuple[int, _Object | None]:
    """Where the value at `pos` ends, and the value itself when it is an object."""
    char = text[pos]
    if char == "{":
        obj = _object(text, pos)
        return obj.end, obj
    if char == "[":
        pos = _skip(text, pos + 1)
        while text[pos] != "]":
            pos = _skip(text, _value(text, pos)[0])
            if text[pos] == ",":
                pos = _skip(text, pos + 1)
        return pos + 1, None
    return (_STRING if char == '"' else _ATOM).match(text, pos).end(), None


def _locate(root: _Object, keys: tuple[str, ...]) -> tuple[_Object, int, _Member | None]:
    """Follow `keys` down from `root` as far as the objects go: the object reached, the depth of
    the key looked up in it, and that key's member (None when absent)."""
    if not keys:
        raise ValueError("empty key path")
    obj = root
    for depth, key in enumerate(keys[:-1]):
        member = _find(obj, key)
        if member is None or member.value is None:
            return obj, depth, member
        obj = member.value
    return obj, len(keys) - 1, _find(obj, keys[-1])


def _find(obj: _Object, key: str) -> _Member | None:
    # `json.loads` keeps the last of duplicate keys, so that is the member that counts.
    return next((m for m in reversed(obj.members) if m.key == key), None)


def _cut(text: str, obj: _Object, index: int) -> str:
    members = obj.members
    if len(members) == 1:
        return text[: obj.start] + "{}" + text[obj.end :]
    member = members[index]
    last = index == len(members) - 1
    end = member.value_end if last else member.comma + 1
    head = _line_start(text, member.start)
    tail = text.find("\n", end) + 1 or len(text)
    if not text[head : member.start].strip() and not text[end:tail].strip():
        # The member has its lines to itself: drop them whole. Without the member, the one
        # before it becomes the last and loses its comma.
        if last:
            comma = members[index - 1].comma
            return text[:comma] + text[comma + 1 : head] + text[tail:]
        return text[:head] + text[tail:]
    if last:
        return text[: members[index - 1].value_end] + text[member.value_end :]
    following = members[index + 1].start
    if "\n" in text[end:following]:
        # The next member starts its own line: keep that line break, and cut back to the
        # separator before this member instead.
        previous = members[index - 1].comma + 1 if index else obj.start + 1
        return text[:previous] + text[end:]
    return text[: member.start] + text[following:]


def _append(text: str, root: _Object, obj: _Object, keys: tuple[str, ...], value: Any) -> str:
    style = _style(text, root)
    inline = style._replace(unit="", eol="")
    if obj.members:
        last = obj.members[-1]
        indent = text[_line_start(text, last.start) : last.start]
        if indent.strip():
            space = " " if style.colon.endswith(" ") else ""
            addition = "," + space + _render(keys, value, "", inline)
        else:
            addition = "," + style.eol + indent + _render(keys, value, indent, style)
        return text[: last.value_end] + addition + text[last.value_end :]
    if root.members and "\n" not in text[root.start : root.end]:
        body = "{" + _render(keys, value, "", inline) + "}"
    else:
        line = text[_line_start(text, obj.start) : obj.start]
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        inner = indent + style.unit
        member = _render(keys, value, inner, style)
        body = "{" + style.eol + inner + member + style.eol + indent + "}"
    return text[: obj.start] + body + text[obj.end :]


def _style(text: str, root: _Object) -> _Style:
    """The file's own style, read from its first member; two spaces and ": " when it has none."""
    eol = "\r\n" if "\r\n" in text else "\n"
    if not root.members:
        return _Style("  ", eol, ": ")
    first = root.members[0]
    indent = text[_line_start(text, first.start) : first.start]
    unit = indent if indent and not indent.strip() else "  "
    return _Style(unit, eol, text[first.key_end : first.value_start])


def _render(keys: tuple[str, ...], value: Any, indent: str, style: _Style) -> str:
    """A new member for `keys[0]` on a line indented by `indent`, its value wrapped in one new
    object per further key."""
    head = _dumps(keys[0]) + style.colon
    if len(keys) == 1:
        return head + _dumps(value)
    inner = indent + style.unit
    member = _render(keys[1:], value, inner, style)
    return head + "{" + style.eol + inner + member + style.eol + indent + "}"


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
