"""The Drizzle schema as drizzle-kit reads it, and the Convex schema `conformance fix` derives
from it (`convex-adoption`): which files a config's `schema` names, the module graph from
there, the exact convex/schema.ts written for the real-shaped fixtures, and the empty schema,
with its reason, when there is nothing to read."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, init_git

from conformance.project import project_of
from conformance.repo import RepoView

SNAPSHOTS = Path(__file__).parent / "snapshots"
DB = "packages/db"
SCHEMA_RULE = "[convex-project-files]"


def drizzle_of(root: Path):
    return project_of(RepoView(root)).drizzle


def schema_lines(out: str) -> list[str]:
    """The fix report's lines about the derived schema: what it created and what it skipped."""
    return [
        line
        for line in out.splitlines()
        if SCHEMA_RULE in line and ("convex/schema.ts" in line or line.startswith("skip"))
    ]


# What the config names -----------------------------------------------------------------------


def test_schema_entries_are_what_drizzle_kit_loads(tree):
    root = tree(
        {
            "package.json": '{"name": "app"}\n',
            "drizzle.config.ts": (
                'export default defineConfig({\n  dialect: "postgresql",\n'
                '  schema: ["./db/tables", "./db/extra/*.ts", "db/one.ts", "./db/gone.ts"],\n'
                "});\n"
            ),
            "drizzle.config.test.ts": 'export default { schema: "./db/test.ts" };\n',
            "db/tables/users.ts": "export const users = 1;\n",
            "db/tables/posts.mts": "export const posts = 1;\n",
            "db/tables/README.md": "# tables\n",
            "db/tables/nested/deep.ts": "export const deep = 1;\n",
            "db/extra/a.ts": "export const a = 1;\n",
            "db/extra/b.tsx": "export const b = 1;\n",
            "db/one.ts": "export const one = 1;\n",
            "db/test.ts": "export const test = 1;\n",
        }
    )
    drizzle = drizzle_of(root)
    # The plain config first: it is what drizzle-kit reads without --config.
    assert [config.path for config in drizzle.configs] == [
        "drizzle.config.ts",
        "drizzle.config.test.ts",
    ]
    schema = drizzle.schema(drizzle.configs[0])
    # A folder stands for the script files directly inside it (drizzle-kit 0.31
    # `prepareFilenames`): not README.md, not nested/, not a .tsx file matched by a glob.
    assert schema.entries == [
        "db/tables/posts.mts",
        "db/tables/users.ts",
        "db/extra/a.ts",
        "db/one.ts",
    ]
    assert schema.origin == (
        "drizzle.config.ts (schema: db/tables, db/extra/*.ts, db/one.ts, db/gone.ts)"
    )
    assert (schema.problem, schema.where) == (None, "drizzle.config.ts:3")


@pytest.mark.parametrize(
    ("name", "files"),
    [
        (
            "drizzle-schema-folder",
            [
                "columns.ts",
                "enums.ts",
                "game.ts",
                "index.ts",
                "player.ts",
                "score.ts",
                "leaderboard.ts",
                "table.ts",
            ],
        ),
        ("drizzle-schema-array", ["schema.ts", "auth-schema.ts", "extra/tags.ts"]),
        (
            "drizzle-schema-sqlite",
            [
                "schema/index.ts",
                "schema/workspaces/index.ts",
                "schema/workspaces/workspace.ts",
                "schema/monitors/index.ts",
                "schema/monitors/constants.ts",
                "schema/monitors/monitor.ts",
            ],
        ),
    ],
)
def test_schema_files_follow_barrels_aliases_and_defaults(name, files):
    drizzle = drizzle_of(FIXTURES / name)
    prefix = f"{DB}/src/schema/" if name == "drizzle-schema-folder" else f"{DB}/src/"
    assert drizzle.schema_files(drizzle.configs[0]) == [prefix + file for file in files]


def test_a_workspace_package_is_read_where_its_manifest_points():
    drizzle = drizzle_of(FIXTURES / "drizzle-schema-sqlite")
    constants = f"{DB}/src/schema/monitors/constants.ts"
    module = drizzle.modules.get(constants)
    assert drizzle.modules.target(module, "@uptime/constants").path == (
        "packages/constants/src/index.ts"
    )


def test_workspace_packages_resolve_through_exports_conditions_and_main(tree):
    root = tree(
        {
            "package.json": '{"name": "root", "workspaces": ["packages/*"]}\n',
            "packages/db/package.json": (
                '{"name": "@acme/db", "exports": {".": {"types": "./src/index.ts", '
                '"default": "./dist/index.js"}, "./schema": "./src/schema/index.ts"}}\n'
            ),
            "packages/db/src/index.ts": "export {};\n",
            "packages/db/src/schema/index.ts": "export {};\n",
            "packages/flags/package.json": '{"name": "@acme/flags", "main": "lib/flags.ts"}\n',
            "packages/flags/lib/flags.ts": "export {};\n",
            "packages/app/package.json": '{"name": "@acme/app"}\n',
            "packages/app/main.ts": "export {};\n",
        }
    )
    drizzle = drizzle_of(root)
    module = drizzle.modules.get("packages/app/main.ts")
    resolved = {
        specifier: getattr(drizzle.modules.target(module, specifier), "path", None)
        for specifier in ("@acme/db", "@acme/db/schema", "@acme/flags", "@acme/db/other", "zod")
    }
    assert resolved == {
        "@acme/db": "packages/db/src/index.ts",
        "@acme/db/schema": "packages/db/src/schema/index.ts",
        "@acme/flags": "packages/flags/lib/flags.ts",
        "@acme/db/other": None,
        "zod": None,
    }


# The derived Convex schema -------------------------------------------------------------------


@pytest.fixture
def committed(fixture_copy):
    def make(name: str) -> Path:
        root = fixture_copy(name)
        init_git(root)
        return root

    return make


@pytest.mark.parametrize(
    ("name", "skipped"),
    [
        (
            "drizzle-schema-folder",
            [
                f"skip      {DB}/src/schema/leaderboard.ts:6  {SCHEMA_RULE}  (view leaderboard not "
                "generated: Convex has no views; a query function reads the tables it joins)",
                f"skip      {DB}/src/schema/score.ts:16  {SCHEMA_RULE}  (column "
                "score.pointsPerSecond not generated: computed by the database "
                "(generatedAlwaysAs); Convex stores only what mutations write, so they compute "
                "it)",
                f"skip      {DB}/src/schema/score.ts:19  {SCHEMA_RULE}  (column score._legacyRank "
                "not generated: Convex reserves field names starting with _ and $)",
            ],
        ),
        ("drizzle-schema-array", []),
        ("drizzle-schema-sqlite", []),
    ],
)
def test_fix_derives_the_convex_schema_from_the_drizzle_schema(committed, cli, name, skipped):
    root = committed(name)
    _, out, err = cli("fix", str(root))
    assert err == ""
    assert schema_lines(out) == [f"create    {DB}/convex/schema.ts  {SCHEMA_RULE}", *skipped]
    written = (root / DB / "convex/schema.ts").read_text(encoding="utf-8")
    assert written == (SNAPSHOTS / f"{name}.convex-schema.ts").read_text(encoding="utf-8")


PACKAGE = '{"name": "@app/db", "dependencies": {"drizzle-orm": "^0.45.0", "pg": "^8.16.0"}}\n'
EMPTY_BODY = '\nimport { defineSchema } from "convex/server";\n\nexport default defineSchema({});\n'


@pytest.mark.parametrize(
    ("files", "header", "skipped"),
    [
        (
            {},
            "// Generated by `conformance fix` without a table: no drizzle.config.* names a "
            "schema, and\n// packages/db/src/schema.ts does not exist. Declare the tables with "
            "defineTable(...) here.\n",
            f"skip      {DB}/src/schema.ts  {SCHEMA_RULE}  (every Convex table not generated: no "
            "drizzle.config.* names a schema, and packages/db/src/schema.ts does not exist)",
        ),
        (
            {
                f"{DB}/drizzle.config.ts": (
                    'export default {\n  dialect: "postgresql",\n  schema: "./src/db/*.ts",\n};\n'
                ),
                f"{DB}/src/db/README.md": "the tables go here\n",
            },
            "// Generated by `conformance fix` without a table: `schema` packages/db/src/db/*.ts\n"
            "// (packages/db/drizzle.config.ts:3) matches no TypeScript file. Declare the tables "
            "with\n// defineTable(...) here.\n",
            f"skip      {DB}/drizzle.config.ts:3  {SCHEMA_RULE}  (every Convex table not "
            "generated: `schema` packages/db/src/db/*.ts (packages/db/drizzle.config.ts:3) "
            "matches no TypeScript file)",
        ),
        (
            {
                f"{DB}/drizzle.config.ts": 'export default { schema: "./src/schema.ts" };\n',
                f"{DB}/src/schema.ts": (
                    'import { pgTable, text } from "drizzle-orm/pg-core";\n'
                    'export const users = pgTable("users", { name: text("name") \n'
                ),
            },
            "// Generated by `conformance fix` without a table: packages/db/src/schema.ts:2 does "
            "not parse.\n// Declare the tables with defineTable(...) here.\n",
            f"skip      {DB}/src/schema.ts:2  {SCHEMA_RULE}  (every Convex table not generated: "
            "packages/db/src/schema.ts:2 does not parse)",
        ),
    ],
    ids=["no-config", "points-nowhere", "does-not-parse"],
)
def test_without_a_schema_to_read_the_convex_schema_is_empty_and_says_why(
    tree, cli, files, header, skipped
):
    root = tree({f"{DB}/package.json": PACKAGE, **files})
    init_git(root)
    _, out, _ = cli("fix", str(root), "--contract", "convex-adoption")
    written = (root / DB / "convex/schema.ts").read_text(encoding="utf-8")
    assert written == header + EMPTY_BODY
    assert schema_lines(out) == [f"create    {DB}/convex/schema.ts  {SCHEMA_RULE}", skipped]


def test_a_schema_the_contract_names_without_a_config_is_read(tree, cli):
    root = tree(
        {
            f"{DB}/package.json": PACKAGE,
            f"{DB}/src/schema.ts": (
                'import { pgTable, text } from "drizzle-orm/pg-core";\n'
                'export const notes = pgTable("notes", { body: text("body").notNull() });\n'
            ),
        }
    )
    init_git(root)
    cli("fix", str(root), "--contract", "convex-adoption")
    written = (root / DB / "convex/schema.ts").read_text(encoding="utf-8")
    assert written.startswith(
        "// Generated by `conformance fix` from the Drizzle schema of packages/db/src/schema.ts "
        "(the\n// contract's `drizzle_schema`), 1 module:"
    )
    assert "  notes: defineTable({\n    body: v.string(),\n  }),\n" in written
