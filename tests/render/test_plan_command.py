"""plan --json / --detailed-exitcode, publish --dry-run --detailed-exitcode, publish --force, and
per-collection extract progress, against the built-in emulator (loopback only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from apiops_core.arm import ArmClient
from apiops_core.auth import StaticTokenCredential
from apiops_core.cli import main
from apiops_emulator.apim.emulator import Emulator
from apiops_core.extract import CollectionProgress, extract


def _arm(emu: Emulator) -> ArmClient:
    return ArmClient(emu.url, StaticTokenCredential(emu.token), emu.subscription_id, emu.resource_group,
                     emu.service_name, ca_bundle=emu.ca_bundle)


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(seed="demo") as emulator:
        yield emulator


@pytest.fixture()
def tree(emu: Emulator, tmp_path: Path) -> Path:
    folder = tmp_path / "artifacts"
    with _arm(emu) as arm:
        extract(arm, folder)
    return folder


def _cli(emu: Emulator, *argv: str) -> int:
    return main(list(argv), {**emu.environment()})


def _change(tree: Path) -> None:
    policy = tree / "policy.xml"
    policy.write_text(policy.read_text(encoding="utf-8").replace(
        "<inbound>", '<inbound>\n    <set-header name="X-Render-Test" exists-action="override"><value>1</value></set-header>', 1),
        encoding="utf-8")


def test_plan_detailed_exitcode_and_json(emu: Emulator, tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(emu, "plan", "--artifacts", str(tree), "--detailed-exitcode") == 0  # no changes
    capsys.readouterr()
    _change(tree)
    assert _cli(emu, "plan", "--artifacts", str(tree), "--json", "--detailed-exitcode") == 2  # changes
    out = capsys.readouterr().out
    data = json.loads(out)  # stdout is only the JSON document
    assert data["formatVersion"] == 1 and data["hasChanges"] is True
    assert data["summary"] == {"create": 0, "update": 1, "delete": 0, "total": 1}
    (action,) = data["actions"]
    assert (action["change"], action["kind"], action["armPath"]) == ("update", "service-policy", "policies/policy")
    assert any("X-Render-Test" in line and line.startswith("  + ") for line in action["diff"])
    # any error is 1 with --detailed-exitcode (2 would read as "changes")
    assert _cli(emu, "plan", "--artifacts", str(tree / "missing"), "--detailed-exitcode") == 1
    assert _cli(emu, "plan", "--artifacts", str(tree / "missing")) == 2
    assert _cli(emu, "plan", "--artifacts", str(tree), "--detailed-exitcode", "--no-such-flag") == 1


def test_publish_dry_run_detailed_exitcode(emu: Emulator, tree: Path) -> None:
    assert _cli(emu, "publish", "--artifacts", str(tree), "--dry-run", "--detailed-exitcode") == 0
    _change(tree)
    before = emu.stats()["requests"]
    assert _cli(emu, "publish", "--artifacts", str(tree), "--dry-run", "--detailed-exitcode") == 2
    after = emu.stats()["requests"]
    assert sum(after[m] - before[m] for m in ("PUT", "PATCH", "DELETE")) == 0
    assert _cli(emu, "publish", "--artifacts", str(tree), "--yes", "--detailed-exitcode") == 1  # needs --dry-run


def test_publish_refuses_drift_since_planning_unless_force(emu: Emulator, tree: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import apiops_core.commands.publish as publish

    _change(tree)

    def someone_edits_the_portal_while_we_wait(*_: Any, **__: Any) -> bool:
        with _arm(emu) as arm:
            arm.put("policies/policy", {"properties": {"format": "rawxml", "value": "<policies><inbound /><backend><forward-request /></backend><outbound /><on-error /></policies>"}})
        return True

    monkeypatch.setattr(publish, "confirm", someone_edits_the_portal_while_we_wait)
    assert _cli(emu, "publish", "--artifacts", str(tree)) == 1  # refused before any write of ours
    with _arm(emu) as arm:
        assert "X-Render-Test" not in arm.get("policies/policy", params={"format": "rawxml"}).properties["value"]
    assert _cli(emu, "publish", "--artifacts", str(tree), "--force") == 0
    with _arm(emu) as arm:
        assert "X-Render-Test" in arm.get("policies/policy", params={"format": "rawxml"}).properties["value"]


def test_extract_reports_each_top_level_collection_item_by_item(emu: Emulator, tmp_path: Path) -> None:
    events: list[CollectionProgress] = []
    with _arm(emu) as arm:
        result = extract(arm, tmp_path / "x", progress=events.append)
    by_collection: dict[str, list[CollectionProgress]] = {}
    for event in events:
        by_collection.setdefault(event.collection, []).append(event)
    assert {"apis", "products", "named values", "workspaces", "workspaces/team-a/apis"} <= set(by_collection)
    totals = {}
    for name, seen in by_collection.items():
        if name != "workspaces":
            assert (seen[0].done, seen[0].total) == (0, -1), name  # "listing" before the list is read
            seen = seen[1:]
        total = totals[name] = seen[0].total
        assert seen[0].done == 0 and total >= 0, name  # the count, before its items are read
        assert sorted(e.done for e in seen) == list(range(total + 1)), name  # then one event per item
    assert totals["apis"] > 1 and totals["workspaces"] == 1
    assert result.resources > sum(totals.values())  # an item's children are part of the item


class _Tty:
    """A terminal stand-in for sys.stdout: collects text, says it is a TTY."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("extra, env, coloured", [
    ((), {}, True),
    (("--no-color",), {}, False),  # after the sub-command
    ((), {"NO_COLOR": "1"}, False),
    ((), {"TF_BUILD": "True"}, False),  # Azure Pipelines
])
def test_plan_is_coloured_on_a_terminal_only(emu: Emulator, tree: Path, monkeypatch: pytest.MonkeyPatch,
                                             extra: tuple[str, ...], env: dict[str, str], coloured: bool) -> None:
    _change(tree)
    (tree.parent / "out").mkdir()
    screen = _Tty()
    monkeypatch.setattr("sys.stdout", screen)
    files = tree.parent / "out"
    assert main(["plan", "--artifacts", str(tree), *extra, "--markdown", str(files / "plan.md"), "--out",
                 str(files / "plan.json")], {**emu.environment(), **env}) == 0
    assert "Plan: 0 to create, 1 to update, 0 to delete." in screen.text.replace("\x1b[1m", "").replace("\x1b[0m", "")
    assert ("\x1b[" in screen.text) is coloured
    for written in ("plan.md", "plan.json"):  # files never carry colour
        assert "\x1b" not in (files / written).read_text(encoding="utf-8")
