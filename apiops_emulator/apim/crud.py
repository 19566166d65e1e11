"""Generic ARM entity semantics: HEAD/GET/list/PUT/PATCH/DELETE/POST-action with ETags,
If-Match, 200-vs-201, 404 for missing parents and required-property validation. Kind-specific
details come from a :class:`~.behavior.Behavior`."""
from __future__ import annotations

import copy
from typing import Any

from .behavior import Behavior
from .conflicts import check_conflicts
from .context import Ctx
from .errors import ArmError, bad_request, not_found
from ..http import Response
from .paging import page
from .store import Entity
from .validation import check_required



def strip_quotes(etag: str) -> str:
    etag = etag.strip()
    if etag.startswith("W/"):
        etag = etag[2:]
    return etag.strip('"')


def etag_matches(header: str, entity: Entity) -> bool:
    if header.strip() == "*":
        return True
    current = strip_quotes(entity.etag)
    return any(strip_quotes(candidate) == current for candidate in header.split(","))


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Recursive merge: nested objects merge, everything else (lists included) replaces."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge_patch(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


def request_properties(ctx: Ctx) -> dict[str, Any]:
    try:
        body = ctx.request.json()
    except ValueError as error:
        raise bad_request(f"The request body is not valid JSON: {error}", "InvalidRequestContent") from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", "InvalidRequestContent")
    props = body.get("properties", {})
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise bad_request("'properties' must be a JSON object.", "InvalidRequestContent")
    return copy.deepcopy(props)


def check_parents(ctx: Ctx) -> None:
    for coll_key, name, display in ctx.target.parents:
        if ctx.store.get(coll_key, name) is None:
            raise not_found(f"{display.rstrip('s').capitalize() or 'Parent'} '{name.split(';rev=')[0]}'")


class EntityHandler:
    """Implements the ARM verbs for stored entities."""

    def __init__(self, behavior: Behavior) -> None:
        self.behavior = behavior

    # -- helpers -------------------------------------------------------------------------
    def headers(self, ctx: Ctx, entity: Entity) -> dict[str, str]:
        return {"ETag": entity.etag} if ctx.route.etag else {}

    def render_body(self, ctx: Ctx, entity: Entity, name: str | None = None) -> dict[str, Any]:
        return ctx.body(entity, self.behavior.render(ctx, entity), name=name or self.behavior.display_name(ctx, entity))

    def load(self, ctx: Ctx) -> tuple[str, Entity | None]:
        entity_id = ctx.target.entity_id or ""
        name = self.behavior.storage_name(ctx, entity_id)
        return name, ctx.store.get(ctx.target.coll_key, name)

    def check_if_match(self, ctx: Ctx, entity: Entity | None, *, required: bool) -> None:
        header = ctx.request.header("if-match")
        if not ctx.route.etag:
            return
        if header is None or header == "":
            if required and not ctx.env.lenient:
                raise bad_request("The 'If-Match' header is required for this operation.", "IfMatchHeaderRequired")
            return
        if entity is None:
            if header.strip() != "*":
                raise ArmError(412, "PreconditionFailed", "The entity does not exist; the If-Match condition failed.")
            return
        if not etag_matches(header, entity):
            raise ArmError(412, "PreconditionFailed",
                           "The ETag in If-Match does not match the entity's current state; reload it and retry.")

    # -- verbs -----------------------------------------------------------------------------
    def handle(self, ctx: Ctx) -> Response:
        check_parents(ctx)
        method = ctx.request.method
        if ctx.target.action is not None:
            if method != "POST":
                raise ArmError(405, "MethodNotAllowed", f"Action '{ctx.target.action}' requires POST.")
            name, entity = self.load(ctx)
            if entity is None:
                raise not_found(f"Entity '{ctx.target.entity_id}'")
            return self.behavior.action(ctx, entity, ctx.target.action)
        if ctx.target.entity_id is None:
            if method != "GET":
                raise ArmError(405, "MethodNotAllowed", f"{method} is not supported on a collection.")
            return self.list(ctx)
        if method == "GET":
            return self.get(ctx)
        if method == "HEAD":
            _, entity = self.load(ctx)
            if entity is None:
                raise not_found(f"Entity '{ctx.target.entity_id}'")
            return Response.empty(ctx.route.head_status, self.headers(ctx, entity))
        if ctx.route.read_only:
            raise ArmError(405, "MethodNotAllowed", f"{method} is not supported here.")
        if method == "PUT":
            return self.put(ctx)
        if method == "PATCH" and ctx.route.patch:
            return self.patch(ctx)
        if method == "DELETE" and ctx.route.deletable:
            return self.delete(ctx)
        raise ArmError(405, "MethodNotAllowed", f"{method} is not supported on {ctx.route.kind}.")

    def list_entities(self, ctx: Ctx) -> list[Entity]:
        return ctx.store.list(ctx.target.coll_key)

    def list(self, ctx: Ctx) -> Response:
        items = [self.render_body(ctx, entity) for entity in self.list_entities(ctx)]
        return Response.json_body(200, page(ctx.request, items, orderable=ctx.route.orderable))

    def get(self, ctx: Ctx) -> Response:
        _, entity = self.load(ctx)
        if entity is None:
            raise not_found(f"Entity '{ctx.target.entity_id}'")
        special = self.behavior.get(ctx, entity)
        if special is not None:
            return special
        return Response.json_body(200, self.render_body(ctx, entity, name=ctx.target.entity_id),
                                  self.headers(ctx, entity))

    def put(self, ctx: Ctx) -> Response:
        name, existing = self.load(ctx)
        self.check_if_match(ctx, existing, required=False)
        props = request_properties(ctx)
        if existing is not None:
            for key in ctx.route.required:
                if key not in props and key in existing.properties:
                    props[key] = copy.deepcopy(existing.properties[key])
        return self.write(ctx, name, existing, props, patch=False)

    def write(self, ctx: Ctx, name: str, existing: Entity | None, props: dict[str, Any], *, patch: bool) -> Response:
        props, extra = self.behavior.prepare(ctx, props, existing, patch=patch)
        if not ctx.env.lenient:
            # write-only secrets (directory.py) count as given: they were moved to extra
            check_required(ctx.route.kind, ctx.route.required, {**extra, **props})
        if ctx.route.lro:
            props["provisioningState"] = "Succeeded"
        stored_name = existing.name if existing is not None else name
        check_conflicts(ctx, stored_name, existing, props)
        entity = Entity(stored_name, props, ctx.store.new_etag(), extra)
        ctx.store.put(ctx.target.coll_key, entity)
        self.behavior.after_put(ctx, entity, existing is None)
        status = ctx.route.patch_status if patch else 200 if existing is not None else ctx.route.created_status
        if status == 204:
            return Response.empty(204, self.headers(ctx, entity))
        return Response.json_body(status, self.render_body(ctx, entity, name=ctx.target.entity_id),
                                  self.headers(ctx, entity))

    def patch(self, ctx: Ctx) -> Response:
        name, existing = self.load(ctx)
        if existing is None:
            raise not_found(f"Entity '{ctx.target.entity_id}'")
        self.check_if_match(ctx, existing, required=True)
        merged = merge_patch(copy.deepcopy(existing.properties), request_properties(ctx))
        merged.pop("provisioningState", None)
        return self.write(ctx, name, existing, merged, patch=True)

    def delete(self, ctx: Ctx) -> Response:
        name, existing = self.load(ctx)
        if existing is None:
            return Response.empty(204)
        self.check_if_match(ctx, existing, required=ctx.route.delete_if_match)
        self.behavior.before_delete(ctx, existing)
        ctx.store.delete(ctx.target.coll_key, name)
        self.behavior.after_delete(ctx, existing)
        return Response.empty(200)
