"""Stand-ins for the `convex/_generated/` modules `convex codegen` writes (it needs a live
deployment, so the typecheck tests supply them), shaped like the CLI's output: its "dynamic"
data model, typed from the schema with DataModelFromSchemaDefinition."""

import json
import subprocess
from pathlib import Path

GENERATED_HEADER = (
    "/* eslint-disable */\n// Stand-in for `convex codegen` output (needs a deployment).\n"
)

GENERATED = {
    "api.d.ts": """
import type { ApiFromModules, FilterApi, FunctionReference } from "convex/server";
import type * as http from "../http.js";
import type * as probe from "../probe.js";

declare const fullApi: ApiFromModules<{
  http: typeof http;
  probe: typeof probe;
}>;
export declare const api: FilterApi<typeof fullApi, FunctionReference<any, "public">>;
export declare const internal: FilterApi<typeof fullApi, FunctionReference<any, "internal">>;
""",
    "api.js": """
import { anyApi } from "convex/server";

export const api = anyApi;
export const internal = anyApi;
""",
    "dataModel.d.ts": """
import type {
  DataModelFromSchemaDefinition,
  DocumentByName,
  TableNamesInDataModel,
  SystemTableNames,
} from "convex/server";
import type { GenericId } from "convex/values";
import schema from "../schema.js";

export type TableNames = TableNamesInDataModel<DataModel>;
export type Doc<TableName extends TableNames> = DocumentByName<DataModel, TableName>;
export type Id<TableName extends TableNames | SystemTableNames> = GenericId<TableName>;
export type DataModel = DataModelFromSchemaDefinition<typeof schema>;
""",
    "server.d.ts": """
import {
  ActionBuilder,
  HttpActionBuilder,
  MutationBuilder,
  QueryBuilder,
  GenericActionCtx,
  GenericMutationCtx,
  GenericQueryCtx,
  GenericDatabaseReader,
  GenericDatabaseWriter,
} from "convex/server";
import type { DataModel } from "./dataModel.js";

export declare const query: QueryBuilder<DataModel, "public">;
export declare const internalQuery: QueryBuilder<DataModel, "internal">;
export declare const mutation: MutationBuilder<DataModel, "public">;
export declare const internalMutation: MutationBuilder<DataModel, "internal">;
export declare const action: ActionBuilder<DataModel, "public">;
export declare const internalAction: ActionBuilder<DataModel, "internal">;
export declare const httpAction: HttpActionBuilder;
export declare const env: Record<string, string | undefined>;

export type QueryCtx = GenericQueryCtx<DataModel>;
export type MutationCtx = GenericMutationCtx<DataModel>;
export type ActionCtx = GenericActionCtx<DataModel>;
export type DatabaseReader = GenericDatabaseReader<DataModel>;
export type DatabaseWriter = GenericDatabaseWriter<DataModel>;
""",
    "server.js": """
import {
  actionGeneric,
  httpActionGeneric,
  queryGeneric,
  mutationGeneric,
  internalActionGeneric,
  internalMutationGeneric,
  internalQueryGeneric,
} from "convex/server";

export const query = queryGeneric;
export const internalQuery = internalQueryGeneric;
export const mutation = mutationGeneric;
export const internalMutation = internalMutationGeneric;
export const action = actionGeneric;
export const internalAction = internalActionGeneric;
export const httpAction = httpActionGeneric;
export const env = process.env;
""",
}


CONVEX_TSCONFIG = {
    # What `convex dev` writes into convex/ (REAL_WORLD.md), plus @types/node for process.env.
    "compilerOptions": {
        "target": "ESNext",
        "lib": ["ES2023", "dom"],
        "module": "ESNext",
        "moduleResolution": "Bundler",
        "strict": True,
        "skipLibCheck": True,
        "noEmit": True,
        "isolatedModules": True,
        "types": ["node"],
    },
    "include": ["./**/*"],
}


def write_codegen(convex: Path, extra: dict[str, str] | None = None) -> None:
    """Stand-ins for convex/_generated/ whose api lists every module of `convex` (so internal.*
    and api.* calls are typed), the CLI's tsconfig, and `extra` files."""
    modules = sorted(
        path.relative_to(convex).with_suffix("").as_posix()
        for path in convex.rglob("*.ts")
        if "_generated" not in path.parts
        and path.name not in ("schema.ts", "auth.config.ts")
        and not path.name.endswith(".d.ts")
    )
    imports = "".join(f'import type * as m{n} from "../{m}.js";\n' for n, m in enumerate(modules))
    listed = "".join(f'  "{m}": typeof m{n};\n' for n, m in enumerate(modules))
    api = (
        'import type { ApiFromModules, FilterApi, FunctionReference } from "convex/server";\n'
        f"{imports}\ndeclare const fullApi: ApiFromModules<{{\n{listed}}}>;\n"
        'export declare const api: FilterApi<typeof fullApi, FunctionReference<any, "public">>;\n'
        "export declare const internal: FilterApi<typeof fullApi, "
        'FunctionReference<any, "internal">>;\n'
    )
    files = {f"_generated/{name}": GENERATED_HEADER + body for name, body in GENERATED.items()}
    files |= {
        "_generated/api.d.ts": GENERATED_HEADER + api,
        "tsconfig.json": json.dumps(CONVEX_TSCONFIG, indent=2),
        **(extra or {}),
    }
    for name, text in files.items():
        (convex / name).parent.mkdir(parents=True, exist_ok=True)
        (convex / name).write_text(text, encoding="utf-8")


def typecheck(root: Path, project: Path, node_modules: Path) -> subprocess.CompletedProcess:
    """`tsc --noEmit -p project` with `node_modules` linked into `root`."""
    (root / "node_modules").symlink_to(node_modules, target_is_directory=True)
    tsc = node_modules / "typescript" / "bin" / "tsc"
    return subprocess.run(
        ["node", str(tsc), "--noEmit", "-p", str(project)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
