"""Publishing succeeds only because the publisher orders the work: the same puts applied in
reverse dependency order, one at a time, into a strict (non-lenient) emulator are refused with
the 400s the service gives for missing references.

The artifacts tree is built here: a source emulator is filled, in a valid order, with entities
that reference each other the ways that break real publishes (Azure/apiops #36, #668, #825,
#878): named values used by policies through ``{{displayName}}`` (ids differ from display
names), a fragment included by the service and API policies and itself using a named value, a
backend (and a pool of it) named by ``set-backend-service``, a logger used by diagnostics and by
``log-to-eventhub``, a version set used by an API, and a product linking that API. It is then
extracted with the project's extractor.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from apiops_core.apply import apply_plan
from apiops_core.commands.plan import load_desired, make_plan
from apiops_emulator.apim.emulator import Emulator
from apiops_core.model import Plan

from .conftest import extract_to, make_arm, run_cli

SERVICE_POLICY = """<policies>
  <inbound>
    <include-fragment fragment-id="auth-headers" />
    <set-header name="X-Upstream" exists-action="override"><value>{{backend-url}}</value></set-header>
    <set-backend-service backend-id="orders-backend" />
  </inbound>
  <backend><forward-request /></backend>
  <outbound>
    <log-to-eventhub logger-id="audit-hub">@(context.Request.Method + " " + context.Response.StatusCode)</log-to-eventhub>
  </outbound>
  <on-error />
</policies>"""

API_POLICY = """<policies>
  <inbound>
    <base />
    <include-fragment fragment-id="auth-headers" />
    <set-backend-service backend-id="orders-pool" />
    <choose>
      <when condition="@(context.Request.Headers.GetValueOrDefault("x-debug", "") == "1" && context.Request.Url.Query.Count < 5)">
        <log-to-eventhub logger-id="audit-hub">@("debug: " + context.Request.Url.Path)</log-to-eventhub>
      </when>
    </choose>
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>"""

FRAGMENT = ('<fragment><set-header name="Authorization" exists-action="override">'
            '<value>Bearer {{client-token}}</value></set-header></fragment>')


#: the Event Hub connection string lives in a secret named value the logger refers to
AUDIT_CONNECTION = ("PUT", "namedValues/nv-audit-conn", {"properties": {
    "displayName": "audit-connection", "secret": True,
    "value": "Endpoint=sb://audit.example/;SharedAccessKeyName=k;SharedAccessKey=v"}})


def _requests(service_path: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The source instance, in an order the service accepts."""
    backends = f"{service_path}/backends"
    return [
        ("PUT", "namedValues/nv-backend-url", {"properties": {"displayName": "backend-url",
                                                              "value": "https://orders.example"}}),
        ("PUT", "namedValues/nv-client-token", {"properties": {"displayName": "client-token", "value": "t0ken"}}),
        ("PUT", "policyFragments/auth-headers", {"properties": {"value": FRAGMENT, "format": "rawxml"}}),
        ("PUT", "backends/orders-backend", {"properties": {"url": "https://orders.example", "protocol": "http"}}),
        ("PUT", "backends/orders-pool", {"properties": {"type": "Pool", "pool": {"services": [
            {"id": f"{backends}/orders-backend", "weight": 1, "priority": 1}]}}}),
        AUDIT_CONNECTION,
        ("PUT", "loggers/audit-hub", {"properties": {"loggerType": "azureEventHub", "credentials": {
            "name": "audit", "connectionString": "{{audit-connection}}"}}}),
        ("PUT", "diagnostics/applicationinsights", {"properties": {"loggerId": "/loggers/audit-hub",
                                                                   "alwaysLog": "allErrors"}}),
        ("PUT", "apiVersionSets/orders-vs", {"properties": {"displayName": "Orders", "versioningScheme": "Segment"}}),
        ("PUT", "apis/orders-v1", {"properties": {"displayName": "Orders", "path": "orders", "protocols": ["https"],
                                                  "apiVersion": "v1", "serviceUrl": "https://orders.example",
                                                  "apiVersionSetId": "/apiVersionSets/orders-vs"}}),
        ("PUT", "apis/orders-v1/operations/list-orders", {"properties": {"displayName": "List orders",
                                                                         "method": "GET", "urlTemplate": "/orders"}}),
        ("PUT", "apis/orders-v1/policies/policy", {"properties": {"value": API_POLICY, "format": "rawxml"}}),
        ("PUT", "apis/orders-v1/diagnostics/applicationinsights", {"properties": {"loggerId": "/loggers/audit-hub"}}),
        ("PUT", "policies/policy", {"properties": {"value": SERVICE_POLICY, "format": "rawxml"}}),
        ("PUT", "products/orders-product", {"properties": {"displayName": "Orders", "subscriptionRequired": False,
                                                           "state": "published"}}),
        ("PUT", "products/orders-product/apiLinks/orders-link", {"properties": {"apiId": "/apis/orders-v1"}}),
    ]



def _provision(target: Emulator) -> None:
    """The target's environment secret, provisioned out of band (extracted trees never carry it)."""
    method, path, body = AUDIT_CONNECTION
    assert target.apply(method, path, body).status in (200, 201)


@pytest.fixture(scope="module")
def order_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("order") / "artifacts"
    with Emulator() as source:
        for method, path, body in _requests(source.service.path):
            response = source.apply(method, path, body)
            assert response.status < 300, (path, response.status, response.body[:300])
        extract_to(source, root)
    return root


def _json(emu: Emulator, method: str, path: str) -> Any:
    response = emu.apply(method, path)
    assert response.status == 200, (path, response.status)
    return json.loads(response.body)


def test_publisher_order_succeeds_in_a_strict_instance(order_tree: Path) -> None:
    with Emulator() as target:
        _provision(target)
        assert run_cli(target, "publish", "--artifacts", str(order_tree), "--yes") == 0
        policy = _json(target, "GET", "policies/policy?format=rawxml")["properties"]["value"]
        assert 'fragment-id="auth-headers"' in policy and "{{backend-url}}" in policy
        refs = _json(target, "POST", "policyFragments/auth-headers/listReferences")["value"]
        assert {ref["name"] for ref in refs} == {"policy"} and len(refs) == 2
        api = _json(target, "GET", "apis/orders-v1")["properties"]
        assert api["apiVersionSetId"].endswith("/apiVersionSets/orders-vs")
        assert _json(target, "GET", "products/orders-product/apis")["value"][0]["name"] == "orders-v1"


def _reverse_one_by_one(target: Emulator, tree: Path) -> dict[str, list[str]]:
    """The publisher's own plan for an empty instance, its puts reversed and applied one at a
    time (no dependency edges, one worker): failure messages per resource kind."""
    desired = load_desired(str(tree), None, {})
    failures: dict[str, list[str]] = {}
    with make_arm(target, parallelism=1) as arm:
        plan = make_plan(arm, desired, artifacts=str(tree), since=None, creator=True, terminator=False, prune=False,
                         max_deletions=None, config_path=None, log=_NullLog())
        assert len(plan.puts) >= 15
        for action in reversed(plan.puts):
            single = Plan(puts=(dataclasses.replace(action, depends_on=()),), target=plan.target)
            result = apply_plan(arm, single, desired.state, force=True, parallelism=1)
            for failed, message in result.failed:
                failures.setdefault(failed.key.kind, []).append(message)
    return failures


class _NullLog:
    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def test_reverse_order_is_refused_with_the_missing_references(order_tree: Path) -> None:
    with Emulator() as target:
        _provision(target)
        failures = _reverse_one_by_one(target, order_tree)
    text = {kind: " || ".join(messages) for kind, messages in failures.items()}

    # the service policy names every missing reference, each by the name the policy uses
    service_policy = text["service-policy"]
    assert "400" in service_policy and "ValidationError" in service_policy
    for missing in ("Cannot find a property 'backend-url'", "Policy fragment with id 'auth-headers'",
                    "Backend with id 'orders-backend'", "Logger with id 'audit-hub'"):
        assert missing in service_policy, service_policy
    # the fragment needs its named value; the pool its member; diagnostics their logger; the API its version set
    assert "Cannot find a property 'client-token'" in text["policy-fragment"]
    assert "pool.services[0].id" in text["backend"] and "orders-backend" in text["backend"]
    assert "loggerId" in text["diagnostic"] and "audit-hub" in text["diagnostic"]
    assert "apiVersionSetId" in text["api"] and "orders-vs" in text["api"]
    # children and links whose parent or target is not there yet: 404 / 400
    assert "404" in text["api-policy"] and "404" in text["api-diagnostic"]
    assert "product-api" in failures or "product-api-link" in failures
    # and nothing that has no dependency failed
    assert "named-value" not in failures and "version-set" not in failures and "logger" not in failures
