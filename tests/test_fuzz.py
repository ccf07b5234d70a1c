"""Fuzzing the whole tool with hostile repositories, configurations and parameters.

Each example starts from a copy of kata-before and replaces files with generated content —
package.json manifests, compose files, pnpm-workspace.yaml, drizzle.config.ts, conformance.yaml,
`--param` values and file names — then runs `check` (text and every CI format), `fix --dry-run`
and `fix` in-process. What must hold on every example:

* no exception escapes `main`, and the exit code is 0, 1 or 2 (3 is an internal error);
* every run takes under 2 s;
* `fix` changes only paths its dry run showed (a removed folder covers what is below it), and
  never writes outside the repository or under `.git/`.

The seed is fixed and the budget small, so CI stays fast and deterministic; `make fuzz` runs the
same properties with `FUZZ_EXAMPLES` examples each (10,000 for the figures in the README).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, init_git
from hypothesis import HealthCheck, event, given, seed, settings
from hypothesis import strategies as st

from conformance.cli import main
from conformance.formats import printable

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
BASE = FIXTURES / "kata-before"
SLOW = 2.0  # seconds: the bound every run must stay under
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="FUZZ_EXAMPLES" not in os.environ,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Values JSON, YAML and TypeScript config files may hold, hostile ones included.
TEXT = st.text(st.characters() | st.sampled_from("\x00\x1b\r\n\u202e\ud800"), max_size=40)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
PATHS = (
    st.sampled_from(
        [
            "..",
            ".",
            "./src",
            "../../apps",
            "/etc",
            "../outside",
            "drizzle",
            "./drizzle/../..",
            "~",
            "",
        ]
    )
    | TEXT
)


def manifest_of(data: dict) -> st.SearchStrategy[str]:
    """A package.json: the real one with a key replaced by anything, or anything at all."""
    keys = st.sampled_from(["dependencies", "devDependencies", "scripts", "name", "workspaces"])
    replaced = st.builds(lambda k, v: json.dumps({**data, k: v}), keys, JSON)
    return replaced | JSON.map(json.dumps) | TEXT


def yaml_of(data) -> st.SearchStrategy[str]:
    """YAML text: generated structures dumped, the real document with a value replaced, or
    text with YAML's own syntax in it (tags, anchors, dates)."""
    dumped = JSON.map(lambda value: yaml.safe_dump(value, allow_unicode=True))
    tokens = st.sampled_from(
        ["!!int x", "2024-02-30", "*a", "&a [1]", "<<: *a", "!!python/object:os.system", "{", "]"]
    )
    mixed = st.lists(tokens | TEXT, max_size=6).map("\n".join)
    replaced = st.builds(
        lambda value: yaml.safe_dump(
            {**data, "services": value} if isinstance(data, dict) else value
        ),
        JSON,
    )
    return dumped | mixed | replaced


def config_of(config: dict) -> st.SearchStrategy[str]:
    """conformance.yaml: the real one with one parameter given any value (most pass the schema,
    so the rules run with it), or any YAML at all."""
    entry = config["contracts"][0]

    def given(name: str, value) -> str:
        parameters = {**entry["parameters"], name: value}
        return yaml.safe_dump({"contracts": [{**entry, "parameters": parameters}]})

    names = st.sampled_from([*sorted(entry["parameters"]), "drizzle_schema", "convex_version"])
    return st.builds(given, names, PATHS | st.lists(PATHS, max_size=3) | JSON) | yaml_of(config)


def load_base() -> dict[str, bytes]:
    files = {}
    for path in sorted(BASE.rglob("*")):
        if path.is_file():
            files[path.relative_to(BASE).as_posix()] = path.read_bytes()
    return files


BASE_FILES = load_base()
DB_MANIFEST = json.loads(BASE_FILES["packages/db/package.json"])
COMPOSE = yaml.safe_load(BASE_FILES["containers/docker-compose.yml"])

MUTATIONS = st.fixed_dictionaries(
    {},
    optional={
        "packages/db/package.json": manifest_of(DB_MANIFEST),
        "package.json": manifest_of(json.loads(BASE_FILES["package.json"])),
        "containers/docker-compose.yml": yaml_of(COMPOSE),
        "pnpm-workspace.yaml": yaml_of({"packages": ["apps/*", "packages/*"]}),
        "packages/db/drizzle.config.ts": PATHS.map(
            lambda out: (
                'import { defineConfig } from "drizzle-kit";\n\n'
                f"export default defineConfig({{ schema: './src/schema.ts', out: {json.dumps(out)},"
                ' dialect: "postgresql" });\n'
            )
        ),
        "docs/PROJECT_PLAN.md": TEXT,
        "conformance.yaml": config_of(yaml.safe_load(BASE_FILES["conformance.yaml"])),
    },
)
# Files with hostile names beside the real ones (a name may not hold NUL or "/" parts).
NAMES = st.lists(
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00/"),
        min_size=1,
        max_size=20,
    ).filter(lambda name: name not in (".", "..", ".git")),
    max_size=3,
)
FORMATS = st.sampled_from(["text", "json", "github", "sarif", "junit"])
PARAMS = st.lists(
    st.builds(
        "{}={}".format,
        st.sampled_from(["package", "compose_files", "kept_services", "active_docs", "x"]),
        TEXT | st.sampled_from(["[a, b", "!!python/name:os.system", "---\na: 1\n---\nb", "../.."]),
    ),
    max_size=2,
)


def build(root: Path, mutations: dict[str, str], names: list[str]) -> None:
    for name, content in BASE_FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    for name, content in mutations.items():
        (root / name).write_text(content, encoding="utf-8", errors="surrogatepass")
    for name in names:
        (root / "docs" / name).write_text("PostgreSQL schema + Drizzle migrations\n", "utf-8")


def run(capsys, *argv: str) -> tuple[int, str]:
    start = time.perf_counter()
    code = main(list(argv))
    took = time.perf_counter() - start
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), f"exit {code} for {argv}:\n{err[-2000:]}"
    assert took < SLOW, f"{took:.1f} s for {argv}"
    event(f"{argv[0]} exit {code}")  # the spread of outcomes, in --hypothesis-show-statistics
    return code, out


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def planned(out: str) -> list[str]:
    """The paths a dry run shows as changed (`create`/`edit`/`remove` lines: the status in nine
    columns, a space, the path as written, two spaces and the rules)."""
    shown = []
    for line in out.splitlines():
        if line[:9].strip() in ("create", "edit", "remove"):
            shown.append(line[10:].partition("  [")[0].rstrip("/"))
    return shown


@pytest.fixture(scope="module", autouse=True)
def warm_start():
    """Run each contract once before the properties: the 2 s bound is about the input, not a
    worker's first import of tree-sitter and the kinds (3.1 s once, on a loaded machine)."""
    for name in CONTRACTS:
        main(["check", str(BASE), "--contract", name, "--format", "json"])


@pytest.fixture
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@seed(20261130)
@FUZZ
@given(mutations=MUTATIONS, names=NAMES, params=PARAMS, output=FORMATS, in_git=st.booleans())
def test_check_survives_any_repository(capsys, workdir, mutations, names, params, output, in_git):
    root = workdir / f"repo{len(list(workdir.iterdir()))}"
    build(root, mutations, names)
    if in_git:
        init_git(root)
    extra = [a for param in params for a in ("--param", param)]
    run(capsys, "check", str(root), "--format", output, *extra)
    shutil.rmtree(root)


@seed(20261130)
@FUZZ
@given(mutations=MUTATIONS, names=NAMES)
def test_fix_changes_only_what_it_showed(capsys, workdir, mutations, names):
    root = workdir / f"repo{len(list(workdir.iterdir()))}"
    build(root, mutations, names)
    init_git(root)
    # What a path leading out of the repository (`out: '../outside'`) would reach, and git's own
    # files a write under `.git/` would change.
    outside = workdir / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "keep.sql").write_text("-- not the repository's\n")
    guarded = {**snapshot(outside), **_git_own(root)}
    before = snapshot(root)
    code, out = run(capsys, "fix", str(root), "--dry-run")
    assert snapshot(root) == before, "the dry run wrote something"
    shown = planned(out)
    if code == 2:
        return  # a usage or contract error: nothing was planned
    run(capsys, "fix", str(root))
    after = snapshot(root)
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    # The plan prints paths as the text report does, control characters escaped.
    unplanned = [
        p
        for p in map(printable, changed)
        if not any(p == s or p.startswith(s + "/") for s in shown)
    ]
    assert not unplanned, f"fix changed paths its plan did not show: {unplanned}\n{out}"
    assert {**snapshot(outside), **_git_own(root)} == guarded, "fix wrote outside its plan"
    shutil.rmtree(root)


def _git_own(root: Path) -> dict[str, bytes]:
    """git's configuration and hooks: what a write under `.git/` could turn against the user."""
    own = root / ".git"
    files = [own / "config", *sorted((own / "hooks").iterdir())]
    return {f".git/{path.name}": path.read_bytes() for path in files if path.is_file()}


CONTRACTS = {
    path.stem: yaml.safe_load(path.read_text("utf-8"))
    for path in sorted((Path(__file__).parent.parent / "conformance" / "contracts").glob("*.yaml"))
}
# Values a contract author may write by mistake: format strings, regexes, globs that are not,
# paths leading out, and values of every JSON shape.
CONTRACT_VALUES = (
    st.sampled_from(
        [
            *("{", "}", "{0}", "{item:999999999}", "{item!r:>{x}}", "(", "[a-", "(a+)+$", "**/["),
            *("../*", "../../../../etc/passwd", "/etc/passwd", ".git/config", "${package}", "$"),
        ]
    )
    | JSON
)


@st.composite
def mutated_contract(draw) -> dict:
    """A built-in contract with one rule option or one parameter default replaced."""
    contract = json.loads(json.dumps(CONTRACTS[draw(st.sampled_from(sorted(CONTRACTS)))]))
    if draw(st.booleans()) and contract.get("parameters"):
        name = draw(st.sampled_from(sorted(contract["parameters"])))
        contract["parameters"][name] = {"default": draw(CONTRACT_VALUES)}
    else:
        rule = draw(st.sampled_from(contract["rules"]))
        key = draw(st.sampled_from([*sorted(rule), "extra", "paths", "regex", "pattern"]))
        rule[key] = draw(CONTRACT_VALUES)
    return contract


@seed(20261130)
@FUZZ
@given(contract=mutated_contract(), output=FORMATS)
def test_check_survives_any_contract(capsys, workdir, contract, output):
    root = workdir / f"repo{len(list(workdir.iterdir()))}"
    build(root, {}, [])
    (root / "custom.yaml").write_text(
        yaml.safe_dump(contract, allow_unicode=True), encoding="utf-8", errors="surrogatepass"
    )
    run(capsys, "check", str(root), "--contract", str(root / "custom.yaml"), "--format", output)
    shutil.rmtree(root)
