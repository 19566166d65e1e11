"""End to end: the staged tasks, run by node as the agent does, against the APIM emulator.

The service connection is what the agent would export for an AzureRM connection, except that
its URL is the emulator's and it carries the emulator's token (the token-scheme path of
apiops_core.auth); the emulator's CA bundle comes in as the pipeline variable APIOPS_CA_BUNDLE.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .agent_sim import TaskRun, run_task, task_environment

emulator_module = pytest.importorskip("apiops_emulator.apim")
pytest.importorskip("apiops_core.commands.extract")
pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

CONNECTION = "7c0ffee0-1234-4abc-8def-0123456789ab"
SECRET_VALUE = "e2e-Secret;Value%with]odd=chars"


@pytest.fixture()
def emulator():
    with emulator_module.Emulator(seed="demo") as emu:
        yield emu


def agent_env(staged_tasks, name: str, emu, workspace, inputs: dict, secrets: dict | None = None) -> tuple[str, dict]:
    task_dir = str(staged_tasks[name])
    endpoints = {
        CONNECTION: {"url": emu.url + "/", "scheme": "None", "auth": {"accessToken": emu.token},
                     "data": {"subscriptionId": emu.subscription_id, "environment": "AzureCloud"}},
        "SYSTEMVSSCONNECTION": {"url": "https://dev.azure.com/org/", "scheme": "OAuth",
                                "auth": {"AccessToken": "system-access-token-e2e"}},
    }
    base_inputs = {"azureSubscription": CONNECTION, "resourceGroupName": emu.resource_group, "serviceName": emu.service_name}
    variables = dict(workspace, APIOPS_CA_BUNDLE=emu.ca_bundle)
    return task_dir, task_environment(task_dir, {**base_inputs, **inputs}, variables, secrets=secrets, endpoints=endpoints)


def assert_no_secret_printed(run: TaskRun, *values: str) -> None:
    for line in run.visible_lines():
        for value in values:
            assert value not in line, f"secret printed: {line}"


def assert_succeeded(run: TaskRun) -> None:
    """Succeeded, or SucceededWithIssues when the run reported warnings (the demo instance has
    secret named values without values: plans skip them with a pipeline warning)."""
    warnings = [c.data for c in run.of("task.logissue") if c.props.get("type") == "warning"]
    assert run.result == ("SucceededWithIssues" if warnings else "Succeeded"), run.stdout[-4000:]
    assert all("has no value" in w for w in warnings), warnings


def extract(staged_tasks, emu, workspace, folder: str = "apim-artifacts") -> TaskRun:
    task_dir, env = agent_env(staged_tasks, "ApiOpsCreateArtifacts", emu, workspace,
                              {"artifactsFolder": folder, "publishArtifact": "true", "artifactName": "apim"})
    return run_task(task_dir, env)


@pytest.mark.slow
def test_create_artifacts_writes_the_tree(staged_tasks, emulator, workspace):
    run = extract(staged_tasks, emulator, workspace)
    assert_succeeded(run)
    root = Path(workspace["Build.SourcesDirectory"]) / "apim-artifacts"
    assert (root / "apis" / "echo-api" / "apiInformation.json").is_file()
    assert (root / "named values" / "tier-label" / "namedValueInformation.json").is_file()
    outputs = run.outputs()
    assert outputs["artifactsFolder"] == str(root)
    assert int(outputs["resourceCount"]) > 10 and int(outputs["filesWritten"]) > 10
    upload = run.of("artifact.upload")
    assert upload and upload[0].props["artifactname"] == "apim" and upload[0].data == str(root)
    summary = run.of("task.addattachment")
    assert summary and Path(summary[0].data).read_text(encoding="utf-8").strip()
    assert emulator.token in [c.data for c in run.of("task.setsecret")]
    assert_no_secret_printed(run, emulator.token, "system-access-token-e2e")


def change_the_tree(root: Path) -> None:
    """One update, one creation with a secret {#token#}, one deletion."""
    info = root / "named values" / "tier-label" / "namedValueInformation.json"
    data = json.loads(info.read_text(encoding="utf-8"))
    data["properties"]["value"] = "gold"
    info.write_text(json.dumps(data), encoding="utf-8")
    created = root / "named values" / "e2e-secret"
    created.mkdir()
    (created / "namedValueInformation.json").write_text(json.dumps(
        {"properties": {"displayName": "e2e-secret", "value": "{#E2E_SECRET#}", "secret": True}}), encoding="utf-8")
    shutil.rmtree(root / "tags" / "beta")


def named_value(emu, name: str) -> dict:
    response = emu.apply("GET", f"/namedValues/{name}")
    return json.loads(response.body) if response.status == 200 else {}


@pytest.mark.slow
def test_creator_terminator_publish_change_the_instance(staged_tasks, emulator, workspace):
    assert extract(staged_tasks, emulator, workspace).result == "Succeeded"
    root = Path(workspace["Build.SourcesDirectory"]) / "apim-artifacts"
    change_the_tree(root)
    secrets = {"E2E_SECRET": SECRET_VALUE}
    plan_inputs = {"artifactsFolder": "apim-artifacts"}

    task_dir, env = agent_env(staged_tasks, "ApiOpsCreator", emulator, workspace, plan_inputs, secrets)
    creator = run_task(task_dir, env)
    assert_succeeded(creator)
    plan_file = creator.outputs()["planFile"]
    assert Path(plan_file).is_file() and plan_file.startswith(workspace["Agent.TempDirectory"])
    assert creator.outputs()["puts"] == "2" and creator.outputs()["hasChanges"] == "true"

    task_dir, env = agent_env(staged_tasks, "ApiOpsTerminator", emulator, workspace,
                              {**plan_inputs, "maxDeletions": "5"}, secrets)
    terminator = run_task(task_dir, env)
    assert_succeeded(terminator)
    assert terminator.outputs()["planFile"] == plan_file
    assert terminator.outputs()["deletes"] == "1" and terminator.outputs()["puts"] == "2"

    assert named_value(emulator, "tier-label")["properties"]["value"] != "gold"  # planning changes nothing
    task_dir, env = agent_env(staged_tasks, "ApiOpsPublish", emulator, workspace,
                              {**plan_inputs, "planFile": plan_file}, secrets)
    publish = run_task(task_dir, env)
    assert_succeeded(publish)
    assert publish.outputs()["puts"] == "2" and publish.outputs()["deletes"] == "1"

    assert named_value(emulator, "tier-label")["properties"]["value"] == "gold"
    assert named_value(emulator, "e2e-secret")
    assert emulator.apply("GET", "/tags/beta").status == 404
    for run in (creator, terminator, publish):
        assert SECRET_VALUE in [c.data for c in run.of("task.setsecret")]
        assert_no_secret_printed(run, SECRET_VALUE, emulator.token, "system-access-token-e2e")
        assert run.of("task.addattachment")


@pytest.mark.slow
def test_publish_without_a_plan_file_plans_and_applies(staged_tasks, emulator, workspace):
    assert extract(staged_tasks, emulator, workspace).result == "Succeeded"
    root = Path(workspace["Build.SourcesDirectory"]) / "apim-artifacts"
    info = root / "named values" / "tier-label" / "namedValueInformation.json"
    data = json.loads(info.read_text(encoding="utf-8"))
    data["properties"]["value"] = "platinum"
    info.write_text(json.dumps(data), encoding="utf-8")
    task_dir, env = agent_env(staged_tasks, "ApiOpsPublish", emulator, workspace, {"artifactsFolder": "apim-artifacts"})
    run = run_task(task_dir, env)
    assert_succeeded(run)
    assert run.outputs()["puts"] == "1"
    assert named_value(emulator, "tier-label")["properties"]["value"] == "platinum"


@pytest.mark.slow
def test_publish_refuses_a_plan_the_instance_drifted_from(staged_tasks, emulator, workspace):
    assert extract(staged_tasks, emulator, workspace).result == "Succeeded"
    root = Path(workspace["Build.SourcesDirectory"]) / "apim-artifacts"
    info = root / "named values" / "tier-label" / "namedValueInformation.json"
    data = json.loads(info.read_text(encoding="utf-8"))
    data["properties"]["value"] = "gold"
    info.write_text(json.dumps(data), encoding="utf-8")
    task_dir, env = agent_env(staged_tasks, "ApiOpsCreator", emulator, workspace, {"artifactsFolder": "apim-artifacts"})
    creator = run_task(task_dir, env)
    assert_succeeded(creator)
    # someone changes the instance in the portal after the plan was reviewed
    changed = named_value(emulator, "tier-label")
    changed["properties"]["value"] = "changed-in-portal"
    assert emulator.apply("PUT", "/namedValues/tier-label", {"properties": changed["properties"]}).status in (200, 201)

    task_dir, env = agent_env(staged_tasks, "ApiOpsPublish", emulator, workspace,
                              {"artifactsFolder": "apim-artifacts", "planFile": creator.outputs()["planFile"]})
    publish = run_task(task_dir, env)
    assert publish.result == "Failed"
    assert publish.errors()
    assert named_value(emulator, "tier-label")["properties"]["value"] == "changed-in-portal"


@pytest.mark.slow
def test_a_missing_token_variable_fails_with_file_and_line(staged_tasks, emulator, workspace):
    assert extract(staged_tasks, emulator, workspace).result == "Succeeded"
    root = Path(workspace["Build.SourcesDirectory"]) / "apim-artifacts"
    change_the_tree(root)
    task_dir, env = agent_env(staged_tasks, "ApiOpsCreator", emulator, workspace, {"artifactsFolder": "apim-artifacts"})
    run = run_task(task_dir, env)
    assert run.result == "Failed"
    issue = run.errors()[0]
    assert "E2E_SECRET" in issue.data
    assert issue.props.get("sourcepath", "").endswith("namedValueInformation.json")


@pytest.mark.slow
def test_create_template_branch_opens_a_pull_request(staged_tasks, workspace, tmp_path):
    """Extract, then commit the tree to Azure Repos (the emulator's DevOps app) with System.AccessToken."""
    devops_module = pytest.importorskip("apiops_emulator.devops.app")
    pytest.importorskip("apiops_core.commands.pr")
    devops = devops_module.DevOpsApp("org", tokens={"system-access-token-e2e"})
    devops.add_repository("Proj", "apim", {"README.md": "# APIM configuration\n"})
    with emulator_module.Emulator(seed="demo", apps=[devops]) as emu:
        assert extract(staged_tasks, emu, workspace, folder="artifacts").result == "Succeeded"
        variables = dict(workspace, **{
            "System.CollectionUri": emu.url + "/devops/org/", "System.TeamProject": "Proj",
            "Build.Repository.ID": "apim", "AZURE_DEVOPS_CACHE_DIR": str(tmp_path / "devops-cache"),
        })
        task_dir, env = agent_env(staged_tasks, "ApiOpsCreateTemplateBranch", emu, variables,
                                  {"artifactsFolder": "artifacts", "labels": "apiops, automated"})
        first = run_task(task_dir, env)
        assert_succeeded(first)
        outputs = first.outputs()
        assert outputs["hasChanges"] == "true" and outputs["pullRequestId"] == "1"
        files = devops.branch_files("apim", outputs["branch"])
        assert "artifacts/apis/echo-api/apiInformation.json" in files and "README.md" in files
        assert "system-access-token-e2e" in [c.data for c in first.of("task.setsecret")]
        assert_no_secret_printed(first, "system-access-token-e2e", emu.token)

        again = run_task(task_dir, env)
        assert_succeeded(again)
        assert again.outputs()["hasChanges"] == "false"
