"""A Drizzle schema → Convex tables, as plain data for the schema template.

The schema is what drizzle-kit reads: every table the schema modules export (`Object.values` of
each module, so re-exports through barrels count and unexported tables do not), built with
`pgTable` / `mysqlTable` / `sqliteTable`, a table creator (`pgTableCreator((name) =>
\\`app_${name}\\`)`, whose prefix goes into the SQL name), or a schema's `.table(…)`. Modules are
read with tree-sitter's TypeScript grammar and followed across files (`modules.py`), never run.

Each table becomes `{"name", "sql_name", "fields": [{"name", "validator"}], "indexes": [{"name",
"fields"}], "notes": [...]}`: named after the TypeScript export, fields keep their keys and get
Convex validators; references — `.references(() => t.id)`, `foreignKey(…)` or the
`fields`/`references` of a `relations(…)` `one(…)` — to a table's primary key become `v.id("t")`;
what Convex cannot express (unique indexes, cascading deletes, SQL expressions) becomes a note,
which the template writes as a comment. What cannot be carried over at all (a view, a computed
column, a name Convex reserves, a module that does not parse) is `skipped`, with the reason and
where it is, for the fix to report. Nothing is invented: without tables the schema is empty and
says why.

tree-sitter is imported inside the functions: the check path never translates anything and must
not pay for the import.
"""

from __future__ import annotations

import json
import re

from .modules import Binding, External, Module, Modules, kids, line_of, string_of, text, unwrap

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from tree_sitter import Node

# Column builder → validator, for the three dialects drizzle-orm 0.45 ships.
_VALIDATORS = {
    **dict.fromkeys(
        ("text", "varchar", "char", "uuid", "tinytext", "mediumtext", "longtext"), "v.string()"
    ),
    # Postgres types drizzle hands over as strings.
    **dict.fromkeys(("cidr", "inet", "macaddr", "macaddr8", "interval", "bit"), "v.string()"),
    **dict.fromkeys(("binary", "varbinary", "sparsevec", "time"), "v.string()"),
    **dict.fromkeys(("integer", "int", "smallint", "tinyint", "mediumint", "bigint"), "v.number()"),
    **dict.fromkeys(("serial", "smallserial", "bigserial", "year"), "v.number()"),
    **dict.fromkeys(
        ("real", "doublePrecision", "double", "float", "numeric", "decimal"), "v.number()"
    ),
    # Convex has no date type: epoch milliseconds, the unit of `_creationTime` and Date.now().
    **dict.fromkeys(("timestamp", "date", "datetime"), "v.number()"),
    "boolean": "v.boolean()",
    **dict.fromkeys(("json", "jsonb"), "v.any()"),
    **dict.fromkeys(("vector", "halfvec"), "v.array(v.number())"),
    "blob": "v.bytes()",
}
_TIMESTAMPS = {"timestamp", "date", "datetime"}
# A primary key the database generates is replaced by Convex's own `_id`.
_GENERATED_KEY_TYPES = {"uuid", "serial", "smallserial", "bigserial"}
_GENERATING = {
    "defaultRandom",
    "generatedAlwaysAsIdentity",
    "generatedByDefaultAsIdentity",
    "autoincrement",
}
# A creation timestamp defaulting to now duplicates `_creationTime`, set on every insert.
_CREATED_AT = re.compile(r"(created|inserted)(_?(at|on))?|creation_?time", re.IGNORECASE)
# now() and its spellings: Postgres/MySQL, JavaScript, SQLite (`unixepoch()`, `'now'`).
_NOW = re.compile(
    r"\bnow\(\)|new Date\(\)|Date\.now\(\)|current_timestamp|unixepoch\(|'now'", re.IGNORECASE
)
_UNIQUE = {"uniqueIndex", "unique", "primaryKey"}
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
# Convex names: tables and fields must not start with `_` (system) or `$` (reserved).
_CONVEX_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_RESERVED_INDEXES = {"by_id", "by_creation_time"}
_FUNCTIONS = {"arrow_function", "function_expression", "function_declaration"}
_TABLE_FACTORIES = {"pgTable": "pg", "mysqlTable": "mysql", "sqliteTable": "sqlite"}
_TABLE_CREATORS = {
    "pgTableCreator": "pg",
    "mysqlTableCreator": "mysql",
    "sqliteTableCreator": "sqlite",
}
_SCHEMA_FACTORIES = {"pgSchema": "pg", "mysqlSchema": "mysql"}
_VIEWS = {"pgView", "pgMaterializedView", "mysqlView", "sqliteView", "view", "materializedView"}
_ENUM_FACTORIES = {"pgEnum", "enum"}
# What a custom type's `data` is in TypeScript → validator.
_CUSTOM_DATA = {
    "string": "v.string()",
    "number": "v.number()",
    "boolean": "v.boolean()",
    "bigint": "v.int64()",
    "Date": "v.number()",
    "Buffer": "v.bytes()",
    "Uint8Array": "v.bytes()",
    "ArrayBuffer": "v.bytes()",
}
_MAX_HOPS = 8
_DATABASES = {"pg": "Postgres", "mysql": "MySQL", "sqlite": "SQLite"}


def schema_context(modules: Modules, entries: list[str], origin: str) -> dict:
    """Context of templates/convex-adoption/convex/schema.ts.j2 for the tables the `entries`
    export (the files drizzle-kit loads, repository paths), read through `modules`. `origin`
    says where the entries come from (the config and its `schema`). Without a table the
    context is empty, with the reason."""
    schema = _Reader(modules).read(entries)
    if not schema.tables:
        reason = schema.empty_reason()
        context = empty_context(reason, schema.where or (entries[0] if entries else ""))
        if not schema.unreadable:  # else the reason names each module that could not be read
            context["skipped"] = schema.skipped + context["skipped"]
            context["notes"] = schema.notes
        return context
    return {
        "source": "drizzle",
        "origin": origin,
        "modules": len(schema.files),
        "tables": schema.tables,
        "notes": schema.notes,
        "skipped": schema.skipped,
        "reason": "",
    }


def empty_context(reason: str, where: str) -> dict:
    """An empty Convex schema: no Drizzle schema could be read, and `reason` says why (reported
    as skipped at `where`)."""
    return {
        "source": "none",
        "origin": "",
        "modules": 0,
        "tables": [],
        "notes": [],
        "skipped": [{"name": "every Convex table", "where": where, "reason": reason}],
        "reason": reason,
    }


def source_context(source: str, path: str = "schema.ts") -> dict:
    """The context for one module given as text, importing nothing from the repository."""
    from ..typescript import parse

    modules = Modules(lambda _: parse(source, path), lambda _path, _specifier: None)
    return schema_context(modules, [path], path)


def drizzle_tables(source: str) -> list[dict]:
    """The Convex tables for every table a Drizzle schema module exports."""
    return source_context(source)["tables"]


def user_scoped_tables(source: str) -> list[str]:
    """The SQL names of the tables with a user id column (`userId`, `user_id`)."""
    return [
        table["sql_name"]
        for table in drizzle_tables(source)
        if any(f["name"] in ("userId", "user_id") for f in table["fields"])
    ]


# Reading ------------------------------------------------------------------------------------


class _Column:
    """One column as read from a Drizzle table. A plain class: `dataclasses` (through
    `inspect`) costs ~5 ms of every `fix` that translates a schema."""

    def __init__(self, key: str, builder: str, validator: str, line: int):
        self.key = key
        self.builder = builder
        self.validator = validator  # of the column type, before references, `.array()`, `?`
        self.line = line
        self.timestamp = False
        self.required = False
        self.primary = False
        self.generated = False
        self.defaulted = False  # a default the database or the app fills in on insert
        self.default_now = False
        self.unique = False
        self.arrays = 0
        # (the table's identity or None, as written: "users.id", the referenced column key)
        self.reference: tuple[tuple | None, str, str] | None = None
        self.on_delete: str | None = None

    def replaced_by_system_field(self) -> bool:
        """Convex gives every document `_id` and `_creationTime`: the columns they replace go."""
        if self.primary and self.reference is None:
            # A key made on insert, by the database or the app (`$defaultFn(() => nanoid())`)
            generated = self.generated or self.defaulted or self.builder in _GENERATED_KEY_TYPES
            return self.key == "id" or generated
        return self.timestamp and self.default_now and _CREATED_AT.fullmatch(self.key) is not None


class _Table:
    """One Drizzle table: where it is, its columns, constraints and what was left out."""

    def __init__(
        self, identity: tuple, names: list[str], local: str | None, sql_name: str, path: str,
        line: int, dialect: str,
    ):  # fmt: skip
        self.identity = identity
        self.names = names  # the names it is exported under, in the order found
        self.local = local  # the name it is declared under
        self.sql_name = sql_name
        self.path = path
        self.line = line
        self.dialect = dialect
        self.columns: list[_Column] = []
        # (label, column keys or None for an SQL expression, unique, partial)
        self.constraints: list[tuple[str, list[str] | None, bool, bool]] = []
        self.notes: list[str] = []
        self.skipped: list[tuple[str, int, str]] = []  # (column, line, reason)
        # What the table's third argument calls it: `(table) => [foreignKey(… [table.id])]`
        self.own_name: str | None = None
        self.rls = False  # `.enableRLS()`


class _Schema:
    def __init__(self):
        self.tables: list[dict] = []
        self.notes: list[str] = []
        self.skipped: list[dict] = []
        self.files: list[str] = []
        self.where = ""
        self.unreadable: list[str] = []

    def read(self, path: str) -> None:
        if path not in self.files:
            self.files.append(path)

    def skip(self, name: str, path: str, line: int | None, reason: str, note: bool = True) -> None:
        """Report `name` as not generated; `note` also says it at the top of the schema (a
        column's own table says it instead)."""
        where = f"{path}:{line}" if line else path
        if note and not any(where in existing for existing in self.notes):
            self.notes.append(f"{name} ({where}) not generated: {reason}")
        for entry in self.skipped:
            if entry["where"] == where:  # one report line per place
                if name in entry["name"].split(", "):
                    return
                entry["name"] += f", {name}"
                if reason not in entry["reason"]:
                    entry["reason"] += f"; {reason}"
                return
        self.skipped.append({"name": name, "where": where, "reason": reason})

    def empty_reason(self) -> str:
        if self.unreadable:
            return "; ".join(self.unreadable)
        if self.skipped:
            return "no table could be translated (each is listed as skipped)"
        listed = ", ".join(self.files[:3]) + (
            f" and {len(self.files) - 3} more" if len(self.files) > 3 else ""
        )
        verb = "exports" if len(self.files) == 1 else "export"
        return f"{listed} {verb} no table (pgTable, mysqlTable, sqliteTable or a table creator's)"


class _Reader:
    """Reads the tables, views and relations the schema modules export."""

    def __init__(self, modules: Modules):
        self.modules = modules

    def read(self, entries: list[str]) -> _Schema:
        schema = _Schema()
        tables: dict[tuple, _Table] = {}
        relations: list[tuple[Module, Node]] = []
        for path in entries:
            module = self.modules.get(path)
            if module is None:
                reason = self.modules.problems.get(path, "cannot be read")
                schema.unreadable.append(f"{path} {reason}")
                schema.skip("the module's tables", path, None, reason)
                schema.where = schema.where or path
                continue
            schema.read(path)
            if self._broken(module, schema):
                continue
            for name in self.modules.export_names(module):
                trail: list[str] = []
                found = self.modules.exported(module, name, trail)
                if isinstance(found, Binding):
                    trail.append(found.module.path)
                passed = [self.modules.get(inner) for inner in trail]
                if any(self._broken(inner, schema) for inner in passed if inner is not None):
                    continue  # what a module that does not parse exports cannot be trusted
                for inner in trail:
                    schema.read(inner)
                if isinstance(found, Binding):
                    self._classify(found, name, tables, relations, schema)
        identities = {table.identity for table in tables.values()}
        references: dict[tuple, tuple[tuple, str, str]] = {}
        for module, call in relations:
            self._relation(module, call, identities, references)
        self._assemble(list(tables.values()), references, schema)
        return schema

    def _broken(self, module: Module, schema: _Schema) -> bool:
        """Whether a module does not parse; the first time, it is reported."""
        line = module.syntax_error()
        if line is None:
            return False
        where = f"{module.path}:{line}"
        if not any(entry["where"] == where for entry in schema.skipped):
            schema.unreadable.append(f"{where} does not parse")
            schema.skip("the module's tables", module.path, line, "it does not parse")
            schema.where = schema.where or where
        return True

    def _classify(
        self,
        found: Binding,
        name: str,
        tables: dict[tuple, _Table],
        relations: list[tuple[Module, Node]],
        schema: _Schema,
    ) -> None:
        module, node = self.modules.resolve(found.module, found.node)
        identity = (module.path, node.start_byte)
        if identity in tables:
            if name != "default" and name not in tables[identity].names:
                tables[identity].names.append(name)
            return
        if node.type != "call_expression":
            return
        built = self._table_call(module, node)
        if built is not None:
            call, dialect, namer, rls = built
            local = found.name
            table = self._table(module, call, identity, local, dialect, namer, schema)
            if table is None:
                return
            if name != "default":
                table.names.append(name)
            table.rls = rls
            tables[identity] = table
            return
        base = self._chain_base(module, node)
        if base in _VIEWS:
            schema.skip(
                f"view {name}",
                module.path,
                line_of(node),
                "Convex has no views; a query function reads the tables it joins",
            )
        elif base == "relations":
            relations.append((module, node))

    # Tables -----------------------------------------------------------------------------

    def _table_call(self, module: Module, node: Node):
        """(the table call, dialect, the name function of a table creator, whether
        `.enableRLS()` is chained) when `node` builds a table, else None."""
        rls = False
        while node.type == "call_expression":
            callee = unwrap(node.child_by_field_name("function"))
            if callee.type == "member_expression":
                inner = unwrap(callee.child_by_field_name("object"))
                method = text(callee.child_by_field_name("property"))
                if inner.type == "call_expression" and method in ("enableRLS",):
                    rls, node = True, inner
                    continue
            factory = self._factory(module, callee)
            if factory is None:
                return None
            return node, factory[0], factory[1], rls
        return None

    def _factory(self, module: Module, callee: Node):
        """(dialect, name function or None) when `callee` makes tables."""
        name = self._drizzle_name(module, callee)
        if name in _TABLE_FACTORIES:
            return _TABLE_FACTORIES[name], None
        if callee.type == "member_expression" and name == "table":
            holder, made = self.modules.resolve(module, callee.child_by_field_name("object"))
            if made.type == "call_expression":
                schema = self._drizzle_name(holder, made.child_by_field_name("function"))
                if schema in _SCHEMA_FACTORIES:
                    return _SCHEMA_FACTORIES[schema], None
            return None
        if callee.type == "identifier" and name is None:
            holder, made = self.modules.resolve(module, callee)
            if made.type == "call_expression":
                creator = self._drizzle_name(holder, made.child_by_field_name("function"))
                if creator in _TABLE_CREATORS:
                    arguments = kids(made.child_by_field_name("arguments"))
                    namer = (holder, arguments[0]) if arguments else None
                    return _TABLE_CREATORS[creator], namer
        return None

    def _drizzle_name(self, module: Module, callee: Node) -> str | None:
        """The name a library function is called by: its imported name (`pgTable`, even when
        imported under an alias), a namespace member's (`pg.text`), the callback's (`t.text`);
        an identifier bound nowhere keeps its own. None for a definition in the repository."""
        callee = unwrap(callee)
        if callee.type == "identifier":
            bound = self.modules.binding(module, text(callee))
            if isinstance(bound, External):
                return bound.name
            if bound is None:
                return text(callee)
            holder, value = self.modules.resolve(module, callee)
            if value.type in ("identifier", "member_expression") and value is not callee:
                return self._drizzle_name(holder, value)  # `const table = pgTable`
            return None
        if callee.type == "member_expression":
            external = self.modules.external(module, callee)
            if external is not None:
                return external.name
            return text(callee.child_by_field_name("property"))
        return None

    def _chain_base(self, module: Module, node: Node) -> str | None:
        """The library function a call chain starts from (`pgView` of `pgView(…).as(…)`)."""
        while node.type == "call_expression":
            callee = unwrap(node.child_by_field_name("function"))
            if callee.type == "member_expression":
                inner = unwrap(callee.child_by_field_name("object"))
                if inner.type == "call_expression":
                    node = inner
                    continue
            return self._drizzle_name(module, callee)
        return None

    def _table(
        self,
        module: Module,
        call: Node,
        identity: tuple,
        local: str | None,
        dialect: str,
        namer,
        schema: _Schema,
    ) -> _Table | None:
        args = kids(call.child_by_field_name("arguments"))
        given = self._string(module, args[0]) if args else None
        table = _Table(
            identity, [], local, given or local or "", module.path, line_of(call), dialect
        )
        label = local or given or "a default export"
        if namer is not None and given is not None:
            named = self._call_namer(namer, given)
            if named is None:
                table.notes.append(
                    f"the SQL name comes from a table creator's function conformance does not "
                    f"evaluate; {given!r} is the name before it"
                )
            else:
                table.sql_name = named
        columns_module, columns = (
            self.modules.resolve(module, args[1]) if len(args) > 1 else (module, None)
        )
        if columns is not None and columns.type in _FUNCTIONS:  # (t) => ({ ... })
            columns_module, columns = self.modules.resolve(columns_module, _returned(columns))
        if columns is None or columns.type != "object":
            schema.skip(
                f"table {label}",
                module.path,
                line_of(call),
                "its columns are not an object literal conformance can read",
            )
            return None
        for key, entry_module, value in self._entries(columns_module, columns):
            if key is None:
                reason = "not a column conformance can read"
                table.skipped.append((_snippet(value), line_of(value), reason))
                continue
            column = self._column(key, entry_module, value, dialect, table)
            if column is not None:
                table.columns.append(column)
        if len(args) > 2:
            for item_module, item in self._config_items(module, args[2], table):
                self._constraint(item_module, item, table)
        return table

    def _call_namer(self, namer: tuple[Module, Node], name: str) -> str | None:
        """What a creator's `(name) => \\`app_${name}\\`` makes of `name`."""
        module, function = self.modules.resolve(*namer)
        if function.type not in _FUNCTIONS:
            return None
        parameter = _parameter(function)
        if parameter is None:
            return None
        return self._evaluate(module, _returned(function), {parameter: name})

    def _evaluate(self, module: Module, node: Node, env: dict[str, str], hops: int = 0):
        """A string expression: literals, template strings, `+`, and names bound to them."""
        node = unwrap(node)
        if hops > _MAX_HOPS:
            return None
        if node.type == "identifier" and text(node) in env:
            return env[text(node)]
        if node.type in ("identifier", "member_expression"):
            holder, value = self.modules.resolve(module, node)
            if value is node:
                return None
            return self._evaluate(holder, value, {}, hops + 1)
        if node.type == "string":
            return string_of(node)
        if node.type == "template_string":
            parts = []
            for part in node.named_children:
                if part.type == "template_substitution":
                    inner = (
                        self._evaluate(module, kids(part)[0], env, hops + 1) if kids(part) else None
                    )
                    if inner is None:
                        return None
                    parts.append(inner)
                elif part.type == "escape_sequence":
                    parts.append(text(part).encode().decode("unicode_escape"))
                else:
                    parts.append(text(part))
            return "".join(parts)
        if node.type == "binary_expression" and text(node.child_by_field_name("operator")) == "+":
            left = self._evaluate(module, node.child_by_field_name("left"), env, hops + 1)
            right = self._evaluate(module, node.child_by_field_name("right"), env, hops + 1)
            return None if left is None or right is None else left + right
        return None

    def _string(self, module: Module, node: Node) -> str | None:
        return self._evaluate(module, node, {})

    def _entries(self, module: Module, node: Node, hops: int = 0) -> Iterator[tuple]:
        """(key, module, value) of an object literal, with spreads of objects defined here or
        imported (`...timestamps`)."""
        for entry in kids(node):
            if entry.type == "pair":
                yield (
                    _key(entry.child_by_field_name("key")),
                    module,
                    entry.child_by_field_name("value"),
                )
            elif entry.type == "shorthand_property_identifier":
                yield text(entry), module, entry
            elif entry.type == "spread_element" and hops < _MAX_HOPS and kids(entry):
                holder, spread = self.modules.resolve(module, kids(entry)[0])
                if spread.type == "object":
                    yield from self._entries(holder, spread, hops + 1)
                else:
                    yield None, module, entry
            else:
                yield None, module, entry

    def _chain(self, module: Module, node: Node, hops: int = 0) -> tuple:
        """`base(args).m1(a).m2(b)` → (module, "base", args, [("m1", a, module), …], origin).

        Helpers (`const createdAt = () => timestamp(…)`, here or imported) and aliases are
        followed, so a column written `createdAt()` carries the helper's type and modifiers.
        `origin` is the (module, call) a builder bound in the repository was made by — an
        enum's `pgEnum(…)`, a `customType(…)` — else None.
        """
        module, node = self.modules.resolve(module, node)
        methods = []
        while node.type == "call_expression":
            callee = unwrap(node.child_by_field_name("function"))
            args = node.child_by_field_name("arguments")
            if callee.type == "member_expression":
                inner = unwrap(callee.child_by_field_name("object"))
                if inner.type == "call_expression":
                    methods.append((text(callee.child_by_field_name("property")), args, module))
                    node = inner
                    continue
            name = self._drizzle_name(module, callee)
            if name is None and hops < _MAX_HOPS:
                holder, value = self.modules.resolve(module, callee)
                if value.type in _FUNCTIONS:  # a helper: what it returns, then our methods
                    base = self._chain(holder, _returned(value), hops + 1)
                    return (*base[:3], base[3] + methods[::-1], base[4])
                if value.type == "call_expression":  # an enum, a custom type
                    made = self._drizzle_name(holder, value.child_by_field_name("function"))
                    return module, made, args, methods[::-1], (holder, value)
            return module, name, args, methods[::-1], None
        return module, None, None, [], None

    def _column(
        self, key: str, module: Module, node: Node, dialect: str, table: _Table
    ) -> _Column | None:
        line = line_of(node)
        if not _CONVEX_NAME.fullmatch(key):
            reason = (
                "Convex reserves field names starting with _ and $"
                if key[:1] in "_$"
                else "not a name Convex accepts as a field"
            )
            table.skipped.append((key, line, reason))
            return None
        module, builder, args, methods, origin = self._chain(module, node)
        if builder is None:
            table.skipped.append((key, line, f"`{_snippet(node)}` is not a column"))
            return None
        if any(method == "generatedAlwaysAs" for method, _, _ in methods):
            table.skipped.append(
                (
                    key,
                    line,
                    "computed by the database (generatedAlwaysAs); Convex stores only what "
                    "mutations write, so they compute it",
                )
            )
            return None
        column = _Column(key, builder, "", line)
        column.validator = self._column_type(column, module, args, origin, dialect, table.notes)
        for method, method_args, method_module in methods:
            if method == "notNull":
                column.required = True
            elif method == "primaryKey":
                column.primary = column.required = True
                if _option(method_args, "autoIncrement") == "true":
                    column.generated = True
            elif method == "array":
                column.arrays += 1
            elif method == "unique":
                column.unique = True
            elif method == "references":
                column.reference = self._reference(method_module, method_args)
                column.on_delete = _option(method_args, "onDelete")
            elif method in _GENERATING:
                column.generated = True
            if method in ("default", "$defaultFn", "$default", "defaultNow"):
                column.defaulted = True
                column.default_now |= method == "defaultNow" or bool(_NOW.search(text(method_args)))
        if dialect == "sqlite" and column.primary and builder == "integer":
            column.generated = True  # INTEGER PRIMARY KEY is SQLite's rowid, assigned on insert
        return column

    def _column_type(
        self,
        column: _Column,
        module: Module,
        args: Node,
        origin: tuple[Module, Node] | None,
        dialect: str,
        notes: list[str],
    ) -> str:
        key, builder = column.key, column.builder
        if origin is not None and builder in _ENUM_FACTORIES:
            holder, made = origin
            listed = kids(made.child_by_field_name("arguments"))
            return self._enum(key, holder, listed[-1] if listed else None, notes)
        if origin is not None and builder == "customType":
            return self._custom(key, *origin, notes)
        if builder == "mysqlEnum":
            listed = kids(args)
            return self._enum(key, module, listed[-1] if listed else None, notes)
        enum = _option_node(args, "enum")
        if enum is not None and builder in ("text", "varchar", "char"):
            return self._enum(key, module, enum, notes)
        mode = _option(args, "mode")
        column.timestamp = builder in _TIMESTAMPS or (
            dialect == "sqlite" and builder == "integer" and mode in ("timestamp", "timestamp_ms")
        )
        if dialect == "sqlite":
            if builder == "integer" and mode == "boolean":
                return "v.boolean()"
            if (builder == "text" and mode == "json") or (builder == "blob" and mode == "json"):
                return "v.any()"
            if builder == "blob" and mode == "bigint":
                return "v.int64()"
        if builder == "bigint" and mode == "bigint":
            return "v.int64()"
        if builder in ("point", "geometry"):
            return (
                "v.object({ x: v.number(), y: v.number() })"
                if mode == "xy"
                else ("v.array(v.number())")
            )
        if builder == "line":
            return (
                "v.object({ a: v.number(), b: v.number(), c: v.number() })"
                if mode == "abc"
                else ("v.array(v.number())")
            )
        if builder in ("vector", "halfvec"):
            dimensions = _option(args, "dimensions")
            index = f", dimensions: {dimensions}" if dimensions and dimensions.isdigit() else ""
            notes.append(
                f"{key}: a pgvector column, stored as v.array(v.number()); a Convex vector "
                f'index searches it: .vectorIndex("by_{key}", {{ vectorField: "{key}"{index} }})'
            )
        if builder in _VALIDATORS:
            return _VALIDATORS[builder]
        notes.append(f"{key}: unknown column type {builder}(), stored as v.any()")
        return "v.any()"

    def _enum(self, key: str, module: Module, node: Node | None, notes: list[str]) -> str:
        values = self._strings(module, node) if node is not None else None
        if not values:
            notes.append(f"{key}: the enum's values are not a literal list; v.string()")
            return "v.string()"
        literals = [f"v.literal({json.dumps(value)})" for value in values]
        return literals[0] if len(literals) == 1 else f"v.union({', '.join(literals)})"

    def _strings(self, module: Module, node: Node, hops: int = 0) -> list[str] | None:
        """The values of `["a", "b"]` (possibly `as const`, possibly bound elsewhere), of a
        TypeScript string enum, or of `Object.values(E)`."""
        module, node = self.modules.resolve(module, node)
        if node.type == "array":
            values = [self._string(module, item) for item in kids(node)]
            return None if None in values else values
        if node.type == "enum_declaration":
            values = []
            for member in kids(node.child_by_field_name("body")):
                value = (
                    member.child_by_field_name("value")
                    if member.type == "enum_assignment"
                    else None
                )
                values.append(self._string(module, value) if value is not None else None)
            return None if None in values else values
        if node.type == "object":
            values = [
                self._string(holder, value) for _, holder, value in self._entries(module, node)
            ]
            return None if None in values else values
        if node.type == "call_expression" and hops < _MAX_HOPS:
            callee = unwrap(node.child_by_field_name("function"))
            arguments = kids(node.child_by_field_name("arguments"))
            if text(callee) == "Object.values" and arguments:
                return self._strings(module, arguments[0], hops + 1)
        return None

    def _custom(self, key: str, module: Module, call: Node, notes: list[str]) -> str:
        """A `customType<{ data: T }>(…)` column: its validator from T."""
        data = None
        for arguments in call.children:
            if arguments.type != "type_arguments":
                continue
            for shape in kids(arguments):
                for member in kids(shape) if shape.type == "object_type" else []:
                    name = member.child_by_field_name("name")
                    if (
                        member.type == "property_signature"
                        and name is not None
                        and text(name) == "data"
                    ):
                        annotation = member.child_by_field_name("type")
                        data = (
                            text(kids(annotation)[0]) if annotation and kids(annotation) else None
                        )
        if data is None:
            notes.append(f"{key}: a custom type whose data type is not written; stored as v.any()")
            return "v.any()"
        compact = "".join(data.split())
        if compact in _CUSTOM_DATA:
            return _CUSTOM_DATA[compact]
        element = compact[:-2] if compact.endswith("[]") else None
        if element in _CUSTOM_DATA:
            return f"v.array({_CUSTOM_DATA[element]})"
        notes.append(f"{key}: a custom type holding {data}, stored as v.any()")
        return "v.any()"

    def _reference(self, module: Module, args: Node) -> tuple[tuple | None, str, str] | None:
        """`.references(() => users.id)` → (the identity of users, "users.id", "id")."""
        target = kids(args)[:1]
        if not target:
            return None
        holder, function = self.modules.resolve(module, target[0])
        if function.type not in _FUNCTIONS:
            return None
        return self._column_of(holder, _returned(function))

    def _column_of(self, module: Module, member: Node) -> tuple[tuple | None, str, str] | None:
        """`users.id` → (the identity of the table `users` names, "users.id", "id")."""
        member = unwrap(member)
        if member.type != "member_expression":
            return None
        owner = member.child_by_field_name("object")
        holder, table = self.modules.resolve(module, owner)
        identity = (holder.path, table.start_byte) if table is not unwrap(owner) else None
        column = text(member.child_by_field_name("property"))
        return identity, f"{text(owner)}.{column}", column

    def _config_items(self, module: Module, node: Node, table: _Table) -> list[tuple]:
        """The constraints of `(t) => [...]` or the older `(t) => ({ name: ... })`."""
        module, node = self.modules.resolve(module, node)
        if node.type in _FUNCTIONS:
            table.own_name = _parameter(node)
            module, body = self.modules.resolve(module, _returned(node))
        else:
            body = node
        if body.type == "array":
            return [(module, item) for item in kids(body)]
        if body.type == "object":
            return [(holder, value) for _, holder, value in self._entries(module, body)]
        table.notes.append(
            "the table's third argument is neither an array nor an object; no indexes"
        )
        return []

    def _constraint(self, module: Module, node: Node, table: _Table) -> None:
        module, kind, args, methods, _ = self._chain(module, node)
        if kind == "primaryKey":  # primaryKey({ columns: [t.a, t.b] }) or primaryKey(t.a, t.b)
            listed = _option_node(args, "columns")
            items = kids(listed) if listed is not None else kids(args)
            table.constraints.append(
                ("the composite primary key", _column_keys(items), True, False)
            )
            return
        if kind == "foreignKey":
            self._foreign_key(module, args, methods, table)
            return
        label = string_of(kids(args)[0]) if args is not None and kids(args) else None
        if kind == "pgPolicy":
            table.notes.append(
                f"row-level security policy {json.dumps(label)} has no Convex counterpart: check "
                "access in the functions"
            )
            return
        if kind == "check":
            table.notes.append(
                f"check constraint {json.dumps(label)} is not enforced: validate in the mutations"
            )
            return
        if kind not in ("index", "uniqueIndex", "unique"):
            table.notes.append(f"`{_snippet(node)}` is not translated")
            return
        keys: list[str] | None = []
        for method, method_args, _ in methods:
            if method in ("on", "using"):  # using("gin", t.a): the method name is no column
                items = [a for a in kids(method_args) if a.type != "string"]
                keys = _column_keys(items)
        partial = any(method == "where" for method, _, _ in methods)
        # Named by its SQL name, as in `index("users_email_idx")`, else by its source.
        label = label or _snippet(node)
        table.constraints.append((label, keys, kind in _UNIQUE, partial))

    def _foreign_key(self, module: Module, args: Node, methods: list, table: _Table) -> None:
        """`foreignKey({ columns: [t.a], foreignColumns: [users.id] })`: a reference of a."""
        columns = _option_node(args, "columns")
        foreign = _option_node(args, "foreignColumns")
        keys = _column_keys(kids(columns)) if columns is not None else None
        targets = kids(foreign) if foreign is not None else []
        if not keys or len(keys) != 1 or len(targets) != 1:
            table.notes.append(
                "a foreign key over several columns is not enforced (Convex has no foreign "
                "keys): " + (", ".join(keys) if keys else _snippet(args))
            )
            return
        column = next((c for c in table.columns if c.key == keys[0]), None)
        reference = self._column_of(module, targets[0])
        if reference is not None and reference[0] is None and table.own_name is not None:
            owner = unwrap(unwrap(targets[0]).child_by_field_name("object"))
            if text(owner) == table.own_name:  # foreignColumns: [table.id]: this table's
                reference = (table.identity, *reference[1:])
        if column is None or reference is None or column.reference is not None:
            return
        column.reference = reference
        for method, method_args, _ in methods:
            if method == "onDelete" and kids(method_args):
                column.on_delete = string_of(kids(method_args)[0])

    # Relations --------------------------------------------------------------------------

    def _relation(
        self,
        module: Module,
        call: Node,
        identities: set[tuple],
        references: dict[tuple, tuple[tuple, str, str]],
    ) -> None:
        """`relations(posts, ({ one }) => ({ author: one(users, { fields: [posts.authorId],
        references: [users.id] }) }))`: posts.authorId references users.id."""
        arguments = kids(call.child_by_field_name("arguments"))
        if len(arguments) < 2:
            return
        holder, owner = self.modules.resolve(module, arguments[0])
        source = (holder.path, owner.start_byte)
        holder, function = self.modules.resolve(module, arguments[1])
        if source not in identities or function.type not in _FUNCTIONS:
            return
        holder, body = self.modules.resolve(holder, _returned(function))
        if body.type != "object":
            return
        for _, entry_module, value in self._entries(holder, body):
            value = unwrap(value)
            if value.type != "call_expression":
                continue
            options = value.child_by_field_name("arguments")
            fields = _option_node(options, "fields")
            targets = _option_node(options, "references")
            if (
                fields is None
                or targets is None
                or len(kids(fields)) != 1
                or len(kids(targets)) != 1
            ):
                continue
            keys = _column_keys(kids(fields))
            reference = self._column_of(entry_module, kids(targets)[0])
            if keys and reference is not None and reference[0] in identities:
                references.setdefault((source, keys[0]), reference)

    # Assembling -------------------------------------------------------------------------

    def _assemble(
        self, tables: list[_Table], relations: dict[tuple, tuple], schema: _Schema
    ) -> None:
        named: dict[str, _Table] = {}
        links = {
            (table.identity, column.key): (column.reference[0], column.reference[2])
            for table in tables
            for column in table.columns
            if column.reference is not None
        }
        links |= {source: (target[0], target[2]) for source, target in relations.items()}
        for table in tables:
            for column in table.columns:
                source = (table.identity, column.key)
                derived = relations.get(source)
                # `one(settings, { fields: [user.id], references: [settings.userId] })` is the
                # other side of settings.userId → user.id: the key lives on one side only.
                if (
                    column.reference is None
                    and derived is not None
                    and links.get((derived[0], derived[2])) != source
                ):
                    column.reference = derived
                if column.reference is not None and source == (
                    column.reference[0],
                    column.reference[2],
                ):
                    column.reference = None  # a column referencing itself links nothing
            name = _convex_table_name(table)
            label = name or next((n for n in [*table.names, table.local] if n), table.sql_name)
            if name is None:
                reason = f"{label!r} is not a name Convex accepts for a table"
            elif name in named:
                reason = f"another table ({named[name].sql_name}) is already named {name}"
            else:
                named[name] = table
                continue
            schema.skip(f"table {label}", table.path, table.line, reason)
        # Only a reference to a table's primary key is a document link, hence a v.id().
        names = {table.identity: name for name, table in named.items()}
        primary_keys = {
            table.identity: next((c.key for c in table.columns if c.primary), None)
            for table in named.values()
        }
        for name, table in named.items():
            for key, line, reason in table.skipped:
                schema.skip(f"column {name}.{key}", table.path, line, reason, note=False)
            schema.tables.append(_assembled(name, table, names, primary_keys))
        secured = [name for name, table in named.items() if table.rls]
        if secured:
            schema.notes.append(
                "row-level security (enableRLS) has no Convex counterpart, check access in the "
                "functions: " + ", ".join(secured)
            )


def _convex_table_name(table: _Table) -> str | None:
    """The name the app knows the table by: its export, else its declaration, else its SQL name
    in camelCase. None when that is no name Convex accepts."""
    candidates = [*table.names, table.local] if table.names or table.local else []
    if not candidates:
        words = re.split(r"[^A-Za-z0-9]+", table.sql_name)
        words = [word for word in words if word]
        camel = words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:]) if words else ""
        candidates = [camel]
    for candidate in candidates:
        if candidate and _CONVEX_NAME.fullmatch(candidate):
            return candidate
    return None


def _assembled(
    name: str, table: _Table, names: dict[tuple, str], primary_keys: dict[tuple, str | None]
) -> dict:
    notes = list(table.notes)
    notes += [f"{key} not generated: {reason}" for key, _, reason in table.skipped]
    replaced = {c.key for c in table.columns if c.replaced_by_system_field()}
    fields = []
    for column in table.columns:
        if column.key in replaced:
            continue
        validator = column.validator
        if column.reference is not None:
            target, written, key = column.reference
            if target in names and primary_keys.get(target) == key:
                validator = f'v.id("{names[target]}")'
            else:
                notes.append(
                    f"{column.key} references {written}, not the primary key of a table here, "
                    f"so it stays {validator}"
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
    present = {f["name"] for f in fields}
    indexes: list[dict] = []
    for label, keys, unique, partial in candidates + table.constraints:
        if keys is None:
            notes.append(f"{label} indexes an SQL expression; left out")
            continue
        kept = [key for key in keys if key in present]
        lost = [key for key in keys if key not in present]
        index_name = "by_" + "_".join(kept)
        if not kept:
            notes.append(f"{label} covers only {', '.join(lost)}, no field here; left out")
            continue
        if index_name in _RESERVED_INDEXES:
            notes.append(f"{label} would be named {index_name}, which Convex reserves; left out")
            continue
        if any(index["name"] == index_name for index in indexes):
            notes.append(f"{label} duplicates {index_name}; left out")
            continue
        if lost and set(lost) <= replaced:
            notes.append(
                f"{label} drops {', '.join(lost)}: replaced by _id/_creationTime, and every "
                "Convex index already ends with _creationTime"
            )
        elif lost:
            notes.append(f"{label} drops {', '.join(lost)}: not a field of this table")
        if unique:
            database = _DATABASES[table.dialect]
            notes.append(f"{label} is unique in {database}; Convex indexes are not: query it first")
        if partial:
            notes.append(f"{label} is partial; the Convex index covers every document")
        indexes.append({"name": index_name, "fields": kept})
    return {
        "name": name,
        "sql_name": table.sql_name,
        "fields": fields,
        "indexes": indexes,
        "notes": notes,
    }


# Syntax helpers -----------------------------------------------------------------------------


def _snippet(node: Node) -> str:
    """A node's source on one line, shortened, for a note."""
    source = " ".join(text(node).split())
    return source if len(source) <= 80 else source[:77] + "..."


def _returned(function: Node) -> Node:
    """What a function returns: an arrow's expression body or its block's `return` value."""
    body = function.child_by_field_name("body")
    if body.type != "statement_block":
        return body
    for statement in kids(body):
        if statement.type == "return_statement" and kids(statement):
            return kids(statement)[0]
    return body


def _parameter(function: Node) -> str | None:
    """The name of a function's first parameter, when it is a plain identifier."""
    single = function.child_by_field_name("parameter")  # `t => …`
    if single is not None:
        return text(single) if single.type == "identifier" else None
    parameters = function.child_by_field_name("parameters")
    for item in kids(parameters) if parameters is not None else []:
        pattern = item.child_by_field_name("pattern")
        return text(pattern) if pattern is not None and pattern.type == "identifier" else None
    return None


def _key(node: Node) -> str | None:
    """An object key as written: `teamId` or `"teamId"`; None for a computed `[k]`."""
    if node.type == "property_identifier":
        return text(node)
    value = string_of(node)
    return value if value is not None and _IDENTIFIER.fullmatch(value) else None


def _option_node(args: Node | None, name: str) -> Node | None:
    """The value of `name` in an options-object argument, e.g. `{ mode: "bigint" }`."""
    for arg in kids(args) if args is not None else []:
        arg = unwrap(arg)
        if arg.type == "object":
            for entry in kids(arg):
                if entry.type == "pair" and _key(entry.child_by_field_name("key")) == name:
                    return unwrap(entry.child_by_field_name("value"))
    return None


def _option(args: Node | None, name: str) -> str | None:
    """An option's value: a string's text, or a number's or boolean's source."""
    value = _option_node(args, name)
    if value is None:
        return None
    if value.type in ("number", "true", "false"):
        return text(value)
    return string_of(value)


def _column_keys(items: list[Node]) -> list[str] | None:
    """`t.a`, `t.b.desc()` → ["a", "b"]; None when one of them is an SQL expression."""
    keys = []
    for item in items:
        item = unwrap(item)
        # t.a.asc().nullsFirst(): the ordering calls wrap the column
        while item.type == "call_expression":
            callee = item.child_by_field_name("function")
            if callee.type != "member_expression":
                return None
            item = unwrap(callee.child_by_field_name("object"))
        if item.type != "member_expression":
            return None
        keys.append(text(item.child_by_field_name("property")))
    return keys
