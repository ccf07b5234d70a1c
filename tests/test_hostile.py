"""The hostile repository (tests/hostile.py) through every front door: `check` in each format, to
stdout and to a file, from git and from a plain directory, and `fix --dry-run`. Each run must end
on its own (a FIFO opened for reading would block forever), exit 1 with findings, print no
traceback and no raw control character, and name each unreadable file as "cannot check"."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import init_git
from hostile import FIFOS, GENERATED, materialise

FORMATS = ["text", "json", "github", "sarif", "junit", "html"]
# What a terminal acts on: C0 controls but tab and newline, DEL, C1, bidi controls, line separators.
RAW_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
# Files a rule reads: each is a "cannot check" finding of that rule.
UNREADABLE = [
    "packages/db/package.json",
    "containers/docker-compose.yml",
    "infra/anchors.yaml",
    "convex/users.ts",
    "convex/dangling.ts",
    "docs/loop.md",
    "docs/outside.md",
    "docs/huge.md",
]
# Manifests only discovery reads (is this package a Next.js app, a Prisma server…): the report
# lists them, so a value discovery did not find is not silently missing.
UNREAD_BY_DISCOVERY = [
    "apps/utf16/package.json",
    "apps/latin1/package.json",
    "apps/nul/package.json",
    "apps/surrogate/package.json",
    "apps/array/package.json",
    *(path for path in GENERATED if path.endswith("package.json")),
]


def conformance(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        timeout=30,
    )


@pytest.fixture(scope="module", params=["git", "walk"])
def hostile(request, tmp_path_factory) -> Path:
    root = materialise(tmp_path_factory.mktemp("hostile") / "repo")
    if request.param == "git":
        init_git(root)  # git leaves the FIFOs out; they are still on disk
    return root


@pytest.mark.parametrize("output", FORMATS)
def test_check_reports_findings_in_every_format(hostile, output):
    run = conformance("check", ".", "--format", output, cwd=hostile)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 1, run.stderr
    assert not RAW_CONTROL.search(run.stdout), RAW_CONTROL.search(run.stdout)
    if output == "json":
        unread = json.loads(run.stdout)["unread_by_discovery"]
        assert {note.partition(":")[0] for note in unread} >= set(UNREAD_BY_DISCOVERY)
    elif output == "sarif":
        sarif = json.loads(run.stdout)
        uris = [
            location["physicalLocation"]["artifactLocation"]["uri"]
            for result in sarif["runs"][0]["results"]
            for location in result.get("locations", [])
        ]
        assert all(re.fullmatch(r"[A-Za-z0-9\-._~%!$&'()*+,;=:@/]*", uri) for uri in uris), uris
    elif output == "junit":
        ET.fromstring(run.stdout)
    elif output == "html":
        assert run.stdout.count("<section ") == run.stdout.count("</section>") > 0


def test_text_names_every_unreadable_file(hostile):
    run = conformance("check", ".", cwd=hostile)
    lines = run.stdout.splitlines()
    # git lists no FIFO (it cannot hold one), so only a plain directory's check meets them.
    for path in UNREADABLE + (FIFOS[1:] if not (hostile / ".git").exists() else []):
        assert any(line.startswith(path) and "cannot check" in line for line in lines), path
    for path in UNREAD_BY_DISCOVERY + (FIFOS[:1] if not (hostile / ".git").exists() else []):
        assert any(line.startswith(f"not read by discovery: {path}:") for line in lines), path
    # A newline or an escape in a repository value cannot start a line of its own.
    assert not any(line.startswith("FAIL") for line in lines), run.stdout


def test_report_to_a_file(hostile, tmp_path):
    report = tmp_path / "report.xml"
    run = conformance("check", ".", "--format", "junit", "--output", str(report), cwd=hostile)
    assert run.returncode == 1, run.stderr
    ET.parse(report)


def test_fix_dry_run_plans_without_deleting_what_is_not_drizzle_output(hostile):
    run = conformance("fix", ".", "--dry-run", cwd=hostile)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 1, run.stderr
    assert not re.search(r"^remove +apps", run.stdout, re.MULTILINE), run.stdout
