"""The Azure DevOps emulator app answers the real azure-devops client (discovery included)."""

from __future__ import annotations

import pytest
from azure.devops.exceptions import AzureDevOpsAuthenticationError, AzureDevOpsServiceError
from azure.devops.v7_1.git.git_client import GitClient
from azure.devops.v7_1.git.models import GitPullRequest, GitVersionDescriptor
from msrest.authentication import BasicAuthentication

from apiops_core.emulator.devops_app import DevOpsApp, git_blob_id
from apiops_core.emulator.devops_server import AppServer


@pytest.fixture()
def served():
    app = DevOpsApp("org")
    app.add_repository("Proj", "repo", {"README.md": "hi", "artifacts/apis/a/apiInformation.json": "{}"})
    with AppServer([app]) as server:
        yield app, server.url + "/devops/org"


def test_items_carry_real_blob_ids_and_push_creates_a_branch(served):
    app, url = served
    git = GitClient(url, BasicAuthentication("", "pat"))
    tip = git.get_refs("repo", "Proj", filter="heads/main")[0].object_id
    items = git.get_items("repo", "Proj", scope_path="/artifacts", recursion_level="Full",
                          version_descriptor=GitVersionDescriptor(version=tip, version_type="commit"))
    blobs = {i.path: i.object_id for i in items if i.git_object_type == "blob"}
    assert blobs == {"/artifacts/apis/a/apiInformation.json": git_blob_id(b"{}")}
    push = git.create_push({"refUpdates": [{"name": "refs/heads/x", "oldObjectId": tip}],
                            "commits": [{"comment": "c", "changes": [
                                {"changeType": "add", "item": {"path": "/artifacts/b.bin"},
                                 "newContent": {"content": "AAE=", "contentType": "base64encoded"}}]}]}, "repo", "Proj")
    assert app.branch_files("repo", "x")["artifacts/b.bin"] == b"\x00\x01"
    assert push.ref_updates[0].new_object_id == push.commits[0].commit_id
    with pytest.raises(AzureDevOpsServiceError, match="TF401028"):
        git.create_push({"refUpdates": [{"name": "refs/heads/x", "oldObjectId": tip}], "commits": [{"comment": "c"}]},
                        "repo", "Proj")


def test_pull_request_create_twice_conflicts_and_unauthenticated_is_401(served):
    app, url = served
    git = GitClient(url, BasicAuthentication("", "pat"))
    tip = git.get_refs("repo", "Proj", filter="heads/main")[0].object_id
    app.write_files("repo", "feature", {"x": "1"})
    pr = git.create_pull_request(GitPullRequest(source_ref_name="refs/heads/feature", target_ref_name="refs/heads/main",
                                                title="t", description="d"), "repo", "Proj")
    assert pr.status == "active" and pr.created_by.id
    with pytest.raises(AzureDevOpsServiceError, match="TF401179"):
        git.create_pull_request(GitPullRequest(source_ref_name="refs/heads/feature", target_ref_name="refs/heads/main",
                                               title="t"), "repo", "Proj")
    assert tip
    anonymous = GitClient(url, BasicAuthentication("", ""))
    with pytest.raises(AzureDevOpsAuthenticationError):
        anonymous.get_repository("repo", "Proj")
