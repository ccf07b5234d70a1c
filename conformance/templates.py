"""Rendering the scaffold templates: a sandboxed Jinja environment fed only plain data.

The templates live in the repository's top-level `templates/`; the wheel carries them as
`conformance/_templates/`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from .model import UsageError

_PACKAGED = Path(__file__).parent / "_templates"
_SOURCE_TREE = Path(__file__).parent.parent / "templates"
_UNSAFE_IN_STRINGS = re.compile("[\u2028\u2029\ud800-\udfff]")


def templates_dir() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE_TREE


@cache
def _environment():
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    options = {
        "undefined": StrictUndefined,
        "keep_trailing_newline": True,
        "autoescape": False,
        "trim_blocks": True,
        "lstrip_blocks": True,
    }
    environment = SandboxedEnvironment(
        loader=FileSystemLoader(templates_dir()),
        bytecode_cache=_bytecode_cache(repr(sorted(options.items()))),
        **options,
    )
    environment.filters.update(FILTERS)
    return environment


def _bytecode_cache(options: str):
    """Jinja's compiled templates, kept in the user's cache folder: compiling the templates a
    plan renders was ~20 ms of a `fix --dry-run`. Jinja files each under its template's name and
    path, and compiles again when the source's checksum differs (an edited template is never
    served stale); Jinja's and Python's versions are in its header, the environment's options in
    the folder's name. None (no cache) when the folder cannot be made."""
    import hashlib
    from contextlib import suppress

    from jinja2 import FileSystemBytecodeCache

    class Cache(FileSystemBytecodeCache):
        # A cache is only ever a shortcut: a file that cannot be read or written is compiled.
        def load_bytecode(self, bucket):
            try:
                super().load_bytecode(bucket)
            except Exception:
                bucket.reset()

        def dump_bytecode(self, bucket):
            with suppress(OSError):
                super().dump_bytecode(bucket)
            trim(self.directory)  # one entry per template path: templates of many checkouts

    from .usercache import cache_folder, trim

    key = hashlib.sha1(options.encode(), usedforsecurity=False).hexdigest()[:12]
    folder = cache_folder(f"jinja-{key}")
    return Cache(folder) if folder else None


class Unwritable(ValueError):
    """A value that has no safe spelling where a template writes it (an SQL identifier that is
    none): the template cannot be rendered."""


def _string_text(value: object) -> str:
    """Inside a double-quoted JSON, JavaScript or TypeScript string: quotes, backslashes and
    control characters escaped; so are U+2028/9 (line ends to older JavaScript) and lone
    surrogates (not UTF-8)."""
    import json

    text = json.dumps(str(value), ensure_ascii=False)[1:-1]
    return _UNSAFE_IN_STRINGS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _template_literal_text(value: object) -> str:
    """Inside a JavaScript template literal (sql`...`): no backquote, `${` or backslash ends it,
    interpolates or escapes."""
    text = str(value).replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")
    return _UNSAFE_IN_STRINGS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _sql_string_text(value: object) -> str:
    """Inside a single-quoted SQL string (standard_conforming_strings: only `'` is special)."""
    text = str(value)
    if "\0" in text:
        raise Unwritable(f"{text!r} cannot be written in an SQL string (it holds NUL)")
    return text.replace("'", "''")


def _sql_identifier(value: object) -> str:
    from .model import SQL_IDENTIFIER

    if not SQL_IDENTIFIER.fullmatch(str(value)):
        raise Unwritable(
            f"{str(value)!r} is not an SQL identifier (lower-case letters, digits and `_`)"
        )
    return str(value)


def _ts_identifier(value: object) -> str:
    from .model import TS_IDENTIFIER

    if not TS_IDENTIFIER.fullmatch(str(value)):
        raise Unwritable(f"{str(value)!r} is not a TypeScript identifier")
    return str(value)


def _comment_text(value: object) -> str:
    """Inside a `//`, `--` or `/* */` comment: line ends, control and bidi characters shown
    escaped (a newline would end the comment, U+202E reorder what a reader sees), `*/` broken."""
    import unicodedata

    text = "".join(
        char
        if unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Zl", "Zp")
        else char.encode("unicode_escape", "backslashreplace").decode("ascii")
        for char in str(value)
    )
    return text.replace("*/", "*\\/")


# The escaping filters, named for where the value goes: `"{{ name | json_string }}"`.
FILTERS = {
    "json_string": _string_text,
    "ts_string": _string_text,
    "ts_template": _template_literal_text,
    "ts_identifier": _ts_identifier,
    "sql_string": _sql_string_text,
    "sql_identifier": _sql_identifier,
    "comment": _comment_text,
}


def plain(value: object, where: str = "context") -> None:
    """Only str/int/float/bool/None, lists and string-keyed dicts of them reach a template."""
    if value is None or isinstance(value, str | int | float | bool):
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            plain(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: template data keys must be strings, not {key!r}")
            plain(item, f"{where}.{key}")
    else:
        raise TypeError(f"{where}: {type(value).__name__} is not plain data")


def render(name: str, context: dict[str, object]) -> str:
    """Render `templates/<name>`; an undefined variable or a missing template is a UsageError.
    What a template rendered for the very same source, context and Jinja is read back from
    the user's cache: importing Jinja is ~22 ms of a `fix --dry-run`, which renders a handful
    of small templates."""
    plain(context)
    key = _rendering_key(name, context)
    rendered = _kept_rendering(key) if key else None
    if rendered is None:
        rendered = _render(name, context)
        if key:
            _keep_rendering(key, rendered)
    return rendered


# A template that pulls in another renders what that one holds too: never kept.
_PULLS_IN = re.compile(r"{%-?\s*(?:include|extends|import|from)\b")
_OPTIONS = "StrictUndefined keep_trailing_newline trim_blocks lstrip_blocks sandboxed"


def _rendering_key(name: str, context: dict[str, object]) -> str | None:
    """A digest of everything the output depends on: the template's text, the context (by
    `repr`, which tells a tuple from a list and keeps the order of keys) and the renderer (see
    `_renderer`). None when the rendering cannot be kept."""
    import hashlib

    renderer = _renderer()
    try:
        source = (templates_dir() / name).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None  # Jinja says what is wrong with the template
    if renderer is None or _PULLS_IN.search(source):
        return None
    material = "\0".join([renderer, name, source, repr(context)])
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


@cache
def _renderer() -> str | None:
    """What renders, once per run: the environment's options, this module (its escaping
    filters) and the installed Jinja, by their files' size and time; None when unknown."""
    import importlib.util
    import os

    try:
        jinja = importlib.util.find_spec("jinja2")
        installed = os.stat(jinja.origin) if jinja and jinja.origin else None
        filters = os.stat(__file__)
    except (OSError, ValueError):
        return None
    if installed is None:
        return None
    return "\0".join(
        [
            _OPTIONS,
            f"{filters.st_size}:{filters.st_mtime_ns}",
            f"{jinja.origin}:{installed.st_size}:{installed.st_mtime_ns}",
        ]
    )


def _kept_rendering(key: str) -> str | None:
    from .usercache import cache_folder

    folder = cache_folder("rendered")
    try:
        with open(f"{folder}/{key}", "rb") as stream:
            return stream.read().decode("utf-8", "surrogatepass")
    except (OSError, TypeError, UnicodeDecodeError):
        return None


def _keep_rendering(key: str, rendered: str) -> None:
    from .usercache import cache_folder, write_file

    folder = cache_folder("rendered")
    if folder:
        write_file(f"{folder}/{key}", rendered.encode("utf-8", "surrogatepass"))


def _render(name: str, context: dict[str, object]) -> str:
    from jinja2 import TemplateError, TemplateNotFound

    try:
        return _environment().get_template(name).render(**context)
    except TemplateNotFound:
        raise UsageError(f"template `{name}` not found in {templates_dir()}") from None
    except (TemplateError, Unwritable) as error:
        raise UsageError(
            f"cannot render: {error}", f"templates/{name}", _line(error, name)
        ) from None


def _line(error: Exception, name: str) -> int | None:
    """The template line of a render error: syntax errors carry it, runtime errors are found in
    the traceback, which Jinja rewrites to point into the template."""
    import traceback

    if getattr(error, "lineno", None):
        return error.lineno
    frames = traceback.extract_tb(error.__traceback__)
    return next((f.lineno for f in reversed(frames) if f.filename.endswith(name)), None)
