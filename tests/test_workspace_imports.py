"""The workspace import graph (`conformance/project/imports.py`), the `workspace-imports` rule
kind, and what `fix` does with changes that would break another package's imports.

`fixtures/workspace-imports` is shaped like create-t3-turbo: `@harbor/db` publishes `.`,
`./client` and `./schema` through package.json `exports` (`types` pointing at an unbuilt
`dist/`, `default` at the source), and `packages/api` and `apps/web` import the client, the
tables, a type, a helper the index passes on from drizzle-orm (`eq`, `desc`) and one from its own
module (`berthCode`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, init_git, write_tree

from conformance import typescript as ts
from conformance.project.imports import exports_target, target_paths

FIXTURE = "workspace-imports"
API = "packages/api/src/router/booking.ts"
WEB = "apps/web/src/app/bookings/page.tsx"
RULE = """
rules:
  - id: imports-hold
    kind: workspace-imports
    message: "{item}"
    why: Other packages import these.
"""


@pytest.fixture(params=["git", "walk"])
def harbor(request, tmp_path):
    """The fixture, checked with only a workspace-imports rule: in a git work tree (importers
    found by `git grep`) and outside git (the files read)."""
    copies = iter(range(100))

    def make(edits: dict[str, str | None] | None = None, rule: str = RULE) -> Path:
        root = Path(shutil.copytree(FIXTURES / FIXTURE, tmp_path / f"harbor-{next(copies)}"))
        (root / "conformance.yaml").write_text(rule)
        for path, text in (edits or {}).items():
            if text is None:
                (root / path).unlink()
            else:
                write_tree(root, {path: text})
        if request.param == "git":
            init_git(root)
        return root

    make.git = request.param == "git"
    return make


def findings(check_json, root: Path) -> tuple[list[tuple], dict]:
    code, payload = check_json(str(root))
    found = [(f["path"], f["line"], f["message"]) for f in payload["findings"]]
    [status] = [r for r in payload["rules"] if r["id"] == "imports-hold"]
    assert code == (1 if found or status["status"] == "unchecked" else 0)
    return found, status


# What modules import and export ------------------------------------------------------------------


def test_imports_down_to_the_names_taken():
    tree = ts.parse(
        'import type { A } from "@x/db";\n'
        'import def, { b, type C, d as e } from "@x/db/client";\n'
        'import * as all from "@x/db";\n'
        'import "@x/db/side-effect";\n'
        'export { f, g as h } from "@x/db/schema";\n'
        'export * from "@x/db/star";\n'
        "async function load() {\n"
        '  const { i, j: k } = await import("@x/db/lazy");\n'
        '  return import("@x/db/" + i);\n'
        "}\n",
        "a.ts",
    )
    assert ts.module_imports(tree) == [
        (1, "@x/db", ("A",)),
        (2, "@x/db/client", ("default", "b", "C", "d")),
        (3, "@x/db", ()),
        (4, "@x/db/side-effect", ()),
        (5, "@x/db/schema", ("f", "g")),
        (6, "@x/db/star", ()),
        (8, "@x/db/lazy", ("i", "j")),
    ]


def test_exports_with_where_they_come_from():
    tree = ts.parse(
        "export const a = 1, { b, c: d } = o, [e] = list;\n"
        "export function f() {}\n"
        "export interface I {}\n"
        "export type T = string;\n"
        "export enum E { X }\n"
        "export declare const dc: number;\n"
        'export { g, h as i, type J } from "./m";\n'
        'export * from "./star";\n'
        'export * as ns from "./ns";\n'
        'import { k as local } from "./k";\n'
        "export { local as again };\n"
        "export default f;\n",
        "a.ts",
    )
    surface = ts.module_exports(tree, "a.ts")
    assert {name: (e.source, e.imported, e.type_only) for name, e in surface.names.items()} == {
        "a": (None, None, False),
        "b": (None, None, False),
        "d": (None, None, False),
        "e": (None, None, False),
        "f": (None, None, False),
        "I": (None, None, True),
        "T": (None, None, True),
        "E": (None, None, False),
        "dc": (None, None, False),
        "g": ("./m", "g", False),
        "i": ("./m", "h", False),
        "J": ("./m", "J", True),
        "ns": ("./ns", "*", False),
        "again": ("./k", "k", False),
        "default": (None, None, False),
    }
    assert surface.stars == [("./star", 8)]
    assert surface.opaque is False
    # `export =` and CommonJS cannot be listed from the syntax.
    assert ts.module_exports(ts.parse("export = client;", "a.ts"), "a.ts").opaque
    assert ts.module_exports(ts.parse("module.exports = {};", "a.js"), "a.js").opaque


# Node's and TypeScript's resolution of `exports` -----------------------------------------------


def test_exports_subpaths_sugar_and_patterns():
    exports = {
        ".": "./src/index.ts",
        "./schema": {"types": "./dist/schema.d.ts", "default": "./src/schema.ts"},
        "./features/*": "./src/features/*.ts",
        "./features/private/*": None,
        "./styles/*.css": "./css/*.css",
    }
    assert exports_target(exports, ".") == ("./src/index.ts", None)
    assert exports_target(exports, "./schema")[0]["default"] == "./src/schema.ts"
    # The longer prefix before `*` wins, whatever the key order (PATTERN_KEY_COMPARE).
    assert exports_target(exports, "./features/a/b") == ("./src/features/*.ts", "a/b")
    assert exports_target(exports, "./features/private/x") == (None, "x")
    assert exports_target(exports, "./styles/dark.css") == ("./css/*.css", "dark")
    assert exports_target(exports, "./styles/dark.scss") is None
    assert exports_target(exports, "./features/") is None  # `*` matches something
    assert exports_target(exports, "./src/index.ts") is None  # files are not subpaths
    # Sugar: a string, an array or a conditions object is the `.` export.
    assert exports_target("./index.js", ".") == ("./index.js", None)
    assert exports_target({"import": "./a.js"}, "./a") is None
    # Keys mixing subpaths and conditions are an invalid config: nothing is published.
    assert exports_target({".": "./a.js", "import": "./b.js"}, ".") is None


def test_targets_follow_conditions_in_key_order():
    target = {"require": "./a.cjs", "types": "./dist/a.d.ts", "node": "./n.js", "default": "./a.ts"}
    assert target_paths(target, None) == (["dist/a.d.ts", "a.ts"], False)
    assert target_paths({"types": "./x/*.d.ts", "import": "./x/*.js"}, "y/z") == (
        ["x/y/z.d.ts", "x/y/z.js"],
        False,
    )
    assert target_paths(["./a.js", {"default": "./b.js"}], None) == (["a.js", "b.js"], False)
    # `null` publishes nothing under that condition (Node; TypeScript since 6.0).
    assert target_paths({"types": None, "default": "./a.js"}, None) == ([], True)
    # Targets must start with `./` and stay inside the package.
    assert target_paths("a.js", None) == ([], False)
    assert target_paths("./../a.js", None) == ([], False)
    assert target_paths("./node_modules/x/a.js", None) == ([], False)


# The rule on the fixture ----------------------------------------------------------------------


def test_the_fixture_holds(harbor, check_json):
    found, status = findings(check_json, harbor())
    assert found == []
    assert status["status"] == "pass"
    # `eq` and `desc` come from drizzle-orm through `export *`: they cannot be read, and say so.
    assert status["note"] == (
        "7 imports of @harbor/api, @harbor/db in 2 files; 2 imported names not checked (passed "
        "on from another npm package, CommonJS, or build output)"
    )


def test_subpaths_the_exports_map_does_not_publish(harbor, check_json):
    root = harbor(
        {
            "packages/api/src/pool.ts": 'import { pool } from "@harbor/db/pool";\n'
            'import { sql } from "@harbor/db/internal/sql";\n'
            'import "@harbor/db/src/client.ts";\n'
        }
    )
    shown = "packages/db/package.json `exports`"
    assert findings(check_json, root)[0] == [
        ("packages/api/src/pool.ts", 1, f"imports @harbor/db/pool, which {shown} does not publish"),
        (
            "packages/api/src/pool.ts",
            2,
            f"imports @harbor/db/internal/sql, which {shown} maps to null",
        ),
        (
            "packages/api/src/pool.ts",
            3,
            f"imports @harbor/db/src/client.ts, which {shown} does not publish",
        ),
    ]


def test_names_the_module_does_not_export(harbor, check_json):
    root = harbor(
        {
            "apps/web/src/dock.ts": 'import { Berth, Dock } from "@harbor/db/schema";\n'
            # NewBooking comes through schema.ts's `export *` of booking-types.ts; OldBooking
            # is nowhere down that chain.
            'import type { NewBooking, OldBooking } from "@harbor/db/schema";\n'
            'export { berthCode, harbourCode } from "@harbor/db";\n'
            'const { bookingRouter, roomRouter } = await import("@harbor/api");\n'
            # The last mention, an import spread over lines: parsed to its closing `)`.
            "const { Harbor } = await import(\n"
            '  "@harbor/db/schema"\n'
            ");\n"
            "export const more = () => Harbor;\n"
        }
    )
    assert findings(check_json, root)[0] == [
        (
            "apps/web/src/dock.ts",
            1,
            "imports `Dock` from @harbor/db/schema, which does not export it "
            "(packages/db/src/schema.ts)",
        ),
        (
            "apps/web/src/dock.ts",
            2,
            "imports `OldBooking` from @harbor/db/schema, which does not export it "
            "(packages/db/src/schema.ts)",
        ),
        # `harbourCode` may come from drizzle-orm's `export *`: not a finding.
        (
            "apps/web/src/dock.ts",
            4,
            "imports `roomRouter` from @harbor/api, which does not export it "
            "(packages/api/src/index.ts)",
        ),
        (
            "apps/web/src/dock.ts",
            5,
            "imports `Harbor` from @harbor/db/schema, which does not export it "
            "(packages/db/src/schema.ts)",
        ),
    ]


def test_export_star_chains_and_barrels(harbor, check_json):
    edits = {
        # schema.ts → tables/index.ts (a barrel) → tables/berth.ts, and a cycle back.
        "packages/db/src/schema.ts": 'export * from "./tables";\nexport * from "./booking-types";\n',
        "packages/db/src/tables/index.ts": 'export * from "./berth";\nexport * from "../schema";\n',
        "packages/db/src/tables/berth.ts": "export const Berth = {};\nexport const Booking = {};\n",
        "packages/db/src/booking-types.ts": "export type NewBooking = { boatName: string };\n",
        "apps/web/src/lost.ts": 'import { Berth, Mooring } from "@harbor/db/schema";\n',
    }
    assert findings(check_json, harbor(edits))[0] == [
        (
            "apps/web/src/lost.ts",
            1,
            "imports `Mooring` from @harbor/db/schema, which does not export it "
            "(packages/db/src/schema.ts)",
        )
    ]


def test_a_target_that_does_not_exist(harbor, check_json):
    root = harbor({"packages/db/src/schema.ts": None})
    found, _ = findings(check_json, root)
    # In git, dist/ is ignored build output; outside git nothing says so.
    target = (
        "packages/db/src/schema.ts"
        if harbor.git
        else ("packages/db/dist/schema.d.ts or packages/db/src/schema.ts")
    )
    assert found == [
        (WEB, 1, f"imports @harbor/db/schema, which resolves to {target}: no such file"),
        (API, 7, f"imports @harbor/db/schema, which resolves to {target}: no such file"),
    ]


def test_main_fallback_tsconfig_paths_and_registry_namesakes(harbor, check_json):
    edits = {
        # Without `exports`, `main` is the entry and a subpath is a file path.
        "packages/util/package.json": '{"name": "@harbor/util", "main": "./lib/index"}',
        "packages/util/lib/index.ts": "export const pad = (s: string) => s;\n",
        "packages/util/lib/dates.ts": "export const today = () => new Date();\n",
        # The exports map does not publish ./codes, but the importer's tsconfig `paths` lead
        # there (TypeScript reads them before node_modules).
        "apps/web/tsconfig.json": '{\n  // web\n  "extends": "./tsconfig.base.json",\n}\n',
        "apps/web/tsconfig.base.json": (
            '{"compilerOptions": {"paths": {"@harbor/db/*": ["../../packages/db/src/*"]}}}'
        ),
        "apps/web/src/util.ts": 'import { pad } from "@harbor/util";\n'
        'import { today, tomorrow } from "@harbor/util/lib/dates";\n'
        'import { berthCode } from "@harbor/db/codes";\n'
        # A bundler's query suffix is not part of the path, and makes what it exports.
        'import source from "@harbor/db/schema?raw";\n'
        'import sheet from "@harbor/db/theme.css?inline";\n',
        # `@harbor/util` from the registry (a pnpm catalog) is not the workspace package.
        "packages/api/package.json": json.dumps(
            {
                "name": "@harbor/api",
                "exports": {".": "./src/index.ts"},
                "dependencies": {"@harbor/util": "catalog:"},
            }
        ),
        "packages/api/src/registry.ts": 'import { gone } from "@harbor/util";\n',
    }
    assert findings(check_json, harbor(edits))[0] == [
        (
            "apps/web/src/util.ts",
            2,
            "imports `tomorrow` from @harbor/util/lib/dates, which does not export it "
            "(packages/util/lib/dates.ts)",
        ),
        (
            "apps/web/src/util.ts",
            5,
            "imports @harbor/db/theme.css?inline, which packages/db/package.json `exports` does "
            "not publish",
        ),
    ]


def test_pnpm_importers_are_the_packages_that_can_resolve_the_name(harbor, check_json):
    # pnpm links a workspace package only into the packages declaring it: a file of a package
    # that does not is no importer (it could not resolve the name).
    tools = {
        "tooling/seed/package.json": '{"name": "@harbor/seed"}',
        "tooling/seed/seed.ts": 'import { Dock } from "@harbor/db/schema";\n',
    }
    assert findings(check_json, harbor(tools))[0] == []
    # Hoisted to the root node_modules (as npm, yarn and bun always do), it is one.
    hoisted = {**tools, ".npmrc": "shamefully-hoist = true\n"}
    assert findings(check_json, harbor(hoisted))[0] == [
        (
            "tooling/seed/seed.ts",
            1,
            "imports `Dock` from @harbor/db/schema, which does not export it "
            "(packages/db/src/schema.ts)",
        )
    ]
    pattern = {
        **tools,
        "pnpm-workspace.yaml": 'packages: ["*/*"]\npublicHoistPattern: ["@harbor/*"]\n',
    }
    assert len(findings(check_json, harbor(pattern))[0]) == 1


def test_build_output_git_ignores_is_not_read(fixture_copy, check_json):
    root = fixture_copy(FIXTURE)
    (root / "conformance.yaml").write_text(RULE)
    manifest = json.loads((root / "packages/db/package.json").read_text())
    manifest["exports"]["./client"] = {"types": "./dist/client.d.ts", "import": "./dist/client.js"}
    (root / "packages/db/package.json").write_text(json.dumps(manifest))
    init_git(root)
    found, status = findings(check_json, root)
    assert found == []
    # The client's `Database` and `db` are read from dist/ once built: not checked now.
    assert status["note"].startswith("7 imports of @harbor/api, @harbor/db in 2 files; 4 imported")


def test_nothing_to_check_and_unreadable_modules(harbor, check_json, fixture_copy):
    root = fixture_copy("kata-after")
    (root / "conformance.yaml").write_text(RULE)
    found, status = findings(check_json, root)
    assert (found, status["status"]) == ([], "unchecked")
    assert status["reason"] == "nothing to check: no other package imports @kata/db, @kata/gateway"
    root = harbor({"packages/db/src/codes.ts": b"export const berthCode = 1;\0\n"})
    assert findings(check_json, root)[0] == [
        ("packages/db/src/codes.ts", None, "cannot check: is a binary file, expected text")
    ]


# What `fix` does with changes other packages would feel ---------------------------------------


@pytest.fixture
def harbor_git(fixture_copy):
    """A committed copy of the fixture (with `edits`), checked with its own conformance.yaml."""

    def make(edits: dict[str, str] | None = None) -> Path:
        root = fixture_copy(FIXTURE)
        write_tree(root, edits or {})
        init_git(root)
        return root

    return make


DB = "packages/db"
CLIENT_CONFLICT = (
    f"conflict  {DB}/src/client.ts  [client-without-postgres]  ({API} imports `Database`, `db` "
    "from @harbor/db/client; --force writes it anyway)"
)
SCHEMA_CONFLICT = (
    f"conflict  {DB}/src/schema.ts  [no-postgres-imports]  ({WEB} imports `NewBooking` from "
    f"@harbor/db/schema; {API} imports `Berth`, `Booking` from @harbor/db/schema; --force "
    "writes it anyway)"
)


def test_fix_refuses_to_break_the_importers(harbor_git, cli):
    root = harbor_git()
    modules = {
        name: (root / DB / "src" / name).read_bytes()
        for name in ("client.ts", "index.ts", "schema.ts")
    }
    code, out, err = cli("fix", str(root))
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert CLIENT_CONFLICT in lines
    # `berthCode` could stay (re-exported from ./codes, which stays); `eq` and `desc` came from
    # drizzle-orm, which the plan removes from the package: those hold the rewrite back.
    assert (
        f"conflict  {DB}/src/index.ts  [client-without-postgres]  ({API} imports `desc`, `eq` "
        "from @harbor/db; --force writes it anyway)"
    ) in lines
    assert SCHEMA_CONFLICT in lines
    assert f"remove    {DB}/drizzle.config.ts  [drizzle-scaffold-removed]" in lines
    assert "7 paths changed; checking again:" in lines
    # Nothing held back was written; the rest of the plan was.
    assert {name: (root / DB / "src" / name).read_bytes() for name in modules} == modules
    assert not (root / DB / "drizzle.config.ts").exists()
    assert '"convex": "^1.48.0"' in (root / DB / "package.json").read_text()
    # The check after it: what is left is said, and no import is broken.
    assert not [line for line in lines if ": db-importers-intact " in line]
    assert "note: db-importers-intact: 6 imports of @harbor/db in 2 files; 2 imported" in out
    assert lines[-1] == "6 findings in 3 files: 2 of 18 rules failed, 2 unchecked (convex-adoption)"
    assert f"{DB}/src/client.ts:8: client-without-postgres" in out


def test_fix_force_writes_and_the_check_names_every_broken_import(harbor_git, cli):
    root = harbor_git()
    code, out, _ = cli("fix", "--force", str(root))
    assert code == 1
    lines = out.splitlines()
    assert (
        f"edit      {DB}/src/index.ts  [client-without-postgres]  (keeps `berthCode` re-exported "
        f"for {WEB}, {API}; --force: written although {API} imports `desc`, `eq` from @harbor/db)"
    ) in lines
    assert (
        f"remove    {DB}/src/schema.ts  [no-postgres-imports]  (--force: written although {WEB} "
        f"imports `NewBooking` from @harbor/db/schema; {API} imports `Berth`, `Booking` from "
        "@harbor/db/schema)"
    ) in lines
    broken = [line for line in lines if ": db-importers-intact " in line]
    assert broken == [
        f"{WEB}:1: db-importers-intact imports @harbor/db/schema, which resolves to "
        f"{DB}/src/schema.ts: no such file",
        f"{API}:4: db-importers-intact imports `desc`, `eq` from @harbor/db, which does not "
        f"export them ({DB}/src/index.ts)",
        f"{API}:5: db-importers-intact imports `Database` from @harbor/db/client, which does not "
        f"export it ({DB}/src/client.ts)",
        f"{API}:6: db-importers-intact imports `db` from @harbor/db/client, which does not export "
        f"it ({DB}/src/client.ts)",
        f"{API}:7: db-importers-intact imports @harbor/db/schema, which resolves to "
        f"{DB}/src/schema.ts: no such file",
    ]
    assert lines[-1] == "5 findings in 2 files: 1 of 18 rules failed, 2 unchecked (convex-adoption)"


KEPT_INDEX = """\
// Public surface of the data-layer package. Importing it has no side effects: nothing connects
// until getConvexClient() is called. Convex functions are referenced through
// convex/_generated/api, which `convex codegen` writes.
export { getConvexClient, getConvexUrl, resetConvexClient } from "./client";
export type { ConvexHttpClient } from "convex/browser";

// Kept by `conformance fix`: other packages still import these from here. Deprecated:
// not part of the new surface; move these importers, then remove the re-exports.
//   apps/web/src/app/bookings/page.tsx
//   packages/api/src/router/booking.ts
export { berthCode } from "./codes";
export type { BerthCode } from "./codes";
"""


def test_fix_keeps_the_reexports_importers_still_take(harbor_git, cli):
    # The importers have moved off the client and the tables; they still take the berth-code
    # helper and its type from the package's index.
    root = harbor_git(
        {
            API: 'import { berthCode, type BerthCode } from "@harbor/db";\n\n'
            "export const code = (pier: string): BerthCode => berthCode(pier, 1);\n",
            WEB: 'import { berthCode } from "@harbor/db";\n\n'
            'export default function Page() {\n  return berthCode("C", 7);\n}\n',
        }
    )
    code, out, _ = cli("fix", str(root))
    assert code == 0, out
    assert (
        f"edit      {DB}/src/index.ts  [client-without-postgres]  (keeps `BerthCode`, `berthCode` "
        f"re-exported for {WEB}, {API})"
    ) in out.splitlines()
    assert (root / DB / "src/index.ts").read_text() == KEPT_INDEX
    assert not (root / DB / "src/schema.ts").exists()
    assert out.endswith(
        "No findings, but 2 of 18 rules had nothing to check; 16 pass; the run passes (convex-adoption)\n"
    )
    # A second fix changes nothing.
    assert cli("fix", str(root))[0] == 0
    assert (root / DB / "src/index.ts").read_text() == KEPT_INDEX


def test_a_rewrite_importing_a_change_held_back_is_held_back(harbor_git, cli):
    # The index could keep `berthCode`, but its new text re-exports the Convex client helpers
    # from ./client, whose rewrite is held back: written alone, it would export nothing.
    root = harbor_git(
        {API: 'import { db } from "@harbor/db/client";\nimport { berthCode } from "@harbor/db";\n'}
    )
    code, out, _ = cli("fix", "--dry-run", str(root))
    assert code == 1
    assert (
        f"conflict  {DB}/src/index.ts  [client-without-postgres]  (it imports `getConvexClient`, "
        "`getConvexUrl`, `resetConvexClient` from ./client, which the plan no longer provides; "
        "--force writes it anyway)"
    ) in out.splitlines()


def test_the_check_after_fix_covers_every_package_it_changed(harbor_git, cli):
    # A repository's own rule deletes a module; its config has no workspace-imports rule.
    root = harbor_git(
        {
            "conformance.yaml": "rules:\n  - id: no-codes-module\n    kind: path-absent\n"
            '    paths: packages/db/src/codes.ts\n    message: "move it: {item}"\n'
            "    why: The API owns berth codes now.\n    fix: {}\n"
        }
    )
    code, out, _ = cli("fix", str(root))
    assert code == 1
    assert out.splitlines()[0] == (
        f"conflict  {DB}/src/codes.ts  [no-codes-module]  ({WEB} imports `berthCode` from "
        f"@harbor/db; {API} imports `berthCode` from @harbor/db; --force writes it anyway)"
    )
    assert (root / DB / "src/codes.ts").exists()
    code, out, _ = cli("fix", "--force", str(root))
    assert code == 1
    assert [line for line in out.splitlines() if "importers-after-fix" in line][:2] == [
        f"{WEB}:2: importers-after-fix imports `berthCode` from @harbor/db, which does not "
        f"export it ({DB}/src/index.ts)",
        f"{API}:4: importers-after-fix imports `berthCode` from @harbor/db, which does not "
        f"export it ({DB}/src/index.ts)",
    ]
    assert out.splitlines()[-1] == (
        "2 findings in 2 files: 1 of 2 rules failed (conformance.yaml, conformance fix)"
    )
