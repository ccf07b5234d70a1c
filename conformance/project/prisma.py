"""Prisma: schemas (a `schema.prisma` anywhere, a multi-file schema folder of `.prisma` files,
package.json `prisma.schema`, `prisma.config.*`), Prisma Migrate directories (the folder holding
`migration_lock.toml`, whatever it is called), and the packages that use Prisma — directly, or
through a workspace package that does (a shared `@repo/db` exporting the client)."""

from __future__ import annotations

import posixpath
import re
from functools import cached_property

from . import relative

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from . import Discovery, Project

PRISMA_PACKAGES = ("@prisma/client", "prisma")
SERVER_FRAMEWORKS = (
    "express",
    "fastify",
    "hono",
    "koa",
    "socket.io",
    "@nestjs/core",
    "@hapi/hapi",
    "elysia",
)
SOURCES = "**/*.{ts,tsx,mts,cts,js,jsx,mjs}"
_CONFIG = re.compile(r"prisma\.config\.[cm]?[jt]s$")


class Prisma:
    def __init__(self, project: Project):
        self.project = project

    @cached_property
    def schemas(self) -> list[tuple[str, str]]:
        """(schema file or folder, where it was found)."""
        found: dict[str, str] = {}
        files = self.project.named_like(re.compile(r".*\.prisma$"))
        folders = {
            posixpath.dirname(f)
            for f in files
            if sum(posixpath.dirname(g) == posixpath.dirname(f) for g in files) > 1
        }
        for path in files:
            folder = posixpath.dirname(path)
            if folder in folders:
                found.setdefault(folder, "a multi-file Prisma schema")
            else:
                found.setdefault(path, "a Prisma schema")
        for config in self.project.named_like(_CONFIG):
            found.setdefault(config, "Prisma's config")
        for package in self.packages:
            manifest = self.project.workspace.manifest(package)
            prisma = manifest.get("prisma")
            schema = prisma.get("schema") if isinstance(prisma, dict) else None
            if isinstance(schema, str):
                path = relative(schema, package)
                if self.project.has_file(path) or self.project.has_dir(path):
                    found.setdefault(path, f'{package}/package.json "prisma.schema"')
        return sorted(found.items())

    @cached_property
    def migrations(self) -> list[str]:
        return sorted(
            posixpath.dirname(lock) or "." for lock in self.project.named("migration_lock.toml")
        )

    @cached_property
    def packages(self) -> list[str]:
        """Packages that use Prisma: they declare it, or a workspace package that declares it."""
        workspace = self.project.workspace
        direct = workspace.depending_on(*PRISMA_PACKAGES)
        names = {
            name
            for package in direct
            if isinstance(name := workspace.manifest(package).get("name"), str)
        }
        through = workspace.depending_on(*names) if names else []
        return list(dict.fromkeys([*direct, *through]))


def schemas(project: Project, binding: dict[str, Any]) -> Discovery:
    from . import Discovery

    found = project.prisma.schemas
    return Discovery(
        [path for path, _ in found],
        [source for _, source in found],
        "no Prisma schema: no .prisma file, no prisma.config.*",
    )


def migrations(project: Project, binding: dict[str, Any]) -> Discovery:
    from . import Discovery

    found = project.prisma.migrations
    return Discovery(
        found,
        ["holds migration_lock.toml"] * len(found),
        "no Prisma Migrate directory (no migration_lock.toml)",
    )


def server_packages(project: Project, binding: dict[str, Any]) -> Discovery:
    """Node servers that use Prisma: they use it and declare a server framework."""
    from . import Discovery

    workspace = project.workspace
    apps = {app.path for app in project.next.apps}
    found = []
    for package in project.prisma.packages:
        frameworks = sorted(set(workspace.dependencies(package)) & set(SERVER_FRAMEWORKS))
        if frameworks and package not in apps:
            found.append((package, f"uses Prisma and {', '.join(frameworks)}"))
    return Discovery(
        [package for package, _ in found],
        [source for _, source in found],
        "no server package: none uses Prisma together with a server framework ("
        + ", ".join(SERVER_FRAMEWORKS)
        + ")",
    )


def prisma_sources(project: Project, binding: dict[str, Any]) -> Discovery:
    """The sources of the packages that use Prisma; once none declares it, every package's
    (a call left behind in a package that dropped the dependency is what the check is for)."""
    from . import Discovery

    packages = project.prisma.packages
    why = "uses Prisma"
    if not packages:
        members = [p.path for p in project.workspace.packages if p.member]
        packages = [p for p in members if p != "."] or members
        why = "a package of the workspace (none declares Prisma any more)"
    return Discovery(
        [SOURCES if package == "." else f"{package}/{SOURCES}" for package in packages],
        [f"{package}: {why}" for package in packages],
        "no package in the repository",
    )
