"""One normaliser for resource bodies, used both ways: extract writes its output, plan compares with it.

Using the same function on both sides is what makes "extract, then plan" report no changes:
whatever the service adds or reshapes (read-only fields, absolute ids, nulls, set-like lists in
random order) is removed or canonicalised identically for the tree and for the instance.

Unlike the .NET tool (DTO whitelisting, Azure/apiops #91) EVERY property the service returns is
kept, except what the kind table marks as read-only or secret; unknown and future properties
survive a round trip.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from .kinds import KIND_BY_NAME, Kind
from .model import ResourceKey, canonical_json

__all__ = [
    "MASK",
    "mask_secrets",
    "has_masks",
    "unmask",
    "normalise_body",
    "relative_id",
    "same_body",
    "body_differences",
    "SERVICE_ID_PATTERN",
    "drop_path",
]

#: an id of (something inside) an APIM instance; the instance part is what ``relative_id`` removes
SERVICE_ID_PATTERN = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.ApiManagement/service/[^/]+(?=/|$)",
    re.IGNORECASE,
)

#: what extract writes instead of a secret the instance returned in clear (``Kind.masked_fields``)
MASK = "***"

#: a value that is a named-value reference only (``{{name}}``) is no secret: it is kept as is
_REFERENCE_ONLY = re.compile(r"^\s*\{\{[^{}]+\}\}\s*$")


def _matches(node: Any, steps: list[str], trail: list[tuple[Any, Any]]) -> Any:
    """Yield the trail ``[(container, key), ...]`` from ``node`` down to every leaf ``steps`` names.

    A step ``*`` is any key of a mapping; a step ending in ``[]`` steps into every list item.
    """
    if not steps or not isinstance(node, Mapping):
        return
    step, rest = steps[0], steps[1:]
    into_list = step.endswith("[]")
    name = step[:-2] if into_list else step
    names = list(node) if name == "*" else ([name] if name in node else [])
    for child_name in names:
        here = trail + [(node, child_name)]
        child = node[child_name]
        if into_list:
            if not isinstance(child, list):
                continue
            for index, item in enumerate(child):
                if rest:
                    yield from _matches(item, rest, here + [(child, index)])
                else:
                    yield here + [(child, index)]
        elif rest:
            yield from _matches(child, rest, here)
        else:
            yield here


def _masked_leaves(row: Kind, properties: Mapping[str, Any]) -> list[list[tuple[Any, Any]]]:
    found = []
    for field_name in row.masked_fields:
        found.extend(_matches(properties, _strip_prefix(field_name).split("."), []))
    return found


def mask_secrets(row: Kind, properties: dict[str, Any]) -> dict[str, Any]:
    """Replace, in place, every literal secret of ``row.masked_fields`` by ``MASK``; returns ``properties``.

    ``{{named value}}`` references are kept (they are where a secret belongs); nulls are left to
    the null rule. Why mask rather than drop: the tree must still say that the header or key
    exists, so publish puts the live value back instead of sending a body without it.
    """
    for trail in _masked_leaves(row, properties):
        container, name = trail[-1]
        value = container[name]
        if value is None or (isinstance(value, str) and (value == MASK or _REFERENCE_ONLY.match(value))):
            continue
        container[name] = MASK
    return properties


def has_masks(key: ResourceKey, body: Mapping[str, Any]) -> bool:
    """Whether ``body`` (``{"properties": ...}``) holds a ``MASK`` at one of its kind's masked fields."""
    properties = body.get("properties") if isinstance(body, Mapping) else None
    if not key.row.masked_fields or not isinstance(properties, Mapping):
        return False
    return any(trail[-1][0][trail[-1][1]] == MASK for trail in _masked_leaves(key.row, properties))


def _follow(node: Any, trail: list[tuple[Any, Any]]) -> tuple[bool, Any]:
    for _container, name in trail:
        if isinstance(node, Mapping) and isinstance(name, str) and name in node:
            node = node[name]
        elif isinstance(node, list) and isinstance(name, int) and 0 <= name < len(node):
            node = node[name]
        else:
            return False, None
    return True, node


def unmask(key: ResourceKey, properties: Mapping[str, Any], live: Mapping[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """``properties`` with every ``MASK`` replaced by the live value at the same place.

    A mask with no live value (a create, or the live resource lacks it) is left out, and so is
    a map or list it leaves empty: a mask is never sent as a value. Returns the new properties
    and the dotted paths left out (for a warning).
    """
    result = _copy(properties)
    live_props = live if isinstance(live, Mapping) else {}
    removals: list[list[tuple[Any, Any]]] = []
    for trail in _masked_leaves(key.row, result):
        container, name = trail[-1]
        if container[name] != MASK:
            continue
        found, value = _follow(live_props, trail)
        if found and value is not None and value != MASK:
            container[name] = _copy(value)
        else:
            removals.append(trail)
    dropped: list[str] = []
    # remove from the deepest list index down so earlier indices stay valid
    for trail in sorted(removals, key=lambda t: [n if isinstance(n, int) else 0 for _, n in t], reverse=True):
        dropped.append(".".join(str(n) for _, n in trail if isinstance(n, str)))
        for container, name in reversed(trail):
            if isinstance(container, list):
                if name < len(container):
                    del container[name]
            else:
                container.pop(name, None)
            if container:  # stop at the first container that still holds something
                break
    return result, sorted(set(dropped))


def drop_path(body: dict[str, Any], path: str) -> None:
    """Remove the dotted ``path`` from ``body`` in place, if it is there (what a comparison must not see)."""
    steps = path.split(".")
    current: Any = body
    for step in steps[:-1]:
        current = current.get(step) if isinstance(current, dict) else None
    if isinstance(current, dict):
        current.pop(steps[-1], None)


def relative_id(value: str) -> str:
    """Make an APIM id service-relative (``/subscriptions/…/service/s/loggers/y`` → ``/loggers/y``).

    The match is case-insensitive (ARM returns ``/resourcegroups/`` sometimes); any other string
    is returned unchanged, so it is safe to apply to values that may or may not be ids.
    """
    if not isinstance(value, str):
        return value
    match = SERVICE_ID_PATTERN.match(value)
    if not match:
        return value
    rest = value[match.end():]
    return rest if rest else "/"


def _relativise(value: Any) -> Any:
    if isinstance(value, str):
        return relative_id(value)
    if isinstance(value, list):
        return [_relativise(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _relativise(v) for k, v in value.items()}
    return value


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _strip_prefix(path: str) -> str:
    return path[len("properties."):] if path.startswith("properties.") else path


def _remove_path(properties: dict[str, Any], path: str) -> None:
    """Remove a dotted path (relative to properties); ``[]`` steps into every list item."""
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        items = properties.get(head[:-2])
        if isinstance(items, list) and rest:
            for item in items:
                if isinstance(item, dict):
                    _remove_path(item, rest)
        return
    if not rest:
        properties.pop(head, None)
        return
    child = properties.get(head)
    if isinstance(child, dict):
        _remove_path(child, rest)
        if not child:
            properties.pop(head, None)


def _sort_path(properties: dict[str, Any], path: str) -> None:
    head, _, rest = path.partition(".")
    if not rest:
        value = properties.get(head)
        if isinstance(value, list):
            properties[head] = sorted(value, key=lambda v: canonical_json(v).casefold())
        return
    child = properties.get(head)
    if isinstance(child, dict):
        _sort_path(child, rest)


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    return value


def _link_body(key: ResourceKey, row: Kind, body: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
    """The v7 link file: ``{}``, or ``{"name", "properties": {"<end>Id"}}`` for product-group and workspace links."""
    if not row.link_named and key.workspace is None:
        return {}
    id_field = row.link_id_field
    if id_field is None:
        return {}
    far_end = row.link[1] if row.link else ""
    target = properties.get(id_field)
    if not isinstance(target, str) or not target:
        # the far end's collection, to rebuild ``/groups/<g>`` when the service gave no id
        collection = KIND_BY_NAME[far_end].arm_path.split("/", 1)[0] if far_end in KIND_BY_NAME else far_end + "s"
        scope = f"/workspaces/{key.workspace}" if key.workspace else ""
        target = f"{scope}/{collection}/{key.names[-1]}"
    name = body.get("name") if isinstance(body.get("name"), str) and body.get("name") else key.names[-1]
    return {"name": name, "properties": {id_field: relative_id(target)}}


def normalise_body(key: ResourceKey, body: Mapping[str, Any], *, reveal: bool = False) -> dict[str, Any]:
    """``{"properties": {...}}`` as the artifacts tree stores it (see the module docstring).

    Removes: read-only fields, secret fields (a secret named value keeps ``secret: true`` and
    loses ``value``; a non-secret one keeps its value), nulls, a blank ``serviceUrl``, and for
    kinds whose text lives in an owned file (policies, fragments) the ``format``/``value`` pair.
    Makes ids service-relative and sorts set-like lists. Link kinds get their v7 file body.
    Literal values of ``masked_fields`` become ``MASK`` unless ``reveal`` (comparison only).
    """
    row = key.row
    raw_properties = body.get("properties") if isinstance(body, Mapping) else None
    properties: dict[str, Any] = _copy(raw_properties) if isinstance(raw_properties, Mapping) else {}
    if row.is_link:
        return _link_body(key, row, body, properties)
    if row.special == "specification":
        return {}
    properties = _drop_nulls(properties)
    for field_name in row.read_only_fields:
        _remove_path(properties, _strip_prefix(field_name))
    for field_name in row.secret_fields:
        relative = _strip_prefix(field_name)
        if row.secret_flag and properties.get(row.secret_flag) is not True:
            continue  # a plain named value's value is configuration, not a secret
        _remove_path(properties, relative)
    if row.masked_fields and not reveal:
        mask_secrets(row, properties)
    if row.content_kind == "policy":
        properties.pop("value", None)
        properties.pop("format", None)
    service_url = properties.get("serviceUrl")
    if isinstance(service_url, str) and not service_url.strip():
        properties.pop("serviceUrl")
    properties = _relativise(properties)
    for field_name in row.set_fields:
        _sort_path(properties, _strip_prefix(field_name))
    return {"properties": properties}


def _fold_ids(value: Any) -> Any:
    """Lower-case service-relative ids so ``/apis/Echo`` equals ``/apis/echo`` (ARM names are case-insensitive)."""
    if isinstance(value, str) and value.startswith("/") and " " not in value:
        return value.casefold()
    if isinstance(value, list):
        return [_fold_ids(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _fold_ids(v) for k, v in value.items()}
    return value


def body_differences(
    key: ResourceKey, desired: Mapping[str, Any], current: Mapping[str, Any], *, subset: bool = True
) -> list[str]:
    """Dotted paths (``properties.serviceUrl``) whose normalised values differ; never the values.

    With ``subset`` (the default) a property the tree does not mention is not a difference: the
    service fills defaults (``subscriptionRequired``, ``apiRevision`` …) the tree may omit.
    Secret fields are removed from both sides first, so secrets never show up in a plan diff.
    """
    row = key.row
    if not row.body_compared:
        return []
    left_body = normalise_body(key, desired, reveal=True)
    right_body = normalise_body(key, current, reveal=True)
    if row.masked_fields:  # a mask in the tree means "whatever is live": compare with that
        settled, _dropped = unmask(key, left_body.get("properties", {}), right_body.get("properties"))
        _hide_unknown(row, settled, right_body.get("properties", {}))
        left_body = {**left_body, "properties": settled}
        right_body = {**right_body, "properties": _without_masked(row, right_body.get("properties", {}), settled)}
    left = _fold_ids(left_body)
    right = _fold_ids(right_body)
    found: list[str] = []
    _diff(left, right, "", subset, found)
    return found


def _hide_unknown(row: Kind, desired: dict[str, Any], live: Mapping[str, Any]) -> None:
    """Where the live side is itself masked (read through the normaliser) its value is unknown: not a difference."""
    for trail in _masked_leaves(row, live):
        container, name = trail[-1]
        if container[name] != MASK:
            continue
        found, _value = _follow(desired, trail[:-1])
        if found and isinstance(_value, (dict, list)):
            last = trail[-1][1]
            if (isinstance(_value, dict) and last in _value) or (isinstance(_value, list) and last < len(_value)):
                _value[last] = MASK


def _without_masked(row: Kind, live: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The live properties minus masked-field secrets the tree does not mention (not a difference)."""
    result = _copy(live)
    for trail in _masked_leaves(row, result):
        found, _value = _follow(desired, trail)
        if not found:
            container, name = trail[-1]
            if isinstance(container, dict):
                container.pop(name, None)
    return result


def _diff(left: Any, right: Any, path: str, subset: bool, found: list[str]) -> None:
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        names = set(left) if subset else set(left) | set(right)
        for name in sorted(names):
            child = f"{path}.{name}" if path else str(name)
            if name not in right:
                found.append(child)
            elif name not in left:
                found.append(child)
            else:
                _diff(left[name], right[name], child, subset, found)
        return
    if canonical_json(left) != canonical_json(right):
        found.append(path or "(body)")


def same_body(key: ResourceKey, desired: Mapping[str, Any], current: Mapping[str, Any], *, subset: bool = True) -> bool:
    """True when ``desired`` and ``current`` mean the same (see :func:`body_differences`)."""
    return not body_differences(key, desired, current, subset=subset)
