"""Line numbers of keys in a JSON document.

`json` gives values but no positions; findings need `path:line`. This scanner walks the
tokens once and records the line of every object key by its key path.
"""

from __future__ import annotations

import json
import re

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],]')


def key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    lines: dict[tuple[str | int, ...], int] = {}
    # Each frame is [is_object, current key or index, expecting_key].
    stack: list[list] = []
    line = 1
    last = 0
    for token in _TOKEN.finditer(text):
        line += text.count("\n", last, token.start())
        last = token.start()
        lexeme = token.group()
        if lexeme in "{[":
            stack.append([lexeme == "{", 0, lexeme == "{"])
        elif lexeme in "}]":
            if stack:
                stack.pop()
        elif lexeme == ",":
            if stack:
                frame = stack[-1]
                if frame[0]:
                    frame[2] = True
                else:
                    frame[1] += 1
        elif stack and stack[-1][0] and stack[-1][2]:
            frame = stack[-1]
            frame[1] = json.loads(lexeme)
            frame[2] = False
            lines[tuple(f[1] for f in stack)] = line
    return lines
