"""Repository files that are hostile or merely odd (issue 11): whatever Python, PyYAML or the
operating system would choke on is a "cannot check" finding at path:line, never a traceback, a
hang or an unbounded amount of memory. Contracts and conformance.yaml go through the same
loader, and the same content in them is a one-line exit 2."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
from conftest import ROOT, init_git

from conformance.contract import load_rules
from conformance.engine import run
from conformance.formats import FORMATS
from conformance.model import FileProblem
from conformance.repo import MAX_FILE_BYTES, RepoView, parse_json, parse_yaml

PKG = "packages/db/package.json"
COMPOSE = "containers/docker-compose.yml"
LAYOUT = {"package": "packages/db", "compose_files": [COMPOSE], "kept_services": ["redis"]}


def findings(root, *select):
    rules = [r for r in load_rules(root, ["convex-adoption"], LAYOUT) if r.id in select]
    return [(f.path, f.line, f.rule, f.message) for f in run(rules, RepoView(root)).findings]


def anchor_bomb(levels: int = 9) -> str:
    """A flow sequence of ~400 bytes whose aliases expand to 9**levels strings."""
    parts = ["&a0 [" + ",".join(['"lol"'] * 9) + "]"]
    parts += [f"&a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "[" + ", ".join(parts) + "]"


# JSON --------------------------------------------------------------------------------------


def test_json_nested_deeper_than_python_recurses(tree):
    depth = 100_000
    root = tree({PKG: '{"name": "db",\n "x": ' + "[" * depth + "]" * depth + "}\n"})
    assert findings(root, "convex-dependency") == [
        (PKG, 2, "convex-dependency", "cannot check: is nested too deeply to check (100001 levels)")
    ]


def test_json_integer_longer_than_int_reads(tree):
    root = tree({PKG: '{\n  "name": "db",\n  "version": ' + "9" * 5000 + "\n}\n"})
    assert findings(root, "convex-dependency") == [
        (PKG, 3, "convex-dependency", "cannot check: has a number of more than 4300 digits")
    ]


def test_json_lone_surrogate_is_refused_and_a_pair_is_kept(tree):
    root = tree({PKG: '{\n  "name": "db",\n  "scripts": {"db:x": "echo \\ud800"}\n}\n'})
    assert findings(root, "convex-dependency") == [
        (PKG, 3, "convex-dependency", "cannot check: has a lone surrogate (\\ud800) in a string")
    ]
    assert parse_json("p.json", '["\\ud83d\\ude00", "\\\\ud800"]').data == ["😀", "\\ud800"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_lone_surrogate_prints_in_every_format(tree, cli, fmt, tmp_path):
    """The problem names the surrogate by its escape: every format and --output can write it."""
    root = tree(
        {
            PKG: '{"name": "db", "scripts": {"\\udc00x": "drizzle-kit \\ud800"}}\n',
            "conformance.yaml": "contracts: [{contract: convex-adoption, parameters: "
            "{package: packages/db, compose_files: [], kept_services: []}}]\n",
        }
    )
    # JSON and SARIF escape the backslash of `\udc00`.
    shown = "lone surrogate (\\\\udc00)" if fmt in ("json", "sarif") else "lone surrogate (\\udc00)"
    code, out, err = cli("check", str(root), "--format", fmt)
    assert (code, err) == (1, "")
    assert shown in out
    report = tmp_path / f"report.{fmt}"
    code, _, err = cli("check", str(root), "--format", fmt, "--output", str(report))
    assert (code, err) == (1, "")
    assert shown in report.read_text(encoding="utf-8")


# YAML --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-02-30", "cannot read '2024-02-30' as !!timestamp: day is out of range for month"),
        ("2024-01-01 25:00:00", "cannot read '2024-01-01 25:00:00' as !!timestamp: hour must"),
        ("!!int x", "cannot read 'x' as !!int: invalid literal for int() with base 10: 'x'"),
        ("!!float x", "cannot read 'x' as !!float: could not convert string to float: 'x'"),
        ("!custom x", "could not determine a constructor for the tag '!custom'"),
        ("9" * 5000, "as !!int: Exceeds the limit (4300 digits) for integer string conversion"),
    ],
)
def test_compose_value_its_tag_cannot_be(tree, value, message):
    compose = f"services:\n  db:\n    image: postgres:16\n    labels:\n      made: {value}\n"
    root = tree({COMPOSE: compose})
    [(path, line, rule, found)] = findings(root, "no-postgres-service")
    assert (path, line, rule) == (COMPOSE, 5, "no-postgres-service")
    assert found.startswith("cannot check: invalid YAML: ") and message in found


def test_compose_anchor_bomb_is_refused_at_the_anchor(tree):
    compose = f"x-lol: {anchor_bomb()}\nservices:\n  db:\n    image: postgres:16\n"
    assert len(compose) < 460
    root = tree({COMPOSE: compose})
    assert findings(root, "no-postgres-service") == [
        (
            COMPOSE,
            1,
            "no-postgres-service",
            "cannot check: aliases repeat 490,329,036 nodes, more than the 100,000 allowed",
        )
    ]


def test_yaml_alias_of_its_own_anchor(tree):
    root = tree({COMPOSE: "services: &s\n  db:\n    image: postgres:16\n    links: *s\n"})
    assert findings(root, "no-postgres-service") == [
        (
            COMPOSE,
            1,
            "no-postgres-service",
            "cannot check: invalid YAML: an alias refers to its own anchor",
        )
    ]


def test_ordinary_aliases_and_merge_keys_load():
    text = (
        "x-env: &env {A: 1, B: 2}\n"
        "services:\n"
        "  api: {image: a, environment: *env}\n"
        "  web: {<<: *env, image: b}\n"
    )
    assert parse_yaml("c.yml", text).data["services"] == {
        "api": {"image": "a", "environment": {"A": 1, "B": 2}},
        "web": {"A": 1, "B": 2, "image": "b"},
    }


def test_aliases_are_budgeted_not_forbidden():
    """Repeating a 10,000-node list ten times is what real files never do, and is allowed."""
    items = ", ".join(["x"] * 9_999)
    assert parse_yaml("c.yml", f"a: &a [{items}]\nb: [{', '.join(['*a'] * 10)}]\n").data
    with pytest.raises(FileProblem, match="aliases repeat 110,000 nodes"):
        parse_yaml("c.yml", f"a: &a [{items}]\nb: [{', '.join(['*a'] * 11)}]\n")


def test_anchor_bomb_in_a_contract_is_exit_2(tree, cli):
    root = tree(
        {
            "checks.py": "def check(repo, **args):\n    return []\n",
            "c.yaml": "name: t\ndescription: d\nrules:\n  - id: r\n    kind: python\n"
            f"    function: checks.py:check\n    args: {{x: {anchor_bomb()}}}\n"
            "    message: m\n    why: w\n",
        }
    )
    code, out, err = cli("check", str(root), "--contract", str(root / "c.yaml"))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"conformance: error: {root / 'c.yaml'}:7: aliases repeat 490,329,036 nodes, "
        "more than the 100,000 allowed"
    ]


def test_anchor_bomb_in_a_parameter_default_is_exit_2(tree, cli):
    root = tree(
        {
            "c.yaml": "name: t\ndescription: d\nparameters:\n  p:\n"
            f"    default: {anchor_bomb()}\nrules: []\n",
        }
    )
    code, _, err = cli("check", str(root), "--contract", str(root / "c.yaml"))
    assert code == 2
    assert err.startswith(f"conformance: error: {root / 'c.yaml'}:5: aliases repeat ")


def test_anchor_bomb_and_bad_dates_in_conformance_yaml_are_exit_2(tree, cli):
    head = (
        "contracts:\n  - contract: convex-adoption\n    parameters:\n      package: packages/db\n"
    )
    root = tree({"conformance.yaml": head + f"      kept_services: {anchor_bomb()}\n"})
    code, _, err = cli("check", str(root))
    assert (code, err.count("\n")) == (2, 1)
    assert err.startswith("conformance: error: conformance.yaml:5: aliases repeat ")
    (root / "conformance.yaml").write_text(
        head + "waivers:\n  - {rule: x, reason: y, expires: 2024-02-30}\n"
    )
    code, _, err = cli("check", str(root))
    assert (code, err) == (
        2,
        "conformance: error: conformance.yaml:6: invalid YAML: cannot read '2024-02-30' "
        "as !!timestamp: day is out of range for month\n",
    )


# Files that are not regular files ------------------------------------------------------------


def test_symlink_loop_and_broken_symlink(tree):
    root = tree({"packages/db/src/index.ts": "export {}\n"})
    os.symlink("package.json", root / PKG)  # points at itself
    os.symlink("gone.ts", root / "packages/db/src/client.ts")
    assert findings(root, "convex-dependency", "client-without-postgres") == [
        ("packages/db/package.json", None, "convex-dependency", "cannot check: is a symlink loop"),
        (
            "packages/db/src/client.ts",
            None,
            "client-without-postgres",
            "cannot check: is a broken symlink",
        ),
    ]


def test_too_large_is_refused_by_its_size(tree):
    root = tree({"packages/db/src/index.ts": "export {}\n"})
    with open(root / PKG, "wb") as sparse:  # 100 MB without writing them
        sparse.truncate(100 * 2**20)
    started = time.perf_counter()
    found = findings(root, "convex-dependency")
    assert time.perf_counter() - started < 1
    assert found == [
        (
            PKG,
            None,
            "convex-dependency",
            "cannot check: is too large to check (100 MB; the limit is 10 MB)",
        )
    ]


def test_the_size_limit_is_inclusive(tree):
    root = tree({PKG: b'{"name": "db"}' + b" " * (MAX_FILE_BYTES - 14)})
    assert RepoView(root).json(PKG).data == {"name": "db"}
    with open(root / PKG, "ab") as grown:
        grown.write(b" ")
    with pytest.raises(FileProblem, match="too large to check"):
        RepoView(root).json(PKG)


def _special_files(root):
    """A FIFO and a socket where files are expected; a FIFO opened for reading blocks."""
    os.mkfifo(root / PKG)
    server = socket.socket(socket.AF_UNIX)
    cwd = os.getcwd()
    os.chdir(root / "packages/db/src")  # a socket's path is limited to ~100 bytes
    try:
        server.bind("client.ts")
    finally:
        os.chdir(cwd)
    return server


CHECK = [sys.executable, "-m", "conformance", "check", ".", "--select"]


@pytest.mark.parametrize("mode", ["walk", "git"])
def test_fifo_and_socket_are_findings_not_a_hang(tree, mode):
    files = {"packages/db/src/index.ts": "export {}\n"}
    if mode == "git":  # tracked files, replaced on disk
        files |= {PKG: "{}\n", "packages/db/src/client.ts": "x\n"}
    root = tree(files)
    if mode == "git":
        init_git(root)
        os.remove(root / PKG)
        os.remove(root / "packages/db/src/client.ts")
    (root / "conformance.yaml").write_text(
        "contracts: [{contract: convex-adoption, parameters: {package: packages/db}}]\n"
    )
    server = _special_files(root)
    try:
        # A subprocess with a timeout: a FIFO that is opened would hang the test, not fail it.
        done = subprocess.run(
            [*CHECK, "convex-dependency,client-without-postgres"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    finally:
        server.close()
    assert (done.returncode, done.stderr) == (1, "")
    assert [line for line in done.stdout.splitlines() if line][:2] == [
        "packages/db/package.json: convex-dependency cannot check: is not a regular file (a FIFO)",
        "packages/db/src/client.ts: client-without-postgres cannot check: is not a regular file (a socket)",
    ]


def test_too_large_at_a_revision_and_the_next_read_still_works(tree):
    from conformance.repo import GitTreeView

    root = tree({"big.json": b"[" + b" " * MAX_FILE_BYTES + b"]", "small.json": b'{"a": 1}'})
    init_git(root)
    view = GitTreeView(root, "HEAD")
    try:
        with pytest.raises(FileProblem, match=r"too large to check \(10 MB; the limit is 10 MB\)"):
            view.json("big.json")
        assert view.json("small.json").data == {"a": 1}
    finally:
        view.close()
