"""The package reads bottom-up (shared/ARCHITECTURE.md): no module imports one on a floor above
its own, at the top of the file or inside a function; imports only type checkers read do not
count."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "conformance"

# Floors, bottom first: a module may import its own floor and the ones below.
FLOORS = [
    {
        "__init__",
        "model",
        "globs",
        "jsonlines",
        "lines",
        "repo",
        "shapes",
        "typescript",
        "containment",
        "usercache",
        "yamlcache",
        "tomlconfig",
        "listing",
    },  # files
    {"translate", "edit", "workspace", "templates"},  # translation and edits
    {"project"},  # what the repository is
    {"rules"},  # rule kinds
    {"contract", "schema", "parameters", "baseline"},  # contracts, and the findings accepted
    {"engine"},
    {"formats", "html_report", "burndown", "fix"},  # reports and repair
    {"cli", "plugin", "pytest_items", "init", "history", "terminal", "__main__"},  # front-ends
]


def floor_of(module: str) -> int:
    top = module.split(".")[0]
    for number, names in enumerate(FLOORS):
        if top in names:
            return number
    raise AssertionError(f"conformance.{module} is on no floor: add it to FLOORS")


def runtime_imports(path: Path) -> set[str]:
    """Modules of the package a file imports outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    relative = path.relative_to(PACKAGE).with_suffix("").parts
    skipped = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If)
        and isinstance(block.test, ast.Name)
        and block.test.id == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(relative[: len(relative) - node.level])
            target = [*base, *(node.module.split(".") if node.module else [])]
            found.add(".".join(target) or "__init__")  # `from . import __version__`
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("conformance."):
            found.add(node.module.removeprefix("conformance."))
    return found


def test_no_module_imports_a_floor_above_its_own():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for imported in runtime_imports(path):
            if floor_of(imported) > floor_of(module):
                wrong.append(f"{module} (floor {floor_of(module)}) imports {imported}")
    assert wrong == []


def test_the_floors_cover_every_module():
    for path in PACKAGE.rglob("*.py"):
        floor_of(".".join(path.relative_to(PACKAGE).with_suffix("").parts))
