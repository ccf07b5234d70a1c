"""package.json scripts: present, running the right command, free of forbidden arguments."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..globs import matches_name
from ..model import FileProblem, Finding, Rule
from ..repo import JsonDocument, RepoView
from ..shapes import described, mapping, string
from .base import (
    BOOLEAN,
    GLOBS,
    PATHS,
    REGEX,
    STRING,
    RuleKind,
    as_list,
    cannot_fix,
    read_package_json,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..workspace import Workspace


def commands(document: JsonDocument, names: list[str]) -> Iterator[tuple[str, str | FileProblem]]:
    """(script, command) of every script of a package.json matching one of `names` (globs); a
    command that is not a string is its FileProblem. FileProblem when `scripts` is no object."""
    for script, command in mapping(document, "scripts").items():
        if not any(matches_name(name, script) for name in names):
            continue
        if not isinstance(command, str):
            command = FileProblem(
                document.path,
                f'script "{script}" is {described(command)}, expected a string',
                document.line_of("scripts", script),
            )
        yield script, command


class ScriptPresent(RuleKind):
    """The named script must exist and, when `matches` is given, its command must match it.

    The workflow a decision implies lives in package scripts: `pnpm db:dev` has to start the new
    stack, not the old one, or every developer keeps running what was decided away.
    """

    name = "script-present"
    properties = {"files": PATHS, "script": STRING, "matches": REGEX}
    required = ("files", "script")
    option_help = {
        "files": "package.json files to read (globs).",
        "script": "Name of the script that must exist.",
        "matches": "Regex the script's command must match.",
        "fix.command": "Command the fix writes for the script.",
    }
    example = """\
id: db-dev-script
kind: script-present
files: packages/backend/package.json
script: dev
matches: "^convex dev\\\\b"
message: "`dev` does not start Convex: {item}"
why: Developers start the backend the way the decision says.
fix:
  command: convex dev
"""
    hint = "Add or change the script in package.json."
    fix_properties = {"command": STRING}

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        script = rule.options["script"]
        pattern = rule.options.get("matches")

        def check_file(path: str) -> Iterator[Finding]:
            document = repo.package_json(path)
            command = mapping(document, "scripts").get(script)
            if command is None:
                line = document.line_of("scripts")
                yield self.finding(rule, path, line, f'script "{script}" is missing', script=script)
                return
            command = string(document, "scripts", script)
            if pattern and not re.search(pattern, command):
                line = document.line_of("scripts", script)
                item = f'script "{script}" runs `{command}`, expected /{pattern}/'
                yield self.finding(rule, path, line, item, script=script, command=command)

        return self.each_file(rule, repo, check_file, required=True)

    def fix(self, rule: Rule, work: Workspace) -> None:
        """Set the script to `fix.command` when it is missing or runs something else."""
        from ..edit.jsontext import set_member

        command = rule.options["fix"].get("command")
        script, pattern = rule.options["script"], rule.options.get("matches")

        def fix_file(path: str) -> None:
            document = read_package_json(work, path)
            current = mapping(document, "scripts", writing=True).get(script)
            if current is not None:
                current = string(document, "scripts", script)
            if current is None or (pattern and not re.search(pattern, current)):
                work.edit(path, set_member(document.text, ("scripts", script), command), rule)

        if command:
            self.fix_each(rule, work, fix_file)


class ScriptForbidden(RuleKind):
    """No script (or none of the named ones, globs allowed) may match the pattern.

    Catches commands that cannot work: flags the real CLI rejects, tools that were removed.
    """

    name = "script-forbidden"
    properties = {"files": PATHS, "scripts": GLOBS, "pattern": REGEX}
    required = ("files", "pattern")
    option_help = {
        "files": "package.json files to read (globs).",
        "scripts": "Script names to look at (globs).",
        "pattern": "Regex no script's command may match.",
        "fix.strip": "Regex of the part of the command the fix cuts out.",
        "fix.remove_script": "Whether the fix removes the whole script instead.",
    }
    option_defaults = {"scripts": ["*"], "fix.remove_script": False}
    example = """\
id: no-drizzle-kit-scripts
kind: script-forbidden
files: "**/package.json"
pattern: "\\\\bdrizzle-kit\\\\b"
message: "runs drizzle-kit: {item}"
why: drizzle-kit is gone with the Postgres stack.
fix:
  remove_script: true
"""
    hint = "Change the script's command."
    # `strip`: a regex cut out of the command; `remove_script`: drop the script altogether.
    fix_properties = {"strip": REGEX, "remove_script": BOOLEAN}

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        names = as_list(rule.options.get("scripts")) or ["*"]
        regex = re.compile(rule.options["pattern"])

        def check_file(path: str) -> Iterator[Finding]:
            document = repo.package_json(path)
            for script, command in commands(document, names):
                if isinstance(command, FileProblem):
                    yield self.problem(rule, command)
                elif regex.search(command):
                    line = document.line_of("scripts", script)
                    item = f'script "{script}" runs `{command}`'
                    yield self.finding(rule, path, line, item, script=script, command=command)

        return self.each_file(rule, repo, check_file, required=False)

    def fix(self, rule: Rule, work: Workspace) -> None:
        from ..edit.jsontext import remove_member, set_member

        spec = rule.options["fix"]
        names = as_list(rule.options.get("scripts")) or ["*"]
        regex = re.compile(rule.options["pattern"])

        def fix_file(path: str) -> None:
            document = read_package_json(work, path)
            text = document.text
            for script, command in commands(document, names):
                if isinstance(command, FileProblem):
                    cannot_fix(work, rule, command)
                    continue
                if not regex.search(command):
                    continue
                if spec.get("remove_script"):
                    text = remove_member(text, ("scripts", script))
                elif "strip" in spec:
                    stripped = re.sub(spec["strip"], "", command).strip()
                    text = set_member(text, ("scripts", script), stripped)
            work.edit(path, text, rule)

        self.fix_each(rule, work, fix_file)
