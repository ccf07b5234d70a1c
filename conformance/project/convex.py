"""Convex projects: where each one's functions directory is, which package holds it, and which
packages use Convex from elsewhere.

A functions directory is what `convex.json` `functions` names (relative to the convex.json,
`convex/` by default), else a folder named `convex` holding the schema, the generated server
code or an app config, else `convex/` beside a package.json that depends on `convex`. Real
repositories rarely have a convex.json: `packages/backend/convex`, `services/backend/convex`
and a root `convex/` are all found the second way. A component (a `convex.config.*` calling
`defineComponent`) is not an app: its functions are not public."""

from __future__ import annotations

import posixpath
import re
from collections import namedtuple
from functools import cached_property

from ..model import FileProblem
from . import relative

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from . import Discovery, Project, Removal

_MARKERS = re.compile(
    r"(^|.*/)convex/(schema\.[cm]?[jt]s|_generated/server\.(js|ts|d\.ts)|convex\.config\.[cm]?[jt]s)$"
)

# Keys of a tsconfig that Convex's convex.json never has: packages of shared TypeScript presets
# name theirs `convex.json` (`@repo/typescript-config/convex.json`).
_TSCONFIG_KEYS = {"compilerOptions", "extends", "references"}

ConvexProject = namedtuple("ConvexProject", "functions_dir package source")
ConvexProject.__doc__ = """A Convex functions directory, the package that holds it, and where it
was found."""


class Convex:
    def __init__(self, project: Project):
        self.project = project

    @cached_property
    def projects(self) -> list[ConvexProject]:
        found: dict[str, ConvexProject] = {}
        workspace = self.project.workspace
        for config in self.project.named("convex.json"):
            base = posixpath.dirname(config) or "."
            functions, source = "convex/", f"{config} (no `functions`: convex/)"
            try:
                data = self.project.repo.json(config).data
            except (FileProblem, RecursionError):
                data = None
            if isinstance(data, dict) and _TSCONFIG_KEYS & data.keys():
                continue  # a shared tsconfig preset named convex.json, not Convex's own config
            if isinstance(data, dict) and isinstance(data.get("functions"), str):
                functions, source = data["functions"], f'{config} "functions"'
            directory = relative(functions, base)
            found.setdefault(directory, ConvexProject(directory, base, source))
        for marker in self.project.files:
            match = _MARKERS.match(marker)
            if match is None:
                continue
            directory = (match.group(1) + "convex").strip("/")
            if directory in found or self._is_component(directory):
                continue
            package = workspace.package_of(directory + "/x") or "."
            found[directory] = ConvexProject(directory, package, f"{marker} is there")
        if not found:
            for package in workspace.depending_on("convex"):
                directory = relative("convex", package)
                if self.project.has_dir(directory):
                    manifest = "package.json" if package == "." else f"{package}/package.json"
                    found[directory] = ConvexProject(
                        directory, package, f"beside {manifest}, which depends on convex"
                    )
        return sorted(found.values())

    def _is_component(self, directory: str) -> bool:
        for name in (
            "convex.config.ts",
            "convex.config.js",
            "convex.config.mts",
            "convex.config.mjs",
        ):
            path = f"{directory}/{name}"
            if path in self.project.files:
                try:
                    return "defineComponent" in self.project.repo.text(path)
                except FileProblem:
                    return False
        return False

    @cached_property
    def function_dirs(self) -> set[str]:
        return {project.functions_dir for project in self.projects}


def functions_dirs(project: Project, binding: dict[str, Any]) -> Discovery:
    from . import Discovery

    projects = project.convex.projects
    return Discovery(
        [p.functions_dir for p in projects],
        [p.source for p in projects],
        "no Convex functions directory: no convex.json, no `convex/` folder holding a schema or "
        "generated code, no `convex/` beside a package that depends on convex",
    )


# What makes a folder Convex functions: the files discovery knows one by, directly inside it,
# or a module importing the server code Convex generates for it.
_FUNCTIONS_MARKER = re.compile(r"(schema\.[cm]?[jt]s|_generated/[^/]+|convex\.config\.[cm]?[jt]s)")
_SERVER_IMPORT = re.compile(r"""["'](?:\./_generated/server|convex/server)["']""")


def functions_removal(project: Project, path: str) -> Removal:
    """A Convex functions folder is removed whole; a folder that shows no sign of being one,
    or holds a Convex project's convex.json (`functions: "."` names the project itself), is
    not."""
    from . import Removal, listed_problem

    repo = project.repo
    if not repo.is_dir(path):
        return Removal([], "it is not a folder")
    files = repo.glob(f"{path}/**", files_only=True)
    configs = [f for f in files if f.rpartition("/")[2] == "convex.json"]
    if configs:
        return Removal([], listed_problem("it holds a Convex project's config", configs, path))
    inside = [f[len(path) + 1 :] for f in files]
    if any(_FUNCTIONS_MARKER.fullmatch(f) for f in inside):
        return Removal([path], None)
    for file in files:
        if "/" in file[len(path) + 1 :] or not file.endswith(_MODULE_SUFFIXES):
            continue
        try:
            if _SERVER_IMPORT.search(repo.text(file)):
                return Removal([path], None)
        except FileProblem:
            continue
    return Removal(
        [],
        "nothing in it is Convex's: no schema, no _generated/, no convex.config, no module "
        "importing _generated/server",
    )


_MODULE_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")


# An import or require of Convex's client (ConvexHttpClient, ConvexClient): what a worker or a
# server talks to a deployment with. `convex/values` and `convex/server` are the backend's own.
_CONVEX_IMPORT = re.compile(r"""(?:\bfrom|\bimport|\brequire\s*\()\s*["']convex/browser["']""")
_CLIENT_SOURCES = "**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}"


def client_packages(project: Project, binding: dict[str, Any]) -> Discovery:
    """Node packages that use Convex from outside: they depend on convex, hold no functions
    directory, are no UI app (no react: Next.js, Vite and Expo apps talk to Convex through
    hooks, workers and servers through ConvexHttpClient), and import Convex's client in their
    code (`convex/browser`: the package that held the functions, once they are gone, still
    declares convex, and its leftover helpers import `convex/values`, but it talks to no
    deployment)."""
    from . import Discovery

    workspace = project.workspace
    holders = {p.package for p in project.convex.projects}
    packages = [
        package
        for package in workspace.depending_on("convex")
        if package not in holders
        and package != "."
        and "react" not in workspace.dependencies(package)
        and _imports_convex(project, package)
    ]
    return Discovery(
        packages,
        [
            f"{package}/package.json depends on convex, and its code imports convex/browser"
            for package in packages
        ],
        "no package besides the Convex backend and the UI apps (react) imports convex/browser",
    )


def _imports_convex(project: Project, package: str) -> bool:
    for path in project.repo.glob(f"{package}/{_CLIENT_SOURCES}", files_only=True):
        if "/node_modules/" in path or path.endswith(".d.ts"):
            continue
        try:
            if _CONVEX_IMPORT.search(project.repo.text(path)):
                return True
        except FileProblem:
            continue
    return False


def operations_context(spec: dict[str, Any], work, target: str) -> dict[str, Any]:
    """Typed wrappers, at `target`, over the Convex functions `spec` names."""
    from ..translate.convex_operations import convex_operations_context
    from . import project_of

    modules = convex_modules(project_of(work.repo), spec["dir"])
    return convex_operations_context(modules, target, **spec)


def convex_modules(project: Project, functions_dir: str) -> dict[str, dict]:
    """Module name (`tasks`, `agent/tools`) → {"path", "functions": {name: {"kind", "public",
    "builder", "args"}}}: every function the Convex analysis finds (HTTP actions aside), and
    every other export made by calling something (`kind` None: an unrecognised builder);
    `args` None when the function declares no `args` object."""
    import re

    from ..translate.convex_operations import argument_names, validator_names
    from ..typescript import text
    from .convex_functions import analysis_of, chain_of, unwrap

    analysis = analysis_of(project)
    functions_dir = functions_dir.strip("/")
    modules = {}
    pattern = f"{functions_dir}/**/*.{{ts,tsx,mts,cts,js,jsx,mjs,cjs}}"
    for path in project.repo.glob(pattern, files_only=True):
        relative = path[len(functions_dir) + 1 :]
        if relative.startswith("_generated/") or re.search(r"\.d\.[mc]?ts\Z", relative):
            continue
        found: dict[str, dict] = {}
        for function in analysis.functions(path):
            builder = function.builder
            if builder.kind == "httpAction":
                continue
            chain = chain_of(function.definition)
            inputs = [args for method, args in chain[1] if method == "input"] if chain else []
            if inputs and inputs[0]:
                args = (
                    validator_names(unwrap(inputs[0][0]))
                    if unwrap(inputs[0][0]).type == "object"
                    else None
                )
            else:
                arguments = function.definition.child_by_field_name("arguments")
                first = (
                    arguments.named_children[0] if arguments and arguments.named_children else None
                )
                args = argument_names(first)
            found[function.name] = {
                "kind": builder.kind,
                "public": builder.visibility == "public",
                "builder": builder.name or "fluent chain",
                "args": args,
            }
        tree = analysis.tree(path)
        for statement in tree.root_node.children if tree else ():
            declaration = (
                statement.child_by_field_name("declaration")
                if statement.type == "export_statement"
                else None
            )
            for declarator in declaration.named_children if declaration else ():
                name, value = (
                    declarator.child_by_field_name("name"),
                    unwrap(declarator.child_by_field_name("value")),
                )
                if name is None or value is None or value.type != "call_expression":
                    continue
                if text(name) not in found and chain_of(value) is None:
                    arguments = value.child_by_field_name("arguments").named_children
                    found[text(name)] = {
                        "kind": None,
                        "public": True,
                        "builder": text(value.child_by_field_name("function")),
                        "args": argument_names(arguments[0] if arguments else None),
                    }
        modules[relative.rsplit(".", 1)[0]] = {"path": path, "functions": found}
    return modules
