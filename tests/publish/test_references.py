"""references.py: what a policy or a body refers to, with lines; Liquid is not a named value."""

from __future__ import annotations

import pytest

from apiops_core.errors import ReferenceError_
from apiops_core.model import Resource, ResourceKey, SourceLocation, State
from apiops_core.references import (
    check_references,
    dangling_references,
    json_references,
    parse_resource_id,
    policy_references,
    references_of,
)

POLICY = """<policies>
  <inbound>
    <base />
    <set-header name="x" exists-action="override"><value>{{ backend-key }}</value></set-header>
    <include-fragment fragment-id="cors" />
    <set-backend-service backend-id="orders" />
    <set-backend-service backend-id="@(context.Variables["b"])" />
    <!-- <include-fragment fragment-id="old" /> {{commented}} -->
  </inbound>
  <outbound>
    <set-body template="liquid">{"id": "{{body.id}}", "v": "{{- context.Request.Url }}", "n": "{{plain}}"}</set-body>
    <log-to-eventhub logger-id='hub'>@(context.RequestId)</log-to-eventhub>
  </outbound>
</policies>
"""


def test_policy_references_with_lines_and_liquid() -> None:
    refs = policy_references(POLICY)
    found = [(r.kind, r.name, r.line, r.optional) for r in refs]
    assert found == [
        ("named-value", "backend-key", 4, False),
        ("policy-fragment", "cors", 5, False),
        ("backend", "orders", 6, False),
        ("named-value", "commented", 8, True),
        ("named-value", "plain", 11, True),
        ("logger", "hub", 12, False),
    ]


def test_json_references_and_ids() -> None:
    body = {"properties": {"credentials": {"instrumentationKey": "{{Logger-Credentials--1}}"}, "x": ["a {{nv}} b"]}}
    assert [(r.name, r.via) for r in json_references(body)] == [
        ("Logger-Credentials--1", "properties.credentials.instrumentationKey"),
        ("nv", "properties.x[0]"),
    ]
    full = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/svc/products/p1"
    assert parse_resource_id(full, ("product", "api")) == ("product", "p1", None)
    assert parse_resource_id("/apis/a;rev=2", ("api",)) == ("api", "a;rev=2", None)
    assert parse_resource_id("/apis", ("product", "api")) is None


def _state() -> State:
    return State(
        [
            Resource(ResourceKey("named-value", ("nv1",)), {"properties": {"displayName": "backend-key", "value": "x"}}),
            Resource(ResourceKey("named-value", ("plain-nv",)), {"properties": {"displayName": "plain"}}),
            Resource(ResourceKey("policy-fragment", ("cors",)), {"properties": {}}, content="<fragment/>"),
            Resource(ResourceKey("backend", ("orders",)), {"properties": {"url": "https://x"}}),
            Resource(ResourceKey("logger", ("hub",)), {"properties": {"loggerType": "azureEventHub"}}),
            Resource(ResourceKey("api", ("a",)), {"properties": {"apiVersionSetId": "/apiVersionSets/vs"}}),
            Resource(ResourceKey("version-set", ("vs",)), {"properties": {"displayName": "vs"}}),
            Resource(
                ResourceKey("api-policy", ("a",)),
                {},
                content=POLICY,
                source=SourceLocation("apis/a/policy.xml"),
            ),
            Resource(
                ResourceKey("backend", ("pool",)),
                {"properties": {"type": "Pool", "pool": {"services": [{"id": "/backends/orders"}]}}},
            ),
        ]
    )


def test_references_of_resolves_display_names_and_table_paths() -> None:
    state = _state()
    policy = state.get(ResourceKey("api-policy", ("a",)))
    assert policy is not None
    assert references_of(policy, state) == [
        ResourceKey("named-value", ("nv1",)),
        ResourceKey("policy-fragment", ("cors",)),
        ResourceKey("backend", ("orders",)),
        ResourceKey("named-value", ("plain-nv",)),
        ResourceKey("logger", ("hub",)),
    ]
    api = state.get(ResourceKey("api", ("a",)))
    assert api is not None and references_of(api, state) == [ResourceKey("version-set", ("vs",))]
    pool = state.get(ResourceKey("backend", ("pool",)))
    assert pool is not None and references_of(pool, state) == [ResourceKey("backend", ("orders",))]
    check_references(state)  # optional ones (comment, liquid) never fail


def test_dangling_reference_names_file_and_line() -> None:
    state = _state()
    state.remove(ResourceKey("policy-fragment", ("cors",)))
    assert [d.ref.name for d in dangling_references(state)] == ["cors"]
    with pytest.raises(ReferenceError_) as caught:
        check_references(state)
    assert caught.value.path == "apis/a/policy.xml" and caught.value.line == 5
    assert "cors" in str(caught.value)
