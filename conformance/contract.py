"""Loading contracts (built in, or YAML files) and a repository's config: `conformance.yaml`, or
the `[tool.conformance]` table of its pyproject.toml."""

from __future__ import annotations

import os
from collections import namedtuple
from pathlib import Path

from .model import FileProblem, Rule, UsageError, did_you_mean
from .repo import RepoView, YamlDocument, parse_yaml, read_file
from .yamlcache import CompiledDocument, compiled

TYPE_CHECKING = False  # `typing` costs ~5 ms of start-up; annotations are not evaluated
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .project import Project
    from .tomlconfig import TomlDocument

BUILTIN_DIR = Path(__file__).parent / "contracts"
CONFIG_NAME = "conformance.yaml"
PYPROJECT = "pyproject.toml"
# Where a repository's config may be written: a change to either may change every rule.
CONFIG_FILES = (CONFIG_NAME, PYPROJECT)


Waiver = namedtuple("Waiver", "rule path reason expires line source", defaults=[CONFIG_NAME])
Waiver.__doc__ = """An accepted exception from the config: rule id, optional path glob, the
reason (required), an optional expiry date, and its line and file for messages."""

Contract = namedtuple(
    "Contract", "name description source parameters parameter_help rules resolutions"
)


def builtin_names() -> list[str]:
    # Not `Path.glob`: its pattern machinery costs 0.15 ms a call, listing the folder 0.01 ms.
    return sorted(
        name[: -len(".yaml")] for name in os.listdir(BUILTIN_DIR) if name.endswith(".yaml")
    )


_parsed: dict[tuple[Path, int, int], Any] = {}
# A contract or config is a page of YAML; the largest built-in is 40 KB.
MAX_BYTES = 4 * 1024 * 1024


def read_yaml(path: Path, shown: str) -> YamlDocument | CompiledDocument:
    """Parse a contract or config file, once per run (conformance.yaml is read for its contracts
    and again for its waivers)."""
    return _read(path, shown, _compiled)


def _read(path: Path, shown: str, parse: Callable[[Path, str, str], Any]) -> Any:
    """`parse(path, shown, text)` of a file, once per version of it. Only a regular file of at
    most MAX_BYTES is read: a FIFO or `/dev/zero` would never end."""
    import stat as kinds

    try:
        stat = path.stat()
        key = (path, stat.st_mtime_ns, stat.st_size)
        if key in _parsed:
            return _parsed[key]
        if not kinds.S_ISREG(stat.st_mode):
            raise UsageError("is not a regular file", shown)
        if stat.st_size > MAX_BYTES:
            raise UsageError(
                f"is {stat.st_size:,} bytes; a contract is at most {MAX_BYTES:,}", shown
            )
        text = read_file(str(path), shown).decode("utf-8")
    except FileNotFoundError:
        raise UsageError("no such file", shown) from None
    except OSError as error:
        raise UsageError(f"cannot be read: {error.strerror}", shown) from None
    except UnicodeDecodeError as error:
        raise UsageError(f"cannot be read: {error}", shown) from None
    except FileProblem as problem:
        message = "no such file" if problem.missing else problem.message
        raise UsageError(message, shown, problem.line) from None
    document = _parsed[key] = parse(path, shown, text)
    return document


def _pyproject_table(path: Path, shown: str, text: str) -> TomlDocument | None:
    from .tomlconfig import conformance_table

    try:
        return conformance_table(os.fsdecode(path), shown, text)
    except ValueError as error:  # tomllib's: "Invalid value (at line 3, column 7)"
        raise UsageError(f"invalid TOML: {error}", shown) from None


def config_document(root: Path) -> YamlDocument | CompiledDocument | TomlDocument | None:
    """The repository's config: conformance.yaml, or the `[tool.conformance]` table of its
    pyproject.toml (None without either). Both at once is an error: which one holds is not
    for conformance to guess."""
    yaml_config, pyproject = root / CONFIG_NAME, root / PYPROJECT
    has_yaml = yaml_config.is_file()
    try:
        table = _read(pyproject, PYPROJECT, _pyproject_table) if pyproject.is_file() else None
    except UsageError:
        if not has_yaml:
            raise
        table = None  # a pyproject.toml that does not parse is not for conformance.yaml to fix
    if has_yaml:
        if table is not None:
            raise UsageError(
                f"[tool.conformance] here and {CONFIG_NAME} both configure {root}; keep one",
                PYPROJECT,
                table.line_of(),
            )
        return read_yaml(yaml_config, CONFIG_NAME)
    return table


def _compiled(path: Path, shown: str, text: str) -> YamlDocument | CompiledDocument:
    """The contract or config parsed from `text`, from the cache when it holds this very text.
    Parsing the largest built-in contract takes 3-6 ms."""
    return compiled("contracts", f"{path.stem}-{os.fsdecode(path)}", shown, text, parse_config)


def parse_config(shown: str, text: str) -> YamlDocument:
    """Parse YAML written by the user (a contract, conformance.yaml, a --param list): what
    does not parse is a usage error naming where."""
    try:
        return parse_yaml(shown, text)
    except FileProblem as problem:
        raise UsageError(problem.message, shown, problem.line) from None
    except (ValueError, RecursionError) as error:  # a constructor's (`!!int x`, `2027-02-30`)
        raise UsageError(f"invalid YAML: {error}", shown) from None


def contract_path(reference: str, base: Path) -> tuple[Path, str]:
    """A built-in name, or a YAML file relative to `base`; returns (file, name shown in errors)."""
    if reference.endswith((".yaml", ".yml")) or "/" in reference:
        path = (base / reference).resolve()
        return path, reference
    if reference in builtin_names():
        return BUILTIN_DIR / f"{reference}.yaml", f"<built-in>/{reference}.yaml"
    raise UsageError(f"unknown contract `{reference}`{did_you_mean(reference, builtin_names())}")


def load_contract(
    reference: str,
    base: Path,
    overrides: dict[str, Any] | None = None,
    override_lines: dict[str, int | None] | None = None,
    config_label: str | None = None,
    command_line: dict[str, Any] | None = None,
    every_rule: bool = False,
    project: Project | None = None,
) -> Contract:
    """Load a contract; `overrides` must name declared parameters, `command_line` ones may not.
    Parameters not given are discovered in `project` (shown as `<name>` without one).
    `every_rule` keeps the rules whose `when:` does not hold (for `list` and `explain`)."""
    from .parameters import resolve
    from .project import each

    path, shown = contract_path(reference, base)
    document = read_yaml(path, shown)
    # Built-in contracts are validated by the test suite; user files are validated on load.
    if path.parent != BUILTIN_DIR:
        from .schema import validate

        validate(document, "contract")
    data = document.data
    declared = data.get("parameters") or {}
    for name, spec in declared.items():
        if "default" not in spec and "discover" not in spec:
            raise UsageError(
                f"parameters.{name}: needs a `default` or a `discover`",
                shown,
                document.line_of("parameters", name),
            )
    given = {}
    for name, value in (overrides or {}).items():
        if name not in declared:
            hint = did_you_mean(name, list(declared))
            line = (override_lines or {}).get(name)
            raise UsageError(
                f"contract `{data['name']}` has no parameter `{name}`{hint}",
                config_label or shown,
                line,
            )
        given[name] = value
    given.update({k: v for k, v in (command_line or {}).items() if k in declared})
    for name, value in given.items():
        fact = declared[name].get("discover")
        if value == [] and fact and each(fact):
            # One subject per value: an empty list would leave the contract nothing to bind.
            said = f"is an empty list: name one {name} at least, or leave it out"
            if name in (command_line or {}):
                raise UsageError(f"--param {name} {said}")
            where = (override_lines or {}).get(name)
            raise UsageError(f"parameter `{name}` {said}", config_label or shown, where)
    for name, spec in declared.items():
        choices = spec.get("choices")
        value = given.get(name, spec.get("default"))
        if choices and value not in choices:
            hint = did_you_mean(str(value), [str(c) for c in choices])
            where = (override_lines or {}).get(name)
            raise UsageError(
                f"parameter `{name}` of `{data['name']}` cannot be `{value}`{hint}",
                config_label if where else None,
                where,
            )
    bindings, resolutions = resolve(declared, given, project)
    contract = Contract(
        name=data["name"],
        description=data.get("description", "").strip(),
        source=shown,
        parameters=bindings[0],
        parameter_help={n: spec.get("description", "") for n, spec in declared.items()},
        rules=[],
        resolutions=resolutions,
    )
    empty = {r.name: r.reason for r in resolutions if r.origin == "undiscovered"}
    # Where each value was written, to name it when it does not fit an option it fills.
    origins: dict[str, tuple[str | None, int | None] | None] = {}
    for resolution in resolutions:
        name = resolution.name
        if resolution.origin in ("discovered", "undiscovered"):
            origins[name] = None  # the repository's, not the user's
        elif name in (command_line or {}):
            origins[name] = (None, None)
        elif name in given:
            origins[name] = (config_label or shown, (override_lines or {}).get(name))
        else:
            origins[name] = (shown, document.line_of("parameters", name, "default"))
    for index, raw in enumerate(data["rules"]):
        if _applies(raw.get("when"), bindings[0], document, index) or every_rule:
            contract.rules.append(
                make_rule(
                    raw, contract.name, bindings, document, index, str(path.parent), empty, origins
                )
            )
    return contract


def _applies(
    when: dict[str, Any] | None, parameters: dict[str, Any], document: YamlDocument, index: int
) -> bool:
    """Whether a rule's `when: {parameter: value or [values]}` holds for these parameters."""
    for name, wanted in (when or {}).items():
        if name not in parameters:
            raise UsageError(
                f"rules[{index}].when: unknown parameter `{name}`",
                document.path,
                document.line_of("rules", index, "when", name),
            )
        if parameters[name] not in (wanted if isinstance(wanted, list) else [wanted]):
            return False
    return True


def make_rule(
    raw: dict[str, Any],
    contract: str,
    bindings: list[dict[str, Any]],
    document: YamlDocument,
    index: int,
    base_dir: str,
    undiscovered: dict[str, str] | None = None,
    origins: dict[str, tuple[str | None, int | None] | None] | None = None,
) -> Rule:
    """A rule with its options filled in once per binding (identical ones kept once). A value
    that does not fit the option it fills is an error where it was written (`origins`: file
    and line, (None, None) for --param); a discovered one leaves that binding unchecked."""
    from .parameters import Left, Undiscovered, referenced

    variants: list[dict[str, Any]] = []
    left: dict[str, str] = {}
    misfits: list[str] = []
    origins = origins or {}
    for binding in bindings:
        try:
            options, misfit = _fitted(raw, binding, document, index, origins)
        except Left as gap:
            left[gap.missing.name] = gap.missing.reason
            # What was given must fit even where discovery found nothing to check: what it did
            # not find stands in as a name that fits any option (a glob, a regex, a path).
            found = {k: "x" if isinstance(v, Undiscovered) else v for k, v in binding.items()}
            _fitted(raw, found, document, index, origins)
            continue
        if misfit is not None:
            misfits.append(misfit)
        elif options not in variants:
            variants.append(options)
    uses = referenced({k: v for k, v in raw.items() if k not in ("message", "why")})
    missing = [name for name in (undiscovered or {}) if name in uses]
    # The reasons are said once, with the parameters (`not found: …`); a rule names them.
    notes = [f"`{name}` not found" for name in dict.fromkeys([*missing, *left])]
    notes += dict.fromkeys(misfits)
    notes += [
        f"`{name}` is empty" for name in sorted(uses - set(missing)) if bindings[0].get(name) == []
    ]
    return Rule(
        id=raw["id"],
        kind=raw["kind"],
        message=raw["message"].strip(),
        why=" ".join(raw["why"].split()),
        contract=contract,
        options=variants[0] if variants else {},
        source=document.path,
        line=document.line_of("rules", index),
        base_dir=base_dir,
        when=raw.get("when"),
        variants=tuple(variants),
        unchecked="; ".join(notes) if not variants else None,
        optional=bool(raw.get("optional", False)),
        notes=tuple(notes),
    )


def _fitted(
    raw: dict[str, Any],
    binding: dict[str, Any],
    document: YamlDocument,
    index: int,
    origins: dict[str, tuple[str | None, int | None] | None],
) -> tuple[dict[str, Any], str | None]:
    """The options filled in from one binding, and why they do not fit when discovery gave
    the misfit (the user's values raise a UsageError where they were given)."""
    from .parameters import Unfit, referenced

    try:
        options = _filled(raw, binding, document, index)
    except Unfit as unfit:
        where = next(key for key in raw if unfit.name in referenced(raw[key]))
        return {}, _blame([unfit.name], where, unfit.said, raw, document, index, origins)
    return options, _misfit(raw, options, document, index, origins)


def _filled(
    raw: dict[str, Any], binding: dict[str, Any], document: YamlDocument, index: int
) -> dict[str, Any]:
    """A rule's options with one binding's values filled in (raises `Left`, see substitute)."""
    from .parameters import substitute

    options = {}
    for key, value in raw.items():
        if key in ("id", "kind", "message", "why", "when", "optional"):
            continue
        try:
            options[key] = substitute(value, binding)
        except KeyError as missing:
            raise UsageError(
                f"rules[{index}].{key}: unknown parameter `${{{missing.args[0]}}}`",
                document.path,
                document.line_of("rules", index, key),
            ) from None
    return options


def _misfit(
    raw: dict[str, Any],
    options: dict[str, Any],
    document: YamlDocument,
    index: int,
    origins: dict[str, tuple[str | None, int | None] | None],
) -> str | None:
    """Check the options parameters filled in against the kind's schema: `${active_docs}` is a
    list of globs where it stands, whatever shape the value given for it has. Raises a
    UsageError where the value was written; for a discovered value that does not fit, says why
    (that binding is left out)."""
    from .parameters import referenced
    from .schema import option_violation

    filled = {key: options[key] for key in options if referenced(raw[key])}
    violation = option_violation(raw["kind"], filled) if filled else None
    if violation is None:
        return None
    where = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in violation.keys)[1:]
    written: Any = raw
    for key in violation.keys:  # the option as written, as deep as the filled value allows
        if not isinstance(written, dict) or key not in written:
            break
        written = written[key]
    names = sorted(referenced(written)) or sorted(referenced(raw[violation.keys[0]]))
    return _blame(names, where, violation.message, raw, document, index, origins)


def _blame(
    names: list[str],
    where: str,
    said: str,
    raw: dict[str, Any],
    document: YamlDocument,
    index: int,
    origins: dict[str, tuple[str | None, int | None] | None],
) -> str:
    """Raise a UsageError where the first of the parameters `names` was given; when discovery
    gave them all, the repository's content is at fault: say why, for the rule's notes."""
    fills = f"it fills `{where}` of rule `{raw['id']}`"
    for name in names:
        origin = origins.get(name, (document.path, document.line_of("rules", index)))
        if origin is None:
            continue
        path, line = origin
        if path is None:
            raise UsageError(f"--param {name}{said} ({fills})")
        raise UsageError(f"parameter `{name}`{said} ({fills})", path, line)
    return f"`{names[0]}` as discovered does not fit: {where}{said}"


def load_rules(
    root: Path,
    contracts: list[str] | None = None,
    parameters: dict[str, Any] | None = None,
    repo: RepoView | None = None,
) -> list[Rule]:
    """The rules to run on `root`: the named contracts, else what `conformance.yaml` says.
    Parameters not given are discovered in `repo` (a view of `root` by default)."""
    return load(root, contracts, parameters, repo)[1]


def load(
    root: Path,
    contracts: list[str] | None = None,
    parameters: dict[str, Any] | None = None,
    repo: RepoView | None = None,
) -> tuple[list[Contract], list[Rule]]:
    """The loaded contracts and the rules to run (see `load_rules`)."""
    from .project import project_of

    parameters = parameters or {}
    project = project_of(repo or RepoView(root))
    if contracts:
        loaded = [
            load_contract(reference, Path.cwd(), command_line=parameters, project=project)
            for reference in contracts
        ]
        rules = [rule for contract in loaded for rule in contract.rules]
    else:
        loaded, rules = _load_config(root, parameters, project)
    unused = set(parameters) - {name for contract in loaded for name in contract.parameters}
    if unused:
        raise UsageError(f"--param {sorted(unused)[0]}: no loaded contract has that parameter")
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            raise UsageError(
                f"rule id `{rule.id}` is defined twice (also in {seen[rule.id].source})",
                rule.source,
                rule.line,
            )
        seen[rule.id] = rule
    return loaded, rules


def _load_config(
    root: Path, parameters: dict[str, Any], project: Project
) -> tuple[list[Contract], list[Rule]]:
    document = config_document(root)
    if document is None:
        raise UsageError(missing_config(root, "--contract"))
    from .schema import validate

    validate(document, "config")
    shown = document.path
    contracts: list[Contract] = []
    for index, entry in enumerate(document.data.get("contracts") or []):
        reference = entry if isinstance(entry, str) else entry["contract"]
        overrides = {} if isinstance(entry, str) else dict(entry.get("parameters") or {})
        lines = {
            name: document.line_of("contracts", index, "parameters", name) for name in overrides
        }
        try:
            contract = load_contract(
                reference, root, overrides, lines, shown, parameters, project=project
            )
        except UsageError as error:
            # An error about a `--param` is the command line's, not this entry's.
            if error.path is None and not error.message.startswith("--param "):
                error.path, error.line = shown, document.line_of("contracts", index)
            raise
        contracts.append(contract)
    rules = [rule for contract in contracts for rule in contract.rules]
    for index, raw in enumerate(document.data.get("rules") or []):
        rules.append(make_rule(raw, shown, [{}], document, index, str(root)))
    # Rules the repository accepts leaving unchecked (say, no compose file by design).
    optional = [str(pattern) for pattern in document.data.get("optional") or []]
    if optional:
        from .globs import matches_any

        rules = [
            rule._replace(optional=True) if matches_any(optional, rule.id) else rule
            for rule in rules
        ]
    return contracts, rules


def missing_config(root: Path, contract_option: str) -> str:
    """What to say when `root` has no config and no contract is named with `contract_option`."""
    return (
        f"no {CONFIG_NAME} (nor [tool.conformance] in {PYPROJECT}) in {root}; "
        f"`conformance init {root}` writes one, or name a contract with {contract_option} "
        f"(built in: {', '.join(builtin_names())})"
    )


def load_waivers(root: Path) -> list[Waiver]:
    """The `waivers:` of the repository's config (none without one)."""
    document = config_document(root)
    if document is None:
        return []
    from .schema import validate

    validate(document, "config")
    waivers = []
    for index, raw in enumerate(document.data.get("waivers") or []):
        line = document.line_of("waivers", index)
        expires = raw.get("expires")
        if isinstance(expires, str):  # the schema checked it holds a date
            import datetime

            expires = datetime.date.fromisoformat(expires)
        reason = raw["reason"].strip()
        waivers.append(Waiver(raw["rule"], raw.get("path"), reason, expires, line, document.path))
    return waivers


def baseline_settings(root: Path) -> tuple[str, bool, int | None]:
    """Where the repository keeps its baseline (relative to it), whether a stale one fails the
    run, and the config line naming it (None: the default path)."""
    from .baseline import DEFAULT_PATH

    document = config_document(root)
    if document is None:
        return DEFAULT_PATH, False, None
    from .schema import validate

    validate(document, "config")
    path = document.data.get("baseline")
    strict = bool(document.data.get("strict_baseline", False))
    if path is None:
        return DEFAULT_PATH, strict, None
    line = document.line_of("baseline")
    parts = Path(path).parts
    if Path(path).is_absolute() or ".." in parts:
        raise UsageError(
            f"baseline `{path}`: must be a path inside the repository", document.path, line
        )
    return Path(path).as_posix(), strict, line
