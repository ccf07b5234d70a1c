"""A baseline: the findings a team has accepted as debt to pay down, so CI fails only on new ones.

A finding is identified by its rule, its path and a fingerprint of its message (which names the
symbol, callee, script or service it is about) with line references blanked out, never by its
line: code moved around keeps its findings known. Identical findings in one file are counted.
Matching is by count: three known `prisma.user.findMany` calls in a file and four found make one
new finding; two found make one fixed.
"""

from __future__ import annotations

import re
from collections import Counter, namedtuple
from functools import lru_cache

from .model import FileProblem, Finding, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .repo import RepoView

DEFAULT_PATH = ".conformance-baseline.json"
VERSION = 1

# `line 12`, `schema.ts:40`: where in a file a message points moves with unrelated edits.
_LINE_REFERENCE = re.compile(r"(?<=\bline )\d+|(?<=[\w)\]}\"'`]):\d+(?::\d+)?\b")

Entry = namedtuple("Entry", "rule path fingerprint message count")
Entry.__doc__ = """One baselined finding (`count` times in that file): the message is kept for the
reviewer of the file, the fingerprint is what matches."""

Comparison = namedtuple("Comparison", "new known fixed")
Comparison.__doc__ = """Findings against a baseline: `new` and `known` are findings, `fixed` the
entries (with the count no longer found) that match nothing any more."""


@lru_cache(maxsize=1 << 16)  # a range of commits asks again for the findings it kept
def fingerprint(finding: Finding) -> str:
    import hashlib  # ~2.5 ms (OpenSSL): only for a repository that has a baseline

    message = " ".join(_LINE_REFERENCE.sub("N", finding.message).split())
    text = "\0".join((finding.rule, message))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def entries_of(findings: list[Finding]) -> list[Entry]:
    """The baseline entries that accept exactly these findings, sorted for stable diffs."""
    counts = Counter((f.rule, f.path, fingerprint(f)) for f in findings)
    messages = {(f.rule, f.path, fingerprint(f)): f.message for f in findings}
    entries = [Entry(*key, messages[key], count) for key, count in counts.items()]
    return sorted(entries, key=lambda e: (e.rule, e.path, e.message, e.fingerprint))


def dump(entries: list[Entry]) -> str:
    """The file's text: one JSON object, one line per entry, sorted (a review shows exactly the
    entries added or removed)."""
    import json

    lines = [
        json.dumps(
            {"rule": e.rule, "path": e.path, "fingerprint": e.fingerprint, "count": e.count}
            | {"message": e.message},
            ensure_ascii=False,
        )
        for e in sorted(entries, key=lambda e: (e.rule, e.path, e.message, e.fingerprint))
    ]
    body = ",\n    ".join(lines)
    findings = f"[\n    {body}\n  ]" if lines else "[]"
    return f'{{\n  "version": {VERSION},\n  "findings": {findings}\n}}\n'


def load(text: str, source: str) -> list[Entry]:
    """Read a baseline file; what is wrong with it is a usage error naming `source:line`."""
    import json

    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"not a baseline file: {error.msg}", source, error.lineno) from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise UsageError("not a baseline file: expected an object with a `findings` list", source)
    if data.get("version") != VERSION:
        raise UsageError(f"baseline version {data.get('version')!r}: expected {VERSION}", source)
    entries = []
    for number, item in enumerate(data["findings"]):
        if not isinstance(item, dict):
            problem = "a baseline entry must be an object"
            raise UsageError(problem, source, _line_of_entry(text, number))
        missing = [key for key in ("rule", "path", "fingerprint") if not _text(item.get(key))]
        if missing:
            problem = f"baseline entry without {', '.join(missing)}"
            raise UsageError(problem, source, _line_of_entry(text, number))
        count = item.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            problem = f"baseline entry count {count!r}: expected 1 or more"
            raise UsageError(problem, source, _line_of_entry(text, number))
        message = item.get("message", "")
        entries.append(Entry(item["rule"], item["path"], item["fingerprint"], str(message), count))
    return entries


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _line_of_entry(text: str, number: int) -> int | None:
    """The line of the `number`th entry as `dump` writes them (one per line); None otherwise."""
    starts = [i for i, line in enumerate(text.splitlines(), 1) if '"fingerprint"' in line]
    return starts[number] if number < len(starts) else None


def compare(findings: list[Finding], entries: list[Entry]) -> Comparison:
    """Split findings into new and known by count per (rule, path, fingerprint); what the
    baseline holds beyond what was found is fixed."""
    remaining = Counter()
    for entry in entries:
        remaining[(entry.rule, entry.path, entry.fingerprint)] += entry.count
    new, known = [], []
    for finding in sorted(findings, key=Finding.sort_key):
        key = (finding.rule, finding.path, fingerprint(finding))
        if remaining[key] > 0:
            remaining[key] -= 1
            known.append(finding)
        else:
            new.append(finding)
    fixed = []
    for entry in entries:
        key = (entry.rule, entry.path, entry.fingerprint)
        gone = min(remaining[key], entry.count)
        if gone:
            remaining[key] -= gone
            fixed.append(entry._replace(count=gone))
    return Comparison(new, known, fixed)


def pruned(entries: list[Entry], fixed_entries: list[Entry]) -> list[Entry]:
    """The ratchet: the baseline without what was fixed; it never gains an entry."""
    fixed = Counter()
    for entry in fixed_entries:
        fixed[(entry.rule, entry.path, entry.fingerprint)] += entry.count
    kept = []
    for entry in entries:
        key = (entry.rule, entry.path, entry.fingerprint)
        gone = min(fixed[key], entry.count)
        fixed[key] -= gone
        if entry.count - gone:
            kept.append(entry._replace(count=entry.count - gone))
    return kept


def read(repo: RepoView, path: str) -> list[Entry] | None:
    """The baseline at `path` in the repository's view (None when there is none). The last one
    read is kept: the commits of a range mostly hold the same (2,201 entries: 5 ms to read)."""
    if not repo.is_file(path):
        return None
    try:
        text = repo.text(path)
    except FileProblem as problem:
        raise UsageError(f"cannot read the baseline: {problem.message}", path) from None
    if _last_read.get("key") != (path, text):
        _last_read.update(key=(path, text), entries=load(text, path))
    return list(_last_read["entries"])


_last_read: dict[str, object] = {}
