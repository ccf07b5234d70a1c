"""The scaling table of issue 12 in one run: `conformance check` vs repolinter 0.12 from 10k to
500k tracked files, then the other issue-12 benchmarks, in one markdown report.

Usage::

    python bench/scale.py                                  # 10k, 50k, 200k, 500k; report on stdout
    python bench/scale.py --markdown bench/RESULTS.md --check-targets     # what `make bench` runs
    python bench/scale.py --sizes 10k,50k --skip gate
    python bench/scale.py --quick --no-repolinter --no-extras --runs 1    # smoke test

For each size: the generated monorepo (bench/generate.py, 100 files per package, 100,000
untracked files under node_modules; reused as it is when it exists, generated when missing);
each tool run once and its output checked (run.py's check_outputs: both tools must fail the
same contract rules, else exit 2); conformance run with the default listing and with
CONFORMANCE_LISTING=full (byte-identical outputs, else exit 2). Then a warm-up round and --runs
timed rounds, each running both tools on every repository (A B, then B A in the next round):
median wall, median CPU (user+sys from wait4), peak RSS. Then the other scripts, when they
exist (see EXTRAS), each read through one small function. Targets are printed PASS / MISS;
--check-targets makes a MISS or anything not measured exit 1. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from run import (
    CONTRACT,
    PROJECT_DIR,
    REPOLINTER_VERSION,
    RULESET,
    BenchError,
    Tool,
    check_outputs,
    default_cache,
    find_conformance,
    fmt_ms,
    install_repolinter,
    log,
    run_checked,
    run_measured,
    version_of,
)

BENCH_DIR = Path(__file__).resolve().parent
FILES_PER_PACKAGE = 100
NODE_MODULES_FILES = 100_000
# Size label -> packages; each package holds FILES_PER_PACKAGE tracked files.
SIZES = {"10k": 100, "50k": 500, "200k": 2000, "500k": 5000}
QUICK = {"packages": 10, "files_per_package": 10, "node_modules_files": 300}
MIN_RUNS_FOR_TARGETS = 7

# Targets of issue 12.
TARGET_CHECK_MS = 40.0  # flagship median wall, at every size
TARGET_CHECK_RSS_MB = 30.0  # flagship peak RSS, at every size
TARGET_RATIO = 10.0  # repolinter median / conformance median ...
RATIO_TARGET_SIZES = ("50k", "500k")  # ... at the sizes the issue names
# TypeScript rules: ms per file, 4x faster than the figures (1.48, 0.57, 0.19 ms; the
# issue rounds convex-auth's quarter down to 0.35), and peak RSS.
TARGET_TS_MS_PER_FILE = {
    "convex-auth": 0.35,
    "prisma-to-convex": 0.57 / 4,
    "convex-to-postgres": 0.19 / 4,
}
TARGET_TS_RSS_MB = 60.0
TARGET_REV_MS_PER_COMMIT = 2.0
TARGET_FIX_DRY_RUN_MS = 100.0
EXTRA_TIMEOUT_S = 1800


@dataclass
class Row:
    """One measured figure of the report, with its target when it has one."""

    label: str
    measured: str
    target: str = ""
    met: bool | None = None  # None: no target for this figure

    @property
    def verdict(self) -> str:
        return "" if self.met is None else "PASS" if self.met else "**MISS**"


@dataclass
class SizeResult:
    label: str
    repo: Path
    packages: int
    tracked: int
    node_modules: int
    conformance: Tool
    repolinter: Tool | None
    agreement: str

    @property
    def tools(self) -> list[Tool]:
        return [self.conformance] + ([self.repolinter] if self.repolinter else [])


@dataclass
class ExtraResult:
    title: str
    command: str
    rows: list[Row] = field(default_factory=list)
    text: str = ""  # markdown the script printed itself (gate.py)
    missing: str = ""  # why it was not measured


# --------------------------------------------------------------------------------------------
# The other scripts of issue 12: what each prints and how it is read, in one place.


def read_typescript(stdout: str) -> list[Row]:
    """bench/typescript.py --json: [{contract, files, ms_total, ms_per_file, peak_rss_mb,
    findings}]."""
    rows = []
    for entry in json.loads(stdout):
        contract, per_file = entry["contract"], float(entry["ms_per_file"])
        limit = TARGET_TS_MS_PER_FILE.get(contract)
        rows.append(
            Row(
                f"{contract}: {entry['files']:,} files, {entry['findings']} findings, "
                f"{float(entry['ms_total']):,.0f} ms in all",
                f"{per_file:.3f} ms/file",
                "" if limit is None else f"≤ {limit:.3f} ms/file",
                None if limit is None else per_file <= limit,
            )
        )
        rss = float(entry["peak_rss_mb"])
        rows.append(
            Row(
                f"{contract}: peak RSS",
                f"{rss:.1f} MB",
                f"≤ {TARGET_TS_RSS_MB:.0f} MB",
                rss <= TARGET_TS_RSS_MB,
            )
        )
    return rows


def read_history(stdout: str) -> list[Row]:
    """bench/history.py --json: {commits, ms_total, ms_per_commit, git_processes, peak_rss_mb}."""
    data = json.loads(stdout)
    per_commit = float(data["ms_per_commit"])
    return [
        Row(
            f"`check --rev A..B` over {data['commits']} commits "
            f"({float(data['ms_total']):,.0f} ms in all)",
            f"{per_commit:.2f} ms/commit",
            f"≤ {TARGET_REV_MS_PER_COMMIT:.0f} ms/commit",
            per_commit <= TARGET_REV_MS_PER_COMMIT,
        ),
        Row("git processes for the range", str(data["git_processes"])),
        Row("peak RSS", f"{float(data['peak_rss_mb']):.1f} MB"),
    ]


def read_startup(stdout: str) -> list[Row]:
    """bench/startup.py --json: {"runs": N, "python": "3.x", INSTALL: {COMMAND: {"wall_ms",
    "cpu_ms", "peak_rss_mb"}}} for each install (wheel, editable); a `fix` command's median wall
    time must be ≤ 100 ms."""
    data = json.loads(stdout)
    rows = []
    for install, commands in data.items():
        if not isinstance(commands, dict):
            continue  # "runs", "python"
        for command, figures in commands.items():
            wall = float(figures["wall_ms"])
            measured = (
                f"{wall:,.1f} ms, CPU {float(figures['cpu_ms']):,.1f} ms, "
                f"{figures['peak_rss_mb']} MB"
            )
            label = f"{install}: `{command}`"
            if command.split()[0] == "fix":
                target = f"≤ {TARGET_FIX_DRY_RUN_MS:.0f} ms"
                rows.append(Row(label, measured, target, wall <= TARGET_FIX_DRY_RUN_MS))
            else:
                rows.append(Row(label, measured))
    return rows


@dataclass(frozen=True)
class Extra:
    title: str
    script: str
    args: tuple[str, ...]
    read: Callable[[str], list[Row]] | None  # None: the script prints markdown, exit 1 = miss


EXTRAS = {
    "typescript": Extra(
        "TypeScript rules, ms per file (target 3)", "typescript.py", ("--json",), read_typescript
    ),
    "history": Extra(
        "`check --rev A..B`, ms per commit (target 4)", "history.py", ("--json",), read_history
    ),
    "startup": Extra(
        "Start-up and `fix --dry-run` (targets 2, 6)", "startup.py", ("--json",), read_startup
    ),
    "gate": Extra("`--changed-since` vs a full check (target 5)", "gate.py", (), None),
}


def run_extra(extra: Extra, bench_dir: Path) -> ExtraResult:
    script = bench_dir / extra.script
    command = shlex.join(["python", f"bench/{extra.script}", *extra.args])
    result = ExtraResult(extra.title, command)
    if not script.is_file():
        result.missing = f"not measured: bench/{extra.script} does not exist yet"
        return result
    log(f"running {command}")
    try:
        proc = subprocess.run(
            [sys.executable, str(script), *extra.args],
            cwd=PROJECT_DIR,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=EXTRA_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        result.rows.append(Row("run", f"timed out after {EXTRA_TIMEOUT_S} s", "finishes", False))
        return result
    if extra.read is None:
        result.text = proc.stdout.strip()
        met = proc.returncode == 0
        result.rows.append(Row("its own targets", f"exit {proc.returncode}", "exit 0", met))
        if proc.returncode not in (0, 1):
            result.rows.append(Row("stderr", last_line(proc.stderr)))
        return result
    if proc.returncode != 0:
        result.rows.append(
            Row("run", f"exit {proc.returncode}: {last_line(proc.stderr)}", "exit 0", False)
        )
        return result
    try:
        result.rows = extra.read(proc.stdout)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        shown = f"{type(exc).__name__}: {exc}"
        result.rows.append(Row("reading its --json output", shown, "readable", False))
    return result


def last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1][:200] if lines else "(no output)"


# --------------------------------------------------------------------------------------------
# The flagship check at each size.


def ensure_repo(cache: Path, packages: int, files: int, node_modules: int) -> tuple[Path, dict]:
    """The generated repository for these sizes: reused as it is when its marker is there (never
    regenerated: the cached repositories may be shared), generated when the folder is missing."""
    repo = cache / f"repo-p{packages}-f{files}-nm{node_modules}"
    marker = repo / ".git" / "conformance-bench.json"
    if not repo.exists():
        cmd = [sys.executable, str(BENCH_DIR / "generate.py"), str(repo)]
        cmd += ["--packages", str(packages), "--files-per-package", str(files)]
        cmd += ["--node-modules-files", str(node_modules)]
        log(f"generating {repo.name}")
        if subprocess.run(cmd).returncode != 0:
            raise BenchError(f"bench/generate.py failed for {repo}")
    try:
        info = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BenchError(
            f"{repo} exists without a readable {marker.name} (still being generated?): {exc}"
        ) from exc
    params = info.get("params", {})
    wanted = {"packages": packages, "files_per_package": files, "node_modules_files": node_modules}
    if any(params.get(k) != v for k, v in wanted.items()):
        raise BenchError(f"{repo} was generated with other parameters: {params}")
    return repo, info


def prepare_size(
    label: str, repo: Path, info: dict, conf_cmd: list[str], rl_cmd: list[str] | None, outdir: Path
) -> SizeResult:
    """The tools for one repository, each run once and its output checked."""
    conf = Tool(
        "conformance",
        [*conf_cmd, "check", str(repo), "--contract", CONTRACT, "--format", "json"],
        ok_codes=(0, 1),
    )
    tools = [conf]
    if rl_cmd is not None:
        rl_args = ["--rulesetFile", str(RULESET), "--dryRun", "--format", "json"]
        tools.append(Tool("repolinter", [*rl_cmd, str(repo), *rl_args], ok_codes=(0, 1)))
    agreement = check_outputs(tools, repo, outdir, require_agreement=True)
    compare_listings(conf, repo, outdir)
    return SizeResult(
        label,
        repo,
        info["params"]["packages"],
        info["tracked_files"],
        info["node_modules_files"],
        conf,
        tools[1] if rl_cmd is not None else None,
        agreement or "not compared (--no-repolinter)",
    )


def time_all(results: list[SizeResult], outdir: Path, runs: int, warmup: int) -> None:
    """Warm-up, then timed rounds; each round runs every tool on every repository, the tools'
    order flipped every other round, so load drift hits tools and sizes alike."""
    for _ in range(warmup):
        for result in results:
            for tool in result.tools:
                run_checked(tool, result.repo, outdir)
    for i in range(runs):
        for result in results:
            for tool in result.tools if i % 2 == 0 else reversed(result.tools):
                sample = run_checked(tool, result.repo, outdir)
                tool.samples.append(sample)
                log(
                    f"{result.label} run {i + 1}/{runs}: {tool.name} "
                    f"{sample.wall_s * 1000:.0f} ms, CPU {sample.cpu_s * 1000:.0f} ms, "
                    f"{sample.maxrss_kb / 1024:.1f} MB"
                )


def compare_listings(conf: Tool, repo: Path, outdir: Path) -> None:
    """conformance's output with the full git listing (CONFORMANCE_LISTING=full) must be
    byte-identical to its output with the default (fast) listing, exit code included."""
    outputs = {}
    for listing in ("default", "full"):
        env = dict(os.environ)
        env.pop("CONFORMANCE_LISTING", None)
        if listing == "full":
            env["CONFORMANCE_LISTING"] = "full"
        out, err = outdir / f"conformance-{listing}.out", outdir / f"conformance-{listing}.err"
        sample = run_measured(conf.cmd, repo, out, err, env=env)
        if sample.exit_code not in conf.ok_codes:
            raise BenchError(
                f"{repo.name}: conformance ({listing} listing) exited "
                f"{sample.exit_code}: {last_line(err.read_text(errors='replace'))}"
            )
        outputs[listing] = (sample.exit_code, out.read_bytes())
    (fast_code, fast), (full_code, full) = outputs["default"], outputs["full"]
    if fast_code != full_code or fast != full:
        first = next(
            (
                f"{a.decode(errors='replace')!r} vs {b.decode(errors='replace')!r}"
                for a, b in zip(fast.splitlines(), full.splitlines(), strict=False)
                if a != b
            ),
            "one output is a prefix of the other",
        )
        raise BenchError(
            f"{repo.name}: the fast and the full listing disagree (exit {fast_code} vs "
            f"{full_code}; first difference: {first}); see {outdir}/conformance-*.out"
        )


# --------------------------------------------------------------------------------------------
# Report.


def machine_facts(conf_cmd: list[str], node: str | None) -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "-C", str(PROJECT_DIR), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    facts = {
        "cores": f"{os.cpu_count()} ({cpu})",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "git": version_of(["git", "--version"]).removeprefix("git version "),
        "node": version_of([node, "--version"]) if node else "not installed",
        "repolinter": REPOLINTER_VERSION,
        "conformance": f"commit {commit or '?'} of {PROJECT_DIR}",
        "conformance command": shlex.join(conf_cmd),
    }
    return facts


def size_targets(result: SizeResult) -> list[Row]:
    conf = result.conformance
    rows = [
        Row(
            f"{result.label}: conformance median wall",
            f"{fmt_ms(conf.median_ms)} ms",
            f"≤ {TARGET_CHECK_MS:.0f} ms",
            conf.median_ms <= TARGET_CHECK_MS,
        ),
        Row(
            f"{result.label}: conformance peak RSS",
            f"{conf.peak_rss_mb:.1f} MB",
            f"≤ {TARGET_CHECK_RSS_MB:.0f} MB",
            conf.peak_rss_mb <= TARGET_CHECK_RSS_MB,
        ),
    ]
    if result.label in RATIO_TARGET_SIZES:
        if result.repolinter is None:
            rows.append(Row(f"{result.label}: ratio", "not measured (--no-repolinter)", "", False))
        else:
            ratio = result.repolinter.median_ms / conf.median_ms
            rows.append(
                Row(
                    f"{result.label}: repolinter median / conformance median",
                    f"{ratio:.1f}x",
                    f"≥ {TARGET_RATIO:.0f}x",
                    ratio >= TARGET_RATIO,
                )
            )
    return rows


def slope_ms_per_10k(results: list[SizeResult]) -> float | None:
    """Least-squares slope of conformance's median wall time over tracked files."""
    if len(results) < 2:
        return None
    xs = [r.tracked / 10_000 for r in results]
    ys = [r.conformance.median_ms for r in results]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mx) ** 2 for x in xs)
    return (
        None
        if spread == 0
        else sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / spread
    )


def table(rows: list[Row]) -> list[str]:
    lines = ["| figure | measured | target | result |", "| --- | ---: | ---: | :---: |"]
    lines += [f"| {r.label} | {r.measured} | {r.target} | {r.verdict} |" for r in rows]
    return lines


def render(
    results: list[SizeResult],
    extras: list[ExtraResult],
    facts: dict[str, str],
    load: tuple[str, str],
    command: str,
    runs: int,
    warmup: int,
) -> tuple[str, list[Row]]:
    """The markdown report, and every row that has a target (for the summary and exit code)."""
    lines = [
        "# Benchmark results (issue 12)",
        "",
        f"Produced by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "## Flagship check vs repolinter, by repository size",
        "",
        f"`conformance check REPO --contract {CONTRACT} --format json` and repolinter "
        f"{REPOLINTER_VERSION} with `bench/repolinter.json`, on pnpm monorepos generated by "
        "`bench/generate.py` (workspace packages of equal size, untracked files under "
        f"node_modules). {runs} timed rounds after {warmup} warm-up round(s); a round runs both "
        "tools on every repository, their order flipped every other round; "
        "wall = spawn to reap, CPU = user+sys, peak RSS = ru_maxrss of the child (git children "
        "it waited for included), all from `os.wait4`; ratio = repolinter / conformance "
        "(medians; the targets use wall time).",
        "",
        "| tracked files | packages | node_modules files | conformance ms | CPU ms | peak RSS MB "
        "| repolinter ms | CPU ms | peak RSS MB | ratio | CPU ratio |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        conf, rl = r.conformance, r.repolinter
        cells = [
            f"{r.tracked:,} ({r.label})",
            f"{r.packages:,}",
            f"{r.node_modules:,}",
            fmt_ms(conf.median_ms),
            fmt_ms(conf.median_cpu_ms),
            f"{conf.peak_rss_mb:.1f}",
        ]
        if rl is None:
            cells += ["not measured"] * 3 + ["—", "—"]
        else:
            cells += [fmt_ms(rl.median_ms), fmt_ms(rl.median_cpu_ms), f"{rl.peak_rss_mb:.1f}"]
            cells.append(f"{rl.median_ms / conf.median_ms:.1f}x")
            cells.append(f"{rl.median_cpu_ms / conf.median_cpu_ms:.1f}x")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    slope = slope_ms_per_10k(results)
    if slope is not None:
        lines += [f"conformance grows {slope:+.2f} ms per 10k tracked files (least squares).", ""]
    lines += ["Asserted at every size (a failure stops the benchmark, exit 2):", ""]
    for r in results:
        lines.append(f"- {r.label}: {r.agreement}; conformance: {'; '.join(r.conformance.notes)}")
    switch = (
        "conformance reads that switch"
        if listing_switch_exists()
        else "conformance does not read that switch yet: both runs ran the same code"
    )
    lines += [
        "- conformance's output with `CONFORMANCE_LISTING=full` is byte-identical to the "
        f"default listing's at every size above ({switch}).",
        "",
    ]
    targeted = [row for r in results for row in size_targets(r)]
    if runs < MIN_RUNS_FOR_TARGETS:
        lines += [f"Only {runs} run(s) per tool: the targets below need ≥ 7 to count.", ""]
        targeted.append(Row("timed runs per tool", str(runs), f"≥ {MIN_RUNS_FOR_TARGETS}", False))
    lines += [*table(targeted), ""]
    for extra in extras:
        lines += [f"## {extra.title}", "", f"`{extra.command}`", ""]
        if extra.missing:
            lines += [extra.missing, ""]
            targeted.append(Row(extra.title, extra.missing, "measured", False))
            continue
        if extra.text:
            lines += [extra.text, ""]
        lines += [*table(extra.rows), ""]
        targeted += [row for row in extra.rows if row.met is not None]
    passed = sum(1 for row in targeted if row.met)
    lines += [
        "## Summary",
        "",
        f"{passed} PASS, {len(targeted) - passed} MISS or not measured.",
        "",
        "## Machine",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in facts.items()]
    lines.append(f"- load average (1, 5, 15 min) at start: {load[0]}; at end: {load[1]}")
    return "\n".join(lines) + "\n", targeted


def listing_switch_exists() -> bool:
    package = PROJECT_DIR / "conformance"
    return any(
        "CONFORMANCE_LISTING" in p.read_text(encoding="utf-8") for p in package.rglob("*.py")
    )


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(SIZES),
        help=f"comma-separated sizes among {', '.join(SIZES)} (default: all)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="one tiny repository instead (smoke test)"
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs per tool (default 7)")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up runs per tool (default 1)")
    parser.add_argument("--cache-dir", type=Path, help=f"default {default_cache()}")
    parser.add_argument(
        "--conformance-cmd",
        help="command that runs conformance (default: `conformance` on PATH, then .venv/bin)",
    )
    parser.add_argument("--no-repolinter", action="store_true", help="measure conformance only")
    parser.add_argument(
        "--no-extras", action="store_true", help="skip the other scripts (typescript.py, …)"
    )
    parser.add_argument(
        "--skip", default="", help=f"comma-separated scripts to skip among {', '.join(EXTRAS)}"
    )
    parser.add_argument("--bench-dir", type=Path, default=BENCH_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    parser.add_argument(
        "--check-targets",
        action="store_true",
        help="exit 1 when a target is missed or not measured",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        raise SystemExit("bench: --runs must be >= 1 and --warmup >= 0")
    try:
        return bench(args, argv)
    except BenchError as exc:
        log(f"error: {exc}")
        return 2


def bench(args: argparse.Namespace, argv: list[str] | None) -> int:
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    skipped = {s.strip() for s in args.skip.split(",") if s.strip()}
    if unknown or skipped - set(EXTRAS):
        raise BenchError(f"unknown size or script: {', '.join(unknown + sorted(skipped))}")
    cache = (args.cache_dir or default_cache()).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    outdir = Path(tempfile.mkdtemp(prefix="conformance-scale-"))
    load_start = load_average()

    conf_cmd = find_conformance(args.conformance_cmd)
    if conf_cmd is None:
        raise BenchError("no `conformance` on PATH nor in .venv/bin (or pass --conformance-cmd)")
    node = shutil.which("node")
    rl_cmd = None
    if not args.no_repolinter:
        if node is None:
            raise BenchError("node is not on PATH; it runs repolinter (or pass --no-repolinter)")
        rl_cmd = [node, str(install_repolinter(cache)), "lint"]
    # What a user's install has: bytecode (a wheel ships it, `make` compiles it).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(PROJECT_DIR / "conformance")])

    if args.quick:
        plan = [("quick", QUICK["packages"], QUICK["files_per_package"])]
        node_modules = QUICK["node_modules_files"]
    else:
        plan = [(label, SIZES[label], FILES_PER_PACKAGE) for label in sizes]
        node_modules = NODE_MODULES_FILES
    results = []
    for label, packages, files in plan:
        repo, info = ensure_repo(cache, packages, files, node_modules)
        log(f"{label}: {repo}")
        results.append(prepare_size(label, repo, info, conf_cmd, rl_cmd, outdir))
    time_all(results, outdir, args.runs, args.warmup)
    shutil.rmtree(outdir)  # kept when the benchmark stops, for its error message

    extras = []
    if not args.no_extras:
        for name, extra in EXTRAS.items():
            if name in skipped:
                result = ExtraResult(extra.title, f"python bench/{extra.script}")
                result.missing = f"not measured: skipped (--skip {name})"
                extras.append(result)
            else:
                extras.append(run_extra(extra, args.bench_dir))

    command = shlex.join(["python", "bench/scale.py", *(sys.argv[1:] if argv is None else argv)])
    report, targeted = render(
        results,
        extras,
        machine_facts(conf_cmd, node),
        (load_start, load_average()),
        command,
        args.runs,
        args.warmup,
    )
    print(report)
    if args.markdown:
        args.markdown.write_text(report, encoding="utf-8")
        log(f"report written to {args.markdown}")
    if args.check_targets and not all(row.met for row in targeted):
        log("targets not met")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
