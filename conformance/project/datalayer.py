"""The data-layer package: where a repository keeps its database code.

The evidence, strongest first: the package holds a drizzle.config.* (drizzle-kit runs there),
it holds the Convex functions (after a move to Convex), it declares Drizzle or a Postgres
driver. Packages are never picked by their name or alphabetically; every package with the
strongest evidence is a candidate, and each is checked."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from . import Discovery, Project

# Dependency → weight: the ORM and its CLI say more than a driver another package may use too.
EVIDENCE = {
    "drizzle-orm": 3,
    "drizzle-kit": 3,
    "pg": 2,
    "postgres": 2,
    "@neondatabase/serverless": 2,
    "@vercel/postgres": 2,
    "@electric-sql/pglite": 2,
    "convex": 1,
}


def data_layer_package(project: Project, binding: dict[str, Any]) -> Discovery:
    from . import Discovery

    configs = project.drizzle.configs
    if configs:
        packages = list(dict.fromkeys(config.package for config in configs))
        sources = [
            "holds " + ", ".join(c.path for c in configs if c.package == package)
            for package in packages
        ]
        return Discovery(packages, sources)
    convex = project.convex.projects
    if convex:
        packages = list(dict.fromkeys(p.package for p in convex))
        sources = [
            "holds the Convex functions "
            + ", ".join(p.functions_dir for p in convex if p.package == package)
            for package in packages
        ]
        return Discovery(packages, sources)
    workspace = project.workspace
    scored: list[tuple[int, str, list[str]]] = []
    for package in workspace.packages:
        declared = sorted(set(workspace.dependencies(package.path)) & EVIDENCE.keys())
        score = sum(EVIDENCE[name] for name in declared)
        if score:
            scored.append((score + package.member, package.path, declared))
    if not scored:
        unreadable = (
            "; cannot read " + "; ".join(workspace.unreadable) if workspace.unreadable else ""
        )
        return Discovery(
            [],
            [],
            "no data-layer package: no drizzle.config.*, no Convex functions directory, and no "
            "package depends on " + ", ".join(EVIDENCE) + unreadable,
        )
    best = max(score for score, _, _ in scored)
    chosen = [(path, declared) for score, path, declared in scored if score == best]
    return Discovery(
        [path for path, _ in chosen],
        [f"depends on {', '.join(declared)}" for _, declared in chosen],
    )


def rls_tables(project: Project, binding: dict[str, Any]) -> Discovery:
    """The user-scoped tables (a `userId` field): from the Convex schema while there is one,
    else from the database package's Drizzle schema."""
    from . import Discovery

    repo = project.repo
    convex_dir = binding.get("convex_dir")
    if isinstance(convex_dir, str) and project.has_file(f"{convex_dir}/schema.ts"):
        from .convex_scaffold import convex_table_names

        path = f"{convex_dir}/schema.ts"
        tables = [t["sql_name"] for t in convex_table_names(project, path) if t["user_scoped"]]
        return Discovery(
            tables,
            [f"{path}: has a userId field"] * len(tables),
            f"no table of {path} has a userId field",
        )
    package = binding.get("database_package")
    sources = []
    for config in project.drizzle.in_package(package) if isinstance(package, str) else []:
        for entry in config.schema or []:
            sources += (
                [entry]
                if project.has_file(entry)
                else repo.glob(f"{entry}/**/*.ts", files_only=True)
            )
    from ..translate.drizzle_convex import user_scoped_tables as drizzle_user_tables

    found: dict[str, str] = {}
    for path in sources:
        for table in _read(repo, path, drizzle_user_tables):
            found.setdefault(table, f"{path}: has a user id column")
    return Discovery(
        list(found),
        list(found.values()),
        "no user-scoped table: no Convex schema, and no table with a user id column in the "
        "database package's Drizzle schema",
    )


def _read(repo, path: str, tables) -> list[str]:
    from ..model import FileProblem

    try:
        return tables(repo.text(path))
    except FileProblem:
        return []
