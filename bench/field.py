"""Field trial: `conformance` on local clones of real repositories it was not built on.

For each repository (a git work tree) this makes a committed copy (`git clone --local`, so the
clone is never touched), and for each contract that applies (the ones `conformance init`
proposes, or every built-in one with `--all`):

1. `conformance init --contract NAME` writes conformance.yaml from what discovery finds,
2. `conformance check --format json` with that file (findings, unchecked rules, exit code, wall
   time and peak RSS of the process),
3. `conformance fix --dry-run` on the same committed copy (exit code, planned changes, wall
   time and peak RSS),
4. with `--apply`, `conformance fix` on a fresh copy: the paths it changed, the conflicts it
   refused (each with the importers it names), and the check it runs after applying (its
   findings and exit code), so a fix that breaks the repository shows.

It prints a markdown table, one row per repo and contract, and with `--details` every finding
and unchecked
rule, for a person to judge against the files. A traceback anywhere, or an exit code other than
0/1 from check (2 from init), is flagged. The repositories are not part of this project; CI does
not need them.

    python bench/field.py /tmp/field/*          # clones to try
    python bench/field.py --all --details /tmp/field/kanbn__kan
    python bench/field.py --contract prisma-to-convex --param phase=complete /tmp/field/umami*
    python bench/field.py --apply --contract convex-adoption /tmp/field/t3-oss__create-t3-turbo
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONTRACTS = ("convex-adoption", "convex-auth", "convex-to-postgres", "prisma-to-convex")


def conformance_command(explicit: str | None) -> list[str]:
    if explicit:
        return explicit.split()
    found = shutil.which("conformance")
    if found:
        return [found]
    local = Path(__file__).resolve().parent.parent / ".venv/bin/conformance"
    if local.exists():
        return [str(local)]
    sys.exit("field: no `conformance` on PATH or in .venv; pass --conformance-cmd")


def run(cmd: list[str], cwd: Path) -> dict:
    """Run once: exit code, output, wall ms, and peak RSS (MB) from wait4 of that child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = (time.perf_counter() - start) * 1000
        out.seek(0)
        err.seek(0)
        return {
            "code": os.waitstatus_to_exitcode(status),
            "out": out.read().decode("utf-8", "replace"),
            "err": err.read().decode("utf-8", "replace"),
            "ms": wall,
            "rss_mb": usage.ru_maxrss / 1024,
        }


def committed_copy(repo: Path, workdir: Path) -> Path:
    """A copy of the work tree and its .git (a clone would fail on snapshots whose large blobs
    are missing); whatever init and fix write stays in the copy."""
    copy = workdir / repo.name
    shutil.copytree(repo, copy, symlinks=True)
    return copy


def proposed(conformance: list[str], copy: Path) -> list[str]:
    """The contracts `conformance init` proposes (its output names them)."""
    result = run([*conformance, "init", str(copy)], copy)
    (copy / "conformance.yaml").unlink(missing_ok=True)
    names = []
    for line in result["out"].splitlines():
        for name in CONTRACTS:
            if line.strip().startswith(f"{name}: proposed") or line.strip().startswith(
                f"{name}: applies"
            ):
                names.append(name)
    return names


def trial(conformance: list[str], copy: Path, contract: str, params: list[str]) -> dict:
    config = copy / "conformance.yaml"
    config.unlink(missing_ok=True)
    init = run([*conformance, "init", str(copy), "--contract", contract], copy)
    row: dict = {"contract": contract, "init": init["code"], "traceback": []}
    if "Traceback" in init["err"]:
        row["traceback"].append("init")
    extra = [arg for param in params for arg in ("--param", param)]
    check = run([*conformance, "check", str(copy), "--format", "json", *extra], copy)
    row.update(check_code=check["code"], ms=check["ms"], rss_mb=check["rss_mb"])
    if "Traceback" in check["err"]:
        row["traceback"].append("check")
    try:
        payload = json.loads(check["out"])
    except json.JSONDecodeError:
        payload = {"findings": [], "rules": [], "parameters": []}
        row["error"] = check["err"].strip().splitlines()[-1:] or ["no output"]
    row["findings"] = payload.get("findings", [])
    row["rules"] = payload.get("rules", [])
    row["parameters"] = payload.get("parameters", [])
    fix = run([*conformance, "fix", str(copy), "--dry-run", "--allow-dirty", *extra], copy)
    row.update(fix_code=fix["code"], fix_ms=fix["ms"], fix_rss_mb=fix["rss_mb"])
    row["fix_changes"] = sum(
        1
        for line in fix["out"].splitlines()
        if line.split(" ", 1)[0] in ("create", "edit", "remove")
    )
    if "Traceback" in fix["err"]:
        row["traceback"].append("fix")
    config.unlink(missing_ok=True)
    return row


def applied(conformance: list[str], repo: Path, workdir: Path, contract: str, params: list) -> dict:
    """`conformance fix` applied on a fresh committed copy: what it changed and refused, and
    the check it runs after applying."""
    copy = committed_copy(repo, workdir / "applied")
    try:
        init = run([*conformance, "init", str(copy), "--contract", contract], copy)
        extra = [arg for param in params for arg in ("--param", param)]
        fix = run([*conformance, "fix", str(copy), "--allow-dirty", *extra], copy)
        lines = fix["out"].splitlines()
        statuses = [line.split(" ", 1)[0] for line in lines]
        marker = next((n for n, x in enumerate(lines) if x.endswith("checking again:")), None)
        after = lines[marker:] if marker is not None else []
        return {
            "code": fix["code"],
            "changed": sum(s in ("create", "edit", "remove") for s in statuses),
            "conflicts": [line for line in lines if line.startswith("conflict")],
            "summary": next((x for x in reversed(after) if x.strip()), "no check after fix"),
            "ms": fix["ms"],
            "rss_mb": fix["rss_mb"],
            "traceback": "Traceback" in init["err"] + fix["err"],
        }
    finally:
        shutil.rmtree(copy.parent)


def render(results: list[tuple[str, dict]], details: bool) -> str:
    lines = [
        "| repo | contract | findings | failed rules | unchecked (required/optional) | check exit "
        "| ms | peak RSS MB | fix --dry-run | fix ms | fix peak RSS MB | traceback |",
        "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    for repo, row in results:
        statuses = [r["status"] for r in row["rules"]]
        required = sum(r["status"] == "unchecked" and not r["optional"] for r in row["rules"])
        optional = sum(r["status"] == "unchecked" and r["optional"] for r in row["rules"])
        lines.append(
            f"| {repo} | {row['contract']} | {len(row['findings'])} | {statuses.count('fail')} "
            f"| {required}/{optional} | {row['check_code']} | {row['ms']:.0f} "
            f"| {row['rss_mb']:.0f} | exit {row['fix_code']}, {row['fix_changes']} changes "
            f"| {row['fix_ms']:.0f} | {row['fix_rss_mb']:.0f} "
            f"| {', '.join(row['traceback']) or '-'} |"
        )
    fixed = [(repo, row) for repo, row in results if row.get("applied")]
    if fixed:
        lines += [
            "",
            "| repo | contract | fix exit | paths changed | conflicts refused | check after fix "
            "| fix ms | fix peak RSS MB |",
            "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |",
        ]
        for repo, row in fixed:
            done = row["applied"]
            lines.append(
                f"| {repo} | {row['contract']} | {done['code']} | {done['changed']} "
                f"| {len(done['conflicts'])} | {done['summary']} | {done['ms']:.0f} "
                f"| {done['rss_mb']:.0f} |"
            )
    if details:
        for repo, row in results:
            lines += ["", f"### {repo} — {row['contract']}", ""]
            for parameter in row["parameters"]:
                shown = ", ".join(map(str, parameter["values"])) or parameter["reason"]
                lines.append(f"- param {parameter['name']} ({parameter['origin']}): {shown}")
            for rule in row["rules"]:
                if rule["status"] == "unchecked":
                    lines.append(f"- unchecked {rule['id']}: {rule['reason']}")
                if rule.get("note"):
                    lines.append(f"- note {rule['id']}: {rule['note']}")
            for finding in row["findings"]:
                where = (
                    f"{finding['path']}:{finding['line']}" if finding["line"] else finding["path"]
                )
                lines.append(f"- {where}: {finding['rule']} {finding['message']}")
            if row.get("error"):
                lines.append(f"- error: {row['error']}")
            for conflict in row.get("applied", {}).get("conflicts", []):
                lines.append(f"- fix refused: {conflict}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repos", nargs="+", type=Path, help="git work trees of real repositories")
    parser.add_argument(
        "--all", action="store_true", help="every built-in contract, not only the proposed ones"
    )
    parser.add_argument(
        "--contract", action="append", choices=CONTRACTS, help="only these contracts"
    )
    parser.add_argument(
        "--details", action="store_true", help="list every finding and unchecked rule"
    )
    parser.add_argument(
        "--conformance-cmd", help="how to run conformance (default: PATH, then .venv)"
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="passed to check and fix (`--param phase=complete`)",
    )
    parser.add_argument(
        "--apply",
        action="store_true",
        help="also apply the fix on a fresh copy and report the check it runs after",
    )
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    conformance = conformance_command(args.conformance_cmd)
    results: list[tuple[str, dict]] = []
    problems = 0
    with tempfile.TemporaryDirectory(prefix="conformance-field-") as workdir:
        for repo in args.repos:
            if not (repo / ".git").exists():
                print(f"field: skipping {repo}: not a git work tree", file=sys.stderr)
                continue
            copy = committed_copy(repo.resolve(), Path(workdir))
            contracts = args.contract or (CONTRACTS if args.all else proposed(conformance, copy))
            if not contracts:
                print(f"field: {repo.name}: no contract applies", file=sys.stderr)
            for contract in contracts:
                row = trial(conformance, copy, contract, args.param)
                if args.apply:
                    row["applied"] = applied(
                        conformance, repo.resolve(), Path(workdir), contract, args.param
                    )
                    if row["applied"]["traceback"]:
                        row["traceback"].append("fix (applied)")
                if row["traceback"] or row["check_code"] not in (0, 1) or row["init"] != 0:
                    problems += 1
                results.append((repo.name, row))
                print(f"field: {repo.name} {contract}: exit {row['check_code']}", file=sys.stderr)
            shutil.rmtree(copy)
    report = render(results, args.details)
    print(report, end="")
    if args.markdown:
        args.markdown.write_text(report, encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
