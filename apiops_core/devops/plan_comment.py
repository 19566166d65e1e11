"""The plan where reviewers are: one comment thread on the pull request, updated on every run.

Why one thread found by a marker: a validation build runs again on every push to the pull
request; a new comment per run buries the discussion under stale plans. The first comment of
our thread starts with a hidden HTML comment (``<!-- apiops-plan: <key> -->``, invisible in the
rendered Markdown) and the thread carries the same key as a property (``apiops.plan``), so a
re-run finds the thread and edits its first comment instead of adding another. The key names the
target (resource group and instance): pipelines that plan several instances keep one thread each.

Why size-capped: Azure DevOps refuses comments above 150,000 characters and a very long comment
is unreadable anyway; the comment keeps the summary and the first changes, says how much it left
out and links to the run summary, which holds the whole plan.

Secrets: ``render.plan_markdown`` masks secret values already; every value the caller knows to be
secret (the task's registered secrets) is masked here again before anything leaves the agent.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping
from urllib.parse import quote

from ..errors import DevOpsError
from .connection import DevOpsTarget

__all__ = [
    "PullRequestRef", "PlanCommentResult", "pull_request_from_environment", "not_a_pull_request_reason",
    "run_summary_url", "render_comment", "marker", "find_plan_thread", "post_plan_comment", "mask",
    "THREAD_PROPERTY", "DEFAULT_MAX_CHARS", "PERMISSION",
]

#: the property our thread carries (its value is the key); the marker line says the same in the text
THREAD_PROPERTY = "apiops.plan"
#: what the service accepts is 150,000 characters per comment; a plan comment stays well below it
DEFAULT_MAX_CHARS = 60_000
#: the repository permission the build identity needs to comment (the service calls it PullRequestContribute)
PERMISSION = "Contribute to pull requests"
_RESOLVED = frozenset({"fixed", "wontFix", "closed", "byDesign"})
_FENCE = re.compile(r"^(\s*)(```+|~~~+)")


@dataclass(frozen=True)
class PullRequestRef:
    """The pull request a pipeline run validates, in the repository that holds it."""

    target: DevOpsTarget
    pull_request_id: int


@dataclass(frozen=True)
class PlanCommentResult:
    """``created``, ``updated`` or ``unchanged``, and the thread's id."""

    action: str
    thread_id: int
    truncated: bool = False


def not_a_pull_request_reason(environ: Mapping[str, str]) -> str | None:
    """Why this run has no Azure Repos pull request to comment on, or None when it has one."""
    pr = (environ.get("SYSTEM_PULLREQUEST_PULLREQUESTID") or "").strip()
    if not pr:
        return "the run is not for a pull request"
    provider = (environ.get("BUILD_REPOSITORY_PROVIDER") or "TfsGit").strip()
    if provider.lower() != "tfsgit":
        return f"the pull request is on {provider}, not Azure Repos"
    if not pr.isdigit():
        return f"SYSTEM_PULLREQUEST_PULLREQUESTID is not a pull request number: {pr!r}"
    return None


def pull_request_from_environment(environ: Mapping[str, str], *, organization: str | None = None,
                                  project: str | None = None, repository: str | None = None,
                                  pull_request_id: int | None = None) -> PullRequestRef | None:
    """The run's pull request from the agent's variables (options first); None when there is none.

    SYSTEM_PULLREQUEST_PULLREQUESTID, SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECT and BUILD_REPOSITORY_ID
    (or BUILD_REPOSITORY_NAME): a pull-request build of an Azure Repos repository has them all.
    """
    from .connection import resolve_target

    if pull_request_id is None:
        if not_a_pull_request_reason(environ):
            return None
        pull_request_id = int(str(environ["SYSTEM_PULLREQUEST_PULLREQUESTID"]).strip())
    return PullRequestRef(resolve_target(environ, organization=organization, project=project, repository=repository),
                          pull_request_id)


def run_summary_url(environ: Mapping[str, str]) -> str | None:
    """The run's page on the tab that shows its Markdown summaries (where the whole plan is)."""
    collection = (environ.get("SYSTEM_COLLECTIONURI") or "").strip()
    project = (environ.get("SYSTEM_TEAMPROJECT") or "").strip()
    build_id = (environ.get("BUILD_BUILDID") or "").strip()
    if not (collection and project and build_id):
        return None
    return (f"{collection.rstrip('/')}/{quote(project)}/_build/results?buildId={quote(build_id)}"
            "&view=ms.vss-build-web.run-extensions-tab")


def marker(key: str) -> str:
    """The hidden first line of our comment; ``--`` cannot end an HTML comment early."""
    clean = re.sub(r"\s+", " ", key).replace("--", "-").strip() or "default"
    return f"<!-- apiops-plan: {clean} -->"


def mask(text: str, secrets: Iterable[str]) -> str:
    """Replace each known secret value with ``***`` (longest first)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def render_comment(markdown: str, *, key: str, summary_url: str | None = None, footer: str = "",
                   max_chars: int = DEFAULT_MAX_CHARS, secrets: Iterable[str] = ()) -> tuple[str, bool]:
    """The comment text for a plan's Markdown and whether it was shortened to fit ``max_chars``.

    Cut at a line, never inside a word; a code fence left open by the cut is closed, and a note at
    the top says how many lines are shown and links to the run summary.
    """
    body = mask(markdown.strip("\n"), secrets)
    link = f"[run summary]({summary_url})" if summary_url else "the run summary of this pipeline run"
    tail = ["", "---", f"<sub>Full plan: {link}.{' ' + footer if footer else ''}</sub>"]
    head = [marker(key)]
    text = "\n".join(head + [body] + tail)
    if len(text) <= max_chars:
        return text, False
    lines = body.split("\n")
    probe = (f"> **The plan is too long for a comment: {len(lines)} of {len(lines)} lines shown.** "
             f"The whole plan is in the {link}.")
    rest = ["", "*… the rest of the plan is in the run summary.*"]
    budget = max_chars - len("\n".join(head + [probe, ""] + rest + tail)) - 16  # 16: a closing fence and newlines
    kept: list[str] = []
    used = 0
    fence: str | None = None
    for line in lines:
        if used + len(line) + 1 > budget:
            break
        kept.append(line)
        used += len(line) + 1
        match = _FENCE.match(line)
        if match:
            fence = None if fence is not None else match.group(1) + match.group(2)[:3]
    if fence is not None:
        kept.append(fence)
    note = (f"> **The plan is too long for a comment: {len(kept) - (fence is not None)} of {len(lines)} lines "
            f"shown.** The whole plan is in the {link}.")
    return "\n".join(head + [note, ""] + kept + rest + tail), True


def _property(thread: Any, name: str) -> Any:
    properties = getattr(thread, "properties", None) or {}
    value = properties.get(name) if isinstance(properties, Mapping) else None
    if isinstance(value, Mapping):
        return value.get("$value", value.get("value"))
    return value


def _first_comment(thread: Any) -> Any:
    comments = [c for c in (getattr(thread, "comments", None) or []) if not getattr(c, "is_deleted", False)]
    return min(comments, key=lambda c: int(c.id or 0)) if comments else None


def find_plan_thread(threads: Iterable[Any], key: str) -> Any:
    """Our thread for ``key`` (the oldest if several): not deleted, and its ``apiops.plan`` property is the
    key or its first comment starts with the marker (either is enough: a thread is found even if one was lost)."""
    wanted = marker(key)
    found = []
    for thread in threads or []:
        if getattr(thread, "is_deleted", False):
            continue
        first = _first_comment(thread)
        if first is None:
            continue
        if _property(thread, THREAD_PROPERTY) == key or (first.content or "").lstrip().startswith(wanted):
            found.append(thread)
    return min(found, key=lambda t: int(t.id or 0)) if found else None


def _status_of(error: BaseException) -> int | None:
    text = str(error)
    for code in (401, 403, 404):
        if f"{code} status code" in text or f"({code})" in text:
            return code
    return None


@contextlib.contextmanager
def _commenting(pr: PullRequestRef, doing: str) -> Iterator[None]:
    """Client failures as ``DevOpsError``s that name what to fix (the permission, above all)."""
    from azure.devops.exceptions import AzureDevOpsAuthenticationError
    from msrest.exceptions import ClientException

    from .failures import translate

    try:
        yield
    except ClientException as error:
        message = str(getattr(error, "message", None) or error)
        lower = message.lower()
        where = f"pull request {pr.pull_request_id} of repository '{pr.target.repository}'"
        if isinstance(error, AzureDevOpsAuthenticationError) or _status_of(error) == 401 or "tf400813" in lower:
            raise DevOpsError(
                f"Azure DevOps refused the job token (401) while {doing} on {where}. The task uses "
                "System.AccessToken; check that the pipeline may access the repository ('Protect access to "
                "repositories in YAML pipelines' needs it referenced by the pipeline).") from error
        if "tf401027" in lower or _status_of(error) == 403 or "needspermission" in str(getattr(error, "type_key", "")).lower():
            raise DevOpsError(
                f"the build identity may not comment on {where} (403): grant '{PERMISSION}' on the repository to "
                "the pipeline's identity ('<Project> Build Service (<org>)', or 'Project Collection Build Service "
                "(<org>)' when 'Limit job authorization scope' is off) in Project settings > Repositories > "
                f"{pr.target.repository} > Security. Service message: {message}") from error
        raise translate(error, f"{doing} on {where}") from error


def post_plan_comment(git: Any, pr: PullRequestRef, content: str, key: str, *, truncated: bool = False) -> PlanCommentResult:
    """Create our thread, or update its first comment when the content changed (idempotent).

    A thread a reviewer resolved becomes active again when the plan changes: a different plan
    deserves a second look; an unchanged plan is left alone (no write at all).
    """
    from azure.devops.v7_1.git.models import Comment, GitPullRequestCommentThread

    repository, project, number = pr.target.repository, pr.target.project, pr.pull_request_id
    with _commenting(pr, "reading the comment threads"):
        threads = git.get_threads(repository, number, project)
    thread = find_plan_thread(threads, key)
    if thread is None:
        new = GitPullRequestCommentThread(
            comments=[Comment(parent_comment_id=0, content=content, comment_type=1)],
            status=1,
            properties={THREAD_PROPERTY: key, "Microsoft.TeamFoundation.Discussion.SupportsMarkdown": 1},
        )
        with _commenting(pr, "posting the plan"):
            created = git.create_thread(new, repository, number, project)
        return PlanCommentResult("created", int(created.id), truncated)
    first = _first_comment(thread)
    if first.content == content:
        return PlanCommentResult("unchanged", int(thread.id), truncated)
    with _commenting(pr, "updating the plan comment"):
        git.update_comment(Comment(content=content), repository, number, thread.id, first.id, project)
        if str(thread.status or "") in _RESOLVED:
            git.update_thread(GitPullRequestCommentThread(status=1), repository, number, thread.id, project)
    return PlanCommentResult("updated", int(thread.id), truncated)
