"""Names a TypeScript/JavaScript module must export, read from its syntax tree."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Finding, Rule
from ..repo import RepoView
from .base import PATHS, STRINGS, RuleKind, as_list

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Tree


# Declarations that export a value; types and interfaces do not (nothing can call them).
_VALUE_DECLARATIONS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "class_declaration",
        "abstract_class_declaration",
        "enum_declaration",
    }
)


def value_exports(tree: Tree) -> set[str]:
    """Every value name a module exports: declarations, `export { a, b as c }` (re-exports
    included), `export * as ns` and `default`. `export *` is not followed; `export type` and
    ambient `declare` exports are not values."""
    from ..typescript import text

    names: set[str] = set()
    for statement in tree.root_node.children:
        if statement.type != "export_statement":
            continue
        if any(child.type == "default" for child in statement.children):
            names.add("default")
            continue
        declaration = statement.child_by_field_name("declaration")
        if declaration is not None:
            if declaration.type in _VALUE_DECLARATIONS:
                names.add(text(declaration.child_by_field_name("name")))
            elif declaration.type in ("lexical_declaration", "variable_declaration"):
                for declarator in declaration.named_children:
                    name = declarator.child_by_field_name("name")
                    if declarator.type == "variable_declarator" and name.type == "identifier":
                        names.add(text(name))
            continue
        if any(child.type == "type" for child in statement.children):
            continue  # `export type { T }`
        for child in statement.named_children:
            if child.type == "namespace_export":
                names.update(text(c) for c in child.named_children if c.type == "identifier")
            elif child.type == "export_clause":
                for specifier in child.named_children:
                    if any(c.type == "type" for c in specifier.children):
                        continue  # `export { type T }`
                    shown = specifier.child_by_field_name("alias") or specifier.child_by_field_name(
                        "name"
                    )
                    names.add(text(shown))
    return names


class ExportsPresent(RuleKind):
    """Each listed module must export every named function or constant.

    The module is parsed as TypeScript: `export function f`, `export const f = …`,
    `export { g as f }` and re-exports count; a name in a comment, a type-only export or a
    local that is never exported does not. `export *` is not followed. A missing module is a
    finding.
    """

    name = "exports-present"
    properties = {"files": PATHS, "names": STRINGS}
    required = ("files", "names")
    option_help = {
        "files": "Modules to read (globs).",
        "names": "Functions or constants each module must export.",
    }
    example = """\
id: db-client-exports
kind: exports-present
files: packages/db/src/index.ts
names: [db, getUser]
message: "not exported: {item}"
why: The other packages import the data layer through these names.
"""
    hint = "Export the missing functions from the module (or create the module)."

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        def check_file(path: str) -> Iterator[Finding]:
            exported = value_exports(repo.typescript(path))
            for name in as_list(rule.options["names"]):
                if name not in exported:
                    yield self.finding(rule, path, None, f'"{name}" is not exported', name=name)

        return self.each_file(rule, repo, check_file, required=True)
