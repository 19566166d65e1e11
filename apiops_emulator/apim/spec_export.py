"""Render a stored API (ARM bodies of the API, its operations and schemas) as a definition document.

The emulator serves ``GET apis/{id}?export=true&format=…`` from this; extractors store the result as
``specification.yaml|json|wsdl|wadl`` and publishers import it again, so the output follows what APIM
emits (OpenAPI 3.0.1 with ``apiKeyHeader``/``apiKeyQuery`` security schemes, Swagger 2.0, WADL, WSDL
1.1 with ``<Op>_InputMessage`` messages) and must survive ``import_definition`` unchanged in the parts
a publisher relies on: operation names, methods, URL templates and parameters.

Output is built from dicts/element lists in a fixed order, so repeated exports are byte-identical.
"""
from __future__ import annotations

import io
import json
import re
from typing import Any, Sequence
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as _xml_escape
from xml.sax.saxutils import quoteattr as _xml_quoteattr

from .spec_import import (
    APIM_EXT_NS,
    OPENAPI_COMPONENTS_CT,
    SOAP11_NS,
    SOAP12_NS,
    SWAGGER_DEFINITIONS_CT,
    WADL_GRAMMARS_CT,
    WSDL_NS,
    XSD_CT,
    DefinitionError,
    _parse_xml,
    _template_names,
)

__all__ = ["export_definition", "EXPORT_FORMATS"]

#: export format -> content type of the produced document
EXPORT_FORMATS: dict[str, str] = {
    "openapi": "application/yaml",
    "openapi+json": "application/json",
    "swagger": "application/json",
    "wadl": "application/vnd.sun.wadl+xml",
    "wsdl": "text/xml",
}

_FORMAT_ALIASES = {
    "openapi-link": "openapi", "openapi+json-link": "openapi+json", "swagger-link": "swagger",
    "swagger-json": "swagger", "swagger-link-json": "swagger", "wadl-link": "wadl", "wadl-xml": "wadl",
    "wadl-link-json": "wadl", "wsdl-link": "wsdl",
}

_DEFAULT_KEY_NAMES = {"header": "Ocp-Apim-Subscription-Key", "query": "subscription-key"}


def export_definition(fmt: str, api: dict, operations: list[dict], schemas: list[dict], *,
                      server_url: str) -> tuple[str, str]:
    """Return ``(document text, content type)`` for ``api`` in export format ``fmt``.

    ``server_url`` is the gateway base (e.g. ``https://svc.azure-api.net``); the API's ``path`` is
    appended to it the way APIM's ``servers``/``host``+``basePath``/``soap:address`` are.
    Raises :class:`DefinitionError` for an unknown format or a WSDL export of a non-SOAP API.
    """
    key = (fmt or "").strip().lower()
    key = _FORMAT_ALIASES.get(key, key)
    if key not in EXPORT_FORMATS:
        raise DefinitionError(f"unsupported export format {fmt!r}; expected one of: " + ", ".join(EXPORT_FORMATS))
    view = _ApiView(api, operations, schemas, server_url)
    if key == "openapi":
        return _dump_yaml(_openapi3(view)), EXPORT_FORMATS[key]
    if key == "openapi+json":
        return json.dumps(_openapi3(view), indent=2, ensure_ascii=False), EXPORT_FORMATS[key]
    if key == "swagger":
        return json.dumps(_swagger2(view), indent=2, ensure_ascii=False), EXPORT_FORMATS[key]
    if key == "wadl":
        return _wadl(view), EXPORT_FORMATS[key]
    return _wsdl(view), EXPORT_FORMATS[key]


# --------------------------------------------------------------------------------------------------
# normalised view of the stored API

class _ApiView:
    """Stored ARM bodies reduced to what the renderers need (tolerates missing/None members)."""

    def __init__(self, api: dict, operations: list[dict], schemas: list[dict], server_url: str) -> None:
        self.name = str(api.get("name") or "api")
        self.props = dict(api.get("properties") or {})
        self.display_name = str(self.props.get("displayName") or self.name)
        self.description = str(self.props.get("description") or "")
        self.version = str(self.props.get("apiVersion") or "1.0")
        self.path = str(self.props.get("path") or "").strip("/")
        base = server_url.rstrip("/")
        # accept a gateway URL that already ends with the API path (tolerated, not doubled)
        if self.path and not base.lower().endswith("/" + self.path.lower()):
            base += "/" + self.path
        self.base_url = base
        self.protocols = [p for p in (self.props.get("protocols") or ["https"]) if p in ("http", "https")]
        self.subscription_required = self.props.get("subscriptionRequired", True) is not False
        names = self.props.get("subscriptionKeyParameterNames") or {}
        self.key_names = {k: str(names.get(k) or v) for k, v in _DEFAULT_KEY_NAMES.items()}
        self.operations = [{"name": str(o.get("name") or ""), **dict(o.get("properties") or {})} for o in operations]
        self.schemas = [{"name": str(s.get("name") or ""), **dict(s.get("properties") or {})} for s in schemas]

    def json_type_schemas(self, ref_prefix: str) -> dict[str, Any]:
        """Named JSON schemas from OpenAPI components and Swagger definitions, refs rewritten."""
        out: dict[str, Any] = {}
        for schema in self.schemas:
            document = schema.get("document") or {}
            if isinstance(document.get("value"), str) and "components" not in document and "definitions" not in document:
                try:
                    document = json.loads(document["value"])
                except ValueError:
                    continue
            if not isinstance(document, dict):
                continue
            ct = schema.get("contentType")
            if ct == OPENAPI_COMPONENTS_CT or "components" in document:
                named = (document.get("components") or {}).get("schemas") or {}
            elif ct == SWAGGER_DEFINITIONS_CT or "definitions" in document:
                named = document.get("definitions") or {}
            else:
                continue
            for type_name, body in named.items():
                out.setdefault(str(type_name), _rewrite_refs(body, ref_prefix))
        return out

    def xml_schemas(self, content_type: str) -> list[str]:
        """Stored XML schema documents of one content type that are safe to embed."""
        out = []
        for schema in self.schemas:
            if schema.get("contentType") != content_type:
                continue
            value = (schema.get("document") or {}).get("value")
            if not isinstance(value, str) or not value.strip():
                continue
            text = re.sub(r"^\s*(\ufeff)?(<\?xml[^>]*\?>)?\s*", "", value)
            try:
                _parse_xml(text, "schema")
            except DefinitionError:
                continue
            out.append(text)
        return out


def _rewrite_refs(node: Any, ref_prefix: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                m = re.match(r"^#/(?:definitions|components/schemas)/(.+)$", v)
                out[k] = ref_prefix + m.group(1) if m else v
            else:
                out[k] = _rewrite_refs(v, ref_prefix)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, ref_prefix) for v in node]
    return node


def _split_template(url_template: str) -> tuple[str, set[str]]:
    """(path key, names of template parameters that live in the query part).

    A URL template with a query part keeps it in the path key (APIM allows ``/a?b={b}``); that is
    the only way two operations differing only in query templates stay distinct and re-import alike.
    """
    url_template = url_template or "/"
    if not url_template.startswith("/"):
        url_template = "/" + url_template
    _, _, query = url_template.partition("?")
    return url_template, set(_template_names(query))


def _schema_of(param: dict) -> dict:
    schema: dict[str, Any] = {"type": str(param.get("type") or "string")}
    values = param.get("values") or []
    if values:
        schema["enum"] = list(values)
    if param.get("defaultValue") is not None:
        schema["default"] = param["defaultValue"]
    return schema


def _op_params(op: dict) -> list[tuple[str, dict, bool]]:
    """(in, parameter, required) for an operation, OpenAPI locations."""
    _, query_templates = _split_template(op.get("urlTemplate") or "/")
    out = []
    for p in op.get("templateParameters") or []:
        out.append(("query" if p.get("name") in query_templates else "path", p, True))
    request = op.get("request") or {}
    for p in request.get("queryParameters") or []:
        out.append(("query", p, bool(p.get("required", False))))
    for p in request.get("headers") or []:
        out.append(("header", p, bool(p.get("required", False))))
    return out


def _examples_v3(rep: dict) -> dict:
    examples = rep.get("examples") or {}
    if not isinstance(examples, dict) or not examples:
        return {}
    if list(examples) == ["default"] and isinstance(examples["default"], dict):
        return {"example": examples["default"].get("value")}
    return {"examples": {k: {kk: v[kk] for kk in ("summary", "description", "value") if kk in v}
                         for k, v in examples.items() if isinstance(v, dict)}}


# --------------------------------------------------------------------------------------------------
# OpenAPI 3.0.1

def _openapi3(view: _ApiView) -> dict:
    known = view.json_type_schemas("#/components/schemas/")
    info: dict[str, Any] = {"title": view.display_name}
    if view.description:
        info["description"] = view.description
    info["version"] = view.version
    doc: dict[str, Any] = {"openapi": "3.0.1", "info": info, "servers": [{"url": view.base_url}], "paths": {}}
    for op in view.operations:
        path_key, _ = _split_template(op.get("urlTemplate") or "/")
        item = doc["paths"].setdefault(path_key, {})
        item[str(op.get("method") or "GET").lower()] = _openapi3_operation(op, known)
    components: dict[str, Any] = {}
    if known:
        components["schemas"] = known
    if view.subscription_required:
        components["securitySchemes"] = {
            "apiKeyHeader": {"type": "apiKey", "name": view.key_names["header"], "in": "header"},
            "apiKeyQuery": {"type": "apiKey", "name": view.key_names["query"], "in": "query"},
        }
    if components:
        doc["components"] = components
    if view.subscription_required:
        doc["security"] = [{"apiKeyHeader": []}, {"apiKeyQuery": []}]
    return doc


def _media_v3(rep: dict, known: dict[str, Any]) -> dict:
    media: dict[str, Any] = {}
    form = rep.get("formParameters") or []
    if form:
        media["schema"] = {"type": "object",
                           "properties": {p["name"]: {"type": str(p.get("type") or "string")} for p in form},
                           **({"required": [p["name"] for p in form if p.get("required")]}
                              if any(p.get("required") for p in form) else {})}
    elif rep.get("typeName") in known:
        media["schema"] = {"$ref": "#/components/schemas/" + rep["typeName"]}
    media.update(_examples_v3(rep))
    return media


def _openapi3_operation(op: dict, known: dict[str, Any]) -> dict:
    out: dict[str, Any] = {"summary": str(op.get("displayName") or op["name"])}
    if op.get("description"):
        out["description"] = str(op["description"])
    out["operationId"] = op["name"]
    params = []
    for loc, p, required in _op_params(op):
        entry: dict[str, Any] = {"name": p.get("name"), "in": loc}
        if p.get("description"):
            entry["description"] = p["description"]
        entry["required"] = required
        entry["schema"] = _schema_of(p)
        params.append(entry)
    if params:
        out["parameters"] = params
    request = op.get("request") or {}
    reps = request.get("representations") or []
    if reps:
        body: dict[str, Any] = {}
        if request.get("description"):
            body["description"] = request["description"]
        body["content"] = {str(r.get("contentType") or "application/json"): _media_v3(r, known) for r in reps}
        out["requestBody"] = body
    responses: dict[str, Any] = {}
    for resp in op.get("responses") or []:
        entry = {"description": str(resp.get("description") or "")}
        headers = {h["name"]: {**({"description": h["description"]} if h.get("description") else {}),
                               "schema": _schema_of(h)} for h in resp.get("headers") or [] if h.get("name")}
        if headers:
            entry["headers"] = headers
        content = {str(r.get("contentType") or "application/json"): _media_v3(r, known)
                   for r in resp.get("representations") or []}
        if content:
            entry["content"] = content
        responses[str(resp.get("statusCode", 200))] = entry
    out["responses"] = responses or {"200": {"description": ""}}
    return out


# --------------------------------------------------------------------------------------------------
# Swagger 2.0

def _swagger2(view: _ApiView) -> dict:
    known = view.json_type_schemas("#/definitions/")
    parts = urlsplit(view.base_url)
    info: dict[str, Any] = {"title": view.display_name}
    if view.description:
        info["description"] = view.description
    info["version"] = view.version
    doc: dict[str, Any] = {"swagger": "2.0", "info": info, "host": parts.netloc or "localhost",
                           "basePath": parts.path or "/",
                           "schemes": view.protocols or [parts.scheme or "https"]}
    if view.subscription_required:
        doc["securityDefinitions"] = {
            "apiKeyHeader": {"type": "apiKey", "name": view.key_names["header"], "in": "header"},
            "apiKeyQuery": {"type": "apiKey", "name": view.key_names["query"], "in": "query"},
        }
        doc["security"] = [{"apiKeyHeader": []}, {"apiKeyQuery": []}]
    doc["paths"] = {}
    for op in view.operations:
        path_key, _ = _split_template(op.get("urlTemplate") or "/")
        item = doc["paths"].setdefault(path_key, {})
        item[str(op.get("method") or "GET").lower()] = _swagger2_operation(op, known)
    if known:
        doc["definitions"] = known
    return doc


def _swagger2_operation(op: dict, known: dict[str, Any]) -> dict:
    out: dict[str, Any] = {"summary": str(op.get("displayName") or op["name"])}
    if op.get("description"):
        out["description"] = str(op["description"])
    out["operationId"] = op["name"]
    request = op.get("request") or {}
    reps = request.get("representations") or []
    consumes = [str(r.get("contentType")) for r in reps if r.get("contentType")]
    produces: list[str] = []
    for resp in op.get("responses") or []:
        for r in resp.get("representations") or []:
            if r.get("contentType") and r["contentType"] not in produces:
                produces.append(str(r["contentType"]))
    if consumes:
        out["consumes"] = consumes
    if produces:
        out["produces"] = produces
    params = []
    for loc, p, required in _op_params(op):
        entry: dict[str, Any] = {"name": p.get("name"), "in": loc}
        if p.get("description"):
            entry["description"] = p["description"]
        entry["required"] = required
        entry.update(_schema_of(p))
        params.append(entry)
    form = next((r.get("formParameters") for r in reps if r.get("formParameters")), None)
    if form:
        for p in form:
            params.append({"name": p.get("name"), "in": "formData", "required": bool(p.get("required", False)),
                           **_schema_of(p)})
    elif reps:
        body: dict[str, Any] = {"name": "body", "in": "body"}
        if request.get("description"):
            body["description"] = request["description"]
        type_name = next((r.get("typeName") for r in reps if r.get("typeName") in known), None)
        body["schema"] = {"$ref": "#/definitions/" + type_name} if type_name else {"type": "object"}
        params.append(body)
    out["parameters"] = params
    responses: dict[str, Any] = {}
    for resp in op.get("responses") or []:
        entry = {"description": str(resp.get("description") or "")}
        type_name = next((r.get("typeName") for r in resp.get("representations") or [] if r.get("typeName") in known),
                         None)
        if type_name:
            entry["schema"] = {"$ref": "#/definitions/" + type_name}
        headers = {h["name"]: {**({"description": h["description"]} if h.get("description") else {}),
                               **_schema_of(h)} for h in resp.get("headers") or [] if h.get("name")}
        if headers:
            entry["headers"] = headers
        responses[str(resp.get("statusCode", 200))] = entry
    out["responses"] = responses or {"200": {"description": ""}}
    return out


# --------------------------------------------------------------------------------------------------
# XML building

class _El:
    """Minimal ordered XML element for deterministic, pretty-printed output."""

    def __init__(self, tag: str, attrs: Sequence[tuple[str, str | None]] | None = None, text: str | None = None,
                 raw: str | None = None) -> None:
        self.tag, self.attrs, self.text, self.raw = tag, list(attrs or ()), text, raw
        self.children: list[_El] = []

    def add(self, child: "_El") -> "_El":
        self.children.append(child)
        return child

    def render(self, out: list[str], depth: int = 0) -> None:
        pad = "  " * depth
        if self.raw is not None:
            out.append(pad + self.raw.strip() + "\n")
            return
        attrs = "".join(f" {k}={_xml_quoteattr(str(v))}" for k, v in self.attrs if v is not None)
        if not self.children and not self.text:
            out.append(f"{pad}<{self.tag}{attrs} />\n")
        elif not self.children:
            out.append(f"{pad}<{self.tag}{attrs}>{_xml_escape(self.text or '')}</{self.tag}>\n")
        else:
            out.append(f"{pad}<{self.tag}{attrs}>\n")
            if self.text:
                out.append(f"{pad}  {_xml_escape(self.text)}\n")
            for child in self.children:
                child.render(out, depth + 1)
            out.append(f"{pad}</{self.tag}>\n")


def _xml_document(root: _El) -> str:
    out = ['<?xml version="1.0" encoding="utf-8"?>\n']
    root.render(out)
    return "".join(out)


_XS_TYPES = {"integer": "xs:integer", "number": "xs:double"}


def _xs_type(ptype: str | None) -> str:
    ptype = str(ptype or "string")
    return _XS_TYPES.get(ptype, "xs:" + re.sub(r"[^A-Za-z0-9_.-]", "_", ptype))


# --------------------------------------------------------------------------------------------------
# WADL

def _wadl(view: _ApiView) -> str:
    app = _El("application", [("xmlns", "http://wadl.dev.java.net/2009/02"),
                              ("xmlns:xs", "http://www.w3.org/2001/XMLSchema")])
    app.add(_El("doc", [("title", view.display_name)], text=view.description or None))
    grammars = view.xml_schemas(WADL_GRAMMARS_CT)
    if grammars:
        app.add(_El("grammars", raw=grammars[0]))
    else:
        xsds = view.xml_schemas(XSD_CT)
        if xsds:
            g = app.add(_El("grammars"))
            for xsd in xsds:
                g.add(_El("schema", raw=xsd))
    resources = app.add(_El("resources", [("base", view.base_url)]))
    by_path: dict[str, _El] = {}
    template_done: dict[str, set[str]] = {}
    for op in view.operations:
        path_key, query_templates = _split_template(op.get("urlTemplate") or "/")
        resource = by_path.get(path_key)
        if resource is None:
            resource = by_path[path_key] = resources.add(_El("resource", [("path", path_key)]))
            template_done[path_key] = set()
        for p in op.get("templateParameters") or []:
            if p.get("name") and p["name"] not in template_done[path_key]:
                template_done[path_key].add(p["name"])
                resource.children.insert(len(template_done[path_key]) - 1, _wadl_param(p, "template", True))
        method = resource.add(_El("method", [("name", str(op.get("method") or "GET").upper()), ("id", op["name"])]))
        method.add(_El("doc", [("title", str(op.get("displayName") or op["name"]))], text=op.get("description") or None))
        request = op.get("request") or {}
        req = _El("request")
        for p in request.get("queryParameters") or []:
            req.add(_wadl_param(p, "query"))
        for p in request.get("headers") or []:
            req.add(_wadl_param(p, "header"))
        for r in request.get("representations") or []:
            req.add(_wadl_representation(r))
        if req.children:
            method.add(req)
        for resp in op.get("responses") or []:
            response = method.add(_El("response", [("status", str(resp.get("statusCode", 200)))]))
            if resp.get("description"):
                response.add(_El("doc", text=str(resp["description"])))
            for h in resp.get("headers") or []:
                response.add(_wadl_param(h, "header"))
            for r in resp.get("representations") or []:
                response.add(_wadl_representation(r))
    return _xml_document(app)


def _wadl_param(p: dict, style: str, required: bool | None = None) -> _El:
    req = required if required is not None else bool(p.get("required", False))
    el = _El("param", [("name", str(p.get("name") or "")), ("style", style), ("type", _xs_type(p.get("type"))),
                       ("required", "true" if req else "false"),
                       ("default", p.get("defaultValue") if p.get("defaultValue") is not None else None)])
    if p.get("description"):
        el.add(_El("doc", text=str(p["description"])))
    for v in p.get("values") or []:
        el.add(_El("option", [("value", str(v))]))
    return el


def _wadl_representation(r: dict) -> _El:
    el = _El("representation", [("mediaType", str(r.get("contentType") or "application/xml")),
                                ("element", r.get("typeName") or None)])
    for p in r.get("formParameters") or []:
        el.add(_wadl_param(p, "query"))
    return el


# --------------------------------------------------------------------------------------------------
# WSDL 1.1

_NCNAME_BAD = re.compile(r"[^A-Za-z0-9_.-]")


def _ncname(text: str, fallback: str) -> str:
    name = _NCNAME_BAD.sub("_", text or "").strip("_") or fallback
    return name if re.match(r"^[A-Za-z_]", name) else "_" + name


def _xsd_elements(xsds: list[str]) -> tuple[str | None, dict[str, str]]:
    """(first target namespace, top-level element name -> its target namespace)."""
    first: str | None = None
    elements: dict[str, str] = {}
    for text in xsds:
        doc = _parse_xml(text, "schema")
        tns = doc.root.get("targetNamespace") or ""
        first = first if first is not None else tns
        for child in doc.root:
            name = child.get("name")
            if child.tag.rsplit("}", 1)[-1] == "element" and name:
                elements.setdefault(name, tns)
    return first, elements


def _wsdl(view: _ApiView) -> str:
    is_soap = view.props.get("type") == "soap" or (
        view.operations and all(str(o.get("urlTemplate") or "").startswith("/?soapAction=") for o in view.operations))
    if not is_soap:
        raise DefinitionError(f"wsdl export is only available for SOAP APIs; API {view.name!r} has type "
                              f"{view.props.get('type') or 'http'!r}")
    xsds = view.xml_schemas(XSD_CT)
    first_tns, elements = _xsd_elements(xsds)
    tns = first_tns or f"http://tempuri.org/{view.name}/"
    soap12 = any(r.get("contentType") == "application/soap+xml"
                 for o in view.operations for r in (o.get("request") or {}).get("representations") or [])
    soap_ns = SOAP12_NS if soap12 else SOAP11_NS
    prefixes = {tns: "tns"}
    for ns in sorted(set(elements.values()) - {tns}):
        prefixes[ns] = f"ns{len(prefixes)}"
    root_attrs = [("xmlns:wsdl", WSDL_NS), ("xmlns:soap", soap_ns), ("xmlns:apim", APIM_EXT_NS)]
    root_attrs += [(f"xmlns:{p}", ns) for ns, p in prefixes.items()]
    root_attrs.append(("targetNamespace", tns))
    root = _El("wsdl:definitions", root_attrs)
    if view.description:
        root.add(_El("wsdl:documentation", text=view.description))
    if xsds:
        types = root.add(_El("wsdl:types"))
        for xsd in xsds:
            types.add(_El("schema", raw=xsd))
    service_name = _ncname(view.display_name, view.name)
    port_type = _El("wsdl:portType", [("name", service_name)])
    binding = _El("wsdl:binding", [("name", service_name), ("type", f"tns:{service_name}")])
    binding.add(_El("soap:binding", [("transport", "http://schemas.xmlsoap.org/soap/http")]))
    used: set[str] = set()
    messages: list[_El] = []
    for op in view.operations:
        op_name = _ncname(str(op.get("displayName") or op["name"]), "Operation")
        base, n = op_name, 2
        while op_name in used:
            op_name, n = f"{base}_{n}", n + 1
        used.add(op_name)
        url = str(op.get("urlTemplate") or "")
        action = url[len("/?soapAction="):] if url.startswith("/?soapAction=") else f"{tns.rstrip('/')}/{op_name}"
        pop = port_type.add(_El("wsdl:operation", [("name", op_name)]))
        if op.get("description"):
            pop.add(_El("wsdl:documentation", text=str(op["description"])))
        request_reps = (op.get("request") or {}).get("representations") or []
        response_reps = next((r.get("representations") or [] for r in op.get("responses") or []
                              if 200 <= int(r.get("statusCode", 200)) < 300), [])
        for kind, reps in (("input", request_reps), ("output", response_reps)):
            msg_name = f"{op_name}_{kind.capitalize()}Message"
            msg = _El("wsdl:message", [("name", msg_name)])
            type_name = next((r.get("typeName") for r in reps if r.get("typeName")), None)
            if type_name:
                ns = elements.get(type_name, tns)
                msg.add(_El("wsdl:part", [("name", "parameters"), ("element", f"{prefixes[ns]}:{type_name}")]))
            messages.append(msg)
            pop.add(_El(f"wsdl:{kind}", [("message", f"tns:{msg_name}")]))
        bop = binding.add(_El("wsdl:operation", [("name", op_name), ("apim:name", op["name"])]))
        bop.add(_El("soap:operation", [("soapAction", action), ("style", "document")]))
        for kind in ("input", "output"):
            bop.add(_El(f"wsdl:{kind}")).add(_El("soap:body", [("use", "literal")]))
    for msg in messages:
        root.add(msg)
    root.add(port_type)
    root.add(binding)
    service = root.add(_El("wsdl:service", [("name", service_name)]))
    service.add(_El("wsdl:port", [("name", service_name), ("binding", f"tns:{service_name}")])).add(
        _El("soap:address", [("location", view.base_url)]))
    return _xml_document(root)


# --------------------------------------------------------------------------------------------------
# YAML

def _dump_yaml(doc: dict) -> str:
    """YAML in insertion order with APIM's indentation (``- url:`` indented under its key)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]  # ruamel declares it None
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return buf.getvalue()
