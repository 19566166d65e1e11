"""Turn an API definition document into APIM API properties, operations and schemas.

The emulator needs this because a PUT of an API with ``format`` + ``value`` makes the real service
generate the API's operations and schemas from the document; an extractor then reads those back and
a publisher re-imports them, so the emulator must produce the same shapes as APIM
(``OperationContract`` / ``SchemaContract`` properties) and must do it deterministically so that a
re-import of the same document is idempotent.

Supported text formats (ARM ``properties.format`` without ``-link``): ``openapi`` (OpenAPI 3 YAML or
JSON), ``openapi+json``, ``swagger-json`` (Swagger 2.0; the OpenAPI formats accept either version,
like the service), ``wadl-xml``, ``wsdl`` (WSDL 1.1, SOAP pass-through) and ``graphql`` (SDL).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape as _xml_escape
from xml.sax.saxutils import quoteattr as _xml_quoteattr

__all__ = ["DefinitionError", "ImportedApi", "import_definition", "stable_id", "sanitize_operation_name"]


class DefinitionError(ValueError):
    """The document is malformed or uses something the emulator cannot import.

    The message names the format and, when known, the line, because the caller turns it into an
    ARM ``ValidationError`` that a user has to act on.
    """


@dataclass
class ImportedApi:
    """What an import contributes to an API: its properties, operations and schemas (ARM shapes)."""

    properties: dict = field(default_factory=dict)
    operations: list[dict] = field(default_factory=list)
    schemas: list[dict] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# shared helpers

OPENAPI_COMPONENTS_CT = "application/vnd.oai.openapi.components+json"
SWAGGER_DEFINITIONS_CT = "application/vnd.ms-azure-apim.swagger.definitions+json"
XSD_CT = "application/vnd.ms-azure-apim.xsd+xml"
WADL_GRAMMARS_CT = "application/vnd.ms-azure-apim.wadl.grammars+xml"
GRAPHQL_CT = "application/vnd.ms-azure-apim.graphql.schema"

WADL_NAMESPACES = ("http://wadl.dev.java.net/2009/02", "http://research.sun.com/wadl/2006/10")
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL20_NS = "http://www.w3.org/ns/wsdl"
SOAP11_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12_NS = "http://schemas.xmlsoap.org/wsdl/soap12/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
#: Extension attribute our WSDL export puts on binding operations so an export/import round trip
#: keeps operation names (WSDL has no standard place for them).
APIM_EXT_NS = "urn:apiops:apim"

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_INVALID_NAME_CHARS = re.compile(r"[*#&+:<>?/\\%\s]")
_VALID_NAME = re.compile(r"^[^*#&+:<>?/\\%\s]{1,80}$")


def stable_id(*parts: str) -> str:
    """A 24-hex-digit id (like the ids APIM generates) derived only from ``parts``.

    Generated ids must not change between imports of the same document, otherwise every re-import
    would delete and recreate operations (and drop their policies).
    """
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:24]


def _kebab(text: str) -> str:
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return re.sub(r"-{2,}", "-", text)


def sanitize_operation_name(operation_id: str | None, method: str, path: str) -> str:
    """Operation name for an OpenAPI operation.

    APIM keeps a valid ``operationId`` verbatim (exports show names such as ``uploadFile``) and
    otherwise derives a lowercase-kebab id; with no ``operationId`` it uses method + path.
    """
    if operation_id:
        op_id = str(operation_id).strip()
        if _VALID_NAME.match(op_id):
            return op_id
        kebab = _kebab(op_id)[:80].strip("-")
        if kebab:
            return kebab
    return (_kebab(f"{method} {path}")[:80].strip("-")) or stable_id(method.upper(), path)


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate.lower() in used:
        suffix = f"-{n}"
        candidate = name[: 80 - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


def _json_safe(node: Any) -> Any:
    """YAML gives dates and integer keys; ARM bodies are JSON, so normalise them."""
    if isinstance(node, dict):
        return {str(k): _json_safe(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_json_safe(v) for v in node]
    if isinstance(node, (_dt.date, _dt.datetime)):
        return node.isoformat()
    if node is None or isinstance(node, (str, int, float, bool)):
        return node
    return str(node)


def _str_values(values: Any) -> list[str]:
    if not isinstance(values, list):
        return []
    out = []
    for v in values:
        if isinstance(v, bool):
            out.append("true" if v else "false")
        elif v is not None:
            out.append(str(v))
    return out


def _pascal(text: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", text) if p)


def _param(name: str, ptype: str, *, description: str | None = None, required: bool | None = None,
           values: list[str] | None = None, default: Any = None) -> dict:
    """An ARM ``ParameterContract`` with APIM's key order."""
    out: dict[str, Any] = {"name": name}
    if description:
        out["description"] = description
    out["type"] = ptype or "string"
    if default is not None:
        out["defaultValue"] = default if isinstance(default, str) else json.dumps(default)
    if required is not None:
        out["required"] = bool(required)
    out["values"] = list(values or [])
    return out


def _template_names(template: str) -> list[str]:
    return [m.split(":", 1)[0].strip() for m in re.findall(r"\{([^}]+)\}", template)]


# --------------------------------------------------------------------------------------------------
# entry point

_FORMAT_ALIASES = {
    "openapi": "openapi",
    "openapi+json": "openapi+json",
    "swagger-json": "swagger-json",
    "swagger": "swagger-json",
    "wadl-xml": "wadl-xml",
    "wadl": "wadl-xml",
    "wsdl": "wsdl",
    "graphql": "graphql",
}


def import_definition(fmt: str, value: str, *, api_name: str,
                      wsdl_selector: dict | None = None) -> ImportedApi:
    """Parse ``value`` (document text in ARM ``format`` ``fmt``) into an :class:`ImportedApi`.

    ``api_name`` seeds generated schema ids so they are stable per API; ``wsdl_selector`` is the
    ARM ``wsdlSelector`` (``wsdlServiceName`` / ``wsdlEndpointName``).
    """
    kind = _FORMAT_ALIASES.get((fmt or "").strip().lower())
    if kind is None:
        raise DefinitionError(
            f"unsupported import format {fmt!r}; expected one of: " + ", ".join(sorted(set(_FORMAT_ALIASES.values())))
            + " (the *-link formats must be downloaded first)")
    if not isinstance(value, str) or not value.strip():
        raise DefinitionError(f"{kind}: the document ('value') is empty")
    text = value.lstrip("\ufeff")
    if kind in ("openapi", "openapi+json", "swagger-json"):
        doc = _load_json(text, kind) if kind != "openapi" else _load_yaml(text, kind)
        return _import_openapi_document(doc, kind, api_name)
    if kind == "wadl-xml":
        return _import_wadl(text, api_name)
    if kind == "wsdl":
        return _import_wsdl(text, api_name, wsdl_selector or {})
    return _import_graphql(text, api_name)


# --------------------------------------------------------------------------------------------------
# loading

def _load_json(text: str, kind: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError(f"{kind}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


def _load_yaml(text: str, kind: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="safe", pure=True)
    try:
        return _json_safe(yaml.load(io.StringIO(text)))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "parse error"
        raise DefinitionError(f"{kind}: invalid YAML{where}: {problem}") from None
    except YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise DefinitionError(f"{kind}: invalid YAML: {exc}") from None


_DTD_RE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


@dataclass
class _XmlDoc:
    """Parsed XML plus the namespace bindings of each element (ElementTree drops prefixes)."""

    root: ET.Element
    bindings: dict[int, list[tuple[str, str]]]
    in_scope: dict[int, dict[str, str]]


def _parse_xml(text: str, kind: str) -> _XmlDoc:
    """Parse untrusted XML; DTDs and entity declarations are refused (XXE / billion laughs)."""
    match = _DTD_RE.search(text)
    if match:
        raise DefinitionError(
            f"{kind}: DOCTYPE/ENTITY declarations are not allowed (line {_line_of(text, match.start())})")
    bindings: dict[int, list[tuple[str, str]]] = {}
    in_scope: dict[int, dict[str, str]] = {}
    pending: list[tuple[str, str]] = []
    stack: list[dict[str, str]] = [{}]
    root = None
    try:
        for event, item in ET.iterparse(io.StringIO(text), events=("start-ns", "start", "end")):
            if event == "start-ns":
                pending.append(item)
            elif event == "start":
                scope = dict(stack[-1])
                scope.update(dict(pending))
                bindings[id(item)] = list(pending)
                in_scope[id(item)] = scope
                stack.append(scope)
                pending = []
                if root is None:
                    root = item
            else:
                stack.pop()
    except ET.ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        msg = str(exc).split(":")[0]
        raise DefinitionError(f"{kind}: invalid XML at line {line}, column {col + 1}: {msg}") from None
    if root is None:  # pragma: no cover - iterparse raises first
        raise DefinitionError(f"{kind}: empty XML document")
    return _XmlDoc(root, bindings, in_scope)


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _qname_local(value: str | None) -> str:
    return (value or "").split(":")[-1]


def serialize_xml(doc: _XmlDoc, elem: ET.Element) -> str:
    """Serialise a subtree keeping the original prefixes and declaring every in-scope namespace.

    ElementTree would rename prefixes to ``ns0`` and break QName-valued attributes such as
    ``type="s:string"`` inside XSD; APIM's stored XSD also re-declares the WSDL's namespaces.
    """
    out: list[str] = []

    def prefix_for(uri: str, scope: dict[str, str]) -> str | None:
        if scope.get("") == uri:
            return ""
        for p, u in scope.items():
            if u == uri and p:
                return p
        return None

    def name(tag: str, scope: dict[str, str], attr: bool = False) -> str:
        uri = _ns(tag)
        if not uri:
            return _local(tag)
        if attr and uri == "http://www.w3.org/XML/1998/namespace":
            return "xml:" + _local(tag)
        p = prefix_for(uri, scope)
        if p is None or (attr and p == ""):
            p = next((q for q, u in scope.items() if u == uri and q), "ns")
        return f"{p}:{_local(tag)}" if p else _local(tag)

    def walk(e: ET.Element, scope: dict[str, str], decls: list[tuple[str, str]]) -> None:
        out.append("<" + name(e.tag, scope))
        for p, u in decls:
            out.append(f" xmlns:{p}={_xml_quoteattr(u)}" if p else f" xmlns={_xml_quoteattr(u)}")
        for k, v in e.attrib.items():
            out.append(f" {name(k, scope, True)}={_xml_quoteattr(v)}")
        if len(e) == 0 and not (e.text or ""):
            out.append(" />")
        else:
            out.append(">")
            out.append(_xml_escape(e.text or ""))
            for child in e:
                child_scope = doc.in_scope.get(id(child), scope)
                walk(child, child_scope, doc.bindings.get(id(child), []))
                out.append(_xml_escape(child.tail or ""))
            out.append(f"</{name(e.tag, scope)}>")

    scope = doc.in_scope.get(id(elem), {})
    used = _used_prefixes(doc, elem)
    decls = [(p, u) for p, u in scope.items() if p in used]
    walk(elem, scope, sorted(decls, key=lambda kv: (kv[0] != "", kv[0])))
    return "".join(out)


def _used_prefixes(doc: _XmlDoc, elem: ET.Element) -> set[str]:
    """Prefixes a subtree needs: element/attribute namespaces and QName-looking attribute values.

    Declaring only these keeps a stored XSD identical across export/import round trips, whatever
    namespaces the surrounding WSDL/WADL happens to declare.
    """
    used: set[str] = set()
    for e in elem.iter():
        scope = doc.in_scope.get(id(e), {})
        inverse: dict[str, str] = {}
        for p, u in scope.items():
            inverse.setdefault(u, p)
        if scope.get("") and scope.get("") == _ns(e.tag):
            used.add("")
        for name in [e.tag, *e.attrib]:
            uri = _ns(name)
            if uri and uri in inverse:
                used.add(inverse[uri] if not (name == e.tag and scope.get("") == uri) else "")
        for value in e.attrib.values():
            for token in value.split():
                prefix = token.split(":", 1)[0] if ":" in token else None
                if prefix and prefix in scope and "/" not in prefix:
                    used.add(prefix)
    return used


# --------------------------------------------------------------------------------------------------
# OpenAPI 3 / Swagger 2

def _import_openapi_document(doc: Any, kind: str, api_name: str) -> ImportedApi:
    if not isinstance(doc, dict):
        raise DefinitionError(f"{kind}: the document is not an OpenAPI/Swagger object (top level is "
                              f"{type(doc).__name__})")
    if "openapi" in doc:
        version = str(doc.get("openapi"))
        if not version.startswith("3."):
            raise DefinitionError(f"{kind}: unsupported OpenAPI version {version!r} (expected 3.x)")
        return _OpenApiImporter(doc, kind, api_name, v2=False).run()
    if "swagger" in doc:
        version = str(doc.get("swagger"))
        if version != "2.0":
            raise DefinitionError(f"{kind}: unsupported Swagger version {version!r} (expected 2.0)")
        return _OpenApiImporter(doc, kind, api_name, v2=True).run()
    raise DefinitionError(f"{kind}: the document is not an OpenAPI definition: no 'openapi' or 'swagger' field "
                          f"at the top level (keys: {', '.join(list(doc)[:8]) or 'none'})")


class _OpenApiImporter:
    """One import run over an OpenAPI 3 or Swagger 2 document (shared walk, version-specific bits)."""

    def __init__(self, doc: dict, kind: str, api_name: str, *, v2: bool) -> None:
        self.doc = doc
        self.kind = kind
        self.v2 = v2
        self.content_type = SWAGGER_DEFINITIONS_CT if v2 else OPENAPI_COMPONENTS_CT
        self.schema_id = stable_id("schema", api_name, self.content_type)
        if v2:
            defs = doc.get("definitions")
        else:
            defs = (doc.get("components") or {}).get("schemas") if isinstance(doc.get("components"), dict) else None
        self.type_schemas: dict[str, Any] = dict(defs) if isinstance(defs, dict) else {}
        self.ref_prefix = "#/definitions/" if v2 else "#/components/schemas/"

    # -- refs ----------------------------------------------------------------------------------------
    def resolve(self, node: Any, where: str) -> Any:
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise DefinitionError(f"{self.kind}: external reference {ref!r} at {where} cannot be resolved")
            if ref in seen:
                raise DefinitionError(f"{self.kind}: circular reference {ref!r} at {where}")
            seen.add(ref)
            target: Any = self.doc
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise DefinitionError(f"{self.kind}: unresolved reference {ref!r} at {where}")
                target = target[part]
            node = target
        return node

    def type_name_for(self, schema: Any, generated: str) -> str | None:
        """typeName for a media schema: the referenced definition, or a generated one for inline schemas."""
        if not isinstance(schema, dict) or not schema:
            return None
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(self.ref_prefix):
            return ref[len(self.ref_prefix):]
        if isinstance(ref, str):
            return None
        name = generated
        if name not in self.type_schemas:
            self.type_schemas[name] = schema
        return name

    # -- run -----------------------------------------------------------------------------------------
    def run(self) -> ImportedApi:
        info = self.doc["info"] if isinstance(self.doc.get("info"), dict) else {}
        props: dict[str, Any] = {}
        if info.get("title"):
            props["displayName"] = str(info["title"])
        if info.get("description"):
            props["description"] = str(info["description"])
        service_url = self.service_url()
        if service_url:
            props["serviceUrl"] = service_url
        paths = self.doc.get("paths")
        if paths is None:
            paths = {}
        if not isinstance(paths, dict):
            raise DefinitionError(f"{self.kind}: 'paths' must be an object")
        operations: list[dict] = []
        used: set[str] = set()
        for path_key, item in paths.items():
            if not isinstance(item, dict):
                raise DefinitionError(f"{self.kind}: path item {path_key!r} must be an object")
            item = self.resolve(item, f"paths.{path_key}")
            shared = item.get("parameters") or []
            for method in HTTP_METHODS:
                op = item.get(method)
                if op is None:
                    continue
                if not isinstance(op, dict):
                    raise DefinitionError(f"{self.kind}: operation {method.upper()} {path_key} must be an object")
                operations.append(self.operation(str(path_key), method, op, shared, used))
        schemas = []
        if self.type_schemas:
            document = ({"definitions": self.type_schemas} if self.v2
                        else {"components": {"schemas": self.type_schemas}})
            schemas.append({"name": self.schema_id,
                            "properties": {"contentType": self.content_type, "document": document}})
        return ImportedApi(properties=props, operations=operations, schemas=schemas)

    def service_url(self) -> str | None:
        if self.v2:
            host = self.doc.get("host")
            if not host:
                return None
            schemes = [s for s in (self.doc.get("schemes") or []) if isinstance(s, str)]
            scheme = "https" if (not schemes or "https" in schemes) else schemes[0]
            base = str(self.doc.get("basePath") or "")
            return f"{scheme}://{host}{base}".rstrip("/")
        servers = self.doc.get("servers")
        if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
            return None
        url = str(servers[0].get("url") or "")
        for var, spec in (servers[0].get("variables") or {}).items():
            if isinstance(spec, dict) and "default" in spec:
                url = url.replace("{" + var + "}", str(spec["default"]))
        return url.rstrip("/") if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", url) else None

    def operation(self, path_key: str, method: str, op: dict, shared: list, used: set[str]) -> dict:
        where = f"{method.upper()} {path_key}"
        path_part, _, query_part = path_key.partition("?")
        query_templates = set(_template_names(query_part))
        name = _unique(sanitize_operation_name(op.get("operationId"), method, path_key), used)
        params: dict[tuple[str, str], dict] = {}
        for raw in list(shared) + list(op.get("parameters") or []):
            p = self.resolve(raw, where)
            if isinstance(p, dict) and p.get("name") and p.get("in"):
                params[(str(p["in"]), str(p["name"]))] = p
        template, query, headers, form, body = [], [], [], [], None
        for (loc, pname), p in params.items():
            if loc == "path" or (loc == "query" and pname in query_templates):
                template.append(self.parameter(p, required=True))
            elif loc == "query":
                query.append(self.parameter(p))
            elif loc == "header":
                headers.append(self.parameter(p))
            elif loc == "formData":
                form.append(self.parameter(p))
            elif loc == "body":
                body = p
        # path parameters that are used in the template but not declared still exist in APIM
        declared = {t["name"] for t in template}
        for tname in _template_names(path_part) + sorted(query_templates):
            if tname not in declared:
                template.append(_param(tname, "string", required=True))
                declared.add(tname)
        base_type = _pascal(path_part) + method.capitalize()
        request: dict[str, Any] = {}
        representations: list[dict] = []
        if self.v2:
            consumes = op.get("consumes") or self.doc.get("consumes") or ["application/json"]
            if body is not None:
                if body.get("description"):
                    request["description"] = str(body["description"])
                for ct in consumes:
                    representations.append(self.representation(ct, body.get("schema"), f"{base_type}Request"))
            elif form:
                form_cts = [c for c in consumes if "form" in c] or ["application/x-www-form-urlencoded"]
                for ct in form_cts:
                    representations.append({"contentType": ct, "formParameters": form})
        else:
            rb = op.get("requestBody")
            if rb is not None:
                rb = self.resolve(rb, where + " requestBody")
                if isinstance(rb, dict):
                    if rb.get("description"):
                        request["description"] = str(rb["description"])
                    for ct, media in (rb.get("content") or {}).items():
                        media = media if isinstance(media, dict) else {}
                        representations.append(self.representation(ct, media.get("schema"), f"{base_type}Request",
                                                                    media))
        request.update({"queryParameters": query, "headers": headers, "representations": representations})
        responses = []
        for code, resp in (op.get("responses") or {}).items():
            if not re.fullmatch(r"[1-5][0-9][0-9]", str(code)):
                continue  # 'default' and ranges have no APIM equivalent
            resp = self.resolve(resp, f"{where} response {code}")
            if not isinstance(resp, dict):
                continue
            responses.append(self.response(int(code), resp, f"{base_type}{code}", op))
        props: dict[str, Any] = {
            "displayName": str(op.get("summary") or op.get("operationId") or f"{method.upper()} {path_part}")[:300],
            "method": method.upper(),
            "urlTemplate": path_key if path_key.startswith("/") else "/" + path_key,
            "templateParameters": template,
        }
        if op.get("description"):
            props["description"] = str(op["description"])[:1000]
        props["request"] = request
        props["responses"] = responses
        return {"name": name, "properties": props}

    def parameter(self, p: dict, *, required: bool | None = None) -> dict:
        schema = p if self.v2 else (self.resolve(p.get("schema") or {}, p.get("name", "")) or {})
        ptype = schema.get("type") if isinstance(schema, dict) else None
        values = _str_values(schema.get("enum")) if isinstance(schema, dict) else []
        default = schema.get("default") if isinstance(schema, dict) else None
        return _param(str(p["name"]), str(ptype or "string"), description=p.get("description"),
                      required=required if required is not None else bool(p.get("required", False)),
                      values=values, default=default)

    def representation(self, content_type: str, schema: Any, generated: str, media: dict | None = None) -> dict:
        rep: dict[str, Any] = {"contentType": str(content_type)}
        type_name = self.type_name_for(schema, generated + _pascal(str(content_type)))
        if type_name:
            rep["schemaId"] = self.schema_id
            rep["typeName"] = type_name
        examples = self.examples(media or {})
        if examples:
            rep["examples"] = examples
        return rep

    @staticmethod
    def examples(media: dict) -> dict:
        if "example" in media:
            return {"default": {"value": media["example"]}}
        out = {}
        for key, ex in (media.get("examples") or {}).items():
            if isinstance(ex, dict) and "value" in ex:
                out[str(key)] = {k: ex[k] for k in ("summary", "description", "value") if k in ex}
        return out

    def response(self, code: int, resp: dict, base_type: str, op: dict) -> dict:
        reps: list[dict] = []
        if self.v2:
            if resp.get("schema") is not None:
                produces = op.get("produces") or self.doc.get("produces") or ["application/json"]
                for ct in produces:
                    reps.append(self.representation(ct, resp["schema"], base_type))
        else:
            for ct, media in (resp.get("content") or {}).items():
                media = media if isinstance(media, dict) else {}
                reps.append(self.representation(ct, media.get("schema"), base_type, media))
        headers = []
        for hname, h in (resp.get("headers") or {}).items():
            h = self.resolve(h, f"response {code} header {hname}")
            if not isinstance(h, dict):
                continue
            schema = h if self.v2 else (h.get("schema") or {})
            headers.append(_param(str(hname), str(schema.get("type") or "string"), description=h.get("description"),
                                  required=bool(h.get("required", False)) if "required" in h else None,
                                  values=_str_values(schema.get("enum"))))
        return {"statusCode": code, "description": str(resp.get("description") or ""),
                "representations": reps, "headers": headers}


# --------------------------------------------------------------------------------------------------
# WADL

_XS_INTEGER = {"int", "integer", "long", "short", "byte", "unsignedint", "unsignedlong", "unsignedshort",
               "unsignedbyte", "positiveinteger", "nonnegativeinteger", "negativeinteger", "nonpositiveinteger"}
_XS_NUMBER = {"double", "float", "decimal"}


def xs_to_type(value: str | None) -> str:
    local = _qname_local(value) or "string"
    if local.lower() in _XS_INTEGER:
        return "integer"
    if local.lower() in _XS_NUMBER:
        return "number"
    return local


def _import_wadl(text: str, api_name: str) -> ImportedApi:
    doc = _parse_xml(text, "wadl-xml")
    root = doc.root
    wadl_ns = _ns(root.tag)
    if _local(root.tag) != "application" or wadl_ns not in WADL_NAMESPACES:
        raise DefinitionError(f"wadl-xml: the root element must be a WADL <application>, found <{_local(root.tag)}> "
                              f"in namespace {wadl_ns or '(none)'}")
    q = lambda local: f"{{{wadl_ns}}}{local}"  # noqa: E731 - tiny local helper

    grammars = root.find(q("grammars"))
    schemas: list[dict] = []
    schema_id = None
    if grammars is not None and len(grammars):
        schema_id = stable_id("schema", api_name, WADL_GRAMMARS_CT)
        schemas.append({"name": schema_id, "properties": {"contentType": WADL_GRAMMARS_CT,
                                                          "document": {"value": serialize_xml(doc, grammars)}}})
    methods_by_id = {m.get("id"): m for m in root.findall(q("method")) if m.get("id")}
    all_resources = root.findall(q("resources"))
    base = next((r.get("base") for r in all_resources if r.get("base")), None)
    props: dict[str, Any] = {}
    title = _doc_title(root, q)
    props["displayName"] = title or (base.rstrip("/") if base else api_name)
    props["description"] = _doc_text(root, q)
    if base:
        props["serviceUrl"] = base.rstrip("/")

    operations: list[dict] = []
    used: set[str] = set()

    def params_of(elem: ET.Element, style: str) -> list[ET.Element]:
        return [p for p in elem.findall(q("param")) if (p.get("style") or "") == style]

    def wadl_param(p: ET.Element, required: bool | None = None) -> dict:
        values = [value for o in p.findall(q("option")) if (value := o.get("value")) is not None]
        req = required if required is not None else (p.get("required", "false").lower() == "true")
        return _param(p.get("name") or "", xs_to_type(p.get("type")), description=_doc_text(p, q) or None,
                      required=req, values=values, default=p.get("default"))

    def rep_of(r: ET.Element) -> dict:
        rep: dict[str, Any] = {"contentType": r.get("mediaType") or "application/xml"}
        if r.get("element"):
            if schema_id:
                rep["schemaId"] = schema_id
            rep["typeName"] = _qname_local(r.get("element"))
        form = params_of(r, "query")
        if form:
            rep["formParameters"] = [wadl_param(p) for p in form]
        return rep

    def walk(resource: ET.Element, prefix: str, inherited: dict[str, list[ET.Element]]) -> None:
        seg = (resource.get("path") or "").strip()
        path = prefix.rstrip("/") + ("/" + seg.lstrip("/") if seg else "")
        path = re.sub(r"\{\s*([^}:\s]+)\s*:[^}]*\}", r"{\1}", path)  # drop regex parts of templates
        scope = {s: inherited.get(s, []) + params_of(resource, s) for s in ("template", "query", "header")}
        for method in resource.findall(q("method")):
            if method.get("href"):
                method = methods_by_id.get(method.get("href", "").lstrip("#"), method)
            operations.append(wadl_operation(method, path or "/", scope))
        for child in resource.findall(q("resource")):
            walk(child, path, scope)

    def wadl_operation(method: ET.Element, path: str, scope: dict[str, list[ET.Element]]) -> dict:
        verb = (method.get("name") or "GET").upper()
        url_template = path if path.startswith("/") else "/" + path
        mid = method.get("id")
        name = mid if mid and _VALID_NAME.match(mid) else stable_id(verb, url_template)
        name = _unique(name, used)
        request = method.find(q("request"))
        req_params = {s: list(scope[s]) + (params_of(request, s) if request is not None else [])
                      for s in ("template", "query", "header")}
        path_part, _, query_part = url_template.partition("?")
        query_templates = set(_template_names(query_part))
        template = [wadl_param(p, True) for p in req_params["template"]]
        query = []
        for p in req_params["query"]:
            if p.get("name") in query_templates:
                template.append(wadl_param(p, True))
            else:
                query.append(wadl_param(p))
        declared = {t["name"] for t in template}
        for tname in _template_names(path_part) + sorted(query_templates):
            if tname not in declared:
                template.append(_param(tname, "string", required=True))
                declared.add(tname)
        req: dict[str, Any] = {}
        if request is not None and _doc_text(request, q):
            req["description"] = _doc_text(request, q)
        req.update({"queryParameters": query, "headers": [wadl_param(p) for p in req_params["header"]],
                    "representations": [rep_of(r) for r in (request.findall(q("representation"))
                                                             if request is not None else [])]})
        responses = []
        for resp in method.findall(q("response")):
            codes = (resp.get("status") or "200").split()
            for code in codes:
                if not code.isdigit():
                    continue
                responses.append({"statusCode": int(code), "description": _doc_text(resp, q),
                                  "representations": [rep_of(r) for r in resp.findall(q("representation"))],
                                  "headers": [wadl_param(p) for p in params_of(resp, "header")]})
        props: dict[str, Any] = {
            "displayName": (_doc_title(method, q) or mid or f"{verb} {url_template}")[:300],
            "method": verb,
            "urlTemplate": url_template,
            "templateParameters": template,
        }
        description = _doc_text(method, q)
        if description:
            props["description"] = description[:1000]
        props["request"] = req
        props["responses"] = responses
        return {"name": name, "properties": props}

    for resources in all_resources:
        for resource in resources.findall(q("resource")):
            walk(resource, "", {})
    return ImportedApi(properties=props, operations=operations, schemas=schemas)


def _doc_title(elem: ET.Element, q) -> str | None:
    d = elem.find(q("doc"))
    return d.get("title") if d is not None and d.get("title") else None


def _doc_text(elem: ET.Element, q) -> str:
    d = elem.find(q("doc"))
    return "".join(d.itertext()).strip() if d is not None else ""


# --------------------------------------------------------------------------------------------------
# WSDL 1.1 (SOAP pass-through)

def _import_wsdl(text: str, api_name: str, selector: dict) -> ImportedApi:
    doc = _parse_xml(text, "wsdl")
    root = doc.root
    if _ns(root.tag) == WSDL20_NS:
        raise DefinitionError("wsdl: WSDL 2.0 documents are not supported (only WSDL 1.1)")
    if _local(root.tag) != "definitions" or _ns(root.tag) != WSDL_NS:
        raise DefinitionError(f"wsdl: the root element must be a WSDL 1.1 <definitions>, found <{_local(root.tag)}>")
    w = lambda local: f"{{{WSDL_NS}}}{local}"  # noqa: E731

    # schemas
    schemas: list[dict] = []
    element_schema: dict[str, str] = {}
    types = root.find(w("types"))
    xsds = types.findall(f"{{{XSD_NS}}}schema") if types is not None else []
    for index, xsd in enumerate(xsds):
        sid = stable_id("schema", api_name, XSD_CT, str(index), xsd.get("targetNamespace") or "")
        schemas.append({"name": sid, "properties": {"contentType": XSD_CT,
                                                    "document": {"value": serialize_xml(doc, xsd)}}})
        for el in xsd.findall(f"{{{XSD_NS}}}element"):
            if element_name := el.get("name"):
                element_schema.setdefault(element_name, sid)
    default_schema = schemas[0]["name"] if schemas else None

    messages = {m.get("name"): m for m in root.findall(w("message"))}
    port_types = {p.get("name"): p for p in root.findall(w("portType"))}
    bindings = {b.get("name"): b for b in root.findall(w("binding"))}

    def soap_version(binding: ET.Element | None) -> str | None:
        if binding is None:
            return None
        if binding.find(f"{{{SOAP11_NS}}}binding") is not None:
            return "1.1"
        if binding.find(f"{{{SOAP12_NS}}}binding") is not None:
            return "1.2"
        return None

    services = root.findall(w("service"))
    if not services:
        raise DefinitionError("wsdl: the document defines no <wsdl:service>")
    want_service = (selector or {}).get("wsdlServiceName")
    want_port = (selector or {}).get("wsdlEndpointName")
    if want_service:
        service = next((s for s in services if s.get("name") == want_service), None)
        if service is None:
            raise DefinitionError(f"wsdl: wsdlSelector.wsdlServiceName {want_service!r} not found; services: "
                                  + ", ".join(s.get("name") or "?" for s in services))
    else:
        service = next((s for s in services if any(soap_version(bindings.get(_qname_local(p.get("binding"))))
                                                   for p in s.findall(w("port")))), services[0])
    ports = service.findall(w("port"))
    if want_port:
        port = next((p for p in ports if p.get("name") == want_port), None)
        if port is None:
            raise DefinitionError(f"wsdl: wsdlSelector.wsdlEndpointName {want_port!r} not found in service "
                                  f"{service.get('name')!r}; endpoints: " + ", ".join(p.get("name") or "?" for p in ports))
    else:
        ranked = sorted(ports, key=lambda p: {"1.1": 0, "1.2": 1}.get(
            soap_version(bindings.get(_qname_local(p.get("binding")))) or "", 2))
        port = ranked[0] if ranked else None
    if port is None:
        raise DefinitionError(f"wsdl: service {service.get('name')!r} has no endpoints (<wsdl:port>)")
    binding = bindings.get(_qname_local(port.get("binding")))
    version = soap_version(binding)
    if binding is None or version is None:
        raise DefinitionError(f"wsdl: endpoint {port.get('name')!r} is not bound to SOAP 1.1 or 1.2")
    soap_ns = SOAP11_NS if version == "1.1" else SOAP12_NS
    address = port.find(f"{{{soap_ns}}}address")
    port_type = port_types.get(_qname_local(binding.get("type")))
    content_type = "text/xml" if version == "1.1" else "application/soap+xml"
    tns = root.get("targetNamespace") or ""

    props: dict[str, Any] = {"displayName": service.get("name") or api_name}
    description = _wsdl_doc(service) or _wsdl_doc(root)
    if description:
        props["description"] = description
    if address is not None and address.get("location"):
        props["serviceUrl"] = address.get("location")
    props["type"] = "soap"

    def message_rep(io_elem: ET.Element | None) -> list[dict]:
        if io_elem is None:
            return []
        message = messages.get(_qname_local(io_elem.get("message")))
        rep: dict[str, Any] = {"contentType": content_type}
        part = message.find(w("part")) if message is not None else None
        if part is not None:
            type_name = _qname_local(part.get("element") or part.get("type"))
            sid = element_schema.get(type_name, default_schema)
            if sid:
                rep["schemaId"] = sid
            if type_name:
                rep["typeName"] = type_name
        return [rep]

    operations: list[dict] = []
    used: set[str] = set()
    for bop in binding.findall(w("operation")):
        op_name = bop.get("name") or ""
        soap_op = bop.find(f"{{{soap_ns}}}operation")
        action = soap_op.get("soapAction") if soap_op is not None else None
        if not action:
            action = f"{tns.rstrip('/')}/{op_name}" if tns else op_name
        url_template = f"/?soapAction={action}"
        explicit = bop.get(f"{{{APIM_EXT_NS}}}name")
        name = explicit if explicit and _VALID_NAME.match(explicit) else stable_id("POST", url_template)
        name = _unique(name, used)
        pop = None
        if port_type is not None:
            pop = next((o for o in port_type.findall(w("operation")) if o.get("name") == op_name), None)
        props_op: dict[str, Any] = {"displayName": op_name[:300] or name, "method": "POST",
                                    "urlTemplate": url_template, "templateParameters": []}
        doc_text = _wsdl_doc(pop) if pop is not None else ""
        if doc_text:
            props_op["description"] = doc_text[:1000]
        props_op["request"] = {"queryParameters": [], "headers": [],
                               "representations": message_rep(pop.find(w("input")) if pop is not None else None)}
        out_reps = message_rep(pop.find(w("output")) if pop is not None else None)
        props_op["responses"] = ([{"statusCode": 200, "description": "", "representations": out_reps,
                                   "headers": []}] if out_reps else [])
        operations.append({"name": name, "properties": props_op})
    return ImportedApi(properties=props, operations=operations, schemas=schemas)


def _wsdl_doc(elem: ET.Element | None) -> str:
    if elem is None:
        return ""
    d = elem.find(f"{{{WSDL_NS}}}documentation")
    return "".join(d.itertext()).strip() if d is not None else ""


# --------------------------------------------------------------------------------------------------
# GraphQL

def _import_graphql(text: str, api_name: str) -> ImportedApi:
    """Validate SDL and store it as the API's GraphQL schema (APIM keeps SDL as an API schema)."""
    from graphql import GraphQLError, build_schema

    try:
        build_schema(text)
    except GraphQLError as exc:
        loc = exc.locations[0] if exc.locations else None
        where = f" at line {loc.line}, column {loc.column}" if loc else ""
        raise DefinitionError(f"graphql: invalid schema{where}: {exc.message}") from None
    except (TypeError, ValueError) as exc:
        raise DefinitionError(f"graphql: invalid schema: {exc}") from None
    return ImportedApi(properties={"type": "graphql"}, operations=[],
                       schemas=[{"name": "graphql", "properties": {"contentType": GRAPHQL_CT,
                                                                  "document": {"value": text}}}])

