"""A Drizzle (Postgres) schema module → Convex tables, as plain data for the schema template.

`drizzle_tables` reads the module with tree-sitter's TypeScript grammar, without running it. Each
`export const X = pgTable("sql_name", {...}, (t) => [...])` becomes
`{"name": "X", "sql_name", "fields": [{"name", "validator"}], "indexes": [{"name", "fields"}],
"notes": [...]}`: fields keep their TypeScript keys and get Convex validators; what Convex cannot
express (unique indexes, cascading deletes, unknown column types) becomes a note, which the
template writes as a comment above the table.

tree-sitter is imported inside the functions: the check path never translates anything and must
not pay for the import.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from tree_sitter import Node

# Column builder → validator.
_VALIDATORS = {
    **dict.fromkeys(("text", "varchar", "char", "uuid"), "v.string()"),
    **dict.fromkeys(("integer", "smallint", "bigint", "serial", "smallserial"), "v.number()"),
    **dict.fromkeys(("bigserial", "real", "doublePrecision", "numeric", "decimal"), "v.number()"),
    # Convex has no date type: epoch milliseconds, the unit of `_creationTime` and Date.now().
    **dict.fromkeys(("timestamp", "date", "time"), "v.number()"),
    "boolean": "v.boolean()",
    **dict.fromkeys(("json", "jsonb"), "v.any()"),
}
# A primary key the database generates is replaced by Convex's own `_id`.
_GENERATED_KEY_TYPES = {"uuid", "serial", "smallserial", "bigserial"}
_GENERATING = {"defaultRandom", "generatedAlwaysAsIdentity", "generatedByDefaultAsIdentity"}
# A creation timestamp defaulting to now duplicates `_creationTime`, set on every insert.
_CREATED_AT = re.compile(r"(created|inserted)(_?(at|on))?|creation_?time", re.IGNORECASE)
_NOW = re.compile(r"\bnow\(\)|new Date\(\)|Date\.now\(\)", re.IGNORECASE)
_UNIQUE = {"uniqueIndex", "unique", "primaryKey"}
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_WRAPPERS = {
    "parenthesized_expression",
    "as_expression",
    "satisfies_expression",
    "non_null_expression",
}
_FUNCTIONS = {"arrow_function", "function_expression", "function_declaration"}


def convex_schema_context(drizzle_source: str | None) -> dict:
    """Context of templates/convex-adoption/convex/schema.ts.j2.

    `notes` are remarks on the whole file; each table carries its own. Without a Drizzle schema,
    or with one that declares no table, the tables are the seed's ten entities.
    """
    notes: list[str] = []
    if drizzle_source is not None:
        tables, notes = _translate(drizzle_source)
        if tables:
            return {"tables": tables, "source": "drizzle", "notes": notes}
        notes.append("the Drizzle schema exports no pgTable; the seed's entities are used")
    return {"tables": seed_tables(), "source": "seed", "notes": notes}


def drizzle_tables(source: str) -> list[dict]:
    """The Convex tables for every exported pgTable of a Drizzle schema module."""
    return _translate(source)[0]


def user_scoped_tables(source: str) -> list[str]:
    """The SQL names of the pgTables with a user id column (`userId`, `user_id`)."""
    return [
        table["sql_name"]
        for table in drizzle_tables(source)
        if any(f["name"] in ("userId", "user_id") for f in table["fields"])
    ]


def seed_tables() -> list[dict]:
    """The seed's ten domain entities at a coarse level, for a repo without a Drizzle schema."""
    s, n, b, anything = "v.string()", "v.number()", "v.boolean()", "v.any()"

    def opt(validator: str) -> str:
        return f"v.optional({validator})"

    def ref(table: str) -> str:
        return f'v.id("{table}")'

    def one_of(*values: str) -> str:
        return "v.union(" + ", ".join(f'v.literal("{value}")' for value in values) + ")"

    # table: (fields, indexes as space-separated field lists)
    entities = {
        "users": ({"email": s, "name": s, "avatarUrl": opt(s)}, ["email"]),
        "teams": ({"slug": s, "name": s, "createdById": ref("users")}, ["slug"]),
        "teamMembers": (
            {"teamId": ref("teams"), "userId": ref("users")}
            | {"role": one_of("owner", "admin", "member")},
            ["teamId userId", "userId"],
        ),
        "specs": (
            {"teamId": ref("teams"), "title": s, "currentVersion": n, "archived": b}
            | {"createdById": ref("users")},
            ["teamId"],
        ),
        "specVersions": (
            {"specId": ref("specs"), "version": n, "body": s, "metadata": opt(anything)}
            | {"authorId": ref("users")},
            ["specId version"],
        ),
        "agentRuns": (
            {"specVersionId": ref("specVersions")}
            | {"status": one_of("queued", "running", "succeeded", "failed", "cancelled")}
            | {"model": s, "tokenUsage": opt(anything), "error": opt(s)}
            | {"startedAt": opt(n), "finishedAt": opt(n)},
            ["specVersionId", "status"],
        ),
        "tasks": (
            {"agentRunId": ref("agentRuns"), "title": s}
            | {"status": one_of("todo", "in_progress", "blocked", "done")}
            | {"position": n, "assigneeId": opt(ref("users"))},
            ["agentRunId"],
        ),
        "artifacts": (
            {"agentRunId": ref("agentRuns"), "taskId": opt(ref("tasks")), "kind": s, "path": s}
            | {"sizeBytes": n, "checksum": s},
            ["agentRunId"],
        ),
        "auditLog": (
            {"teamId": ref("teams"), "actorId": opt(ref("users")), "action": s}
            | {"entityType": s, "entityId": opt(s), "payload": opt(anything)},
            ["teamId"],
        ),
        "apiKeys": (
            {"teamId": ref("teams"), "name": s, "prefix": s, "hashedKey": s}
            | {"createdById": ref("users"), "lastUsedAt": opt(n), "revokedAt": opt(n)},
            ["hashedKey", "teamId"],
        ),
    }
    return [
        {
            "name": name,
            "sql_name": re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower(),
            "fields": [{"name": key, "validator": value} for key, value in fields.items()],
            "indexes": [
                {"name": "by_" + "_".join(index.split()), "fields": index.split()}
                for index in indexes
            ],
            "notes": [],
        }
        for name, (fields, indexes) in entities.items()
    ]


@dataclass
class _Column:
    key: str
    builder: str
    validator: str  # of the column type, before references, `.array()` and optionality
    required: bool = False
    primary: bool = False
    generated: bool = False
    default_now: bool = False
    unique: bool = False
    arrays: int = 0
    reference: tuple[str, str] | None = None
    on_delete: str | None = None

    def replaced_by_system_field(self) -> bool:
        """Convex gives every document `_id` and `_creationTime`: the columns they replace go."""
        if self.primary and self.reference is None:
            return self.key == "id" or self.builder in _GENERATED_KEY_TYPES or self.generated
        return (
            self.builder in ("timestamp", "date")
            and self.default_now
            and (_CREATED_AT.fullmatch(self.key) is not None)
        )


@dataclass
class _Table:
    name: str
    sql_name: str
    columns: list[_Column]
    # (label, column keys or None for an SQL expression, unique, partial)
    constraints: list[tuple[str, list[str] | None, bool, bool]]
    notes: list[str]


def _translate(source: str) -> tuple[list[dict], list[str]]:
    module = _Module(source)
    notes = []
    if module.root.has_error:
        notes.append("the Drizzle schema has syntax errors; tables near them may be incomplete")
    tables = []
    for name in module.exported:
        value = _unwrap(module.values[name])
        if value.type == "call_expression" and module.is_table_builder(
            value.child_by_field_name("function")
        ):
            table = module.table(name, value)
            if table is None:
                notes.append(f"{name}: the columns are not an object literal; table left out")
            else:
                tables.append(table)
    # Only a reference to a table's primary key is a document link, hence a v.id().
    primary_keys = {
        table.name: next((c.key for c in table.columns if c.primary), None) for table in tables
    }
    return [_assemble(table, primary_keys) for table in tables], notes


def _assemble(table: _Table, primary_keys: dict[str, str | None]) -> dict:
    notes = table.notes
    replaced = {c.key for c in table.columns if c.replaced_by_system_field()}
    fields = []
    for column in table.columns:
        if column.key in replaced:
            continue
        validator = column.validator
        if column.reference is not None:
            target, key = column.reference
            if primary_keys.get(target) == key:
                validator = f'v.id("{target}")'
            else:
                notes.append(
                    f"{column.key} references {target}.{key}, not the primary key of a table "
                    f"here, so it stays {validator}"
                )
        for _ in range(column.arrays):
            validator = f"v.array({validator})"
        if not column.required:
            validator = f"v.optional({validator})"
        fields.append({"name": column.key, "validator": validator})

    cascades = [f"{c.key} ({c.on_delete})" for c in table.columns if c.on_delete]
    if cascades:
        notes.append(
            "onDelete is not enforced (Convex has no foreign keys): " + ", ".join(cascades)
        )
    candidates = [(f"{c.key}.unique()", [c.key], True, False) for c in table.columns if c.unique]
    candidates += [
        (f"primary key {c.key}", [c.key], True, False)
        for c in table.columns
        if c.primary and c.key not in replaced
    ]
    names = {field["name"] for field in fields}
    indexes: list[dict] = []
    for label, keys, unique, partial in candidates + table.constraints:
        if keys is None:
            notes.append(f"{label} indexes an SQL expression; left out")
            continue
        kept = [key for key in keys if key in names]
        lost = [key for key in keys if key not in names]
        name = "by_" + "_".join(kept)
        if not kept:
            notes.append(f"{label} covers only {', '.join(lost)}, no field here; left out")
            continue
        if any(index["name"] == name for index in indexes):
            notes.append(f"{label} duplicates {name}; left out")
            continue
        if lost and set(lost) <= replaced:
            notes.append(
                f"{label} drops {', '.join(lost)}: replaced by _id/_creationTime, and every "
                "Convex index already ends with _creationTime"
            )
        elif lost:
            notes.append(f"{label} drops {', '.join(lost)}: not a field of this table")
        if unique:
            notes.append(f"{label} is unique in Postgres; Convex indexes are not: query it first")
        if partial:
            notes.append(f"{label} is partial; the Convex index covers every document")
        indexes.append({"name": name, "fields": kept})
    return {
        "name": table.name,
        "sql_name": table.sql_name,
        "fields": fields,
        "indexes": indexes,
        "notes": notes,
    }


class _Module:
    """A parsed schema module and its top-level bindings, so helpers and aliases can be followed."""

    def __init__(self, source: str):
        from tree_sitter import Language, Parser
        from tree_sitter_typescript import language_typescript

        parser = Parser(Language(language_typescript()))
        self.root = parser.parse(source.encode()).root_node
        self.values: dict[str, Node] = {}
        self.exported: list[str] = []
        for statement in _kids(self.root):
            exported = statement.type == "export_statement"
            declaration = statement.child_by_field_name("declaration") if exported else statement
            if declaration is None:
                continue
            if declaration.type == "function_declaration":
                self.values[_text(declaration.child_by_field_name("name"))] = declaration
            elif declaration.type in ("lexical_declaration", "variable_declaration"):
                for declarator in _kids(declaration):
                    name = declarator.child_by_field_name("name")
                    value = declarator.child_by_field_name("value")
                    if name is not None and name.type == "identifier" and value is not None:
                        self.values[_text(name)] = value
                        if exported:
                            self.exported.append(_text(name))

    def resolve(self, node: Node) -> Node:
        """An expression with local aliases (`const x = [...]`) followed."""
        for _ in range(8):
            node = _unwrap(node)
            if node.type not in ("identifier", "shorthand_property_identifier"):
                break
            if _text(node) not in self.values:
                break
            node = self.values[_text(node)]
        return node

    def is_table_builder(self, callee: Node) -> bool:
        """`pgTable`, a `pgTableCreator(...)` result (create-t3-app's `createTable`), or the
        `.table` of a `pgSchema(...)`."""
        if callee.type == "identifier":
            return _text(callee) == "pgTable" or self._made_by(callee, "pgTableCreator")
        return (
            callee.type == "member_expression"
            and _text(callee.child_by_field_name("property")) == "table"
            and self._made_by(callee.child_by_field_name("object"), "pgSchema")
        )

    def _made_by(self, node: Node, factory: str) -> bool:
        value = self.resolve(node)
        return value.type == "call_expression" and (
            _builder_name(value.child_by_field_name("function")) == factory
        )

    def chain(self, node: Node, hops: int = 0) -> tuple[str | None, Node | None, list]:
        """`base(args).m1(a).m2(b)` → ("base", args, [("m1", a), ("m2", b)]).

        Local helpers (`const createdAt = () => timestamp(...)`) and aliases are followed, so a
        column written `createdAt()` carries the helper's type and modifiers.
        """
        node = self.resolve(node)
        methods = []
        while node.type == "call_expression":
            callee = node.child_by_field_name("function")
            args = node.child_by_field_name("arguments")
            if callee.type == "member_expression":
                inner = _unwrap(callee.child_by_field_name("object"))
                if inner.type == "call_expression":
                    methods.append((_text(callee.child_by_field_name("property")), args))
                    node = inner
                    continue
            helper = self.values.get(_text(callee)) if callee.type == "identifier" else None
            if helper is not None and helper.type in _FUNCTIONS and hops < 8:
                base, base_args, inherited = self.chain(_returned(helper), hops + 1)
                return base, base_args, inherited + methods[::-1]
            return _builder_name(callee), args, methods[::-1]
        return None, None, []

    def entries(self, node: Node, hops: int = 0) -> Iterator[tuple[str | None, Node]]:
        """(key, value) of an object literal, with spreads of local objects (`...timestamps`)."""
        for entry in _kids(node):
            if entry.type == "pair":
                yield _key(entry.child_by_field_name("key")), entry.child_by_field_name("value")
            elif entry.type == "shorthand_property_identifier":
                yield _text(entry), entry
            elif entry.type == "spread_element" and hops < 8:
                spread = self.resolve(_kids(entry)[0])
                if spread.type == "object":
                    yield from self.entries(spread, hops + 1)
                else:
                    yield None, entry
            else:
                yield None, entry

    def table(self, name: str, call: Node) -> _Table | None:
        args = _kids(call.child_by_field_name("arguments"))
        columns_node = self.resolve(args[1]) if len(args) > 1 else None
        if columns_node is not None and columns_node.type in _FUNCTIONS:  # (t) => ({ ... })
            columns_node = self.resolve(_returned(columns_node))
        if columns_node is None or columns_node.type != "object":
            return None
        table = _Table(name, _string(args[0]) or name, [], [], [])
        for key, value in self.entries(columns_node):
            column = self.column(key, value, table.notes) if key is not None else None
            if column is None:
                table.notes.append(f"`{_snippet(value)}` is not a column here; left out")
            else:
                table.columns.append(column)
        if len(args) > 2:
            for item in self.config_items(args[2], table.notes):
                self.constraint(item, table)
        return table

    def column(self, key: str, node: Node, notes: list[str]) -> _Column | None:
        builder, args, methods = self.chain(node)
        if builder is None:
            return None
        column = _Column(key, builder, self.column_type(key, builder, args, notes))
        for method, method_args in methods:
            if method == "notNull":
                column.required = True
            elif method == "primaryKey":
                column.primary = column.required = True
            elif method == "array":
                column.arrays += 1
            elif method == "unique":
                column.unique = True
            elif method == "references":
                column.reference = _reference(method_args)
                column.on_delete = _option(method_args, "onDelete")
            elif method in _GENERATING:
                column.generated = True
            elif method == "defaultNow" or (
                method in ("default", "$defaultFn") and _NOW.search(_text(method_args))
            ):
                column.default_now = True
        return column

    def column_type(self, key: str, builder: str, args: Node, notes: list[str]) -> str:
        values = self.enum_values(builder)
        if values:
            literals = [f"v.literal({json.dumps(value)})" for value in values]
            return literals[0] if len(literals) == 1 else f"v.union({', '.join(literals)})"
        if values is not None:
            notes.append(f"{key}: the values of enum {builder} are not a literal list; v.string()")
            return "v.string()"
        if builder == "bigint" and _option(args, "mode") == "bigint":
            return "v.int64()"
        if builder in _VALIDATORS:
            return _VALIDATORS[builder]
        notes.append(f"{key}: unknown column type {builder}(), stored as v.any()")
        return "v.any()"

    def enum_values(self, name: str) -> list[str] | None:
        """The values of `const name = pgEnum("sql", [...])`; None when `name` is no enum."""
        value = self.values.get(name)
        if value is None:
            return None
        value = self.resolve(value)
        if value.type != "call_expression" or _builder_name(
            value.child_by_field_name("function")
        ) not in ("pgEnum", "enum"):
            return None
        args = _kids(value.child_by_field_name("arguments"))
        listed = self.resolve(args[1]) if len(args) > 1 else None
        if listed is None or listed.type != "array":
            return []
        return [text for text in map(_string, _kids(listed)) if text is not None]

    def config_items(self, node: Node, notes: list[str]) -> list[Node]:
        """The constraints of `(t) => [...]` or the older `(t) => ({ name: ... })`."""
        node = self.resolve(node)
        body = self.resolve(_returned(node)) if node.type in _FUNCTIONS else node
        if body.type == "array":
            return _kids(body)
        if body.type == "object":
            return [value for _, value in self.entries(body)]
        notes.append("the table's third argument is neither an array nor an object; no indexes")
        return []

    def constraint(self, node: Node, table: _Table) -> None:
        kind, args, methods = self.chain(node)
        if kind == "primaryKey":  # primaryKey({ columns: [t.a, t.b] }) or primaryKey(t.a, t.b)
            listed = _option_node(args, "columns")
            items = _kids(listed) if listed is not None else _kids(args)
            keys = _column_keys(items)
            table.constraints.append(("the composite primary key", keys, True, False))
            return
        if kind not in ("index", "uniqueIndex", "unique"):
            table.notes.append(f"`{_snippet(node)}` is not translated")
            return
        keys: list[str] | None = []
        for method, method_args in methods:
            if method in ("on", "using"):  # using("gin", t.a): the method name is no column
                items = [a for a in _kids(method_args) if a.type != "string"]
                keys = _column_keys(items)
        partial = any(method == "where" for method, _ in methods)
        # Named by its SQL name, as in `index("users_email_idx")`, else by its source.
        label = _string(_kids(args)[0]) if _kids(args) else None
        label = label or _snippet(node)
        table.constraints.append((label, keys, kind in _UNIQUE, partial))


def _kids(node: Node) -> list[Node]:
    return [child for child in node.named_children if child.type != "comment"]


def _text(node: Node) -> str:
    return node.text.decode()


def _snippet(node: Node) -> str:
    """A node's source on one line, shortened, for a note."""
    text = " ".join(_text(node).split())
    return text if len(text) <= 80 else text[:77] + "..."


def _unwrap(node: Node) -> Node:
    """`(x)`, `x as const`, `x satisfies T`, `x!` → x."""
    while node.type in _WRAPPERS:
        node = _kids(node)[0]
    return node


def _returned(function: Node) -> Node:
    """What a function returns: an arrow's expression body or its block's `return` value."""
    body = function.child_by_field_name("body")
    if body.type != "statement_block":
        return body
    for statement in _kids(body):
        if statement.type == "return_statement" and _kids(statement):
            return _kids(statement)[0]
    return body


def _builder_name(callee: Node) -> str:
    """`text` for `text(...)`, `pg.text(...)` and the columns callback's `t.text(...)`."""
    if callee.type == "member_expression":
        return _text(callee.child_by_field_name("property"))
    return _text(callee)


def _string(node: Node) -> str | None:
    node = _unwrap(node)
    if node.type != "string":
        return None
    return "".join(
        _text(part).encode().decode("unicode_escape")
        if part.type == "escape_sequence"
        else (_text(part))
        for part in node.named_children
    )


def _key(node: Node) -> str | None:
    """An object key usable as a Convex field name: `teamId` or `"teamId"`, not `[k]`."""
    text = _text(node) if node.type == "property_identifier" else _string(node)
    return text if text is not None and _IDENTIFIER.fullmatch(text) else None


def _option_node(args: Node | None, name: str) -> Node | None:
    """The value of `name` in an options-object argument, e.g. `{ mode: "bigint" }`."""
    for arg in _kids(args) if args is not None else []:
        if arg.type == "object":
            for entry in _kids(arg):
                if entry.type == "pair" and _key(entry.child_by_field_name("key")) == name:
                    return _unwrap(entry.child_by_field_name("value"))
    return None


def _option(args: Node | None, name: str) -> str | None:
    value = _option_node(args, name)
    return _string(value) if value is not None else None


def _reference(args: Node) -> tuple[str, str] | None:
    """`.references(() => users.id)` → ("users", "id")."""
    target = _kids(args)[:1]
    if not target or target[0].type not in _FUNCTIONS:
        return None
    member = _unwrap(_returned(target[0]))
    if member.type != "member_expression":
        return None
    table, column = member.child_by_field_name("object"), member.child_by_field_name("property")
    return _text(table), _text(column)


def _column_keys(items: list[Node]) -> list[str] | None:
    """`t.a`, `t.b.desc()` → ["a", "b"]; None when one of them is an SQL expression."""
    keys = []
    for item in items:
        item = _unwrap(item)
        # t.a.asc().nullsFirst(): the ordering calls wrap the column
        while item.type == "call_expression":
            callee = item.child_by_field_name("function")
            if callee.type != "member_expression":
                return None
            item = _unwrap(callee.child_by_field_name("object"))
        if item.type != "member_expression":
            return None
        keys.append(_text(item.child_by_field_name("property")))
    return keys
