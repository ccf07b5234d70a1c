"""Modules that source files must no longer import."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import Finding, Rule
from ..repo import RepoView
from .base import STRINGS, RuleKind, as_list
from .source import search_code


def import_regex(module: str) -> re.Pattern[str]:
    """`import … from "m"`, `import "m"`, `import("m")`, `require("m")` and `export … from "m"`,
    subpaths (`m/sub`) included."""
    quoted = rf"""(["']){re.escape(module)}(?:/[^"']*)?\1"""
    return re.compile(rf"""(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*){quoted}""")


class ImportAbsent(RuleKind):
    """The listed source files (globs allowed, minus `exclude`) must not import these modules.

    When a package's dependency goes, every import of it must go too, or the package stops
    compiling the moment the lockfile catches up. Subpath imports (`drizzle-orm/pg-core`) count;
    comments do not.
    """

    name = "import-absent"
    properties = {"files": STRINGS, "exclude": STRINGS, "modules": STRINGS}
    required = ("files", "modules")
    hint = "Remove the import and the code that depends on it."

    def check(self, rule: Rule, repo: RepoView) -> Iterator[Finding]:
        patterns = [(module, import_regex(module)) for module in as_list(rule.options["modules"])]
        return search_code(self, rule, repo, patterns)
