"""Small artifact trees the tests write themselves (bytes spelled out: CRLF, BOM, no trailing newline)."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

BOM = b"\xef\xbb\xbf"

#: a v7-style tree: every kind the reader knows, in the layout Azure/apiops 7 writes
V7_TREE: dict[str, bytes] = {
    "policy.xml": b"<policies>\r\n  <inbound><base /></inbound>\r\n</policies>",
    "apis/echo-api/apiInformation.json": (
        b'{\n  "properties": {\n    "path": "echo",\n    "apiRevision": "1",\n    "displayName": "Echo \\u0026 more",\n'
        b'    "isCurrent": true,\n    "protocols": [\n      "https"\n    ],\n    "apiVersionSetId": "/apiVersionSets/vs1"\n  }\n}'
    ),
    "apis/echo-api/specification.yaml": b"openapi: 3.0.1\ninfo:\n  title: Echo\n  version: '1'\npaths: {}\n",
    "apis/echo-api/policy.xml": b'<policies>\n  <inbound><set-header name="x" value="@(context.Request.Headers.GetValueOrDefault("a", "b"))" /></inbound>\n</policies>\n',
    "apis/echo-api/operations/get-items/policy.xml": b"<policies>\r\n<inbound><base /></inbound>\n</policies>",
    "apis/echo-api/diagnostics/applicationinsights/diagnosticInformation.json": b'{\n  "properties": {\n    "loggerId": "/loggers/ai"\n  }\n}',
    "apis/echo-api/releases/r1/apiReleaseInformation.json": b'{\n  "properties": {\n    "apiId": "/apis/echo-api",\n    "notes": "first"\n  }\n}',
    "apis/echo-api;rev=2/apiInformation.json": b'{\n  "properties": {\n    "path": "echo",\n    "apiRevision": "2"\n  }\n}',
    "apis/echo-api;rev=2/specification.json": b'{"swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {}}',
    "apis/graph/apiInformation.json": b'{\n  "properties": {\n    "path": "graph",\n    "type": "graphql"\n  }\n}',
    "apis/graph/specification.graphql": b"type Query {\r\n  hello: String\r\n}\r\n",
    "apis/wadl/apiInformation.json": b'{\n  "properties": {\n    "path": "wadl"\n  }\n}',
    "apis/wadl/specification.wadl": b'<?xml version="1.0"?><application xmlns="http://wadl.dev.java.net/2009/02"/>',
    "apis/v3json/apiInformation.json": b'{\n  "properties": {\n    "path": "v3json"\n  }\n}',
    "apis/v3json/specification.json": b'{\n  "openapi": "3.0.1",\n  "info": {"title": "t", "version": "1"},\n  "paths": {}\n}',
    "named values/plain/namedValueInformation.json": b'{\n  "properties": {\n    "displayName": "plain",\n    "secret": false,\n    "value": "v\\u00E9"\n  }\n}',
    "named values/kv/namedValueInformation.json": b'{\n  "properties": {\n    "displayName": "kv",\n    "secret": true,\n    "keyVault": {\n      "secretIdentifier": "https://kv.vault.azure.net/secrets/s"\n    }\n  }\n}',
    "tags/t1/tagInformation.json": b'{\n  "properties": {\n    "displayName": "T1"\n  }\n}',
    "tags/t1/apis/echo-api/tagApiInformation.json": b"{}",
    "tags/t1/products/starter/tagProductInformation.json": b"{}",
    "version sets/vs1/versionSetInformation.json": b'{\n  "properties": {\n    "displayName": "vs1",\n    "versioningScheme": "Segment"\n  }\n}',
    "backends/b1/backendInformation.json": b'{\n  "properties": {\n    "url": "https://example.org",\n    "protocol": "http"\n  }\n}',
    "loggers/ai/loggerInformation.json": b'{\n  "properties": {\n    "loggerType": "applicationInsights"\n  }\n}',
    "diagnostics/applicationinsights/diagnosticInformation.json": b'{\n  "properties": {\n    "loggerId": "/loggers/ai"\n  }\n}',
    "policy fragments/frag1/policyFragmentInformation.json": b'{\n  "properties": {\n    "description": "d"\n  }\n}',
    "policy fragments/frag1/policy.xml": b"<fragment>\n  <set-header name=\"a\" exists-action=\"override\"><value>1</value></set-header>\n</fragment>",
    "groups/team/groupInformation.json": b'{\n  "properties": {\n    "displayName": "Team"\n  }\n}',
    "gateways/gw1/gatewayInformation.json": b'{\n  "properties": {\n    "locationData": {\n      "name": "dc"\n    }\n  }\n}',
    "gateways/gw1/apis/echo-api/gatewayApiInformation.json": b"{}",
    "products/starter/productInformation.json": b'{\n  "properties": {\n    "displayName": "Starter",\n    "state": "published"\n  }\n}',
    "products/starter/policy.xml": b"<policies />",
    "products/starter/apis/echo-api/productApiInformation.json": b"{}",
    "products/starter/groups/team/productGroupInformation.json": b'{\n  "name": "team",\n  "properties": {\n    "groupId": "/groups/team"\n  }\n}',
    "subscriptions/s1/subscriptionInformation.json": b'{\n  "properties": {\n    "displayName": "s1",\n    "scope": "/products/starter"\n  }\n}',
    "workspaces/ws1/apis/team-api/apiInformation.json": b'{\n  "properties": {\n    "path": "team"\n  }\n}',
    "workspaces/ws1/apis/team-api/policy.xml": b"<policies />",
    "workspaces/ws1/tags/wt/apis/team-api/tagApiInformation.json": b"{}",
}


def write_files(root: Path, files: Mapping[str, bytes]) -> Path:
    for rel, data in files.items():
        target = root.joinpath(*rel.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


