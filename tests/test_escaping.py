"""Text from the repository reaches terminals, CI logs and XML reports as inert text: control and
bidi characters are shown escaped, JUnit stays well-formed, SARIF uris are URI references, and
a lone surrogate crashes no format."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest

from conformance.formats import FORMATS, printable

# What a hostile value carries: clear screen, an OSC 52 clipboard write ended by BEL, a carriage
# return, right-to-left override, line separator.
HOSTILE = "postgres:16\x1b[2J\x1b]52;c;ZXZpbA==\x07\r\u202e\u2028"
SHOWN = "postgres:16\\x1b[2J\\x1b]52;c;ZXZpbA==\\x07\\r\\u202e\\u2028"

COMPOSE = "containers/docker-compose.yml"
LAYOUT = [
    "--contract", "convex-adoption", "--param", "package=packages/db",
    "--param", f"compose_files=[{COMPOSE}]", "--param", "kept_services=[redis]",
]  # fmt: skip


def test_printable_escapes_what_a_terminal_would_act_on():
    assert printable(HOSTILE) == SHOWN
    assert (
        printable("a\nb\u2029c\x00\x7f\x85\ud800\tend")
        == "a\\nb\\u2029c\\x00\\x7f\\x85\\ud800\tend"
    )
    assert printable("plain — ünïcode\tstays") == "plain — ünïcode\tstays"


@pytest.fixture
def hostile_compose(tree):
    """A compose service whose name holds a newline and a forged finding line, and whose image
    holds terminal escapes."""
    name = "db\\nforged.ts:1: no-postgres-imports forged finding"
    image = "postgres:16\\e[2J\\e]52;c;ZXZpbA==\\a\\r\\u202e\\u2028"
    return tree(
        {
            COMPOSE: f'services:\n  "{name}":\n    image: "{image}"\n  redis:\n    image: redis:7\n',
            "packages/db/package.json": '{"name": "@x/db"}\n',
        }
    )


def test_text_output_cannot_be_forged_or_drive_the_terminal(hostile_compose, cli):
    code, out, _ = cli("check", str(hostile_compose), *LAYOUT, "--select", "no-postgres-service")
    assert code == 1
    assert out.splitlines()[0] == (
        f"{COMPOSE}:2: no-postgres-service the Postgres compose service must be removed: "
        f'service "db\\nforged.ts:1: no-postgres-imports forged finding" (image {SHOWN})'
    )
    assert not any(line.startswith("forged.ts") for line in out.splitlines())
    assert not {"\x1b", "\x07", "\r", "\u202e", "\u2028"} & set(out)


def test_github_output_escapes_and_keeps_its_own_escapes(hostile_compose, cli):
    code, out, _ = cli(
        "check", str(hostile_compose), *LAYOUT, "--select", "no-postgres-service",
        "--format", "github",
    )  # fmt: skip
    assert code == 1
    github_shown = SHOWN.replace("\\r", "%0D")  # GitHub's own escape for CR comes first
    assert out.splitlines()[0] == (
        f"::error file={COMPOSE},line=2,title=no-postgres-service::the Postgres compose service "
        'must be removed: service "db%0Aforged.ts:1: no-postgres-imports forged finding" '
        f"(image {github_shown})"
    )


def test_junit_is_well_formed_with_control_characters_in_path_and_message(tree, cli, tmp_path):
    root = tree({"docs/a\x01b\x1b.md": "uses Postgres\x0b\x1b[2J\x08 here\n"})
    contract = tmp_path / "c.yaml"
    contract.write_text(
        "name: c\ndescription: d\nrules:\n  - id: no-postgres\n    kind: text-absent\n"
        "    files: 'docs/**'\n    regex: 'Postgres.*'\n    message: m\n    why: w\n"
    )
    code, out, _ = cli("check", str(root), "--contract", str(contract), "--format", "junit")
    assert code == 1
    failure = ElementTree.fromstring(out).find("testsuite/testcase/failure")
    assert failure.text == ("docs/a\\x01b\\x1b.md:1: m: Postgres\\x0b\\x1b[2J\\x08 here\n\nwhy: w")


def test_sarif_uri_is_a_percent_encoded_uri_reference(tree, cli, tmp_path):
    root = tree({"docs/a b%#ü?\x01.md": "Postgres\n"})
    contract = tmp_path / "c.yaml"
    contract.write_text(
        "name: c\ndescription: d\nrules:\n  - id: no-postgres\n    kind: text-absent\n"
        "    files: 'docs/**'\n    regex: Postgres\n    message: m\n    why: w\n"
    )
    code, out, _ = cli("check", str(root), "--contract", str(contract), "--format", "sarif")
    assert code == 1
    [result] = json.loads(out)["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "docs/a%20b%25%23%C3%BC%3F%01.md", "uriBaseId": "%SRCROOT%"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_lone_surrogate_crashes_no_format(tree, cli, fmt, tmp_path):
    """`\\ud800` is valid JSON and decodes to no text at all: every writer must still write."""
    root = tree(
        {
            "packages/db/package.json": '{"name": "@x/db", "scripts": '
            '{"db:\\ud800": "drizzle-kit generate \\udfff"}}\n'
        }
    )
    output = tmp_path / f"report.{fmt}"
    argv = ["check", str(root), *LAYOUT, "--select", "no-sql-scripts", "--format", fmt]
    code, out, _ = cli(*argv)
    assert code == 1
    assert "\\ud800" in out.replace("\\\\", "\\")
    code, _, _ = cli(*argv, "--output", str(output))
    assert code == 1
    # The same report both times, but for the seconds JUnit says each rule took.
    timeless = re.compile(r' time="[0-9.]+"')
    assert timeless.sub("", output.read_text(encoding="utf-8")) == timeless.sub("", out)


def test_fix_diff_shows_escapes_not_terminal_sequences():
    from conformance.fix import render_diff
    from conformance.workspace import Change

    change = Change("a.json", "edit", before='{"x": "\x1b]52;c;ZXZpbA==\x07"}\r\n', after="{}\r\n")
    assert render_diff([change]) == (
        '--- a/a.json\n+++ b/a.json\n@@ -1 +1 @@\n-{"x": "\\x1b]52;c;ZXZpbA==\\x07"}\r\n+{}\r\n'
    )
