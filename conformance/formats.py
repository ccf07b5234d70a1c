"""Report formats: text for people, json for scripts, github / sarif / junit for CI systems, html
for a page to read (see `html_report`).

Text and json place paths relative to the folder checked (PATH), as waivers and `fix` do; the CI
formats place them relative to the top level of PATH's git work tree, as the CI system checks the
repository out, so an annotation lands on the right file when PATH is a subfolder (`json` adds
that path as `git_path`). Outside git, every path is relative to PATH."""

from __future__ import annotations

import re

from . import __version__
from .contract import CONFIG_NAME
from .model import Finding, counted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .contract import Waiver
    from .engine import Report

FORMATS = ("text", "json", "github", "sarif", "junit", "html")

# What text from a repository must not carry to a terminal, a CI log or an XML report: C0
# controls but tab (ESC starts sequences that clear the screen or write the clipboard, CR
# overwrites the line, a newline forges one), DEL and C1 controls, the bidirectional controls
# that reorder what is shown (Trojan Source), line and paragraph separators, lone surrogates
# (no text at all: printing one fails) and the two noncharacters XML forbids.
_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u2028\u2029\ud800-\udfff\ufffe\uffff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: str) -> str:
    """`text` with every character above shown as an escape (`\\x1b`, `\\n`, `\\u202e`): one
    line, shown as it is written, whatever a repository put in a name or a file."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def render(report: Report, fmt: str) -> str:
    if fmt == "html":
        from .html_report import html

        return html(report)
    return {"text": text, "json": json, "github": github, "sarif": sarif, "junit": junit}[fmt](
        report
    )


def git_prefix(report: Report) -> str | None:
    """Where the folder checked lies in its git work tree ("" at the top, "services/kata/"
    below), None when it is in no work tree."""
    if report.root is None:
        return None
    from .repo import git_prefix as prefix_of

    return prefix_of(report.root)


def in_repository(prefix: str | None):
    """A function placing a path relative to PATH relative to the git top level, given PATH's
    `git_prefix` (unchanged at the top level or outside git): what CI systems resolve paths
    against."""
    return lambda path: (prefix or "") + path


# `{item}`, `{path}`…: what a finding fills into its rule's message.
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def message_outline(rule) -> str:
    """A rule's message as no finding fills it: each placeholder shown as `…`."""
    return _PLACEHOLDER.sub("…", rule.message)


def expired_message(waiver: Waiver) -> str:
    return f"waiver for {waiver.rule} expired on {waiver.expires}: {waiver.reason}"


def stale_message(waiver: Waiver) -> str:
    return f"waiver for {waiver.rule} matches no finding (stale); remove it: {waiver.reason}"


def unchecked_message(rule, reason: str) -> str:
    label = "unchecked (optional)" if rule.optional else "unchecked"
    return f"{label}: {rule.id}: {reason}"


def discovered_lines(report: Report) -> list[str]:
    """Where each discovered parameter came from, or what discovery looked for."""
    lines = []
    for contract, resolution in report.discovered:
        name = resolution.name
        if resolution.origin == "discovered":
            shown = [
                f"{_value(value)} ({source})" if source else _value(value)
                for value, source in zip(resolution.values, resolution.sources, strict=False)
            ]
            lines.append(f"discovered: {name} = {', '.join(shown)} [{contract}]")
        elif resolution.origin == "undiscovered":
            lines.append(f"not found: {name}: {resolution.reason} [{contract}]")
    lines.extend(f"not read by discovery: {note}" for note in report.unread)
    return lines


def _value(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def text(report: Report) -> str:
    lines: list[str] = []
    previous = None
    for finding in report.findings:
        if previous is not None and finding.path != previous:
            lines.append("")
        previous = finding.path
        lines.append(f"{finding.location()}: {finding.rule} {finding.message}")
    notes = [
        *(f"{f.location()}: {f.rule} waived: {f.message} ({w.reason})" for f, w in report.waived),
        *(f"{w.source}:{w.line}: error: {expired_message(w)}" for w in report.expired),
        *(f"{w.source}:{w.line}: warning: {stale_message(w)}" for w in report.stale),
        *(f"{path}:{line}: warning: {text}" for path, line, text in report.remarks),
    ]
    if notes:
        lines.extend(["", *notes] if lines else notes)
    unchecked = [unchecked_message(r, report.outcomes[r.id].reason) for r in report.unchecked_rules]
    noted = [
        f"note: {rule.id}: {report.outcomes[rule.id].note}"
        for rule in report.rules
        if report.outcomes[rule.id].note
    ]
    for block in (unchecked, noted, discovered_lines(report), baseline_lines(report)):
        if block:
            lines.extend(["", *block] if lines else block)
    summary = report.summary()
    contracts = ", ".join(report.contracts)
    waived = f", {summary['waived']} waived" if summary["waived"] else ""
    if summary.get("known"):
        waived += f", {summary['known']:,} known"
    not_checked = f", {summary['unchecked']} unchecked" if summary["unchecked"] else ""
    if lines:
        lines.append("")
    if summary["findings"]:
        lines.append(
            f"{counted(summary['findings'], 'finding')} in {counted(summary['files'], 'file')}"
            f"{waived}: {summary['failed_rules']} of {counted(summary['rules'], 'rule')} failed"
            f"{not_checked} ({contracts})"
        )
    elif report.expired:
        expired = counted(len(report.expired), "expired waiver")
        lines.append(f"{expired}{not_checked} ({contracts})")
    elif summary["unchecked"]:
        known_only = sum(entry["status"] == "known" for entry in report.statuses())
        checked = summary["rules"] - summary["unchecked"] - known_only
        verdict = "fails" if report.failing else "passes"
        lines.append(
            f"No {'new ' if known_only else ''}findings{waived}, but {summary['unchecked']} of "
            f"{counted(summary['rules'], 'rule')} had nothing to check; {checked} "
            f"{'passes' if checked == 1 else 'pass'}"
            f"{f', {known_only} only known' if known_only else ''}; "
            f"the run {verdict} ({contracts})"
        )
    elif report.empty:
        lines.append(report.empty)
    elif summary.get("known"):
        known_only = sum(entry["status"] == "known" for entry in report.statuses())
        verdict = "fails" if report.failing else "passes"
        lines.append(
            f"No new findings{waived}: {known_only} of {counted(summary['rules'], 'rule')} "
            f"{'has' if known_only == 1 else 'have'} only known ones; the run {verdict} "
            f"({contracts})"
        )
    else:
        passing = (
            "The 1 rule passes" if summary["rules"] == 1 else f"All {summary['rules']} rules pass"
        )
        lines.append(f"{passing}{waived} ({contracts})")
    if report.unchanged:
        lines.append(
            f"{counted(len(report.unchanged), 'rule')} not run: "
            f"{'its inputs' if len(report.unchanged) == 1 else 'their inputs'} did not change"
        )
    return "\n".join(map(printable, lines)) + "\n"


def baseline_lines(report: Report) -> list[str]:
    """Progress against the baseline, per rule (`rule: 1,127 known, 12 fixed, 0 new`), and
    what to do with the entries that no longer match."""
    if report.baseline is None:
        return []
    lines = [f"baseline {report.baseline}:"]
    lines += [
        f"  {entry['rule']}: {entry['known']:,} known, {entry['fixed']:,} fixed, "
        f"{entry['new']:,} new"
        for entry in report.progress()
    ]
    fixed = sum(entry.count for entry in report.fixed)
    if fixed:
        held = f"the baseline holds {counted(fixed, 'fixed finding')}"
        prune = "`conformance check --update-baseline` removes them"
        if report.strict_baseline:
            lines.append(f"error: {held}, which strict_baseline does not allow: {prune}")
        else:
            lines.append(f"note: {held}; {prune}")
    return lines


def quiet_text(report: Report) -> str:
    """`--quiet`: the findings, then whatever else fails the run (an expired waiver, a required
    rule with nothing to check); nothing at all when it passes."""
    lines = [
        f"{finding.location()}: {finding.rule} {finding.message}" for finding in report.findings
    ]
    lines += [f"{w.source}:{w.line}: error: {expired_message(w)}" for w in report.expired]
    lines += [
        unchecked_message(rule, report.outcomes[rule.id].reason)
        for rule in report.unchecked_rules
        if not rule.optional
    ]
    lines += [line for line in baseline_lines(report) if line.startswith("error: ")]
    return "".join(printable(line) + "\n" for line in lines)


def statistics(report: Report, fmt: str) -> str:
    """`--statistics`: how many findings each rule has, most first (as ruff counts them), and
    whether `fix` repairs them ([*]); as text or json."""
    counts: dict[str, list] = {}
    for finding in report.findings:
        entry = counts.setdefault(finding.rule, [0, False])
        entry[0] += 1
        entry[1] = entry[1] or finding.fixable
    messages = {rule.id: re.sub(r"\{\w+\}", "…", rule.message) for rule in report.rules}
    rows = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))
    if fmt == "json":
        import json as encoder

        payload = [
            {"rule": rule, "count": count, "fixable": fixable, "message": messages[rule]}
            for rule, (count, fixable) in rows
        ]
        return encoder.dumps(payload, indent=2) + "\n"
    if not rows:
        return f"No findings ({counted(len(report.rules), 'rule')} checked)\n"
    count_width = len(str(rows[0][1][0]))
    id_width = max(len(rule) for rule in counts)
    lines = [
        f"{count:>{count_width}}  {rule:<{id_width}}  {'[*] ' if fixable else '    '}"
        f"{messages[rule]}"
        for rule, (count, fixable) in rows
    ]
    total = sum(count for count, _ in counts.values())
    lines.append(
        f"{counted(total, 'finding')} of {counted(len(rows), 'rule')}"
        + ("; [*] fixable with `conformance fix`" if any(f for _, f in counts.values()) else "")
    )
    return "\n".join(map(printable, lines)) + "\n"


def readable_json(value: Any, indent: str = "") -> str:
    """JSON laid out for people and diffs: an object's keys one per line, a list's items one
    per line, each item (and anything deeper) on its line. Python's json module indents only
    in its pure-Python encoder (24 ms for 6,000 findings); this way every item goes through
    the C one (9 ms)."""
    import json as encoder

    inner = indent + "  "
    if isinstance(value, dict) and value:
        members = ",\n".join(
            f"{inner}{encoder.dumps(key)}: {readable_json(item, inner)}"
            for key, item in value.items()
        )
        return f"{{\n{members}\n{indent}}}"
    if isinstance(value, list) and value:
        items = ",\n".join(inner + encoder.dumps(item) for item in value)
        return f"[\n{items}\n{indent}]"
    return encoder.dumps(value)


def json(report: Report) -> str:

    def waiver(w: Waiver) -> dict:
        expires = w.expires.isoformat() if w.expires else None
        return {"rule": w.rule, "path": w.path, "reason": w.reason, "expires": expires}

    prefix = git_prefix(report)

    def git_path(path: str) -> str | None:
        return None if prefix is None else prefix + path

    def finding(f) -> dict:
        return {**f.as_dict(), "git_path": git_path(f.path)}

    payload = {
        "findings": [finding(f) for f in report.findings],
        "waived": [{**finding(f), "waiver": waiver(w)} for f, w in report.waived],
        "expired_waivers": [waiver(w) for w in report.expired],
        "stale_waivers": [waiver(w) for w in report.stale],
        "remarks": [
            {"path": p, "git_path": git_path(p), "line": n, "message": t}
            for p, n, t in report.remarks
        ],
        "rules": report.statuses(),
        "parameters": [
            {"contract": contract, **resolution._asdict()}
            for contract, resolution in report.discovered
        ],
        "unread_by_discovery": report.unread,
        "baseline": None
        if report.baseline is None
        else {
            "path": report.baseline,
            "strict": report.strict_baseline,
            "rules": report.progress(),
            "known": [finding(f) for f in report.known],
            "fixed": [entry._asdict() for entry in report.fixed],
        },
        "summary": report.summary(),
    }
    return readable_json(payload) + "\n"


def _escape_data(value: str) -> str:
    # GitHub's own escapes first, then what else must not reach the log.
    return printable(value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, path: str | None, line: int | None, title: str, message: str) -> str:
    properties = [f"file={_escape_property(path)}"] if path is not None else []
    if line is not None:
        properties.append(f"line={line}")
    properties.append(f"title={_escape_property(title)}")
    return f"::{level} {','.join(properties)}::{_escape_data(message)}"


def github(report: Report) -> str:
    """GitHub Actions workflow commands: annotations on the lines of the pull request (paths
    relative to the repository's top level, where GitHub looks for them)."""
    where = in_repository(git_prefix(report))
    lines = [_command("error", where(f.path), f.line, f.rule, f.message) for f in report.findings]
    lines += [
        _command("notice", where(f.path), f.line, f"{f.rule} (waived)", f"{f.message} — {w.reason}")
        for f, w in report.waived
    ]
    lines += [
        _command("error", where(w.source), w.line, "expired waiver", expired_message(w))
        for w in report.expired
    ]
    lines += [
        _command("warning", where(w.source), w.line, "stale waiver", stale_message(w))
        for w in report.stale
    ]
    lines += [
        _command("warning", where(p), n, "conformance-ignore", t) for p, n, t in report.remarks
    ]
    lines += [
        _command(
            "notice" if rule.optional else "error",
            None,
            None,
            f"{rule.id} (unchecked)",
            report.outcomes[rule.id].reason,
        )
        for rule in report.unchecked_rules
    ]
    summary = report.summary()
    lines.append(
        f"conformance: {counted(summary['findings'], 'finding')}, {summary['waived']} waived, "
        f"{summary['failed_rules']} of {counted(summary['rules'], 'rule')} failed, "
        f"{summary['unchecked']} unchecked"
    )
    return "\n".join(lines) + "\n"


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/repo-conformance/"


def sarif(report: Report) -> str:
    """SARIF 2.1.0: one reporting descriptor per rule (its why as help), one result per finding;
    waived findings carry an external suppression with the waiver's reason. Uris are relative to
    `%SRCROOT%`, the git top level (PATH outside git); a finding on a whole file (or on one that
    is missing) is placed on its line 1, as GitHub needs a line and the validator a region."""
    import json as encoder

    prefix = git_prefix(report)
    where = in_repository(prefix)
    index = {rule.id: number for number, rule in enumerate(report.rules)}
    rules = [
        {
            "id": rule.id,
            **({"name": name} if (name := _friendly_name(rule.id)) else {}),
            "shortDescription": {"text": printable(message_outline(rule))},
            "fullDescription": {"text": printable(rule.why)},
            "help": {"text": printable(rule.why)},
            "properties": {"contract": rule.contract, "kind": rule.kind},
        }
        for rule in report.rules
    ]

    compared = report.baseline is not None

    def result(finding, suppression=None, state="new", level="error") -> dict:
        location = {
            "artifactLocation": {"uri": _uri(where(finding.path)), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": finding.line or 1},
        }
        entry = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": level,
            "message": {"text": printable(finding.message)},
            "locations": [{"physicalLocation": location}],
        }
        if suppression:
            entry["suppressions"] = [suppression]
        if compared:  # new, unchanged (in the baseline), absent (in it, no longer found)
            entry["baselineState"] = state
        return entry

    results = [result(f) for f in report.findings]
    results += [
        result(f, {"kind": "external", "status": "accepted", "justification": printable(w.reason)})
        for f, w in report.waived
    ]
    results += [result(f, state="unchanged", level="note") for f in report.known]
    results += [
        result(Finding(e.path, None, e.rule, e.message), state="absent", level="none")
        for e in report.fixed
        if e.rule in index
    ]
    notifications = [
        {
            "level": "error" if waiver in report.expired else "warning",
            "message": {
                "text": printable(
                    expired_message(waiver) if waiver in report.expired else stale_message(waiver)
                )
            },
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": _uri(where(waiver.source)),
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {"startLine": waiver.line},
                    }
                }
            ],
        }
        for waiver in [*report.expired, *report.stale]
    ]
    notifications += [
        {
            "level": "note" if rule.optional else "error",
            "message": {
                "text": printable(unchecked_message(rule, report.outcomes[rule.id].reason))
            },
            "associatedRule": {"id": rule.id, "index": index[rule.id]},
        }
        for rule in report.unchecked_rules
    ]
    run = {
        "tool": {
            "driver": {
                "name": "conformance",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": _source_root(report, prefix)},
        "results": results,
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
    }
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return encoder.dumps(document, indent=2) + "\n"


def _friendly_name(rule_id: str) -> str | None:
    """A rule's SARIF `name`: its id in Pascal case (`no-postgres-service` → NoPostgresService),
    as the validator asks; none when that is the id itself (SARIF1001: then it must be left out)."""
    name = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", rule_id))
    return name if name and name != rule_id else None


def _source_root(report: Report, prefix: str | None) -> dict:
    """`%SRCROOT%`: the git top level (or the folder checked, outside git) as an absolute
    `file:` uri ending in `/`, for viewers that open the files; GitHub reads the relative uris."""
    description = (
        "the top level of the git work tree" if prefix is not None else "the folder checked"
    )
    entry: dict = {"description": {"text": description}}
    if report.root is not None:
        top = report.root
        for _ in filter(None, (prefix or "").split("/")):
            top = top.parent
        entry["uri"] = top.as_uri().rstrip("/") + "/"
    return entry


def _uri(path: str) -> str:
    """A repository path as a relative URI reference (RFC 3986): every byte outside the
    unreserved characters and `/` percent-encoded; a byte that was not UTF-8 (listed as a
    surrogate escape) as itself."""
    from urllib.parse import quote

    try:
        data = path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = path.encode("utf-8", "surrogatepass")
    return quote(data, safe="/")


def junit(report: Report) -> str:
    """JUnit XML: one test case per rule (with the seconds spent checking it), failing with its
    findings (paths relative to the git top level); waived findings as output. Text from the
    repository is escaped as for a terminal: XML 1.0 cannot carry most controls."""
    from xml.etree import ElementTree

    where = in_repository(git_prefix(report))

    def location(finding) -> str:
        return where(finding.location())

    summary = report.summary()
    unchecked = report.unchecked_rules
    elapsed = report.elapsed if report.elapsed is not None else sum(report.seconds.values())
    suites = ElementTree.Element("testsuites", name="conformance", time=_seconds(elapsed))
    suite = ElementTree.SubElement(
        suites,
        "testsuite",
        name="conformance",
        tests=str(summary["rules"] + len(report.expired)),
        failures=str(summary["failed_rules"] + len(report.expired)),
        errors=str(sum(not rule.optional for rule in unchecked)),
        skipped=str(sum(rule.optional for rule in unchecked)),
        time=_seconds(elapsed),
    )
    waived_by_rule: dict[str, list[str]] = {}
    for finding, waiver in report.waived:
        waived_by_rule.setdefault(finding.rule, []).append(
            printable(f"{location(finding)}: waived: {finding.message} ({waiver.reason})")
        )
    for rule in report.rules:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=f"{CONFIG_NAME}.{rule.contract}",
            name=rule.id,
            time=_seconds(report.seconds.get(rule.id, 0.0)),
        )
        findings = report.results[rule.id]
        if findings:
            failure = ElementTree.SubElement(
                case, "failure", message=counted(len(findings), "finding"), type="conformance"
            )
            failure.text = "\n".join(printable(f"{location(f)}: {f.message}") for f in findings)
            failure.text += f"\n\nwhy: {printable(rule.why)}"
        reason = report.outcomes[rule.id].reason
        if reason is not None and not findings:
            # An optional rule that had nothing to check is skipped; a required one could not
            # run, which fails the run: an error, not a pass.
            tag = "skipped" if rule.optional else "error"
            message = printable(f"unchecked: {reason}")
            ElementTree.SubElement(case, tag, message=message, type="unchecked")
        output = list(waived_by_rule.get(rule.id, []))
        known = sum(f.rule == rule.id for f in report.known)
        if known:  # debt in the baseline passes; the output says how much is left
            output.append(printable(f"{counted(known, 'known finding')} in {report.baseline}"))
        if output:
            ElementTree.SubElement(case, "system-out").text = "\n".join(output)
    for waiver in report.expired:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=waiver.source,
            name=f"waiver:{waiver.rule}",
            time=_seconds(0.0),
        )
        message = printable(expired_message(waiver))
        ElementTree.SubElement(case, "failure", message=message, type="waiver")
    ElementTree.indent(suites)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _seconds(value: float) -> str:
    return f"{value:.6f}"
