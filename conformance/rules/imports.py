"""Modules that source files must no longer import."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from itertools import chain

from ..globs import has_magic, matches
from ..lines import LineCounter
from ..model import FileProblem, Finding, Rule
from ..repo import RepoView
from .base import GLOBS, PATHS, STRING, RuleKind, as_list, included_files, scanned
from .source import search_code

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Tree


def import_regex(module: str) -> re.Pattern[str]:
    """`import … from "m"`, `import "m"`, `import("m")`, `require("m")` and `export … from "m"`,
    subpaths (`m/sub`) included."""
    name = re.escape(module).replace(r"\*", r"[^/\"']*")  # `@convex-dev/*/react`
    quoted = rf"""(["']){name}(?:/[^"']*)?\1"""
    return re.compile(rf"""(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*){quoted}""")


# The specifier of an import, re-export, `import()` or `require()`.
_SPECIFIER = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(["'])([^"'\n]+)\1""")


class ImportAbsent(RuleKind):
    """The listed source files (globs allowed, minus `exclude`) must not import these modules.

    When a package's dependency goes, every import of it must go too, or the package stops
    compiling the moment the lockfile catches up. Subpath imports (`drizzle-orm/pg-core`) count;
    comments do not. A module may be a glob (`@convex-dev/*/react`).

    `paths` names modules of the repository itself, files or folders (a generated Prisma
    Client in `src/generated/prisma`, git-ignored): an import that resolves into one counts,
    whether it is written relative (`../generated/prisma/client`), through a tsconfig `paths`
    alias (`@/generated/prisma/client`) or a workspace package's name.

    With `directive` (say `use client`), only the files whose directive prologue holds it are
    checked, read as syntax trees: a finding names the imported bindings, and type-only imports
    (`import type`, or only `type` specifiers), erased at build time, do not count. A string
    that merely contains the directive, or one placed after an import, is no directive.
    """

    name = "import-absent"
    properties = {
        "files": PATHS,
        "exclude": PATHS,
        "modules": GLOBS,
        "paths": PATHS,
        "directive": STRING,
    }
    required = ("files", "modules")
    option_help = {
        "files": "Source files to read (globs).",
        "exclude": "Files to leave out (globs).",
        "modules": "Modules no file may import (globs; subpath imports count).",
        "paths": "Repository files or folders no file may import, however the import is written.",
        "directive": "Only files whose directive prologue holds it are read (`use client`).",
    }
    example = """\
id: no-drizzle-imports
kind: import-absent
files: "packages/*/src/**/*.{ts,tsx}"
modules: [drizzle-orm, "@neondatabase/*"]
message: "still imported: {item}"
why: The package no longer depends on Drizzle.
"""
    hint = "Remove the import and the code that depends on it."

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        modules = as_list(rule.options["modules"])
        if "directive" in rule.options:
            return self._check_directive_files(rule, repo, modules, rule.options["directive"])
        patterns = [(m, import_regex(m), m.split("*")[0] or None) for m in modules]
        found = search_code(self, rule, repo, patterns)
        paths = as_list(rule.options.get("paths"))
        return chain(found, self._check_paths(rule, repo, paths)) if paths else found

    def _check_paths(self, rule: Rule, repo: RepoView, paths: list[str]) -> Iterator[Finding]:
        """Imports resolving into the repository `paths`. An import names the module's last
        folder or file name (`prisma` of src/generated/prisma): other files are not read, and
        other specifiers not resolved (a tsconfig alias renaming the folder itself is missed)."""
        from ..project import imports_module, project_of
        from .source import strip_js_comments

        project = project_of(repo)
        needles = tuple({p.rstrip("/").rpartition("/")[2].partition(".")[0] for p in paths})
        resolved: dict[tuple[str, str], bool] = {}

        def into_paths(path: str, specifier: str) -> bool:
            # `react`, `./utils`: no path into the folders names their name
            if not any(needle in specifier for needle in needles):
                return False
            key = (posixpath.dirname(path), specifier)
            if key not in resolved:
                resolved[key] = any(imports_module(project, path, specifier, p) for p in paths)
            return resolved[key]

        for path in included_files(rule, repo):
            try:
                if not repo.mentions(path, needles):
                    continue
                text = repo.text(path)
            except FileProblem as problem:
                yield self.problem(rule, problem)
                continue
            if not any(into_paths(path, m.group(2)) for m in _SPECIFIER.finditer(text)):
                continue  # blanking comments only takes imports away
            code = strip_js_comments(text, path)
            line_of = LineCounter(code)
            for match in _SPECIFIER.finditer(code):
                if into_paths(path, match.group(2)):
                    line = line_of(match.start())
                    yield self.finding(rule, path, line, f"`{match.group(2)}`")

    def scan(self, rule: Rule) -> tuple | None:
        if "directive" not in rule.options:
            return None
        # A file importing none of the modules never names them: it is not parsed.
        needles = tuple(m.split("*")[0] for m in as_list(rule.options["modules"]))
        return _module_facts, (), needles if all(needles) else ()

    def expect(self, rule: Rule, repo: RepoView) -> None:
        for path in self._directive_files(rule, repo, quiet=True):
            repo.expect_facts(path, _module_facts)

    def _directive_files(self, rule: Rule, repo: RepoView, *, quiet: bool):
        """The files of the rule that name the directive and one of the modules."""
        if "directive" not in rule.options:
            return
        directive = rule.options["directive"]
        for path in scanned(rule, repo, self.scan(rule)[2], quiet=quiet):
            if isinstance(path, FileProblem):
                yield path
                continue
            try:
                named = directive in repo.text(path)
            except FileProblem as problem:
                if not quiet:
                    yield problem
                continue
            # Most files never mention the directive: they are not parsed at all.
            if named:
                yield path

    def _check_directive_files(
        self, rule: Rule, repo: RepoView, modules: list[str], directive: str
    ) -> Iterator[Finding]:
        from ..project import imports_module, project_of

        for path in self._directive_files(rule, repo, quiet=False):
            try:
                if isinstance(path, FileProblem):
                    raise path
                found_directives, imports = repo.typescript_facts(path, _module_facts)
            except FileProblem as problem:
                yield self.problem(rule, problem)
                continue
            if directive not in found_directives:
                continue
            paths = as_list(rule.options.get("paths"))
            for line, module, names in imports:
                if any(_imports_module(module, m) for m in modules) or (
                    paths and any(imports_module(project_of(repo), path, module, p) for p in paths)
                ):
                    shown = f" ({', '.join(names)})" if names else ""
                    yield self.finding(rule, path, line, f"`{module}`{shown}")


def _module_facts(repo: RepoView, path: str, tree: Tree, key: tuple) -> tuple:
    """(directive prologue, runtime imports) of a module."""
    from ..typescript import directives

    return directives(tree), runtime_imports(tree)


def _imports_module(module: str, wanted: str) -> bool:
    """`convex/react` is `convex/react` or a subpath of it; `@convex-dev/*/react` a glob."""
    if has_magic(wanted):
        return matches(wanted, module) or any(
            matches(wanted, module[:i]) for i, c in enumerate(module) if c == "/"
        )
    return module == wanted or module.startswith(wanted + "/")


def runtime_imports(tree: Tree) -> list[tuple[int, str, list[str]]]:
    """(line, module, imported names) of every import that survives compilation: static imports
    and re-exports (not type-only ones), `import("m")` and `require("m")`."""
    from ..typescript import find, line, string_value, text, walk

    found = []
    for statement in tree.root_node.children:
        source = statement.child_by_field_name("source")
        if statement.type not in ("import_statement", "export_statement") or source is None:
            continue
        if any(child.type == "type" for child in statement.children):
            continue  # `import type …` / `export type … from`
        names, specifiers = [], 0
        for node in walk(statement):
            if node.type in ("import_specifier", "export_specifier"):
                specifiers += 1
                if not any(child.type == "type" for child in node.children):
                    names.append(text(node.child_by_field_name("name")))
            elif node.type == "namespace_import" or (node.type == "*" and node.parent == statement):
                names.append("*")  # `import * as ns` / `export * from`
            elif node.type == "identifier" and node.parent.type == "import_clause":
                names.append("default")
        if specifiers and not names:
            continue  # `import { type A, type B } from …`
        found.append((line(statement), string_value(source) or "", names))
    for node in find(tree, "call_expression"):
        callee = node.child_by_field_name("function")
        if callee is None or not (callee.type == "import" or text(callee) == "require"):
            continue
        arguments = node.child_by_field_name("arguments").named_children
        module = string_value(arguments[0]) if arguments else None
        if module is not None:
            found.append((line(node), module, []))
    return found
