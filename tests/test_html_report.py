"""`--format html`: one self-contained page, checked in a real browser (headless Chromium driven
by playwright-core) — what a reader sees, and that the page loads nothing and runs nothing, even
with markup in file names, messages and contracts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conformance.formats import FORMATS

BROWSER_PAGE = Path(__file__).parent / "browser_page.js"
SUBJECT = "the HTML report"
UNCHECKED = "rendered in a browser"
# The failing rules of kata-half, in contract order.
FAILING = [
    "db-codegen-script",
    "convex-cli-no-config-flag",
    "no-postgres-dependencies",
    "no-sql-scripts",
    "no-postgres-imports",
    "convex-project-files",
    "client-without-postgres",
    "drizzle-scaffold-removed",
    "drizzle-migrations-removed",
    "no-postgres-service",
    "env-example-no-database-url",
    "active-docs-baseline",
]


@pytest.fixture(scope="module")
def browser() -> tuple[Path, str]:
    """(node_modules holding playwright-core, a Chromium to drive): Debian's `chromium`, else a
    browser Playwright downloaded itself. Skipped loudly when there is none."""
    from npm_cache import npm_install, skip

    modules = npm_install("playwright", ["playwright-core@1"], SUBJECT, UNCHECKED)
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if found := shutil.which(name):
            return modules, found
    own = subprocess.run(
        [
            "node",
            "-e",
            "process.stdout.write(require('playwright-core').chromium.executablePath())",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "NODE_PATH": str(modules)},
        check=False,
    )
    if own.returncode == 0 and Path(own.stdout).is_file():
        return modules, own.stdout
    skip(
        "no Chromium: install Debian's `chromium` package (Playwright's own browser download "
        "needs a CDN this machine cannot reach)",
        SUBJECT,
        UNCHECKED,
    )
    raise AssertionError("unreachable")


def load(browser: tuple[Path, str], page: Path) -> dict:
    modules, chromium = browser
    shown = subprocess.run(
        ["node", str(BROWSER_PAGE), chromium, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NODE_PATH": str(modules)},
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def report(cli, root: Path, tmp_path: Path, *argv: str) -> Path:
    page = tmp_path / "report.html"
    code, out, err = cli("check", str(root), *argv, "--format", "html", "--output", str(page))
    assert (code, out, err) == (1, "", "")
    return page


def test_html_is_a_format():
    assert "html" in FORMATS


def test_the_report_renders_in_chromium(cli, browser, fixture_copy, tmp_path):
    page = report(cli, fixture_copy("kata-half"), tmp_path)
    seen = load(browser, page)
    dom = seen["dom"]
    assert dom["title"] == "conformance: 16 findings in kata-half"
    assert dom["ruleSections"] == FAILING
    assert len(dom["findings"]) == 16
    assert {"where": "packages/db/src/client.ts:1", "fixable": True} in dom["findings"]
    assert {"where": "packages/db/convex/http.ts", "fixable": True} in dom["findings"]
    lines = dom["text"].splitlines()
    assert "The run fails." in lines
    for count in ("16 findings", "9 files", "12 / 18 rules failed", "1 unchecked", "0 waived"):
        assert count in lines
    assert (
        "packages/db/src/client.ts:1 package source still imports the Postgres/Drizzle "
        in (dom["text"])
    )
    assert "Unchecked rules" in lines and "Passing rules" in lines
    assert dom["styled"] == "flex"  # the inline stylesheet applied
    # Self-contained and inert: nothing but the page itself was requested, nothing logged.
    assert seen["requests"] == [page.as_uri()]
    assert seen["console"] == [] and seen["errors"] == [] and seen["dialogs"] == []
    assert dom["scripts"] == 0 and dom["images"] == 0


HOSTILE_CONTRACT = """name: hostile
description: markup everywhere
rules:
  - id: no-todo
    kind: text-absent
    files: 'docs/*.md'
    phrases: [TODO]
    message: "<script>alert('message')</script> {item}"
    why: "</section><img src=x onerror=alert('why')> & <em>bold</em>"
"""
HOSTILE_NAME = "docs/<img src=x onerror=alert('name')><script>alert(1)<.md"


@pytest.fixture
def hostile(tree) -> Path:
    return tree(
        {
            "c.yaml": HOSTILE_CONTRACT,
            HOSTILE_NAME: "TODO <script>alert('text')</script>\n",
            "conformance.yaml": "waivers:\n  - rule: no-todo\n    path: 'nothing/**'\n"
            "    reason: \"<iframe src='https://example.com'></iframe>\"\n",
        }
    )


def test_markup_from_the_repository_is_shown_as_text(cli, hostile, tmp_path):
    page = report(cli, hostile, tmp_path, "--contract", str(hostile / "c.yaml"))
    written = page.read_text(encoding="utf-8")
    for tag in ("<script", "<img", "<iframe", "<em>"):
        assert tag not in written
    assert "&lt;script&gt;alert(&#x27;message&#x27;)&lt;/script&gt;" in written
    assert "docs/&lt;img src=x onerror=alert(&#x27;name&#x27;)&gt;" in written
    # Nothing outside the page: the elements are the report's own, no attribute names a
    # resource (links go to the page's own sections), the stylesheet imports nothing.
    elements = Elements()
    elements.feed(written)
    assert elements.names <= OWN_ELEMENTS
    assert [value for name, value in elements.attributes if name in ("href", "src")] == ["#rule-1"]
    assert "url(" not in written and "@import" not in written


OWN_ELEMENTS = {
    *("html", "head", "meta", "title", "style", "body", "header", "footer", "section"),
    *("h1", "h2", "h3", "p", "ul", "li", "table", "tr", "th", "td", "a", "code", "b", "i"),
    *("details", "summary", "pre", "span"),
}


class Elements(HTMLParser):
    """The element names and attributes of a page, as a browser's tokenizer reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.attributes.extend(attrs)


def test_markup_from_the_repository_runs_nothing_in_chromium(cli, browser, hostile, tmp_path):
    page = report(cli, hostile, tmp_path, "--contract", str(hostile / "c.yaml"))
    seen = load(browser, page)
    dom = seen["dom"]
    assert seen["dialogs"] == [] and seen["errors"] == [] and seen["console"] == []
    assert seen["requests"] == [page.as_uri()]
    assert dom["scripts"] == 0 and dom["images"] == 0
    assert not {"iframe", "em"} & set(dom["elements"])
    assert dom["ruleSections"] == ["no-todo"]
    assert dom["findings"] == [{"where": HOSTILE_NAME + ":1", "fixable": False}]
    assert "</section><img src=x onerror=alert('why')> & <em>bold</em>" in dom["text"]
    assert "<script>alert('message')</script>" in dom["text"]
    assert "<iframe src='https://example.com'></iframe>" in dom["text"]  # the stale waiver


def test_waived_unchecked_and_stale_are_listed(cli, tree, tmp_path):
    config = (
        "contracts: [{contract: convex-adoption, parameters: {package: packages/db}}]\n"
        "waivers:\n"
        "  - rule: convex-project-files\n    path: packages/db/**\n    reason: KAT-7 adds them\n"
        "  - rule: no-sql-scripts\n    reason: never matches\n"
    )
    root = tree({"conformance.yaml": config, "packages/db/package.json": '{"name": "@x/db"}\n'})
    written = report(cli, root, tmp_path).read_text(encoding="utf-8")
    assert '<h2 id="waived">Waived</h2>' in written
    assert (
        '<li><code class="where">packages/db/convex/schema.ts</code> the Convex baseline file '
        "is missing: packages/db/convex/schema.ts — <i>KAT-7 adds them</i></li>"
    ) in written
    assert (
        '<li><code class="where">conformance.yaml:6</code> waiver for no-sql-scripts matches no '
        "finding (stale); remove it: never matches</li>"
    ) in written
    assert '<h2 id="unchecked">Unchecked rules</h2>' in written
    assert (
        "<tr><td><code>db-importers-intact</code></td><td>optional</td>"
        "<td>nothing to check: no other package imports @x/db</td></tr>"
    ) in written


def test_sections_are_functions_of_the_report(cli, fixture_copy, tmp_path):
    """A new view is one more function in the list (issue 14's chart over a range)."""
    from conformance.contract import load
    from conformance.engine import open_repo, run
    from conformance.html_report import SECTIONS, html

    repo = open_repo(fixture_copy("kata-half"))
    _, rules = load(repo.root, None, {}, repo)
    checked = run(rules, repo)

    def chart(report) -> str:
        return f"<svg><title>{len(report.findings)} findings</title></svg>"

    page = html(checked, [SECTIONS[0], chart, *SECTIONS[1:]])
    assert "<svg><title>16 findings</title></svg>" in page
    assert page.index("</header>") < page.index("<svg>") < page.index("Findings by rule")


def test_notes_say_where_discovered_parameters_came_from(cli, fixture_copy, tmp_path):
    written = report(cli, fixture_copy("kata-half"), tmp_path).read_text(encoding="utf-8")
    assert (
        "<li>discovered: drizzle_schema = src/schema.ts (packages/db/drizzle.config.ts:4 "
        "&quot;schema&quot;) [convex-adoption]</li>"
    ) in written
    # A passing rule with its message as no finding fills it.
    assert (
        "<li><code>env-example-convex</code> — … must document the Convex variables "
        "(CONVEX_DEPLOYMENT, CONVEX_URL)</li>"
    ) in written


def test_a_range_draws_its_burn_down_in_chromium(cli, browser, fixture_copy, tmp_path):
    """`check --rev A..B --format html`: one chart for all rules and one per rule with findings,
    a bar per commit whose tooltip names it, known (grey) shrinking as findings are fixed and a
    new one (orange) where it came in; nothing loaded, nothing logged."""
    from conftest import git, init_git

    root = fixture_copy("kata-before")
    init_git(root)
    assert cli("baseline", str(root))[0] == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "baseline")
    git(root, "rm", "-q", "packages/db/src/migrate.ts")
    git(root, "commit", "-q", "-m", "drop the migrator")
    (root / "packages/db/src/extra.ts").write_text('import { Pool } from "pg";\n')
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a new <b>pg</b> import")
    page = tmp_path / "range.html"
    code, out, err = cli(
        "check", str(root), "--rev", "HEAD~3..HEAD", "--format", "html", "--output", str(page)
    )
    assert (code, out, err) == (1, "", "")

    seen = load(browser, page)
    assert (seen["console"], seen["errors"], seen["dialogs"]) == ([], [], [])
    assert seen["requests"] == [page.as_uri()]
    charts = {chart["rule"]: chart for chart in seen["dom"]["charts"]}
    assert len(charts) == 16  # all rules, and the 15 with findings
    assert all(chart["width"] > 0 for chart in charts.values())
    imports = charts["no-postgres-imports"]["commits"]
    assert [c["title"].split(": ", 1)[1] for c in imports] == [
        "4 known, 0 fixed, 0 new",
        "3 known, 1 fixed, 0 new",
        "3 known, 1 fixed, 1 new",
    ]
    assert imports[2]["title"].startswith(git(root, "rev-parse", "--short", "HEAD").strip())
    assert "a new <b>pg</b> import" in imports[2]["title"]  # the subject, as text
    heights = [{rect["fill"]: rect["height"] for rect in c["drawn"]} for c in imports]
    assert heights[0]["#999999"] > heights[1]["#999999"] > 0  # known shrinks
    assert "#d55e00" not in heights[1] and heights[2]["#d55e00"] > 0  # the new import
    assert heights[1]["#009e73"] > 0  # fixed, below the axis
    assert "Burn-down over HEAD~3..HEAD (3 commits)" in seen["dom"]["text"]


def test_a_count_of_one_reads_in_the_singular(cli, tree, tmp_path):
    root = tree(
        {
            "conformance.yaml": "rules:\n  - id: no-env\n    kind: path-absent\n"
            "    paths: ['.env']\n    message: 'a .env is committed: {item}'\n    why: Secrets.\n",
            ".env": "KEY=1\n",
        }
    )
    page = report(cli, root, tmp_path).read_text()
    assert "<li><b>1</b> finding</li><li><b>1</b> file</li>" in page
