"""Time `conformance check` against repolinter 0.12 on one large generated monorepo.

Usage::

    python bench/run.py                 # full size: 500 packages, ~50k tracked, 100k node_modules
    python bench/run.py --quick         # small repo, to smoke-test this script
    python bench/run.py --markdown bench-report.md --check-targets

Steps: generate (or reuse) the repository with bench/generate.py in the cache folder; install
repolinter 0.12.0 with npm into a throwaway prefix in the same cache folder; run each tool once
and check its output (expected violations, nothing reported under node_modules); time both
tools side by side (warm-up, then interleaved runs), with the peak RSS of each child from
os.wait4; trace conformance once with strace and count the syscalls that touch a node_modules
path; print a markdown report. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
RULESET = BENCH_DIR / "repolinter.json"
REPOLINTER_VERSION = "0.12.0"
CONTRACT = "convex-adoption"

FULL = {"packages": 500, "files_per_package": 100, "node_modules_files": 100_000}
QUICK = {"packages": 20, "files_per_package": 20, "node_modules_files": 2_000}

TARGET_RATIO = 5.0
TARGET_RSS_MB = 60.0

# Syscalls traced for the node_modules check: every syscall that takes a file name, plus
# directory listing (with -y strace prints the path behind each file descriptor).
STRACE_TRACE = "trace=%file,getdents64,getdents"
NODE_MODULES = re.compile(r"(?:^|/)node_modules(?:/|$)")
# Paths in an strace line: quoted string arguments, and fd paths printed by -y (`3</a/b>`).
PATH_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|\d<([^>]*)>')
SYSCALL_NAME = re.compile(r"^(?:\[pid\s+\d+\]\s+|\d+\s+)?(\w+)\(")


class BenchError(Exception):
    """Something prevents a meaningful measurement; reported as one line, exit code 2."""


@dataclass
class Sample:
    wall_s: float
    maxrss_kb: int
    exit_code: int
    cpu_s: float = 0.0  # user + sys of the child and the descendants it waited for


@dataclass
class Tool:
    name: str
    cmd: list[str]
    ok_codes: tuple[int, ...]
    samples: list[Sample] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def walls_ms(self) -> list[float]:
        return [s.wall_s * 1000 for s in self.samples]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.walls_ms)

    @property
    def median_cpu_ms(self) -> float:
        return statistics.median(s.cpu_s * 1000 for s in self.samples)

    @property
    def min_ms(self) -> float:
        return min(self.walls_ms)

    @property
    def peak_rss_mb(self) -> float:
        return max(s.maxrss_kb for s in self.samples) / 1024


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Running one child and measuring it.


def run_measured(
    cmd: list[str], cwd: Path, out: Path, err: Path, env: dict[str, str] | None = None
) -> Sample:
    """Run `cmd` once; wall time around spawn..reap, ru_maxrss of exactly that child (in KB on
    Linux; it includes the descendants the child itself waited for, e.g. git subprocesses), and
    its CPU time (user + sys, which other load on the machine disturbs less than wall time)."""
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=env
        )
        _, status, rusage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = rusage.ru_utime + rusage.ru_stime
    return Sample(wall, rusage.ru_maxrss, proc.returncode, cpu)


def run_checked(tool: Tool, repo: Path, outdir: Path) -> Sample:
    out, err = outdir / f"{tool.name}.out", outdir / f"{tool.name}.err"
    sample = run_measured(tool.cmd, repo, out, err)
    if sample.exit_code not in tool.ok_codes:
        tail = err.read_text(errors="replace").strip().splitlines()[-15:]
        raise BenchError(
            f"{tool.name} exited {sample.exit_code} (expected one of {tool.ok_codes}): "
            f"{shlex.join(tool.cmd)}\n" + "\n".join(f"    {line}" for line in tail)
        )
    return sample


# --------------------------------------------------------------------------------------------
# Setup: repository, repolinter, conformance.


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "conformance-bench"


def prepare_repo(cache: Path, size: dict, fixture: str | None) -> tuple[Path, dict]:
    repo = cache / (
        f"repo-p{size['packages']}-f{size['files_per_package']}-nm{size['node_modules_files']}"
        + ("-nofixture" if fixture == "none" else "")
    )
    cmd = [
        sys.executable,
        str(BENCH_DIR / "generate.py"),
        str(repo),
        "--packages",
        str(size["packages"]),
        "--files-per-package",
        str(size["files_per_package"]),
        "--node-modules-files",
        str(size["node_modules_files"]),
    ]
    if fixture == "none":
        cmd.append("--no-fixture")
    elif fixture:
        cmd += ["--fixture", fixture]
    if subprocess.run(cmd).returncode != 0:
        raise BenchError("bench/generate.py failed")
    info = json.loads((repo / ".git" / "conformance-bench.json").read_text(encoding="utf-8"))
    return repo, info


def install_repolinter(cache: Path) -> Path:
    prefix = cache / f"repolinter-{REPOLINTER_VERSION}"
    entry = prefix / "node_modules" / "repolinter" / "bin" / "repolinter.js"
    manifest = prefix / "node_modules" / "repolinter" / "package.json"
    try:
        installed = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        installed = None
    if installed == REPOLINTER_VERSION and entry.exists():
        return entry
    npm = shutil.which("npm")
    if npm is None:
        raise BenchError("npm is not on PATH; it is needed to install repolinter")
    log(f"installing repolinter@{REPOLINTER_VERSION} into {prefix}")
    prefix.mkdir(parents=True, exist_ok=True)
    cmd = [
        npm,
        "install",
        "--prefix",
        str(prefix),
        f"repolinter@{REPOLINTER_VERSION}",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    ]
    if subprocess.run(cmd).returncode != 0 or not entry.exists():
        raise BenchError(f"npm install repolinter@{REPOLINTER_VERSION} failed")
    return entry


def find_conformance(explicit: str | None) -> list[str] | None:
    if explicit:
        cmd = shlex.split(explicit)
        found = shutil.which(cmd[0]) if cmd else None
        if found is None:
            raise BenchError(f"--conformance-cmd {explicit!r}: {cmd[:1]} is not executable")
        # Absolute: the tools run with the measured repository as their working folder.
        return [os.path.abspath(found), *cmd[1:]]
    found = shutil.which("conformance")
    if found:
        return [found]
    venv = PROJECT_DIR / ".venv" / "bin" / "conformance"
    if os.access(venv, os.X_OK):
        return [str(venv)]
    return None


def version_of(cmd: list[str]) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (proc.stdout or proc.stderr).strip().splitlines()
    return text[0] if proc.returncode == 0 and text else "?"


# --------------------------------------------------------------------------------------------
# Checking what each tool reported.


def repolinter_findings(out: Path) -> tuple[list[str], list[str]]:
    """(failed rule names, passed rule names) from repolinter's JSON output."""
    try:
        data = json.loads(out.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BenchError(f"repolinter did not print JSON ({exc}); see {out}") from exc
    if data.get("errored"):
        raise BenchError(f"repolinter could not run the ruleset: {data.get('errMsg')}")
    failed, passed = [], []
    for result in data.get("results", []):
        name = result["ruleInfo"]["name"]
        if result.get("status") == "ERROR":
            raise BenchError(f"repolinter rule {name} errored: {result.get('runMessage')}")
        (passed if result["lintResult"]["passed"] else failed).append(name)
    return failed, passed


def conformance_findings(out: Path) -> list[dict]:
    """Findings (dicts with at least a path) from conformance's JSON output, whatever nesting."""
    try:
        data = json.loads(out.read_text(encoding="utf-8"))
    except ValueError as exc:
        tail = out.with_suffix(".err").read_text(errors="replace").strip().splitlines()[-6:]
        raise BenchError(
            f"conformance did not print JSON ({exc}); see {out}\n"
            + "\n".join(f"    {line}" for line in tail)
        ) from exc
    found: list[dict] = []

    def visit(node: object) -> None:
        if isinstance(node, dict):
            if "path" in node and ("rule" in node or "message" in node):
                found.append(node)
                return
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(data)
    return found


def check_outputs(
    tools: list[Tool], repo: Path, outdir: Path, require_agreement: bool = False
) -> str | None:
    """Run each tool once and check it ran the contract / ruleset and found the seeded
    violations; returns a note comparing which contract rules fail in each tool. With
    `require_agreement`, tools failing different sets of contract rules is a BenchError."""
    failing: dict[str, set[str]] = {}
    for tool in tools:
        run_checked(tool, repo, outdir)
        out = outdir / f"{tool.name}.out"
        if tool.name == "repolinter":
            failed, passed = repolinter_findings(out)
            if not failed:
                raise BenchError("repolinter reported no failing rule on the 'before' repository")
            tool.notes.append(
                f"{len(failed)} of {len(failed) + len(passed)} rules failed "
                f"(passed: {', '.join(passed) or 'none'})"
            )
            # `convex-project-files/convex.json` is one part of contract rule convex-project-files.
            failing[tool.name] = {name.split("/")[0] for name in failed}
        else:
            findings = conformance_findings(out)
            if not findings:
                raise BenchError("conformance reported no finding on the 'before' repository")
            in_nm = [f for f in findings if "node_modules" in str(f.get("path", "")).split("/")]
            rules = {str(f.get("rule", "?")) for f in findings}
            tool.notes.append(
                f"{len(findings)} findings from {len(rules)} rules; "
                f"{len(in_nm)} findings under node_modules"
            )
            if in_nm:
                raise BenchError(f"conformance reported findings under node_modules: {in_nm[:3]}")
            failing[tool.name] = rules
        log(f"{tool.name}: {tool.notes[-1]}")
    if len(failing) < 2:
        return None
    conf, rl = failing["conformance"], failing["repolinter"]
    note = f"contract rules failing in both tools: {len(conf & rl)}"
    if conf == rl:
        note += " (the same set)"
    else:
        note += (
            f"; only conformance: {', '.join(sorted(conf - rl)) or 'none'}"
            f"; only repolinter: {', '.join(sorted(rl - conf)) or 'none'}"
        )
        if require_agreement:
            raise BenchError(f"the tools disagree on {repo.name}: {note}")
        log(f"WARNING: the tools disagree: {note}")
    return note


# --------------------------------------------------------------------------------------------
# strace: does a tool touch node_modules?


@dataclass
class TraceResult:
    hits: int
    by_syscall: dict[str, int]
    examples: list[str]
    lines: int


def trace_node_modules(cmd: list[str], repo: Path, trace: Path, scope: Path | None) -> TraceResult:
    """Run `cmd` under strace -f and count syscalls that name a path with a node_modules component.

    With `scope`, only relative paths and paths inside `scope` count (node looks for its own
    modules in node_modules folders all the way up from its install folder)."""
    strace = shutil.which("strace")
    assert strace is not None
    full = [strace, "-f", "-qq", "-y", "-s", "4096", "-e", STRACE_TRACE, "-o", str(trace), *cmd]
    proc = subprocess.run(full, cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode not in (0, 1):
        raise BenchError(
            f"strace run exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-500:]}"
        )
    inside = None if scope is None else str(scope).rstrip("/") + "/"
    hits, lines, by_syscall, examples = 0, 0, {}, []
    with open(trace, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            lines += 1
            match = SYSCALL_NAME.match(line)
            name = match.group(1) if match else "?"
            # execve's argv and environment are not paths (e.g. git's `:(exclude)` pathspecs).
            text = line.split(", [", 1)[0] if name.startswith("execve") else line
            paths = [a or b for a, b in PATH_TOKEN.findall(text)]
            if not any(
                NODE_MODULES.search(p)
                and (inside is None or not p.startswith("/") or p.startswith(inside))
                for p in paths
            ):
                continue
            hits += 1
            by_syscall[name] = by_syscall.get(name, 0) + 1
            if len(examples) < 5:
                examples.append(line.strip()[:200])
    return TraceResult(hits, by_syscall, examples, lines)


# --------------------------------------------------------------------------------------------
# Counting the repository.


def count_repo(repo: Path) -> dict[str, int]:
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=repo, capture_output=True, check=True
    ).stdout.count(b"\0")
    nm_files = 0
    for dirpath, dirnames, filenames in os.walk(repo):
        if ".git" in dirnames:
            dirnames.remove(".git")
        if "node_modules" in Path(dirpath).relative_to(repo).parts:
            nm_files += len(filenames)
    return {"tracked": tracked, "node_modules": nm_files}


# --------------------------------------------------------------------------------------------
# Report.


def fmt_ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def render(
    tools: list[Tool],
    missing: str | None,
    counts: dict[str, int],
    info: dict,
    trace: TraceResult | None,
    trace_rl: TraceResult | None,
    trace_note: str | None,
    agreement: str | None,
    env: dict[str, str],
    runs: int,
    warmup: int,
) -> tuple[str, bool]:
    lines = [
        f"## conformance vs repolinter {REPOLINTER_VERSION} — contract `{CONTRACT}`",
        "",
        f"Repository: {counts['tracked']:,} tracked files in {info['workspace_packages']:,} "
        f"workspace packages, {counts['node_modules']:,} untracked files under node_modules "
        f"(data layer: {info['data_layer']}).",
        f"Timing: {runs} runs per tool after {warmup} warm-up run(s), interleaved, warm page "
        "cache; wall time from spawn to exit; peak RSS = ru_maxrss from wait4 of that child.",
        "",
        "| tool | median ms | min ms | peak RSS MB | exit code |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    by_name = {t.name: t for t in tools}
    for tool in tools:
        lines.append(
            f"| {tool.name} | {fmt_ms(tool.median_ms)} | {fmt_ms(tool.min_ms)} | "
            f"{tool.peak_rss_mb:.1f} | {tool.samples[-1].exit_code} |"
        )
    if missing:
        lines.append("| conformance | n/a | n/a | n/a | n/a |")
    lines.append("")
    ok = True
    conf, rl = by_name.get("conformance"), by_name["repolinter"]
    if conf is not None:
        ratio = rl.median_ms / conf.median_ms
        rss = conf.peak_rss_mb
        lines.append(
            f"**Speed ratio (repolinter median / conformance median): {ratio:.1f}x** "
            f"(min-based: {rl.min_ms / conf.min_ms:.1f}x)"
        )
        lines.append("")
        checks: list[tuple[str, str, bool | None]] = [
            (
                f"≥ {TARGET_RATIO:.0f}x faster than repolinter",
                f"{ratio:.1f}x",
                ratio >= TARGET_RATIO,
            ),
            (f"peak RSS < {TARGET_RSS_MB:.0f} MB", f"{rss:.1f} MB", rss < TARGET_RSS_MB),
        ]
        checks.append(
            (
                "node_modules never read (syscalls on node_modules paths)",
                "not traced" if trace is None else str(trace.hits),
                None if trace is None else trace.hits == 0,
            )
        )
        lines += ["| target | measured | met |", "| --- | ---: | :---: |"]
        for label, value, met in checks:
            shown = "n/a" if met is None else "yes" if met else "**no**"
            lines.append(f"| {label} | {value} | {shown} |")
            ok = ok and bool(met)
        lines.append("")
    else:
        ok = False
        lines += [f"conformance was not measured: {missing}", ""]
    for tool in tools:
        lines += [f"- {tool.name}: `{shlex.join(tool.cmd)}`"]
        lines += [f"  - {note}" for note in tool.notes]
    if agreement:
        lines.append(f"- {agreement}")
    if trace is not None:
        detail = ", ".join(f"{k} {v}" for k, v in sorted(trace.by_syscall.items())) or "none"
        lines.append(
            f"- strace -f of one conformance run: {trace.lines:,} traced syscalls, "
            f"{trace.hits} on node_modules paths ({detail})"
        )
        lines += [f"  - e.g. `{ex}`" for ex in trace.examples]
    if trace_rl is not None:
        detail = ", ".join(f"{k} {v}" for k, v in sorted(trace_rl.by_syscall.items())) or "none"
        lines.append(
            f"- strace -f of one repolinter run (its own install folder not counted): "
            f"{trace_rl.hits} syscalls on node_modules paths in the repository ({detail})"
        )
    if trace_note:
        lines.append(f"- {trace_note}")
    lines.append("- " + ", ".join(f"{k}: {v}" for k, v in env.items()))
    return "\n".join(lines) + "\n", ok


# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small repository (smoke test)")
    parser.add_argument("--packages", type=int, help=f"default {FULL['packages']}")
    parser.add_argument(
        "--files-per-package", type=int, help=f"default {FULL['files_per_package']}"
    )
    parser.add_argument(
        "--node-modules-files", type=int, help=f"default {FULL['node_modules_files']}"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per tool (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up runs per tool (default 1)")
    parser.add_argument("--cache-dir", type=Path, help=f"default {default_cache()}")
    parser.add_argument(
        "--conformance-cmd",
        help="command that runs conformance (default: `conformance` on PATH, then .venv/bin)",
    )
    parser.add_argument(
        "--fixture",
        help="kata 'before' fixture folder for generate.py, or 'none' to generate the data layer",
    )
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    parser.add_argument("--no-strace", action="store_true", help="skip the node_modules trace")
    parser.add_argument(
        "--check-targets",
        action="store_true",
        help="exit 1 unless every target is met (and conformance was measured)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        raise SystemExit("bench: --runs must be >= 1 and --warmup >= 0")
    try:
        return bench(args)
    except BenchError as exc:
        log(f"error: {exc}")
        return 2


def bench(args: argparse.Namespace) -> int:
    size = dict(QUICK if args.quick else FULL)
    for key in size:
        if getattr(args, key) is not None:
            size[key] = getattr(args, key)
    cache = (args.cache_dir or default_cache()).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    outdir = cache / "out"
    outdir.mkdir(exist_ok=True)

    node = shutil.which("node")
    if node is None:
        raise BenchError("node is not on PATH; it is needed to run repolinter")
    repo, info = prepare_repo(cache, size, args.fixture)
    entry = install_repolinter(cache)

    tools = []
    conf_cmd = find_conformance(args.conformance_cmd)
    missing = None
    if conf_cmd is None:
        missing = (
            "no `conformance` on PATH nor in .venv/bin (install the project with "
            "`pip install -e .` or pass --conformance-cmd)"
        )
        log(f"WARNING: {missing}; measuring repolinter only")
    else:
        tools.append(
            Tool(
                "conformance",
                [*conf_cmd, "check", str(repo), "--contract", CONTRACT, "--format", "json"],
                ok_codes=(0, 1),
            )
        )
    rl_cmd = [node, str(entry), "lint", str(repo), "--rulesetFile", str(RULESET), "--dryRun"]
    tools.append(Tool("repolinter", [*rl_cmd, "--format", "json"], ok_codes=(0, 1)))

    # An installed wheel ships bytecode; an editable checkout under PYTHONDONTWRITEBYTECODE=1
    # would recompile every module on every run, which is not what users run.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(PROJECT_DIR / "conformance")])
    agreement = check_outputs(tools, repo, outdir)

    for i in range(args.warmup):
        for tool in tools:
            log(f"warm-up {i + 1}/{args.warmup}: {tool.name}")
            run_checked(tool, repo, outdir)
    for i in range(args.runs):
        order = tools if i % 2 == 0 else list(reversed(tools))
        for tool in order:
            sample = run_checked(tool, repo, outdir)
            tool.samples.append(sample)
            log(
                f"run {i + 1}/{args.runs}: {tool.name} {sample.wall_s * 1000:.0f} ms, "
                f"{sample.maxrss_kb / 1024:.1f} MB"
            )

    trace = trace_rl = None
    trace_note = None
    if args.no_strace:
        trace_note = "node_modules trace skipped (--no-strace)"
    elif shutil.which("strace") is None:
        trace_note = "node_modules trace skipped: strace is not installed"
        log(f"WARNING: {trace_note}")
    else:
        if conf_cmd is not None:
            log("tracing conformance with strace")
            trace = trace_node_modules(tools[0].cmd, repo, outdir / "conformance.strace", None)
        log("tracing repolinter with strace")
        trace_rl = trace_node_modules(tools[-1].cmd, repo, outdir / "repolinter.strace", repo)

    env = {
        "machine": f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "node": version_of([node, "--version"]),
        "repolinter": REPOLINTER_VERSION,
    }
    if conf_cmd is not None and (version := version_of([*conf_cmd, "--version"])) != "?":
        env["conformance"] = version
    report, ok = render(
        tools,
        missing,
        count_repo(repo),
        info,
        trace,
        trace_rl,
        trace_note,
        agreement,
        env,
        args.runs,
        args.warmup,
    )
    print(report)
    if args.markdown:
        args.markdown.write_text(report, encoding="utf-8")
        log(f"report written to {args.markdown}")
    if args.check_targets and not ok:
        log("targets not met")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
