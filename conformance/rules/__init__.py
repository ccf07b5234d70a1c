"""The rule kinds, by name."""

from __future__ import annotations

from .base import RuleKind
from .compose import ComposeServiceAbsent, ComposeServicePresent
from .dependencies import DependencyAbsent, DependencyPresent
from .drizzle import DrizzleOutputAbsent
from .imports import ImportAbsent
from .keypath import KeyPath
from .paths import PathAbsent, PathPresent
from .python import PythonCheck
from .scripts import ScriptForbidden, ScriptPresent
from .source import SourceAbsent
from .text import TextAbsent, TextPresent

KINDS: dict[str, RuleKind] = {
    kind.name: kind()
    for kind in (
        PathPresent,
        PathAbsent,
        DependencyPresent,
        DependencyAbsent,
        ScriptPresent,
        ScriptForbidden,
        ComposeServicePresent,
        ComposeServiceAbsent,
        TextPresent,
        TextAbsent,
        SourceAbsent,
        ImportAbsent,
        KeyPath,
        DrizzleOutputAbsent,
        PythonCheck,
    )
}
