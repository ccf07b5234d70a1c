"""Custom checks written as plain Python functions."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..model import Finding, Rule, UsageError
from ..repo import RepoView
from .base import STRING, RuleKind

_loaded: dict[Path, object] = {}


def load_function(rule: Rule):
    """`checks.py:name` (relative to the contract's directory) or `package.module:name`."""
    import importlib.util

    target, _, name = rule.options["function"].rpartition(":")
    if not target or not name:
        raise UsageError(f"rule {rule.id}: `function` must look like `file.py:name`", rule.source)
    if target.endswith(".py"):
        path = (Path(rule.base_dir) / target).resolve()
        module = _loaded.get(path)
        if module is None:
            if not path.is_file():
                raise UsageError(f"rule {rule.id}: {target} not found", rule.source, rule.line)
            spec = importlib.util.spec_from_file_location(f"conformance_custom_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            shown = (Path(rule.source).parent / target).as_posix()
            with _loading(rule, shown, path):
                spec.loader.exec_module(module)
            _loaded[path] = module
    else:
        with _loading(rule, target, None):
            module = importlib.import_module(target)
    function = getattr(module, name, None)
    if not callable(function):
        raise UsageError(f"rule {rule.id}: {target} has no function {name}", rule.source, rule.line)
    return function


@contextmanager
def _loading(rule: Rule, shown: str, path: Path | None):
    """A checks module that does not import is the contract's error (exit 2), at its line."""
    try:
        yield
    except ImportError as error:
        raise UsageError(f"rule {rule.id}: {error}", rule.source, rule.line) from None
    except SyntaxError as error:
        where = shown if error.filename == str(path) else error.filename or shown
        raise UsageError(f"rule {rule.id}: {error.msg}", where, error.lineno) from None
    except Exception as error:
        import traceback

        frames = traceback.extract_tb(error.__traceback__)
        line = next((f.lineno for f in reversed(frames) if path and f.filename == str(path)), None)
        raise UsageError(
            f"rule {rule.id}: importing it raised {type(error).__name__}: {error}", shown, line
        ) from None


class PythonCheck(RuleKind):
    """A function `check(repo, **args)` yielding `(path, line, message)` tuples or Findings.

    For what no declarative kind can say. `repo` is the same cached view the built-in kinds use
    (`repo.glob`, `repo.text`, `repo.package_json`, `repo.compose_services`, ...).
    """

    name = "python"
    properties = {"function": STRING, "args": {"type": "object"}, "files": {}}
    required = ("function",)
    option_help = {
        "function": "`file.py:name` (relative to the contract) or `package.module:name` to call.",
        "args": "Keyword arguments passed to the function.",
        "files": "Globs the function reads: listed before it runs, watched by `--changed-since`.",
    }
    option_defaults = {"args": {}}
    example = """\
id: no-todo-in-schema
kind: python
function: checks.py:no_todos
args: {marker: TODO}
files: [convex/schema.ts]
message: "{item}"
why: The schema is the contract with the clients; it is finished.
"""
    hint = "See the custom check's own message."

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        function = load_function(rule)
        try:
            results = list(function(repo, **rule.options.get("args", {})))
        except Exception as error:
            import traceback

            frame = traceback.extract_tb(sys.exc_info()[2])[-1]
            where = Path(frame.filename)
            path = (
                where.relative_to(repo.root).as_posix()
                if where.is_relative_to(repo.root)
                else str(where)
            )
            message = f"custom check raised {type(error).__name__}: {error}"
            yield Finding(path, frame.lineno, rule.id, message)
            return
        for result in results:
            if isinstance(result, Finding):
                yield Finding(result.path, result.line, rule.id, result.message, result.fixable)
            else:
                path, line, message = result
                yield Finding(path, line, rule.id, message)
