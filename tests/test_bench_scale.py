"""bench/scale.py: the smoke run produces the scaling table, the other benchmarks' outputs are read
(or reported as not measured), and its two assertions (fast vs full listing, the shared cached
repositories never regenerated) really fail when they should. No npm, no network."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import scale  # noqa: E402
from run import BenchError, Tool  # noqa: E402


def test_quick_run_writes_the_table(tmp_path: Path) -> None:
    report = tmp_path / "RESULTS.md"
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH / "scale.py"),
            "--quick",
            "--no-repolinter",
            "--no-extras",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--conformance-cmd",
            f"{sys.executable} -m conformance",
            "--markdown",
            str(report),
            "--check-targets",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # One run per tool cannot meet the targets: --check-targets says so with exit 1, not 0 or 2.
    assert proc.returncode == 1, proc.stderr
    text = report.read_text(encoding="utf-8")
    assert text == proc.stdout.removesuffix("\n")  # print() adds one newline
    assert re.search(
        r"^\| [\d,]+ \(quick\) \| 10 \| 300 \| [\d.,]+ \| [\d.,]+ \| [\d.]+ "
        r"\| not measured \| not measured \| not measured \| — \| — \|$",
        text,
        re.M,
    ), text
    assert "quick: not compared (--no-repolinter); conformance: 31 findings from 15 rules; " in text
    assert re.search(r"^\| quick: conformance median wall \| [\d.,]+ ms \| ≤ 40 ms \|", text, re.M)
    assert re.search(r"^\| quick: conformance peak RSS \| [\d.]+ MB \| ≤ 30 MB \|", text, re.M)
    assert "| timed runs per tool | 1 | ≥ 7 | **MISS** |" in text
    assert "with `CONFORMANCE_LISTING=full` is byte-identical" in text
    assert re.search(r"^- cores: \d+", text, re.M) and re.search(r"^- git: \d", text, re.M)


def write_script(folder: Path, name: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(body, encoding="utf-8")


def test_other_benchmarks_are_read_or_reported_missing(tmp_path: Path) -> None:
    ts = [
        {
            "contract": "convex-auth",
            "files": 2000,
            "ms_total": 600.0,
            "ms_per_file": 0.3,
            "peak_rss_mb": 71.5,
            "findings": 12,
        }
    ]
    write_script(tmp_path, "typescript.py", f"print({json.dumps(json.dumps(ts))})\n")
    write_script(
        tmp_path, "history.py", "import sys\nprint('boom', file=sys.stderr)\nsys.exit(3)\n"
    )
    write_script(tmp_path, "startup.py", "print('not json')\n")

    typescript = scale.run_extra(scale.EXTRAS["typescript"], tmp_path)
    assert [(r.label, r.measured, r.target, r.verdict) for r in typescript.rows] == [
        (
            "convex-auth: 2,000 files, 12 findings, 600 ms in all",
            "0.300 ms/file",
            "≤ 0.350 ms/file",
            "PASS",
        ),
        ("convex-auth: peak RSS", "71.5 MB", "≤ 60 MB", "**MISS**"),
    ]
    history = scale.run_extra(scale.EXTRAS["history"], tmp_path)
    assert [(r.measured, r.met) for r in history.rows] == [("exit 3: boom", False)]
    startup = scale.run_extra(scale.EXTRAS["startup"], tmp_path)
    assert [(r.label, r.met) for r in startup.rows] == [("reading its --json output", False)]
    gate = scale.run_extra(scale.EXTRAS["gate"], tmp_path)
    assert gate.missing == "not measured: bench/gate.py does not exist yet"
    write_script(tmp_path, "gate.py", "import sys\nprint('| full | 90 |')\nsys.exit(1)\n")
    gate = scale.run_extra(scale.EXTRAS["gate"], tmp_path)
    assert gate.text == "| full | 90 |"
    assert [(r.measured, r.verdict) for r in gate.rows] == [("exit 1", "**MISS**")]


def test_startup_json_marks_fix_against_100_ms() -> None:
    # The shape bench/startup.py --json prints.
    figures = {
        "check kata-before": {"wall_ms": 31.0, "cpu_ms": 30.5, "peak_rss_mb": 13.0},
        "fix --dry-run kata-before": {"wall_ms": 120.0, "cpu_ms": 119.0, "peak_rss_mb": 24.0},
    }
    data = {"runs": 15, "python": "3.11.7", "wheel": figures}
    rows = scale.read_startup(json.dumps(data))
    assert [(r.label, r.measured, r.verdict) for r in rows] == [
        ("wheel: `check kata-before`", "31.0 ms, CPU 30.5 ms, 13.0 MB", ""),
        ("wheel: `fix --dry-run kata-before`", "120.0 ms, CPU 119.0 ms, 24.0 MB", "**MISS**"),
    ]


def test_fast_and_full_listing_disagreeing_stops_the_benchmark(tmp_path: Path) -> None:
    prints_listing = "import os; print(os.environ.get('CONFORMANCE_LISTING', 'fast'))"
    tool = Tool("conformance", [sys.executable, "-c", prints_listing], ok_codes=(0, 1))
    with pytest.raises(
        BenchError, match=r"the fast and the full listing disagree .*'fast' vs 'full'"
    ):
        scale.compare_listings(tool, tmp_path, tmp_path)
    same = Tool("conformance", [sys.executable, "-c", "print('x')"], ok_codes=(0, 1))
    scale.compare_listings(same, tmp_path, tmp_path)


def test_a_cached_repository_is_never_regenerated(tmp_path: Path) -> None:
    repo = tmp_path / "repo-p10-f10-nm300"
    (repo / ".git").mkdir(parents=True)
    (repo / "kept.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(BenchError, match=r"without a readable conformance-bench\.json"):
        scale.ensure_repo(tmp_path, 10, 10, 300)
    marker = {"params": {"packages": 10, "files_per_package": 10, "node_modules_files": 5}}
    (repo / ".git" / "conformance-bench.json").write_text(json.dumps(marker), encoding="utf-8")
    with pytest.raises(BenchError, match="generated with other parameters"):
        scale.ensure_repo(tmp_path, 10, 10, 300)
    assert (repo / "kept.txt").read_text(encoding="utf-8") == "mine"
