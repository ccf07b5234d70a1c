"""Indexes the data access relies on must be declared in the Convex schema."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator

from ..model import FileProblem, Finding, NothingToCheck, Rule
from ..repo import RepoView
from .base import PATH, STRING, RuleKind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Node, Tree

    from ..workspace import Workspace

INDEX = {
    "type": "object",
    "required": ["table", "name", "fields"],
    "additionalProperties": False,
    "properties": {
        "table": STRING,
        "name": STRING,
        "fields": {"type": "array", "items": STRING, "minItems": 1},
    },
}

# `chain` is the table's `defineTable(…).index(…)…` expression (new indexes go at its end),
# `indexes` maps an index name to (fields, line), `fields` is the set of declared document fields
# (None when they cannot be read, e.g. `defineTable(someValidator)`), `separator` what precedes
# each `.index` of the chain (a line break and indentation, or nothing).
Table = namedtuple("Table", "line chain indexes fields separator")


class ConvexIndexPresent(RuleKind):
    """The Convex schema must declare each listed index on its table, with exactly its fields.

    `convex/schema.ts` is read as a syntax tree: the tables of `defineSchema({ … })` (inline, or
    consts named by shorthand; the object may be a const too) and each table's
    `.index("name", [fields])` chain (the `{ fields }` form too). A missing index is reported at
    the table's line, an index with other fields at the index's line, a missing table at the
    `defineSchema` call. Without the index a `withIndex("name", …)` query does not type-check,
    and a `.filter()` stand-in scans the table.
    """

    name = "convex-index-present"
    properties = {"schema": PATH, "indexes": {"type": "array", "items": INDEX}}
    required = ("schema", "indexes")
    option_help = {
        "schema": "The Convex schema file.",
        "indexes": "Indexes to declare, each `{table, name, fields}` (fields in order).",
    }
    example = """\
id: messages-index
kind: convex-index-present
schema: convex/schema.ts
indexes:
  - {table: messages, name: by_session_time, fields: [sessionId, timestamp]}
message: "{item}"
why: The chat view reads a session's messages in order.
"""
    hint = (
        'Add `.index("name", ["field", …])` to the table\'s `defineTable(…)` chain. The fix does '
        "that for a missing index on a table that declares its fields; a missing table, or an "
        "index with other fields (every `withIndex` query on it would change), is left to you."
    )

    def patterns(self, rule: Rule) -> list[str]:
        return [rule.options["schema"]]

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        schema = rule.options["schema"]
        if not rule.options["indexes"]:
            raise NothingToCheck("no index is named: set `indexes` to the ones the schema needs")
        if not repo.is_file(schema):
            raise NothingToCheck(f"no Convex schema at {schema}")
        try:
            parsed = read_schema(repo.typescript(schema))
        except FileProblem as problem:
            yield self.problem(rule, problem)
            return
        if parsed is None:
            yield self.finding(rule, schema, None, "no `defineSchema({ … })` call")
            return
        schema_line, tables = parsed
        for wanted in rule.options["indexes"]:
            table_name, name, fields = wanted["table"], wanted["name"], tuple(wanted["fields"])
            table = tables.get(table_name)
            if table is None:
                item = f'table "{table_name}" is missing (for index {name} on {_show(fields)})'
                yield self.finding(rule, schema, schema_line, item)
            elif name not in table.indexes:
                yield self.finding(
                    rule, schema, table.line, f"{table_name}.{name} on {_show(fields)}"
                )
            elif table.indexes[name][0] != fields:
                found, line = table.indexes[name]
                item = f"{table_name}.{name} is on {_show(found)}, not {_show(fields)}"
                yield self.finding(rule, schema, line, item)

    def fix(self, rule: Rule, work: Workspace) -> None:
        """Insert each missing index at the end of its table's chain; every other byte stays."""
        from ..typescript import parse, walk

        schema = rule.options["schema"]
        text = work.read(schema)
        tree = parse(text, schema) if text is not None else None
        parsed = read_schema(tree) if tree is not None else None
        if parsed is None:
            work.skip(schema, rule, "no automatic fix: no `defineSchema({ … })` to add indexes to")
            return
        tables = parsed[1]
        # New indexes are quoted the way the file quotes its strings.
        first_string = next((n for n in walk(tree.root_node) if n.type == "string"), None)
        quote = first_string.text[:1].decode() if first_string is not None else '"'
        newline = "\r\n" if "\r\n" in text else "\n"
        notes: list[str] = []
        insertions: dict[int, str] = {}
        for wanted in rule.options["indexes"]:
            table_name, name, fields = wanted["table"], wanted["name"], tuple(wanted["fields"])
            table = tables.get(table_name)
            if table is None:
                notes.append(f'table "{table_name}" is missing (define it, then fix again)')
            elif name in table.indexes:
                if table.indexes[name][0] != fields:
                    notes.append(f"{table_name}.{name} has other fields (edit it by hand)")
            elif table.fields is None:
                notes.append(f"{table_name}'s fields cannot be read ({name} not added)")
            elif undeclared := [f for f in fields if f.split(".")[0] not in table.fields]:
                notes.append(
                    f"{table_name} does not declare {', '.join(undeclared)} ({name} not added)"
                )
            else:
                separator = table.separator.replace("\n", newline)
                listed = ", ".join(quote + field + quote for field in fields)
                call = f"{separator}.index({quote}{name}{quote}, [{listed}])"
                insertions[table.chain.end_byte] = insertions.get(table.chain.end_byte, "") + call
        if insertions:
            data = text.encode("utf-8")
            for offset in sorted(insertions, reverse=True):
                data = data[:offset] + insertions[offset].encode("utf-8") + data[offset:]
            work.edit(schema, data.decode("utf-8"), rule)
        if notes:
            work.skip(schema, rule, "no automatic fix: " + "; ".join(notes))


def _show(fields: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{field}"' for field in fields) + "]"


def _text(node: Node) -> str:
    return node.text.decode("utf-8")


def read_schema(tree: Tree) -> tuple[int, dict[str, Table]] | None:
    """The `defineSchema` call's line and its tables by name; None without the call."""
    from ..typescript import line, string_value, walk

    call = next(
        (
            node
            for node in walk(tree.root_node)
            if node.type == "call_expression"
            and _text(node.child_by_field_name("function")) == "defineSchema"
        ),
        None,
    )
    arguments = call.child_by_field_name("arguments") if call is not None else None
    if arguments is None:
        return None
    consts: dict[str, Node] = {}
    for node in walk(tree.root_node):
        if node.type == "variable_declarator" and node.child_by_field_name("value") is not None:
            consts[_text(node.child_by_field_name("name"))] = node
    tables: dict[str, Table] = {}
    shape = arguments.named_children[0] if arguments.named_children else None
    if shape is not None and shape.type == "identifier" and _text(shape) in consts:
        shape = consts[_text(shape)].child_by_field_name("value")  # `defineSchema(tables)`
    for member in shape.named_children if shape is not None and shape.type == "object" else ():
        if member.type == "pair":
            key = member.child_by_field_name("key")
            name = string_value(key) if key.type == "string" else _text(key)
            tables[name] = _table(line(member), member.child_by_field_name("value"))
        elif member.type == "shorthand_property_identifier" and _text(member) in consts:
            declarator = consts[_text(member)]
            tables[_text(member)] = _table(
                line(declarator), declarator.child_by_field_name("value")
            )
    return line(call), tables


def _table(line_number: int, chain: Node) -> Table:
    from ..typescript import line, string_value

    indexes: dict[str, tuple[tuple[str, ...], int]] = {}
    separator = None
    node = chain
    while node.type == "call_expression":
        callee = node.child_by_field_name("function")
        if callee.type != "member_expression":
            break
        base = callee.child_by_field_name("object")
        if _text(callee.child_by_field_name("property")) == "index":
            if separator is None:  # the outermost `.index`, the one a new index follows
                start = chain.start_byte
                end = callee.child_by_field_name("property").start_byte
                gap = chain.text[base.end_byte - start : end - start].decode("utf-8")
                gap = gap.rstrip("?.")  # what precedes the `.` (or `?.`)
                separator = "\n" + gap.rpartition("\n")[2] if "\n" in gap else ""
            arguments = node.child_by_field_name("arguments").named_children
            name = string_value(arguments[0]) if arguments else None
            fields = arguments[1] if len(arguments) > 1 else None
            if fields is not None and fields.type == "object":  # `.index("x", { fields: [...] })`
                fields = next(
                    (
                        p.child_by_field_name("value")
                        for p in fields.named_children
                        if p.type == "pair" and _text(p.child_by_field_name("key")) == "fields"
                    ),
                    None,
                )
            if name is not None and name not in indexes:
                listed = (
                    fields.named_children if fields is not None and fields.type == "array" else ()
                )
                shown = tuple(string_value(f) or _text(f) for f in listed)
                indexes[name] = (shown, line(node.child_by_field_name("arguments")))
        node = base
    return Table(line_number, chain, indexes, _declared_fields(node), separator or "")


def _declared_fields(table: Node) -> set[str] | None:
    """The document fields of `defineTable({ … })` or `defineTable(v.object({ … }))`."""
    from ..typescript import string_value

    if (
        table.type != "call_expression"
        or _text(table.child_by_field_name("function")) != "defineTable"
    ):
        return None
    arguments = table.child_by_field_name("arguments").named_children
    shape = arguments[0] if arguments else None
    if (
        shape is not None
        and shape.type == "call_expression"
        and _text(shape.child_by_field_name("function")).endswith(".object")
    ):
        inner = shape.child_by_field_name("arguments").named_children
        shape = inner[0] if inner else None
    if shape is None or shape.type != "object":
        return None
    # System fields (`_id`, `_creationTime`) exist on every document.
    fields = {"_id", "_creationTime"}
    for member in shape.named_children:
        if member.type == "pair":
            key = member.child_by_field_name("key")
            fields.add(string_value(key) if key.type == "string" else _text(key))
        elif member.type == "shorthand_property_identifier":
            fields.add(_text(member))
        elif member.type != "comment":
            return None  # a spread: the fields are not all visible here
    return fields
