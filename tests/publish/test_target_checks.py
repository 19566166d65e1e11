"""A wrong subscription, resource group or service stops every command before it reads or writes.

Before these checks, a typo in the service name read as an empty instance: extract deleted every
artifact and plan proposed to create everything. Each case below asserts the whole contract: exit
code ≠ 0, one message naming what is missing with the names used and the setting to fix, zero
writes at the emulator (and no collection read either: at most the three diagnostic GETs), and
the artifacts folder byte-for-byte as it was, with no staging copy beside it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from apiops_emulator.apim.emulator import Emulator
from apiops_core.model import Plan

from .conftest import run_cli, writes

#: missing part → (environment that names a wrong one, the wrong name, the setting the message must name)
MISSING: dict[str, tuple[dict[str, str], str, str]] = {
    "subscription": ({"AZURE_SUBSCRIPTION_ID": "99999999-9999-4999-8999-999999999999"},
                     "99999999-9999-4999-8999-999999999999", "AZURE_SUBSCRIPTION_ID"),
    "resource group": ({"AZURE_RESOURCE_GROUP_NAME": "rg-typo"}, "rg-typo", "AZURE_RESOURCE_GROUP_NAME"),
    "service": ({"API_MANAGEMENT_SERVICE_NAME": "nosuch"}, "nosuch", "API_MANAGEMENT_SERVICE_NAME"),
}


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(seed="demo") as emulator:
        yield emulator


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the folder's parent (so a stray staging sibling shows up too)."""
    return {p.relative_to(root.parent).as_posix(): p.read_bytes() for p in sorted(root.parent.rglob("*")) if p.is_file()}


def gets(emu: Emulator) -> int:
    return int(emu.stats()["requests"]["GET"])


def assert_stopped(emu: Emulator, code: int, log: str, missing: str, before: dict[str, bytes], folder: Path) -> None:
    env, wrong, setting = MISSING[missing]
    assert code != 0
    assert f"target not found: {missing}" in log or f"target not found: API Management {missing}" in log, log
    assert repr(wrong) in log and setting in log, log
    assert log.count("target not found") == 1, log
    assert writes(emu) == 0
    assert gets(emu) <= 3  # the service, then the subscription and the resource group: nothing listed
    assert snapshot(folder) == before


@pytest.mark.parametrize("missing", list(MISSING))
def test_extract_stops_on_a_missing_target_and_leaves_the_folder_as_it_was(
    emu: Emulator, tree_copy: Path, apiops_log: Any, missing: str
) -> None:
    before = snapshot(tree_copy)
    result = tree_copy.parent / "result.json"
    emu.reset_stats()
    code = run_cli(emu, "extract", "--output", str(tree_copy), "--result", str(result), env=MISSING[missing][0])
    assert not result.exists()
    assert_stopped(emu, code, apiops_log.getvalue(), missing, before, tree_copy)


@pytest.mark.parametrize("missing", list(MISSING))
def test_plan_stops_on_a_missing_target(emu: Emulator, tree_copy: Path, apiops_log: Any, missing: str) -> None:
    plan_file = tree_copy.parent / "plan.json"
    before = snapshot(tree_copy)
    emu.reset_stats()
    code = run_cli(emu, "plan", "--artifacts", str(tree_copy), "--out", str(plan_file), env=MISSING[missing][0])
    assert not plan_file.exists()
    assert_stopped(emu, code, apiops_log.getvalue(), missing, before, tree_copy)


@pytest.mark.parametrize("missing", list(MISSING))
def test_publish_stops_on_a_missing_target(emu: Emulator, tree_copy: Path, apiops_log: Any, missing: str) -> None:
    before = snapshot(tree_copy)
    emu.reset_stats()
    code = run_cli(emu, "publish", "--artifacts", str(tree_copy), "--yes", "--prune", "--max-deletions", "1000",
                   env=MISSING[missing][0])
    assert_stopped(emu, code, apiops_log.getvalue(), missing, before, tree_copy)


@pytest.mark.slow
@pytest.mark.parametrize("missing", ["subscription", "resource group"])
def test_apply_stops_on_a_missing_target(emu: Emulator, tree_copy: Path, apiops_log: Any, missing: str) -> None:
    """A plan reviewed against the right instance, applied with a wrong name: stopped before any write."""
    plan_file = tree_copy.parent / "plan.json"
    info = tree_copy / "named values" / "tier-label" / "namedValueInformation.json"
    data = json.loads(info.read_text(encoding="utf-8"))
    data["properties"]["value"] = "changed"
    info.write_text(json.dumps(data), encoding="utf-8")
    assert run_cli(emu, "plan", "--artifacts", str(tree_copy), "--out", str(plan_file)) == 0
    assert json.loads(plan_file.read_text(encoding="utf-8"))["puts"]
    before = snapshot(tree_copy)
    emu.reset_stats()
    code = run_cli(emu, "apply", str(plan_file), "--artifacts", str(tree_copy), env=MISSING[missing][0])
    assert_stopped(emu, code, apiops_log.getvalue(), missing, before, tree_copy)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.mark.slow
def test_publish_since_checks_the_target_too(emu: Emulator, demo_tree: Path, tmp_path: Path, apiops_log: Any) -> None:
    """``--since`` plans from Git alone, but it still writes to the target: a missing one stops it."""
    repo = tmp_path / "repo"
    artifacts = repo / "apim"
    shutil.copytree(demo_tree, artifacts)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "extracted")
    policy = artifacts / "apis" / "conference-api" / "policy.xml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("<base />", "<base /><!-- edited -->", 1), encoding="utf-8")
    _git(repo, "commit", "-qam", "edit")
    before = snapshot(artifacts)
    emu.reset_stats()
    code = run_cli(emu, "publish", "--artifacts", str(artifacts), "--since", "HEAD~1", "--yes", env=MISSING["service"][0])
    assert_stopped(emu, code, apiops_log.getvalue(), "service", before, artifacts)


def test_the_emulator_answers_the_three_reads_as_arm_does(emu: Emulator) -> None:
    """Subscriptions_Get / ResourceGroups_Get / ApiManagementService_Get: 200 or 404 with ARM's codes."""
    import requests

    headers = {"Authorization": f"Bearer {emu.token}"}
    sub, group, service = emu.subscription_id, emu.resource_group, emu.service_name

    def get(path: str, version: str) -> tuple[int, dict[str, Any]]:
        response = requests.get(f"{emu.url}{path}", params={"api-version": version}, headers=headers,
                                verify=emu.ca_bundle, timeout=10)
        return response.status_code, response.json()

    status, body = get(f"/subscriptions/{sub}", "2022-12-01")
    assert status == 200 and body["subscriptionId"] == sub and body["state"] == "Enabled"
    assert get("/subscriptions/99999999-9999-4999-8999-999999999999", "2022-12-01")[1]["error"]["code"] == "SubscriptionNotFound"
    assert get(f"/subscriptions/{sub}/resourceGroups/{group}", "2021-04-01")[0] == 200
    status, body = get(f"/subscriptions/{sub}/resourceGroups/rg-typo", "2021-04-01")
    assert status == 404 and body["error"]["code"] == "ResourceGroupNotFound"
    provider = "providers/Microsoft.ApiManagement/service"
    status, body = get(f"/subscriptions/{sub}/resourceGroups/{group}/{provider}/nosuch", "2024-05-01")
    assert status == 404 and body["error"]["code"] == "ResourceNotFound"
    status, body = get(f"/subscriptions/{sub}/resourceGroups/rg-typo/{provider}/{service}", "2024-05-01")
    assert status == 404 and body["error"]["code"] == "ResourceGroupNotFound"


@pytest.mark.parametrize("command", ["plan", "publish", "apply"])
@pytest.mark.parametrize("folder_state", ["empty", "foreign files only", "missing"])
def test_an_artifacts_folder_without_artifacts_is_refused(
    emu: Emulator, tmp_path: Path, apiops_log: Any, command: str, folder_state: str
) -> None:
    folder = tmp_path / "artifacts"
    if folder_state != "missing":
        folder.mkdir()
    if folder_state == "foreign files only":
        (folder / "README.md").write_text("# not an artifact\n", encoding="utf-8")
        (folder / "notes").mkdir()
        (folder / "notes" / "todo.txt").write_text("x\n", encoding="utf-8")
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(Plan(target={"service": emu.service_name}).to_json()), encoding="utf-8")
    argv = {"plan": ["plan", "--artifacts", str(folder)],
            "publish": ["publish", "--artifacts", str(folder), "--yes"],
            "apply": ["apply", str(plan_file), "--artifacts", str(folder)]}[command]
    emu.reset_stats()
    assert run_cli(emu, *argv) != 0
    message = apiops_log.getvalue()
    assert str(folder) in message
    assert ("holds no artifacts" if folder_state != "missing" else "does not exist") in message, message
    assert emu.stats()["requests"]["GET"] == 0 and writes(emu) == 0  # refused before the instance is read


class _Arm:
    """Just enough of ArmClient for check_target: GETs answered from a table (404 when absent)."""

    endpoint, subscription_id, resource_group, service_name = "https://arm", "s1", "rg1", "svc1"
    service_path = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/svc1"

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def get(self, path: str, params: Any = None) -> Any:
        self.calls.append(path)
        answer = self.answers.get(path)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_a_403_is_reported_with_the_names_and_never_read_as_missing() -> None:
    from apiops_core.arm import ArmResponse
    from apiops_core.errors import ArmError
    from apiops_core.target import TargetNotFound, check_target

    denied = ArmError("denied", status=403, code="AuthorizationFailed")
    with pytest.raises(TargetNotFound, match="svc1.*AuthorizationFailed.*'rg1'.*Reader") as caught:
        check_target(_Arm({"": denied}))
    assert caught.value.missing == "access"
    # the service is 404 but the identity may not read the group: "cannot tell which name"
    arm = _Arm({"https://arm/subscriptions/s1": ArmResponse(200, {}), "https://arm/subscriptions/s1/resourceGroups/rg1": denied})
    with pytest.raises(TargetNotFound, match="cannot read resource group 'rg1'"):
        check_target(arm)
    assert arm.calls == ["", "https://arm/subscriptions/s1", "https://arm/subscriptions/s1/resourceGroups/rg1"]
    assert check_target(_Arm({"": ArmResponse(200, {"name": "svc1", "sku": {"name": "Premium"}})}))["name"] == "svc1"


def test_a_service_named_by_the_override_file_is_pointed_at_there(
    emu: Emulator, tree_copy: Path, tmp_path: Path, apiops_log: Any
) -> None:
    overrides = tmp_path / "configuration.prod.yaml"
    overrides.write_text("apimServiceName: nosuch\n", encoding="utf-8")
    environ = {k: v for k, v in emu.environment().items() if k != "API_MANAGEMENT_SERVICE_NAME"}
    emu.reset_stats()
    from apiops_core.cli import main

    assert main(["plan", "--artifacts", str(tree_copy), "--overrides", str(overrides)], environ) == 2
    assert "service 'nosuch' does not exist" in apiops_log.getvalue()
    assert f"fix apimServiceName in {overrides}" in apiops_log.getvalue()
    assert writes(emu) == 0
