"""`conformance init`: detect a contract's parameters in a repository and write conformance.yaml."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from .contract import CONFIG_NAME, load_contract
from .model import UsageError
from .repo import RepoView

COMPOSE_NAMES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")
COMPOSE_DIRS = ("", "containers", "docker", "infra", "deploy", ".devcontainer")
DATA_LAYER_PACKAGES = ("drizzle-orm", "pg", "postgres", "@prisma/client", "prisma", "convex")


def workspace_packages(repo: RepoView) -> list[str]:
    """Package directories named by pnpm-workspace.yaml's `packages` or package.json's
    `workspaces` globs (a directory counts when it holds a package.json)."""
    globs: list[str] = []
    if repo.is_file("pnpm-workspace.yaml"):
        data = repo.yaml("pnpm-workspace.yaml").data or {}
        globs += [g for g in data.get("packages") or [] if isinstance(g, str)]
    if repo.is_file("package.json"):
        workspaces = repo.json("package.json").data.get("workspaces") or []
        if isinstance(workspaces, dict):
            workspaces = workspaces.get("packages") or []
        globs += [g for g in workspaces if isinstance(g, str)]
    found = []
    for pattern in globs:
        if pattern.startswith("!"):
            continue
        for manifest in repo.glob(pattern.rstrip("/") + "/package.json", files_only=True):
            found.append(manifest.rpartition("/")[0])
    return sorted(set(found))


def _dependencies(repo: RepoView, package: str) -> set[str]:
    data = repo.json(f"{package}/package.json").data
    sections = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
    return {name for section in sections for name in (data.get(section) or {})}


def detect_package(repo: RepoView) -> tuple[str, str] | None:
    """(package, why) for the workspace package that holds the data layer."""
    for package in workspace_packages(repo):
        used = sorted(_dependencies(repo, package) & set(DATA_LAYER_PACKAGES))
        if used:
            return package, f"depends on {', '.join(used)}"
    for package in workspace_packages(repo):
        if package.rpartition("/")[2] in ("db", "database", "data"):
            return package, "named like a data-layer package"
    return None


def detect_compose(repo: RepoView) -> tuple[str, str] | None:
    from .rules.compose import image_repository

    candidates = [
        f"{directory}/{name}".lstrip("/") for directory in COMPOSE_DIRS for name in COMPOSE_NAMES
    ]
    present = [path for path in candidates if repo.is_file(path)]
    for path in present:
        try:
            services = repo.compose_services(path)
        except Exception:  # a malformed compose file is the check's business, not init's
            continue
        for service in services:
            if service.image and "postgres" in image_repository(service.image):
                return path, f"service `{service.name}` runs {service.image}"
    return (present[0], "the only compose file found") if len(present) == 1 else None


def detect_active_docs(repo: RepoView, defaults: list[str]) -> tuple[list[str], str] | None:
    present = [path for path in defaults if repo.is_file(path)]
    return (present, "exist in this repository") if present else None


def render_config(root: Path, contract_name: str) -> tuple[str, list[str]]:
    """The commented conformance.yaml for `contract_name`, and what was detected."""
    contract = load_contract(contract_name, root)
    repo = RepoView(root)
    detectors = {
        "package": lambda: detect_package(repo),
        "compose_file": lambda: detect_compose(repo),
        "active_docs": lambda: detect_active_docs(repo, contract.parameters["active_docs"]),
    }
    lines = [
        f"# Written by `conformance init` on {datetime.date.today().isoformat()}.",
        "# Check with `conformance check`, preview repairs with `conformance fix --dry-run`;",
        "# `conformance explain RULE_ID` tells what a rule checks and why.",
        "contracts:",
        f"  - contract: {contract.name}",
        "    parameters:",
    ]
    detected = []
    for name, default in contract.parameters.items():
        found = detectors[name]() if name in detectors else None
        help_text = contract.parameter_help.get(name, "")
        if found is None:
            lines.append(f"      # {help_text} (default)")
            lines.append(f"      # {name}: {json.dumps(default)}")
            continue
        value, why = found
        detected.append(f"{name}: {value} ({why})")
        lines.append(f"      # {help_text} Detected: {why}.")
        lines.append(f"      {name}: {json.dumps(value)}")
    lines += [
        "# Accepted exceptions: a rule (and optionally a path glob), why, and until when.",
        "# waivers:",
        "#   - rule: RULE_ID",
        "#     path: some/file",
        "#     reason: why this is acceptable for now",
        "#     expires: YYYY-MM-DD",
    ]
    return "\n".join(lines) + "\n", detected


def init(root: Path, contract_name: str) -> list[str]:
    """Write root/conformance.yaml; never over an existing one. Returns what was detected."""
    from .fix import atomic_write

    target = root / CONFIG_NAME
    if target.exists() or target.is_symlink():
        raise UsageError(f"{CONFIG_NAME} already exists in {root}; not overwritten")
    text, detected = render_config(root, contract_name)
    atomic_write(target, text)
    return detected
