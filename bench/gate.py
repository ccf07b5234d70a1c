"""Times the CI-gate paths on the benchmark monorepo: `--rev` and `--changed-since`.

Targets: `--changed-since` on a one-file change under 150 ms wall (issue 5) and at most half a
full check of the same repository (issue 12: `--changed-since` reads no more of git's index than
the check it shortens), `--rev` under 1.5x a working-tree check that lists with git as `--rev`
does (`CONFORMANCE_LISTING=full`: the default check reuses git's answers kept from the run
before, which a commit read from git objects has no counterpart of; the ratio to it is printed
too). Every command is run in turn,
A B C … A B C …, so that the load of a shared machine falls on all of them alike; the medians of
wall time and of CPU time (user + sys of the child and the git it waited for) are reported.

    python bench/gate.py [--runs 7] [--quick] [--repo PATH]

`--repo` times a repository of your own (`bench/generate.py DEST --packages 2000` is the 200k-file
one); the default is the one `run.py` generates. One file of it is changed and restored.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import (
    CONTRACT,
    FULL,
    PROJECT_DIR,
    QUICK,
    BenchError,
    default_cache,
    find_conformance,
    prepare_repo,
)

TARGET_CHANGED_MS = 150.0
TARGET_REV_RATIO = 1.5
TARGET_CHANGED_RATIO = 0.5


def measure(cmd: list[str], repo: Path, scratch: Path) -> tuple[float, float]:
    """(wall ms, CPU ms) of one run; CPU is the child's user + sys, with the git it waited for."""
    with open(scratch / "out", "wb") as out, open(scratch / "err", "wb") as err:
        start = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=repo, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        tail = (scratch / "err").read_text(errors="replace")[-500:]
        raise BenchError(f"{cmd} exited {code}: {tail}")
    return wall * 1000, (usage.ru_utime + usage.ru_stime) * 1000


def interleaved(commands: dict[str, list[str]], repo: Path, runs: int) -> dict[str, tuple]:
    """label → (median wall ms, median CPU ms), the commands taking turns."""
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        for cmd in commands.values():
            measure(cmd, repo, scratch)  # warm-up: page cache, bytecode, conformance's own cache
        for _ in range(runs):
            for label, cmd in commands.items():
                samples[label].append(measure(cmd, repo, scratch))
    return {
        label: (statistics.median(w for w, _ in got), statistics.median(c for _, c in got))
        for label, got in samples.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repo", type=Path, help="a repository bench/generate.py made")
    args = parser.parse_args()
    conformance = find_conformance(None)
    if conformance is None:
        raise SystemExit("bench: no `conformance` on PATH nor in .venv/bin")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(PROJECT_DIR / "conformance")])
    if args.repo is not None:
        repo = args.repo.resolve()
    else:
        repo, _ = prepare_repo(default_cache(), QUICK if args.quick else FULL, None)
    base = [*conformance, "check", str(repo), "--contract", CONTRACT, "--format", "json"]
    since = [*base, "--changed-since", "HEAD"]
    nothing = "--changed-since HEAD, nothing changed"
    full = "working tree, git's listing (CONFORMANCE_LISTING=full)"
    commands = {
        "working tree": base,
        full: ["env", "CONFORMANCE_LISTING=full", *base],
        "--rev HEAD": [*base, "--rev", "HEAD"],
        nothing: since,
    }
    rows = interleaved(commands, repo, args.runs)
    # Each --changed-since against the working-tree check timed beside it.
    ratios = {nothing: rows[nothing][0] / rows["working tree"][0]}
    # One file changed in the work tree: a docs file one rule reads, then a source file none does.
    docs = repo / "docs" / "PROJECT_PLAN.md"
    source = next((repo / "packages").glob("pkg-*/src/*.ts"))
    originals = {path: path.read_bytes() for path in (docs, source)}
    try:
        for label, path in (("docs file (1 rule)", docs), ("unrelated file (0 rules)", source)):
            path.write_bytes(originals[path] + b"\n// one more line\n")
            changed = interleaved(
                {"working tree": base, f"--changed-since HEAD, {label}": since}, repo, args.runs
            )
            rows[f"--changed-since HEAD, {label}"] = changed[f"--changed-since HEAD, {label}"]
            ratios[f"--changed-since HEAD, {label}"] = (
                changed[f"--changed-since HEAD, {label}"][0] / changed["working tree"][0]
            )
            path.write_bytes(originals[path])
    finally:
        for path, data in originals.items():
            path.write_bytes(data)
        subprocess.run(["git", "-C", str(repo), "update-index", "-q", "--refresh"])
    working = rows["working tree"][0]
    listed = rows[full][0]
    rev = rows["--rev HEAD"][0]
    worst = max(wall for label, (wall, _) in rows.items() if label.startswith("--changed"))
    worst_ratio = max(ratios.values())
    print(f"| `conformance check` on {repo.name} | median ms wall | median ms CPU |")
    print("| --- | ---: | ---: |")
    for label, (wall, cpu) in rows.items():
        print(f"| {label} | {wall:.1f} | {cpu:.1f} |")
    print()
    print(
        f"--rev / working tree listed by git: {rev / listed:.2f}x (target <= {TARGET_REV_RATIO}x; "
        f"{rev / working:.2f}x the default check); "
        f"--changed-since worst: {worst:.1f} ms (target < {TARGET_CHANGED_MS:.0f} ms), "
        f"at most {worst_ratio:.2f}x the working-tree check timed beside it "
        f"(target <= {TARGET_CHANGED_RATIO}x)"
    )
    return (
        0
        if rev / listed <= TARGET_REV_RATIO
        and worst < TARGET_CHANGED_MS
        and worst_ratio <= TARGET_CHANGED_RATIO
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
