"""Creator and Terminator in a pull-request build: post the plan on the pull request.

Why here and never fatal: the plan is the task's job, the comment a convenience for reviewers.
A build identity without 'Contribute to pull requests', a pull request on GitHub, a network
hiccup: each is a pipeline warning that says what to fix, and the plan still succeeds.
"""

from __future__ import annotations

import json
import traceback

from apiops_core.agent import TaskContext

__all__ = ["comment_on_pull_request", "plan_key"]


def plan_key(plan_file: str, fallback: str) -> str:
    """What names our thread: the plan's target (resource group/instance), else ``fallback``."""
    try:
        with open(plan_file, encoding="utf-8") as handle:
            target = json.load(handle).get("target") or {}
    except (OSError, ValueError, AttributeError):
        target = {}
    parts = [str(target.get(k)) for k in ("resourceGroup", "service") if target.get(k)]
    return "/".join(parts) or fallback


def comment_on_pull_request(context: TaskContext, markdown: str, *, key: str, origin: str) -> str | None:
    """Create or update the plan's thread when the run is for an Azure Repos pull request.

    Returns what happened (``created``/``updated``/``unchanged``) or None when nothing was posted.
    """
    if not context.get_bool_input("commentOnPullRequest", default=True) or not markdown.strip():
        return None
    from apiops_core.devops.plan_comment import not_a_pull_request_reason

    reason = not_a_pull_request_reason(context.environ)
    if reason:
        context.debug(f"The plan is not posted as a pull request comment: {reason}.")
        return None
    number = context.environ.get("SYSTEM_PULLREQUEST_PULLREQUESTID", "").strip()
    try:
        return _post(context, markdown, key=key, origin=origin)
    except Exception as error:  # noqa: BLE001 - a comment never fails the plan
        from apiops_core.errors import ApiOpsError

        if not isinstance(error, ApiOpsError):
            context.debug("".join(traceback.format_exception(type(error), error, error.__traceback__)))
        text = error.message if isinstance(error, ApiOpsError) else f"{type(error).__name__}: {error}"
        context.warning(f"The plan was not posted on pull request {number}: {text}")
        return None


def _post(context: TaskContext, markdown: str, *, key: str, origin: str) -> str:
    from apiops_core.devops.connection import connect_git, credentials_from_environment
    from apiops_core.devops.plan_comment import (post_plan_comment, pull_request_from_environment, render_comment,
                                                 run_summary_url)
    from apiops_core.errors import DevOpsError

    environ = context.environ
    pr = pull_request_from_environment(environ)
    assert pr is not None  # not_a_pull_request_reason said there is one
    token = context.system_access_token()
    if not token:
        raise DevOpsError("the job token (System.AccessToken) is not available to the task")
    credentials, _ = credentials_from_environment({"SYSTEM_ACCESSTOKEN": token})
    commit = (environ.get("SYSTEM_PULLREQUEST_SOURCECOMMITID") or environ.get("BUILD_SOURCEVERSION") or "")[:8]
    run = environ.get("BUILD_BUILDNUMBER") or environ.get("BUILD_BUILDID") or ""
    footer = f"Posted by apiops {origin}" + (f", run {run}" if run else "") + (f", commit `{commit}`" if commit else "")
    footer += "; updated on every run."
    content, truncated = render_comment(markdown, key=key, summary_url=run_summary_url(environ), footer=footer,
                                        secrets=context.secrets)
    git = connect_git(pr.target, credentials, ca_bundle=environ.get("APIOPS_CA_BUNDLE") or None)
    result = post_plan_comment(git, pr, content, key, truncated=truncated)
    shortened = " (shortened; the run summary has the whole plan)" if truncated else ""
    context.write_line(f"Plan {result.action} on pull request {pr.pull_request_id}, thread {result.thread_id}{shortened}.")
    return result.action
