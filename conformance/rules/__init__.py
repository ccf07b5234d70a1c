"""The rule kinds, by name, imported on first use: a check pays only for the kinds its contract
uses (the TypeScript-reading ones carry regexes and tree-sitter helpers the flagship contract
never needs)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module

from ..model import Rule, instances
from .base import RuleKind

# kind name → (module in this package, class)
_LOCATIONS = {
    "path-present": ("paths", "PathPresent"),
    "path-absent": ("paths", "PathAbsent"),
    "dependency-present": ("dependencies", "DependencyPresent"),
    "dependency-absent": ("dependencies", "DependencyAbsent"),
    "script-present": ("scripts", "ScriptPresent"),
    "script-forbidden": ("scripts", "ScriptForbidden"),
    "compose-service-present": ("compose", "ComposeServicePresent"),
    "compose-service-absent": ("compose", "ComposeServiceAbsent"),
    "text-present": ("text", "TextPresent"),
    "text-absent": ("text", "TextAbsent"),
    "source-absent": ("source", "SourceAbsent"),
    "import-absent": ("imports", "ImportAbsent"),
    "key-path": ("keypath", "KeyPath"),
    "drizzle-output-absent": ("drizzle", "DrizzleOutputAbsent"),
    "python": ("python", "PythonCheck"),
    "call-absent": ("calls", "CallAbsent"),
    "exports-present": ("exports", "ExportsPresent"),
    "ts-present": ("constructs", "TsPresent"),
    "env-var-present": ("envfile", "EnvVarPresent"),
    "convex-auth-required": ("convex_auth", "ConvexAuthRequired"),
    "convex-index-present": ("convex_index", "ConvexIndexPresent"),
    "sql-interpolation": ("sql_interpolation", "SqlInterpolation"),
    "client-usage-absent": ("client_usage", "ClientUsageAbsent"),
    "rls-policies": ("rls", "RlsPolicies"),
    "next-route-present": ("next_routes", "NextRoutePresent"),
    "workspace-imports": ("workspace_imports", "WorkspaceImports"),
}


class _Registry(Mapping):
    def __init__(self) -> None:
        self._loaded: dict[str, RuleKind] = {}

    def __getitem__(self, name: str) -> RuleKind:
        kind = self._loaded.get(name)
        if kind is None:
            module, cls = _LOCATIONS[name]
            kind = self._loaded[name] = getattr(import_module(f".{module}", __name__), cls)()
        return kind

    def __iter__(self) -> Iterator[str]:
        return iter(_LOCATIONS)

    def __len__(self) -> int:
        return len(_LOCATIONS)


KINDS: Mapping[str, RuleKind] = _Registry()


def rule_patterns(rule: Rule) -> list[str]:
    """The globs a rule reads, over every subject it is bound to."""
    kind = KINDS[rule.kind]
    return [pattern for instance in instances(rule) for pattern in kind.patterns(instance)]
