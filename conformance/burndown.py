"""The burn-down of a migration: findings per commit of a range, known, new and fixed, as inline
SVG (no script, no external file: it lives inside the one-file HTML report)."""

from __future__ import annotations

from html import escape

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Colours a reader tells apart with the common colour-vision deficiencies (Okabe-Ito).
KNOWN, NEW, FIXED = "#999999", "#d55e00", "#009e73"
WIDTH, HEIGHT, MARGIN = 640, 180, 36


def series(commits: list[dict[str, Any]]) -> dict[str, list[tuple[int, int, int]]]:
    """Per rule (and `all`): (known, fixed, new) at each commit, from the commits' `baseline`
    progress (`history.check_range`); a rule missing at a commit had none of the three."""
    rules = sorted({entry["rule"] for commit in commits for entry in commit.get("baseline", [])})
    points: dict[str, list[tuple[int, int, int]]] = {"all": [], **{rule: [] for rule in rules}}
    for commit in commits:
        by_rule = {entry["rule"]: entry for entry in commit.get("baseline", [])}
        total = [0, 0, 0]
        for rule in rules:
            entry = by_rule.get(rule, {})
            point = (entry.get("known", 0), entry.get("fixed", 0), entry.get("new", 0))
            points[rule].append(point)
            total = [a + b for a, b in zip(total, point, strict=True)]
        points["all"].append(tuple(total))
    return points


def chart(title: str, points: list[tuple[int, int, int]], commits: list[dict[str, Any]]) -> str:
    """Stacked bars per commit: known (grey) under new (orange) above the axis, fixed (green)
    below it; each bar's tooltip names the commit and its three counts."""
    top = max((known + new for known, _, new in points), default=0) or 1
    bottom = max((fixed for _, fixed, _ in points), default=0)
    span = top + bottom
    plot = HEIGHT - 2 * MARGIN
    scale = plot / span if span else 0
    axis = MARGIN + top * scale
    step = (WIDTH - 2 * MARGIN) / max(len(points), 1)
    bar = max(step * 0.8, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" class="burndown">',
        f"<title>{escape(title)}</title>",
        f'<text x="{MARGIN}" y="{MARGIN - 14}" font-size="13">{escape(title)}</text>',
        f'<line x1="{MARGIN}" y1="{axis:.1f}" x2="{WIDTH - MARGIN}" y2="{axis:.1f}" '
        'stroke="#333" stroke-width="1"/>',
        f'<text x="{MARGIN - 4}" y="{MARGIN + 4}" font-size="10" text-anchor="end">{top}</text>',
        f'<text x="{MARGIN - 4}" y="{axis + 4:.1f}" font-size="10" text-anchor="end">0</text>',
    ]
    for index, ((known, fixed, new), commit) in enumerate(zip(points, commits, strict=True)):
        x = MARGIN + index * step + (step - bar) / 2
        label = escape(
            f"{commit.get('short', '')} {commit.get('subject', '')}: "
            f"{known} known, {fixed} fixed, {new} new"
        )
        parts.append(f'<g class="commit" data-commit="{escape(commit.get("sha", ""))}">')
        parts.append(f"<title>{label}</title>")
        for value, colour, y in (
            (known, KNOWN, axis - known * scale),
            (new, NEW, axis - (known + new) * scale),
            (fixed, FIXED, axis),
        ):
            if value:
                height = value * scale
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                    f'fill="{colour}"/>'
                )
        parts.append("</g>")
    parts.append(legend())
    parts.append("</svg>")
    return "".join(parts)


def legend() -> str:
    items = [("known", KNOWN), ("new", NEW), ("fixed", FIXED)]
    out = []
    for index, (name, colour) in enumerate(items):
        x = WIDTH - MARGIN - (len(items) - index) * 64
        out.append(
            f'<rect x="{x}" y="{MARGIN - 24}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{MARGIN - 15}" font-size="11">{name}</text>'
        )
    return "".join(out)


def charts(commits: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(rule id or `all`, SVG) for the whole range and each rule that had findings in it."""
    points = series(commits)
    shown = [(name, values) for name, values in points.items() if any(map(any, values))]
    if not shown:
        return []
    return [
        (name, chart("all rules" if name == "all" else name, values, commits))
        for name, values in shown
    ]
