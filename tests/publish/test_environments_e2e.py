"""Environments end to end on two emulators (dev and prod): the deployment record, ``status``,
``compare``, promotion with ``--require-live-in`` and rollback with ``--to-commit``."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from apiops_core.cli import main
from apiops_core.deployments import TAG_LIVE, Deployment, read_records
from apiops_emulator.apim.context import ServiceInfo
from apiops_emulator.apim.emulator import Emulator

from .conftest import make_arm, writes

SECRET = "s3cr3t-Conference-Key-9f8e7d"
POLICY_PATH = "policies/policy"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def _commit(repo: Path, message: str) -> str:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", message)
    return _git(repo, "rev-parse", "HEAD")


def _overrides(env: str) -> str:
    return (
        "namedValues:\n"
        f"  - name: environment-name\n    properties:\n      value: {env}\n"
        "  - name: conference-api-key\n    properties:\n      value: \"{#CONFERENCE_KEY#}\"\n"
        "backends:\n"
        f"  - name: conference-backend\n    properties:\n      url: https://conference-{env}.contoso.example/api\n"
    )


def _environment_file(emu: Emulator, overrides: str) -> str:
    return (f"subscriptionId: {emu.subscription_id}\nresourceGroup: {emu.resource_group}\n"
            f"serviceName: {emu.service_name}\narmEndpoint: {emu.url}\ncaBundle: {emu.ca_bundle}\n"
            f"overrides: ../{overrides}\n")


class World:
    def __init__(self, repo: Path, dev: Emulator, prod: Emulator) -> None:
        self.repo, self.dev, self.prod = repo, dev, prod
        self.artifacts = repo / "apim"
        self.env = {"AZURE_BEARER_TOKEN": "token", "CONFERENCE_KEY": SECRET}

    def cli(self, *argv: str, capsys: Any = None) -> tuple[int, str]:
        if capsys is not None:
            capsys.readouterr()
        code = main(list(argv), self.env)
        out = capsys.readouterr().out if capsys is not None else ""
        return code, out

    def publish(self, name: str, *extra: str) -> int:
        emu = self.dev if name == "dev" else self.prod
        argv = ["publish", "--artifacts", str(self.artifacts), "--overrides", str(self.repo / f"configuration.{name}.yaml"),
                "--yes", "--environments-folder", str(self.repo / "environments"), *extra]
        return main(argv, {**emu.environment(), **self.env})


@pytest.fixture()
def world(demo_tree: Path, tmp_path: Path) -> Iterator[World]:
    repo = tmp_path / "repo"
    shutil.copytree(demo_tree, repo / "apim")
    (repo / "environments").mkdir()
    for name in ("dev", "prod"):
        (repo / f"configuration.{name}.yaml").write_text(_overrides(name), encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    with Emulator(seed="demo-secrets", service=ServiceInfo(service_name="apim-dev")) as dev, \
            Emulator(seed="demo-secrets", service=ServiceInfo(service_name="apim-prod")) as prod:
        for name, emu in (("dev", dev), ("prod", prod)):
            (repo / "environments" / f"{name}.yaml").write_text(_environment_file(emu, f"configuration.{name}.yaml"))
        yield World(repo, dev, prod)


def _status(world: World, capsys: Any, *envs: str) -> tuple[int, dict[str, Any]]:
    code, out = world.cli("status", *envs, "--artifacts", str(world.artifacts), "--json",
                          "--environments-folder", str(world.repo / "environments"), capsys=capsys)
    return code, {r["name"]: r for r in json.loads(out)["environments"]}


def test_status_compare_promotion_and_rollback(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    repo, dev, prod = world.repo, world.dev, world.prod
    commit_a = _commit(repo, "A: extracted")
    assert world.publish("dev") == 0
    assert world.publish("prod") == 0

    # B: a policy change and a new tag, published to dev only
    policy = world.artifacts / "apis" / "conference-api" / "policy.xml"
    policy.write_text(policy.read_text().replace("<base />", '<base />\n    <set-header name="X-B" exists-action="override"><value>b</value></set-header>', 1))
    (world.artifacts / "tags" / "release-b").mkdir()
    (world.artifacts / "tags" / "release-b" / "tagInformation.json").write_text('{"properties": {"displayName": "Release B"}}')
    commit_b = _commit(repo, "B: header and tag")
    assert world.publish("dev", "--markdown", str(repo.parent / "publish-dev.md")) == 0
    summary = (repo.parent / "publish-dev.md").read_text()  # the publisher's run summary: before and after
    assert "Live commit in `apim-dev`" in summary
    assert f"| before | {commit_a[:12]} | ok" in summary and f"| after | {commit_b[:12]} | publish ok" in summary

    # someone changes the global policy in prod through the ARM API
    with make_arm(prod) as arm:
        arm.put(POLICY_PATH, {"properties": {"format": "rawxml", "value": "<policies><inbound><set-header name=\"X-Hand\" exists-action=\"override\"><value>1</value></set-header></inbound><backend><forward-request /></backend><outbound /><on-error /></policies>"}})

    # -- status: reads only ----------------------------------------------------------------
    dev.reset_stats()
    prod.reset_stats()
    code, reports = _status(world, capsys, "dev", "prod")
    assert code == 2
    for emu in (dev, prod):
        methods = {m: n for m, n in emu.stats()["requests"].items() if n}
        assert set(methods) <= {"GET", "HEAD"}, methods
    assert reports["dev"]["live"]["commit"] == commit_b and reports["dev"]["status"] == "in-sync"
    assert reports["dev"]["drift"] == [] and reports["dev"]["branch"]["behind"] == 0
    assert reports["prod"]["live"]["commit"] == commit_a and reports["prod"]["status"] == "drift"
    assert reports["prod"]["branch"]["behind"] == 1
    assert {(c["kind"], c["name"]) for c in reports["prod"]["branch"]["changed"]} == {("api-policy", "conference-api"), ("tag", "release-b")}
    assert [(d["kind"], d["change"]) for d in reports["prod"]["drift"]] == [("service-policy", "changed")]
    assert any("X-Hand" in line for line in reports["prod"]["drift"][0]["diff"])
    # text and Markdown say the same
    code, text = world.cli("status", "dev", "prod", "--artifacts", str(world.artifacts), "--environments-folder",
                           str(repo / "environments"), "--markdown", str(repo / "status.md"), capsys=capsys)
    assert code == 2 and f"live: {commit_a[:12]}" in text and "1 commit(s) behind" in text
    assert "Drift in prod" in (repo / "status.md").read_text()
    assert _status(world, capsys, "dev")[0] == 0

    # -- compare: the B change and the drift, not the override-only differences --------------
    code, out = world.cli("compare", "dev", "prod", "--json", "--environments-folder", str(repo / "environments"), capsys=capsys)
    assert code == 2
    found = {(d["kind"], d["name"], d["change"]) for d in json.loads(out)["differences"]}
    assert found == {("api-policy", "conference-api", "differs"), ("tag", "release-b", "only in dev"),
                     ("service-policy", "(service)", "differs")}

    # -- promotion: prod may only get what dev runs --------------------------------------------
    policy.write_text(policy.read_text().replace("X-B", "X-C"))
    _commit(repo, "C: not in dev")
    prod.reset_stats()
    assert world.publish("prod", "--require-live-in", "dev") == 1
    assert writes(prod) == 0
    _git(repo, "reset", "-q", "--hard", commit_b)
    assert world.publish("prod", "--require-live-in", "dev") == 0
    with make_arm(prod) as arm:
        promoted = read_records(arm).latest
    with make_arm(dev) as arm:
        in_dev = read_records(arm).latest
    assert promoted is not None and in_dev is not None
    assert (promoted.commit, promoted.verified_in, promoted.result) == (commit_b, "dev", "ok")
    assert promoted.source == in_dev.source  # the same tree before overrides ...
    assert promoted.overrides != in_dev.overrides and promoted.rendered != in_dev.rendered  # ... up to the overrides

    # -- rollback of dev to A: deletions stay behind the guard ----------------------------------
    dev.reset_stats()
    assert world.publish("dev", "--to-commit", commit_a) == 1  # the tag B added would be deleted
    assert writes(dev) == 0
    assert world.publish("dev", "--to-commit", commit_a, "--max-deletions", "1") == 0
    with make_arm(dev) as arm:
        records = read_records(arm)
        assert arm.get("tags/release-b") is None
    assert (records.latest.kind, records.latest.commit, records.latest.previous) == ("rollback", commit_a, commit_b)
    assert [r.commit for r in records.history[:2]] == [commit_b, commit_a]
    # A's tree exactly: nothing left to do, and no drift against A
    dev.reset_stats()
    assert main(["publish", "--artifacts", str(world.artifacts), "--overrides", str(repo / "configuration.dev.yaml"),
                 "--to-commit", commit_a, "--yes"], {**dev.environment(), **world.env}) == 0
    assert writes(dev) == 0  # empty plan, and the record already says A is live
    code, reports = _status(world, capsys, "dev")
    assert code == 0 and reports["dev"]["live"]["commit"] == commit_a and reports["dev"]["drift"] == []


def test_the_record_never_holds_a_secret(world: World) -> None:
    _commit(world.repo, "A")
    assert world.publish("prod") == 0
    with make_arm(world.prod) as arm:
        tags = arm.get("").body["tags"]
        assert arm.post("namedValues/conference-api-key/listValue").body["value"] == SECRET  # it was published
    text = json.dumps(tags)
    assert SECRET not in text
    record = Deployment.decode(tags[TAG_LIVE])
    assert record is not None and record.result == "ok" and len(tags[TAG_LIVE]) <= 256
    # the rendered digest does not depend on the secret: publishing another value records the same digest
    world.env["CONFERENCE_KEY"] = "another-value-entirely"
    assert world.publish("prod") == 0
    with make_arm(world.prod) as arm:
        again = read_records(arm).latest
    assert again is not None and again.rendered == record.rendered


def test_apply_of_a_saved_plan_records_and_status_needs_no_secret(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    commit = _commit(world.repo, "A")
    plan_file = world.repo.parent / "prod.plan.json"
    environ = {**world.prod.environment(), **world.env}
    overrides = str(world.repo / "configuration.prod.yaml")
    assert main(["plan", "--artifacts", str(world.artifacts), "--overrides", overrides, "--out", str(plan_file)], environ) == 0
    assert main(["apply", str(plan_file), "--artifacts", str(world.artifacts), "--overrides", overrides], environ) == 0
    with make_arm(world.prod) as arm:
        record = read_records(arm).latest
    assert record is not None and (record.kind, record.commit, record.result) == ("apply", commit, "ok")
    # a reviewed rollback: plan --to-commit, then apply the saved plan
    policy = world.artifacts / "apis" / "conference-api" / "policy.xml"
    original = policy.read_text()
    policy.write_text(original.replace("<base />", '<base />\n    <set-header name="X-B" exists-action="override"><value>b</value></set-header>', 1))
    commit_b = _commit(world.repo, "B")
    assert world.publish("prod") == 0
    assert main(["plan", "--artifacts", str(world.artifacts), "--overrides", overrides, "--to-commit", commit,
                 "--out", str(plan_file)], environ) == 0
    assert [a["kind"] for a in json.loads(plan_file.read_text())["puts"]] == ["api-policy"]
    assert main(["apply", str(plan_file), "--artifacts", str(world.artifacts), "--overrides", overrides], environ) == 0
    with make_arm(world.prod) as arm:
        record = read_records(arm).latest
        assert "X-B" not in arm.get("apis/conference-api/policies/policy", params={"format": "rawxml"}).body["properties"]["value"]
    assert record is not None and (record.kind, record.commit, record.previous) == ("rollback", commit, commit_b)
    # a drift check runs without the secrets a publish needs (secret values are never compared)
    world.env.pop("CONFERENCE_KEY")
    code, reports = _status(world, capsys, "prod")
    assert code == 0 and reports["prod"]["status"] == "in-sync", reports
    # --unmanaged: what the instance has and the tree lacks is drift too
    with make_arm(world.prod) as arm:
        arm.put("tags/portal-made", {"properties": {"displayName": "Made in the portal"}})
    assert _status(world, capsys, "prod")[0] == 0
    code, out = world.cli("status", "prod", "--unmanaged", "--artifacts", str(world.artifacts), "--json",
                          "--environments-folder", str(world.repo / "environments"), capsys=capsys)
    drift = json.loads(out)["environments"][0]["drift"]
    assert code == 2 and [(d["kind"], d["name"], d["change"]) for d in drift] == [("tag", "portal-made", "unmanaged")]
