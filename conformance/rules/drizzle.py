"""The Drizzle migrations output directory, wherever drizzle.config.ts points it, must be gone."""

from __future__ import annotations

import posixpath
from collections import namedtuple
from collections.abc import Iterator

from ..model import Finding, NothingToCheck, Rule
from ..repo import RepoView
from .base import PATH, STRING, RuleKind

NAMED_PATH = {**PATH, "minLength": 1}

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..workspace import Workspace


def drizzle_out(repo: RepoView, config: str, default: str) -> tuple[str, int | None, str]:
    """The output dir named by `out` in the config (and its line), else the default, relative
    to the package drizzle-kit runs in (the third value)."""
    from ..project import project_of, relative

    drizzle = project_of(repo).drizzle
    if repo.is_file(config):
        found = drizzle.config(config)
        if found.out is not None:
            return found.out, found.lines.get("out"), found.package
        return relative(default, found.package), None, found.package
    package = posixpath.dirname(config) or "."
    return relative(default, package), None, package


Output = namedtuple("Output", "dir source package config line")
Output.__doc__ = """Where a Drizzle config makes drizzle-kit write migrations: the folder, why
there (said in messages), the package drizzle-kit runs in, and the config and line naming it
(None for drizzle-kit's default)."""


def migrations_dirs(repo: RepoView, rule: Rule) -> list[Output]:
    """The output folder of each Drizzle config the rule names: its `config`, or every config
    of its `package` (drizzle-kit's default folder when the package has none)."""
    from ..project import project_of, relative

    default = rule.options.get("default", "drizzle")
    if "package" in rule.options:
        package = rule.options["package"]
        configs = [c.path for c in project_of(repo).drizzle.in_package(package)]
        if not configs:
            return [
                Output(relative(default, package), "drizzle-kit's default", package, None, None)
            ]
    elif "config" in rule.options:
        configs = [rule.options["config"]]
    else:
        raise NothingToCheck("name the Drizzle `config` or the `package` drizzle-kit runs in")
    found = []
    for config in configs:
        out, line, package = drizzle_out(repo, config, default)
        source = f"`out` in {config}:{line}" if line else "drizzle-kit's default"
        found.append(Output(out, source, package, config if line else None, line))
    return found


def _outside(path: str) -> bool:
    return path == ".." or path.startswith("../")


KEPT_HINT = "correct `out`, or delete the migrations in it by hand"


class DrizzleOutputAbsent(RuleKind):
    """The directory drizzle-kit writes SQL migrations to must be gone.

    Its place is read from `out` in each drizzle config of the package (or the one `config`
    names; drizzle-kit's default is `drizzle`), relative to the package drizzle-kit runs in, so
    a repo that keeps migrations in `./migrations` or `./src/migrations` is checked where they
    really are. `fix` deletes it only when it is what drizzle-kit writes there: a folder inside
    the package holding migrations (`meta/_journal.json` or `.sql` files; drizzle-kit 1.0's
    `<tag>/migration.sql` too), and nothing the repository tracks besides them, their
    snapshots and `migrations.js`. Any other folder `out` names (`..`, `./src`, another
    package) stays a finding, saying why.
    """

    absence = True
    name = "drizzle-output-absent"
    # An empty `package` would put the directory at the repository root.
    properties = {"config": NAMED_PATH, "package": NAMED_PATH, "default": STRING}
    option_help = {
        "config": "drizzle config file whose `out` names the migrations folder.",
        "package": "Package drizzle-kit runs in: each of its drizzle configs is read.",
        "default": "Migrations folder when a config names none.",
    }
    option_defaults = {"default": "drizzle"}
    example = """\
id: no-drizzle-migrations
kind: drizzle-output-absent
package: packages/db
message: "migrations left: {item}"
why: The SQL migrations belong to the database that was dropped.
"""
    hint = "Delete the migrations directory (`git rm -r`)."

    def patterns(self, rule: Rule) -> list[str]:
        if "package" in rule.options:
            return [rule.options["package"]]
        return [posixpath.dirname(rule.options["config"])] if "config" in rule.options else []

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        from ..project import project_of

        for out, source, package, config, line in migrations_dirs(repo, rule):
            if _outside(out):
                said = f"cannot check: {source} names {out}, outside the repository"
                yield Finding(config or out, line, rule.id, said)
            elif repo.is_dir(out):
                problem = project_of(repo).drizzle.output_problem(out, package)
                kept = f"; `fix` leaves it: {problem}; {KEPT_HINT}" if problem else ""
                yield self.finding(rule, out + "/", None, f"{out}/ ({source}{kept})")

    def fix(self, rule: Rule, work: Workspace) -> None:
        from ..project import project_of

        for out, _, package, _, _ in migrations_dirs(work.repo, rule):
            if _outside(out) or not work.repo.is_dir(out):
                continue
            problem = project_of(work.repo).drizzle.output_problem(out, package)
            if problem:
                work.skip(out + "/", rule, f"not removed: {problem}; {KEPT_HINT}")
            else:
                work.remove(out, rule)
