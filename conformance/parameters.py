"""Contract parameters: where each value comes from, and the rule options they fill in.

A parameter is given (conformance.yaml or `--param`), discovered from the project model
(`discover: FACT`), or defaulted. A fact about one subject per value (a package, a functions
directory) that finds several checks each: the contract is bound once per candidate, and a rule
reading it runs once per binding. A fact that finds nothing leaves its parameter undiscovered:
an option needing it cannot be filled, a list item needing it is dropped, and a rule left with
nothing to check is `unchecked`, saying what was looked for.
"""

from __future__ import annotations

from collections import namedtuple

from .model import PARAMETER

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .project import Project

Resolution = namedtuple("Resolution", "name origin values sources reason")
Resolution.__doc__ = """How a parameter got its value: `origin` is given (conformance.yaml or
--param), contract (a plain default), discovered, default (discovery found nothing, the
contract's default applies) or undiscovered; `values` are the candidates (several for a fact
checked per subject), each with its `sources` entry; `reason` says what discovery looked for
when it found nothing."""


class Undiscovered:
    """A parameter value discovery could not find; anything built from it is left out."""

    __slots__ = ("name", "reason")

    def __init__(self, name: str, reason: str):
        self.name, self.reason = name, reason

    def __repr__(self) -> str:
        return f"<{self.name} not found>"


class Unfit(Exception):
    """A value that cannot be written into a string (`${package}/x` with a mapping), or an
    empty one beginning a path (`${package}/x` would be `/x`)."""

    def __init__(self, name: str, said: str = " must be a string, a number or a list of them"):
        super().__init__(name)
        self.name, self.said = name, said


class Left(Exception):
    """A value could not be filled in: it needs an undiscovered parameter."""

    def __init__(self, missing: Undiscovered):
        super().__init__(missing.reason)
        self.missing = missing


def resolve(
    declared: dict[str, dict[str, Any]], given: dict[str, Any], project: Project | None
) -> tuple[list[dict[str, Any]], list[Resolution]]:
    """The bindings (one dict of values per combination of per-subject candidates) and how each
    parameter was resolved. Without a project (`list`, `explain`) a discovered parameter shows
    as `<name>`."""
    from .project import describe, each

    bindings: list[dict[str, Any]] = [{}]
    resolutions: list[Resolution] = []
    for name, spec in declared.items():
        fact = spec.get("discover")
        if name in given:
            value = given[name]
            fan = bool(fact) and each(fact) and isinstance(value, list)
            values = value if fan else [value]
            resolutions.append(Resolution(name, "given", values, [], ""))
            bindings = _bind(bindings, name, values)
            continue
        if fact is None:
            resolutions.append(Resolution(name, "contract", [spec["default"]], [], ""))
            bindings = _bind(bindings, name, [spec["default"]])
            continue
        if project is None:
            shown = f"<{name}>"
            note = f"discovered: {describe(fact)}"
            if "default" in spec:
                note += f"; else {spec['default']!r}"
            resolutions.append(Resolution(name, "discovered", [shown], [note], ""))
            bindings = _bind(bindings, name, [shown])
            continue
        grown: list[dict[str, Any]] = []
        for binding in bindings:
            found = project.discover(fact, binding)
            if found.values:
                origin, shown = "discovered", list(found.values)
                # One binding per subject for an `each` fact; a list fact is one value, a list.
                values = shown if each(fact) else [shown]
            elif "default" in spec:
                origin, shown, values = "default", [spec["default"]], [spec["default"]]
            else:
                origin, shown = "undiscovered", []
                values = [Undiscovered(name, found.reason)] if each(fact) else [[]]
            _record(resolutions, name, origin, shown, list(found.sources), found.reason)
            grown += _bind([binding], name, values)
        bindings = grown
    return bindings, resolutions


def _bind(bindings: list[dict[str, Any]], name: str, values: list[Any]) -> list[dict[str, Any]]:
    return [{**binding, name: value} for binding in bindings for value in values]


def _record(
    resolutions: list[Resolution],
    name: str,
    origin: str,
    values: list[Any],
    sources: list[str],
    reason: str,
) -> None:
    """One resolution per parameter, gathering the candidates of every binding."""
    if resolutions and resolutions[-1].name == name:
        previous = resolutions[-1]
        merged_values = list(previous.values)
        merged_sources = list(previous.sources)
        for value, source in zip(values, sources or [""] * len(values), strict=True):
            if value not in merged_values:
                merged_values.append(value)
                merged_sources.append(source)
        resolutions[-1] = previous._replace(values=merged_values, sources=merged_sources)
    else:
        resolutions.append(Resolution(name, origin, list(values), list(sources), reason))


def substitute(value: Any, parameters: dict[str, Any]) -> Any:
    """Fill `${name}` in strings. A list item that is exactly `${list_param}` is spliced in;
    a list item embedding a list parameter (`${package}/${files}`) becomes one item per value.
    Raises `Left` when a value needs an undiscovered parameter; list items that do are
    dropped. KeyError names an unknown parameter; `Unfit` one whose value is no string or
    number (nor a list of them) where it is written into a string."""
    if isinstance(value, str):
        first = PARAMETER.match(value)
        begins_path = first is not None and value[first.end() :].startswith("/")
        if begins_path and "" in _as_list(parameters.get(first.group(1))):
            raise Unfit(first.group(1), f" is empty, and `{value}` would be absolute")
        whole = PARAMETER.fullmatch(value)
        if whole:
            return _present(parameters[whole.group(1)])
        names = PARAMETER.findall(value)
        for name in names:
            if isinstance(_present(parameters[name]), list):
                placeholder = "${" + name + "}"
                return [
                    filled
                    for item in parameters[name]
                    for filled in _as_list(
                        substitute(value.replace(placeholder, _text(name, item)), parameters)
                    )
                ]
        return PARAMETER.sub(lambda m: _text(m.group(1), parameters[m.group(1)]), value)
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            try:
                filled = substitute(item, parameters)
            except Left:
                continue
            if (
                isinstance(item, str)
                and isinstance(filled, list)
                and (PARAMETER.fullmatch(item) or PARAMETER.search(item))
            ):
                out.extend(filled)
            else:
                out.append(filled)
        return out
    if isinstance(value, dict):
        return {key: substitute(item, parameters) for key, item in value.items()}
    return value


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str | int | float):
        raise Unfit(name)
    return str(value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _present(value: Any) -> Any:
    if isinstance(value, Undiscovered):
        raise Left(value)
    return value


def referenced(value: Any) -> set[str]:
    """The parameter names a contract value refers to."""
    if isinstance(value, str):
        return set(PARAMETER.findall(value))
    if isinstance(value, list):
        return {name for item in value for name in referenced(item)}
    if isinstance(value, dict):
        return {name for item in value.values() for name in referenced(item)}
    return set()
