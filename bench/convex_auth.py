"""Times convex-auth's function analysis on a generated Convex project of many modules.

The project (`--modules`, default 2,000) mixes what real apps write: functions built with
`query` / `mutation` from `_generated/server`, with custom builders of a `lib/functions.ts`
(convex-helpers' customQuery with an authenticating `customCtx`, and a NoOp one), with a
mutation re-exported from `triggers.ts`, and fluent-convex chains; handlers that establish the
caller directly, through a helper of `lib/auth.ts`, through @convex-dev/auth's getAuthUserId, or
not at all. It is generated once into the cache folder and committed to git.

Reports the median wall time of `conformance check --contract convex-auth --select
convex-auth-public-functions` over `--runs` runs, the time per TypeScript module, the peak RSS,
and how many public functions the check counted.

    python bench/convex_auth.py                 # 2,000 modules
    python bench/convex_auth.py --modules 200
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


def module(n: int) -> str:
    """One module of four functions, each built and guarded another way."""
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


def generate(root: Path, modules: int) -> None:
    marker = root / ".git" / "conformance-bench-convex"
    if marker.exists() and marker.read_text() == str(modules):
        return
    shutil.rmtree(root, ignore_errors=True)
    convex = root / "convex"
    (convex / "_generated").mkdir(parents=True)
    (convex / "lib").mkdir()
    (root / "package.json").write_text(json.dumps({"dependencies": {"convex": "^1.48.0"}}))
    (convex / "_generated" / "server.d.ts").write_text(SERVER)
    (convex / "auth.config.ts").write_text("export default { providers: [] };\n")
    (convex / "lib" / "functions.ts").write_text(LIB)
    (convex / "triggers.ts").write_text(TRIGGERS)
    (convex / "fluent.ts").write_text(FLUENT)
    for n in range(modules):
        (convex / f"m{n:05d}.ts").write_text(module(n))
    git = ["git", "-C", str(root), "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "generated"], check=True)
    marker.write_text(str(modules))


def measure(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = (time.perf_counter() - start) * 1000
        out.seek(0)
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            sys.exit(f"bench: {' '.join(cmd)} exited {os.waitstatus_to_exitcode(status)}")
        return wall, usage.ru_maxrss / 1024, out.read().decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--conformance-cmd", default=None)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    parser.add_argument("--cache-dir", type=Path, default=Path(base) / "conformance-bench")
    args = parser.parse_args(argv)
    conformance = (
        args.conformance_cmd
        or shutil.which("conformance")
        or str(Path(__file__).resolve().parent.parent / ".venv/bin/conformance")
    ).split()
    root = args.cache_dir / f"convex-{args.modules}"
    generate(root, args.modules)
    cmd = [
        *conformance,
        "check",
        str(root),
        "--contract",
        "convex-auth",
        "--format",
        "json",
        "--select",
        "convex-auth-public-functions",
    ]
    measure(cmd, root)  # warm-up
    samples = [measure(cmd, root) for _ in range(args.runs)]
    wall = statistics.median(s[0] for s in samples)
    rss = max(s[1] for s in samples)
    payload = json.loads(samples[-1][2])
    note = payload["rules"][0]["note"]
    files = args.modules + 3
    header = f"median ms ({args.runs} runs)"
    print(f"| TypeScript modules | {header} | ms per module | peak RSS MB | counted |")
    print("| ---: | ---: | ---: | ---: | --- |")
    print(f"| {files:,} | {wall:.0f} | {wall / files:.2f} | {rss:.0f} | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
