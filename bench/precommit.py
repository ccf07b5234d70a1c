"""The pre-commit hook on real repositories: does `conformance hook` with every tracked file (what
`pre-commit run --all-files` passes) report what `conformance check` reports, and what does a
one-file commit cost it, against the `check --changed-since HEAD` the hook ran before?

For each repository (a git work tree, never touched) this makes a copy under a temporary folder
(`cp -a`: the field clones are partial, a `git clone --shared` cannot check them out), writes
conformance.yaml with `conformance init` and commits it; then compares the findings and rule
statuses of `check --format json` and `hook --format json FILE...`, stages an edit to one
TypeScript file and times `hook FILE`, `check --changed-since HEAD` and `check` interleaved
(median of --runs, wall time of the process).

    python bench/precommit.py /tmp/field/kanbn__kan /tmp/field/midday-ai__midday
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFORMANCE = str(Path(sys.executable).parent / "conformance")


def run(root: Path, *argv: str) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run([CONFORMANCE, *argv], cwd=root, capture_output=True, text=True)
    return time.perf_counter() - start, done


def git(root: Path, *argv: str) -> str:
    return subprocess.run(
        ["git", *argv], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def trial(source: Path, scratch: Path, runs: int) -> str:
    root = scratch / source.name
    subprocess.run(["cp", "-a", str(source), str(root)], check=True)
    run(root, "init")
    git(root, "add", "conformance.yaml")
    git(root, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "conformance")
    files = [f for f in git(root, "ls-files", "-z").split("\0") if f]
    checked = json.loads(run(root, "check", "--format", "json")[1].stdout)
    hooked = json.loads(run(root, "hook", "--format", "json", *files)[1].stdout)
    same = checked["findings"] == hooked["findings"] and [
        r["status"] for r in checked["rules"]
    ] == [r["status"] for r in hooked["rules"]]
    edited = next(f for f in files if f.endswith(".ts") and "/" in f)
    with (root / edited).open("a") as file:
        file.write("\n// edited\n")
    git(root, "add", edited)
    times: dict[str, list[float]] = {"hook FILE": [], "check --changed-since HEAD": [], "check": []}
    for _ in range(runs):
        times["hook FILE"].append(run(root, "hook", edited)[0])
        times["check --changed-since HEAD"].append(run(root, "check", "--changed-since", "HEAD")[0])
        times["check"].append(run(root, "check")[0])
    shutil.rmtree(root)
    medians = ", ".join(f"{k} {statistics.median(v) * 1000:.0f} ms" for k, v in times.items())
    return (
        f"{source.name}: {len(files)} files, {len(checked['findings'])} findings by check, "
        f"{len(hooked['findings'])} by hook (all files), same: {same}; one-file commit: {medians}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="conformance-precommit-") as scratch:
        for repo in args.repos:
            print(trial(repo.resolve(), Path(scratch), args.runs), flush=True)


if __name__ == "__main__":
    main()
