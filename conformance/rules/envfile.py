"""Variables an env file (`.env.example`) must declare."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..globs import has_magic
from ..model import Finding, Rule
from ..repo import RepoView
from .base import PATHS, STRING, STRINGS, RuleKind, as_list

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..workspace import Workspace


def declaration(name: str) -> re.Pattern[str]:
    """`NAME=…`, `export NAME=…`, or the same commented out (`# NAME=`): an example file
    documents a variable either way."""
    return re.compile(rf"(?m)^[ \t]*(?:#[ \t]*)?(?:export[ \t]+)?{re.escape(name)}[ \t]*=")


class EnvVarPresent(RuleKind):
    """Each listed env file (an `.env.example`) must declare every named variable.

    The example file is how a new machine learns what to configure: a variable the code now
    requires but the example does not name fails at runtime, on someone else's machine. A
    commented-out declaration (`# NAME=`) counts; a mention in prose does not. A missing file
    is a finding. The fix appends `NAME=` (after `fix.comment`, if given) in the file's own
    line endings, and renders `fix.template` where the file is missing.
    """

    name = "env-var-present"
    properties = {"files": PATHS, "names": STRINGS}
    required = ("files", "names")
    option_help = {
        "files": "Env example files to read (globs).",
        "names": "Variables each file must declare.",
        "fix.value": "Value the fix writes after `NAME=`.",
        "fix.comment": "Comment the fix writes above the variables it adds.",
        "fix.template": "Template the fix renders where the file is missing.",
    }
    option_defaults = {"fix.value": ""}
    example = """\
id: convex-url-documented
kind: env-var-present
files: .env.example
names: [CONVEX_DEPLOYMENT, NEXT_PUBLIC_CONVEX_URL]
message: "not declared: {item}"
why: A new machine learns what to configure from the example.
fix:
  comment: Convex (npx convex dev writes these)
"""
    hint = "Add `NAME=` (with a comment saying what it is for) to the env example."
    fix_properties = {"value": STRING, "comment": STRING, "template": STRING}

    @staticmethod
    def creates(rule: Rule, path: str) -> bool:
        return "template" in (rule.options.get("fix") or {})

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        def check_file(path: str) -> Iterator[Finding]:
            text = repo.text(path)
            for name in as_list(rule.options["names"]):
                if not declaration(name).search(text):
                    yield self.finding(rule, path, None, f"{name} is not declared", name=name)

        return self.each_file(rule, repo, check_file, required=True)

    def fix(self, rule: Rule, work: Workspace) -> None:
        """Append each missing `NAME=value` to the env files; render `fix.template` for a file
        that does not exist."""
        from ..templates import render

        spec = rule.options["fix"]
        for pattern in as_list(rule.options["files"]):
            paths = work.repo.glob(pattern, files_only=True) if has_magic(pattern) else [pattern]
            for path in paths:
                text = work.read(path)
                if text is None:
                    if "template" in spec:
                        work.create(path, render(spec["template"], {}), rule)
                    continue
                missing = [
                    n for n in as_list(rule.options["names"]) if not declaration(n).search(text)
                ]
                if missing:
                    work.edit(path, _appended(text, missing, spec), rule)


def _appended(text: str, names: list[str], spec: dict) -> str:
    """`text` with `NAME=value` lines (after the comment) at the end, in its line endings."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = [f"# {line}" for line in spec.get("comment", "").splitlines()]
    lines += [f"{name}={spec.get('value', '')}" for name in names]
    if text and not text.endswith("\n"):
        text += newline
    if text.strip():
        text += newline  # a blank line between the old content and the addition
    return text + newline.join(lines) + newline
