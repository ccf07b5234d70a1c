"""Convex → Drizzle translation: small inline schemas for each mapping, the kata Convex schema
translated to Drizzle and back, the rendered module, and proof that it compiles and loads.

The typecheck tests install the real `drizzle-orm` (0.45.x) and `typescript` (5.x) from the npm
registry into their own cache folder, `~/.cache/conformance-tests/npm-drizzle` (reused by later
runs, no network then), run `tsc` over the rendered schema and a probe of its row types, then load
the compiled module in node and compare what drizzle-orm sees (tables, columns, foreign keys,
indexes, policies, enums) with the context. Without npm or the registry (and a cold cache) they
skip, loudly: they never pass unchecked.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, ROOT, init_git
from npm_cache import npm_install

from conformance.rules.base import render_file
from conformance.templates import render
from conformance.translate.convex_drizzle import (
    convex_tables,
    drizzle_schema_context,
)
from conformance.translate.drizzle_convex import drizzle_tables

TEMPLATE = "convex-to-postgres/packages/database/src/schema.ts.j2"
KATA_CONVEX = FIXTURES / "kata-after" / "packages" / "db" / "convex" / "schema.ts"
HEADER = 'import { defineSchema, defineTable } from "convex/server";\nimport { v } from "convex/values";\n'
ID = 'uuid("id").primaryKey().defaultRandom()'
CREATED_AT = 'timestamp("created_at", { withTimezone: true }).notNull().defaultNow()'
# The Convex schema the Kianax plan migrates from, as its §3.2 target schema and §9.2 import
# script describe it (coarse: the plan shows the Postgres side only): a realistic input.
SEED_SCHEMA = """
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

const routineStatus = v.union(
  v.literal("draft"), v.literal("active"), v.literal("paused"), v.literal("archived"),
);
const triggerType = v.union(
  v.literal("manual"), v.literal("cron"), v.literal("webhook"), v.literal("event"),
);
const executionStatus = v.union(
  v.literal("pending"), v.literal("running"), v.literal("completed"),
  v.literal("failed"), v.literal("cancelled"), v.literal("timeout"),
);
const executionTriggerType = v.union(
  v.literal("manual"), v.literal("scheduled"), v.literal("webhook"), v.literal("event"),
);
const theme = v.union(v.literal("light"), v.literal("dark"), v.literal("system"));
const failure = v.object({ message: v.string(), stack: v.optional(v.string()) });

export default defineSchema({
  routines: defineTable({
    userId: v.string(),
    name: v.string(),
    description: v.optional(v.string()),
    status: routineStatus,
    tags: v.optional(v.array(v.string())),
    version: v.number(),
    triggerType: triggerType,
    triggerConfig: v.optional(v.record(v.string(), v.any())),
    nodes: v.array(v.object({
      id: v.string(),
      pluginId: v.string(),
      label: v.string(),
      position: v.object({ x: v.number(), y: v.number() }),
      config: v.optional(v.record(v.string(), v.any())),
      credentialMappings: v.optional(v.record(v.string(), v.string())),
    })),
    connections: v.array(v.object({
      id: v.string(),
      sourceNodeId: v.string(),
      targetNodeId: v.string(),
      sourceHandle: v.optional(v.string()),
      targetHandle: v.optional(v.string()),
    })),
    variables: v.optional(v.array(v.object({
      id: v.string(),
      name: v.string(),
      type: v.union(
        v.literal("string"), v.literal("number"), v.literal("boolean"), v.literal("json"),
      ),
      value: v.any(),
      description: v.optional(v.string()),
    }))),
    lastExecutedAt: v.optional(v.number()),
  })
    .index("by_user", ["userId"])
    .index("by_status", ["status"])
    .index("by_user_and_status", ["userId", "status"])
    .index("by_trigger_type", ["triggerType", "status"]),

  routine_executions: defineTable({
    routineId: v.id("routines"),
    userId: v.string(),
    workflowId: v.string(),
    runId: v.string(),
    status: executionStatus,
    triggerType: executionTriggerType,
    triggerData: v.optional(v.record(v.string(), v.any())),
    executionPath: v.optional(v.array(v.string())),
    nodeStates: v.array(v.object({
      nodeId: v.string(),
      status: v.string(),
      input: v.optional(v.any()),
      output: v.optional(v.any()),
      error: v.optional(failure),
      startedAt: v.optional(v.number()),
      completedAt: v.optional(v.number()),
      duration: v.optional(v.number()),
    })),
    error: v.optional(failure),
    startedAt: v.optional(v.number()),
    completedAt: v.optional(v.number()),
    duration: v.optional(v.number()),
  })
    .index("by_routine", ["routineId"])
    .index("by_user", ["userId"])
    .index("by_status", ["status"])
    .index("by_workflow_id", ["workflowId"]),

  user_credentials: defineTable({
    userId: v.string(),
    typeId: v.string(),
    name: v.string(),
    data: v.string(),
    metadata: v.optional(v.record(v.string(), v.any())),
  })
    .index("by_user", ["userId"])
    .index("by_user_and_type", ["userId", "typeId"]),

  user_settings: defineTable({
    userId: v.string(),
    theme: v.optional(theme),
  }).index("by_user", ["userId"]),
});
"""


UPDATED_AT = 'timestamp("updated_at", { withTimezone: true }).notNull().defaultNow().$onUpdate(() => new Date())'


def schema(tables: str, before: str = "", options: str = "") -> str:
    """A convex/schema.ts with `tables` inside defineSchema({...})."""
    extra = f", {options}" if options else ""
    return f"{HEADER}{before}\nexport default defineSchema({{\n{tables}\n}}{extra});\n"


def context_of(tables: str, before: str = "", options: str = "") -> dict:
    context = drizzle_schema_context(schema(tables, before, options))
    assert context["source"] == "convex/schema.ts"
    return context


def tables_of(context: dict) -> dict[str, dict]:
    return {table["name"]: table for table in context["tables"]}


def columns(table: dict) -> dict[str, str]:
    """The columns a Convex field became: id, createdAt and updatedAt left out."""
    return {
        column["name"]: column["builder"]
        for column in table["columns"]
        if column["name"] not in ("id", "createdAt", "updatedAt")
    }


def one_table(fields: str) -> dict:
    return tables_of(context_of(f"  things: defineTable({{\n{fields}\n  }}),"))["things"]


# Columns.


def test_every_table_gets_a_uuid_key_and_timestamps_and_snake_case_names():
    context = context_of(
        '  routine_executions: defineTable({ runId: v.string(), "URL": v.string() }),'
    )
    table = context["tables"][0]
    assert (table["name"], table["sql_name"], table["type_name"]) == (
        "routineExecutions",
        "routine_executions",
        "RoutineExecution",
    )
    assert table["columns"] == [
        {"name": "id", "sql_name": "id", "builder": ID},
        {"name": "runId", "sql_name": "run_id", "builder": 'text("run_id").notNull()'},
        {"name": "URL", "sql_name": "url", "builder": 'text("url").notNull()'},
        {"name": "createdAt", "sql_name": "created_at", "builder": CREATED_AT},
        {"name": "updatedAt", "sql_name": "updated_at", "builder": UPDATED_AT},
    ]
    assert table["indexes"] == table["policies"] == table["notes"] == []
    assert context["imports"] == ["pgTable", "text", "timestamp", "uuid"]
    assert (context["type_imports"], context["orm_imports"], context["enums"]) == ([], [], [])
    assert context["notes"] == [] and context["bytea"] is False


def test_scalars_and_optionality():
    things = one_table(
        """    title: v.string(),
    subtitle: v.optional(v.string()),
    score: v.number(),
    ratio: v.optional(v.float64()),
    revision: v.int64(),
    legacyRevision: v.bigint(),
    archived: v.boolean(),
    payload: v.bytes(),
    extra: v.any(),
    maybe: v.optional(v.any()),
    nothing: v.null(),"""
    )
    assert columns(things) == {
        "title": 'text("title").notNull()',
        "subtitle": 'text("subtitle")',
        "score": 'doublePrecision("score").notNull()',
        "ratio": 'doublePrecision("ratio")',
        "revision": 'bigint("revision", { mode: "bigint" }).notNull()',
        "legacyRevision": 'bigint("legacy_revision", { mode: "bigint" }).notNull()',
        "archived": 'boolean("archived").notNull()',
        "payload": 'bytea("payload").notNull()',
        "extra": 'jsonb("extra").notNull()',
        "maybe": 'jsonb("maybe")',
    }
    assert things["notes"] == ["nothing: v.null() holds nothing but null; left out"]


def test_numbers_decided_by_field_name():
    things = one_table(
        """    startedAt: v.number(),
    finishedAt: v.optional(v.number()),
    lastSeenTime: v.number(),
    timestamp: v.number(),
    expires_at: v.number(),
    version: v.number(),
    runCount: v.number(),
    position: v.float64(),
    duration: v.optional(v.number()),
    sizeBytes: v.number(),
    price: v.number(),
    at: v.number(),"""
    )
    tz = "{ withTimezone: true }"
    assert columns(things) == {
        "startedAt": f'timestamp("started_at", {tz}).notNull()',
        "finishedAt": f'timestamp("finished_at", {tz})',
        "lastSeenTime": f'timestamp("last_seen_time", {tz}).notNull()',
        "timestamp": f'timestamp("timestamp", {tz}).notNull()',
        "expiresAt": f'timestamp("expires_at", {tz}).notNull()',
        "version": 'integer("version").notNull()',
        "runCount": 'integer("run_count").notNull()',
        "position": 'integer("position").notNull()',
        "duration": 'integer("duration")',
        "sizeBytes": 'bigint("size_bytes", { mode: "number" }).notNull()',
        "price": 'doublePrecision("price").notNull()',
        "at": 'doublePrecision("at").notNull()',
    }
    assert things["notes"] == [
        "startedAt, finishedAt, lastSeenTime, timestamp, expiresAt: epoch milliseconds in Convex, "
        "timestamptz here (by name): convert with new Date(ms) when copying data",
        "version, runCount, position, duration, sizeBytes: v.number() stored as a whole number "
        "(by name); check the data",
    ]


def test_null_members_make_a_column_nullable():
    things = one_table(
        """    a: v.union(v.string(), v.null()),
    b: v.nullable(v.number()),
    c: v.optional(v.union(v.boolean(), v.null())),"""
    )
    assert columns(things) == {
        "a": 'text("a")',
        "b": 'doublePrecision("b")',
        "c": 'boolean("c")',
    }
    assert things["notes"] == ["c: null and absent both become NULL"]


def test_references_cascade_when_required_and_set_null_when_optional():
    context = context_of(
        """  users: defineTable({ name: v.string() }),
  posts: defineTable({
    authorId: v.id("users"),
    editorId: v.optional(v.id("users")),
    coverId: v.optional(v.id("_storage")),
    jobId: v.id("_scheduled_functions"),
  }),"""
    )
    posts = tables_of(context)["posts"]
    assert columns(posts) == {
        "authorId": 'uuid("author_id").notNull().references(() => users.id, { onDelete: "cascade" })',
        "editorId": 'uuid("editor_id").references(() => users.id, { onDelete: "set null" })',
        "coverId": 'text("cover_id")',
        "jobId": 'text("job_id").notNull()',
    }
    assert posts["notes"] == [
        "coverId: an id of Convex file storage (_storage), kept as text",
        "jobId: an id of a table outside the schema (_scheduled_functions), kept as text",
    ]
    assert context["type_imports"] == []


def test_literal_unions_become_enums_named_after_their_const_or_table_and_field():
    context = context_of(
        """  workflows: defineTable({
    status: workflowStatus,
    visibility: v.union(v.literal("private"), v.literal("public")),
    kind: v.literal("automation"),
    previous: v.optional(workflowStatus),
  }),
  runs: defineTable({ status: workflowStatus, outcome: v.union(v.literal("ok"), v.literal("it's bad"), v.null()) }),""",
        before='const workflowStatus = v.union(v.literal("draft"), v.literal("active"));\n',
    )
    assert context["enums"] == [
        {"name": "workflowStatus", "sql_name": "workflow_status", "values": ["draft", "active"]},
        {
            "name": "workflowVisibility",
            "sql_name": "workflow_visibility",
            "values": ["private", "public"],
        },
        {"name": "workflowKind", "sql_name": "workflow_kind", "values": ["automation"]},
        {"name": "runOutcome", "sql_name": "run_outcome", "values": ["ok", "it's bad"]},
    ]
    tables = tables_of(context)
    assert columns(tables["workflows"]) == {
        "status": 'workflowStatus("status").notNull()',
        "visibility": 'workflowVisibility("visibility").notNull()',
        "kind": 'workflowKind("kind").notNull()',
        "previous": 'workflowStatus("previous")',
    }
    assert columns(tables["runs"]) == {
        "status": 'workflowStatus("status").notNull()',
        "outcome": 'runOutcome("outcome")',
    }
    assert "pgEnum" in context["imports"]


def test_other_literal_unions():
    things = one_table(
        """    priority: v.union(v.literal(1), v.literal(2), v.literal(3)),
    weight: v.union(v.literal(0.5), v.literal(-1)),
    flag: v.literal(true),
    label: v.union(v.string(), v.literal("none")),
    mixed: v.union(v.string(), v.number()),"""
    )
    assert columns(things) == {
        "priority": 'integer("priority").notNull()',
        "weight": 'doublePrecision("weight").notNull()',
        "flag": 'boolean("flag").notNull()',
        "label": 'text("label").notNull()',
        "mixed": 'jsonb("mixed").$type<string | number>().notNull()',
    }
    assert things["notes"] == [
        "priority: one of 1, 2, 3 in Convex; a check constraint would keep it",
        "weight: one of 0.5, -1 in Convex; a check constraint would keep it",
        "flag: always true in Convex; a check constraint would keep it",
    ]


def test_arrays_of_scalars_are_postgres_arrays_and_the_rest_jsonb():
    context = context_of(
        """  users: defineTable({ name: v.string() }),
  things: defineTable({
    tags: v.array(v.string()),
    scores: v.optional(v.array(v.float64())),
    flags: v.array(v.boolean()),
    big: v.array(v.int64()),
    roles: v.array(v.union(v.literal("admin"), v.literal("member"))),
    memberIds: v.array(v.id("users")),
    grid: v.array(v.array(v.number())),
    maybe: v.array(v.union(v.string(), v.null())),
    blobs: v.array(v.bytes()),
  }),"""
    )
    things = tables_of(context)["things"]
    assert columns(things) == {
        "tags": 'text("tags").array().notNull()',
        "scores": 'doublePrecision("scores").array()',
        "flags": 'boolean("flags").array().notNull()',
        "big": 'bigint("big", { mode: "bigint" }).array().notNull()',
        "roles": 'thingRoles("roles").array().notNull()',
        "memberIds": 'uuid("member_ids").array().notNull()',
        "grid": 'jsonb("grid").$type<number[][]>().notNull()',
        "maybe": 'jsonb("maybe").$type<(string | null)[]>().notNull()',
        "blobs": 'jsonb("blobs").notNull()',
    }
    assert things["notes"] == [
        "memberIds: ids in an array are not foreign keys",
        "blobs: holds v.int64()/v.bytes(), which JSON cannot store as they are: convert them (to "
        "strings, base64) when copying data",
    ]


def test_objects_and_records_are_jsonb_typed_when_short():
    things = one_table(
        """    usage: v.object({ input: v.number(), output: v.optional(v.number()) }),
    labels: v.record(v.string(), v.string()),
    "weird-key": v.object({ "a-b": v.string() }),
    empty: v.object({}),
    node: v.object({ id: v.string(), position: v.object({ x: v.number(), y: v.number() }), data: v.any() }),
    imported: externalValidator,
    nested: v.optional(v.object({ inner: externalValidator })),"""
    )
    assert columns(things) == {
        "usage": 'jsonb("usage").$type<{ input: number; output?: number }>().notNull()',
        "labels": 'jsonb("labels").$type<Record<string, string>>().notNull()',
        "weirdKey": 'jsonb("weird_key").$type<{ "a-b": string }>().notNull()',
        "empty": 'jsonb("empty").$type<Record<string, never>>().notNull()',
        "node": 'jsonb("node").notNull()',
        "imported": 'jsonb("imported").notNull()',
        "nested": 'jsonb("nested")',
    }
    assert things["notes"] == [
        "node: jsonb; its Convex validator's type, for .$type<...>(), is "
        "{ id: string; position: { x: number; y: number }; data: unknown }",
        "imported: `externalValidator` is not a validator read here; plain jsonb",
        "nested: `externalValidator` is not a validator read here; plain jsonb",
    ]


def test_fields_named_like_the_system_columns():
    things = one_table(
        """    id: v.string(),
    createdAt: v.optional(v.number()),
    updated_at: v.number(),
    user_id: v.string(),
    userId: v.string(),"""
    )
    assert [column["name"] for column in things["columns"]] == [
        "id",
        "idField",
        "userId",
        "userIdField",
        "createdAt",
        "updatedAt",
    ]
    assert columns(things) == {
        "idField": 'text("id_field").notNull()',
        "userId": 'text("user_id").notNull()',
        "userIdField": 'text("user_id_field").notNull()',
    }
    assert things["notes"] == [
        "id is renamed idField: id is taken",
        "createdAt: the table's own field is the created_at column (not null, defaults to now, "
        "copy _creationTime where it is absent)",
        "updated_at: the table's own field is the updated_at column (not null, defaults to now)",
        "userId is renamed userIdField: userId is taken",
    ]


def test_names_that_collide_with_the_module_or_postgres():
    context = context_of(
        """  index: defineTable({ kind: kind }),
  kinds: defineTable({ status: v.literal("x") }),
  kind: defineTable({ name: v.string() }),
  user: defineTable({ name: v.string() }),
  users: defineTable({ name: v.string() }),
  dates: defineTable({ name: v.string() }),""",
        before='const kind = v.union(v.literal("a"), v.literal("b"));\n',
    )
    assert [(t["name"], t["sql_name"], t["type_name"]) for t in context["tables"]] == [
        ("indexTable", "index", "IndexTable"),
        ("kinds", "kinds", "Kind"),
        ("kind", "kind", "KindRow"),
        ("user", "user", "User"),
        ("users", "users", "UserRow"),
        ("dates", "dates", "DateRow"),
    ]
    # A table's row type takes its name in Postgres, so the enum cannot be called `kind`.
    assert [(e["name"], e["sql_name"]) for e in context["enums"]] == [
        ("kindEnum", "kind_enum"),
        ("kindStatus", "kind_status"),
    ]


# Tables.


def test_tables_held_in_consts_and_fields_in_spreads():
    context = context_of(
        """  ...authTables,
  users,
  posts: posts,
  events: defineTable(v.object({ name: v.string(), ...common.fields })),
  notATable: someHelper(),""",
        before="""const timestamps = { updatedAt: v.number(), editedAt: v.optional(v.number()) };
const common = v.object({ source: v.string() });
const users = defineTable({ name: v.string(), ...timestamps }).index("by_name", ["name"]);
const posts = defineTable({ ...common.fields, ...unknownFields, title: v.string() });
""",
    )
    tables = tables_of(context)
    assert list(tables) == ["users", "posts", "events"]
    assert columns(tables["users"]) == {
        "name": 'text("name").notNull()',
        "editedAt": 'timestamp("edited_at", { withTimezone: true })',
    }
    assert [i["builder"] for i in tables["users"]["indexes"]] == [
        'index("users_name_idx").on(t.name)'
    ]
    assert columns(tables["posts"]) == {
        "source": 'text("source").notNull()',
        "title": 'text("title").notNull()',
    }
    assert tables["posts"]["notes"] == ["`...unknownFields` is not a field here; left out"]
    assert columns(tables["events"]) == {
        "name": 'text("name").notNull()',
        "source": 'text("source").notNull()',
    }
    assert context["notes"] == [
        "`...authTables` (convex/schema.ts:9) is left out: `authTables` is not defined in "
        "convex/schema.ts",
        "`notATable: someHelper()` (convex/schema.ts:13) is left out: not a defineTable(...) "
        "read here",
    ]
    assert context["skipped"] == [
        {
            "name": "`...authTables`",
            "where": "convex/schema.ts",
            "reason": "`authTables` is not defined in convex/schema.ts",
        },
        {
            "name": "`notATable: someHelper()`",
            "where": "convex/schema.ts",
            "reason": "not a defineTable(...) read here",
        },
        {
            "name": "posts.`...unknownFields`",
            "where": "convex/schema.ts",
            "reason": "not a field here",
        },
    ]


def test_a_table_of_several_document_shapes():
    things = tables_of(
        context_of(
            """  events: defineTable(
    v.union(
      v.object({ kind: v.literal("click"), x: v.number(), at: v.number() }),
      v.object({ kind: v.literal("key"), key: v.string(), at: v.number(), x: v.string() }),
    ),
  ),
  odd: defineTable(v.string()),"""
        )
    )
    assert columns(things["events"]) == {
        "kind": 'eventKind("kind").notNull()',
        "x": 'jsonb("x").notNull()',
        "at": 'doublePrecision("at").notNull()',
        "key": 'text("key")',
    }
    assert things["events"]["notes"][0].startswith("documents of several shapes")
    assert columns(things["odd"]) == {}
    assert things["odd"]["notes"] == [
        "the document validator `v.string()` is not an object; no fields read"
    ]


def test_tables_come_referenced_first_and_cycles_are_typed_lazily():
    context = context_of(
        """  comments: defineTable({ postId: v.id("posts"), parentId: v.optional(v.id("comments")) }),
  posts: defineTable({ authorId: v.id("users"), title: v.string() }),
  users: defineTable({ teamId: v.optional(v.id("teams")) }),
  teams: defineTable({ ownerId: v.id("users") }),
  tags: defineTable({ name: v.string() }),"""
    )
    tables = tables_of(context)
    assert [t["name"] for t in context["tables"]] == ["users", "teams", "posts", "comments", "tags"]
    assert columns(tables["comments"]) == {
        "postId": 'uuid("post_id").notNull().references(() => posts.id, { onDelete: "cascade" })',
        "parentId": 'uuid("parent_id").references((): AnyPgColumn => comments.id, { onDelete: "set null" })',
    }
    assert columns(tables["users"]) == {
        "teamId": 'uuid("team_id").references((): AnyPgColumn => teams.id, { onDelete: "set null" })'
    }
    assert columns(tables["teams"]) == {
        "ownerId": 'uuid("owner_id").notNull().references((): AnyPgColumn => users.id, { onDelete: "cascade" })'
    }
    assert columns(tables["posts"])["authorId"].endswith(
        '.references(() => users.id, { onDelete: "cascade" })'
    )
    assert context["type_imports"] == ["AnyPgColumn"]


def test_indexes():
    long_fields = [f"longFieldNumber{n}" for n in range(4)]
    declared = "".join(f"    {name}: v.string(),\n" for name in long_fields)
    context = context_of(
        f"""  things: defineTable({{
    userId: v.string(),
    status: v.string(),
    meta: v.object({{ kind: v.string() }}),
    nothing: v.null(),
{declared}  }})
    .index("by_user", ["userId"])
    .index("by_user_and_status", {{ fields: ["userId", "status"], staged: true }})
    .index("by_user_creation", ["userId", "_creationTime"])
    .index("by_user_again", ["userId"])
    .index("by_kind", ["meta.kind", "status"])
    .index("by_nothing", ["nothing"])
    .index("by_long", {json.dumps(long_fields)})
    .index(dynamicName, ["userId"])
    .searchIndex("search_body", {{ searchField: "status", filterFields: ["userId"] }})
    .vectorIndex("by_embedding", {{ vectorField: "meta", dimensions: DIMENSIONS }})
    .index("by_id", ["_id"]),"""
    )
    things = context["tables"][0]
    assert [i["builder"] for i in things["indexes"]] == [
        'index("things_user_id_idx").on(t.userId)',
        'index("things_user_id_status_idx").on(t.userId, t.status)',
        'index("things_user_id_created_at_idx").on(t.userId, t.createdAt)',
        'index("things_status_idx").on(t.status)',
        'index("things_long_field_number0_long_field_number1_long_fiel_50aaf24c").on(t.longFieldNumber0, t.longFieldNumber1, t.longFieldNumber2, t.longFieldNumber3)',
        'index("things_id_idx").on(t.id)',
    ]
    assert all(len(i["name"]) <= 63 for i in things["indexes"])
    assert things["notes"] == [
        "a .index(...) without a literal name and config; left out",
        "nothing: v.null() holds nothing but null; left out",
        "index by_user_and_status is staged (not yet enabled) in Convex",
        "index by_user_again duplicates things_user_id_idx; left out",
        "index by_kind: meta.kind is not a column here (nested paths live in jsonb)",
        "index by_nothing: nothing is not a column here (nested paths live in jsonb); left out",
        "search index search_body on status (filters userId): use Postgres full-text search, "
        "index(...).using(\"gin\", sql`to_tsvector('english', ${t.status})`) queried with @@, or "
        "pg_trgm (gin_trgm_ops) for substring matches",
        'vector index by_embedding on meta: use pgvector, vector("meta", { dimensions: None }) '
        'with index(...).using("hnsw", t.meta.op("vector_cosine_ops"))',
    ]


def test_vector_index_dimensions_from_a_const():
    context = context_of(
        """  docs: defineTable({ embedding: v.array(v.float64()), teamId: v.string() })
    .vectorIndex("by_embedding", { vectorField: "embedding", dimensions: DIMENSIONS, filterFields: ["teamId"] }),""",
        before="const DIMENSIONS = 1536;\n",
    )
    assert context["tables"][0]["notes"] == [
        'vector index by_embedding on embedding (filters teamId): use pgvector, vector("embedding", '
        '{ dimensions: 1536 }) with index(...).using("hnsw", t.embedding.op("vector_cosine_ops"))'
    ]


def test_row_level_security_for_tables_with_a_user_id():
    context = context_of(
        """  users: defineTable({ name: v.string() }),
  notes: defineTable({ userId: v.id("users") }),
  settings: defineTable({ userId: v.string() }),
  open: defineTable({ ownerId: v.string() }),"""
    )
    policies = {t["name"]: [p["builder"] for p in t["policies"]] for t in context["tables"]}
    assert policies == {
        "users": [],
        "notes": [
            "pgPolicy(\"notes_user_isolation\", { using: sql`${t.userId}::text = current_setting('app.current_user_id', true)` })"
        ],
        "settings": [
            "pgPolicy(\"settings_user_isolation\", { using: sql`${t.userId} = current_setting('app.current_user_id', true)` })"
        ],
        "open": [],
    }
    assert context["orm_imports"] == ["sql"]
    assert "pgPolicy" in context["imports"]


# The schema as a whole.


def test_schema_options_are_noted():
    context = context_of(
        "  a: defineTable({ name: v.string() }),",
        options="{ schemaValidation: false, strictTableNameTypes: false }",
    )
    assert context["notes"] == [
        "schemaValidation: false: Convex did not check documents against this schema, so stored "
        "data may not fit these columns; check it before importing",
        "strictTableNameTypes: false: the deployment may hold tables this schema does not list; "
        "they are not translated",
    ]
    assert context_of("  a: defineTable({})", options="{ schemaValidation: true }")["notes"] == []


def test_schema_held_in_a_const():
    source = HEADER + (
        "const schema = defineSchema({ tasks: defineTable({ text: v.string() }) });\n"
        "export default schema;\n"
    )
    assert convex_tables(source) == [
        {
            "name": "tasks",
            "fields": [{"name": "text", "validator": "v.string()"}],
            "indexes": [],
            "search_indexes": [],
            "vector_indexes": [],
            "notes": [],
        }
    ]


def test_without_a_convex_schema_no_table_is_invented():
    context = drizzle_schema_context(None, "apps/server/convex/schema.ts")
    assert (context["source"], context["tables"], context["enums"]) == (None, [], [])
    assert context["notes"] == [
        "there is no Convex schema at apps/server/convex/schema.ts: no table is derived"
    ]
    assert context["skipped"] == [
        {
            "name": "every table",
            "where": "apps/server/convex/schema.ts",
            "reason": "there is no Convex schema at apps/server/convex/schema.ts",
        }
    ]
    text = render(TEMPLATE, context)
    assert "none is\n// invented" in text and text.endswith("\nexport {};\n")
    assert "pgTable" not in text


def test_the_seed_schema():
    context = drizzle_schema_context(SEED_SCHEMA)
    assert context["source"] == "convex/schema.ts" and context["notes"] == []
    tables = tables_of(context)
    # The seed's §3.2 tables, enums and indexes; every user-scoped table under RLS (§3.3).
    assert [(t["name"], t["sql_name"]) for t in context["tables"]] == [
        ("routines", "routines"),
        ("routineExecutions", "routine_executions"),
        ("userCredentials", "user_credentials"),
        ("userSettings", "user_settings"),
    ]
    assert [(e["name"], e["sql_name"]) for e in context["enums"]] == [
        ("routineStatus", "routine_status"),
        ("triggerType", "trigger_type"),
        ("executionStatus", "execution_status"),
        ("executionTriggerType", "execution_trigger_type"),
        ("theme", "theme"),
    ]
    executions = columns(tables["routineExecutions"])
    assert executions["routineId"] == (
        'uuid("routine_id").notNull().references(() => routines.id, { onDelete: "cascade" })'
    )
    assert executions["error"] == 'jsonb("error").$type<{ message: string; stack?: string }>()'
    assert executions["startedAt"] == 'timestamp("started_at", { withTimezone: true })'
    assert columns(tables["routines"])["version"] == 'integer("version").notNull()'
    assert columns(tables["userCredentials"])["data"] == 'text("data").notNull()'
    assert [i["name"] for i in tables["routines"]["indexes"]] == [
        "routines_user_id_idx",
        "routines_status_idx",
        "routines_user_id_status_idx",
        "routines_trigger_type_status_idx",
    ]
    assert all(len(t["policies"]) == 1 for t in context["tables"])


@pytest.mark.parametrize(
    ("source", "notes"),
    [
        (
            HEADER + "export const x = 1;\n",
            [
                "convex/schema.ts has no defineSchema(...) call",
                "convex/schema.ts defines no table read here: no table is derived",
            ],
        ),
        (
            HEADER + "export default defineSchema(tables);\n",
            [
                "the argument of defineSchema is not an object literal; no tables read",
                "convex/schema.ts defines no table read here: no table is derived",
            ],
        ),
        (
            schema("  ...authTables,"),
            [
                "`...authTables` (convex/schema.ts:5) is left out: `authTables` is not defined "
                "in convex/schema.ts",
                "convex/schema.ts defines no table read here: no table is derived",
            ],
        ),
    ],
)
def test_no_table_is_invented_when_none_is_defined(source, notes):
    context = drizzle_schema_context(source)
    assert context["source"] == "convex/schema.ts"
    assert context["notes"] == notes
    assert context["tables"] == []


def test_syntax_errors_are_noted():
    context = drizzle_schema_context(schema("  a: defineTable({ name: v.string() }),\n  b: ("))
    assert context["notes"][0].startswith("convex/schema.ts has syntax errors")


# The kata schema: Convex → Drizzle → Convex.


def test_kata_convex_tables_inline_their_consts():
    tables = {t["name"]: t for t in convex_tables(KATA_CONVEX.read_text())}
    assert len(tables) == 10
    members = tables["teamMembers"]
    assert members["fields"] == [
        {"name": "teamId", "validator": 'v.id("teams")'},
        {"name": "userId", "validator": 'v.id("users")'},
        {
            "name": "role",
            "validator": 'v.union(v.literal("owner"), v.literal("admin"), v.literal("member"))',
        },
    ]
    assert members["indexes"] == [
        {"name": "by_team_and_user", "fields": ["teamId", "userId"]},
        {"name": "by_user", "fields": ["userId"]},
    ]
    runs = {f["name"]: f["validator"] for f in tables["agentRuns"]["fields"]}
    assert runs["tokenUsage"] == "v.optional(v.object({ input: v.number(), output: v.number() }))"


def test_kata_round_trip_keeps_tables_fields_references_and_indexes():
    """What survives Convex → Drizzle → Convex. Not preserved, by design: richer validators
    that became jsonb come back as v.any() (records, objects), ids of `_storage` as v.string(),
    Convex index names (`by_team` comes back as `by_teamId`), and every table gains updatedAt."""
    original = {t["name"]: t for t in convex_tables(KATA_CONVEX.read_text())}
    rendered = render(TEMPLATE, drizzle_schema_context(KATA_CONVEX.read_text()))
    back = {t["name"]: t for t in drizzle_tables(rendered)}
    assert set(back) == set(original)

    def loosen(validator: str) -> str:
        """What the Drizzle side can say of a Convex validator."""
        optional = validator.startswith("v.optional(")
        inner = validator.removeprefix("v.optional(")[:-1] if optional else validator
        if inner.startswith(("v.record(", "v.object(")):
            inner = "v.any()"
        elif inner == 'v.id("_storage")':
            inner = "v.string()"
        return f"v.optional({inner})" if optional else inner

    for name, table in original.items():
        fields = {f["name"]: loosen(f["validator"]) for f in table["fields"]}
        returned = {f["name"]: f["validator"] for f in back[name]["fields"]}
        assert returned == fields | {"updatedAt": "v.number()"}, name
        assert [i["fields"] for i in back[name]["indexes"]] == [
            i["fields"] for i in table["indexes"]
        ], name
    assert back["tasks"]["notes"][0] == (
        "onDelete is not enforced (Convex has no foreign keys): agentRunId (cascade), "
        "assigneeId (set null)"
    )


# The template.


def test_template_renders_notes_imports_enums_and_types():
    context = context_of(
        """  users: defineTable({ name: v.string(), avatar: v.optional(v.id("_storage")) }),
  logs: defineTable({ line: v.string() }),""",
        options="{ schemaValidation: false }",
    )
    text = render(TEMPLATE, context)
    assert text.startswith("// Generated by `conformance fix` from convex/schema.ts")
    assert (
        "// Note: schemaValidation: false: Convex did not check documents against this schema, so stored\n//   data may"
        in text
    )
    assert "Row-level security" not in text and "AnyPgColumn" not in text
    assert (
        'import {\n  pgTable,\n  text,\n  timestamp,\n  uuid,\n} from "drizzle-orm/pg-core";\n'
        in text
    )
    assert 'from "drizzle-orm";' not in text
    assert (
        '// avatar: an id of Convex file storage (_storage), kept as text\nexport const users = pgTable(\n  "users",\n'
        in text
    )
    # A table without indexes or policies has no third argument.
    assert (
        '    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow().$onUpdate(() => new Date()),\n  },\n);\n'
        in text
    )
    assert text.endswith(
        "export type User = typeof users.$inferSelect;\nexport type NewUser = typeof users.$inferInsert;\n"
        "export type Log = typeof logs.$inferSelect;\nexport type NewLog = typeof logs.$inferInsert;\n"
    )
    seed = render(TEMPLATE, drizzle_schema_context(SEED_SCHEMA))
    assert seed.startswith("// Generated by `conformance fix` from convex/schema.ts: one pgTable")
    assert 'import { sql } from "drizzle-orm";\n' in seed
    assert 'export const theme = pgEnum("theme", ["light", "dark", "system"]);\n' in seed
    assert (
        'export const executionStatus = pgEnum("execution_status", [\n  "pending",\n  "running",\n'
        in seed
    )


CONTEXTS = {
    "seed": lambda: drizzle_schema_context(SEED_SCHEMA),
    "kata": lambda: drizzle_schema_context(KATA_CONVEX.read_text()),
    "cycles": lambda: context_of(
        """  users: defineTable({ teamId: v.optional(v.id("teams")), payload: v.bytes() }),
  teams: defineTable({ ownerId: v.id("users"), parentId: v.optional(v.id("teams")) }),"""
    ),
}


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_imports_are_exactly_the_names_the_module_uses(name):
    context = CONTEXTS[name]()
    text = render(TEMPLATE, context)
    body = text.split('} from "drizzle-orm/pg-core";\n', 1)[1]
    code = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith("//"))
    # Functions called as such (not methods), and the names used as a type or a tag.
    used = set(re.findall(r"(?<![\w.$])([A-Za-z]+)\(", code))
    used |= set(re.findall(r"\b(AnyPgColumn|sql)\b", code))
    defined = {e["name"] for e in context["enums"]} | {"bytea", "dataType"}
    builders = used - defined - {"Date", "current_setting"}
    imported = set(context["imports"]) | set(context["type_imports"]) | set(context["orm_imports"])
    assert builders <= imported
    for item in imported:
        assert re.search(rf"(?<![\w.$]){item}\b", code), item


# The context source in a contract's fix.


class _Work:
    def __init__(self, files: dict[str, str]):
        self.files = files
        self.skipped: list[tuple[str, str]] = []

    def skip(self, path: str, rule: object, note: str) -> None:
        self.skipped.append((path, note))

    def original(self, path: str) -> str | None:
        return self.files.get(path)


def test_render_file_reads_the_convex_schema():
    item = {
        "path": "packages/database/src/schema.ts",
        "template": TEMPLATE,
        "context": {"convex_schema": "convex/schema.ts"},
    }
    source = schema("  a: defineTable({ name: v.string() }),")
    rule = None  # only used to report skipped pieces, which this source never has
    assert render_file(item, _Work({"convex/schema.ts": source}), rule) == render(
        TEMPLATE, drizzle_schema_context(source)
    )
    work = _Work({})
    assert render_file(item, work, rule) == render(TEMPLATE, drizzle_schema_context(None))
    # Reported on the file written: the Convex schema goes with the fix.
    assert work.skipped == [
        (
            "packages/database/src/schema.ts",
            "every table (convex/schema.ts) not generated: there is no Convex schema at "
            "convex/schema.ts",
        )
    ]


def test_fix_creates_the_drizzle_schema_from_the_convex_schema(tree, cli):
    contract = {
        "name": "convex-schema-only",
        "description": "The Drizzle schema is derived from convex/schema.ts.",
        "rules": [
            {
                "id": "cdz-test-database-schema",
                "kind": "path-present",
                "paths": "packages/database/src/schema.ts",
                "message": "the Drizzle schema is missing",
                "why": "The tables move to Postgres.",
                "fix": {
                    "create": [
                        {
                            "path": "packages/database/src/schema.ts",
                            "template": TEMPLATE,
                            "context": {"convex_schema": "apps/server/convex/schema.ts"},
                        }
                    ]
                },
            }
        ],
    }
    source = KATA_CONVEX.read_text()
    root = tree({"apps/server/convex/schema.ts": source, "contract.yaml": yaml.safe_dump(contract)})
    init_git(root)
    code, out, err = cli("fix", str(root), "--contract", str(root / "contract.yaml"))
    assert (code, err) == (0, ""), out
    written = (root / "packages/database/src/schema.ts").read_text()
    assert written == render(
        TEMPLATE, drizzle_schema_context(source, "apps/server/convex/schema.ts")
    )
    assert cli("fix", str(root), "--contract", str(root / "contract.yaml"))[0] == 0


def test_importing_the_translator_does_not_load_tree_sitter():
    code = (
        "import sys, conformance.translate.convex_drizzle\n"
        "assert not [m for m in sys.modules if m.startswith('tree_sitter')], 'tree_sitter loaded'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# Proof it compiles and loads: tsc and node against the real drizzle-orm.

# The version line these tests were written against.
DRIZZLE = "drizzle-orm@~0.45.0"
OTHERS = ["typescript@5", "@types/node@22"]

REALISTIC = (
    HEADER
    + """import { authTables } from "@convex-dev/auth/server";

export const workflowStatus = v.union(v.literal("draft"), v.literal("active"), v.literal("archived"));
const timestamps = { updatedAt: v.number() };
const node = v.object({
  id: v.string(),
  type: v.string(),
  position: v.object({ x: v.number(), y: v.number() }),
  data: v.optional(v.record(v.string(), v.any())),
});

const users = defineTable({
  email: v.string(),
  name: v.optional(v.string()),
  defaultWorkspaceId: v.optional(v.id("workspaces")),
  avatar: v.optional(v.id("_storage")),
  roles: v.array(v.union(v.literal("admin"), v.literal("member"))),
  ...timestamps,
}).index("by_email", ["email"]);

export default defineSchema(
  {
    ...authTables,
    users,
    workspaces: defineTable({
      name: v.string(),
      ownerId: v.id("users"),
      plan: v.union(v.literal("free"), v.literal("pro"), v.null()),
      settings: v.object({ theme: v.string(), locale: v.optional(v.string()) }),
    }).index("by_owner", ["ownerId"]),
    workflows: defineTable({
      workspaceId: v.id("workspaces"),
      userId: v.id("users"),
      name: v.string(),
      status: workflowStatus,
      nodes: v.array(node),
      tags: v.optional(v.array(v.string())),
      runCount: v.number(),
      lastRunAt: v.optional(v.number()),
      score: v.float64(),
      checksum: v.bytes(),
      revision: v.int64(),
      archived: v.boolean(),
    })
      .index("by_workspace", ["workspaceId"])
      .index("by_user_status", { fields: ["userId", "status"] })
      .index("by_workspace_creation", ["workspaceId", "_creationTime"])
      .searchIndex("search_name", { searchField: "name", filterFields: ["workspaceId"] }),
    workflow_runs: defineTable({
      workflowId: v.id("workflows"),
      userId: v.string(),
      status: v.union(v.literal("queued"), v.literal("running"), v.literal("done")),
      steps: v.array(v.object({ nodeId: v.string(), output: v.optional(v.any()) })),
      error: v.optional(v.object({ message: v.string() })),
      durationMs: v.optional(v.number()),
    }).index("by_workflow", ["workflowId"]),
    comments: defineTable({
      workflowId: v.id("workflows"),
      parentId: v.optional(v.id("comments")),
      body: v.string(),
      embedding: v.array(v.float64()),
      id: v.string(),
      createdAt: v.number(),
    })
      .index("by_workflow", ["workflowId"])
      .vectorIndex("by_embedding", { vectorField: "embedding", dimensions: 1536 }),
    events: defineTable(
      v.union(
        v.object({ kind: v.literal("click"), x: v.number(), y: v.number() }),
        v.object({ kind: v.literal("key"), key: v.string() }),
      ),
    ),
    index: defineTable({ name: v.string(), kind: v.literal("x") }),
  },
  { schemaValidation: false },
);
"""
)
TYPECHECKED = {
    "realistic": lambda: drizzle_schema_context(REALISTIC),
    "seed": lambda: drizzle_schema_context(SEED_SCHEMA),
    "kata": lambda: drizzle_schema_context(KATA_CONVEX.read_text()),
}

TSCONFIG = {
    "compilerOptions": {
        "target": "ES2022",
        "module": "ESNext",
        "moduleResolution": "Bundler",
        "strict": True,
        "skipLibCheck": True,
        "isolatedModules": True,
        "verbatimModuleSyntax": True,
        "types": ["node"],
        "outDir": "dist",
    },
    "include": ["src"],
}

# What drizzle-orm itself sees in the compiled module: every lazy reference is called.
INSPECT = """
import { is } from "drizzle-orm";
import { PgTable, getTableConfig, isPgEnum } from "drizzle-orm/pg-core";
import * as schema from "./dist/schema.js";

const tables = {};
const enums = {};
for (const value of Object.values(schema)) {
  if (isPgEnum(value)) enums[value.enumName] = value.enumValues;
  if (!is(value, PgTable)) continue;
  const config = getTableConfig(value);
  tables[config.name] = {
    columns: config.columns.map((c) => [c.name, c.getSQLType(), c.notNull]),
    foreignKeys: config.foreignKeys.map((fk) => {
      const ref = fk.reference();
      return [ref.columns.map((c) => c.name), getTableConfig(ref.foreignTable).name, fk.onDelete];
    }),
    indexes: config.indexes.map((i) => i.config.name),
    policies: config.policies.map((p) => p.name),
  };
}
console.log(JSON.stringify({ tables, enums }));
"""


@pytest.fixture(scope="module")
def node_modules() -> Path:
    return npm_install("npm-drizzle", [DRIZZLE, *OTHERS], "the Drizzle schema")


def _probe(context: dict) -> str:
    """Row types as the repositories will use them: a uuid key, Date timestamps, string
    references, enum values; a wrong column type fails to compile."""
    lines = ['import * as schema from "./schema.js";', ""]
    for n, table in enumerate(context["tables"]):
        row = f"schema.{table['type_name']}"
        lines += [
            f"declare const row{n}: {row};",
            f"export const id{n}: string = row{n}.id;",
            f"export const created{n}: Date = row{n}.createdAt;",
            f"export const insert{n}: Partial<schema.New{table['type_name']}> = {{}};",
        ]
        for column in table["columns"]:
            if column["builder"].startswith("uuid(") and ".references(" in column["builder"]:
                nullable = "" if ".notNull()" in column["builder"] else " | null"
                lines.append(
                    f"export const ref{n}_{column['name']}: string{nullable} = row{n}.{column['name']};"
                )
    for enum in context["enums"]:
        lines.append(
            f"export const {enum['name']}Values: readonly string[] = schema.{enum['name']}.enumValues;"
        )
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", sorted(TYPECHECKED))
def test_drizzle_schema_typechecks_and_loads(node_modules, tmp_path, name):
    context = TYPECHECKED[name]()
    package = tmp_path / "database"
    (package / "src").mkdir(parents=True)
    (package / "src" / "schema.ts").write_text(render(TEMPLATE, context), encoding="utf-8")
    (package / "src" / "probe.ts").write_text(_probe(context), encoding="utf-8")
    (package / "tsconfig.json").write_text(json.dumps(TSCONFIG), encoding="utf-8")
    (package / "package.json").write_text('{"name": "database", "private": true, "type": "module"}')
    (package / "inspect.mjs").write_text(INSPECT, encoding="utf-8")
    (package / "node_modules").symlink_to(node_modules, target_is_directory=True)

    tsc = node_modules / "typescript" / "bin" / "tsc"
    result = subprocess.run(
        ["node", str(tsc), "-p", str(package)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"tsc:\n{result.stdout}{result.stderr}"
    loaded = subprocess.run(
        ["node", "inspect.mjs"],
        cwd=package,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    seen = json.loads(loaded.stdout)

    assert seen["enums"] == {e["sql_name"]: e["values"] for e in context["enums"]}
    # A module namespace lists its exports alphabetically; test_tables_come_referenced_first
    # checks the order.
    assert sorted(seen["tables"]) == sorted(t["sql_name"] for t in context["tables"])
    sql_names = {t["name"]: t["sql_name"] for t in context["tables"]}
    for table in context["tables"]:
        found = seen["tables"][table["sql_name"]]
        assert [c[0] for c in found["columns"]] == [c["sql_name"] for c in table["columns"]]
        assert found["columns"][0] == ["id", "uuid", True]
        for (column, _, not_null), declared in zip(found["columns"], table["columns"], strict=True):
            assert not_null == (".notNull()" in declared["builder"] or declared["name"] == "id"), (
                column
            )
        expected_keys = []
        for column in table["columns"]:
            target = re.search(r"=> (\w+)\.id, \{ onDelete: \"([a-z ]+)\" \}", column["builder"])
            if target:
                expected_keys.append([[column["sql_name"]], sql_names[target[1]], target[2]])
        assert found["foreignKeys"] == expected_keys
        assert found["indexes"] == [i["name"] for i in table["indexes"]]
        assert found["policies"] == [p["name"] for p in table["policies"]]


# Tables and validators defined in other modules.

SPREAD = FIXTURES / "convex-to-postgres-spread"


def _disk_loader(root: Path):
    """Relative imports resolved on disk, as the project model resolves them in a fix."""
    import posixpath

    def load(importer: str, specifier: str) -> tuple[str, str] | None:
        if not specifier.startswith("."):
            return None
        base = posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
        for candidate in (f"{base}.ts", f"{base}/index.ts"):
            if (root / candidate).is_file():
                return candidate, (root / candidate).read_text(encoding="utf-8")
        return None

    return load


def test_tables_spread_imported_and_reexported_from_other_modules():
    source = (SPREAD / "convex/schema.ts").read_text()
    context = drizzle_schema_context(source, "convex/schema.ts", _disk_loader(SPREAD))
    tables = tables_of(context)
    # Every table of the schema, wherever it is defined, in the schema's order (referenced
    # tables first): ...billingTables (and the object it spreads), a barrel's `export *` and
    # `export { loanTable as loans }`, a namespace import's `catalog.books`.
    assert sorted(t["convex_name"] for t in context["tables"]) == [
        "books",
        "editions",
        "invoices",
        "loans",
        "shelves",
        "subscriptions",
        "users",
    ]
    assert context["skipped"] == [
        {
            "name": "`...authTables`",
            "where": "convex/schema.ts",
            "reason": "it comes from @convex-dev/auth/server, outside the repository: its "
            "tables are not read",
        }
    ]
    # Fields spread from a const of the other module; validators imported, one built from an
    # `as const` object's members.
    assert list(columns(tables["loans"])) == ["userId", "bookId", "borrower", "dueAt", "returned"]
    assert columns(tables["subscriptions"])["plan"] == 'subscriptionPlan("plan").notNull()'
    assert columns(tables["invoices"])["plan"] == 'planValidator("plan").notNull()'
    assert {e["name"]: e["values"] for e in context["enums"]} == {
        "subscriptionPlan": ["free", "pro"],
        "planValidator": ["free", "pro"],
        "bookFormat": ["hardcover", "paperback", "ebook"],
    }
    assert columns(tables["shelves"])["position"] == (
        'jsonb("position").$type<{ row: number; slot: number }>().notNull()'
    )
    assert [t["name"] for t in context["tables"] if t["user_column"]] == [
        "subscriptions",
        "invoices",
        "shelves",
        "loans",
    ]


def test_without_a_loader_imported_tables_are_listed_not_invented():
    source = (SPREAD / "convex/schema.ts").read_text()
    context = drizzle_schema_context(source, "convex/schema.ts")
    assert [t["convex_name"] for t in context["tables"]] == ["users", "editions"]
    assert [(s["name"], s["reason"]) for s in context["skipped"]] == [
        (
            "`...authTables`",
            "it comes from @convex-dev/auth/server, outside the repository: its tables are not "
            "read",
        ),
        ("`...billingTables`", "./billing/tables, which defines it, cannot be read"),
        ("`shelves`", "not a defineTable(...) read here"),
        ("`loans`", "not a defineTable(...) read here"),
        ("`books: catalog.books`", "not a defineTable(...) read here"),
    ]
    # The imported enum of editions.format cannot be read either: plain jsonb, said so.
    assert columns(tables_of(context)["editions"])["format"] == 'jsonb("format").notNull()'


def test_modules_importing_each_other_end():
    files = {
        "convex/schema.ts": HEADER
        + 'import { a } from "./a";\nexport default defineSchema({ ...a });\n',
        "convex/a.ts": 'import { b } from "./b";\nexport const a = { ...b };\nexport { a as b2 };\n',
        "convex/b.ts": 'import { a } from "./a";\nexport const b = a;\n',
    }

    def load(importer: str, specifier: str) -> tuple[str, str] | None:
        path = "convex/" + specifier.removeprefix("./") + ".ts"
        return (path, files[path]) if path in files else None

    context = drizzle_schema_context(files["convex/schema.ts"], "convex/schema.ts", load)
    assert context["tables"] == []
    assert (
        context["notes"][-1] == "convex/schema.ts defines no table read here: no table is derived"
    )


def test_defaults_and_namespaces_passed_on_by_name_are_followed():
    # `export { x as default }` and `export * as ns from`: exports the reader follows like
    # every other, through the same linker as the Drizzle → Convex translation.
    files = {
        "convex/schema.ts": HEADER
        + 'import users from "./users";\nimport { tables } from "./barrel";\n'
        "export default defineSchema({ users, posts: tables.posts });\n",
        "convex/users.ts": HEADER + "const usersTable = defineTable({ name: v.string() });\n"
        "export { usersTable as default };\n",
        "convex/barrel.ts": 'export * as tables from "./posts";\n',
        "convex/posts.ts": HEADER + "export const posts = defineTable({ title: v.string() });\n",
    }

    def load(importer: str, specifier: str) -> tuple[str, str] | None:
        path = "convex/" + specifier.removeprefix("./") + ".ts"
        return (path, files[path]) if path in files else None

    context = drizzle_schema_context(files["convex/schema.ts"], "convex/schema.ts", load)
    assert context["skipped"] == []
    assert {name: list(columns(table)) for name, table in tables_of(context).items()} == {
        "users": ["name"],
        "posts": ["title"],
    }


def test_a_const_holding_its_own_member_ends():
    context = context_of("  things: defineTable({ x: a, y: v.string() }),", "const a = a.k;\n")
    things = tables_of(context)["things"]
    assert columns(things) == {"x": 'jsonb("x").notNull()', "y": 'text("y").notNull()'}
    assert things["notes"] == ["x: `a.k` is not a validator read here; plain jsonb"]


def test_inputs_are_the_zod_schemas_of_the_columns():
    things = one_table(
        """    userId: v.string(),
    title: v.string(),
    note: v.optional(v.string()),
    cleared: v.union(v.null(), v.string()),
    both: v.optional(v.union(v.string(), v.null())),
    score: v.number(),
    position: v.number(),
    sizeBytes: v.number(),
    dueAt: v.number(),
    big: v.int64(),
    raw: v.bytes(),
    kind: v.union(v.literal("a"), v.literal("b")),
    kinds: v.array(v.union(v.literal("a"), v.literal("b"))),
    tags: v.array(v.string()),
    ownerId: v.id("things"),
    fileId: v.id("_storage"),
    meta: v.object({ x: v.number(), label: v.optional(v.string()), at: v.union(v.literal(1), v.null()) }),
    extra: v.any(),"""
    )
    assert {i["name"]: i["zod"] for i in things["inputs"]} == {
        "userId": "z.string()",
        "title": "z.string()",
        "note": "z.string().optional()",
        "cleared": "z.string().nullable()",
        "both": "z.string().nullish()",
        "score": "z.number()",
        "position": "z.number().int()",
        "sizeBytes": "z.number().int()",
        "dueAt": "z.coerce.date()",
        "big": "z.coerce.bigint()",
        "raw": (
            "z.string().transform((text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0)))"
        ),
        "kind": 'z.enum(["a", "b"])',
        "kinds": 'z.array(z.enum(["a", "b"]))',
        "tags": "z.array(z.string())",
        "ownerId": "z.string().uuid()",
        "fileId": "z.string()",
        "meta": (
            "z.object({ x: z.number(), label: z.string().optional(), "
            "at: z.union([z.literal(1), z.null()]) })"
        ),
        "extra": "z.unknown()",
    }
    assert things["user_column"] == "userId"
    assert things["lookups"] == [{"method": "listByUserId", "columns": ["userId"], "index": None}]


def test_lookups_follow_the_indexes():
    table = tables_of(
        context_of(
            """  tasks: defineTable({ userId: v.string(), status: v.string(), order: v.number() })
    .index("by_user_status", ["userId", "status"])
    .index("by_status", ["status"])
    .index("by_status_again", ["status"]),"""
        )
    )["tasks"]
    assert table["lookups"] == [
        {
            "method": "listByUserIdAndStatus",
            "columns": ["userId", "status"],
            "index": "by_user_status",
        },
        {"method": "listByStatus", "columns": ["status"], "index": "by_status"},
        {"method": "listByUserId", "columns": ["userId"], "index": None},
    ]
