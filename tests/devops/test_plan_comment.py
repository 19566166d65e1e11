"""The plan comment: its text (marker, cap, link, masking) and its thread on the emulator through the
real azure-devops client (created once, first comment updated, reactivated, 403 explained)."""

from __future__ import annotations

import pytest
from azure.devops.v7_1.git.git_client import GitClient
from azure.devops.v7_1.git.models import GitPullRequest
from msrest.authentication import BasicAuthentication

from apiops_core.devops.connection import DevOpsTarget
from apiops_core.devops.plan_comment import (PullRequestRef, find_plan_thread, marker, not_a_pull_request_reason,
                                             post_plan_comment, pull_request_from_environment, render_comment,
                                             run_summary_url)
from apiops_emulator.devops.app import DevOpsApp
from apiops_emulator.devops.server import AppServer
from apiops_core.errors import DevOpsError

PLAN_MD = "## API Management plan\n\nPlan: 1 to create, 0 to update, 0 to delete.\n\n- `+` **tag** `beta` — create\n"


def big_plan(changes: int) -> str:
    lines = ["## API Management plan", "", f"Plan: {changes} to create, 0 to update, 0 to delete.", "", "### Changes", ""]
    for index in range(changes):
        lines += [f"- `+` **named-value** `nv-{index:04d}` — create", "  ```diff",
                  f"  + properties.value: \"{'v' * 60}\"", "  ```"]
    return "\n".join(lines) + "\n"


def test_a_short_plan_is_posted_whole_with_the_marker_and_the_run_link():
    text, truncated = render_comment(PLAN_MD, key="rg/apim-dev", summary_url="https://x/run", footer="Posted by test.")
    assert not truncated
    assert text.splitlines()[0] == "<!-- apiops-plan: rg/apim-dev -->"
    assert PLAN_MD.strip() in text and "[run summary](https://x/run)" in text and "Posted by test." in text


def test_a_long_plan_is_cut_at_a_line_with_its_code_block_closed_and_a_link():
    plan = big_plan(400)
    text, truncated = render_comment(plan, key="k", summary_url="https://x/run", max_chars=5_000)
    assert truncated and len(text) <= 5_000
    assert "too long for a comment" in text and "[run summary](https://x/run)" in text
    assert text.count("```") % 2 == 0
    shown = int(text.split("too long for a comment: ")[1].split(" of ")[0])
    assert 0 < shown < len(plan.strip().splitlines())
    assert "nv-0000" in text and "nv-0399" not in text
    for line in text.splitlines():  # cut between lines, never inside one
        assert line in plan.splitlines() or not line.startswith("  + properties.value")


def test_known_secrets_are_masked_and_the_marker_cannot_close_early():
    text, _ = render_comment(PLAN_MD + "value: hunter2-secret\n", key="a--b -->", secrets={"hunter2-secret", ""})
    assert "hunter2-secret" not in text and "value: ***" in text
    assert marker("a--b -->") == "<!-- apiops-plan: a-b -> -->"


def test_the_pull_request_comes_from_the_agent_variables():
    env = {"SYSTEM_PULLREQUEST_PULLREQUESTID": "17", "SYSTEM_COLLECTIONURI": "https://dev.azure.com/org/",
           "SYSTEM_TEAMPROJECT": "My Proj", "BUILD_REPOSITORY_ID": "rid", "BUILD_BUILDID": "9"}
    pr = pull_request_from_environment(env)
    assert pr == PullRequestRef(DevOpsTarget("https://dev.azure.com/org", "My Proj", "rid"), 17)
    assert run_summary_url(env) == ("https://dev.azure.com/org/My%20Proj/_build/results?buildId=9"
                                    "&view=ms.vss-build-web.run-extensions-tab")
    assert not_a_pull_request_reason({**env, "SYSTEM_PULLREQUEST_PULLREQUESTID": ""}) == "the run is not for a pull request"
    assert "GitHub" in not_a_pull_request_reason({**env, "BUILD_REPOSITORY_PROVIDER": "GitHub"})
    assert pull_request_from_environment({}) is None


@pytest.fixture()
def served():
    app = DevOpsApp("org")
    app.add_repository("Proj", "repo", {"README.md": "hi"})
    app.write_files("repo", "feature", {"x": "1"})
    with AppServer([app]) as server:
        url = server.url + "/devops/org"
        git = GitClient(url, BasicAuthentication("", "pat"))
        pr = git.create_pull_request(GitPullRequest(source_ref_name="refs/heads/feature",
                                                    target_ref_name="refs/heads/main", title="t"), "repo", "Proj")
        yield app, git, PullRequestRef(DevOpsTarget(url, "Proj", "repo"), pr.pull_request_id)


def test_created_once_then_its_first_comment_is_updated(served):
    app, git, pr = served
    one, _ = render_comment(PLAN_MD, key="rg/dev")
    other, _ = render_comment(PLAN_MD, key="rg/prod")
    assert post_plan_comment(git, pr, one, "rg/dev").action == "created"
    assert post_plan_comment(git, pr, other, "rg/prod").action == "created"  # another instance: its own thread
    assert post_plan_comment(git, pr, one, "rg/dev").action == "unchanged"
    two, _ = render_comment(PLAN_MD.replace("1 to create", "2 to create"), key="rg/dev")
    result = post_plan_comment(git, pr, two, "rg/dev")
    assert result.action == "updated"
    threads = app.pull_requests[pr.pull_request_id].threads
    assert len(threads) == 2
    ours = next(t for t in threads if t["id"] == result.thread_id)
    assert [c["content"] for c in ours["comments"]] == [two]
    assert find_plan_thread(git.get_threads("repo", pr.pull_request_id, "Proj"), "rg/dev").id == result.thread_id

    # a reviewer resolves it; an unchanged plan leaves it resolved, a changed one reactivates it
    ours["status"] = "fixed"
    assert post_plan_comment(git, pr, two, "rg/dev").action == "unchanged" and ours["status"] == "fixed"
    assert post_plan_comment(git, pr, one, "rg/dev").action == "updated" and ours["status"] == "active"

    # a deleted thread is not ours any more: the next run starts a new one
    ours["isDeleted"] = True
    assert post_plan_comment(git, pr, two, "rg/dev").action == "created"


def test_a_refused_comment_names_the_permission(served):
    app, git, pr = served
    app.denied.add("PullRequestContribute")
    with pytest.raises(DevOpsError, match=r"\(403\): grant 'Contribute to pull requests' on the repository"):
        post_plan_comment(git, pr, "text", "k")
    anonymous = GitClient(pr.target.organization_url, BasicAuthentication("", ""))
    with pytest.raises(DevOpsError, match=r"refused the job token \(401\)"):
        post_plan_comment(anonymous, pr, "text", "k")


def test_the_cli_posts_then_updates_and_a_refusal_is_a_warning(served, tmp_path, capsys):
    import json

    from apiops_core.cli import main

    app, git, pr = served
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"formatVersion": 1, "target": {"service": "apim-dev", "resourceGroup": "rg"},
                                "puts": [], "deletes": [], "warnings": []}), encoding="utf-8")
    result = tmp_path / "result.json"
    env = {"AZURE_DEVOPS_EXT_PAT": "cli-pat-secret", "SYSTEM_COLLECTIONURI": pr.target.organization_url + "/",
           "SYSTEM_TEAMPROJECT": "Proj", "BUILD_REPOSITORY_ID": "repo",
           "SYSTEM_PULLREQUEST_PULLREQUESTID": str(pr.pull_request_id)}
    assert main(["pr-comment", "--plan", str(plan), "--result", str(result)], env) == 0
    assert json.loads(result.read_text())["action"] == "created"
    [thread] = app.pull_requests[pr.pull_request_id].threads
    assert thread["comments"][0]["content"].startswith("<!-- apiops-plan: rg/apim-dev -->")
    assert "No changes" in thread["comments"][0]["content"] and "cli-pat-secret" not in thread["comments"][0]["content"]

    markdown = tmp_path / "plan.md"
    markdown.write_text(PLAN_MD, encoding="utf-8")
    assert main(["pr-comment", "--markdown", str(markdown), "--key", "rg/apim-dev", "--result", str(result)], env) == 0
    assert json.loads(result.read_text())["action"] == "updated"
    assert len(app.pull_requests[pr.pull_request_id].threads) == 1

    outside = {k: v for k, v in env.items() if k != "SYSTEM_PULLREQUEST_PULLREQUESTID"}
    assert main(["pr-comment", "--plan", str(plan), "--result", str(result)], outside) == 0
    assert json.loads(result.read_text())["action"] == "none"

    app.denied.add("PullRequestContribute")
    markdown.write_text(PLAN_MD + "\nchanged\n", encoding="utf-8")
    assert main(["pr-comment", "--markdown", str(markdown), "--key", "rg/apim-dev", "--result", str(result)], env) == 0
    assert json.loads(result.read_text())["action"] == "failed"
    assert "warning: the plan was not posted" in capsys.readouterr().err and "Contribute to pull requests" in \
        json.loads(result.read_text())["message"]
    assert main(["-q", "pr-comment", "--markdown", str(markdown), "--key", "rg/apim-dev", "--strict"], env) == 1
