from __future__ import annotations

import copy

import pytest
import yaml
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.edit.compose import remove_services

KATA = (FIXTURES / "kata-before" / "containers" / "docker-compose.yml").read_text(encoding="utf-8")
DB_BLOCK = """\
  # PostgreSQL 16 is the primary datastore for @kata/db (KAT-106).
  # Drizzle migrations run against it: pnpm --filter @kata/db db:migrate
  # The connection string lives in packages/db/.env.example.
  db:
    image: postgres:16-alpine
    restart: unless-stopped
    environment:
      POSTGRES_USER: kata
      POSTGRES_PASSWORD: kata
      POSTGRES_DB: kata
    ports:
      - "5432:5432"
    volumes:
      - pgdata:/var/lib/postgresql/data
    healthcheck:
      <<: *healthcheck-defaults
      test: ["CMD-SHELL", "pg_isready -U kata -d kata"]

"""
KATA_WITHOUT_DB = KATA.replace(DB_BLOCK, "").replace("  pgdata:\n", "")


def by_name(*names):
    return lambda name, image: name in names


def test_kata_remove_db():
    assert DB_BLOCK in KATA
    result, removed = remove_services(KATA, by_name("db"))
    assert removed == ["db"]
    assert result == KATA_WITHOUT_DB
    # What stays: the file header, the `x-` anchor and its merges, redis and its comment.
    assert result.startswith(KATA[: KATA.index("services:")])
    assert "  # Redis backs websocket fan-out in apps/gateway.\n  redis:\n" in result
    assert result.count("<<: *healthcheck-defaults") == 1
    assert result.endswith("volumes:\n  redisdata:\n")


def test_kata_remove_db_by_image():
    calls = []

    def postgres(name, image):
        calls.append((name, image))
        return image.startswith("postgres")

    assert remove_services(KATA, postgres) == (KATA_WITHOUT_DB, ["db"])
    assert calls == [("db", "postgres:16-alpine"), ("redis", "redis:7-alpine")]


def test_kata_remove_everything():
    result, removed = remove_services(KATA, lambda name, image: True)
    assert removed == ["db", "redis"]
    assert result == KATA[: KATA.index("services:")] + "services: {}\n"


def test_nothing_selected_returns_the_text_unchanged():
    assert remove_services(KATA, by_name("web")) == (KATA, [])
    assert remove_services("name: x\n", by_name("db")) == ("name: x\n", [])
    assert remove_services("services:\n", by_name("db")) == ("services:\n", [])


def test_image_from_merge_key():
    text = """\
x-postgres: &postgres
  image: postgres:15
  restart: always
x-other: &other
  image: node:20

services:
  db:
    <<: *postgres
  api:
    <<: [*other, *postgres]
  worker:
    <<: *postgres
    image: node:20
"""
    calls = []
    result, removed = remove_services(text, lambda name, image: calls.append(image) or False)
    assert calls == ["postgres:15", "node:20", "node:20"]
    result, removed = remove_services(text, lambda name, image: image.startswith("postgres"))
    assert removed == ["db"]
    assert result == text.replace("  db:\n    <<: *postgres\n", "")


def test_depends_on_forms():
    text = """\
services:
  db:
    image: postgres
  cache:
    image: redis
  flow:
    image: node
    depends_on: [db, cache]
  block:
    image: node
    depends_on:
      - cache
      - db
    ports: ["80:80"]
  mapping:
    image: node
    depends_on:
      db:
        condition: service_healthy
      cache:
        condition: service_started
  only-db:
    image: node
    # Wait for the database.
    depends_on:
      db:
        condition: service_healthy
    restart: always
  only-db-flow:
    depends_on: [db]
    image: node
"""
    result, removed = remove_services(text, by_name("db"))
    assert removed == ["db"]
    assert (
        result
        == """\
services:
  cache:
    image: redis
  flow:
    image: node
    depends_on: [cache]
  block:
    image: node
    depends_on:
      - cache
    ports: ["80:80"]
  mapping:
    image: node
    depends_on:
      cache:
        condition: service_started
  only-db:
    image: node
    restart: always
  only-db-flow:
    image: node
"""
    )


def test_indentless_depends_on_and_a_service_without_body():
    text = """\
services:
  db:
  api:
    image: node
    depends_on:
    - db
    - cache
    ports: ["80:80"]
  web:
    image: nginx
    depends_on:
    - db
  cache:
    image: redis
"""
    result, removed = remove_services(text, lambda name, image: image is None)
    assert removed == ["db"]
    assert result == text.replace("  db:\n", "").replace("    - db\n", "").replace(
        "    depends_on:\n  cache:", "  cache:"
    )


def test_depends_on_inside_flow_mappings():
    text = (
        "services:\n  db: {image: postgres}\n  api: {image: node, depends_on: [db], ports: [80]}\n"
    )
    assert remove_services(text, by_name("db")) == (
        "services:\n  api: {image: node, ports: [80]}\n",
        ["db"],
    )


def test_flow_style_services():
    text = "services: {a: {image: x}, b: {image: y}, c: {image: z}}\n"
    assert remove_services(text, by_name("b"))[0] == "services: {a: {image: x}, c: {image: z}}\n"
    assert remove_services(text, by_name("b", "c"))[0] == "services: {a: {image: x}}\n"
    assert remove_services(text, by_name("a", "b", "c"))[0] == "services: {}\n"


def test_volumes():
    text = """\
services:
  db:
    image: postgres
    volumes:
      - pgdata:/var/lib/postgresql/data
      - shared:/shared:ro
      - type: volume
        source: dbcache
        target: /cache
      - ./init:/docker-entrypoint-initdb.d
  api:
    image: node
    volumes:
      - type: volume
        source: shared
        target: /shared

volumes:
  pgdata:
  shared: {}
  dbcache:
    driver: local
  spare:
"""
    result, _ = remove_services(text, by_name("db"))
    assert result.endswith("volumes:\n  shared: {}\n  spare:\n")
    assert yaml.safe_load(result)["volumes"] == {"shared": {}, "spare": None}
    result, _ = remove_services(text, by_name("db", "api"))
    assert result == "services: {}\n\nvolumes:\n  spare:\n"


def test_top_level_volumes_go_with_their_comment_block():
    text = """\
services:
  db:
    image: postgres
    volumes: [pgdata:/data]
  api:
    image: node

# Named volumes.
volumes:
  pgdata:
"""
    assert remove_services(text, by_name("db")) == (
        "services:\n  api:\n    image: node\n",
        ["db"],
    )


def test_comment_ownership():
    text = """\
# Services for local development.
services:
  # --- data ---

  # The database.
  # Second line.
  db:
    image: postgres
    # ports:
    #   - "5432:5432"

    # env_file: .env
# A comment at column 0.
  # The web front.
  web:
    image: nginx
    # commented: out
  api:
    image: node
"""
    result, _ = remove_services(text, by_name("db"))
    assert result == text.replace(
        "  # The database.\n  # Second line.\n  db:\n    image: postgres\n"
        '    # ports:\n    #   - "5432:5432"\n\n    # env_file: .env\n',
        "",
    )
    # The previous service's deeper comment stays with it.
    result, _ = remove_services(text, by_name("api"))
    assert result == text.replace("  api:\n    image: node\n", "")
    result, _ = remove_services(text, by_name("web"))
    assert result == text.replace(
        "  # The web front.\n  web:\n    image: nginx\n    # commented: out\n", ""
    )


def test_blank_lines_between_removed_services_close_up():
    text = "services:\n  a:\n    image: x\n\n  b:\n    image: y\n\n  c:\n    image: z\n"
    assert (
        remove_services(text, by_name("a"))[0]
        == "services:\n  b:\n    image: y\n\n  c:\n    image: z\n"
    )
    assert (
        remove_services(text, by_name("b"))[0]
        == "services:\n  a:\n    image: x\n\n  c:\n    image: z\n"
    )
    assert (
        remove_services(text, by_name("c"))[0]
        == "services:\n  a:\n    image: x\n\n  b:\n    image: y\n"
    )
    assert remove_services(text, by_name("a", "b"))[0] == "services:\n  c:\n    image: z\n"
    assert remove_services(text, by_name("b", "c"))[0] == "services:\n  a:\n    image: x\n"


def test_crlf_and_missing_final_newline():
    text = "services:\r\n  a:\r\n    image: x\r\n  b:\r\n    image: y"
    assert remove_services(text, by_name("b"))[0] == "services:\r\n  a:\r\n    image: x"
    assert remove_services(text, by_name("a"))[0] == "services:\r\n  b:\r\n    image: y"


def test_anchor_used_elsewhere_raises():
    text = """\
services:
  db:
    image: postgres
    environment: &env
      TZ: UTC
  api:
    image: node
    environment: *env
"""
    with pytest.raises(
        ValueError, match=r"service `db` defines anchor `&env` used elsewhere; remove it by hand"
    ):
        remove_services(text, by_name("db"))
    # Removing the alias's service too leaves no dangling alias.
    assert remove_services(text, by_name("db", "api"))[0] == "services: {}\n"
    assert remove_services(text, by_name("api"))[0] == text.replace(
        "  api:\n    image: node\n    environment: *env\n", ""
    )


def test_anchor_used_only_inside_the_removed_service():
    text = "services:\n  db:\n    environment: &env {A: 1}\n    labels: *env\n  api:\n    image: node\n"
    assert remove_services(text, by_name("db"))[0] == "services:\n  api:\n    image: node\n"


def test_depends_on_from_an_anchor_raises():
    text = "x-deps: &deps\n  depends_on: [db]\nservices:\n  db:\n    image: postgres\n  api:\n    <<: *deps\n"
    with pytest.raises(
        ValueError, match="service `api` takes its depends_on on `db` from an anchor"
    ):
        remove_services(text, by_name("db"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n", "must be a mapping"),
        ("", "must be a mapping"),
        ("services: [a]\n", "`services` is not a mapping"),
        ("services:\n  a: [\n", "not valid YAML"),
        ("services:\n  [a]: {}\n", "service name is not a plain scalar"),
        ("services:\n  db: {}\nvolumes: [a]\n", "top-level `volumes` is not a mapping"),
    ],
)
def test_not_a_compose_mapping(text, message):
    with pytest.raises(ValueError, match=message):
        remove_services(text, lambda name, image: True)


# Property test: generated compose files, a random set of services removed. The result must load
# to the data expected from the original's, keep every kept service's text (its depends_on less
# the removed names), the `x-` block, the header and the comments that head groups of services.

_IMAGES = ["postgres:16-alpine", "postgres", "postgis/postgis:16-3.4", "redis:7", "node:20"]
_VOLUMES = ["data", "cache", "logs"]


@st.composite
def _compose_files(draw):
    names = draw(
        st.lists(st.text("abcdef", min_size=1, max_size=3), min_size=1, max_size=6, unique=True)
    )
    extension = draw(st.sampled_from([None, "", "  image: postgres:15\n"]))
    lines = ["# Generated compose file.\n", "name: demo\n", "\n"]
    if extension is not None:
        extension = "x-defaults: &defaults\n  restart: unless-stopped\n" + extension
        lines += [extension, "\n"]
    lines.append("services:\n")
    services = {}
    used = set()
    for index, name in enumerate(names):
        if draw(st.booleans()):
            lines.append(f"  # Group {index}.\n\n")
        own = [f"  # About {name}, line {k}.\n" for k in range(draw(st.integers(0, 2)))]
        head = [*own, f"  {name}:\n"]
        merged = extension is not None and draw(st.booleans())
        if merged:
            head.append("    <<: *defaults\n")
        if not (merged and "image" in extension) or draw(st.booleans()):
            head.append(f"    image: {draw(st.sampled_from(_IMAGES))}\n")
        others = [n for n in names if n != name]
        dependencies = draw(st.lists(st.sampled_from(others), unique=True)) if others else []
        form = draw(st.sampled_from(["flow", "block", "mapping"]))
        tail = []
        mounts = draw(st.lists(st.sampled_from(_VOLUMES), unique=True, max_size=2))
        if mounts:
            tail.append("    volumes:\n")
            for volume in mounts:
                if draw(st.booleans()):
                    tail.append(f"      - {volume}:/srv/{volume}\n")
                else:
                    tail.append(
                        f"      - type: volume\n        source: {volume}\n        target: /v\n"
                    )
            used.update(mounts)
        if draw(st.booleans()):
            tail.append(f"    # {name}: a commented-out setting.\n")
        if draw(st.booleans()):
            tail.append("\n")
        services[name] = (own, "".join(head), dependencies, form, "".join(tail))
        lines += [*head, _depends_on(dependencies, form), *tail]
    declared = sorted(used | ({"spare"} if draw(st.booleans()) else set()))
    if declared:
        lines += ["\n", "# Named volumes.\n", "volumes:\n"]
        lines += [draw(st.sampled_from([f"  {v}:\n", f"  {v}: {{}}\n"])) for v in declared]
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    text = "".join(lines).replace("\n", eol)
    chosen = draw(st.sets(st.sampled_from(names)))
    by_image = draw(st.booleans())

    def selects(name, image):
        return name in chosen or (by_image and image is not None and image.startswith("post"))

    return text, eol, extension, services, selects


def _depends_on(dependencies, form):
    if not dependencies:
        return ""
    if form == "flow":
        return f"    depends_on: [{', '.join(dependencies)}]\n"
    if form == "block":
        return "    depends_on:\n" + "".join(f"      - {d}\n" for d in dependencies)
    return "    depends_on:\n" + "".join(
        f"      {d}:\n        condition: service_started\n" for d in dependencies
    )


def _expected(data, removed):
    expected = copy.deepcopy(data)
    services = expected["services"]
    gone = [services.pop(name) for name in removed]
    for service in services.values():
        dependencies = service.get("depends_on")
        if isinstance(dependencies, list):
            dependencies = [d for d in dependencies if d not in removed]
        elif isinstance(dependencies, dict):
            dependencies = {d: v for d, v in dependencies.items() if d not in removed}
        if dependencies:
            service["depends_on"] = dependencies
        else:
            service.pop("depends_on", None)
    unused = _sources(gone) - _sources(services.values())
    volumes = expected.get("volumes") or {}
    for volume in unused:
        volumes.pop(volume, None)
    if "volumes" in expected and not volumes:
        del expected["volumes"]
    return expected


def _sources(services):
    return {
        mount["source"] if isinstance(mount, dict) else mount.split(":")[0]
        for service in services
        for mount in service.get("volumes", [])
    }


@settings(max_examples=200, deadline=None)
@given(_compose_files())
def test_remove_services_keeps_everything_else(case):
    text, eol, extension, services, selects = case
    data = yaml.safe_load(text)
    removed = [n for n, s in data["services"].items() if selects(n, s.get("image"))]
    result, names = remove_services(text, selects)
    assert names == removed
    assert yaml.safe_load(result) == _expected(data, removed)
    assert result.startswith("# Generated compose file.\n".replace("\n", eol))
    if extension is not None:
        assert extension.replace("\n", eol) in result
    for line in text.splitlines(keepends=True):
        if line.startswith("  # Group"):
            assert line in result
    for name, (own, head, dependencies, form, tail) in services.items():
        if name in removed:
            for line in own:
                assert line.replace("\n", eol) not in result
            continue
        left = [d for d in dependencies if d not in removed]
        # A blank line after the service may go with a removed neighbour.
        block = (head + _depends_on(left, form) + tail).rstrip("\n") + "\n"
        assert block.replace("\n", eol) in result
    # Nothing is left to remove: no dangling reference or volume was missed.
    assert remove_services(result, selects) == (result, [])
