from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.edit.jsontext import remove_member, set_member

PACKAGE = """{
  "name": "@kata/db",
  "scripts": {
    "build": "tsc",
    "db:migrate": "drizzle-kit migrate"
  },
  "dependencies": {
    "drizzle-orm": "^0.33.0",
    "pg": "^8.12.0",
    "zod": "^3.23.8"
  }
}
"""


def test_remove_first_dependency():
    assert remove_member(PACKAGE, ("dependencies", "drizzle-orm")) == PACKAGE.replace(
        '    "drizzle-orm": "^0.33.0",\n', ""
    )


def test_remove_middle_dependency():
    assert remove_member(PACKAGE, ("dependencies", "pg")) == PACKAGE.replace(
        '    "pg": "^8.12.0",\n', ""
    )


def test_remove_last_dependency_drops_the_previous_comma():
    assert remove_member(PACKAGE, ("dependencies", "zod")) == PACKAGE.replace(
        '    "pg": "^8.12.0",\n    "zod": "^3.23.8"\n', '    "pg": "^8.12.0"\n'
    )


def test_remove_last_top_level_member():
    assert remove_member(PACKAGE, ("dependencies",)) == (
        '{\n  "name": "@kata/db",\n  "scripts": {\n    "build": "tsc",\n'
        '    "db:migrate": "drizzle-kit migrate"\n  }\n}\n'
    )


def test_remove_the_only_member_leaves_an_empty_object_on_the_key_line():
    text = '{\n  "name": "x",\n  "dependencies": {\n    "pg": "^8"\n  },\n  "private": true\n}\n'
    assert remove_member(text, ("dependencies", "pg")) == (
        '{\n  "name": "x",\n  "dependencies": {},\n  "private": true\n}\n'
    )


def test_remove_absent_member_is_a_no_op():
    assert remove_member(PACKAGE, ("devDependencies", "pg")) is PACKAGE
    assert remove_member(PACKAGE, ("dependencies", "mysql")) is PACKAGE
    assert remove_member(PACKAGE, ("name", "pg")) is PACKAGE


def test_remove_a_multi_line_member():
    assert remove_member(PACKAGE, ("scripts",)) == PACKAGE.replace(
        '  "scripts": {\n    "build": "tsc",\n    "db:migrate": "drizzle-kit migrate"\n  },\n', ""
    )


def test_remove_repeated_key_removes_every_occurrence():
    assert remove_member('{"a": 1, "b": 2, "a": 3}', ("a",)) == '{"b": 2}'


def test_add_to_existing_object():
    assert set_member(PACKAGE, ("dependencies", "postgres"), "^3.4.4") == PACKAGE.replace(
        '"zod": "^3.23.8"\n', '"zod": "^3.23.8",\n    "postgres": "^3.4.4"\n'
    )


def test_create_missing_object():
    assert set_member(PACKAGE, ("devDependencies", "vitest"), "^2.0.0") == PACKAGE.replace(
        '    "zod": "^3.23.8"\n  }\n}',
        '    "zod": "^3.23.8"\n  },\n  "devDependencies": {\n    "vitest": "^2.0.0"\n  }\n}',
    )


def test_fill_an_empty_object():
    text = '{\n  "name": "x",\n  "dependencies": {}\n}\n'
    assert set_member(text, ("dependencies", "pg"), "^8") == (
        '{\n  "name": "x",\n  "dependencies": {\n    "pg": "^8"\n  }\n}\n'
    )


def test_fill_an_empty_document():
    assert set_member("{}\n", ("name", "first"), 1) == '{\n  "name": {\n    "first": 1\n  }\n}\n'


def test_set_existing_script_replaces_only_the_value():
    assert set_member(PACKAGE, ("scripts", "build"), "tsc -b") == PACKAGE.replace(
        '"build": "tsc"', '"build": "tsc -b"'
    )


def test_set_structured_value_is_written_compactly():
    assert set_member(PACKAGE, ("name",), {"a": [1, None]}) == PACKAGE.replace(
        '"@kata/db"', '{"a": [1, null]}'
    )


def test_set_non_ascii_value_is_written_as_is():
    assert set_member('{"a": 1}', ("a",), "café ✓") == '{"a": "café ✓"}'


def test_tab_indented_file():
    text = '{\n\t"name": "x",\n\t"dependencies": {\n\t\t"pg": "^8"\n\t}\n}\n'
    assert set_member(text, ("devDependencies", "vitest"), "^2") == (
        '{\n\t"name": "x",\n\t"dependencies": {\n\t\t"pg": "^8"\n\t},\n'
        '\t"devDependencies": {\n\t\t"vitest": "^2"\n\t}\n}\n'
    )
    assert (
        remove_member(text, ("dependencies", "pg"))
        == '{\n\t"name": "x",\n\t"dependencies": {}\n}\n'
    )


def test_four_space_file():
    text = '{\n    "name": "x",\n    "dependencies": {\n        "pg": "^8"\n    }\n}\n'
    assert set_member(text, ("dependencies", "zod"), "^3") == (
        '{\n    "name": "x",\n    "dependencies": {\n        "pg": "^8",\n'
        '        "zod": "^3"\n    }\n}\n'
    )


def test_crlf_file():
    text = '{\r\n  "name": "x",\r\n  "dependencies": {\r\n    "pg": "^8",\r\n    "zod": "^3"\r\n  }\r\n}\r\n'
    assert remove_member(text, ("dependencies", "zod")) == (
        '{\r\n  "name": "x",\r\n  "dependencies": {\r\n    "pg": "^8"\r\n  }\r\n}\r\n'
    )
    assert set_member(text, ("private",), True) == text.replace(
        "  }\r\n}", '  },\r\n  "private": true\r\n}'
    )


def test_no_trailing_newline_is_kept():
    text = '{\n  "a": 1,\n  "b": 2\n}'
    assert remove_member(text, ("b",)) == '{\n  "a": 1\n}'
    assert set_member(text, ("c",), 3) == '{\n  "a": 1,\n  "b": 2,\n  "c": 3\n}'


def test_compact_one_line_file():
    text = '{"a":1,"b":{"c":2,"d":3},"e":4}\n'
    assert remove_member(text, ("a",)) == '{"b":{"c":2,"d":3},"e":4}\n'
    assert remove_member(text, ("b", "c")) == '{"a":1,"b":{"d":3},"e":4}\n'
    assert remove_member(text, ("b", "d")) == '{"a":1,"b":{"c":2},"e":4}\n'
    assert remove_member(text, ("e",)) == '{"a":1,"b":{"c":2,"d":3}}\n'
    assert set_member(text, ("b", "x"), 5) == '{"a":1,"b":{"c":2,"d":3,"x":5},"e":4}\n'
    assert set_member(text, ("f", "g"), 5) == '{"a":1,"b":{"c":2,"d":3},"e":4,"f":{"g":5}}\n'
    assert set_member('{"a":1,"b":{}}', ("b", "c"), 2) == '{"a":1,"b":{"c":2}}'


def test_members_sharing_a_line():
    text = '{\n  "a": 1, "b": 2,\n  "c": 3\n}\n'
    assert remove_member(text, ("a",)) == '{\n  "b": 2,\n  "c": 3\n}\n'
    assert remove_member(text, ("b",)) == '{\n  "a": 1,\n  "c": 3\n}\n'
    assert remove_member(text, ("c",)) == '{\n  "a": 1, "b": 2\n}\n'
    assert set_member('{"a": 1,\n "b": 2}', ("c",), 3) == '{"a": 1,\n "b": 2,\n "c": 3}'


def test_strings_with_quotes_braces_commas_and_escapes():
    text = (
        '{\n  "we\\"ird, {key}": "va\\\\lue\\", }",\n  "x": "[\\u00e9]",\n  "y": {"z": "}{,"}\n}\n'
    )
    assert (
        remove_member(text, ('we"ird, {key}',))
        == '{\n  "x": "[\\u00e9]",\n  "y": {"z": "}{,"}\n}\n'
    )
    assert remove_member(text, ("y", "z")) == text.replace('{"z": "}{,"}', "{}")
    assert set_member(text, ("x",), '"}') == text.replace('"[\\u00e9]"', '"\\"}"')
    assert set_member(text, ("y", 'n"ew'), 1) == text.replace('"}{,"}', '"}{,", "n\\"ew": 1}')


@pytest.mark.parametrize(
    ("text", "message"),
    [("{", "not valid JSON"), ("[1, 2]", "not an object"), ('"a"', "not an object")],
)
def test_not_a_json_object(text, message):
    with pytest.raises(ValueError, match=message):
        remove_member(text, ("a",))
    with pytest.raises(ValueError, match=message):
        set_member(text, ("a",), 1)


def test_bad_key_paths():
    with pytest.raises(ValueError, match="empty key path"):
        remove_member(PACKAGE, ())
    with pytest.raises(ValueError, match="name is not an object"):
        set_member(PACKAGE, ("name", "x"), 1)


# Property tests: documents written by `json.dumps` in several layouts. An edit must give the
# text that `json.dumps` writes for the edited data, in the same layout: byte for byte, so every
# byte outside the edit is kept, line endings and the final newline included.

_CHARS = st.sampled_from('ab"{}[],:\\/ é\u2028\t\n') | st.characters(exclude_categories=("Cs",))
_KEYS = st.text(_CHARS, max_size=5)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(_CHARS, max_size=6)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)
_DOCUMENTS = st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=5)
_LAYOUTS = st.sampled_from(
    [{"indent": 2}, {"indent": 4}, {"indent": "\t"}, {"separators": (",", ":")}, {}]
)
_SENTINEL = "\x00sentinel\x00"


def _write(data, layout, eol, final_newline):
    text = json.dumps(data, ensure_ascii=False, **layout).replace("\n", eol)
    return text + eol if final_newline else text


@st.composite
def _cases(draw):
    data = draw(_DOCUMENTS)
    layout, eol, final = draw(_LAYOUTS), draw(st.sampled_from(["\n", "\r\n"])), draw(st.booleans())
    # Walk down from the root to an existing member, or stop at an object and name new keys.
    keys, node = [], data
    while True:
        if draw(st.booleans()) or not node:
            new = draw(st.lists(_KEYS.filter(lambda k, n=node: k not in n), min_size=1, max_size=2))
            return data, layout, eol, final, (*keys, *new), False
        key = draw(st.sampled_from(sorted(node)))
        keys.append(key)
        if not isinstance(node[key], dict) or draw(st.booleans()):
            return data, layout, eol, final, tuple(keys), True
        node = node[key]


def _assign(data, keys, value):
    for key in keys[:-1]:
        data = data.setdefault(key, {})
    data[keys[-1]] = value


@settings(max_examples=200, deadline=None)
@given(_cases())
def test_remove_member_matches_redumped_data(case):
    data, layout, eol, final, keys, exists = case
    text = _write(data, layout, eol, final)
    result = remove_member(text, keys)
    if not exists:
        assert result == text
        return
    expected = copy.deepcopy(data)
    parent = expected
    for key in keys[:-1]:
        parent = parent[key]
    del parent[keys[-1]]
    assert result == _write(expected, layout, eol, final)
    assert result.endswith(eol) == final
    assert json.loads(result) == expected


@settings(max_examples=200, deadline=None)
@given(_cases(), _VALUES)
def test_set_member_matches_redumped_data(case, value):
    data, layout, eol, final, keys, _ = case
    text = _write(data, layout, eol, final)
    result = set_member(text, keys, value)
    expected = copy.deepcopy(data)
    _assign(expected, keys, _SENTINEL)
    # A set value is written compactly whatever the layout: compare it apart.
    placeholder = json.dumps(_SENTINEL, ensure_ascii=False)
    assert result == _write(expected, layout, eol, final).replace(
        placeholder, json.dumps(value, ensure_ascii=False)
    )
    _assign(expected, keys, value)
    assert json.loads(result) == expected
    assert list(json.loads(result)) == list(expected)
    assert result.endswith(eol) == final
