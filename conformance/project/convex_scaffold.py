"""What a move from Convex to Postgres is derived from: the tables of a Convex project's schema
(with every repository module it imports), the Convex functions that read and write each table,
and the Next.js app the server code and routes go into.

The database package gets one repository module per table and the web app one tRPC router per
user-scoped table (a `userId` field: the procedures act for the signed-in caller, and row-level
security compares that column with them). Their names are the tables' Drizzle names (`notes`,
`routineExecutions`); a contract may name modules itself, each the repository of the table it
names or ends with (`executions` → `routine_executions`). While the Convex schema exists the
tables are read from it; once the fix has removed it, from the database package's Drizzle
schema — so a fixed repository checks clean. Nothing is invented: a module naming no table, or
a route without a table to stream, is not written, and the fix says why.
"""

from __future__ import annotations

import json
import posixpath
import re

from ..model import FileProblem

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..workspace import Workspace
    from . import Discovery, Project

_EXTENSION = re.compile(r"\.[cm]?[jt]sx?\Z")
# Calls of `ctx.db` whose first argument names a table: `query("notes")`, `insert("notes", …)`,
# and the table-first forms of newer Convex (`get("notes", id)`, `patch`, `replace`, `delete`).
_DB_METHODS = {"query", "insert", "get", "patch", "replace", "delete"}
# Names a generated lookup's parameters must not take: keywords, and what the module imports.
_RESERVED = {
    *("and", "desc", "eq", "sql", "break", "case", "catch", "class", "const", "continue"),
    *("debugger", "default", "delete", "do", "else", "enum", "export", "extends", "false"),
    *("finally", "for", "function", "if", "import", "in", "instanceof", "new", "null", "return"),
    *("super", "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while"),
    *("with", "yield", "let", "static", "await", "arguments", "eval", "implements"),
    *("interface", "package", "private", "protected", "public"),
}


def schema_loader(project: Project, read: Callable[[str], str | None]):
    """A loader for the schema translator: an import of a Convex module resolves as the Convex
    analysis resolves it (relative paths, workspace packages, tsconfig `paths`); `read` gives
    the text (the repository as it is before a fix)."""
    from .convex_functions import analysis_of

    analysis = analysis_of(project)

    def load(importer: str, specifier: str) -> tuple[str, str] | None:
        path = analysis.module(importer, specifier)
        text = read(path) if path is not None else None
        return (path, text) if text is not None else None

    return load


def _repo_reader(project: Project) -> Callable[[str], str | None]:
    def read(path: str) -> str | None:
        try:
            return project.repo.text(path)
        except FileProblem:
            return None

    return read


def convex_table_names(project: Project, schema: str) -> list[dict]:
    """The Drizzle names of the tables of a Convex schema (see `drizzle_table_names`), read
    once per run."""
    from ..translate.convex_drizzle import drizzle_table_names

    cache = project.__dict__.setdefault("_convex_table_names", {})
    if schema not in cache:
        read = _repo_reader(project)
        text = read(schema)
        load = schema_loader(project, read)
        cache[schema] = [] if text is None else drizzle_table_names(text, schema, load)
    return cache[schema]


# Facts.


def repository_modules(project: Project, binding: dict[str, Any]) -> Discovery:
    """One repository module per table: the Convex schema's while it exists, else the database
    package's Drizzle schema's."""
    return _modules(project, binding, user_scoped=False)


def router_modules(project: Project, binding: dict[str, Any]) -> Discovery:
    """One tRPC router per user-scoped table (a `userId` field)."""
    return _modules(project, binding, user_scoped=True)


def _modules(project: Project, binding: dict[str, Any], *, user_scoped: bool) -> Discovery:
    from . import Discovery

    what = "user-scoped table (a userId field)" if user_scoped else "table"
    convex_dir = binding.get("convex_dir")
    schema = f"{convex_dir}/schema.ts" if isinstance(convex_dir, str) else None
    if schema is not None and project.has_file(schema):
        tables = [
            t for t in convex_table_names(project, schema) if t["user_scoped"] or not user_scoped
        ]
        return Discovery(
            [t["name"] for t in tables],
            [f"{t['convex_name']} in {schema}" for t in tables],
            f"{schema} defines no {what} read here",
        )
    from ..translate.drizzle_convex import drizzle_tables

    found: dict[str, str] = {}
    for path in _drizzle_schema_files(project, binding.get("database_package")):
        try:
            tables = drizzle_tables(project.repo.text(path))
        except FileProblem:
            continue
        for table in tables:
            if not user_scoped or any(f["name"] == "userId" for f in table["fields"]):
                found.setdefault(table["name"], f"{table['name']} in {path}")
    return Discovery(
        list(found),
        list(found.values()),
        f"no {what}: no Convex schema, and none in the database package's Drizzle schema",
    )


def _drizzle_schema_files(project: Project, package: Any) -> list[str]:
    files: list[str] = []
    for config in project.drizzle.in_package(package) if isinstance(package, str) else []:
        for entry in config.schema or []:
            if project.has_file(entry):
                files.append(entry)
            else:
                files += project.repo.glob(f"{entry}/**/*.ts", files_only=True)
    return files


# Template contexts.


def drizzle_schema_context(spec: str, work: Workspace, target: str) -> dict[str, Any]:
    """The Drizzle schema a template writes, translated from the Convex schema at `spec` and
    the modules it imports."""
    from ..translate.convex_drizzle import drizzle_schema_context as translate

    context = translate(work.original(spec), spec, _work_loader(work))
    # Reported on the schema written: the Convex modules go with the fix.
    context["skipped"] = [
        {**entry, "name": f"{entry['name']} ({entry['where']})", "where": target}
        for entry in context["skipped"]
    ]
    return context


def _work_loader(work: Workspace):
    """A loader reading the repository as it is before the fix; the project model is only
    built once the schema imports something."""
    loader = None

    def load(importer: str, specifier: str) -> tuple[str, str] | None:
        nonlocal loader
        if loader is None:
            from . import project_of

            loader = schema_loader(project_of(work.repo), work.original)
        return loader(importer, specifier)

    return load


def _scaffold(work: Workspace, schema: str) -> dict[str, Any]:
    """The translated schema and the Convex functions of each table, once per fix."""
    cache = work.__dict__.setdefault("_convex_scaffold", {})
    if schema not in cache:
        context = drizzle_schema_context(schema, work, schema)
        from . import project_of

        functions_dir = posixpath.dirname(schema)
        names = {table["convex_name"] for table in context["tables"]}
        cache[schema] = {
            "schema": context,
            "functions": table_functions(project_of(work.repo), functions_dir, names),
        }
    return cache[schema]


def table_of(tables: list[dict], module: str) -> tuple[dict | None, str]:
    """The table a module is the repository of: the one it names (Drizzle, SQL or Convex
    name), else the one whose SQL name ends with it (`executions` → `routine_executions`)."""
    exact = [t for t in tables if module in (t["name"], t["sql_name"], t["convex_name"])]
    if exact:
        return exact[0], ""
    suffix = "_" + _snake(module)
    ending = [t for t in tables if t["sql_name"].endswith(suffix)]
    if len(ending) == 1:
        return ending[0], ""
    if ending:
        return None, f"`{module}` could be any of {', '.join(t['sql_name'] for t in ending)}"
    return None, f"no table of the Convex schema is named `{module}` or ends with it"


def repository_context(spec: dict[str, Any], work: Workspace, target: str) -> dict[str, Any]:
    """A repository module (`<module>.ts`) or a tRPC router over one table: the table, its
    lookups and inputs, and the Convex functions that read or write it."""
    module = _EXTENSION.sub("", posixpath.basename(target))
    scaffold = _scaffold(work, spec["schema"])
    table, reason = table_of(scaffold["schema"]["tables"], module)
    if table is None:
        return {"unwritten": reason}
    if spec.get("user_scoped") and table["user_column"] is None:
        return {
            "unwritten": f"{table['sql_name']} has no userId column: which caller may read "
            "or write its rows cannot be derived"
        }
    lookups = table["lookups"]
    orm = {"eq"} | ({"desc"} if lookups else set())
    orm |= {"and"} if any(len(lookup["columns"]) > 1 for lookup in lookups) else set()
    return {
        "module": module,
        "class_name": _pascal(module) + "Repository",
        "orm_imports": sorted(orm),
        "table": {**table, "lookups": _with_parameters(table["lookups"])},
        "schema_source": spec["schema"],
        "functions": scaffold["functions"].get(table["convex_name"], []),
    }


def _with_parameters(lookups: list[dict]) -> list[dict]:
    """Each lookup's parameters: the column keys, renamed where a key is a keyword or a name
    the module imports."""
    return [
        {
            **lookup,
            "parameters": [
                {"column": c, "name": c + "Value" if c in _RESERVED else c}
                for c in lookup["columns"]
            ],
        }
        for lookup in lookups
    ]


def live_context(spec: dict[str, Any], work: Workspace, target: str) -> dict[str, Any]:
    """The Server-Sent Events route: the rows it streams. The route's dynamic segments say
    which: `[table]` picks one of the user-scoped `modules` per request (rows by id); without
    it, `table` names the one module, and the other segment is the key — `id`, or a column
    with a lookup of its own (`[workflowId]` → `listByWorkflowId`)."""
    schema = spec.get("schema") or []
    schema = schema if isinstance(schema, list) else [schema]
    # Without the Convex schema (gone once fixed) the modules alone say what to stream by id.
    tables = _scaffold(work, schema[0])["schema"]["tables"] if schema else None
    segments = re.findall(r"\[([A-Za-z_$][\w$]*)\]", target)
    keys = [s for s in segments if s != "table"]
    if len(keys) != 1:
        return {"unwritten": f"the route needs one dynamic segment for the row, not {segments}"}
    key = keys[0]
    if "table" in segments:
        wanted = list(spec.get("modules") or [])
    elif spec.get("table"):
        wanted = [spec["table"]]
    else:
        return {"unwritten": "the route has no [table] segment and no table is named"}
    streams, reasons = [], []
    for module in wanted:
        if tables is None:
            if key != "id" and "table" not in segments:
                reasons.append(f"no Convex schema says how to find {module} rows by `{key}`")
                continue
            streams.append(_stream(module, "getById"))
            continue
        table, reason = table_of(tables, module)
        if table is None or table["user_column"] is None:
            reasons.append(reason or f"{module} has no userId column")
            continue
        if key == "id" or "table" in segments:
            read = "getById"
        else:
            lookup = next((x for x in table["lookups"] if x["columns"] == [key]), None)
            if lookup is None:
                reasons.append(f"{table['sql_name']} has no index on `{key}` to find a row by")
                continue
            read = lookup["method"]
        streams.append(_stream(module, read))
    if not streams:
        return {"unwritten": "; ".join(reasons) or "no user-scoped table to stream"}
    return {"streams": streams, "key": key, "by_table": "table" in segments}


def _stream(module: str, read: str) -> dict[str, str]:
    return {"module": module, "class_name": _pascal(module) + "Repository", "read": read}


def web_app_context(spec: dict[str, Any], work: Workspace, target: str) -> dict[str, Any]:
    """How a file at `target` in the web app imports its modules (`spec["modules"]`: name →
    repository path without extension): through the app's tsconfig `paths` alias when one
    points there (`@/lib/auth`), else relatively; and which identity provider the app has
    (`clerk` when it depends on @clerk/nextjs, else `better-auth`, the plan's)."""
    from . import project_of

    app = spec["app"]
    aliases = project_of(work.repo).next.aliases(app)
    imports = {
        name: _specifier(target, posixpath.normpath(path), aliases)
        for name, path in spec["modules"].items()
    }
    return {"imports": imports, "auth": _auth_provider(work, app)}


def auth_module_context(spec: dict[str, Any], work: Workspace, target: str) -> dict[str, Any]:
    """The Better Auth server module is written only for an app without an identity provider
    of its own that survives the move."""
    if _auth_provider(work, spec["app"]) == "clerk":
        return {"unwritten": f"{spec['app']} signs users in with Clerk (@clerk/nextjs)"}
    return {}


def _auth_provider(work: Workspace, app: str) -> str:
    manifest = work.original(f"{app}/package.json" if app != "." else "package.json")
    try:
        data = json.loads(manifest) if manifest else {}
    except (ValueError, RecursionError):  # invalid, or more than Python reads: `check` says so
        data = {}
    # A manifest that is no object declares nothing (the rules reading it report it).
    return _provider(data if isinstance(data, dict) else {})


def _provider(manifest: dict[str, Any]) -> str:
    """`clerk` for a package.json declaring @clerk/nextjs (dependencies or devDependencies),
    else `better-auth`, the plan's."""
    declared = {
        name
        for section in ("dependencies", "devDependencies")
        if isinstance(manifest.get(section), dict)
        for name in manifest[section]
    }
    return "clerk" if "@clerk/nextjs" in declared else "better-auth"


# What the Better Auth module (lib/auth.ts) needs its app to declare: what it imports, and the
# optional peer its Drizzle adapter loads (`@better-auth/drizzle-adapter` imports drizzle-orm,
# which a strict installer such as pnpm leaves out unless the app declares it).
BETTER_AUTH_PACKAGES = ("better-auth", "drizzle-orm")


def web_auth_packages(project: Project, binding: dict[str, Any]) -> Discovery:
    """What the web app must declare for the sign-in module the fix gives it: Better Auth's
    packages, or nothing for an app signing in with Clerk (it declares @clerk/nextjs)."""
    from . import Discovery

    app = binding.get("web_app")
    if not isinstance(app, str):
        return Discovery([], [], "no Next.js app")
    if _provider(project.workspace.manifest(app)) == "clerk":
        return Discovery([], [], f"{app} signs users in with Clerk (@clerk/nextjs)")
    where = "lib/auth.ts (Better Auth) imports it"
    return Discovery(
        list(BETTER_AUTH_PACKAGES), [where, "the peer Better Auth's Drizzle adapter loads"]
    )


def _specifier(source: str, target: str, aliases: list[tuple[str, str]]) -> str:
    for prefix, folder in aliases:
        if target.startswith(folder + "/"):
            return prefix + target[len(folder) + 1 :]
    relative = posixpath.relpath(target, posixpath.dirname(source) or ".")
    return relative if relative.startswith(".") else f"./{relative}"


# The Convex functions of each table.


def table_functions(project: Project, functions_dir: str, tables: set[str]) -> dict[str, list]:
    """Convex table name → the functions (HTTP actions aside) that name it in a `ctx.db` call
    or take an id of it: {"module", "name", "kind", "visibility", "path", "line"}."""
    from ..typescript import string_value, text, walk
    from .convex_functions import analysis_of

    analysis = analysis_of(project)
    found: dict[str, list[dict]] = {}
    pattern = f"{functions_dir}/**/*.{{ts,tsx,mts,cts,js,jsx,mjs,cjs}}"
    for path in project.repo.glob(pattern, files_only=True):
        relative = path[len(functions_dir) + 1 :]
        if relative.startswith("_generated/") or re.search(r"\.d\.[mc]?ts\Z", relative):
            continue
        source = _safe_text(project, path)
        if not any(f'"{t}"' in source or f"'{t}'" in source for t in tables):
            continue
        for function in analysis.functions(path):
            if function.builder.kind == "httpAction":
                continue
            named: list[str] = []
            for node in walk(function.definition):
                if node.type != "call_expression":
                    continue
                callee = node.child_by_field_name("function")
                method = (
                    text(callee.child_by_field_name("property"))
                    if callee is not None and callee.type == "member_expression"
                    else None
                )
                arguments = node.child_by_field_name("arguments")
                first = arguments.named_children[0] if arguments.named_children else None
                value = string_value(first) if first is not None else None
                if value in tables and value not in named and method in (_DB_METHODS | {"id"}):
                    named.append(value)
            for table in named:
                found.setdefault(table, []).append(
                    {
                        "module": _EXTENSION.sub("", relative),
                        "name": function.name,
                        "kind": function.builder.kind,
                        "visibility": function.builder.visibility,
                        "path": path,
                        "line": function.line,
                    }
                )
    return found


def _safe_text(project: Project, path: str) -> str:
    try:
        return project.repo.text(path)
    except FileProblem:
        return ""


def _snake(name: str) -> str:
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()


def _pascal(name: str) -> str:
    parts = [part for part in re.split(r"[^A-Za-z0-9$]+", name) if part]
    return "".join(part[:1].upper() + part[1:] for part in parts)
