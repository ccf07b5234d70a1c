"""Start-up: the command's exit without teardown keeps exit codes and output, a check whose
inputs hold no YAML imports neither PyYAML nor Jinja nor GitPython, and the caches that make
that possible (compiled contracts, compiled templates) are never stale."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT
from hypothesis import event, given, settings
from hypothesis import strategies as st

from conformance import contract, templates
from conformance.cli import _quick_arguments, build_parser
from conformance.contract import BUILTIN_DIR, read_yaml
from conformance.repo import parse_yaml
from conformance.yamlcache import CompiledDocument


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """A cache folder of the test's own, for this process and the ones it starts."""
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.setattr(contract, "_parsed", {})
    return home


def command(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    """`python -m conformance ARGV` as a user runs it (the fast exit included)."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.run(
        [sys.executable, "-m", "conformance", *argv],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["check", "fixtures/kata-after"], 0),
        (["check", "fixtures/kata-before"], 1),
        (["check", "fixtures/kata-before", "--format", "json"], 1),
        (["fix", "--dry-run", "fixtures/kata-before"], 1),
        (["list"], 0),  # 37 KB: more than one buffer's worth
        (["check", "fixtures/no-such-folder"], 2),
        (["check", "fixtures/kata-before", "--select"], 2),
    ],
)
def test_the_command_exits_with_mains_code_and_all_its_output(
    cli, cache_home, tmp_path, argv, code
):
    expected = cli(*argv)
    assert expected[0] == code
    piped = command(*argv)
    assert (piped.returncode, piped.stdout, piped.stderr) == expected
    with open(tmp_path / "report", "w") as report:
        to_file = command(*argv, stdout=report)
    assert (to_file.returncode, (tmp_path / "report").read_text(), to_file.stderr) == expected


def test_an_internal_error_is_exit_3_through_the_fast_exit(cache_home):
    script = (
        "import conformance.cli as cli\n"
        "def broken(args): raise RuntimeError('boom')\n"
        "cli._check = broken\n"
        "cli.run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "check", "fixtures/kata-before"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        3,
        "",
        "conformance: internal error, please report: RuntimeError: boom "
        "(--debug prints the traceback)\n",
    )


@pytest.mark.parametrize("argv", [["check", "fixtures/kata-after"], ["list"]])
def test_a_reader_gone_before_the_output_is_no_traceback(cache_home, argv):
    # `conformance … | head -c 0`: the pipe is closed before anything is written; a short
    # output fails at the final flush, a long one inside `main`.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = command(*argv, stdout=write_end)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (1, "")


def imported_by_check(cache_home, *argv: str) -> tuple[int, list[str]]:
    """Run `check ARGV` in a fresh interpreter; its exit code and which of the heavy
    optional modules it imported."""
    heavy = ["yaml", "jinja2", "git", "datetime", "argparse"]
    script = (
        "import contextlib, io, json, sys\n"
        "from conformance.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(sys.argv[1:])\n"
        f"print(json.dumps([code, [m for m in {heavy!r} if m in sys.modules]]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "check", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "XDG_CACHE_HOME": str(cache_home)},
    )
    code, modules = json.loads(done.stdout)
    return code, modules


def test_a_check_without_yaml_inputs_imports_no_yaml_jinja_or_git(cache_home, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "convex-auth-before", repo)
    (repo / "conformance.yaml").unlink()
    # The first run parses the contract with PyYAML and keeps it compiled; the next needs
    # neither PyYAML nor `datetime` (no waivers), nor argparse (a plain command line), nor
    # what only `fix` uses.
    assert imported_by_check(cache_home, str(repo), "--contract", "convex-auth") == (
        1,
        ["yaml", "datetime"],
    )
    assert imported_by_check(cache_home, str(repo), "--contract", "convex-auth") == (1, [])
    # A conformance.yaml without dates is compiled too.
    shutil.copy(FIXTURES / "convex-auth-before" / "conformance.yaml", repo)
    imported_by_check(cache_home, str(repo))
    assert imported_by_check(cache_home, str(repo)) == (1, [])


def test_the_repositorys_own_yaml_is_compiled_and_never_stale(cache_home, tmp_path):
    # kata-before has a compose file and pnpm-workspace.yaml: read back compiled, the second
    # check imports no PyYAML and reports exactly what the first did.
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "kata-before", repo)
    first = command("check", str(repo), "--format", "json")
    assert imported_by_check(cache_home, str(repo)) == (1, [])
    again = command("check", str(repo), "--format", "json")
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
    # The same size and modification time, another image: seen.
    compose = repo / "containers" / "docker-compose.yml"
    text = compose.read_text(encoding="utf-8")
    before = compose.stat()
    assert "image: postgres:16-alpine" in text and "mariadb1" not in first.stdout
    compose.write_text(text.replace("postgres:16-alpine", "mariadb1:16-alpine"), encoding="utf-8")
    os.utime(compose, ns=(before.st_atime_ns, before.st_mtime_ns))
    edited = command("check", str(repo), "--format", "json")
    assert edited.stdout != first.stdout


def test_an_edited_contract_is_never_read_from_the_cache(cache_home, tmp_path):
    path = tmp_path / "mine.yaml"
    shutil.copy(BUILTIN_DIR / "convex-auth.yaml", path)
    first = read_yaml(path, "mine.yaml")
    assert not isinstance(first, CompiledDocument)  # parsed, and kept
    contract._parsed.clear()
    cached = read_yaml(path, "mine.yaml")
    assert isinstance(cached, CompiledDocument) and cached.data == first.data
    # The same size and the same modification time: only the text tells the edit.
    stat = path.stat()
    text = path.read_text()
    edited = text.replace("name: convex-auth", "name: convex-autH", 1)
    assert len(edited) == len(text) and edited != text
    path.write_text(edited)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    contract._parsed.clear()
    again = read_yaml(path, "mine.yaml")
    assert not isinstance(again, CompiledDocument) and again.data["name"] == "convex-autH"


def test_a_damaged_cache_entry_is_parsed_again(cache_home, tmp_path):
    path = tmp_path / "mine.yaml"
    shutil.copy(BUILTIN_DIR / "convex-adoption.yaml", path)
    expected = read_yaml(path, "mine.yaml").data
    (entry,) = (cache_home / "conformance" / "contracts").iterdir()
    entry.write_bytes(entry.read_bytes()[:100])
    contract._parsed.clear()
    assert read_yaml(path, "mine.yaml").data == expected


def test_a_date_is_not_compiled_and_stays_a_date(cache_home, tmp_path):
    path = tmp_path / "conformance.yaml"
    path.write_text(
        "contracts: [convex-auth]\nwaivers:\n  - {rule: x, reason: y, expires: 2030-01-01}\n"
    )
    for _ in range(2):
        contract._parsed.clear()
        document = read_yaml(path, "conformance.yaml")
        assert not isinstance(document, CompiledDocument)
        assert str(document.data["waivers"][0]["expires"]) == "2030-01-01"


def key_paths(data, keys=()):
    yield keys
    if isinstance(data, dict):
        for key, value in data.items():
            yield from key_paths(value, (*keys, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from key_paths(value, (*keys, index))


YAML_FILES = sorted(BUILTIN_DIR.glob("*.yaml")) + sorted(FIXTURES.glob("*/conformance.yaml"))


# What a walk of YAML nodes finds in its own way: the first of duplicate keys, an alias (the
# anchored node again), a merge key (not followed), numbers as keys.
TRICKY = """\
base: &base
  a: 1
  b: [x, {c: 2}]
rules:
  - id: one
    id: two
    opts: *base
  - <<: *base
    "1": one
    2: two
rules: [shadowed]
"""


@pytest.mark.parametrize(
    "path", [*YAML_FILES, None], ids=lambda p: str(p.relative_to(ROOT)) if p else "tricky"
)
def test_the_compiled_document_answers_as_the_parsed_one(cache_home, tmp_path, path):
    if path is None:
        path = tmp_path / "tricky.yaml"
        path.write_text(TRICKY)
    parsed = parse_yaml("shown", path.read_text(encoding="utf-8"))
    read_yaml(path, "shown")  # writes the cache entry
    contract._parsed.clear()
    compiled = read_yaml(path, "shown")
    assert isinstance(compiled, CompiledDocument)
    assert (compiled.path, compiled.data) == ("shown", parsed.data)
    paths = list(key_paths(parsed.data))
    # And keys that are not there: past a leaf, a missing key, an index out of range.
    paths += [(*keys, "no-such-key") for keys in paths] + [(*keys, 10_000) for keys in paths]
    paths += [("rules", 1, "1"), ("rules", 1, 1), ("rules", 1, 2), ("rules", 1, "2")]
    assert [compiled.line_of(*keys) for keys in paths] == [parsed.line_of(*keys) for keys in paths]


@pytest.fixture
def template_dir(tmp_path, monkeypatch, cache_home):
    monkeypatch.setattr(templates, "templates_dir", lambda: tmp_path / "templates")
    (tmp_path / "templates").mkdir()
    templates._environment.cache_clear()
    yield tmp_path / "templates"
    templates._environment.cache_clear()


def test_an_edited_template_is_compiled_again(template_dir, cache_home):
    template = template_dir / "t.j2"
    template.write_text("one {{ x }}\n")
    assert templates.render("t.j2", {"x": 1}) == "one 1\n"
    (folder,) = (cache_home / "conformance").glob("jinja-*")
    assert len(list(folder.iterdir())) == 1  # compiled, and kept
    stat = template.stat()
    template.write_text("two {{ x }}\n")
    os.utime(template, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    templates._environment.cache_clear()
    assert templates.render("t.j2", {"x": 1}) == "two 1\n"


def test_a_damaged_or_unwritable_template_cache_only_costs_time(template_dir, cache_home):
    (template_dir / "t.j2").write_text("{{ x }}!")
    assert templates.render("t.j2", {"x": 1}) == "1!"
    (folder,) = (cache_home / "conformance").glob("jinja-*")
    for entry in folder.iterdir():
        entry.write_bytes(entry.read_bytes()[:20])
    templates._environment.cache_clear()
    assert templates.render("t.j2", {"x": 2}) == "2!"
    shutil.rmtree(folder)
    folder.write_text("a file where the folder should be")
    templates._environment.cache_clear()
    assert templates.render("t.j2", {"x": 3}) == "3!"


# The quick reading of `check` and `fix` command lines: argparse's namespace, or argparse.

TOKENS = [
    *["check", "fix", "list", "explain", "init"],
    *["--contract", "--format", "--output", "--rev", "--changed-since", "--select"],
    *["--ignore", "--param", "--debug", "--dry-run", "--allow-dirty", "--force", "--help"],
    *["--contract=x", "--contract=", "--format=json", "--format=xml", "--debug=1", "--cont"],
    *["-h", "-", "--", "-1", "", "repo", "a=b", "json", "text", "x,y", "HEAD~1", "-x", "- y"],
    *["-q", "--quiet", "--exit-zero", "--statistics", "--fix", "--diff", "-qq", "--quiet=1"],
    *["--version", "-V", "--exit", "--stat"],
]


def parsed_by_argparse(argv: list[str]) -> dict | None:
    try:
        return vars(build_parser().parse_args(argv))
    except (Exception, SystemExit):
        return None


@pytest.mark.parametrize(
    "argv",
    [
        ["check"],
        ["fix"],
        ["check", "fixtures/kata-before", "--contract", "convex-adoption", "--format", "json"],
        ["check", "--contract=convex-auth", "--contract", "x.yaml", "repo", "--debug"],
        ["check", "-", "--rev", "HEAD~1", "--select", "a,b", "--select", "c", "--output", "o"],
        ["check", "--changed-since", "main", "--param", "a=b", "--ignore", "x"],
        ["check", "--format", "text", "--format", "sarif"],
        ["fix", "--dry-run", "fixtures/kata-before", "--allow-dirty", "--force", "--param=x=y"],
        ["check", "-q", "--exit-zero", "--statistics", "--format", "json"],
        ["check", "--fix", "--allow-dirty", "--force", "repo", "--quiet"],
        ["check", "--diff", "--select", "a"],
        ["fix", "--quiet", "--exit-zero", "-q"],
    ],
)
def test_a_plain_command_line_is_read_quickly_as_argparse_reads_it(argv):
    quick = _quick_arguments(argv)
    assert quick is not None
    assert vars(quick) == parsed_by_argparse(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--help"],
        ["check", "--form", "json"],  # an abbreviation
        ["check", "--format", "xml"],
        ["check", "a", "b"],
        ["check", "--rev", "A", "--changed-since", "B"],
        ["check", "--contract", "-x"],
        ["check", "--contract"],
        ["check", "--", "path"],
        ["fix", "--format", "json"],
        ["fix", "--dry-run=yes"],
        ["list"],
        [],
        ["--version"],
        ["check", "-qq"],
        ["check", "--exit"],  # an abbreviation of --exit-zero
        ["fix", "--statistics"],
        ["fix", "--diff"],
    ],
)
def test_anything_else_is_left_to_argparse(argv):
    assert _quick_arguments(argv) is None


# Whole options, mostly well formed, and now and then a token argparse alone can read.
PIECES = [
    *[["--contract", "x"], ["--contract", "y.yaml"], ["--format", "json"], ["--output", "o"]],
    *[["--rev", "HEAD"], ["--changed-since", "main"], ["--select", "a,b"], ["--ignore", "c"]],
    *[["--param", "a=b"], ["--debug"], ["--dry-run"], ["--allow-dirty"], ["--force"], ["repo"]],
    *[["-q"], ["--quiet"], ["--exit-zero"], ["--statistics"], ["--fix"], ["--diff"]],
]


@settings(max_examples=600, deadline=None, derandomize=True)
@given(
    st.sampled_from(["check", "fix"]),
    st.lists(
        st.one_of(st.sampled_from(PIECES), st.sampled_from(TOKENS).map(lambda token: [token])),
        max_size=6,
    ),
)
def test_the_quick_reading_never_differs_from_argparse(command, pieces):
    argv = [command, *(token for piece in pieces for token in piece)]
    quick = _quick_arguments(argv)
    event("read quickly" if quick is not None else "left to argparse")
    if quick is not None:
        assert vars(quick) == parsed_by_argparse(argv)


def test_a_rendering_is_kept_for_the_very_same_template_and_context(template_dir, monkeypatch):
    template = template_dir / "t.j2"
    template.write_text("{{ x }} {{ items | join(',') }}\n")
    assert templates.render("t.j2", {"x": 1, "items": ["a", "b"]}) == "1 a,b\n"

    def jinja_is_not_needed(name, context):
        raise AssertionError("rendered again")

    with monkeypatch.context() as patched:
        patched.setattr(templates, "_render", jinja_is_not_needed)
        assert templates.render("t.j2", {"x": 1, "items": ["a", "b"]}) == "1 a,b\n"
    # Another context, or the same size and time with another text: rendered.
    assert templates.render("t.j2", {"x": 2, "items": ["a", "b"]}) == "2 a,b\n"
    stat = template.stat()
    template.write_text("{{ x }} {{ items | join(';') }}\n")
    os.utime(template, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    templates._environment.cache_clear()
    assert templates.render("t.j2", {"x": 1, "items": ["a", "b"]}) == "1 a;b\n"
    # A tuple prints unlike a list: the two are told apart.
    template.write_text("{{ items }}\n")
    assert templates.render("t.j2", {"items": ("a",)}) == "('a',)\n"
    assert templates.render("t.j2", {"items": ["a"]}) == "['a']\n"


def test_a_template_pulling_in_another_is_never_kept(template_dir, cache_home):
    (template_dir / "part.j2").write_text("part {{ x }}")
    (template_dir / "t.j2").write_text("{% include 'part.j2' %}!")
    assert templates.render("t.j2", {"x": 1}) == "part 1!"
    (template_dir / "part.j2").write_text("other {{ x }}")
    templates._environment.cache_clear()
    assert templates.render("t.j2", {"x": 1}) == "other 1!"
    kept = cache_home / "conformance" / "rendered"
    assert not kept.exists() or not any(kept.iterdir())


def test_a_second_fix_dry_run_imports_no_jinja(cache_home, tmp_path):
    script = (
        "import contextlib, io, json, sys\n"
        "from conformance.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    code = main(sys.argv[1:])\n"
        "print(json.dumps([code, 'jinja2' in sys.modules, out.getvalue()]))\n"
    )
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", script, "fix", "--dry-run", "fixtures/kata-before"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "XDG_CACHE_HOME": str(cache_home)},
            ).stdout
        )
        for _ in range(2)
    ]
    assert [run[:2] for run in runs] == [[1, True], [1, False]]
    assert runs[0][2] == runs[1][2]


def test_a_cache_folder_is_trimmed_to_its_newest_entries(tmp_path):
    from conformance import usercache

    folder = tmp_path / "kept"
    folder.mkdir()
    written = []
    for number in range(usercache.KEPT_ENTRIES + 1):
        path = folder / f"entry-{number:04d}"
        usercache.write_file(str(path), b"x")
        os.utime(path, ns=(number * 10**9, number * 10**9))  # written one second apart
        written.append(path.name)
    assert len(list(folder.iterdir())) == usercache.KEPT_ENTRIES // 2
    assert sorted(p.name for p in folder.iterdir()) == written[-(usercache.KEPT_ENTRIES // 2) :]
