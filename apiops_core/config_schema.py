"""The per-kind parts of the extractor configuration and override schemas, built from ``KINDS``.

Why derived: a kind's configuration key (``config_key``, ``v6_config_key``) and where it nests
(``parent``, the far end of a link) are already columns of the kind table; keeping the same facts a
second time in hand-written JSON meant every new row needed two schema edits, and forgetting one
made a valid file an "unknown key" error. The JSON files under ``schemas/`` keep what is not a
kind: the service name, the specification format, the ``servicePolicies`` alias and the shared
``name``/``names`` definitions. This module adds a key per row and a definition per parent.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from .kinds import KIND_BY_NAME, KINDS, Kind

__all__ = ["extractor_schema", "overrides_schema", "load_schema"]

_NULLABLE_ARRAY = ["array", "null"]


def _top(workspace: bool) -> list[Kind]:
    return [
        k for k in KINDS
        if k.parent is None and k.config_key and (not workspace or (k.in_workspace and k.name != "workspace"))
    ]


def _children(kind: Kind) -> list[Kind]:
    """Rows nested under ``kind`` in configuration files (a workspace holds the top kinds it may scope)."""
    if kind.name == "workspace":
        return _top(True)
    return [k for k in KINDS if k.parent == kind.name and k.config_key]


def _reverse_links(kind: Kind) -> list[tuple[Kind, Kind]]:
    """Links whose second end is ``kind``, listed under it in override files: (link, first end)."""
    return [(k, KIND_BY_NAME[k.link[0]]) for k in KINDS if k.link and k.link[1] == kind.name]


# ---------------------------------------------------------------------------------------------
# extractor configuration: ``apis: [a, {b: {operations: [...]}}]``
# ---------------------------------------------------------------------------------------------
def _extractor_ref(kind: Kind, defs: dict[str, Any]) -> dict[str, Any]:
    children = _children(kind)
    if not children:
        return {"$ref": "#/$defs/names"}
    list_name, children_name = f"{kind.name}-list", f"{kind.name}-children"
    if list_name not in defs:
        defs[list_name] = {
            "type": _NULLABLE_ARRAY,
            "items": {
                "if": {"type": "object"},
                "then": {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1,
                    "additionalProperties": {"if": {"type": "null"}, "else": {"$ref": f"#/$defs/{children_name}"}},
                },
                "else": {"$ref": "#/$defs/name"},
            },
        }
        defs[children_name] = {"type": "object", "properties": {}, "additionalProperties": False}
        props = {c.config_key: _extractor_ref(c, defs) for c in children if c.config_key}
        defs[children_name]["properties"] = props
    return {"$ref": f"#/$defs/{list_name}"}


def extractor_schema(base: dict[str, Any]) -> dict[str, Any]:
    """``base`` (the hand-written non-kind keys) plus a key per top row, its v6 ``*Names`` key and nesting."""
    schema = copy.deepcopy(base)
    defs = schema.setdefault("$defs", {})
    props: dict[str, Any] = {}
    for row in _top(False):
        props[row.config_key] = _extractor_ref(row, defs)  # type: ignore[index]
    for row in KINDS:
        if row.v6_config_key:
            props[row.v6_config_key] = {"$ref": "#/$defs/names"}
    props.update(schema.get("properties", {}))
    schema["properties"] = props
    return schema


# ---------------------------------------------------------------------------------------------
# overrides: ``apis: [{name: a, properties: {...}, operations: [{name: o, ...}]}]``
# ---------------------------------------------------------------------------------------------
def _entry_list(name: str) -> dict[str, Any]:
    return {"type": _NULLABLE_ARRAY, "items": {"$ref": f"#/$defs/{name}"}}


def _entry(kind: Kind, defs: dict[str, Any], reverse: bool = False) -> str:
    """The name of ``kind``'s entry definition, added to ``defs`` with its nested sections."""
    name = f"{kind.name}-entry"
    if name in defs:
        return name
    props: dict[str, Any] = {"name": {"type": ["string", "number"]}, "properties": {"type": ["object", "null"]}}
    defs[name] = {"type": "object", "required": ["name"], "properties": props, "additionalProperties": False}
    if reverse:  # a link listed under its second end names the first end only
        return name
    for child in _children(kind):
        props[child.config_key] = _entry_list(_entry(child, defs))  # type: ignore[index]
    if kind.name != "workspace":
        for link, first in _reverse_links(kind):
            if first.config_key and first.config_key not in props:
                props[first.config_key] = _entry_list(_entry(link, defs, reverse=True))
    return name


def overrides_schema(base: dict[str, Any]) -> dict[str, Any]:
    """``base`` (the hand-written non-kind keys and aliases) plus a section per top row, nested by parent."""
    schema = copy.deepcopy(base)
    defs = schema.setdefault("$defs", {})
    props: dict[str, Any] = {}
    for row in _top(False):
        props[row.config_key] = _entry_list(_entry(row, defs))  # type: ignore[index]
    props.update(schema.get("properties", {}))
    schema["properties"] = props
    return schema


_DERIVE = {"extractor-config.schema.json": extractor_schema, "overrides.schema.json": overrides_schema}


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    """A schema file under ``apiops_core/schemas/`` with its per-kind parts added (others as written)."""
    text = resources.files("apiops_core.schemas").joinpath(name).read_text(encoding="utf-8")
    base = json.loads(text)
    derive = _DERIVE.get(name)
    return derive(base) if derive is not None else base
