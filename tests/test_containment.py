"""Every path a contract, conformance.yaml or `--param` names resolves inside the repository:
one leading out is a usage error naming where it came from, and nothing outside is read or
listed. `fix` never writes under `.git/`."""

from __future__ import annotations

import shutil

import pytest
from conftest import init_git

from conformance.containment import in_git_dir, outside, outside_in, spelled_outside

SECRET = "SECRET-OUTSIDE-THE-REPOSITORY"


def contract(tmp_path, rule: str) -> str:
    path = tmp_path / "hostile.yaml"
    path.write_text(f"name: hostile\ndescription: d\nrules:\n{rule}")
    return str(path)


@pytest.fixture
def repo_with_neighbour(fixture_copy, tmp_path):
    """kata-before, with a sibling folder holding a package that names the Postgres stack."""
    root = fixture_copy("kata-before")
    neighbour = tmp_path / "outside" / "pkg"
    neighbour.mkdir(parents=True)
    (neighbour / "package.json").write_text(
        f'{{"name": "{SECRET}", "dependencies": {{"pg": "1"}}}}'
    )
    return root


def test_param_leading_outside_is_a_usage_error(repo_with_neighbour, cli):
    code, out, err = cli(
        "check", str(repo_with_neighbour), "--contract", "convex-adoption",
        "--param", "package=../outside/pkg",
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert err == (
        "conformance: error: --param package: `../outside/pkg/package.json` is outside the "
        "repository (it fills `files` of rule `convex-dependency`)\n"
    )


def test_config_parameter_leading_outside_names_its_line(repo_with_neighbour, cli):
    (repo_with_neighbour / "conformance.yaml").write_text(
        "contracts:\n  - contract: convex-adoption\n    parameters:\n"
        "      package: ../outside/pkg\n"
    )
    code, out, err = cli("check", str(repo_with_neighbour))
    assert (code, out) == (2, "")
    assert err.startswith("conformance: error: conformance.yaml:4: parameter `package`: ")
    assert err.endswith(
        "is outside the repository (it fills `files` of rule `convex-dependency`)\n"
    )
    assert err.count("\n") == 1


def test_rule_reading_etc_passwd_is_refused(tree, cli, tmp_path):
    root = tree({"README.md": "x\n"})
    rule = (
        "  - id: passwd\n    kind: text-absent\n    files: '../../../../etc/passwd'\n"
        "    regex: root\n    message: m\n    why: w\n"
    )
    path = contract(tmp_path, rule)
    code, out, err = cli("check", str(root), "--contract", path)
    assert (code, out) == (2, "")
    assert err == (
        f"conformance: error: {path}:6: rules[0].files: "
        "`../../../../etc/passwd` is outside the repository\n"
    )


def test_rule_listing_sibling_folders_is_refused(repo_with_neighbour, cli, tmp_path):
    rule = (
        "  - id: siblings\n    kind: path-absent\n    paths: '../*'\n    message: m\n    why: w\n"
    )
    path = contract(tmp_path, rule)
    code, out, err = cli("check", str(repo_with_neighbour), "--contract", path)
    assert (code, out) == (2, "")
    assert err == (
        f"conformance: error: {path}:6: rules[0].paths: `../*` is outside the repository\n"
    )


def test_folder_symlinked_out_of_the_repository_is_not_read(repo_with_neighbour, cli, tmp_path):
    """A symlink inside the repository leading out is a finding; what it points to is not shown."""
    src = repo_with_neighbour / "packages/db/src"
    shutil.rmtree(src)
    (tmp_path / "outside/pkg/index.ts").write_text(f'import pg from "pg"; // {SECRET}\n')
    src.symlink_to(tmp_path / "outside/pkg")
    code, out, err = cli("check", str(repo_with_neighbour), "--select", "no-postgres-imports")
    assert code == 1, err
    assert SECRET not in out
    assert out.splitlines()[0] == (
        "packages/db/src: no-postgres-imports cannot check: is a symlink pointing outside the "
        f"repository ({tmp_path}/outside/pkg)"
    )


def test_fix_never_writes_under_the_git_folder(fixture_copy, cli, tmp_path):
    root = fixture_copy("kata-after")
    init_git(root)
    rule = (
        "  - id: hook\n    kind: path-present\n    paths: .git/hooks/pre-commit\n"
        "    message: m\n    why: w\n    fix:\n      create:\n"
        "        - path: .git/hooks/pre-commit\n          template: README.md\n"
    )
    code, out, err = cli("fix", str(root), "--contract", contract(tmp_path, rule))
    assert (code, err) == (1, "")
    assert (
        "conflict  .git/hooks/pre-commit  [hook]  (not written: it is inside git's own folder)"
        in out
    )
    assert not (root / ".git/hooks/pre-commit").exists()


@pytest.mark.parametrize(
    ("path", "leaves"),
    [
        ("../x", True),
        ("/etc/passwd", True),
        ("a/../../x", True),
        ("a/**/../../x", True),  # `**` may be no folder at all
        ("*/../../x", True),
        ("a/../b", False),
        ("./a/./b", False),
        ("**/x", False),
        ("a..b/c", False),
    ],
)
def test_spelled_outside(path, leaves):
    assert spelled_outside(path) is leaves


def test_outside_through_a_symlink(tmp_path):
    root = tmp_path / "repo"
    (root / "inner").mkdir(parents=True)
    (root / "out").symlink_to(tmp_path)
    (root / "in").symlink_to(root / "inner")
    real = root.resolve()
    assert outside(real, "out/x") == "a symlink leads outside the repository"
    assert outside(real, "in/x") is None
    assert outside(real, "../repo/x") == "outside the repository"


def test_outside_in_answers_as_outside(tmp_path):
    """The per-folder check gives the full realpath check's answer for every kind of path: a
    file or folder symlinked out, one symlinked inside, a missing file, `..` spellings; asked
    twice (the second time from what it remembers) and in both orders."""
    root = tmp_path / "repo"
    (root / "inner/deep").mkdir(parents=True)
    (tmp_path / "secret.ts").write_text("x")
    for name in ("a.ts", "inner/b.ts", "inner/deep/c.ts"):
        (root / name).write_text("x")
    (root / "out").symlink_to(tmp_path)
    (root / "in").symlink_to(root / "inner")
    (root / "inner/leak.ts").symlink_to(tmp_path / "secret.ts")
    (root / "inner/alias.ts").symlink_to(root / "a.ts")
    (root / "inner/deep/up").symlink_to("../..")
    paths = [
        "a.ts", "inner/b.ts", "inner/deep/c.ts", "out/secret.ts", "out/repo/a.ts", "in/b.ts",
        "in/deep/c.ts", "inner/leak.ts", "in/leak.ts", "inner/alias.ts", "missing.ts",
        "out/missing.ts", "missing/x.ts", "out/missing/x.ts", "a.ts/x.ts", "inner/deep/up/a.ts", "inner/deep/up/../x.ts", "../repo/a.ts",
        "inner/../a.ts", "/etc/passwd",
    ]  # fmt: skip
    real = str(root.resolve())
    expected = [outside(real, path) for path in paths]
    assert expected.count(None) == 12  # both answers occur: the check below could fail
    for order in (paths, list(reversed(paths))):
        folders: dict[str, str | None] = {}
        for _ in range(2):
            assert {p: outside_in(real, p, folders) for p in order} == dict(
                zip(paths, expected, strict=True)
            )


def test_in_git_dir():
    assert in_git_dir(".git/hooks/pre-commit")
    assert in_git_dir("sub/.GIT/config")
    assert not in_git_dir(".github/workflows/ci.yml")
    assert not in_git_dir("docs/.gitkeep")
