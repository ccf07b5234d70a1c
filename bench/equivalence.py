"""Check that bench/repolinter.json fails the same contract rules as `conformance check`.

Usage::

    python bench/equivalence.py [DIR ...]      # default: every fixtures/kata-* folder

Runs both tools on each folder (the kata fixtures by default: before, half-migrated, after)
and compares the set of contract rules each one reports as failing; a repolinter rule named
`convex-project-files/convex.json` counts for contract rule `convex-project-files`. Exit code
0 when every folder agrees, 1 when one does not, 2 when a tool cannot be run. Standard library
only; repolinter is installed into the same cache folder as bench/run.py uses.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from run import (
    CONTRACT,
    PROJECT_DIR,
    RULESET,
    BenchError,
    Tool,
    conformance_findings,
    default_cache,
    find_conformance,
    install_repolinter,
    log,
    repolinter_findings,
    run_checked,
)


def failing_rules(conf: Tool, rl: Tool, folder: Path, outdir: Path) -> tuple[set, set]:
    run_checked(conf, folder, outdir)
    conf_rules = {str(f.get("rule")) for f in conformance_findings(outdir / "conformance.out")}
    run_checked(rl, folder, outdir)
    failed, _ = repolinter_findings(outdir / "repolinter.out")
    return conf_rules, {name.split("/")[0] for name in failed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", type=Path, help="default: fixtures/kata-*")
    parser.add_argument("--cache-dir", type=Path, help=f"default {default_cache()}")
    parser.add_argument("--conformance-cmd", help="default: `conformance` on PATH, then .venv")
    args = parser.parse_args(argv)
    folders = args.folders or sorted(p for p in (PROJECT_DIR / "fixtures").glob("kata-*"))
    if not folders:
        log("error: no folder given and no fixtures/kata-* found")
        return 2
    cache = (args.cache_dir or default_cache()).resolve()
    outdir = cache / "out-equivalence"
    outdir.mkdir(parents=True, exist_ok=True)
    try:
        node = shutil.which("node")
        if node is None:
            raise BenchError("node is not on PATH")
        entry = install_repolinter(cache)
        conf_cmd = find_conformance(args.conformance_cmd)
        if conf_cmd is None:
            raise BenchError("conformance not found (pip install -e . or --conformance-cmd)")
        rows, agree = [], True
        for folder in folders:
            folder = folder.resolve()
            conf = Tool(
                "conformance",
                [*conf_cmd, "check", str(folder), "--contract", CONTRACT, "--format", "json"],
                ok_codes=(0, 1),
            )
            rl_args = ["lint", str(folder), "--rulesetFile", str(RULESET), "--dryRun"]
            rl = Tool("repolinter", [node, str(entry), *rl_args, "--format", "json"], (0, 1))
            conf_rules, rl_rules = failing_rules(conf, rl, folder, outdir)
            same = conf_rules == rl_rules
            agree = agree and same
            diff = (
                "same"
                if same
                else f"only conformance: {', '.join(sorted(conf_rules - rl_rules)) or '-'}; "
                f"only repolinter: {', '.join(sorted(rl_rules - conf_rules)) or '-'}"
            )
            rows.append(f"| {folder.name} | {len(conf_rules)} | {len(rl_rules)} | {diff} |")
    except BenchError as exc:
        log(f"error: {exc}")
        return 2
    print("| folder | rules failing (conformance) | rules failing (repolinter) | difference |")
    print("| --- | ---: | ---: | --- |")
    print("\n".join(rows))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
