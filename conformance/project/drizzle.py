"""Drizzle: every drizzle.config.* of the repository, read as text (never run), with its
`schema`, `out` and `dialect`, and the files its schema is made of.

drizzle-kit resolves those paths against the directory it runs in, which is the package that
holds the config (its scripts run `drizzle-kit … --config path/to/drizzle.config.ts` from there),
not the config's own folder. It loads `schema` the way drizzle-kit 0.31 does (`prepareFilenames`):
a string or an array, each entry globbed; a directory stands for the script files directly in it
(not its subdirectories); every table those files export counts, wherever it is defined. From
those files the module graph is followed — barrels, `export *`, `export { default as x } from`,
path aliases, workspace packages — within the repository (`schema_files`); that reading parses
TypeScript, so only a fix asks for it."""

from __future__ import annotations

import re
from collections import namedtuple
from functools import cached_property

from ..globs import has_magic
from ..model import FileProblem
from . import listed_problem, relative

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..translate.modules import Modules
    from . import Discovery, Project, Removal

# drizzle.config.ts, drizzle.prod.config.ts, drizzle.config.test.ts…
CONFIG_NAME = re.compile(r"drizzle[^/]*\.config(\.[^/]*)?\.[cm]?[jt]s$")
DEFAULT_OUT = "drizzle"
# What drizzle-kit requires from a schema directory.
SCHEMA_SUFFIXES = (".ts", ".js", ".cjs", ".mjs", ".mts", ".cts")
# Every file drizzle-kit writes into `out` when it makes migrations (`generate`, `generate
# --custom`, `drop`, `up`; read in the bin.cjs of 0.31.11 and 1.0.0-rc.5): 0.31 `<tag>.sql`,
# `meta/_journal.json`, `meta/<prefix>_snapshot.json`; 1.0 `<tag>/migration.sql` and
# `<tag>/snapshot.json`; both `migrations.js` with `bundle`. `pull` writes `schema.ts` and
# `relations.ts` there too: code, not migrations.
OUTPUT_FILES = re.compile(
    r"[^/]+\.sql|meta/_journal\.json|meta/[^/]*snapshot\.json|migrations\.js"
    r"|[^/]+/migration\.sql|[^/]+/snapshot\.json"
)
JOURNAL = "meta/_journal.json"
# A migration drizzle-kit wrote, 0.31's or 1.0's.
_MIGRATION = re.compile(r"[^/]+\.sql|[^/]+/migration\.sql")
_STRING = r"""(?:"([^"\n]*)"|'([^'\n]*)'|`([^`$\n]*)`)"""
_CONFIG_OBJECT = re.compile(r"(?:defineConfig\s*\(\s*|export\s+default\s+|=\s*)\{")
_KEY = re.compile(r"""["']?([A-Za-z_$][\w$]*)["']?\s*:""")


class DrizzleConfig(namedtuple("DrizzleConfig", "path package schema out dialect lines problem")):
    """A drizzle config: its path, its package (drizzle-kit's working directory), `schema` as
    repository paths (None when not a literal), `out` (None when unset), `dialect`, the line
    of each key, and why a key could not be read."""

    __slots__ = ()

    @property
    def migrations(self) -> str:
        """Where drizzle-kit writes SQL migrations (`out`, else its default `drizzle`)."""
        return self.out or relative(DEFAULT_OUT, self.package)


DrizzleSchema = namedtuple("DrizzleSchema", "entries origin problem where")
DrizzleSchema.__doc__ = """A Drizzle schema to read: the files drizzle-kit loads (`entries`), where
they come from (`origin`: the config and its `schema`), and, when there is nothing to read, why
(`problem`) and where to say it (`where`: the config's `schema` line, or the path asked for)."""


class Drizzle:
    def __init__(self, project: Project):
        self.project = project

    @cached_property
    def configs(self) -> list[DrizzleConfig]:
        """Every config, `drizzle.config.*` before its variants (`drizzle.config.test.ts`) in a
        folder: the plain one is what drizzle-kit reads without `--config`."""
        paths = self.project.named_like(CONFIG_NAME)
        return [self.config(path) for path in sorted(paths, key=_plain_first)]

    def config(self, path: str) -> DrizzleConfig:
        package = self.project.workspace.package_of(path) or (path.rpartition("/")[0] or ".")
        try:
            text = strip_comments(self.project.repo.text(path))
        except FileProblem as problem:
            return DrizzleConfig(path, package, None, None, None, {}, problem.message)
        lines: dict[str, int] = {}
        problem = None
        values: dict[str, Any] = {}
        keys = top_level_keys(text)
        for key in ("schema", "out", "dialect"):
            if key not in keys:
                continue
            lines[key] = text.count("\n", 0, keys[key]) + 1
            value = literal(text, keys[key])
            if value is None:
                problem = f"`{key}` at {path}:{lines[key]} is not a literal string or list"
            values[key] = value
        schema = values.get("schema")
        schema = [schema] if isinstance(schema, str) else schema
        out = values.get("out")
        return DrizzleConfig(
            path,
            package,
            [relative(entry, package) for entry in schema] if schema else None,
            relative(out, package) if isinstance(out, str) else None,
            values.get("dialect") if isinstance(values.get("dialect"), str) else None,
            lines,
            problem,
        )

    def output_problem(self, out: str, package: str) -> str | None:
        """Why the folder `out` is not only migrations drizzle-kit wrote for `package` (None
        when it is): it must lie inside the package, hold the journal or `.sql` migrations, and
        hold nothing else the repository tracks. `fix` deletes nothing else: `out: '../../apps'`
        names the apps."""
        inside = package == "." or out.startswith(package + "/")
        if out in (package, ".") or not inside or out == ".." or out.startswith("../"):
            return f"it is not a folder inside {package}, the package drizzle-kit runs in"
        files = [f[len(out) + 1 :] for f in self.project.repo.glob(f"{out}/**", files_only=True)]
        if JOURNAL not in files and not any(_MIGRATION.fullmatch(f) for f in files):
            return f"it holds neither {JOURNAL} nor .sql migrations: drizzle-kit did not write it"
        others = sorted(f for f in files if not OUTPUT_FILES.fullmatch(f))
        if others:
            return listed_problem("it holds files drizzle-kit does not write", others, "")
        return None

    def in_package(self, package: str) -> list[DrizzleConfig]:
        return [config for config in self.configs if config.package == package]

    def entries(self, schema: list[str]) -> list[str]:
        """The files drizzle-kit loads for `schema` entries (repository paths or globs): each
        matching file, and the script files directly inside each matching directory."""
        repo = self.project.repo
        found: list[str] = []
        for entry in schema:
            if entry == ".." or entry.startswith("../"):
                continue  # outside the repository
            if has_magic(entry):
                matches = repo.glob(entry)
            else:
                matches = [entry] if repo.is_file(entry) or repo.is_dir(entry) else []
            for match in matches:
                if repo.is_dir(match):
                    inside = repo.glob(f"{match}/*", files_only=True)
                    files = [f for f in inside if f.endswith(SCHEMA_SUFFIXES)]
                elif match.endswith(SCHEMA_SUFFIXES):
                    files = [match]
                else:
                    files = []
                found += [f for f in sorted(files) if f not in found]
        return found

    def schema(self, config: DrizzleConfig) -> DrizzleSchema:
        """What `config`'s `schema` names, as drizzle-kit loads it."""
        line = config.lines.get("schema")
        where = f"{config.path}:{line}" if line else config.path
        if config.problem and config.schema is None:
            return DrizzleSchema([], "", config.problem, where)
        if not config.schema:
            return DrizzleSchema([], "", f"{config.path} has no `schema`", where)
        named = ", ".join(config.schema)
        entries = self.entries(config.schema)
        if not entries:
            problem = f"`schema` {named} ({config.path}:{line}) matches no TypeScript file"
            return DrizzleSchema([], "", problem, where)
        return DrizzleSchema(entries, f"{config.path} (schema: {named})", None, where)

    def schema_named(self, path: str) -> DrizzleSchema:
        """The schema a contract names by `path` (the `schema` of a config, as the
        `drizzle-schema` fact discovers it, or a path of its own): a config naming it gives all
        of its `schema` (every entry of an array); another path is read as drizzle-kit would
        read it. When nothing can be read, the problem says what was found instead."""
        path = relative(path, ".")
        for config in self.configs:
            if config.schema and path in config.schema:
                return self.schema(config)
        entries = self.entries([path])
        if entries:
            return DrizzleSchema(entries, f"{path} (the contract's `drizzle_schema`)", None, path)
        around = [
            config
            for config in self.configs
            if config.package == "." or path.startswith(config.package + "/")
        ]
        if not around:
            return DrizzleSchema(
                [], "", f"no drizzle.config.* names a schema, and {path} does not exist", path
            )
        config = around[0]
        found = self.schema(config)
        if found.problem:
            return found
        return DrizzleSchema(
            [], "", f"{path} does not exist, and {config.path} names another schema", path
        )

    @cached_property
    def modules(self) -> Modules:
        """The repository's TypeScript modules, with imports resolved the way the Convex
        analysis resolves them (relative paths, tsconfig `paths`, workspace packages through
        their manifests)."""
        from ..translate.modules import Modules
        from .convex_functions import analysis_of

        return Modules(self.project.repo.typescript, analysis_of(self.project).module)

    def schema_files(self, config: DrizzleConfig) -> list[str]:
        """The files `config`'s schema is made of: the entries drizzle-kit loads, the barrels
        their exports pass through and the modules defining what they export, in the order
        found (parses TypeScript: for fixes, not checks)."""
        from ..translate.modules import Binding

        files: list[str] = []
        for entry in self.schema(config).entries:
            module = self.modules.get(entry)
            if module is None:
                continue
            files += [entry] if entry not in files else []
            for name in self.modules.export_names(module):
                trail: list[str] = []
                found = self.modules.exported(module, name, trail)
                defined = [found.module.path] if isinstance(found, Binding) else []
                files += [f for f in dict.fromkeys(trail + defined) if f not in files]
        return files


def _plain_first(path: str) -> tuple[str, bool, str]:
    folder, _, name = path.rpartition("/")
    return folder, re.fullmatch(r"drizzle\.config\.[cm]?[jt]s", name) is None, name


def top_level_keys(text: str) -> dict[str, int]:
    """Key → offset of its value, for the keys of the config object itself (the first object
    passed to `defineConfig(…)`, exported by default, or assigned), not of nested objects such
    as `migrations: { schema: "public" }`."""
    opening = _CONFIG_OBJECT.search(text)
    return {} if opening is None else object_keys(text, opening.end())


def object_keys(text: str, start: int) -> dict[str, int]:
    """Key → offset of its value, for the keys of the object literal whose `{` ends at
    `start` (nested objects' keys left out)."""
    keys: dict[str, int] = {}
    depth, i, quote = 1, start, None
    expect_key = True
    while i < len(text) and depth:
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = None
        elif char in "\"'`" and not (depth == 1 and expect_key):
            quote = char
        elif char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
        elif char == ",":
            expect_key = depth == 1 or expect_key
        elif depth == 1 and expect_key and not char.isspace():
            key = _KEY.match(text, i)
            if key:
                keys.setdefault(key.group(1), key.end())
                i = key.end()
                expect_key = False
                continue
            expect_key = False
        i += 1
    return keys


def literal(text: str, start: int) -> str | list[str] | None:
    """The string, or list of strings, written at `start`; None for anything else."""
    single = re.compile(r"\s*" + _STRING).match(text, start)
    if single:
        return next(group for group in single.groups() if group is not None)
    bracket = re.compile(r"\s*\[").match(text, start)
    if not bracket:
        return None
    items: list[str] = []
    position = bracket.end()
    while True:
        item = re.compile(r"\s*" + _STRING + r"\s*(,)?").match(text, position)
        if item is None:
            close = re.compile(r"\s*\]").match(text, position)
            return items if close else None
        items.append(next(group for group in item.groups()[:3] if group is not None))
        position = item.end()


def strip_comments(text: str) -> str:
    """JavaScript with its comments blanked out (line breaks kept, so lines still count)."""
    out: list[str] = []
    i, n = 0, len(text)
    quote = None
    while i < n:
        char = text[i]
        if quote:
            out.append(char)
            if char == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if char == quote:
                quote = None
            i += 1
        elif char in "\"'`":
            quote = char
            out.append(char)
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end == -1 else end
            out.append(" " * (end - i))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end == -1 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        else:
            out.append(char)
            i += 1
    return "".join(out)


def drizzle_packages(project: Project, binding: dict[str, Any]) -> Discovery:
    from . import Discovery

    configs = project.drizzle.configs
    packages = list(dict.fromkeys(config.package for config in configs))
    sources = [
        "holds " + ", ".join(c.path for c in configs if c.package == package)
        for package in packages
    ]
    return Discovery(packages, sources, "no drizzle.config.* in the repository")


def drizzle_schema(project: Project, binding: dict[str, Any]) -> Discovery:
    """The schema of the package's drizzle config, relative to the package."""
    from . import Discovery

    package = binding.get("package")
    if not isinstance(package, str):
        return Discovery([], [], "no data-layer package")
    for config in project.drizzle.configs:
        if config.package != package or not config.schema:
            continue
        prefix = "" if package == "." else package + "/"
        schema = config.schema[0]
        shown = schema[len(prefix) :] if schema.startswith(prefix) else schema
        more = f" (first of {len(config.schema)})" if len(config.schema) > 1 else ""
        return Discovery([shown], [f'{config.path}:{config.lines["schema"]} "schema"{more}'])
    return Discovery([], [], f"no drizzle config with a literal `schema` in {package}")


def convex_schema_context(spec: str, work, target: str) -> dict[str, Any]:
    """The Convex schema a template writes, translated from the Drizzle schema `spec` names
    (see `Drizzle.schema_named`): every table it exports, or none, with the reason."""
    from ..translate.drizzle_convex import empty_context, schema_context
    from . import project_of

    drizzle = project_of(work.repo).drizzle
    schema = drizzle.schema_named(spec)
    if schema.problem:
        return empty_context(schema.problem, schema.where)
    return schema_context(drizzle.modules, schema.entries, schema.origin)


def schema_removal(project: Project, path: str) -> Removal:
    """What of `path` (a match of a contract's Drizzle schema) is the schema drizzle-kit reads:
    a script file that imports drizzle-orm, or only passes on such files (a barrel); for a
    folder, those of its script files directly inside (drizzle-kit reads no deeper), the folder
    whole when nothing else is in it. Anything else — sources, tests, subfolders — stays."""
    from . import Removal

    repo = project.repo
    if not repo.is_dir(path):
        if path.endswith(SCHEMA_SUFFIXES) and _schema_modules(project, [path]):
            return Removal([path], None)
        return Removal(
            [],
            "it is not a Drizzle schema module (it neither imports drizzle-orm nor only "
            "passes such modules on)",
        )
    inside = repo.glob(f"{path}/**", files_only=True)
    direct = [f for f in inside if "/" not in f[len(path) + 1 :] and f.endswith(SCHEMA_SUFFIXES)]
    modules = _schema_modules(project, direct)
    if not modules:
        return Removal([], "it holds no Drizzle schema module drizzle-kit reads")
    others = [f for f in inside if f not in modules]
    if not others:
        return Removal([path], None)
    return Removal(modules, listed_problem("the rest is no schema drizzle-kit reads", others, path))


_DRIZZLE_IMPORT = re.compile(
    r"""(?:\bfrom|\bimport|\brequire\s*\()\s*["']drizzle-orm(?:/[^"']*)?["']"""
)


def _schema_modules(project: Project, files: list[str]) -> list[str]:
    """Of `files`, the Drizzle schema modules: those importing drizzle-orm, and the barrels
    whose every statement passes on such a module (barrels of barrels too)."""
    known: dict[str, bool] = {}
    return [path for path in files if _schema_module(project, path, known, 0)]


def _schema_module(project: Project, path: str, known: dict[str, bool], depth: int) -> bool:
    from ..typescript import module_imports

    if path in known or depth > 8:
        return known.get(path, False)
    known[path] = False  # an import cycle decides nothing
    try:
        text = project.repo.text(path)
        if _DRIZZLE_IMPORT.search(strip_comments(text)):
            known[path] = True
            return True
        tree = project.repo.typescript(path)
    except FileProblem:
        return False
    statements = [c for c in tree.root_node.children if c.type != "comment"]
    if not statements or any(
        s.type != "export_statement" or s.child_by_field_name("source") is None for s in statements
    ):
        return False
    graph = project.imports
    for found in module_imports(tree):
        # A relative module, a tsconfig `paths` alias or a workspace package's module (`export *
        # from "@acme/server/db/schema"`), resolved as TypeScript does.
        try:
            aliased = graph.resolver.aliased(graph.aliases(path, found.specifier))
            kind, target = (
                ("file", aliased.file) if aliased else graph.resolver.module(path, found.specifier)
            )
        except FileProblem:
            return False
        if kind != "file" or not _schema_module(project, target, known, depth + 1):
            return False
    known[path] = True
    return True
