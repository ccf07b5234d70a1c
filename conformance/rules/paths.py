"""Files and directories that must exist, or must be gone."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Finding, Rule
from ..repo import RepoView, normalize
from .base import PATHS, RuleKind, as_list, remove

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..workspace import Workspace


class PathPresent(RuleKind):
    """Every listed path (globs allowed) must match at least one file or directory.

    The new baseline is only real once its files are in the repository: a contract that names
    them fails until they exist, so nobody can claim the migration done with half the scaffold.
    """

    name = "path-present"
    properties = {"paths": PATHS, "type": {"enum": ["file", "dir", "any"]}}
    required = ("paths",)
    option_help = {
        "paths": "Paths or globs; each must match at least one file or directory.",
        "type": "What each match must be: `file`, `dir` or `any`.",
    }
    option_defaults = {"type": "any"}
    example = """\
id: adr-folder
kind: path-present
paths: [docs/adr, convex/schema.ts]
message: "missing: {item}"
why: The decision is recorded and the new schema exists.
"""
    hint = "Create the missing file or directory."

    def patterns(self, rule: Rule) -> list[str]:
        return as_list(rule.options["paths"])

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        wanted = rule.options.get("type", "any")
        for pattern in as_list(rule.options["paths"]):
            found = repo.glob(pattern, files_only=wanted == "file")
            if wanted == "dir":
                found = [path for path in found if repo.is_dir(path)]
            if not found:
                yield self.finding(rule, pattern, None, normalize(pattern))


class PathAbsent(RuleKind):
    """No file or directory may match the listed paths (globs allowed).

    Leftover artifacts of the old stack keep old assumptions alive: a config file or a migrations
    folder invites the next person to extend what was decided away. A matching directory is
    reported once, not file by file.
    """

    absence = True
    name = "path-absent"
    properties = {"paths": PATHS}
    required = ("paths",)
    option_help = {
        "paths": "Paths or globs no file or directory may match.",
    }
    example = """\
id: no-drizzle-config
kind: path-absent
paths: ["drizzle.config.{ts,js}", "migrations/**/*.sql"]
message: "left over from Postgres: {item}"
why: The Drizzle config and migrations belong to the stack that was dropped.
fix:
  delete: ["drizzle.config.{ts,js}"]
"""
    hint = "Delete the path (`git rm -r` when it is tracked)."

    def patterns(self, rule: Rule) -> list[str]:
        return as_list(rule.options["paths"])

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        for pattern in as_list(rule.options["paths"]):
            reported: list[str] = []
            for path in repo.glob(pattern):
                if any(path.startswith(done + "/") for done in reported):
                    continue
                reported.append(path)
                shown = path + "/" if repo.is_dir(path) else path
                yield self.finding(rule, shown, None, shown)

    def fix(self, rule: Rule, work: Workspace) -> None:
        """Delete every match (staged with `git rm` when tracked); with `removes:` in the fix,
        only what of each match is that artifact."""
        for pattern in as_list(rule.options["paths"]):
            for path in work.repo.glob(pattern):
                remove(work, rule, path)
