"""Report formats: text for people, json for scripts, github / sarif / junit for CI systems."""

from __future__ import annotations

import re

from . import __version__
from .contract import CONFIG_NAME

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .contract import Waiver
    from .engine import Report

FORMATS = ("text", "json", "github", "sarif", "junit")

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
    return {"text": text, "json": json, "github": github, "sarif": sarif, "junit": junit}[fmt](
        report
    )


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
    for block in (unchecked, noted, discovered_lines(report)):
        if block:
            lines.extend(["", *block] if lines else block)
    summary = report.summary()
    contracts = ", ".join(report.contracts)
    waived = f", {summary['waived']} waived" if summary["waived"] else ""
    not_checked = f", {summary['unchecked']} unchecked" if summary["unchecked"] else ""
    if lines:
        lines.append("")
    if summary["findings"]:
        lines.append(
            f"{summary['findings']} findings in {summary['files']} files{waived}: "
            f"{summary['failed_rules']} of {summary['rules']} rules failed{not_checked} "
            f"({contracts})"
        )
    elif report.expired:
        lines.append(f"{len(report.expired)} expired waivers{not_checked} ({contracts})")
    elif summary["unchecked"]:
        checked = summary["rules"] - summary["unchecked"]
        verdict = "fails" if report.failing else "passes"
        lines.append(
            f"No findings{waived}, but {summary['unchecked']} of {summary['rules']} rules had "
            f"nothing to check; {checked} pass; the run {verdict} ({contracts})"
        )
    elif report.empty:
        lines.append(report.empty)
    else:
        lines.append(f"All {summary['rules']} rules pass{waived} ({contracts})")
    if report.unchanged:
        lines.append(f"{len(report.unchanged)} rules not run: their inputs did not change")
    return "\n".join(map(printable, lines)) + "\n"


def json(report: Report) -> str:
    import json as encoder

    def waiver(w: Waiver) -> dict:
        expires = w.expires.isoformat() if w.expires else None
        return {"rule": w.rule, "path": w.path, "reason": w.reason, "expires": expires}

    payload = {
        "findings": [finding.as_dict() for finding in report.findings],
        "waived": [{**f.as_dict(), "waiver": waiver(w)} for f, w in report.waived],
        "expired_waivers": [waiver(w) for w in report.expired],
        "stale_waivers": [waiver(w) for w in report.stale],
        "remarks": [{"path": p, "line": n, "message": t} for p, n, t in report.remarks],
        "rules": report.statuses(),
        "parameters": [
            {"contract": contract, **resolution._asdict()}
            for contract, resolution in report.discovered
        ],
        "unread_by_discovery": report.unread,
        "summary": report.summary(),
    }
    return encoder.dumps(payload, indent=2) + "\n"


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
    """GitHub Actions workflow commands: annotations on the lines of the pull request."""
    lines = [_command("error", f.path, f.line, f.rule, f.message) for f in report.findings]
    lines += [
        _command("notice", f.path, f.line, f"{f.rule} (waived)", f"{f.message} — {w.reason}")
        for f, w in report.waived
    ]
    lines += [
        _command("error", w.source, w.line, "expired waiver", expired_message(w))
        for w in report.expired
    ]
    lines += [
        _command("warning", w.source, w.line, "stale waiver", stale_message(w))
        for w in report.stale
    ]
    lines += [_command("warning", p, n, "conformance-ignore", t) for p, n, t in report.remarks]
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
        f"conformance: {summary['findings']} findings, {summary['waived']} waived, "
        f"{summary['failed_rules']} of {summary['rules']} rules failed, "
        f"{summary['unchecked']} unchecked"
    )
    return "\n".join(lines) + "\n"


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def sarif(report: Report) -> str:
    """SARIF 2.1.0: one reporting descriptor per rule (its why as help), one result per finding;
    waived findings carry an external suppression with the waiver's reason."""
    import json as encoder

    index = {rule.id: number for number, rule in enumerate(report.rules)}
    rules = [
        {
            "id": rule.id,
            "name": rule.id,
            "shortDescription": {"text": printable(rule.message.replace("{item}", "…"))},
            "fullDescription": {"text": printable(rule.why)},
            "help": {"text": printable(rule.why)},
            "properties": {"contract": rule.contract, "kind": rule.kind},
        }
        for rule in report.rules
    ]

    def result(finding, suppression=None) -> dict:
        region = {"startLine": finding.line} if finding.line else {}
        location = {"artifactLocation": {"uri": _uri(finding.path), "uriBaseId": "%SRCROOT%"}}
        if region:
            location["region"] = region
        entry = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": "error",
            "message": {"text": printable(finding.message)},
            "locations": [{"physicalLocation": location}],
        }
        if suppression:
            entry["suppressions"] = [suppression]
        return entry

    results = [result(f) for f in report.findings]
    results += [
        result(f, {"kind": "external", "status": "accepted", "justification": printable(w.reason)})
        for f, w in report.waived
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
                        "artifactLocation": {"uri": waiver.source, "uriBaseId": "%SRCROOT%"},
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
                "informationUri": "https://pypi.org/project/conformance/",
                "rules": rules,
            }
        },
        "results": results,
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
    }
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return encoder.dumps(document, indent=2) + "\n"


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
    """JUnit XML: one test case per rule, failing with its findings; waived findings as output.
    Text from the repository is escaped as for a terminal: XML 1.0 cannot carry most controls."""
    from xml.etree import ElementTree

    summary = report.summary()
    suites = ElementTree.Element("testsuites", name="conformance")
    unchecked = report.unchecked_rules
    suite = ElementTree.SubElement(
        suites,
        "testsuite",
        name="conformance",
        tests=str(summary["rules"] + len(report.expired)),
        failures=str(summary["failed_rules"] + len(report.expired)),
        errors=str(sum(not rule.optional for rule in unchecked)),
        skipped=str(sum(rule.optional for rule in unchecked)),
    )
    waived_by_rule: dict[str, list[str]] = {}
    for finding, waiver in report.waived:
        waived_by_rule.setdefault(finding.rule, []).append(
            printable(f"{finding.location()}: waived: {finding.message} ({waiver.reason})")
        )
    for rule in report.rules:
        case = ElementTree.SubElement(
            suite, "testcase", classname=f"{CONFIG_NAME}.{rule.contract}", name=rule.id
        )
        findings = report.results[rule.id]
        if findings:
            failure = ElementTree.SubElement(
                case, "failure", message=f"{len(findings)} findings", type="conformance"
            )
            failure.text = "\n".join(printable(f"{f.location()}: {f.message}") for f in findings)
            failure.text += f"\n\nwhy: {printable(rule.why)}"
        reason = report.outcomes[rule.id].reason
        if reason is not None and not findings:
            # An optional rule that had nothing to check is skipped; a required one could not
            # run, which fails the run: an error, not a pass.
            tag = "skipped" if rule.optional else "error"
            message = printable(f"unchecked: {reason}")
            ElementTree.SubElement(case, tag, message=message, type="unchecked")
        if rule.id in waived_by_rule:
            ElementTree.SubElement(case, "system-out").text = "\n".join(waived_by_rule[rule.id])
    for waiver in report.expired:
        case = ElementTree.SubElement(
            suite, "testcase", classname=waiver.source, name=f"waiver:{waiver.rule}"
        )
        message = printable(expired_message(waiver))
        ElementTree.SubElement(case, "failure", message=message, type="waiver")
    ElementTree.indent(suites)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
