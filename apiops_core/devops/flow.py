"""Extracted folder → one commit on the instance's branch → one open pull request.

Why this shape (see docs in ``apiops pr --help``):
- the branch name is stable per instance (``apiops/extract/<service>``), so a re-run updates the
  same branch and the same active pull request instead of opening another;
- the push is computed against the branch when it has an active pull request (so a re-run whose
  extraction equals what the branch holds pushes nothing — no empty commits on the reviewer's PR),
  otherwise against the target branch tip; a branch left over from a merged or abandoned PR is
  deleted and started afresh from the target;
- the description always describes target → extraction (what merging would do), not the last push;
- a stale ref (TF401028: someone pushed meanwhile) is retried once against the new tip.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from ..errors import DevOpsError
from .breaking import breaking_section
from .describe import Description, describe, summarise
from .failures import StaleRefError
from .pushing import DEFAULT_MAX_PUSH_BYTES, DEFAULT_MAX_PUSH_CHANGES, batch_changes, push_payload
from .repo_api import PullRequestInfo, RepoApi
from .treediff import Change, diff_tree, owns_everything

__all__ = ["PullRequestOptions", "PullRequestResult", "sync_pull_request", "default_branch_name", "MERGE_STRATEGIES"]

MERGE_STRATEGIES = ("squash", "noFastForward", "rebase", "rebaseMerge")
_log = logging.getLogger("apiops.devops")


def default_branch_name(service: str) -> str:
    return f"apiops/extract/{service}"


def _ref(branch: str) -> str:
    return branch if branch.startswith("refs/") else f"refs/heads/{branch}"


@dataclass(frozen=True)
class PullRequestOptions:
    """Everything about the pull request that is not the files themselves."""

    service_name: str
    target_branch: str = "main"
    branch: str | None = None
    repo_path: str = ""
    title: str | None = None
    reviewers: tuple[str, ...] = ()
    work_items: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    draft: bool = False
    auto_complete: bool = False
    merge_strategy: str = "squash"
    delete_source_branch: bool = False
    commit_suffix: str = ""
    max_push_bytes: int = DEFAULT_MAX_PUSH_BYTES
    max_push_changes: int = DEFAULT_MAX_PUSH_CHANGES
    extra_markdown: str | None = None

    @property
    def source_ref(self) -> str:
        return _ref(self.branch or default_branch_name(self.service_name))

    @property
    def target_ref(self) -> str:
        return _ref(self.target_branch)

    @property
    def pr_title(self) -> str:
        return self.title or f"APIOps: artifacts extracted from {self.service_name}"


@dataclass(frozen=True)
class PullRequestResult:
    has_changes: bool
    pull_request_id: int | None = None
    pull_request_url: str | None = None
    branch: str | None = None
    commit: str | None = None
    pushed: tuple[Change, ...] = ()
    description: Description | None = None
    pushes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"has_changes": self.has_changes, "pull_request_id": self.pull_request_id,
                "pull_request_url": self.pull_request_url, "branch": self.branch, "commit": self.commit}


@dataclass
class _Base:
    """What the push goes onto: the ref's current value and the commit whose files we compare with."""

    old_object_id: str
    compare_commit: str
    pull_request: PullRequestInfo | None
    stale_branch_tip: str | None = None
    notes: list[str] = field(default_factory=list)


def _commit_message(options: PullRequestOptions, changes: Sequence[Change], part: str = "") -> str:
    counts = {t: sum(1 for c in changes if c.change_type == t) for t in ("add", "edit", "delete")}
    text = (f"Extract {options.service_name}{part}: {counts['add']} added, {counts['edit']} changed, "
            f"{counts['delete']} deleted")
    return f"{text} {options.commit_suffix}".rstrip() if options.commit_suffix else text


def _find_base(api: RepoApi, options: PullRequestOptions, target_tip: str) -> _Base:
    branch_tip = api.ref_tip(options.source_ref)
    if branch_tip is None:
        return _Base(target_tip, target_tip, None)
    pr = api.active_pull_request(options.source_ref, options.target_ref)
    if pr is not None:
        return _Base(branch_tip, branch_tip, pr)
    # merged, abandoned or orphaned: start fresh from the target tip
    return _Base(target_tip, target_tip, None, stale_branch_tip=branch_tip)


def _push_all(api: RepoApi, options: PullRequestOptions, base: _Base, changes: Sequence[Change]) -> tuple[str, int]:
    batches = batch_changes(changes, max_bytes=options.max_push_bytes, max_changes=options.max_push_changes)
    old = base.old_object_id
    for index, batch in enumerate(batches, start=1):
        part = f" (part {index}/{len(batches)})" if len(batches) > 1 else ""
        payload = push_payload(options.source_ref, old, _commit_message(options, batch, part), batch, options.repo_path)
        old = api.push(payload)
        _log.info("pushed %d change(s) to %s: %s", len(batch), options.source_ref, old)
    return old, len(batches)


def sync_pull_request(api: RepoApi, local: Mapping[str, bytes], options: PullRequestOptions, *,
                      owns: Callable[[str], bool] = owns_everything) -> PullRequestResult:
    """Make the instance's branch hold ``local`` under ``options.repo_path`` and keep one PR open for it."""
    if options.merge_strategy not in MERGE_STRATEGIES:
        raise DevOpsError(f"unknown merge strategy {options.merge_strategy!r}; use one of {', '.join(MERGE_STRATEGIES)}")
    repo = api.repository_info()
    target_tip = api.ref_tip(options.target_ref)
    if target_tip is None:
        raise DevOpsError(f"the target branch {options.target_ref} does not exist in repository '{repo.name}'; "
                          "create it or pass --target-branch")
    base = _find_base(api, options, target_tip)
    remote = api.blobs_under(options.repo_path, base.compare_commit)
    changes = diff_tree(local, remote, owns)
    if not changes:
        _log.info("the extraction equals %s: nothing to push", options.source_ref if base.pull_request else options.target_ref)
        return _unchanged(repo.web_url, base.pull_request, options)
    if base.stale_branch_tip:
        _log.info("%s is left over from a completed or abandoned pull request: starting it afresh", options.source_ref)
        api.delete_ref(options.source_ref, base.stale_branch_tip)
    try:
        commit, pushes = _push_all(api, options, base, changes)
    except StaleRefError:
        _log.warning("%s moved while pushing; retrying once against its new tip", options.source_ref)
        target_tip = api.ref_tip(options.target_ref) or target_tip
        base = _find_base(api, options, target_tip)
        changes = diff_tree(local, api.blobs_under(options.repo_path, base.compare_commit), owns)
        if not changes:
            return _unchanged(repo.web_url, base.pull_request, options)
        if base.stale_branch_tip:
            api.delete_ref(options.source_ref, base.stale_branch_tip)
        commit, pushes = _push_all(api, options, base, changes)
    # describe target -> extraction (what merging does), downloading only old specifications
    against_target = changes if base.compare_commit == target_tip else \
        diff_tree(local, api.blobs_under(options.repo_path, target_tip), owns)
    blobs = _BlobCache(api.blob)
    resources = summarise(against_target, blobs)
    extra = [t for t in (breaking_section(local, against_target, blobs), options.extra_markdown) if t]
    description = describe(options.service_name, against_target, resources, extra="\n\n".join(extra) or None)
    pr = _open_or_update(api, options, base.pull_request, description)
    url = f"{repo.web_url}/pullrequest/{pr.pull_request_id}" if repo.web_url else None
    return PullRequestResult(True, pr.pull_request_id, url, options.source_ref, commit, tuple(changes), description,
                             pushes)


class _BlobCache:
    """Download each previous blob at most once (the operation diff and the breaking report share them)."""

    def __init__(self, fetch: Callable[[str], bytes]) -> None:
        self._fetch = fetch
        self._seen: dict[str, bytes] = {}

    def __call__(self, object_id: str) -> bytes:
        if object_id not in self._seen:
            self._seen[object_id] = self._fetch(object_id)
        return self._seen[object_id]


def _unchanged(web_url: str | None, pr: PullRequestInfo | None, options: PullRequestOptions) -> PullRequestResult:
    if pr is None:
        return PullRequestResult(False)
    url = f"{web_url}/pullrequest/{pr.pull_request_id}" if web_url else None
    return PullRequestResult(False, pr.pull_request_id, url, options.source_ref)


def _open_or_update(api: RepoApi, options: PullRequestOptions, existing: PullRequestInfo | None,
                    description: Description) -> PullRequestInfo:
    if existing is None:
        pr = api.create_pull_request(source=options.source_ref, target=options.target_ref, title=options.pr_title,
                                     description=description.text, draft=options.draft, reviewers=options.reviewers,
                                     work_items=options.work_items, labels=options.labels)
        _log.info("opened pull request %d", pr.pull_request_id)
    else:
        pr = api.update_pull_request(existing.pull_request_id, title=options.pr_title, description=description.text)
        pr = PullRequestInfo(pr.pull_request_id, pr.created_by_id or existing.created_by_id, pr.title, pr.status)
        _log.info("updated pull request %d", pr.pull_request_id)
    if description.full_report:
        api.add_comment(pr.pull_request_id, description.full_report)
    if options.auto_complete:
        api.set_auto_complete(pr, merge_strategy=options.merge_strategy,
                              delete_source_branch=options.delete_source_branch, message=options.pr_title)
    return pr
