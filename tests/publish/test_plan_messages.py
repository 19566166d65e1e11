"""Messages of a plan: a tolerated unknown property is warned once, skipped built-in and
auto-created resources read as notes, and reading the instance for a plan says "reading"."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from apiops_emulator.apim.emulator import Emulator
from apiops_core.extract import read_instance

from .conftest import make_arm, run_cli


def _tree(root: Path) -> Path:
    files = {
        "apis/x/apiInformation.json": {"properties": {"displayName": "X", "path": "x", "protocols": ["https"],
                                                      "bogusProp": 1}},
        "groups/developers/groupInformation.json": {"properties": {"displayName": "Developers"}},
        "groups/team/groupInformation.json": {"properties": {"displayName": "Team"}},
        "products/starter/productInformation.json": {"properties": {"displayName": "Starter"}},
        "subscriptions/auto/subscriptionInformation.json": {"properties": {"scope": "/products/starter",
                                                                           "ownerId": "/users/1"}},
    }
    for rel, body in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(json.dumps(body))
    return root


def test_plan_messages_are_said_once_and_notes_read_as_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = _tree(tmp_path / "artifacts")
    with Emulator() as emu:
        assert run_cli(emu, "plan", "--artifacts", str(tree)) == 0
    out = capsys.readouterr()
    lines = (out.out + out.err).splitlines()
    unknown = [line for line in lines if "unknown property properties.bogusProp" in line]
    assert len(unknown) == 1 and unknown[0].startswith("warning: ")
    builtin = [line for line in lines if "is a built-in APIM resource; skipped" in line]
    assert len(builtin) == 1 and builtin[0].startswith("note: ")
    auto = [line for line in lines if "subscription 'auto'" in line]
    assert len(auto) == 1 and auto[0].startswith("note: skipped ")


def test_reading_the_instance_for_a_plan_says_reading(caplog: pytest.LogCaptureFixture) -> None:
    with Emulator(seed="demo") as emu, make_arm(emu) as arm:
        with caplog.at_level(logging.INFO, logger="apiops.extract"):
            read_instance(arm, include_specifications=False, verb="reading")
        planned = [r.getMessage() for r in caplog.records if r.name == "apiops.extract"]
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="apiops.extract"):
            read_instance(arm, include_specifications=False)
        extracted = [r.getMessage() for r in caplog.records if r.name == "apiops.extract"]
    assert any(m.startswith("reading groups (") for m in planned)
    assert not any(m.startswith("extracting ") for m in planned)
    assert any(m.startswith("extracting groups (") for m in extracted)
