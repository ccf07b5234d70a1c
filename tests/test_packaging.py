"""Installed from a wheel (not editable), the tool still finds its contracts and templates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

from conftest import FIXTURES, ROOT

PIP = [sys.executable, "-m", "pip", "--quiet"]
ARGS = ["--contract", "convex-adoption", "--format", "json"]


def test_wheel_carries_contracts_and_templates_and_runs(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [*PIP, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [wheel] = dist.glob("repo_conformance-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    metadata = zipfile.ZipFile(wheel).read("repo_conformance-0.1.0.dist-info/METADATA").decode()
    # `conformance` on the package index is another project: ours installs as repo-conformance.
    assert "\nName: repo-conformance\n" in metadata
    assert "\nLicense-Expression: MIT\n" in metadata
    assert "Classifier: Topic :: Software Development :: Quality Assurance" in metadata
    assert "Project-URL: Homepage, https://pypi.org/project/repo-conformance/" in metadata
    license_text = zipfile.ZipFile(wheel).read("repo_conformance-0.1.0.dist-info/licenses/LICENSE")
    assert license_text.startswith(b"MIT License")
    assert "conformance/contracts/convex-adoption.yaml" in names
    assert "conformance/_templates/convex-adoption/convex/schema.ts.j2" in names
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))
    )
    assert b"conformance = conformance.plugin" in entry_points

    site = tmp_path / "site"
    subprocess.run(
        [*PIP, "install", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = "import conformance, sys; print(conformance.__file__)"
    where = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert where.stdout.startswith(str(site))
    result = subprocess.run(
        [sys.executable, "-m", "conformance", "check", str(FIXTURES / "kata-half"), *ARGS],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["summary"]["findings"] == 16
    # The fix renders the templates shipped in the wheel.
    dry_run = subprocess.run(
        [sys.executable, "-m", "conformance", "fix", "--dry-run", str(FIXTURES / "kata-before")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert dry_run.returncode == 1, dry_run.stderr
    assert "+export default http;\n" in dry_run.stdout


def test_every_install_instruction_names_this_distribution():
    """`pip install conformance` would install an unrelated project of the same name."""
    texts = {path: path.read_text() for path in [ROOT / "README.md", *ROOT.glob("*/README.md")]}
    for path, text in texts.items():
        for line in text.splitlines():
            if "pip install" in line and "-e" not in line.split("pip install")[1].split():
                assert "repo-conformance" in line, f"{path.name}: {line.strip()}"
    assert "pip install repo-conformance" in texts[ROOT / "README.md"]
