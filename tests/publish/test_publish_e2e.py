"""Publish on the emulator: round trip, idempotence, overrides, prune and its guard, drift, secrets.

The tests of this module share one emulator and run in file order: the first publishes the demo
tree into the empty instance, the next ones start from there.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from apiops_emulator.apim.emulator import Emulator

from .conftest import extract_to, run_cli, tree_files, writes

pytestmark = pytest.mark.slow  # one emulator per module: its tests build on each other, in order


def test_publish_into_empty_instance_then_extract_gives_the_same_tree(
    empty_emulator: Emulator, demo_tree: Path, tmp_path: Path
) -> None:
    emu = empty_emulator
    assert run_cli(emu, "publish", "--artifacts", str(demo_tree), "--yes") == 0
    back = extract_to(emu, tmp_path / "back")
    assert tree_files(back) == tree_files(demo_tree)


def test_second_publish_makes_zero_writes(empty_emulator: Emulator, demo_tree: Path) -> None:
    emu = empty_emulator
    emu.reset_stats()
    assert run_cli(emu, "publish", "--artifacts", str(demo_tree), "--yes") == 0
    assert writes(emu) == 0


def test_overrides_change_the_target_per_environment(empty_emulator: Emulator, demo_tree: Path, tmp_path: Path) -> None:
    emu = empty_emulator
    for env, label in (("prod", "Production tier"), ("dev", "Dev tier")):
        overrides = tmp_path / f"configuration.{env}.yaml"
        overrides.write_text(
            "namedValues:\n  - name: tier-label\n    properties:\n      value: \"{#TIER#}\"\n", encoding="utf-8"
        )
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(demo_tree), "--overrides", str(overrides), "--yes",
                       env={"TIER": label}) == 0
        assert writes(emu) == 1
        body = json.loads(emu.apply("GET", "namedValues/tier-label").body)
        assert body["properties"]["value"] == label
    # a missing token names itself and nothing is written
    emu.reset_stats()
    assert run_cli(emu, "publish", "--artifacts", str(demo_tree), "--overrides", str(overrides), "--yes") == 2
    assert writes(emu) == 0
    assert run_cli(emu, "publish", "--artifacts", str(demo_tree), "--yes") == 0  # back to the tree's value


def test_prune_deletes_exactly_the_extras_and_the_guard_stops_mass_deletion(
    empty_emulator: Emulator, demo_tree: Path, tmp_path: Path
) -> None:
    emu = empty_emulator
    emu.apply("PUT", "apis/extra-api", {"properties": {"displayName": "Extra", "path": "extra", "protocols": ["https"]}})
    emu.apply("PUT", "apis/extra-api/policies/policy", {"properties": {"format": "rawxml", "value": "<policies/>"}})
    emu.apply("PUT", "tags/extra-tag", {"properties": {"displayName": "extra-tag"}})
    emu.reset_stats()
    assert run_cli(emu, "publish", "--artifacts", str(demo_tree), "--prune", "--yes") == 1  # guard: default 0
    assert writes(emu) == 0
    assert run_cli(emu, "publish", "--artifacts", str(demo_tree), "--prune", "--max-deletions", "1", "--yes") == 1
    assert writes(emu) == 0
    assert run_cli(emu, "publish", "--artifacts", str(demo_tree), "--prune", "--max-deletions", "2", "--yes") == 0
    assert emu.stats()["requests"]["DELETE"] == 2 and writes(emu) == 2  # the policy goes with its API
    back = extract_to(emu, tmp_path / "back")
    assert tree_files(back) == tree_files(demo_tree)


def test_saved_plan_refuses_drift_and_changed_artifacts(
    empty_emulator: Emulator, demo_tree: Path, tmp_path: Path, apiops_log: Any
) -> None:
    emu = empty_emulator
    tree = tmp_path / "artifacts"
    shutil.copytree(demo_tree, tree)
    policy = tree / "apis" / "conference-api" / "policy.xml"
    policy.write_text(policy.read_text().replace("<base />", "<base />\n    <set-header name=\"X-Changed\" exists-action=\"override\"><value>1</value></set-header>", 1))
    plan_file = tmp_path / "plan.json"
    assert run_cli(emu, "plan", "--artifacts", str(tree), "--out", str(plan_file)) == 0
    plan = json.loads(plan_file.read_text())
    assert [a["kind"] for a in plan["puts"]] == ["api-policy"] and plan["puts"][0]["etag"]
    # the instance drifts: someone edits the policy in the portal
    emu.apply("PUT", "apis/conference-api/policies/policy", {"properties": {"format": "rawxml", "value": "<policies><inbound><base /></inbound></policies>"}})
    emu.reset_stats()
    assert run_cli(emu, "apply", str(plan_file), "--artifacts", str(tree)) == 1
    assert "api-policy conference-api: changed in the instance" in apiops_log.getvalue() and writes(emu) == 0
    # the artifacts change after planning
    assert run_cli(emu, "plan", "--artifacts", str(tree), "--out", str(plan_file)) == 0
    policy.write_text(policy.read_text() + "\n<!-- edited after review -->\n")
    assert run_cli(emu, "apply", str(plan_file), "--artifacts", str(tree)) == 1
    assert writes(emu) == 0
    # re-planned from the final artifacts: applies; --force overrides drift
    assert run_cli(emu, "plan", "--artifacts", str(tree), "--out", str(plan_file)) == 0
    emu.apply("PUT", "apis/conference-api/policies/policy", {"properties": {"format": "rawxml", "value": "<policies/>"}})
    assert run_cli(emu, "apply", str(plan_file), "--artifacts", str(tree), "--force") == 0
    assert writes(emu) == 1
    assert run_cli(emu, "publish", "--artifacts", str(demo_tree), "--yes") == 0  # restore


def test_creator_and_terminator_share_one_plan_file(empty_emulator: Emulator, demo_tree: Path, tmp_path: Path) -> None:
    emu = empty_emulator
    emu.apply("PUT", "tags/stray", {"properties": {"displayName": "stray"}})
    tree = tmp_path / "artifacts"
    shutil.copytree(demo_tree, tree)
    (tree / "tags" / "new-tag").mkdir()
    (tree / "tags" / "new-tag" / "tagInformation.json").write_text('{"properties": {"displayName": "new-tag"}}')
    plan_file = tmp_path / "plan.json"
    for order in (("--terminator", "--creator"), ("--creator", "--terminator")):
        plan_file.unlink(missing_ok=True)
        for half in order:
            extra = ["--prune", "--max-deletions", "1"] if half == "--terminator" else []
            assert run_cli(emu, "plan", "--artifacts", str(tree), half, *extra, "--out", str(plan_file)) == 0
        plan = json.loads(plan_file.read_text())
        assert [(a["kind"], a["names"]) for a in plan["puts"]] == [("tag", ["new-tag"])]
        assert [(a["kind"], a["names"]) for a in plan["deletes"]] == [("tag", ["stray"])]
    assert run_cli(emu, "apply", str(plan_file), "--artifacts", str(tree)) == 0
    assert emu.apply("GET", "tags/stray").status == 404 and emu.apply("GET", "tags/new-tag").status == 200
    emu.apply("DELETE", "tags/new-tag")


def test_secret_values_never_appear_in_plans(empty_emulator: Emulator, demo_tree: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str], apiops_log: Any) -> None:
    emu = empty_emulator
    secret = "Pa55-very-secret-VALUE-42"
    overrides = tmp_path / "configuration.test.yaml"
    overrides.write_text("namedValues:\n  - name: conference-api-key\n    properties:\n      value: \"{#KEY#}\"\n")
    plan_file, markdown = tmp_path / "plan.json", tmp_path / "plan.md"
    capsys.readouterr()
    assert run_cli(emu, "plan", "--artifacts", str(demo_tree), "--overrides", str(overrides), "--out", str(plan_file),
                   "--markdown", str(markdown), env={"KEY": secret}) == 0
    out = capsys.readouterr()
    assert "conference-api-key" in out.out
    for text in (out.out, out.err, plan_file.read_text(), markdown.read_text()):
        assert secret not in text
    assert run_cli(emu, "apply", str(plan_file), "--artifacts", str(demo_tree), "--overrides", str(overrides),
                   env={"KEY": secret}) == 0
    out = capsys.readouterr()
    assert secret not in out.out + out.err + apiops_log.getvalue()
    # published, and a second publish with the same secret writes nothing (compared via listValue)
    emu.reset_stats()
    assert run_cli(emu, "publish", "--artifacts", str(demo_tree), "--overrides", str(overrides), "--yes",
                   env={"KEY": secret}) == 0
    assert writes(emu) == 0


def test_a_secret_the_target_lacks_stops_the_publish_before_any_write(
    demo_tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Extracted secrets have no value: publishing them where they do not exist would fail half way."""
    with Emulator() as bare:
        assert run_cli(bare, "publish", "--artifacts", str(demo_tree), "--yes") == 2
        assert writes(bare) == 0
    err = capsys.readouterr().err
    assert "conference-api-key" in err and "named values/conference-api-key/namedValueInformation.json" in err
