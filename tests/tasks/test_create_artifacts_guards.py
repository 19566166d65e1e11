"""Create artifacts fails the pipeline (task.complete Failed + an error issue) instead of emptying
the repository: a wrong subscription / resource group / service, an instance that reads as empty,
an extraction that would delete more than ``maxDeletions`` files. Run by node as the agent does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .test_tasks_against_emulator import agent_env, emulator_module, run_task

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


@pytest.fixture(scope="module")
def emulator():
    with emulator_module.Emulator(seed="demo") as emu:
        yield emu


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def writes(emu) -> int:
    requests = emu.stats()["requests"]
    return int(requests["PUT"] + requests["PATCH"] + requests["DELETE"])


def create_artifacts(staged_tasks, emu, workspace, **inputs: str):
    task_dir, env = agent_env(staged_tasks, "ApiOpsCreateArtifacts", emu, workspace,
                              {"artifactsFolder": "apim-artifacts", "publishArtifact": "true", **inputs})
    return run_task(task_dir, env)


def assert_failed_before_anything(run, emu, root: Path, before: dict[str, bytes], *needles: str) -> None:
    assert run.result == "Failed", run.stdout[-3000:]
    assert run.of("task.complete")[-1].props["result"] == "Failed"
    errors = [c.data for c in run.errors()]
    assert errors, run.stdout[-3000:]
    for needle in needles:
        assert any(needle in e for e in errors), errors
    assert not run.outputs() and not run.of("artifact.upload")
    assert writes(emu) == 0
    assert snapshot(root) == before


@pytest.mark.parametrize("missing, inputs, needles", [
    ("subscription", {"subscriptionId": "99999999-9999-4999-8999-999999999999"},
     ("subscription '99999999-9999-4999-8999-999999999999' does not exist", "subscriptionId")),
    ("resource group", {"resourceGroupName": "rg-typo"}, ("resource group 'rg-typo' does not exist", "resourceGroupName")),
    ("service", {"serviceName": "nosuch"}, ("service 'nosuch' does not exist", "serviceName")),
])
@pytest.mark.slow
def test_a_missing_target_fails_the_task_and_leaves_the_folder(staged_tasks, emulator, workspace, missing, inputs, needles):
    first = create_artifacts(staged_tasks, emulator, workspace)
    assert first.result == "Succeeded", first.stdout[-3000:]
    root = Path(workspace["Build.SourcesDirectory"]) / "apim-artifacts"
    before = snapshot(root)
    emulator.reset_stats()
    run = create_artifacts(staged_tasks, emulator, workspace, **inputs)
    assert_failed_before_anything(run, emulator, root, before, *needles)
    assert emulator.stats()["requests"]["GET"] <= 3


@pytest.mark.slow
def test_an_empty_instance_fails_the_task_unless_allow_empty(staged_tasks, workspace):
    with emulator_module.Emulator(seed=None) as empty:
        run = create_artifacts(staged_tasks, empty, workspace)
        assert run.result == "Failed"
        assert any("has no resources" in c.data and "allowEmpty" in c.data for c in run.errors()), run.stdout[-3000:]
        assert not run.of("artifact.upload")
        allowed = create_artifacts(staged_tasks, empty, workspace, allowEmpty="true")
        assert allowed.result == "Succeeded", allowed.stdout[-3000:]
        assert allowed.outputs()["resourceCount"] == "0"


@pytest.mark.slow
def test_max_deletions_fails_the_task_before_writing(staged_tasks, emulator, workspace):
    assert create_artifacts(staged_tasks, emulator, workspace).result == "Succeeded"
    root = Path(workspace["Build.SourcesDirectory"]) / "apim-artifacts"
    stale = root / "named values" / "stale"
    stale.mkdir()
    (stale / "namedValueInformation.json").write_text(json.dumps({"properties": {"displayName": "stale", "value": "x"}}))
    before = snapshot(root)
    emulator.reset_stats()
    run = create_artifacts(staged_tasks, emulator, workspace, maxDeletions="0")
    assert_failed_before_anything(run, emulator, root, before, "would delete 1 of the", "maxDeletions")
    assert create_artifacts(staged_tasks, emulator, workspace, maxDeletions="1").result == "Succeeded"
    assert not stale.exists()
