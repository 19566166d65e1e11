"""Run the STAGED tasks the way the agent does (node on index.js) and read stdout with its rules."""

from __future__ import annotations

import os
import shutil
import sys

import pytest

from .agent_sim import run_task, task_environment

pytestmark = [
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
    pytest.mark.slow,  # every test runs the Node shim on the wheel-built extension
]

CONNECTION = "3f9f0f9e-6e3c-4c1e-9d9c-0a1b2c3d4e5f"
SECRET = "s3cr3t-Key~With%Percent;and]bracket"


def endpoint(secret: str = SECRET) -> dict:
    return {
        CONNECTION: {
            "url": "https://management.azure.com/",
            "scheme": "ServicePrincipal",
            "auth": {"authenticationType": "spnKey", "serviceprincipalid": "app-id", "serviceprincipalkey": secret,
                     "tenantid": "tenant-id"},
            "data": {"subscriptionId": "00000000-0000-0000-0000-000000000001", "environment": "AzureCloud"},
        },
        "SYSTEMVSSCONNECTION": {"url": "https://dev.azure.com/org/", "scheme": "OAuth",
                                "auth": {"AccessToken": "system-access-token-value"}},
    }


def test_missing_input_fails_with_its_name(staged_tasks, workspace):
    task_dir = str(staged_tasks["ApiOpsCreateArtifacts"])
    env = task_environment(task_dir, {"resourceGroupName": "rg", "serviceName": "apim"}, workspace)
    run = run_task(task_dir, env)
    assert run.returncode == 0, run.stderr
    assert run.result == "Failed"
    complete = run.of("task.complete")
    assert len(complete) == 1 and "azureSubscription" in complete[0].data
    assert any("azureSubscription" in e.data for e in run.errors())


def test_no_python_asks_for_use_python_version(staged_tasks, workspace, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    node = shutil.which("node")
    task_dir = str(staged_tasks["ApiOpsPublish"])
    variables = {k: v for k, v in workspace.items() if k != "APIOPS_PYTHON"}
    env = task_environment(task_dir, {}, variables)
    env["PATH"] = str(bin_dir)  # nothing but an empty folder: no python3, no python
    env.pop("APIOPS_PYTHON", None)
    import subprocess
    from .agent_sim import TaskRun, parse

    proc = subprocess.run([node, os.path.join(task_dir, "index.js")], env=env, capture_output=True, text=True)
    run = TaskRun(proc.stdout, proc.stderr, proc.returncode, [c for c in map(parse, proc.stdout.splitlines()) if c])
    assert run.returncode == 0
    assert run.result == "Failed"
    assert "UsePythonVersion" in run.of("task.complete")[0].data
    assert "3.10" in run.errors()[0].data


def test_secrets_registered_first_and_never_printed(staged_tasks, workspace):
    """A secret variable and the endpoint key: setsecret before any other line, masked elsewhere."""
    task_dir = str(staged_tasks["ApiOpsCreator"])
    hidden = "another-Secret-Value-42"
    inputs = {"azureSubscription": CONNECTION, "resourceGroupName": "rg", "serviceName": "apim",
              # a user interpolating a secret into a path must not get it printed in the error
              "artifactsFolder": f"missing-{hidden}"}
    env = task_environment(task_dir, inputs, workspace, secrets={"Backend.Key": hidden}, endpoints=endpoint())
    run = run_task(task_dir, env)
    assert run.result == "Failed", run.stdout
    registered = [c.data for c in run.of("task.setsecret")]
    assert SECRET in registered and hidden in registered and "system-access-token-value" in registered
    lines = run.stdout.splitlines()
    first_other = next(i for i, line in enumerate(lines) if "task.setsecret" not in line and line.startswith("##vso["))
    last_secret = max(i for i, line in enumerate(lines) if "##vso[task.setsecret]" in line)
    assert last_secret < first_other
    for line in run.visible_lines():
        for value in (SECRET, hidden, "system-access-token-value"):
            assert value not in line
    assert "***" in run.of("task.complete")[0].data


def test_logging_commands_in_input_text_are_neutralised(staged_tasks, workspace):
    task_dir = str(staged_tasks["ApiOpsPublish"])
    inputs = {"azureSubscription": CONNECTION, "resourceGroupName": "rg", "serviceName": "apim",
              "artifactsFolder": "x ##vso[task.setvariable variable=pwned]yes ##vso[task.complete result=Succeeded]"}
    env = task_environment(task_dir, inputs, workspace, endpoints=endpoint())
    run = run_task(task_dir, env)
    assert run.result == "Failed"
    assert not [c for c in run.of("task.setvariable") if c.props.get("variable") == "pwned"]
    assert [c.props["result"] for c in run.of("task.complete")] == ["Failed"]


def test_percent_and_newlines_round_trip(staged_tasks, workspace):
    task_dir = str(staged_tasks["ApiOpsCreateArtifacts"])
    inputs = {"azureSubscription": CONNECTION, "resourceGroupName": "rg", "serviceName": "apim",
              "specificationFormat": "100%;bad]"}
    env = task_environment(task_dir, inputs, workspace, endpoints=endpoint())
    run = run_task(task_dir, env)
    assert run.result == "Failed"
    assert "'100%;bad]'" in run.of("task.complete")[0].data


def test_environment_passes_through_untouched(staged_tasks, workspace, tmp_path):
    """Inputs, secrets and endpoint variables reach Python although Node started it."""
    task_dir = str(staged_tasks["ApiOpsBuildExtractor"])
    env = task_environment(task_dir, {"pipIndexUrl": " https://feed.example/simple "}, workspace,
                           secrets={"My.Secret": "abcdefgh"}, endpoints=endpoint())
    run = run_task(task_dir, env)
    assert run.result == "Succeeded", run.stdout + run.stderr
    outputs = run.outputs()
    assert outputs["pythonPath"] == sys.executable
    assert [c.data for c in run.of("task.setvariable") if c.props["variable"] == "APIOPS_PYTHON"] == [sys.executable]
    summary = run.of("task.addattachment")
    assert summary and os.path.isfile(summary[0].data)
    assert summary[0].props["type"] == "Distributedtask.Core.Summary"


@pytest.mark.skipif(os.name == "nt", reason="uses a POSIX shell script as a fake interpreter")
def test_python_older_than_3_10_is_not_used(staged_tasks, workspace, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("python3", "python"):
        fake = bin_dir / name
        fake.write_text("#!/bin/sh\necho 3.8\n")
        fake.chmod(0o755)
    task_dir = str(staged_tasks["ApiOpsCreator"])
    variables = {k: v for k, v in workspace.items() if k != "APIOPS_PYTHON"}
    env = task_environment(task_dir, {}, variables)
    env["PATH"] = str(bin_dir)
    import subprocess
    from .agent_sim import TaskRun, parse

    proc = subprocess.run([shutil.which("node"), os.path.join(task_dir, "index.js")], env=env, capture_output=True, text=True)
    run = TaskRun(proc.stdout, proc.stderr, proc.returncode, [c for c in map(parse, proc.stdout.splitlines()) if c])
    assert run.result == "Failed"
    message = run.of("task.complete")[0].data
    assert "python3 (3.8)" in message and "UsePythonVersion" in message
