"""What the command shows only to a person at a terminal: colour in the text report, and a
progress line on stderr while a long run works. Neither ever reaches a file, a pipe or a CI log.
"""

from __future__ import annotations

import os
import re
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

    from .engine import Report

BOLD, DIM, RED, GREEN, YELLOW, CYAN = "1", "2", "31", "32", "33", "36"
# The text report's verdict (formats.text): its last line but a note of rules not run.
_VERDICT = re.compile(
    r"(\d+ findings? in |\d+ expired waivers?\b|All \d+ rules pass|The 1 rule passes"
    r"|No (?:new )?findings)"
)


def colour_wanted(stream: TextIO) -> bool:
    """Colour for `stream`: NO_COLOR (any non-empty value) never, else FORCE_COLOR (any
    non-empty value) always, else only on a terminal that is not `dumb`. NO_COLOR wins over
    FORCE_COLOR, as in CPython's own colour (3.13) and Rust's anstream (ruff)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or stand-in stream
        return False


def paint(text: str, *styles: str) -> str:
    return f"\x1b[{';'.join(styles)}m{text}\x1b[0m"


def paint_report(text: str, report: Report) -> str:
    """The text report (`formats.text`, every line already escaped, so no escape sequence of
    the repository's reaches the terminal) with locations bold, rule ids red, the verdict red
    or green and notes in their colours. Lines are recognised whole, never guessed: a finding's
    line is looked up among the lines the report's findings render to."""
    from .formats import printable

    findings = {}
    for finding in report.findings:
        location, rule = printable(finding.location()), printable(finding.rule)
        findings[printable(f"{finding.location()}: {finding.rule} {finding.message}")] = (
            len(location),
            len(location) + 2 + len(rule),
        )
    verdict = RED if report.failing else GREEN
    painted = []
    for line in text.split("\n"):
        if line in findings:
            location_end, rule_end = findings[line]
            line = (
                paint(line[:location_end], BOLD)
                + ": "
                + paint(line[location_end + 2 : rule_end], BOLD, RED)
                + line[rule_end:]
            )
        elif _VERDICT.match(line):
            line = paint(line, BOLD, verdict)
        elif line.startswith(("unchecked (optional): ", "discovered: ", "not read by discovery:")):
            line = paint(line, DIM)
        elif line.startswith(("unchecked: ", "not found: ")):
            label, _, rest = line.partition(": ")
            line = f"{paint(label + ':', YELLOW)} {rest}"
        elif line.startswith("note: "):
            line = f"{paint('note:', CYAN)} {line[6:]}"
        else:
            for marker, colour in ((": error: ", RED), (": warning: ", YELLOW), (" waived: ", DIM)):
                before, found, after = line.partition(marker)
                if found:
                    line = f"{paint(before, BOLD)}{paint(found.rstrip(), colour)} {after}"
                    break
        painted.append(line)
    return "\n".join(painted)


def paint_diff(diff: str) -> str:
    """A unified diff (`fix.render_diff`, escaped) with added lines green, removed ones red."""
    painted = []
    for line in diff.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        if body.startswith(("+++ ", "--- ")):
            body = paint(body, BOLD)
        elif body.startswith(("+", "-", "@@", "deleted: ")):
            colour = {"+": GREEN, "-": RED, "@": CYAN, "d": RED}[body[0]]
            body = paint(body, colour)
        painted.append(body + ending)
    return "".join(painted)


def paint_statuses(statuses: str) -> str:
    """`fix.render_statuses` (a status word, padded, then the path) with the word coloured."""
    colours = {"create": GREEN, "edit": GREEN, "remove": RED, "conflict": RED}
    painted = []
    for line in statuses.splitlines(keepends=True):
        word = line.split(" ", 1)[0]
        colour = colours.get(word, DIM)
        painted.append(paint(word, BOLD, colour) + line[len(word) :])
    return "".join(painted)


class Progress:
    """A progress line on stderr for a run that takes more than a second, at a terminal only:
    the engine and the history report each step through `step` (a plain callback, so the lower
    layers print nothing); a background thread shows the latest one, ten times a second, once
    the run is a second old, and clears the line when the run ends."""

    DELAY, PERIOD = 1.0, 0.1

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.said = ""
        self.shown = False
        self._thread = None

    @staticmethod
    def wanted(stream: TextIO | None = None) -> bool:
        stream = stream or sys.stderr
        try:
            return stream.isatty() and os.environ.get("TERM") != "dumb"
        except (AttributeError, ValueError):
            return False

    def step(self, done: int, total: int, what: str) -> None:
        """The callback: `done` of `total` steps are done, the next is `what` (e.g. 3, 18,
        "checking no-postgres-imports")."""
        self.said = f"{what} ({done} of {total} done)"

    def __enter__(self) -> Progress:
        import threading

        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._show, daemon=True, name="progress")
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        if self.shown:
            self.stream.write("\r\x1b[K")  # the line cleared: the report starts clean
            self.stream.flush()

    def _show(self) -> None:
        if self._stop.wait(self.DELAY):
            return
        from .formats import printable

        shown = ""
        while not self._stop.is_set():
            said = self.said
            if said and said != shown:  # redrawn only when it changed
                width = _columns(self.stream) - 1
                line = printable(f"conformance: {said}")[:width]
                self.stream.write(f"\r\x1b[K{line}")
                self.stream.flush()
                shown, self.shown = said, True
            self._stop.wait(self.PERIOD)


def _columns(stream: TextIO) -> int:
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        columns = 0
    return columns or 80  # a terminal that does not say its size (0) is taken as 80 wide
