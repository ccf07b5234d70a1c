"""Repository files that parse but hold the wrong shape (`"dependencies": true`, `"scripts": []`,
`packages: 3`): every rule kind says "cannot check PATH: … at line", discovery says it cannot
tell, `init` writes a valid config naming what it could not read. Never a traceback."""

from __future__ import annotations

import json

import pytest
import yaml

from conformance.cli import main
from conformance.project import project_of
from conformance.project.workspace import database_package
from conformance.repo import RepoView
from tests.conftest import FIXTURES, write_tree
from tests.test_rule_kinds import check

PKG = "pkg/package.json"


@pytest.mark.parametrize(
    "value, described", [("true", "a boolean"), ("3", "a number"), ("[]", "an array")]
)
def test_dependency_section_of_the_wrong_type(tree, value, described):
    root = tree({PKG: f'{{\n  "name": "x",\n  "dependencies": {value}\n}}\n'})
    expected = [(PKG, 3, f"cannot check: `dependencies` is {described}, expected an object")]
    assert check(root, "dependency-absent", files=PKG, names="pg") == expected
    assert check(root, "dependency-present", files=PKG, names="convex") == expected


def test_scripts_of_the_wrong_type(tree):
    root = tree({PKG: '{\n  "scripts": [],\n  "dependencies": {}\n}\n'})
    expected = [(PKG, 2, "cannot check: `scripts` is an array, expected an object")]
    assert check(root, "script-forbidden", files=PKG, pattern="x") == expected
    assert check(root, "script-present", files=PKG, script="dev") == expected


def test_scripts_null_is_no_scripts(tree):
    root = tree({PKG: '{\n  "scripts": null\n}\n'})
    assert check(root, "script-forbidden", files=PKG, pattern="x") == []
    assert check(root, "script-present", files=PKG, script="dev") == [
        (PKG, 2, 'script "dev" is missing')
    ]


def test_script_command_that_is_not_a_string(tree):
    root = tree({PKG: '{\n  "scripts": {\n    "dev": 3\n  }\n}\n'})
    assert check(root, "script-forbidden", files=PKG, pattern="x") == [
        (PKG, 3, 'cannot check: script "dev" is a number, expected a string')
    ]


@pytest.mark.parametrize("document", ["[1]", '"x"', "null", "3"])
def test_package_json_that_is_no_object(tree, document):
    root = tree({PKG: document + "\n"})
    for kind, options in [
        ("dependency-absent", {"names": "pg"}),
        ("dependency-present", {"names": "convex"}),
        ("script-forbidden", {"pattern": "x"}),
        ("script-present", {"script": "dev"}),
    ]:
        assert check(root, kind, files=PKG, **options) == [
            (PKG, 1, "cannot check: is not a package.json object")
        ]


COMPOSE = "docker-compose.yml"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("services: 3\n", [(COMPOSE, 1, "cannot check: `services` is not a mapping")]),
        # A service that is a list, or whose image is a number, has no image to name.
        ("services:\n  db:\n    - postgres\n  cache:\n    image: 5\n", []),
    ],
)
def test_compose_of_the_wrong_shape(tree, text, expected):
    root = tree({COMPOSE: text})
    options = {"files": COMPOSE, "images": ["postgres"]}
    assert check(root, "compose-service-absent", **options) == expected


@pytest.mark.parametrize("packages", ["3", "apps/*", "\n  - 3"])
def test_workspace_definition_of_the_wrong_shape_is_not_no_workspace(tree, packages):
    """`packages: 3` is not "no workspaces": the facts resting on the globs say they cannot
    tell, instead of guessing a single-package layout."""
    root = tree(
        {
            "pnpm-workspace.yaml": f"packages: {packages}\n",
            "package.json": '{"name": "acme"}\n',
            "apps/web/package.json": '{"name": "@acme/web"}\n',
        }
    )
    discovery = database_package(project_of(RepoView(root)), {})
    assert discovery.values == []
    assert discovery.reason.startswith(
        "cannot tell which packages the workspace has: pnpm-workspace.yaml:"
    )
    assert "expected" in discovery.reason


INIT_VARIANTS = [
    ("pnpm-workspace.yaml", "packages: 3\n", "`packages` is a number, expected an array"),
    ("pnpm-workspace.yaml", "packages: apps/*\n", "`packages` is a string, expected an array"),
    ("pnpm-workspace.yaml", "packages:\n  - [a]\n", "`packages.0` is an array, expected a string"),
    ("pnpm-workspace.yaml", "- a\n", "the file is an array, expected an object"),
    ("package.json", '{"workspaces": 3}\n', "`workspaces` is a number, expected an array"),
    ("package.json", '{"workspaces": {"packages": 3}}\n', "`workspaces.packages` is a number"),
    ("package.json", "[]\n", "is not a package.json object"),
    ("packages/db/package.json", '{"name": 3,\n', "invalid JSON"),
]


@pytest.mark.parametrize("path, text, named", INIT_VARIANTS)
def test_init_names_what_it_could_not_read(tmp_path, capsys, path, text, named):
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "kata-before", root)
    (root / "conformance.yaml").unlink()
    write_tree(root, {path: text})
    assert main(["init", str(root)]) == 0
    written = (root / "conformance.yaml").read_text(encoding="utf-8")
    yaml.safe_load(written)
    assert f"#   {path}:" in written and named in written
    assert f"could not read {path}:" in capsys.readouterr().out
    assert main(["check", str(root)]) in (0, 1)


def test_fix_skips_a_section_it_cannot_edit_and_fixes_the_rest(tree, capsys):
    """A package.json whose `dependencies` is an array is left to a person, with the reason in
    the plan; the other package.json is still fixed."""
    root = tree(
        {
            "a/package.json": '{\n  "dependencies": []\n}\n',
            "b/package.json": json.dumps({"dependencies": {"pg": "1"}}, indent=2) + "\n",
            "conformance.yaml": yaml.safe_dump(
                {
                    "rules": [
                        {
                            "id": "no-pg",
                            "kind": "dependency-absent",
                            "files": "*/package.json",
                            "names": "pg",
                            "message": "{item}",
                            "why": "w",
                            "fix": {},
                        }
                    ]
                }
            ),
        }
    )
    assert main(["fix", "--dry-run", "--allow-dirty", str(root)]) == 1
    out = capsys.readouterr().out
    assert "cannot fix: `dependencies` is an array, expected an object at line 2" in out
    assert '-    "pg": "1"' in out


def test_fix_plans_around_a_web_manifest_that_is_no_object(tmp_path, capsys):
    """The web app's package.json is read for its sign-in provider while the fix scaffolds: a
    document that is no object declares none (it crashed `fix --dry-run`)."""
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "convex-to-postgres-before", root)
    write_tree(root, {"apps/web/package.json": "[]\n"})
    assert main(["fix", "--dry-run", "--allow-dirty", str(root)]) == 1
    out = capsys.readouterr().out
    assert "apps/web/package.json" in out and "dry run: nothing was written" in out
