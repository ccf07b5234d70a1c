"""Parsed YAML kept in the user's cache, keyed by the very text it was parsed from: a contract,
conformance.yaml (or pyproject.toml's [tool.conformance]), or a repository's compose file and
pnpm-workspace.yaml. Importing PyYAML costs
~10 ms of every run, more than the rest of a small check; a document whose text is unchanged
since the last run is read back with marshal instead, and PyYAML is never imported."""

from __future__ import annotations

import os
from collections import namedtuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class CompiledDocument(namedtuple("CompiledDocument", "path data lines")):
    """A parsed YAML document as the cache keeps it: its data, and the line of every key path
    (what `YamlDocument.line_of` finds by walking YAML nodes)."""

    __slots__ = ()

    def line_of(self, *keys: str | int) -> int | None:
        """Line of the deepest existing key along `keys` (as `YamlDocument.line_of`)."""
        while keys:
            line = self.lines.get(keys)
            if line is not None:
                return line
            keys = keys[:-1]
        return None


def compiled(
    kind: str,
    name: str,
    shown: str,
    text: str,
    parse: Callable[[str, str], Any],
    document_type: type[CompiledDocument] = CompiledDocument,
):
    """The document `parse(shown, text)` gives, from the cache entry `name` of folder `kind`
    when that entry holds this very text (never stale: the text is kept and compared, not a
    date), as a `document_type`. What `parse` raises is raised; a document marshal cannot keep
    (a YAML date) is parsed every time. `parse` gives a YAML document, or a CompiledDocument
    that already knows its lines (pyproject.toml's table)."""
    import marshal

    from .usercache import cache_folder, write_file

    folder = cache_folder(kind)
    cached = None
    if folder:
        # Named by where the text comes from; a clash of two names only ever misses.
        cached = os.path.join(folder, f"{_fnv1a(os.fsencode(name)):08x}.marshal")
        try:
            with open(cached, "rb") as stream:
                kept, data, lines = marshal.load(stream)
            if kept == text:
                return document_type(shown, data, lines)
        except (OSError, EOFError, ValueError, TypeError):
            pass  # no entry yet, or one cut short or from another Python: parse
    document = parse(shown, text)
    if cached:
        known = isinstance(document, CompiledDocument)
        try:
            lines = document.lines if known else _key_lines(document.node)
            entry = marshal.dumps((text, document.data, lines))
        except ValueError:
            return document
        write_file(cached, entry)
    return document


def _fnv1a(data: bytes) -> int:
    """A stable 32-bit hash of a short string: zlib's or hashlib's would cost an import."""
    key = 0x811C9DC5
    for byte in data:
        key = ((key ^ byte) * 0x01000193) & 0xFFFFFFFF
    return key


def _key_lines(root) -> dict[tuple[str | int, ...], int]:
    """Every key path of a YAML node tree and the line `YamlDocument.line_of` gives for it: a
    mapping key's own line (the first of duplicate keys), a sequence item's first line."""
    from yaml import MappingNode, SequenceNode

    lines: dict[tuple[str | int, ...], int] = {}
    stack = [((), root)]
    while stack:
        keys, node = stack.pop()
        if isinstance(node, MappingNode):
            items = [(key.value, key, value) for key, value in node.value]
        elif isinstance(node, SequenceNode):
            items = [(index, value, value) for index, value in enumerate(node.value)]
        else:
            continue
        for key, marked, value in items:
            if not isinstance(key, str | int) or (*keys, key) in lines:
                continue  # a complex key is never looked up; a duplicate is never reached
            lines[(*keys, key)] = marked.start_mark.line + 1
            stack.append(((*keys, key), value))
    return lines
