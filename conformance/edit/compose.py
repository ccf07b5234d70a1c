"""Remove services from a compose file, keeping every other byte.

PyYAML (already the runtime dependency) composes the file into nodes whose marks give the offset
of every key and value. Removals splice the original text at those offsets, by whole lines in
block collections; nothing is re-dumped, so comments, blank lines, quoting, anchors and `x-`
extension fields stay exactly as written.

Which comments go with a removed entry (a service, a `depends_on` item, a named volume):
- the comment lines directly above its key, at the key's own indentation, with no blank line
  between them and the key: they describe the entry (in the usual layout, a comment written
  just under `services:` is the first service's);
- the comment lines indented deeper than its key after its content: commented-out settings.
A comment parted from the key by a blank line, or written less or more indented, is kept: it
may head a group of entries, belong to the enclosing key, or to the previous entry's content.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterable, Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_MERGE = "tag:yaml.org,2002:merge"
_NULL = "tag:yaml.org,2002:null"


def remove_services(text: str, selects: Callable[[str, str | None], bool]) -> tuple[str, list[str]]:
    """Remove every service for which `selects(name, image)` is true, with its comments, the
    `depends_on` references to it and the named volumes only it used. Return the new text and
    the names of the removed services in file order."""
    root = _compose(text)
    index = _find(root, "services")
    services = None if index is None else _mapping(root.value[index][1], "`services`")
    if services is None:
        return text, []
    removed: dict[int, str] = {}
    kept: list[tuple[str, Node]] = []
    for position, (key, service) in enumerate(services.value):
        if not isinstance(key, ScalarNode):
            raise ValueError("a service name is not a plain scalar")
        if selects(key.value, _text(_get(service, "image"))):
            removed[position] = key.value
        else:
            kept.append((key.value, service))
    if not removed:
        return text, []
    splice = _Splice(text)
    splice.drop(services, {i: f"service `{name}`" for i, name in removed.items()})
    if not kept and not services.flow_style:
        colon = text.index(":", root.value[index][0].end_mark.index)
        splice.edits.append((colon + 1, colon + 1, " {}"))
    for name, service in kept:
        _drop_dependencies(splice, name, service, set(removed.values()))
    _drop_volumes(splice, root, [services.value[i][1] for i in removed], [s for _, s in kept])
    return splice.result(root), list(removed.values())


class _Alias(Node):
    """An alias where it is written; `value` is the anchored node."""

    id = "alias"

    def __init__(self, event: yaml.AliasEvent, target: Node) -> None:
        super().__init__(target.tag, target, event.start_mark, event.end_mark)
        self.anchor = event.anchor


class _Loader(yaml.SafeLoader):
    """SafeLoader's composer, except that an alias becomes an `_Alias`: the stock composer
    returns the anchored node itself, whose marks point at the anchor, not at the alias."""

    def compose_node(self, parent: Node | None, index: object) -> Node:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            return _Alias(event, super().compose_node(parent, index))
        return super().compose_node(parent, index)


def _compose(text: str) -> MappingNode:
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as error:
        raise ValueError(f"not valid YAML: {error}") from None
    if not isinstance(root, MappingNode):
        raise ValueError("a compose file must be a mapping")
    return root


def _find(mapping: MappingNode, key: str) -> int | None:
    """The index of `key`'s entry written in `mapping` (YAML keeps the last of repeated keys)."""
    found = None
    for index, (node, _) in enumerate(mapping.value):
        if isinstance(node, ScalarNode) and node.value == key:
            found = index
    return found


def _mapping(node: Node, what: str) -> MappingNode | None:
    """`node` as a mapping written in place, None when it is empty (null)."""
    if isinstance(node, MappingNode):
        return node
    if isinstance(node, ScalarNode) and node.tag == _NULL:
        return None
    raise ValueError(f"{what} is not a mapping")


def _deref(node: Node | None) -> Node | None:
    return node.value if isinstance(node, _Alias) else node


def _text(node: Node | None) -> str | None:
    node = _deref(node)
    return node.value if isinstance(node, ScalarNode) and node.tag != _NULL else None


def _get(node: Node | None, key: str) -> Node | None:
    """The value of `key` in a mapping as YAML resolves it: an explicit entry first, then the
    `<<` merge keys (a later merge key wins; within one, the earlier mapping wins)."""
    node = _deref(node)
    if not isinstance(node, MappingNode):
        return None
    found, sources = None, []
    for name, value in node.value:
        if name.tag == _MERGE:
            value = _deref(value)
            group = value.value if isinstance(value, SequenceNode) else [value]
            sources = group + sources
        elif _text(name) == key:
            found = value
    for source in sources:
        found = found or _get(source, key)
    return found


def _drop_dependencies(splice: _Splice, name: str, service: Node, gone: set[str]) -> None:
    """Remove the `depends_on` references of a kept service to removed ones."""
    written = _get(service, "depends_on")
    dependencies = _deref(written)
    if isinstance(dependencies, SequenceNode):
        names = [_text(item) for item in dependencies.value]
    elif isinstance(dependencies, MappingNode):
        names = [_text(key) for key, _ in dependencies.value]
    else:
        return
    hits = [i for i, dependency in enumerate(names) if dependency in gone]
    if not hits:
        return
    entries = service.value if isinstance(service, MappingNode) else []
    entry = next((i for i, (_, value) in enumerate(entries) if value is written), None)
    if entry is None or written is not dependencies:
        raise ValueError(
            f"service `{name}` takes its depends_on on `{names[hits[0]]}` from an anchor; "
            "remove it by hand"
        )
    if len(hits) < len(names):
        splice.drop(dependencies, {i: f"depends_on entry `{names[i]}`" for i in hits})
    else:
        splice.drop(service, {entry: f"depends_on of service `{name}`"})


def _drop_volumes(
    splice: _Splice, root: MappingNode, removed: list[Node], kept: list[Node]
) -> None:
    """Remove the top-level named volumes that only removed services used."""
    index = _find(root, "volumes")
    volumes = None if index is None else _mapping(root.value[index][1], "top-level `volumes`")
    if volumes is None:
        return
    unused = _sources(removed) - _sources(kept)
    names = [_text(key) for key, _ in volumes.value]
    hits = [i for i, volume in enumerate(names) if volume in unused]
    if not hits:
        return
    if len(hits) < len(names):
        splice.drop(volumes, {i: f"volume `{names[i]}`" for i in hits})
    else:
        splice.drop(root, {index: "top-level `volumes`"})


def _sources(services: Iterable[Node]) -> set[str]:
    """The volume names the services mount: `name:/path[:mode]`, or `source:` in long syntax."""
    sources = set()
    for service in services:
        mounts = _deref(_get(service, "volumes"))
        for mount in mounts.value if isinstance(mounts, SequenceNode) else ():
            mount = _deref(mount)
            if isinstance(mount, MappingNode):
                mount = _get(mount, "source")
            source = _text(mount)
            if source:
                sources.add(source.split(":")[0])
    return sources


def _aliases(node: Node) -> Iterator[_Alias]:
    if isinstance(node, _Alias):
        yield node
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            yield from _aliases(key)
            yield from _aliases(value)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from _aliases(item)


def _blank(line: str) -> bool:
    return not line.strip()


def _comment(line: str) -> bool:
    return line.lstrip(" \t").startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


class _Splice:
    """Removals from a text, collected first and applied together, so that neighbouring
    removals join up and the blank lines around them can be tidied once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0, *(match.end() for match in re.finditer("\n", text))]
        self.lines = text.split("\n")
        self.drops: set[int] = set()  # whole lines to remove
        self.edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in kept lines
        self.removed: list[tuple[int, int, str]] = []  # (start, end, what) for the anchor check

    def drop(self, parent: MappingNode | SequenceNode, labels: dict[int, str]) -> None:
        """Remove the items of `parent` at the indexes of `labels`, which name them in errors."""
        spans = [self._span(parent, i) for i in range(len(parent.value))]
        if parent.flow_style:
            self._drop_flow(spans, labels)
        else:
            for i, label in labels.items():
                self._drop_block(parent, spans, i, label)

    def result(self, root: Node) -> str:
        """The edited text; refused when a removal takes an anchor that a kept alias uses."""
        for alias in _aliases(root):
            if self._removal(alias.start_mark.index) is None:
                what = self._removal(alias.value.start_mark.index)
                if what is not None:
                    raise ValueError(
                        f"{what} defines anchor `&{alias.anchor}` used elsewhere; remove it by hand"
                    )
        self._tidy()
        edits = [*self.edits, *((self.starts[i], self._end_of(i), "") for i in self.drops)]
        pieces, pos = [], 0
        for start, end, new in sorted(edits):
            pieces += [self.text[pos:start], new]
            pos = end
        result = "".join([*pieces, self.text[pos:]])
        if result.endswith("\n") and not self.text.endswith("\n"):
            # The last line went; the line that now ends the file loses its line break.
            result = result[: -2 if result.endswith("\r\n") else -1]
        return result

    def _span(self, parent: MappingNode | SequenceNode, i: int) -> tuple[int, int]:
        """Where item `i` of `parent` starts (its key, in a mapping) and where its text ends."""
        item = parent.value[i]
        key, node = item if isinstance(parent, MappingNode) else (item, item)
        # A block collection's end mark is where the next token starts, past the comments and
        # blank lines that follow it: the text ends with its last item's.
        while isinstance(node, MappingNode | SequenceNode) and not node.flow_style:
            node = node.value[-1][1] if isinstance(node, MappingNode) else node.value[-1]
        # A block scalar's end mark, too, lies past its trailing line breaks.
        return key.start_mark.index, len(self.text[: node.end_mark.index].rstrip())

    def _drop_flow(self, spans: list[tuple[int, int]], labels: dict[int, str]) -> None:
        # Cut each run of consecutive items with the commas that separate it from the rest.
        for _, run in itertools.groupby(enumerate(sorted(labels)), lambda pair: pair[1] - pair[0]):
            indexes = [i for _, i in run]
            first, last = indexes[0], indexes[-1]
            if last + 1 < len(spans):
                cut = spans[first][0], spans[last + 1][0]
            elif first:
                cut = spans[first - 1][1], spans[last][1]
            else:
                cut = spans[first][0], spans[last][1]
            self.edits.append((*cut, ""))
        self.removed += [(*spans[i], label) for i, label in labels.items()]

    def _drop_block(
        self, parent: MappingNode | SequenceNode, spans: list[tuple[int, int]], i: int, label: str
    ) -> None:
        start, end = spans[i]
        if isinstance(parent, SequenceNode):
            start = self.text.rindex("-", 0, start)
        first, last = self._line(start), self._line(end - 1)
        column = _indent(self.lines[first])
        # The comment block above the key, not reaching back into the previous item's text.
        floor = self._line(spans[i - 1][1] - 1) + 1 if i else 0
        while (
            first > floor
            and _comment(self.lines[first - 1])
            and _indent(self.lines[first - 1]) == column
        ):
            first -= 1
        # Deeper comments after the content, across blank lines.
        below = last + 1
        while below < len(self.lines) and (
            _blank(self.lines[below])
            or (_comment(self.lines[below]) and _indent(self.lines[below]) > column)
        ):
            if not _blank(self.lines[below]):
                last = below
            below += 1
        self.drops.update(range(first, last + 1))
        self.removed.append((self.starts[first], self._end_of(last), label))

    def _tidy(self) -> None:
        """Drop the blank lines that removals would leave doubled, leading or trailing."""
        lines, drops = self.lines, self.drops
        line = 0
        while line < len(lines):
            if line not in drops:
                line += 1
                continue
            # A unit: dropped lines and the blank lines around and between them.
            first = lead = line
            while lead and _blank(lines[lead - 1]):
                lead -= 1
            last = after = first
            while after < len(lines) and (after in drops or _blank(lines[after])):
                last = after if after in drops else last
                after += 1
            drops.update(range(first, last + 1))
            column = _indent(lines[first])
            if after == len(lines):
                drops.update(range(lead, first))
            elif lead < first or (
                (not lead or _indent(lines[lead - 1]) < column) and _indent(lines[after]) >= column
            ):
                # Keep one separator: the blank lines before the unit, or none right after the
                # line that opens the removed entries' parent.
                drops.update(range(last + 1, after))
            line = after

    def _removal(self, pos: int) -> str | None:
        return next((what for start, end, what in self.removed if start <= pos < end), None)

    def _line(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos) - 1

    def _end_of(self, line: int) -> int:
        """The offset just past the line, its line break included."""
        return self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
