"""Compose services that must stay, or must be gone — matched by service name or by image."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..globs import matches_any
from ..model import FileProblem, Finding, Rule
from ..repo import ComposeService, RepoView
from .base import STRINGS, RuleKind, as_list

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..workspace import Workspace

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


def _selects(service: ComposeService, names: list[str], images: list[str]) -> bool:
    if service.name in names:
        return True
    return bool(service.image and images and matches_any(images, image_repository(service.image)))


def _describe(service: ComposeService) -> str:
    image = f" (image {service.image})" if service.image else ""
    return f'service "{service.name}"{image}'


class ComposeServicePresent(RuleKind):
    """Each named service must stay in the compose file (matched by name, or by `images`).

    Removing the old database must not take the services the rest of the stack still needs.
    """

    name = "compose-service-present"
    properties = {"files": STRINGS, "names": STRINGS, "images": STRINGS}
    required = ("files", "names")
    hint = "Restore the service in the compose file."

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        images = as_list(rule.options.get("images"))

        def check_file(path: str) -> Iterator[Finding]:
            services = repo.compose_services(path)
            for name in as_list(rule.options["names"]):
                if not any(_selects(service, [name], images) for service in services):
                    line = repo.yaml(path).line_of("services")
                    yield self.finding(rule, path, line, f'service "{name}" is missing', name=name)

        return self.each_file(rule, repo, check_file, required=True)


class ComposeServiceAbsent(RuleKind):
    """No service may be named like, or run an image like, the listed ones.

    Real compose files call their Postgres service `postgres`, `db`, `database`…; only the image
    (`postgres:16-alpine`, `postgis/postgis`, `bitnami/postgresql`) tells reliably. Images are
    compared without registry, tag or digest, and `${VAR:-default}` images by their default.
    Comments are not services: a note about the removed database is not a finding.
    """

    name = "compose-service-absent"
    properties = {"files": STRINGS, "names": STRINGS, "images": STRINGS}
    required = ("files",)
    hint = "Remove the service, its volumes and `depends_on` references from the compose file."

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        names = as_list(rule.options.get("names"))
        images = as_list(rule.options.get("images"))

        def check_file(path: str) -> Iterator[Finding]:
            for service in repo.compose_services(path):
                if _selects(service, names, images):
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
            return _selects(ComposeService(name, image, 0), names, images)

        for path in self.files(rule, work.repo):
            try:
                text, _ = remove_services(work.read(path), selects)
            except ValueError as error:
                raise FileProblem(path, str(error)) from None
            work.edit(path, text, rule)
