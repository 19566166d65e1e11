"""ArmClient behaviour against a fake transport: paging, LROs, retries, errors, the concurrency bound."""

from __future__ import annotations

import threading

import pytest
from azure.core.exceptions import ServiceRequestError, ServiceResponseError

from apiops_core.arm import encode_path, parse_retry_after
from apiops_core.errors import ArmError, PreconditionFailed

from armfakes import ENDPOINT, SERVICE


def test_get_returns_body_etag_and_sends_token_and_api_version(make_client):
    client, transport = make_client(lambda s: (200, {"ETag": '"abc"'}, {"properties": {"x": 1}}))
    response = client.get("apis/echo")
    assert response is not None
    assert response.body == {"properties": {"x": 1}}
    assert response.etag == '"abc"'
    seen = transport.seen[0]
    assert seen.headers["Authorization"] == "Bearer test-token"
    assert seen.query["api-version"] == ["2024-05-01"]
    assert seen.path == f"{SERVICE}/apis/echo"


def test_get_404_is_none(make_client):
    client, _ = make_client(lambda s: (404, {}, {"error": {"code": "ResourceNotFound", "message": "gone"}}))
    assert client.get("apis/missing") is None


def test_revision_segment_is_percent_encoded(make_client):
    client, transport = make_client(lambda s: (200, {}, {"properties": {}}))
    client.get("apis/echo;rev=2/policies/policy", params={"format": "rawxml"})
    url = transport.seen[0].url
    assert "/apis/echo%3Brev%3D2/policies/policy?" in url
    assert transport.seen[0].relative == "apis/echo;rev=2/policies/policy"
    assert transport.seen[0].query["format"] == ["rawxml"]
    assert encode_path("named values/a b") == "named%20values/a%20b"


def test_export_format_plus_is_encoded(make_client):
    client, transport = make_client(lambda s: (200, {}, {"value": {"link": "https://blob/x"}}))
    client.get("apis/a", params={"export": "true", "format": "openapi+json-link"})
    assert "format=openapi%2Bjson-link" in transport.seen[0].url


def test_list_follows_absolute_next_links(make_client):
    def handler(seen):
        page = seen.query.get("page", ["1"])[0]
        if page == "1":
            return 200, {}, {"value": [{"name": "a"}, {"name": "b"}], "nextLink": f"{ENDPOINT}{SERVICE}/apis?api-version=2024-05-01&page=2"}
        if page == "2":
            return 200, {}, {"value": [{"name": "c"}], "nextLink": f"{ENDPOINT}{SERVICE}/apis?page=3&%24skip=3"}
        return 200, {}, {"value": [{"name": "d"}], "nextLink": ""}

    client, transport = make_client(handler)
    assert [item["name"] for item in client.list("apis")] == ["a", "b", "c", "d"]
    assert len(transport.seen) == 3
    # a nextLink without api-version gets one
    assert transport.seen[2].query["api-version"] == ["2024-05-01"]
    assert client.stats.requests == 3


def test_429_retry_after_is_honoured(make_client, sleeps):
    calls = []

    def handler(seen):
        calls.append(1)
        if len(calls) < 3:
            return 429, {"Retry-After": "7"}, {"error": {"code": "SubscriptionRequestsThrottled", "message": "slow down"}}
        return 200, {}, {"properties": {}}

    client, _ = make_client(handler)
    assert client.get("apis/a") is not None
    assert sleeps == [7.0, 7.0]
    assert client.stats.throttled == 2
    assert client.stats.retries == 2
    assert client.stats.requests == 3


def test_retry_after_http_date():
    assert parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=lambda: 1445412470.0) == pytest.approx(10.0)
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({}) is None


def test_5xx_retried_then_success(make_client, sleeps):
    answers = [(503, {}, {}), (500, {}, {"error": {"code": "InternalError"}}), (200, {}, {"properties": {"ok": True}})]
    client, _ = make_client(lambda s: answers.pop(0))
    response = client.get("backends/b")
    assert response.body["properties"]["ok"] is True
    assert len(sleeps) == 2 and all(0 < w < 5 for w in sleeps)
    assert sleeps[1] > sleeps[0] * 0.4  # exponential with jitter: not shrinking wildly


def test_5xx_exhausted_raises(make_client, sleeps):
    client, transport = make_client(lambda s: (503, {}, {"error": {"code": "ServiceUnavailable", "message": "down"}}), max_retries=2)
    with pytest.raises(ArmError) as caught:
        client.get("apis/a")
    assert caught.value.status == 503
    assert len(transport.seen) == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize("error", [ServiceRequestError("refused"), ServiceResponseError("connection reset")])
def test_connection_error_retried(make_client, error):
    answers: list = [error, (200, {}, {"properties": {}})]
    client, transport = make_client(lambda s: answers.pop(0))
    assert client.get("apis/a") is not None
    assert len(transport.seen) == 2
    assert client.stats.retries == 1


def test_connection_error_exhausted_is_arm_error(make_client):
    client, _ = make_client(lambda s: ServiceRequestError("refused"), max_retries=1)
    with pytest.raises(ArmError, match="connection failed"):
        client.get("apis/a")


def test_4xx_fails_at_once_with_code_and_message(make_client, sleeps):
    client, transport = make_client(
        lambda s: (400, {}, {"error": {"code": "ValidationError", "message": "bad", "details": [{"target": "path", "message": "required"}]}})
    )
    with pytest.raises(ArmError) as caught:
        client.put("apis/a", {"properties": {}})
    error = caught.value
    assert error.status == 400 and error.code == "ValidationError"
    assert error.resource_id == f"{SERVICE}/apis/a"
    assert "bad" in str(error) and "path: required" in str(error)
    assert len(transport.seen) == 1 and sleeps == []


def test_412_is_precondition_failed(make_client):
    client, transport = make_client(lambda s: (412, {}, {"error": {"code": "PreconditionFailed", "message": "etag"}}))
    with pytest.raises(PreconditionFailed) as caught:
        client.put("apis/a", {"properties": {}}, if_match='"old"')
    assert caught.value.status == 412
    assert transport.seen[0].headers["If-Match"] == '"old"'


@pytest.mark.parametrize(
    "status,error",
    [
        (409, {"code": "ManagementApiRequestFailed", "message": "try again"}),
        (422, {"code": "ManagementApiRequestFailed", "message": "try again"}),
        (409, {"code": "Conflict", "message": "Operation on the API is in progress"}),
    ],
)
def test_apim_quirks_retried(make_client, status, error):
    answers = [(status, {}, {"error": error}), (200, {}, {"properties": {}})]
    client, _ = make_client(lambda s: answers.pop(0))
    client.put("apis/a", {"properties": {}})
    assert client.stats.retries == 1


def test_plain_409_not_retried(make_client):
    client, transport = make_client(lambda s: (409, {}, {"error": {"code": "Conflict", "message": "exists"}}))
    with pytest.raises(ArmError):
        client.put("apis/a", {"properties": {}})
    assert len(transport.seen) == 1


def test_lro_azure_async_operation(make_client, sleeps):
    polls = []

    def handler(seen):
        if seen.method == "PUT":
            return 201, {"Azure-AsyncOperation": f"{ENDPOINT}/ops/1", "Location": f"{ENDPOINT}{SERVICE}/apis/a?asyncId=1"}, {
                "properties": {"provisioningState": "InProgress"}
            }
        if seen.path == "/ops/1":
            polls.append(1)
            if len(polls) < 3:
                return 200, {"Retry-After": "3"}, {"status": "InProgress"}
            return 200, {}, {"status": "Succeeded"}
        return 200, {"ETag": "e1"}, {"properties": {"path": "a"}}

    client, transport = make_client(handler)
    response = client.put("apis/a", {"properties": {"path": "a"}})
    assert response.body == {"properties": {"path": "a"}} and response.etag == "e1"
    # first wait at least 1 s, later waits honour Retry-After
    assert sleeps == [1.0, 3.0, 3.0]
    assert transport.seen[-1].query["asyncId"] == ["1"]


def test_lro_failure_raises(make_client):
    def handler(seen):
        if seen.method == "PUT":
            return 202, {"Azure-AsyncOperation": f"{ENDPOINT}/ops/2"}, None
        return 200, {}, {"status": "Failed", "error": {"code": "ValidationError", "message": "bad spec"}}

    client, _ = make_client(handler)
    with pytest.raises(ArmError, match="bad spec"):
        client.put("apis/a", {"properties": {}})


def test_lro_location_polling_and_provisioning_state(make_client, sleeps):
    answers = [
        (202, {"Location": f"{ENDPOINT}/loc/1", "Retry-After": "2"}, None),
        (202, {"Retry-After": "2"}, None),
        (200, {}, {"properties": {"provisioningState": "Succeeded", "v": 1}}),
    ]
    client, _ = make_client(lambda s: answers.pop(0))
    response = client.put("namedValues/nv", {"properties": {}})
    assert response.properties["v"] == 1
    assert sleeps == [2.0, 2.0]

    answers2 = [
        (201, {}, {"properties": {"provisioningState": "InProgress"}}),
        (200, {}, {"properties": {"provisioningState": "InProgress"}}),
        (200, {}, {"properties": {"provisioningState": "Succeeded"}}),
    ]
    client2, transport2 = make_client(lambda s: answers2.pop(0))
    client2.put("schemas/s", {"properties": {}})
    assert [s.method for s in transport2.seen] == ["PUT", "GET", "GET"]


def test_lro_timeout(make_client):
    client, _ = make_client(lambda s: (202, {"Location": f"{ENDPOINT}/loc/1", "Retry-After": "10"}, None), lro_timeout=25)
    with pytest.raises(ArmError, match="still in progress"):
        client.put("apis/a", {"properties": {}})


def test_delete_semantics(make_client):
    statuses = [200, 204, 404]
    client, transport = make_client(lambda s: (statuses.pop(0), {}, None))
    assert client.delete("apis/a") is True
    assert client.delete("apis/a") is False
    assert client.delete("apis/a") is False
    assert transport.seen[0].headers["If-Match"] == "*"


def test_delete_lro(make_client, sleeps):
    answers = [(202, {"Location": f"{ENDPOINT}/loc/9"}, None), (202, {}, None), (204, {}, None)]
    client, _ = make_client(lambda s: answers.pop(0))
    assert client.delete("apis/a", params={"deleteRevisions": "true"}) is True
    assert len(sleeps) == 2


def test_post_and_patch(make_client):
    client, transport = make_client(lambda s: (200, {}, {"value": "secret"}))
    assert client.post("namedValues/nv/listValue").body == {"value": "secret"}
    client.patch("namedValues/nv", {"properties": {"tags": []}})
    assert transport.seen[1].method == "PATCH" and transport.seen[1].headers["If-Match"] == "*"


def test_download_is_unauthenticated(make_client):
    client, transport = make_client(lambda s: (200, {}, "openapi: 3.0.1\n"))
    text = client.download("https://blob.test/export/a.yaml?sig=secret")
    assert text == "openapi: 3.0.1\n"
    assert "Authorization" not in transport.seen[0].headers
    assert client.stats.downloads == 1 and client.stats.requests == 0


def test_concurrency_bound_is_global(make_client):
    client, transport = make_client(lambda s: (200, {}, {"properties": {}}), delay=0.01, parallelism=3)

    def nested(i: int) -> int:
        # nested maps must not multiply the bound
        return sum(len(client.map(lambda j: client.get(f"apis/a{i}/operations/o{j}").status, range(4))) for _ in range(1))

    results = client.map(nested, range(10))
    assert results == [4] * 10
    assert len(transport.seen) == 40
    assert transport.max_in_flight <= 3
    assert transport.max_in_flight >= 2  # it did run concurrently
    assert client.stats.max_in_flight <= 3


def test_bound_holds_across_foreign_threads(make_client):
    client, transport = make_client(lambda s: (200, {}, {}), delay=0.005, parallelism=2)
    threads = [threading.Thread(target=lambda: [client.get("tags/t") for _ in range(5)]) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert transport.max_in_flight <= 2
    assert len(transport.seen) == 30


def test_map_raises_first_error_and_keeps_order(make_client):
    client, _ = make_client(lambda s: (200, {}, {}))
    assert client.map(lambda x: x * 2, [3, 1, 2]) == [6, 2, 4]

    def boom(x: int) -> int:
        if x == 2:
            raise ValueError("boom")
        return x

    with pytest.raises(ValueError, match="boom"):
        client.map(boom, range(5))


def test_truncated_json_body_is_retried(make_client):
    answers: list = [(200, {"Content-Type": "application/json"}, '{"properties": {"cut'), (200, {}, {"properties": {"ok": 1}})]

    def handler(seen):
        status, headers, payload = answers.pop(0)
        return status, headers, payload

    client, transport = make_client(handler)
    response = client.get("apis/a")
    assert response.properties == {"ok": 1}
    assert len(transport.seen) == 2
