"""Next.js App Router route handlers that must serve a URL path with the given HTTP methods."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import FileProblem, Finding, NothingToCheck, Rule
from ..repo import RepoView, normalize
from .base import PATH, RENDERED_FILE, STRING, STRINGS, RuleKind, as_list, render_file

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Tree

    from ..workspace import Workspace

ROUTE_FILES = "route.{ts,tsx,js,jsx,mjs}"
PAGE_FILES = "*.{ts,tsx,js,jsx,mjs}"
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
    `export { handler as GET }`, `default`."""
    from ..typescript import text

    names = set()
    for statement in tree.root_node.children:
        if statement.type != "export_statement":
            continue
        if any(child.type == "default" for child in statement.children):
            names.add("default")
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
    """Each URL path must be served by a Next.js route handler exporting `methods`.

    The routers are the Next.js `project`'s: its App Router folder (`app/`, or `src/app/` when
    there is no `app/`: Next.js ignores `src/app` once `app` exists) and its Pages Router folder
    (`pages/`, else `src/pages/`); `app` names an App Router folder directly. An App Router
    handler is a `route.ts` (or .js, .tsx, .jsx, .mjs) file whose folders spell the path: route
    groups `(name)` are skipped and a dynamic segment matches any parameter name of its kind
    (`[id]` serves `/x/[workflowId]` too), since Next.js routes by shape. Private `_folders`
    serve nothing. The exports are read from the syntax tree: `export async function GET`,
    `export const POST = handler`, `export { handler as GET }`. A Pages Router API route
    (`pages/api/x/[id].ts`, or `…/index.ts`) serves the path with every method through its default
    export. A project with neither router is unchecked. The fix renders `fix.template` (with
    `vars`, and `context` sources) at `<router>/<path>/route.ts` in the App Router folder the app
    uses, or — for an app on the Pages Router alone — in a new one beside `pages/` (Next.js
    requires one parent folder for both); never an `app/` beside an existing `src/app`.
    """

    name = "next-route-present"
    properties = {"app": PATH, "project": PATH, "routes": STRINGS, "methods": STRINGS}
    required = ("routes",)
    option_help = {
        "app": "App Router folder, named directly.",
        "project": "Next.js project whose routers serve the routes.",
        "routes": "URL paths that must be served (`/api/sessions/[id]`).",
        "methods": "HTTP methods each handler must export.",
        "fix.template": "Template of the route handler the fix writes.",
        "fix.vars": "Values passed to the template.",
        "fix.context": "Data sources fed to the template.",
    }
    example = """\
id: sessions-route
kind: next-route-present
project: apps/web
routes: [/api/sessions]
methods: [GET, POST]
message: "{item}"
why: The client reads and creates sessions through this route.
"""
    hint = "Create the route handler (`app/<path>/route.ts`) and export the HTTP methods."
    fix_properties = {
        "template": STRING,
        "vars": {"type": "object"},
        "context": RENDERED_FILE["properties"]["context"],
    }

    def patterns(self, rule: Rule) -> list[str]:
        return [rule.options.get("project") or rule.options["app"]]

    @staticmethod
    def routers(rule: Rule, repo: RepoView) -> tuple[str | None, str | None]:
        """The (App Router, Pages Router) folders the rule checks; NothingToCheck without
        either."""
        if "project" not in rule.options:
            app = normalize(rule.options["app"])
            if not repo.is_dir(app):
                raise NothingToCheck(f"no App Router folder {app}/")
            return app, None
        from ..project import project_of

        project = normalize(rule.options["project"]) or "."
        next_app = project_of(repo).next
        app, pages = next_app.router(project, "app"), next_app.router(project, "pages")
        if app is None and pages is None:
            raise NothingToCheck(
                f"no router in {project}: neither app/, src/app/, pages/ nor src/pages/"
            )
        return app, pages

    @staticmethod
    def _served(app: str | None, pages: str | None, repo: RepoView) -> dict[tuple, list[str]]:
        """URL shape → the handler files serving it (App Router route files, Pages API routes)."""
        handlers: dict[tuple[str, ...], list[str]] = {}
        for path in repo.glob(f"{app}/**/{ROUTE_FILES}", files_only=True) if app else ():
            shape = url_segments(path[len(app) + 1 :].split("/")[:-1])
            if shape is not None:
                handlers.setdefault(tuple(shape), []).append(path)
        for path in repo.glob(f"{pages}/api/**/{PAGE_FILES}", files_only=True) if pages else ():
            segments = path[len(pages) + 1 :].rsplit(".", 1)[0].split("/")
            if segments[-1] == "index":
                segments.pop()
            shape = url_segments(segments)
            if shape is not None:
                handlers.setdefault(tuple(shape), []).append(path)
        return handlers

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        app, pages = self.routers(rule, repo)
        methods = as_list(rule.options.get("methods"))
        handlers = self._served(app, pages, repo)
        for route in as_list(rule.options["routes"]):
            segments = [s for s in route.strip("/").split("/") if s]
            files = handlers.get(tuple(url_segments(segments) or ()), [])
            if not files:
                expected = "/".join([self._new_router(rule, repo, app), *segments, "route.ts"])
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
                if pages is not None and path.startswith(pages + "/"):
                    if "default" not in exported:
                        item = f"{route} API route has no default export"
                        yield self.finding(rule, path, None, item, route=route)
                    continue
                for method in methods:
                    if method not in exported:
                        item = f"{route} handler does not export {method}"
                        yield self.finding(rule, path, None, item, route=route)

    @staticmethod
    def _new_router(rule: Rule, repo: RepoView, app: str | None) -> str:
        """The App Router folder a missing handler belongs in."""
        if app is not None:
            return app
        from ..project import project_of

        return project_of(repo).next.app_router_for(normalize(rule.options["project"]) or ".")

    def fix(self, rule: Rule, work: Workspace) -> None:
        """Render the route handler of each route without one, in the app's router folder."""
        spec = rule.options["fix"]
        if "template" not in spec:
            return
        app, pages = self.routers(rule, work.repo)
        handlers = self._served(app, pages, work.repo)
        router = self._new_router(rule, work.repo, app)
        for route in as_list(rule.options["routes"]):
            segments = [s for s in route.strip("/").split("/") if s]
            path = "/".join([router, *segments, "route.ts"])
            if work.read(path) is None and not handlers.get(tuple(url_segments(segments) or ())):
                item = {
                    "path": path,
                    "template": spec["template"],
                    "vars": spec.get("vars", {}),
                    "context": spec.get("context", {}),
                }
                text = render_file(item, work, rule)
                if text is not None:
                    work.create(path, text, rule)
