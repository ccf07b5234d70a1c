"""Constructs a TypeScript/JavaScript file must contain, found in its syntax tree."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Finding, Rule
from ..repo import RepoView
from .base import PATHS, STRINGS, RuleKind, as_list
from .calls import member_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Node

_PARAMETERS = ("required_parameter", "optional_parameter")


def _bound_names(pattern: Node) -> list[str]:
    """The local names a declarator or parameter pattern binds (identifiers and destructuring)."""
    from ..typescript import text, walk

    if pattern.type == "identifier":
        return [text(pattern)]
    names = []
    for node in walk(pattern):
        if node.type == "shorthand_property_identifier_pattern":
            names.append(text(node))
        elif node.type == "pair_pattern":
            value = node.child_by_field_name("value")
            if value is not None and value.type == "identifier":
                names.append(text(value))
    return names


def _env_objects(root: Node) -> set[str]:
    """`process.env` and the names standing for it: `const env = process.env`, a parameter
    defaulting to it (`(env = process.env) => …`)."""
    from ..typescript import text, walk

    found = {"process.env"}
    for node in walk(root):
        if node.type == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        elif node.type in _PARAMETERS:
            name, value = node.child_by_field_name("pattern"), node.child_by_field_name("value")
        else:
            continue
        if value is not None and name.type == "identifier" and member_path(value) == "process.env":
            found.add(text(name))
    return found


def env_reads(root: Node, variable: str) -> tuple[list[Node], set[str]]:
    """Reads of an environment variable (`process.env.X`, `process.env["X"]`, `env.X` through
    an alias, `const { X } = process.env`) and the local names holding what they read."""
    from ..typescript import text, walk

    objects = _env_objects(root)
    wanted = {f"{obj}.{variable}" for obj in objects}
    reads = [
        node
        for node in walk(root)
        if node.type in ("member_expression", "subscript_expression")
        and member_path(node) in wanted
    ]
    holders: set[str] = set()
    for node in walk(root):
        if node.type != "variable_declarator":
            continue
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if value is None:
            continue
        if name.type == "object_pattern" and member_path(value) in objects:
            for child in walk(name):
                if child.type == "pair_pattern":
                    key = child.child_by_field_name("key")
                elif child.type == "shorthand_property_identifier_pattern":
                    key = child
                else:
                    continue
                if text(key) == variable:
                    reads.append(child)
                    holders.update(_bound_names(child))
        elif any(_contains(value, read) for read in reads):
            holders.update(_bound_names(name))
    return reads, holders


def _contains(outer: Node, inner: Node) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def _mentions(node: Node, reads: list[Node], holders: set[str]) -> bool:
    from ..typescript import text, walk

    if any(_contains(node, read) for read in reads):
        return True
    return any(n.type == "identifier" and text(n) in holders for n in walk(node))


def throws_when_unset(root: Node, variable: str) -> bool:
    """An `if` whose condition looks at the variable (directly or through the local holding
    it) and one of whose branches throws: `if (!url) throw new Error(…)`."""
    from ..typescript import walk

    reads, holders = env_reads(root, variable)
    for node in walk(root):
        if node.type != "if_statement":
            continue
        if not _mentions(node.child_by_field_name("condition"), reads, holders):
            continue
        branches = [node.child_by_field_name(f) for f in ("consequence", "alternative")]
        if any(b is not None and _throws(b) for b in branches):
            return True
    return False


def _throws(branch: Node) -> bool:
    from ..typescript import FUNCTIONS

    # A throw inside a function merely defined in the branch does not run there.
    stack = [branch]
    while stack:
        node = stack.pop()
        if node.type == "throw_statement":
            return True
        if node.type not in FUNCTIONS:
            stack.extend(node.children)
    return False


def constructed_classes(root: Node) -> list[tuple[str, str, int]]:
    """(class, module it is imported from, line) for every `new X(…)` / `new ns.X(…)` whose
    class is an import; aliased imports (`{ X as Y }`) are reported under their exported name."""
    from ..typescript import line, string_value, text, walk

    imported: dict[str, tuple[str, str | None]] = {}  # local → (module, exported name or None)
    for statement in root.children:
        if statement.type != "import_statement":
            continue
        module = string_value(statement.child_by_field_name("source"))
        for node in walk(statement):
            if node.type == "import_specifier":
                name = node.child_by_field_name("name")
                local = node.child_by_field_name("alias") or name
                imported[text(local)] = (module, text(name))
            elif node.type == "namespace_import":
                for child in node.named_children:
                    imported[text(child)] = (module, None)
    found = []
    for node in walk(root):
        if node.type != "new_expression":
            continue
        path = member_path(node.child_by_field_name("constructor")) or ""
        head, _, member = path.partition(".")
        origin = imported.get(head)
        if origin is None:
            continue
        module, exported = origin
        if exported is None and member and "." not in member:
            found.append((member, module, line(node)))
        elif exported is not None and not member:
            found.append((exported, module, line(node)))
    return found


class TsPresent(RuleKind):
    """Each listed TypeScript/JavaScript file must contain the named constructs:

    * `new`: `{Class: module}` — a `new Class(…)` whose class is imported from that module
      (`import { Class }`, `import { Class as C }` or `import * as ns` all count);
    * `env`: a read of each environment variable (`process.env.NAME`, `process.env["NAME"]`,
      `const { NAME } = process.env`, or through a name standing for `process.env`);
    * `throw_if_unset`: for each variable, an `if` that looks at it (or at the local holding
      it) with a branch that throws, so a missing variable fails loudly at the first use.

    The file is parsed, so a construct in a comment or a string does not count. Each finding
    names what is missing.
    """

    name = "ts-present"
    properties = {
        "files": PATHS,
        "new": {"type": "object", "additionalProperties": {"type": "string"}},
        "env": STRINGS,
        "throw_if_unset": STRINGS,
    }
    required = ("files",)
    option_help = {
        "files": "TypeScript/JavaScript files to read (globs).",
        "new": "Class → module: a `new Class(…)` of the class imported from that module.",
        "env": "Environment variables the file must read.",
        "throw_if_unset": "Variables the file must throw for when they are unset.",
    }
    example = """\
id: convex-client-built
kind: ts-present
files: apps/web/src/lib/convex.ts
new: {ConvexHttpClient: convex/browser}
env: [NEXT_PUBLIC_CONVEX_URL]
throw_if_unset: [NEXT_PUBLIC_CONVEX_URL]
message: "{item}"
why: The web app reaches Convex through one client that fails loudly without its URL.
"""
    hint = "Write the missing construct (or create the file from the contract's template)."

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        def check_file(path: str) -> Iterator[Finding]:
            root = repo.typescript(path).root_node
            constructed = constructed_classes(root)
            for cls, module in rule.options.get("new", {}).items():
                if not any(c == cls and m == module for c, m, _ in constructed):
                    other = next((c for c in constructed if c[0] == cls), None)
                    item = f'no `new {cls}(…)` of the import from "{module}"'
                    line = None
                    if other is not None:
                        item += f' (this one constructs the import from "{other[1]}")'
                        line = other[2]
                    yield self.finding(rule, path, line, item)
            for variable in as_list(rule.options.get("env")):
                if not env_reads(root, variable)[0]:
                    yield self.finding(rule, path, None, f"no read of process.env.{variable}")
            for variable in as_list(rule.options.get("throw_if_unset")):
                if not throws_when_unset(root, variable):
                    yield self.finding(rule, path, None, f"no `throw` when {variable} is unset")

        return self.each_file(rule, repo, check_file, required=True)
