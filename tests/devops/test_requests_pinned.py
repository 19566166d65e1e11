"""The exact REST calls of each scenario, pinned with ``responses`` (URLs, api-versions, bodies)."""

from __future__ import annotations

import hashlib
import re

import pytest
import responses
from responses import matchers
from msrest.authentication import BasicAuthentication

from apiops_core.devops import PullRequestOptions, RepoApi, connect_git, resolve_target, sync_pull_request
from apiops_core.errors import DevOpsError

ORG = "https://dev.azure.com/org"
REPO_ID = "11111111-2222-3333-4444-555555555555"
BASE = f"{ORG}/Proj/_apis/git/repositories/{REPO_ID}"
MAIN, TIP = "a" * 40, "b" * 40
BRANCH = "refs/heads/apiops/extract/svc"
V71 = "7.1-preview.1"
SPEC_OLD = b"openapi: 3.0.1\npaths:\n  /a:\n    get: {}\n"
SPEC_NEW = b"openapi: 3.0.1\npaths:\n  /a:\n    get: {}\n    post: {}\n"
CREATOR = "99999999-0000-0000-0000-000000000001"


def oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def accept(version: str = V71):
    return matchers.header_matcher({"Accept": f"application/json;api-version={version}"})


def _location(lid: str, area: str, resource: str, template: str, rv: int = 1) -> dict:
    return {"id": lid, "area": area, "resourceName": resource, "routeTemplate": template, "resourceVersion": rv,
            "minVersion": 1.0, "maxVersion": 7.1, "releasedVersion": "7.0"}


REPO_ROUTE = "{project}/_apis/{area}/repositories/{repositoryId}/{resource}"
LOCATIONS = [
    _location("e81700f7-3be2-46de-8624-2eb35882fcaa", "Location", "ResourceAreas", "_apis/{resource}/{areaId}"),
    _location("225f7195-f9c7-4d14-ab28-a83f7ff77e1f", "git", "repositories", "{project}/_apis/{area}/{resource}/{repositoryId}"),
    _location("2d874a60-a811-4f62-9c9f-963a6ea0a55b", "git", "refs", REPO_ROUTE + "/{*filter}"),
    _location("fb93c0db-47ed-4a31-8c20-47552878fb44", "git", "items", REPO_ROUTE + "/{*path}"),
    _location("7b28e929-2c99-405d-9c5c-6167a06e6816", "git", "blobs", REPO_ROUTE + "/{sha1}"),
    _location("ea98d07b-3c87-4971-8ede-a613694ffb55", "git", "pushes", REPO_ROUTE + "/{pushId}", 2),
    _location("9946fd70-0d40-406e-b686-b4744cbbcc37", "git", "pullRequests", REPO_ROUTE + "/{pullRequestId}"),
    _location("ab6e2e5d-a0b7-4153-b64a-a4efe0d49449", "git", "pullRequestThreads",
              "{project}/_apis/{area}/repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}"),
]


def discovery(rsps: responses.RequestsMock) -> None:
    rsps.add("OPTIONS", f"{ORG}/_apis", json={"count": len(LOCATIONS), "value": LOCATIONS})
    rsps.add("GET", f"{ORG}/_apis/ResourceAreas", json={"count": 1, "value": [
        {"id": "4e080c62-fa21-4fbc-8fef-2a10a2b38049", "name": "git", "locationUrl": ORG + "/"}]},
        match=[accept()])
    rsps.add("GET", f"{ORG}/Proj/_apis/git/repositories/apim", match=[accept()],
             json={"id": REPO_ID, "name": "apim", "webUrl": f"{ORG}/Proj/_git/apim"})


def ref(rsps, filter_: str, refs: list[tuple[str, str]]) -> None:
    rsps.add("GET", f"{BASE}/refs", match=[accept(), matchers.query_param_matcher({"filter": filter_})],
             json={"count": len(refs), "value": [{"name": n, "objectId": o} for n, o in refs]})


def items(rsps, commit: str, files: dict[str, bytes]) -> None:
    value = [{"path": "/artifacts", "gitObjectType": "tree", "isFolder": True, "objectId": "c" * 40}]
    value += [{"path": "/artifacts/" + p, "gitObjectType": "blob", "objectId": oid(d)} for p, d in files.items()]
    rsps.add("GET", f"{BASE}/items", match=[accept(), matchers.query_param_matcher({
        "scopePath": "/artifacts", "recursionLevel": "Full", "versionDescriptor.versionType": "commit",
        "versionDescriptor.version": commit})], json={"count": len(value), "value": value})


def active_prs(rsps, prs: list[dict]) -> None:
    rsps.add("GET", f"{BASE}/pullRequests", match=[accept(), matchers.query_param_matcher({
        "searchCriteria.sourceRefName": BRANCH, "searchCriteria.targetRefName": "refs/heads/main",
        "searchCriteria.status": "active"})], json={"count": len(prs), "value": prs})


def pushed(rsps, old: str, comment: str, changes: list[dict], new: str = "d" * 40) -> None:
    body = {"refUpdates": [{"name": BRANCH, "oldObjectId": old}], "commits": [{"comment": comment, "changes": changes}]}
    rsps.add("POST", f"{BASE}/pushes", match=[accept("7.1-preview.2"), matchers.json_params_matcher(body)], status=201,
             json={"pushId": 1, "commits": [{"commitId": new}], "refUpdates": [{"name": BRANCH, "newObjectId": new}]})


def pr_json(pr_id: int = 7) -> dict:
    return {"pullRequestId": pr_id, "status": "active", "title": "APIOps: artifacts extracted from svc",
            "createdBy": {"id": CREATOR}}


def run(local: dict[str, bytes], owns=lambda p: True, **options):
    target = resolve_target({}, organization=ORG, project="Proj", repository="apim")
    git = connect_git(target, BasicAuthentication("", "pat"))
    return sync_pull_request(RepoApi(git, "Proj", "apim"), local,
                             PullRequestOptions(service_name="svc", repo_path="artifacts", **options), owns=owns)


def calls(rsps) -> list[str]:
    return [f"{c.request.method} {c.request.url.replace(ORG, '')}" for c in rsps.calls]


OLD = {"apis/a/apiInformation.json": b'{"properties": {}}\n', "apis/a/specification.yaml": SPEC_OLD,
       "apis/gone/apiInformation.json": b"{}"}
NEW = {"apis/a/apiInformation.json": b'{"properties": {}}\n', "apis/a/specification.yaml": SPEC_NEW,
       "products/p/productInformation.json": b"\xff\x00binary"}


def test_first_extraction_creates_branch_and_pull_request():
    with responses.RequestsMock() as rsps:
        discovery(rsps)
        ref(rsps, "heads/main", [("refs/heads/main", MAIN), ("refs/heads/main-old", TIP)])
        ref(rsps, "heads/apiops/extract/svc", [])
        items(rsps, MAIN, OLD)
        pushed(rsps, MAIN, "Extract svc: 1 added, 1 changed, 1 deleted", [
            {"changeType": "edit", "item": {"path": "/artifacts/apis/a/specification.yaml"},
             "newContent": {"content": SPEC_NEW.decode(), "contentType": "rawtext"}},
            {"changeType": "delete", "item": {"path": "/artifacts/apis/gone/apiInformation.json"}},
            {"changeType": "add", "item": {"path": "/artifacts/products/p/productInformation.json"},
             "newContent": {"content": "/wBiaW5hcnk=", "contentType": "base64encoded"}},
        ])
        rsps.add("GET", f"{BASE}/blobs/{oid(SPEC_OLD)}", body=SPEC_OLD,
                 match=[matchers.query_param_matcher({"download": "true"}),
                        matchers.header_matcher({"Accept": f"application/octet-stream;api-version={V71}"})])
        rsps.add("GET", f"{BASE}/blobs/{oid(b'{}')}", body=b"{}")  # the removed API, for the breaking-change report
        rsps.add("POST", f"{BASE}/pullRequests", status=201, json=pr_json(), match=[accept(), matchers.json_params_matcher(
            {"sourceRefName": BRANCH, "targetRefName": "refs/heads/main", "title": "APIOps: artifacts extracted from svc",
             "isDraft": True}, strict_match=False)])
        result = run(NEW, draft=True)
        assert calls(rsps) == [
            "OPTIONS /_apis", "GET /_apis/ResourceAreas", "GET /Proj/_apis/git/repositories/apim",
            f"GET /Proj/_apis/git/repositories/{REPO_ID}/refs?filter=heads%2Fmain",
            f"GET /Proj/_apis/git/repositories/{REPO_ID}/refs?filter=heads%2Fapiops%2Fextract%2Fsvc",
            f"GET /Proj/_apis/git/repositories/{REPO_ID}/items?scopePath=%2Fartifacts&recursionLevel=Full"
            f"&versionDescriptor.versionType=commit&versionDescriptor.version={MAIN}",
            f"POST /Proj/_apis/git/repositories/{REPO_ID}/pushes",
            f"GET /Proj/_apis/git/repositories/{REPO_ID}/blobs/{oid(SPEC_OLD)}?download=true",
            f"GET /Proj/_apis/git/repositories/{REPO_ID}/blobs/{oid(b'{}')}?download=true",
            f"POST /Proj/_apis/git/repositories/{REPO_ID}/pullRequests",
        ]
    assert result.to_json() == {"has_changes": True, "pull_request_id": 7, "branch": BRANCH, "commit": "d" * 40,
                                "pull_request_url": f"{ORG}/Proj/_git/apim/pullrequest/7"}
    assert "`POST /a`" in result.description.text and "**removed** `gone`" in result.description.text


def test_rerun_with_more_changes_updates_the_same_pull_request():
    local = dict(NEW, **{"tags/t/tagInformation.json": b"{}"})
    on_branch = dict(NEW)
    with responses.RequestsMock() as rsps:
        discovery(rsps)
        ref(rsps, "heads/main", [("refs/heads/main", MAIN)])
        ref(rsps, "heads/apiops/extract/svc", [(BRANCH, TIP)])
        active_prs(rsps, [pr_json()])
        items(rsps, TIP, on_branch)
        pushed(rsps, TIP, "Extract svc: 1 added, 0 changed, 0 deleted [skip ci]", [
            {"changeType": "add", "item": {"path": "/artifacts/tags/t/tagInformation.json"},
             "newContent": {"content": "{}", "contentType": "rawtext"}}])
        items(rsps, MAIN, OLD)
        rsps.add("GET", f"{BASE}/blobs/{oid(SPEC_OLD)}", body=SPEC_OLD)
        rsps.add("PATCH", f"{BASE}/pullRequests/7", json=pr_json(), match=[accept()])
        result = run(local, commit_suffix="[skip ci]")
        patch = [c for c in rsps.calls if c.request.method == "PATCH"][0]
        import json as _json
        body = _json.loads(patch.request.body)
        assert set(body) == {"title", "description"} and "tag" in body["description"]
        assert not any(c.request.method == "POST" and c.request.url.endswith("/pullRequests") for c in rsps.calls)
    assert result.has_changes and result.pull_request_id == 7


def test_rerun_without_changes_pushes_nothing():
    with responses.RequestsMock() as rsps:
        discovery(rsps)
        ref(rsps, "heads/main", [("refs/heads/main", MAIN)])
        ref(rsps, "heads/apiops/extract/svc", [(BRANCH, TIP)])
        active_prs(rsps, [pr_json()])
        items(rsps, TIP, NEW)
        result = run(NEW)
        assert [c.request.method for c in rsps.calls].count("POST") == 0
    assert result.to_json() == {"has_changes": False, "pull_request_id": 7, "branch": BRANCH, "commit": None,
                                "pull_request_url": f"{ORG}/Proj/_git/apim/pullrequest/7"}


def test_nothing_changed_and_no_branch_means_no_branch_and_no_pr():
    with responses.RequestsMock() as rsps:
        discovery(rsps)
        ref(rsps, "heads/main", [("refs/heads/main", MAIN)])
        ref(rsps, "heads/apiops/extract/svc", [])
        items(rsps, MAIN, NEW)
        result = run(NEW)
    assert result.to_json() == {"has_changes": False, "pull_request_id": None, "branch": None, "commit": None,
                                "pull_request_url": None}


def test_filtered_extraction_leaves_other_apis_alone():
    remote = {"apis/echo/apiInformation.json": b"{}", "apis/echo/operations/op/policy.xml": b"<policies/>",
              "apis/other/apiInformation.json": b"{}", "apis/other/policy.xml": b"<policies/>"}
    local = {"apis/echo/apiInformation.json": b'{"properties": {"path": "echo"}}'}
    with responses.RequestsMock() as rsps:
        discovery(rsps)
        ref(rsps, "heads/main", [("refs/heads/main", MAIN)])
        ref(rsps, "heads/apiops/extract/svc", [])
        items(rsps, MAIN, remote)
        pushed(rsps, MAIN, "Extract svc: 0 added, 1 changed, 1 deleted", [
            {"changeType": "edit", "item": {"path": "/artifacts/apis/echo/apiInformation.json"},
             "newContent": {"content": '{"properties": {"path": "echo"}}', "contentType": "rawtext"}},
            {"changeType": "delete", "item": {"path": "/artifacts/apis/echo/operations/op/policy.xml"}}])
        rsps.add("POST", f"{BASE}/pullRequests", status=201, json=pr_json())
        run(local, owns=lambda p: p.startswith("apis/echo/"))


def test_auto_complete_is_a_second_call():
    with responses.RequestsMock() as rsps:
        discovery(rsps)
        ref(rsps, "heads/main", [("refs/heads/main", MAIN)])
        ref(rsps, "heads/apiops/extract/svc", [])
        items(rsps, MAIN, {})
        rsps.add("POST", f"{BASE}/pushes", status=201, json={"commits": [{"commitId": "d" * 40}]})
        rsps.add("POST", f"{BASE}/pullRequests", status=201, json=pr_json(),
                 match=[matchers.json_params_matcher({"sourceRefName": BRANCH}, strict_match=False)])
        rsps.add("PATCH", f"{BASE}/pullRequests/7", json=pr_json(), match=[accept(), matchers.json_params_matcher({
            "autoCompleteSetBy": {"id": CREATOR},
            "completionOptions": {"mergeStrategy": "rebaseMerge", "deleteSourceBranch": True,
                                  "mergeCommitMessage": "APIOps: artifacts extracted from svc"}})])
        run({"apis/a/apiInformation.json": b"{}"}, auto_complete=True, merge_strategy="rebaseMerge",
            delete_source_branch=True)
        create = [c for c in rsps.calls if c.request.method == "POST" and c.request.url.endswith("pullRequests")][0]
        body = create.request.body if isinstance(create.request.body, str) else create.request.body.decode()
        assert "autoComplete" not in body and "completionOptions" not in body


def test_forbidden_push_names_the_missing_permission():
    with responses.RequestsMock() as rsps:
        discovery(rsps)
        ref(rsps, "heads/main", [("refs/heads/main", MAIN)])
        ref(rsps, "heads/apiops/extract/svc", [])
        items(rsps, MAIN, {})
        rsps.add("POST", f"{BASE}/pushes", status=403, json={
            "$id": "1", "innerException": None, "errorCode": 0, "eventId": 3000,
            "message": "TF401027: You need the Git 'CreateBranch' permission to perform this action. Details: "
                       "identity 'Build\\x', scope 'repository'.",
            "typeName": "Microsoft.TeamFoundation.Git.Server.GitNeedsPermissionException, Microsoft.TeamFoundation.Git.Server",
            "typeKey": "GitNeedsPermissionException"})
        with pytest.raises(DevOpsError) as caught:
            run({"apis/a/apiInformation.json": b"{}"})
    text = str(caught.value)
    assert "missing: Create branch" in text and "Build Service" in text and "Contribute to pull requests" in text
    assert "pat" not in re.findall(r"\w+", text)


def test_stale_ref_is_retried_once_against_the_new_tip():
    new_tip = "e" * 40
    with responses.RequestsMock() as rsps:
        discovery(rsps)
        ref(rsps, "heads/main", [("refs/heads/main", MAIN)])
        ref(rsps, "heads/apiops/extract/svc", [(BRANCH, TIP)])
        active_prs(rsps, [pr_json()])
        items(rsps, TIP, {})
        rsps.add("POST", f"{BASE}/pushes", status=409, json={
            "$id": "1", "innerException": None, "errorCode": 0, "eventId": 3000, "typeKey": "GitReferenceStaleException",
            "typeName": "x", "message": "TF401028: The reference 'refs/heads/apiops/extract/svc' has already been updated"})
        ref(rsps, "heads/main", [("refs/heads/main", MAIN)])
        ref(rsps, "heads/apiops/extract/svc", [(BRANCH, new_tip)])
        active_prs(rsps, [pr_json()])
        items(rsps, new_tip, {})
        pushed(rsps, new_tip, "Extract svc: 1 added, 0 changed, 0 deleted", [
            {"changeType": "add", "item": {"path": "/artifacts/apis/a/apiInformation.json"},
             "newContent": {"content": "{}", "contentType": "rawtext"}}])
        items(rsps, MAIN, {})
        rsps.add("PATCH", f"{BASE}/pullRequests/7", json=pr_json())
        result = run({"apis/a/apiInformation.json": b"{}"})
    assert result.commit == "d" * 40


def test_plan_comment_is_created_then_its_first_comment_patched():
    """The documented calls: GET threads, POST threads (comments, status, properties), then on a
    re-run PATCH .../threads/{id}/comments/{commentId} with the new content only."""
    from apiops_core.devops.plan_comment import PullRequestRef, post_plan_comment

    comments = _location("965a3ec7-5ed8-455a-bdcb-835a5ea7fe7b", "git", "pullRequestThreadComments",
                         "{project}/_apis/{area}/repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/"
                         "{threadId}/comments/{commentId}")
    threads_url = f"{BASE}/pullRequests/7/threads"
    target = resolve_target({}, organization=ORG, project="Proj", repository=REPO_ID)
    pr = PullRequestRef(target, 7)
    with responses.RequestsMock() as rsps:
        rsps.add("OPTIONS", f"{ORG}/_apis", json={"count": 1, "value": LOCATIONS + [comments]})
        rsps.add("GET", f"{ORG}/_apis/ResourceAreas", json={"count": 1, "value": [
            {"id": "4e080c62-fa21-4fbc-8fef-2a10a2b38049", "name": "git", "locationUrl": ORG + "/"}]})
        rsps.add("GET", threads_url, match=[accept()], json={"count": 0, "value": []})
        rsps.add("POST", threads_url, match=[accept(), matchers.json_params_matcher({
            "comments": [{"parentCommentId": 0, "content": "<!-- apiops-plan: k -->\nplan", "commentType": 1}],
            "status": 1,
            "properties": {"apiops.plan": "k", "Microsoft.TeamFoundation.Discussion.SupportsMarkdown": 1}})],
            json={"id": 41, "status": "active", "comments": [{"id": 1, "content": "<!-- apiops-plan: k -->\nplan"}]})
        git = connect_git(target, BasicAuthentication("", "pat"))
        assert post_plan_comment(git, pr, "<!-- apiops-plan: k -->\nplan", "k").action == "created"
    with responses.RequestsMock() as rsps:
        rsps.add("GET", threads_url, match=[accept()], json={"count": 1, "value": [
            {"id": 40, "comments": [{"id": 1, "content": "a reviewer's thread"}], "status": "active"},
            {"id": 41, "status": "active", "isDeleted": False,
             "properties": {"apiops.plan": {"$type": "System.String", "$value": "k"}},
             "comments": [{"id": 1, "content": "<!-- apiops-plan: k -->\nplan"}, {"id": 2, "content": "thanks"}]}]})
        rsps.add("PATCH", f"{threads_url}/41/comments/1", match=[accept(), matchers.json_params_matcher(
            {"content": "<!-- apiops-plan: k -->\nplan v2"})], json={"id": 1, "content": "<!-- apiops-plan: k -->\nplan v2"})
        result = post_plan_comment(git, pr, "<!-- apiops-plan: k -->\nplan v2", "k")
        assert (result.action, result.thread_id) == ("updated", 41)
