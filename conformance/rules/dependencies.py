"""package.json dependencies that must be declared, or must be gone."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Finding, Rule
from ..repo import RepoView
from .base import GLOBS, STRING, STRINGS, RuleKind, as_list, read_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..workspace import Workspace

SECTIONS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
SECTION_LIST = {"type": "array", "items": {"enum": list(SECTIONS)}, "minItems": 1}


def _sections(rule: Rule) -> list[str]:
    return as_list(rule.options.get("sections", SECTIONS))


class DependencyPresent(RuleKind):
    """Each named package must be declared in one of the given package.json sections.

    A stack is adopted when the package that uses it depends on it; scripts and sources that
    call a CLI or import a library nobody declared break on a fresh install.
    """

    name = "dependency-present"
    properties = {"files": GLOBS, "names": STRINGS, "sections": SECTION_LIST}
    required = ("files", "names")
    hint = "Add the package with your package manager (e.g. `pnpm add convex`)."
    fix_properties = {
        "version": {"anyOf": [STRING, {"type": "object", "additionalProperties": STRING}]},
        "section": {"enum": list(SECTIONS)},
    }

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        sections = _sections(rule)

        def check_file(path: str) -> Iterator[Finding]:
            document = repo.package_json(path)
            for name in as_list(rule.options["names"]):
                if not any(name in (document.data.get(s) or {}) for s in sections):
                    line = next((document.line_of(s) for s in sections if s in document.data), None)
                    where = " or ".join(sections)
                    yield self.finding(rule, path, line, f'"{name}" (not in {where})', name=name)

        return self.each_file(rule, repo, check_file, required=True)

    def fix(self, rule: Rule, work: Workspace) -> None:
        """Declare each missing package with `fix.version` (one range, or a range per name) in
        `fix.section`; a name the mapping has no range for is left to a person."""
        from ..edit.jsontext import set_member

        spec = rule.options["fix"]
        if "version" not in spec:
            return
        versions = spec["version"]
        for path in self.files(rule, work.repo):
            text, data = read_json(work, path)
            for name in as_list(rule.options["names"]):
                version = versions.get(name) if isinstance(versions, dict) else versions
                if version is not None and not any(
                    name in (data.get(s) or {}) for s in _sections(rule)
                ):
                    section = spec.get("section", "dependencies")
                    text = set_member(text, (section, name), version)
            work.edit(path, text, rule)


class DependencyAbsent(RuleKind):
    """None of the named packages may be declared in the given package.json sections.

    A dependency that stays after its stack was dropped keeps old code compiling and lets new
    code reach for it; removing it makes every stale import fail at once.
    """

    absence = True
    name = "dependency-absent"
    properties = {"files": GLOBS, "names": STRINGS, "sections": SECTION_LIST}
    required = ("files", "names")
    hint = "Remove the package with your package manager (e.g. `pnpm remove pg`)."

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        sections = _sections(rule)

        def check_file(path: str) -> Iterator[Finding]:
            document = repo.package_json(path)
            for section in sections:
                declared = document.data.get(section) or {}
                for name in as_list(rule.options["names"]):
                    if name in declared:
                        line = document.line_of(section, name)
                        item = f'"{name}" in {section}'
                        yield self.finding(rule, path, line, item, name=name, section=section)

        return self.each_file(rule, repo, check_file, required=False)

    def fix(self, rule: Rule, work: Workspace) -> None:
        """Remove each named package from the sections, keeping the file's formatting."""
        from ..edit.jsontext import remove_member

        for path in self.files(rule, work.repo):
            text, data = read_json(work, path)
            for section in _sections(rule):
                for name in as_list(rule.options["names"]):
                    if name in (data.get(section) or {}):
                        text = remove_member(text, (section, name))
            work.edit(path, text, rule)
