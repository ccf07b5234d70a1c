"""The template renderer: sandboxed, strict about undefined names, fed plain data only."""

from __future__ import annotations

import pytest

from conformance import templates
from conformance.model import UsageError


@pytest.fixture
def template_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(templates, "templates_dir", lambda: tmp_path)
    templates._environment.cache_clear()
    yield tmp_path
    templates._environment.cache_clear()


def test_renders_plain_data(template_dir):
    (template_dir / "t.j2").write_text("{% for t in tables %}{{ t.name }}\n{% endfor %}")
    assert (
        templates.render("t.j2", {"tables": [{"name": "users"}, {"name": "teams"}]})
        == "users\nteams\n"
    )


def test_undefined_variable_is_an_error_with_the_template_line(template_dir):
    (template_dir / "t.j2").write_text("ok\n{{ missing }}\n")
    with pytest.raises(UsageError) as error:
        templates.render("t.j2", {})
    assert str(error.value) == "templates/t.j2:2: cannot render: 'missing' is undefined"


def test_sandbox_blocks_python_internals(template_dir):
    (template_dir / "t.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(UsageError, match="cannot render: access to attribute '__class__'"):
        templates.render("t.j2", {})


@pytest.mark.parametrize("value", [object(), {"a": {1: "x"}}, [b"bytes"], {"p": templates}])
def test_only_plain_data_reaches_a_template(template_dir, value):
    (template_dir / "t.j2").write_text("x")
    with pytest.raises(TypeError):
        templates.render("t.j2", {"value": value})


def test_missing_template(template_dir):
    with pytest.raises(UsageError, match=r"template `nope\.j2` not found"):
        templates.render("nope.j2", {})


def test_shipped_templates_are_found():
    assert (templates.templates_dir() / "convex-adoption/convex/schema.ts.j2").is_file()


@pytest.mark.parametrize(
    ("template", "value", "expected"),
    [
        ('"{{ v | json_string }}"', 'x", "bin": {"x": "e\\vil"}', r'"x\", \"bin\": {\"x\": \"e\\vil\"}"'),
        ('"{{ v | ts_string }}"', "a\nb\u2028c\ud800é", r'"a\nb\u2028c\ud800é"'),
        ("sql`'{{ v | sql_string | ts_template }}'`", "a'`${x}\\", r"sql`'a''\`\${x}\\'`"),
        ("'{{ v | sql_string }}'", "a'); drop table t; --", "'a''); drop table t; --'"),
        ("ALTER TABLE {{ v | sql_identifier }};", "user_settings", "ALTER TABLE user_settings;"),
        ("// {{ v | comment }}", "a\nfetch(x) */ \x1b[2J\u202e", r"// a\nfetch(x) *\/ \x1b[2J\u202e"),
    ],
)  # fmt: skip
def test_escaping_filters(template_dir, template, value, expected):
    (template_dir / "t.j2").write_text(template)
    assert templates.render("t.j2", {"v": value}) == expected


def test_a_json_string_reads_back_as_the_value(template_dir):
    import json

    value = 'x", "bin": {"x": "evil.sh"}, "z": "\\\x00\x1f\u2028\U0001f600'
    (template_dir / "t.j2").write_text('{"name": "{{ v | json_string }}"}\n')
    assert json.loads(templates.render("t.j2", {"v": value})) == {"name": value}


@pytest.mark.parametrize(
    ("template", "value", "expected"),
    [
        ("{{ v | sql_identifier }}", "t; drop table u", "'t; drop table u' is not an SQL identifier (lower-case letters, digits and `_`)"),
        ("{{ v | sql_identifier }}", "Users", "'Users' is not an SQL identifier (lower-case letters, digits and `_`)"),
        ("{{ v | sql_identifier }}", "a" * 64, f"'{'a' * 64}' is not an SQL identifier (lower-case letters, digits and `_`)"),
        ("{{ v | ts_identifier }}Router", "a-b", "'a-b' is not a TypeScript identifier"),
        ("'{{ v | sql_string }}'", "a\x00", r"'a\x00' cannot be written in an SQL string (it holds NUL)"),
    ],
)  # fmt: skip
def test_a_value_with_no_safe_spelling_is_a_usage_error(template_dir, template, value, expected):
    (template_dir / "t.j2").write_text("ok\n" + template)
    with pytest.raises(UsageError) as error:
        templates.render("t.j2", {"v": value})
    assert str(error.value) == f"templates/t.j2:2: cannot render: {expected}"


INJECTED_NAME = 'x", "bin": {"x": "evil.sh"}, "z": "'
INJECTED_SETTING = "a'); drop table x; --"


def test_parameters_cannot_inject_into_generated_files(cli, fixture_copy):
    """Issue 11 item 10: a package name closing its JSON string added a `bin` to the generated
    package.json; a setting closing its SQL string ran a statement. Both stay literal text."""
    import json

    from conftest import init_git

    root = fixture_copy("convex-to-postgres-before")
    init_git(root)
    argv = ["fix", str(root), "--contract", "convex-to-postgres"]
    argv += ["--param", f"database_package_name={INJECTED_NAME}"]
    argv += ["--param", f"rls_setting={INJECTED_SETTING}"]
    code, _, err = cli(*argv)
    assert code in (0, 1), err
    database = root / "packages/database"
    manifest = json.loads((database / "package.json").read_text())
    assert manifest["name"] == INJECTED_NAME and "bin" not in manifest
    web = json.loads((root / "apps/web/package.json").read_text())
    assert web["dependencies"][INJECTED_NAME] == "*" and "bin" not in web
    assert (root / "apps/web/server/trpc/trpc.ts").read_text().splitlines()[0] == (
        r'import { getDb, withUserContext } from "x\", \"bin\": {\"x\": \"evil.sh\"}, '
        r'\"z\": \"/client";'
    )
    sql = (database / "drizzle/migrations/row_level_security.sql").read_text()
    assert sql.count("current_setting('a''); drop table x; --', true)") == 4
    assert "equals a'); drop table x; --, which" in sql  # a comment: no line break to escape
    client = (database / "src/client.ts").read_text()
    assert "sql`select set_config('a''); drop table x; --', ${userId}, true)`" in client


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "rls_tables=[routines, 'x; drop table y']",
            "--param rls_tables: `x; drop table y` is not an SQL identifier (lower-case letters, "
            "digits and `_`) (it fills `tables[1]` of rule `c2p-rls-policies`)",
        ),
        (
            "trpc_routers=[routines, 'x}; evil(); {y']",
            "templates/convex-to-postgres/apps/web/server/trpc/router.ts.j2:2: cannot render: "
            "'x}; evil(); {y' is not a TypeScript identifier",
        ),
    ],
)
def test_identifiers_from_parameters_are_validated(cli, fixture_copy, value, expected):
    from conftest import git, init_git

    root = fixture_copy("convex-to-postgres-before")
    init_git(root)
    code, out, err = cli("fix", str(root), "--contract", "convex-to-postgres", "--param", value)
    assert (code, out) == (2, ""), err
    assert err == f"conformance: error: {expected}\n"
    assert git(root, "status", "--porcelain") == ""  # refused before the first byte


def test_a_module_name_is_a_string_literal_in_the_api_path():
    """A Convex module file may be named anything; its part of `api.…` is an escaped string."""
    from conformance.translate.convex_operations import _api_expression

    assert _api_expression("tasks/my-list", "get") == 'api.tasks["my-list"].get'
    assert _api_expression('a"]; evil(); x["', "get") == r'api["a\"]; evil(); x[\""].get'
