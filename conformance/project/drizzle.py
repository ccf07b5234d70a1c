"""Drizzle: every drizzle.config.* of the repository, read as text (never run), with its
`schema`, `out` and `dialect`.

drizzle-kit resolves those paths against the directory it runs in, which is the package that
holds the config (its scripts run `drizzle-kit … --config path/to/drizzle.config.ts` from there),
not the config's own folder."""

from __future__ import annotations

import re
from collections import namedtuple
from functools import cached_property

from ..model import FileProblem
from . import relative

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from . import Discovery, Project

# drizzle.config.ts, drizzle.prod.config.ts, drizzle.config.test.ts…
CONFIG_NAME = re.compile(r"drizzle[^/]*\.config(\.[^/]*)?\.[cm]?[jt]s$")
DEFAULT_OUT = "drizzle"
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


class Drizzle:
    def __init__(self, project: Project):
        self.project = project

    @cached_property
    def configs(self) -> list[DrizzleConfig]:
        return [self.config(path) for path in self.project.named_like(CONFIG_NAME)]

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

    def in_package(self, package: str) -> list[DrizzleConfig]:
        return [config for config in self.configs if config.package == package]


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
    """The Convex schema a template writes, translated from the Drizzle schema module `spec`."""
    from ..translate.drizzle_convex import convex_schema_context as translate

    return translate(work.original(spec))
