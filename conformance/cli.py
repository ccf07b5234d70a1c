"""`conformance check | fix | init | list | explain`: the command line over the engine (pytest
is never imported on this path)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .formats import FORMATS
from .model import Rule, UsageError, error_summary

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

    parser = _Parser(
        prog="conformance",
        description="Executable contracts for architectural decisions: check a repository "
        "against them, and fix what drifted.",
        formatter_class=_HelpFormatter,
    )
    # Every parser sizes its help with _HelpFormatter: argparse's own imports `shutil`.
    common = _Parser(add_help=False, formatter_class=_HelpFormatter)
    common.add_argument(
        "--debug", action="store_true", help="print the traceback of an internal error"
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub = {"formatter_class": _HelpFormatter, "parents": [common]}

    check = commands.add_parser("check", **sub, help="check a repository against its contracts")
    check.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    check.add_argument(
        "--contract",
        action="append",
        help="built-in contract name or contract YAML file (repeatable); "
        "without it, PATH/conformance.yaml (or pyproject.toml's [tool.conformance]) names them",
    )
    check.add_argument("--format", choices=FORMATS, default="text")
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
    check.add_argument("--select", action="append", help="only these rule ids (globs, commas)")
    check.add_argument("--ignore", action="append", help="skip these rule ids (globs, commas)")
    check.add_argument(
        "--param", action="append", metavar="NAME=VALUE", help="override a contract parameter"
    )

    fix = commands.add_parser("fix", **sub, help="repair what the contracts' fixes can repair")
    fix.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    fix.add_argument("--contract", action="append", help="as for check")
    fix.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    fix.add_argument(
        "--allow-dirty", action="store_true", help="touch files with uncommitted changes"
    )
    fix.add_argument(
        "--force", action="store_true", help="replace existing files that differ from a template"
    )
    fix.add_argument("--select", action="append", help="only these rule ids (globs, commas)")
    fix.add_argument("--ignore", action="append", help="skip these rule ids (globs, commas)")
    fix.add_argument("--param", action="append", metavar="NAME=VALUE", help="as for check")

    init = commands.add_parser("init", **sub, help="write a conformance.yaml for a repository")
    init.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    init.add_argument(
        "--contract",
        action="append",
        help="contract to adopt (repeatable); without it, the built-in contracts whose subject "
        "exists in the repository are proposed",
    )

    listing = commands.add_parser("list", **sub, help="list built-in contracts and their rules")
    listing.add_argument("--contract", action="append", help="only these contracts")

    explain = commands.add_parser("explain", **sub, help="explain a rule: what, why, how to fix")
    explain.add_argument("rule_id")
    explain.add_argument("path", nargs="?", default=".", help="repository whose config to search")
    return parser


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
        {"--debug"},
        {"format": "text"},
    ),
    "fix": (
        {"--contract": "append", "--select": "append", "--ignore": "append", "--param": "append"},
        {"--debug", "--dry-run", "--allow-dirty", "--force"},
        {},
    ),
}


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
        args = parse_arguments(argv)
        handlers = {"check": _check, "fix": _fix, "init": _init, "list": _list, "explain": _explain}
        handler = handlers[args.command]
        return handler(args)
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


def _checked(args: argparse.Namespace, repo=None, also=None):
    """Load and select the rules, run them on the repository and apply its waivers; `also`
    gives rules to add to the selected ones (from the loaded ones)."""
    from .contract import CONFIG_FILES, config_document, load, load_waivers
    from .engine import open_repo, run, select_rules

    repo = repo or open_repo(args.path)
    from .project import DISCOVERED_FILES, unread_by_discovery

    # Discovery's listing runs in the background while the contracts load.
    repo.start_find(DISCOVERED_FILES)
    since = getattr(args, "changed_since", None)
    contracts, rules = load(repo.root, args.contract, _parameters(args.param), repo)
    selected = select_rules(rules, _csv(args.select), _csv(args.ignore))
    unchanged: list[Rule] = []
    if since:
        from .globs import literal_prefix
        from .history import affected, changed_paths
        from .rules import rule_patterns

        # The rules' inputs, and the config and contract files that define the rules.
        definitions = {*CONFIG_FILES, *filter(None, (_inside(repo.root, r) for r in rules))}
        prefixes = [literal_prefix(p) for r in selected for p in rule_patterns(r)]
        changed = changed_paths(repo.root, since, [*prefixes, *definitions], repo)
        selected, unchanged = affected(selected, changed, definitions)
    if also is not None:
        selected = [*selected, *also(selected, repo)]
    report = run(selected, repo)
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
    return repo, report


def _today():
    import datetime  # ~1 ms of start-up, only worth it with waivers to date

    return datetime.date.today()


def _inside(root: Path, rule: Rule) -> str | None:
    """The path of a rule's contract file relative to the repository, when it lives in it."""
    path = Path(rule.base_dir, Path(rule.source).name)
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else None


def _check(args: argparse.Namespace) -> int:
    from .formats import render

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
    _, report = _checked(args, repo)
    _emit(render(report, args.format), args.output)
    return EXIT_FINDINGS if report.failing else EXIT_CLEAN


def _check_range(args: argparse.Namespace) -> int:
    from .contract import CONFIG_FILES, load_rules
    from .engine import open_repo, select_rules
    from .history import check_range, render_range

    if args.format not in ("text", "json"):
        raise UsageError(f"--rev A..B reports as text or json, not {args.format}")
    root = open_repo(args.path).root
    rules = load_rules(root, args.contract, _parameters(args.param))
    rules = select_rules(rules, _csv(args.select), _csv(args.ignore))
    # A change to the config or a contract file mid-range runs every rule again.
    definitions = {*CONFIG_FILES, *filter(None, (_inside(root, r) for r in rules))}
    report = check_range(root, rules, args.rev, definitions)
    _emit(render_range(report, args.format), args.output)
    return EXIT_FINDINGS if report.tip_report.findings else EXIT_CLEAN


def _emit(output: str, path: str | None) -> None:
    if path:
        try:
            Path(path).write_text(output, encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot write the report: {error.strerror}", path) from None
    else:
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
    from .formats import text
    from .repo import RepoView

    repo, report = _checked(args)
    if not report.findings:
        print(text(report), end="")
        return EXIT_FINDINGS if report.failing else EXIT_CLEAN
    changes = plan(report, repo, force=args.force).changes()
    if args.dry_run:
        print(render_diff(changes), end="")
        print(render_statuses(changes), end="")
        try:
            preflight(changes, repo.root, allow_dirty=args.allow_dirty)
        except UsageError as error:
            print(f"without --dry-run, `fix` would stop: {error}")
        print("dry run: nothing was written")
        return EXIT_FINDINGS
    apply(changes, repo.root, allow_dirty=args.allow_dirty)
    print(render_statuses(changes), end="")
    written = sum(c.status in WRITES for c in changes)
    print(f"{written} paths changed; checking again:\n")
    changed = [c.path for c in changes if c.status in WRITES]
    # The check after a fix holds every package it changed to its importers.
    _, after = _checked(
        args, RepoView(repo.root), lambda selected, view: recheck(selected, view, changed)
    )
    print(text(after), end="")
    return EXIT_FINDINGS if after.failing else EXIT_CLEAN


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


def _all_contracts(names: list[str] | None):
    from .contract import builtin_names, load_contract

    return [load_contract(name, Path.cwd(), every_rule=True) for name in names or builtin_names()]


def _list(args: argparse.Namespace) -> int:
    from .formats import printable
    from .rules import KINDS

    def say(line: str = "") -> None:
        print(printable(line))  # a contract's text may come from the repository

    for contract in _all_contracts(args.contract):
        say(f"{contract.name}: {_first_sentence(contract.description)}")
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


def _conditions(when: dict[str, Any]) -> str:
    return ", ".join(f"{name}={_show(value)}" for name, value in when.items())


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    return text.split(". ")[0].rstrip(".") + "."


def _explain(args: argparse.Namespace) -> int:
    from .contract import config_document, load_rules

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
    for rule in candidates:
        if rule.id == args.rule_id:
            from .formats import printable

            # A rule of conformance.yaml is the repository's text: shown line by line, escaped.
            print("\n".join(map(printable, explain_rule(rule, discovered).split("\n"))))
            return EXIT_CLEAN
    raise UsageError(f"unknown rule `{args.rule_id}`; `conformance list` shows the rules")


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
