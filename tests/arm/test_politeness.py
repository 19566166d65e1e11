"""Politeness of the client layer: a 429 pauses every thread, ARM's remaining-requests headers
pace the client, unreachable hosts and missing credentials fail fast with one clear line."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError

from apiops_core.arm import ArmClient
from apiops_core.errors import ArmError

from armfakes import FakeCredential


def _wait_for(predicate, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.002)
    return predicate()


def test_429_pauses_the_other_concurrent_requests_too(make_client):
    """Real time, a short pause (retry-after-ms 400): a fake clock shared by all threads could not
    tell a thread that waited from one that merely ran after another thread's sleep."""
    received: list[tuple[str, float]] = []
    lock = threading.Lock()
    answered_429: list[tuple[str, float]] = []
    holder: dict = {}

    def handler(seen):
        now = time.monotonic()
        with lock:
            received.append((seen.relative, now))
            first = len(received) == 1
        if first:
            answered_429.append((seen.relative, now))
            return 429, {"retry-after-ms": "400"}, {"error": {"code": "TooManyRequests", "message": "slow down"}}
        # requests already on the wire finish only after the client has seen the 429
        _wait_for(lambda: holder["client"].stats.throttle_pauses >= 1)
        return 200, {}, {"properties": {}}

    client, transport = make_client(handler, parallelism=4, sleep=time.sleep, clock=time.monotonic)
    holder["client"] = client
    assert len(client.map(lambda n: client.get(f"tags/t{n}"), range(20))) == 20
    assert len(answered_429) == 1 and len(received) == 21
    assert client.stats.throttled == 1 and client.stats.throttle_pauses == 1
    path_429, at_429 = answered_429[0]
    # only the requests in flight when the 429 came (at most the 4 slots) were sent during the pause;
    # every other one, from any thread, waited for it to end
    during = [path for path, at in received if at < at_429 + 0.39]
    assert len(during) <= 4, received
    assert len(received) - len(during) >= 17
    # the throttled request itself was retried after the pause
    assert [at for path, at in received if path == path_429][-1] >= at_429 + 0.39
    assert transport.max_in_flight <= 4


def test_remaining_header_paces_the_client_below_the_bucket(make_client, sleeps):
    """A bucket of 5 tokens refilling 2 per second: the client reads the remaining count and
    rests when it reaches 0, instead of collecting 429s."""
    lock = threading.Lock()
    bucket = {"tokens": 5.0, "stamp": sleeps.clock()}
    statuses: list[int] = []

    def handler(seen):
        with lock:
            now = sleeps.clock()
            bucket["tokens"] = min(5.0, bucket["tokens"] + (now - bucket["stamp"]) * 2.0)
            bucket["stamp"] = now
            if bucket["tokens"] < 1:
                statuses.append(429)
                return 429, {"Retry-After": "1", "x-ms-ratelimit-remaining-subscription-reads": "0"}, {}
            bucket["tokens"] -= 1
            statuses.append(200)
            return 200, {"x-ms-ratelimit-remaining-subscription-reads": str(int(bucket["tokens"]))}, {}

    client, transport = make_client(handler, parallelism=4, delay=0.001)
    assert len(client.map(lambda n: client.get(f"groups/g{n}"), range(40))) == 40
    assert statuses.count(200) == 40
    assert statuses.count(429) <= 2, statuses
    assert client.stats.budget_pauses >= 1


def test_no_remaining_header_means_no_pacing(make_client, sleeps):
    client, transport = make_client(lambda s: (200, {}, {}), parallelism=4, delay=0.005)
    client.map(lambda n: client.get(f"tags/t{n}"), range(16))
    assert sleeps == [] and transport.max_in_flight >= 2


def test_credential_failure_is_not_retried(make_client, sleeps):
    class Failing(FakeCredential):
        calls = 0

        def get_token(self, *scopes, **kwargs):
            Failing.calls += 1
            raise ClientAuthenticationError("no accounts\nline two")

    from armfakes import ENDPOINT, FakeTransport

    transport = FakeTransport(lambda s: (200, {}, {}))
    client = ArmClient(ENDPOINT, Failing(), "sub", "rg", "svc", transport=transport, sleep=sleeps, clock=sleeps.clock)
    with pytest.raises(ArmError, match="no token could be obtained: no accounts$"):
        client.get("apis/a")
    assert Failing.calls == 1 and transport.seen == [] and sleeps == []


def _refused(host: str = "127.0.0.1") -> ServiceRequestError:
    try:
        raise ConnectionRefusedError(111, "Connection refused")
    except ConnectionRefusedError as cause:
        try:
            raise ServiceRequestError(f"HTTPSConnection(host='{host}'): Failed to establish a new connection") from cause
        except ServiceRequestError as error:
            return error


def test_unreached_host_gets_a_few_quick_attempts_logged_at_info(make_client, sleeps, caplog):
    client, transport = make_client(lambda s: _refused())
    with caplog.at_level(logging.INFO, logger="apiops.arm"):
        with pytest.raises(ArmError, match="cannot connect to arm.test: connection refused") as caught:
            client.get("apis/a")
    assert len(transport.seen) <= 4
    assert sum(sleeps) <= 4.0  # connect_budget
    retries = [r for r in caplog.records if r.levelno == logging.INFO and "retry" in r.getMessage()]
    assert len(retries) == len(transport.seen) - 1 >= 1
    assert all("connection refused" in r.getMessage() and "s" in r.getMessage().split(" in ")[-1] for r in retries)
    # the host is now known to be unreachable: other requests fail at once, without new attempts
    seen = len(transport.seen)
    with pytest.raises(ArmError, match="cannot connect"):
        client.get("apis/b")
    assert len(transport.seen) == seen
    assert "connection refused" in str(caught.value)


def test_dns_failure_is_named(make_client):
    def handler(seen):
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as cause:
            try:
                raise ServiceRequestError("Failed to resolve 'arm.test'") from cause
            except ServiceRequestError as error:
                return error

    client, _ = make_client(handler)
    with pytest.raises(ArmError, match="does not resolve"):
        client.get("apis/a")


def test_a_host_that_answered_before_gets_ordinary_retries(make_client, sleeps):
    answers: list = [(200, {}, {}), _refused(), _refused(), (200, {}, {"properties": {"ok": 1}})]
    client, transport = make_client(lambda s: answers.pop(0))
    client.get("apis/a")
    assert client.get("apis/b").properties == {"ok": 1}
    assert client.stats.retries == 2


@pytest.mark.slow
def test_cli_connection_refused_fails_fast_with_retries_on_stderr(capsys, tmp_path):
    from apiops_core.cli import main

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"AZURE_BEARER_TOKEN": "t", "APIOPS_ARM_ENDPOINT": f"https://127.0.0.1:{port}",
           "AZURE_SUBSCRIPTION_ID": "s", "AZURE_RESOURCE_GROUP_NAME": "g", "API_MANAGEMENT_SERVICE_NAME": "n"}
    started = time.monotonic()
    code = main(["extract", "--output", str(tmp_path / "out")], env)
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert code != 0
    assert elapsed < 8.0
    assert "connection refused; retry 1/" in err
    assert err.strip().splitlines()[-1].startswith("error: ") and "cannot connect to 127.0.0.1" in err
    assert "Traceback" not in err
