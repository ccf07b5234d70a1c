"""The rule kinds, by name."""

from __future__ import annotations

from .base import RuleKind
from .calls import CallAbsent
from .client_usage import ClientUsageAbsent
from .compose import ComposeServiceAbsent, ComposeServicePresent
from .constructs import TsPresent
from .convex_auth import ConvexAuthRequired
from .convex_index import ConvexIndexPresent
from .dependencies import DependencyAbsent, DependencyPresent
from .drizzle import DrizzleOutputAbsent
from .envfile import EnvVarPresent
from .exports import ExportsPresent
from .imports import ImportAbsent
from .keypath import KeyPath
from .next_routes import NextRoutePresent
from .paths import PathAbsent, PathPresent
from .python import PythonCheck
from .rls import RlsPolicies
from .scripts import ScriptForbidden, ScriptPresent
from .source import SourceAbsent
from .sql_interpolation import SqlInterpolation
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
        CallAbsent,
        ExportsPresent,
        TsPresent,
        EnvVarPresent,
        ConvexAuthRequired,
        ConvexIndexPresent,
        SqlInterpolation,
        ClientUsageAbsent,
        RlsPolicies,
        NextRoutePresent,
    )
}
