"""Next.js apps: a folder with a next.config.*, or a package that depends on `next`, and its
router folders. Next.js reads `app/` and `pages/` at the project root and ignores `src/app` and
`src/pages` once those exist, so the router is `app/` when there is one, else `src/app/`."""

from __future__ import annotations

import posixpath
import re
from collections import namedtuple
from functools import cached_property

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from . import Discovery, Project

CONFIG_NAME = re.compile(r"next\.config\.[cm]?[jt]s$")
SOURCES = "**/*.{ts,tsx,js,jsx,mts,mjs}"

NextApp = namedtuple("NextApp", "path app_router pages_router source")
NextApp.__doc__ = """A Next.js project directory, its App Router folder (`app` or `src/app`,
None without one), its Pages Router folder, and where it was found."""


def _under(path: str, name: str) -> str:
    return name if path == "." else f"{path}/{name}"


class Next:
    def __init__(self, project: Project):
        self.project = project

    def router(self, path: str, kind: str) -> str | None:
        """The `app` (or `pages`) folder Next.js routes from: at the root, else under src/."""
        for candidate in (kind, f"src/{kind}"):
            if self.project.has_dir(_under(path, candidate)):
                return _under(path, candidate)
        return None

    @cached_property
    def apps(self) -> list[NextApp]:
        found: dict[str, str] = {}
        for config in self.project.named_like(CONFIG_NAME):
            directory = posixpath.dirname(config) or "."
            # A dot-folder holds a tool's generated app (react-email's preview), not the project's.
            if not any(part.startswith(".") for part in directory.split("/") if part != "."):
                found.setdefault(directory, f"holds {config.rpartition('/')[2]}")
        for package in self.project.workspace.depending_on("next"):
            if package not in found and (
                self.router(package, "app") or self.router(package, "pages")
            ):
                found[package] = "depends on next"
        return [
            NextApp(path, self.router(path, "app"), self.router(path, "pages"), source)
            for path, source in sorted(found.items())
        ]


def next_apps(project: Project, binding: dict[str, Any]) -> Discovery:
    from . import Discovery

    apps = project.next.apps
    return Discovery(
        [app.path for app in apps],
        [app.source for app in apps],
        "no Next.js app: no next.config.*, no package depending on next with app/ or pages/",
    )


def next_sources(project: Project, binding: dict[str, Any]) -> Discovery:
    from . import Discovery

    apps = project.next.apps
    return Discovery(
        [_under(app.path, SOURCES) for app in apps],
        [f"the Next.js app in {app.path} ({app.source})" for app in apps],
        "no Next.js app: no next.config.*, no package depending on next with app/ or pages/",
    )
