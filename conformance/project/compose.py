"""Compose files: every `compose*.y(a)ml` and `docker-compose*.y(a)ml` (and `*-compose.y(a)ml`,
such as podman-compose.yml) anywhere, plus the files `docker compose -f FILE` names in the root
package.json's scripts and in Makefiles. A YAML file of that name without `services` but with
`processes` is process-compose's, not a compose file.

What a service is comes from its image, not its name: real repositories call their Postgres
service `db`, `database`, `op-db`, and their Redis one after the app."""

from __future__ import annotations

import posixpath
import re
from functools import cached_property

from ..globs import matches_any
from ..model import FileProblem
from . import relative

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..repo import ComposeService
    from . import Discovery, Project

COMPOSE_NAME = re.compile(r"((docker-)?compose([.-][^/]*)?|[^/]*-compose)\.ya?ml$")
# `docker compose … -f FILE` / `docker-compose --file=FILE` (several -f allowed).
_COMPOSE_COMMAND = re.compile(r"\bdocker(?:-compose|\s+compose)\b[^;&|\n]*")
_FILE_FLAG = re.compile(r"""(?:^|\s)(?:-f|--file)(?:=|\s+)(["']?)([^\s"';&|]+)\1""")
# Image repositories (registry, tag and digest stripped) that make a service Postgres; the
# contracts' `postgres_images` parameter defaults to the same list.
POSTGRES_IMAGES = [
    "postgres",
    "*/postgres",
    "postgis/*",
    "*/postgresql",
    "*/postgresql-*",
    "pgvector/pgvector",
    "timescale/timescaledb*",
]
POSTGRES_NAMES = ["postgres", "postgresql"]
_VARIABLE_DEFAULT = re.compile(r"\$\{[^}:]*:?-([^}]*)\}")


def image_repository(image: str) -> str:
    """`docker.io/library/postgres:16-alpine@sha256:…` → `postgres`; `${PG:-postgis/postgis:16}`
    → `postgis/postgis`."""
    image = _VARIABLE_DEFAULT.sub(r"\1", image.strip())
    image = image.split("@", 1)[0]
    head, _, last = image.rpartition("/")
    repository = f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]
    parts = repository.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] == "library":
        parts = parts[1:]
    return "/".join(parts).lower()


def is_postgres(service: ComposeService, names=POSTGRES_NAMES, images=POSTGRES_IMAGES) -> bool:
    if service.name in names:
        return True
    return bool(service.image and images and matches_any(images, image_repository(service.image)))


def runs(service: ComposeService, kept: str) -> bool:
    """Whether a service is the one a contract names: by its name, or by its image (`redis`
    is kept by a service `cache` running `redis:7` or `bitnami/redis`)."""
    if service.name == kept:
        return True
    if not service.image:
        return False
    repository = image_repository(service.image)
    return kept in (repository, repository.rpartition("/")[2])


class Compose:
    def __init__(self, project: Project):
        self.project = project

    @cached_property
    def files(self) -> list[tuple[str, str]]:
        """(compose file, where it was found), each once."""
        found: dict[str, str] = {}
        for path in self.project.named_like(COMPOSE_NAME):
            if self._is_compose(path):
                found.setdefault(path, "named like a compose file")
        for source, base, command in self._commands():
            for flag in _FILE_FLAG.finditer(command):
                path = relative(flag.group(2), base)
                if path not in found and self.project.has_file(path) and self._is_compose(path):
                    found[path] = f"`-f {flag.group(2)}` in {source}"
        return sorted(found.items())

    def _is_compose(self, path: str) -> bool:
        try:
            data = self.project.repo.yaml(path).data
        except FileProblem:
            return True  # unreadable, but named like one: the rules report it
        return not (isinstance(data, dict) and "services" not in data and "processes" in data)

    def _commands(self) -> list[tuple[str, str, str]]:
        """(where, base directory, command) of every docker compose command in the root
        package.json's scripts and in Makefiles."""
        commands = [
            (f'package.json script "{name}"', ".", command)
            for name, command in self.project.workspace.scripts(".").items()
        ]
        for makefile in self.project.named("Makefile", "makefile", "GNUmakefile"):
            try:
                text = self.project.repo.text(makefile)
            except FileProblem:
                continue
            base = posixpath.dirname(makefile) or "."
            commands += [(makefile, base, line) for line in text.splitlines()]
        return [
            (source, base, match.group())
            for source, base, command in commands
            for match in _COMPOSE_COMMAND.finditer(command)
        ]

    def services(self, path: str) -> list[ComposeService]:
        """A compose file's services; none when it cannot be read (the rules report that)."""
        try:
            return self.project.repo.compose_services(path)
        except FileProblem:
            return []


def compose_files(project: Project, binding: dict[str, Any]) -> Discovery:
    from . import Discovery

    files = project.compose.files
    return Discovery.of(
        files,
        "no compose file: none named compose*.y(a)ml, docker-compose*.y(a)ml or *-compose.y(a)ml, "
        "and no `docker compose -f` in the root package.json or a Makefile",
    )


def kept_services(project: Project, binding: dict[str, Any]) -> Discovery:
    """Nothing a check may assume (the services a file has now are trivially present), but what
    `init` records as the services to keep: every non-Postgres service, by name."""
    from . import Discovery

    services = {
        service.name: f"{path}:{service.line}" + (f" ({service.image})" if service.image else "")
        for path, _ in project.compose.files
        for service in project.compose.services(path)
        if not is_postgres(service)
    }
    now = ", ".join(f"{name} in {where}" for name, where in services.items()) or "none"
    return Discovery(
        [],
        [],
        "kept_services is not set, and the services the compose files have now cannot tell "
        f"what must stay (now: {now}); `conformance init` records them",
        proposed=Discovery(list(services), list(services.values())),
    )
