"""Start-up as a user meets it: `conformance` installed from a wheel (pip compiles bytecode) and
as the editable install of `make`, timed side by side on the embedded kata fixture.

    python bench/startup.py [--runs 15] [--json] [--before PYTHONPATH [--before-python PY]]

Builds the wheel of this checkout (`pip wheel --no-deps --no-build-isolation`), installs it
with its dependencies into a virtualenv cached under the bench cache folder (rebuilt when the
wheel changes), compiles the editable checkout's bytecode, then runs each command on each side
interleaved (A B C, A B C, ...) and reports the median wall time, CPU time (user + sys of the
child, from `os.wait4`: less sensitive to other load on the machine) and the peak RSS of one
more run under GNU time. `--before`
adds a side running `python -m conformance` from another checkout (the code before a change),
with `-m` on the editable side too, so the two compare alike. The children run in an empty
folder with the PYTHON* variables that change start-up (no bytecode writing, unbuffered
output) removed from their environment, as a user's shell has them. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KATA = ROOT / "fixtures" / "kata-before"
# (name, arguments, the exit codes that mean it ran as expected)
COMMANDS = [
    ("--help", ["--help"], {0}),
    ("check kata-before", ["check", str(KATA)], {1}),
    ("fix --dry-run kata-before", ["fix", "--dry-run", str(KATA)], {1}),
]
DROPPED_ENV = ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PYTHONPATH", "PYTHONHOME")


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "conformance-bench" / "startup"


def wheel_install(cache: Path) -> Path:
    """The `conformance` script of a virtualenv holding this checkout's wheel."""
    with tempfile.TemporaryDirectory() as dist:
        pip_wheel = ["pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
        subprocess.run(
            [sys.executable, "-m", *pip_wheel, "--wheel-dir", dist, str(ROOT)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        [wheel] = Path(dist).glob("repo_conformance-*.whl")
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()[:16]
        venv = cache / "venv"
        marker = venv / ".wheel-sha256"
        if not (marker.is_file() and marker.read_text() == digest):
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run(
                [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            marker.write_text(digest)
    return venv / "bin" / "conformance"


def editable_install() -> Path:
    """The editable install's script, its package compiled to bytecode as `make` leaves it."""
    python = ROOT / ".venv" / "bin" / "python"
    subprocess.run([str(python), "-m", "compileall", "-q", str(ROOT / "conformance")], check=True)
    return ROOT / ".venv" / "bin" / "conformance"


def measure(argv: list[str], env: dict[str, str], cwd: str) -> tuple[float, float, int]:
    """One run: wall seconds, CPU seconds (user + sys) and exit code of the child."""
    start = time.perf_counter()
    child = subprocess.Popen(
        argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def peak_rss_mb(argv: list[str], env: dict[str, str], cwd: str) -> float | None:
    """Peak RSS of one run, from GNU time: a child's own ru_maxrss starts at the size of the
    process that forked it (this script), so it cannot be read from `os.wait4` here."""
    if not os.access("/usr/bin/time", os.X_OK):
        return None
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *argv], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False,
    )  # fmt: skip
    return round(int(done.stderr.strip().splitlines()[-1]) / 1024, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command and side")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--before", metavar="PYTHONPATH", help="checkout of the code before")
    parser.add_argument(
        "--before-python", default=sys.executable, help="interpreter for --before's side"
    )
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    sides: dict[str, tuple[list[str], dict[str, str]]] = {
        "wheel": ([str(wheel_install(cache_folder()))], env),
        "editable": ([str(editable_install())], env),
    }
    if args.before:
        python = str(ROOT / ".venv" / "bin" / "python")
        sides["editable -m"] = ([python, "-m", "conformance"], {**env, "PYTHONPATH": str(ROOT)})
        before_env = {**env, "PYTHONPATH": args.before}
        sides["before -m"] = ([args.before_python, "-m", "conformance"], before_env)

    samples: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
    rss: dict[tuple[str, str], float | None] = {}
    with tempfile.TemporaryDirectory() as cwd:  # no checkout on sys.path through the cwd
        for run in range(args.runs + 1):  # the first round warms the caches, untimed
            for name, command, expected in COMMANDS:
                for side, (prefix, side_env) in sides.items():
                    sample = measure([*prefix, *command], side_env, cwd)
                    if sample[2] not in expected:
                        raise SystemExit(f"{side}: `{name}` exited {sample[2]}, not {expected}")
                    if run:
                        samples.setdefault((side, name), []).append(sample)
        for name, command, _ in COMMANDS:
            for side, (prefix, side_env) in sides.items():
                rss[side, name] = peak_rss_mb([*prefix, *command], side_env, cwd)

    figures = {
        side: {
            name: {
                "wall_ms": round(statistics.median(s[0] for s in samples[side, name]) * 1000, 1),
                "cpu_ms": round(statistics.median(s[1] for s in samples[side, name]) * 1000, 1),
                "peak_rss_mb": rss[side, name],
            }
            for name, _, _ in COMMANDS
        }
        for side in sides
    }
    if args.json:
        print(json.dumps({"runs": args.runs, "python": sys.version.split()[0], **figures}))
        return 0
    print(f"median of {args.runs} interleaved runs (Python {sys.version.split()[0]})\n")
    print("| command | " + " | ".join(f"{side}: wall / CPU / RSS" for side in sides) + " |")
    print("|---|" + "---|" * len(sides))
    for name, _, _ in COMMANDS:
        cells = [
            "{wall_ms:.1f} / {cpu_ms:.1f} ms / {peak_rss_mb} MB".format(**figures[side][name])
            for side in sides
        ]
        print(f"| `{name}` | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
