"""Small pure pieces: path → kind, content encoding, batching, description limits; and large trees."""

from __future__ import annotations

import base64

import pytest
from msrest.authentication import BasicAuthentication

from apiops_core.devops import (Change, PullRequestOptions, RepoApi, batch_changes, classify, connect_git, describe,
                                encode_content, resolve_target, summarise, sync_pull_request)
from apiops_core.devops.treediff import diff_tree
from apiops_emulator.devops.app import DevOpsApp
from apiops_emulator.devops.server import AppServer


def test_paths_map_to_kinds_including_workspaces():
    assert classify("apis/echo/specification.yaml").kind == "api-specification"
    assert classify("named values/nv1/namedValueInformation.json").names == ("nv1",)
    tag_api = classify("workspaces/w1/tags/t/apis/a/tagApiInformation.json")
    assert (tag_api.kind, tag_api.names, tag_api.workspace) == ("tag-api", ("t", "a"), "w1")
    assert classify("policy.xml").kind == "service-policy"
    assert classify("README.md") is None and classify("apis/echo/notes.txt") is None


def test_encoding_is_exact():
    assert encode_content(b"plain\n") == {"content": "plain\n", "contentType": "rawtext"}
    for data in (b"crlf\r\n", b"\xef\xbb\xbfbom", b"\x00\xff"):
        encoded = encode_content(data)
        assert encoded["contentType"] == "base64encoded" and base64.b64decode(encoded["content"]) == data


def test_batches_respect_both_bounds():
    changes = [Change("add", f"f{i}", b"x" * 1000) for i in range(10)]
    assert [len(b) for b in batch_changes(changes, max_bytes=3500, max_changes=100)] == [2, 2, 2, 2, 2]
    assert [len(b) for b in batch_changes(changes, max_bytes=10**9, max_changes=4)] == [4, 4, 2]


def test_long_reports_move_to_a_comment():
    local = {f"apis/api-{i:03}/apiInformation.json": b"{}" for i in range(200)}
    changes = diff_tree(local, {})
    result = describe("svc", changes, summarise(changes))
    assert len(result.text) <= 4000 and result.full_report and "api-199" in result.full_report


@pytest.mark.slow
def test_large_tree_is_split_into_sequential_pushes_and_long_report_commented():
    app = DevOpsApp("org", max_push_bytes=120_000)
    app.add_repository("Proj", "apim", {"README.md": "x"})
    local = {f"apis/api-{i:03}/apiInformation.json": (f"{{\"n\": {i}, \"pad\": \"" + "x" * 2000 + "\"}}").encode()
             for i in range(300)}
    with AppServer([app]) as server:
        target = resolve_target({}, organization=server.url + "/devops/org", project="Proj", repository="apim")
        api = RepoApi(connect_git(target, BasicAuthentication("", "pat")), "Proj", "apim")
        result = sync_pull_request(api, local, PullRequestOptions(service_name="svc", repo_path="artifacts",
                                                                  max_push_bytes=100_000))
    assert result.pushes > 1
    files = app.branch_files("apim", "apiops/extract/svc")
    assert {p for p in files if p.startswith("artifacts/")} == {f"artifacts/{p}" for p in local}
    pr = app.pull_requests[result.pull_request_id]
    assert len(pr.description) <= 4000 and len(pr.threads) == 1 and "api-299" in pr.threads[0]["comments"][0]["content"]
    comments = [app.repos[pr.repo_id].commits[c].comment for c in app.repos[pr.repo_id].commits]
    assert any(f"(part {result.pushes}/{result.pushes})" in c for c in comments)
