"""Malformed target files are findings on that file; bad contracts and usage are one-line exit 2."""

from __future__ import annotations

from conformance.contract import load_rules
from conformance.engine import run
from conformance.repo import RepoView

PKG = "packages/db/package.json"


# The layout these files are written in: discovery is not what these tests are about.
LAYOUT = {
    "package": "packages/db",
    "compose_files": ["containers/docker-compose.yml"],
    "kept_services": ["redis"],
}


def findings(root, *select):
    rules = load_rules(root, ["convex-adoption"], LAYOUT)
    rules = [r for r in rules if not select or r.id in select]
    return [(f.path, f.line, f.rule, f.message) for f in run(rules, RepoView(root)).findings]


def test_malformed_package_json_is_a_finding_with_line(tree):
    root = tree({PKG: '{\n  "name": "x",\n  "dependencies": {\n    "pg": "1"\n  \n'})
    found = findings(root, "convex-dependency", "no-postgres-dependencies")
    assert found == [
        (PKG, 6, "convex-dependency", "cannot check: invalid JSON: Expecting ',' delimiter"),
        (PKG, 6, "no-postgres-dependencies", "cannot check: invalid JSON: Expecting ',' delimiter"),
    ]


def test_package_json_that_is_not_an_object(tree):
    root = tree({PKG: "[1, 2]\n"})
    assert findings(root, "convex-dependency") == [
        (PKG, 1, "convex-dependency", "cannot check: is not a package.json object")
    ]


def test_malformed_compose_yaml(tree):
    root = tree({"containers/docker-compose.yml": "services:\n  db:\n    image: [postgres\n"})
    [(path, line, rule, message)] = findings(root, "no-postgres-service")
    assert (path, rule) == ("containers/docker-compose.yml", "no-postgres-service")
    assert line == 4 and message.startswith("cannot check: invalid YAML: ")


def test_compose_services_not_a_mapping(tree):
    root = tree({"containers/docker-compose.yml": "services:\n  - db\n"})
    assert findings(root, "kept-compose-services") == [
        (
            "containers/docker-compose.yml",
            1,
            "kept-compose-services",
            "cannot check: `services` is not a mapping",
        )
    ]


def test_malformed_toml_in_key_path(tree, cli):
    root = tree(
        {
            "pyproject.toml": "[tool]\nname = \n",
            "c.yaml": "name: t\ndescription: d\nrules:\n  - id: r\n    kind: key-path\n"
            "    files: pyproject.toml\n    key: tool.name\n    message: m\n    why: w\n",
        }
    )
    code, out, _ = cli("check", str(root), "--contract", str(root / "c.yaml"))
    assert code == 1
    assert out.startswith("pyproject.toml:2: r cannot check: invalid TOML: Invalid value")


def test_binary_and_non_utf8_text(tree):
    root = tree(
        {
            "docs/PROJECT_PLAN.md": b"ok\nstill ok\n\xff\xfe broken\n",
            "docs/M1-dependency-graph.mermaid": b"\x89PNG\r\n\x1a\n\x00\x00",
        }
    )
    assert findings(root, "active-docs-baseline") == [
        (
            "docs/M1-dependency-graph.mermaid",
            None,
            "active-docs-baseline",
            "cannot check: is a binary file, expected text",
        ),
        (
            "docs/PROJECT_PLAN.md",
            3,
            "active-docs-baseline",
            "cannot check: is not valid UTF-8 (byte 0xff)",
        ),
    ]


def test_unreadable_file(tree, monkeypatch):
    """Simulated EACCES: CI runs as root, which ignores file modes."""
    import os

    root = tree({"packages/db/src/client.ts": "x"})
    real = os.open

    def denied(path, *args, **kwargs):
        if str(path).endswith("client.ts"):
            raise PermissionError(13, "Permission denied")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    assert findings(root, "client-without-postgres") == [
        (
            "packages/db/src/client.ts",
            None,
            "client-without-postgres",
            "cannot check: cannot be read: permission denied",
        )
    ]


def test_symlink_leaving_the_repo_is_not_followed(tree, tmp_path):
    outside = tmp_path / "secret.md"
    outside.write_text("PostgreSQL schema + Drizzle migrations\n")
    root = tree({"docs/other.md": "x"})
    (root / "docs/PROJECT_PLAN.md").symlink_to(outside)
    assert findings(root, "active-docs-baseline") == [
        (
            "docs/PROJECT_PLAN.md",
            None,
            "active-docs-baseline",
            "cannot check: is a symlink pointing outside the repository",
        )
    ]


def test_bad_input_leaves_the_tree_unchanged(tree, cli):
    root = tree({PKG: "{ not json", "conformance.yaml": "contracts: [convex-adoption]\n"})
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    code, _, _ = cli("check", str(root))
    assert code == 1
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
