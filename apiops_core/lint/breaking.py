"""Breaking changes between two states of the artifacts (an older commit and the working tree).

What breaks an existing client: an API or its URL suffix (``path``) disappearing, an operation
or a whole path disappearing, a response code it handled disappearing, a new *required* input
(query/header/cookie parameter or request-body property, or an optional one becoming required),
and a changed type of a parameter or body property. Additions of optional things, new
operations, new responses and text changes are not breaking and are not listed.

Only OpenAPI 2/3 specifications are compared operation by operation (GraphQL/WSDL/WADL APIs
are compared at the API level only). Path templates are compared with parameter names blanked
(``/pets/{id}`` equals ``/pets/{petId}``): renaming a path parameter does not change the URL.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping

from ..model import Resource, ResourceKey, State

__all__ = [
    "BreakingChange",
    "breaking_changes",
    "compare_specs",
    "render_text",
    "render_markdown",
    "render_json",
]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class BreakingChange:
    """One breaking change: which API, what kind, where (``GET /pets/{id}``), and a sentence."""

    api: str
    change: str
    location: str
    message: str
    workspace: str | None = None


# --------------------------------------------------------------------------- spec model
@dataclass
class _Input:
    required: bool
    type: str


@dataclass
class _Operation:
    method: str
    path: str
    params: dict[tuple[str, str], _Input] = field(default_factory=dict)
    body_required: bool = False
    body: dict[str, _Input] = field(default_factory=dict)
    responses: set[str] = field(default_factory=set)


def _load(text: str) -> Any:
    """The document through ``safe_read`` (strict JSON, bounded YAML), or None when unreadable."""
    from ..errors import ApiOpsError
    from ..safe_read import MAX_SPEC_DEPTH, load_json, load_yaml_plain

    text = text.lstrip("\ufeff")
    try:
        if text.lstrip()[:1] in ("{", "["):
            try:
                return load_json(text, "specification", max_depth=MAX_SPEC_DEPTH)
            except ApiOpsError:
                pass
        return load_yaml_plain(text, "specification")
    except ApiOpsError:  # an unreadable spec is lint's business (AO102), not diff's
        return None


def _resolve(doc: Any, node: Any, depth: int = 0) -> Any:
    """Follow local ``$ref``s (``#/components/...``, ``#/definitions/...``)."""
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and depth < 20:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return {}
        target: Any = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, Mapping) else None
        node = target if target is not None else {}
        depth += 1
    return node


def _type_of(doc: Any, schema: Any) -> str:
    schema = _resolve(doc, schema)
    if not isinstance(schema, Mapping):
        return ""
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = "|".join(str(k) for k in kind if k != "null")
    kind = str(kind or ("object" if "properties" in schema else ""))
    if kind == "array":
        return f"array<{_type_of(doc, schema.get('items'))}>"
    fmt = schema.get("format")
    return f"{kind}({fmt})" if kind and fmt else kind


def _properties(doc: Any, schema: Any, depth: int = 0) -> tuple[dict[str, Any], set[str]]:
    """Top-level properties and required names of an object schema (``allOf`` merged)."""
    schema = _resolve(doc, schema)
    props: dict[str, Any] = {}
    required: set[str] = set()
    if not isinstance(schema, Mapping) or depth > 5:
        return props, required
    for part in schema.get("allOf") or ():
        sub_props, sub_required = _properties(doc, part, depth + 1)
        props.update(sub_props)
        required |= sub_required
    if isinstance(schema.get("properties"), Mapping):
        props.update(schema["properties"])
    required |= {str(r) for r in schema.get("required") or () if isinstance(r, str)}
    return props, required


def _norm_path(path: str) -> str:
    import re

    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/") or "/").lower()


def _param_key(param: Mapping[str, Any]) -> tuple[str, str]:
    location = str(param.get("in", ""))
    name = str(param.get("name", ""))
    return location, name.lower() if location == "header" else name


def _operations(doc: Any) -> dict[tuple[str, str], _Operation]:
    if not isinstance(doc, Mapping) or not isinstance(doc.get("paths"), Mapping):
        return {}
    swagger = "swagger" in doc
    found: dict[tuple[str, str], _Operation] = {}
    for path, item in doc["paths"].items():
        item = _resolve(doc, item)
        if not isinstance(item, Mapping):
            continue
        shared = [p for p in (_resolve(doc, p) for p in item.get("parameters") or ()) if isinstance(p, Mapping)]
        for method in _METHODS:
            op = item.get(method)
            if not isinstance(op, Mapping):
                continue
            operation = _Operation(method.upper(), str(path))
            params: dict[tuple[str, str], Mapping[str, Any]] = {_param_key(p): p for p in shared}
            for raw in op.get("parameters") or ():
                param = _resolve(doc, raw)
                if isinstance(param, Mapping):
                    params[_param_key(param)] = param
            body_schema: Any = None
            for key, param in params.items():
                location = key[0]
                if location == "body":
                    body_schema = param.get("schema")
                    operation.body_required = bool(param.get("required"))
                    continue
                if location == "formData":
                    operation.body[key[1]] = _Input(bool(param.get("required")), str(param.get("type") or ""))
                    continue
                kind = _type_of(doc, param) if swagger else _type_of(doc, param.get("schema"))
                operation.params[key] = _Input(location == "path" or bool(param.get("required")), kind)
            request = _resolve(doc, op.get("requestBody"))
            if isinstance(request, Mapping):
                operation.body_required = bool(request.get("required"))
                content = request.get("content")
                if isinstance(content, Mapping) and content:
                    media = next((m for m in content if "json" in str(m)), next(iter(content)))
                    body_schema = (content.get(media) or {}).get("schema") if isinstance(content.get(media), Mapping) else None
            if body_schema is not None:
                props, required = _properties(doc, body_schema)
                for name, schema in props.items():
                    operation.body[str(name)] = _Input(name in required, _type_of(doc, schema))
            responses = op.get("responses")
            if isinstance(responses, Mapping):
                operation.responses = {str(code) for code in responses}
            found[(operation.method, _norm_path(str(path)))] = operation
    return found


# --------------------------------------------------------------------------- comparison
def compare_specs(api: str, old_text: str, new_text: str, *, workspace: str | None = None) -> list[BreakingChange]:
    """Breaking changes between two OpenAPI documents of one API (empty when either is unreadable)."""
    old_doc, new_doc = _load(old_text), _load(new_text)
    if not isinstance(old_doc, Mapping) or not isinstance(new_doc, Mapping):
        return []
    old_ops, new_ops = _operations(old_doc), _operations(new_doc)
    changes: list[BreakingChange] = []

    def add(change: str, location: str, message: str) -> None:
        changes.append(BreakingChange(api, change, location, message, workspace))


    new_paths = {key[1] for key in new_ops}
    reported_paths: set[str] = set()
    for key, old in sorted(old_ops.items()):
        if key in new_ops:
            continue
        if key[1] not in new_paths:
            if key[1] not in reported_paths:
                reported_paths.add(key[1])
                add("path-removed", old.path, f"path {old.path} was removed (all its operations)")
            continue
        add("operation-removed", f"{old.method} {old.path}", f"operation {old.method} {old.path} was removed")
    for key, new in sorted(new_ops.items()):
        if key not in old_ops:
            continue
        old = old_ops[key]
        where = f"{new.method} {new.path}"
        for code in sorted(old.responses - new.responses):
            add("response-removed", where, f"response {code} was removed from {where}")
        for (location, name), param in sorted(new.params.items()):
            before = old.params.get((location, name))
            if location == "path":
                continue  # the path template itself decides; a renamed path parameter is not a change
            if before is None and param.required:
                add("required-parameter-added", where, f"new required {location} parameter {name!r} in {where}")
            elif before is not None and param.required and not before.required:
                add("parameter-became-required", where, f"{location} parameter {name!r} became required in {where}")
            if before is not None and before.type and param.type and before.type != param.type:
                add("parameter-type-changed", where,
                    f"{location} parameter {name!r} changed type {before.type} → {param.type} in {where}")
        if new.body_required and not old.body_required and not old.body:
            add("request-body-required", where, f"a request body is now required in {where}")
        for name, prop in sorted(new.body.items()):
            before = old.body.get(name)
            if before is None and prop.required:
                add("required-property-added", where, f"new required body property {name!r} in {where}")
            elif before is not None and prop.required and not before.required:
                add("property-became-required", where, f"body property {name!r} became required in {where}")
            if before is not None and before.type and prop.type and before.type != prop.type:
                add("property-type-changed", where, f"body property {name!r} changed type {before.type} → {prop.type} in {where}")
    return changes


def _apis(state: State) -> dict[tuple[str | None, str], Resource]:
    return {
        (r.key.workspace.casefold() if r.key.workspace else None, r.key.name.casefold()): r
        for r in state.of_kind("api")
        if r.key.revision is None
    }


def _spec_text(state: State, api: Resource) -> str | None:
    spec = state.get(ResourceKey("api-specification", api.key.names, api.key.workspace))
    if spec is None or spec.content is None:
        return None
    if (spec.content_ext or "").lower().lstrip(".") not in ("yaml", "yml", "json"):
        return None
    return spec.content


def breaking_changes(old_state: State, new_state: State) -> list[BreakingChange]:
    """Every breaking change from ``old_state`` to ``new_state`` (current API revisions only)."""
    old_apis, new_apis = _apis(old_state), _apis(new_state)
    changes: list[BreakingChange] = []
    for key, old in sorted(old_apis.items(), key=lambda item: str(item[0])):
        name, workspace = old.key.name, old.key.workspace
        new = new_apis.get(key)
        if new is None:
            changes.append(BreakingChange(name, "api-removed", "", f"API {name!r} was removed", workspace))
            continue
        old_path, new_path = old.properties.get("path"), new.properties.get("path")
        if isinstance(old_path, str) and isinstance(new_path, str) and old_path.strip("/") != new_path.strip("/"):
            changes.append(
                BreakingChange(name, "api-path-changed", "", f"API {name!r} moved from /{old_path.strip('/')} to /{new_path.strip('/')}", workspace)
            )
        old_text, new_text = _spec_text(old_state, old), _spec_text(new_state, new)
        if old_text is not None and new_text is not None and old_text != new_text:
            changes.extend(compare_specs(name, old_text, new_text, workspace=workspace))
    return changes


# --------------------------------------------------------------------------- rendering
def render_text(changes: Iterable[BreakingChange]) -> str:
    items = list(changes)
    if not items:
        return "no breaking changes\n"
    lines = [f"BREAKING {c.api}: {c.message}" for c in items]
    lines.append(f"{len(items)} breaking change{'s' if len(items) != 1 else ''}")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(changes: Iterable[BreakingChange], *, title: str = "Breaking changes") -> str:
    """A Markdown section for a pull-request description or a pipeline summary."""
    items = list(changes)
    if not items:
        return f"### {title}\n\nNo breaking changes.\n"
    lines = [
        f"### {title} ({len(items)})",
        "",
        "| API | Where | Change |",
        "|---|---|---|",
    ]
    for c in items:
        api = f"{c.workspace}/{c.api}" if c.workspace else c.api
        lines.append(f"| `{_cell(api)}` | {('`' + _cell(c.location) + '`') if c.location else ''} | {_cell(c.message)} |")
    return "\n".join(lines) + "\n"


def render_json(changes: Iterable[BreakingChange]) -> str:
    items = [asdict(c) for c in changes]
    return json.dumps({"breakingChanges": items, "count": len(items)}, indent=2, ensure_ascii=False) + "\n"
