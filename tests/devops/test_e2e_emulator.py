"""End to end: the DevOps emulator on loopback + the real azure-devops client + ``apiops pr``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apiops_core.cli import main
from apiops_emulator.devops.app import DevOpsApp
from apiops_emulator.devops.server import AppServer

SPEC_V1 = "openapi: 3.0.1\ninfo: {title: echo, version: '1'}\npaths:\n  /items:\n    get: {responses: {'200': {description: ok}}}\n"
SPEC_V2 = SPEC_V1 + "    post: {responses: {'201': {description: created}}}\n  /items/{id}:\n    delete: {responses: {'204': {description: gone}}}\n"


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for path, value in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(value.encode() if isinstance(value, str) else value)


@pytest.fixture()
def served():
    app = DevOpsApp("org")
    app.add_repository("Proj", "apim", {
        "README.md": "# APIM config\n",
        "pipelines/run-extractor.yaml": "trigger: none\n",
        "artifacts/apis/echo/apiInformation.json": '{"properties": {"path": "echo"}}\n',
        "artifacts/apis/echo/specification.yaml": SPEC_V1,
        "artifacts/apis/old/apiInformation.json": '{"properties": {"path": "old"}}\n',
        "artifacts/apis/legacy/specification.wsdl": "<definitions/>",
        "artifacts/NOTES.md": "hand-written notes\n",
    })
    with AppServer([app]) as server:
        yield app, server.url + "/devops/org"


def _run(url: str, artifacts: Path, tmp: Path, *extra: str) -> tuple[int, dict]:
    result = tmp / "result.json"
    env = {"AZURE_DEVOPS_EXT_PAT": "secret-pat", "BUILD_SOURCESDIRECTORY": str(tmp / "src")}
    code = main(["-q", "pr", "--artifacts", str(artifacts), "--organization", url, "--project", "Proj",
                 "--repository", "apim", "--service-name", "apim-dev", "--result", str(result), *extra], env)
    return code, json.loads(result.read_text()) if result.exists() else {}


@pytest.mark.slow
def test_first_run_rerun_and_no_change(served, tmp_path):
    app, url = served
    artifacts = tmp_path / "src" / "artifacts"
    _write(artifacts, {
        "apis/echo/apiInformation.json": '{"properties": {"path": "echo"}}\n',
        "apis/echo/specification.yaml": SPEC_V2,
        "products/starter/productInformation.json": '{"properties": {"displayName": "Starter"}}\n',
        "policy.xml": b"<policies>\r\n</policies>\r\n",
    })
    code, result = _run(url, artifacts, tmp_path, "--commit-suffix", "[skip ci]", "--label", "apiops")
    assert code == 0 and result["has_changes"] is True
    assert result["branch"] == "refs/heads/apiops/extract/apim-dev"
    files = app.branch_files("apim", result["branch"])
    assert files["artifacts/apis/echo/specification.yaml"] == SPEC_V2.encode()
    assert files["artifacts/policy.xml"] == b"<policies>\r\n</policies>\r\n"
    assert "artifacts/apis/old/apiInformation.json" not in files          # removed from APIM: deleted
    assert files["artifacts/NOTES.md"] and files["artifacts/apis/legacy/specification.wsdl"]  # not artifacts: kept
    assert files["README.md"] and files["pipelines/run-extractor.yaml"]   # outside the artifacts path
    pr = app.pull_requests[result["pull_request_id"]]
    assert pr.status == "active" and pr.labels == ["apiops"]
    assert "`POST /items`" in pr.description and "`DELETE /items/{id}`" in pr.description
    assert "Breaking changes" in pr.description and "`old`" in pr.description  # the removed API
    assert result["pull_request_url"].endswith(f"/_git/apim/pullrequest/{pr.pr_id}")
    commit = app.repos[pr.repo_id].commits[result["commit"]]
    assert commit.comment.endswith("[skip ci]")

    # same extraction again: nothing pushed, same PR reported
    pushes = len(app.repos[pr.repo_id].pushes)
    code, again = _run(url, artifacts, tmp_path)
    assert code == 0 and again["has_changes"] is False and again["pull_request_id"] == pr.pr_id
    assert len(app.repos[pr.repo_id].pushes) == pushes

    # more changes: the same branch and PR are updated
    _write(artifacts, {"tags/t1/tagInformation.json": '{"properties": {"displayName": "t1"}}\n'})
    code, third = _run(url, artifacts, tmp_path)
    assert third["has_changes"] is True and third["pull_request_id"] == pr.pr_id
    assert len([p for p in app.pull_requests.values()]) == 1
    assert "artifacts/tags/t1/tagInformation.json" in app.branch_files("apim", result["branch"])

    # after the PR is merged (branch kept), a new extraction starts afresh from main with a new PR
    app.complete_pull_request(pr.pr_id, delete_source_branch=False)
    _write(artifacts, {"tags/t2/tagInformation.json": '{"properties": {"displayName": "t2"}}\n'})
    code, fourth = _run(url, artifacts, tmp_path, "--auto-complete", "--delete-source-branch")
    assert fourth["has_changes"] is True and fourth["pull_request_id"] != pr.pr_id
    second = app.pull_requests[fourth["pull_request_id"]]
    assert second.auto_complete_by and second.completion_options == {
        "mergeStrategy": "squash", "deleteSourceBranch": True, "mergeCommitMessage": "APIOps: artifacts extracted from apim-dev"}
    branch = app.branch_files("apim", fourth["branch"])
    main_files = app.branch_files("apim", "main")
    assert {p for p in branch if p != "artifacts/tags/t2/tagInformation.json"} == set(main_files)


def test_https_with_ca_bundle_and_bad_token(tmp_path):
    from apiops_emulator.apim.certs import generate

    certs = generate(str(tmp_path / "certs"))
    app = DevOpsApp("org", tokens={"good"})
    app.add_repository("Proj", "apim", {"README.md": "x"})
    artifacts = tmp_path / "a"
    _write(artifacts, {"apis/a/apiInformation.json": "{}"})
    with AppServer([app], certfile=certs.cert_chain, keyfile=certs.private_key) as server:
        url = server.url + "/devops/org"
        args = ["-q", "pr", "--artifacts", str(artifacts), "--organization", url, "--project", "Proj",
                "--repository", "apim", "--service-name", "s", "--repo-path", "apim", "--ca-bundle", certs.ca_bundle]
        assert main(args, {"SYSTEM_ACCESSTOKEN": "bad"}) == 1
        assert main(args, {"SYSTEM_ACCESSTOKEN": "good"}) == 0
    assert app.branch_files("apim", "apiops/extract/s")["apim/apis/a/apiInformation.json"] == b"{}"


def test_filtered_extraction_with_config_keeps_other_teams_files(served, tmp_path):
    app, url = served
    config = tmp_path / "configuration.extractor.yaml"
    config.write_text("apis:\n  - echo\n")
    artifacts = tmp_path / "src" / "artifacts"
    _write(artifacts, {"apis/echo/apiInformation.json": '{"properties": {"path": "echo2"}}\n'})
    code, result = _run(url, artifacts, tmp_path, "--config", str(config))
    assert code == 0 and result["has_changes"] is True
    files = app.branch_files("apim", result["branch"])
    assert "artifacts/apis/old/apiInformation.json" in files          # not selected: untouched
    assert "artifacts/apis/echo/specification.yaml" not in files      # selected and gone from APIM: deleted
