"""The seed request lists are well-formed: known collections, required properties, references in order."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from apiops_emulator.apim.seed import demo_requests, generated_requests
from apiops_emulator.apim.spec_import import import_definition

# collection chain (ids replaced by '*') -> required body properties (2024-05-01 definitions.json facts)
KNOWN: dict[str, tuple[str, ...] | None] = {
    "namedValues/*": ("displayName",),
    "policyFragments/*": ("value",),
    "backends/*": (),
    "loggers/*": ("loggerType",),
    "diagnostics/*": ("loggerId",),
    "policies/policy": ("value",),
    "tags/*": ("displayName",),
    "tags/*/apiLinks/*": ("apiId",),
    "tags/*/productLinks/*": ("productId",),
    "tags/*/operationLinks/*": ("operationId",),
    "groups/*": ("displayName",),
    "apiVersionSets/*": ("displayName", "versioningScheme"),
    "apis/*": ("path",),
    "apis/*/operations/*": ("displayName", "method", "urlTemplate"),
    "apis/*/operations/*/policies/policy": ("value",),
    "apis/*/policies/policy": ("value",),
    "apis/*/schemas/*": ("contentType", "document"),
    "apis/*/releases/*": (),
    "apis/*/diagnostics/*": ("loggerId",),
    "apis/*/tags/*": None,  # association without body
    "products/*": ("displayName",),
    "products/*/policies/policy": ("value",),
    "products/*/apis/*": None,
    "products/*/groups/*": None,
    "products/*/tags/*": None,
    "products/*/apiLinks/*": ("apiId",),
    "products/*/groupLinks/*": ("groupId",),
    "gateways/*": (),
    "gateways/*/apis/*": (),
    "subscriptions/*": ("scope", "displayName"),
    "schemas/*": ("schemaType",),
    "workspaces/*": ("displayName",),
    "workspaces/*/namedValues/*": ("displayName",),
    "workspaces/*/apis/*": ("path",),
    "workspaces/*/products/*": ("displayName",),
}
BUILT_IN = {"groups/administrators", "groups/developers", "groups/guests"}
NAMED_VALUE_NAME = re.compile(r"^[A-Za-z0-9-._]+$")


def _chain(path: str) -> str:
    parts = path.split("/")
    return "/".join(p if i % 2 == 0 or p == "policy" else "*" for i, p in enumerate(parts))


def _strings(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)
    elif isinstance(node, str):
        yield node


def _ref_key(ref: str) -> str:
    """'/apis/x' or a full ARM id -> 'apis/x' (service-relative key)."""
    ref = re.sub(r"^.*/providers/Microsoft\.ApiManagement/service/[^/]+", "", ref, flags=re.IGNORECASE)
    return ref.strip("/")


def check_requests(requests: list[tuple[str, str, dict | None]]) -> dict[str, set[str]]:
    """Assert the invariants; returns the created keys per chain for further checks."""
    created: set[str] = set(BUILT_IN)
    named_values: set[str] = set()
    operations: dict[str, set[str]] = {}  # api key -> operation names (explicit + imported)
    for method, path, body in requests:
        where = f"{method} {path}"
        assert method == "PUT", where
        assert "%" not in path and not path.startswith("/") and "//" not in path, where
        chain = _chain(path)
        assert chain in KNOWN, f"unknown collection for {where} ({chain})"
        required = KNOWN[chain]
        if required is None:
            assert body is None, where
        elif required:
            assert isinstance(body, dict) and isinstance(body.get("properties"), dict), where
            missing = [p for p in required if body["properties"].get(p) in (None, "") and p != "path"]
            if "path" in required:
                assert isinstance(body["properties"].get("path"), str), f"{where}: path"
            assert not missing, f"{where}: missing {missing}"
        json.dumps(body)  # JSON-serialisable
        props = (body or {}).get("properties") or {}

        # parents exist first (apis/x;rev=2 children need the revision itself)
        parts = path.split("/")
        for depth in range(2, len(parts) - 1, 2):
            parent = "/".join(parts[:depth])
            assert parent.lower() in created, f"{where}: parent {parent} not created before"
        # link targets exist first
        if chain.endswith("/apis/*") and chain != "workspaces/*/apis/*" and required is not False:
            assert f"apis/{parts[-1]}".lower() in created, f"{where}: API not created before"
        if chain in ("products/*/groups/*",):
            assert f"groups/{parts[-1]}".lower() in created, where
        if chain in ("apis/*/tags/*", "products/*/tags/*"):
            assert f"tags/{parts[-1]}".lower() in created, where
        for key in ("apiId", "productId", "groupId", "loggerId", "apiVersionSetId", "sourceApiId", "scope"):
            if isinstance(props.get(key), str):
                target = _ref_key(props[key])
                if target.startswith("apis/") and ";rev=1" in target:
                    target = target.replace(";rev=1", "")
                assert target.lower() in created, f"{where}: {key} {props[key]} not created before"
        if isinstance(props.get("operationId"), str):
            api_key, _, op = _ref_key(props["operationId"]).partition("/operations/")
            assert op in operations.get(api_key.lower(), set()), f"{where}: operation {op} unknown"

        # named values / fragments / backends referenced from strings exist
        for text in _strings(body):
            for ref in re.findall(r"\{\{([^{}]+)\}\}", text):
                assert ref in named_values, f"{where}: {{{{{ref}}}}} is not a seeded named value display name"
            for fragment in re.findall(r'<include-fragment\s+fragment-id="([^"]+)"', text):
                assert f"policyfragments/{fragment.lower()}" in created, f"{where}: fragment {fragment}"
            for backend in re.findall(r'backend-id="([^"]+)"', text):
                assert f"backends/{backend.lower()}" in created, f"{where}: backend {backend}"

        # policies: xml must be well-formed XML; rawxml is allowed raw expressions
        if chain.endswith("policies/policy") or chain == "policyFragments/*":
            fmt = props.get("format", "xml")
            assert fmt in ("xml", "rawxml"), where
            if fmt == "xml":
                ET.fromstring(props["value"])

        if chain == "namedValues/*":
            assert NAMED_VALUE_NAME.match(props["displayName"]), where
            assert props.get("value") or props.get("keyVault", {}).get("secretIdentifier"), where
            named_values.add(props["displayName"])

        # operations: explicit PUTs and those an import generates
        if chain == "apis/*/operations/*":
            operations.setdefault("/".join(parts[:2]).lower(), set()).add(parts[3])
        if chain in ("apis/*", "workspaces/*/apis/*"):
            api_key = "/".join(parts).lower()
            if props.get("format"):
                imported = import_definition(props["format"], props["value"], api_name=parts[-1],
                                             wsdl_selector=props.get("wsdlSelector"))
                operations[api_key] = {op["name"] for op in imported.operations}
            elif props.get("sourceApiId"):
                operations[api_key] = set(operations.get(_ref_key(props["sourceApiId"]).lower(), set()))
            else:
                operations.setdefault(api_key, set())
            created.update(f"{api_key}/operations/{op}".lower() for op in operations[api_key])
        if chain.startswith("apis/*/operations/*/"):
            api_key = "/".join(parts[:2]).lower()
            assert parts[3] in operations.get(api_key, set()), f"{where}: operation {parts[3]} does not exist"
        created.add(path.lower())
    return {"operations": {k for k in operations}, "created": created}


def test_demo_requests_are_well_formed():
    check_requests(demo_requests())


def test_demo_covers_the_instance_features():
    requests = demo_requests()
    paths = [p for _, p, _ in requests]
    bodies = {p: b for _, p, b in requests}
    formats = {b["properties"].get("format") for p, b in bodies.items() if _chain(p) == "apis/*" and b}
    assert {"openapi", "swagger-json", "wsdl"} <= formats
    assert bodies["apis/calculator-soap"]["properties"]["apiType"] == "soap"
    assert bodies["apis/calculator-soap"]["properties"]["wsdlSelector"]["wsdlServiceName"] == "Calculator"
    versions = [b["properties"] for p, b in bodies.items() if _chain(p) == "apis/*" and b
                and b["properties"].get("apiVersionSetId") == "/apiVersionSets/orders-versions"]
    assert sorted(v["apiVersion"] for v in versions) == ["v1", "v2"]
    assert "apis/echo-api;rev=2" in paths and bodies["apis/echo-api;rev=2"]["properties"]["sourceApiId"]
    assert any(_chain(p) == "apis/*/releases/*" for p in paths)
    assert bodies["apis/books-graphql"]["properties"]["type"] == "graphql"
    schema = bodies["apis/books-graphql/schemas/graphql"]["properties"]
    assert schema["contentType"] == "application/vnd.ms-azure-apim.graphql.schema"
    import_definition("graphql", schema["document"]["value"], api_name="books-graphql")  # valid SDL
    rawxml = [b["properties"]["value"] for p, b in bodies.items()
              if b and p.endswith("policies/policy") and b["properties"].get("format") == "rawxml"]
    assert rawxml and any(re.search(r'@\([^)]*"[^)]*\)', v) and re.search(r"@\([^\n]*<[^\n]*\)", v) for v in rawxml)
    secrets = [b["properties"] for p, b in bodies.items() if _chain(p) == "namedValues/*"]
    assert any(nv.get("secret") and nv.get("value") for nv in secrets)
    assert any(nv.get("keyVault", {}).get("secretIdentifier") for nv in secrets)
    assert any(not nv.get("secret") for nv in secrets)
    assert any(nv["displayName"] != p.split("/")[1] for p, nv in
               ((p, b["properties"]) for p, b in bodies.items() if _chain(p) == "namedValues/*"))
    logger = bodies["loggers/appinsights"]["properties"]
    assert logger["loggerType"] == "applicationInsights"
    assert re.fullmatch(r"\{\{Logger-Credentials-[^}]+\}\}", logger["credentials"]["instrumentationKey"])
    assert bodies["diagnostics/applicationinsights"]["properties"]["loggerId"] == "/loggers/appinsights"
    assert any(_chain(p) == "apis/*/diagnostics/*" for p in paths)
    assert {"products/starter", "products/unlimited"} <= set(paths)
    assert "products/starter/groups/developers" in paths and "products/unlimited/groups/partners" in paths
    assert "administrators" not in " ".join(paths)  # the emulator adds those links itself
    scopes = {b["properties"]["scope"] for p, b in bodies.items() if _chain(p) == "subscriptions/*"}
    assert any(s.startswith("/products/") for s in scopes) and any(s.startswith("/apis/") for s in scopes)
    for chain in ("gateways/*", "gateways/*/apis/*", "schemas/*", "workspaces/*", "workspaces/*/apis/*",
                  "workspaces/*/namedValues/*", "workspaces/*/products/*", "policyFragments/*", "backends/*",
                  "tags/*/apiLinks/*", "tags/*/productLinks/*", "products/*/tags/*", "policies/policy",
                  "apis/*/operations/*/policies/policy", "products/*/policies/policy"):
        assert any(_chain(p) == chain for p in paths), chain


def test_demo_requests_are_fresh_and_deterministic():
    first, second = demo_requests(), demo_requests()
    assert first == second
    first[0][2]["properties"]["value"] = "changed"
    assert demo_requests()[0][2]["properties"]["value"] != "changed"


def test_demo_imports_generate_the_operations_policies_target():
    bodies = {p: b for _, p, b in demo_requests()}
    conference = import_definition("openapi", bodies["apis/conference-api"]["properties"]["value"],
                                   api_name="conference-api")
    assert len(conference.operations) == 5
    assert conference.properties["displayName"] == "Conference API"


@pytest.mark.parametrize("n_apis, ops", [(0, 0), (1, 1), (3, 4)])
def test_generated_requests(n_apis, ops):
    requests = generated_requests(n_apis, ops)
    check_requests(requests)
    assert requests == generated_requests(n_apis, ops)
    chains = [_chain(p) for _, p, _ in requests]
    assert chains.count("apis/*") == n_apis
    assert chains.count("apis/*/policies/policy") == n_apis
    assert chains.count("apis/*/operations/*/policies/policy") == n_apis * ops
    assert chains.count("products/*/apis/*") == n_apis


def test_generated_requests_scale_quickly():
    requests = generated_requests(200, 20)
    assert len(requests) == 3 + 1 + 200 * (2 + 20) + 200
    first_api = requests[4][2]["properties"]
    assert len(import_definition("openapi", first_api["value"], api_name="bench-api-0000").operations) == 20


def test_generated_requests_reject_negative_sizes():
    with pytest.raises(ValueError):
        generated_requests(-1, 1)
