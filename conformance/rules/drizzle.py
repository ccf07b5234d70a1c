"""The Drizzle migrations output directory, wherever drizzle.config.ts points it, must be gone."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from ..model import FileProblem, Finding, Rule
from ..repo import RepoView
from .base import STRING, RuleKind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..workspace import Workspace

_OUT = re.compile(r"""\bout\s*:\s*(["'`])([^"'`]+)\1""")


def drizzle_out(repo: RepoView, config: str, default: str) -> tuple[str, int | None]:
    """The output dir named by `out` in the config (and its line), else the default."""
    base = posixpath.dirname(config)
    out, line = default, None
    if repo.is_file(config):
        try:
            text = repo.text(config)
        except FileProblem:
            text = ""
        match = _OUT.search(text)
        if match:
            out, line = match.group(2), text.count("\n", 0, match.start()) + 1
    return posixpath.normpath(posixpath.join(base, out)), line


class DrizzleOutputAbsent(RuleKind):
    """The directory drizzle-kit writes SQL migrations to must be gone.

    Its place is read from `out` in drizzle.config.ts (drizzle-kit's default is `drizzle`), so a
    repo that keeps migrations in `./migrations` is checked where they really are.
    """

    absence = True
    name = "drizzle-output-absent"
    properties = {"config": STRING, "default": STRING}
    required = ("config",)
    hint = "Delete the migrations directory (`git rm -r`)."

    def patterns(self, rule: Rule) -> list[str]:
        return [posixpath.dirname(rule.options["config"])]

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        config = rule.options["config"]
        out, line = drizzle_out(repo, config, rule.options.get("default", "drizzle"))
        if repo.is_dir(out):
            source = f" (`out` in {config}:{line})" if line else " (drizzle-kit's default)"
            yield self.finding(rule, out + "/", None, out + "/" + source)

    def fix(self, rule: Rule, work: Workspace) -> None:
        out, _ = drizzle_out(
            work.repo, rule.options["config"], rule.options.get("default", "drizzle")
        )
        work.remove(out, rule)
