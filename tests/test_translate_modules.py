"""Drizzle schemas spread over modules: names followed through imports and re-exports
(`modules.py`), and what the translator makes of the shapes real repositories write — table
creators, default exports behind barrels, relations, other dialects, custom types."""

from __future__ import annotations

import posixpath

import pytest

from conformance.model import FileProblem
from conformance.translate.drizzle_convex import schema_context, source_context
from conformance.translate.modules import Binding, External, Modules, kids, text
from conformance.typescript import parse


def program(files: dict[str, str], max_modules: int | None = None) -> Modules:
    """Modules over in-memory files; relative imports resolve the way a bundler would."""

    def load(path: str):
        if path not in files:
            raise FileProblem(path, "does not exist", missing=True)
        return parse(files[path], path)

    def resolve(path: str, specifier: str) -> str | None:
        if not specifier.startswith("."):
            return None
        base = posixpath.normpath(posixpath.join(posixpath.dirname(path), specifier))
        for candidate in (base, base + ".ts", base + "/index.ts"):
            if candidate in files:
                return candidate
        return None

    return Modules(load, resolve, max_modules)


def translate(files: dict[str, str], entries: list[str] | None = None) -> dict:
    return schema_context(program(files), entries or [next(iter(files))], "test")


def tables(context: dict) -> dict[str, dict]:
    return {table["name"]: table for table in context["tables"]}


def fields(table: dict) -> dict[str, str]:
    return {field["name"]: field["validator"] for field in table["fields"]}


# Modules -------------------------------------------------------------------------------------

BARREL = {
    "index.ts": (
        'export { default as game, rules as gameRules } from "./game";\n'
        'export * from "./player";\n'
        'export * as legacy from "./legacy";\n'
        'export type * from "./types";\n'
        'import helper from "./helper";\n'
        "export { helper };\n"
    ),
    "game.ts": "export default makeGame();\nexport const rules = { max: 4 };\n",
    "player.ts": 'export const player = 1;\nexport default "not re-exported by export *";\n',
    "legacy.ts": "export const old = 1;\n",
    "types.ts": "export type Game = { id: string };\n",
    "helper.ts": "export default function helper() {}\n",
}


def test_exports_follow_barrels_default_exports_and_aliases():
    modules = program(BARREL)
    index = modules.get("index.ts")
    assert modules.export_names(index) == ["game", "gameRules", "legacy", "helper", "player"]
    game = modules.exported(index, "game")
    assert isinstance(game, Binding) and game.module.path == "game.ts" and game.name is None
    assert game.node.type == "call_expression"
    rules = modules.exported(index, "gameRules")
    assert (rules.module.path, rules.name) == ("game.ts", "rules")
    helper = modules.exported(index, "helper")
    assert (helper.module.path, helper.name, helper.node.type) == (
        "helper.ts",
        "helper",
        "function_declaration",
    )
    trail: list[str] = []
    assert modules.exported(index, "player", trail).name == "player"
    assert trail == ["index.ts", "player.ts"]
    # `export type *` is TypeScript 5 syntax the grammar reads as an error; it is none.
    assert index.syntax_error() is None


def test_packages_stay_external_and_cycles_end():
    modules = program(
        {
            "a.ts": 'export * from "./b";\nimport { pgTable as table } from "drizzle-orm/pg-core";\n'
            "export { table };\n",
            "b.ts": 'export * from "./a";\nexport const b = 1;\n',
        }
    )
    a = modules.get("a.ts")
    assert modules.exported(a, "table") == External("drizzle-orm/pg-core", "pgTable")
    assert sorted(modules.export_names(a)) == ["b", "table"]
    assert modules.exported(a, "missing") is None


def test_a_missing_module_is_a_problem_not_a_crash():
    modules = program({"a.ts": 'export * from "./gone";\n'})
    assert modules.get("gone.ts") is None
    assert modules.problems == {"gone.ts": "does not exist"}
    context = schema_context(modules, ["gone.ts"], "test")
    assert context["reason"] == "gone.ts does not exist"
    assert context["skipped"] == [
        {"name": "every Convex table", "where": "gone.ts", "reason": "gone.ts does not exist"}
    ]


def test_follow_names_the_value_and_reads_keys_of_object_literals_when_asked():
    modules = program(
        {
            "a.ts": 'import { plan as chosen } from "./b";\nimport status from "./c";\n'
            'import * as b from "./b";\nexport const x = [chosen, status, b.PLANS.FREE];\n',
            "b.ts": 'export const PLANS = { FREE: "free" } as const;\nexport const plan = 1;\n',
            "c.ts": "const statusValidator = 2;\nexport default statusValidator;\n",
        }
    )
    a = modules.get("a.ts")
    chosen, status, member = kids(a.values["x"])

    def follow(node, keys=False):
        held, value, name = modules.follow(a, node, keys=keys)
        return held.path, text(value), name

    # An import by the name it has here; a default import by the name of the value.
    assert follow(chosen) == ("b.ts", "1", "chosen")
    assert follow(status) == ("c.ts", "2", "statusValidator")
    # `b.PLANS.FREE`: the namespace member is followed; its key only with `keys`.
    assert follow(member) == ("a.ts", "b.PLANS.FREE", None)
    assert follow(member, keys=True) == ("b.ts", '"free"', "FREE")


def test_a_bound_on_modules_read_makes_the_rest_unreadable():
    bounded = program(
        {
            "a.ts": 'import { b } from "./b";\nimport { c } from "./c";\nexport { b, c };\n',
            "b.ts": "export const b = 1;\n",
            "c.ts": "export const c = 2;\n",
        },
        max_modules=2,
    )
    a = bounded.get("a.ts")
    assert bounded.exported(a, "b").module.path == "b.ts"
    assert bounded.exported(a, "c") == External("./c", "c")
    assert bounded.problems == {"c.ts": "more than 2 modules would be read"}
    assert bounded.unbound(a, "c", "it is not read") == "./c, which defines it, cannot be read"


# Tables across modules -----------------------------------------------------------------------

CREATOR_FOLDER = {
    "schema/index.ts": (
        'export { default as player } from "./player";\n'
        'export { default as match, matchRelations } from "./match";\n'
    ),
    "schema/table.ts": (
        'import { pgTableCreator } from "drizzle-orm/pg-core";\n'
        'const PREFIX = "arena";\n'
        "export const createTable = pgTableCreator((name) => `${PREFIX}_${name}`);\n"
    ),
    "schema/player.ts": (
        'import { text } from "drizzle-orm/pg-core";\n'
        'import { createTable } from "./table";\n'
        'export default createTable("player", { id: text("id").primaryKey(), nick: text("nick") });\n'
    ),
    "schema/match.ts": (
        'import { relations } from "drizzle-orm";\n'
        'import * as pg from "drizzle-orm/pg-core";\n'
        'import { createTable as t } from "./table";\n'
        'import winner from "./player";\n'
        'const match = t("match", { id: pg.uuid("id").primaryKey().defaultRandom(), '
        'winnerId: pg.text("winner_id"), loserId: pg.text("loser_id") });\n'
        "export const matchRelations = relations(match, ({ one }) => ({\n"
        "  winner: one(winner, { fields: [match.winnerId], references: [winner.id] }),\n"
        "  both: one(winner, { fields: [match.winnerId, match.loserId], "
        "references: [winner.id, winner.id] }),\n"
        "}));\n"
        "export default match;\n"
    ),
}


def test_default_exports_behind_a_barrel_are_named_by_it_and_prefixed():
    context = translate(CREATOR_FOLDER, ["schema/index.ts"])
    found = tables(context)
    assert list(found) == ["player", "match"]
    assert found["player"]["sql_name"] == "arena_player"
    assert found["match"]["sql_name"] == "arena_match"
    assert fields(found["player"]) == {"nick": "v.optional(v.string())"}
    # The relation names the key; the two-column one names none.
    assert fields(found["match"]) == {
        "winnerId": 'v.optional(v.id("player"))',
        "loserId": "v.optional(v.string())",
    }
    assert context["skipped"] == []


def test_a_folder_schema_counts_each_table_once_however_often_it_is_exported():
    entries = sorted(CREATOR_FOLDER)  # drizzle-kit loads every file of the folder
    context = translate(CREATOR_FOLDER, entries)
    assert [table["name"] for table in context["tables"]] == ["player", "match"]
    assert context["modules"] == 4


@pytest.mark.parametrize(
    ("namer", "sql_name", "notes"),
    [
        ('(name) => "app_" + name', "app_users", []),
        ("(name) => name", "users", []),
        ("name => `${name}_v2`", "users_v2", []),
        (
            "(name) => name.toUpperCase()",
            "users",
            [
                "the SQL name comes from a table creator's function conformance does not "
                "evaluate; 'users' is the name before it"
            ],
        ),
    ],
)
def test_table_creator_names(namer, sql_name, notes):
    source = (
        f"const create = pgTableCreator({namer});\n"
        'export const users = create("users", { email: text("email").notNull() });\n'
    )
    [users] = source_context(source)["tables"]
    assert (users["sql_name"], users["notes"]) == (sql_name, notes)


def test_only_exported_tables_count_and_names_convex_refuses_are_skipped():
    context = source_context(
        'const hidden = pgTable("hidden", { a: text("a") });\n'
        'export const _audit = pgTable("audit", { a: text("a") });\n'
        'export const shown = pgTable("shown", { a: text("a"), $meta: text("meta") });\n'
        "export const again = shown;\n"
        'export const board = pgTable("boards", { _v: integer("v") });\n'
        'export const boards = pgTable("boards_v2", { b: text("b") });\n'
        'export const leaders = pgMaterializedView("leaders").as((qb) => qb.select().from(shown));\n'
    )
    assert [table["name"] for table in context["tables"]] == ["shown", "board", "boards"]
    assert fields(tables(context)["shown"]) == {"a": "v.optional(v.string())"}
    assert context["skipped"] == [
        {
            "name": "view leaders",
            "where": "schema.ts:7",
            "reason": "Convex has no views; a query function reads the tables it joins",
        },
        {
            "name": "table _audit",
            "where": "schema.ts:2",
            "reason": "'_audit' is not a name Convex accepts for a table",
        },
        {
            "name": "column shown.$meta",
            "where": "schema.ts:3",
            "reason": "Convex reserves field names starting with _ and $",
        },
        {
            "name": "column board._v",
            "where": "schema.ts:5",
            "reason": "Convex reserves field names starting with _ and $",
        },
    ]
    assert context["notes"] == [
        "view leaders (schema.ts:7) not generated: Convex has no views; a query function reads "
        "the tables it joins",
        "table _audit (schema.ts:2) not generated: '_audit' is not a name Convex accepts for a "
        "table",
    ]
    assert tables(context)["board"]["notes"] == [
        "_v not generated: Convex reserves field names starting with _ and $"
    ]


def test_references_follow_imports_namespaces_and_relations_but_not_their_reverse():
    files = {
        "schema.ts": (
            'import * as auth from "./auth";\n'
            'import { relations } from "drizzle-orm";\n'
            'export const post = pgTable("post", {\n'
            '  id: serial("id").primaryKey(),\n'
            '  authorId: text("author_id").notNull().references(() => auth.user.id),\n'
            '  editorId: text("editor_id"),\n'
            "});\n"
            "export const postRelations = relations(post, ({ one }) => ({\n"
            "  editor: one(auth.user, { fields: [post.editorId], references: [auth.user.id] }),\n"
            "}));\n"
            'export * from "./auth";\n'
        ),
        "auth.ts": (
            'import { relations } from "drizzle-orm";\n'
            'export const user = pgTable("user", { id: text("id").primaryKey() });\n'
            'export const profile = pgTable("profile", {\n'
            '  userId: text("user_id").primaryKey().references(() => user.id),\n'
            "});\n"
            "export const userRelations = relations(user, ({ one }) => ({\n"
            "  profile: one(profile, { fields: [user.id], references: [profile.userId] }),\n"
            "}));\n"
        ),
    }
    found = tables(translate(files))
    assert fields(found["post"]) == {
        "authorId": 'v.id("user")',
        "editorId": 'v.optional(v.id("user"))',
    }
    assert fields(found["user"]) == {}
    assert fields(found["profile"]) == {"userId": 'v.id("user")'}


def test_foreign_keys_on_the_table_itself_and_keys_the_app_generates():
    [category] = source_context(
        'export const category = pgTable("category", {\n'
        '  id: text("id").primaryKey().$defaultFn(() => nanoid()),\n'
        '  parentId: text("parent_id"),\n'
        '  mirror: text("mirror"),\n'
        "}, (table) => [\n"
        "  foreignKey({ columns: [table.parentId], foreignColumns: [table.id] })"
        '.onDelete("set null"),\n'
        "  foreignKey({ columns: [table.id], foreignColumns: [table.id] }),\n"
        "]);\n"
    )["tables"]
    # `$defaultFn(() => nanoid())` makes the key on insert: Convex's _id replaces it.
    assert fields(category) == {
        "parentId": 'v.optional(v.id("category"))',
        "mirror": "v.optional(v.string())",
    }
    assert category["notes"] == [
        "onDelete is not enforced (Convex has no foreign keys): parentId (set null)"
    ]


MYSQL = """
import { mysqlTable, mysqlEnum, int, datetime, varbinary, varchar, uniqueIndex } from "drizzle-orm/mysql-core";
export const orders = mysqlTable("orders", {
  id: int("id").autoincrement().primaryKey(),
  status: mysqlEnum("status", ["open", "paid"]).notNull(),
  placedAt: datetime("placed_at").notNull(),
  createdAt: datetime("created_at").default(sql`CURRENT_TIMESTAMP`),
  digest: varbinary("digest", { length: 32 }),
  code: varchar("code", { length: 8 }).notNull(),
}, (t) => [uniqueIndex("orders_code").on(t.code)]);
"""


def test_mysql_tables_enums_and_keys():
    [orders] = source_context(MYSQL)["tables"]
    assert fields(orders) == {
        "status": 'v.union(v.literal("open"), v.literal("paid"))',
        "placedAt": "v.number()",
        "digest": "v.optional(v.string())",
        "code": "v.string()",
    }
    assert orders["notes"] == [
        "orders_code is unique in MySQL; Convex indexes are not: query it first"
    ]


CUSTOM = """
import { customType, pgTable } from "drizzle-orm/pg-core";
enum Plan { Free = "free", Pro = "pro" }
const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });
const money = customType<{ data: number; driverData: string }>({ dataType: () => "numeric" });
const floats = customType<{ data: number[] }>({ dataType: () => "real[]" });
const bytea = customType<{ data: Buffer }>({ dataType: () => "bytea" });
const point = customType<{ data: { x: number; y: number } }>({ dataType: () => "point" });
const untyped = customType({ dataType: () => "xml" });
export const plan = pgEnum("plan", Object.values(Plan) as [string, ...string[]]);
export const accounts = pgTable("accounts", {
  search: tsvector("search").notNull(),
  balance: money("balance").notNull(),
  weights: floats("weights"),
  avatar: bytea("avatar"),
  home: point("home"),
  doc: untyped("doc"),
  plan: plan("plan").notNull(),
  embedding: vector("embedding", { dimensions: 3 }),
  at: point_("at", { mode: "xy" }),
});
"""


def test_custom_types_typescript_enums_and_vectors():
    [accounts] = source_context(CUSTOM.replace("point_(", "geometry("))["tables"]
    assert fields(accounts) == {
        "search": "v.string()",
        "balance": "v.number()",
        "weights": "v.optional(v.array(v.number()))",
        "avatar": "v.optional(v.bytes())",
        "home": "v.optional(v.any())",
        "doc": "v.optional(v.any())",
        "plan": 'v.union(v.literal("free"), v.literal("pro"))',
        "embedding": "v.optional(v.array(v.number()))",
        "at": "v.optional(v.object({ x: v.number(), y: v.number() }))",
    }
    assert accounts["notes"] == [
        "home: a custom type holding { x: number; y: number }, stored as v.any()",
        "doc: a custom type whose data type is not written; stored as v.any()",
        "embedding: a pgvector column, stored as v.array(v.number()); a Convex vector index "
        'searches it: .vectorIndex("by_embedding", { vectorField: "embedding", dimensions: 3 })',
    ]


def test_a_module_that_does_not_parse_loses_its_tables_only():
    context = translate(
        {
            "index.ts": 'export * from "./good";\nexport * from "./bad";\n',
            "good.ts": 'export const good = pgTable("good", { a: text("a") });\n',
            "bad.ts": 'export const fine = pgTable("fine", { a: text("a") });\n'
            'export const bad = pgTable("bad", { a: text("a") \n',
        }
    )
    assert [table["name"] for table in context["tables"]] == ["good"]
    assert context["skipped"] == [
        {"name": "the module's tables", "where": "bad.ts:2", "reason": "it does not parse"}
    ]
    assert context["notes"] == ["the module's tables (bad.ts:2) not generated: it does not parse"]
