"""The seeds applied through the emulator's own request handling (skipped if the emulator is absent)."""
from __future__ import annotations

import json

import pytest

emulator_module = pytest.importorskip("apiops_emulator.apim.emulator")


def _names(emu, path: str) -> list[str]:
    response = emu.apply("GET", path)
    assert response.status == 200, (path, response.status)
    return [item["name"] for item in json.loads(response.body)["value"]]


def test_demo_seed_applies_and_generates_operations():
    with emulator_module.Emulator(seed="demo") as emu:  # raises if any seed request fails
        apis = _names(emu, "apis")
        assert {"conference-api", "inventory-api", "orders-v1", "orders-v2", "echo-api", "echo-api;rev=2",
                "books-graphql", "calculator-soap"} <= set(apis)
        assert _names(emu, "apis/conference-api/operations") == [
            "list-sessions", "create-session", "get-session", "delete-session", "list-speakers"]
        assert len(_names(emu, "apis/calculator-soap/operations")) == 2


def test_generated_seed_applies():
    with emulator_module.Emulator(seed="generated:3:4") as emu:
        assert len(_names(emu, "apis")) == 3
        assert len(_names(emu, "apis/bench-api-0002/operations")) == 4
