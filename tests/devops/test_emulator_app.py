"""The Azure DevOps emulator app answers the real azure-devops client (discovery included)."""

from __future__ import annotations

import pytest
from azure.devops.exceptions import AzureDevOpsAuthenticationError, AzureDevOpsServiceError
from azure.devops.v7_1.git.git_client import GitClient
from azure.devops.v7_1.git.models import GitPullRequest, GitVersionDescriptor
from msrest.authentication import BasicAuthentication

from apiops_emulator.devops.app import DevOpsApp, git_blob_id
from apiops_emulator.devops.server import AppServer


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


def test_pull_request_threads_and_comments_follow_the_rest_reference(served):
    """Threads - Create/List/Get/Update and Thread Comments - Create/Get/Update/Delete, as documented."""
    from azure.devops.v7_1.git.models import Comment, GitPullRequestCommentThread

    app, url = served
    git = GitClient(url, BasicAuthentication("", "pat"))
    app.write_files("repo", "feature", {"x": "1"})
    pr = git.create_pull_request(GitPullRequest(source_ref_name="refs/heads/feature", target_ref_name="refs/heads/main",
                                                title="t"), "repo", "Proj").pull_request_id
    thread = git.create_thread(GitPullRequestCommentThread(
        comments=[Comment(parent_comment_id=0, content="first", comment_type=1)], status=1,
        properties={"apiops.plan": "rg/dev", "Microsoft.TeamFoundation.Discussion.SupportsMarkdown": 1}), "repo", pr, "Proj")
    assert thread.status == "active" and not thread.is_deleted and thread.comments[0].id == 1
    assert thread.comments[0].comment_type == "text" and thread.comments[0].author.id
    assert thread.properties == {"apiops.plan": {"$type": "System.String", "$value": "rg/dev"},
                                 "Microsoft.TeamFoundation.Discussion.SupportsMarkdown": {"$type": "System.Int32", "$value": 1}}
    reply = git.create_comment(Comment(parent_comment_id=1, content="reply", comment_type=1), "repo", pr, thread.id, "Proj")
    assert reply.id == 2 and reply.parent_comment_id == 1

    edited = git.update_comment(Comment(content="first, edited"), "repo", pr, thread.id, 1, "Proj")
    assert edited.content == "first, edited" and edited.last_content_updated_date >= edited.published_date
    assert git.get_comment("repo", pr, thread.id, 1, "Proj").content == "first, edited"
    assert git.update_thread(GitPullRequestCommentThread(status="fixed"), "repo", pr, thread.id, "Proj").status == "fixed"
    assert git.get_pull_request_thread("repo", pr, thread.id, "Proj").status == "fixed"

    git.delete_comment("repo", pr, thread.id, 2, "Proj")
    [listed] = git.get_threads("repo", pr, "Proj")
    assert [(c.id, c.content, bool(c.is_deleted)) for c in listed.comments] == [(1, "first, edited", False), (2, None, True)]
    with pytest.raises(AzureDevOpsServiceError, match="up to 150,000"):
        git.update_comment(Comment(content="x" * 150_001), "repo", pr, thread.id, 1, "Proj")
    with pytest.raises(AzureDevOpsServiceError, match="not valid"):
        git.update_thread(GitPullRequestCommentThread(status="resolvedish"), "repo", pr, thread.id, "Proj")
    with pytest.raises(AzureDevOpsServiceError, match="was not found"):
        git.get_pull_request_thread("repo", pr, 999, "Proj")
    app.denied.add("PullRequestContribute")
    with pytest.raises(AzureDevOpsServiceError, match="TF401027.*PullRequestContribute"):
        git.update_comment(Comment(content="denied"), "repo", pr, thread.id, 1, "Proj")
