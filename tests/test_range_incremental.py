"""`--rev A..B` reuses a rule's outcome while no change touches what it consulted: the report
must be exactly the one checking every commit on its own gives."""

from __future__ import annotations

import json

import pytest
from conftest import git, init_git

from conformance import formats
from conformance.contract import load_rules
from conformance.engine import run
from conformance.history import check_range
from conformance.repo import GitTreeView

PACKAGE = "packages/db/package.json"
PLAN = "docs/PROJECT_PLAN.md"
HTTP = "packages/db/convex/http.ts"


def commit(root, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def history(fixture_copy):
    """kata-after, then commits hitting each case a range must get right; an unrelated root
    commit on the branch `other`."""
    root = fixture_copy("kata-after")
    init_git(root)
    git(root, "branch", "-M", "main")
    (root / "notes.txt").write_text("unrelated\n")
    commit(root, "a file no rule reads")
    edit(root / PACKAGE, '"convex": ', '"pg": "^8.0.0",\n    "convex": ')
    commit(root, "a file one rule reads: breaks no-postgres-dependencies")
    with (root / "conformance.yaml").open("a") as config:
        config.write("# reviewed\n")
    commit(root, "the config")
    git(root, "mv", PLAN, "docs/PLAN.md")
    commit(root, "rename the active docs away: active-docs-baseline reads nothing")
    git(root, "mv", "docs/PLAN.md", PLAN)
    commit(root, "and back")
    (root / HTTP).rename(root / "http.ts.keep")
    commit(root, "delete a file a rule requires")
    (root / "http.ts.keep").rename(root / HTTP)
    commit(root, "re-add it")
    git(root, "checkout", "-q", "-b", "side", "HEAD~2")
    with (root / PLAN).open("a") as plan:
        plan.write("\nPostgreSQL schema + Drizzle migrations\n")
    commit(root, "side: the stale phrase")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "-m", "merge side", "side")
    edit(root / "apps/gateway/package.json", '"hono": ', '"@kata/db": "workspace:*",\n    "hono": ')
    commit(root, "the gateway depends on the data package")
    with (root / "apps/gateway/src/index.ts").open("a") as source:
        source.write('export { api } from "@kata/db/api";\n')
    commit(root, "an edit makes the gateway import the data package: only the grep sees it")
    (root / "packages/api/src").mkdir(parents=True)
    (root / "packages/api/package.json").write_text(
        '{"name": "@kata/api", "dependencies": {"@kata/db": "workspace:*"}}\n'
    )
    (root / "packages/api/src/index.ts").write_text('import { api } from "@kata/db/api";\n')
    commit(root, "a new package: discovery's listing answers differently")
    edit(root / PACKAGE, '"pg": "^8.0.0",\n    ', "")
    commit(root, "mend no-postgres-dependencies")
    git(root, "commit", "-q", "--allow-empty", "-m", "nothing changed")
    git(root, "checkout", "-q", "--orphan", "other")
    git(root, "rm", "-rq", "--cached", ".")
    commit(root, "an unrelated root")
    git(root, "checkout", "-qf", "main")
    return root


def one_by_one(root, rules, spec: str) -> dict:
    """The range report as the old code made it: each commit checked on its own."""
    base, _, tip = spec.partition("..")
    log = git(root, "log", "--reverse", "--format=%H", f"{base}..{tip}").split()
    failed = []
    for sha in [base, *log] if log else [base, tip]:
        view = GitTreeView(root, sha)
        report = run(rules, view)
        view.close()
        failed.append(report.failed)
    return {"failed": failed[1 : len(log) + 1], "tip": json.loads(formats.json(report))}


@pytest.mark.parametrize(
    "spec",
    [
        "main~13..main",  # every case: unrelated, read file, config, rename, delete, merge…
        "main~1..main",  # a single commit
        "main..main",  # an empty range
        "other..main",  # its first commit is the root commit
        "main~6..main~4",
    ],
)
def test_incremental_range_is_every_commit_checked_on_its_own(history, spec):
    rules = load_rules(history)
    definitions = {"conformance.yaml"}
    report = check_range(history, rules, spec, definitions)
    slow = one_by_one(history, rules, spec)
    assert [commit["failed"] for commit in report.commits] == slow["failed"]
    assert json.loads(formats.json(report.tip_report)) == slow["tip"]


def test_the_range_report_names_each_breaking_commit(history, cli):
    code, out, _ = cli("check", str(history), "--rev", "other..main", "--format", "json")
    payload = json.loads(out)
    assert code == 1
    failed = {c["subject"]: c["failed"] for c in payload["commits"]}
    assert failed["a file no rule reads"] == []
    assert failed["a file one rule reads: breaks no-postgres-dependencies"] == [
        "no-postgres-dependencies"
    ]
    assert failed["delete a file a rule requires"] == [
        "no-postgres-dependencies",
        "convex-project-files",
    ]
    assert failed["merge side"] == ["no-postgres-dependencies", "active-docs-baseline"]
    assert failed["nothing changed"] == ["active-docs-baseline"]
    # Broken by the first commit of the run of commits failing it up to the tip (the side
    # branch's commit, or the merge when a main commit between them passes).
    run_start = None
    for entry in payload["commits"]:
        if "active-docs-baseline" not in entry["failed"]:
            run_start = None
        elif run_start is None:
            run_start = entry
    assert run_start["subject"] in ("side: the stale phrase", "merge side")
    assert payload["broken_by"] == {"active-docs-baseline": run_start["sha"]}
    # Each commit on its own, as `--rev C` checks it, fails the same rules.
    for entry in payload["commits"]:
        _, out, _ = cli("check", str(history), "--rev", entry["sha"], "--format", "json")
        statuses = json.loads(out)["rules"]
        assert [r["id"] for r in statuses if r["status"] == "fail"] == entry["failed"]


def test_only_touched_rules_run_again(history, monkeypatch):
    """A commit touching nothing a rule consulted checks no rule; one touching the data
    package's manifest checks the rules reading it (the tip, a config change, is checked
    whole)."""
    import conformance.history as history_module

    checked: list[list[str]] = []
    real = history_module._check_alone

    def counting(rule, view):
        checked[-1].append(rule.id)
        return real(rule, view)

    real_at = history_module._Checked.at

    def at(self, *args):
        checked.append([])
        return real_at(self, *args)

    monkeypatch.setattr(history_module, "_check_alone", counting)
    monkeypatch.setattr(history_module._Checked, "at", at)
    rules = load_rules(history)
    check_range(history, rules, "main~13..main~10", {"conformance.yaml"})
    base, unrelated, manifest = checked
    assert len(base) == len(rules)
    assert unrelated == []
    assert set(manifest) >= {"no-postgres-dependencies", "convex-dependency"}
    # The compose file and the env example are not the manifest (the docs rule runs again: its
    # discovery lists every package.json).
    assert not {"no-postgres-service", "env-example-convex", "convex-project-files"} & set(manifest)
