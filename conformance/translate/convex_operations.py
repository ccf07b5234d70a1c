"""The Convex functions a repository already has → typed wrappers a backend calls them through.

The functions come from the project model's Convex analysis (every builder it knows: Convex's
own, custom ones, fluent chains); their argument names from the `args` validators object.

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
    from tree_sitter import Node

_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*\Z")


def argument_names(definition: Node | None) -> list[dict] | None:
    """`{args: {title: v.string(), baseBranch: v.optional(v.string())}}` →
    [{"name": "title", "optional": False}, {"name": "baseBranch", "optional": True}]."""
    from ..typescript import text

    if definition is None or definition.type != "object":
        return None
    for pair in definition.named_children:
        key = pair.child_by_field_name("key") if pair.type == "pair" else None
        if key is None or text(key) != "args":
            continue
        validators = pair.child_by_field_name("value")
        if validators.type != "object":
            return None
        return validator_names(validators)
    return None


def validator_names(validators: Node) -> list[dict]:
    """The fields of a validators object, each with whether it is `v.optional(…)`."""
    from ..typescript import string_value, text

    names = []
    for field in validators.named_children:
        if field.type != "pair":
            continue
        field_key = field.child_by_field_name("key")
        shown = string_value(field_key) if field_key.type == "string" else text(field_key)
        optional = text(field.child_by_field_name("value")).startswith("v.optional(")
        names.append({"name": shown, "optional": optional})
    return names


def convex_operations_context(
    modules: dict[str, dict],
    path: str,
    dir: str,
    operations: str | list[str],
    functions: dict[str, str],
    client: str,
) -> dict:
    """Context of templates/prisma-to-convex/convex-operations.ts.j2 for the module at `path`:
    the `api` and client import specifiers relative to it, one wrapper per operation whose
    Convex function (`functions[operation]`, "module.function") exists and is public, and the
    skipped operations with their reasons. `modules` are the functions directory's modules
    (module name → {"path", "functions": {name: {"kind", "public", "builder", "args"}}}), as
    the project model reads them."""
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
    import json

    parts = [*module.split("/"), function]
    # A module's file name may hold any character: written as a string literal, escaped.
    return "api" + "".join(f".{p}" if _IDENTIFIER.match(p) else f"[{json.dumps(p)}]" for p in parts)


def _specifier(source: str, target: str) -> str:
    relative = posixpath.relpath(target, posixpath.dirname(source) or ".")
    return relative if relative.startswith(".") else f"./{relative}"
