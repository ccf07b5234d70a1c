"""Real npm packages for the tests that prove generated code compiles.

Each set of packages is installed once into its own folder under
`$XDG_CACHE_HOME/conformance-tests/` (or `~/.cache/...`) and reused while the package list is the
same; a lock lets xdist workers share it. Without node, npm or the registry the test is skipped
loudly — it never passes unchecked.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest


def skip(why: str, subject: str, unchecked: str = "typechecked") -> None:
    reason = f"SKIPPED: {why} — {subject} was NOT {unchecked}"
    warnings.warn(reason, stacklevel=2)  # the warnings summary shows it without -rs
    pytest.skip(reason)


def npm_install(
    folder: str, packages: list[str], subject: str, unchecked: str = "typechecked"
) -> Path:
    """The node_modules holding `packages` (npm specs), installed on first use; `subject` and
    `unchecked` say what a skip leaves unchecked ("the Convex code", "typechecked")."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        skip("node or npm is not installed", subject, unchecked)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    cache = Path(base) / "conformance-tests" / folder
    cache.mkdir(parents=True, exist_ok=True)
    done, wanted = cache / ".installed", " ".join(packages) + "\n"
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists() or done.read_text() != wanted:
            flags = ["--prefix", str(cache), "--no-audit", "--no-fund", "--ignore-scripts"]
            install = subprocess.run(
                ["npm", "install", *flags, *packages],
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if install.returncode != 0:
                errors = [line for line in install.stderr.splitlines() if "error" in line]
                skip(f"npm install failed ({(errors or ['no output'])[0]})", subject, unchecked)
            done.write_text(wanted)
    return cache / "node_modules"
