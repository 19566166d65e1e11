"""Products: what APIM adds to a new product, and product-group links under their own name.

APIM gives every new product a subscription owned by the administrator and a link to the
Administrators group. apply removes both right after the create unless the artifacts declare
them; plan notices a create an earlier run did not finish (``UNFINISHED_CREATE``).
"""

from __future__ import annotations

from typing import Mapping

from ..kinds import KIND_BY_NAME
from ..model import Action, Resource, ResourceKey, State
from .base import ApplyContext, Behaviour, put_body

__all__ = ["ProductBehaviour", "ProductGroupBehaviour", "UNFINISHED_CREATE"]

#: reason of a product put that finishes a create an earlier run did not (apply removes what
#: APIM added to the new product, exactly as after a create; the product PUT itself is a no-op)
UNFINISHED_CREATE = "finish create: remove what APIM added to the new product"

_SUBSCRIPTION = "subscription"
_PRODUCT_GROUP = "product-group"
_ADMINISTRATORS = "administrators"


def _unfinished_create(key: ResourceKey, desired: State, current: State) -> bool:
    """The instance still holds what APIM adds to a NEW product, and the artifacts do not declare it.

    APIM gives every new product a subscription owned by the administrator (``/users/1``). apply
    removes it right after creating the product (unless the artifacts declare it); a run killed
    between the two leaves it, and the product then looks unchanged. An administrator-owned
    subscription to a product of the artifacts that the artifacts do not declare means the create
    was not finished (or the product was made in the portal and the artifacts, the source of
    truth, do not want it): finish it the same way. Subscriptions of other owners are never touched.
    """
    scope = f"/products/{key.names[0]}".casefold()
    for subscription in current.of_kind(_SUBSCRIPTION):
        if subscription.key.workspace != key.workspace or subscription.key in desired:
            continue
        props = subscription.properties
        if str(props.get("scope", "")).casefold().endswith(scope) and str(props.get("ownerId", "")).casefold().endswith("/users/1"):
            return True
    return False


class ProductBehaviour(Behaviour):
    def reput_reason(self, key: ResourceKey, desired: State, current: State) -> str | None:
        return UNFINISHED_CREATE if _unfinished_create(key, desired, current) else None

    def put(self, action: Action, resource: Resource, ctx: ApplyContext) -> bool:
        key = action.key
        response = ctx.port.put(key.arm_path, put_body(resource, self))
        created = (
            action.reason.startswith("create")
            or action.reason == UNFINISHED_CREATE  # an earlier run was cut short right after the create
            or getattr(response, "status", 0) == 201
        )
        if created:
            self._remove_auto_created(key, ctx)
        return True

    def _remove_auto_created(self, key: ResourceKey, ctx: ApplyContext) -> None:
        """APIM gives a new product a subscription and an Administrators link; keep them only if declared."""
        port = ctx.port
        prefix = f"workspaces/{key.workspace}/" if key.workspace else ""
        wanted_subs = {r.key.name.casefold() for r in ctx.desired.of_kind(_SUBSCRIPTION) if r.key.workspace == key.workspace}
        scope = f"/products/{key.names[0]}".casefold()
        collection = KIND_BY_NAME[_SUBSCRIPTION].collection_template(None)
        for item in port.list(f"{prefix}{collection}"):
            name = str(item.get("name", ""))
            item_scope = str((item.get("properties") or {}).get("scope", "")).casefold()
            if not name or not item_scope.endswith(scope) or name.casefold() in wanted_subs:
                continue
            port.delete(f"{prefix}{collection}/{name}")
            port.emit("info", f"deleted subscription {name} that APIM created with new {key}")
        link = ResourceKey(_PRODUCT_GROUP, (key.names[0], _ADMINISTRATORS), key.workspace)
        if link not in ctx.desired and key.workspace is None:
            if port.get(link.arm_path) is not None:
                port.delete(link.arm_path)
                port.emit("info", f"removed the Administrators group link APIM added to new {key}")

    def delete_params(self, action: Action, ctx: ApplyContext) -> tuple[str | None, Mapping[str, str] | None]:
        return None, {"deleteSubscriptions": "true"}


class ProductGroupBehaviour(Behaviour):
    def put(self, action: Action, resource: Resource, ctx: ApplyContext) -> bool:
        name = resource.body.get("name")
        if action.key.workspace is not None or not isinstance(name, str) or not name:
            return False
        # the v7 file keeps the link's own name (``developers-link``): put the link under it
        row = action.key.row
        listing = row.link_listing
        assert listing is not None and row.link is not None and row.link_id_field is not None
        far = ResourceKey(row.link[1], (action.key.names[1],)).arm_path
        ctx.port.put(f"{listing.template.format(action.key.names[0])}/{name}",
                     {"properties": {row.link_id_field: f"/{far}"}})
        return True
