"""Groups: APIM's built-in and system groups are the instance's own, never extracted or deleted.

The row's ``system_names`` covers the three built-in names; a group can also say so itself
(``builtIn``, or ``type: system`` for groups synchronised from an identity provider).
"""

from __future__ import annotations

from typing import Any, Mapping

from ..model import Resource, ResourceKey
from .base import Behaviour

__all__ = ["GroupBehaviour"]


class GroupBehaviour(Behaviour):
    def skip_listed(self, item: Mapping[str, Any], parent_body: Mapping[str, Any] | None) -> bool:
        return (item.get("properties") or {}).get("builtIn") is True

    def is_system(self, key: ResourceKey, resource: Resource | None) -> bool:
        if resource is None:
            return False
        return bool(resource.properties.get("builtIn")) or resource.properties.get("type") == "system"
