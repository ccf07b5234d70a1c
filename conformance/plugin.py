"""pytest plugin: `pytest --conformance=PATH` checks PATH's contracts, one test item per rule.

Registered through the `pytest11` entry point, so it is loaded by every pytest of an
environment the package is installed in, whatever that pytest's version: it needs pytest 7.0
(`pytest.StashKey`, `pytest_collect_file(file_path)`). Under an older pytest it only adds its
options, and says what it needs when they are used, rather than break every run. The items
live in `pytest_items`; the engine is imported only when it is used.
"""

from __future__ import annotations

import re

import pytest

REQUIRED = (7, 0)


def _version(text: str) -> tuple[int, int]:
    """(6, 2) of "6.2.5", (8, 0) of "8.0.0rc1"."""
    match = re.match(r"(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2])) if match else (0, 0)


SUPPORTED = _version(pytest.__version__) >= REQUIRED


def pytest_addoption(parser) -> None:
    group = parser.getgroup("conformance", "architectural contracts")
    group.addoption(
        "--conformance",
        action="append",
        nargs="?",
        const=".",
        dest="conformance_paths",
        metavar="PATH",
        help="check the contracts of the repository at PATH (default .), one item per rule",
    )
    group.addoption(
        "--conformance-contract",
        action="append",
        dest="conformance_contracts",
        metavar="NAME|FILE",
        help="contract to check instead of the repository's config",
    )
    parser.addini(
        "conformance",
        type="paths" if SUPPORTED else "pathlist",
        help="repositories whose contracts to check",
    )


if SUPPORTED:
    from .pytest_items import conformance_repo, pytest_collect_file, pytest_configure  # noqa: F401
else:

    def pytest_configure(config) -> None:
        if config.getoption("conformance_paths") or config.getini("conformance"):
            raise pytest.UsageError(
                f"conformance: the pytest plugin needs pytest>={'.'.join(map(str, REQUIRED))}; "
                f"this is pytest {pytest.__version__} (pip install 'repo-conformance[pytest]')"
            )
