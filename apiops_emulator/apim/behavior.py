"""Hooks that specialise the generic entity CRUD for one kind.

Why hooks instead of per-kind handlers: most APIM entities behave identically (ETag, If-Match,
200/201, 404, paging); only a few details differ (defaults, secrets, side effects). A kind
overrides just the hook it needs; the generic flow in ``crud.py`` stays the single place that
implements ARM semantics.
"""
from __future__ import annotations

import copy
from typing import Any

from .context import Ctx, full_ref
from .defaults import apply_defaults
from ..http import Response
from .integrity import check_body_references
from .store import Entity

# Properties that hold references to other entities; stored as full ARM ids like the service returns.
REFERENCE_PROPERTIES = ("apiId", "groupId", "productId", "operationId", "loggerId", "apiVersionSetId",
                        "sourceApiId", "scope", "ownerId")


class Behavior:
    """Default behaviour: plain properties bag with service defaults."""

    def storage_name(self, ctx: Ctx, entity_id: str) -> str:
        return entity_id

    def display_name(self, ctx: Ctx, entity: Entity) -> str:
        return entity.name

    def prepare(self, ctx: Ctx, props: dict[str, Any], existing: Entity | None, *, patch: bool) -> tuple[dict[str, Any], dict[str, Any]]:
        """Turn request properties (PUT body or PATCH-merged) into stored properties + private extras."""
        extra = copy.deepcopy(existing.extra) if existing else {}
        for key in REFERENCE_PROPERTIES:
            value = props.get(key)
            if isinstance(value, str) and value.startswith("/"):
                props[key] = full_ref(ctx.service_id, value)
        apply_defaults(ctx.route.kind, props, existing.properties if existing else None)
        check_body_references(ctx, props)
        return props, extra

    def after_put(self, ctx: Ctx, entity: Entity, created: bool) -> None:
        """Side effects of a successful write (e.g. a new product's subscription)."""

    def render(self, ctx: Ctx, entity: Entity) -> dict[str, Any]:
        """The ``properties`` object returned to clients (secrets removed). A shallow copy is
        enough: bodies are only serialised, never mutated below the top level."""
        return dict(entity.properties)

    def before_delete(self, ctx: Ctx, entity: Entity) -> None:
        """Raise ArmError to refuse a delete."""

    def after_delete(self, ctx: Ctx, entity: Entity) -> None:
        """Cascade clean-up (links pointing at the deleted entity)."""

    def action(self, ctx: Ctx, entity: Entity, action: str) -> Response:
        return Response.json_body(200, {})

    def get(self, ctx: Ctx, entity: Entity) -> Response | None:
        """Return a response to replace the plain GET (export does this), or None."""
        return None
