"""Kinds with secret values: named values (``listValue``) and subscriptions (``listSecrets``).
Secrets live in the entity's private ``extra`` and never appear in GET/list bodies."""
from __future__ import annotations

import copy
import secrets
from typing import Any

from .behavior import Behavior
from .context import Ctx, now_iso
from .errors import validation_error
from ..http import Response
from .store import Entity


class NamedValueBehavior(Behavior):
    def prepare(self, ctx: Ctx, props: dict[str, Any], existing: Entity | None, *, patch: bool):
        if patch and existing is not None and "value" not in props and "value" in existing.extra:
            props["value"] = existing.extra["value"]
        display = props.get("displayName")
        if isinstance(display, str) and display and not all(c.isalnum() or c in "-._" for c in display):
            raise validation_error("displayName", "displayName may contain only letters, digits, '-', '.' and '_'.")
        props, extra = super().prepare(ctx, props, existing, patch=patch)
        key_vault = props.get("keyVault")
        if isinstance(key_vault, dict) and key_vault.get("secretIdentifier"):
            key_vault["lastStatus"] = {"code": "Success", "message": None, "timeStampUtc": now_iso()}
            props["secret"] = True
            props.pop("value", None)
            extra.pop("value", None)
        elif props.get("value") is None and not ctx.env.lenient:
            raise validation_error("value", "'value' is required unless 'keyVault' is given.")
        if props.get("secret"):
            if "value" in props:
                extra["value"] = props.pop("value")
        else:
            extra.pop("value", None)
        return props, extra

    def action(self, ctx: Ctx, entity: Entity, action: str) -> Response:
        if action == "listValue":
            value = entity.properties.get("value", entity.extra.get("value"))
            if value is None and isinstance(entity.properties.get("keyVault"), dict):
                value = f"keyvault-secret:{entity.properties['keyVault'].get('secretIdentifier', '')}"
            return Response.json_body(200, {"value": value}, {"ETag": entity.etag})
        # refreshSecret: nothing to refresh locally; answer with the entity (completed LRO).
        return Response.json_body(200, ctx.body(entity, self.render(ctx, entity),
                                                display_parent=ctx.target.display_parent))


class SubscriptionBehavior(Behavior):
    def prepare(self, ctx: Ctx, props: dict[str, Any], existing: Entity | None, *, patch: bool):
        props, extra = super().prepare(ctx, props, existing, patch=patch)
        for key in ("primaryKey", "secondaryKey"):
            if props.get(key):
                extra[key] = props.pop(key)
            else:
                props.pop(key, None)
                extra.setdefault(key, secrets.token_hex(16))
        return props, extra

    def action(self, ctx: Ctx, entity: Entity, action: str) -> Response:
        if action == "listSecrets":
            return Response.json_body(200, {"primaryKey": entity.extra.get("primaryKey"),
                                            "secondaryKey": entity.extra.get("secondaryKey")}, {"ETag": entity.etag})
        key = "primaryKey" if action == "regeneratePrimaryKey" else "secondaryKey"
        extra = copy.deepcopy(entity.extra)
        extra[key] = secrets.token_hex(16)
        ctx.store.put(ctx.target.coll_key, Entity(entity.name, entity.properties, ctx.store.new_etag(), extra))
        return Response.empty(204)
