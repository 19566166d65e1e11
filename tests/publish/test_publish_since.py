"""``--since REV``: a range of commits, contents read from the commits, exact write counts; order and faults."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from apiops_core.apply import apply_plan
from apiops_core.artifacts import load_tree
from apiops_emulator.apim.emulator import Emulator
from apiops_core.model import State
from apiops_core.plan import plan_against_instance
from apiops_core.treesource import DirectorySource

from .conftest import extract_to, make_arm, run_cli, secretless, tree_files, writes

SPEC = """openapi: 3.0.1
info: {title: Weather, version: '1'}
paths:
  /forecast:
    get:
      operationId: get-forecast
      responses: {'200': {description: ok}}
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def _commit(repo: Path, message: str) -> str:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", message)
    return _git(repo, "rev-parse", "HEAD")


@pytest.mark.slow
def test_since_publishes_every_commit_of_the_range_then_one_file_is_one_write(demo_tree: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    artifacts = repo / "apim"
    shutil.copytree(demo_tree, artifacts)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    base = _commit(repo, "extracted")
    with Emulator(seed="demo-secrets") as emu:
        assert run_cli(emu, "publish", "--artifacts", str(artifacts), "--yes") == 0
        # commit 1: a policy edit; commit 2: a new API with spec; commit 3: a tag removed
        policy = artifacts / "apis" / "conference-api" / "policy.xml"
        policy.write_text(policy.read_text().replace("<base />", "<base />\n    <set-header name=\"X-One\" exists-action=\"override\"><value>1</value></set-header>", 1))
        _commit(repo, "one")
        api = artifacts / "apis" / "weather-api"
        api.mkdir()
        (api / "apiInformation.json").write_text('{"properties": {"displayName": "Weather", "path": "weather", "protocols": ["https"], "apiRevision": "1", "isCurrent": true}}')
        (api / "specification.yaml").write_text(SPEC)
        _commit(repo, "two")
        tag = sorted((artifacts / "tags").iterdir())[0]  
        shutil.rmtree(tag)
        _commit(repo, "three")
        # the working tree differs from HEAD: --since must read the commits, not the folder
        policy.write_text("<policies>uncommitted garbage")
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(artifacts), "--since", base, "--yes") == 0
        assert emu.stats()["requests"]["DELETE"] == 1
        _git(repo, "checkout", "-q", "--", ".")
        back = tree_files(extract_to(emu, tmp_path / "back"))
        wanted = tree_files(artifacts)
        new_api = {p: back.pop(p) for p in list(back) if p.startswith("apis/weather-api/")}
        assert back == {p: v for p, v in wanted.items() if not p.startswith("apis/weather-api/")}
        assert new_api["apis/weather-api/apiInformation.json"]["properties"]["displayName"] == "Weather"
        assert "get-forecast" in new_api["apis/weather-api/specification.yaml"] or "/forecast" in new_api["apis/weather-api/specification.yaml"]
        # a one-file change makes exactly one write
        policy.write_text(policy.read_text().replace("X-One", "X-Two"))
        _commit(repo, "four")
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(artifacts), "--since", "HEAD~1", "--yes") == 0
        # the policy, and the deployment record (one PATCH of the service's tags) naming the new commit
        assert writes(emu) == 2 and emu.stats()["requests"]["PATCH"] == 1
        # the same range again: puts the same content (no instance comparison in --since mode) = 1 write
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(artifacts), "--since", "HEAD~1", "--dry-run") == 0
        assert writes(emu) == 0


class _Recorder:
    """An ArmClient stand-in that records when each write starts and ends."""

    def __init__(self, arm: Any) -> None:
        self.arm = arm
        self.events: list[tuple[str, str]] = []
        self.parallelism = arm.parallelism

    def __getattr__(self, name: str) -> Any:
        return getattr(self.arm, name)

    def put(self, path: str, body: Any, **kwargs: Any) -> Any:
        self.events.append(("start", path))
        response = self.arm.put(path, body, **kwargs)
        self.events.append(("end", path))
        return response


def test_referenced_resources_are_created_before_the_policy(demo_tree: Path, tmp_path: Path) -> None:
    tree = tmp_path / "artifacts"
    shutil.copytree(demo_tree, tree)
    fragment = tree / "policy fragments" / "aaa-first"
    fragment.mkdir(parents=True)
    (fragment / "policyFragmentInformation.json").write_text('{"properties": {"description": "x"}}')
    (fragment / "policy.xml").write_text('<fragment><log-to-eventhub logger-id="zz-hub">@("x")</log-to-eventhub></fragment>')
    logger = tree / "loggers" / "zz-hub"
    logger.mkdir(parents=True)
    (logger / "loggerInformation.json").write_text('{"properties": {"loggerType": "azureEventHub", "credentials": {"name": "hub", "connectionString": "{{zz-conn}}"}}}')
    nv = tree / "named values" / "zz-conn"
    nv.mkdir(parents=True)
    (nv / "namedValueInformation.json").write_text('{"properties": {"displayName": "zz-conn", "value": "Endpoint=sb://x/"}}')
    policy = tree / "policy.xml"
    policy.write_text(policy.read_text().replace("<inbound>", '<inbound>\n    <include-fragment fragment-id="aaa-first" />', 1))
    desired = load_tree(DirectorySource(tree))
    with Emulator(seed="demo-secrets") as emu, make_arm(emu, parallelism=8) as arm:
        plan = plan_against_instance(desired, State())
        recorder = _Recorder(arm)
        result = apply_plan(recorder, plan, desired, verify=False)
        assert result.ok
    events = recorder.events
    def ended(path: str) -> int:
        return events.index(("end", path))
    def started(path: str) -> int:
        return events.index(("start", path))
    assert ended("namedValues/zz-conn") < started("loggers/zz-hub")
    assert ended("loggers/zz-hub") < started("policyFragments/aaa-first")
    assert ended("policyFragments/aaa-first") < started("policies/policy")
    named_values = [i for i, (what, path) in enumerate(events) if path.startswith("namedValues/")]
    starts = [events[i][0] for i in named_values]
    assert starts == ["start", "end"] * (len(starts) // 2)  # one named value at a time


@pytest.mark.slow
def test_fifty_apis_publish_through_faults(tmp_path: Path) -> None:
    with Emulator(seed="generated:50:3") as source:
        tree = extract_to(source, tmp_path / "tree")
    with Emulator(fault_rate=0.1, fault_seed=7) as emu:
        env = {"APIOPS_PARALLELISM": "8"}
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes", env=env) == 0
        assert emu.stats()["faults"] > 0
        back = extract_to(emu, tmp_path / "back")
    assert tree_files(back) == secretless(tree_files(tree))
