"""`conformance init`: write a conformance.yaml from what the project model discovers.

Every parameter a contract discovers is written down with where it came from, so the file
documents the repository and later checks do not depend on discovery. Without `--contract`, the
built-in contracts whose subject exists here are proposed (a Drizzle config: convex-adoption;
Convex functions: convex-auth and convex-to-postgres; a Prisma schema: prisma-to-convex): one is
written as the contract, several are written commented out to choose from. The file is parsed
and validated before it is written: `check` always accepts it.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from .contract import (
    BUILTIN_DIR,
    CONFIG_NAME,
    builtin_names,
    config_document,
    load_contract,
    read_yaml,
)
from .model import UsageError
from .project import Project, project_of
from .repo import RepoView, parse_yaml

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .parameters import Resolution

HEADER = [
    "# Check with `conformance check`, preview repairs with `conformance fix --dry-run`;",
    "# `conformance explain RULE_ID` tells what a rule checks and why.",
]
WAIVERS = [
    "# Accepted exceptions: a rule (and optionally a path glob), why, and until when.",
    "# waivers:",
    "#   - rule: RULE_ID",
    "#     path: some/file",
    "#     reason: why this is acceptable for now",
    "#     expires: YYYY-MM-DD",
]


def proposals(project: Project) -> list[tuple[str, str]]:
    """(contract, why) for each built-in contract whose `subject` fact finds something here."""
    found = []
    for name in builtin_names():
        subject = read_yaml(BUILTIN_DIR / f"{name}.yaml", name).data.get("subject")
        if subject is None:
            continue
        discovery = project.discover(subject, {})
        if discovery.values:
            evidence = ", ".join(
                f"{value} ({source})" if source else str(value)
                for value, source in zip(discovery.values, discovery.sources, strict=False)
            )
            found.append((name, evidence))
    return found


def render_contract(root: Path, name: str, project: Project) -> tuple[list[str], list[str]]:
    """The YAML lines of one `contracts:` entry with its discovered parameters, and a summary
    line per parameter for the terminal."""
    contract = load_contract(name, root, project=project)
    declared = read_yaml(*_contract_file(name, root)).data.get("parameters") or {}
    lines = [f"  - contract: {contract.name}", "    parameters:"]
    active: list[str] = []
    said: list[str] = []
    for resolution in contract.resolutions:
        spec = declared[resolution.name]
        help_text = " ".join(contract.parameter_help.get(resolution.name, "").split())
        if "discover" not in spec:
            continue
        block, summary = _parameter(resolution, spec, project, help_text)
        active += block
        said.append(summary)
    if not any(not line.lstrip().startswith("#") for line in active):
        lines[-1] = "    parameters: {}"
    lines += active
    fixed = [r for r in contract.resolutions if "discover" not in declared[r.name]]
    if fixed:
        lines.append("      # Fixed by the contract; set one here to change it:")
        lines += [f"      # {r.name}: {json.dumps(r.values[0])}" for r in fixed]
    return lines, said


def _contract_file(name: str, root: Path) -> tuple[Path, str]:
    from .contract import contract_path

    return contract_path(name, root)


def _parameter(
    resolution: Resolution, spec: dict[str, Any], project: Project, help_text: str
) -> tuple[list[str], str]:
    import textwrap

    name = resolution.name
    comment = textwrap.wrap(help_text, 94, initial_indent="      # ", subsequent_indent="      # ")
    proposed = None
    if resolution.origin == "undiscovered":
        proposed = project.discover(spec["discover"], {}).proposed
    if proposed is not None and proposed.values:
        values, sources = proposed.values, proposed.sources
    elif resolution.origin == "discovered":
        values, sources = resolution.values, resolution.sources
    else:
        reason = resolution.reason or "not found"
        fallback = (
            f"; the contract's default applies: {json.dumps(spec['default'])}"
            if ("default" in spec)
            else ""
        )
        note = f"{name}: not found: {reason}{fallback}"
        wrapped = textwrap.wrap(note, 94, initial_indent="      # ", subsequent_indent="      #   ")
        return [*comment, *wrapped], f"{name}: not found ({reason}){fallback}"
    scalar = len(values) == 1 and not _is_list_fact(spec["discover"])
    if scalar:
        where = sources[0] if sources else ""
        return (
            [*comment, f"      {name}: {json.dumps(values[0])}  # from: {where}"],
            f"{name}: {values[0]} ({where})",
        )
    several = (
        "  # several candidates, each is checked: keep the ones that apply"
        if (not _is_list_fact(spec["discover"]) and len(values) > 1)
        else ""
    )
    block = [*comment, f"      {name}:{several}" if values else f"      {name}: []"]
    for value, source in zip(values, sources or [""] * len(values), strict=False):
        block.append(f"        - {json.dumps(value)}" + (f"  # from: {source}" if source else ""))
    shown = ", ".join(map(str, values)) or "none"
    return block, f"{name}: {shown}"


def _is_list_fact(fact: str) -> bool:
    from .project import each

    return not each(fact)


def render_config(root: Path, contracts: list[str] | None) -> tuple[str, list[str]]:
    """The commented conformance.yaml, and what to tell the user."""
    project = project_of(RepoView(root))
    lines = [f"# Written by `conformance init` on {datetime.date.today().isoformat()}.", *HEADER]
    said: list[str] = []
    if contracts:
        lines.append("contracts:")
        for name in contracts:
            entry, summary = render_contract(root, name, project)
            lines += entry
            said += [f"{name}: {line}" for line in summary]
    else:
        proposed = proposals(project)
        if len(proposed) == 1:
            name, why = proposed[0]
            said.append(f"{name}: proposed, because this repository has {why}")
            lines += [f"# {name}: proposed, because this repository has {why}.", "contracts:"]
            entry, summary = render_contract(root, name, project)
            lines += entry
            said += [f"{name}: {line}" for line in summary]
        elif proposed:
            lines += [
                "# Several built-in contracts apply here; each is a decision only you can make.",
                "# Uncomment the ones you have decided on (or run `conformance init --contract "
                "NAME` in a fresh checkout).",
                "contracts: []",
            ]
            for name, why in proposed:
                said.append(f"{name}: applies, because this repository has {why}")
                entry, _ = render_contract(root, name, project)
                lines += ["", f"# {name}: this repository has {why}."]
                lines += [f"#{line}" for line in ["contracts:", *entry]]
        else:
            lines += [
                "# No built-in contract's subject was found here (no Drizzle config, Convex",
                "# functions or Prisma schema). Name one (`conformance init --contract NAME`)",
                f"# or write your own: built in are {', '.join(builtin_names())}.",
                "contracts: []",
            ]
            said.append(
                "no built-in contract applies: no Drizzle config, Convex functions or "
                "Prisma schema found"
            )
    unread = _unread(project)
    if unread:
        lines += ["# Could not be read, so discovery did without them (fix them, run init again):"]
        lines += [f"#   {_comment(note)}" for note in unread]
        said += [f"could not read {note}" for note in unread]
    lines += WAIVERS
    text = "\n".join(lines) + "\n"
    _validate(text)
    return text, said


def _unread(project: Project) -> list[str]:
    """`path:line: why` of every workspace file discovery could not use."""
    workspace = project.workspace
    for package in workspace.packages:
        workspace.manifest(package.path)
    return list(dict.fromkeys([*workspace.definition_problems, *workspace.unreadable]))


def _comment(note: str) -> str:
    """A note on one comment line: line breaks and control characters from a file shown as
    escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in note)


def _validate(text: str) -> None:
    """Parse and validate what is about to be written: init never writes a file check refuses."""
    from .schema import validate

    document = parse_yaml(CONFIG_NAME, text)
    validate(document, "config")


def init(root: Path, contracts: list[str] | None) -> list[str]:
    """Write root/conformance.yaml; never over an existing one. Returns what to tell the user."""
    from .fix import atomic_write

    target = root / CONFIG_NAME
    if target.exists() or target.is_symlink():
        raise UsageError(f"{CONFIG_NAME} already exists in {root}; not overwritten")
    existing = config_document(root)
    if existing is not None:  # [tool.conformance]: a conformance.yaml beside it would clash
        raise UsageError(
            f"[tool.conformance] already configures {root}", existing.path, existing.line_of()
        )
    text, said = render_config(root, contracts)
    atomic_write(target, text)
    return said
