"""The project model: what discovery finds in layouts seen in real repositories, and what it says
when it finds nothing. Malformed files never stop it."""

from __future__ import annotations

import json

from conftest import init_git

from conformance.project import project_of
from conformance.repo import RepoView


def model(root):
    return project_of(RepoView(root))


def discover(root, fact, **binding):
    return model(root).discover(fact, binding)


def manifest(**data) -> str:
    return json.dumps(data, indent=2) + "\n"


# workspace ------------------------------------------------------------------------------------


def test_workspace_globs_from_both_files_and_exclusions(tree):
    root = tree(
        {
            "pnpm-workspace.yaml": "packages:\n  - 'apps/*'\n  - '!apps/legacy'\n",
            "package.json": manifest(workspaces={"packages": ["services/*"]}),
            "apps/web/package.json": "{}",
            "apps/legacy/package.json": "{}",
            "services/api/package.json": "{}",
            "tools/script/package.json": "{}",
            "apps/web/test/fixtures/demo/package.json": "{}",
        }
    )
    packages = {p.path: p.member for p in model(root).workspace.packages}
    assert packages == {
        ".": True,
        "apps/legacy": False,
        "apps/web": True,
        "services/api": True,
        "tools/script": False,
    }


def test_workspace_packages_in_git_are_the_tracked_manifests_on_disk(tree):
    """In a git work tree the packages come from git's listing and one stat each: a manifest
    deleted from the work tree is no package, one not tracked yet is not listed either, and the
    members are what the walk outside git says for the same files."""
    files = {
        "pnpm-workspace.yaml": "packages:\n  - 'apps/*'\n  - 'packages/**'\n  - '!apps/legacy'\n",
        "package.json": "{}",
        "apps/web/package.json": "{}",
        "apps/legacy/package.json": "{}",
        "apps/gone/package.json": "{}",
        "packages/ui/button/package.json": "{}",
        "packages/ui/dist/package.json": "{}",
        "tools/script/package.json": "{}",
    }
    root = tree(files)
    walked = {p.path: p.member for p in model(root).workspace.packages}
    init_git(root)
    (root / "apps/gone/package.json").unlink()
    (root / "apps/new").mkdir()
    (root / "apps/new/package.json").write_text("{}")
    listed = {p.path: p.member for p in model(root).workspace.packages}
    expected = {
        ".": True,
        "apps/legacy": False,
        "apps/web": True,
        "packages/ui/button": True,
        "tools/script": False,
    }
    assert walked == {**expected, "apps/gone": True}
    assert listed == expected


def test_rule_packages_globs_choose_the_package_folders(tree):
    from conformance.rules.workspace_imports import checked_packages

    root = tree(
        {
            "package.json": manifest(name="root", workspaces=["apps/*", "packages/*"]),
            "apps/web/package.json": manifest(name="web"),
            "packages/db/package.json": manifest(name="@x/db"),
            "packages/ui/package.json": manifest(name="@x/ui"),
            "packages/unnamed/package.json": "{}",
        }
    )
    graph = model(root).imports
    assert checked_packages(graph, []) == ["apps/web", "packages/db", "packages/ui"]
    assert checked_packages(graph, ["packages/*"]) == ["packages/db", "packages/ui"]
    assert checked_packages(graph, ["packages/d?", "apps/web/src/"]) == ["apps/web", "packages/db"]
    assert checked_packages(graph, ["nothing/*"]) == []


def test_malformed_workspace_files_do_not_stop_discovery(tree):
    root = tree(
        {
            "pnpm-workspace.yaml": "packages: [unclosed\n",
            "package.json": "[1, 2]",
            "packages/db/package.json": '{"dependencies": {"pg": "8"',
            "packages/db/drizzle.config.ts": "export default {};\n",
        }
    )
    project = model(root)
    assert project.workspace.globs == []
    found = discover(root, "data-layer-package")
    assert found.values == ["packages/db"]
    assert project.workspace.dependencies("packages/db") == {}
    assert project.workspace.unreadable == [
        "package.json:1: is not a package.json object",
        "packages/db/package.json:1: invalid JSON: Expecting ',' delimiter",
    ]


def test_package_of_a_nested_path(tree):
    root = tree({"apps/app/package.json": "{}", "apps/app/server/db/drizzle.config.ts": ""})
    assert model(root).workspace.package_of("apps/app/server/db/drizzle.config.ts") == "apps/app"


# drizzle --------------------------------------------------------------------------------------

CONFIG = """\
import type { Config } from "drizzle-kit";
// schema: "./not/this.ts"
export default {
  /* out: "./nor/this" */
  schema: ["./src/schema/users.ts", './src/schema/posts.ts'],
  dialect: "postgresql",
  migrations: { table: "migrations", schema: "public" },
} satisfies Config;
"""


def test_drizzle_config_read_as_text(tree):
    root = tree({"packages/db/package.json": "{}", "packages/db/drizzle.config.ts": CONFIG})
    [config] = model(root).drizzle.configs
    assert config.package == "packages/db"
    assert config.schema == ["packages/db/src/schema/users.ts", "packages/db/src/schema/posts.ts"]
    assert config.out is None and config.migrations == "packages/db/drizzle"
    assert config.dialect == "postgresql"
    assert config.lines == {"schema": 5, "dialect": 6}
    assert config.problem is None


def test_drizzle_paths_are_relative_to_the_package_that_runs_it(tree):
    """Dokploy's layout: the config sits in a subfolder and drizzle-kit runs from the app."""
    root = tree(
        {
            "apps/app/package.json": "{}",
            "apps/app/server/db/drizzle.config.ts": (
                'export default defineConfig({ schema: "./server/db/schema/index.ts", out: "drizzle" });'
            ),
        }
    )
    [config] = model(root).drizzle.configs
    assert (config.package, config.out) == ("apps/app", "apps/app/drizzle")
    assert config.schema == ["apps/app/server/db/schema/index.ts"]
    assert discover(root, "drizzle-schema", package="apps/app").values == [
        "server/db/schema/index.ts"
    ]


def test_a_schema_that_is_no_literal_is_said_so(tree):
    root = tree(
        {
            "drizzle.config.ts": "const s = path.join('src', 'schema');\nexport default { schema: s };"
        }
    )
    [config] = model(root).drizzle.configs
    assert config.schema is None
    assert config.problem == "`schema` at drizzle.config.ts:2 is not a literal string or list"


# data layer -----------------------------------------------------------------------------------


def test_the_drizzle_config_beats_the_alphabet(tree):
    root = tree(
        {
            "pnpm-workspace.yaml": "packages: ['apps/*', 'packages/*']\n",
            "apps/api/package.json": manifest(dependencies={"pg": "8", "drizzle-orm": "0.45"}),
            "packages/db/package.json": manifest(dependencies={"drizzle-orm": "0.45"}),
            "packages/db/drizzle.config.ts": "export default {};\n",
        }
    )
    found = discover(root, "data-layer-package")
    assert (found.values, found.sources) == (
        ["packages/db"],
        ["holds packages/db/drizzle.config.ts"],
    )


def test_without_a_config_the_strongest_dependencies_win_and_ties_are_all_kept(tree):
    root = tree(
        {
            "package.json": manifest(workspaces=["packages/*"]),
            "packages/a/package.json": manifest(dependencies={"pg": "8"}),
            "packages/b/package.json": manifest(dependencies={"drizzle-orm": "0.45", "pg": "8"}),
            "packages/c/package.json": manifest(
                dependencies={"drizzle-kit": "0.31", "postgres": "3"}
            ),
        }
    )
    found = discover(root, "data-layer-package")
    assert found.values == ["packages/b", "packages/c"]
    assert found.sources == ["depends on drizzle-orm, pg", "depends on drizzle-kit, postgres"]


def test_no_data_layer_says_what_was_looked_for(tree):
    root = tree({"package.json": manifest(dependencies={"express": "4"})})
    found = discover(root, "data-layer-package")
    assert found.values == []
    assert found.reason.startswith("no data-layer package: no drizzle.config.*, no Convex")


# convex ---------------------------------------------------------------------------------------


def test_convex_projects_in_every_form(tree):
    root = tree(
        {
            # convex.json names the folder
            "packages/backend/package.json": manifest(dependencies={"convex": "1"}),
            "packages/backend/convex.json": '{"functions": "src/functions/"}',
            "packages/backend/src/functions/notes.ts": "",
            # a folder named convex with the generated code
            "services/api/package.json": manifest(dependencies={"convex": "1"}),
            "services/api/convex/_generated/server.d.ts": "",
            # a component is not an app
            "vendor/limiter/convex/convex.config.ts": "export default defineComponent('x');",
            "vendor/limiter/convex/schema.ts": "",
            # an example app's convex/ holding its schema
            "example/convex/schema.ts": "",
            # a shared TypeScript preset named convex.json is a tsconfig
            "packages/typescript-config/convex.json": '{"extends": "./base.json"}',
        }
    )
    projects = {(p.functions_dir, p.package, p.source) for p in model(root).convex.projects}
    assert projects == {
        (
            "packages/backend/src/functions",
            "packages/backend",
            'packages/backend/convex.json "functions"',
        ),
        (
            "services/api/convex",
            "services/api",
            "services/api/convex/_generated/server.d.ts is there",
        ),
        ("example/convex", ".", "example/convex/schema.ts is there"),
    }


def test_a_convex_folder_beside_a_package_that_depends_on_convex(tree):
    """Generated code gitignored and no schema yet: the dependency says what the folder is."""
    root = tree(
        {
            "apps/server/package.json": manifest(dependencies={"convex": "1"}),
            "apps/server/convex/tasks.ts": "",
            "apps/web/package.json": manifest(dependencies={"convex": "1"}),
        }
    )
    found = discover(root, "convex-functions-dir")
    assert found.values == ["apps/server/convex"]
    assert found.sources == ["beside apps/server/package.json, which depends on convex"]


def test_convex_client_packages_are_node_packages(tree):
    root = tree(
        {
            "backend/package.json": manifest(dependencies={"convex": "1"}),
            "backend/convex/schema.ts": "",
            "workers/package.json": manifest(
                dependencies={"convex": "1", "@temporalio/worker": "1"}
            ),
            "workers/src/client.ts": 'import { ConvexHttpClient } from "convex/browser";\n',
            "mobile/package.json": manifest(dependencies={"convex": "1", "react": "19"}),
            # Declares convex, imports only its values (the backend once its functions are gone).
            "old-backend/package.json": manifest(dependencies={"convex": "1"}),
            "old-backend/src/format.ts": 'import { v } from "convex/values";\n',
        }
    )
    assert discover(root, "convex-packages").values == ["workers"]


# compose --------------------------------------------------------------------------------------


def test_compose_files_by_name_and_by_flag(tree):
    root = tree(
        {
            "package.json": manifest(
                scripts={"dx": "docker compose -f docker/dev.yml up -d && rm -f x"}
            ),
            "docker/dev.yml": "services:\n  db:\n    image: postgres:16\n",
            "Makefile": "up:\n\tdocker-compose --file=infra/local.yaml up\n",
            "infra/local.yaml": "services:\n  cache:\n    image: redis\n",
            "podman/podman-compose.yml": "services:\n  db:\n    image: postgres\n",
            "deploy/docker-compose.prod.yaml": "services: {}\n",
            "process-compose.yaml": "processes:\n  web:\n    command: npm start\n",
            "notes.yml": "services: {}\n",
        }
    )
    assert model(root).compose.files == [
        ("deploy/docker-compose.prod.yaml", "named like a compose file"),
        ("docker/dev.yml", '`-f docker/dev.yml` in package.json script "dx"'),
        ("infra/local.yaml", "`-f infra/local.yaml` in Makefile"),
        ("podman/podman-compose.yml", "named like a compose file"),
    ]


def test_kept_services_are_proposed_never_assumed(tree):
    root = tree(
        {
            "compose.yaml": "services:\n  op-db:\n    image: postgis/postgis:16\n  op-kv:\n    image: valkey/valkey\n"
        }
    )
    found = discover(root, "compose-kept-services")
    assert found.values == []
    assert "(now: op-kv in compose.yaml:4 (valkey/valkey))" in found.reason
    assert found.proposed.values == ["op-kv"]


# next -----------------------------------------------------------------------------------------


def test_next_apps_and_their_routers(tree):
    root = tree(
        {
            "apps/web/package.json": manifest(dependencies={"next": "15"}),  # no next.config
            "apps/web/src/app/page.tsx": "",
            "apps/admin/next.config.mjs": "export default {};",
            "apps/admin/pages/index.tsx": "",
            "packages/email/.react-email/next.config.js": "",
            "packages/ui/package.json": manifest(dependencies={"next": "15"}),  # a library
        }
    )
    apps = {(a.path, a.app_router, a.pages_router) for a in model(root).next.apps}
    assert apps == {
        ("apps/admin", None, "apps/admin/pages"),
        ("apps/web", "apps/web/src/app", None),
    }


# docs and prisma ------------------------------------------------------------------------------


def test_active_docs(tree):
    root = tree(
        {
            "README.md": "",
            "packages/db/AGENTS.md": "",
            "docs/setup.md": "",
            "packages/db/README.md": "",
        }
    )
    assert discover(root, "active-docs").values == [
        "README.md",
        "packages/db/AGENTS.md",
        "docs/**/*.{md,mdx,mermaid,txt}",
    ]


def test_prisma_schemas_migrations_and_users(tree):
    root = tree(
        {
            "package.json": manifest(workspaces=["apps/*", "packages/*"]),
            "packages/database/package.json": manifest(
                name="@x/database", dependencies={"@prisma/client": "6"}
            ),
            "packages/database/schema/main.prisma": "",
            "packages/database/schema/billing.prisma": "",
            "packages/database/migration/migration_lock.toml": "",
            "packages/database/prisma.config.ts": "",
            "apps/api/package.json": manifest(dependencies={"@x/database": "*", "hono": "4"}),
            "apps/web/package.json": manifest(dependencies={"@x/database": "*", "next": "15"}),
            "apps/web/app/page.tsx": "",
            "apps/docs/package.json": "{}",
        }
    )
    assert discover(root, "prisma-schemas").values == [
        "packages/database/prisma.config.ts",
        "packages/database/schema",
    ]
    assert discover(root, "prisma-migrations").values == ["packages/database/migration"]
    assert discover(root, "prisma-server").values == ["apps/api"]
    assert discover(root, "prisma-sources").values == [
        "packages/database/**/*.{ts,tsx,mts,cts,js,jsx,mjs}",
        "apps/api/**/*.{ts,tsx,mts,cts,js,jsx,mjs}",
        "apps/web/**/*.{ts,tsx,mts,cts,js,jsx,mjs}",
    ]


def test_prisma_config_schema_and_migrations_are_relative_to_the_config(tree):
    """@prisma/config 7 resolves `schema` and `migrations.path` against the config's folder
    (prisma.config.* or .config/prisma.*); a value that is no literal is said so."""
    root = tree(
        {
            "package.json": manifest(devDependencies={"prisma": "7"}),
            ".config/prisma.ts": (
                'import { defineConfig } from "prisma/config";\n'
                "export default defineConfig({\n"
                "  // schema: 'elsewhere',\n"
                '  schema: "../db/schema",\n'
                '  migrations: { seed: "tsx seed.ts", path: "../db/sql" },\n'
                "});\n"
            ),
            "db/schema/a.prisma": "",
            "db/schema/models/b.prisma": "",
            "db/sql/20250101000000_init/migration.sql": "",
            "tools/prisma.config.ts": (
                'import path from "node:path";\n'
                'export default { schema: path.join("x", "schema.prisma") };\n'
            ),
        }
    )
    prisma = model(root).prisma
    assert [(c.path, c.schema, c.migrations, c.problem) for c in prisma.configs] == [
        (".config/prisma.ts", "db/schema", "db/sql", ""),
        (
            "tools/prisma.config.ts",
            None,
            None,
            "`schema` at tools/prisma.config.ts:2 is not a literal string",
        ),
    ]
    found = discover(root, "prisma-schemas")
    assert list(zip(found.values, found.sources, strict=True)) == [
        (".config/prisma.ts", "Prisma's config"),
        ("db/schema", ".config/prisma.ts `schema`"),  # its nested folder included
        (
            "tools/prisma.config.ts",
            "Prisma's config (`schema` at tools/prisma.config.ts:2 is not a literal string)",
        ),
    ]
    found = discover(root, "prisma-migrations")
    assert list(zip(found.values, found.sources, strict=True)) == [
        ("db/sql", ".config/prisma.ts `migrations.path`, 1 migration")
    ]


def test_prisma_schema_named_by_a_script_and_migrations_beside_it(tree):
    root = tree(
        {
            "package.json": manifest(workspaces=["apps/*"]),
            "apps/web/package.json": manifest(
                dependencies={"@prisma/client": "6"},
                scripts={
                    "db:generate": "dotenv -- prisma generate --schema=./prisma/schema",
                    "db:push": "prisma db push --schema './prisma/schema' && next build",
                },
            ),
            "apps/web/prisma/schema/main.prisma": (
                '// generator client { output = "../nowhere" }\n'
                "generator client {\n"
                '  provider = "prisma-client-js"\n'
                '  output   = "../../src/generated/client"\n'
                "}\n\n"
                'generator zod {\n  provider = "zod-prisma-types"\n  output = "../zod"\n}\n'
            ),
            "apps/web/prisma/schema/user.prisma": "",
            "apps/web/prisma/schema/migrations/20250101000000_init/migration.sql": "",
            "apps/web/prisma/schema/migrations/20250102000000_more/migration.sql": "",
        }
    )
    found = discover(root, "prisma-schemas")
    assert list(zip(found.values, found.sources, strict=True)) == [
        ("apps/web/prisma/schema", 'apps/web/package.json script "db:generate" --schema')
    ]
    found = discover(root, "prisma-migrations")
    assert list(zip(found.values, found.sources, strict=True)) == [
        (
            "apps/web/prisma/schema/migrations",
            "beside the schema apps/web/prisma/schema, 2 migrations",
        )
    ]
    found = discover(root, "prisma-generated-clients")  # the zod generator writes no client
    assert list(zip(found.values, found.sources, strict=True)) == [
        (
            "apps/web/src/generated/client",
            "generator client (prisma-client-js) at apps/web/prisma/schema/main.prisma:2 `output`",
        )
    ]


PRISMA_CLIENT = 'import { PrismaClient } from "@prisma/client";\n'


def test_the_names_a_module_holds_its_prisma_client_under(tree):
    root = tree(
        {
            "package.json": manifest(dependencies={"@prisma/client": "6"}),
            "src/db.ts": PRISMA_CLIENT
            + "function make() {\n"
            + "  const created = new PrismaClient();\n"
            + "  return created;\n"
            + "}\n"
            + "function count() {\n  return base.user.count();\n}\n"
            + "const base = (globalThis as any).db ?? make();\n"
            + "const extended = base.$extends({}) as unknown as typeof base;\n"
            + "const chosen = process.env.X ? extended : base;\n"
            + "export { chosen as prisma };\n"
            + "export default { client: base, count };\n",
            "src/PrismaClient.ts": "// not a client: PrismaClient here is a local class\n"
            + "class PrismaClient {}\nexport const fake = new PrismaClient();\n",
        }
    )
    found = discover(root, "prisma-clients")
    made = "holds a PrismaClient (constructed at src/db.ts:3)"
    assert list(zip(found.values, found.sources, strict=True)) == [
        ("src/db.ts#base", made),
        ("src/db.ts#chosen", made),
        ("src/db.ts#default", made),
        ("src/db.ts#extended", made),
        ("src/db.ts#prisma", made),
    ]


def test_the_critical_path_is_the_servers_ways_in(tree):
    root = tree(
        {
            "package.json": manifest(workspaces=["apps/*", "packages/*"]),
            "packages/db/package.json": manifest(
                name="@x/db", dependencies={"@prisma/client": "6"}
            ),
            "packages/db/src/index.ts": PRISMA_CLIENT
            + "export const prisma = new PrismaClient();\n",
            "apps/api/package.json": manifest(
                dependencies={"@x/db": "*", "fastify": "5", "socket.io": "4", "hono": "4"}
            ),
            "apps/api/src/server.ts": 'import Fastify from "fastify";\nexport const app = Fastify();\n',
            "apps/api/src/socket.ts": (
                'import { Server } from "socket.io";\n'
                "export const attach = (http: any) => new Server(http);\n"
            ),
            "apps/api/src/types.ts": 'import type { FastifyRequest } from "fastify";\n',
            "apps/api/src/cors.ts": 'import { cors } from "hono/cors";\nexport const c = cors();\n',
            "apps/web/package.json": manifest(
                dependencies={"@x/db": "*", "next": "15", "express": "5"}
            ),
            "apps/web/next.config.ts": "",
            "apps/web/app/page.tsx": "",
            "apps/web/server.ts": 'import express from "express";\nexport const a = express();\n',
        }
    )
    found = discover(root, "prisma-critical-path")
    assert list(zip(found.values, found.sources, strict=True)) == [
        ("apps/api/src/server.ts", "makes the server: Fastify()"),
        ("apps/api/src/socket.ts", "makes the server: new Server()"),
    ]


def test_without_a_prisma_server_the_critical_path_is_not_found(tree):
    root = tree({"package.json": manifest(dependencies={"@prisma/client": "6", "next": "15"})})
    assert discover(root, "prisma-critical-path").reason == (
        "no Prisma server (a package using Prisma and a server framework) to start from"
    )


# git -------------------------------------------------------------------------------------------


def test_in_git_discovery_reads_what_git_tracks(tree):
    """An untracked config is seen once added; before anything is tracked, the disk counts."""
    root = tree({"packages/db/package.json": "{}", "README.md": ""})
    init_git(root)
    (root / "packages/db/drizzle.config.ts").write_text("export default {};\n")
    assert discover(root, "drizzle-packages").values == []
    from conftest import git

    git(root, "add", "packages/db/drizzle.config.ts")
    assert discover(root, "drizzle-packages").values == ["packages/db"]
    fresh = tree({"x/drizzle.config.ts": ""}).parent / "fresh"
    fresh.mkdir()
    (fresh / "drizzle.config.ts").write_text("")
    git(fresh, "init", "-q")
    assert discover(fresh, "drizzle-packages").values == ["."]


# module resolution ------------------------------------------------------------------------------


def test_an_import_of_a_packages_build_output_leads_to_its_source(tree):
    """A package built by a bundler publishes only dist/ (git-ignored): an import of it reaches
    the module its source probably is, below the build folder."""
    from conformance.project import import_targets, imports_module

    root = tree(
        {
            "package.json": manifest(workspaces=["packages/*", "apps/*"]),
            ".gitignore": "dist/\n",
            "packages/database/package.json": json.dumps(
                {
                    "name": "@acme/database",
                    "exports": {
                        ".": {"types": "./dist/index.d.ts", "import": "./dist/index.js"},
                        "./prisma": {
                            "types": "./dist/src/prisma.d.ts",
                            "import": "./dist/src/prisma.js",
                        },
                    },
                }
            ),
            "packages/database/src/index.ts": "export const ready = true;\n",
            "packages/database/src/prisma.ts": "export * from '@prisma/client';\n",
            "apps/web/package.json": manifest(dependencies={"@acme/database": "*"}),
            "apps/web/src/users.ts": "import { Prisma } from '@acme/database/prisma';\n",
        }
    )
    init_git(root)
    project = project_of(RepoView(root))
    importer = "apps/web/src/users.ts"
    assert import_targets(project, importer, "@acme/database/prisma") == [
        "packages/database/src/prisma"
    ]
    assert import_targets(project, importer, "@acme/database") == [
        "packages/database/index",
        "packages/database/src/index",
    ]
    assert imports_module(
        project, importer, "@acme/database/prisma", "packages/database/src/prisma.ts"
    )
    assert not imports_module(
        project, importer, "@acme/database", "packages/database/src/prisma.ts"
    )
