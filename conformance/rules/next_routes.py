"""Next.js App Router route handlers that must serve a URL path with the given HTTP methods."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import FileProblem, Finding, NothingToCheck, Rule
from ..repo import RepoView, normalize
from .base import STRING, STRINGS, RuleKind, as_list

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Tree

    from ..workspace import Workspace

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

    The router folder is the Next.js `project`'s `app/`, or `src/app/` when there is no `app/`
    (Next.js ignores `src/app` once `app` exists); `app` names a router folder directly. The
    handler is a `route.ts` (or .js, .tsx, .jsx, .mjs) file whose folders spell the path: route
    groups `(name)` are skipped and a dynamic segment matches any parameter name of its kind
    (`[id]` serves `/x/[workflowId]` too), since Next.js routes by shape. Private `_folders`
    serve nothing. The exports are read from the syntax tree: `export async function GET`,
    `export const POST = handler`, `export { handler as GET }`. A project without an App
    Router folder is unchecked: there is no router to add a route to. The fix renders
    `fix.template` (with `vars`) at `<router>/<path>/route.ts`, in the router the app uses.
    """

    name = "next-route-present"
    properties = {"app": STRING, "project": STRING, "routes": STRINGS, "methods": STRINGS}
    required = ("routes",)
    hint = "Create the route handler (`app/<path>/route.ts`) and export the HTTP methods."
    fix_properties = {"template": STRING, "vars": {"type": "object"}}

    def patterns(self, rule: Rule) -> list[str]:
        return [rule.options.get("project") or rule.options["app"]]

    @staticmethod
    def router(rule: Rule, repo: RepoView) -> str:
        """The App Router folder the rule checks; NothingToCheck without one."""
        if "project" not in rule.options:
            app = normalize(rule.options["app"])
            if not repo.is_dir(app):
                raise NothingToCheck(f"no App Router folder {app}/")
            return app
        from ..project import project_of

        project = normalize(rule.options["project"]) or "."
        router = project_of(repo).next.router(project, "app")
        if router is None:
            raise NothingToCheck(f"no App Router in {project}: neither app/ nor src/app/")
        return router

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        app = self.router(rule, repo)
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

    def fix(self, rule: Rule, work: Workspace) -> None:
        """Render the route handler of each route without one, in the app's router folder."""
        from ..templates import render

        spec = rule.options["fix"]
        if "template" not in spec:
            return
        app = self.router(rule, work.repo)
        for route in as_list(rule.options["routes"]):
            segments = [s for s in route.strip("/").split("/") if s]
            path = "/".join([app, *segments, "route.ts"])
            if work.read(path) is None and not list(self._handlers(app, work.repo, segments)):
                work.create(path, render(spec["template"], spec.get("vars", {})), rule)

    @staticmethod
    def _handlers(app: str, repo: RepoView, segments: list[str]) -> Iterator[str]:
        wanted = tuple(url_segments(segments) or ())
        for path in repo.glob(f"{app}/**/{ROUTE_FILES}", files_only=True):
            if tuple(url_segments(path[len(app) + 1 :].split("/")[:-1]) or ()) == wanted:
                yield path
