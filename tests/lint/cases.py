"""Good and bad examples for every lint rule, written for these tests (no real tree is copied).

``good_tree()`` is a small, clean artifacts state that no rule may flag. ``BAD`` maps each rule
id to a function that breaks the good tree in exactly the way that rule looks for. A rule added
to the table without an entry here fails ``test_every_rule_has_a_case``.
"""

from __future__ import annotations

from typing import Any, Callable

from apiops_core.errors import ArtifactError
from apiops_core.model import Resource, ResourceKey, SourceLocation, State

GOOD_SPEC = """openapi: 3.0.1
info:
  title: Orders
  version: '1.0'
paths:
  /orders:
    get:
      operationId: list-orders
      parameters:
        - name: top
          in: query
          schema:
            type: integer
      responses:
        '200':
          description: the orders
  /orders/{id}:
    get:
      operationId: get-order
      parameters:
        - name: id
          in: path
          required: true
          schema:
            type: string
      responses:
        '200':
          description: one order
        '404':
          description: no such order
"""

GOOD_POLICY = """<policies>
\t<inbound>
\t\t<base />
\t\t<set-header name="x-request-id" exists-action="skip">
\t\t\t<value>@(context.RequestId.ToString())</value>
\t\t</set-header>
\t\t<set-variable name="flag" value="@(context.Request.Headers.GetValueOrDefault("x-flag", "") == "on" && 1 < 2)" />
\t\t<set-backend-service backend-id="orders-backend" />
\t\t<include-fragment fragment-id="common" />
\t\t<set-query-parameter name="api-key" exists-action="override">
\t\t\t<value>{{orders-key}}</value>
\t\t</set-query-parameter>
\t</inbound>
\t<backend>
\t\t<base />
\t</backend>
\t<outbound>
\t\t<base />
\t\t<log-to-eventhub logger-id="hub">@{ return "done: " + context.Response.StatusCode; }</log-to-eventhub>
\t</outbound>
\t<on-error>
\t\t<base />
\t</on-error>
</policies>"""

GOOD_FRAGMENT = """<fragment>
\t<set-header name="x-env" exists-action="override">
\t\t<value>{{environment}}</value>
\t</set-header>
</fragment>"""


def resource(kind: str, names: tuple[str, ...], path: str, body: dict[str, Any] | None = None, **extra: Any) -> Resource:
    return Resource(ResourceKey(kind, names), body or {}, source=SourceLocation(path), **extra)


def good_resources() -> list[Resource]:
    api_props = {
        "displayName": "Orders",
        "description": "Orders of the shop",
        "path": "shop/orders",
        "protocols": ["https"],
        "subscriptionRequired": True,
        "serviceUrl": "https://orders.internal.example",
        "apiVersionSetId": "/apiVersionSets/orders-versions",
        "apiRevision": "1",
    }
    return [
        resource("api", ("orders",), "apis/orders/apiInformation.json", {"properties": api_props}),
        resource(
            "api",
            ("orders;rev=2",),
            "apis/orders;rev=2/apiInformation.json",
            {"properties": {**api_props, "apiRevision": "2", "isCurrent": False}},
        ),
        resource(
            "api-specification", ("orders",), "apis/orders/specification.yaml",
            content=GOOD_SPEC, content_format="openapi", content_ext="yaml",
        ),
        resource("api-policy", ("orders",), "apis/orders/policy.xml", content=GOOD_POLICY, content_format="rawxml"),
        resource(
            "policy-fragment", ("common",), "policy fragments/common/policyFragmentInformation.json",
            {"properties": {"description": "shared"}}, content=GOOD_FRAGMENT, content_format="rawxml",
        ),
        resource(
            "named-value", ("orders-key",), "named values/orders-key/namedValueInformation.json",
            {"properties": {"displayName": "orders-key", "secret": True,
                            "keyVault": {"secretIdentifier": "https://kv.vault.azure.net/secrets/orders-key"}}},
        ),
        resource(
            "named-value", ("environment",), "named values/environment/namedValueInformation.json",
            {"properties": {"displayName": "environment", "secret": False, "value": "production"}},
        ),
        resource(
            "backend", ("orders-backend",), "backends/orders-backend/backendInformation.json",
            {"properties": {"url": "https://orders.internal.example", "protocol": "http"}},
        ),
        resource("logger", ("hub",), "loggers/hub/loggerInformation.json",
                 {"properties": {"loggerType": "azureEventHub", "credentials": {"name": "hub", "connectionString": "{{hub-connection}}"}}}),
        resource(
            "named-value", ("hub-connection",), "named values/hub-connection/namedValueInformation.json",
            {"properties": {"displayName": "hub-connection", "secret": True, "value": "{#hubConnection#}"}},
        ),
        resource("diagnostic", ("applicationinsights",), "diagnostics/applicationinsights/diagnosticInformation.json",
                 {"properties": {"loggerId": "/loggers/hub"}}),
        resource("version-set", ("orders-versions",), "version sets/orders-versions/versionSetInformation.json",
                 {"properties": {"displayName": "Orders", "versioningScheme": "Segment"}}),
        resource("product", ("starter",), "products/starter/productInformation.json",
                 {"properties": {"displayName": "Starter", "description": "For trying", "subscriptionRequired": True}}),
        resource("product-api", ("starter", "orders"), "products/starter/apis/orders/productApiInformation.json", {}),
        resource("product-group", ("starter", "developers"), "products/starter/groups/developers/productGroupInformation.json", {}),
        resource("tag", ("shop",), "tags/shop/tagInformation.json", {"properties": {"displayName": "shop"}}),
        resource("tag-api", ("shop", "orders"), "tags/shop/apis/orders/tagApiInformation.json", {}),
        resource("subscription", ("starter-sub",), "subscriptions/starter-sub/subscriptionInformation.json",
                 {"properties": {"displayName": "Starter", "scope": "/products/starter"}}),
    ]


def good_tree() -> State:
    return State(good_resources())


Case = tuple[State, list[ArtifactError]]


def _replace(new: Resource) -> Case:
    items = [r for r in good_resources() if r.key != new.key] + [new]
    return State(items), []


def _get(kind: str, *names: str) -> Resource:
    key = ResourceKey(kind, names)
    return next(r for r in good_resources() if r.key == key)


def _props(kind: str, names: tuple[str, ...], **changes: Any) -> Case:
    original = _get(kind, *names)
    props = dict(original.properties)
    for name, value in changes.items():
        if value is None:
            props.pop(name, None)
        else:
            props[name] = value
    body = dict(original.body)
    body["properties"] = props
    return _replace(Resource(original.key, body, original.content, original.content_format, original.content_ext, original.source))


def _content(kind: str, names: tuple[str, ...], content: str) -> Case:
    original = _get(kind, *names)
    return _replace(Resource(original.key, original.body, content, original.content_format, original.content_ext, original.source))


def _policy(replace_from: str, replace_to: str) -> Case:
    assert replace_from in GOOD_POLICY
    return _content("api-policy", ("orders",), GOOD_POLICY.replace(replace_from, replace_to, 1))


def _spec(replace_from: str, replace_to: str) -> Case:
    assert replace_from in GOOD_SPEC
    return _content("api-specification", ("orders",), GOOD_SPEC.replace(replace_from, replace_to, 1))


def _without(kind: str, *names: str) -> Case:
    key = ResourceKey(kind, names)
    return State([r for r in good_resources() if r.key != key]), []


def _add(*extra: Resource) -> Case:
    return State(good_resources() + list(extra)), []


XXE_POLICY = """<?xml version="1.0"?>
<!DOCTYPE policies [ <!ENTITY xxe SYSTEM "file:///etc/hostname"> <!ENTITY lol "LOL-EXPANDED-LOL"> ]>
<policies><inbound><base /><set-header name="x" exists-action="override"><value>&xxe;&lol;</value></set-header></inbound></policies>"""

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"

BAD: dict[str, Callable[[], Case]] = {
    "AO101": lambda: (good_tree(), [ArtifactError("invalid JSON: Expecting value (line 1, column 1)", path="apis/x/apiInformation.json", line=1)]),
    "AO102": lambda: _spec("paths:\n  /orders:", "paths:\n  /orders: [unclosed"),
    "AO103": lambda: _spec("type: integer", "type: integr"),
    "AO104": lambda: _add(resource("api-specification", ("orders",), "apis/orders/specification.graphql",
                                   content="type Query { order: Missing }", content_format="graphql", content_ext="graphql")),
    "AO105": lambda: _without("api", "orders"),
    "AO106": lambda: _props("api", ("orders",), apiRevision="2"),
    "AO107": lambda: _props("subscription", ("starter-sub",), displayName=None),
    "AO201": lambda: _policy("<backend>", "<backend><unclosed>"),
    "AO202": lambda: _content("api-policy", ("orders",), XXE_POLICY),
    "AO203": lambda: _content(
        "api-policy", ("orders",), GOOD_POLICY.replace("<set-header", "<set-heder", 1).replace("</set-header>", "</set-heder>", 1)
    ),
    "AO204": lambda: _policy('<set-header name="x-request-id" exists-action="skip">', '<set-header exists-action="skip">'),
    "AO206": lambda: _policy("<backend>\n\t\t<base />", "<backend>\n\t\t<base />\n\t\t<rate-limit calls=\"5\" renewal-period=\"60\" />"),
    "AO205": lambda: _policy("<backend>\n\t\t<base />", "<backend>\n\t\t<forward-request />"),
    "AO301": lambda: _policy("{{orders-key}}", "{{no-such-value}}"),
    "AO302": lambda: _policy('fragment-id="common"', 'fragment-id="uncommon"'),
    "AO303": lambda: _policy('backend-id="orders-backend"', 'backend-id="other-backend"'),
    "AO304": lambda: _without("logger", "hub"),
    "AO305": lambda: _without("version-set", "orders-versions"),
    "AO306": lambda: _without("tag", "shop"),
    "AO307": lambda: _without("product", "starter"),
    "AO308": lambda: _props("api", ("orders",), apiVersionSetId="6286439d9a310d01468c083c"),
    "AO401": lambda: _props("named-value", ("environment",), value=f"Bearer {JWT}"),
    "AO402": lambda: _policy("{{orders-key}}", "sv=2022-11-02&ss=b&sig=Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eA%3D%3D"),
    "AO403": lambda: _props("named-value", ("orders-key",), keyVault=None),
    "AO404": lambda: _props("subscription", ("starter-sub",), primaryKey="c2b1f3e0a9d84b7c9e2f1a0b3c4d5e6f"),
    "AO501": lambda: _props("api", ("orders",), protocols=["http", "https"]),
    "AO502": lambda: _props("api", ("orders",), subscriptionRequired=False),
    "AO503": lambda: _props("backend", ("orders-backend",), url="http://orders.internal.example"),
    "AO504": lambda: _props("product", ("starter",), displayName=None),
    "AO505": lambda: _props("api", ("orders",), description=""),
    "AO506": lambda: _props("api", ("orders",), path="Shop/Orders/"),
    "AO507": lambda: _spec("  /orders/{id}:", "  /getOrders/{id}:"),
}
