"""The Drizzle migrations output directory, wherever drizzle.config.ts points it, must be gone."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from ..model import Finding, Rule
from ..repo import RepoView
from .base import STRING, RuleKind

NAMED = {"type": "string", "minLength": 1}

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..workspace import Workspace


def drizzle_out(repo: RepoView, config: str, default: str) -> tuple[str, int | None]:
    """The output dir named by `out` in the config (and its line), else the default, relative
    to the package drizzle-kit runs in."""
    from ..project import project_of, relative

    drizzle = project_of(repo).drizzle
    if repo.is_file(config):
        found = drizzle.config(config)
        if found.out is not None:
            return found.out, found.lines.get("out")
        return relative(default, found.package), None
    return relative(default, posixpath.dirname(config)), None


def migrations_dirs(repo: RepoView, rule: Rule) -> list[tuple[str, str]]:
    """(directory, why there) for each Drizzle config the rule names: its `config`, or every
    config of its `package` (drizzle-kit's default folder when the package has none)."""
    from ..project import project_of, relative

    default = rule.options.get("default", "drizzle")
    if "package" in rule.options:
        package = rule.options["package"]
        configs = [c.path for c in project_of(repo).drizzle.in_package(package)]
        if not configs:
            return [(relative(default, package), "drizzle-kit's default")]
    else:
        configs = [rule.options["config"]]
    found = []
    for config in configs:
        out, line = drizzle_out(repo, config, default)
        found.append((out, f"`out` in {config}:{line}" if line else "drizzle-kit's default"))
    return found


class DrizzleOutputAbsent(RuleKind):
    """The directory drizzle-kit writes SQL migrations to must be gone.

    Its place is read from `out` in each drizzle config of the package (or the one `config`
    names; drizzle-kit's default is `drizzle`), relative to the package drizzle-kit runs in, so
    a repo that keeps migrations in `./migrations` or `./src/migrations` is checked where they
    really are.
    """

    absence = True
    name = "drizzle-output-absent"
    # An empty `package` would put the directory at the repository root.
    properties = {"config": NAMED, "package": NAMED, "default": STRING}
    hint = "Delete the migrations directory (`git rm -r`)."

    def patterns(self, rule: Rule) -> list[str]:
        return [rule.options.get("package") or posixpath.dirname(rule.options["config"])]

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        for out, source in migrations_dirs(repo, rule):
            if repo.is_dir(out):
                yield self.finding(rule, out + "/", None, f"{out}/ ({source})")

    def fix(self, rule: Rule, work: Workspace) -> None:
        for out, _ in migrations_dirs(work.repo, rule):
            work.remove(out, rule)
