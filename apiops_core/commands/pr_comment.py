"""``apiops pr-comment``: post a plan on the pull request a pipeline run validates (one thread, updated).

For pipelines that run the CLI in script steps instead of the Creator/Terminator tasks (which
post on their own). The pull request and repository come from options or the agent's variables
(SYSTEM_PULLREQUEST_PULLREQUESTID, SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECT, BUILD_REPOSITORY_ID);
the credential from AZURE_DEVOPS_EXT_PAT or the job token (map ``SYSTEM_ACCESSTOKEN:
$(System.AccessToken)`` into the step). Outside a pull-request build it posts nothing. A refused
comment is a warning and exit code 0 (the plan is what matters), unless ``--strict``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ._context import Context
from ..errors import ConfigError, DevOpsError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--plan", metavar="FILE.json", help="a plan file (apiops plan --out), rendered as Markdown")
    what.add_argument("--markdown", metavar="FILE.md", help="the plan's Markdown (apiops plan --markdown)")
    parser.add_argument("--key", help="names the thread (default: the plan's resource group/instance); one thread per key")
    where = parser.add_argument_group("pull request")
    where.add_argument("--organization", help="organisation URL, e.g. https://dev.azure.com/org (env SYSTEM_COLLECTIONURI)")
    where.add_argument("--project", help="project name or id (env SYSTEM_TEAMPROJECT)")
    where.add_argument("--repository", help="repository name or id (env BUILD_REPOSITORY_ID)")
    where.add_argument("--pull-request", type=int, help="pull request id (env SYSTEM_PULLREQUEST_PULLREQUESTID)")
    where.add_argument("--ca-bundle", help="CA bundle PEM to trust, e.g. the emulator's (env APIOPS_CA_BUNDLE)")
    parser.add_argument("--max-chars", type=int, default=None, help="shorten longer comments (default 60000)")
    parser.add_argument("--strict", action="store_true", help="fail (exit 1) when the comment cannot be posted")
    parser.add_argument("--result", help="write {action, thread_id, truncated} as JSON here")


def _markdown_and_key(args: argparse.Namespace) -> tuple[str, str]:
    if args.markdown:
        try:
            return Path(args.markdown).read_text(encoding="utf-8"), args.key or "default"
        except OSError as error:
            raise ConfigError(f"--markdown {args.markdown}: {error.strerror}") from None
    from ..model import Plan
    from ..render import plan_markdown

    try:
        data = json.loads(Path(args.plan).read_text(encoding="utf-8"))
        plan = Plan.from_json(data)
    except OSError as error:
        raise ConfigError(f"--plan {args.plan}: {error.strerror}") from None
    except (ValueError, KeyError) as error:
        raise ConfigError(f"{args.plan} is not a plan file apiops can read: {error}") from None
    target = plan.target
    key = args.key or "/".join(str(target[k]) for k in ("resourceGroup", "service") if target.get(k)) or "default"
    return plan_markdown(plan), key


def run(args: argparse.Namespace, context: Context) -> int:
    from ..devops.connection import TOKEN_VARIABLES, connect_git, credentials_from_environment
    from ..devops.plan_comment import (DEFAULT_MAX_CHARS, not_a_pull_request_reason, post_plan_comment,
                                       pull_request_from_environment, render_comment, run_summary_url)

    markdown, key = _markdown_and_key(args)
    if args.pull_request is None and not_a_pull_request_reason(context.environ):
        context.log.info("Nothing posted: %s (pass --pull-request to name one).", not_a_pull_request_reason(context.environ))
        _write(args.result, {"action": "none"})
        return 0
    pr = pull_request_from_environment(context.environ, organization=args.organization, project=args.project,
                                       repository=args.repository, pull_request_id=args.pull_request)
    assert pr is not None
    secrets = [context.environ.get(name) or "" for name, _ in TOKEN_VARIABLES]
    content, truncated = render_comment(markdown, key=key, summary_url=run_summary_url(context.environ),
                                        footer="Posted by apiops pr-comment; updated on every run.",
                                        max_chars=args.max_chars or DEFAULT_MAX_CHARS, secrets=secrets)
    try:
        credentials, _ = credentials_from_environment(context.environ)
        git = connect_git(pr.target, credentials, ca_bundle=args.ca_bundle or context.env("APIOPS_CA_BUNDLE"))
        result = post_plan_comment(git, pr, content, key, truncated=truncated)
    except (DevOpsError, ConfigError) as error:
        if args.strict:
            raise
        context.log.warning("warning: the plan was not posted on pull request %s: %s", pr.pull_request_id, error.message)
        _write(args.result, {"action": "failed", "message": error.message})
        return 0
    _write(args.result, {"action": result.action, "thread_id": result.thread_id, "truncated": result.truncated})
    context.stdout(f"Plan {result.action} on pull request {pr.pull_request_id}, thread {result.thread_id}"
                   + (" (shortened; the run summary has the whole plan)." if truncated else "."))
    return 0


def _write(path: str | None, data: dict) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
