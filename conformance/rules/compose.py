"""Compose services that must stay, or must be gone — matched by service name or by image."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import FileProblem, Finding, NothingToCheck, Rule
from ..project.compose import is_postgres, runs
from ..repo import ComposeService, RepoView
from .base import GLOBS, PATHS, STRINGS, RuleKind, as_list

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..workspace import Workspace


def _describe(service: ComposeService) -> str:
    image = f" (image {service.image})" if service.image else ""
    return f'service "{service.name}"{image}'


class ComposeServicePresent(RuleKind):
    """Each named service must stay in one of the compose files, found by its name or by its
    image (`redis` is kept by a service `cache` running `redis:7` or `bitnami/redis`).

    Removing the old database must not take the services the rest of the stack still needs.
    With no service named there is nothing to hold the files to: the rule is unchecked.
    """

    name = "compose-service-present"
    properties = {"files": PATHS, "names": STRINGS}
    required = ("files", "names")
    option_help = {
        "files": "Compose files to read (globs).",
        "names": "Services to keep, each found by its service name or its image.",
    }
    example = """\
id: redis-kept
kind: compose-service-present
files: [docker-compose.yml, "docker-compose.*.yml"]
names: [redis]
message: "service removed: {item}"
why: The queue still needs Redis after the database moves.
"""
    hint = "Restore the service in the compose file."

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        kept = as_list(rule.options["names"])
        if not kept:
            raise NothingToCheck("no compose service is named to be kept")
        files: list[tuple[str, list[ComposeService]]] = []
        for path in self.files(rule, repo):
            try:
                files.append((path, repo.compose_services(path)))
            except FileProblem as problem:
                yield self.problem(rule, problem)
        if not files:
            return
        services = [service for _, found in files for service in found]
        first = files[0][0]
        for name in kept:
            if not any(runs(service, name) for service in services):
                line = repo.yaml(first).line_of("services")
                item = f'service "{name}" is missing'
                if len(files) > 1:
                    item += f" from all {len(files)} compose files"
                yield self.finding(rule, first, line, item, name=name)


class ComposeServiceAbsent(RuleKind):
    """No service may be named like, or run an image like, the listed ones.

    Real compose files call their Postgres service `postgres`, `db`, `database`…; only the image
    (`postgres:16-alpine`, `postgis/postgis`, `bitnami/postgresql`) tells reliably. Images are
    compared without registry, tag or digest, and `${VAR:-default}` images by their default.
    Comments are not services: a note about the removed database is not a finding.
    """

    name = "compose-service-absent"
    properties = {"files": PATHS, "names": STRINGS, "images": GLOBS}
    required = ("files",)
    option_help = {
        "files": "Compose files to read (globs).",
        "names": "Service names no file may define.",
        "images": "Images no service may run (globs, compared without registry, tag or digest).",
    }
    example = """\
id: no-postgres-service
kind: compose-service-absent
files: "**/docker-compose*.yml"
names: [postgres, db]
images: [postgres, "*/postgis", bitnami/postgresql]
message: "Postgres still runs: {item}"
why: The database moved to Convex.
"""
    hint = "Remove the service, its volumes and `depends_on` references from the compose file."

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        names = as_list(rule.options.get("names"))
        images = as_list(rule.options.get("images"))

        def check_file(path: str) -> Iterator[Finding]:
            for service in repo.compose_services(path):
                if is_postgres(service, names, images):
                    yield self.finding(
                        rule, path, service.line, _describe(service), name=service.name
                    )

        return self.each_file(rule, repo, check_file, required=False)

    def fix(self, rule: Rule, work: Workspace) -> None:
        """Remove the services with their comment block, unused volumes and depends_on entries."""
        from ..edit.compose import remove_services

        names = as_list(rule.options.get("names"))
        images = as_list(rule.options.get("images"))

        def selects(name: str, image: str | None) -> bool:
            return is_postgres(ComposeService(name, image, 0), names, images)

        for path in self.files(rule, work.repo):
            try:
                text, _ = remove_services(work.read(path), selects)
            except ValueError as error:
                raise FileProblem(path, str(error)) from None
            work.edit(path, text, rule)
