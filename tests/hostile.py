"""The hostile repository: `fixtures/hostile` plus what git cannot hold or this project should not
store — a FIFO where a manifest and a doc are expected, a 20 MB manifest and doc, a JSON nested
100,000 deep, a 5,000-digit number, file names with terminal escapes and newlines."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import FIXTURES

HOSTILE = FIXTURES / "hostile"
DEPTH = 100_000
HUGE = 20 * 1024 * 1024

# Files written into the copy, by path: each must come out as a "cannot check" finding.
GENERATED = {
    "apps/deep/package.json": "[" * DEPTH + "]" * DEPTH,
    "apps/bignum/package.json": '{"name": "bignum", "version": 1' + "7" * 5000 + "}",
    "apps/huge/package.json": '{"name": "huge",' + " " * HUGE + '"dependencies": {"pg": "^8"}}',
    "docs/huge.md": "Postgres + Drizzle\n" * (HUGE // 19),
}
FIFOS = ["apps/fifo/package.json", "docs/FIFO.md"]
# Names a terminal would act on if printed raw; each holds a finding so it is printed.
ESCAPED_NAMES = {
    "convex/evil\nFAIL forged.ts": (
        'import { query } from "./_generated/server";\n'
        'export const leak = query({ handler: async (ctx) => ctx.db.query("users").collect() });\n'
    ),
    "apps/\x1b[2Jclear/package.json": '{"name": "clear", "dependencies": {"pg": "^8"}}\n',
}


def materialise(dest: Path) -> Path:
    """Copy the hostile fixture to `dest` (symlinks kept as links) and add the generated parts."""
    shutil.copytree(HOSTILE, dest, symlinks=True)
    for name, text in {**GENERATED, **ESCAPED_NAMES}.items():
        path = dest / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for name in FIFOS:
        path = dest / name
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)
    return dest
