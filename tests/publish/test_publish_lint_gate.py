"""`apiops publish` runs lint first: an error-level finding stops it before any write, naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apiops_emulator.apim.emulator import Emulator

from .conftest import run_cli, writes

GOOD_POLICY = "<policies><inbound><base /><set-header name=\"x-env\" exists-action=\"override\"><value>{{env-name}}</value></set-header></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"


def _tree(root: Path, policy: str) -> Path:
    (root / "named values" / "env-name").mkdir(parents=True)
    (root / "named values" / "env-name" / "namedValueInformation.json").write_text(
        json.dumps({"properties": {"displayName": "env-name", "value": "dev", "secret": False}})
    )
    api = root / "apis" / "hello"
    api.mkdir(parents=True)
    (api / "apiInformation.json").write_text(
        json.dumps({"properties": {"displayName": "Hello", "path": "hello", "protocols": ["https"]}})
    )
    (api / "policy.xml").write_text(policy)
    return root


def test_a_typo_in_a_policy_stops_the_publish_before_any_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = _tree(tmp_path / "artifacts", GOOD_POLICY.replace("set-header", "set-headr"))
    with Emulator() as emu:
        before = writes(emu)
        code = run_cli(emu, "publish", "--artifacts", str(tree), "--yes")
        assert code != 0
        assert writes(emu) == before, "nothing may be written when lint reports an error"
    err = capsys.readouterr().err
    assert "AO203" in err and "apis/hello/policy.xml" in err


def test_the_same_tree_without_the_typo_publishes(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "artifacts", GOOD_POLICY)
    with Emulator() as emu:
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        assert writes(emu) >= 3
