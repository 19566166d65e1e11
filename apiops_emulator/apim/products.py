"""Products, groups, operations, backends and gateways: side effects the real service performs.

A NEW product gets a subscription (owner ``/users/1``) and a link to the Administrators group;
deleting a product with subscriptions needs ``deleteSubscriptions=true``; built-in groups cannot
be deleted; deleting an API operation or a group drops links pointing at it.
"""
from __future__ import annotations

import secrets
from typing import Any

from .behavior import Behavior
from .context import Ctx, ref_name
from .defaults import apply_defaults
from .errors import ArmError, bad_request
from ..http import Response
from .locate import split_revision
from .references import remove_references
from .store import Entity

BUILTIN_GROUPS = {
    "administrators": ("Administrators", "Administrators is a built-in group containing the admin email account "
                                         "provided at the time of service creation. Its membership is managed by "
                                         "the system."),
    "developers": ("Developers", "Developers is a built-in group. Its membership is managed by the system. "
                                 "Signed-in users fall into this group."),
    "guests": ("Guests", "Guests is a built-in group. Its membership is managed by the system. Unauthenticated "
                         "users visiting the developer portal fall into this group."),
}


def _subscriptions_of_product(ctx: Ctx, product: str) -> list[tuple[str, Entity]]:
    coll = f"{ctx.target.scope_key}subscriptions"
    return [(coll, sub) for sub in ctx.store.list(coll)
            if (ref_name(str(sub.properties.get("scope", "")), "products") or "").lower() == product.lower()]


class ProductBehavior(Behavior):
    def after_put(self, ctx: Ctx, entity: Entity, created: bool) -> None:
        if not created or ctx.target.scope_key:
            return
        product_id = ctx.full_id(f"products/{entity.name}")
        sub_props: dict[str, Any] = {"ownerId": ctx.full_id("users/1"), "scope": product_id,
                                     "displayName": entity.properties.get("displayName", entity.name),
                                     "state": "active"}
        apply_defaults("subscription", sub_props, None)
        ctx.store.put("subscriptions", Entity(secrets.token_hex(12), sub_props, ctx.store.new_etag(),
                                              {"primaryKey": secrets.token_hex(16), "secondaryKey": secrets.token_hex(16)}))
        link = {"groupId": ctx.full_id("groups/administrators")}
        ctx.store.put(f"products/{entity.name.lower()}/grouplinks",
                      Entity("administrators", link, ctx.store.new_etag()))

    def before_delete(self, ctx: Ctx, entity: Entity) -> None:
        subscriptions = _subscriptions_of_product(ctx, entity.name)
        delete_subscriptions = str(ctx.request.query.get("deleteSubscriptions", "")).lower() == "true"
        if subscriptions and not delete_subscriptions and not ctx.env.lenient:
            raise bad_request(f"Product '{entity.name}' has {len(subscriptions)} subscription(s); pass "
                              "deleteSubscriptions=true to delete them with the product.", "ValidationError")
        ctx.scratch["subscriptions"] = subscriptions

    def after_delete(self, ctx: Ctx, entity: Entity) -> None:
        for coll, subscription in ctx.scratch.get("subscriptions", []):
            ctx.store.delete(coll, subscription.name)
        remove_references(ctx, "products", entity.name, ctx.target.scope_key)


class GroupBehavior(Behavior):
    def prepare(self, ctx: Ctx, props: dict[str, Any], existing: Entity | None, *, patch: bool):
        props, extra = super().prepare(ctx, props, existing, patch=patch)
        if existing is not None and existing.properties.get("builtIn"):
            props["builtIn"], props["type"] = True, "system"
        elif props.get("type") == "system":
            raise bad_request("Groups of type 'system' cannot be created.", "ValidationError")
        return props, extra

    def before_delete(self, ctx: Ctx, entity: Entity) -> None:
        if entity.properties.get("builtIn"):
            raise ArmError(400, "ValidationError",
                           f"Built-in group '{entity.name}' cannot be deleted.")

    def after_delete(self, ctx: Ctx, entity: Entity) -> None:
        remove_references(ctx, "groups", entity.name, ctx.target.scope_key)


class OperationBehavior(Behavior):
    def after_delete(self, ctx: Ctx, entity: Entity) -> None:
        api = split_revision(ctx.target.parents[-1][1])[0]
        remove_references(ctx, "operations", entity.name, ctx.target.scope_key, api=api)


class BackendBehavior(Behavior):
    def action(self, ctx: Ctx, entity: Entity, action: str) -> Response:
        return Response.empty(202)


class GatewayBehavior(Behavior):
    def storage_name(self, ctx: Ctx, entity_id: str) -> str:
        if entity_id.lower() == "managed" and ctx.request.method == "PUT":
            raise bad_request("Gateway id 'managed' is reserved.", "ValidationError")
        return entity_id

    def prepare(self, ctx: Ctx, props: dict[str, Any], existing: Entity | None, *, patch: bool):
        props, extra = super().prepare(ctx, props, existing, patch=patch)
        extra.setdefault("primary", secrets.token_hex(24))
        extra.setdefault("secondary", secrets.token_hex(24))
        return props, extra

    def action(self, ctx: Ctx, entity: Entity, action: str) -> Response:
        if action == "listKeys":
            return Response.json_body(200, {"primary": entity.extra.get("primary"),
                                            "secondary": entity.extra.get("secondary")}, {"ETag": entity.etag})
        if action == "regenerateKey":
            return Response.empty(204)
        return Response.json_body(200, {"value": f"GatewayKey {entity.name}&{secrets.token_hex(8)}"})
