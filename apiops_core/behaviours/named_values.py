"""Named values: secrets the instance never shows, and one-at-a-time puts.

A secret named value without a value or a Key Vault reference (what extract writes: the
instance never returns secrets) is skipped with a warning; ``publish.refuse_missing_secrets``
refuses the plan when something uses it and the target lacks it. A secret whose value the tree
sets is compared with the live value (``listValue``, read by the publisher), since a GET hides it.
"""

from __future__ import annotations

from typing import Mapping

from ..model import Resource, ResourceKey
from .base import Behaviour

__all__ = ["NamedValueBehaviour", "is_skipped_secret"]


def is_skipped_secret(resource: Resource) -> bool:
    """A secret named value without a value or a Key Vault reference is skipped with a warning."""
    if resource.key.row.behaviour != "named-value":
        return False
    props = resource.properties
    if not props.get("secret"):
        return False
    key_vault = props.get("keyVault")
    has_vault = isinstance(key_vault, Mapping) and bool(key_vault.get("secretIdentifier"))
    return not props.get("value") and not has_vault


class NamedValueBehaviour(Behaviour):
    # APIM re-validates every policy when a named value changes, and concurrent puts race
    one_at_a_time = True

    def skip_put(self, resource: Resource) -> str | None:
        return "secret without value or Key Vault reference" if is_skipped_secret(resource) else None

    def skip_warning(self, resource: Resource) -> str:
        where = f" ({resource.source.path})" if resource.source else ""
        return (
            f"secret named value {resource.key.name!r}{where} has no value and no Key Vault reference: "
            "skipped (set it with a {#token#} in the override file, or use keyVault)"
        )

    def secret_changed(self, resource: Resource, live: Mapping[ResourceKey, str | None] | None) -> bool:
        """A secret whose tree value differs from the live one (unknown counts as differs).

        ``live`` None means the caller could not read secrets: they are then compared by the rest.
        """
        if live is None or not resource.properties.get("secret"):
            return False
        value = resource.properties.get("value")
        if not value:
            return False
        return live.get(resource.key) != value
