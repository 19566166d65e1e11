"""ApiOpsCreateTemplateBranch: commit the artifacts folder to a branch and open a pull request.

A shell around ``apiops pr`` (the engine lives in ``apiops_core.devops``). The organization,
project and repository default to the pipeline's own; the build service identity's
System.AccessToken is handed to the engine as ``SYSTEM_ACCESSTOKEN`` (registered as a secret
first) and needs Contribute, Create branch and Contribute to pull requests on the repository.
"""

from __future__ import annotations

import sys
from typing import Mapping, TextIO

from apiops_core.agent import TaskContext, TaskFailed, run_task
from apiops_core.tasks._common import add_option, engine_environ, run_cli

__all__ = ["main", "body"]


def body(context: TaskContext) -> str:
    artifacts = context.get_path_input("artifactsFolder", required=True, check_exists=True)
    token = context.system_access_token()
    if not token:
        raise TaskFailed("System.AccessToken is not available to this step; it is needed to push and open the pull request")
    context.set_secret(token)
    argv = ["pr", "--artifacts", artifacts, "--service-name", context.get_input("serviceName", required=True)]
    # empty: the engine uses the pipeline's own (System.CollectionUri, System.TeamProject, Build.Repository.ID)
    add_option(argv, "--organization", context.get_input("organization"))
    add_option(argv, "--project", context.get_input("project"))
    add_option(argv, "--repository", context.get_input("repository"))
    add_option(argv, "--target-branch", context.get_input("targetBranch", default="main"))
    add_option(argv, "--branch", context.get_input("branchName"))
    add_option(argv, "--repo-path", context.get_input("repositoryPath"))
    add_option(argv, "--config", context.get_path_input("configurationFile", check_exists=True))
    add_option(argv, "--title", context.get_input("pullRequestTitle"))
    for option, name in (("--reviewer", "reviewers"), ("--work-item", "workItems"), ("--label", "labels")):
        for value in _split_list(context.get_input(name)):
            argv += [option, value]
    add_option(argv, "--draft", context.get_bool_input("draft"))
    if context.get_bool_input("autoComplete"):
        argv += ["--auto-complete", "--merge-strategy", context.get_input("mergeStrategy", default="squash")]
        add_option(argv, "--delete-source-branch", context.get_bool_input("deleteSourceBranch"))
    commit_suffix = context.get_input("commitSuffix")
    if commit_suffix:
        argv += [f"--commit-suffix={commit_suffix}"]
    run = run_cli(context, argv, engine_environ(context, None, {"SYSTEM_ACCESSTOKEN": token}), markdown_option="--summary")

    has_changes = bool(run.result.get("has_changes", False))
    context.set_output("hasChanges", has_changes)
    context.set_output("pullRequestId", run.result.get("pull_request_id") or "")
    context.set_output("pullRequestUrl", run.result.get("pull_request_url") or "")
    context.set_output("branch", run.result.get("branch") or "")
    if has_changes:
        summary = run.markdown or f"## API Management template branch\n\nPull request: {run.result.get('pull_request_url', '')}\n"
    else:
        summary = "## API Management template branch\n\nThe artifacts match the target branch; no pull request was needed.\n"
    context.upload_summary(summary, title="API Management pull request")
    return "Succeeded"


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def main(environ: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    return run_task(body, environ, out)


if __name__ == "__main__":
    sys.exit(main())
