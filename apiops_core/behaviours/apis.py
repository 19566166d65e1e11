"""APIs: revisions and "make current", specification imports, and what an import resets.

The hardest part of APIM lives here, in one place:

- an API revision (``a;rev=N``) is its own ARM resource, made from the root API and inheriting
  what APIM does not let a revision change; making revision N current is a release;
- a specification file is exported (``?export=true&format=<x>-link``, then an unauthenticated
  download; one export at a time per version set or root API, Azure/apiops #316), and imported with the API's PUT (``format``/``value``, ``?import=true`` for
  WADL/WSDL), and an import resets what the artifacts set besides the document (a second PUT
  restores it) and re-creates the API's operations and schemas (plan puts them again after it);
- releases belong to the root API, and API schemas APIM generated from an import are not extracted.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from typing import Any, Iterable, Mapping, Sequence

from ..errors import ArmError
from ..model import Action, Resource, ResourceKey, State, revision_name
from ..specs import IMPORTED_SCHEMA_TYPES, NO_SPEC_API_TYPES, WSDL_RECIPE, SpecFormat, api_type, import_format
from .base import ApplyContext, Behaviour, ExtractPort, MakePut

__all__ = [
    "ApiBehaviour",
    "ApiSpecificationBehaviour",
    "ApiReleaseBehaviour",
    "ApiSchemaBehaviour",
    "replaced_revisions",
    "REPUT_AFTER_IMPORT",
]

_API = "api"
_SPECIFICATION = "api-specification"
_RELEASE = "api-release"
_OPERATION = "api-operation"

#: properties a non-current revision takes from the current one (APIM rejects changing them); never
#: ``serviceUrl``: each revision has its own backend (a revision is how a new backend is tried out)
_INHERITED = ("displayName", "path", "protocols", "type", "description", "subscriptionRequired",
              "apiVersion", "apiVersionSetId", "subscriptionKeyParameterNames", "authenticationSettings")
#: properties an import may reset, restored by a second PUT when they differ afterwards
_KEPT_AFTER_IMPORT = ("description", "displayName", "subscriptionRequired", "serviceUrl", "path", "protocols",
                      "apiVersion", "apiVersionSetId", "apiRevisionDescription", "termsOfServiceUrl", "contact", "license")
_SET_CURRENT_RELEASE = "apiops-set-current"

#: reason of a put of an unchanged operation-level resource whose API's specification is imported
REPUT_AFTER_IMPORT = "re-put after the specification import, which resets operations and API schemas"

#: kinds under an API that a specification import replaces (besides what lives under an operation)
_RESET_BY_IMPORT = frozenset({_OPERATION, "api-schema"})


def _spec_key(key: ResourceKey) -> ResourceKey:
    return ResourceKey(_SPECIFICATION, key.names[:1], key.workspace)


def _api_key(key: ResourceKey) -> ResourceKey:
    return ResourceKey(_API, key.names[:1], key.workspace)


def _api_props(resource: Resource) -> dict[str, Any]:
    props = dict(resource.properties)
    for name in ("isCurrent", "format", "value"):
        props.pop(name, None)
    return props


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    if isinstance(a, str) and isinstance(b, str) and a.startswith("/") and b.startswith("/"):
        return a.casefold().endswith(b.casefold()) or b.casefold().endswith(a.casefold())
    return a == b


def _import(ctx: ApplyContext, key: ResourceKey, props: dict[str, Any], spec: Resource, *, path: str | None = None) -> None:
    """PUT the API with its specification; restore what the import reset with a second PUT."""
    path = path or key.arm_path
    fmt, needs_import = import_format(spec.content_format)
    body: dict[str, Any] = {"properties": {**props, "format": fmt, "value": spec.content}}
    params = {"import": "true"} if needs_import else None
    if fmt == "wsdl":
        body["properties"]["apiType"] = "soap"
        body["properties"].pop("type", None)
    response = ctx.port.put(path, body, params=params)
    shown = response.properties if response is not None and response.body else {}
    lost = {n: props[n] for n in _KEPT_AFTER_IMPORT if n in props and not _same(shown.get(n), props[n])}
    if shown and lost:
        # the import reset properties the artifacts set (WSDL wipes the description): restore them
        ctx.port.put(path, {"properties": props})


def replaced_revisions(desired: State, before: State) -> list[tuple[ResourceKey, str, str]]:
    """Old current revisions the tree dropped: ``(a;rev=N, N, M)`` for each root API ``a`` that
    ``before`` (the instance, or the tree at ``--since``) has at revision N, the tree now names at
    revision M != N, and the tree has no ``a;rev=N`` folder for.

    Once the publish made M current, N is an ordinary non-current revision the tree lacks: the
    Terminator deletes it (never the API, and never while it is still current: apply checks).
    """
    found: list[tuple[ResourceKey, str, str]] = []
    for resource in before.of_kind(_API):
        name = resource.key.names[0]
        if resource.key.revision is not None:
            continue
        wanted = desired.get(resource.key)
        if wanted is None:
            continue
        old = str(resource.properties.get("apiRevision") or "1")
        new = str(wanted.properties.get("apiRevision") or "")
        if not new or new == old:
            continue
        revision = ResourceKey(resource.key.kind, (revision_name(name, old),), resource.key.workspace)
        if revision in desired:
            continue
        found.append((revision, old, new))
    return found


class ApiBehaviour(Behaviour):
    """APIs and their revisions."""

    def put_properties(self, properties: dict[str, Any]) -> dict[str, Any]:
        properties.pop("isCurrent", None)
        return properties

    def deletable(self, key: ResourceKey, resource: Resource | None) -> bool:
        # never delete the instance's current revision on its own
        return not (key.revision is not None and resource is not None and resource.properties.get("isCurrent"))

    def kept_because(self, key: ResourceKey, desired: State) -> str | None:
        if _spec_key(key) in desired:
            return "apiInformation.json removed but its specification is still there"
        return None

    def implied_deletes(self, desired: State, before: State) -> Iterable[tuple[ResourceKey, str]]:
        for key, old, new in replaced_revisions(desired, before):
            yield key, (f"delete (revision {old} of {key.api_root} was current {{where}}; the artifacts make "
                        f"revision {new} current and have no folder for {old})")

    # apply
    def put(self, action: Action, resource: Resource, ctx: ApplyContext) -> bool:
        key = action.key
        port = ctx.port
        root, revision = key.api_root or "", key.revision
        props = _api_props(resource)
        base = key.arm_path.rsplit("/", 1)[0]
        path = key.arm_path
        if revision:
            current = port.get(f"{base}/{root}")
            if current is not None:
                for field_name in _INHERITED:
                    if field_name in current.properties:
                        props[field_name] = current.properties[field_name]
                    else:
                        props.pop(field_name, None)
            props["apiRevision"] = revision
            if port.get(path) is None:  # only a new revision needs its source
                props.setdefault("sourceApiId", f"/apis/{root}")
            props.pop("apiVersionSet", None)
        else:
            path = self._make_current(key, base, root, props, ctx)
        spec_key = _spec_key(key)
        spec = ctx.desired.get(spec_key) if spec_key in ctx.planned else None
        if spec is not None and spec.content is not None and spec.content_format != "graphql":
            _import(ctx, key, props, spec, path=path)
            return True
        port.put(path, {"properties": props})
        return True

    def _make_current(self, key: ResourceKey, base: str, root: str, props: dict[str, Any], ctx: ApplyContext) -> str:
        """Make the tree's current revision the instance's; return the path the root API is put to.

        A new API whose tree names revision N > 1 is created as ``a;rev=N`` (the first revision of
        an API is current, whatever its number). An existing API whose current revision differs
        gets revision N from ``/apis/a`` if it lacks it, then a release makes N current (Azure/apiops
        #184 ...); the release ``apiops-set-current`` is deleted afterwards unless the tree declares it.
        """
        port = ctx.port
        wanted = str(props.get("apiRevision") or "")
        if not wanted:
            return key.arm_path
        current = port.get(f"{base}/{root}")
        revision_path = f"{base}/{revision_name(root, wanted)}"
        if current is None:
            return key.arm_path if wanted == "1" else revision_path
        have = str(current.properties.get("apiRevision") or "1")
        if wanted == have:
            return key.arm_path
        if port.get(revision_path) is None:
            port.put(revision_path, {"properties": {"apiRevision": wanted, "sourceApiId": f"/apis/{root}"}})
        release_names = {r.key.names[-1].casefold() for r in ctx.desired.of_kind(_RELEASE)
                         if r.key.names[0].casefold() == root.casefold() and r.key.workspace == key.workspace}
        port.put(f"{base}/{root}/releases/{_SET_CURRENT_RELEASE}",
                 {"properties": {"apiId": f"/apis/{revision_name(root, wanted)}", "notes": "Made current by apiops"}})
        if _SET_CURRENT_RELEASE not in release_names:
            port.delete(f"{base}/{root}/releases/{_SET_CURRENT_RELEASE}")
        port.emit("info", f"revision {wanted} of {root} is now current (was {have})")
        return key.arm_path

    def delete_params(self, action: Action, ctx: ApplyContext) -> tuple[str | None, Mapping[str, str] | None]:
        key = action.key
        if key.revision:
            current = ctx.port.get(key.arm_path)
            if current is not None and current.properties.get("isCurrent"):
                return "it is the instance's current revision; never deleted alone", None
            return None, None
        return None, {"deleteRevisions": "true"}


def _reset_by_import(key: ResourceKey) -> bool:
    """Whether a specification import of ``key``'s API resets it: the API's operations and schemas,
    and everything under an operation (its policy, and any kind added there)."""
    if key.kind in _RESET_BY_IMPORT:
        return True
    parent = key.parent
    while parent is not None:
        if parent.kind == _OPERATION:
            return True
        parent = parent.parent
    return False


def _export_link(body: Mapping[str, Any]) -> str | None:
    for holder in (body.get("value"), (body.get("properties") or {}).get("value"), body):
        if isinstance(holder, Mapping) and isinstance(holder.get("link"), str) and holder.get("link"):
            return str(holder["link"])
    return None


def _export_inline(body: Mapping[str, Any]) -> str | None:
    value = body.get("value")
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return json.dumps(value, indent=2)
    return None


def _json_to_yaml(text: str) -> str:
    """OpenAPI v2 arrives as JSON only; keep key order, never fold long lines."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 1 << 20
    stream = io.StringIO()
    yaml.dump(json.loads(text), stream)
    return stream.getvalue()


class ApiSpecificationBehaviour(Behaviour):
    """A specification file: exported from its API, imported with its API's PUT (GraphQL SDL: the
    ``graphql`` API schema)."""

    def export(self, key: ResourceKey, parent: ResourceKey, parent_body: Mapping[str, Any], port: ExtractPort,
               recipe: Any) -> Resource | None:
        """The API's specification in ``recipe``'s format (SOAP: WSDL, GraphQL: SDL), or None."""
        api = parent
        kind_of_api = api_type(parent_body)
        if kind_of_api in NO_SPEC_API_TYPES:
            return None
        if kind_of_api == "graphql":
            schema = port.get(f"{api.arm_path}/schemas/graphql")
            document = (schema.properties.get("document") or {}) if schema else {}
            value = document.get("value") if isinstance(document, Mapping) else None
            if not isinstance(value, str):
                return None
            return Resource(key, {}, content=value, content_format="graphql", content_ext="graphql")
        chosen: SpecFormat = WSDL_RECIPE if kind_of_api == "soap" else recipe
        with port.export_lock(parent_body, api):
            try:
                exported = port.get(api.arm_path, params={"export": "true", "format": chosen.export})
            except ArmError as error:
                if error.status is not None and 400 <= error.status < 500:
                    port.warn(f"{api}: APIM cannot export it as {chosen.export} ({error.code}); no specification written")
                    return None
                raise
            if exported is None:
                return None
            link = _export_link(exported.body)
            if link is None:
                inline = _export_inline(exported.body)
                if inline is None:
                    port.warn(f"{api}: the export answer has no link; no specification written")
                    return None
                text = inline
            else:
                text = port.download(link)
        if chosen.to_yaml:
            text = _json_to_yaml(text)
        return Resource(key, {}, content=text, content_format=chosen.content_format, content_ext=chosen.ext)

    def adjust_puts(self, puts: Sequence[Action], desired: State, current: State, make_put: MakePut,
                    skipped: Iterable[ResourceKey]) -> list[Action]:
        """``puts`` plus a put of every resource of the tree that an import of its API's specification
        (planned in ``puts``) resets, each ordered after that import.

        Why: an import replaces the API's operations and schemas (APIM re-creates them from the
        document), and what hangs under an operation (its policy) goes with them. Putting them again
        after the import makes one publish converge, instead of the next publish finding them missing.
        Resources already planned are not doubled, but wait for the import too.
        """
        imports = {
            (a.key.names[0].casefold(), a.key.workspace): a.key for a in puts
            if a.key.kind == _SPECIFICATION and (desired.get(a.key) is None
                                                 or desired.get(a.key).content_format != "graphql")  # type: ignore[union-attr]
        }
        if not imports:
            return list(puts)

        def spec_for(key: ResourceKey) -> ResourceKey | None:
            if not key.names or not _reset_by_import(key):
                return None
            return imports.get((key.names[0].casefold(), key.workspace))

        result = []
        for action in puts:
            spec = spec_for(action.key)
            if spec is not None and spec not in action.depends_on:
                action = replace(action, depends_on=action.depends_on + (spec,))
            result.append(action)
        planned = {a.key for a in puts} | set(skipped)
        for resource in desired:
            key = resource.key
            if key in planned or not key.row.in_tree:
                continue
            spec = spec_for(key)
            if spec is None:
                continue
            existing = current.get(key)
            verb = "create" if existing is None else "update"
            action = make_put(key, existing, f"{verb} ({REPUT_AFTER_IMPORT})")
            if spec not in action.depends_on:
                action = replace(action, depends_on=action.depends_on + (spec,))
            result.append(action)
        return result

    def put(self, action: Action, resource: Resource, ctx: ApplyContext) -> bool:
        key = action.key
        api_key = _api_key(key)
        if resource.content_format == "graphql":
            ctx.port.put(f"{api_key.arm_path}/schemas/graphql", {"properties": {
                "contentType": "application/vnd.ms-azure-apim.graphql.schema",
                "document": {"value": resource.content or ""},
            }})
            return True
        if api_key in ctx.planned:
            ctx.skip("imported with the API's PUT")
            return True
        api = ctx.desired.get(api_key)
        if api is None:
            from ..errors import ApiOpsError

            raise ApiOpsError(f"{key}: a specification needs its API's apiInformation.json")
        props = _api_props(api)
        if key.revision is not None:
            props.pop("apiVersionSetId", None)
        _import(ctx, api_key, props, resource)
        return True


class ApiReleaseBehaviour(Behaviour):
    def extracted_under(self, parent: ResourceKey) -> bool:
        return parent.revision is None  # releases belong to the root API only


class ApiSchemaBehaviour(Behaviour):
    def skip_listed(self, item: Mapping[str, Any], parent_body: Mapping[str, Any] | None) -> bool:
        """A schema APIM generated from the imported specification (or the GraphQL SDL written as
        ``specification.graphql``): part of the specification, re-created by every import."""
        raw = item.get("properties")
        properties: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        content_type = str(properties.get("contentType") or "").lower()
        if api_type(parent_body or {}) in NO_SPEC_API_TYPES:
            return False
        return content_type in IMPORTED_SCHEMA_TYPES
