"""``apiops pr``: push an extracted artifacts folder to the instance's branch and open or update its pull request.

The repository comes from options or the pipeline's variables (SYSTEM_COLLECTIONURI,
SYSTEM_TEAMPROJECT, BUILD_REPOSITORY_ID); the credential from AZURE_DEVOPS_EXT_PAT (a PAT) or the
job token (ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN, SYSTEM_ACCESSTOKEN). The result
JSON (stdout and ``--result``) is ``{"has_changes", "pull_request_id", "pull_request_url", "branch", "commit"}``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Callable

from ._context import Context
from ..errors import ConfigError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--artifacts", required=True, help="the freshly extracted artifacts folder")
    where = parser.add_argument_group("repository")
    where.add_argument("--organization", help="organisation URL, e.g. https://dev.azure.com/org (env SYSTEM_COLLECTIONURI)")
    where.add_argument("--project", help="project name or id (env SYSTEM_TEAMPROJECT)")
    where.add_argument("--repository", help="repository name or id (env BUILD_REPOSITORY_ID)")
    where.add_argument("--target-branch", default="main", help="branch the pull request merges into (default main)")
    where.add_argument("--branch", help="source branch (default apiops/extract/<service>; re-runs reuse it)")
    where.add_argument("--repo-path", help="the artifacts' folder inside the repository (default: --artifacts "
                       "relative to BUILD_SOURCESDIRECTORY or the current directory; '' or '/' = repository root)")
    where.add_argument("--ca-bundle", help="CA bundle PEM to trust, e.g. the emulator's (env APIOPS_CA_BUNDLE)")
    scope = parser.add_argument_group("what the extraction owns")
    scope.add_argument("--config", help="extractor configuration; files of resources it did not select are never deleted")
    scope.add_argument("--service-name", help="API Management instance name (env API_MANAGEMENT_SERVICE_NAME)")
    pr = parser.add_argument_group("pull request")
    pr.add_argument("--title", help="pull request title (default 'APIOps: artifacts extracted from <service>')")
    pr.add_argument("--reviewer", action="append", default=[], metavar="ID", help="reviewer identity id (GUID); repeatable")
    pr.add_argument("--work-item", action="append", default=[], metavar="ID", help="work item id to link; repeatable")
    pr.add_argument("--label", action="append", default=[], help="label (tag) for the pull request; repeatable")
    pr.add_argument("--draft", action="store_true", help="open the pull request as a draft")
    pr.add_argument("--auto-complete", action="store_true", help="set auto-complete (completes once policies pass)")
    pr.add_argument("--merge-strategy", default="squash", choices=("squash", "noFastForward", "rebase", "rebaseMerge"))
    pr.add_argument("--delete-source-branch", action="store_true", help="delete the branch when the PR completes")
    pr.add_argument("--commit-suffix", default="", help="appended to commit messages, e.g. '[skip ci]'")
    pr.add_argument("--max-push-mb", type=float, default=10.0, help="split pushes above this much content (default 10)")
    out = parser.add_argument_group("output")
    out.add_argument("--result", help="write the result JSON here")
    out.add_argument("--summary", help="write the pull request's full Markdown report here")


def _repo_path(args: argparse.Namespace, context: Context, artifacts: Path) -> str:
    if args.repo_path is not None:
        return args.repo_path.strip().strip("/")
    root = Path(context.env("BUILD_SOURCESDIRECTORY") or os.getcwd()).resolve()
    try:
        return artifacts.resolve().relative_to(root).as_posix().strip(".").strip("/")
    except ValueError:
        raise ConfigError(f"the artifacts folder {artifacts} is not inside {root} (BUILD_SOURCESDIRECTORY or the current "
                          "directory); pass --repo-path with the folder's place in the repository") from None


def _owns(config_path: str | None) -> Callable[[str], bool]:
    from ..devops.treediff import owns_everything

    if not config_path:
        return owns_everything
    from ..config import ExtractorConfig

    config = ExtractorConfig.load(config_path)
    return config.owns_path


def run(args: argparse.Namespace, context: Context) -> int:
    from ..devops import (PullRequestOptions, RepoApi, connect_git, credentials_from_environment, read_folder,
                          resolve_target, sync_pull_request)

    artifacts = Path(args.artifacts)
    if not artifacts.is_dir():
        raise ConfigError(f"--artifacts {artifacts} is not a folder")
    service = args.service_name or context.env("API_MANAGEMENT_SERVICE_NAME")
    if not service:
        raise ConfigError("name the instance with --service-name or API_MANAGEMENT_SERVICE_NAME (it names the branch "
                          "and the pull request)")
    if args.max_push_mb <= 0:
        raise ConfigError("--max-push-mb must be positive")
    options = PullRequestOptions(
        service_name=service,
        target_branch=args.target_branch,
        branch=args.branch,
        repo_path=_repo_path(args, context, artifacts),
        title=args.title,
        reviewers=tuple(args.reviewer),
        work_items=tuple(args.work_item),
        labels=tuple(args.label),
        draft=args.draft,
        auto_complete=args.auto_complete,
        merge_strategy=args.merge_strategy,
        delete_source_branch=args.delete_source_branch,
        commit_suffix=args.commit_suffix,
        max_push_bytes=int(args.max_push_mb * 1024 * 1024),
    )
    owns = _owns(args.config)
    target = resolve_target(context.environ, organization=args.organization, project=args.project,
                            repository=args.repository)
    credentials, source = credentials_from_environment(context.environ)
    context.log.info("Azure Repos %s/%s/%s (credential from %s)", target.organization_url, target.project,
                     target.repository, source)
    git = connect_git(target, credentials, ca_bundle=args.ca_bundle or context.env("APIOPS_CA_BUNDLE"))
    result = sync_pull_request(RepoApi(git, target.project, target.repository), read_folder(artifacts), options,
                               owns=owns)
    payload = result.to_json()
    if args.result:
        Path(args.result).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if args.summary:
        report = ""
        if result.description is not None:
            report = result.description.full_report or result.description.text
        Path(args.summary).write_text(report or "No changes.\n", encoding="utf-8")
    context.stdout(json.dumps(payload))
    return 0
