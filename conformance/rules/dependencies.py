"""package.json dependencies that must be declared, or must be gone."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import FileProblem, Finding, Rule
from ..repo import JsonDocument, RepoView
from ..shapes import mapping
from .base import PATHS, STRING, STRINGS, RuleKind, as_list, cannot_fix, read_package_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..workspace import Workspace

SECTIONS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
SECTION_LIST = {"type": "array", "items": {"enum": list(SECTIONS)}, "minItems": 1}


def _sections(rule: Rule) -> list[str]:
    return as_list(rule.options.get("sections", SECTIONS))


def declared(document: JsonDocument, sections: list[str]) -> tuple[set[str], list[FileProblem]]:
    """The names the sections declare, and the sections that are not objects (`"dependencies":
    true`): what they declare cannot be told."""
    names: set[str] = set()
    problems: list[FileProblem] = []
    for section in sections:
        try:
            names.update(mapping(document, section))
        except FileProblem as problem:
            problems.append(problem)
    return names, problems


class DependencyPresent(RuleKind):
    """Each named package must be declared in one of the given package.json sections.

    A stack is adopted when the package that uses it depends on it; scripts and sources that
    call a CLI or import a library nobody declared break on a fresh install. A section that is
    not an object cannot be checked, and says so.
    """

    name = "dependency-present"
    properties = {"files": PATHS, "names": STRINGS, "sections": SECTION_LIST}
    required = ("files", "names")
    option_help = {
        "files": "package.json files to read (globs).",
        "names": "Packages each file must declare.",
        "sections": "package.json sections a name may be declared in.",
        "fix.version": "Version range the fix declares: one for all, or a mapping name → range.",
        "fix.section": "Section the fix declares a missing package in.",
    }
    option_defaults = {
        "sections": ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"],
        "fix.section": "dependencies",
    }
    example = """\
id: convex-dependency
kind: dependency-present
files: packages/backend/package.json
names: [convex]
message: "not declared: {item}"
why: The backend uses Convex, so it depends on it.
fix:
  version: ^1.17.0
"""
    hint = "Add the package with your package manager (e.g. `pnpm add convex`)."
    fix_properties = {
        "version": {"anyOf": [STRING, {"type": "object", "additionalProperties": STRING}]},
        "section": {"enum": list(SECTIONS)},
    }

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        sections = _sections(rule)

        def check_file(path: str) -> Iterator[Finding]:
            document = repo.package_json(path)
            names, problems = declared(document, sections)
            missing = [name for name in as_list(rule.options["names"]) if name not in names]
            if missing and problems:
                # The missing names may be in the sections that cannot be read.
                yield from (self.problem(rule, problem) for problem in problems)
                return
            for name in missing:
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
        section = spec.get("section", "dependencies")

        def fix_file(path: str) -> None:
            document = read_package_json(work, path)
            names, problems = declared(document, list(dict.fromkeys([*_sections(rule), section])))
            added = {
                name: version
                for name in as_list(rule.options["names"])
                if name not in names
                and (version := versions.get(name) if isinstance(versions, dict) else versions)
                is not None
            }
            if added and problems:
                raise problems[0]  # the name may be there already, or there is nowhere to add it
            if added:
                mapping(document, section, writing=True)
            text = document.text
            for name, version in added.items():
                text = set_member(text, (section, name), version)
            work.edit(path, text, rule)

        self.fix_each(rule, work, fix_file)


class DependencyAbsent(RuleKind):
    """None of the named packages may be declared in the given package.json sections.

    A dependency that stays after its stack was dropped keeps old code compiling and lets new
    code reach for it; removing it makes every stale import fail at once. A section that is not
    an object cannot be checked, and says so.
    """

    absence = True
    name = "dependency-absent"
    properties = {"files": PATHS, "names": STRINGS, "sections": SECTION_LIST}
    required = ("files", "names")
    option_help = {
        "files": "package.json files to read (globs).",
        "names": "Packages no file may declare.",
        "sections": "package.json sections to look in.",
    }
    option_defaults = {
        "sections": ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"]
    }
    example = """\
id: no-postgres-dependencies
kind: dependency-absent
files: "packages/*/package.json"
names: [pg, drizzle-orm, drizzle-kit]
message: "still declared: {item}"
why: Nothing may keep compiling against the old database client.
"""
    hint = "Remove the package with your package manager (e.g. `pnpm remove pg`)."

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        sections = _sections(rule)

        def check_file(path: str) -> Iterator[Finding]:
            document = repo.package_json(path)
            for section in sections:
                try:
                    names = mapping(document, section)
                except FileProblem as problem:
                    yield self.problem(rule, problem)
                    continue
                for name in as_list(rule.options["names"]):
                    if name in names:
                        line = document.line_of(section, name)
                        item = f'"{name}" in {section}'
                        yield self.finding(rule, path, line, item, name=name, section=section)

        return self.each_file(rule, repo, check_file, required=False)

    def fix(self, rule: Rule, work: Workspace) -> None:
        """Remove each named package from the sections, keeping the file's formatting; a
        section that is not an object is left to a person."""
        from ..edit.jsontext import remove_member

        def fix_file(path: str) -> None:
            document = read_package_json(work, path)
            text = document.text
            for section in _sections(rule):
                try:
                    names = mapping(document, section)
                except FileProblem as problem:
                    cannot_fix(work, rule, problem)
                    continue
                for name in as_list(rule.options["names"]):
                    if name in names:
                        text = remove_member(text, (section, name))
            work.edit(path, text, rule)

        self.fix_each(rule, work, fix_file)
