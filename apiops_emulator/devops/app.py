"""An in-memory Azure DevOps REST subset: what ``apiops pr`` (through the ``azure-devops`` client) calls.

Why it exists: the pull-request flow must be tested end to end without a real organisation, and
the ``azure-devops`` client does more than the documented Git calls — it discovers resource areas
(``GET {org}/_apis/ResourceAreas``) and route templates (``OPTIONS {org}/_apis``) before any call,
and sends the api-version in the ``Accept`` header. This app answers all of that, written from
Microsoft's REST reference (Git: repositories, refs, items, blobs, pushes, commits, pull requests,
pull request threads and their comments, labels; Location: connectionData, resource areas) and its
published examples. It imports nothing from the client side of apiops, like the APIM emulator.

The repository model is git-like and honest about object ids: blob ids are real git blob SHA-1s
(``blob <len>\\0`` + bytes), folders get real tree ids, and commits are hashed from their tree,
parents and message, so a client that compares object ids against local files sees exactly what it
would see on Azure DevOps.

Mount it with the APIM emulator's server (it implements ``matches``/``handle`` from
``apiops_emulator.http``) under a prefix such as ``/devops``; the organisation URL is then
``https://host:port/devops/<org>``. ``server.AppServer`` runs it standalone.

Knobs for tests: ``tokens`` (accepted secrets; ``None`` accepts any credential), ``denied``
(permission names refused with TF401027: ``GenericContribute``, ``CreateBranch``,
``PullRequestContribute``), ``protected_branches`` (pushes rejected with TF402455, as a branch
policy does), ``max_push_bytes`` (request bodies above it are refused, as the service does).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping
from urllib.parse import parse_qs, quote, unquote

from ..http import Request, Response

__all__ = ["DevOpsApp", "git_blob_id", "ZERO_ID", "LOCATIONS", "GIT_AREA_ID"]

ZERO_ID = "0" * 40
GIT_AREA_ID = "4e080c62-fa21-4fbc-8fef-2a10a2b38049"
_SERVICE_IDENTITY_ID = "5a6b1b0e-0c4e-4f8e-9d55-0c0ffee00001"

#: (location id, area, resource name, route template, resource version) — the subset of the
#: service's location data the Git and Location clients need, as ``OPTIONS {org}/_apis`` returns it.
LOCATIONS: tuple[tuple[str, str, str, str, int], ...] = (
    ("e81700f7-3be2-46de-8624-2eb35882fcaa", "Location", "ResourceAreas", "_apis/{resource}/{areaId}", 1),
    ("00d9565f-ed9c-4a06-9a50-00e7896ccab4", "Location", "ConnectionData", "_apis/{resource}", 1),
    ("225f7195-f9c7-4d14-ab28-a83f7ff77e1f", "git", "repositories", "{project}/_apis/{area}/{resource}/{repositoryId}", 1),
    ("2d874a60-a811-4f62-9c9f-963a6ea0a55b", "git", "refs", "{project}/_apis/{area}/repositories/{repositoryId}/{resource}/{*filter}", 1),
    ("fb93c0db-47ed-4a31-8c20-47552878fb44", "git", "items", "{project}/_apis/{area}/repositories/{repositoryId}/{resource}/{*path}", 1),
    ("7b28e929-2c99-405d-9c5c-6167a06e6816", "git", "blobs", "{project}/_apis/{area}/repositories/{repositoryId}/{resource}/{sha1}", 1),
    ("ea98d07b-3c87-4971-8ede-a613694ffb55", "git", "pushes", "{project}/_apis/{area}/repositories/{repositoryId}/{resource}/{pushId}", 2),
    ("c2570c3b-5b3f-41b8-98bf-5407bfde8d58", "git", "commits", "{project}/_apis/{area}/repositories/{repositoryId}/{resource}/{commitId}", 1),
    ("9946fd70-0d40-406e-b686-b4744cbbcc37", "git", "pullRequests", "{project}/_apis/{area}/repositories/{repositoryId}/{resource}/{pullRequestId}", 1),
    ("01a46dea-7d46-4d40-bc84-319e7c260d99", "git", "pullRequests", "{project}/_apis/{area}/{resource}/{pullRequestId}", 1),
    ("ab6e2e5d-a0b7-4153-b64a-a4efe0d49449", "git", "pullRequestThreads", "{project}/_apis/{area}/repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}", 1),
    ("965a3ec7-5ed8-455a-bdcb-835a5ea7fe7b", "git", "pullRequestThreadComments", "{project}/_apis/{area}/repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}/comments/{commentId}", 1),
    ("f22387e3-984e-4c52-9c6d-fbb8f14c812d", "git", "pullRequestLabels", "{project}/_apis/{area}/repositories/{repositoryId}/pullRequests/{pullRequestId}/labels/{labelIdOrName}", 1),
)

_THREAD_STATUS = {0: "unknown", 1: "active", 2: "fixed", 3: "wontFix", 4: "closed", 5: "byDesign", 6: "pending"}
_COMMENT_TYPE = {0: "unknown", 1: "text", 2: "codeChange", 3: "system"}
#: documented limits: "Comments can be up to 150,000 characters" (Comments - Create/Update), "up to 500
#: comments can be created per thread" (Comments - Create)
MAX_COMMENT_CHARS = 150_000
MAX_COMMENTS_PER_THREAD = 500
_PERMISSION_TEXT = {
    "GenericContribute": "You need the Git 'GenericContribute' permission to perform this action.",
    "CreateBranch": "You need the Git 'CreateBranch' permission to perform this action.",
    "PullRequestContribute": "You need the Git 'PullRequestContribute' permission to perform this action.",
}


def git_blob_id(data: bytes) -> str:
    """The git object id of a blob: SHA-1 over ``blob <len>\\0`` and the bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Fail(Exception):
    """An Azure DevOps error response, raised inside a handler and rendered by ``handle``."""

    def __init__(self, status: int, message: str, type_key: str, area: str = "Git") -> None:
        super().__init__(message)
        self.status, self.message, self.type_key, self.area = status, message, type_key, area

    def response(self) -> Response:
        namespace = "Microsoft.TeamFoundation.Git.Server" if self.area == "Git" else "Microsoft.VisualStudio.Services.WebApi"
        return Response.json_body(self.status, {
            "$id": "1",
            "innerException": None,
            "message": self.message,
            "typeName": f"{namespace}.{self.type_key}, {namespace}",
            "typeKey": self.type_key,
            "errorCode": 0,
            "eventId": 3000,
        })


@dataclass
class _Commit:
    commit_id: str
    files: dict[str, str]  # path (no leading slash) -> blob id
    parents: tuple[str, ...]
    comment: str
    date: str


@dataclass
class _Repo:
    repo_id: str
    name: str
    project: str
    default_branch: str | None = None
    refs: dict[str, str] = field(default_factory=dict)
    commits: dict[str, _Commit] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    pushes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _PullRequest:
    pr_id: int
    repo_id: str
    source: str
    target: str
    title: str
    description: str
    is_draft: bool
    created: str
    status: str = "active"
    reviewers: list[dict[str, Any]] = field(default_factory=list)
    work_items: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    auto_complete_by: str | None = None
    completion_options: dict[str, Any] | None = None
    merge_commit: str | None = None
    threads: list[dict[str, Any]] = field(default_factory=list)


def _tree_id(files: Mapping[str, str], folder: str = "") -> str:
    """Real git tree id of ``folder`` in a flat path → blob-id map (recursively)."""
    prefix = folder + "/" if folder else ""
    entries: dict[str, tuple[str, str]] = {}
    for path, blob in files.items():
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix):]
        head, sep, _ = rest.partition("/")
        if sep:
            entries[head] = ("40000", "")
        else:
            entries[head] = ("100644", blob)
    body = b""
    for name in sorted(entries, key=lambda n: n + "/" if entries[n][0] == "40000" else n):
        mode, oid = entries[name]
        if mode == "40000":
            oid = _tree_id(files, prefix + name)
        body += f"{mode} {name}".encode() + b"\0" + bytes.fromhex(oid)
    return hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()


def _commit_id(tree: str, parents: tuple[str, ...], comment: str, date: str) -> str:
    text = f"tree {tree}\n" + "".join(f"parent {p}\n" for p in parents)
    text += f"author Build Service <build@emulator> {date}\ncommitter Build Service <build@emulator> {date}\n\n{comment}"
    data = text.encode()
    return hashlib.sha1(b"commit %d\0" % len(data) + data).hexdigest()


class DevOpsApp:
    """The app: one organisation, its projects and repositories, behind an optional path prefix."""

    def __init__(
        self,
        organization: str = "org",
        *,
        prefix: str = "/devops",
        tokens: set[str] | None = None,
        denied: set[str] | None = None,
        protected_branches: set[str] | None = None,
        max_push_bytes: int = 25 * 1024 * 1024,
    ) -> None:
        self.organization = organization
        self.prefix = prefix.rstrip("/")
        self.tokens = tokens
        self.denied = set(denied or ())
        self.protected_branches = set(protected_branches or ())
        self.max_push_bytes = max_push_bytes
        self.projects: dict[str, str] = {}  # name -> id
        self.repos: dict[str, _Repo] = {}
        self.pull_requests: dict[int, _PullRequest] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path?query) log for tests
        self._lock = threading.RLock()
        self._next_pr = 1
        self._next_thread = 1
        self._clock = 0

    # ------------------------------------------------------------------ seeding and inspection
    def add_repository(
        self, project: str, name: str, files: Mapping[str, bytes | str] | None = None, *, branch: str = "main"
    ) -> str:
        """Create a repository (and its project); with ``files``, an initial commit on ``branch``."""
        with self._lock:
            self.projects.setdefault(project, str(uuid.uuid5(uuid.NAMESPACE_URL, f"project:{project}")))
            repo = _Repo(str(uuid.uuid5(uuid.NAMESPACE_URL, f"repo:{project}/{name}")), name, project)
            self.repos[repo.repo_id] = repo
            if files is not None:
                content = {p.lstrip("/"): (v.encode() if isinstance(v, str) else v) for p, v in files.items()}
                for data in content.values():
                    repo.blobs[git_blob_id(data)] = data
                commit = self._new_commit(repo, {p: git_blob_id(d) for p, d in content.items()}, (), "Initial commit")
                repo.refs[f"refs/heads/{branch}"] = commit
                repo.default_branch = f"refs/heads/{branch}"
            return repo.repo_id

    def branch_files(self, repository: str, branch: str) -> dict[str, bytes]:
        """The files at a branch tip (paths without the leading slash) — for assertions."""
        with self._lock:
            repo = self._repo_by_any(repository)
            tip = repo.refs.get(_ref_name(branch))
            if tip is None:
                raise KeyError(branch)
            return {p: repo.blobs[b] for p, b in repo.commits[tip].files.items()}

    def commit_files(self, repository: str, commit_id: str) -> dict[str, bytes]:
        with self._lock:
            repo = self._repo_by_any(repository)
            return {p: repo.blobs[b] for p, b in repo.commits[commit_id].files.items()}

    def write_files(self, repository: str, branch: str, changes: Mapping[str, bytes | str | None], comment: str = "edit") -> str:
        """Commit directly to a branch (a human pushing): value ``None`` deletes the path."""
        with self._lock:
            repo = self._repo_by_any(repository)
            ref = _ref_name(branch)
            tip = repo.refs.get(ref)
            files = dict(repo.commits[tip].files) if tip else {}
            for path, value in changes.items():
                path = path.lstrip("/")
                if value is None:
                    files.pop(path, None)
                else:
                    data = value.encode() if isinstance(value, str) else value
                    repo.blobs[git_blob_id(data)] = data
                    files[path] = git_blob_id(data)
            repo.refs[ref] = self._new_commit(repo, files, (tip,) if tip else (), comment)
            return repo.refs[ref]

    def complete_pull_request(self, pr_id: int, *, delete_source_branch: bool = True) -> str:
        """Merge a PR as a squash into its target (what a reviewer completing it does)."""
        with self._lock:
            pr = self.pull_requests[pr_id]
            self._complete(pr, delete_source_branch)
            return str(pr.merge_commit)

    # ------------------------------------------------------------------ App protocol
    def matches(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append((request.method, request.path + ("?" + request.query_string if request.query_string else "")))
            try:
                if not self._authorised(request):
                    return Response(401, b"TF400813: The user is not authorized to access this resource.",
                                    {"Content-Type": "text/plain; charset=utf-8",
                                     "WWW-Authenticate": 'Basic realm="https://dev.azure.com/"'})
                return self._route(request)
            except _Fail as fail:
                return fail.response()

    # ------------------------------------------------------------------ plumbing
    def _authorised(self, request: Request) -> bool:
        header = request.header("authorization") or ""
        scheme, _, value = header.partition(" ")
        secret: str | None = None
        if scheme.lower() == "basic":
            try:
                secret = base64.b64decode(value).decode("utf-8").partition(":")[2]
            except (ValueError, UnicodeDecodeError):
                return False
        elif scheme.lower() == "bearer":
            secret = value.strip()
        if not secret:
            return False
        return self.tokens is None or secret in self.tokens

    def _org_url(self, request: Request) -> str:
        return f"{request.base_url}{self.prefix}/{self.organization}/"

    def _route(self, request: Request) -> Response:
        rest = request.path[len(self.prefix):]
        segments = [unquote(s) for s in rest.strip("/").split("/")] if rest.strip("/") else []
        if not segments or segments[0].lower() != self.organization.lower():
            raise _Fail(404, f"TF400898: organization '{segments[0] if segments else ''}' not found.",
                        "HostNotFoundException", area="Vss")
        segments = segments[1:]
        low = [s.lower() for s in segments]
        query = {k: v[0] for k, v in parse_qs(request.query_string, keep_blank_values=True).items()}
        method = request.method.upper()
        if low == ["_apis"] and method == "OPTIONS":
            return self._options()
        if low[:2] == ["_apis", "resourceareas"]:
            return self._resource_areas(request, segments[2] if len(segments) > 2 else None)
        if low == ["_apis", "connectiondata"]:
            return Response.json_body(200, self._connection_data(request))
        # {project}/_apis/git/... or _apis/git/... (repository id only)
        if low[:2] == ["_apis", "git"]:
            project, tail = None, segments[2:]
        elif len(low) >= 3 and low[1:3] == ["_apis", "git"]:
            project, tail = segments[0], segments[3:]
        else:
            raise _Fail(404, "The requested REST API is not supported by this emulator: " + request.path,
                        "ApiResourceNotFoundException", area="Vss")
        version = _api_version(request, query)
        if version is None:
            raise _Fail(400, f'No api-version was supplied for the "{method}" request. The version must be supplied '
                        'either as part of the Accept header (e.g. "application/json; api-version=1.0") or as a '
                        "query parameter (e.g. '?api-version=1.0').", "VssVersionNotSpecifiedException", area="Vss")
        tail_low = [s.lower() for s in tail]
        if tail_low[:1] == ["pullrequests"] and len(tail) == 2 and method == "GET":
            pr = self.pull_requests.get(int(tail[1])) if tail[1].isdigit() else None
            if pr is None:
                raise _Fail(404, "TF401180: The requested pull request was not found.", "GitPullRequestNotFoundException")
            return Response.json_body(200, self._pr_json(request, pr))
        if tail_low[:1] != ["repositories"] or len(tail) < 2:
            raise _Fail(404, "The requested REST API is not supported by this emulator: " + request.path,
                        "ApiResourceNotFoundException", area="Vss")
        repo = self._find_repo(project, tail[1])
        sub, sub_low = tail[2:], tail_low[2:]
        if not sub:
            return Response.json_body(200, self._repo_json(request, repo))
        handler = self._dispatch(sub_low, method)
        return handler(request, repo, sub, query)

    def _dispatch(self, sub: list[str], method: str) -> Callable[[Request, _Repo, list[str], dict[str, str]], Response]:
        table: dict[tuple[str, int, str], Callable[..., Response]] = {
            ("refs", 1, "GET"): self._get_refs,
            ("refs", 1, "POST"): self._update_refs,
            ("items", 1, "GET"): self._get_items,
            ("blobs", 2, "GET"): self._get_blob,
            ("pushes", 1, "POST"): self._create_push,
            ("pushes", 1, "GET"): self._list_pushes,
            ("commits", 2, "GET"): self._get_commit,
            ("pullrequests", 1, "GET"): self._list_prs,
            ("pullrequests", 1, "POST"): self._create_pr,
            ("pullrequests", 2, "GET"): self._get_pr,
            ("pullrequests", 2, "PATCH"): self._update_pr,
            ("pullrequests", 3, "GET"): self._pr_children,
            ("pullrequests", 3, "POST"): self._pr_children,
            ("pullrequests", 3, "PATCH"): self._pr_children,
            ("pullrequests", 3, "DELETE"): self._pr_children,
        }
        depth = min(len(sub), 3) if sub[0] == "pullrequests" else min(len(sub), 2)
        if sub[0] in ("refs", "items"):
            depth = 1
        handler = table.get((sub[0], depth, method))
        if handler is None:
            raise _Fail(405 if any(k[0] == sub[0] for k in table) else 404,
                        f"The requested resource does not support http method '{method}'.",
                        "ApiResourceNotFoundException", area="Vss")
        return handler

    def _options(self) -> Response:
        value = [
            {"id": lid, "area": area, "resourceName": res, "routeTemplate": tpl, "resourceVersion": rv,
             "minVersion": 1.0, "maxVersion": 7.1, "releasedVersion": "7.0"}
            for lid, area, res, tpl, rv in LOCATIONS
        ]
        return Response.json_body(200, {"count": len(value), "value": value})

    def _resource_areas(self, request: Request, area_id: str | None) -> Response:
        areas = [
            {"id": GIT_AREA_ID, "name": "git", "locationUrl": self._org_url(request)},
            {"id": "00d9565f-ed9c-4a06-9a50-00e7896ccab4", "name": "Location", "locationUrl": self._org_url(request)},
        ]
        if area_id is None:
            return Response.json_body(200, {"count": len(areas), "value": areas})
        for area in areas:
            if area["id"] == area_id.lower():
                return Response.json_body(200, area)
        raise _Fail(404, f"Resource area {area_id} not found.", "ResourceAreaNotFoundException", area="Vss")

    def _connection_data(self, request: Request) -> dict[str, Any]:
        user = {"id": _SERVICE_IDENTITY_ID, "descriptor": "Microsoft.TeamFoundation.ServiceIdentity;build:emulator",
                "providerDisplayName": "Project Build Service (org)", "isActive": True}
        return {"authenticatedUser": user, "authorizedUser": user,
                "instanceId": str(uuid.uuid5(uuid.NAMESPACE_URL, self.organization)),
                "locationServiceData": {"serviceOwner": "00025394-6065-48ca-87d9-7f5672854ef7",
                                        "defaultAccessMappingMoniker": "PublicAccessMapping"}}

    def _find_repo(self, project: str | None, key: str) -> _Repo:
        for repo in self.repos.values():
            if project is not None and project.lower() not in (repo.project.lower(), self.projects[repo.project]):
                continue
            if key.lower() in (repo.repo_id, repo.name.lower()):
                return repo
        if project is not None and project.lower() not in {p.lower() for p in self.projects} | set(self.projects.values()):
            raise _Fail(404, f"TF200016: The following project does not exist: {project}. Verify that the name of the "
                        "project is correct and that the project exists on the specified Azure DevOps Server.",
                        "ProjectDoesNotExistWithNameException", area="Vss")
        raise _Fail(404, f"TF401019: The Git repository with name or identifier {key} does not exist or you do not "
                    "have permissions for the operation you are attempting.", "GitRepositoryNotFoundException")

    def _repo_by_any(self, key: str) -> _Repo:
        for repo in self.repos.values():
            if key.lower() in (repo.repo_id, repo.name.lower()):
                return repo
        raise KeyError(key)

    def _repo_json(self, request: Request, repo: _Repo) -> dict[str, Any]:
        org = self._org_url(request)
        body: dict[str, Any] = {
            "id": repo.repo_id,
            "name": repo.name,
            "url": f"{org}{self.projects[repo.project]}/_apis/git/repositories/{repo.repo_id}",
            "project": {"id": self.projects[repo.project], "name": repo.project, "state": "wellFormed"},
            "remoteUrl": f"{org}{quote(repo.project)}/_git/{quote(repo.name)}",
            "webUrl": f"{org}{quote(repo.project)}/_git/{quote(repo.name)}",
            "size": sum(len(b) for b in repo.blobs.values()),
            "isDisabled": False,
        }
        if repo.default_branch:
            body["defaultBranch"] = repo.default_branch
        return body

    def _deny(self, permission: str) -> None:
        if permission in self.denied:
            raise _Fail(403, f"TF401027: {_PERMISSION_TEXT[permission]} Details: identity 'Build\\{_SERVICE_IDENTITY_ID}', "
                        "scope 'repository'.", "GitNeedsPermissionException")

    def _new_commit(self, repo: _Repo, files: dict[str, str], parents: tuple[str, ...], comment: str) -> str:
        self._clock += 1
        date = f"{1700000000 + self._clock} +0000"
        commit_id = _commit_id(_tree_id(files), parents, comment, date)
        repo.commits[commit_id] = _Commit(commit_id, files, parents, comment, _now())
        return commit_id

    # ------------------------------------------------------------------ refs
    def _get_refs(self, request: Request, repo: _Repo, sub: list[str], query: dict[str, str]) -> Response:
        wanted = query.get("filter") or "/".join(sub[1:])
        refs = [
            {"name": name, "objectId": oid, "url": f"{self._org_url(request)}_apis/git/repositories/{repo.repo_id}/refs?filter={name[5:]}"}
            for name, oid in sorted(repo.refs.items())
            if not wanted or name[len("refs/"):].startswith(wanted) or name.startswith(wanted)
        ]
        return Response.json_body(200, {"value": refs, "count": len(refs)})

    def _update_refs(self, request: Request, repo: _Repo, sub: list[str], query: dict[str, str]) -> Response:
        updates = request.json() or []
        results = []
        for update in updates:
            name, old, new = update["name"], update.get("oldObjectId", ZERO_ID), update.get("newObjectId", ZERO_ID)
            current = repo.refs.get(name, ZERO_ID)
            status = "succeeded"
            if current != old:
                status = "staleOldObjectId"
            elif new != ZERO_ID and new not in repo.commits:
                status = "invalidRefName"
            elif current == ZERO_ID:
                self._deny("CreateBranch")
            else:
                self._deny("GenericContribute")
            if status == "succeeded":
                if new == ZERO_ID:
                    repo.refs.pop(name, None)
                else:
                    repo.refs[name] = new
            results.append({"repositoryId": repo.repo_id, "name": name, "oldObjectId": old, "newObjectId": new,
                            "isLocked": False, "updateStatus": status, "success": status == "succeeded",
                            "rejectedBy": None, "customMessage": None})
        return Response.json_body(200, {"value": results, "count": len(results)})

    # ------------------------------------------------------------------ items, blobs, commits
    def _resolve_version(self, repo: _Repo, query: dict[str, str]) -> str:
        version = query.get("versionDescriptor.version") or query.get("version")
        kind = (query.get("versionDescriptor.versionType") or query.get("versionType") or "branch").lower()
        if not version:
            if not repo.default_branch or repo.default_branch not in repo.refs:
                raise _Fail(404, "TF401174: The item could not be found: the repository is empty.", "GitItemNotFoundException")
            return repo.refs[repo.default_branch]
        if kind == "commit":
            if version not in repo.commits:
                raise _Fail(404, f"TF401175: The version descriptor <Commit: {version}> could not be resolved to a "
                            "version in the repository.", "GitUnresolvableToCommitException")
            return version
        ref = repo.refs.get(_ref_name(version))
        if ref is None:
            raise _Fail(404, f"TF401175: The version descriptor <Branch: {version}> could not be resolved to a version "
                        "in the repository.", "GitUnresolvableToCommitException")
        return ref

    def _get_items(self, request: Request, repo: _Repo, sub: list[str], query: dict[str, str]) -> Response:
        commit_id = self._resolve_version(repo, query)
        files = repo.commits[commit_id].files
        org = self._org_url(request)
        accept = request.header("accept") or ""
        single = query.get("path") or ("/" + "/".join(sub[1:]) if len(sub) > 1 else None)
        if single is not None:
            path = single.strip("/")
            if path in files:
                data = repo.blobs[files[path]]
                if "application/octet-stream" in accept or query.get("download", "").lower() == "true" \
                        or query.get("$format", "").lower() == "octetstream":
                    return Response(200, data, {"Content-Type": "application/octet-stream"})
                item = {"objectId": files[path], "gitObjectType": "blob", "commitId": commit_id, "path": "/" + path}
                if query.get("includeContent", "").lower() == "true":
                    item["content"] = data.decode("utf-8", errors="replace")
                return Response.json_body(200, item)
            if "application/octet-stream" in accept or not any(p.startswith(path + "/") for p in files):
                raise _Fail(404, f"TF401174: The item '/{path}' could not be found in the repository '{repo.name}' at "
                            f"the version specified by '<Commit: {commit_id[:8]} >'.", "GitItemNotFoundException")
        scope = (query.get("scopePath") or single or "/").strip("/")
        level = (query.get("recursionLevel") or "none").lower()
        items: list[dict[str, Any]] = []
        if scope and scope in files:
            items.append({"objectId": files[scope], "gitObjectType": "blob", "commitId": commit_id, "path": "/" + scope,
                          "url": f"{org}_apis/git/repositories/{repo.repo_id}/items?path=/{quote(scope)}"})
            return Response.json_body(200, {"count": 1, "value": items})
        prefix = scope + "/" if scope else ""
        if scope and not any(p.startswith(prefix) for p in files):
            raise _Fail(404, f"TF401174: The item '/{scope}' could not be found in the repository '{repo.name}' at the "
                        f"version specified by '<Commit: {commit_id[:8]} >'.", "GitItemNotFoundException")
        folders: set[str] = {scope}
        blobs: list[str] = []
        for path in sorted(files):
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix):].split("/")
            depth = len(rest)
            if level == "none":
                continue
            if level == "onelevel" and depth > 1:
                folders.add(prefix + rest[0])
                continue
            for i in range(1, depth):
                folders.add(prefix + "/".join(rest[:i]))
            blobs.append(path)
        for folder in sorted(folders):
            items.append({"objectId": _tree_id(files, folder), "gitObjectType": "tree", "commitId": commit_id,
                          "path": "/" + folder, "isFolder": True,
                          "url": f"{org}_apis/git/repositories/{repo.repo_id}/items?path=/{quote(folder)}"})
        for path in blobs:
            items.append({"objectId": files[path], "gitObjectType": "blob", "commitId": commit_id, "path": "/" + path,
                          "url": f"{org}_apis/git/repositories/{repo.repo_id}/items?path=/{quote(path)}"})
        items.sort(key=lambda i: i["path"])
        return Response.json_body(200, {"count": len(items), "value": items})

    def _get_blob(self, request: Request, repo: _Repo, sub: list[str], query: dict[str, str]) -> Response:
        sha = sub[1].lower()
        data = repo.blobs.get(sha)
        if data is None:
            raise _Fail(404, f"TF401028: The blob {sha} could not be found.", "GitObjectNotFoundException")
        accept = request.header("accept") or ""
        if "application/octet-stream" in accept or query.get("$format", "").lower() == "octetstream" \
                or query.get("download", "").lower() == "true":
            return Response(200, data, {"Content-Type": "application/octet-stream"})
        return Response.json_body(200, {"objectId": sha, "size": len(data),
                                        "url": f"{self._org_url(request)}_apis/git/repositories/{repo.repo_id}/blobs/{sha}"})

    def _commit_json(self, request: Request, repo: _Repo, commit_id: str) -> dict[str, Any]:
        commit = repo.commits[commit_id]
        person = {"name": "Project Build Service (org)", "email": "build@emulator", "date": commit.date}
        return {"commitId": commit_id, "comment": commit.comment, "parents": list(commit.parents),
                "author": person, "committer": person,
                "url": f"{self._org_url(request)}_apis/git/repositories/{repo.repo_id}/commits/{commit_id}"}

    def _get_commit(self, request: Request, repo: _Repo, sub: list[str], query: dict[str, str]) -> Response:
        if sub[1] not in repo.commits:
            raise _Fail(404, f"TF401175: The commit {sub[1]} could not be found.", "GitUnresolvableToCommitException")
        return Response.json_body(200, self._commit_json(request, repo, sub[1]))

    # ------------------------------------------------------------------ pushes
    def _list_pushes(self, request: Request, repo: _Repo, sub: list[str], query: dict[str, str]) -> Response:
        return Response.json_body(200, {"count": len(repo.pushes), "value": repo.pushes})

    def _create_push(self, request: Request, repo: _Repo, sub: list[str], query: dict[str, str]) -> Response:
        if len(request.body) > self.max_push_bytes:
            raise _Fail(413, f"TF402488: The push exceeds the maximum size of {self.max_push_bytes} bytes allowed "
                        "for a push through the REST API.", "GitPushTooLargeException")
        try:
            push = request.json() or {}
        except ValueError:
            raise _Fail(400, "The request body is not valid JSON.", "InvalidArgumentValueException", area="Vss") from None
        ref_updates = push.get("refUpdates") or []
        commits = push.get("commits") or []
        if len(ref_updates) != 1:
            raise _Fail(400, "A push through the REST API must update exactly one ref.", "InvalidArgumentValueException")
        name = ref_updates[0].get("name", "")
        old = (ref_updates[0].get("oldObjectId") or ZERO_ID).lower()
        current = repo.refs.get(name)
        branch = name[len("refs/heads/"):]
        if branch in self.protected_branches:
            raise _Fail(403, "TF402455: Pushes to this branch are not permitted; you must use a pull request to "
                        "update this branch.", "GitPushRejectedByPolicyException")
        if current is not None:
            self._deny("GenericContribute")
            if current != old:
                raise _Fail(409, f"TF401028: The reference '{name}' has already been updated by another client, so you "
                            "cannot update it. Please try again.", "GitReferenceStaleException")
            parent: str | None = current
        else:
            self._deny("CreateBranch")
            self._deny("GenericContribute")
            if old != ZERO_ID and old not in repo.commits:
                raise _Fail(400, f"TF401035: The object '{old}' does not exist.", "GitObjectNotFoundException")
            parent = None if old == ZERO_ID else old
        files = dict(repo.commits[parent].files) if parent else {}
        new_blobs: dict[str, bytes] = {}
        created: list[str] = []
        for commit in commits:
            explicit = commit.get("parents")
            if explicit:
                parent = explicit[0]
                files = dict(repo.commits[parent].files)
            for change in commit.get("changes") or []:
                self._apply_change(files, new_blobs, change)
            commit_id = self._new_commit(repo, dict(files), (parent,) if parent else (), commit.get("comment", ""))
            created.append(commit_id)
            parent = commit_id
        if not created:
            raise _Fail(400, "The push contains no commits.", "InvalidArgumentValueException")
        repo.blobs.update(new_blobs)
        repo.refs[name] = created[-1]
        if repo.default_branch is None:
            repo.default_branch = name
        org = self._org_url(request)
        result = {
            "pushId": len(repo.pushes) + 1,
            "date": _now(),
            "pushedBy": {"id": _SERVICE_IDENTITY_ID, "displayName": "Project Build Service (org)"},
            "commits": [self._commit_json(request, repo, c) for c in created],
            "refUpdates": [{"repositoryId": repo.repo_id, "name": name, "oldObjectId": current or ZERO_ID,
                            "newObjectId": created[-1]}],
            "repository": self._repo_json(request, repo),
            "url": f"{org}_apis/git/repositories/{repo.repo_id}/pushes/{len(repo.pushes) + 1}",
        }
        repo.pushes.append({k: result[k] for k in ("pushId", "date", "pushedBy", "url")})
        return Response.json_body(201, result)

    def _apply_change(self, files: dict[str, str], new_blobs: dict[str, bytes], change: Mapping[str, Any]) -> None:
        kind = str(change.get("changeType", "")).lower()
        path = str((change.get("item") or {}).get("path", "")).strip("/")
        if not path:
            raise _Fail(400, "A change must name an item path.", "InvalidArgumentValueException")
        if kind in ("add", "edit"):
            content = change.get("newContent") or {}
            ctype = str(content.get("contentType", "rawtext")).lower()
            text = content.get("content", "")
            if ctype == "base64encoded":
                try:
                    data = base64.b64decode(text, validate=True)
                except ValueError:
                    raise _Fail(400, f"The content of '/{path}' is not valid base64.",
                                "InvalidArgumentValueException") from None
            elif ctype == "rawtext":
                data = str(text).encode("utf-8")
            else:
                raise _Fail(400, f"Unknown contentType '{ctype}'.", "InvalidArgumentValueException")
            exists = path in files or any(p.casefold() == path.casefold() for p in files)
            if kind == "add" and exists:
                raise _Fail(400, f"TF402456: The path '/{path}' specified in the add operation already exists. "
                            "Please specify a new path.", "GitPathAlreadyExistsException")
            if kind == "edit" and path not in files:
                raise _Fail(400, f"TF402457: The path '/{path}' specified in the edit operation does not exist.",
                            "GitItemNotFoundException")
            oid = git_blob_id(data)
            new_blobs[oid] = data
            files[path] = oid
        elif kind == "delete":
            if path not in files:
                raise _Fail(400, f"TF402457: The path '/{path}' specified in the delete operation does not exist.",
                            "GitItemNotFoundException")
            del files[path]
        elif kind == "rename":
            source = str(change.get("sourceServerItem", "")).strip("/")
            if source not in files:
                raise _Fail(400, f"The source '/{source}' of the rename does not exist.", "GitItemNotFoundException")
            files[path] = files.pop(source)
        else:
            raise _Fail(400, f"Unsupported changeType '{kind}'.", "InvalidArgumentValueException")

    # ------------------------------------------------------------------ pull requests
    def _pr_json(self, request: Request, pr: _PullRequest) -> dict[str, Any]:
        repo = self.repos[pr.repo_id]
        org = self._org_url(request)
        body: dict[str, Any] = {
            "repository": {"id": repo.repo_id, "name": repo.name,
                           "project": {"id": self.projects[repo.project], "name": repo.project},
                           "url": f"{org}_apis/git/repositories/{repo.repo_id}"},
            "pullRequestId": pr.pr_id,
            "codeReviewId": pr.pr_id,
            "status": pr.status,
            "createdBy": {"id": _SERVICE_IDENTITY_ID, "displayName": "Project Build Service (org)",
                          "uniqueName": "Build\\" + _SERVICE_IDENTITY_ID},
            "creationDate": pr.created,
            "title": pr.title,
            "description": pr.description,
            "sourceRefName": pr.source,
            "targetRefName": pr.target,
            "mergeStatus": "succeeded" if pr.status == "completed" else "queued",
            "isDraft": pr.is_draft,
            "mergeId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"merge:{pr.pr_id}")),
            "reviewers": pr.reviewers,
            "labels": [{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"label:{n}")), "name": n, "active": True} for n in pr.labels],
            "url": f"{org}{self.projects[repo.project]}/_apis/git/repositories/{repo.repo_id}/pullRequests/{pr.pr_id}",
            "supportsIterations": True,
        }
        tip = repo.refs.get(pr.source)
        if tip:
            body["lastMergeSourceCommit"] = {"commitId": tip}
        target_tip = repo.refs.get(pr.target)
        if target_tip:
            body["lastMergeTargetCommit"] = {"commitId": target_tip}
        if pr.work_items:
            body["workItemRefs"] = [{"id": w, "url": f"{org}_apis/wit/workItems/{w}"} for w in pr.work_items]
        if pr.auto_complete_by:
            body["autoCompleteSetBy"] = {"id": pr.auto_complete_by}
        if pr.completion_options is not None:
            body["completionOptions"] = pr.completion_options
        if pr.merge_commit:
            body["lastMergeCommit"] = {"commitId": pr.merge_commit}
            body["closedDate"] = _now()
        return body

    def _repo_pr(self, repo: _Repo, key: str) -> _PullRequest:
        pr = self.pull_requests.get(int(key)) if key.isdigit() else None
        if pr is None or pr.repo_id != repo.repo_id:
            raise _Fail(404, "TF401180: The requested pull request was not found.", "GitPullRequestNotFoundException")
        return pr

    def _list_prs(self, request: Request, repo: _Repo, sub: list[str], query: dict[str, str]) -> Response:
        status = (query.get("searchCriteria.status") or "active").lower()
        source = query.get("searchCriteria.sourceRefName")
        target = query.get("searchCriteria.targetRefName")
        found = [
            self._pr_json(request, pr)
            for pr in sorted(self.pull_requests.values(), key=lambda p: -p.pr_id)
            if pr.repo_id == repo.repo_id
            and (status == "all" or pr.status == status)
            and (source is None or pr.source == source)
            and (target is None or pr.target == target)
        ]
        top = int(query.get("$top", len(found)) or len(found))
        found = found[int(query.get("$skip", 0) or 0):][:top]
        return Response.json_body(200, {"value": found, "count": len(found)})

    def _create_pr(self, request: Request, repo: _Repo, sub: list[str], query: dict[str, str]) -> Response:
        self._deny("PullRequestContribute")
        body = request.json() or {}
        source, target = body.get("sourceRefName", ""), body.get("targetRefName", "")
        if source not in repo.refs or target not in repo.refs:
            raise _Fail(400, "TF401398: The pull request cannot be activated because the source and/or the target "
                        "branch no longer exists, or the requested refs are not branches", "InvalidArgumentValueException")
        if source == target:
            raise _Fail(400, "TF401401: The source and target branch of a pull request must be different.",
                        "InvalidArgumentValueException")
        for pr in self.pull_requests.values():
            if pr.repo_id == repo.repo_id and pr.status == "active" and pr.source == source and pr.target == target:
                raise _Fail(409, "TF401179: An active pull request for the source and target branch already exists.",
                            "GitPullRequestExistsException")
        title = body.get("title") or ""
        description = body.get("description") or ""
        if not title:
            raise _Fail(400, "The pull request title is required.", "InvalidArgumentValueException")
        if len(title) > 400:
            raise _Fail(400, "TF401182: The title of a pull request cannot be longer than 400 characters.",
                        "InvalidArgumentValueException")
        if len(description) > 4000:
            raise _Fail(400, "TF401181: The description of a pull request cannot be longer than 4000 characters.",
                        "InvalidArgumentValueException")
        pr = _PullRequest(self._next_pr, repo.repo_id, source, target, title, description,
                          bool(body.get("isDraft")), _now())
        self._next_pr += 1
        for reviewer in body.get("reviewers") or []:
            pr.reviewers.append({"id": reviewer.get("id"), "vote": 0, "isRequired": bool(reviewer.get("isRequired")),
                                 "hasDeclined": False, "isFlagged": False})
        pr.work_items = [str(w.get("id")) for w in body.get("workItemRefs") or []]
        pr.labels = [str(label.get("name")) for label in body.get("labels") or [] if label.get("name")]
        # as on the service, autoCompleteSetBy/completionOptions are ignored on create
        self.pull_requests[pr.pr_id] = pr
        return Response.json_body(201, self._pr_json(request, pr))

    def _get_pr(self, request: Request, repo: _Repo, sub: list[str], query: dict[str, str]) -> Response:
        return Response.json_body(200, self._pr_json(request, self._repo_pr(repo, sub[1])))

    def _update_pr(self, request: Request, repo: _Repo, sub: list[str], query: dict[str, str]) -> Response:
        self._deny("PullRequestContribute")
        pr = self._repo_pr(repo, sub[1])
        body = request.json() or {}
        if pr.status != "active" and body.get("status") not in (None, "active"):
            raise _Fail(400, f"TF401181: The pull request {pr.pr_id} is {pr.status} and cannot be updated.",
                        "InvalidArgumentValueException")
        if "title" in body and body["title"] is not None:
            pr.title = body["title"]
        if "description" in body and body["description"] is not None:
            if len(body["description"]) > 4000:
                raise _Fail(400, "TF401181: The description of a pull request cannot be longer than 4000 characters.",
                            "InvalidArgumentValueException")
            pr.description = body["description"]
        if body.get("isDraft") is not None:
            pr.is_draft = bool(body["isDraft"])
        if "completionOptions" in body and body["completionOptions"] is not None:
            pr.completion_options = dict(body["completionOptions"])
        if body.get("autoCompleteSetBy") is not None:
            pr.auto_complete_by = (body["autoCompleteSetBy"] or {}).get("id")
        status = body.get("status")
        if status == "abandoned":
            pr.status = "abandoned"
        elif status == "completed":
            self._complete(pr, bool((pr.completion_options or {}).get("deleteSourceBranch")))
        return Response.json_body(200, self._pr_json(request, pr))

    def _complete(self, pr: _PullRequest, delete_source: bool) -> None:
        repo = self.repos[pr.repo_id]
        source_tip, target_tip = repo.refs[pr.source], repo.refs[pr.target]
        merged = self._new_commit(repo, dict(repo.commits[source_tip].files), (target_tip,),
                                  f"Merged PR {pr.pr_id}: {pr.title}")
        repo.refs[pr.target] = merged
        pr.merge_commit, pr.status = merged, "completed"
        if delete_source:
            repo.refs.pop(pr.source, None)

    def _pr_children(self, request: Request, repo: _Repo, sub: list[str], query: dict[str, str]) -> Response:
        pr = self._repo_pr(repo, sub[1])
        what = sub[2].lower()
        if what == "threads":
            return self._threads(request, repo, pr, sub[3:])
        if what == "labels":
            if request.method.upper() not in ("GET", "POST"):
                raise _Fail(405, f"The requested resource does not support http method '{request.method.upper()}'.",
                            "ApiResourceNotFoundException", area="Vss")
            if request.method.upper() == "GET":
                labels = self._pr_json(request, pr)["labels"]
                return Response.json_body(200, {"count": len(labels), "value": labels})
            self._deny("PullRequestContribute")
            name = str((request.json() or {}).get("name", ""))
            if name and name not in pr.labels:
                pr.labels.append(name)
            return Response.json_body(200, {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"label:{name}")), "name": name,
                                            "active": True})
        raise _Fail(404, "The requested REST API is not supported by this emulator.", "ApiResourceNotFoundException",
                    area="Vss")


    # ------------------------------------------------------------------ pull request threads and comments
    # Pull Request Threads (List, Create, Get, Update) and Pull Request Thread Comments (List, Create,
    # Get, Update, Delete), REST 7.1. Shapes follow the reference's examples: a thread carries
    # ``pullRequestThreadContext``, ``threadContext``, ``properties`` (a PropertiesCollection:
    # ``{"key": {"$type": ..., "$value": ...}}``), ``isDeleted`` and ``_links``; ``status`` is a name
    # and absent while unknown (system threads); comment ids start at 1 in each thread; a deleted
    # comment keeps its id, loses its content and reads ``isDeleted: true``.
    def _threads(self, request: Request, repo: _Repo, pr: _PullRequest, rest: list[str]) -> Response:
        method = request.method.upper()
        if not rest:
            if method == "GET":
                value = [self._thread_json(request, repo, pr, t) for t in pr.threads]
                return Response.json_body(200, {"value": value, "count": len(value)})
            if method == "POST":
                return self._create_thread(request, repo, pr)
            raise _Fail(405, f"The requested resource does not support http method '{method}'.",
                        "ApiResourceNotFoundException", area="Vss")
        thread = self._thread(pr, rest[0])
        if len(rest) == 1:
            if method == "GET":
                return Response.json_body(200, self._thread_json(request, repo, pr, thread))
            if method == "PATCH":
                return self._update_thread(request, repo, pr, thread)
            raise _Fail(405, f"The requested resource does not support http method '{method}'.",
                        "ApiResourceNotFoundException", area="Vss")
        if rest[1].lower() != "comments" or len(rest) > 3:
            raise _Fail(404, "The requested REST API is not supported by this emulator: " + request.path,
                        "ApiResourceNotFoundException", area="Vss")
        if len(rest) == 2:
            if method == "GET":
                value = [self._comment_json(request, repo, pr, thread, c) for c in thread["comments"]]
                return Response.json_body(200, {"value": value, "count": len(value)})
            if method == "POST":
                self._deny("PullRequestContribute")
                comment = self._add_comment(thread, request.json() or {})
                thread["lastUpdatedDate"] = comment["lastUpdatedDate"]
                return Response.json_body(200, self._comment_json(request, repo, pr, thread, comment))
            raise _Fail(405, f"The requested resource does not support http method '{method}'.",
                        "ApiResourceNotFoundException", area="Vss")
        comment = self._comment(thread, rest[2])
        if method == "GET":
            return Response.json_body(200, self._comment_json(request, repo, pr, thread, comment))
        if method == "PATCH":
            self._deny("PullRequestContribute")
            if comment.get("isDeleted"):
                raise _Fail(400, f"The comment {comment['id']} of thread {thread['id']} was deleted and cannot be "
                            "updated.", "InvalidArgumentValueException")
            body = request.json() or {}
            if body.get("content") is not None:
                content = _comment_content(body["content"])
                now = _now()
                if content != comment.get("content"):
                    comment["lastContentUpdatedDate"] = now
                comment["content"] = content
                comment["lastUpdatedDate"] = thread["lastUpdatedDate"] = now
            return Response.json_body(200, self._comment_json(request, repo, pr, thread, comment))
        if method == "DELETE":
            self._deny("PullRequestContribute")
            comment.pop("content", None)
            comment["isDeleted"] = True
            comment["lastUpdatedDate"] = thread["lastUpdatedDate"] = _now()
            thread["isDeleted"] = all(c.get("isDeleted") for c in thread["comments"])
            return Response(200, b"", {"Content-Type": "application/json; charset=utf-8"})
        raise _Fail(405, f"The requested resource does not support http method '{method}'.",
                    "ApiResourceNotFoundException", area="Vss")

    def _create_thread(self, request: Request, repo: _Repo, pr: _PullRequest) -> Response:
        self._deny("PullRequestContribute")
        body = request.json() or {}
        comments = body.get("comments") or []
        if not comments:
            raise _Fail(400, "A thread must be created with at least one comment.", "InvalidArgumentValueException")
        now = _now()
        thread: dict[str, Any] = {"id": self._next_thread, "publishedDate": now, "lastUpdatedDate": now,
                                  "comments": [], "isDeleted": False,
                                  "threadContext": body.get("threadContext"),
                                  "pullRequestThreadContext": body.get("pullRequestThreadContext"),
                                  "properties": _properties(body.get("properties"))}
        status = _thread_status(body.get("status"))
        if status not in (None, "unknown"):
            thread["status"] = status
        for comment in comments:
            self._add_comment(thread, comment)
        self._next_thread += 1
        pr.threads.append(thread)
        return Response.json_body(200, self._thread_json(request, repo, pr, thread))

    def _update_thread(self, request: Request, repo: _Repo, pr: _PullRequest, thread: dict[str, Any]) -> Response:
        """Threads - Update: the status and properties change; comments are changed through their own API."""
        self._deny("PullRequestContribute")
        body = request.json() or {}
        status = _thread_status(body.get("status"))
        if status is not None:
            if status == "unknown":
                thread.pop("status", None)
            else:
                thread["status"] = status
        if body.get("properties"):
            thread["properties"].update(_properties(body["properties"]))
        thread["lastUpdatedDate"] = _now()
        return Response.json_body(200, self._thread_json(request, repo, pr, thread))

    def _add_comment(self, thread: dict[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
        if len(thread["comments"]) >= MAX_COMMENTS_PER_THREAD:
            raise _Fail(400, f"A thread can hold up to {MAX_COMMENTS_PER_THREAD} comments.",
                        "InvalidArgumentValueException")
        ctype = body.get("commentType", 1)
        if isinstance(ctype, int):
            ctype = _COMMENT_TYPE.get(ctype, "unknown")
        parent = int(body.get("parentCommentId") or 0)
        if parent and not any(c["id"] == parent for c in thread["comments"]):
            raise _Fail(400, f"The parent comment {parent} does not exist in thread {thread['id']}.",
                        "InvalidArgumentValueException")
        now = _now()
        comment = {"id": len(thread["comments"]) + 1, "parentCommentId": parent,
                   "content": _comment_content(body.get("content") or ""), "publishedDate": now,
                   "lastUpdatedDate": now, "lastContentUpdatedDate": now, "commentType": str(ctype),
                   "usersLiked": []}
        thread["comments"].append(comment)
        return comment

    def _thread(self, pr: _PullRequest, key: str) -> dict[str, Any]:
        thread = next((t for t in pr.threads if key.isdigit() and t["id"] == int(key)), None)
        if thread is None:
            raise _Fail(404, f"The thread {key} of pull request {pr.pr_id} was not found.",
                        "CommentThreadNotFoundException")
        return thread

    def _comment(self, thread: dict[str, Any], key: str) -> dict[str, Any]:
        comment = next((c for c in thread["comments"] if key.isdigit() and c["id"] == int(key)), None)
        if comment is None:
            raise _Fail(404, f"The comment {key} of thread {thread['id']} was not found.", "CommentNotFoundException")
        return comment

    def _thread_json(self, request: Request, repo: _Repo, pr: _PullRequest, thread: dict[str, Any]) -> dict[str, Any]:
        base = f"{self._org_url(request)}_apis/git/repositories/{repo.repo_id}"
        body = {key: value for key, value in thread.items() if key != "comments"}
        body["comments"] = [self._comment_json(request, repo, pr, thread, c) for c in thread["comments"]]
        body["_links"] = {"self": {"href": f"{base}/pullRequests/{pr.pr_id}/threads/{thread['id']}"},
                          "repository": {"href": base}}
        return body

    def _comment_json(self, request: Request, repo: _Repo, pr: _PullRequest, thread: dict[str, Any],
                      comment: dict[str, Any]) -> dict[str, Any]:
        org = self._org_url(request)
        author = {"id": _SERVICE_IDENTITY_ID, "displayName": "Project Build Service (org)",
                  "uniqueName": "Build\\" + _SERVICE_IDENTITY_ID, "url": f"{org}_apis/Identities/{_SERVICE_IDENTITY_ID}"}
        base = f"{org}_apis/git/repositories/{repo.repo_id}/pullRequests/{pr.pr_id}/threads/{thread['id']}"
        return {**comment, "author": author, "_links": {"self": {"href": f"{base}/comments/{comment['id']}"}}}


def _ref_name(branch: str) -> str:
    return branch if branch.startswith("refs/") else f"refs/heads/{branch}"


def _api_version(request: Request, query: Mapping[str, str]) -> str | None:
    if query.get("api-version"):
        return query["api-version"]
    for part in (request.header("accept") or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "api-version" and value:
            return value.strip()
    return None


def _thread_status(value: Any) -> str | None:
    """A CommentThreadStatus from its number or (case-insensitive) name; None when not given."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if value in _THREAD_STATUS:
            return _THREAD_STATUS[value]
    elif isinstance(value, str):
        for name in _THREAD_STATUS.values():
            if name.lower() == value.strip().lower():
                return name
    raise _Fail(400, f"The thread status '{value}' is not valid: use one of {', '.join(_THREAD_STATUS.values())}.",
                "InvalidArgumentValueException")


def _comment_content(value: Any) -> str:
    text = str(value)
    if len(text) > MAX_COMMENT_CHARS:
        raise _Fail(400, f"The comment is {len(text)} characters long; comments can be up to {MAX_COMMENT_CHARS:,} "
                    "characters.", "InvalidArgumentValueException")
    return text


def _properties(value: Any) -> dict[str, Any]:
    """A PropertiesCollection as the service returns it: each value with its ``$type`` and ``$value``.

    Int32, Double and String keep their type; other primitives come back as strings (the reference's
    PropertiesCollection description). ``{"$type": ..., "$value": ...}`` values are kept as sent.
    """
    if not value:
        return {}
    if not isinstance(value, Mapping):
        raise _Fail(400, "Thread properties must be an object of key-value pairs.", "InvalidArgumentValueException")
    result: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, Mapping) and "$value" in item:
            result[str(key)] = {"$type": str(item.get("$type") or "System.String"), "$value": item["$value"]}
        elif isinstance(item, bool):
            result[str(key)] = {"$type": "System.String", "$value": str(item)}
        elif isinstance(item, int):
            result[str(key)] = {"$type": "System.Int32", "$value": item}
        elif isinstance(item, float):
            result[str(key)] = {"$type": "System.Double", "$value": item}
        elif isinstance(item, str):
            result[str(key)] = {"$type": "System.String", "$value": item}
        else:
            raise _Fail(400, f"The value of thread property '{key}' is not a primitive value.",
                        "InvalidArgumentValueException")
    return result
