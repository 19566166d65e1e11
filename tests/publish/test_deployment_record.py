"""The deployment record without an instance: its encoding, bounded history, the tags it keeps,
the partial/failed outcomes, digests, and environment files."""

from __future__ import annotations

import argparse
import logging
import subprocess
from pathlib import Path
from typing import Any

import pytest

from apiops_core.apply import ApplyResult
from apiops_core.commands.promotion import Deployer
from apiops_core.commands.plan import Desired
from apiops_core.deployments import (HISTORY, MAX_TAGS, Deployment, read_records, rendered_digest,
                                     run_url, write_record)
from apiops_core.environments import resolve_environment
from apiops_core.errors import ConfigError
from apiops_core.model import Action, Plan, Resource, ResourceKey, State


class FakeService:
    """The service resource as ARM keeps it: GET returns the tags, PATCH replaces them."""

    def __init__(self, tags: dict[str, str] | None = None) -> None:
        self.tags = dict(tags or {})
        self.patches = 0
        self.service_name = "apim-test"

    def get(self, path: str, params: Any = None) -> Any:
        assert path == ""
        return argparse.Namespace(body={"name": self.service_name, "tags": dict(self.tags)})

    def patch(self, path: str, body: dict[str, Any], **kwargs: Any) -> Any:
        assert path == "" and set(body) == {"tags"}
        self.patches += 1
        self.tags = dict(body["tags"])
        return argparse.Namespace(body={"tags": self.tags})


def _record(n: int, **changes: Any) -> Deployment:
    base = Deployment(commit=f"{n:040x}", at=f"2026-01-{n % 28 + 1:02d}T00:00:00Z", plan="a" * 16, rendered="b" * 16,
                      source="c" * 16, overrides="d" * 16, resources=n, writes=n)
    return Deployment(**{**base.to_json(), **changes})


def test_a_record_round_trips_and_fits_in_one_tag_value() -> None:
    record = _record(7, kind="rollback", previous="e" * 40, verified_in="dev", build="12345", dirty=True, result="partial")
    text = record.encode()
    assert len(text) <= 256
    assert Deployment.decode(text) == record
    assert Deployment.decode("owner=team-a") is None and Deployment.decode("") is None
    # a value too long for a tag drops the optional fields, never the commit or the digests
    long = _record(1, verified_in="x" * 200)
    decoded = Deployment.decode(long.encode())
    assert len(long.encode()) <= 256 and decoded is not None
    assert (decoded.commit, decoded.rendered, decoded.verified_in) == (long.commit, long.rendered, "")


def test_history_is_bounded_and_other_tags_are_kept() -> None:
    service = FakeService({"owner": "team-a", "costCenter": "42"})
    for n in range(1, HISTORY + 5):
        write_record(service, _record(n), run=f"https://dev.azure.com/org/p/_build/results?buildId={n}")
    records = read_records(service)
    assert service.tags["owner"] == "team-a" and service.tags["costCenter"] == "42"
    assert records.latest == _record(HISTORY + 4)
    assert records.run_url.endswith(f"buildId={HISTORY + 4}")
    assert [r.resources for r in records.history] == list(range(HISTORY + 3, 3, -1))
    assert len(service.tags) == 2 + 2 + HISTORY


def test_history_shrinks_to_stay_within_arms_tag_limit() -> None:
    service = FakeService({f"user{n}": "v" for n in range(MAX_TAGS - 4)})
    for n in range(1, 6):
        write_record(service, _record(n))
    assert len(service.tags) <= MAX_TAGS
    assert read_records(service).latest == _record(5)
    assert all(service.tags[f"user{n}"] == "v" for n in range(MAX_TAGS - 4))


def test_live_is_the_newest_record_that_fully_landed() -> None:
    service = FakeService()
    write_record(service, _record(1))
    write_record(service, _record(2, result="partial"))
    records = read_records(service)
    assert records.latest is not None and records.latest.result == "partial"
    assert records.live == _record(1)


def test_run_url_comes_from_the_pipeline_variables() -> None:
    environ = {"SYSTEM_COLLECTIONURI": "https://dev.azure.com/contoso/", "SYSTEM_TEAMPROJECT": "API Platform",
               "BUILD_BUILDID": "381"}
    assert run_url(environ) == "https://dev.azure.com/contoso/API%20Platform/_build/results?buildId=381"
    assert run_url({"BUILD_BUILDID": "381"}) == ""


def _secret_state(value: str) -> State:
    key = ResourceKey("named-value", ("api-key",))
    return State([Resource(key, {"properties": {"displayName": "api-key", "secret": True, "value": value}})])


def test_digests_never_depend_on_a_secret_value() -> None:
    assert rendered_digest(_secret_state("one")) == rendered_digest(_secret_state("two"))
    plain = ResourceKey("named-value", ("label",))
    a = State([Resource(plain, {"properties": {"displayName": "label", "secret": False, "value": "one"}})])
    b = State([Resource(plain, {"properties": {"displayName": "label", "secret": False, "value": "two"}})])
    assert rendered_digest(a) != rendered_digest(b)


def _deployer(tmp_path: Path, service: FakeService, lines: list[str]) -> Deployer:
    artifacts = tmp_path / "artifacts"
    if not artifacts.exists():
        artifacts.mkdir()
        (artifacts / "named values" / "api-key").mkdir(parents=True)
        (artifacts / "named values" / "api-key" / "namedValueInformation.json").write_text(
            '{"properties": {"displayName": "api-key", "secret": true}}')
        for argv in (["init", "-q"], ["add", "-A"], ["-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "a"]):
            subprocess.run(["git", "-C", str(artifacts), *argv], check=True, capture_output=True)
    args = argparse.Namespace(artifacts=str(artifacts), overrides=None, markdown=None, to_commit=None, max_deletions=None)
    context = argparse.Namespace(environ={}, log=logging.getLogger("apiops.test"), stdout=lines.append)
    head = subprocess.run(["git", "-C", str(artifacts), "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()
    desired = Desired(_secret_state("x"), head, None)
    deployer = Deployer(args, context, desired, "publish", head, False)  # type: ignore[arg-type]
    deployer.read_before(service)
    return deployer


@pytest.mark.parametrize(("writes", "expected"), [(3, "partial"), (0, "failed")])
def test_a_publish_that_did_not_land_is_recorded_as_such(tmp_path: Path, writes: int, expected: str) -> None:
    service = FakeService()
    write_record(service, _record(1))
    lines: list[str] = []
    deployer = _deployer(tmp_path, service, lines)
    action = Action("put", ResourceKey("named-value", ("api-key",)), "update")
    result = ApplyResult(done=[action] * writes, failed=[(action, "409 Conflict")], writes=writes)
    record = deployer.record(service, Plan(puts=(action,)), result)
    assert record is not None and record.result == expected and record.writes == writes
    records = read_records(service)
    assert records.latest is not None and records.latest.result == expected
    assert records.live == _record(1)  # "live" is still what landed before


def test_nothing_is_written_when_the_instance_already_records_this_tree(tmp_path: Path) -> None:
    service = FakeService()
    lines: list[str] = []
    first = _deployer(tmp_path, service, lines)
    assert first.record(service, Plan(), None) is not None and service.patches == 1
    again = _deployer(tmp_path, service, lines)
    assert again.record(service, Plan(), ApplyResult()) is None and service.patches == 1


def test_environment_files(tmp_path: Path) -> None:
    folder = tmp_path / "environments"
    folder.mkdir()
    (tmp_path / "configuration.prod.yaml").write_text("namedValues: []\n")
    (folder / "prod.yaml").write_text("serviceName: apim-{#SUFFIX#}\nresourceGroup: rg\noverrides: ../configuration.prod.yaml\n")
    environment = resolve_environment("prod", {"SUFFIX": "prod"}, str(folder))
    assert (environment.name, environment.service_name) == ("prod", "apim-prod")
    assert environment.overrides == str(folder / ".." / "configuration.prod.yaml")
    (folder / "bad.yaml").write_text("serviceName: x\nsecret: y\n")
    with pytest.raises(ConfigError, match="unknown key"):
        resolve_environment("bad", {}, str(folder))
    with pytest.raises(ConfigError, match="not found"):
        resolve_environment("test", {}, str(folder))
    (folder / "missing.yaml").write_text("overrides: nowhere.yaml\n")
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_environment("missing", {}, str(folder))
