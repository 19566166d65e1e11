"""Secrets APIM requires to *create* a resource, checked before the first write.

Why: the service never returns an identity provider's ``clientSecret`` or a certificate's PFX
(``data``/``password``), so an extracted tree has neither. Updating an existing one works
without them, but creating one the target lacks is answered 400 half way through a publish.
``refuse_missing_create_secrets`` finds those puts (one GET per such resource: there are few)
and refuses them together, naming the file and the override to add, like secret named values
without a value (``commands.plan.refuse_missing_secrets``).
"""

from __future__ import annotations

from typing import Any, Mapping

from .errors import ReferenceError_
from .model import Plan, Resource, State

__all__ = ["missing_create_secret", "refuse_missing_create_secrets"]


def _token(name: str, field: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in name).upper()
    return "{#" + f"{cleaned}_{field}" + "#}"


def missing_create_secret(resource: Resource) -> str | None:
    """What the service needs to create ``resource`` and it lacks (None when nothing is missing)."""
    kind, props = resource.key.kind, resource.properties
    name = resource.key.name
    if kind == "identity-provider":
        if props.get("clientSecret"):
            return None
        return (f"identity provider {name!r} has no clientSecret; add to the override file:\n"
                f"      identityProviders:\n        - name: {name}\n          properties:\n"
                f"            clientSecret: \"{_token(name, 'CLIENT_SECRET')}\"")
    if kind == "certificate":
        key_vault = props.get("keyVault")
        if isinstance(key_vault, Mapping) and key_vault.get("secretIdentifier"):
            return None
        if isinstance(props.get("data"), str) and props.get("data"):
            return None
        return (f"certificate {name!r} has no data (base64 PFX) and password, nor a keyVault.secretIdentifier; "
                f"add to the override file:\n      certificates:\n        - name: {name}\n          properties: "
                f"{{data: \"{_token(name, 'PFX')}\", password: \"{_token(name, 'PFX_PASSWORD')}\"}}")
    return None


def refuse_missing_create_secrets(plan: Plan, desired: State, arm: Any) -> None:
    """Raise before any write when a put would create an identity provider or certificate the
    target lacks without the secret the service requires for that."""
    lines: list[str] = []
    first_path: str | None = None
    for action in plan.puts:
        resource = desired.get(action.key)
        if resource is None:
            continue
        missing = missing_create_secret(resource)
        if missing is None or arm.get(action.key.arm_path) is not None:
            continue  # an existing one is updated without its secret
        where = resource.source.path if resource.source else action.key.arm_path
        first_path = first_path or where
        lines.append(f"  {where}: does not exist in {arm.service_name}: {missing}")
    if lines:
        raise ReferenceError_(
            "APIM requires a secret to create these and the tree and overrides have none; nothing was published:\n"
            + "\n".join(lines)
            + "\n(fill each token from a secret pipeline variable; a resource the target already has needs none)",
            path=first_path,
        )
