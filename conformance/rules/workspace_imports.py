"""Imports of workspace packages from other packages, which must keep resolving."""

from __future__ import annotations

from collections.abc import Iterator

from ..globs import compile_glob
from ..model import Finding, NothingToCheck, Rule, counted
from ..repo import RepoView
from .base import GLOBS, RuleKind, as_list

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..project.imports import ImportGraph, Verdict, WorkspaceImport


class WorkspaceImports(RuleKind):
    """Every import of a workspace package from another package must resolve to a module of the
    repository that exports every name it takes.

    Importers are the JS/TS files of the other packages that import the package (static imports,
    `import type`, `export … from`, `import("…")` with a literal); a text search for the quoted
    package name comes first, so only those files are parsed. Each import must:

    * name a subpath the package publishes: its package.json `exports` (exact keys, `*`
      patterns, conditions `types` / `import` / `default` in key order, `null` publishing
      nothing), or without `exports` its `types` / `module` / `main` (a subpath is then a file
      path); a tsconfig `paths` alias of the importer that reaches a file comes first, as
      TypeScript reads it;
    * resolve to a file that exists (a `.js` target may be its `.ts` source); a target git
      ignores, or in a `_generated` folder (`convex codegen`), is build output, whose names are
      not read;
    * take only names the module exports, followed through `export … from`, `export *` and
      barrels, types included. A module passing on another npm package's exports
      (`export * from "drizzle-orm/sql"`) or CommonJS may export anything: such names are
      counted as not checked, never as missing.

    `packages` limits the check to imports of these packages (their folders, globs allowed; a
    folder inside a package means that package); without it, every workspace package. With no
    importer at all the rule is unchecked. Under `--changed-since` it runs when those packages
    change (an importer changing alone is seen by the next full check).

    How `conformance fix` keeps them: before writing anything it checks its plan against these
    imports. A module it rewrites keeps the re-exports importers still take when their source
    survives the plan (a helper passed on from a module the plan leaves alone), appended with a
    comment marking them deprecated and naming the importers. A name the module declares itself
    (the old client), one passed on from a package the plan removes (drizzle-orm's `eq`), a
    module it deletes, or a package.json no longer publishing a subpath cannot be kept: that
    change becomes a `conflict` naming its importers, written only with `--force`, and so does a
    module the plan writes that imports a change held back. The check after `fix` always runs
    this rule on every package the fix changed.
    """

    name = "workspace-imports"
    properties = {"packages": GLOBS}
    option_help = {
        "packages": "Workspace packages whose importers are checked (their folders, globs).",
    }
    example = """\
id: workspace-imports-resolve
kind: workspace-imports
packages: [packages/db]
message: "{item}"
why: A package's importers break when what they take is no longer exported.
"""
    hint = (
        "Publish the subpath again in the package's `exports`, export the name again (a "
        "re-export marked deprecated is enough while importers move), or change the importers."
    )

    def patterns(self, rule: Rule) -> list[str]:
        return as_list(rule.options.get("packages"))

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        from ..project import project_of

        graph = project_of(repo).imports
        packages = checked_packages(graph, as_list(rule.options.get("packages")))
        if not packages:
            wanted = ", ".join(as_list(rule.options.get("packages"))) or "the workspace"
            raise NothingToCheck(f"no workspace package with a name in {wanted}")
        imports, unreadable = graph.imports_of(packages)
        for problem in unreadable:
            yield self.problem(rule, problem)
        if not imports:
            named = sorted(graph.named(packages))
            said = (
                ", ".join(named) if len(named) <= 3 else f"any of {len(named)} workspace packages"
            )
            raise NothingToCheck(f"nothing to check: no other package imports {said}")
        resolver = graph.resolver
        unchecked = 0
        for imported in imports:
            verdict = resolver.verdict(imported)
            unchecked += len(verdict.unknown)
            for item in describe(imported, verdict):
                yield self.finding(rule, imported.path, imported.line, item)
        for problem in resolver.unreadable.values():
            yield self.problem(rule, problem)
        if repo.inspection is not None:
            files = len({imported.path for imported in imports})
            names = ", ".join(sorted({imported.name for imported in imports}))
            said = f"{counted(len(imports), 'import')} of {names} in {counted(files, 'file')}"
            if unchecked:
                said += (
                    f"; {counted(unchecked, 'imported name')} not checked (passed on from "
                    "another npm package, CommonJS, or build output)"
                )
            repo.inspection.note = said


def checked_packages(graph: ImportGraph, patterns: list[str]) -> list[str]:
    """The folders of the named workspace packages a rule's `packages` name (all without any)."""
    workspace = graph.project.workspace
    directories = {package.path for package in workspace.packages} - {"."}
    # Each glob compiled once: a monorepo has thousands of folders to match.
    regexes = [compile_glob(pattern) for pattern in patterns]
    chosen = {d for d in directories if not regexes or any(r.match(d) for r in regexes)}
    for pattern in patterns:  # a folder inside a package names that package
        holder = workspace.package_of(pattern.rstrip("/") + "/x")
        if holder in directories:
            chosen.add(holder)
    return sorted(graph.named(sorted(chosen)).values())


def describe(imported: WorkspaceImport, verdict: Verdict) -> list[str]:
    """What is wrong with one import, as findings say it (nothing when it holds)."""
    if verdict.problem is not None:
        return [f"imports {imported.specifier}, {verdict.problem}"]
    if verdict.missing:
        names = ", ".join(f"`{name}`" for name in verdict.missing)
        them = "it" if len(verdict.missing) == 1 else "them"
        return [
            f"imports {names} from {imported.specifier}, which does not export {them} "
            f"({verdict.file})"
        ]
    return []
