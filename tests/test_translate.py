"""Drizzle → Convex translation: the kata fixture's real schema and small inline schemas."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT

from conformance.templates import render
from conformance.translate.drizzle_convex import drizzle_tables, empty_context, source_context

KATA_SCHEMA = FIXTURES / "kata-before" / "packages" / "db" / "src" / "schema.ts"
KATA_NAMES = [
    "users",
    "teams",
    "teamMembers",
    "specs",
    "specVersions",
    "agentRuns",
    "tasks",
    "artifacts",
    "auditLog",
    "apiKeys",
]
UNIQUE_NOTE = "is unique in Postgres; Convex indexes are not: query it first"


@pytest.fixture(scope="module")
def kata() -> dict[str, dict]:
    return {table["name"]: table for table in drizzle_tables(KATA_SCHEMA.read_text())}


def fields(table: dict) -> dict[str, str]:
    return {field["name"]: field["validator"] for field in table["fields"]}


def indexes(table: dict) -> dict[str, list[str]]:
    return {index["name"]: index["fields"] for index in table["indexes"]}


def tables_of(source: str) -> dict[str, dict]:
    return {table["name"]: table for table in drizzle_tables(source)}


def test_kata_tables_are_named_by_variable_with_their_sql_names(kata):
    assert list(kata) == KATA_NAMES
    assert kata["teamMembers"]["sql_name"] == "team_members"
    assert kata["auditLog"]["sql_name"] == "audit_log"


def test_kata_users_drop_id_and_created_at_and_keep_a_nullable_column(kata):
    users = kata["users"]
    assert fields(users) == {
        "email": "v.string()",
        "name": "v.string()",
        "avatarUrl": "v.optional(v.string())",
    }
    assert indexes(users) == {"by_email": ["email"]}
    assert users["notes"] == [f"users_email_idx {UNIQUE_NOTE}"]


def test_kata_team_members_enum_references_and_unique_pair(kata):
    members = kata["teamMembers"]
    assert fields(members) == {
        "teamId": 'v.id("teams")',
        "userId": 'v.id("users")',
        "role": 'v.union(v.literal("owner"), v.literal("admin"), v.literal("member"))',
        # Not created-at-like: joining may differ from the row's creation, so it stays.
        "joinedAt": "v.number()",
    }
    assert indexes(members) == {
        "by_teamId_userId": ["teamId", "userId"],
        "by_userId": ["userId"],
    }
    assert members["notes"] == [
        "onDelete is not enforced (Convex has no foreign keys): teamId (cascade), userId (cascade)",
        f"team_members_team_user_idx {UNIQUE_NOTE}",
    ]


def test_kata_jsonb_timestamps_and_nullable_reference(kata):
    assert fields(kata["specVersions"])["metadata"] == "v.optional(v.any())"
    runs = fields(kata["agentRuns"])
    assert runs["tokenUsage"] == "v.optional(v.any())"
    assert runs["startedAt"] == "v.optional(v.number())"
    assert runs["status"].startswith('v.union(v.literal("queued"), v.literal("running"), ')
    assert fields(kata["tasks"]) == {
        "agentRunId": 'v.id("agentRuns")',
        "title": "v.string()",
        "status": 'v.union(v.literal("todo"), v.literal("in_progress"), v.literal("blocked"), v.literal("done"))',
        "position": "v.number()",
        "assigneeId": 'v.optional(v.id("users"))',
    }
    assert indexes(kata["apiKeys"]) == {"by_hashedKey": ["hashedKey"], "by_teamId": ["teamId"]}


def test_kata_index_on_created_at_keeps_its_other_fields(kata):
    audit = kata["auditLog"]
    assert "createdAt" not in fields(audit) and "id" not in fields(audit)
    assert indexes(audit) == {"by_teamId": ["teamId"]}
    assert audit["notes"] == [
        "audit_log_team_created_idx drops createdAt: replaced by _id/_creationTime, and every "
        "Convex index already ends with _creationTime"
    ]


def test_kata_context_comes_from_drizzle(kata):
    context = source_context(KATA_SCHEMA.read_text(), "packages/db/src/schema.ts")
    assert context["source"] == "drizzle"
    assert (context["notes"], context["skipped"]) == ([], [])
    assert context["tables"] == list(kata.values())


OBJECT_FORM = """
import { pgTable, serial, text, integer, index, uniqueIndex, timestamp } from "drizzle-orm/pg-core";
export const posts = pgTable(
  "blog_posts",
  {
    id: serial("id").primaryKey(),
    slug: text("slug").notNull(),
    authorId: integer("author_id").notNull(),
    inserted_at: timestamp("inserted_at").default(sql`now()`).notNull(),
  },
  (table) => ({
    slugIdx: uniqueIndex("posts_slug_idx").on(table.slug),
    authorIdx: index("posts_author_idx").on(table.authorId, table.inserted_at.desc()),
    again: index().on(table.authorId),
    idOnly: index("posts_id_idx").on(table.id),
  }),
);
"""


def test_object_form_indexes_unique_duplicates_and_empty():
    posts = tables_of(OBJECT_FORM)["posts"]
    assert posts["sql_name"] == "blog_posts"
    assert fields(posts) == {"slug": "v.string()", "authorId": "v.number()"}
    assert indexes(posts) == {"by_slug": ["slug"], "by_authorId": ["authorId"]}
    assert posts["notes"] == [
        f"posts_slug_idx {UNIQUE_NOTE}",
        "posts_author_idx drops inserted_at: replaced by _id/_creationTime, and every Convex "
        "index already ends with _creationTime",
        "index().on(table.authorId) duplicates by_authorId; left out",
        "posts_id_idx covers only id, no field here; left out",
    ]


COLUMN_KINDS = """
import { pgEnum, pgTable, text, integer, bigint, tsvector, uuid } from "drizzle-orm/pg-core";
const LEVELS = ["low", "high"] as const;
export const level = pgEnum("level", LEVELS);
export const solo = pgEnum("solo", ["only"]);
const timestamps = { updatedAt: timestamp("updated_at") };
function ownerId() {
  return uuid("owner_id").references(() => owners.id);
}
export const owners = pgTable("owners", { id: uuid("id").primaryKey().defaultRandom() });
export const items = pgTable("items", {
  id: uuid("id").primaryKey().defaultRandom(),
  tags: text("tags").array().notNull(),
  grid: integer("grid").array().array(),
  level: level("level").notNull(),
  only: solo("only").notNull(),
  views: bigint("views", { mode: "bigint" }).notNull(),
  count: bigint("count", { mode: "number" }),
  search: tsvector("search"),
  ownerId: ownerId().notNull(),
  "quoted": text("quoted").notNull(),
  ...timestamps,
});
"""


def test_arrays_enums_bigint_unknown_types_helpers_and_spreads():
    items = tables_of(COLUMN_KINDS)["items"]
    assert fields(items) == {
        "tags": "v.array(v.string())",
        "grid": "v.optional(v.array(v.array(v.number())))",
        "level": 'v.union(v.literal("low"), v.literal("high"))',
        "only": 'v.literal("only")',
        "views": "v.int64()",
        "count": "v.optional(v.number())",
        "search": "v.optional(v.any())",
        "ownerId": 'v.id("owners")',
        "quoted": "v.string()",
        "updatedAt": "v.optional(v.number())",
    }
    assert items["indexes"] == []
    assert items["notes"] == ["search: unknown column type tsvector(), stored as v.any()"]


CONSTRAINTS = """
import { pgTable, pgTableCreator, text, integer, primaryKey, unique, index, foreignKey } from "drizzle-orm/pg-core";
const createTable = pgTableCreator((name) => `app_${name}`);
export const authors = createTable("authors", (t) => ({
  email: t.text().primaryKey(),
  handle: t.text().unique().notNull(),
}));
export const credits = pgTable(
  "credits",
  {
    postId: integer("post_id").notNull().references(() => posts.id, { onDelete: "cascade" }),
    authorEmail: text("author_email").notNull().references(() => authors.email),
    authorHandle: text("author_handle").references(() => authors.handle),
    role: text("role").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.postId, t.authorEmail] }),
    unique().on(t.role),
    index("credits_lower_idx").on(sql`lower(${t.role})`),
    index("credits_partial_idx").on(t.authorHandle).where(sql`${t.authorHandle} is not null`),
    foreignKey({ columns: [t.postId], foreignColumns: [posts.id] }),
  ],
);
"""


def test_natural_and_composite_keys_references_and_constraints():
    tables = tables_of(CONSTRAINTS)
    authors = tables["authors"]
    # The table creator's prefix goes into the SQL name; the Convex name is the export's.
    assert authors["sql_name"] == "app_authors"
    # A natural primary key is data: it stays, indexed; Convex ids replace it in references.
    assert fields(authors) == {"email": "v.string()", "handle": "v.string()"}
    assert indexes(authors) == {"by_handle": ["handle"], "by_email": ["email"]}
    credits = tables["credits"]
    assert fields(credits) == {
        "postId": "v.number()",
        "authorEmail": 'v.id("authors")',
        "authorHandle": "v.optional(v.string())",
        "role": "v.string()",
    }
    assert indexes(credits) == {
        "by_postId_authorEmail": ["postId", "authorEmail"],
        "by_role": ["role"],
        "by_authorHandle": ["authorHandle"],
    }
    # foreignKey(...) is a reference like .references(): posts is no table here either.
    assert credits["notes"] == [
        "postId references posts.id, not the primary key of a table here, so it stays v.number()",
        "authorHandle references authors.handle, not the primary key of a table here, so it "
        "stays v.string()",
        "onDelete is not enforced (Convex has no foreign keys): postId (cascade)",
        f"the composite primary key {UNIQUE_NOTE}",
        f"unique().on(t.role) {UNIQUE_NOTE}",
        "credits_lower_idx indexes an SQL expression; left out",
        "credits_partial_idx is partial; the Convex index covers every document",
    ]


PG_SCHEMA = """
import { pgSchema, text } from "drizzle-orm/pg-core";
export const app = pgSchema("app");
export const mood = app.enum("mood", ["it\\'s fine", "bad"]);
export const notes = app.table("notes", { body: text("body").notNull(), mood: mood("mood") });
"""


def test_pg_schema_tables_and_enums():
    assert drizzle_tables(PG_SCHEMA) == [
        {
            "name": "notes",
            "sql_name": "notes",
            "fields": [
                {"name": "body", "validator": "v.string()"},
                {
                    "name": "mood",
                    "validator": 'v.optional(v.union(v.literal("it\'s fine"), v.literal("bad")))',
                },
            ],
            "indexes": [],
            "notes": [],
        }
    ]


def test_a_module_without_tables_gives_an_empty_schema_and_says_why():
    context = source_context('export const x = 1;\nexport const y = pgTable("y", columns);\n')
    assert (context["source"], context["tables"]) == ("none", [])
    assert context["reason"] == "no table could be translated (each is listed as skipped)"
    assert context["skipped"] == [
        {
            "name": "table y",
            "where": "schema.ts:2",
            "reason": "its columns are not an object literal conformance can read",
        },
        {"name": "every Convex table", "where": "schema.ts", "reason": context["reason"]},
    ]
    nothing = source_context("export const x = 1;\n")
    assert nothing["reason"] == (
        "schema.ts exports no table (pgTable, mysqlTable, sqliteTable or a table creator's)"
    )


def test_a_module_that_does_not_parse_gives_no_table():
    context = source_context('export const a = pgTable("a", { name: text("name") ')
    assert (context["tables"], context["reason"]) == ([], "schema.ts:1 does not parse")
    assert context["skipped"] == [
        {"name": "every Convex table", "where": "schema.ts:1", "reason": context["reason"]}
    ]


def test_schema_template_writes_notes_as_comments():
    text = render("convex-adoption/convex/schema.ts.j2", source_context(OBJECT_FORM))
    assert text.startswith(
        "// Generated by `conformance fix` from the Drizzle schema of schema.ts, 1 module: one table "
        "per\n"
    )
    assert f"  // posts_slug_idx {UNIQUE_NOTE}\n" in text
    assert (
        "  // posts_id_idx covers only id, no field here; left out\n  posts: defineTable({\n"
        in text
    )
    assert '    .index("by_slug", ["slug"])\n    .index("by_authorId", ["authorId"]),\n' in text


def test_empty_schema_template_names_the_reason():
    context = empty_context("no drizzle.config.* names a schema", "packages/db")
    assert render("convex-adoption/convex/schema.ts.j2", context) == (
        "// Generated by `conformance fix` without a table: no drizzle.config.* names a schema. "
        "Declare\n// the tables with defineTable(...) here.\n"
        "\n"
        'import { defineSchema } from "convex/server";\n'
        "\n"
        "export default defineSchema({});\n"
    )


def test_importing_the_translator_does_not_load_tree_sitter():
    code = (
        "import sys, conformance.translate.drizzle_convex\n"
        "assert not [m for m in sys.modules if m.startswith('tree_sitter')], 'tree_sitter loaded'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
