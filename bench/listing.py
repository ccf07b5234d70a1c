"""The listing without git's index (conformance/listing.py) against git's full listing
(`CONFORMANCE_LISTING=full`), on generated monorepos of any size: `check` and
`--changed-since HEAD` each way, the four commands taking turns (A B C D A B C D …) so that a
shared machine's load falls on all alike; median wall and CPU time (user + sys of the child and
the git it waited for), peak RSS. Exits 1 unless both listings print the same report.

    python bench/listing.py REPO... [--runs 9] [--python PATH]

Make the repositories with `bench/generate.py DEST --packages N` (100 files per package:
N=100 is 10k tracked files, 2000 is 200k, 5000 is 500k). A run writes conformance's cache in
each repository's `.git/conformance/` (the first, a warm-up, fills it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def measure(argv: list[str], env: dict, out: Path) -> tuple[float, float, float]:
    """(wall ms, CPU ms, peak RSS MB) of one run; its stdout goes to `out`."""
    with open(out, "wb") as stdout:
        start = time.perf_counter()
        pid = os.posix_spawn(
            argv[0],
            argv,
            env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, stdout.fileno(), 1),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
            ],
        )
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{argv} exited {os.waitstatus_to_exitcode(status)}")
    return wall * 1000, (usage.ru_utime + usage.ru_stime) * 1000, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--python", default=str(PROJECT_DIR / ".venv/bin/python"))
    args = parser.parse_args()
    same = True
    print("| repository | listing | command | median ms wall | median ms CPU | peak RSS MB |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for repo in args.repos:
        check = [args.python, "-m", "conformance", "check", str(repo.resolve())]
        check += ["--contract", "convex-adoption", "--format", "json"]
        commands = {}
        for listing in ("fast", "full"):
            env = {**os.environ, "CONFORMANCE_LISTING": listing}
            commands[(listing, "check")] = (check, env)
            commands[(listing, "--changed-since HEAD")] = ([*check, "--changed-since", "HEAD"], env)
        samples: dict[tuple, list] = {key: [] for key in commands}
        with tempfile.TemporaryDirectory() as scratch:
            outputs = {}
            for key, (argv, env) in commands.items():  # warm-up, and the reports compared
                out = Path(scratch, "-".join(key))
                measure(argv, env, out)
                outputs[key] = out.read_bytes()
            for _ in range(args.runs):
                for key, (argv, env) in commands.items():
                    samples[key].append(measure(argv, env, Path(scratch, "out")))
        for command in ("check", "--changed-since HEAD"):
            if outputs[("fast", command)] != outputs[("full", command)]:
                print(f"{repo}: `{command}` reports differ between the listings", file=sys.stderr)
                same = False
        for (listing, command), got in samples.items():
            wall, cpu, rss = zip(*got, strict=True)
            print(
                f"| {repo.name} | {listing} | {command} | {statistics.median(wall):.1f} "
                f"| {statistics.median(cpu):.1f} | {max(rss):.1f} |"
            )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
