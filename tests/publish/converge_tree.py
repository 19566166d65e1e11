"""A tree of our own that used to need several publishes to settle (issue 13, "Convergence").

Each trait is one of the things a second publish used to change again:
- OpenAPI 3 and Swagger 2 specifications with inline request/response schemas (the service's
  export moves them into named components/definitions);
- operation policies and an API schema of its own (its definition also documented in the
  specification: the export merges API schemas' definitions in) on an API whose specification is
  imported (an import resets operations and schemas);
- a non-current revision with its own ``serviceUrl`` and its own operation policy;
- a tag link written inside a revision folder (``apis/shop;rev=2/tags/...``, the v6 layout).
"""

from __future__ import annotations

import json
from pathlib import Path

_SHOP_V1 = """openapi: 3.0.1
info:
  title: Shop
  version: '1'
servers:
  - url: https://shop-v1.example/api
paths:
  /orders:
    get:
      operationId: list-orders
      summary: List orders
      parameters:
        - name: top
          in: query
          schema:
            type: integer
      responses:
        '200':
          description: The orders.
          content:
            application/json:
              schema:
                type: array
                items:
                  $ref: '#/components/schemas/Order'
        default:
          description: Something went wrong.
    post:
      operationId: create-order
      summary: Create an order
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [lines]
              properties:
                note:
                  type: string
                lines:
                  type: array
                  items:
                    type: object
                    properties:
                      sku: {type: string}
                      quantity: {type: integer, minimum: 1}
      responses:
        '201':
          description: Created.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Order'
components:
  schemas:
    Order:
      type: object
      properties:
        id: {type: integer}
        total: {type: number}
    OrderEvent:
      type: object
      properties:
        id: {type: integer}
"""

_SHOP_V2 = _SHOP_V1.replace("https://shop-v1.example/api", "https://shop-v2.example/api") + """\
"""

_SHOP_V2 = _SHOP_V2.replace("""components:
""", """  /orders/{id}:
    get:
      operationId: get-order
      summary: Get one order
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        '200':
          description: The order.
          content:
            application/json:
              schema:
                type: object
                properties:
                  order: {$ref: '#/components/schemas/Order'}
                  links: {type: array, items: {type: string, format: uri}}
components:
""")

_LEGACY = {
    "swagger": "2.0",
    "info": {"title": "Legacy stock", "version": "1"},
    "host": "stock.example",
    "basePath": "/v1",
    "schemes": ["https"],
    "paths": {
        "/stock/{sku}": {
            "put": {
                "operationId": "set-stock",
                "consumes": ["application/json"],
                "produces": ["application/json"],
                "parameters": [
                    {"name": "sku", "in": "path", "required": True, "type": "string"},
                    {"name": "payload", "in": "body", "required": True,
                     "schema": {"type": "object", "properties": {"count": {"type": "integer"}}}},
                ],
                "responses": {
                    "200": {"description": "Stored.",
                            "schema": {"type": "object", "properties": {"sku": {"type": "string"},
                                                                         "count": {"type": "integer"}}}},
                },
            },
        },
    },
}


def _policy(header: str) -> str:
    return ("<policies>\r\n  <inbound>\r\n    <base />\r\n"
            f"    <set-header name=\"x-op\" exists-action=\"override\"><value>{header}</value></set-header>\r\n"
            "  </inbound>\r\n  <backend><base /></backend>\r\n  <outbound><base /></outbound>\r\n"
            "  <on-error><base /></on-error>\r\n</policies>")


def _info(props: dict) -> str:
    return json.dumps({"properties": props}, indent=2)


CONVERGE_TREE: dict[str, str] = {
    "apis/shop/apiInformation.json": _info({
        "displayName": "Shop", "path": "shop", "protocols": ["https"], "apiRevision": "1", "isCurrent": True,
        "serviceUrl": "https://shop-v1.example/api", "subscriptionRequired": True}),
    "apis/shop/specification.yaml": _SHOP_V1,
    "apis/shop/operations/list-orders/policy.xml": _policy("list"),
    "apis/shop/operations/create-order/policy.xml": _policy("create"),
    "apis/shop/schemas/order-event/apiSchemaInformation.json": json.dumps({"properties": {
        "contentType": "application/vnd.ms-azure-apim.xsd+json",
        "document": {"definitions": {"OrderEvent": {"type": "object", "properties": {"id": {"type": "integer"}}}}},
    }}, indent=2),
    "apis/shop;rev=2/apiInformation.json": _info({
        "displayName": "Shop", "path": "shop", "protocols": ["https"], "apiRevision": "2", "isCurrent": False,
        "apiRevisionDescription": "tries the v2 backend", "serviceUrl": "https://shop-v2.example/api",
        "subscriptionRequired": True}),
    "apis/shop;rev=2/specification.yaml": _SHOP_V2,
    "apis/shop;rev=2/operations/get-order/policy.xml": _policy("get v2"),
    "apis/shop;rev=2/tags/featured/apiTagInformation.json": "{}",
    "apis/legacy-stock/apiInformation.json": _info({
        "displayName": "Legacy stock", "path": "stock", "protocols": ["https"], "apiRevision": "1",
        "isCurrent": True, "serviceUrl": "https://stock.example/v1", "subscriptionRequired": False}),
    "apis/legacy-stock/specification.json": json.dumps(_LEGACY, indent=2),
    "apis/legacy-stock/operations/set-stock/policy.xml": _policy("stock"),
    "tags/featured/tagInformation.json": _info({"displayName": "Featured"}),
    "tags/featured/apis/legacy-stock/tagApiInformation.json": "{}",
}


def write_converge_tree(root: Path) -> Path:
    for rel, text in CONVERGE_TREE.items():
        target = root.joinpath(*rel.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root
