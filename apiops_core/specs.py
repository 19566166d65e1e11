"""Specification formats: one home for what an API specification file is, how it is exported and imported.

It also holds what a specification *means* for APIM (``spec_signature``: operations and schemas,
not host or layout), the one loader (``parse_document``, through ``safe_read``, cached so a file
is parsed once per run) and ``Specification``, the parsed-once value plan and publish share.

Why one module: the same concept ("which format is this file, how does APIM export it, how is
it imported") used to be spelled in five tables (extract, apply, config, artifacts, kinds) that
had to agree. The export recipes (``--spec-format`` values), the ARM import formats and the API
types that have no specification are defined here; other modules import them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Mapping

from .errors import ConfigError
from .kinds import SPEC_EXTENSIONS
from .model import Resource, canonical_json

__all__ = [
    "SpecFormat",
    "SPEC_FORMATS",
    "DEFAULT_SPEC_FORMAT",
    "WSDL_RECIPE",
    "spec_format_for",
    "recipe_for_content_format",
    "IMPORT_FORMATS",
    "import_format",
    "NO_SPEC_API_TYPES",
    "IMPORTED_SCHEMA_TYPES",
    "api_type",
    "SPEC_EXTENSIONS",
    "EXT_FOR_CONTENT_FORMAT",
    "CONFIG_SPEC_FORMATS",
    "parse_document",
    "spec_signature",
    "spec_parts",
    "Specification",
]


@dataclass(frozen=True)
class SpecFormat:
    """How one ``--spec-format`` choice is exported and stored."""

    export: str  # the ARM export format (``openapi-link`` …)
    content_format: str  # the ARM import format the file stands for (what the tree reader reports)
    ext: str  # the file extension
    to_yaml: bool = False  # APIM exports OpenAPI v2 as JSON only: convert client-side


#: ``--spec-format`` value → export recipe
SPEC_FORMATS: Mapping[str, SpecFormat] = {
    "openapi-v3-yaml": SpecFormat("openapi-link", "openapi", "yaml"),
    "openapi-v3-json": SpecFormat("openapi+json-link", "openapi+json", "json"),
    "openapi-v2-json": SpecFormat("swagger-link", "swagger-json", "json"),
    "openapi-v2-yaml": SpecFormat("swagger-link", "openapi", "yaml", to_yaml=True),
    "wadl": SpecFormat("wadl-link", "wadl-xml", "wadl"),
}
DEFAULT_SPEC_FORMAT = "openapi-v3-yaml"

#: Azure/apiops spellings (API_SPECIFICATION_FORMAT) accepted as aliases
_SPEC_ALIASES: Mapping[str, str] = {
    "yaml": "openapi-v3-yaml",
    "json": "openapi-v3-json",
    "openapiv3yaml": "openapi-v3-yaml",
    "openapiv3json": "openapi-v3-json",
    "openapiv2yaml": "openapi-v2-yaml",
    "openapiv2json": "openapi-v2-json",
}

#: SOAP APIs always export as WSDL, whatever ``--spec-format`` says
WSDL_RECIPE = SpecFormat("wsdl-link", "wsdl", "wsdl")

#: the recipe whose export compares with a file of this content format (a WADL file, a WADL export)
_RECIPE_FOR_CONTENT_FORMAT: Mapping[str, str] = {
    "openapi": "openapi-v3-yaml",
    "openapi+json": "openapi-v3-json",
    "swagger-json": "openapi-v2-json",
    "wadl-xml": "wadl",
}


def spec_format_for(name: str | None) -> SpecFormat:
    """The export recipe for a ``--spec-format`` value (case-insensitive; apiops aliases accepted)."""
    if not name:
        return SPEC_FORMATS[DEFAULT_SPEC_FORMAT]
    lowered = name.strip().lower()
    if lowered in SPEC_FORMATS:
        return SPEC_FORMATS[lowered]
    squashed = lowered.replace("-", "").replace("_", "")
    if squashed in _SPEC_ALIASES:
        return SPEC_FORMATS[_SPEC_ALIASES[squashed]]
    raise ConfigError(f"unknown specification format {name!r}; use one of {', '.join(SPEC_FORMATS)}")


def recipe_for_content_format(content_format: str | None) -> SpecFormat:
    """The export recipe for a file of ``content_format`` (OpenAPI v3 YAML when unknown)."""
    return SPEC_FORMATS[_RECIPE_FOR_CONTENT_FORMAT.get(content_format or "openapi", DEFAULT_SPEC_FORMAT)]


#: specification content format → ARM import format (and whether ``?import=true`` is needed)
IMPORT_FORMATS: dict[str, tuple[str, bool]] = {
    "openapi": ("openapi", False),
    "openapi+json": ("openapi+json", False),
    "swagger-json": ("swagger-json", False),
    "wadl-xml": ("wadl-xml", True),
    "wsdl": ("wsdl", True),
}


def import_format(content_format: str | None) -> tuple[str, bool]:
    """``(ARM import format, needs ?import=true)`` for a file's content format."""
    return IMPORT_FORMATS.get(content_format or "", (content_format or "openapi", False))


#: API types that have no specification document to export or import
NO_SPEC_API_TYPES = frozenset({"websocket", "odata", "grpc"})

#: API schemas APIM generates from an imported specification (re-created by every import, so
#: writing them would duplicate the specification and fight it on publish)
IMPORTED_SCHEMA_TYPES = frozenset(
    {
        "application/vnd.oai.openapi.components+json",
        "application/vnd.ms-azure-apim.swagger.definitions+json",
        "application/vnd.ms-azure-apim.xsd+xml",
        "application/vnd.ms-azure-apim.wadl.grammars+xml",
        "application/vnd.ms-azure-apim.graphql.schema",
    }
)


def api_type(body: Mapping[str, Any]) -> str:
    """An API body's type (``http``, ``soap``, ``graphql``, ``websocket`` …), lower case."""
    raw = body.get("properties")
    properties: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    value = properties.get("type") or properties.get("apiType") or "http"
    return str(value).lower()


#: the file extension a specification is written with, by ARM import format
EXT_FOR_CONTENT_FORMAT: dict[str, str] = {
    "openapi": "yaml",
    "openapi+json": "json",
    "swagger-json": "json",
    "wadl-xml": "wadl",
    "wsdl": "wsdl",
    "graphql": "graphql",
}

#: extractor configuration ``apiSpecificationFormat`` values (case-insensitive) → canonical name (Azure/apiops §1.4)
CONFIG_SPEC_FORMATS: dict[str, str] = {
    "json": "OpenApiV3Json",
    "yaml": "OpenApiV3Yaml",
    "openapiv3json": "OpenApiV3Json",
    "openapiv3yaml": "OpenApiV3Yaml",
    "openapiv2json": "OpenApiV2Json",
    "openapiv2yaml": "OpenApiV2Yaml",
    "wadl": "Wadl",
}


# -- what a specification means: its signature ------------------------------------------------

_OPENAPI_HOST_KEYS = ("servers", "host", "basePath", "schemes", "info")


@lru_cache(maxsize=64)
def parse_document(text: str) -> Any:
    """The spec through ``safe_read`` (strict JSON, bounded YAML); None (compared as text) when unreadable.

    Cached by text, so one file is parsed once per run whoever asks (signature, recipe, checks):
    the value is shared, read it and never change it."""
    from .errors import ApiOpsError
    from .safe_read import MAX_SPEC_DEPTH, load_json, load_yaml_plain

    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        return None
    if stripped[0] in "{[":
        try:
            return load_json(stripped, "specification", max_depth=MAX_SPEC_DEPTH)
        except ApiOpsError:
            pass
    try:  # libyaml (inside load_yaml_plain) is ~50x faster than the pure-Python parser on large specs
        return load_yaml_plain(stripped, "specification")
    except ApiOpsError:  # anything unparsable compares as text
        return None


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


_HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
#: schema keywords that change what a message may contain (documentation keywords are not compared)
_SCHEMA_KEYWORDS = ("type", "format", "required", "enum", "items", "properties", "additionalProperties",
                    "allOf", "oneOf", "anyOf", "not", "nullable", "$ref", "minimum", "maximum",
                    "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "readOnly",
                    "writeOnly", "discriminator")


def _schema_shape(node: Any, refs: set[str] | None = None) -> Any:
    """A schema reduced to what it allows: types, properties, required, references (by last segment).

    Plain ``dict``/``list`` checks (the document went through JSON): ``isinstance(x, Mapping)``
    costs several times more, and this runs over every schema of every specification of a plan.

    ``refs`` (when given) collects the names of every ``$ref`` met on the way.
    """
    if isinstance(node, list):
        return [_schema_shape(item, refs) for item in node]
    if not isinstance(node, dict):
        return node
    shape: dict[str, Any] = {}
    for name in _SCHEMA_KEYWORDS:
        if name not in node:
            continue
        value = node[name]
        if name == "$ref" and isinstance(value, str):
            shape[name] = value.rsplit("/", 1)[-1]
            if refs is not None:
                refs.add(shape[name])
        elif name == "properties" and isinstance(value, dict):
            shape[name] = {str(k): _schema_shape(v, refs) for k, v in value.items()}
        elif name == "required" and isinstance(value, list):
            shape[name] = sorted(map(str, value))
        elif name == "enum" and isinstance(value, list):
            shape[name] = sorted(map(canonical_json, value))
        elif name == "discriminator" and isinstance(value, dict):
            shape[name] = value.get("propertyName")
        else:
            shape[name] = _schema_shape(value, refs)
    return shape


_STATUS_CODE = re.compile(r"[1-5][0-9][0-9]")


def _pointer(document: Mapping[str, Any], node: Any) -> Any:
    """Follow a local ``$ref`` chain (``#/components/requestBodies/x``...) to the object it names."""
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        ref = node["$ref"]
        if ref in seen:
            return node
        seen.add(ref)
        target: Any = document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                return node
            target = target[part]
        node = target
    return node


def _media_schemas(document: Mapping[str, Any], operation: Mapping[str, Any], parameters: list[Any],
                   v2: bool) -> Iterable[tuple[str, str, Any]]:
    """``(where, content type, schema)`` of an operation's request body and numbered responses."""
    if v2:
        for param in parameters:
            if isinstance(param, dict) and param.get("in") == "body":
                yield "request", "", param.get("schema")
    else:
        body = _pointer(document, operation.get("requestBody"))
        if isinstance(body, dict) and isinstance(body.get("content"), dict):
            for content_type, media in body["content"].items():
                if isinstance(media, dict):
                    yield "request", str(content_type), media.get("schema")
    for code, response in (operation.get("responses") or {}).items():
        if not _STATUS_CODE.fullmatch(str(code)):
            continue
        response = _pointer(document, response)
        if not isinstance(response, dict):
            continue
        if v2:
            yield str(code), "", response.get("schema")
        elif isinstance(response.get("content"), dict):
            for content_type, media in response["content"].items():
                if isinstance(media, dict):
                    yield str(code), str(content_type), media.get("schema")


def _openapi_signature(document: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Operations (with the shape of each request/response schema) and the standalone named schemas;
    second, every named schema's shape (for the plan's diff lines, never compared).

    Why media schemas are compared by shape and not by name: APIM's import moves every inline
    request/response schema into a named component (``components.schemas`` / ``definitions``) and
    its export refers to it by that generated name. A ``$ref`` at the top of a media schema is
    therefore followed (one chain, no recursion), and a named schema that is only ever used that
    way is compared inside the operations rather than by its name; nested references stay names.
    """
    document = _plain(document)
    v2 = "swagger" in document
    raw_components = document.get("components")
    components: dict[str, Any] = raw_components if isinstance(raw_components, dict) else {}
    named = components.get("schemas") if isinstance(components.get("schemas"), dict) else None
    if named is None and isinstance(document.get("definitions"), dict):
        named = document["definitions"]  # OpenAPI v2
    named = named or {}
    nested: set[str] = set()   # names referenced from inside a schema
    at_top: set[str] = set()   # names a media schema refers to directly
    shapes = {str(k): _schema_shape(v, nested) for k, v in named.items()}
    as_text: dict[str, str] = {}  # a named schema's shape as canonical JSON, made once per name
    operations: dict[str, Any] = {}
    for path, item in (document.get("paths") or {}).items():
        item = _pointer(document, item)
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method.lower() not in _HTTP_METHODS or not isinstance(operation, dict):
                continue
            parameters = [_pointer(document, p) for p in list(shared or []) + list(operation.get("parameters") or [])]
            params = sorted(
                (str(p.get("in", "")), str(p.get("name", "")), bool(p.get("required", False)))
                for p in parameters
                if isinstance(p, dict) and p.get("in") != "body"
            )
            media = []
            for where, content_type, schema in _media_schemas(document, operation, parameters, v2):
                seen: set[str] = set()
                name = None
                while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
                    target = schema["$ref"].rsplit("/", 1)[-1]
                    if target in seen or target not in named:
                        break
                    seen.add(target)
                    at_top.add(target)
                    name, schema = target, named[target]
                if name is not None and schema is named[name]:
                    if name not in as_text:
                        as_text[name] = canonical_json(shapes[name]) if shapes[name] else ""
                    text = as_text[name]
                else:
                    shape = _schema_shape(schema, nested)
                    text = canonical_json(shape) if shape else ""
                if text:
                    media.append([where, content_type, text])
            operations[f"{method.upper()} {re.sub(r'{[^}]*}', '{}', path)}"] = {
                "parameters": params,
                "responses": sorted(str(code) for code in (operation.get("responses") or {})
                                    if _STATUS_CODE.fullmatch(str(code))),
                "body": bool(operation.get("requestBody")) or any(p.get("in") == "body" for p in parameters
                                                                 if isinstance(p, dict)),
                "media": sorted(media),
            }
    return {"operations": operations,
            "schemas": {k: v for k, v in shapes.items() if k in nested or k not in at_top}}, shapes


def _xml_root(text: str) -> Any:
    """Parse XML with xml.etree; a document type declaration (entities) is never parsed."""
    import xml.etree.ElementTree as ET

    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return None
    try:
        return ET.fromstring(text.lstrip("\ufeff").strip().encode("utf-8"))
    except ET.ParseError:
        return None


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _wsdl_signature(root: Any) -> dict[str, Any]:
    """WSDL 1.1/2.0: the operations of each port type (interface) and each binding's SOAP actions."""
    operations: dict[str, Any] = {}
    for holder in root:
        if _local(holder.tag) not in ("portType", "interface"):
            continue
        for operation in holder:
            if _local(operation.tag) == "operation":
                operations[str(operation.get("name"))] = {"soapAction": None}
    for binding in root:
        if _local(binding.tag) != "binding":
            continue
        for operation in binding:
            if _local(operation.tag) != "operation":
                continue
            for child in operation:
                if _local(child.tag) == "operation" and child.get("soapAction") is not None:
                    entry = operations.setdefault(str(operation.get("name")), {"soapAction": None})
                    entry["soapAction"] = child.get("soapAction")
    return {"operations": operations}


def _wadl_signature(root: Any) -> dict[str, Any]:
    """WADL: (method, path) of every method, with its parameters by style and name."""
    methods_by_id = {m.get("id"): m for m in root if _local(m.tag) == "method" and m.get("id")}
    operations: dict[str, Any] = {}

    def params(element: Any, style_filter: tuple[str, ...] = ("template", "query", "header")) -> list[tuple[str, str]]:
        return [(p.get("style") or "", p.get("name") or "") for p in element
                if _local(p.tag) == "param" and (p.get("style") or "") in style_filter]

    def walk(resource: Any, prefix: str, inherited: list[tuple[str, str]]) -> None:
        segment = (resource.get("path") or "").strip()
        path = prefix.rstrip("/") + ("/" + segment.lstrip("/") if segment else "")
        path = re.sub(r"\{\s*([^}:\s]+)\s*:[^}]*\}", r"{\1}", path)
        scope = inherited + params(resource)
        for child in resource:
            tag = _local(child.tag)
            if tag == "method":
                method = methods_by_id.get((child.get("href") or "").lstrip("#"), child) if child.get("href") else child
                found = list(scope)
                for request in method:
                    if _local(request.tag) == "request":
                        found += params(request)
                key = f"{(method.get('name') or 'GET').upper()} {re.sub(r'{[^}]*}', '{}', path or '/')}"
                operations[key] = {"parameters": sorted(set(found))}
            elif tag == "resource":
                walk(child, path, scope)

    for resources in root:
        if _local(resources.tag) == "resources":
            for resource in resources:
                if _local(resource.tag) == "resource":
                    walk(resource, "", [])
    return {"operations": operations}


def spec_signature(text: str | None, content_format: str | None = None) -> Any:
    """What a specification means for APIM: its operations and schemas, not its host or layout.

    OpenAPI/Swagger documents compare as the set of (method, path) with each operation's
    parameters, request and responses, plus the shared schemas (``components.schemas`` or
    ``definitions``, reduced to what they allow); ``servers``/``host``/``info`` are dropped (the
    export carries the gateway host name and the API's display name). WSDL compares as its
    operations and SOAP actions, WADL as its methods and paths with their parameters (both parsed
    with xml.etree, never with a document type declaration). GraphQL SDL compares as text with
    whitespace normalised.
    """
    if text is None:
        return None
    return spec_parts(text, (content_format or "").lower())[0]


@lru_cache(maxsize=64)
def spec_parts(text: str, fmt: str) -> tuple[Any, Mapping[str, Any]]:
    """``(signature, named schema shapes)``; cached because a plan asks twice for each put
    (``resources_equal``, then ``property_diff``) and parsing is the expensive part. The values
    are shared: read them, never change them."""
    stripped = text.lstrip("\ufeff").lstrip()
    if fmt in ("wsdl", "wadl-xml", "wadl") or (not fmt and stripped.startswith("<")):
        root = _xml_root(text)
        if root is not None:
            if _local(root.tag) in ("definitions", "description"):
                return _wsdl_signature(root), {}
            if _local(root.tag) == "application":
                return _wadl_signature(root), {}
    elif fmt.startswith(("openapi", "swagger")) or not fmt:
        document = parse_document(text)
        if isinstance(document, Mapping) and ("paths" in document or "openapi" in document or "swagger" in document):
            return _openapi_signature(document)
    return re.sub(r"\s+", " ", text.replace("\r\n", "\n")).strip(), {}


@dataclass(frozen=True)
class Specification:
    """A specification file's text and format, parsed at most once (the parse is cached by text).

    Why a value: plan compares signatures, publish picks the export that matches the file,
    and both used to parse the same document again each time they looked at it.
    """

    text: str
    content_format: str | None = None

    @classmethod
    def of(cls, resource: Resource) -> "Specification | None":
        return None if resource.content is None else cls(resource.content, resource.content_format)

    @property
    def document(self) -> Any:
        """The parsed YAML/JSON document (None for XML, GraphQL or unreadable text); shared, read only."""
        return parse_document(self.text)

    @property
    def signature(self) -> Any:
        return spec_signature(self.text, self.content_format)

    @property
    def is_swagger(self) -> bool:
        """An OpenAPI v2 (Swagger) document, whatever its file says."""
        if "swagger" not in self.text[:2000]:
            return False
        document = self.document
        return isinstance(document, Mapping) and "swagger" in document

    def export_recipe(self) -> SpecFormat:
        """The export that compares with this file (a v2 YAML file compares with a v2 export)."""
        if (self.content_format or "openapi") == "openapi" and self.is_swagger:
            return SPEC_FORMATS["openapi-v2-json"]
        return recipe_for_content_format(self.content_format)
