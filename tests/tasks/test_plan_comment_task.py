"""Creator and Terminator in a pull-request build post the plan on the pull request: one thread,
updated on re-runs, shortened with a link to the run summary when long, secrets masked, and a
refused comment (403) is a pipeline warning while the plan succeeds.

The tasks run in-process (``creator.main``/``terminator.main`` with an agent-like environment)
against the APIM emulator and the Azure DevOps emulator served on loopback.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from apiops_emulator.devops.app import DevOpsApp
from apiops_emulator.devops.server import AppServer
from apiops_core.tasks import create_artifacts, creator, terminator

from .agent_sim import parse, task_environment

emulator_module = pytest.importorskip("apiops_emulator.apim")

ROOT = Path(__file__).resolve().parents[2]
CONNECTION = "7c0ffee0-1234-4abc-8def-0123456789ab"
JOB_TOKEN = "job-token-for-the-pr-comment"
TOKEN_SECRET = "Tok3n-secret-from-a-variable"
LITERAL_SECRET = "literal-0verride-secret-value"
MARKER = "<!-- apiops-plan: "


def task_dir(name: str) -> str:
    return str(ROOT / "tasks" / name / f"{name}V1")


@pytest.fixture(scope="module")
def apim():
    with emulator_module.Emulator(seed="demo") as emu:
        yield emu


@pytest.fixture()
def devops():
    app = DevOpsApp("org")
    repo_id = app.add_repository("Proj", "apim", {"README.md": "# APIM\n"})
    app.write_files(repo_id, "feature", {"apim-artifacts/x.json": "{}"})
    with AppServer([app]) as server:
        yield app, server.url + "/devops/org/", repo_id


def run(main, name: str, apim, folder: Path, inputs: dict, *, variables: dict | None = None,
        secrets: dict | None = None) -> tuple[str, list]:
    endpoints = {
        CONNECTION: {"url": apim.url + "/", "scheme": "None", "auth": {"accessToken": apim.token},
                     "data": {"subscriptionId": apim.subscription_id, "environment": "AzureCloud"}},
        "SYSTEMVSSCONNECTION": {"url": "https://dev.azure.com/org/", "scheme": "OAuth", "auth": {"AccessToken": JOB_TOKEN}},
    }
    base_vars = {"Build.SourcesDirectory": str(folder), "System.DefaultWorkingDirectory": str(folder),
                 "Agent.TempDirectory": str(folder / "_temp"), "System.Debug": "false", "APIOPS_CA_BUNDLE": apim.ca_bundle}
    env = task_environment(task_dir(name),
                           {"azureSubscription": CONNECTION, "resourceGroupName": apim.resource_group,
                            "serviceName": apim.service_name, **inputs},
                           {**base_vars, **(variables or {})}, secrets=secrets, endpoints=endpoints,
                           base={"PATH": os.environ.get("PATH", "")})
    out = io.StringIO()
    assert main(env, out) == 0
    text = out.getvalue()
    return text, [c for c in map(parse, text.splitlines()) if c]


def result_of(commands) -> str:
    return [c.props["result"] for c in commands if c.name == "task.complete"][-1]


def warnings_of(commands) -> list[str]:
    return [c.data for c in commands if c.name == "task.logissue" and c.props.get("type") == "warning"]


def pr_variables(url: str, repo_id: str, pr_id: int, build: str = "20261203.1") -> dict[str, str]:
    return {"System.PullRequest.PullRequestId": str(pr_id), "System.CollectionUri": url, "System.TeamProject": "Proj",
            "Build.Repository.Id": repo_id, "Build.Repository.Name": "apim", "Build.Repository.Provider": "TfsGit",
            "Build.BuildId": "42", "Build.BuildNumber": build,
            "System.PullRequest.SourceCommitId": "0123456789abcdef0123456789abcdef01234567"}


def open_pr(app: DevOpsApp, repo_id: str) -> int:
    from apiops_emulator.http import Request

    request = Request("POST", f"/devops/org/Proj/_apis/git/repositories/{repo_id}/pullRequests", "api-version=7.1",
                      {"authorization": "Bearer x", "content-type": "application/json"},
                      json.dumps({"sourceRefName": "refs/heads/feature", "targetRefName": "refs/heads/main",
                                  "title": "Change APIM"}).encode(), "http://127.0.0.1")
    response = app.handle(request)
    assert response.status == 201, response.body
    return json.loads(response.body)["pullRequestId"]


@pytest.fixture()
def tree(apim, tmp_path) -> Path:
    """An extraction of the demo instance plus one secret named value whose value an override gives."""
    text, commands = run(create_artifacts.main, "ApiOpsCreateArtifacts", apim, tmp_path, {"artifactsFolder": "apim-artifacts"})
    assert result_of(commands) == "Succeeded", text[-3000:]
    root = tmp_path / "apim-artifacts"
    for name in ("pr-secret", "pr-literal-secret"):
        folder = root / "named values" / name
        folder.mkdir()
        (folder / "namedValueInformation.json").write_text(json.dumps(
            {"properties": {"displayName": name, "secret": True}}), encoding="utf-8")
    (tmp_path / "configuration.pr.yaml").write_text(
        "namedValues:\n"
        "  - name: pr-secret\n    properties:\n      value: \"{#PR_SECRET#}\"\n"
        f"  - name: pr-literal-secret\n    properties:\n      value: \"{LITERAL_SECRET}\"\n", encoding="utf-8")
    return root


PLAN = {"artifactsFolder": "apim-artifacts", "overridesFile": "configuration.pr.yaml"}
SECRETS = {"PR_SECRET": TOKEN_SECRET}


def threads(app: DevOpsApp, pr_id: int) -> list[dict]:
    return [t for t in app.pull_requests[pr_id].threads if not t["isDeleted"]]


def test_plan_is_posted_once_and_updated_on_reruns(apim, devops, tree, tmp_path):
    app, url, repo_id = devops
    pr_id = open_pr(app, repo_id)
    variables = pr_variables(url, repo_id, pr_id)

    text, commands = run(creator.main, "ApiOpsCreator", apim, tmp_path, PLAN, variables=variables, secrets=SECRETS)
    assert result_of(commands) in ("Succeeded", "SucceededWithIssues"), text[-3000:]
    assert not [w for w in warnings_of(commands) if "pull request" in w]
    [thread] = threads(app, pr_id)
    first = thread["comments"][0]["content"]
    assert first.startswith(f"{MARKER}{apim.resource_group}/{apim.service_name} -->")
    assert thread["properties"]["apiops.plan"]["$value"] == f"{apim.resource_group}/{apim.service_name}"
    assert thread["status"] == "active"
    assert "## API Management plan" in first and "pr-secret" in first and "pr-literal-secret" in first
    assert f"{url}Proj/_build/results?buildId=42&view=ms.vss-build-web.run-extensions-tab" in first
    assert "Creator" in first and "20261203.1" in first and "`01234567`" in first
    assert f"Plan created on pull request {pr_id}, thread {thread['id']}" in text

    # the Terminator of the same run adds the deletions to the same thread
    shutil.rmtree(tree / "tags" / "beta")
    text, commands = run(terminator.main, "ApiOpsTerminator", apim, tmp_path, PLAN, variables=variables, secrets=SECRETS)
    assert result_of(commands) in ("Succeeded", "SucceededWithIssues"), text[-3000:]
    [again] = threads(app, pr_id)
    assert again["id"] == thread["id"] and len(again["comments"]) == 1
    updated = again["comments"][0]["content"]
    assert updated != first and "tag" in updated and "beta" in updated and "Terminator" in updated
    assert f"Plan updated on pull request {pr_id}, thread {thread['id']}" in text

    # a re-run (a new build of the pull request) after a reviewer resolved the thread: same thread, active again
    app.pull_requests[pr_id].threads[0]["status"] = "fixed"
    text, commands = run(creator.main, "ApiOpsCreator", apim, tmp_path, PLAN,
                         variables=pr_variables(url, repo_id, pr_id, build="20261203.2"), secrets=SECRETS)
    [rerun] = threads(app, pr_id)
    assert rerun["id"] == thread["id"] and len(rerun["comments"]) == 1 and rerun["status"] == "active"
    assert "20261203.2" in rerun["comments"][0]["content"]

    # the secret values never reach the comment (nor the log)
    for content in (first, updated, rerun["comments"][0]["content"]):
        assert TOKEN_SECRET not in content and LITERAL_SECRET not in content
        assert JOB_TOKEN not in content and apim.token not in content
    visible = [line for line in text.splitlines() if "##vso[task.setsecret]" not in line]
    assert not [line for line in visible if LITERAL_SECRET in line or TOKEN_SECRET in line]
    writes = [(m, p) for m, p in app.requests if m in ("POST", "PATCH") and "/threads" in p]
    assert len([w for w in writes if w[0] == "POST"]) == 1  # created once


def test_a_large_plan_is_shortened_with_a_link_to_the_run_summary(apim, devops, tree, tmp_path):
    app, url, repo_id = devops
    pr_id = open_pr(app, repo_id)
    for index in range(600):
        folder = tree / "named values" / f"bulk-{index:03d}"
        folder.mkdir()
        (folder / "namedValueInformation.json").write_text(json.dumps(
            {"properties": {"displayName": f"bulk-{index:03d}", "value": f"value-{index:03d}-" + "x" * 120}}),
            encoding="utf-8")
    text, commands = run(creator.main, "ApiOpsCreator", apim, tmp_path, PLAN,
                         variables=pr_variables(url, repo_id, pr_id), secrets=SECRETS)
    assert result_of(commands) in ("Succeeded", "SucceededWithIssues"), text[-3000:]
    summary = Path([c.data for c in commands if c.name == "task.addattachment"][-1]).read_text(encoding="utf-8")
    [thread] = threads(app, pr_id)
    content = thread["comments"][0]["content"]
    assert len(summary) > 60_000 and "bulk-599" in summary  # the run summary has the whole plan
    assert len(content) <= 60_000 and "bulk-599" not in content and "bulk-000" in content
    assert "too long for a comment" in content
    assert f"[run summary]({url}Proj/_build/results?buildId=42&view=ms.vss-build-web.run-extensions-tab)" in content
    assert content.count("```") % 2 == 0  # no code block left open by the cut
    assert "(shortened; the run summary has the whole plan)" in text


def test_a_refused_comment_is_a_warning_and_the_plan_succeeds(apim, devops, tree, tmp_path):
    app, url, repo_id = devops
    pr_id = open_pr(app, repo_id)
    app.denied.add("PullRequestContribute")
    text, commands = run(creator.main, "ApiOpsCreator", apim, tmp_path, PLAN,
                         variables=pr_variables(url, repo_id, pr_id), secrets=SECRETS)
    assert result_of(commands) == "SucceededWithIssues", text[-3000:]
    [warning] = [w for w in warnings_of(commands) if "pull request" in w]
    assert f"The plan was not posted on pull request {pr_id}" in warning and "(403)" in warning
    assert "'Contribute to pull requests'" in warning
    assert "##vso[task.logissue type=warning;]The plan was not posted" in text
    assert not threads(app, pr_id)
    outputs = {c.props["variable"]: c.data for c in commands if c.name == "task.setvariable"}
    assert Path(outputs["planFile"]).is_file() and outputs["puts"] != "0"


def test_no_comment_outside_a_pull_request_or_when_turned_off(apim, devops, tree, tmp_path):
    app, url, repo_id = devops
    pr_id = open_pr(app, repo_id)
    ci = {k: v for k, v in pr_variables(url, repo_id, pr_id).items() if k != "System.PullRequest.PullRequestId"}
    text, commands = run(creator.main, "ApiOpsCreator", apim, tmp_path, PLAN, variables=ci, secrets=SECRETS)
    assert result_of(commands) in ("Succeeded", "SucceededWithIssues"), text[-3000:]
    text, commands = run(creator.main, "ApiOpsCreator", apim, tmp_path, {**PLAN, "commentOnPullRequest": "false"},
                         variables=pr_variables(url, repo_id, pr_id), secrets=SECRETS)
    assert result_of(commands) in ("Succeeded", "SucceededWithIssues"), text[-3000:]
    github = {**pr_variables(url, repo_id, pr_id), "Build.Repository.Provider": "GitHub"}
    run(creator.main, "ApiOpsCreator", apim, tmp_path, PLAN, variables=github, secrets=SECRETS)
    assert not [p for _, p in app.requests if "/threads" in p]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_staged_creator_posts_through_the_agent_shim(staged_tasks, apim, devops, tree, tmp_path):
    """The same through the packaged task as the agent runs it (node shim, task.json defaults)."""
    from .agent_sim import run_task

    app, url, repo_id = devops
    pr_id = open_pr(app, repo_id)
    endpoints = {
        CONNECTION: {"url": apim.url + "/", "scheme": "None", "auth": {"accessToken": apim.token},
                     "data": {"subscriptionId": apim.subscription_id, "environment": "AzureCloud"}},
        "SYSTEMVSSCONNECTION": {"url": "https://dev.azure.com/org/", "scheme": "OAuth", "auth": {"AccessToken": JOB_TOKEN}},
    }
    variables = {"Build.SourcesDirectory": str(tmp_path), "System.DefaultWorkingDirectory": str(tmp_path),
                 "Agent.TempDirectory": str(tmp_path / "_temp"), "Agent.ToolsDirectory": str(tmp_path / "_tool"),
                 "System.Debug": "false", "APIOPS_CA_BUNDLE": apim.ca_bundle, "APIOPS_PYTHON": sys.executable,
                 **pr_variables(url, repo_id, pr_id)}
    folder = str(staged_tasks["ApiOpsCreator"])
    env = task_environment(folder, {"azureSubscription": CONNECTION, "resourceGroupName": apim.resource_group,
                                    "serviceName": apim.service_name, **PLAN}, variables, secrets=SECRETS,
                           endpoints=endpoints)
    result = run_task(folder, env)
    assert result.result in ("Succeeded", "SucceededWithIssues"), result.stdout[-3000:]
    [thread] = threads(app, pr_id)
    assert thread["comments"][0]["content"].startswith(MARKER) and "pr-secret" in thread["comments"][0]["content"]
    assert TOKEN_SECRET not in thread["comments"][0]["content"] and LITERAL_SECRET not in thread["comments"][0]["content"]
