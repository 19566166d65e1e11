"""Knobs and process-level behaviour: faults, throttling, statistics, latency, persistence,
concurrency and the CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from azure.mgmt.apimanagement import models as m

from apiops_emulator.apim import Emulator

from .conftest import make_client, session

V = "api-version=2024-05-01"


def _fault_trace(seed: int) -> list[object]:
    with Emulator(fault_rate=0.5, fault_seed=seed) as emu:
        s = session(emu)
        trace: list[object] = []
        for n in range(24):
            try:
                response = s.put(f"{emu.service_url}/tags/t{n}?{V}", json={"properties": {"displayName": f"T{n}"}})
                trace.append(response.status_code)
                applied = emu.apply("GET", f"tags/t{n}").status == 200
                assert applied == (response.status_code in (200, 201)), "a fault must not apply the write"
            except requests.ConnectionError:
                trace.append("drop")
                s = session(emu)
                assert emu.apply("GET", f"tags/t{n}").status == 404
        stats = emu.stats()
        assert stats["faults"] == sum(1 for t in trace if t not in (200, 201))
        return trace


def test_faults_are_reproducible_and_never_applied():
    first, second = _fault_trace(42), _fault_trace(42)
    assert first == second
    assert {429, 500, 503, "drop"} & set(first) and {201} & set(first)
    assert _fault_trace(7) != first


@pytest.mark.slow
def test_sdk_retries_through_faults():
    with Emulator(fault_rate=0.3, fault_seed=3) as emu:
        client = make_client(emu, retry_backoff_factor=0.01, retry_backoff_max=0.05)
        for n in range(10):
            client.tag.create_or_update(emu.resource_group, emu.service_name, f"r{n}",
                                        m.TagCreateUpdateParameters(display_name=f"R{n}"))
        assert len([t for t in client.tag.list_by_service(emu.resource_group, emu.service_name)]) == 10
        assert emu.stats()["faults"] > 0


def _until_throttled(send, limit: int = 3000) -> list:
    """Send until the first 429 (the bucket refills while we send, so the count is not fixed)."""
    responses = []
    for n in range(limit):
        response = send(n)
        responses.append(response)
        if response.status_code == 429:
            break
    return responses


@pytest.mark.slow
def test_throttle_buckets_per_caller():
    with Emulator(throttle=True) as emu:
        s = session(emu)
        url = f"{emu.service_url}/groups?{V}"
        reads = _until_throttled(lambda n: s.get(url))
        # a full bucket serves 250 reads whatever the timing; refill is slower than we send
        assert [r.status_code for r in reads[:250]] == [200] * 250
        assert reads[-1].status_code == 429
        assert int(reads[-1].headers["Retry-After"]) >= 1
        other = session(emu)
        other.headers["Authorization"] = "Bearer someone-else"
        assert other.get(url).status_code == 200
        writes = _until_throttled(
            lambda n: s.put(f"{emu.service_url}/tags/w{n}?{V}", json={"properties": {"displayName": "w"}})
        )
        assert [r.status_code for r in writes[:200]] == [201] * 200
        assert writes[-1].status_code == 429
        assert emu.stats()["throttled"] >= 2
        # ARM's documented headers: tokens left in the caller's bucket of that operation type
        assert int(reads[0].headers["x-ms-ratelimit-remaining-subscription-reads"]) == 249
        assert reads[-1].headers["x-ms-ratelimit-remaining-subscription-reads"] == "0"
        assert int(writes[0].headers["x-ms-ratelimit-remaining-subscription-writes"]) == 199
        # deletes have their own bucket: an exhausted write bucket does not stop them
        deleted = s.delete(f"{emu.service_url}/tags/w0?{V}", headers={"If-Match": "*"})
        assert deleted.status_code == 200
        assert deleted.headers["x-ms-ratelimit-remaining-subscription-deletes"] == "199"


def test_stats_count_api_requests_only():
    with Emulator() as emu:
        s = session(emu)
        s.get(f"{emu.service_url}/apis?{V}")
        assert s.post(f"{emu.url}/_emulator/reset-stats").status_code == 204
        s.get(f"{emu.service_url}/apis?{V}")
        s.head(f"{emu.service_url}/groups/developers?{V}")
        s.put(f"{emu.service_url}/tags/a?{V}", json={"properties": {"displayName": "A"}})
        s.patch(f"{emu.service_url}/tags/a?{V}", json={"properties": {"displayName": "B"}}, headers={"If-Match": "*"})
        s.post(f"{emu.service_url}/subscriptions/master/listSecrets?{V}")
        s.delete(f"{emu.service_url}/tags/a?{V}", headers={"If-Match": "*"})
        stats = s.get(f"{emu.url}/_emulator/stats").json()
        assert stats == {"requests": {"GET": 1, "HEAD": 1, "PUT": 1, "PATCH": 1, "POST": 1, "DELETE": 1},
                         "throttled": 0, "faults": 0}
        emu.reset_stats()
        assert emu.stats()["requests"]["GET"] == 0


def test_latency_is_added():
    with Emulator(latency_ms=60) as emu:
        s = session(emu)
        s.get(f"{emu.service_url}/apis?{V}")
        started = time.perf_counter()
        s.get(f"{emu.service_url}/apis?{V}")
        assert time.perf_counter() - started >= 0.06


def test_state_survives_restart(tmp_path):
    state = str(tmp_path / "state.sqlite")
    with Emulator(state_file=state) as emu:
        client = make_client(emu)
        rg, svc = emu.resource_group, emu.service_name
        api = client.api.begin_create_or_update(rg, svc, "keep", m.ApiCreateOrUpdateParameter(
            display_name="Keep", path="keep")).result()
        client.api.begin_create_or_update(rg, svc, "keep;rev=2", m.ApiCreateOrUpdateParameter(
            path="keep", source_api_id=api.id)).result()
        client.api_release.create_or_update(rg, svc, "keep", "r", m.ApiReleaseContract(api_id=f"{api.id};rev=2"))
        client.named_value.begin_create_or_update(rg, svc, "nv", m.NamedValueCreateContract(
            display_name="nv", value="hidden", secret=True)).result()
        etag = client.named_value.get(rg, svc, "nv", cls=lambda r, d, h: h["ETag"])
    with Emulator(state_file=state) as emu:
        client = make_client(emu)
        assert client.api.get(rg, svc, "keep").api_revision == "2"
        assert client.named_value.list_value(rg, svc, "nv").value == "hidden"
        assert client.named_value.get(rg, svc, "nv", cls=lambda r, d, h: h["ETag"]) == etag
        assert len([g for g in client.group.list_by_service(rg, svc) if g.name == "administrators"]) == 1


def test_parallel_writes_do_not_corrupt_state():
    with Emulator() as emu:
        def worker(index: int) -> None:
            s = session(emu)
            for n in range(15):
                assert s.put(f"{emu.service_url}/tags/p{index}-{n}?{V}",
                             json={"properties": {"displayName": "x"}}).status_code == 201
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(worker, range(8)))
        body = session(emu).get(f"{emu.service_url}/tags?{V}&$top=100&$filter=startswith(name,'p')").json()
        assert body["count"] == 120


@pytest.mark.slow
def test_cli_ready_file_and_print_env(tmp_path):
    ready = tmp_path / "ready.json"
    process = subprocess.Popen([sys.executable, "-m", "apiops_emulator", "--ready-file", str(ready),
                                "--print-env", "--seed", "demo"], stdout=subprocess.PIPE, text=True,
                               cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    try:
        deadline = time.time() + 20
        while not ready.exists() and time.time() < deadline:
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        assert set(info) == {"url", "ca_bundle", "subscription_id", "resource_group", "service_name", "token"}
        s = requests.Session()
        s.trust_env = False
        response = s.get(f"{info['url']}/subscriptions/{info['subscription_id']}/resourceGroups/{info['resource_group']}"
                         f"/providers/Microsoft.ApiManagement/service/{info['service_name']}/apis?{V}",
                         headers={"Authorization": f"Bearer {info['token']}"}, verify=info["ca_bundle"])
        assert response.status_code == 200 and response.json()["count"] > 0
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "export APIOPS_ARM_ENDPOINT=" in output and "export AZURE_BEARER_TOKEN=" in output


def test_lenient_mode_relaxes_if_match_and_required_properties():
    with Emulator(lenient=True) as emu:
        s = session(emu)
        assert s.put(f"{emu.service_url}/tags/l?{V}", json={"properties": {}}).status_code == 201
        assert s.patch(f"{emu.service_url}/tags/l?{V}", json={"properties": {"displayName": "L"}}).status_code == 200
        assert s.delete(f"{emu.service_url}/tags/l?{V}").status_code == 200
    with Emulator() as emu:
        s = session(emu)
        assert s.put(f"{emu.service_url}/tags/l?{V}", json={"properties": {}}).status_code == 400
