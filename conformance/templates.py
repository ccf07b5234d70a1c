"""Rendering the scaffold templates: a sandboxed Jinja environment fed only plain data.

The templates live in the repository's top-level `templates/`; the wheel carries them as
`conformance/_templates/`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from .model import UsageError

_PACKAGED = Path(__file__).parent / "_templates"
_SOURCE_TREE = Path(__file__).parent.parent / "templates"


def templates_dir() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE_TREE


@cache
def _environment():
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        loader=FileSystemLoader(templates_dir()),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


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
    """Render `templates/<name>`; an undefined variable or a missing template is a UsageError."""
    from jinja2 import TemplateError, TemplateNotFound

    plain(context)
    try:
        return _environment().get_template(name).render(**context)
    except TemplateNotFound:
        raise UsageError(f"template `{name}` not found in {templates_dir()}") from None
    except TemplateError as error:
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
