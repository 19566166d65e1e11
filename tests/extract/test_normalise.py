"""normalise_body / relative_id / same_body: what extract writes and plan compares."""

from __future__ import annotations

from apiops_core.model import ResourceKey
from apiops_core.normalise import body_differences, normalise_body, relative_id, same_body

SVC = "/subscriptions/s-1/resourceGroups/rg/providers/Microsoft.ApiManagement/service/src"


def key(kind: str, *names: str, ws: str | None = None) -> ResourceKey:
    return ResourceKey(kind, tuple(names), ws)


def test_relative_id():
    assert relative_id(f"{SVC}/loggers/y") == "/loggers/y"
    assert relative_id(f"{SVC.lower()}/apis/a;rev=2") == "/apis/a;rev=2"
    assert relative_id(f"{SVC}/workspaces/w/apis/a") == "/workspaces/w/apis/a"
    assert relative_id("/loggers/y") == "/loggers/y"
    assert relative_id("/subscriptions/s/resourceGroups/r/providers/microsoft.insights/components/c").startswith("/subscriptions/")
    assert relative_id("https://example.org") == "https://example.org"
    assert relative_id(SVC) == "/"


def test_keeps_unknown_properties_drops_read_only_nulls_and_envelope():
    body = {
        "id": f"{SVC}/apis/a",
        "name": "a",
        "type": "Microsoft.ApiManagement/service/apis",
        "properties": {
            "path": "a",
            "displayName": "A",
            "isOnline": True,
            "provisioningState": "Succeeded",
            "description": None,
            "futureProperty": {"nested": 1, "gone": None},
            "serviceUrl": "  ",
            "apiVersionSetId": f"{SVC}/apiVersionSets/vs",
            "sourceApiId": f"{SVC}/apis/a;rev=1",
            "protocols": ["https", "http"],
        },
    }
    result = normalise_body(key("api", "a"), body)
    assert result == {
        "properties": {
            "path": "a",
            "displayName": "A",
            "futureProperty": {"nested": 1},
            "apiVersionSetId": "/apiVersionSets/vs",
            "sourceApiId": "/apis/a;rev=1",
            "protocols": ["http", "https"],
        }
    }
    # the input is not modified
    assert body["properties"]["description"] is None


def test_secret_named_value_loses_value_plain_keeps_it():
    secret = normalise_body(key("named-value", "s"), {"properties": {"displayName": "s", "secret": True, "value": "hush", "tags": ["b", "a"]}})
    assert secret == {"properties": {"displayName": "s", "secret": True, "tags": ["a", "b"]}}
    plain = normalise_body(key("named-value", "p"), {"properties": {"displayName": "p", "secret": False, "value": "v"}})
    assert plain["properties"]["value"] == "v"
    kv = normalise_body(
        key("named-value", "k"),
        {"properties": {"displayName": "k", "secret": True, "keyVault": {"secretIdentifier": "https://kv/s", "lastStatus": {"code": "Success"}}}},
    )
    assert kv["properties"]["keyVault"] == {"secretIdentifier": "https://kv/s"}


def test_backend_pool_ids_and_credentials_secret():
    body = {
        "properties": {
            "type": "Pool",
            "pool": {"services": [{"id": f"{SVC}/backends/b1"}, {"id": f"{SVC}/backends/b2", "priority": 1}]},
            "credentials": {"authorization": {"scheme": "Basic", "parameter": "c2VjcmV0"}, "header": {}},
        }
    }
    result = normalise_body(key("backend", "pool"), body)["properties"]
    assert result["pool"]["services"] == [{"id": "/backends/b1"}, {"id": "/backends/b2", "priority": 1}]
    # the instance returns the parameter in clear: it is masked (never written), not dropped
    assert result["credentials"] == {"authorization": {"scheme": "Basic", "parameter": "***"}, "header": {}}


def test_subscription_scope_owner_and_keys():
    body = {
        "properties": {
            "scope": f"{SVC}/products/starter",
            "ownerId": f"{SVC}/users/1",
            "displayName": "x",
            "primaryKey": "k1",
            "secondaryKey": "k2",
            "createdDate": "2024-01-01",
            "state": "active",
        }
    }
    assert normalise_body(key("subscription", "x"), body) == {
        "properties": {"scope": "/products/starter", "ownerId": "/users/1", "displayName": "x", "state": "active"}
    }


def test_release_and_diagnostic_ids():
    assert normalise_body(key("api-release", "a", "r"), {"properties": {"apiId": f"{SVC}/apis/a", "notes": "n", "createdDateTime": "t"}}) == {
        "properties": {"apiId": "/apis/a", "notes": "n"}
    }
    assert normalise_body(key("diagnostic", "applicationinsights"), {"properties": {"loggerId": f"{SVC}/loggers/ai"}}) == {
        "properties": {"loggerId": "/loggers/ai"}
    }


def test_links():
    assert normalise_body(key("product-api", "p", "a"), {"name": "a", "properties": {"displayName": "A"}}) == {}
    assert normalise_body(key("tag-api", "t", "a"), {"name": "a"}) == {}
    assert normalise_body(
        key("product-group", "p", "g"), {"name": "link1", "properties": {"groupId": f"{SVC}/groups/g"}}
    ) == {"name": "link1", "properties": {"groupId": "/groups/g"}}
    # listed through products/p/groups (group contracts): rebuilt from the name
    assert normalise_body(key("product-group", "p", "g"), {"name": "g", "properties": {"displayName": "G"}}) == {
        "name": "g",
        "properties": {"groupId": "/groups/g"},
    }
    # workspace links keep their name and far-end id (v7), relativised
    assert normalise_body(
        key("tag-api", "t", "a", ws="w"), {"name": "l1", "properties": {"apiId": f"{SVC}/workspaces/w/apis/a"}}
    ) == {"name": "l1", "properties": {"apiId": "/workspaces/w/apis/a"}}


def test_policy_kinds_drop_content_fields():
    assert normalise_body(key("api-policy", "a"), {"properties": {"format": "rawxml", "value": "<policies/>"}}) == {"properties": {}}
    fragment = normalise_body(key("policy-fragment", "f"), {"properties": {"format": "rawxml", "value": "<fragment/>", "description": "d"}})
    assert fragment == {"properties": {"description": "d"}}


def test_group_built_in_dropped():
    assert normalise_body(key("group", "g"), {"properties": {"displayName": "G", "builtIn": False, "type": "custom"}}) == {
        "properties": {"displayName": "G", "type": "custom"}
    }


def test_same_body_semantics():
    k = key("api", "a")
    current = {"properties": {"path": "a", "subscriptionRequired": True, "apiVersionSetId": f"{SVC}/apiVersionSets/VS", "protocols": ["https", "http"]}}
    desired = {"properties": {"path": "a", "apiVersionSetId": "/apiVersionSets/vs", "protocols": ["http", "https"]}}
    assert same_body(k, desired, current)
    assert not same_body(k, desired, current, subset=False)
    changed = {"properties": {"path": "b", "serviceUrl": "https://x"}}
    assert body_differences(k, changed, current) == ["properties.path", "properties.serviceUrl"]
    # secrets never differ, links never differ
    nv = key("named-value", "s")
    assert same_body(nv, {"properties": {"secret": True, "value": "new"}}, {"properties": {"secret": True}})
    assert same_body(key("product-api", "p", "a"), {}, {"name": "x"})
