"""Azure Repos: push an extraction to the instance's branch and keep one pull request open for it.

One job per module: ``connection`` (who and where), ``failures`` (errors that say what to fix),
``paths`` (artifact path → kind), ``treediff`` (local folder vs branch by blob id), ``pushing``
(push payloads and batches), ``repo_api`` (the REST calls), ``describe`` (the Markdown a reviewer
reads), ``flow`` (the sequence).
"""

from __future__ import annotations

from .connection import DevOpsTarget, connect_git, credentials_from_environment, resolve_target
from .describe import Description, ResourceChange, describe, render_markdown, summarise
from .failures import StaleRefError, translate
from .flow import MERGE_STRATEGIES, PullRequestOptions, PullRequestResult, default_branch_name, sync_pull_request
from .paths import ArtifactPath, classify, is_artifact
from .pushing import batch_changes, encode_content, push_payload
from .repo_api import RepoApi
from .treediff import Change, blob_id, diff_tree, read_folder

__all__ = [
    "DevOpsTarget", "connect_git", "credentials_from_environment", "resolve_target",
    "Description", "ResourceChange", "describe", "render_markdown", "summarise",
    "StaleRefError", "translate",
    "MERGE_STRATEGIES", "PullRequestOptions", "PullRequestResult", "default_branch_name", "sync_pull_request",
    "ArtifactPath", "classify", "is_artifact",
    "batch_changes", "encode_content", "push_payload",
    "RepoApi",
    "Change", "blob_id", "diff_tree", "read_folder",
]
