"""package.json scripts: present, running the right command, free of forbidden arguments."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..globs import matches
from ..model import Finding, Rule
from ..repo import RepoView
from .base import BOOLEAN, GLOBS, REGEX, STRING, RuleKind, as_list, read_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..workspace import Workspace


def _scripts(document) -> dict:
    scripts = document.data.get("scripts")
    return scripts if isinstance(scripts, dict) else {}


class ScriptPresent(RuleKind):
    """The named script must exist and, when `matches` is given, its command must match it.

    The workflow a decision implies lives in package scripts: `pnpm db:dev` has to start the new
    stack, not the old one, or every developer keeps running what was decided away.
    """

    name = "script-present"
    properties = {"files": GLOBS, "script": STRING, "matches": REGEX}
    required = ("files", "script")
    hint = "Add or change the script in package.json."
    fix_properties = {"command": STRING}

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        script = rule.options["script"]
        pattern = rule.options.get("matches")

        def check_file(path: str) -> Iterator[Finding]:
            document = repo.package_json(path)
            command = _scripts(document).get(script)
            if command is None:
                line = document.line_of("scripts")
                yield self.finding(rule, path, line, f'script "{script}" is missing', script=script)
            elif pattern and not re.search(pattern, str(command)):
                line = document.line_of("scripts", script)
                item = f'script "{script}" runs `{command}`, expected /{pattern}/'
                yield self.finding(rule, path, line, item, script=script, command=command)

        return self.each_file(rule, repo, check_file, required=True)

    def fix(self, rule: Rule, work: Workspace) -> None:
        """Set the script to `fix.command` when it is missing or runs something else."""
        from ..edit.jsontext import set_member

        command = rule.options["fix"].get("command")
        script, pattern = rule.options["script"], rule.options.get("matches")
        for path in self.files(rule, work.repo) if command else ():
            text, data = read_json(work, path)
            current = (data.get("scripts") or {}).get(script)
            if current is None or (pattern and not re.search(pattern, str(current))):
                work.edit(path, set_member(text, ("scripts", script), command), rule)


class ScriptForbidden(RuleKind):
    """No script (or none of the named ones, globs allowed) may match the pattern.

    Catches commands that cannot work: flags the real CLI rejects, tools that were removed.
    """

    name = "script-forbidden"
    properties = {"files": GLOBS, "scripts": GLOBS, "pattern": REGEX}
    required = ("files", "pattern")
    hint = "Change the script's command."
    # `strip`: a regex cut out of the command; `remove_script`: drop the script altogether.
    fix_properties = {"strip": REGEX, "remove_script": BOOLEAN}

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        names = as_list(rule.options.get("scripts")) or ["*"]
        regex = re.compile(rule.options["pattern"])

        def check_file(path: str) -> Iterator[Finding]:
            document = repo.package_json(path)
            for script, command in _scripts(document).items():
                if any(matches(name, script) for name in names) and regex.search(str(command)):
                    line = document.line_of("scripts", script)
                    item = f'script "{script}" runs `{command}`'
                    yield self.finding(rule, path, line, item, script=script, command=command)

        return self.each_file(rule, repo, check_file, required=False)

    def fix(self, rule: Rule, work: Workspace) -> None:
        from ..edit.jsontext import remove_member, set_member

        spec = rule.options["fix"]
        names = as_list(rule.options.get("scripts")) or ["*"]
        regex = re.compile(rule.options["pattern"])
        for path in self.files(rule, work.repo):
            text, data = read_json(work, path)
            for script, command in (data.get("scripts") or {}).items():
                if not (any(matches(n, script) for n in names) and regex.search(str(command))):
                    continue
                if spec.get("remove_script"):
                    text = remove_member(text, ("scripts", script))
                elif "strip" in spec:
                    stripped = re.sub(spec["strip"], "", str(command)).strip()
                    text = set_member(text, ("scripts", script), stripped)
            work.edit(path, text, rule)
