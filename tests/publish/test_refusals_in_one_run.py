"""Every refusal known before the first write comes in ONE run: read problems, lint errors,
references the target cannot supply and secrets it lacks, grouped, each with its file, zero writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apiops_emulator.apim.emulator import Emulator

from .conftest import run_cli, writes

POLICY = ("<policies><inbound><base /><set-header name=\"x-a\" exists-action=\"override\"><value>{{%s}}</value>"
          "</set-header></inbound><backend><base /></backend><outbound><base /></outbound>"
          "<on-error><base /></on-error></policies>")


def _api(root: Path, name: str, policy: str) -> None:
    api = root / "apis" / name
    api.mkdir(parents=True)
    (api / "apiInformation.json").write_text(
        json.dumps({"properties": {"displayName": name, "path": name, "protocols": ["https"]}}))
    (api / "policy.xml").write_text(policy)


def _tree(root: Path) -> Path:
    # 1. a file that is not JSON
    (root / "products" / "broken").mkdir(parents=True)
    (root / "products" / "broken" / "productInformation.json").write_text('{"properties": {"displayName": "x",}')
    # 2. a lint error (a misspelt policy element)
    _api(root, "typo", (POLICY % "plain").replace("set-header", "set-headr"))
    (root / "named values" / "plain").mkdir(parents=True)
    (root / "named values" / "plain" / "namedValueInformation.json").write_text(
        json.dumps({"properties": {"displayName": "plain", "value": "v", "secret": False}}))
    # 3. a named value neither the tree nor the target has
    _api(root, "dangling", POLICY % "nowhere-to-be-found")
    # 4. a secret named value without a value, that the target lacks
    (root / "named values" / "vault-key").mkdir(parents=True)
    (root / "named values" / "vault-key" / "namedValueInformation.json").write_text(
        json.dumps({"properties": {"displayName": "vault-key", "secret": True}}))
    _api(root, "secretive", POLICY % "vault-key")
    return root


@pytest.mark.parametrize("command", ["publish", "plan"])
def test_every_refusal_is_reported_in_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    tree = _tree(tmp_path / "artifacts")
    with Emulator() as emu:
        before = writes(emu)
        argv = [command, "--artifacts", str(tree)] + (["--yes"] if command == "publish" else [])
        code = run_cli(emu, *argv)
        assert writes(emu) == before, "nothing may be written"
    assert code == 2
    err = capsys.readouterr().err
    assert "4 checks refused the tree before any write" in err
    for group in ("[reading the artifacts tree]", "[lint]", "[references the target cannot supply]",
                  "[secrets the target lacks]"):
        assert group in err, group
    assert "products/broken/productInformation.json:1" in err
    assert "apis/typo/policy.xml" in err and "AO203" in err
    assert "apis/dangling/policy.xml" in err and "nowhere-to-be-found" in err
    assert "named values/vault-key/namedValueInformation.json" in err
    assert "Traceback" not in err


def test_a_tree_that_cannot_be_planned_says_the_target_checks_did_not_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = _tree(tmp_path / "artifacts")
    (tree / "apis" / "typo" / "apiInformation.json").write_text(
        json.dumps({"properties": {"displayName": "{#MISSING_TOKEN#}", "path": "typo", "protocols": ["https"]}}))
    with Emulator() as emu:
        before = writes(emu)
        code = run_cli(emu, "publish", "--artifacts", str(tree), "--yes")
        assert writes(emu) == before
    assert code == 2
    err = capsys.readouterr().err
    assert "[reading the artifacts tree]" in err and "MISSING_TOKEN" in err
    assert "checks against the target did not run" in err
    assert "[secrets the target lacks]" not in err


def test_a_single_refusal_keeps_its_own_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "artifacts"
    _api(root, "dangling", POLICY % "nowhere-to-be-found")
    with Emulator() as emu:
        assert run_cli(emu, "publish", "--artifacts", str(root), "--yes") == 2
    err = capsys.readouterr().err
    assert "checks refused" not in err and "AO301" in err and "nowhere-to-be-found" in err


def test_exclude_leaves_a_broken_file_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "artifacts"
    _api(root, "good", POLICY % "plain")
    (root / "named values" / "plain").mkdir(parents=True)
    (root / "named values" / "plain" / "namedValueInformation.json").write_text(
        json.dumps({"properties": {"displayName": "plain", "value": "v", "secret": False}}))
    (root / "apis" / "broken").mkdir(parents=True)
    (root / "apis" / "broken" / "apiInformation.json").write_text("{not json")
    (root / "apis" / "broken" / "policy.xml").write_text("<policies><inbound>")
    with Emulator() as emu:
        assert run_cli(emu, "publish", "--artifacts", str(root), "--yes") == 2
        capsys.readouterr()
        before = writes(emu)
        assert run_cli(emu, "publish", "--artifacts", str(root), "--yes", "--exclude", "apis/broken") == 0
        assert writes(emu) > before
        assert emu.url and run_cli(emu, "plan", "--artifacts", str(root), "--exclude", "apis/b*") == 0
    out = capsys.readouterr()
    text = out.out + out.err
    assert "not read at all" in text and "apis/broken/apiInformation.json" in text
    assert "invalid JSON" not in text


def test_a_guard_that_stops_the_plan_keeps_the_refusals_found_before_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "artifacts"
    _api(root, "typo", (POLICY % "plain").replace("set-header", "set-headr"))
    (root / "named values" / "plain").mkdir(parents=True)
    (root / "named values" / "plain" / "namedValueInformation.json").write_text(
        json.dumps({"properties": {"displayName": "plain", "value": "v", "secret": False}}))
    with Emulator(seed="demo") as emu:
        before = writes(emu)
        code = run_cli(emu, "plan", "--artifacts", str(root), "--prune", "--max-deletions", "0")
        assert writes(emu) == before
    assert code != 0
    err = capsys.readouterr().err
    assert "[lint]" in err and "AO203" in err
    assert "[planning]" in err and "--max-deletions" in err
