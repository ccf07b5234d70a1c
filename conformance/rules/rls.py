"""Row-level security: enabled, with a policy, on each user-scoped table by the SQL migrations."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..lines import LineCounter
from ..model import FileProblem, Finding, NothingToCheck, Rule
from ..repo import RepoView
from .base import PATH, STRING, RuleKind, as_list
from .drizzle import drizzle_out

SQL_IDENTIFIER = {"type": "string", "format": "sql_identifier"}
SQL_IDENTIFIERS = {"anyOf": [SQL_IDENTIFIER, {"type": "array", "items": SQL_IDENTIFIER}]}

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..workspace import Workspace

# Comments, quoted literals and dollar-quoted bodies (a function's `;` is not a statement end)
# are blanked before statements are read; quoted identifiers are kept.
_NOISE = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|(\$[A-Za-z_]*\$).*?\1", re.DOTALL)
_NAME = r'((?:"[^"]+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|[A-Za-z_][\w$]*))?)'
_ALTER = re.compile(
    rf"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?{_NAME}(.*)", re.IGNORECASE | re.DOTALL
)
_RLS = re.compile(r"\b(ENABLE|DISABLE)\s+ROW\s+LEVEL\s+SECURITY\b", re.IGNORECASE)
_POLICY = re.compile(
    rf"\b(CREATE|DROP)\s+POLICY\s+(?:IF\s+EXISTS\s+)?{_NAME}\s+ON\s+{_NAME}", re.IGNORECASE
)


_PART = re.compile(r'"([^"]+)"|([A-Za-z_][\w$]*)')


def _table(name: str) -> str:
    """`"public"."Routines"` → `Routines`, `public.routines` → `routines` (unquoted folds)."""
    quoted, plain = _PART.findall(name)[-1]
    return quoted or plain.lower()


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group())


def rls_state(repo: RepoView, files: list[str]) -> dict[str, dict[str, Any]]:
    """table → {"enabled": (path, line) or None, "policies": {name: (path, line)}} after running
    the migrations in order."""
    state: dict[str, dict[str, Any]] = {}
    for path in files:
        sql = _NOISE.sub(_blank, repo.text(path))
        offset = 0
        line_of = LineCounter(sql)
        for statement in sql.split(";"):
            line = line_of(offset + len(statement) - len(statement.lstrip()))
            offset += len(statement) + 1
            where = (path, line)
            alter = _ALTER.search(statement)
            if alter:
                for action in _RLS.findall(alter.group(2)):
                    table = state.setdefault(_table(alter.group(1)), {"policies": {}})
                    table["enabled"] = where if action.upper() == "ENABLE" else None
            policy = _POLICY.search(statement)
            if policy:
                verb, name, table_name = policy.groups()
                policies = state.setdefault(_table(table_name), {"policies": {}})["policies"]
                if verb.upper() == "CREATE":
                    policies[_table(name)] = where
                else:
                    policies.pop(_table(name), None)
    return state


class RlsPolicies(RuleKind):
    """Each named table must have row-level security enabled and at least one policy, as left
    by running the SQL migrations in drizzle-kit's output directory in order.

    The directory is where `out` in drizzle.config.ts points (else the `default` option). Every
    `.sql` file under it counts, in path order (flat `NNNN_name.sql` files and drizzle-kit v1's
    `<timestamp>_<name>/migration.sql` folders alike); `"public"."routines"` and `routines` are
    the same table. A later `DISABLE ROW LEVEL SECURITY` or `DROP POLICY` undoes an earlier
    statement, while comments, string literals and dollar-quoted function bodies are not
    statements.
    """

    name = "rls-policies"
    # Table names are written into SQL unquoted.
    properties = {"config": PATH, "default": STRING, "tables": SQL_IDENTIFIERS}
    required = ("config", "tables")
    option_help = {
        "config": "drizzle config whose `out` names the migrations folder.",
        "default": "Migrations folder when the config names none.",
        "tables": "Tables that must have row-level security enabled and a policy.",
        "fix.file": "File the fix writes in the migrations folder.",
        "fix.template": "Template of the SQL the fix writes.",
        "fix.vars": "Values passed to the template.",
    }
    option_defaults = {"default": "drizzle", "fix.file": "row_level_security.sql"}
    example = """\
id: rls-on-user-tables
kind: rls-policies
config: packages/db/drizzle.config.ts
tables: [sessions, messages]
message: "{item}"
why: Every row belongs to one user; the database enforces it.
"""
    hint = (
        "Add a migration with `ALTER TABLE <t> ENABLE ROW LEVEL SECURITY;` and "
        "`CREATE POLICY ... ON <t> USING (...)` for each table."
    )
    # `file` (created in the migrations directory) rendered from `template` with `vars` and
    # the list of `tables`.
    fix_properties = {"file": STRING, "template": STRING, "vars": {"type": "object"}}

    def patterns(self, rule: Rule) -> list[str]:
        return [rule.options["config"].rpartition("/")[0]]

    def _out(self, rule: Rule, repo: RepoView) -> str:
        return drizzle_out(repo, rule.options["config"], rule.options.get("default", "drizzle"))[0]

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        if not as_list(rule.options["tables"]):
            raise NothingToCheck("no user-scoped table is named")
        out = self._out(rule, repo)
        files = repo.glob(out + "/**/*.sql", files_only=True)
        try:
            state = rls_state(repo, files)
        except FileProblem as problem:
            yield self.problem(rule, problem)
            return
        for table in as_list(rule.options["tables"]):
            facts = state.get(table, {"policies": {}})
            missing = []
            if not facts.get("enabled"):
                missing.append("no ENABLE ROW LEVEL SECURITY")
            if not facts["policies"]:
                missing.append("no CREATE POLICY")
            if missing:
                item = f"table {table}: {', '.join(missing)}"
                yield self.finding(rule, out + "/", None, item, table=table)

    def fix(self, rule: Rule, work: Workspace) -> None:
        """Create `fix.file` in the migrations directory from `fix.template`."""
        from ..templates import render

        spec = rule.options["fix"]
        if "template" not in spec:
            return
        context = {**spec.get("vars", {}), "tables": as_list(rule.options["tables"])}
        path = f"{self._out(rule, work.repo)}/{spec.get('file', 'row_level_security.sql')}"
        work.create(path, render(spec["template"], context), rule)
