"""The Convex functions a repository already has → typed wrappers a backend calls them through.

`convex_functions` reads every module of the Convex functions directory with tree-sitter's
TypeScript grammar, without running it. Each `export const NAME = BUILDER({...})` is a function
of that module: BUILDER is `query` / `mutation` / `action` (or an `internal…` one) imported from
`_generated/server`, the `…Generic` builders of `convex/server`, or a local builder made from one
of those (`const authedQuery = customQuery(query, …)`). Its argument names come from the `args`
validators object.

`convex_operations_context` matches the operations a contract asks for (`createTask` →
`tasks.create`) against those functions. An operation whose function does not exist, is internal
(clients cannot call it) or is built with something unrecognised is not invented: it is listed in
`skipped` with the reason, and the template records it for `exports-present` to report.

tree-sitter is imported inside the functions: the check path never translates anything.
"""

from __future__ import annotations

import posixpath
import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Node, Tree

    from ..repo import RepoView

# Builder → (kind, public). `_generated/server` re-exports the generic ones under short names.
_BUILDERS = {
    "query": ("query", True),
    "mutation": ("mutation", True),
    "action": ("action", True),
    "internalQuery": ("query", False),
    "internalMutation": ("mutation", False),
    "internalAction": ("action", False),
}
_GENERIC_BUILDERS = {f"{name}Generic": kind for name, kind in _BUILDERS.items()}
_SOURCES = "{ts,tsx,mts,cts,js,jsx,mjs,cjs}"
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*\Z")


def convex_functions(repo: RepoView, functions_dir: str) -> dict[str, dict]:
    """Module name (`tasks`, `agent/tools`) → {"path", "functions": {name: {"kind", "public",
    "builder", "args"}}}; `kind` is None for an unrecognised builder, `args` None when the
    function declares no `args` object."""
    functions_dir = functions_dir.strip("/")
    modules = {}
    for path in repo.glob(f"{functions_dir}/**/*.{_SOURCES}", files_only=True):
        relative = path[len(functions_dir) + 1 :]
        if relative.startswith("_generated/") or re.search(r"\.d\.[mc]?ts\Z", relative):
            continue
        module = relative.rsplit(".", 1)[0]
        modules[module] = {"path": path, "functions": _module_functions(repo.typescript(path))}
    return modules


def _module_functions(tree: Tree) -> dict[str, dict]:
    from ..typescript import imports, text

    builders = {}
    for local, module in imports(tree).items():
        if module.endswith("_generated/server") and local in _BUILDERS:
            builders[local] = _BUILDERS[local]
        elif module == "convex/server" and local in _GENERIC_BUILDERS:
            builders[local] = _GENERIC_BUILDERS[local]
    found = {}
    for statement in tree.root_node.children:
        exported = statement.type == "export_statement"
        declaration = statement.child_by_field_name("declaration") if exported else statement
        if declaration is None or declaration.type != "lexical_declaration":
            continue
        for declarator in declaration.named_children:
            if declarator.type != "variable_declarator":
                continue
            name, call = declarator.child_by_field_name("name"), _call(declarator)
            if call is None or name.type != "identifier":
                continue
            builder = text(call.child_by_field_name("function"))
            if not exported:
                # `const authedQuery = customQuery(query, …)`: a builder of the same kind.
                first = _first_argument(call)
                if first is not None and first.type == "identifier" and text(first) in builders:
                    builders[text(name)] = builders[text(first)]
                continue
            kind, public = builders.get(builder, (None, True))
            found[text(name)] = {
                "kind": kind,
                "public": public,
                "builder": builder,
                "args": _argument_names(_first_argument(call)),
            }
    return found


def _call(declarator: Node) -> Node | None:
    value = declarator.child_by_field_name("value")
    while value is not None and value.type in ("as_expression", "satisfies_expression"):
        value = value.named_children[0]
    if value is None or value.type != "call_expression":
        return None
    return value if value.child_by_field_name("function").type == "identifier" else None


def _first_argument(call: Node) -> Node | None:
    arguments = call.child_by_field_name("arguments")
    return arguments.named_children[0] if arguments.named_child_count else None


def _argument_names(definition: Node | None) -> list[dict] | None:
    """`{args: {title: v.string(), baseBranch: v.optional(v.string())}}` →
    [{"name": "title", "optional": False}, {"name": "baseBranch", "optional": True}]."""
    from ..typescript import string_value, text

    if definition is None or definition.type != "object":
        return None
    for pair in definition.named_children:
        key = pair.child_by_field_name("key") if pair.type == "pair" else None
        if key is None or text(key) != "args":
            continue
        validators = pair.child_by_field_name("value")
        if validators.type != "object":
            return None
        names = []
        for field in validators.named_children:
            if field.type != "pair":
                continue
            field_key = field.child_by_field_name("key")
            shown = string_value(field_key) if field_key.type == "string" else text(field_key)
            optional = text(field.child_by_field_name("value")).startswith("v.optional(")
            names.append({"name": shown, "optional": optional})
        return names
    return None


def convex_operations_context(
    repo: RepoView,
    path: str,
    dir: str,
    operations: str | list[str],
    functions: dict[str, str],
    client: str,
) -> dict:
    """Context of templates/prisma-to-convex/convex-operations.ts.j2 for the module at `path`:
    the `api` and client import specifiers relative to it, one wrapper per operation whose
    Convex function (`functions[operation]`, "module.function") exists and is public, and the
    skipped operations with their reasons."""
    modules = convex_functions(repo, dir)
    dir = dir.strip("/")
    wrappers, skipped = [], []
    for operation in [operations] if isinstance(operations, str) else operations:
        target = functions.get(operation)
        if target is None:
            skipped.append(
                {"name": operation, "where": path, "reason": "no Convex function is mapped to it"}
            )
            continue
        module, _, function = target.replace(":", ".").rpartition(".")
        module = module.replace(".", "/")
        found = modules.get(module)
        source = found["path"] if found else f"{dir}/{module}.ts"
        described = (found or {}).get("functions", {}).get(function)
        reason = _unusable(found, described, dir, module, function)
        if reason is not None:
            skipped.append({"name": operation, "where": source, "reason": reason})
            continue
        args = described["args"]
        wrappers.append(
            {
                "name": operation,
                "api": _api_expression(module, function),
                "kind": described["kind"],
                "source": source,
                "args": None if args is None else [a["name"] + "?" * a["optional"] for a in args],
            }
        )
    return {
        "functions_dir": dir,
        "api_import": _specifier(path, f"{dir}/_generated/api"),
        "client_import": _specifier(path, re.sub(r"\.[mc]?[jt]sx?\Z", "", client)),
        "wrappers": wrappers,
        "skipped": skipped,
    }


def _unusable(
    found: dict | None, described: dict | None, dir: str, module: str, function: str
) -> str | None:
    if not module or not function:
        return f'"{module}.{function}" is not a module.function path'
    if found is None:
        return f"no Convex module `{module}` in {dir}/"
    if described is None:
        return f'exports no Convex function "{function}"'
    if described["kind"] is None:
        return f'"{function}" is built with `{described["builder"]}`, not query, mutation or action'
    if not described["public"]:
        return f'"{function}" is an internal {described["kind"]}, which clients cannot call'
    return None


def _api_expression(module: str, function: str) -> str:
    parts = [*module.split("/"), function]
    return "api" + "".join(f".{p}" if _IDENTIFIER.match(p) else f'["{p}"]' for p in parts)


def _specifier(source: str, target: str) -> str:
    relative = posixpath.relpath(target, posixpath.dirname(source) or ".")
    return relative if relative.startswith(".") else f"./{relative}"
