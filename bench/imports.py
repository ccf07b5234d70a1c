"""What the `workspace-imports` check costs: `conformance check` on committed copies of real
repositories, interleaved runs, median wall time and peak RSS (measured as bench/field.py does),
in three variants:

* `without`: the contract with its workspace-imports rules ignored,
* `contract`: the contract as it is (convex-adoption checks the imports of its data package),
* `every package`: the contract plus a rule checking the imports of every workspace package.

    python bench/imports.py /tmp/field/documenso__documenso --contract prisma-to-convex
    python bench/imports.py /tmp/field/kanbn__kan --contract convex-adoption --runs 9
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from field import committed_copy, conformance_command, run

EVERY_PACKAGE = """
rules:
  - id: every-package-imports
    kind: workspace-imports
    optional: true
    message: "{item}"
    why: Every import of a workspace package must hold.
"""


def workspace_import_rules(conformance: list[str], contract: str) -> list[str]:
    """The ids of the contract's workspace-imports rules (from `conformance list`)."""
    listed = run([*conformance, "list", "--contract", contract], Path.cwd())["out"]
    rows = [line.split() for line in listed.splitlines() if line.startswith("  ")]
    return [row[0] for row in rows if len(row) > 1 and row[1] == "workspace-imports"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--contract", required=True)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    conformance = conformance_command(None)
    own = workspace_import_rules(conformance, args.contract)
    ignored = ["--ignore", ",".join(own)] if own else []
    print("| repo | variant | median ms | peak RSS MB | note |")
    print("| --- | --- | ---: | ---: | --- |")
    with tempfile.TemporaryDirectory(prefix="imports-bench-") as scratch:
        for repo in args.repos:
            copy = committed_copy(repo, Path(scratch))
            (copy / "conformance.yaml").write_text(f"contracts:\n  - {args.contract}\n")
            every = Path(scratch) / f"{repo.name}-every"
            shutil.copytree(copy, every, symlinks=True)
            (every / "conformance.yaml").write_text(
                f"contracts:\n  - {args.contract}\n{EVERY_PACKAGE}"
            )
            variants = {
                "without": ([*conformance, "check", *ignored, str(copy)], copy),
                "contract": ([*conformance, "check", str(copy)], copy),
                "every package": ([*conformance, "check", str(every)], every),
            }
            samples: dict[str, list[dict]] = {name: [] for name in variants}
            for _ in range(args.runs):
                for name, (command, cwd) in variants.items():
                    samples[name].append(run(command, cwd))
            for name, got in samples.items():
                notes = [
                    line.partition(": ")[2].partition(": ")[2]
                    for line in got[0]["out"].splitlines()
                    if line.startswith(("note: ", "unchecked")) and "import" in line
                ]
                ms = statistics.median(sample["ms"] for sample in got)
                rss = max(sample["rss_mb"] for sample in got)
                print(f"| {repo.name} | {name} | {ms:.0f} | {rss:.1f} | {'; '.join(notes)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
