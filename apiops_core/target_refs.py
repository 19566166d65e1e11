"""What the target instance can supply to a tree's references (named values, fragments, backends...).

Why a module of its own: ``references.py`` is pure (no I/O) and lint must stay offline, but a
publish into an instance that already has ``{{shared-key}}`` is fine although the tree lacks it,
exactly as for secret named values. This is the one place that asks the instance, lazily and
once per name: a named value is looked up by display name (how policies name it) in one list of
the scope's named values; anything else by its ARM path. Source workspace first, then the service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ApiOpsError
from .model import ResourceKey
from .references import Ref

if TYPE_CHECKING:  # pragma: no cover
    from .arm import ArmPort

__all__ = ["TargetSupplier"]


class TargetSupplier:
    """A ``references.Supplier`` backed by the ARM port (read-only: GET and list)."""

    def __init__(self, arm: ArmPort) -> None:
        self._arm = arm
        self._named: dict[str | None, set[str]] = {}
        self._exists: dict[str, bool] = {}
        self.asked = 0  # how many reads it made (for tests and logs)

    def _named_values(self, workspace: str | None) -> set[str]:
        names = self._named.get(workspace)
        if names is None:
            path = f"workspaces/{workspace}/namedValues" if workspace else "namedValues"
            names = set()
            try:
                self.asked += 1
                for item in self._arm.list(path):
                    if isinstance(item.get("name"), str):
                        names.add(item["name"].casefold())
                    display = (item.get("properties") or {}).get("displayName")
                    if isinstance(display, str):
                        names.add(display.casefold())
            except ApiOpsError:
                pass  # cannot read: treat as absent, the reference stays refused
            self._named[workspace] = names
        return names

    def _has(self, key: ResourceKey) -> bool:
        path = key.arm_path
        found = self._exists.get(path)
        if found is None:
            try:
                self.asked += 1
                found = self._arm.get(path) is not None
            except ApiOpsError:
                found = False
            self._exists[path] = found
        return found

    def __call__(self, ref: Ref, source: ResourceKey) -> bool:
        scopes: list[str | None] = [source.workspace, None] if source.workspace else [None]
        for scope in scopes:
            if ref.kind == "named-value":
                if ref.name.casefold() in self._named_values(scope):
                    return True
                continue
            try:
                key = ResourceKey(ref.kind, (ref.name,), scope)
            except (KeyError, ValueError):
                return False
            if self._has(key):
                return True
        return False
