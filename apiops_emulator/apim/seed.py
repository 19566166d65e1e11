"""Requests that populate an emulator instance with realistic content.

Why requests rather than store records: going through the emulator's normal request handling means
seeded content gets exactly the side effects a real PUT has (imports generate operations, new
products get their default subscription and Administrators link, revisions copy their source), so
an extractor run against a seeded emulator sees what it would see on a real instance.

Each item is ``(HTTP method, service-relative path, ARM JSON body or None)``; paths are not
percent-encoded (``apis/echo-api;rev=2``) and items come after everything they reference.
Everything is built fresh on each call (no shared mutable module state).
"""
from __future__ import annotations

import json
from typing import Any

__all__ = ["demo_requests", "generated_requests"]

# The logger's key as the service leaves it after a PUT with a literal key (see loggers.py): a secret
# named value whose id is a 24-hex object id and whose displayName is "Logger-Credentials--<id + 1>".
LOGGER_CREDENTIALS_ID = "65f1c0de2b9a4e0012ab34cc"
LOGGER_CREDENTIALS_NV = "Logger-Credentials--65f1c0de2b9a4e0012ab34cd"

# --------------------------------------------------------------------------------------------------
# inline documents (written for the demo; small but complete)

CONFERENCE_OPENAPI = """\
openapi: 3.0.1
info:
  title: Conference API
  description: Sessions and speakers of the Contoso conference.
  version: '1.0'
servers:
  - url: https://conference.contoso.example/api
paths:
  /sessions:
    get:
      operationId: list-sessions
      summary: List sessions
      parameters:
        - name: day
          in: query
          description: Conference day.
          schema:
            type: string
            enum: [mon, tue, wed]
      responses:
        '200':
          description: The sessions.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/SessionList'
    post:
      operationId: create-session
      summary: Create session
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Session'
            example:
              title: Opening keynote
              day: mon
      responses:
        '201':
          description: Created.
  /sessions/{sessionId}:
    parameters:
      - name: sessionId
        in: path
        required: true
        schema:
          type: integer
    get:
      operationId: get-session
      summary: Get session
      responses:
        '200':
          description: The session.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Session'
        '404':
          description: Not found.
    delete:
      operationId: delete-session
      summary: Delete session
      responses:
        '204':
          description: Deleted.
  /speakers:
    get:
      operationId: list-speakers
      summary: List speakers
      parameters:
        - name: X-Locale
          in: header
          schema:
            type: string
      responses:
        '200':
          description: The speakers.
components:
  schemas:
    Session:
      type: object
      properties:
        id:
          type: integer
        title:
          type: string
        day:
          type: string
    SessionList:
      type: array
      items:
        $ref: '#/components/schemas/Session'
"""

CONFERENCE_OPERATIONS = ("list-sessions", "create-session", "get-session", "delete-session", "list-speakers")

INVENTORY_SWAGGER: dict[str, Any] = {
    "swagger": "2.0",
    "info": {"title": "Inventory API", "description": "Warehouse stock levels.", "version": "1.0"},
    "host": "inventory.contoso.example",
    "basePath": "/v1",
    "schemes": ["https"],
    "consumes": ["application/json"],
    "produces": ["application/json"],
    "paths": {
        "/items": {"get": {"operationId": "list-items", "summary": "List items",
                           "parameters": [{"name": "top", "in": "query", "type": "integer"}],
                           "responses": {"200": {"description": "Items",
                                                 "schema": {"type": "array", "items": {"$ref": "#/definitions/Item"}}}}}},
        "/items/{sku}": {
            "get": {"operationId": "get-item", "summary": "Get item",
                    "parameters": [{"name": "sku", "in": "path", "required": True, "type": "string"}],
                    "responses": {"200": {"description": "Item", "schema": {"$ref": "#/definitions/Item"}}}},
            "put": {"operationId": "put-item", "summary": "Create or replace item",
                    "parameters": [{"name": "sku", "in": "path", "required": True, "type": "string"},
                                   {"name": "body", "in": "body", "required": True,
                                    "schema": {"$ref": "#/definitions/Item"}}],
                    "responses": {"200": {"description": "Saved"}}},
        },
    },
    "definitions": {"Item": {"type": "object", "properties": {"sku": {"type": "string"},
                                                              "quantity": {"type": "integer"}}}},
}

CALCULATOR_WSDL = """\
<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:s="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:contoso:calculator" targetNamespace="urn:contoso:calculator">
  <wsdl:types>
    <s:schema elementFormDefault="qualified" targetNamespace="urn:contoso:calculator">
      <s:element name="Add"><s:complexType><s:sequence>
        <s:element name="a" type="s:int" /><s:element name="b" type="s:int" />
      </s:sequence></s:complexType></s:element>
      <s:element name="AddResponse"><s:complexType><s:sequence>
        <s:element name="AddResult" type="s:int" />
      </s:sequence></s:complexType></s:element>
      <s:element name="Multiply"><s:complexType><s:sequence>
        <s:element name="a" type="s:int" /><s:element name="b" type="s:int" />
      </s:sequence></s:complexType></s:element>
      <s:element name="MultiplyResponse"><s:complexType><s:sequence>
        <s:element name="MultiplyResult" type="s:int" />
      </s:sequence></s:complexType></s:element>
    </s:schema>
  </wsdl:types>
  <wsdl:message name="AddIn"><wsdl:part name="parameters" element="tns:Add" /></wsdl:message>
  <wsdl:message name="AddOut"><wsdl:part name="parameters" element="tns:AddResponse" /></wsdl:message>
  <wsdl:message name="MultiplyIn"><wsdl:part name="parameters" element="tns:Multiply" /></wsdl:message>
  <wsdl:message name="MultiplyOut"><wsdl:part name="parameters" element="tns:MultiplyResponse" /></wsdl:message>
  <wsdl:portType name="CalculatorPortType">
    <wsdl:operation name="Add"><wsdl:input message="tns:AddIn" /><wsdl:output message="tns:AddOut" /></wsdl:operation>
    <wsdl:operation name="Multiply"><wsdl:input message="tns:MultiplyIn" /><wsdl:output message="tns:MultiplyOut" /></wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="CalculatorSoap" type="tns:CalculatorPortType">
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http" />
    <wsdl:operation name="Add">
      <soap:operation soapAction="urn:contoso:calculator/Add" style="document" />
      <wsdl:input><soap:body use="literal" /></wsdl:input><wsdl:output><soap:body use="literal" /></wsdl:output>
    </wsdl:operation>
    <wsdl:operation name="Multiply">
      <soap:operation soapAction="urn:contoso:calculator/Multiply" style="document" />
      <wsdl:input><soap:body use="literal" /></wsdl:input><wsdl:output><soap:body use="literal" /></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="Calculator">
    <wsdl:port name="CalculatorSoap" binding="tns:CalculatorSoap">
      <soap:address location="https://calculator.contoso.example/calculator.asmx" />
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""

BOOKS_SDL = """\
type Query {
  book(id: ID!): Book
  books(first: Int = 10): [Book!]!
}

type Mutation {
  addBook(title: String!): Book
}

type Book {
  id: ID!
  title: String!
  author: String
}
"""

# --------------------------------------------------------------------------------------------------
# policies (named values are referenced by display name, like APIM does)

SERVICE_POLICY = """\
<policies>
  <inbound>
    <cors allow-credentials="false">
      <allowed-origins>
        <origin>*</origin>
      </allowed-origins>
      <allowed-methods>
        <method>GET</method>
        <method>POST</method>
      </allowed-methods>
    </cors>
    <set-header name="X-Environment" exists-action="override">
      <value>{{environment-name}}</value>
    </set-header>
  </inbound>
  <backend>
    <forward-request />
  </backend>
  <outbound />
  <on-error />
</policies>"""

CORRELATION_FRAGMENT = """\
<fragment>
  <set-header name="X-Correlation-Id" exists-action="skip">
    <value>@(context.RequestId.ToString())</value>
  </set-header>
  <set-header name="X-Environment" exists-action="override">
    <value>{{environment-name}}</value>
  </set-header>
</fragment>"""

# rawxml: expressions are not XML-escaped, so `"`, `<` and `&&` appear literally inside @(...)
CONFERENCE_API_POLICY = """\
<policies>
  <inbound>
    <base />
    <include-fragment fragment-id="correlation-id" />
    <set-variable name="isSmallBody" value="@(context.Request.Body != null && context.Request.Body.As<string>(preserveContent: true).Length < 1024)" />
    <set-header name="X-Caller" exists-action="override">
      <value>@(context.Request.Headers.GetValueOrDefault("X-Caller", "anonymous"))</value>
    </set-header>
    <set-header name="X-Api-Key" exists-action="override">
      <value>{{conference-api-key}}</value>
    </set-header>
    <set-backend-service backend-id="conference-backend" />
  </inbound>
  <backend>
    <base />
  </backend>
  <outbound>
    <base />
  </outbound>
  <on-error>
    <base />
  </on-error>
</policies>"""

GET_SESSION_POLICY = """\
<policies>
  <inbound>
    <base />
    <cache-lookup vary-by-developer="false" vary-by-developer-groups="false" downstream-caching-type="none" />
    <set-query-parameter name="api-version" exists-action="override">
      <value>{{conference-backend-version}}</value>
    </set-query-parameter>
  </inbound>
  <backend>
    <base />
  </backend>
  <outbound>
    <base />
    <cache-store duration="60" />
  </outbound>
  <on-error>
    <base />
  </on-error>
</policies>"""

CREATE_SESSION_POLICY = """\
<policies>
  <inbound>
    <base />
    <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent" errors-variable-name="requestBodyValidation" />
  </inbound>
  <backend>
    <base />
  </backend>
  <outbound>
    <base />
  </outbound>
  <on-error>
    <base />
  </on-error>
</policies>"""

INVENTORY_API_POLICY = """\
<policies>
  <inbound>
    <base />
    <set-backend-service backend-id="inventory-backend" />
    <set-header name="Authorization" exists-action="override">
      <value>Bearer {{partner-token}}</value>
    </set-header>
  </inbound>
  <backend>
    <base />
  </backend>
  <outbound>
    <base />
  </outbound>
  <on-error>
    <base />
  </on-error>
</policies>"""

PUT_ITEM_POLICY = """\
<policies>
  <inbound>
    <base />
    <check-header name="If-Match" failed-check-httpcode="428" failed-check-error-message="If-Match required" ignore-case="true" />
  </inbound>
  <backend>
    <base />
  </backend>
  <outbound>
    <base />
  </outbound>
  <on-error>
    <base />
  </on-error>
</policies>"""

STARTER_POLICY = """\
<policies>
  <inbound>
    <rate-limit calls="5" renewal-period="60" />
    <quota calls="100" renewal-period="604800" />
    <base />
  </inbound>
  <backend>
    <base />
  </backend>
  <outbound>
    <base />
  </outbound>
  <on-error>
    <base />
  </on-error>
</policies>"""

UNLIMITED_POLICY = """\
<policies>
  <inbound>
    <base />
    <set-header name="X-Tier" exists-action="override">
      <value>{{tier-label}}</value>
    </set-header>
  </inbound>
  <backend>
    <base />
  </backend>
  <outbound>
    <base />
  </outbound>
  <on-error>
    <base />
  </on-error>
</policies>"""


def _policy(value: str, fmt: str = "xml") -> dict:
    return {"properties": {"format": fmt, "value": value}}


def _operation(display: str, method: str, url: str, *, template: list[dict] | None = None,
               query: list[dict] | None = None, description: str = "") -> dict:
    return {"properties": {
        "displayName": display, "method": method, "urlTemplate": url, "templateParameters": template or [],
        "description": description,
        "request": {"queryParameters": query or [], "headers": [], "representations": []},
        "responses": [{"statusCode": 200, "description": "OK",
                       "representations": [{"contentType": "application/json"}], "headers": []}],
    }}


def _string_param(name: str, required: bool = True) -> dict:
    return {"name": name, "type": "string", "required": required, "values": []}


# --------------------------------------------------------------------------------------------------
# demo instance

def demo_requests() -> list[tuple[str, str, dict | None]]:
    """A realistic, self-consistent APIM instance (see module docstring for the contract)."""
    r: list[tuple[str, str, dict | None]] = []
    put = lambda path, body=None: r.append(("PUT", path, body))  # noqa: E731 - keeps the list readable

    # named values first: everything below may reference them by display name
    put("namedValues/environment-name",
        {"properties": {"displayName": "environment-name", "value": "demo", "tags": ["env"], "secret": False}})
    put("namedValues/conference-backend-version",
        {"properties": {"displayName": "conference-backend-version", "value": "2024-05-01", "secret": False}})
    put("namedValues/tier-label", {"properties": {"displayName": "tier-label", "value": "unlimited"}})
    put("namedValues/conference-api-key",
        {"properties": {"displayName": "conference-api-key", "value": "c0nf-demo-key-7f3a", "secret": True,
                        "tags": ["conference"]}})
    put("namedValues/partner-token-kv",
        {"properties": {"displayName": "partner-token", "secret": True, "tags": ["keyvault"],
                        "keyVault": {"secretIdentifier": "https://contoso-demo-kv.vault.azure.net/secrets/partner-token"}}})
    put(f"namedValues/{LOGGER_CREDENTIALS_ID}",
        {"properties": {"displayName": LOGGER_CREDENTIALS_NV, "value": "00000000-1111-2222-3333-444444444444",
                        "secret": True}})

    put("policyFragments/correlation-id",
        {"properties": {"format": "xml", "description": "Adds correlation and environment headers.",
                        "value": CORRELATION_FRAGMENT}})
    put("backends/conference-backend",
        {"properties": {"title": "Conference backend", "description": "Conference sessions service.",
                        "url": "https://conference.contoso.example/api", "protocol": "http",
                        "tls": {"validateCertificateChain": True, "validateCertificateName": True}}})
    put("backends/inventory-backend",
        {"properties": {"description": "Inventory service.", "url": "https://inventory.contoso.example/v1",
                        "protocol": "http",
                        "credentials": {"header": {"x-functions-key": ["{{conference-api-key}}"]}}}})
    put("loggers/appinsights",
        {"properties": {"loggerType": "applicationInsights", "description": "Application Insights logger.",
                        "credentials": {"instrumentationKey": "{{" + LOGGER_CREDENTIALS_NV + "}}"},
                        "isBuffered": True}})
    put("diagnostics/applicationinsights",
        {"properties": {"loggerId": "/loggers/appinsights", "alwaysLog": "allErrors",
                        "httpCorrelationProtocol": "W3C", "verbosity": "information", "logClientIp": True,
                        "sampling": {"samplingType": "fixed", "percentage": 100}}})
    put("policies/policy", _policy(SERVICE_POLICY))

    for tag, label in (("public", "Public"), ("internal", "Internal"), ("beta", "Beta")):
        put(f"tags/{tag}", {"properties": {"displayName": label}})
    put("groups/partners", {"properties": {"displayName": "Partners", "description": "External partner developers.",
                                           "type": "custom"}})
    put("apiVersionSets/orders-versions",
        {"properties": {"displayName": "Orders API", "versioningScheme": "Segment",
                        "description": "All versions of the Orders API."}})

    # APIs
    put("apis/conference-api",
        {"properties": {"format": "openapi", "value": CONFERENCE_OPENAPI, "path": "conference",
                        "protocols": ["https"], "subscriptionRequired": True}})
    put("apis/inventory-api",
        {"properties": {"format": "swagger-json", "value": json.dumps(INVENTORY_SWAGGER, indent=2),
                        "path": "inventory", "protocols": ["https"]}})
    for version, description in (("v1", "First version."), ("v2", "Adds order search.")):
        put(f"apis/orders-{version}",
            {"properties": {"displayName": "Orders API", "description": description, "path": "orders",
                            "protocols": ["https"], "serviceUrl": f"https://orders.contoso.example/{version}",
                            "apiVersion": version, "apiVersionDescription": description,
                            "apiVersionSetId": "/apiVersionSets/orders-versions", "subscriptionRequired": True}})
        put(f"apis/orders-{version}/operations/list-orders", _operation("List orders", "GET", "/orders"))
        put(f"apis/orders-{version}/operations/get-order",
            _operation("Get order", "GET", "/orders/{orderId}", template=[_string_param("orderId")]))
    put("apis/orders-v2/operations/search-orders",
        _operation("Search orders", "GET", "/orders/search", query=[_string_param("q")]))
    put("apis/echo-api",
        {"properties": {"displayName": "Echo API", "description": "Echoes requests.", "path": "echo",
                        "protocols": ["https"], "serviceUrl": "https://echo.contoso.example/api"}})
    put("apis/echo-api/operations/retrieve-resource", _operation("Retrieve resource", "GET", "/resource"))
    put("apis/echo-api/operations/create-resource", _operation("Create resource", "POST", "/resource"))
    put("apis/echo-api;rev=2",
        {"properties": {"path": "echo", "sourceApiId": "/apis/echo-api",
                        "apiRevisionDescription": "Adds a header-only operation."}})
    put("apis/echo-api;rev=2/operations/retrieve-header-only",
        _operation("Retrieve header only", "HEAD", "/resource"))
    put("apis/echo-api/releases/initial-release",
        {"properties": {"apiId": "/apis/echo-api;rev=1", "notes": "Initial release."}})
    put("apis/books-graphql",
        {"properties": {"displayName": "Books GraphQL", "description": "Pass-through GraphQL API.",
                        "type": "graphql", "serviceUrl": "https://books.contoso.example/graphql",
                        "path": "books", "protocols": ["https"]}})
    put("apis/books-graphql/schemas/graphql",
        {"properties": {"contentType": "application/vnd.ms-azure-apim.graphql.schema",
                        "document": {"value": BOOKS_SDL}}})
    put("apis/calculator-soap",
        {"properties": {"format": "wsdl", "value": CALCULATOR_WSDL, "path": "calculator", "apiType": "soap",
                        "protocols": ["https"],
                        "wsdlSelector": {"wsdlServiceName": "Calculator", "wsdlEndpointName": "CalculatorSoap"}}})

    # API and operation policies (operation names are the imported operationIds)
    put("apis/conference-api/policies/policy", _policy(CONFERENCE_API_POLICY, "rawxml"))
    put("apis/conference-api/operations/get-session/policies/policy", _policy(GET_SESSION_POLICY))
    put("apis/conference-api/operations/create-session/policies/policy", _policy(CREATE_SESSION_POLICY))
    put("apis/inventory-api/policies/policy", _policy(INVENTORY_API_POLICY))
    put("apis/inventory-api/operations/put-item/policies/policy", _policy(PUT_ITEM_POLICY))
    put("apis/conference-api/diagnostics/applicationinsights",
        {"properties": {"loggerId": "/loggers/appinsights", "alwaysLog": "allErrors",
                        "sampling": {"samplingType": "fixed", "percentage": 50},
                        "frontend": {"request": {"headers": ["Content-Type"], "body": {"bytes": 512}},
                                     "response": {"headers": ["Content-Type"], "body": {"bytes": 512}}},
                        "backend": {"request": {"headers": ["Content-Type"], "body": {"bytes": 512}},
                                    "response": {"headers": ["Content-Type"], "body": {"bytes": 512}}}}})
    put("apis/books-graphql/tags/beta")

    # products (the emulator adds each new product's default subscription and Administrators link)
    put("products/starter",
        {"properties": {"displayName": "Starter", "description": "Try the APIs: 5 calls/minute, 100 calls/week.",
                        "terms": "For evaluation only.", "subscriptionRequired": True, "approvalRequired": False,
                        "subscriptionsLimit": 1, "state": "published"}})
    put("products/unlimited",
        {"properties": {"displayName": "Unlimited", "description": "Unlimited access for approved partners.",
                        "subscriptionRequired": True, "approvalRequired": True, "subscriptionsLimit": 1,
                        "state": "published"}})
    put("products/starter/policies/policy", _policy(STARTER_POLICY))
    put("products/unlimited/policies/policy", _policy(UNLIMITED_POLICY))
    put("products/starter/apis/conference-api")
    put("products/starter/apis/echo-api")
    put("products/unlimited/apis/conference-api")
    put("products/unlimited/apis/orders-v1")
    put("products/unlimited/apis/orders-v2")
    put("products/unlimited/apiLinks/inventory-api-link", {"properties": {"apiId": "/apis/inventory-api"}})
    put("products/starter/groups/developers")
    put("products/unlimited/groups/partners")
    put("products/unlimited/groupLinks/developers-link", {"properties": {"groupId": "/groups/developers"}})
    put("products/unlimited/tags/beta")

    put("tags/public/apiLinks/conference-api-link", {"properties": {"apiId": "/apis/conference-api"}})
    put("tags/public/productLinks/starter-link", {"properties": {"productId": "/products/starter"}})
    put("tags/internal/apiLinks/inventory-api-link", {"properties": {"apiId": "/apis/inventory-api"}})
    put("tags/internal/operationLinks/get-session-link",
        {"properties": {"operationId": "/apis/conference-api/operations/get-session"}})

    put("gateways/onprem-gateway",
        {"properties": {"description": "Self-hosted gateway in the Contoso datacenter.",
                        "locationData": {"name": "Contoso DC", "city": "Seattle", "countryOrRegion": "USA"}}})
    put("gateways/onprem-gateway/apis/conference-api", {"properties": {"provisioningState": "created"}})

    put("subscriptions/starter-demo",
        {"properties": {"scope": "/products/starter", "displayName": "Starter demo subscription",
                        "state": "active", "allowTracing": False}})
    put("subscriptions/conference-partner",
        {"properties": {"scope": "/apis/conference-api", "displayName": "Conference partner",
                        "state": "active"}})

    put("schemas/order-schema",
        {"properties": {"schemaType": "json", "description": "An order.",
                        "document": {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Order",
                                     "type": "object", "required": ["id"],
                                     "properties": {"id": {"type": "string"},
                                                    "quantity": {"type": "integer", "minimum": 1}}}}})

    put("workspaces/team-a", {"properties": {"displayName": "Team A", "description": "Team A's workspace."}})
    put("workspaces/team-a/namedValues/team-a-setting",
        {"properties": {"displayName": "team-a-setting", "value": "team-a", "secret": False}})
    put("workspaces/team-a/apis/team-a-echo",
        {"properties": {"displayName": "Team A Echo", "path": "team-a/echo", "protocols": ["https"],
                        "serviceUrl": "https://echo.contoso.example/team-a"}})
    put("workspaces/team-a/products/team-a-product",
        {"properties": {"displayName": "Team A product", "subscriptionRequired": True, "state": "published"}})
    return r


# --------------------------------------------------------------------------------------------------
# benchmark instance

BENCH_NAMED_VALUES = ("bench-backend-url", "bench-timeout", "bench-client-id")


def _bench_openapi(index: int, operations: int) -> str:
    lines = ["openapi: 3.0.1", "info:", f"  title: Benchmark API {index}", "  version: '1.0'", "servers:",
             f"  - url: https://bench.contoso.example/api{index}", "paths:"]
    for op in range(operations):
        lines += [f"  /items{op}/{{id}}:", "    get:", f"      operationId: op-{op:04d}",
                  f"      summary: Operation {op}", "      parameters:", "        - name: id", "          in: path",
                  "          required: true", "          schema:", "            type: string",
                  "      responses:", "        '200':", "          description: OK"]
    return "\n".join(lines) + "\n"


def _bench_api_policy() -> str:
    return ('<policies><inbound><base /><set-backend-service base-url="{{bench-backend-url}}" />'
            '<set-header name="X-Client-Id" exists-action="override"><value>{{bench-client-id}}</value></set-header>'
            '</inbound><backend><forward-request timeout="{{bench-timeout}}" /></backend><outbound><base />'
            '</outbound><on-error><base /></on-error></policies>')


def _bench_operation_policy(op: int) -> str:
    return (f'<policies><inbound><base /><set-header name="X-Operation" exists-action="override"><value>op-{op:04d}'
            '</value></set-header><rate-limit-by-key calls="100" renewal-period="60" '
            'counter-key="@(context.Subscription?.Key ?? &quot;anonymous&quot;)" /></inbound><backend><base />'
            '</backend><outbound><base /></outbound><on-error><base /></on-error></policies>')


def generated_requests(n_apis: int, operations_per_api: int) -> list[tuple[str, str, dict | None]]:
    """``n_apis`` imported OpenAPI APIs with ``operations_per_api`` operations each, an API policy
    and one policy per operation, the named values they use and a product linking all of them.
    Deterministic: the same arguments always give the same list.
    """
    if n_apis < 0 or operations_per_api < 0:
        raise ValueError("n_apis and operations_per_api must be >= 0")
    values = {"bench-backend-url": "https://bench.contoso.example", "bench-timeout": "30",
              "bench-client-id": "benchmark-client"}
    r: list[tuple[str, str, dict | None]] = []
    for name in BENCH_NAMED_VALUES:
        r.append(("PUT", f"namedValues/{name}",
                  {"properties": {"displayName": name, "value": values[name], "secret": False}}))
    r.append(("PUT", "products/benchmark",
              {"properties": {"displayName": "Benchmark", "description": "All generated APIs.",
                              "subscriptionRequired": True, "approvalRequired": False, "state": "published"}}))
    for i in range(n_apis):
        api = f"bench-api-{i:04d}"
        r.append(("PUT", f"apis/{api}",
                  {"properties": {"format": "openapi", "value": _bench_openapi(i, operations_per_api),
                                  "path": f"bench/{i:04d}", "protocols": ["https"]}}))
        r.append(("PUT", f"apis/{api}/policies/policy", _policy(_bench_api_policy())))
        for op in range(operations_per_api):
            r.append(("PUT", f"apis/{api}/operations/op-{op:04d}/policies/policy",
                      _policy(_bench_operation_policy(op))))
    for i in range(n_apis):
        r.append(("PUT", f"products/benchmark/apis/bench-api-{i:04d}", None))
    return r


def demo_secret_requests() -> list[tuple[str, str, dict | None]]:
    """Only the demo instance's secret named values: a target environment whose platform team
    provisioned its secrets out of band (the service never returns secret values, so a tree
    extracted from the demo instance cannot carry them)."""
    return [
        (method, path, body)
        for method, path, body in demo_requests()
        if method == "PUT" and path.startswith("namedValues/") and body and body["properties"].get("secret")
    ]
