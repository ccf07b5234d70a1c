"""Times the TypeScript rules of three contracts on generated projects of many modules.

Each project is generated once into the cache folder and committed to git; the patterns are the
ones real apps write:

- `convex-auth`: a Convex app of `--files` modules (default 2,000) whose functions are built with
  `query` / `mutation` of `_generated/server`, with custom builders of a `lib/functions.ts`
  (convex-helpers' customQuery with an authenticating `customCtx`, and a NoOp one), with a
  mutation re-exported from `triggers.ts`, and fluent-convex chains; handlers establish the
  caller directly, through a helper, through @convex-dev/auth's getAuthUserId, or not at all.
- `prisma-to-convex`: the `layout-prisma-workspace` fixture with `--files` more modules in its
  Express API: routers calling the workspace's client (`db.invoice.findMany`), reports calling
  the client the API makes for its replica (`reporting.invoice.count`), and utilities that
  never mention Prisma.
- `convex-to-postgres`: the `convex-to-postgres-before` fixture with `--files` more modules:
  half React components of the web app (with and without `useQuery(api…)` of convex/react),
  half worker modules (with and without a `ConvexHttpClient`).

Reports, per contract, the median wall time of `conformance check` over `--runs` runs, the ms per
TypeScript file, the median CPU time (user+sys of the child), the peak RSS and the number of
findings. `--compare DIR` runs the package at DIR (`PYTHONPATH=DIR python -m conformance`, e.g.
main checked out elsewhere) and this one interleaved (A B A B …), and fails when their findings
differ.

    python bench/typescript.py                          # all three, 2,000 files each
    python bench/typescript.py --contract convex-auth --files 200
    python bench/typescript.py --json                   # [{contract, files, ms_total, …}]
    python bench/typescript.py --compare /work/wt/base  # old vs new, interleaved
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE_ROOT = HERE.parent
FIXTURES = PACKAGE_ROOT / "fixtures"
TS_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")

# convex-auth -------------------------------------------------------------------------------

SERVER = "export declare const query: any;\nexport declare const mutation: any;\n"
LIB = """\
import { getAuthUserId } from "@convex-dev/auth/server";
import { customCtx, customQuery, NoOp } from "convex-helpers/server/customFunctions";
import { query } from "../_generated/server";

export async function requireUser(ctx: any) {
  const userId = await getAuthUserId(ctx);
  if (userId === null) {
    throw new Error("Not signed in");
  }
  return userId;
}

export const authedQuery = customQuery(
  query,
  customCtx(async (ctx) => ({ user: await requireUser(ctx) })),
);
export const publicQuery = customQuery(query, NoOp);
"""
TRIGGERS = """\
import { customCtx, customMutation } from "convex-helpers/server/customFunctions";
import { mutation as raw } from "./_generated/server";

export const mutation = customMutation(raw, customCtx(async () => ({})));
"""
FLUENT = """\
import { createBuilder } from "fluent-convex";

export const convex = createBuilder<any>();
const signedIn = convex.query().createMiddleware(async (ctx, next) => {
  if ((await ctx.auth.getUserIdentity()) === null) throw new Error("no");
  return next(ctx);
});
export const memberQuery = convex.query().use(signedIn);
"""


def convex_module(n: int) -> str:
    """One module of seven functions, each built and guarded another way."""
    return f"""\
import {{ v }} from "convex/values";
import {{ getAuthUserId }} from "@convex-dev/auth/server";
import {{ query }} from "./_generated/server";
import {{ mutation }} from "./triggers";
import {{ authedQuery, publicQuery, requireUser }} from "./lib/functions";
import {{ convex, memberQuery }} from "./fluent";

// Module {n}: a handful of helpers and comments, as a real module has.
async function load(ctx: any, id: string) {{
  return await ctx.db.get(id);
}}

export const get{n} = query({{
  args: {{ id: v.string() }},
  handler: async (ctx, {{ id }}) => {{
    await requireUser(ctx);
    return await load(ctx, id);
  }},
}});

export const list{n} = authedQuery({{
  args: {{}},
  handler: async (ctx) => await ctx.db.query("t").take(10),
}});

export const update{n} = mutation({{
  args: {{ id: v.string(), value: v.number() }},
  handler: async (ctx, {{ id, value }}) => {{
    const userId = await getAuthUserId(ctx);
    if (userId === null) {{
      throw new Error("Not signed in");
    }}
    await ctx.db.patch(id, {{ value }});
  }},
}});

export const remove{n} = mutation({{
  args: {{ id: v.string() }},
  handler: async (ctx, {{ id }}) => {{
    await ctx.db.delete(id);
  }},
}});

export const peek{n} = publicQuery({{
  args: {{}},
  handler: async (ctx) => await ctx.db.query("t").first(),
}});

export const drafts{n} = memberQuery
  .input({{}})
  .handler(async (ctx) => await ctx.db.query("t").take(5))
  .public();

export const count{n} = convex
  .query()
  .input({{}})
  .handler(async (ctx) => (await ctx.db.query("t").collect()).length)
  .public();
"""


def generate_convex(root: Path, files: int) -> None:
    convex = root / "convex"
    (convex / "_generated").mkdir(parents=True)
    (convex / "lib").mkdir()
    (root / "package.json").write_text(json.dumps({"dependencies": {"convex": "^1.48.0"}}))
    (convex / "_generated" / "server.d.ts").write_text(SERVER)
    (convex / "auth.config.ts").write_text("export default { providers: [] };\n")
    (convex / "lib" / "functions.ts").write_text(LIB)
    (convex / "triggers.ts").write_text(TRIGGERS)
    (convex / "fluent.ts").write_text(FLUENT)
    for n in range(files):
        (convex / f"m{n:05d}.ts").write_text(convex_module(n))


# prisma-to-convex --------------------------------------------------------------------------


def prisma_module(n: int) -> str:
    """A router on the workspace's client, a report on the replica's client, or a utility."""
    if n % 4 in (0, 1):
        return f"""\
import {{ Router }} from "express";
import {{ db }} from "@ledgerly/database";
import {{ formatCents }} from "./util{n + 2 - n % 4:05d}";

export const router{n} = Router();

router{n}.get("/", async (_req, res) => {{
  const rows = await db.invoice.findMany({{ where: {{ customerId: "{n}" }} }});
  res.json(rows.map((row) => ({{ ...row, shown: formatCents(row.amountCents) }})));
}});

router{n}.delete("/:id", async (req, res) => {{
  await db.invoice.delete({{ where: {{ id: req.params.id }} }});
  res.status(204).end();
}});
"""
    if n % 4 == 2:
        return f"""\
// Formatting helpers of batch {n}: no database here.
export function formatCents(cents: number): string {{
  return `${{(cents / 100).toFixed(2)}} EUR`;
}}

export function sumCents(values: number[]): number {{
  return values.reduce((total, value) => total + value, 0);
}}
"""
    return f"""\
import {{ reporting }} from "../reporting/db";

// Reports of batch {n} read the replica.
export async function archived{n}(customerId: string) {{
  return reporting.invoice.count({{ where: {{ customerId }} }});
}}
"""


def generate_prisma(root: Path, files: int) -> None:
    shutil.copytree(FIXTURES / "layout-prisma-workspace", root)
    generated = root / "apps" / "api" / "src" / "generated-bench"
    generated.mkdir()
    for n in range(files):
        name = f"util{n:05d}" if n % 4 == 2 else f"m{n:05d}"
        (generated / f"{name}.ts").write_text(prisma_module(n))


# convex-to-postgres ------------------------------------------------------------------------


def web_component(n: int) -> str:
    if n % 2 == 0:
        return f"""\
"use client";
import {{ useQuery }} from "convex/react";
import {{ api }} from "../../../server/convex/_generated/api";

export function Routines{n}() {{
  const routines = useQuery(api.routines.list, {{}});
  return <ul>{{routines?.map((r) => <li key={{r._id}}>{{r.name}}</li>)}}</ul>;
}}
"""
    return f"""\
import type {{ ReactNode }} from "react";

export function Badge{n}({{ label }}: {{ label: string }}): ReactNode {{
  return <span className="badge">{{label}}</span>;
}}
"""


def worker_module(n: int) -> str:
    if n % 2 == 0:
        return f"""\
import {{ ConvexHttpClient }} from "convex/browser";
import {{ api }} from "../../../server/convex/_generated/api";

const client = new ConvexHttpClient(process.env.CONVEX_URL!);

export async function record{n}(id: string) {{
  await client.mutation(api.executions.update, {{ id, step: {n} }});
}}
"""
    return f"""\
export async function retry{n}<T>(run: () => Promise<T>, attempts = 3): Promise<T> {{
  for (let attempt = 1; ; attempt++) {{
    try {{
      return await run();
    }} catch (error) {{
      if (attempt >= attempts) throw error;
    }}
  }}
}}
"""


def generate_convex_to_postgres(root: Path, files: int) -> None:
    shutil.copytree(FIXTURES / "convex-to-postgres-before", root)
    web = root / "apps" / "web" / "components" / "generated-bench"
    workers = root / "apps" / "workers" / "src" / "generated-bench"
    web.mkdir()
    workers.mkdir()
    for n in range(files):
        if n % 2 == 0:
            (web / f"c{n:05d}.tsx").write_text(web_component(n // 2))
        else:
            (workers / f"w{n:05d}.ts").write_text(worker_module(n // 2))


GENERATION = 2  # bumped when a generator changes, so the cached projects are made again
# contract → (generator, the check's arguments)
PROJECTS = {
    "convex-auth": (generate_convex, ["--contract", "convex-auth"]),
    "prisma-to-convex": (generate_prisma, []),
    "convex-to-postgres": (generate_convex_to_postgres, []),
}


def project(cache: Path, contract: str, files: int) -> Path:
    generate, _ = PROJECTS[contract]
    root = cache / f"typescript-{contract}-{files}"
    marker = root / ".git" / "conformance-bench-typescript"
    generated = f"{contract} {files} {GENERATION}"
    if marker.exists() and marker.read_text() == generated:
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    generate(root, files)
    git = ["git", "-C", str(root), "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "generated"], check=True)
    marker.write_text(generated)
    return root


def typescript_files(root: Path) -> int:
    listed = subprocess.run(
        ["git", "-C", str(root), "ls-files"], check=True, capture_output=True, text=True
    ).stdout.split()
    return sum(path.endswith(TS_SUFFIXES) for path in listed)


def measure(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float, str]:
    """(wall ms, CPU ms of the child, peak RSS MB, stdout) of one run."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = (time.perf_counter() - start) * 1000
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            sys.exit(f"bench: {' '.join(cmd)} exited {code}: {proc.stderr.read().decode()}")
        proc.stderr.close()
        out.seek(0)
        cpu = (usage.ru_utime + usage.ru_stime) * 1000
        return wall, cpu, usage.ru_maxrss / 1024, out.read().decode()


def report_of(output: str) -> dict:
    """A JSON report as it is: findings, rules with their statuses and notes, summary (it holds
    no timings, so two runs that agree print the same)."""
    return json.loads(output)


def runner(package_dir: Path) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ, PYTHONPATH=str(package_dir))
    return [sys.executable, "-m", "conformance"], env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contract", choices=list(PROJECTS), action="append")
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--compare", type=Path, metavar="PYTHONPATH_DIR", help="the old package's parent folder"
    )
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    parser.add_argument("--cache-dir", type=Path, default=Path(base) / "conformance-bench")
    args = parser.parse_args(argv)
    versions = {"new": runner(PACKAGE_ROOT)}
    if args.compare is not None:
        versions = {"old": runner(args.compare.resolve()), **versions}
    results = []
    for contract in args.contract or list(PROJECTS):
        root = project(args.cache_dir, contract, args.files)
        check = ["check", str(root), "--format", "json", *PROJECTS[contract][1]]
        samples: dict[str, list] = {name: [] for name in versions}
        outputs: dict[str, str] = {}
        for python, env in versions.values():  # warm-up: bytecode, page cache
            measure([*python, *check], root, env)
        for _ in range(args.runs):
            for name, (python, env) in versions.items():
                # Only the last output is kept: a child's peak RSS counts the memory of the
                # process it was forked from, and 20 reports of 6,000 findings would be 30 MB.
                *measured, outputs[name] = measure([*python, *check], root, env)
                samples[name].append(measured)
        reports = {name: report_of(output) for name, output in outputs.items()}
        outputs.clear()
        if len({json.dumps(report, sort_keys=True) for report in reports.values()}) > 1:
            sys.exit(f"bench: {contract}: the old and the new report differ")
        files = typescript_files(root)
        for name, runs in samples.items():
            wall = statistics.median(run[0] for run in runs)
            results.append(
                {
                    "contract": contract,
                    "version": name,
                    "files": files,
                    "ms_total": round(wall, 1),
                    "ms_per_file": round(wall / files, 3),
                    "cpu_ms": round(statistics.median(run[1] for run in runs), 1),
                    "peak_rss_mb": round(max(run[2] for run in runs), 1),
                    "findings": len(reports[name]["findings"]),
                }
            )
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"median of {args.runs} interleaved runs; ms per TypeScript file of the project")
    print("| contract | version | TS files | ms | ms per file | CPU ms | peak RSS MB | findings |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['contract']} | {r['version']} | {r['files']:,} | {r['ms_total']:.0f} | "
            f"{r['ms_per_file']:.3f} | {r['cpu_ms']:.0f} | {r['peak_rss_mb']:.0f} | "
            f"{r['findings']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
