"""Export of stored APIs, determinism, and export -> import round trips."""
from __future__ import annotations

import json

import pytest
from ruamel.yaml import YAML

from apiops_emulator.apim.spec_export import export_definition
from apiops_emulator.apim.spec_import import DefinitionError, ImportedApi, import_definition

SERVER = "https://contoso.azure-api.net"
IMPORT_FORMAT = {"openapi": "openapi", "openapi+json": "openapi+json", "swagger": "swagger-json",
                 "wadl": "wadl-xml", "wsdl": "wsdl"}


def _stored(result: ImportedApi, name: str, path: str, **extra) -> dict:
    return {"id": f"/apis/{name}", "name": name, "type": "Microsoft.ApiManagement/service/apis",
            "properties": {**result.properties, "path": path, "protocols": ["https"], **extra}}


def _shape(operations: list[dict]) -> list[tuple]:
    """What a publisher relies on after a round trip: names, methods, templates, parameters."""
    def params(ps):
        return sorted((p["name"], p["type"], bool(p.get("required")), tuple(p.get("values") or []),
                       p.get("defaultValue")) for p in ps or [])
    out = []
    for op in operations:
        p = op["properties"]
        out.append((op["name"], p["method"], p["urlTemplate"], params(p.get("templateParameters")),
                    params(p["request"].get("queryParameters")), params(p["request"].get("headers"))))
    return out


def _sources(request, name):
    return {
        "openapi": lambda: import_definition("openapi", request.getfixturevalue("openapi_yaml"), api_name="conference"),
        "swagger": lambda: import_definition("swagger-json", request.getfixturevalue("swagger_json"),
                                             api_name="inventory"),
        "wadl": lambda: import_definition("wadl-xml", request.getfixturevalue("wadl_text"), api_name="library"),
    }[name]()


@pytest.mark.parametrize("source", ["openapi", "swagger", "wadl"])
@pytest.mark.parametrize("fmt", ["openapi", "openapi+json", "swagger", "wadl"])
def test_round_trip_keeps_operations(request, source, fmt):
    original = _sources(request, source)
    api = _stored(original, source, source)
    text, _ = export_definition(fmt, api, original.operations, original.schemas, server_url=SERVER)
    again = import_definition(IMPORT_FORMAT[fmt], text, api_name=source)
    assert _shape(again.operations) == _shape(original.operations)
    assert again.properties["serviceUrl"] == f"{SERVER}/{source}"


def test_round_trip_keeps_representations_and_schemas(openapi_yaml):
    original = import_definition("openapi", openapi_yaml, api_name="conference")
    api = _stored(original, "conference", "conference")
    for fmt in ("openapi", "openapi+json"):
        text, _ = export_definition(fmt, api, original.operations, original.schemas, server_url=SERVER)
        again = import_definition(IMPORT_FORMAT[fmt], text, api_name="conference")
        assert again.operations == original.operations
        assert again.schemas == original.schemas
        assert again.properties == {**original.properties, "serviceUrl": f"{SERVER}/conference"}


def test_wsdl_round_trip(wsdl_text):
    original = import_definition("wsdl", wsdl_text, api_name="calc")
    api = _stored(original, "calc", "calc")
    text, content_type = export_definition("wsdl", api, original.operations, original.schemas, server_url=SERVER)
    assert content_type == "text/xml"
    again = import_definition("wsdl", text, api_name="calc")
    assert _shape(again.operations) == _shape(original.operations)
    assert [o["properties"]["displayName"] for o in again.operations] == ["Add", "Subtract"]
    assert again.properties["serviceUrl"] == f"{SERVER}/calc" and again.properties["type"] == "soap"
    assert [s["properties"]["document"]["value"] for s in again.schemas] == [
        s["properties"]["document"]["value"] for s in original.schemas]
    # SOAP operations also survive the OpenAPI export (their soapAction query stays in the template)
    text, _ = export_definition("openapi", api, original.operations, original.schemas, server_url=SERVER)
    assert _shape(import_definition("openapi", text, api_name="calc").operations) == _shape(original.operations)


def test_wsdl_round_trip_keeps_arbitrary_operation_names(wsdl_text):
    original = import_definition("wsdl", wsdl_text, api_name="calc")
    renamed = [{**op, "name": f"custom-{i}"} for i, op in enumerate(original.operations)]
    text, _ = export_definition("wsdl", _stored(original, "calc", "calc"), renamed, original.schemas,
                                server_url=SERVER)
    assert [o["name"] for o in import_definition("wsdl", text, api_name="calc").operations] == ["custom-0", "custom-1"]


def test_wsdl_export_of_http_api_is_refused(openapi_yaml):
    original = import_definition("openapi", openapi_yaml, api_name="conference")
    with pytest.raises(DefinitionError, match="only available for SOAP APIs"):
        export_definition("wsdl", _stored(original, "c", "c"), original.operations, original.schemas,
                          server_url=SERVER)


@pytest.mark.parametrize("fmt", ["openapi", "openapi+json", "swagger", "wadl"])
def test_export_is_deterministic(openapi_yaml, fmt):
    original = import_definition("openapi", openapi_yaml, api_name="conference")
    api = _stored(original, "conference", "conference")
    first = export_definition(fmt, api, original.operations, original.schemas, server_url=SERVER)
    again = import_definition("openapi", openapi_yaml, api_name="conference")
    second = export_definition(fmt, json.loads(json.dumps(api)), again.operations, again.schemas, server_url=SERVER)
    assert first == second


def test_openapi_export_shape(openapi_yaml):
    original = import_definition("openapi", openapi_yaml, api_name="conference")
    api = _stored(original, "conference", "conf", apiVersion="v2",
                  subscriptionKeyParameterNames={"header": "X-Key", "query": "key"})
    text, content_type = export_definition("openapi", api, original.operations, original.schemas, server_url=SERVER)
    assert content_type == "application/yaml"
    assert text.startswith("openapi: 3.0.1\ninfo:\n  title: Conference API\n")
    doc = YAML(typ="safe", pure=True).load(text)
    assert list(doc) == ["openapi", "info", "servers", "paths", "components", "security"]
    assert doc["info"] == {"title": "Conference API", "description": "Sessions and speakers.", "version": "v2"}
    assert doc["servers"] == [{"url": f"{SERVER}/conf"}]
    listing = doc["paths"]["/sessions"]["get"]
    assert listing["operationId"] == "listSessions" and listing["summary"] == "List sessions"
    assert {"name": "day", "in": "query", "required": False,
            "schema": {"type": "string", "enum": ["mon", "tue"]}} in listing["parameters"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SessionList"}
    assert doc["components"]["securitySchemes"]["apiKeyHeader"] == {"type": "apiKey", "name": "X-Key", "in": "header"}
    assert doc["security"] == [{"apiKeyHeader": []}, {"apiKeyQuery": []}]
    assert set(doc["components"]["schemas"]) == {"Session", "SessionList"}


def test_no_security_schemes_without_subscription(openapi_yaml):
    original = import_definition("openapi", openapi_yaml, api_name="conference")
    api = _stored(original, "conference", "", subscriptionRequired=False)
    doc = json.loads(export_definition("openapi+json", api, original.operations, [], server_url=SERVER)[0])
    assert "security" not in doc and "components" not in doc
    assert doc["servers"] == [{"url": SERVER}]


def test_swagger_export_shape(swagger_json):
    original = import_definition("swagger-json", swagger_json, api_name="inventory")
    api = _stored(original, "inventory", "inv")
    text, content_type = export_definition("swagger", api, original.operations, original.schemas, server_url=SERVER)
    doc = json.loads(text)
    assert content_type == "application/json"
    assert (doc["swagger"], doc["host"], doc["basePath"], doc["schemes"]) == (
        "2.0", "contoso.azure-api.net", "/inv", ["https"])
    put = doc["paths"]["/items/{itemId}"]["put"]
    assert {"name": "body", "in": "body", "schema": {"$ref": "#/definitions/Item"}} in put["parameters"]
    upload = doc["paths"]["/upload"]["post"]
    assert upload["consumes"] == ["multipart/form-data"]
    assert upload["parameters"][0]["in"] == "formData"
    assert "Item" in doc["definitions"]


def test_openapi_components_convert_to_swagger_definitions(openapi_yaml):
    original = import_definition("openapi", openapi_yaml, api_name="conference")
    doc = json.loads(export_definition("swagger", _stored(original, "c", "c"), original.operations,
                                       original.schemas, server_url=SERVER)[0])
    assert doc["definitions"]["SessionList"]["items"] == {"$ref": "#/definitions/Session"}


def test_unknown_export_format():
    with pytest.raises(DefinitionError, match="unsupported export format 'graphql'"):
        export_definition("graphql", {"name": "x", "properties": {}}, [], [], server_url=SERVER)


def test_link_format_names_are_accepted(openapi_yaml):
    original = import_definition("openapi", openapi_yaml, api_name="conference")
    api = _stored(original, "c", "c")
    assert export_definition("openapi+json-link", api, original.operations, [], server_url=SERVER) == \
        export_definition("openapi+json", api, original.operations, [], server_url=SERVER)


def test_server_url_already_ending_with_path_is_not_doubled(openapi_yaml):
    original = import_definition("openapi", openapi_yaml, api_name="conference")
    api = _stored(original, "c", "conf")
    with_path = export_definition("openapi", api, original.operations, [], server_url=f"{SERVER}/conf")
    assert with_path == export_definition("openapi", api, original.operations, [], server_url=SERVER)
