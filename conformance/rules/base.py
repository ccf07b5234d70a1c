"""What every rule kind is: a check, its message, why it matters and how it is fixed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ..globs import matches_any
from ..model import FileProblem, Finding, Rule

# PATH and STRINGS are not used here: the kinds take their schema pieces from this module.
from ..project import ARTIFACTS, CONTEXTS, PATH, PATHS, STRING, STRINGS, template_context  # noqa: F401
from ..repo import JsonDocument, Needles, RepoView, normalize, parse_json

TYPE_CHECKING = False  # `typing` costs ~5 ms of start-up; annotations are not evaluated
if TYPE_CHECKING:
    from typing import Any, ClassVar

    from ..workspace import Workspace

BOOLEAN = {"type": "boolean"}
# Options a kind reads as repository paths (PATHS: `files`, `exclude`, `paths`, globs inside the
# root), as other globs (script names, images, modules) or as regexes: checked on load, and again
# with the parameters filled in (`format` is interpreted by schema.py).
GLOB = {"type": "string", "format": "glob"}
GLOBS = {"anyOf": [GLOB, {"type": "array", "items": GLOB}]}
REGEX = {"type": "string", "format": "regex"}
REGEXES = {"anyOf": [REGEX, {"type": "array", "items": REGEX}]}

# A file rendered from a template: `context` names data sources fed to it (e.g. the Drizzle
# schema a Convex schema is derived from), each provided by the ecosystem of the project model
# that owns it; `vars` are plain values from the contract. A `path` naming a list parameter
# (`.../repositories/${repositories}.ts`) is one file per value; a source that finds nothing to
# derive the file from says so (`unwritten`), and the file is not written.
RENDERED_FILE = {
    "type": "object",
    "required": ["path", "template"],
    "additionalProperties": False,
    "properties": {
        "path": PATHS,
        "template": STRING,
        "context": {
            "type": "object",
            "additionalProperties": False,
            "properties": {name: schema for name, (_, _, schema) in CONTEXTS.items()},
        },
        "vars": {"type": "object"},
    },
}
# Fix actions every kind understands, next to the kind's own `fix_properties`. `removes` names
# what a deleted path must be (`delete`, and `path-absent`'s own fix): a path built from a
# discovered parameter may name something else, and only that artifact is deleted of it.
GENERIC_FIX = {
    "create": {
        "type": "array",
        "items": RENDERED_FILE,
        "description": "Files the fix renders from templates where they are missing.",
    },
    "rewrite": {
        "type": "array",
        "items": RENDERED_FILE,
        "description": "Files the fix renders from templates over what they hold.",
    },
    "delete": {**PATHS, "description": "Paths the fix deletes (globs)."},
    "removes": {
        "enum": sorted(ARTIFACTS),
        "description": "What a deleted path must be: only that artifact of it is deleted.",
    },
}


def remove(work: Workspace, rule: Rule, path: str) -> None:
    """Delete a path the rule's fix deletes; with `removes:` in the fix, only what of it is that
    artifact (see `ARTIFACTS`), the rest stays and the plan says why."""
    artifact = (rule.options.get("fix") or {}).get("removes")
    if artifact is None:
        work.remove(path, rule)
        return
    from ..project import project_of, removal

    found = removal(project_of(work.repo), artifact, path)
    for part in found.paths:
        work.remove(part, rule)
    if found.problem:
        shown = path + "/" if work.repo.is_dir(path) else path
        work.skip(shown, rule, f"not removed: {found.problem}; `removes: {artifact}`")


def as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


class _Facts(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class RuleKind:
    """Subclasses set the class attributes; the docstring is what `conformance explain` shows."""

    name: ClassVar[str]
    # JSON Schema of the kind's own options; `id`, `kind`, `message` and `why` are common to all.
    properties: ClassVar[dict[str, Any]] = {}
    required: ClassVar[tuple[str, ...]] = ()
    # What each option means (`fix.NAME` for the kind's fix options) and the value an absent
    # one takes: the schema carries them (`conformance schema`, an editor's hover) and
    # docs/rule-kinds.md shows them with `example`, a rule of the kind in YAML.
    option_help: ClassVar[dict[str, str]] = {}
    option_defaults: ClassVar[dict[str, Any]] = {}
    example: ClassVar[str] = ""
    # How a person fixes a finding by hand.
    hint: ClassVar[str] = ""
    # JSON Schema of the kind's own options under a rule's `fix:` (see `fix`).
    fix_properties: ClassVar[dict[str, Any]] = {}
    # An absence rule wants its subject gone: finding nothing to look at is a pass, not
    # `unchecked`.
    absence: ClassVar[bool] = False

    def patterns(self, rule: Rule) -> list[str]:
        """The globs this rule reads, so the repo view can list them in one pass."""
        return as_list(rule.options.get("files"))

    def nothing_found(self, rule: Rule) -> str:
        """Why a rule that looked at nothing is unchecked."""
        patterns = self.patterns(rule)
        if not patterns:
            return "nothing to check: no path given"
        return "nothing to check: no file matches " + ", ".join(map(normalize, patterns))

    @staticmethod
    def creates(rule: Rule, path: str) -> bool:
        """Whether the rule's fix writes `path`: then a missing file is a finding (the fix makes
        it), otherwise it is only something the rule could not look at."""
        spec = rule.options.get("fix") or {}
        written = [
            path
            for key in ("create", "rewrite")
            for item in spec.get(key, ())
            for path in as_list(item["path"])
        ]
        return normalize(path) in {normalize(p) for p in written}

    def check(self, rule: Rule, repo: RepoView) -> Iterable[Finding]:
        raise NotImplementedError

    def scan(self, rule: Rule) -> tuple[Callable, Any, tuple[str, ...] | Needles] | None:
        """For kinds that read many TypeScript files (`each_facts`): the extraction run on each
        file's syntax tree (`extract(repo, path, tree, key)`, returning plain data), its key (the
        options it depends on, hashable) and needles (words, or `Needles` with a regex too): a
        file without them is not parsed."""
        return None

    def expect(self, rule: Rule, repo: RepoView) -> None:
        """Announce the files `each_facts` will read, before any rule runs: a file several
        rules scan is then parsed once, for all of them."""
        scan = self.scan(rule)
        if scan is None:
            return
        extract, key, needles = scan
        for path in scanned(rule, repo, needles, quiet=True):
            repo.expect_facts(path, extract, key)

    def fix(self, rule: Rule, work: Workspace) -> None:
        """The kind's own repair, driven by `rule.options["fix"]`; none by default."""

    def fix_each(self, rule: Rule, work: Workspace, fix_file: Callable[[str], None]) -> None:
        """Run `fix_file` on every file the rule names; one it cannot read or edit is left
        alone, and the plan says why, while the others are still fixed."""
        for path in self.files(rule, work.repo):
            try:
                fix_file(path)
            except FileProblem as problem:
                cannot_fix(work, rule, problem)

    def apply_fix(self, rule: Rule, work: Workspace) -> None:
        """Generic actions first (delete, create, rewrite), then the kind's own fix."""
        spec = rule.options["fix"]
        for pattern in as_list(spec.get("delete")):
            for path in work.repo.glob(pattern):
                remove(work, rule, path)
        for action in ("create", "rewrite"):
            # A failing rule's rewritten files (say client.ts and the index re-exporting it) are
            # replaced; the diff shows it and applying refuses files with uncommitted changes.
            write = work.create if action == "create" else work.rewrite
            for item in spec.get(action, ()):
                # `${package}/x` with the package at the root names `./x`: written as `x`.
                for path in map(normalize, as_list(item["path"])):
                    text = render_file({**item, "path": path}, work, rule)
                    if text is not None:
                        write(path, text, rule)
        self.fix(rule, work)

    @staticmethod
    def finding(rule: Rule, path: str, line: int | None, item: str, **facts: Any) -> Finding:
        """A finding whose message is the rule's message with `{item}` (and facts) filled in."""
        template = rule.message if "{" in rule.message else rule.message + ": {item}"
        path = normalize(path) + ("/" if path.endswith("/") else "")
        message = template.format_map(_Facts(item=item, path=path, **facts))
        return Finding(path, line, rule.id, message, "fix" in rule.options)

    @staticmethod
    def problem(rule: Rule, problem: FileProblem) -> Finding:
        return Finding(problem.path, problem.line, rule.id, f"cannot check: {problem.message}")

    @staticmethod
    def files(rule: Rule, repo: RepoView) -> list[str]:
        """The files a rule's `files` globs name, in order."""
        return [
            p
            for pattern in as_list(rule.options["files"])
            for p in repo.glob(pattern, files_only=True)
        ]

    def each_facts(
        self,
        rule: Rule,
        repo: RepoView,
        report: Callable[[str, Any], Iterable[Finding]],
    ) -> Iterator[Finding]:
        """Run `report(path, facts)` on what the kind's `scan` extracts from every JS/TS file
        the rule names (`files` minus `exclude`); a file that cannot be read is a finding."""
        extract, key, needles = self.scan(rule)
        for path in scanned(rule, repo, needles, quiet=False):
            if isinstance(path, FileProblem):
                yield self.problem(rule, path)
                continue
            try:
                facts = repo.typescript_facts(path, extract, key)
            except FileProblem as problem:
                yield self.problem(rule, problem)
                continue
            yield from report(path, facts)

    @classmethod
    def each_file(
        cls,
        rule: Rule,
        repo: RepoView,
        check_file: Callable[[str], Iterable[Finding]],
        *,
        required: bool,
    ) -> Iterator[Finding]:
        """Run `check_file` on every file the rule names. A missing required file is a finding
        when the rule's fix creates it; otherwise there is nothing to look at there."""
        for pattern in as_list(rule.options["files"]):
            paths = repo.glob(pattern, files_only=True)
            if not paths and required and cls.creates(rule, pattern):
                yield cls.finding(rule, pattern, None, f"{normalize(pattern)} is missing")
            for path in paths:
                try:
                    yield from list(check_file(path))
                except FileProblem as problem:
                    yield cls.problem(rule, problem)


def cannot_fix(work: Workspace, rule: Rule, problem: FileProblem) -> None:
    """Skip the file a fix cannot read or edit, saying why (and where)."""
    at = f" at line {problem.line}" if problem.line else ""
    work.skip(problem.path, rule, f"cannot fix: {problem.message}{at}")


def included_files(rule: Rule, repo: RepoView) -> list[str]:
    """The files the rule's `files` globs name minus `exclude`, each once (a package's glob and
    the root's both name the package's files), in order."""
    excluded = as_list(rule.options.get("exclude"))
    found = {
        path: None
        for pattern in as_list(rule.options["files"])
        for path in repo.glob(pattern, files_only=True)
    }
    return [path for path in found if not matches_any(excluded, path)]


def scanned(
    rule: Rule, repo: RepoView, needles: tuple[str, ...] | Needles, *, quiet: bool
) -> Iterator[str | FileProblem]:
    """The JS/TS files of the rule that hold its `needles` (all of them without needles); a
    file that cannot be read is yielded as its FileProblem, or skipped when `quiet`."""
    from ..typescript import SOURCE_SUFFIXES

    for path in included_files(rule, repo):
        if not path.endswith(SOURCE_SUFFIXES):
            continue
        try:
            if needles and not repo.mentions(path, needles):
                continue
        except FileProblem as problem:
            if not quiet:
                yield problem
            continue
        yield path


def render_file(item: dict[str, Any], work: Workspace, rule: Rule) -> str | None:
    """Render a RENDERED_FILE spec (one path); context sources read the repository as it is on
    disk. What a source had to leave out (its `skipped` entries: name, where, reason) is
    reported as skipped on the path where the missing piece belongs, one line per path. None,
    reported as skipped, when a source says the file has nothing to be derived from."""
    from ..templates import render

    context = dict(item.get("vars", {}))
    for name, spec in item.get("context", {}).items():
        context.update(template_context(name, spec, work, item["path"]))
    notes: dict[str, list[str]] = {}
    for skipped in context.get("skipped", ()):
        notes.setdefault(skipped["where"], []).append(
            f"{skipped['name']} not generated: {skipped['reason']}"
        )
    for where, lines in notes.items():
        work.skip(where, rule, "; ".join(lines))
    if context.get("unwritten"):
        work.skip(item["path"], rule, f"not written: {context['unwritten']}")
        return None
    return render(item["template"], context)


def read_package_json(work: Workspace, path: str) -> JsonDocument:
    """A package.json as the plan leaves it so far; FileProblem when it does not parse or is no
    object (as `RepoView.package_json` says in a check)."""
    text = work.read(path)
    if text is None:
        raise FileProblem(path, "does not exist", missing=True)
    document = parse_json(path, text)
    if not isinstance(document.data, dict):
        raise FileProblem(path, "is not a package.json object", 1)
    return document
