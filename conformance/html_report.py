"""`--format html`: one self-contained page to read a report in a browser or attach to a CI run.

No script, no external stylesheet, font or image, and a Content-Security-Policy that forbids
loading anything, so the page works offline and a value from the repository cannot make it fetch
anything. Every text from the repository is shown escaped: `printable` first (controls and bidi
characters shown as escapes, as in the terminal), then HTML escaping.

The page is a list of sections, each a function of the report returning HTML (or "" when it has
nothing to show); `html(report, sections)` lays out any list of them, so a new view (a chart over
a range of commits) is one more function.
"""

from __future__ import annotations

from html import escape

from . import __version__
from .formats import (
    discovered_lines,
    expired_message,
    message_outline,
    printable,
    stale_message,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .engine import Report
    from .model import Finding, Rule

    Section = Callable[[Report], str]

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem;
       padding: 0 1rem; color: #1f2328; background: #fff; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .25rem;
     margin-top: 2rem; }
h3 { font-size: 1.05rem; margin: 0 0 .25rem; }
code, pre { font: 13px/1.4 ui-monospace, monospace; }
h3 code { font-size: 1rem; }
pre { white-space: pre-wrap; background: #f6f8fa; padding: .5rem; }
.verdict { font-weight: 600; }
.fail { color: #cf222e; } .pass { color: #1a7f37; }
.counts { display: flex; flex-wrap: wrap; gap: .5rem; padding: 0; list-style: none; }
.counts li { border: 1px solid #d0d7de; border-radius: 6px; padding: .35rem .75rem; }
.counts b { font-size: 1.2rem; margin-right: .3rem; }
section.rule { border: 1px solid #d0d7de; border-radius: 6px; padding: .75rem 1rem;
               margin: 1rem 0; }
.meta { color: #59636e; margin: 0 0 .5rem; }
.findings { padding-left: 1.2rem; }
.where { font-weight: 600; }
.badge { font-size: 12px; border-radius: 1rem; padding: 0 .5rem; margin-left: .4rem;
         background: #dafbe1; color: #1a7f37; border: 1px solid #aceebb; }
table { border-collapse: collapse; } td, th { text-align: left; padding: .2rem .75rem .2rem 0; }
"""


FIXABLE = '<span class="badge" title="conformance fix repairs it">fixable</span>'


def text(value: object) -> str:
    """Any value as inert HTML text."""
    return escape(printable(str(value)), quote=True)


def html(report: Report, sections: Sequence[Section] | None = None) -> str:
    """The page: a heading, then each section in turn."""
    summary = report.summary()
    where = report.root.name if report.root is not None else ""
    title = f"conformance: {summary['findings']} findings" + (f" in {where}" if where else "")
    body = "".join(section(report) for section in (SECTIONS if sections is None else sections))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{text(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{body}"
        f'<footer><p class="meta">conformance {text(__version__)}</p></footer>\n'
        "</body>\n</html>\n"
    )


def summary_section(report: Report) -> str:
    """What was checked and the counts that matter, with the failing rules linked."""
    summary = report.summary()
    verdict = "fails" if report.failing else "passes"
    counts = [
        (summary["findings"], "findings"),
        (summary["files"], "files"),
        (summary["fixable"], "fixable by conformance fix"),
        (f"{summary['failed_rules']} / {summary['rules']}", "rules failed"),
        (summary["unchecked"], "unchecked"),
        (summary["waived"], "waived"),
        (summary["expired_waivers"], "expired waivers"),
        (summary["stale_waivers"], "stale waivers"),
        *(
            [(summary["known"], "known (baseline)"), (summary["fixed"], "fixed since baseline")]
            if report.baseline is not None
            else []
        ),
    ]
    shown = "".join(
        f"<li><b>{text(count)}</b> {text(_one(label) if count == 1 else label)}</li>"
        for count, label in counts
    )
    checked = f" in <code>{text(report.root)}</code>" if report.root is not None else ""
    failing = "".join(
        f'<tr><td><a href="#{_anchor(report, rule)}"><code>{text(rule.id)}</code></a></td>'
        f"<td>{len(report.results[rule.id])}</td>"
        f"<td>{sum(f.fixable for f in report.results[rule.id])}</td></tr>"
        for rule in report.rules
        if report.results[rule.id]
    )
    table = (
        f"<table><tr><th>rule</th><th>findings</th><th>fixable</th></tr>{failing}</table>"
        if failing
        else ""
    )
    return (
        f"<header><h1>{text('conformance report')}</h1>"
        f'<p class="meta">{text(", ".join(report.contracts))}{checked}</p>'
        f'<p class="verdict {"fail" if report.failing else "pass"}">The run {verdict}.'
        f"{' ' + text(report.empty) if report.empty else ''}</p>"
        f'<ul class="counts">{shown}</ul>{table}</header>\n'
    )


def findings_section(report: Report) -> str:
    """Each failing rule with why it exists, what its kind checks, how to fix it, and its
    findings (path:line, message, whether `conformance fix` repairs it)."""
    rules = [rule for rule in report.rules if report.results[rule.id]]
    if not rules:
        return ""
    return "<h2>Findings by rule</h2>\n" + "".join(
        _rule_section(report, rule, report.results[rule.id]) for rule in rules
    )


def _rule_section(report: Report, rule: Rule, findings: list[Finding]) -> str:
    import inspect

    from .rules import KINDS

    kind = KINDS[rule.kind]
    what = inspect.cleandoc(kind.__doc__ or "")
    fixable = sum(finding.fixable for finding in findings)
    items = "".join(
        f'<li><code class="where">{text(finding.location())}</code> {text(finding.message)}'
        f"{FIXABLE if finding.fixable else ''}</li>"
        for finding in findings
    )
    return (
        f'<section class="rule" id="{_anchor(report, rule)}">'
        f"<h3><code>{text(rule.id)}</code> — {_count(len(findings), 'finding')}"
        f"{f', {fixable} fixable' if fixable else ''}</h3>"
        f'<p class="meta">contract {text(rule.contract)} · kind {text(rule.kind)}</p>'
        f'<p class="why">{text(rule.why)}</p>'
        f"<details><summary>What <code>{text(rule.kind)}</code> checks, and how to fix it"
        f"</summary><pre>{text(what)}</pre><p>{text(kind.hint)}</p></details>"
        f'<ul class="findings">{items}</ul></section>\n'
    )


def unchecked_section(report: Report) -> str:
    """Rules that found nothing to check, and why: they neither pass nor fail on evidence."""
    rules = report.unchecked_rules
    if not rules:
        return ""
    rows = "".join(
        f"<tr><td><code>{text(rule.id)}</code></td>"
        f"<td>{'optional' if rule.optional else 'required: fails the run'}</td>"
        f"<td>{text(report.outcomes[rule.id].reason)}</td></tr>"
        for rule in rules
    )
    return (
        '<h2 id="unchecked">Unchecked rules</h2>\n'
        f"<table><tr><th>rule</th><th></th><th>why</th></tr>{rows}</table>\n"
    )


def waived_section(report: Report) -> str:
    """The findings waivers (or inline `conformance-ignore` comments) set aside, by rule, with
    the reason given; then expired and stale waivers."""
    by_rule: dict[str, list[str]] = {}
    for finding, waiver in report.waived:
        until = f" (until {waiver.expires})" if waiver.expires else ""
        by_rule.setdefault(finding.rule, []).append(
            f'<li><code class="where">{text(finding.location())}</code> {text(finding.message)}'
            f" — <i>{text(waiver.reason)}{text(until)}</i></li>"
        )
    problems = [
        *(f"<li>{_config_line(w)} {text(expired_message(w))}</li>" for w in report.expired),
        *(f"<li>{_config_line(w)} {text(stale_message(w))}</li>" for w in report.stale),
    ]
    if not by_rule and not problems:
        return ""
    parts = ['<h2 id="waived">Waived</h2>\n']
    parts += [
        f'<section class="rule waived"><h3><code>{text(rule_id)}</code> — '
        f'{len(items)} waived</h3><ul class="findings">{"".join(items)}</ul></section>\n'
        for rule_id, items in by_rule.items()
    ]
    if problems:
        parts.append(f"<h3>Waivers to look at</h3><ul>{''.join(problems)}</ul>\n")
    return "".join(parts)


def remarks_section(report: Report) -> str:
    """Inline `conformance-ignore` comments without a reason, or matching no finding."""
    if not report.remarks:
        return ""
    items = "".join(
        f'<li><code class="where">{text(f"{path}:{line}")}</code> {text(message)}</li>'
        for path, line, message in report.remarks
    )
    return f'<h2 id="remarks">Remarks</h2>\n<ul>{items}</ul>\n'


def baseline_section(report: Report) -> str:
    """Progress against the baseline per rule (known, fixed, new), the baseline's findings
    folded away by rule, and the entries that no longer match."""
    if report.baseline is None:
        return ""
    rows = "".join(
        f"<tr><td><code>{text(entry['rule'])}</code></td><td>{entry['known']:,}</td>"
        f"<td>{entry['fixed']:,}</td><td>{entry['new']:,}</td></tr>"
        for entry in report.progress()
    )
    known: dict[str, list[str]] = {}
    for finding in report.known:
        where = f'<code class="where">{text(finding.location())}</code>'
        known.setdefault(finding.rule, []).append(f"<li>{where} {text(finding.message)}</li>")
    folded = "".join(
        f"<details><summary><code>{text(rule_id)}</code> — {_count(len(items), 'known finding')}"
        f'</summary><ul class="findings">{"".join(items)}</ul></details>\n'
        for rule_id, items in known.items()
    )
    fixed = "".join(
        f'<li><code class="where">{text(entry.path)}</code> <code>{text(entry.rule)}</code> '
        f"{text(entry.message)}{f' ({entry.count} times)' if entry.count > 1 else ''}</li>"
        for entry in report.fixed
    )
    strict = "strict_baseline: this fails the run. " if report.strict_baseline else ""
    prune = (
        f"<h3>Fixed, still in the baseline</h3><p>{strict}"
        f"<code>conformance check --update-baseline</code> removes them.</p>"
        f'<ul class="findings">{fixed}</ul>\n'
        if fixed
        else ""
    )
    return (
        f'<h2 id="baseline">Against the baseline <code>{text(report.baseline)}</code></h2>\n'
        f"<table><tr><th>rule</th><th>known</th><th>fixed</th><th>new</th></tr>{rows}</table>\n"
        f"{prune}{folded}"
    )


def passing_section(report: Report) -> str:
    """The rules that checked something and found nothing wrong."""
    passing = [rule for rule in report.rules if report.status(rule) == "pass"]
    if not passing:
        return ""
    items = "".join(
        f"<li><code>{text(rule.id)}</code> — {text(message_outline(rule))}</li>" for rule in passing
    )
    return f'<h2 id="passing">Passing rules</h2>\n<ul>{items}</ul>\n'


def notes_section(report: Report) -> str:
    """What the rules' kinds said about what they saw, and where discovered parameters came
    from (or what discovery looked for)."""
    notes = [
        f"{rule.id}: {report.outcomes[rule.id].note}"
        for rule in report.rules
        if report.outcomes[rule.id].note
    ]
    lines = [*notes, *discovered_lines(report)]
    if not lines:
        return ""
    items = "".join(f"<li>{text(line)}</li>" for line in lines)
    return f'<h2 id="notes">Notes</h2>\n<ul>{items}</ul>\n'


SECTIONS: tuple[Section, ...] = (
    summary_section,
    findings_section,
    unchecked_section,
    waived_section,
    remarks_section,
    baseline_section,
    passing_section,
    notes_section,
)


def range_page(report: Report, commits: list[dict], span: str) -> str:
    """`check --rev A..B --format html`: the report of B, after a burn-down of the range."""
    from .burndown import charts

    def burndown_section(_: Report) -> str:
        drawn = charts(commits)
        if not drawn:
            return f'<h2 id="burndown">{text(span)}</h2><p>No findings in any commit.</p>\n'
        figures = "".join(
            f'<figure class="chart" data-rule="{text(name)}">{svg}</figure>\n'
            for name, svg in drawn
        )
        return (
            f'<h2 id="burndown">Burn-down over {text(span)} ({_count(len(commits), "commit")})'
            f"</h2>\n<p>Findings at each commit: known to the baseline that commit holds, new, "
            f"and fixed since it (each bar's tooltip names the commit).</p>\n{figures}"
        )

    return html(report, [SECTIONS[0], burndown_section, *SECTIONS[1:]])


def _anchor(report: Report, rule: Rule) -> str:
    # By position: a rule id is the contract's text, and an id attribute should not carry it.
    return f"rule-{report.rules.index(rule) + 1}"


def _one(label: str) -> str:
    """`findings` → `finding`, `stale waivers` → `stale waiver` (the count beside it is 1)."""
    head, _, tail = label.partition(" ")
    head = head.removesuffix("s") if head in ("findings", "files") else head
    tail = tail.removesuffix("s") if tail == "waivers" else tail
    return f"{head} {tail}".strip()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _config_line(waiver) -> str:
    return f'<code class="where">{text(f"{waiver.source}:{waiver.line}")}</code>'
