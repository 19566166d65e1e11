"""Uniqueness rules the service enforces across entities of one collection (400 ValidationError).

Each rule is written from a public report of the service's answer (message text as reported):

- APIs: two APIs may share a ``path`` only when both belong to the same version set —
  "Cannot create API 'b' with the same Path 'p' as API 'a'  unless it's a part of the same version
  set" (target ``path``; note the double space) — Azure/apiops #712, #343, Azure/azure-powershell #11027.
- Named values: ``displayName`` is unique — "Property with the same name already exist." (target
  ``name``) — Azure/apiops #837 (the maintainer: "the portal won't let you create a named value with
  an already existing display name").
- Products: ``displayName`` is unique — "Product with the same name already exists" (target
  ``name``) — Azure/apiops #606.
- Link resources (``products/{p}/apiLinks``, ``groupLinks``, ``tags/{t}/apiLinks|productLinks|
  operationLinks``): one link per target; a second link with another name to the same target is
  refused. Source: the APIOps publisher deletes an existing link to the same target before it PUTs
  one "because APIM rejects duplicate links with different link names" (reference notes on Azure/apiops
  v7, ``apiops.md``). The message is ours (no public text).
"""
from __future__ import annotations

from typing import Any

from .context import Ctx, ref_name
from .errors import ArmError
from .locate import split_revision
from .store import Entity


def _detail_error(target: str, message: str) -> ArmError:
    return ArmError(400, "ValidationError", "One or more fields contain incorrect values:",
                    [{"code": "ValidationError", "target": target, "message": message}])


def _same_text(left: Any, right: Any) -> bool:
    return isinstance(left, str) and isinstance(right, str) and left.strip().lower() == right.strip().lower()


def _norm_path(value: Any) -> str:
    return str(value or "").strip().strip("/").lower()


def _version_set(value: Any) -> str:
    return (ref_name(str(value or ""), "apiVersionSets") or "").lower()


def _api_path(ctx: Ctx, name: str, props: dict[str, Any]) -> None:
    base = split_revision(name)[0].lower()
    path = _norm_path(props.get("path"))
    mine = _version_set(props.get("apiVersionSetId"))
    for other in ctx.store.list(ctx.target.coll_key):
        other_base = split_revision(other.name)[0]
        if other_base.lower() == base or not other.properties.get("isCurrent"):
            continue
        if _norm_path(other.properties.get("path")) != path:
            continue
        theirs = _version_set(other.properties.get("apiVersionSetId"))
        if mine and mine == theirs:
            continue
        raise _detail_error("path", f"Cannot create API '{split_revision(name)[0]}' with the same Path "
                                    f"'{props.get('path', '')}' as API '{other_base}'  unless it's a part of the "
                                    f"same version set")


def _unique_display_name(ctx: Ctx, name: str, props: dict[str, Any], message: str) -> None:
    display = props.get("displayName")
    for other in ctx.store.list(ctx.target.coll_key):
        if other.name.lower() != name.lower() and _same_text(other.properties.get("displayName"), display):
            raise _detail_error("name", message)


_LINK_PROPERTY = {"product_api_link": "apiId", "product_group_link": "groupId", "tag_api_link": "apiId",
                  "tag_product_link": "productId", "tag_operation_link": "operationId"}


def _link_target(value: Any) -> str:
    text = str(value or "").lower().rstrip("/")
    marker = "/providers/microsoft.apimanagement/service/"
    if marker in text:
        text = text.split(marker, 1)[1].split("/", 1)[-1]
    return ";".join(part for part in text.split(";") if not part.startswith("rev=")).strip("/")


def _unique_link(ctx: Ctx, name: str, props: dict[str, Any], prop: str) -> None:
    wanted = _link_target(props.get(prop))
    for other in ctx.store.list(ctx.target.coll_key):
        if other.name.lower() != name.lower() and _link_target(other.properties.get(prop)) == wanted:
            raise _detail_error(prop, f"A link to '{props.get(prop)}' already exists with the name '{other.name}'.")


def check_conflicts(ctx: Ctx, name: str, existing: Entity | None, props: dict[str, Any]) -> None:
    """Raise the service's 400 when ``props`` (about to be stored as ``name``) breaks a rule."""
    kind = ctx.route.kind[len("workspace_"):] if ctx.route.kind.startswith("workspace_") else ctx.route.kind
    if kind == "api" and props.get("path") is not None:
        _api_path(ctx, name, props)
    elif kind == "named_value":
        _unique_display_name(ctx, name, props, "Property with the same name already exist.")
    elif kind == "product":
        _unique_display_name(ctx, name, props, "Product with the same name already exists")
    elif kind in _LINK_PROPERTY:
        _unique_link(ctx, name, props, _LINK_PROPERTY[kind])
