"""Import of each supported format into APIM operation/schema shapes."""
from __future__ import annotations

import json

import pytest
from ruamel.yaml import YAML

from apiops_emulator.apim.spec_import import DefinitionError, ImportedApi, import_definition


def _ops(result: ImportedApi) -> dict[str, dict]:
    return {op["name"]: op["properties"] for op in result.operations}


def test_openapi_yaml_properties_operations_and_schemas(openapi_yaml):
    result = import_definition("openapi", openapi_yaml, api_name="conference")
    assert result.properties == {"displayName": "Conference API", "description": "Sessions and speakers.",
                                 "serviceUrl": "https://conference.example.com/v2"}
    ops = _ops(result)
    assert list(ops) == ["listSessions", "create-session", "getSession", "delete-sessions-sessionid", "login"]
    listing = ops["listSessions"]
    assert listing["method"] == "GET" and listing["urlTemplate"] == "/sessions"
    assert listing["displayName"] == "List sessions"
    assert listing["request"]["queryParameters"] == [
        {"name": "day", "type": "string", "required": False, "values": ["mon", "tue"]}]
    assert listing["request"]["headers"][0]["required"] is True
    assert listing["responses"][0]["statusCode"] == 200
    rep = listing["responses"][0]["representations"][0]
    assert rep["typeName"] == "SessionList" and rep["schemaId"] == result.schemas[0]["name"]
    get = ops["getSession"]
    assert get["templateParameters"] == [{"name": "sessionId", "type": "integer", "required": True, "values": []}]
    assert [r["statusCode"] for r in get["responses"]] == [200]  # 'default' has no APIM equivalent
    create = ops["create-session"]
    assert create["request"]["description"] == "the session"
    assert create["request"]["representations"][0]["examples"] == {"default": {"value": {"title": "Intro"}}}
    assert create["responses"][0]["headers"][0]["name"] == "Location"
    login = ops["login"]
    assert login["urlTemplate"] == "/login?user={user}"
    assert [p["name"] for p in login["templateParameters"]] == ["user"]
    assert login["request"]["queryParameters"] == []
    schema = result.schemas[0]["properties"]
    assert schema["contentType"] == "application/vnd.oai.openapi.components+json"
    assert set(schema["document"]["components"]["schemas"]) == {"Session", "SessionList"}


def test_openapi_json_format_and_yaml_json_equivalence(openapi_yaml):
    as_json = json.dumps(YAML(typ="safe", pure=True).load(openapi_yaml))
    a = import_definition("openapi+json", as_json, api_name="conference")
    b = import_definition("openapi", openapi_yaml, api_name="conference")
    assert a == b


def test_reimport_is_idempotent(openapi_yaml):
    a = import_definition("openapi", openapi_yaml, api_name="conference")
    b = import_definition("openapi", openapi_yaml, api_name="conference")
    assert a == b


def test_swagger_import(swagger_json):
    result = import_definition("swagger-json", swagger_json, api_name="inventory")
    assert result.properties == {"displayName": "Inventory", "serviceUrl": "https://inventory.example.com/api"}
    ops = _ops(result)
    assert list(ops) == ["getItem", "putItem", "upload"]
    assert ops["getItem"]["templateParameters"][0]["type"] == "integer"
    assert ops["getItem"]["request"]["queryParameters"][0]["values"] == ["all", "basic"]
    put_rep = ops["putItem"]["request"]["representations"][0]
    assert put_rep["contentType"] == "application/json" and put_rep["typeName"] == "Item"
    form = ops["upload"]["request"]["representations"][0]
    assert form["contentType"] == "multipart/form-data" and form["formParameters"][0]["name"] == "file"
    schema = result.schemas[0]["properties"]
    assert schema["contentType"] == "application/vnd.ms-azure-apim.swagger.definitions+json"
    assert "Item" in schema["document"]["definitions"]


def test_wadl_import(wadl_text):
    result = import_definition("wadl-xml", wadl_text, api_name="library")
    assert result.properties["serviceUrl"] == "https://library.example.com/api"
    assert result.properties["displayName"] == "https://library.example.com/api"
    ops = result.operations
    assert [(o["properties"]["method"], o["properties"]["urlTemplate"]) for o in ops] == [
        ("GET", "/books"), ("GET", "/books/{bookId}"), ("DELETE", "/books/{bookId}")]
    assert ops[0]["name"] == "listBooks" and ops[2]["name"] == "deleteBook"
    assert len(ops[1]["name"]) == 24  # generated, APIM-like id
    assert ops[0]["properties"]["displayName"] == "List books"
    assert ops[0]["properties"]["request"]["queryParameters"][1] == {
        "name": "limit", "type": "integer", "defaultValue": "10", "required": False, "values": []}
    assert ops[1]["properties"]["templateParameters"][0]["type"] == "integer"
    assert [r["statusCode"] for r in ops[1]["properties"]["responses"]] == [200, 404]
    assert ops[0]["properties"]["responses"][0]["representations"][0]["typeName"] == "book"
    grammar = result.schemas[0]["properties"]
    assert grammar["contentType"] == "application/vnd.ms-azure-apim.wadl.grammars+xml"
    assert grammar["document"]["value"].startswith('<grammars xmlns="http://wadl.dev.java.net/2009/02" xmlns:xs=')
    assert import_definition("wadl-xml", wadl_text, api_name="library") == result


def test_wsdl_import_default_and_selected_endpoint(wsdl_text):
    result = import_definition("wsdl", wsdl_text, api_name="calc")
    assert result.properties == {"displayName": "Calculator", "description": "Adds and subtracts integers.",
                                 "serviceUrl": "https://calc.example.com/calculator.asmx", "type": "soap"}
    ops = _ops(result)
    assert [o["urlTemplate"] for o in ops.values()] == ["/?soapAction=urn:example:calculator/Add",
                                                       "/?soapAction=urn:example:calculator/Subtract"]
    add = next(o for o in ops.values() if o["displayName"] == "Add")
    assert add["method"] == "POST" and add["description"] == "Adds two integers."
    assert add["request"]["representations"] == [
        {"contentType": "text/xml", "schemaId": result.schemas[0]["name"], "typeName": "Add"}]
    xsd = result.schemas[0]["properties"]
    assert xsd["contentType"] == "application/vnd.ms-azure-apim.xsd+xml"
    assert xsd["document"]["value"].startswith("<s:schema") and 'type="s:int"' in xsd["document"]["value"]
    soap12 = import_definition("wsdl", wsdl_text, api_name="calc",
                               wsdl_selector={"wsdlServiceName": "Calculator", "wsdlEndpointName": "CalculatorSoap12"})
    assert soap12.properties["serviceUrl"].endswith("calculator12.asmx")
    assert _ops(soap12).keys() == ops.keys()  # ids are stable across endpoints and imports
    assert list(_ops(soap12).values())[0]["request"]["representations"][0]["contentType"] == "application/soap+xml"


def test_wsdl_selector_unknown_names(wsdl_text):
    with pytest.raises(DefinitionError, match="wsdlServiceName 'Nope' not found; services: Calculator"):
        import_definition("wsdl", wsdl_text, api_name="c", wsdl_selector={"wsdlServiceName": "Nope"})
    with pytest.raises(DefinitionError, match="wsdlEndpointName 'X' not found"):
        import_definition("wsdl", wsdl_text, api_name="c", wsdl_selector={"wsdlEndpointName": "X"})


def test_graphql_import(graphql_sdl):
    result = import_definition("graphql", graphql_sdl, api_name="books")
    assert result.properties == {"type": "graphql"}
    assert result.operations == []
    assert result.schemas == [{"name": "graphql", "properties": {
        "contentType": "application/vnd.ms-azure-apim.graphql.schema", "document": {"value": graphql_sdl}}}]


@pytest.mark.parametrize("fmt, text, message", [
    ("openapi", "openapi: 3.0.1\ninfo:\n  title: [x\npaths: {}\n", r"invalid YAML at line \d+"),
    ("openapi", "openapi: 3.0.1\nopenapi: 3.0.2\n", r"invalid YAML at line 2"),
    ("openapi+json", '{\n  "openapi": "3.0.1",\n  "info": {,}\n}', r"invalid JSON at line 3, column 12"),
    ("openapi+json", '{"name": "not a spec", "items": []}', r"not an OpenAPI definition.*keys: name, items"),
    ("swagger-json", "[1, 2]", r"not an OpenAPI/Swagger object"),
    ("openapi", "openapi: 2.5.0\npaths: {}\n", r"unsupported OpenAPI version '2.5.0'"),
    ("swagger-json", '{"swagger": "1.2"}', r"unsupported Swagger version"),
    ("openapi", "openapi: 3.0.1\npaths:\n  /a:\n    get:\n      parameters:\n        - $ref: 'common.yaml#/p'\n",
     r"external reference 'common.yaml#/p' at GET /a"),
    ("openapi", "openapi: 3.0.1\npaths:\n  /a:\n    get:\n      parameters:\n        - $ref: '#/components/x'\n",
     r"unresolved reference"),
    ("wadl-xml", '<?xml version="1.0"?>\n<!DOCTYPE application [\n<!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n'
                 '<application xmlns="http://wadl.dev.java.net/2009/02">&x;</application>',
     r"DOCTYPE/ENTITY declarations are not allowed \(line 2\)"),
    ("wsdl", '<!ENTITY lol "lol"><definitions/>', r"DOCTYPE/ENTITY"),
    ("wsdl", '<?xml version="1.0"?>\n<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">\n<x>\n'
             '</wsdl:definitions>', r"invalid XML at line 4"),
    ("wsdl", '<definitions xmlns="http://www.w3.org/ns/wsdl"/>', r"WSDL 2.0"),
    ("wadl-xml", '<application xmlns="urn:other"/>', r"WADL <application>"),
    ("graphql", "type Query {\n  a: \n}\n", r"invalid schema at line \d+, column \d+"),
    ("grpc", "syntax = 'proto3';", r"unsupported import format 'grpc'"),
    ("openapi", "   ", r"empty"),
])
def test_malformed_documents(fmt, text, message):
    with pytest.raises(DefinitionError, match=message):
        import_definition(fmt, text, api_name="x")


def test_definition_error_is_value_error():
    assert issubclass(DefinitionError, ValueError)


def test_yaml_dates_and_int_keys_become_json():
    doc = "openapi: 3.0.1\ninfo: {title: t, version: 2024-01-01}\npaths:\n  /a:\n    get:\n      responses:\n" \
          "        200: {description: ok}\n"
    result = import_definition("openapi", doc, api_name="t")
    json.dumps(result.operations)
    assert result.operations[0]["properties"]["responses"][0]["statusCode"] == 200
