"""The Azure Repos calls the pull-request flow makes, for one repository, each with a clear error.

Why a wrapper: the flow reads as a sequence of intentions (tip of a branch, blobs under a folder,
push, find/create/update a pull request) and this is the one place that knows the client's
method names, its models and which failures mean "absent" rather than "broken".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from ..errors import DevOpsError
from .failures import explain
from .pushing import repository_path

__all__ = ["RepoApi", "RepoInfo", "PullRequestInfo", "ZERO_ID"]

ZERO_ID = "0" * 40


@dataclass(frozen=True)
class RepoInfo:
    repo_id: str
    name: str
    web_url: str | None


@dataclass(frozen=True)
class PullRequestInfo:
    pull_request_id: int
    created_by_id: str | None
    title: str
    status: str


def _pr_info(pr: Any) -> PullRequestInfo:
    return PullRequestInfo(int(pr.pull_request_id), getattr(pr.created_by, "id", None), pr.title or "", pr.status or "")


class RepoApi:
    """Calls against ``project``/``repository`` through a v7.1 ``GitClient``."""

    def __init__(self, git: Any, project: str, repository: str) -> None:
        self.git = git
        self.project = project
        self.repository = repository

    def repository_info(self) -> RepoInfo:
        with explain(f"reading repository '{self.repository}' in project '{self.project}'"):
            repo = self.git.get_repository(self.repository, self.project)
        self.repository = repo.id
        return RepoInfo(repo.id, repo.name, getattr(repo, "web_url", None))

    def ref_tip(self, ref_name: str) -> str | None:
        """The commit a ref points at, or None (the filter is a prefix match: pick the exact name)."""
        with explain(f"reading {ref_name}"):
            refs = self.git.get_refs(self.repository, self.project, filter=ref_name[len("refs/"):])
        return next((r.object_id for r in refs or [] if r.name == ref_name), None)

    def blobs_under(self, repo_path: str, commit_id: str) -> dict[str, str]:
        """Files under ``repo_path`` at a commit, as path relative to it → blob object id (empty if absent)."""
        from azure.devops.exceptions import AzureDevOpsServiceError
        from azure.devops.v7_1.git.models import GitVersionDescriptor

        scope = repository_path(repo_path, "")
        try:
            with explain(f"listing {scope} at {commit_id[:8]}"):
                items = self.git.get_items(self.repository, self.project, scope_path=scope, recursion_level="Full",
                                           version_descriptor=GitVersionDescriptor(version=commit_id, version_type="commit"))
        except DevOpsError as error:
            cause = error.__cause__
            if isinstance(cause, AzureDevOpsServiceError) and ("TF401174" in str(cause.message)
                                                               or cause.type_key == "GitItemNotFoundException"):
                return {}
            raise
        prefix = scope.rstrip("/") + "/"
        result: dict[str, str] = {}
        for item in items or []:
            if item.git_object_type != "blob" or getattr(item, "is_folder", False):
                continue
            if prefix != "//" and not item.path.startswith(prefix):
                continue
            result[item.path[len(prefix):] if prefix != "//" else item.path.lstrip("/")] = item.object_id
        return result

    def blob(self, object_id: str) -> bytes:
        with explain(f"downloading blob {object_id[:8]}"):
            return b"".join(self.git.get_blob_content(self.repository, object_id, self.project, download=True))

    def push(self, payload: Mapping[str, Any]) -> str:
        """Apply one push; the new commit id."""
        name = payload["refUpdates"][0]["name"]
        with explain(f"pushing to {name}"):
            result = self.git.create_push(dict(payload), self.repository, self.project)
        return str(result.commits[-1].commit_id if result.commits else result.ref_updates[0].new_object_id)

    def delete_ref(self, ref_name: str, old_object_id: str) -> None:
        from azure.devops.v7_1.git.models import GitRefUpdate

        with explain(f"deleting the stale branch {ref_name}"):
            results = self.git.update_refs([GitRefUpdate(name=ref_name, old_object_id=old_object_id,
                                                         new_object_id=ZERO_ID)], self.repository, self.project)
        for result in results or []:
            if not result.success:
                raise DevOpsError(f"could not delete the stale branch {ref_name} ({result.update_status}); delete it "
                                  "in Azure Repos or pass another --branch. Deleting a branch needs the 'Force push' "
                                  "permission, which the branch's creator has by default.")

    def active_pull_request(self, source: str, target: str) -> PullRequestInfo | None:
        from azure.devops.v7_1.git.models import GitPullRequestSearchCriteria

        criteria = GitPullRequestSearchCriteria(source_ref_name=source, target_ref_name=target, status="active")
        with explain(f"looking for an active pull request from {source}"):
            found = self.git.get_pull_requests(self.repository, criteria, self.project)
        return _pr_info(found[0]) if found else None

    def create_pull_request(self, *, source: str, target: str, title: str, description: str, draft: bool,
                            reviewers: Iterable[str], work_items: Iterable[str], labels: Iterable[str]) -> PullRequestInfo:
        from azure.devops.v7_1.git.models import (GitPullRequest, IdentityRefWithVote, ResourceRef,
                                                  WebApiCreateTagRequestData)

        request = GitPullRequest(
            source_ref_name=source, target_ref_name=target, title=title, description=description, is_draft=draft,
            reviewers=[IdentityRefWithVote(id=r) for r in reviewers] or None,
            work_item_refs=[ResourceRef(id=w) for w in work_items] or None,
            labels=[WebApiCreateTagRequestData(name=n) for n in labels] or None,
        )
        with explain(f"creating the pull request {source} -> {target}"):
            return _pr_info(self.git.create_pull_request(request, self.repository, self.project))

    def update_pull_request(self, pr_id: int, **fields: Any) -> PullRequestInfo:
        """PATCH a pull request with model fields (title, description, auto_complete_set_by, completion_options)."""
        from azure.devops.v7_1.git.models import GitPullRequest

        with explain(f"updating pull request {pr_id}"):
            return _pr_info(self.git.update_pull_request(GitPullRequest(**fields), self.repository, pr_id, self.project))

    def set_auto_complete(self, pr: PullRequestInfo, *, merge_strategy: str, delete_source_branch: bool,
                          message: str) -> None:
        """The second call the REST API requires: auto-complete is ignored when a pull request is created."""
        from azure.devops.v7_1.git.models import GitPullRequestCompletionOptions, IdentityRef

        if not pr.created_by_id:
            raise DevOpsError(f"pull request {pr.pull_request_id} has no creator id to set auto-complete with")
        self.update_pull_request(
            pr.pull_request_id,
            auto_complete_set_by=IdentityRef(id=pr.created_by_id),
            completion_options=GitPullRequestCompletionOptions(merge_strategy=merge_strategy,
                                                               delete_source_branch=delete_source_branch,
                                                               merge_commit_message=message),
        )

    def add_comment(self, pr_id: int, content: str) -> None:
        from azure.devops.v7_1.git.models import Comment, GitPullRequestCommentThread

        thread = GitPullRequestCommentThread(comments=[Comment(parent_comment_id=0, content=content, comment_type=1)],
                                             status=4)
        with explain(f"commenting on pull request {pr_id}"):
            self.git.create_thread(thread, self.repository, pr_id, self.project)
