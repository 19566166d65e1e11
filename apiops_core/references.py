"""Which resources a resource refers to: by its table references and by its content.

Why a module of its own: plan orders puts and deletes by these edges, and lint reports the ones
that point at nothing; both must see exactly the same references, so there is one pure function
for each question and no I/O. Two sources of references exist:

- the kind table's JSON paths (``properties.apiVersionSetId``, ``properties.loggerId``,
  ``properties.scope``, ``properties.apiId``, backend pool members ``properties.pool.services[].id``),
  ids or, where the row says ``by_name``, bare names (an API's authorization server, a wiki's documents);
- content: ``{{display name}}`` of a named value anywhere in a policy or in any string of a JSON
  body, ``<include-fragment fragment-id>``, ``<set-backend-service backend-id>`` and
  ``<log-to-eventhub logger-id>`` in policies (the last is the one Azure/apiops misses, #878).

Policy XML is scanned as text with line numbers, never parsed: real policies are often not
well-formed XML. Inside ``<set-body template="liquid">`` the ``{{ }}`` belong to Liquid; a plain
``{{name}}`` there still counts as a named value when one with that display name exists (APIM
substitutes named values first) but is never reported as dangling. References in XML comments
are likewise optional.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from .errors import ReferenceError_
from .kinds import KIND_BY_NAME, Kind
from .model import Resource, ResourceKey, State

__all__ = [
    "json_strings",
    "Ref",
    "Resolved",
    "policy_references",
    "json_references",
    "table_references",
    "declared_references",
    "resolve_references",
    "references_of",
    "display_index",
    "dangling_references",
    "check_references",
    "parse_resource_id",
    "malformed_ids",
    "Supplier",
]

_NAMED_VALUE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._\-]*$")
_LIQUID_BODY = re.compile(
    r"<set-body\b(?=[^>]*\btemplate\s*=\s*[\"']liquid[\"'])[^>]*>(.*?)</set-body\s*>",
    re.DOTALL | re.IGNORECASE,
)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_ELEMENTS: tuple[tuple[str, str, str], ...] = (
    ("include-fragment", "fragment-id", "policy-fragment"),
    ("set-backend-service", "backend-id", "backend"),
    ("log-to-eventhub", "logger-id", "logger"),
)
_ELEMENT_RES = tuple(
    (
        re.compile(r"<%s\b[^>]*?\b%s\s*=\s*(\"([^\"]*)\"|'([^']*)')" % (re.escape(tag), re.escape(attr)), re.DOTALL),
        f"<{tag} {attr}>",
        target,
    )
    for tag, attr, target in _ELEMENTS
)
_LIQUID_WORDS = frozenset({"context", "body", "headers", "request", "response", "forloop"})


@dataclass(frozen=True)
class Ref:
    """One reference as written: target kind, the name as written, where, and how it is named.

    ``by_display_name`` is true for ``{{x}}`` (named values are referenced by display name);
    ``optional`` is true when an unresolved reference is not an error (Liquid, comments).
    """

    kind: str
    name: str
    line: int | None = None
    via: str = ""
    by_display_name: bool = False
    optional: bool = False


@dataclass(frozen=True)
class Resolved:
    """A reference of ``source`` and the resource it resolved to (None when it names nothing)."""

    source: ResourceKey
    ref: Ref
    target: ResourceKey | None


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _spans(pattern: re.Pattern[str], text: str, group: int = 0) -> list[tuple[int, int]]:
    return [match.span(group) for match in pattern.finditer(text)]


def _inside(offset: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= offset < end for start, end in spans)


def _liquid_expression(inner: str) -> bool:
    """True when ``{{ inner }}`` reads as Liquid rather than a named value."""
    if inner.startswith("-") or inner.endswith("-"):
        return True
    stripped = inner.strip()
    if not _PLAIN_NAME.match(stripped):
        return True
    return stripped.split(".", 1)[0].lower() in _LIQUID_WORDS


def policy_references(xml_text: str) -> list[Ref]:
    """Every reference in a policy document, in text order, with 1-based line numbers."""
    refs: list[tuple[int, Ref]] = []
    liquid = _spans(_LIQUID_BODY, xml_text, 1)
    comments = _spans(_COMMENT, xml_text)
    for match in _NAMED_VALUE.finditer(xml_text):
        inner = match.group(1)
        start = match.start()
        in_liquid = _inside(start, liquid)
        if in_liquid and _liquid_expression(inner):
            continue
        name = inner.strip()
        if not _PLAIN_NAME.match(name):
            continue
        refs.append(
            (
                start,
                Ref(
                    "named-value",
                    name,
                    _line_at(xml_text, start),
                    "{{named value}}",
                    by_display_name=True,
                    optional=in_liquid or _inside(start, comments),
                ),
            )
        )
    for pattern, via, target in _ELEMENT_RES:
        for match in pattern.finditer(xml_text):
            start = match.start()
            if _inside(start, comments):
                continue
            value = match.group(2) if match.group(2) is not None else match.group(3)
            value = value.strip()
            if not value or value.startswith("@") or "{{" in value:
                continue  # a policy expression or a named value decides at run time
            refs.append((start, Ref(target, value, _line_at(xml_text, start), via)))
    return [ref for _, ref in sorted(refs, key=lambda item: item[0])]


def json_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string inside a JSON value with its dotted path (``a.b[2].c``): where references and secrets hide."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from json_strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from json_strings(item, f"{path}[{index}]")


def json_references(body: Mapping[str, Any], *, skip: tuple[str, ...] = ()) -> list[Ref]:
    """``{{named value}}`` references in every string of a JSON body (logger credentials, headers...)."""
    refs: list[Ref] = []
    for path, text in json_strings(body):
        if path in skip:
            continue
        for match in _NAMED_VALUE.finditer(text):
            name = match.group(1).strip()
            if _PLAIN_NAME.match(name):
                refs.append(Ref("named-value", name, None, path, by_display_name=True))
    return refs


def _values_at(body: Any, path: str) -> list[Any]:
    """Values at a dotted path where ``x[]`` steps into every item of list ``x``."""
    current: list[Any] = [body]
    for step in path.split("."):
        many = step.endswith("[]")
        name = step[:-2] if many else step
        following: list[Any] = []
        for item in current:
            if isinstance(item, Mapping) and name in item:
                value = item[name]
                if many and isinstance(value, list):
                    following.extend(value)
                elif not many:
                    following.append(value)
        current = following
    return [value for value in current if value is not None]


def _collection(row: Kind) -> str:
    return row.arm_path.split("/")[0].lower()


def parse_resource_id(value: str, targets: tuple[str, ...]) -> tuple[str, str, str | None] | None:
    """``(kind, name, workspace)`` named by a full or service-relative id, or None.

    The collection segment before the last name picks the kind among ``targets``
    (``/products/p`` vs ``/apis/a`` for a subscription scope); ``/apis`` alone names no resource.
    """
    text = value.strip()
    lowered = text.lower()
    marker = "/providers/microsoft.apimanagement/service/"
    position = lowered.find(marker)
    if position != -1:
        rest = text[position + len(marker):]
        text = rest[rest.find("/"):] if "/" in rest else ""
    parts = [p for p in text.split("/") if p]
    workspace = None
    if len(parts) >= 2 and parts[0].lower() == "workspaces":
        workspace = parts[1]
        parts = parts[2:]
    if len(parts) != 2:
        return None
    collection, name = parts[0].lower(), parts[1]
    for target in targets:
        if _collection(KIND_BY_NAME[target]) == collection:
            return target, name, workspace
    return None


def _located_values(body: Any, path: str) -> list[tuple[list[Any], Any]]:
    """``_values_at`` with where each value is (keys and list indexes), for file:line."""
    current: list[tuple[list[Any], Any]] = [([], body)]
    for step in path.split("."):
        many = step.endswith("[]")
        name = step[:-2] if many else step
        following: list[tuple[list[Any], Any]] = []
        for where, item in current:
            if isinstance(item, Mapping) and name in item:
                value = item[name]
                if many and isinstance(value, list):
                    following.extend((where + [name, i], v) for i, v in enumerate(value))
                elif not many:
                    following.append((where + [name], value))
        current = following
    return [(where, value) for where, value in current if value is not None]


def _service_wide(scope: str) -> bool:
    """A subscription scope of the whole service (``/``, the service id) or of every API (``/apis``)."""
    text = scope.strip()
    marker = "/providers/microsoft.apimanagement/service/"
    position = text.lower().find(marker)
    if position != -1:
        rest = text[position + len(marker):]
        text = rest[rest.find("/"):] if "/" in rest else ""
    parts = [p.lower() for p in text.split("/") if p]
    return parts in ([], ["apis"])


def malformed_ids(row: Kind, body: Mapping[str, Any]) -> list[tuple[list[Any], str]]:
    """Id-valued references of the kind table that name no resource (``(where, message)``).

    APIM answers 400 to a bare name where it wants an id (``"apiVersionSetId": "6286439d..."``),
    half way through a publish; each message says what to write instead. ``{{x}}``/``{#x#}``
    values are left to substitution; a subscription's ``/apis`` (every API) is a valid scope.
    """
    found: list[tuple[list[Any], str]] = []
    for reference in row.references:
        if reference.by_name:
            continue
        for where, value in _located_values(body, reference.path):
            if not isinstance(value, str):
                continue
            if "{{" in value or "{#" in value or parse_resource_id(value, reference.targets) is not None:
                continue
            if reference.path == "properties.scope" and _service_wide(value):
                continue
            tail = value.strip().rstrip("/").rsplit("/", 1)[-1]
            name = tail if tail and tail.lower() not in ("apis", "products") else "<name>"
            fixes = " or ".join(
                f"/{KIND_BY_NAME[t].arm_path.split('/')[0]}/{name}" for t in reference.targets
            )
            shown = reference.path.replace("[]", f"[{where[-1]}]" if where and isinstance(where[-1], int) else "[]")
            found.append((where, (
                f"{shown} {value!r} is not a resource id (APIM refuses it with 400); write {fixes} "
                "or the full ARM id"
            )))
    return found


def table_references(resource: Resource) -> list[Ref]:
    """References the kind table declares by JSON path (ids of version sets, loggers, scopes...)."""
    refs: list[Ref] = []
    for reference in resource.key.row.references:
        for value in _values_at(resource.body, reference.path):
            if not isinstance(value, str) or "{{" in value:
                continue
            if reference.by_name:  # a bare name (authorizationServerId, documentationId), not an id
                if value.strip() and "/" not in value:
                    refs.append(Ref(reference.targets[0], value.strip(), None, reference.path))
                    continue
            parsed = parse_resource_id(value, reference.targets)
            if parsed is None:
                continue
            target, name, _workspace = parsed
            refs.append(Ref(target, name, None, reference.path))
    return refs


def declared_references(resource: Resource) -> list[Ref]:
    """All references a resource makes, unresolved: table paths, policy content, JSON strings."""
    row = resource.key.row
    refs = table_references(resource)
    if row.content_kind == "policy" and resource.content:
        refs.extend(policy_references(resource.content))
    skip: tuple[str, ...] = ()
    if row.content_kind == "policy":
        skip = ("properties.value",)  # the policy text itself, already scanned with line numbers
    refs.extend(json_references(resource.body, skip=skip))
    return refs


def display_index(state: State) -> dict[tuple[str | None, str], ResourceKey]:
    """Named values by (workspace, folded display name), falling back to the resource name."""
    index: dict[tuple[str | None, str], ResourceKey] = {}
    for resource in state.of_kind("named-value"):
        ws = resource.key.workspace.casefold() if resource.key.workspace else None
        index.setdefault((ws, resource.key.name.casefold()), resource.key)
    for resource in state.of_kind("named-value"):
        ws = resource.key.workspace.casefold() if resource.key.workspace else None
        display = resource.properties.get("displayName")
        if isinstance(display, str) and display:
            index[(ws, display.casefold())] = resource.key
    return index


def _resolve(ref: Ref, source: ResourceKey, state: State, index: Mapping[tuple[str | None, str], ResourceKey]) -> ResourceKey | None:
    """The key a reference names: same workspace first, then the service scope."""
    scopes: list[str | None] = [source.workspace, None] if source.workspace else [None]
    for scope in scopes:
        if ref.by_display_name:
            found = index.get((scope.casefold() if scope else None, ref.name.casefold()))
            if found is not None:
                return found
            continue
        key = ResourceKey(ref.kind, (ref.name,), scope)
        if key in state:
            return key
        if key.revision is not None and key.api_index == 0 and len(key.names) == 1:
            # /apis/a;rev=N names the root folder a when N is its (current) revision
            revision = key.revision
            root = state.get(key.with_api_root())
            if root is not None and str(root.properties.get("apiRevision") or "1") == revision:
                return root.key
    return None


def resolve_references(resource: Resource, state: State, *, _index: Mapping[tuple[str | None, str], ResourceKey] | None = None) -> list[Resolved]:
    """Each declared reference of ``resource`` with the key it names in ``state`` (or None)."""
    index = _index if _index is not None else display_index(state)
    results = []
    for ref in declared_references(resource):
        target = _resolve(ref, resource.key, state, index)
        if target == resource.key:
            continue  # a named value quoting itself is not an edge
        results.append(Resolved(resource.key, ref, target))
    return results


def references_of(
    resource: Resource, state: State, *, index: Mapping[tuple[str | None, str], ResourceKey] | None = None
) -> list[ResourceKey]:
    """The resources of ``state`` that ``resource`` refers to (deduplicated, in order found).

    ``index`` (from ``display_index(state)``) saves rebuilding the display-name index when
    asking for many resources of one state.
    """
    seen: dict[ResourceKey, None] = {}
    for item in resolve_references(resource, state, _index=index):
        if item.target is not None:
            seen.setdefault(item.target, None)
    return list(seen)


#: ``(ref, source) -> True`` when something outside the tree (the target instance) has what
#: ``ref`` names; publish and plan pass one so a reference the target can satisfy is not dangling.
Supplier = Callable[[Ref, ResourceKey], bool]


def dangling_references(state: State, *, external: Supplier | None = None) -> list[Resolved]:
    """Every non-optional reference in ``state`` that names nothing in ``state`` (nor in ``external``)."""
    index = display_index(state)
    found = []
    for resource in state:
        for item in resolve_references(resource, state, _index=index):
            if item.target is None and not item.ref.optional:
                if external is not None and external(item.ref, item.source):
                    continue
                found.append(item)
    return found


def _describe(item: Resolved, state: State) -> tuple[str, str | None, int | None]:
    resource = state.get(item.source)
    path = resource.source.path if resource is not None and resource.source is not None else None
    what = "named value with display name" if item.ref.by_display_name else KIND_BY_NAME[item.ref.kind].name
    via = f" ({item.ref.via})" if item.ref.via else ""
    return f"{item.source} refers to {what} {item.ref.name!r}{via}, which is not in the artifacts", path, item.ref.line


def check_references(state: State, *, external: Supplier | None = None) -> None:
    """Raise ``ReferenceError_`` naming the first dangling reference's file and line, listing all.

    Publish and plan do not call this any more: they lint the references (rules AO301-AO307,
    which ``.apiops-lint.yaml`` can relax) against the tree, the overrides and the target.
    """
    dangling = dangling_references(state, external=external)
    if not dangling:
        return
    messages = [_describe(item, state) for item in dangling]
    first_message, path, line = messages[0]
    if len(messages) > 1:
        rest = "\n".join(
            f"  {p or '?'}{':' + str(l) if l else ''}: {m}" for m, p, l in messages[1:]
        )
        first_message = f"{first_message}\n{len(messages) - 1} more:\n{rest}"
    raise ReferenceError_(first_message, path=path, line=line)

