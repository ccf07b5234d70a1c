"""Time `conformance check --rev A..B` over a 200-commit history, old against new.

Usage::

    python bench/history.py [--runs 5] [--old PYTHONPATH] [--json]

The repository (cached under ~/.cache/conformance-bench/history-…) is a generated monorepo
(`bench/generate.py`, 200 packages of 100 files: 20k tracked files, kata's data layer in its
Convex state, so the flagship contract passes) with 200 commits on top, cycling through:
a source file of a synthetic package (no rule reads it), a note in a package's docs (read by
no rule), a file of the data package (`packages/db`, read by several rules), the active docs
(`docs/PROJECT_PLAN.md`, read by one rule), a rename of a synthetic source file and a root
README edit. Commit 60 adds `pg` to the data package (breaks `no-postgres-dependencies`),
commit 140 removes it again; commit 170 adds the stale phrase to the active docs (breaks
`active-docs-baseline` for the rest of the range).

The old code (`--old`, default /work/wt/base) and this worktree's run interleaved, A B A B …;
each run's wall time, CPU time (user+sys of the child, `os.wait4`) and peak RSS are taken,
the medians reported. Both must print the same report. The number of git processes of one run
is counted with `strace -f -e trace=execve` when strace is installed.

`--json` prints {commits, ms_total, ms_per_commit, git_processes, peak_rss_mb} for the new code.
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (bench/generate.py, next to this script)

HISTORY_VERSION = 1
COMMITS = 200
PACKAGES = 200
FILES_PER_PACKAGE = 100
BREAK_DEPENDENCY, MEND_DEPENDENCY, BREAK_DOCS = 60, 140, 170
DATA_PACKAGE = "packages/db/package.json"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "conformance-bench"


def git(repo: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], input=stdin, capture_output=True, text=True, check=True
    )
    return done.stdout


def build_history(dest: Path) -> Path:
    """The generated monorepo with COMMITS commits on top (reused when already built)."""
    marker = dest / ".git" / "conformance-history.json"
    wanted = {"version": HISTORY_VERSION, "generator": generate.GENERATOR_VERSION}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    args = argparse.Namespace(
        packages=PACKAGES, files_per_package=FILES_PER_PACKAGE, node_modules_files=0
    )
    generate.generate(dest, args, HERE.parent / "fixtures" / "kata-after")
    git(dest, "tag", "-f", "history-base")
    for number in range(1, COMMITS + 1):
        message = change(dest, number)
        git(dest, "add", "-A")
        git(dest, "commit", "-q", "--no-verify", "-m", message)
    marker.write_text(json.dumps(wanted))
    return dest


def change(repo: Path, number: int) -> str:
    """Make commit `number`'s change in the work tree; its message."""
    package = f"packages/pkg-{number % PACKAGES:04d}"
    if number == BREAK_DEPENDENCY:
        edit(repo / DATA_PACKAGE, '"convex": ', '"pg": "^8.0.0",\n    "convex": ')
        return "db: add pg for a quick script"
    if number == MEND_DEPENDENCY:
        edit(repo / DATA_PACKAGE, '"pg": "^8.0.0",\n    ', "")
        return "db: drop pg again"
    if number == BREAK_DOCS:
        append(repo / "docs/PROJECT_PLAN.md", f"\n{generate.STALE_PHRASE}\n")
        return "docs: restore the old plan"
    kind = number % 6
    if kind == 0:
        append(repo / f"{package}/src/modules/group-00/mod-000.ts", f"// change {number}\n")
        return f"{package}: tweak a module"
    if kind == 1:
        append(repo / f"{package}/docs/note-006.md", f"\nChange {number}.\n")
        return f"{package}: notes"
    if kind == 2:
        append(repo / "packages/db/convex/schema.ts", f"// change {number}\n")
        return "db: schema comment"
    if kind == 3:
        append(repo / "docs/PROJECT_PLAN.md", f"\nStep {number} is done.\n")
        return "docs: progress"
    if kind == 4:
        source = repo / f"{package}/src/modules/group-00/mod-001.ts"
        if source.exists():
            source.rename(source.with_name(f"mod-001-{number}.ts"))
        return f"{package}: rename a module"
    append(repo / "README.md", f"\nRelease note {number}.\n")
    return "readme"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise SystemExit(f"history: {path} holds no {old!r}")
    path.write_text(text.replace(old, new, 1))


def append(path: Path, text: str) -> None:
    with path.open("a") as stream:
        stream.write(text)


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float, float, bytes]:
    """(wall ms, CPU ms, peak RSS MB, stdout) of one run."""
    import time

    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        # Not run from a worktree: `-m` puts the working directory first on the path.
        child = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=tempfile.gettempdir()
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = (time.perf_counter() - started) * 1000
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"history: {' '.join(argv)} exited {status}")
        out.seek(0)
        output = out.read()
    return wall, (usage.ru_utime + usage.ru_stime) * 1000, usage.ru_maxrss / 1024, output


def git_processes(argv: list[str], env: dict[str, str]) -> int | None:
    if shutil.which("strace") is None:
        return None
    with tempfile.NamedTemporaryFile() as trace:
        subprocess.run(
            ["strace", "-f", "-qq", "-e", "trace=execve", "-o", trace.name, *argv],
            env=env,
            cwd=tempfile.gettempdir(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        said = Path(trace.name).read_text()
    # Each exec that succeeded (PATH lookups that fail are traced too).
    return sum('["git"' in line and line.rstrip().endswith("= 0") for line in said.splitlines())


def command(pythonpath: Path, python: str, repo: Path) -> tuple[list[str], dict[str, str]]:
    argv = [python, "-m", "conformance", "check", str(repo), "--rev", "history-base..HEAD"]
    return argv, {**os.environ, "PYTHONPATH": str(pythonpath)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--old", type=Path, default=Path("/work/wt/base"))
    parser.add_argument("--json", action="store_true", help="only the new code, as JSON")
    args = parser.parse_args(argv)
    repo = build_history(cache_dir() / f"history-p{PACKAGES}-f{FILES_PER_PACKAGE}-c{COMMITS}")
    new = command(HERE.parent, sys.executable, repo)
    tools = {"new": new}
    if not args.json and (args.old / "conformance").is_dir():
        old_python = args.old / ".venv/bin/python"
        python = str(old_python) if old_python.exists() else "/work/main/.venv/bin/python"
        tools = {"old": command(args.old, python, repo), **tools}
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in tools}
    outputs: dict[str, bytes] = {}
    for _ in range(args.runs):
        for name, (tool_argv, env) in tools.items():
            wall, cpu, rss, output = measure(tool_argv, env)
            samples[name].append((wall, cpu, rss))
            if outputs.setdefault(name, output) != output:
                raise SystemExit(f"history: {name} printed two different reports")
    if len(set(outputs.values())) != 1:
        raise SystemExit("history: the old and the new code report differently")
    results = {}
    for name, (tool_argv, env) in tools.items():
        wall = statistics.median(s[0] for s in samples[name])
        results[name] = {
            "commits": COMMITS,
            "ms_total": round(wall, 1),
            "ms_per_commit": round(wall / COMMITS, 2),
            "cpu_ms_per_commit": round(statistics.median(s[1] for s in samples[name]) / COMMITS, 2),
            "git_processes": git_processes(tool_argv, env),
            "peak_rss_mb": round(max(s[2] for s in samples[name]), 1),
        }
    if args.json:
        print(
            json.dumps({k: results["new"][k] for k in results["new"] if k != "cpu_ms_per_commit"})
        )
        return 0
    print(
        f"check --rev history-base..HEAD over {COMMITS} commits of {repo} ({args.runs} runs each)"
    )
    print("| code | ms total | ms per commit | CPU ms per commit | git processes | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for name, result in results.items():
        print(
            f"| {name} | {result['ms_total']} | {result['ms_per_commit']} | "
            f"{result['cpu_ms_per_commit']} | {result['git_processes']} | {result['peak_rss_mb']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
