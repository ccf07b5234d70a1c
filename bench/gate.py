"""Times the CI-gate paths on the benchmark monorepo: `--rev` and `--changed-since`.

Targets (issue 5): `--changed-since` on a one-file change under 150 ms wall, `--rev` under
1.5x a working-tree check. Uses the repository `run.py` generates (same cache, same sizes).

    python bench/gate.py [--runs 7] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
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
    run_measured,
)

TARGET_CHANGED_MS = 150.0
TARGET_REV_RATIO = 1.5


def median_ms(cmd: list[str], repo: Path, runs: int) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        out, err = Path(scratch) / "out", Path(scratch) / "err"
        run_measured(cmd, repo, out, err)  # warm-up
        samples = []
        for _ in range(runs):
            sample = run_measured(cmd, repo, out, err)
            if sample.exit_code not in (0, 1):
                raise BenchError(f"{cmd} exited {sample.exit_code}: {err.read_text()[-500:]}")
            samples.append(sample.wall_s * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    conformance = find_conformance(None)
    if conformance is None:
        raise SystemExit("bench: no `conformance` on PATH nor in .venv/bin")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(PROJECT_DIR / "conformance")])
    repo, _ = prepare_repo(default_cache(), QUICK if args.quick else FULL, None)
    base = [*conformance, "check", str(repo), "--contract", CONTRACT, "--format", "json"]
    # One file changed in the work tree: a docs file one rule reads, then a source file none does.
    docs = repo / "docs" / "PROJECT_PLAN.md"
    source = next((repo / "packages").glob("pkg-*/src/*.ts"))
    rows = [("working tree", median_ms(base, repo, args.runs))]
    rows.append(("--rev HEAD", median_ms([*base, "--rev", "HEAD"], repo, args.runs)))
    originals = {path: path.read_bytes() for path in (docs, source)}
    try:
        for label, path in (("docs file (1 rule)", docs), ("unrelated file (0 rules)", source)):
            path.write_bytes(originals[path] + b"\n// one more line\n")
            command = [*base, "--changed-since", "HEAD"]
            rows.append((f"--changed-since HEAD, {label}", median_ms(command, repo, args.runs)))
            path.write_bytes(originals[path])
    finally:
        for path, data in originals.items():
            path.write_bytes(data)
        subprocess.run(["git", "-C", str(repo), "update-index", "-q", "--refresh"])
    working, rev = rows[0][1], rows[1][1]
    changed = max(ms for label, ms in rows[2:])
    print(f"| `conformance check` on {repo.name} | median ms ({args.runs} runs) |")
    print("| --- | ---: |")
    for label, ms in rows:
        print(f"| {label} | {ms:.1f} |")
    print()
    print(
        f"--rev / working tree: {rev / working:.2f}x (target <= {TARGET_REV_RATIO}x); "
        f"--changed-since worst: {changed:.1f} ms (target < {TARGET_CHANGED_MS:.0f} ms)"
    )
    return 0 if rev / working <= TARGET_REV_RATIO and changed < TARGET_CHANGED_MS else 1


if __name__ == "__main__":
    sys.exit(main())
