"""`conformance fix` raced and killed: what a repository looks like afterwards.

1. Pairs: two `conformance fix` processes started together on one committed copy of
   fixtures/kata-before. Each must exit 0 (it fixed, or found nothing left) or 2 with one line
   naming the lock; never a traceback; the tree must end as one uncontended `fix` leaves it.
2. Kills: one `fix` killed with SIGKILL after a random delay, then `fix` run again. The rerun
   must exit 0, leave no temporary file, and end as an uncontended `fix` does.

    python bench/fix_races.py --pairs 25 --kills 50
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KATA = ROOT / "fixtures" / "kata-before"
FIX = [sys.executable, "-m", "conformance", "fix"]


def committed_copy(where: Path, name: str) -> Path:
    root = Path(shutil.copytree(KATA, where / name))
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(
            ["git", "-c", "user.email=b@b", "-c", "user.name=b", *args], cwd=root, check=True
        )
    return root


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def run_fix(root: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*FIX, str(root)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=25)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    random.seed(args.seed)
    bad = 0
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        reference = committed_copy(where, "reference")
        started = time.perf_counter()
        subprocess.run([*FIX, str(reference)], cwd=ROOT, capture_output=True, check=True)
        alone = time.perf_counter() - started
        expected = tree(reference)

        exits: dict[tuple[int, int], int] = {}
        for pair in range(args.pairs):
            root = committed_copy(where, f"pair{pair}")
            first, second = run_fix(root), run_fix(root)
            results = [(p.wait(), p.stderr.read()) for p in (first, second)]
            codes = tuple(sorted(code for code, _ in results))
            exits[codes] = exits.get(codes, 0) + 1
            for code, err in results:
                if code not in (0, 2) or "Traceback" in err or (code == 2 and err.count("\n") != 1):
                    bad += 1
                    print(f"pair {pair}: exit {code}: {err}")
            if tree(root) != expected:
                bad += 1
                print(f"pair {pair}: the tree differs from an uncontended fix")
        print(f"pairs: {args.pairs}, exits (sorted) {exits}")

        leftovers = reruns_failed = midway = 0
        for kill in range(args.kills):
            root = committed_copy(where, f"kill{kill}")
            original = tree(root)
            process = run_fix(root)
            time.sleep(random.uniform(0.5 * alone, alone))  # mostly while writing
            process.send_signal(signal.SIGKILL)
            process.wait()
            left = [p for p in root.rglob("*.conformance-tmp")]
            leftovers += bool(left)
            midway += tree(root) not in (original, expected)
            rerun = subprocess.run([*FIX, str(root)], cwd=ROOT, capture_output=True, text=True)
            if rerun.returncode != 0 or tree(root) != expected:
                reruns_failed += 1
                print(f"kill {kill}: rerun exit {rerun.returncode}: {rerun.stderr}")
        print(
            f"kills: {args.kills} (uncontended fix {alone:.2f} s), {midway} of them mid-write, "
            "left a temporary file: "
            f"{leftovers}, rerun did not complete the fix: {reruns_failed}"
        )
        bad += reruns_failed
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
