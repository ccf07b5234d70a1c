"""Active documentation: the root README, CONTRIBUTING and ARCHITECTURE files, agent instructions
anywhere (AGENTS.md, CLAUDE.md, GEMINI.md, .cursorrules, copilot-instructions.md) and the
`docs/` folder. Historical records (plans, ADRs, changelogs) are the contracts' to exempt."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from . import Discovery, Project

ROOT_DOCS = ("README.md", "CONTRIBUTING.md", "ARCHITECTURE.md")
AGENT_DOCS = ("AGENTS.md", "CLAUDE.md", "GEMINI.md", ".cursorrules", "copilot-instructions.md")
DOCS_FOLDER = "docs/**/*.{md,mdx,mermaid,txt}"


def active_docs(project: Project, binding: dict[str, Any]) -> Discovery:
    from . import Discovery

    found: dict[str, str] = {}
    for name in ROOT_DOCS:
        if project.has_file(name):
            found[name] = "at the root"
    for path in project.named(*AGENT_DOCS):
        found.setdefault(path, "agent instructions")
    if project.has_dir("docs"):
        found[DOCS_FOLDER] = "the docs/ folder"
    return Discovery(
        list(found),
        list(found.values()),
        "no docs: no README.md, CONTRIBUTING.md, ARCHITECTURE.md, agent instructions or docs/",
    )
