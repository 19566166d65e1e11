"""Policies and policy fragments: the stored text is exactly what was PUT (with its format);
GET converts to the requested ``format`` (xml = expressions escaped, rawxml = unescaped).

Deliberate difference from the service: APIM re-formats a stored policy. Microsoft's examples
(ApiManagementCreatePolicy.json, ApiManagementGetPolicy.json) return it with CRLF line ends,
2-space indentation and empty sections collapsed to ``<inbound />``; that is also why extracted
real-world trees hold CRLF policy files. So on the service the text a client reads back is not
byte-identical to what it PUT. The emulator does not imitate that layout: it returns the text as
stored (only the xml/rawxml escaping changes), because byte-level expectations elsewhere (the
client's change detection and its tests) rely on it. A client must still compare policies modulo
whitespace and line ends to work against the real service.
"""
from __future__ import annotations

import copy
from typing import Any

from .behavior import Behavior
from .blobs import PREFIX as BLOB_PREFIX
from .context import Ctx
from .errors import bad_request, validation_error
from ..http import Response
from .integrity import check_policy_document, policies_including, reference_body, refuse_fragment_in_use
from .paging import page
from .policy_xml import convert
from .store import Entity

_PUT_FORMATS = ("xml", "xml-link", "rawxml", "rawxml-link")
_GET_FORMATS = ("xml", "rawxml")


def _requested_format(ctx: Ctx, default: str) -> str:
    wanted = ctx.request.query.get("format") or default
    if wanted not in _GET_FORMATS:
        raise bad_request(f"Unsupported format '{wanted}'; use xml or rawxml.")
    return wanted


class PolicyBehavior(Behavior):
    fragment = False

    def storage_name(self, ctx: Ctx, entity_id: str) -> str:
        if not self.fragment and entity_id.lower() != "policy":
            raise bad_request(f"Policy id must be 'policy', not '{entity_id}'.", "ValidationError")
        return "policy" if not self.fragment else entity_id

    def prepare(self, ctx: Ctx, props: dict[str, Any], existing: Entity | None, *, patch: bool):
        fmt = props.get("format") or "xml"
        if fmt not in _PUT_FORMATS:
            raise validation_error("format", f"Unsupported policy format '{fmt}'.")
        value = props.get("value")
        if fmt.endswith("-link") and isinstance(value, str):
            document = ctx.env.blobs.resolve_url(value, ctx.env.own_hosts)
            if document is None:
                raise validation_error("value", f"The emulator cannot download '{value}'; only its own "
                                                f"{BLOB_PREFIX} links are supported.")
            value, fmt = document[0], fmt[: -len("-link")]
        if value is not None and not isinstance(value, str):
            raise validation_error("value", "'value' must be a string.")
        if isinstance(value, str):
            check_policy_document(ctx, value, fragment=self.fragment)
        props["value"], props["format"] = value, fmt
        ctx.scratch["put_format"] = fmt
        return super().prepare(ctx, props, existing, patch=patch)

    def render_in(self, entity: Entity, wanted: str) -> dict[str, Any]:
        props = copy.deepcopy(entity.properties)
        stored = props.get("format") or "xml"
        if isinstance(props.get("value"), str):
            props["value"] = convert(props["value"], stored, wanted)
        if wanted == "rawxml":
            props["format"] = "rawxml"
        else:
            props.pop("format", None)
        return props

    def render(self, ctx: Ctx, entity: Entity) -> dict[str, Any]:
        if ctx.request.method == "PUT":
            return self.render_in(entity, ctx.scratch.get("put_format", "xml"))
        if ctx.target.entity_id is None:
            return self.render_in(entity, "xml")
        return self.render_in(entity, _requested_format(ctx, "xml"))


class PolicyFragmentBehavior(PolicyBehavior):
    fragment = True

    def render(self, ctx: Ctx, entity: Entity) -> dict[str, Any]:
        props = super().render(ctx, entity)
        props["format"] = "rawxml" if ctx.request.query.get("format") == "rawxml" else props.get("format", "xml")
        return props

    def action(self, ctx: Ctx, entity: Entity, action: str) -> Response:
        """``listReferences``: the policies that include the fragment (workspace policies count
        when their workspace has no fragment of the same id)."""
        refs = [reference_body(ctx, path, arm_type, policy)
                for path, arm_type, policy in policies_including(ctx.env, ctx.target.scope_key, entity.name)]
        return Response.json_body(200, page(ctx.request, refs, filterable=False))

    def before_delete(self, ctx: Ctx, entity: Entity) -> None:
        """The service refuses to delete a fragment that a policy still includes."""
        refuse_fragment_in_use(ctx, entity)
