"""A Convex schema (`convex/schema.ts`) → Drizzle (Postgres) tables, as plain data for the schema
template: the mirror of `drizzle_convex`.

`convex_tables` reads `defineSchema({...})` with tree-sitter's TypeScript grammar, without running
it: tables written inline or held in consts (`defineSchema({ users })`), validators held in consts,
spreads of field objects and of objects of tables, `.index`, `.searchIndex`, `.vectorIndex`. What
the schema imports from other modules of the repository (`...billingTables`, a `member` table,
`feedbackStatus`, `* as tables`) is read through a loader the caller gives and followed across
files, re-exports included, by the linker of `modules.py` (the Drizzle → Convex translation's),
64 modules at most; what comes from a package (`...authTables` of @convex-dev/auth) is not there
to read and is listed as skipped, with the reason, like every field that becomes no column. Each
table comes back as `{"name", "fields": [{"name", "validator"}], "indexes": [{"name", "fields"}],
"search_indexes", "vector_indexes", "notes"}`, validators normalised (consts inlined), the shape
`drizzle_tables` gives, so the two translations can be compared.

`drizzle_schema_context` maps them the way the seed's target schema (the Kianax plan, §3) maps its
Convex tables:

- `_id` → `id: uuid("id").primaryKey().defaultRandom()`; `_creationTime` → `createdAt`
  (timestamptz, not null, default now) and every table gets `updatedAt` (§3.1: "timestamps
  (created_at, updated_at) on all tables"). A table's own number field named createdAt/updatedAt
  becomes that column; a field named `id` is renamed `idField`.
- `v.string()` → text; `v.boolean()` → boolean; `v.int64()` → bigint (mode bigint); `v.bytes()` →
  bytea (a `customType`: drizzle-orm 0.x has no bytea builder).
- `v.number()` / `v.float64()` → double precision, except by field name: `*At`, `*Time`,
  `timestamp` hold epoch milliseconds → timestamptz (the seed's `lastExecutedAt`, `startedAt`);
  counts, versions, positions, durations → integer (the seed's `version`, `duration`); sizes and
  byte counts → bigint (mode number). Each table notes which fields a name decided.
- `v.id("t")` → `uuid("t_id")…references(() => t.id)`, onDelete cascade when required (the seed's
  routineExecutions.routineId), set null when optional; ids of tables outside the schema
  (`_storage`, components) → text, noted.
- a union of string literals → a `pgEnum`, named after the const holding it or after table + field
  (`routineStatus` / `routine_status`); other unions, `v.object`, `v.record`, `v.any`, arrays of
  non-scalars → jsonb (the seed's choice for nodes/connections/nodeStates), with `.$type<T>()`
  when T is short, else a note carrying T; arrays of scalars → `text().array()` etc.
- `v.optional` / a `v.null()` member → nullable; anything else `.notNull()`; a `v.null()` field →
  left out, noted.
- `.index("by_x", ["a", "b"])` → `index("<table>_a_b_idx").on(t.a, t.b)` (`_creationTime` →
  `t.createdAt`); search and vector indexes → notes (Postgres full-text search / pg_trgm,
  pgvector).
- a table with a `userId` column gets the seed's row-level-security policy (§3.3) as a `pgPolicy`.

Each table also says what the scaffold over it needs: the zod schema of a JSON value for each of
its own columns (`inputs`), the user column, and one `listBy…` lookup per index (and by the user
column). Tables come out referenced-first; references inside a cycle (a self-reference included)
are typed `(): AnyPgColumn => …`, which TypeScript needs to infer such tables. Without a Convex
schema, or with one that defines no table, there are no tables: none is invented.

tree-sitter is imported inside the functions: the check path never translates anything and must
not pay for the import.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import namedtuple
from dataclasses import dataclass, field, replace

from .modules import (
    MAX_HOPS,
    Module,
    Modules,
    kids,
    line_of,
    property_key,
    property_value,
    string_of,
    text,
    unwrap,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tree_sitter import Node

    # (importing module's path, import specifier) → (path, text) of the repository module it
    # names; None for a package or a module that cannot be read.
    Loader = Callable[[str, str], tuple[str, str] | None]

SCHEMA_PATH = "convex/schema.ts"
# The field that makes a table user-scoped: row-level security compares it with the caller.
USER_FIELD = "userId"

_SCALAR_KINDS = {
    "string": "v.string()",
    "number": "v.number()",
    "float64": "v.float64()",
    "int64": "v.int64()",
    "boolean": "v.boolean()",
    "null": "v.null()",
    "bytes": "v.bytes()",
    "any": "v.any()",
}
# `v.bigint()` is the deprecated name of `v.int64()`.
_ALIASES = {"bigint": "int64"}
_TS_TYPES = {
    "string": "string",
    "id": "string",
    "number": "number",
    "float64": "number",
    "int64": "bigint",
    "boolean": "boolean",
    "null": "null",
    "bytes": "ArrayBuffer",
}
_TABLE_METHODS = {"index", "searchIndex", "vectorIndex"}
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")

# Field names (camelCased) that decide what a v.number() is (see the module docstring).
_TIMESTAMP = re.compile(r"timestamp|.*[a-z0-9](At|Time|Timestamp)")
_INTEGER_WORDS = {
    "count",
    "version",
    "position",
    "order",
    "rank",
    "priority",
    "index",
    "iteration",
    "attempt",
    "attempts",
    "retries",
    "duration",
    "quantity",
    "depth",
}
_BIG_INTEGER_WORDS = {"bytes", "size"}
# A `$type<T>()` longer than this goes into a note instead of the column line.
_SHORT_TYPE = 60
_MAX_IDENTIFIER = 63  # Postgres truncates longer names

_TIMESTAMPTZ = "{ withTimezone: true }"
_ID_COLUMN = 'uuid("id").primaryKey().defaultRandom()'
_CREATED_AT = f'timestamp("created_at", {_TIMESTAMPTZ}).notNull().defaultNow()'
_UPDATED_AT = (
    f'timestamp("updated_at", {_TIMESTAMPTZ}).notNull().defaultNow().$onUpdate(() => new Date())'
)
_SYSTEM_KEYS = {"id", "createdAt", "updatedAt"}

# Names the generated module binds or imports; a table or enum named so gets a suffix.
_TAKEN = {
    *("pgTable", "pgEnum", "pgPolicy", "customType", "bytea", "sql", "index", "uuid", "text"),
    *("integer", "bigint", "doublePrecision", "boolean", "timestamp", "jsonb", "AnyPgColumn"),
    *("break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete"),
    *("do", "else", "enum", "export", "extends", "false", "finally", "for", "function", "if"),
    *("import", "in", "instanceof", "new", "null", "return", "super", "switch", "this"),
    *("throw", "true", "try", "typeof", "var", "void", "while", "with", "yield", "let"),
    *("static", "implements", "interface", "package", "private", "protected", "public", "await"),
    *("arguments", "eval", "undefined", "NaN", "Infinity", "Date"),
}
# Global type names an `export type` must not shadow.
_TAKEN_TYPES = {
    *("AnyPgColumn", "Array", "ArrayBuffer", "BigInt", "Boolean", "Date", "Error", "Function"),
    *("JSON", "Map", "Math", "Number", "Object", "Partial", "Promise", "Record", "RegExp", "Set"),
    *("String", "Symbol", "Uint8Array"),
}


@dataclass(frozen=True)
class _V:
    """A Convex validator: `kind` is the `v.` method (or "unknown" for what is not read)."""

    kind: str
    items: tuple[_V, ...] = ()  # union members, array element, record key+value, optional inner
    fields: tuple[tuple[str, _V], ...] = ()  # of v.object
    value: object = None  # literal value, id table name, or the source of an unknown validator
    # The const it was held in, which names its enum; not part of what the validator accepts.
    const: str | None = field(default=None, compare=False)

    def render(self) -> str:
        """Convex source, consts inlined: `v.optional(v.id("users"))`."""
        if self.kind in _SCALAR_KINDS:
            return _SCALAR_KINDS[self.kind]
        if self.kind == "id":
            return f"v.id({json.dumps(self.value)})"
        if self.kind == "literal":
            return f"v.literal({_js(self.value)})"
        if self.kind == "object":
            body = ", ".join(f"{_js_key(key)}: {value.render()}" for key, value in self.fields)
            return f"v.object({{ {body} }})" if body else "v.object({})"
        if self.kind in ("optional", "union", "array", "record"):
            return f"v.{self.kind}({', '.join(item.render() for item in self.items)})"
        return str(self.value)

    def ts(self) -> str:
        """The TypeScript type the validator accepts, for `jsonb(...).$type<T>()`."""
        if self.kind in _TS_TYPES:
            return _TS_TYPES[self.kind]
        if self.kind == "literal":
            return _js(self.value)
        if self.kind == "union":
            return " | ".join(item.ts() for item in self.items)
        if self.kind == "array":
            element = self.items[0].ts()
            return f"({element})[]" if self.items[0].kind == "union" else f"{element}[]"
        if self.kind == "record":
            return f"Record<{self.items[0].ts()}, {self.items[1].ts()}>"
        if self.kind == "object":
            if not self.fields:
                return "Record<string, never>"
            members = []
            for key, value in self.fields:
                optional = value.kind == "optional"
                inner = value.items[0] if optional else value
                members.append(f"{_js_key(key)}{'?' if optional else ''}: {inner.ts()}")
            return "{ " + "; ".join(members) + " }"
        if self.kind == "optional":
            return self.items[0].ts()
        return "unknown"

    def walk(self) -> Iterator[_V]:
        yield self
        for item in self.items:
            yield from item.walk()
        for _, value in self.fields:
            yield from value.walk()


@dataclass
class _Table:
    name: str
    path: str = SCHEMA_PATH  # the module that defines it
    fields: list[tuple[str, _V]] = field(default_factory=list)
    indexes: list[tuple[str, list[str], bool]] = field(default_factory=list)  # name, fields, staged
    search_indexes: list[dict] = field(default_factory=list)
    vector_indexes: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unread: list[tuple[str, str]] = field(default_factory=list)  # (what, why) left out

    def plain(self) -> dict:
        return {
            "name": self.name,
            "fields": [{"name": key, "validator": value.render()} for key, value in self.fields],
            "indexes": [{"name": name, "fields": fields} for name, fields, _ in self.indexes],
            "search_indexes": self.search_indexes,
            "vector_indexes": self.vector_indexes,
            "notes": self.notes,
        }


def convex_tables(source: str, path: str = SCHEMA_PATH, load: Loader | None = None) -> list[dict]:
    """The tables of a Convex `defineSchema(...)`, validators normalised; what other modules
    define (tables, validators, objects of tables spread in) is read through `load`."""
    return [table.plain() for table in _parse(source, path, load).tables]


def drizzle_schema_context(
    convex_source: str | None, path: str = SCHEMA_PATH, load: Loader | None = None
) -> dict:
    """Context of templates/convex-to-postgres/packages/database/src/schema.ts.j2.

    `notes` are remarks on the whole file; each table carries its own. `skipped` lists what was
    not translated (a table or a field: name, the module it is in, the reason). Without a Convex
    schema, or with one that defines no table, there are no tables: none is invented."""
    if convex_source is None:
        reason = f"there is no Convex schema at {path}"
        skipped = [{"name": "every table", "where": path, "reason": reason}]
        return _Drizzle([]).context(None, [f"{reason}: no table is derived"], skipped)
    parsed = _parse(convex_source, path, load)
    notes = list(parsed.notes)
    if not parsed.tables:
        notes.append(f"{path} defines no table read here: no table is derived")
    return _Drizzle(parsed.tables).context(path, notes, list(parsed.skipped))


def drizzle_table_names(
    convex_source: str, path: str = SCHEMA_PATH, load: Loader | None = None
) -> list[dict]:
    """`{"name", "sql_name", "convex_name", "user_scoped"}` of each table the Drizzle schema
    gets, in schema order: the names its repositories and routers are called by."""
    tables = _parse(convex_source, path, load).tables
    drizzle = _Drizzle(tables)
    return [
        {
            "name": drizzle.variables[table.name],
            "sql_name": drizzle.sql_names[table.name],
            "convex_name": table.name,
            "user_scoped": any(key == USER_FIELD for key, _ in table.fields),
        }
        for table in tables
    ]


# Reading the Convex schema.

_Parsed = namedtuple("_Parsed", "tables notes skipped")


def _parse(source: str, path: str, load: Loader | None) -> _Parsed:
    reader = _Reader(source, path, load)
    module = reader.schema
    notes: list[str] = []
    skipped: list[dict] = []
    if module.root.has_error:
        notes.append(f"{path} has syntax errors; tables near them may be incomplete")
    schema = _schema_call(module.root)
    if schema is None:
        notes.append(f"{path} has no defineSchema(...) call")
        return _Parsed([], notes, skipped)
    args = kids(schema.child_by_field_name("arguments"))
    owner, listed, _ = reader.follow(module, args[0]) if args else (module, None, None)
    if listed is None or listed.type != "object":
        notes.append("the argument of defineSchema is not an object literal; no tables read")
        return _Parsed([], notes, skipped)
    tables: dict[str, _Table] = {}  # a later key replaces an earlier one, as in JavaScript
    for key, value, entry, where in reader.entries(owner, listed):
        table = reader.table(where, key, value) if key is not None else None
        if table is not None:
            tables[key] = table
            continue
        shown = f"`{_snippet(entry)}`"
        reason = (
            reader.unread(where, kids(entry)[0])
            if entry.type == "spread_element"
            else "not a defineTable(...) read here"
        )
        skipped.append({"name": shown, "where": where.path, "reason": reason})
        notes.append(f"{shown} ({where.path}:{line_of(entry)}) is left out: {reason}")
    for table in tables.values():
        skipped += [
            {"name": f"{table.name}.{name}", "where": table.path, "reason": reason}
            for name, reason in table.unread
        ]
    if len(args) > 1:
        notes += reader.schema_options(module, args[1])
    return _Parsed(list(tables.values()), notes, skipped)


# How many modules are read for one schema.
_MAX_MODULES = 64


def _schema_call(root: Node) -> Node | None:
    from ..typescript import walk

    for node in walk(root):
        if node.type == "call_expression":
            callee = node.child_by_field_name("function")
            if callee.type == "identifier" and text(callee) == "defineSchema":
                return node
    return None


class _Reader:
    """The modules read for one schema, each parsed once and linked by `modules.Modules`, so
    tables, validators and objects of tables held in consts are followed, in the schema or in
    the modules it imports (`load` finds and reads them)."""

    def __init__(self, source: str, path: str, load: Loader | None):
        from ..typescript import parse

        sources = {path: source}

        def resolve(importer: str, specifier: str) -> str | None:
            found = load(importer, specifier) if load is not None else None
            if found is None:
                return None
            sources.setdefault(*found)
            return found[0]

        self.modules = Modules(
            lambda name: parse(sources[name], name), resolve, max_modules=_MAX_MODULES
        )
        self.schema = self.modules.get(path)

    def follow(self, module: Module, node: Node) -> tuple[Module, Node, str | None]:
        """An expression with consts followed (here, and into the modules they are imported
        from), `X.key` of an object literal `X` (`as const` enums of values) too: the module
        holding it, the expression and the name of the last const."""
        return self.modules.follow(module, node, keys=True)

    def value(self, module: Module, node: Node) -> Node:
        return self.follow(module, node)[1]

    def unread(self, module: Module, node: Node) -> str:
        """Why an expression spread into the schema was not read."""
        owner, node, _ = self.follow(module, node)
        root = node
        while root.type == "member_expression":  # `tables.core` of `* as tables`
            root = unwrap(root.child_by_field_name("object"))
        if root.type != "identifier" or (root is not node and text(root) in owner.values):
            return f"`{_snippet(node)}` is not an object of tables read here"
        return self.modules.unbound(owner, text(root), "its tables are not read")

    def entries(
        self, module: Module, node: Node, hops: int = 0
    ) -> Iterator[tuple[str | None, Node, Node, Module]]:
        """(key, value, entry, module holding it) of an object literal, with spreads of objects
        (here or imported) and of a `v.object(...)`'s `.fields` followed."""
        for entry in kids(node):
            if entry.type == "pair":
                key = property_key(entry.child_by_field_name("key"))
                yield key, entry.child_by_field_name("value"), entry, module
            elif entry.type == "shorthand_property_identifier":
                yield text(entry), entry, entry, module
            elif entry.type == "spread_element" and hops < MAX_HOPS:
                spread = self.spread_object(module, kids(entry)[0])
                if spread is None:
                    yield None, entry, entry, module
                else:
                    yield from self.entries(*spread, hops + 1)
            else:
                yield None, entry, entry, module

    def spread_object(self, module: Module, node: Node) -> tuple[Module, Node] | None:
        owner, node, _ = self.follow(module, node)
        if node.type == "object":
            return owner, node
        if node.type == "member_expression" and text(node.child_by_field_name("property")) == (
            "fields"
        ):
            owner, inner, _ = self.follow(owner, node.child_by_field_name("object"))
            if _method(inner) == "object":
                args = kids(inner.child_by_field_name("arguments"))
                if args:
                    owner, fields, _ = self.follow(owner, args[0])
                    if fields.type == "object":
                        return owner, fields
        return None

    def validator(self, module: Module, node: Node, depth: int = 0) -> _V:
        module, node, const = self.follow(module, node)
        method = _method(node)
        parsed = None
        if method is not None and depth < 32:
            args = kids(node.child_by_field_name("arguments"))
            parsed = self.call(module, _ALIASES.get(method, method), args, depth + 1)
        if parsed is None:
            return _V("unknown", value=_snippet(node), const=const)
        return replace(parsed, const=const)

    def call(self, module: Module, method: str, args: list[Node], depth: int) -> _V | None:
        if method in _SCALAR_KINDS:
            return _V(method)
        if method == "id":
            table = _string(self.value(module, args[0])) if args else None
            return _V("id", value=table) if table is not None else None
        if method == "literal":
            value = _literal(self.value(module, args[0])) if args else None
            return _V("literal", value=value) if value is not None else None
        if method == "object":
            owner, fields, _ = self.follow(module, args[0]) if args else (module, None, None)
            if fields is None or fields.type != "object":
                return None
            pairs = []
            for key, value, _, where in self.entries(owner, fields):
                if key is None:
                    return None
                pairs.append((key, self.validator(where, value, depth)))
            return _V("object", fields=tuple(pairs))
        items = tuple(self.validator(module, arg, depth) for arg in args)
        if method == "nullable" and len(items) == 1:
            return _V("union", items=(items[0], _V("null")))
        if method in ("optional", "array") and len(items) == 1:
            return _V(method, items=items)
        if method == "record" and len(items) == 2:
            return _V("record", items=items)
        if method == "union" and items:
            return _V("union", items=items)
        return None

    def table(self, module: Module, name: str, node: Node) -> _Table | None:
        module, node, _ = self.follow(module, node)
        chain = []
        while _method(node) in _TABLE_METHODS:
            callee = node.child_by_field_name("function")
            chain.append((_method(node), kids(node.child_by_field_name("arguments")), module))
            module, node, _ = self.follow(module, callee.child_by_field_name("object"))
        callee = node.child_by_field_name("function") if node.type == "call_expression" else None
        if callee is None or callee.type != "identifier" or text(callee) != "defineTable":
            return None
        table = _Table(name, path=module.path)
        args = kids(node.child_by_field_name("arguments"))
        self.document(module, table, args[0] if args else None)
        for method, method_args, where in reversed(chain):
            self.table_index(where, table, method, method_args)
        return table

    def document(self, module: Module, table: _Table, node: Node | None) -> None:
        """The fields of `defineTable({...})`, `defineTable(v.object(...))` or of a union of
        objects (documents of several shapes)."""
        if node is not None:
            module, node, _ = self.follow(module, node)
            if node.type == "object":
                for key, value, entry, where in self.entries(module, node):
                    if key is None:
                        reason = "not a field here"
                        table.notes.append(f"`{_snippet(entry)}` is {reason}; left out")
                        table.unread.append((f"`{_snippet(entry)}`", reason))
                    else:
                        table.fields.append((key, self.validator(where, value)))
                return
        validator = (
            self.validator(module, node) if node is not None else _V("unknown", value="nothing")
        )
        if validator.kind == "object":
            table.fields = list(validator.fields)
        elif validator.kind == "union" and all(m.kind == "object" for m in validator.items):
            table.fields = _merge_shapes(validator.items)
            table.notes.append(
                "documents of several shapes (a union of objects): a field not in every shape "
                "is nullable; one typed differently across shapes is jsonb (literals: an enum)"
            )
        else:
            reason = f"the document validator `{validator.render()}` is not an object"
            table.notes.append(f"{reason}; no fields read")
            table.unread.append(("its fields", reason))

    def table_index(self, module: Module, table: _Table, method: str, args: list[Node]) -> None:
        name = _string(self.value(module, args[0])) if args else None
        owner, config, _ = self.follow(module, args[1]) if len(args) > 1 else (module, None, None)
        if name is None or config is None:
            table.notes.append(f"a .{method}(...) without a literal name and config; left out")
            return
        self.add_index(owner, table, method, name, config)

    def add_index(
        self, module: Module, table: _Table, method: str, name: str, config: Node
    ) -> None:
        if method == "index":
            staged = False
            if config.type == "object":  # .index("by_x", { fields: [...], staged: true })
                flag = property_value(config, "staged")
                staged = flag is not None and flag.type == "true"
                config = self.value(module, property_value(config, "fields") or config)
            table.indexes.append((name, self.strings(module, config), staged))
        elif method == "searchIndex":
            table.search_indexes.append(
                {
                    "name": name,
                    "field": _string(property_value(config, "searchField")),
                    "filter_fields": self.strings(module, property_value(config, "filterFields")),
                }
            )
        else:
            dimensions = property_value(config, "dimensions")
            table.vector_indexes.append(
                {
                    "name": name,
                    "field": _string(property_value(config, "vectorField")),
                    "dimensions": (
                        _literal(self.value(module, dimensions)) if dimensions is not None else None
                    ),
                    "filter_fields": self.strings(module, property_value(config, "filterFields")),
                }
            )

    def strings(self, module: Module, node: Node | None) -> list[str]:
        node = self.value(module, node) if node is not None else None
        if node is None or node.type != "array":
            return []
        return [found for found in (_string(item) for item in kids(node)) if found is not None]

    def schema_options(self, module: Module, node: Node) -> list[str]:
        options = self.value(module, node)
        notes = []
        if options.type != "object":
            return notes
        if _is_false(property_value(options, "schemaValidation")):
            notes.append(
                "schemaValidation: false: Convex did not check documents against this schema, "
                "so stored data may not fit these columns; check it before importing"
            )
        if _is_false(property_value(options, "strictTableNameTypes")):
            notes.append(
                "strictTableNameTypes: false: the deployment may hold tables this schema does "
                "not list; they are not translated"
            )
        return notes


def _merge_shapes(shapes: tuple[_V, ...]) -> list[tuple[str, _V]]:
    """One field list for documents of several shapes."""
    merged: dict[str, list[_V]] = {}
    for shape in shapes:
        for key, value in shape.fields:
            merged.setdefault(key, []).append(value)
    fields = []
    for key, values in merged.items():
        inner = [v.items[0] if v.kind == "optional" else v for v in values]
        literals = [m for v in inner for m in (v.items if v.kind == "union" else (v,))]
        if len(set(inner)) == 1:
            value = inner[0]
        elif all(m.kind == "literal" for m in literals):  # the discriminant of the shapes
            value = _V("union", items=tuple(dict.fromkeys(literals)))
        else:
            value = _V("any")
        required = len(values) == len(shapes) and all(v.kind != "optional" for v in values)
        fields.append((key, value if required else _V("optional", items=(value,))))
    return fields


# Writing the Drizzle schema.


class _Drizzle:
    """The translation of a set of Convex tables; names taken so far are shared across tables."""

    def __init__(self, tables: list[_Table]):
        self.tables = tables
        self.taken = set(_TAKEN)
        self.taken_types = set(_TAKEN_TYPES)
        self.variables = {
            table.name: _unique(_camel(table.name), self.taken, "Table") for table in tables
        }
        self.sql_names = {table.name: _snake(table.name) for table in tables}
        self.enums: list[dict] = []
        self.enum_names: dict[tuple, str] = {}  # (origin, values) → enum variable
        self.imports = {"pgTable", "uuid", "timestamp"}
        self.type_imports: set[str] = set()
        self.orm_imports: set[str] = set()
        self.bytea = False
        self.skipped: list[dict] = []

    def context(self, source: str | None, notes: list[str], skipped: list[dict]) -> dict:
        """`source` is the path of the Convex schema read (None without one)."""
        order, cyclic = self.order()
        tables = [self.table(table, cyclic) for table in order]
        return {
            "tables": tables,
            "enums": self.enums,
            "imports": sorted(self.imports),
            "type_imports": sorted(self.type_imports),
            "orm_imports": sorted(self.orm_imports),
            "bytea": self.bytea,
            "source": source,
            "notes": notes,
            "skipped": skipped + self.skipped,
        }

    def references(self, table: _Table) -> list[str]:
        """The tables a table's uuid columns point at, in column order."""
        targets = []
        for _, validator in table.fields:
            inner = _strip(validator)[0]
            if inner.kind == "id" and inner.value in self.variables:
                targets.append(inner.value)
        return targets

    def order(self) -> tuple[list[_Table], set[tuple[str, str]]]:
        """Referenced tables first (source order otherwise) and the references inside a cycle."""
        by_name = {table.name: table for table in self.tables}
        component = _components({t.name: self.references(t) for t in self.tables})
        members: dict[int, list[str]] = {}
        for table in self.tables:
            members.setdefault(component[table.name], []).append(table.name)
        ordered: list[_Table] = []
        done: set[int] = set()

        def visit(group: int) -> None:
            if group in done:
                return
            done.add(group)
            for name in members[group]:
                for target in self.references(by_name[name]):
                    if component[target] != group:
                        visit(component[target])
            ordered.extend(by_name[name] for name in members[group])

        for table in self.tables:
            visit(component[table.name])
        cyclic = {
            (table.name, target)
            for table in self.tables
            for target in self.references(table)
            if component[target] == component[table.name]
        }
        return ordered, cyclic

    def table(self, table: _Table, cyclic: set[tuple[str, str]]) -> dict:
        notes = list(table.notes)
        sql_name = self.sql_names[table.name]
        columns = [{"name": "id", "sql_name": "id", "builder": _ID_COLUMN}]
        keys = {"_id": "id", "_creationTime": "createdAt"}  # Convex field → column key
        taken = set(_SYSTEM_KEYS)
        inputs: list[dict] = []  # what a caller gives for each of the table's own columns
        by_name: dict[str, list[str]] = {"timestamp": [], "integer": [], "bigint": []}
        for name, validator in table.fields:
            key = _camel(name)
            inner, nullable = _strip(validator)[:2]
            if key in ("createdAt", "updatedAt") and inner.kind in ("number", "float64", "int64"):
                keys[name] = key
                absent = ", copy _creationTime where it is absent" if nullable else ""
                notes.append(
                    f"{name}: the table's own field is the {_snake(key)} column (not null, "
                    f"defaults to now{absent})"
                )
                continue
            if key in taken:
                renamed = _unique(key + "Field", taken, "")
                notes.append(f"{name} is renamed {renamed}: {key} is taken")
                key = renamed
            column = self.column(table, name, key, validator, cyclic, notes, by_name)
            if column is not None:
                taken.add(key)
                keys[name] = key
                inputs.append({"name": key, "zod": column.pop("zod")})
                columns.append(column)
        columns.append({"name": "createdAt", "sql_name": "created_at", "builder": _CREATED_AT})
        columns.append({"name": "updatedAt", "sql_name": "updated_at", "builder": _UPDATED_AT})
        if by_name["timestamp"]:
            notes.append(
                f"{', '.join(by_name['timestamp'])}: epoch milliseconds in Convex, timestamptz "
                "here (by name): convert with new Date(ms) when copying data"
            )
        if by_name["integer"] or by_name["bigint"]:
            named = ", ".join(by_name["integer"] + by_name["bigint"])
            notes.append(f"{named}: v.number() stored as a whole number (by name); check the data")
        indexes = self.indexes(table, sql_name, keys, notes)
        notes += _search_notes(table, keys)
        policies = []
        user = next((c for c in columns if c["name"] == USER_FIELD), None)
        if user is not None:
            self.imports.add("pgPolicy")
            self.orm_imports.add("sql")
            column = "${t.userId}::text" if user["builder"].startswith("uuid(") else "${t.userId}"
            condition = f"{column} = current_setting('app.current_user_id', true)"
            name = json.dumps(f"{sql_name}_user_isolation")
            policies.append(
                {"name": name[1:-1], "builder": f"pgPolicy({name}, {{ using: sql`{condition}` }})"}
            )
        lookups = _lookups(indexes, USER_FIELD if user is not None else None)
        return {
            "name": self.variables[table.name],
            "sql_name": sql_name,
            "convex_name": table.name,
            "type_name": self.type_name(table),
            "columns": columns,
            "indexes": indexes,
            "policies": policies,
            "notes": notes,
            "inputs": inputs,
            "user_column": USER_FIELD if user is not None else None,
            "lookups": lookups,
        }

    def type_name(self, table: _Table) -> str:
        """`Routine` for routines: the row type; `NewRoutine` is its insert type."""
        singular = _singular(self.variables[table.name])
        base = singular[:1].upper() + singular[1:]
        name, number = base, 1
        while name in self.taken_types or f"New{name}" in self.taken_types:
            number += 1
            name = f"{base}Row" if number == 2 else f"{base}Row{number}"
        self.taken_types |= {name, f"New{name}"}
        return name

    def column(
        self,
        table: _Table,
        name: str,
        key: str,
        validator: _V,
        cyclic: set[tuple[str, str]],
        notes: list[str],
        by_name: dict[str, list[str]],
    ) -> dict | None:
        sql = _snake(key)
        inner, nullable, both = _strip(validator)
        if inner.kind == "null":
            notes.append(f"{name}: v.null() holds nothing but null; left out")
            self.skipped.append(
                {
                    "name": f"{table.name}.{name}",
                    "where": table.path,
                    "reason": "v.null() holds nothing but null",
                }
            )
            return None
        if both:
            notes.append(f"{key}: null and absent both become NULL")
        builder, decided, zod = self.column_type(table, key, sql, inner, notes)
        if decided:
            by_name[decided].append(key)
        if not nullable:
            builder += ".notNull()"
        if inner.kind == "id" and inner.value in self.variables:
            target = self.variables[inner.value]
            in_cycle = (table.name, inner.value) in cyclic
            if in_cycle:
                self.type_imports.add("AnyPgColumn")
            lazy = "(): AnyPgColumn => " if in_cycle else "() => "
            action = "set null" if nullable else "cascade"
            builder += f'.references({lazy}{target}.id, {{ onDelete: "{action}" }})'
        optional = validator.kind == "optional"
        if nullable:
            zod += ".nullish()" if both else ".optional()" if optional else ".nullable()"
        return {"name": key, "sql_name": sql, "builder": builder, "zod": zod}

    def column_type(
        self, table: _Table, key: str, sql: str, v: _V, notes: list[str]
    ) -> tuple[str, str | None, str]:
        """The column builder (before nullability and references); when the field name decided
        it, which of timestamp/integer/bigint; and the zod schema of a value for it (JSON in:
        dates and bigints are coerced, bytes arrive as base64)."""
        column = json.dumps(sql)
        if v.kind in ("number", "float64"):
            words = [word.lower() for word in _snake(key).split("_")]
            if _TIMESTAMP.fullmatch(key):
                builder = self.use("timestamp", f"{column}, {_TIMESTAMPTZ}")
                return builder, "timestamp", "z.coerce.date()"
            if words[-1] in _INTEGER_WORDS:
                return self.use("integer", column), "integer", "z.number().int()"
            if words[-1] in _BIG_INTEGER_WORDS:
                builder = self.use("bigint", f'{column}, {{ mode: "number" }}')
                return builder, "bigint", "z.number().int()"
            return self.use("doublePrecision", column), None, "z.number()"
        if v.kind == "id":
            if v.value in self.variables:
                return self.use("uuid", column), None, _UUID
            what = "Convex file storage" if v.value == "_storage" else "a table outside the schema"
            notes.append(f"{key}: an id of {what} ({v.value}), kept as text")
            return self.use("text", column), None, "z.string()"
        enum = self.enum(table, key, v)
        if enum is not None:
            return f"{enum}({column})", None, self.enum_zod(enum)
        scalar = _scalar(v)
        if scalar is not None:
            members = v.items if v.kind == "union" else (v,)
            if all(m.kind == "literal" for m in members):
                values = ", ".join(_js(m.value) for m in members)
                which = f"one of {values}" if len(members) > 1 else f"always {values}"
                notes.append(f"{key}: {which} in Convex; a check constraint would keep it")
            return self.use(scalar[0], column + scalar[1]), None, _SCALAR_ZOD[scalar]
        if v.kind == "array":
            element = v.items[0]
            enum = self.enum(table, key, element)
            if enum is not None:
                return f"{enum}({column}).array()", None, f"z.array({self.enum_zod(enum)})"
            if element.kind == "id" and element.value in self.variables:
                notes.append(f"{key}: ids in an array are not foreign keys")
                return self.use("uuid", column) + ".array()", None, f"z.array({_UUID})"
            scalar = _scalar(element)
            if scalar is not None and scalar[0] != "bytea":
                builder = self.use(scalar[0], column + scalar[1]) + ".array()"
                return builder, None, f"z.array({_SCALAR_ZOD[scalar]})"
        builder = self.jsonb(key, column, v, notes)
        return builder, None, _zod(v) if ".$type<" in builder else "z.unknown()"

    def enum_zod(self, name: str) -> str:
        values = next(enum["values"] for enum in self.enums if enum["name"] == name)
        return f"z.enum({json.dumps(values)})"

    def use(self, builder: str, args: str) -> str:
        if builder == "bytea":
            self.bytea = True
            self.imports.add("customType")
        else:
            self.imports.add(builder)
        return f"{builder}({args})"

    def jsonb(self, key: str, column: str, v: _V, notes: list[str]) -> str:
        builder = self.use("jsonb", column)
        if v.kind == "any":
            return builder
        unreadable = [item.value for item in v.walk() if item.kind == "unknown"]
        if unreadable:
            notes.append(f"{key}: `{unreadable[0]}` is not a validator read here; plain jsonb")
            return builder
        if any(item.kind in ("int64", "bytes") for item in v.walk()):
            notes.append(
                f"{key}: holds v.int64()/v.bytes(), which JSON cannot store as they are: convert "
                "them (to strings, base64) when copying data"
            )
            return builder
        ts = v.ts()
        if len(ts) <= _SHORT_TYPE:
            return f"{builder}.$type<{ts}>()"
        notes.append(f"{key}: jsonb; its Convex validator's type, for .$type<...>(), is {ts}")
        return builder

    def enum(self, table: _Table, key: str, v: _V) -> str | None:
        """The pgEnum for a union of string literals (or a single one), made on first use."""
        members = v.items if v.kind == "union" else (v,)
        if not all(m.kind == "literal" and isinstance(m.value, str) for m in members):
            return None
        values = list(dict.fromkeys(m.value for m in members))
        origin = ("const", v.const) if v.const else ("field", table.name, key)
        found = self.enum_names.get((origin, tuple(values)))
        if found is not None:
            return found
        base = _camel(v.const) if v.const else _singular(self.variables[table.name]) + _pascal(key)
        sql_taken = set(self.sql_names.values()) | {enum["sql_name"] for enum in self.enums}
        name = _unique(base, self.taken, "Enum")
        while _snake(name) in sql_taken:  # a table's row type has its name in Postgres
            name = _unique(name + "Enum", self.taken, "")
        self.imports.add("pgEnum")
        self.enums.append({"name": name, "sql_name": _snake(name), "values": values})
        self.enum_names[(origin, tuple(values))] = name
        return name

    def indexes(
        self, table: _Table, sql_name: str, keys: dict[str, str], notes: list[str]
    ) -> list[dict]:
        indexes: list[dict] = []
        for name, fields, staged in table.indexes:
            kept = [keys[f] for f in fields if f in keys]
            lost = [f for f in fields if f not in keys]
            if lost:
                notes.append(
                    f"index {name}: {', '.join(lost)} is not a column here (nested paths live "
                    "in jsonb)" + ("; left out" if not kept else "")
                )
            if not kept:
                continue
            index_name = _shorten(f"{sql_name}_{'_'.join(_snake(k) for k in kept)}_idx")
            if any(index["name"] == index_name for index in indexes):
                notes.append(f"index {name} duplicates {index_name}; left out")
                continue
            if staged:
                notes.append(f"index {name} is staged (not yet enabled) in Convex")
            self.imports.add("index")
            on = ", ".join(f"t.{k}" for k in kept)
            indexes.append(
                {
                    "name": index_name,
                    "builder": f"index({json.dumps(index_name)}).on({on})",
                    "columns": kept,
                    "convex_name": name,
                }
            )
        return indexes


_UUID = "z.string().uuid()"
# (builder, extra arguments) of _scalar → the zod schema of a JSON value for it.
_SCALAR_ZOD = {
    ("text", ""): "z.string()",
    ("boolean", ""): "z.boolean()",
    ("integer", ""): "z.number().int()",
    ("doublePrecision", ""): "z.number()",
    ("bigint", ', { mode: "bigint" }'): "z.coerce.bigint()",
    # JSON carries no bytes: base64 text, decoded.
    ("bytea", ""): (
        "z.string().transform((text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0)))"
    ),
}


def _zod(v: _V) -> str:
    """The zod schema accepting what the validator accepts; its type is `v.ts()`."""
    if v.kind in ("string", "id"):
        return "z.string()"
    if v.kind in ("number", "float64"):
        return "z.number()"
    simple = {"boolean": "z.boolean()", "null": "z.null()", "int64": "z.bigint()"}
    if v.kind in simple:
        return simple[v.kind]
    if v.kind == "bytes":
        return "z.instanceof(ArrayBuffer)"
    if v.kind == "literal":
        return f"z.literal({_js(v.value)})"
    if v.kind == "union":
        if all(m.kind == "literal" and isinstance(m.value, str) for m in v.items):
            return f"z.enum({json.dumps(list(dict.fromkeys(m.value for m in v.items)))})"
        if len(v.items) == 1:
            return _zod(v.items[0])
        return f"z.union([{', '.join(_zod(item) for item in v.items)}])"
    if v.kind == "array":
        return f"z.array({_zod(v.items[0])})"
    if v.kind == "record":
        return f"z.record({_zod(v.items[0])}, {_zod(v.items[1])})"
    if v.kind == "object":
        if not v.fields:
            return "z.record(z.string(), z.never())"
        return (
            "z.object({ "
            + ", ".join(f"{_js_key(key)}: {_zod(value)}" for key, value in v.fields)
            + " })"
        )
    if v.kind == "optional":
        return _zod(v.items[0]) + ".optional()"
    return "z.unknown()"


def _lookups(indexes: list[dict], user_column: str | None) -> list[dict]:
    """The repository's `listBy…` methods: one per index (its columns, in order), and one by
    the user column of a user-scoped table, which its router lists the caller's rows with."""
    lookups: list[dict] = []
    wanted = [(index["columns"], index["convex_name"]) for index in indexes]
    if user_column is not None and not any(columns == [user_column] for columns, _ in wanted):
        wanted.append(([user_column], None))
    for columns, index in wanted:
        method = "listBy" + "And".join(_pascal(column) for column in columns)
        if all(lookup["method"] != method for lookup in lookups):
            lookups.append({"method": method, "columns": columns, "index": index})
    return lookups


def _search_notes(table: _Table, keys: dict[str, str]) -> list[str]:
    """Convex search and vector indexes have no Drizzle builder here: how to replace them."""
    notes = []
    for search in table.search_indexes:
        key = keys.get(search["field"], search["field"])
        filters = ", ".join(search["filter_fields"])
        notes.append(
            f"search index {search['name']} on {search['field']}"
            + (f" (filters {filters})" if filters else "")
            + ': use Postgres full-text search, index(...).using("gin", '
            f"sql`to_tsvector('english', ${{t.{key}}})`) queried with @@, or pg_trgm "
            "(gin_trgm_ops) for substring matches"
        )
    for vector in table.vector_indexes:
        key = keys.get(vector["field"], vector["field"])
        filters = ", ".join(vector["filter_fields"])
        notes.append(
            f"vector index {vector['name']} on {vector['field']}"
            + (f" (filters {filters})" if filters else "")
            + f': use pgvector, vector("{_snake(str(key))}", '
            f"{{ dimensions: {vector['dimensions']} }}) with "
            f'index(...).using("hnsw", t.{key}.op("vector_cosine_ops"))'
        )
    return notes


def _scalar(v: _V) -> tuple[str, str] | None:
    """(builder, extra arguments) of a scalar validator, or of a union of same-typed literals or
    of strings and string literals."""
    members = v.items if v.kind == "union" else (v,)
    kinds = set()
    for member in members:
        if member.kind == "literal":
            kinds.add({str: "string", bool: "boolean"}.get(type(member.value), "number"))
        else:
            kinds.add("number" if member.kind == "float64" else member.kind)
    if len(kinds) != 1:
        return None
    kind = kinds.pop()
    if kind == "number":
        whole = all(m.kind == "literal" and isinstance(m.value, int) for m in members)
        return ("integer", "") if whole else ("doublePrecision", "")
    return {
        "string": ("text", ""),
        "boolean": ("boolean", ""),
        "int64": ("bigint", ', { mode: "bigint" }'),
        "bytes": ("bytea", ""),
    }.get(kind)


def _strip(v: _V) -> tuple[_V, bool, bool]:
    """(validator without v.optional and null members, nullable, optional and null both)."""
    optional = v.kind == "optional"
    if optional:
        v = v.items[0]
    null = v.kind == "union" and any(m.kind == "null" for m in v.items)
    members = tuple(m for m in v.items if m.kind != "null") if null else ()
    if null and members:
        v = members[0] if len(members) == 1 else replace(v, items=members)
    return v, optional or null, optional and null


def _components(edges: dict[str, list[str]]) -> dict[str, int]:
    """Strongly connected components (Tarjan): tables that reference each other, directly or
    through others, share a number."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    component: dict[str, int] = {}

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target not in component:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            number = len(set(component.values()))
            while True:
                member = stack.pop()
                component[member] = number
                if member == node:
                    break

    for node in edges:
        if node not in index:
            connect(node)
    return component


# Names.


def _camel(name: str) -> str:
    """`routine_executions` → `routineExecutions`; camelCase stays."""
    parts = [part for part in re.split(r"[^A-Za-z0-9$]+", name) if part]
    if not parts:
        return "field"
    joined = parts[0] + "".join(part[:1].upper() + part[1:] for part in parts[1:])
    return "_" + joined if joined[0].isdigit() else joined


def _pascal(name: str) -> str:
    camel = _camel(name)
    return camel[:1].upper() + camel[1:]


def _snake(name: str) -> str:
    """`routineExecutions` → `routine_executions`, `userID` → `user_id`."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower() or "field"


def _singular(name: str) -> str:
    """`routineExecutions` → `routineExecution`, `entries` → `entry` (the last word only)."""
    if name.endswith("ies") and len(name) > 4:
        return name[:-3] + "y"
    if name.endswith(("sses", "shes", "ches", "xes")):
        return name[:-2]
    if name.endswith("s") and not name.endswith(("ss", "us", "is")) and len(name) > 1:
        return name[:-1]
    return name


def _unique(name: str, taken: set[str], suffix: str) -> str:
    candidate = name if name not in taken else name + suffix
    number = 2
    while candidate in taken:
        candidate = f"{name}{suffix}{number}"
        number += 1
    taken.add(candidate)
    return candidate


def _shorten(name: str) -> str:
    """A Postgres identifier: longer names end in a hash instead of being truncated (and
    colliding) by the server."""
    if len(name) <= _MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: _MAX_IDENTIFIER - 9]}_{digest}"


def _js(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def _js_key(key: str) -> str:
    return key if _IDENTIFIER.fullmatch(key) else json.dumps(key)


# Syntax tree helpers.


def _snippet(node: Node) -> str:
    """A node's source on one line, shortened, for a note."""
    shown = " ".join(text(node).split())
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _method(node: Node) -> str | None:
    """`m` for a call `x.m(...)`."""
    if node.type != "call_expression":
        return None
    callee = node.child_by_field_name("function")
    if callee.type != "member_expression":
        return None
    return text(callee.child_by_field_name("property"))


def _string(node: Node | None) -> str | None:
    """The value of a string literal (not of a template string), escapes decoded."""
    return string_of(node) if node is not None and unwrap(node).type == "string" else None


def _literal(node: Node) -> str | bool | int | float | None:
    """The value of a string, number or boolean literal."""
    node = unwrap(node)
    if node.type == "string":
        return _string(node)
    if node.type in ("true", "false"):
        return node.type == "true"
    written = text(node).replace("_", "")
    if node.type == "unary_expression" and written.startswith("-"):
        written, sign = written[1:].strip(), -1
    else:
        sign = 1
    try:
        number = float(written)
    except ValueError:
        return None
    return sign * int(number) if number.is_integer() and "." not in written else sign * number


def _is_false(node: Node | None) -> bool | None:
    """True for `false`, False for `true`, None for anything else."""
    if node is None or node.type not in ("true", "false"):
        return None
    return node.type == "false"
