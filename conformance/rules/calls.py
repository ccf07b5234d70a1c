"""Calls that must be gone from named TypeScript/JavaScript files, found in the syntax tree."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from ..model import Finding, Rule
from ..repo import Needles, RepoView
from .base import PATHS, STRINGS, RuleKind, as_list

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Node, Tree

# Wrappers that do not change what an expression refers to: `(prisma as any)`, `prisma!`.
_TRANSPARENT = frozenset(
    {"parenthesized_expression", "as_expression", "non_null_expression", "satisfies_expression"}
)


def member_path(node: Node) -> str | None:
    """`prisma.task.create`, `prisma?.task!["create"]` → "prisma.task.create"; None when the
    expression is not a plain chain of names (a call result, a computed index)."""
    from ..typescript import string_value, text

    parts: list[str] = []
    while True:
        if node.type == "member_expression":
            parts.append(text(node.child_by_field_name("property")))
            node = node.child_by_field_name("object")
        elif node.type == "subscript_expression":
            key = string_value(node.child_by_field_name("index"))
            if key is None:
                return None
            parts.append(key)
            node = node.child_by_field_name("object")
        elif node.type in _TRANSPARENT and node.named_child_count:
            node = node.named_children[0]
        elif node.type in ("identifier", "this"):
            parts.append(text(node))
            return ".".join(reversed(parts))
        else:
            return None


# A binding's reach: the byte range of the function declaring it, or the whole module.
_MODULE = (0, float("inf"))


def _aliases(declarators: list[Node]) -> dict[str, list[tuple[int, float, str]]]:
    """`const db = prisma` / `const tasks = prisma.task` / `const { client, transaction: tx } =
    prisma`: local name → (start, end of the function declaring it, the path it stands for)
    (`client` → `prisma.client`). Flow-insensitive within a function: a name bound in two
    functions to two things (`rawQuery` of `prisma` here, of `clickhouse` there) is each."""
    from ..typescript import FUNCTIONS, text

    found: dict[str, list[tuple[int, float, str]]] = {}
    for node in declarators:
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        path = member_path(value) if name is not None and value is not None else None
        if path is None:
            continue
        scope = node.parent
        while scope is not None and scope.type not in FUNCTIONS:
            scope = scope.parent
        reach = (scope.start_byte, scope.end_byte) if scope is not None else _MODULE
        if name.type == "identifier":
            bound = {text(name): path} if path != text(name) else {}
        elif name.type == "object_pattern":
            bound = _destructured(name, path)
        else:
            bound = {}
        for local, target in bound.items():
            found.setdefault(local, []).append((*reach, target))
    return found


def _destructured(pattern: Node, path: str) -> dict[str, str]:
    """The names an object pattern binds, each to the path of the property it takes:
    `{ client, transaction: tx, nested: { a }, ...rest }` from `prisma`."""
    from ..typescript import string_value, text

    found = {}
    for child in pattern.named_children:
        if child.type == "object_assignment_pattern":  # `{ client = fallback }`
            child = child.child_by_field_name("left")
        if child.type == "shorthand_property_identifier_pattern":
            found[text(child)] = f"{path}.{text(child)}"
        elif child.type == "pair_pattern":
            key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
            key = string_value(key) if key.type == "string" else text(key)
            if value.type == "assignment_pattern":
                value = value.child_by_field_name("left")
            if value.type == "identifier":
                found[text(value)] = f"{path}.{key}"
            elif value.type == "object_pattern":
                found.update(_destructured(value, f"{path}.{key}"))
        elif child.type == "rest_pattern":
            rest = child.named_children[0] if child.named_child_count else None
            if rest is not None and rest.type == "identifier":
                found[text(rest)] = path
    return found


def _imported_clients(
    repo: RepoView, path: str, tree: Tree, clients: tuple[tuple[str, tuple[str, ...]], ...]
) -> dict[str, str]:
    """Local name → callee root, for the bindings `clients` names (`src/lib/db.ts#db`): in
    that module its own binding, elsewhere what is imported from it (or from its package)."""
    from ..project import imports_export, project_of
    from ..typescript import import_bindings

    found: dict[str, str] = {}
    wanted = [(root, *export.rpartition("#")[::2]) for root, listed in clients for export in listed]
    for root, module, name in wanted:
        if module == path and name not in ("default", "*") and name != root:
            found[name] = root
    project = project_of(repo)
    # What an import names depends on the importer's folder (as `import_targets` keeps it):
    # the thousand modules of a folder importing the client ask one question.
    answers = project.__dict__.setdefault("_client_imports", {})
    folder = path.rpartition("/")[0]
    for local, (specifier, exported, _) in import_bindings(tree).items():
        for root, module, name in wanted:
            if local == root or name != exported:
                continue
            key = (folder, specifier, module, name)
            if key not in answers:
                answers[key] = imports_export(project, path, specifier, module, name)
            if answers[key]:
                found[local] = root
    return found


def _imported_classes(
    repo: RepoView, path: str, tree: Tree, constructs: tuple[tuple[str, tuple[str, ...]], ...]
) -> dict[str, str]:
    """Local name → class, for the classes `constructs` names imported from their modules
    (`import { PrismaClient as Client } from "@/generated/prisma/client"`)."""
    from ..project import imports_module, project_of
    from ..typescript import import_bindings

    wanted = dict(constructs)
    found: dict[str, str] = {}
    for local, (specifier, original, _) in import_bindings(tree).items():
        modules = wanted.get(original, ())
        if any(imports_module(project_of(repo), path, specifier, m) for m in modules):
            found[local] = original
    return found


def _expansions(path: str, aliases: dict[str, list[tuple[int, float, str]]], at: int) -> list[str]:
    """The path as written, then as each alias in turn stands for it where it is used (byte
    `at`; the innermost function binding it wins): `db.task.create` → [`db.task.create`,
    `prisma.task.create`]. Every step counts, so aliasing the Prisma client itself (`const
    prisma = globalForPrisma.prisma`) does not hide its calls."""
    found = [path]
    for _ in range(len(aliases)):  # alias chains, never looping on a cycle
        root, dot, rest = path.partition(".")
        reaching = [
            (start, target) for start, end, target in aliases.get(root, ()) if start <= at < end
        ]
        if not reaching:
            break
        path = max(reaching)[1] + dot + rest
        found.append(path)
    return found


def _registration(function: Node) -> str | None:
    """An anonymous callback registered under a string key: `app.get("/api/tasks", …)`,
    `socket.on("join-task", …)`, `test("…", …)` → `app.get("/api/tasks") handler`; in a chain
    (`new Hono().get("/files", …)`) the method alone, `.get("/files") handler`."""
    from ..typescript import string_value, text

    arguments = function.parent
    call = arguments.parent if arguments is not None else None
    if arguments is None or arguments.type != "arguments" or call.type != "call_expression":
        return None
    target = call.child_by_field_name("function")
    callee = member_path(target)
    if callee is None and target.type == "member_expression":
        callee = "." + text(target.child_by_field_name("property"))
    first = arguments.named_children[0] if arguments.named_child_count else None
    key = string_value(first) if first is not None else None
    if callee is None or key is None:
        return None
    return f'{callee}("{key}") handler'


def scope(node: Node) -> str:
    """Where a node sits: `ChatService.saveMessage()`, `verifyTaskAccess()`, a registered
    callback (`socket.on("join-task") handler`), or module scope. Anonymous functions that are
    not registered callbacks are looked through, as `typescript.enclosing_function` does."""
    from ..typescript import FUNCTIONS, function_name, text

    current = node.parent
    while current is not None:
        if current.type in FUNCTIONS:
            name = function_name(current)
            if name is not None:
                body = current.parent
                if current.type == "method_definition" and body.type == "class_body":
                    class_name = body.parent.child_by_field_name("name")
                    if class_name is not None:
                        name = f"{text(class_name)}.{name}"
                return f"{name}()"
            registered = _registration(current)
            if registered is not None:
                return registered
        current = current.parent
    return "module scope"


class CallAbsent(RuleKind):
    """No call in the listed files (globs allowed, minus `exclude`) may have a callee matching
    `callees`: dotted member paths where `*` matches any run of characters, dots included
    (`prisma.*` is every call on the Prisma client, `prisma.$transaction` one method).

    The files are parsed as TypeScript, so comments, strings, regexes and names that merely
    start alike (`prismaLike.x()`) never count. Local aliases are followed (`const db = prisma;
    db.task.create()`, `const { client, transaction } = prisma; client.user.findMany()`), and so
    are `prisma!`, `(prisma as any)` and `prisma["task"]`. `clients` maps a callee's first name
    to the module exports that hold the same object under other names (`src/lib/db.ts#db`,
    `@acme/db#prismaEdge`, `src/lib/prisma.ts#default`: a repository file or an npm package,
    imports resolved through relative paths, workspace packages and tsconfig `paths`): what is
    imported from them stands for that name. `constructs` maps class names to the modules they
    come from (`{PrismaClient: ["@prisma/client", "src/generated/prisma"]}`, a module passing
    the class on included): constructing one (`new PrismaClient()`, under whatever local name
    it is imported) is a finding too. Each finding names the file, the line, the function the
    call is in (a method as `Class.method()`, a route or event callback by its registration)
    and the callee; `instead` maps callee globs to the replacement the finding suggests.
    """

    name = "call-absent"
    properties = {
        "files": PATHS,
        "exclude": PATHS,
        "callees": STRINGS,
        "clients": {"type": "object", "additionalProperties": STRINGS},
        "constructs": {"type": "object", "additionalProperties": STRINGS},
        "instead": {"type": "object", "additionalProperties": {"type": "string"}},
    }
    required = ("files", "callees")
    option_help = {
        "files": "TypeScript/JavaScript files to read (globs).",
        "exclude": "Files to leave out (globs).",
        "callees": "Dotted callees no call may have (`*`: any run of characters, dots too).",
        "clients": "Callee's first name → exports holding the same object (`src/db.ts#db`).",
        "constructs": "Class name → modules it comes from: constructing one is a finding too.",
        "instead": "Callee glob → the replacement the finding suggests.",
    }
    example = """\
id: no-prisma-calls
kind: call-absent
files: "src/**/*.ts"
callees: ["prisma.*"]
clients:
  prisma: ["src/lib/db.ts#db"]
constructs:
  PrismaClient: ["@prisma/client"]
instead:
  "prisma.*": a Convex query or mutation
message: "{item}"
why: Data access goes through Convex functions.
"""
    hint = (
        "Replace each call with the one the finding suggests. Call sites are not rewritten "
        "automatically: the new API takes other arguments and returns other shapes."
    )

    def scan(self, rule: Rule) -> tuple:
        callees = tuple(as_list(rule.options["callees"]))
        clients = tuple(
            (root, tuple(as_list(exports)))
            for root, exports in sorted(rule.options.get("clients", {}).items())
        )
        # Every call it reports is written with its pattern's first name, or with a name bound
        # to it in the same file (an alias, or an import of a client, which names the export
        # or, for a default export, the module): a file using none of them as a name (only in
        # import paths, `"@acme/prisma/types"`, or as part of longer names) is not parsed.
        constructs = tuple(
            (name, tuple(as_list(modules)))
            for name, modules in sorted(rule.options.get("constructs", {}).items())
        )
        key = (callees, clients, constructs)
        roots = [re.split(r"[.*?\[]", callee, maxsplit=1)[0] for callee in callees]
        exports = [e.rpartition("#") for _, listed in clients for e in listed]
        names = [*roots, *(name for _, _, name in exports if name not in _WHOLE)]
        names += [name for name, _ in constructs]
        modules = [_module_name(module) for module, _, name in exports if name in _WHOLE]
        if not all(names + modules):
            return _calls, key, ()
        used = rf"(?:{_alternatives(names)})(?![\w$'\"/-])"
        if modules:  # named in the import's path, whatever the local name
            used += "|" + _alternatives(modules)
        return _calls, key, Needles((*names, *modules), re.compile(used))

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        instead = rule.options.get("instead", {})
        replacements: dict[str, str | None] = {}  # callee → what the finding suggests

        def replacement_of(callee: str) -> str | None:
            if callee not in replacements:
                replacements[callee] = next(
                    (v for k, v in instead.items() if _matches((k,), callee)), None
                )
            return replacements[callee]

        def report(path: str, calls: list[tuple[int, str, str, str]]) -> Iterator[Finding]:
            for line, where, written, callee in calls:
                if not callee:  # a construction
                    yield self.finding(rule, path, line, f"{where} constructs {written}(…)")
                    continue
                item = f"{where} calls {callee}"
                if written != callee:
                    item += f" (as {written})"
                replacement = replacement_of(callee)
                if replacement is not None:
                    item += f"; use {replacement} instead"
                yield self.finding(rule, path, line, item, callee=callee)

        return self.each_facts(rule, repo, report)


def _calls(repo: RepoView, path: str, tree: Tree, key: tuple) -> list[tuple[int, str, str, str]]:
    """(line, enclosing function, callee as written, callee it matched) of every matching call."""
    from ..typescript import find, line

    callees, clients, constructs = key
    # One query for all: matching a tree costs about the same for one node type as for three.
    nodes = find(tree, "variable_declarator", "call_expression", "new_expression")
    classes = _imported_classes(repo, path, tree, constructs) if constructs else {}
    aliases = _aliases([node for node in nodes if node.type == "variable_declarator"])
    for local, root in _imported_clients(repo, path, tree, clients).items() if clients else ():
        aliases.setdefault(local, []).append((*_MODULE, root))
    # A callee is written with a pattern's first name or an alias (after `(`):
    # other calls are passed over without reading their member chains.
    roots = [re.split(r"[.*?\[]", callee, maxsplit=1)[0] for callee in callees]
    starts = tuple(name.encode() for name in [*roots, *aliases]) if all(roots) else b""
    found = []
    for node in nodes:
        if node.type == "new_expression":
            constructor = node.child_by_field_name("constructor")
            if constructor is not None and constructor.type == "identifier":
                name = classes.get(constructor.text.decode())
                if name is not None:
                    found.append((line(node), scope(node), f"new {name}", ""))
            continue
        function = node.child_by_field_name("function")
        if function is None or not function.text.lstrip(b"(").startswith(starts):
            continue
        written = member_path(function)
        if written is None:
            continue
        expanded = _expansions(written, aliases, node.start_byte)
        callee = next((p for p in expanded if _matches(callees, p)), None)
        if callee is not None:
            found.append((line(node), scope(node), written, callee))
    return found


# Exports imported under a name of the importer's choosing.
_WHOLE = ("default", "*", "")


def _module_name(module: str) -> str:
    """What an import of a module names: `db` of `src/lib/db.ts`, of `packages/db/index.ts`,
    of `@acme/db`."""
    stem = module.rstrip("/").rpartition("/")[2].partition(".")[0]
    if stem == "index":
        stem = module.rstrip("/").rpartition("/")[0].rpartition("/")[2]
    return stem


def _alternatives(names: list[str]) -> str:
    return "|".join(re.escape(name) for name in sorted(set(names)))


def _matches(patterns: tuple[str, ...], callee: str) -> bool:
    """Whether `fnmatchcase(callee, pattern)` holds for one of the patterns: one regex for all
    of them, made once (a file's calls are each tried against every pattern)."""
    return bool(patterns) and _glob_regex(patterns).match(callee) is not None


@lru_cache(maxsize=256)
def _glob_regex(patterns: tuple[str, ...]) -> re.Pattern:
    from fnmatch import translate

    return re.compile("|".join(f"(?:{translate(pattern)})" for pattern in patterns))
