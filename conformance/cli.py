"""`conformance check | fix | init | list | explain`: the command line over the engine (pytest
is never imported on this path)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .formats import FORMATS
from .model import Rule, UsageError, counted, did_you_mean, error_summary

TYPE_CHECKING = False  # `typing` costs ~5 ms of start-up; annotations are not evaluated
if TYPE_CHECKING:
    import argparse
    from typing import Any

# 3: conformance itself failed, never to be read as findings (1) by a CI gate.
EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _csv(values: list[str] | None) -> list[str]:
    return [item for value in values or [] for item in value.split(",") if item]


def _parameters(values: list[str] | None) -> dict[str, Any]:
    parameters = {}
    for value in values or []:
        name, sep, raw = value.partition("=")
        if not sep or not name:
            raise UsageError(f"--param {value}: expected NAME=VALUE")
        # YAML syntax so lists can be given: --param 'kept_services=[redis, nats]'
        parameters[name] = _yaml_list(name, raw) if raw.startswith("[") else raw
    return parameters


def _yaml_list(name: str, raw: str) -> list[Any]:
    from .contract import parse_config

    try:
        return parse_config(f"--param {name}", raw).data
    except UsageError as error:
        # One line: the YAML parser's mark is a line of this value, not of a file.
        raise UsageError(f"--param {name}: {error.message}") from None


FORMAT_HELP = (
    "report format: text (for people, the default), json (for scripts), github (workflow "
    "annotations), sarif (code scanning), junit (test reports), html (one page to look at)"
)


def build_parser() -> argparse.ArgumentParser:
    import argparse

    class _HelpFormatter(argparse.HelpFormatter):
        def __init__(self, prog: str):
            # argparse sizes help with `shutil` (and with it bz2 and lzma), ~3 ms of imports on
            # every run; os alone will do.
            try:
                width = os.get_terminal_size().columns
            except OSError:
                width = 80
            super().__init__(prog, width=min(width, 100) - 2)

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # one line, exit 2, no usage dump
            raise UsageError(message)

    class _Version(argparse.Action):
        def __call__(self, parser, namespace, values, option_string=None) -> None:
            print(version_text())
            parser.exit()

    parser = _Parser(
        prog="conformance",
        description="Executable contracts for architectural decisions: check a repository "
        "against them, and fix what drifted.",
        epilog="Exit codes: 0 clean, 1 findings, 2 usage or contract error, 3 internal error.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument(
        "-V",
        "--version",
        action=_Version,
        nargs=0,
        default=argparse.SUPPRESS,
        help="print the version and exit",
    )
    # Every parser sizes its help with _HelpFormatter: argparse's own imports `shutil`.
    common = _Parser(add_help=False, formatter_class=_HelpFormatter)
    common.add_argument(
        "--debug", action="store_true", help="print the traceback of an internal error"
    )
    # The options of a run that may find something: how much it says, and what it exits with.
    reporting = _Parser(add_help=False, formatter_class=_HelpFormatter)
    reporting.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only findings (and what else fails the run): nothing when it passes",
    )
    reporting.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even with findings (usage errors still exit 2, internal errors 3)",
    )
    # Which rules run: the commands that check (check, fix, baseline, hook) share these.
    selection = _Parser(add_help=False, formatter_class=_HelpFormatter)
    selection.add_argument(
        "--contract",
        action="append",
        help="built-in contract name or contract YAML file (repeatable); "
        "without it, PATH/conformance.yaml (or pyproject.toml's [tool.conformance]) names them",
    )
    selection.add_argument(
        "--select", action="append", metavar="ID", help="only these rule ids (globs, commas)"
    )
    selection.add_argument(
        "--ignore", action="append", metavar="ID", help="skip these rule ids (globs, commas)"
    )
    selection.add_argument(
        "--param", action="append", metavar="NAME=VALUE", help="override a contract parameter"
    )
    commands = parser.add_subparsers(
        dest="command",
        required=True,
        parser_class=_Parser,
        metavar="COMMAND",
        help="what to do; `conformance COMMAND --help` says more",
    )
    sub = {"formatter_class": _HelpFormatter, "parents": [common]}
    rules_sub = {"formatter_class": _HelpFormatter, "parents": [common, selection]}
    run_sub = {"formatter_class": _HelpFormatter, "parents": [common, selection, reporting]}

    check = commands.add_parser("check", **run_sub, help="check a repository against its contracts")
    check.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    check.add_argument("--format", choices=FORMATS, default="text", help=FORMAT_HELP)
    check.add_argument("--output", metavar="FILE", help="write the report to FILE, not stdout")
    history = check.add_mutually_exclusive_group()
    history.add_argument(
        "--rev",
        metavar="REV|A..B",
        help="check a commit from git objects (no checkout); A..B: every commit, and which one "
        "broke each failing rule",
    )
    history.add_argument(
        "--changed-since",
        metavar="REV",
        help="run only the rules whose inputs changed since REV (work tree included)",
    )
    check.add_argument(
        "--no-baseline", action="store_true", help="report every finding, the baseline's too"
    )
    check.add_argument(
        "--update-baseline",
        action="store_true",
        help="then remove from the baseline what was fixed (it never gains an entry)",
    )
    check.add_argument(
        "--statistics",
        action="store_true",
        help="print the number of findings of each rule instead of the findings (text or json)",
    )
    check.add_argument("--fix", action="store_true", help="as `conformance fix`")
    check.add_argument("--diff", action="store_true", help="as `conformance fix --dry-run`")
    check.add_argument(
        "--allow-dirty",
        action="store_true",
        help="with --fix: touch files with uncommitted changes",
    )
    check.add_argument(
        "--force",
        action="store_true",
        help="with --fix or --diff: replace existing files that differ from a template",
    )

    fix = commands.add_parser("fix", **run_sub, help="repair what the contracts' fixes can repair")
    fix.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    fix.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    fix.add_argument(
        "--allow-dirty", action="store_true", help="touch files with uncommitted changes"
    )
    fix.add_argument(
        "--force", action="store_true", help="replace existing files that differ from a template"
    )
    fix.add_argument(
        "--include-baseline", action="store_true", help="repair the baseline's findings too"
    )

    baseline = commands.add_parser(
        "baseline",
        **rules_sub,
        help="accept today's findings as known debt (.conformance-baseline.json)",
        description="Write every finding of today to the baseline (`baseline:` in the config, "
        "else .conformance-baseline.json): `check` then fails only on new findings, and "
        "`check --update-baseline` removes what gets fixed. For debt being paid down; an "
        "exception you decided to keep is a waiver.",
    )
    baseline.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    baseline.add_argument(
        "--prune",
        action="store_true",
        help="only remove what was fixed; never add a finding (as check --update-baseline)",
    )

    init = commands.add_parser("init", **sub, help="write a conformance.yaml for a repository")
    init.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    init.add_argument(
        "--contract",
        action="append",
        help="contract to adopt (repeatable); without it, the built-in contracts whose subject "
        "exists in the repository are proposed",
    )

    listing = commands.add_parser(
        "list",
        **sub,
        help="list contracts and their rules: the built-in ones, or those PATH's config names",
    )
    listing.add_argument(
        "path",
        nargs="?",
        help="a repository: list the contracts and rules its conformance.yaml names (its own "
        "contract files included); without it, the built-in contracts",
    )
    listing.add_argument(
        "--contract", action="append", metavar="NAME|FILE", help="only these contracts"
    )
    listing.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or json"
    )

    # `conformance hook`: the pre-commit hook (.pre-commit-hooks.yaml), which passes the files.
    hook = commands.add_parser(
        "hook",
        **rules_sub,
        help="check what is being committed (git's index): the pre-commit hook",
        description="Check the staged content (git's index, never the work tree) of the "
        "repository in the current folder, with the rules whose inputs include a FILE (and a "
        "file the index deletes); every rule when conformance.yaml or a contract file is among "
        "them or staged. Without FILE, the files staged differently from HEAD. Works before "
        "the first commit.",
    )
    hook.add_argument("files", nargs="*", metavar="FILE", help="a file being committed")
    hook.add_argument("--format", choices=FORMATS, default="text", help=FORMAT_HELP)
    hook.set_defaults(path=".")

    explain = commands.add_parser(
        "explain",
        **sub,
        help="explain a rule (what, why, how to fix) or a rule kind (what it checks, its options)",
    )
    explain.add_argument(
        "name", metavar="NAME", help="a rule id, or a rule kind (a rule id comes first)"
    )
    explain.add_argument(
        "path", nargs="?", default=".", help="repository whose config to search (default: .)"
    )
    explain.add_argument(
        "--kind", action="store_true", help="NAME is a rule kind, even where a rule has that id"
    )

    schema = commands.add_parser(
        "schema", **sub, help="print the JSON Schema of contract files or of conformance.yaml"
    )
    schema.add_argument(
        "which",
        nargs="?",
        choices=("contract", "config"),
        default="contract",
        help="contract: a contract file (the default); config: conformance.yaml",
    )
    return parser


def version_text() -> str:
    """`conformance VERSION`: the installed distribution's version, else (run from a source
    tree that was never installed) the package's own, said to be so."""
    from importlib import metadata

    try:
        return f"conformance {metadata.version(DISTRIBUTION)}"
    except metadata.PackageNotFoundError:
        from . import __version__

        return f"conformance {__version__} (not installed: {Path(__file__).parent})"


DISTRIBUTION = "repo-conformance"

# What the quick reading of `check` and `fix` knows of their options: those taking a value
# (each given once, or "append" to a list) and the flags. Its defaults are argparse's.
_QUICK = {
    "check": (
        {
            "--contract": "append",
            "--format": "store",
            "--output": "store",
            "--rev": "store",
            "--changed-since": "store",
            "--select": "append",
            "--ignore": "append",
            "--param": "append",
        },
        {
            *["--debug", "--quiet", "--exit-zero", "--statistics", "--fix", "--diff"],
            *["--allow-dirty", "--force", "--no-baseline", "--update-baseline"],
        },
        {"format": "text"},
    ),
    "fix": (
        {"--contract": "append", "--select": "append", "--ignore": "append", "--param": "append"},
        {"--debug", "--dry-run", "--allow-dirty", "--force", "--quiet", "--exit-zero"}
        | {"--include-baseline"},
        {},
    ),
}
_SHORT = {"-q": "--quiet"}


def parse_arguments(argv: list[str]):
    """The arguments as argparse reads them; a plain `check` or `fix` command line (options
    spelled in full, values not starting with `-`) is read without it, ~3 ms of importing
    and building parsers. Whatever else, help and mistakes included, goes to argparse."""
    quick = _quick_arguments(argv)
    return quick if quick is not None else build_parser().parse_args(argv)


def _quick_arguments(argv: list[str]):
    """The namespace argparse would give for `argv`, or None when it is not sure to be."""
    from types import SimpleNamespace

    if not argv or argv[0] not in _QUICK:
        return None
    valued, flags, defaults = _QUICK[argv[0]]
    names = {option: option[2:].replace("-", "_") for option in [*valued, *flags]}
    args = {"command": argv[0], "path": ".", **dict.fromkeys(names.values()), **defaults}
    args.update({names[flag]: False for flag in flags})
    positional = False
    tokens = iter(argv[1:])
    for token in tokens:
        token = _SHORT.get(token, token)
        option, equals, value = token.partition("=")
        if not token or token == "-" or not token.startswith("-"):
            if positional or not token:
                return None  # a second path: argparse's error
            args["path"], positional = token, True
            continue
        if option in flags and not equals:
            args[names[option]] = True
            continue
        if option not in valued:
            return None  # an abbreviation, `--`, help, an unknown option
        if not equals:
            value = next(tokens, None)
            if value is None or not value or value.startswith("-"):
                return None
        if valued[option] == "append":
            args[names[option]] = [*(args[names[option]] or []), value]
        else:
            args[names[option]] = value
    if args.get("format", "text") not in FORMATS:
        return None
    if args.get("rev") is not None and args.get("changed_since") is not None:
        return None  # mutually exclusive: argparse says so
    return SimpleNamespace(**args)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if not argv:
            # The bare command is a mistake, as ruff takes it: the help, on stderr (a pipe
            # reading stdout gets nothing it would take for a report), and exit 2.
            print(build_parser().format_help(), end="", file=sys.stderr)
            return EXIT_USAGE
        args = parse_arguments(argv)
        handlers = {
            "check": _check,
            "fix": _fix,
            "hook": _hook,
            "init": _init,
            "list": _list,
            "explain": _explain,
            "baseline": _baseline,
            "schema": _schema,
        }
        code = handlers[args.command](args)
        return EXIT_CLEAN if code == EXIT_FINDINGS and getattr(args, "exit_zero", False) else code
    except UsageError as error:
        from .formats import printable

        print(f"conformance: error: {printable(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`conformance list | head`): stop quietly, as coreutils do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FINDINGS
    except Exception as error:  # a bug of conformance's own, whatever the input
        # Read from argv: the error may come before (or from) parsing the arguments.
        if "--debug" in argv:
            import traceback

            traceback.print_exc()
        said = error_summary(error)
        hint = "" if "--debug" in argv else " (--debug prints the traceback)"
        print(f"conformance: internal error, please report: {said}{hint}", file=sys.stderr)
        return EXIT_INTERNAL


def _progress(args: argparse.Namespace):
    """The progress line of a run at a terminal (see terminal.Progress), or nothing."""
    from contextlib import nullcontext

    from .terminal import Progress

    if getattr(args, "quiet", False) or not Progress.wanted():
        return nullcontext()
    return Progress()


def _checked(args: argparse.Namespace, repo=None, also=None):
    """Load and select the rules, run them on the repository and apply its waivers; `also`
    gives rules to add to the selected ones (from the loaded ones). At a terminal, a long run
    shows its progress on stderr."""
    from .contract import CONFIG_FILES, config_document, load, load_waivers
    from .engine import open_repo, run, select_rules

    repo = repo or open_repo(args.path)
    from .project import DISCOVERED_FILES, unread_by_discovery

    # Discovery's listing runs in the background while the contracts load.
    repo.start_find(DISCOVERED_FILES)
    since = getattr(args, "changed_since", None)
    committed = getattr(args, "files", None)  # `hook`: the files being committed
    contracts, rules = load(repo.root, args.contract, _parameters(args.param), repo)
    selected = select_rules(rules, _csv(args.select), _csv(args.ignore))
    unchanged: list[Rule] = []
    if since or committed is not None:
        from .globs import literal_prefix
        from .history import affected, changed_paths, staged_paths
        from .rules import rule_patterns

        # The rules' inputs, and the config and contract files that define the rules.
        definitions = {*CONFIG_FILES, *filter(None, (_inside(repo.root, r) for r in rules))}
        if committed is not None:
            changed = staged_paths(repo, committed, definitions)
        else:
            prefixes = [literal_prefix(p) for r in selected for p in rule_patterns(r)]
            changed = changed_paths(repo.root, since, [*prefixes, *definitions], repo)
        selected, unchanged = affected(selected, changed, definitions)
    if also is not None:
        selected = [*selected, *also(selected, repo)]
    with _progress(args) as progress:
        report = run(selected, repo, progress and progress.step)
    if not rules:
        shown = config_document(repo.root).path
        report.empty = f"{shown} names no contract and no rule: nothing is checked"
    report.unchanged = [rule.id for rule in unchanged]
    report.contracts = list(dict.fromkeys(rule.contract for rule in [*rules, *selected]))
    report.discovered = [
        (contract.name, resolution)
        for contract in contracts
        for resolution in contract.resolutions
        if resolution.origin in ("discovered", "undiscovered", "default")
    ]
    report.unread = unread_by_discovery(repo)
    known = {rule.id for rule in rules}
    waivers = load_waivers(repo.root)
    report.apply_waivers(waivers, _today() if waivers else None, known)
    _against_baseline(repo, report, known, not getattr(args, "no_baseline", False))
    return repo, report


def _against_baseline(repo, report, known: set[str], compare: bool) -> None:
    """Set aside the findings the repository's baseline knows (when `compare`), read from the
    same view as the rest (`--rev` reads the commit's); never report the baseline file."""
    from .baseline import read
    from .contract import baseline_settings

    path, strict, _ = baseline_settings(repo.root)
    if not compare:
        report.leave_out(path)
        return
    entries = read(repo, path)
    if entries is not None:
        report.apply_baseline(entries, path, known)
        report.strict_baseline = strict


def _today():
    import datetime  # ~1 ms of start-up, only worth it with waivers to date

    return datetime.date.today()


def _inside(root: Path, rule: Rule) -> str | None:
    """The path of a rule's contract file relative to the repository, when it lives in it."""
    path = Path(rule.base_dir, Path(rule.source).name)
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else None


def _check(args: argparse.Namespace) -> int:
    if args.fix or args.diff:
        return _check_fix(args)
    for option in ("allow_dirty", "force"):
        if getattr(args, option):
            raise UsageError(f"--{option.replace('_', '-')} is for --fix or --diff (or `fix`)")
    if args.statistics and args.format not in ("text", "json"):
        raise UsageError(f"--statistics reports as text or json, not {args.format}")
    if args.rev is not None or args.changed_since is not None:
        from .history import check_revision

        if args.rev is not None:
            check_revision("--rev", args.rev, ranges=True)
        else:
            check_revision("--changed-since", args.changed_since)
    if args.rev and ".." in args.rev:
        return _check_range(args)
    repo = None
    if args.rev:
        from .engine import open_repo
        from .repo import GitTreeView

        repo = GitTreeView(open_repo(args.path).root, args.rev)
    if args.update_baseline and (args.rev or args.changed_since):
        raise UsageError(
            "--update-baseline prunes the work tree's baseline: not with --rev or --changed-since"
        )
    repo, report = _checked(args, repo)
    text_report = args.format == "text" and not args.statistics
    _emit(_report(report, args), args.output, report if text_report else None)
    if args.update_baseline:
        _prune_baseline(repo, report)
    return EXIT_FINDINGS if report.failing else EXIT_CLEAN


def _prune_baseline(repo, report) -> None:
    """Write the baseline without its fixed entries; said on stderr (stdout is the report)."""
    from .baseline import dump, pruned, read
    from .contract import baseline_settings
    from .formats import printable

    if report.baseline is None:
        path, _, _ = baseline_settings(repo.root)
        raise UsageError(
            f"--update-baseline: there is no baseline ({path}); `conformance baseline` writes one"
        )
    entries = read(repo, report.baseline)
    kept = pruned(entries, report.fixed)
    if len(kept) != len(entries) or kept != entries:
        _write(repo.root / report.baseline, dump(kept))
    gone = sum(e.count for e in report.fixed)
    said = (
        f"{report.baseline}: {counted(gone, 'fixed finding')} removed"
        if gone
        else f"{report.baseline}: nothing fixed, unchanged"
    )
    print(printable(said), file=sys.stderr)


def _report(report, args: argparse.Namespace) -> str:
    """The report as --format, --quiet and --statistics ask."""
    from . import formats

    if args.statistics:
        return formats.statistics(report, args.format)
    if args.format == "text" and args.quiet:
        return formats.quiet_text(report)
    return formats.render(report, args.format)


def _check_fix(args: argparse.Namespace) -> int:
    """`check --fix` is `fix`, `check --diff` is `fix --dry-run` (as in ruff)."""
    if args.fix and args.diff:
        raise UsageError("--fix writes, --diff does not: give one of them")
    given = {
        "--format": args.format != "text",
        "--output": args.output is not None,
        "--rev": args.rev is not None,
        "--changed-since": args.changed_since is not None,
        "--statistics": args.statistics,
    }
    for option, present in given.items():
        if present:
            raise UsageError(f"{option} is for a check; --fix and --diff report as `fix` does")
    args.dry_run = args.diff
    return _fix(args)


def _hook(args: argparse.Namespace) -> int:
    from .engine import open_repo
    from .formats import render
    from .repo import GitIndexView

    repo = GitIndexView(open_repo(args.path).root)
    try:
        _, report = _checked(args, repo)
    finally:
        repo.close()
    print(render(report, args.format), end="")
    return EXIT_FINDINGS if report.failing else EXIT_CLEAN


def _check_range(args: argparse.Namespace) -> int:
    from .contract import CONFIG_FILES, load_rules
    from .engine import open_repo, select_rules
    from .history import check_range, render_range

    if args.format not in ("text", "json", "html"):
        raise UsageError(f"--rev A..B reports as text, json or html, not {args.format}")
    if args.statistics:
        raise UsageError("--statistics is for one revision, not a range A..B")
    root = open_repo(args.path).root
    rules = load_rules(root, args.contract, _parameters(args.param))
    rules = select_rules(rules, _csv(args.select), _csv(args.ignore))
    # A change to the config or a contract file mid-range runs every rule again.
    definitions = {*CONFIG_FILES, *filter(None, (_inside(root, r) for r in rules))}
    baseline = None
    if not args.no_baseline:
        from .contract import baseline_settings

        baseline = baseline_settings(root)[0]
    with _progress(args) as progress:
        report = check_range(
            root, rules, args.rev, definitions, baseline, progress and progress.step
        )
    if args.quiet and args.format == "text":
        from .formats import quiet_text

        # Quiet, a range says what fails at its end, as a check of B would.
        _emit(quiet_text(report.tip_report), args.output, report.tip_report)
    else:
        shown = report.tip_report if args.format == "text" else None
        _emit(render_range(report, args.format), args.output, shown)
    return EXIT_FINDINGS if report.tip_report.findings else EXIT_CLEAN


def _emit(output: str, path: str | None, text_of=None) -> None:
    """Write a report to `path`, else print it; `text_of` is the report a text `output` shows,
    printed in colour at a terminal (terminal.colour_wanted), never to a file."""
    if path:
        try:
            Path(path).write_text(output, encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot write the report: {error.strerror}", path) from None
        return
    if text_of is not None:
        from .terminal import colour_wanted, paint_report

        if colour_wanted(sys.stdout):
            output = paint_report(output, text_of)
    print(output, end="")


def _fix(args: argparse.Namespace) -> int:
    from .engine import open_repo
    from .fix import locked, remove_leftovers

    if args.dry_run:
        return _fix_locked(args)
    root = open_repo(args.path).root
    with locked(root):
        for leftover in remove_leftovers(root):
            print(f"removed {leftover}: a temporary file an interrupted `conformance fix` left")
        return _fix_locked(args)


def _fix_locked(args: argparse.Namespace) -> int:
    from .fix import WRITES, apply, plan, preflight, recheck, render_diff, render_statuses
    from .formats import quiet_text, text
    from .repo import RepoView
    from .terminal import colour_wanted, paint_diff, paint_statuses

    args.no_baseline = getattr(args, "include_baseline", False)
    colour = colour_wanted(sys.stdout)
    report_text = quiet_text if args.quiet else text
    repo, report = _checked(args)
    if not report.findings:
        _emit(report_text(report), None, report)
        return EXIT_FINDINGS if report.failing else EXIT_CLEAN
    changes = plan(report, repo, force=args.force).changes()
    if args.dry_run:
        diff = render_diff(changes)
        print(paint_diff(diff) if colour else diff, end="")
        if args.quiet:
            return EXIT_FINDINGS
        statuses = render_statuses(changes)
        print(paint_statuses(statuses) if colour else statuses, end="")
        try:
            preflight(changes, repo.root, allow_dirty=args.allow_dirty)
        except UsageError as error:
            print(f"without --dry-run, `fix` would stop: {error}")
        print("dry run: nothing was written")
        return EXIT_FINDINGS
    apply(changes, repo.root, allow_dirty=args.allow_dirty)
    written = sum(c.status in WRITES for c in changes)
    if not args.quiet:
        statuses = render_statuses(changes)
        print(paint_statuses(statuses) if colour else statuses, end="")
        print(f"{counted(written, 'path')} changed; checking again:\n")
    changed = [c.path for c in changes if c.status in WRITES]
    # The check after a fix holds every package it changed to its importers.
    _, after = _checked(
        args, RepoView(repo.root), lambda selected, view: recheck(selected, view, changed)
    )
    _emit(report_text(after), None, after)
    return EXIT_FINDINGS if after.failing else EXIT_CLEAN


def _baseline(args: argparse.Namespace) -> int:
    """Write the baseline: every finding of the rules run (waived ones aside) is known; entries
    of rules not run this time (--select) are kept. With --prune, only what was fixed goes."""
    from .baseline import dump, entries_of, pruned, read
    from .contract import baseline_settings
    from .formats import printable

    args.no_baseline = not args.prune
    repo, report = _checked(args)
    path, _, _ = baseline_settings(repo.root)
    if args.prune:
        if report.baseline is None:
            raise UsageError(f"baseline --prune: there is no baseline ({path})")
        entries = pruned(read(repo, path), report.fixed)
        said = f"{counted(sum(e.count for e in report.fixed), 'fixed finding')} removed"
    else:
        # Rules left out by --select/--ignore keep the entries they had.
        ran = {rule.id for rule in report.rules}
        partial = args.select or args.ignore
        earlier = (read(repo, path) or []) if partial else []
        entries = [e for e in earlier if e.rule not in ran] + entries_of(report.findings)
        rules = counted(len(report.failed), "rule")
        said = f"{counted(len(report.findings), 'finding')} of {rules} known"
    _write(repo.root / path, dump(entries))
    print(printable(f"wrote {path}: {said} ({counted(len(entries), 'entry', 'entries')})"))
    return EXIT_CLEAN


def _write(path: Path, text: str) -> None:
    """Replace a file whole (a reader never sees half of it)."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # `baseline: ci/known.json`, first time
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        raise UsageError(f"cannot write the baseline: {error.strerror}", str(path)) from None


def _init(args: argparse.Namespace) -> int:
    from .engine import open_repo
    from .init import init

    root = open_repo(args.path).root
    said = init(root, args.contract)
    from .formats import printable

    print(printable(f"wrote {root / 'conformance.yaml'}"))
    for line in said:
        print(f"  {printable(line)}")
    return EXIT_CLEAN


def _all_contracts(names: list[str] | None, path: str | None = None):
    """The contracts `list` shows: those named, else those PATH's conformance.yaml names (its
    own rules as one more, named after the file), else the built-in ones; every rule of each,
    whatever its `when:`."""
    from .contract import builtin_names, load_contract

    if names or path is None:
        base = Path(path) if path else Path.cwd()  # a contract file named relative to PATH
        return [load_contract(name, base, every_rule=True) for name in names or builtin_names()]
    from .engine import open_repo

    return _config_contracts(open_repo(path).root)


def _config_contracts(root: Path):
    from .contract import Contract, config_document, load_contract, make_rule, missing_config
    from .schema import validate

    document = config_document(root)
    if document is None:
        raise UsageError(missing_config(root, "--contract"))
    validate(document, "config")
    shown = document.path
    contracts = []
    for index, entry in enumerate(document.data.get("contracts") or []):
        reference = entry if isinstance(entry, str) else entry["contract"]
        overrides = {} if isinstance(entry, str) else dict(entry.get("parameters") or {})
        lines = {n: document.line_of("contracts", index, "parameters", n) for n in overrides}
        try:
            contracts.append(
                load_contract(reference, root, overrides, lines, shown, every_rule=True)
            )
        except UsageError as error:
            if error.path is None:
                error.path, error.line = shown, document.line_of("contracts", index)
            raise
    own = document.data.get("rules") or []
    if own:
        rules = [
            make_rule(raw, shown, [{}], document, index, str(root)) for index, raw in enumerate(own)
        ]
        description = "the rules the repository's own config defines."
        contracts.append(Contract(shown, description, shown, {}, {}, rules, []))
    return contracts


def _list(args: argparse.Namespace) -> int:
    from .formats import printable
    from .rules import KINDS

    contracts = _all_contracts(args.contract, args.path)
    if args.format == "json":
        import json

        print(json.dumps(_listing(contracts, list(KINDS)), indent=2))
        return EXIT_CLEAN

    def say(line: str = "") -> None:
        print(printable(line))  # a contract's text may come from the repository

    for contract in contracts:
        say(f"{contract.name}: {_first_sentence(contract.description)}")
        if contract.source != contract.name and not contract.source.startswith("<built-in>"):
            say(f"  from {contract.source}")
        for resolution in contract.resolutions:
            name = resolution.name
            if resolution.origin == "discovered":
                say(f"  param {name} = {resolution.sources[0]}")
            else:
                say(f"  param {name} = {resolution.values[0]!r}")
            say(f"        {' '.join(contract.parameter_help[name].split())}")
        for rule in contract.rules:
            when = f" [when {_conditions(rule.when)}]" if rule.when else ""
            say(f"  {rule.id:<28} {rule.kind:<24} {_first_sentence(rule.why)}{when}")
        say()
    print("rule kinds: " + ", ".join(KINDS))
    return EXIT_CLEAN


def _listing(contracts, kinds: list[str]) -> dict[str, Any]:
    """`list --format json`: what the text shows, whole (every sentence, every condition)."""

    def parameter(contract, resolution) -> dict[str, Any]:
        discovered = resolution.origin == "discovered"
        return {
            "name": resolution.name,
            "origin": resolution.origin,
            "value": None if discovered else resolution.values[0],
            "discovered": resolution.sources[0] if discovered else None,
            "description": " ".join(contract.parameter_help.get(resolution.name, "").split()),
        }

    return {
        "contracts": [
            {
                "name": contract.name,
                "source": contract.source,
                "description": " ".join(contract.description.split()),
                "parameters": [parameter(contract, r) for r in contract.resolutions],
                "rules": [
                    {
                        "id": rule.id,
                        "kind": rule.kind,
                        "message": rule.message,
                        "why": " ".join(rule.why.split()),
                        "when": rule.when,
                        "source": rule.source,
                        "line": rule.line,
                    }
                    for rule in contract.rules
                ],
            }
            for contract in contracts
        ],
        "rule_kinds": kinds,
    }


def _conditions(when: dict[str, Any]) -> str:
    return ", ".join(f"{name}={_show(value)}" for name, value in when.items())


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    return text.split(". ")[0].rstrip(".") + "."


def _explain(args: argparse.Namespace) -> int:
    from .contract import config_document, load_rules
    from .formats import printable
    from .rules import KINDS

    def say(text: str) -> None:
        # A rule of conformance.yaml is the repository's text: shown line by line, escaped.
        print("\n".join(map(printable, text.split("\n"))))

    if args.kind and args.name not in KINDS:
        hint = did_you_mean(args.name, list(KINDS))
        raise UsageError(f"unknown rule kind `{args.name}`{hint}")
    if args.kind:
        say(explain_kind(args.name))
        return EXIT_CLEAN
    contracts = _all_contracts(None)
    candidates: list[Rule] = [rule for c in contracts for rule in c.rules]
    if config_document(Path(args.path)) is not None:
        candidates = load_rules(Path(args.path)) + candidates
    discovered = {
        r.name: r.sources[0]
        for contract in contracts
        for r in contract.resolutions
        if r.origin == "discovered"
    }
    # A rule id comes before a kind of the same name: a rule is the more particular question,
    # and `--kind` reaches the kind.
    for rule in candidates:
        if rule.id == args.name:
            say(explain_rule(rule, discovered))
            if args.name in KINDS:
                say(
                    f"\n(`{args.name}` is also a rule kind: `conformance explain --kind "
                    f"{args.name}` explains it)"
                )
            return EXIT_CLEAN
    if args.name in KINDS:
        say(explain_kind(args.name))
        return EXIT_CLEAN
    hint = did_you_mean(args.name, sorted({rule.id for rule in candidates} | set(KINDS)), None)
    raise UsageError(
        f"unknown rule or rule kind `{args.name}`{hint}; `conformance list` shows them"
    )


def explain_kind(name: str) -> str:
    """A rule kind: what it checks (its docstring), the options a rule of it takes, its
    `fix:` options and how a person fixes what it finds."""
    import inspect

    from .rules import KINDS
    from .rules.base import GENERIC_FIX
    from .schema import option_type

    kind = KINDS[name]
    required = set(kind.required)
    options = [
        f"  {key}{' (required)' if key in required else ''}: {option_type(schema)}"
        for key, schema in kind.properties.items()
    ]
    fixes = {**GENERIC_FIX, **kind.fix_properties}
    return "\n".join(
        [
            f"{name}  (rule kind)",
            "",
            "What it checks:",
            textwrap_indent(inspect.cleandoc(kind.__doc__ or "")),
            "",
            "Options (besides id, kind, message and why):",
            *(options or ["  none"]),
            "",
            "Fix options (under `fix:`):",
            *(f"  {key}: {option_type(schema)}" for key, schema in fixes.items()),
            "",
            "How to fix:",
            textwrap_indent(kind.hint or "see the rule's message"),
        ]
    )


def textwrap_indent(text: str) -> str:
    import textwrap

    return textwrap.indent(text, "  ")


def _schema(args: argparse.Namespace) -> int:
    import json

    from .schema import editor_schema

    print(json.dumps(editor_schema(args.which), indent=2))
    return EXIT_CLEAN


def explain_rule(rule: Rule, discovered: dict[str, str] | None = None) -> str:
    import inspect
    import textwrap

    from .rules import KINDS

    kind = KINDS[rule.kind]
    doc = inspect.cleandoc(kind.__doc__ or "")
    options = "\n".join(f"  {key}: {_show(value)}" for key, value in rule.options.items())
    # `<name>` stands for a parameter discovered in the repository being checked.
    shown = "\n".join(
        f"  <{name}>: {how}" for name, how in (discovered or {}).items() if f"<{name}>" in options
    )
    wrap = textwrap.TextWrapper(
        width=88,
        initial_indent="  ",
        subsequent_indent="  ",
        break_on_hyphens=False,
        break_long_words=False,
    )
    return "\n".join(
        [
            f"{rule.id}  (contract {rule.contract}, kind {rule.kind})",
            "",
            f"  Message: {rule.message}",
            "",
            "Why:",
            wrap.fill(rule.why),
            "",
            f"What `{rule.kind}` checks:",
            textwrap.indent(doc, "  "),
            "",
            "Checked here:",
            options,
            *([shown] if shown else []),
            *([f"  applies when: {_conditions(rule.when)}"] if rule.when else []),
            *(
                ["  optional: with nothing to check it is unchecked, and the run does not fail"]
                if rule.optional
                else []
            ),
            "",
            "How to fix:",
            wrap.fill(kind.hint),
            "",
            "Not fixing it yet:",
            wrap.fill(
                "a waiver (`waivers:` in conformance.yaml: the rule, a path, a reason, perhaps an "
                "expiry) records an exception you decided to keep; a baseline (`conformance "
                "baseline`) holds findings you intend to pay down: they stop failing the run, "
                "new ones still fail it, and `check --update-baseline` shrinks it as they go."
            ),
        ]
    )


def _show(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def run() -> None:
    """The `conformance` command: `main`, then exit without the interpreter's teardown (a few
    ms of freeing every object), once what was printed is flushed. Only for the command: the
    pytest plugin and library callers use `main`."""
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # as in `main`: the reader went away
        code = EXIT_FINDINGS
    except OSError as error:  # as for --output: the report could not be written whole
        print(f"conformance: error: cannot write the report: {error.strerror}", file=sys.stderr)
        code = EXIT_USAGE
    from contextlib import suppress

    with suppress(OSError):  # nowhere left to say anything
        sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
