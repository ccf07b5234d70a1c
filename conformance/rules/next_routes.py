"""Next.js App Router route handlers that must serve a URL path with the given HTTP methods."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import FileProblem, Finding, Rule
from ..repo import RepoView
from .base import STRING, STRINGS, RuleKind, as_list

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Tree

ROUTE_FILES = "route.{ts,tsx,js,jsx,mjs}"
_DYNAMIC = re.compile(r"^\[(\[)?(\.\.\.)?[^\]]+\]\]?$")


def url_segments(segments: list[str]) -> list[str] | None:
    """The URL a folder path serves: route groups `(name)` vanish, dynamic segments keep only
    their shape (`[id]` and `[workflowId]` serve the same URLs); None for a private `_folder`."""
    shape = []
    for segment in segments:
        if segment.startswith("_"):
            return None
        if segment.startswith("(") and segment.endswith(")"):
            continue
        dynamic = _DYNAMIC.match(segment)
        if dynamic:
            segment = "[[...]]" if dynamic.group(1) else "[...]" if dynamic.group(2) else "[]"
        shape.append(segment)
    return shape


def exported_names(tree: Tree) -> set[str]:
    """Names a module exports: `export function GET`, `export const POST = …`,
    `export { handler as GET }`."""
    from ..typescript import text

    names = set()
    for statement in tree.root_node.children:
        if statement.type != "export_statement":
            continue
        declaration = statement.child_by_field_name("declaration")
        if declaration is not None:
            name = declaration.child_by_field_name("name")
            if name is not None:
                names.add(text(name))
            for declarator in declaration.named_children:
                if declarator.type == "variable_declarator":
                    names.add(text(declarator.child_by_field_name("name")))
        for clause in statement.named_children:
            if clause.type == "export_clause":
                for specifier in clause.named_children:
                    alias = specifier.child_by_field_name("alias")
                    names.add(text(alias or specifier.child_by_field_name("name")))
    return names


class NextRoutePresent(RuleKind):
    """Each URL path must be served by a Next.js App Router route handler exporting `methods`.

    The handler is a `route.ts` (or .js, .tsx, .jsx, .mjs) file in the `app` directory whose
    folders spell the path: route groups `(name)` are skipped and a dynamic segment matches
    any parameter name of its kind (`[id]` serves `/x/[workflowId]` too), since Next.js routes
    by shape. Private `_folders` serve nothing. The exports are read from the syntax tree:
    `export async function GET`, `export const POST = handler`, `export { handler as GET }`.
    """

    name = "next-route-present"
    properties = {"app": STRING, "routes": STRINGS, "methods": STRINGS}
    required = ("app", "routes")
    hint = "Create the route handler (`app/<path>/route.ts`) and export the HTTP methods."

    def patterns(self, rule: Rule) -> list[str]:
        return [rule.options["app"]]

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        app = rule.options["app"].strip("/")
        methods = as_list(rule.options.get("methods"))
        handlers: dict[tuple[str, ...], list[str]] = {}
        for path in repo.glob(f"{app}/**/{ROUTE_FILES}", files_only=True):
            shape = url_segments(path[len(app) + 1 :].split("/")[:-1])
            if shape is not None:
                handlers.setdefault(tuple(shape), []).append(path)
        for route in as_list(rule.options["routes"]):
            segments = [s for s in route.strip("/").split("/") if s]
            files = handlers.get(tuple(url_segments(segments) or ()), [])
            if not files:
                expected = "/".join([app, *segments, "route.ts"])
                yield self.finding(
                    rule, expected, None, f"{route} has no route handler", route=route
                )
                continue
            for path in files:
                try:
                    exported = exported_names(repo.typescript(path))
                except FileProblem as problem:
                    yield self.problem(rule, problem)
                    continue
                for method in methods:
                    if method not in exported:
                        item = f"{route} handler does not export {method}"
                        yield self.finding(rule, path, None, item, route=route)
