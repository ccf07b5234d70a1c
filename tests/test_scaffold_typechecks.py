"""The Convex scaffold compiles: `conformance fix`'s convex-adoption templates, rendered, pass
`tsc --noEmit` against the real npm `convex` package.

npm installs `convex`, `typescript` and `@types/node` once into a cache folder, reused by later
runs (no network then). `convex codegen` needs a live deployment, so the test writes stand-ins for
convex/_generated/ shaped like the CLI's output (its "dynamic" data model, typed from the schema
with DataModelFromSchemaDefinition), plus probe modules that query every table through every index
and read every v.id() field, so a wrong index or reference fails the typecheck.

Without npm or the registry (and a cold cache) the tests skip, loudly: they never pass unchecked.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
from conftest import FIXTURES, init_git
from convex_codegen import GENERATED, GENERATED_HEADER, typecheck, write_codegen

from conformance.project import project_of
from conformance.repo import RepoView
from conformance.templates import render
from conformance.translate.drizzle_convex import empty_context, schema_context, source_context

DRIZZLE_SCHEMA = FIXTURES / "kata-before" / "packages" / "db" / "src" / "schema.ts"

RENDERED = {
    "convex.json": "convex.json.j2",
    "convex/schema.ts": "convex/schema.ts.j2",
    "convex/http.ts": "convex/http.ts.j2",
    "convex/tsconfig.json": "convex/tsconfig.json.j2",
    "src/client.ts": "src/client.ts.j2",
    "src/index.ts": "src/index.ts.j2",
    ".env.example": "env.example.j2",
}

PACKAGE_TSCONFIG = {
    "compilerOptions": {
        "target": "ES2022",
        "module": "ESNext",
        "moduleResolution": "Bundler",
        "strict": True,
        "skipLibCheck": True,
        "noEmit": True,
        "isolatedModules": True,
        "types": ["node"],
    },
    "include": ["src"],
    "exclude": ["src/**/__tests__/**", "src/**/*.test.ts"],
}

# A consumer of the package's public surface and of the generated api.
CLIENT_PROBE = """
import { ConvexHttpClient } from "convex/browser";
import { api } from "../convex/_generated/api";
import { getConvexClient, getConvexUrl, resetConvexClient } from "./index";

resetConvexClient(new ConvexHttpClient(getConvexUrl({ CONVEX_URL: "https://x.convex.cloud" })));
export const tables: Promise<number> = getConvexClient().query(api.probe.tables, {});
resetConvexClient();
"""


def test_convex_json_validates_against_the_packaged_schema(convex_node_modules):
    schema = json.loads((convex_node_modules / "convex/schemas/convex.schema.json").read_text())
    config = json.loads(render("convex-adoption/convex.json.j2", {}))
    jsonschema.Draft7Validator(schema).validate(config)
    assert config == {
        "$schema": "./node_modules/convex/schemas/convex.schema.json",
        "functions": "convex/",
    }


@pytest.mark.parametrize("source", ["drizzle", "none"])
def test_scaffold_typechecks(convex_node_modules, tmp_path, source):
    if source == "drizzle":
        context = source_context(DRIZZLE_SCHEMA.read_text(encoding="utf-8"))
    else:
        context = empty_context("no drizzle.config.* names a schema", "packages/db")
    assert context["source"] == source
    package = tmp_path / "db"
    files = {
        path: render(f"convex-adoption/{name}", context if name == "convex/schema.ts.j2" else {})
        for path, name in RENDERED.items()
    }
    files["package.json"] = json.dumps({"name": "scaffold", "private": True, "type": "module"})
    _write(package, files)
    _typecheck(package, convex_node_modules, context["tables"])


def test_fixed_kata_package_typechecks(convex_node_modules, fixture_copy, cli):
    """What `conformance fix` leaves in the kata-before package compiles as a whole."""
    root = fixture_copy("kata-before")
    init_git(root)
    assert cli("fix", str(root))[0] == 0
    package = root / "packages" / "db"
    context = source_context(DRIZZLE_SCHEMA.read_text(encoding="utf-8"))
    _typecheck(package, convex_node_modules, context["tables"])


@pytest.mark.parametrize(
    "name", ["drizzle-schema-folder", "drizzle-schema-array", "drizzle-schema-sqlite"]
)
def test_derived_schemas_typecheck(convex_node_modules, fixture_copy, cli, name):
    """The convex/schema.ts `fix` derives from a real-shaped Drizzle schema compiles, and every
    table, index and v.id() field of it is what the translator said."""
    root = fixture_copy(name)
    init_git(root)
    cli("fix", str(root))
    convex = root / "packages/db/convex"
    drizzle = project_of(RepoView(FIXTURES / name)).drizzle
    schema = drizzle.schema(drizzle.configs[0])
    tables = schema_context(drizzle.modules, schema.entries, schema.origin)["tables"]
    assert tables
    write_codegen(convex, {"probe.ts": _data_model_probe(tables)})
    result = typecheck(root, convex, convex_node_modules)
    assert result.returncode == 0, f"tsc -p convex:\n{result.stdout}{result.stderr}"


def _write(package: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (package / path).parent.mkdir(parents=True, exist_ok=True)
        (package / path).write_text(text, encoding="utf-8")


def _typecheck(package: Path, node_modules: Path, tables: list[dict]) -> None:
    """Add codegen stand-ins and probes, then `tsc --noEmit` the convex dir and the sources."""
    files = {
        f"convex/_generated/{name}": GENERATED_HEADER + body for name, body in GENERATED.items()
    }
    files |= {
        "convex/probe.ts": _data_model_probe(tables),
        "src/probe.ts": CLIENT_PROBE,
        # The package's own tests need vitest, which is not what is being proven here.
        "tsconfig.json": json.dumps(PACKAGE_TSCONFIG, indent=2),
    }
    _write(package, files)
    (package / "node_modules").symlink_to(node_modules, target_is_directory=True)
    tsc = node_modules / "typescript" / "bin" / "tsc"
    for project in (package / "convex", package):
        result = subprocess.run(
            ["node", str(tsc), "--noEmit", "-p", str(project)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, f"tsc -p {project.name}:\n{result.stdout}{result.stderr}"


def _data_model_probe(tables: list[dict]) -> str:
    """A query that reads every table through each of its indexes and assigns every v.id()
    field to the Id type of its table: wrong index names or references fail to typecheck."""
    lines = []
    for number, table in enumerate(tables):
        name = json.dumps(table["name"])
        lines.append(f"    const doc{number} = await ctx.db.query({name}).first();")
        for index in table["indexes"]:
            index_name = json.dumps(index["name"])
            lines.append(f"    await ctx.db.query({name}).withIndex({index_name}).first();")
        for field in table["fields"]:
            target = re.fullmatch(r'(?:v\.optional\()?v\.id\(("\w+")\)\)?', field["validator"])
            if target:
                lines.append(
                    f"    const ref{number}_{field['name']}: Id<{target[1]}> | undefined = "
                    f"doc{number}?.{field['name']};"
                )
    return (
        'import { query } from "./_generated/server";\n'
        'import type { Id } from "./_generated/dataModel";\n\n'
        "export const tables = query({\n"
        "  args: {},\n"
        "  handler: async (ctx) => {\n" + "\n".join(lines) + "\n"
        f"    return {len(tables)};\n"
        "  },\n"
        "});\n"
    )
