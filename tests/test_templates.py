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
