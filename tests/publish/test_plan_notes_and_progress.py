"""The plan says what happens to a new product's auto-created subscription and Administrators link,
and apply reports its progress as percentages (for ``##vso[task.setprogress]``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from apiops_emulator.apim.emulator import Emulator

from .conftest import make_arm, run_cli, writes


def _write(root: Path, path: str, body: dict[str, Any]) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")


def _products_tree(root: Path) -> Path:
    for name in ("gold", "silver"):
        _write(root, f"products/{name}/productInformation.json",
               {"properties": {"displayName": name.title(), "subscriptionRequired": True, "state": "published"}})
    _write(root, "products/silver/groups/administrators/productGroupInformation.json",
           {"name": "administrators", "properties": {"groupId": "/groups/administrators"}})
    _write(root, "subscriptions/silver-team/subscriptionInformation.json",
           {"properties": {"displayName": "Silver team", "scope": "/products/silver", "state": "active"}})
    return root


def test_plan_text_and_markdown_say_what_happens_to_auto_created_subscription_and_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = _products_tree(tmp_path / "tree")
    markdown = tmp_path / "plan.md"
    with Emulator(seed="demo-secrets") as emu:
        assert run_cli(emu, "plan", "--artifacts", str(tree), "--markdown", str(markdown)) == 0
        text = capsys.readouterr().out
        notes = [line.strip() for line in text.splitlines() if "new product:" in line]
        assert len(notes) == 2
        gold = next(n for n in notes if "(none declared)" in n)
        assert "Administrators link is removed (not declared)" in gold
        silver = next(n for n in notes if "declared ones kept: silver-team" in n)
        assert "Administrators link is kept (declared)" in silver
        md = markdown.read_text(encoding="utf-8")
        assert md.count("new product:") == 2
        assert "declared ones kept: silver-team" in md

        # and apply does what the plan said
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        with make_arm(emu) as arm:
            subscriptions = list(arm.list("subscriptions"))
            scopes = {s["name"]: str(s["properties"].get("scope", "")).lower() for s in subscriptions}
            assert not [n for n, scope in scopes.items() if scope.endswith("/products/gold")]
            assert [n for n, scope in scopes.items() if scope.endswith("/products/silver")] == ["silver-team"]
            assert arm.get("products/gold/groups/administrators") is None
            assert arm.get("products/silver/groups/administrators") is not None
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        assert writes(emu) == 0


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.progress: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        value = getattr(record, "progress", None)
        if value is not None:
            self.progress.append((value, record.getMessage()))


def test_publish_through_the_cli_logs_increasing_progress_percentages(demo_tree: Path) -> None:
    handler = _Records()
    logger = logging.getLogger("apiops")
    logger.addHandler(handler)
    try:
        with Emulator(seed="demo-secrets") as emu:
            assert run_cli(emu, "publish", "--artifacts", str(demo_tree), "--yes") == 0
    finally:
        logger.removeHandler(handler)
    values = [value for value, _ in handler.progress]
    assert len(values) >= 10
    assert all(isinstance(v, int) and 0 < v <= 100 for v in values)
    assert values == sorted(values) and len(set(values)) == len(values)
    assert values[-1] == 100
    assert handler.progress[-1][1].startswith("applied ")
    total = int(handler.progress[-1][1].split("/")[1].split()[0])
    assert handler.progress[-1][1].startswith(f"applied {total}/{total}")
