"""Association endpoints that are views over link entities, plus synthesised read-only lists.

Why views: the service exposes one association in two styles — the old ``products/{p}/apis/{a}``,
``apis/{a}/tags/{t}`` endpoints (return the linked API/tag) and the newer ``apiLinks``/
``groupLinks``/``*Links`` resources. Storing only the link entities and deriving the old
endpoints from them keeps both styles consistent whichever one a client writes.
"""
from __future__ import annotations

import copy
from typing import Any

from .context import Ctx, ref_name
from .crud import check_parents
from .errors import ArmError, not_found
from ..http import Response
from .locate import split_revision
from .paging import page
from .routes import route_index
from .store import Entity

_ROUTES = route_index()
_API_ROUTE = _ROUTES[("apis",)]
_GROUP_ROUTE = _ROUTES[("groups",)]
_TAG_ROUTE = _ROUTES[("tags",)]
_PRODUCT_ROUTE = _ROUTES[("products",)]


def _base(name: str | None) -> str:
    return split_revision(name or "")[0].lower()


def _api_entity(ctx: Ctx, name: str) -> Entity | None:
    coll = f"{ctx.target.scope_key}apis"
    return ctx.store.get(coll, ctx.env.locator.api_key(coll, name))


def _api_body(ctx: Ctx, entity: Entity, display_parent: str = "apis", route=None) -> dict[str, Any]:
    name = split_revision(entity.name)[0] if entity.properties.get("isCurrent") else entity.name
    return ctx.body(entity, copy.deepcopy(entity.properties), name=name, display_parent=display_parent,
                    route=route or _API_ROUTE)


class _View:
    """Dispatches verbs to ``items/find/add/remove`` implemented by subclasses."""

    def handle(self, ctx: Ctx) -> Response:
        check_parents(ctx)
        method = ctx.request.method
        if ctx.target.entity_id is None:
            if method != "GET":
                raise ArmError(405, "MethodNotAllowed", f"{method} is not supported on a collection.")
            return Response.json_body(200, page(ctx.request, self.items(ctx)))
        if ctx.route.read_only:
            raise ArmError(405, "MethodNotAllowed", f"{method} is not supported here.")
        if method in ("GET", "HEAD"):
            body = self.find(ctx, ctx.target.entity_id)
            if body is None:
                raise not_found(f"Association '{ctx.target.entity_id}'")
            etag = self.etag(ctx, ctx.target.entity_id)
            headers = {"ETag": etag} if etag else {}
            if method == "HEAD":
                return Response.empty(ctx.route.head_status, headers)
            return Response.json_body(200, body, headers)
        if method == "PUT":
            created, body = self.add(ctx, ctx.target.entity_id)
            return Response.json_body(201 if created else 200, body)
        if method == "DELETE":
            return Response.empty(200 if self.remove(ctx, ctx.target.entity_id) else 204)
        raise ArmError(405, "MethodNotAllowed", f"{method} is not supported on {ctx.route.kind}.")

    def items(self, ctx: Ctx) -> list[dict[str, Any]]:
        raise NotImplementedError

    def etag(self, ctx: Ctx, name: str) -> str | None:
        """The ETag a GET/HEAD of one association answers with (None: the spec shows none)."""
        return None

    def find(self, ctx: Ctx, name: str) -> dict[str, Any] | None:
        wanted = name.lower()
        return next((item for item in self.items(ctx) if item["name"].lower() == wanted), None)

    def add(self, ctx: Ctx, name: str) -> tuple[bool, dict[str, Any]]:
        raise NotImplementedError

    def remove(self, ctx: Ctx, name: str) -> bool:
        raise NotImplementedError


class _LinkView(_View):
    """Old-style ``products/{p}/apis|groups/{x}`` over ``products/{p}/apiLinks|groupLinks``."""

    link_collection = ""
    link_property = ""
    target_collection = ""

    def link_coll(self, ctx: Ctx) -> str:
        coll, name, _ = ctx.target.parents[-1]
        return f"{coll}/{name.lower()}/{self.link_collection}"

    def target_entity(self, ctx: Ctx, name: str) -> Entity | None:
        raise NotImplementedError

    def target_body(self, ctx: Ctx, entity: Entity) -> dict[str, Any]:
        raise NotImplementedError

    def links_to(self, ctx: Ctx, name: str) -> list[Entity]:
        return [link for link in ctx.store.list(self.link_coll(ctx))
                if _base(ref_name(str(link.properties.get(self.link_property, "")), self.target_collection)) == _base(name)]

    def items(self, ctx: Ctx) -> list[dict[str, Any]]:
        bodies, seen = [], set()
        for link in ctx.store.list(self.link_coll(ctx)):
            name = ref_name(str(link.properties.get(self.link_property, "")), self.target_collection)
            entity = self.target_entity(ctx, name or "") if name else None
            if entity is not None and _base(name) not in seen:
                seen.add(_base(name))
                bodies.append(self.target_body(ctx, entity))
        return bodies

    def add(self, ctx: Ctx, name: str) -> tuple[bool, dict[str, Any]]:
        entity = self.target_entity(ctx, name)
        if entity is None:
            raise not_found(f"{self.target_collection[:-1].capitalize()} '{name}'")
        created = not self.links_to(ctx, name)
        if created:
            ref = ctx.full_id(f"{ctx.target.scope_key}{self.target_collection}/{split_revision(name)[0]}")
            ctx.store.put(self.link_coll(ctx), Entity(split_revision(name)[0], {self.link_property: ref},
                                                      ctx.store.new_etag()))
        return created, self.target_body(ctx, entity)

    def remove(self, ctx: Ctx, name: str) -> bool:
        links = self.links_to(ctx, name)
        for link in links:
            ctx.store.delete(self.link_coll(ctx), link.name)
        return bool(links)


class ProductApiView(_LinkView):
    link_collection, link_property, target_collection = "apilinks", "apiId", "apis"

    def target_entity(self, ctx: Ctx, name: str) -> Entity | None:
        return _api_entity(ctx, name)

    def target_body(self, ctx: Ctx, entity: Entity) -> dict[str, Any]:
        return _api_body(ctx, entity)


class ProductGroupView(_LinkView):
    link_collection, link_property, target_collection = "grouplinks", "groupId", "groups"

    def target_entity(self, ctx: Ctx, name: str) -> Entity | None:
        return ctx.store.get(f"{ctx.target.scope_key}groups", name)

    def target_body(self, ctx: Ctx, entity: Entity) -> dict[str, Any]:
        return ctx.body(entity, copy.deepcopy(entity.properties), display_parent="groups", route=_GROUP_ROUTE)


class TagAssignmentView(_View):
    """``apis/{a}/tags/{t}``, ``apis/{a}/operations/{o}/tags/{t}``, ``products/{p}/tags/{t}`` over
    ``tags/{t}/apiLinks|operationLinks|productLinks``."""

    def _spec(self, ctx: Ctx) -> tuple[str, str, str, str | None]:
        """(link collection, link property, target name, api name for operations)."""
        parents = ctx.target.parents
        kind = ctx.route.kind
        if kind == "api_operation_tag":
            return "operationlinks", "operationId", parents[-1][1], split_revision(parents[-2][1])[0]
        if kind == "product_tag":
            return "productlinks", "productId", parents[-1][1], None
        return "apilinks", "apiId", split_revision(parents[-1][1])[0], None

    def _target_ref(self, ctx: Ctx) -> str:
        link_coll, _, name, api = self._spec(ctx)
        if link_coll == "operationlinks":
            return ctx.full_id(f"apis/{api}/operations/{name}")
        return ctx.full_id(f"{'products' if link_coll == 'productlinks' else 'apis'}/{name}")

    def _links(self, ctx: Ctx, tag: str) -> list[Entity]:
        link_coll, prop, name, api = self._spec(ctx)
        matches = []
        for link in ctx.store.list(f"tags/{tag.lower()}/{link_coll}"):
            ref = str(link.properties.get(prop, ""))
            if link_coll == "operationlinks":
                hit = (ref_name(ref, "operations") or "").lower() == name.lower() and _base(ref_name(ref, "apis")) == (api or "").lower()
            else:
                hit = _base(ref_name(ref, "apis" if link_coll == "apilinks" else "products")) == _base(name)
            if hit:
                matches.append(link)
        return matches

    def items(self, ctx: Ctx) -> list[dict[str, Any]]:
        return [ctx.body(tag, copy.deepcopy(tag.properties), display_parent="tags", route=_TAG_ROUTE)
                for tag in ctx.store.list("tags") if self._links(ctx, tag.name)]

    def etag(self, ctx: Ctx, name: str) -> str | None:
        """HEAD/GET of an API, operation or product tag answer with the tag's ETag
        (ApiManagementHeadApiTag.json, ApiManagementHeadProductTag.json)."""
        tag = ctx.store.get("tags", name)
        return tag.etag if tag is not None else None

    def add(self, ctx: Ctx, name: str) -> tuple[bool, dict[str, Any]]:
        tag = ctx.store.get("tags", name)
        if tag is None:
            raise not_found(f"Tag '{name}'")
        link_coll, prop, target, api = self._spec(ctx)
        created = not self._links(ctx, tag.name)
        if created:
            coll = f"tags/{tag.name.lower()}/{link_coll}"
            link_name = target if ctx.store.get(coll, target) is None else f"{api}-{target}"
            ctx.store.put(coll, Entity(link_name, {prop: self._target_ref(ctx)}, ctx.store.new_etag()))
        return created, ctx.body(tag, copy.deepcopy(tag.properties), display_parent="tags", route=_TAG_ROUTE)

    def remove(self, ctx: Ctx, name: str) -> bool:
        link_coll = self._spec(ctx)[0]
        links = self._links(ctx, name)
        for link in links:
            ctx.store.delete(f"tags/{name.lower()}/{link_coll}", link.name)
        return bool(links)


class GatewayApiView(_View):
    """``gateways/{g}/apis/{a}``: association entities rendered as the API they point at."""

    def etag(self, ctx: Ctx, name: str) -> str | None:
        """ApiManagementHeadGatewayApi.json answers 200 with an ETag."""
        association = ctx.store.get(ctx.target.coll_key, split_revision(name)[0])
        return association.etag if association is not None else None

    def items(self, ctx: Ctx) -> list[dict[str, Any]]:
        bodies = []
        for association in ctx.store.list(ctx.target.coll_key):
            api = _api_entity(ctx, association.name)
            if api is not None:
                body = _api_body(ctx, api, display_parent=ctx.target.display_parent, route=ctx.route)
                body["name"] = association.name
                body["id"] = ctx.full_id(f"{ctx.target.display_parent}/{association.name}")
                bodies.append(body)
        return bodies

    def add(self, ctx: Ctx, name: str) -> tuple[bool, dict[str, Any]]:
        api = _api_entity(ctx, name)
        if api is None:
            raise not_found(f"Api '{name}'")
        base = split_revision(name)[0]
        created = ctx.store.get(ctx.target.coll_key, base) is None
        if created:
            ctx.store.put(ctx.target.coll_key, Entity(base, {"provisioningState": "created"}, ctx.store.new_etag()))
        return created, self.find(ctx, base) or {}

    def remove(self, ctx: Ctx, name: str) -> bool:
        return ctx.store.delete(ctx.target.coll_key, split_revision(name)[0])


class RevisionsView(_View):
    """``apis/{a}/revisions``: one item per revision, without id/name/type (spec)."""

    def items(self, ctx: Ctx) -> list[dict[str, Any]]:
        apis_coll, storage, display = ctx.target.parents[-1]
        base = split_revision(storage)[0]
        prefix = base.lower() + ";rev="
        items = []
        for entity in ctx.store.list(apis_coll):
            if not entity.name.lower().startswith(prefix):
                continue
            props = entity.properties
            path = props.get("path", "")
            items.append({"apiId": ctx.full_id(f"{ctx.target.display_parent.rsplit('/', 2)[0]}/{entity.name}"),
                          "apiRevision": props.get("apiRevision"), "createdDateTime": entity.extra.get("created"),
                          "updatedDateTime": entity.extra.get("updated"),
                          "description": props.get("apiRevisionDescription"),
                          "privateUrl": f"/{path};rev={props.get('apiRevision')}" if not props.get("isCurrent") else None,
                          "isOnline": props.get("isOnline", True), "isCurrent": bool(props.get("isCurrent"))})
        items.sort(key=lambda item: int(item["apiRevision"]) if str(item["apiRevision"]).isdigit() else 0)
        return items


class ApiProductsView(_View):
    """``apis/{a}/products``: the products that contain the API."""

    def items(self, ctx: Ctx) -> list[dict[str, Any]]:
        base = split_revision(ctx.target.parents[-1][1])[0].lower()
        scope = ctx.target.scope_key
        bodies = []
        for product in ctx.store.list(f"{scope}products"):
            links = ctx.store.list(f"{scope}products/{product.name.lower()}/apilinks")
            if any(_base(ref_name(str(link.properties.get("apiId", "")), "apis")) == base for link in links):
                bodies.append(ctx.body(product, copy.deepcopy(product.properties), display_parent="products",
                                       route=_PRODUCT_ROUTE))
        return bodies


class ApisByTagsView(_View):
    """``apisByTags``: one item per (API, tag) pair; with ``includeNotTaggedApis=true`` also APIs
    without tags (shape of ApiManagementListApisByTags.json: ``tag``/``api`` with service-relative
    ids and the display names in ``name``)."""

    def items(self, ctx: Ctx) -> list[dict[str, Any]]:
        include_untagged = str(ctx.request.query.get("includeNotTaggedApis", "")).lower() == "true"
        tagged: dict[str, list[Entity]] = {}
        for tag in ctx.store.list("tags"):
            for link in ctx.store.list(f"tags/{tag.name.lower()}/apilinks"):
                api_name = _base(ref_name(str(link.properties.get("apiId", "")), "apis"))
                tagged.setdefault(api_name, []).append(tag)
        items = []
        for api in ctx.store.list("apis"):
            if not api.properties.get("isCurrent"):
                continue
            base = split_revision(api.name)[0]
            props = api.properties
            api_body = {"id": f"/apis/{base}", "name": props.get("displayName"), "apiRevision": props.get("apiRevision"),
                        "serviceUrl": props.get("serviceUrl"), "path": props.get("path"),
                        "isCurrent": True, "protocols": props.get("protocols"), "apiVersion": props.get("apiVersion")}
            api_body = {key: value for key, value in api_body.items() if value is not None}
            tags = tagged.get(base.lower(), [])
            for tag in tags:
                items.append({"tag": {"id": f"/tags/{tag.name}", "name": tag.properties.get("displayName")},
                              "api": api_body})
            if not tags and include_untagged:
                items.append({"api": api_body})
        return items


VIEWS = {"apis_by_tags": ApisByTagsView(), "product_api": ProductApiView(), "product_group": ProductGroupView(), "tag_assignment": TagAssignmentView(),
         "gateway_api": GatewayApiView(), "revisions": RevisionsView(), "api_products": ApiProductsView()}
