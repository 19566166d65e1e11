"""An apiops-cli (Azure/apiops-cli 0.x) artifacts tree of our own: every folder of its artifact-format
reference, small files, and what each file must become when apiops reads it.

``CLI_TREE`` is path → bytes. ``EXPECTED`` maps every path to what it must be read as: a list of
resource keys ``(kind, names, workspace)`` the plan must create, or ``("covered", key)`` (the file
describes something another resource's create makes, e.g. an operation made by the specification
import), or ``("unused", words)`` (a kind apiops does not manage: reported, with those words in the
reason). A test asserts the two tables have the same paths, so a file added here without saying
what it becomes fails.
"""

from __future__ import annotations

import json
from typing import Any

_SVC = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ApiManagement/service/src"


def _arm(kind: str, name: str, properties: dict[str, Any]) -> bytes:
    """A full ARM body, as apiops-cli writes it (id, type, name, explicit nulls)."""
    body = {
        "id": f"{_SVC}/{kind}/{name}",
        "type": f"Microsoft.ApiManagement/service/{kind}",
        "name": name,
        "properties": properties,
    }
    return json.dumps(body, indent=2).encode()


def _props(properties: dict[str, Any]) -> bytes:
    """The documented shape: ``{"properties": ...}`` only."""
    return json.dumps({"properties": properties}, indent=2).encode()


_POLICY = b"""<policies>
  <inbound>
    <base />
    <set-header name="x-key" exists-action="override"><value>{{api-key}}</value></set-header>
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>
"""

_SPEC = b"""openapi: 3.0.1
info:
  title: Petstore
  version: '1.0'
paths:
  /pets:
    get:
      operationId: get-pets
      summary: List pets
      responses:
        '200':
          description: OK
"""

_GRAPHQL = b"""type Book {
  title: String
}

type Query {
  books: [Book]
}
"""

CLI_TREE: dict[str, bytes] = {
    # service policy at the root
    "policy.xml": b"<policies>\n  <inbound />\n  <backend><forward-request /></backend>\n  <outbound />\n  <on-error />\n</policies>\n",
    # named values, tags, version sets, backends, loggers, diagnostics, fragments, groups, gateways
    "namedValues/api-key/namedValueInformation.json": _arm(
        "namedValues", "api-key", {"displayName": "api-key", "value": "k-123", "secret": False, "tags": None, "keyVault": None}
    ),
    "namedValues/appinsights-key/namedValueInformation.json": _props(
        {"displayName": "appinsights-key", "value": "00000000-0000-0000-0000-0000000000aa", "secret": False}
    ),
    "tags/production/tagInformation.json": _arm("tags", "production", {"displayName": "production"}),
    "versionSets/orders-version-set/versionSetInformation.json": _props(
        {"displayName": "Orders", "versioningScheme": "Segment", "description": None}
    ),
    "backends/petstore-backend/backendInformation.json": _arm(
        "backends", "petstore-backend", {"url": "https://petstore.example.com", "protocol": "http", "credentials": None}
    ),
    "loggers/appinsights/loggerInformation.json": _props(
        {"loggerType": "applicationInsights", "credentials": {"instrumentationKey": "{{appinsights-key}}"}, "isBuffered": True}
    ),
    "diagnostics/applicationinsights/diagnosticInformation.json": _props(
        {"loggerId": f"{_SVC}/loggers/appinsights", "alwaysLog": "allErrors"}
    ),
    "policyFragments/rate-limit/policyFragmentInformation.json": _arm(
        "policyFragments", "rate-limit",
        {"description": "shared limit", "format": "xml",
         "value": "<fragment>\n\t<rate-limit calls=\"100\" renewal-period=\"60\" />\n</fragment>"},
    ),
    "groups/partners/groupInformation.json": _props({"displayName": "Partners", "type": "custom"}),
    "groups/developers/groupInformation.json": _props({"displayName": "Developers", "builtIn": True, "type": "system"}),
    "gateways/self-hosted/gatewayInformation.json": _props(
        {"description": "on premises", "locationData": {"name": "factory"}}
    ),
    "gateways/self-hosted/apis.json": b'[\n  {\n    "name": "petstore-api"\n  }\n]',
    # global schema, subscriptions
    "schemas/shared-error-schema/schemaInformation.json": _props(
        {"schemaType": "json", "description": "error", "document": {"type": "object", "properties": {"code": {"type": "string"}}}}
    ),
    "subscriptions/team-a-sub/subscriptionInformation.json": _arm(
        "subscriptions", "team-a-sub", {"displayName": "Team A", "scope": f"{_SVC}/products/starter", "state": "active"}
    ),
    "subscriptions/master/subscriptionInformation.json": _props({"displayName": "Built-in all-access subscription", "scope": "/"}),
    # an API and every child folder the reference lists
    "apis/petstore-api/apiInformation.json": _arm(
        "apis", "petstore-api",
        {"displayName": "Petstore API", "path": "petstore", "protocols": ["https"],
         "serviceUrl": "https://petstore.example.com", "subscriptionRequired": True,
         "apiRevision": "1", "isCurrent": True, "apiVersion": None, "description": None},
    ),
    "apis/petstore-api/policy.xml": _POLICY,
    "apis/petstore-api/specification.yaml": _SPEC,
    "apis/petstore-api/wiki.md": json.dumps({"properties": {"documents": []}, "_markdownContent": "# Pets"}).encode(),
    "apis/petstore-api/operations/get-pets/operationInformation.json": _props(
        {"displayName": "List pets", "method": "GET", "urlTemplate": "/pets", "templateParameters": [], "responses": []}
    ),
    "apis/petstore-api/operations/get-pets/policy.xml": b"<policies>\n  <inbound><base /></inbound>\n  <backend><base /></backend>\n  <outbound><base /></outbound>\n  <on-error><base /></on-error>\n</policies>\n",
    "apis/petstore-api/tags/production/tagInformation.json": _props({"displayName": "production"}),
    "apis/petstore-api/diagnostics/applicationinsights/diagnosticInformation.json": _props(
        {"loggerId": f"{_SVC}/loggers/appinsights", "alwaysLog": "allErrors"}
    ),
    "apis/petstore-api/schemas/pet-schema/schemaInformation.json": _props(
        {"contentType": "application/vnd.oai.openapi.components+json",
         "document": {"components": {"schemas": {"Pet": {"type": "object"}}}}}
    ),
    "apis/petstore-api/releases/release-1/releaseInformation.json": _arm(
        "apis/releases", "release-1", {"apiId": f"{_SVC}/apis/petstore-api", "notes": "first"}
    ),
    "apis/petstore-api/tagDescriptions/production/tagDescriptionInformation.json": _props(
        {"displayName": "production", "description": "prod operations"}
    ),
    "apis/petstore-api;rev=2/apiInformation.json": _props(
        {"displayName": "Petstore API", "path": "petstore", "protocols": ["https"], "apiRevision": "2",
         "isCurrent": False, "serviceUrl": "https://petstore-next.example.com"}
    ),
    # a GraphQL API with a resolver (resolvers are GraphQL-only in the reference)
    "apis/books-graphql/apiInformation.json": _props(
        {"displayName": "Books", "path": "books", "protocols": ["https"], "type": "graphql",
         "serviceUrl": "https://books.example.com/graphql"}
    ),
    "apis/books-graphql/specification.graphql": _GRAPHQL,
    "apis/books-graphql/resolvers/get-books/resolverInformation.json": _props(
        {"displayName": "books", "path": "Query/books"}
    ),
    "apis/books-graphql/resolvers/get-books/policy.xml": b"<http-data-source />\n",
    # a product and its association files
    "products/starter/productInformation.json": _arm(
        "products", "starter",
        {"displayName": "Starter", "subscriptionRequired": True, "approvalRequired": False, "state": "published", "terms": None},
    ),
    "products/starter/policy.xml": b"<policies>\r\n  <inbound>\r\n    <base />\r\n  </inbound>\r\n  <backend><base /></backend>\r\n  <outbound><base /></outbound>\r\n  <on-error><base /></on-error>\r\n</policies>",
    "products/starter/apis.json": b'[\n  {\n    "name": "petstore-api"\n  }\n]',
    "products/starter/groups.json": b'[\n  {\n    "name": "developers"\n  },\n  {\n    "name": "partners"\n  }\n]',
    "products/starter/tags.json": b'[\n  {\n    "name": "production"\n  }\n]',
    "products/starter/wiki.md": json.dumps({"properties": {"documents": []}}).encode(),
    # kinds apiops does not manage
    "policyRestrictions/no-external-calls/policyRestrictionInformation.json": _props(
        {"scope": "/apis/petstore-api", "requireBase": "true"}
    ),
    "documentations/getting-started/documentationInformation.json": _props({"title": "Start", "content": "# hi"}),
    # a workspace: the same folders under workspaces/<ws>/
    "workspaces/team/workspaceInformation.json": _props({"displayName": "Team", "description": None}),
    "workspaces/team/namedValues/team-setting/namedValueInformation.json": _props(
        {"displayName": "team-setting", "value": "on", "secret": False}
    ),
    "workspaces/team/tags/wt/tagInformation.json": _props({"displayName": "wt"}),
    "workspaces/team/apis/team-api/apiInformation.json": _props(
        {"displayName": "Team API", "path": "team", "protocols": ["https"], "serviceUrl": "https://team.example.com"}
    ),
    "workspaces/team/apis/team-api/tags/wt/tagInformation.json": _props({"displayName": "wt"}),
    # foreign files a team keeps beside the artifacts
    "README.md": b"# our APIM\n",
    ".gitignore": b"*.bak\n",
    "configuration.prod.yaml": b"apimServiceName: prod\n",
}


def _k(kind: str, *names: str, ws: str | None = None) -> tuple[str, tuple[str, ...], str | None]:
    return (kind, names, ws)


EXPECTED: dict[str, Any] = {
    "policy.xml": [_k("service-policy")],
    "namedValues/api-key/namedValueInformation.json": [_k("named-value", "api-key")],
    "namedValues/appinsights-key/namedValueInformation.json": [_k("named-value", "appinsights-key")],
    "tags/production/tagInformation.json": [_k("tag", "production")],
    "versionSets/orders-version-set/versionSetInformation.json": [_k("version-set", "orders-version-set")],
    "backends/petstore-backend/backendInformation.json": [_k("backend", "petstore-backend")],
    "loggers/appinsights/loggerInformation.json": [_k("logger", "appinsights")],
    "diagnostics/applicationinsights/diagnosticInformation.json": [_k("diagnostic", "applicationinsights")],
    "policyFragments/rate-limit/policyFragmentInformation.json": [_k("policy-fragment", "rate-limit")],
    "groups/partners/groupInformation.json": [_k("group", "partners")],
    "groups/developers/groupInformation.json": ("system", "built-in"),
    "gateways/self-hosted/gatewayInformation.json": [_k("gateway", "self-hosted")],
    "gateways/self-hosted/apis.json": [_k("gateway-api", "self-hosted", "petstore-api")],
    "schemas/shared-error-schema/schemaInformation.json": [_k("global-schema", "shared-error-schema")],
    "subscriptions/team-a-sub/subscriptionInformation.json": [_k("subscription", "team-a-sub")],
    "subscriptions/master/subscriptionInformation.json": ("system", "built-in"),
    "apis/petstore-api/apiInformation.json": [_k("api", "petstore-api")],
    "apis/petstore-api/policy.xml": [_k("api-policy", "petstore-api")],
    "apis/petstore-api/specification.yaml": [_k("api-specification", "petstore-api")],
    "apis/petstore-api/wiki.md": [("api-wiki", ("petstore-api",), None)],
    "apis/petstore-api/operations/get-pets/operationInformation.json": ("covered", _k("api-specification", "petstore-api")),
    "apis/petstore-api/operations/get-pets/policy.xml": [_k("api-operation-policy", "petstore-api", "get-pets")],
    "apis/petstore-api/tags/production/tagInformation.json": [_k("tag-api", "production", "petstore-api")],
    "apis/petstore-api/diagnostics/applicationinsights/diagnosticInformation.json": [
        _k("api-diagnostic", "petstore-api", "applicationinsights")
    ],
    "apis/petstore-api/schemas/pet-schema/schemaInformation.json": [_k("api-schema", "petstore-api", "pet-schema")],
    "apis/petstore-api/releases/release-1/releaseInformation.json": [_k("api-release", "petstore-api", "release-1")],
    "apis/petstore-api/tagDescriptions/production/tagDescriptionInformation.json": [
        _k("api-tag-description", "petstore-api", "production")
    ],
    "apis/petstore-api;rev=2/apiInformation.json": [_k("api", "petstore-api;rev=2")],
    "apis/books-graphql/apiInformation.json": [_k("api", "books-graphql")],
    "apis/books-graphql/specification.graphql": [_k("api-specification", "books-graphql")],
    "apis/books-graphql/resolvers/get-books/resolverInformation.json": [("api-resolver", ("books-graphql", "get-books"), None)],
    "apis/books-graphql/resolvers/get-books/policy.xml": [("api-resolver-policy", ("books-graphql", "get-books"), None)],
    "products/starter/productInformation.json": [_k("product", "starter")],
    "products/starter/policy.xml": [_k("product-policy", "starter")],
    "products/starter/apis.json": [_k("product-api", "starter", "petstore-api")],
    "products/starter/groups.json": [_k("product-group", "starter", "developers"), _k("product-group", "starter", "partners")],
    "products/starter/tags.json": [_k("tag-product", "production", "starter")],
    "products/starter/wiki.md": [("product-wiki", ("starter",), None)],
    "policyRestrictions/no-external-calls/policyRestrictionInformation.json": [("policy-restriction", ("no-external-calls",), None)],
    "documentations/getting-started/documentationInformation.json": [("documentation", ("getting-started",), None)],
    "workspaces/team/workspaceInformation.json": [_k("workspace", "team")],
    "workspaces/team/namedValues/team-setting/namedValueInformation.json": [_k("named-value", "team-setting", ws="team")],
    "workspaces/team/tags/wt/tagInformation.json": [_k("tag", "wt", ws="team")],
    "workspaces/team/apis/team-api/apiInformation.json": [_k("api", "team-api", ws="team")],
    "workspaces/team/apis/team-api/tags/wt/tagInformation.json": [_k("tag-api", "wt", "team-api", ws="team")],
    "README.md": ("foreign", ""),
    ".gitignore": ("foreign", ""),
    "configuration.prod.yaml": ("foreign", ""),
}
