"""APIs: revisions (``;rev=N``), releases, definition import on PUT and export on GET.

Why this needs its own behaviour: an API id names its current revision, a revision id names one
revision; releases and ``isCurrent`` switch which one is current; DELETE must refuse to orphan
revisions unless ``deleteRevisions=true``; PUT with ``format``/``value`` imports a definition.

Properties of the API as a whole (:data:`API_WIDE_PROPERTIES`) are shared by its revisions: a
write to a non-current revision that sends a different value is refused with the service's
``400 ValidationError "Can't change property Path for non-current revision "`` (message, trailing
space and ``details: null`` as reported in Azure/apiops #285 Description, #436 Path,
Azure/azure-powershell #9270 Name, hashicorp/terraform-provider-azurerm #18093 ApiVersion; the
property list is the one the APIOps v7 publisher copies from the current revision for that
reason). Omitted ones, and ones that only come from an imported definition, take the current
revision's values; a write to the current revision passes them on to the other revisions.
"""
from __future__ import annotations

import copy
import dataclasses
from typing import Any

from . import plugins, soap_rest
from .behavior import Behavior
from .blobs import PREFIX as BLOB_PREFIX, fetch_loopback
from .context import Ctx, now_iso, ref_name, relative_ref
from .errors import ArmError, bad_request, validation_error
from ..http import Response
from .locate import split_revision
from .references import remove_references
from .store import Entity, delete_collection

# Import formats whose value is a URL, and the inline format the importer understands for them.
LINK_FORMATS = {"openapi-link": "openapi", "openapi+json-link": "openapi+json", "swagger-link-json": "swagger-json",
                "swagger-link": "swagger-json",   # ApiManagementCreateApiUsingImportOverrideServiceUrl.json
                "wadl-link-json": "wadl-xml", "wsdl-link": "wsdl", "graphql-link": "graphql-link",
                "odata-link": "odata", "grpc-link": "grpc"}
# Export formats: requested ?format= -> (exporter format, ``format`` echoed in the result).
EXPORT_FORMATS = {"openapi-link": ("openapi", "openapi-link"), "openapi+json-link": ("openapi+json", "openapi+json-link"),
                  "swagger-link": ("swagger", "swagger-link-json"), "wadl-link": ("wadl", "wadl-link-json"),
                  "wsdl-link": ("wsdl", "wsdl-link+xml")}
_IMPORT_ONLY_PROPERTIES = ("format", "value", "wsdlSelector", "translateRequiredQueryParameters")
# property -> the name the service's "Can't change property X for non-current revision" message uses
API_WIDE_PROPERTIES = {"displayName": "Name", "description": "Description", "path": "Path", "apiVersion": "ApiVersion",
                       "protocols": "Protocols", "type": "Type", "subscriptionRequired": "SubscriptionRequired"}


def _same_api_wide(key: str, left: Any, right: Any) -> bool:
    if left in (None, "") and right in (None, ""):
        return True
    if key == "protocols" and isinstance(left, list) and isinstance(right, list):
        return sorted(str(p).lower() for p in left) == sorted(str(p).lower() for p in right)
    if key == "type" and isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    return left == right


def _requested_keys(ctx: Ctx) -> set[str]:
    """The ``properties`` keys the client actually sent (not merged, copied or imported ones)."""
    try:
        body = ctx.request.json()
    except ValueError:
        return set()
    props = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(props, dict):
        return set()
    keys = set(props)
    if "apiType" in keys:
        keys.add("type")
    return keys


def revisions_of(ctx: Ctx, apis_coll: str, base: str) -> list[Entity]:
    prefix = base.lower() + ";rev="
    return [e for e in ctx.store.list(apis_coll) if e.name.lower().startswith(prefix)]


def switch_current(ctx: Ctx, apis_coll: str, base: str, new_rev: str) -> None:
    """Make revision ``new_rev`` current (what a release or ``isCurrent: true`` does)."""
    index = ctx.env.revisions
    old_rev = index.current(apis_coll, base)
    target = ctx.store.get(apis_coll, f"{base};rev={new_rev}")
    if target is None:
        raise validation_error("apiId", f"Revision {new_rev} of API '{base}' does not exist.")
    if old_rev is not None and old_rev != new_rev:
        old = ctx.store.get(apis_coll, f"{base};rev={old_rev}")
        if old is not None:
            old.properties["isCurrent"] = False
            ctx.store.put(apis_coll, Entity(old.name, old.properties, ctx.store.new_etag(), old.extra))
    if not target.properties.get("isCurrent"):
        target.properties["isCurrent"] = True
        ctx.store.put(apis_coll, Entity(target.name, target.properties, ctx.store.new_etag(), target.extra))
    index.set_current(apis_coll, base, new_rev)


def _version_set_details(ctx: Ctx, ref: Any) -> dict[str, Any] | None:
    if not isinstance(ref, str) or not ref:
        return None
    try:
        target = ctx.env.locator.locate(relative_ref(ctx.service_id, ref))
    except ArmError:
        return None
    if target.entity_id is None or target.route.kind not in ("api_version_set", "workspace_api_version_set"):
        return None
    version_set = ctx.store.get(target.coll_key, target.entity_id)
    if version_set is None:
        return None
    details: dict[str, Any] = {"id": ctx.full_id(f"{target.display_parent}/{version_set.name}"), "name": version_set.name}
    for key in ("description", "versioningScheme", "versionQueryName", "versionHeaderName"):
        if version_set.properties.get(key) is not None:
            details[key] = version_set.properties[key]
    return details


def _fetch_link(ctx: Ctx, url: str) -> str:
    """The document behind an import link (``*-link`` formats). The service downloads any public
    URL; the emulator never reaches the internet, so it serves its own blob links from memory and
    downloads only from loopback hosts (``127.0.0.0/8``, ``::1``, ``localhost``), e.g. a test's
    local HTTP server. Anything else is a clear 400 naming the URL (the service would answer 400
    too for a link it cannot download, with a different message)."""
    document = ctx.env.blobs.resolve_url(url, ctx.env.own_hosts)
    if document is not None:
        return document[0]
    text = fetch_loopback(url, ctx.env.own_hosts)
    if text is None:
        raise validation_error("value", f"The emulator cannot download '{url}': it imports only links it serves "
                                        f"itself ({ctx.env.base_url()}{BLOB_PREFIX}...) or links to a loopback "
                                        f"host (127.0.0.1, ::1, localhost); it never fetches from the internet.")
    return text


class ApiBehavior(Behavior):
    def storage_name(self, ctx: Ctx, entity_id: str) -> str:
        return ctx.env.locator.api_key(ctx.target.coll_key, entity_id)

    def display_name(self, ctx: Ctx, entity: Entity) -> str:
        return split_revision(entity.name)[0] if entity.properties.get("isCurrent") else entity.name

    def prepare(self, ctx: Ctx, props: dict[str, Any], existing: Entity | None, *, patch: bool):
        apis_coll = ctx.target.coll_key
        storage = self.storage_name(ctx, ctx.target.entity_id or "")
        base, rev = split_revision(storage)
        scratch = ctx.scratch
        if not patch:
            source_ref = props.get("sourceApiId")
            if existing is None and isinstance(source_ref, str) and source_ref:
                source_key = self._source_key(ctx, source_ref)
                source = ctx.store.get(apis_coll, source_key) if source_key else None
                if source is None:
                    raise validation_error("sourceApiId", f"Source API '{source_ref}' does not exist.")
                merged = copy.deepcopy(source.properties)
                for key in ("isCurrent", "apiRevision", "apiRevisionDescription", "provisioningState"):
                    merged.pop(key, None)
                merged.update(props)
                props = merged
                scratch["copy_from"] = f"{apis_coll}/{source.name}"
            fmt, value = props.get("format"), props.get("value")
            if fmt and value is not None:
                scratch["import"] = self._import(ctx, str(fmt), value, base, props.get("wsdlSelector"),
                                                 props.get("apiType"))
                imported = copy.deepcopy(scratch["import"].properties or {})
                imported.update({k: v for k, v in props.items() if k not in _IMPORT_ONLY_PROPERTIES})
                props = imported
            api_type = props.pop("apiType", None)
            if api_type and "type" not in props:
                props["type"] = api_type
            for key in _IMPORT_ONLY_PROPERTIES:
                props.pop(key, None)
        current = ctx.env.revisions.current(apis_coll, base)
        wants_current = props.get("isCurrent") is True
        if existing is None:
            props["isCurrent"] = current is None
        else:
            props["isCurrent"] = bool(existing.properties.get("isCurrent"))
        if wants_current and not props["isCurrent"]:
            scratch["make_current"] = (apis_coll, base, rev)
        elif current is not None and rev != current:
            self._share_api_wide(ctx, props, ctx.store.get(apis_coll, f"{base};rev={current}"))
        props["apiRevision"] = rev
        props, extra = super().prepare(ctx, props, existing, patch=patch)
        if not props.get("displayName") and not ctx.env.lenient:
            raise validation_error("displayName", "'displayName' is required.")
        extra.setdefault("created", now_iso())
        extra["updated"] = now_iso()
        return props, extra

    @staticmethod
    def _share_api_wide(ctx: Ctx, props: dict[str, Any], current: Entity | None) -> None:
        """A non-current revision: refuse a sent API-wide property that differs from the current
        revision's; take the current revision's value for the others."""
        if current is None:
            return
        sent = _requested_keys(ctx)
        for key, label in API_WIDE_PROPERTIES.items():
            value = current.properties.get(key)
            if key in sent and props.get(key) is not None and not _same_api_wide(key, props[key], value):
                raise ArmError(400, "ValidationError", f"Can't change property {label} for non-current revision ")
            if value is None:
                props.pop(key, None)
            else:
                props[key] = copy.deepcopy(value)

    @staticmethod
    def _pass_on_api_wide(ctx: Ctx, apis_coll: str, entity: Entity) -> None:
        """The current revision was written: the other revisions share its API-wide properties."""
        base = split_revision(entity.name)[0]
        for other in revisions_of(ctx, apis_coll, base):
            if other.name.lower() == entity.name.lower():
                continue
            props = copy.deepcopy(other.properties)
            changed = False
            for key in API_WIDE_PROPERTIES:
                value = entity.properties.get(key)
                if props.get(key) != value:
                    changed = True
                    if value is None:
                        props.pop(key, None)
                    else:
                        props[key] = copy.deepcopy(value)
            if changed:
                ctx.store.put(apis_coll, Entity(other.name, props, ctx.store.new_etag(), other.extra))

    @staticmethod
    def _source_key(ctx: Ctx, source_ref: str) -> str | None:
        name = ref_name(source_ref, "apis")
        if name is None:
            return None
        return ctx.env.locator.api_key(ctx.target.coll_key, name)

    def _import(self, ctx: Ctx, fmt: str, value: Any, api_name: str, wsdl_selector: Any, api_type: Any = None):
        module = plugins.spec_import()
        text = str(value)
        if fmt in LINK_FORMATS:
            text = _fetch_link(ctx, text)
            fmt = LINK_FORMATS[fmt]
        try:
            imported = module.import_definition(fmt, text, api_name=api_name,
                                                wsdl_selector=wsdl_selector if isinstance(wsdl_selector, dict) else None)
        except ValueError as error:
            raise ArmError(400, "ValidationError", str(error)) from None
        if fmt == "wsdl" and str(api_type or "").lower() == "http":
            props, operations, policies = soap_rest.convert(imported.properties or {}, imported.operations or [])
            imported = dataclasses.replace(imported, properties=props, operations=operations)
            ctx.scratch["operation_policies"] = policies
        return imported

    def after_put(self, ctx: Ctx, entity: Entity, created: bool) -> None:
        apis_coll = ctx.target.coll_key
        base, rev = split_revision(entity.name)
        if entity.properties.get("isCurrent"):
            ctx.env.revisions.set_current(apis_coll, base, rev or "1")
            self._pass_on_api_wide(ctx, apis_coll, entity)
        entity_path = f"{apis_coll}/{entity.name.lower()}"
        copy_from = ctx.scratch.get("copy_from")
        if copy_from:
            source_prefix = copy_from.lower()
            for coll in ctx.store.collections_under(source_prefix):
                target_coll = entity_path + coll[len(source_prefix):]
                for child in ctx.store.list(coll):
                    ctx.store.put(target_coll, Entity(child.name, copy.deepcopy(child.properties),
                                                      ctx.store.new_etag(), copy.deepcopy(child.extra)))
        imported = ctx.scratch.get("import")
        if imported is not None:
            for child_coll, items in (("operations", imported.operations), ("schemas", imported.schemas)):
                coll = f"{entity_path}/{child_coll}"
                delete_collection(ctx.store, coll)
                for item in items or []:
                    ctx.store.put(coll, Entity(item["name"], copy.deepcopy(item.get("properties", {})),
                                               ctx.store.new_etag()))
            for op_name, policy in ctx.scratch.get("operation_policies", {}).items():
                ctx.store.put(f"{entity_path}/operations/{op_name.lower()}/policies",
                              Entity("policy", {"value": policy, "format": "xml"}, ctx.store.new_etag()))
        if "make_current" in ctx.scratch:
            switch_current(ctx, *ctx.scratch["make_current"])
            entity.properties["isCurrent"] = True
            self._pass_on_api_wide(ctx, apis_coll, entity)

    def render(self, ctx: Ctx, entity: Entity) -> dict[str, Any]:
        """What the service fills in on read:

        - ``apiVersionSet`` (ApiVersionSetContractDetails) on an API in a version set — on a single
          entity (PUT answer in ApiManagementCreateApiNewVersionUsingExistingApi.json) and on lists only
          with ``expandApiVersionSet=true`` (ApiManagementListApis.json shows ``apiVersionSetId`` alone);
          ``tags`` (spec: "Include tags in the response") changes nothing.
        - ``authenticationSettings.oAuth2AuthenticationSettings``: the service lists the single
          ``oAuth2`` setting there too (ApiManagementCreateApi.json, ApiManagementGetApiContract.json);
          ``openid`` is not mirrored (ApiManagementCreateApiWithOpenIdConnect.json).
        """
        props = super().render(ctx, entity)
        single = ctx.target.entity_id is not None
        expand = str(ctx.request.query.get("expandApiVersionSet", "")).lower() == "true"
        details = _version_set_details(ctx, props.get("apiVersionSetId")) if single or expand else None
        if details is not None:
            props["apiVersionSet"] = details
        auth = props.get("authenticationSettings")
        if isinstance(auth, dict) and isinstance(auth.get("oAuth2"), dict) and not auth.get("oAuth2AuthenticationSettings"):
            props["authenticationSettings"] = {**auth, "oAuth2AuthenticationSettings": [copy.deepcopy(auth["oAuth2"])]}
        return props

    def get(self, ctx: Ctx, entity: Entity) -> Response | None:
        if str(ctx.request.query.get("export", "")).lower() != "true":
            return None
        requested = ctx.request.query.get("format", "")
        if requested not in EXPORT_FORMATS:
            raise bad_request(f"Unsupported export format '{requested}'. Use one of: {', '.join(EXPORT_FORMATS)}.")
        module = plugins.spec_export()
        fmt, echoed = EXPORT_FORMATS[requested]
        entity_path = f"{ctx.target.coll_key}/{entity.name.lower()}"
        api_body = ctx.body(entity, self.render(ctx, entity), name=ctx.target.entity_id)
        child = f"{ctx.target.display_parent}/{ctx.target.entity_id}"
        operations = [ctx.body(op, copy.deepcopy(op.properties), display_parent=f"{child}/operations")
                      for op in ctx.store.list(f"{entity_path}/operations")]
        schemas = [ctx.body(schema, copy.deepcopy(schema.properties), display_parent=f"{child}/schemas")
                   for schema in ctx.store.list(f"{entity_path}/schemas")]
        server_url = f"https://{ctx.env.service.service_name}.azure-api.net/{entity.properties.get('path', '')}".rstrip("/")
        try:
            text, content_type = module.export_definition(fmt, api_body, operations, schemas, server_url=server_url)
        except ValueError as error:
            raise ArmError(400, "ValidationError", str(error)) from None
        token = ctx.env.blobs.put(text, content_type)
        link = f"{ctx.env.base_url()}{BLOB_PREFIX}{token}"
        # The spec (ApiExportResult) puts ``format``/``value`` beside ``id``; the service nests them under
        # ``properties`` (Azure/azure-sdk-for-java #36332: "in response, format and value is under
        # properties"), so the SDK's ApiExportResult.value comes back None. The emulator answers as the service.
        return Response.json_body(200, {"id": api_body["id"], "properties": {"format": echoed, "value": {"link": link}}})

    def before_delete(self, ctx: Ctx, entity: Entity) -> None:
        base, _ = split_revision(entity.name)
        others = [e for e in revisions_of(ctx, ctx.target.coll_key, base) if e.name.lower() != entity.name.lower()]
        delete_all = str(ctx.request.query.get("deleteRevisions", "")).lower() == "true"
        ctx.scratch["delete_others"] = others if delete_all else []
        if entity.properties.get("isCurrent") and others and not delete_all:
            raise bad_request(f"API '{base}' has other revisions; delete them first or pass deleteRevisions=true.",
                              "ValidationError")

    def after_delete(self, ctx: Ctx, entity: Entity) -> None:
        apis_coll = ctx.target.coll_key
        base, _ = split_revision(entity.name)
        for other in ctx.scratch.get("delete_others", []):
            ctx.store.delete(apis_coll, other.name)
        if entity.properties.get("isCurrent"):
            ctx.env.revisions.forget(apis_coll, base)
        if not revisions_of(ctx, apis_coll, base):
            ctx.store.delete_children(f"{apis_coll}/{base}")
            remove_references(ctx, "apis", base, ctx.target.scope_key)


class ReleaseBehavior(Behavior):
    """A release makes the revision named by its ``apiId`` the current one."""

    def prepare(self, ctx: Ctx, props: dict[str, Any], existing: Entity | None, *, patch: bool):
        props, extra = super().prepare(ctx, props, existing, patch=patch)
        api_ref = props.get("apiId")
        apis_coll, api_storage, _ = ctx.target.parents[-1]
        base = split_revision(api_storage)[0]
        if isinstance(api_ref, str) and api_ref:
            name = ref_name(relative_ref(ctx.service_id, api_ref), "apis") or ""
            ref_base, rev = split_revision(name)
            if ref_base.lower() != base.lower():
                raise validation_error("apiId", f"Release apiId must reference a revision of API '{base}'.")
            if rev is not None:
                if ctx.store.get(apis_coll, f"{base};rev={rev}") is None:
                    raise validation_error("apiId", f"Revision {rev} of API '{base}' does not exist.")
                ctx.scratch["release"] = (apis_coll, base, rev)
        return props, extra

    def after_put(self, ctx: Ctx, entity: Entity, created: bool) -> None:
        if "release" in ctx.scratch:
            switch_current(ctx, *ctx.scratch["release"])
