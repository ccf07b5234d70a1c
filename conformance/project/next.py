"""Next.js apps: a folder with a next.config.*, or a package that depends on `next`, and its
router folders.

Next.js (16.x, `findPagesDir` in next/dist/lib/find-pages-dir.js) looks for `app` and for `pages`
at the project root, else under `src/`, each on its own; when it finds both they must share a
parent folder ("`pages` and `app` directories should be under the same folder"). So `src/app` is
ignored once an `app/` exists at the root, and a new App Router folder goes where the Pages Router
folder is — never `app/` beside an existing `src/app` or `src/pages`."""

from __future__ import annotations

import json
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
None without one), its Pages Router folder (`pages` or `src/pages`, None without one), and where
it was found."""


def _under(path: str, name: str) -> str:
    return name if path in ("", ".") else f"{path}/{name}"


class Next:
    def __init__(self, project: Project):
        self.project = project

    def router(self, path: str, kind: str) -> str | None:
        """The `app` (or `pages`) folder Next.js routes from: at the root, else under src/."""
        for candidate in (kind, f"src/{kind}"):
            if self.project.has_dir(_under(path, candidate)):
                return _under(path, candidate)
        return None

    def app_router_for(self, path: str) -> str:
        """Where the app's App Router folder is, or where one must be created: beside its Pages
        Router folder (Next.js requires one parent for both), else in `src/` when the app keeps
        its code there, else at the project root."""
        existing = self.router(path, "app")
        if existing is not None:
            return existing
        pages = self.router(path, "pages")
        if pages is not None:
            return posixpath.join(posixpath.dirname(pages), "app")
        uses_src = self.project.has_dir(_under(path, "src"))
        return _under(path, "src/app" if uses_src else "app")

    def source_root(self, path: str) -> str:
        """The folder the app's own code lives in: where its tsconfig's first `paths` alias
        points (`@/*` → `./src/*`), when that is the app's root or a folder of it; else the
        parent of its App Router folder (`src` or the app's root)."""
        for _, folder in self.aliases(path):
            inside = folder == path or posixpath.dirname(folder) == path.strip(".")
            if inside and self.project.has_dir(folder):
                return folder
        return posixpath.dirname(self.app_router_for(path)) or "."

    def aliases(self, path: str) -> list[tuple[str, str]]:
        """(prefix, folder) of the app's tsconfig.json `paths` entries `prefix*` → [`folder/*`],
        in order (a tsconfig this one `extends` is not read)."""
        from ..model import FileProblem
        from .drizzle import strip_comments

        try:
            text = self.project.repo.text(_under(path, "tsconfig.json"))
            data = json.loads(re.sub(r",(\s*[}\]])", r"\1", strip_comments(text)))
        except (FileProblem, ValueError, RecursionError):
            return []
        options = data.get("compilerOptions") if isinstance(data, dict) else None
        if not isinstance(options, dict) or not isinstance(options.get("paths"), dict):
            return []
        base = options.get("baseUrl") if isinstance(options.get("baseUrl"), str) else "."
        found = []
        for pattern, targets in options["paths"].items():
            first = targets[0] if isinstance(targets, list) and targets else None
            if pattern.endswith("*") and isinstance(first, str) and first.endswith("*"):
                folder = posixpath.normpath(posixpath.join(path, base, first[:-1] or "."))
                found.append((pattern[:-1], folder))
        return found

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


def next_source_root(project: Project, binding: dict[str, Any]) -> Discovery:
    """The source folder of the Next.js app chosen for this check (`web_app`)."""
    from . import Discovery

    app = binding.get("web_app")
    if not isinstance(app, str):
        return Discovery([], [], "no Next.js app to find the source folder of")
    root = project.next.source_root(app)
    router = project.next.router(app, "app")
    where = f"{router}/ routes" if router else f"the App Router would be {root}/app"
    return Discovery([root], [where])
