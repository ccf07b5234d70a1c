"""The baseline's own logic: fingerprints that survive moved code, counting, the ratchet, and a
file that diffs well and names what is wrong with it."""

from __future__ import annotations

import json

import pytest

from conformance import baseline
from conformance.model import Finding, UsageError


def finding(
    path="convex/messages.ts", line=17, message="public mutation send() never checks ctx.auth"
):
    return Finding(path, line, "convex-auth-public-functions", message)


def test_moved_code_keeps_its_fingerprint_and_line_references_do_not_count():
    assert baseline.fingerprint(finding(line=17)) == baseline.fingerprint(finding(line=90))
    cited = "`sql` (appended to with +=, line {}) reaches db.execute; schema.ts:{} declares it"
    assert baseline.fingerprint(finding(message=cited.format(3, 40))) == baseline.fingerprint(
        finding(message=cited.format(12, 41))
    )
    assert baseline.fingerprint(finding()) != baseline.fingerprint(
        finding(message="public mutation remove() never checks ctx.auth")
    )


def test_counts_decide_new_known_and_fixed():
    same = [finding(line=n) for n in (3, 9, 27)]
    entries = baseline.entries_of(same)
    assert [e.count for e in entries] == [3]

    four = baseline.compare([*same, finding(line=40)], entries)
    assert (len(four.new), len(four.known), four.fixed) == (1, 3, [])
    assert four.new == [finding(line=40)]

    two = baseline.compare(same[:2], entries)
    assert (two.new, len(two.known)) == ([], 2)
    assert [e.count for e in two.fixed] == [1]

    elsewhere = baseline.compare([finding(path="convex/other.ts")], entries)
    assert len(elsewhere.new) == 1 and [e.count for e in elsewhere.fixed] == [3]


def test_prune_only_shrinks():
    entries = baseline.entries_of([finding(line=1), finding(line=2), finding(message="other")])
    comparison = baseline.compare([finding(line=5), finding(message="brand new")], entries)
    kept = baseline.pruned(entries, comparison.fixed)
    assert [(e.message, e.count) for e in kept] == [
        ("public mutation send() never checks ctx.auth", 1)
    ]
    assert baseline.pruned(kept, baseline.compare([], kept).fixed) == []


def test_file_is_sorted_one_entry_per_line_and_reads_back():
    findings = [finding(path="b.ts"), finding(path="a.ts"), finding(path="a.ts", line=99)]
    text = baseline.dump(baseline.entries_of(list(reversed(findings))))
    assert text == baseline.dump(baseline.entries_of(findings))
    assert json.loads(text)["version"] == 1
    lines = [line for line in text.splitlines() if '"fingerprint"' in line]
    assert ['"a.ts"' in lines[0], '"b.ts"' in lines[1]] == [True, True]
    assert '"count": 2' in lines[0]
    assert baseline.load(text, "b.json") == baseline.entries_of(findings)
    assert baseline.dump([]) == '{\n  "version": 1,\n  "findings": []\n}\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{\n  "version": 1,\n  "findings": [\n<<<<<<< HEAD\n',
            "b.json:4: not a baseline file: Expecting value",
        ),
        ('{"version": 2, "findings": []}', "b.json: baseline version 2: expected 1"),
        ("[]", "b.json: not a baseline file: expected an object with a `findings` list"),
        (
            '{"version": 1, "findings": [\n    {"rule": "r", "path": "p", "fingerprint": "f"},\n    {"rule": "r", "path": "", "fingerprint": "f"}\n]}',
            "b.json:3: baseline entry without path",
        ),
        (
            '{"version": 1, "findings": [\n    {"rule": "r", "path": "p", "fingerprint": "f", "count": 0}\n]}',
            "b.json:2: baseline entry count 0: expected 1 or more",
        ),
    ],
)
def test_a_broken_file_is_named_with_its_line(text, expected):
    with pytest.raises(UsageError) as error:
        baseline.load(text, "b.json")
    assert str(error.value) == expected
