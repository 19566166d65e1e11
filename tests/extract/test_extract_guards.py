"""Extract never turns a tree into an empty one, nor deletes more than a bound, unless told to;
and a 404 on a list means "not on this tier" only for the kinds that really depend on the tier."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any, Iterator

import pytest

from apiops_core.artifacts import WriteResult
from apiops_core.cli import main
from apiops_emulator.apim.emulator import Emulator
from apiops_core.errors import ArmError, ConfigError, GuardError
from apiops_core.extract import read_instance
from apiops_core.kinds import KINDS
from apiops_core.model import ResourceKey
from apiops_core.target import DEFAULT_MIN_DELETIONS, DeletionGuard
from test_extract_walk import ScriptedArm


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the folder's parent (a staging copy left beside it would show up too)."""
    return {p.relative_to(root.parent).as_posix(): p.read_bytes() for p in sorted(root.parent.rglob("*")) if p.is_file()}


def writes(emu: Emulator) -> int:
    requests = emu.stats()["requests"]
    return int(requests["PUT"] + requests["PATCH"] + requests["DELETE"])


@pytest.fixture()
def log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("apiops")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


@pytest.fixture()
def tree(emulator: Any, tmp_path: Path) -> Path:
    """The demo instance extracted by the CLI, plus a foreign file that is never an artifact."""
    root = tmp_path / "repo" / "artifacts"
    assert main(["extract", "--output", str(root)], emulator.environment()) == 0
    (root / "README.md").write_text("# our APIs\n", encoding="utf-8")
    return root


def artifact_count(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file() and p.name != "README.md")


def add_stale_named_values(root: Path, count: int) -> None:
    """Artifacts the instance does not have: an extraction deletes exactly these files."""
    for index in range(count):
        folder = root / "named values" / f"stale-{index:03}"
        folder.mkdir(parents=True)
        (folder / "namedValueInformation.json").write_text(
            json.dumps({"properties": {"displayName": f"stale-{index:03}", "value": "x"}}), encoding="utf-8")


def test_an_empty_instance_does_not_empty_a_tree_unless_allowed(tree: Path, log: io.StringIO) -> None:
    existing = artifact_count(tree)
    before = snapshot(tree)
    with Emulator(seed=None) as empty:
        environ = empty.environment()
        code = main(["extract", "--output", str(tree), "--max-deletions", "100000"], environ)
        assert code != 0
        message = log.getvalue()
        assert f"delete all {existing} artifact file(s)" in message and "--allow-empty" in message
        assert snapshot(tree) == before
        assert writes(empty) == 0

        assert main(["extract", "--output", str(tree), "--allow-empty"], environ) == 0
    assert artifact_count(tree) == 0
    assert (tree / "README.md").read_text(encoding="utf-8") == "# our APIs\n"  # foreign files stay


def test_an_empty_instance_into_an_empty_folder_needs_no_flag(tmp_path: Path) -> None:
    with Emulator(seed=None) as empty:
        assert main(["extract", "--output", str(tmp_path / "new")], empty.environment()) == 0


@pytest.mark.slow
def test_the_default_bound_is_a_quarter_of_the_tree_and_max_deletions_moves_it(
    emulator: Any, tree: Path, log: io.StringIO
) -> None:
    environ = emulator.environment()
    kept = artifact_count(tree)
    stale = kept // 2  # more than a quarter of kept + stale, and more than the minimum
    assert stale > max(DEFAULT_MIN_DELETIONS, (kept + stale) // 4)
    add_stale_named_values(tree, stale)
    before = snapshot(tree)

    assert main(["extract", "--output", str(tree)], environ) != 0
    assert f"would delete {stale} of the {kept + stale} artifact file(s)" in log.getvalue()
    assert f"--max-deletions {stale}" in log.getvalue()
    assert snapshot(tree) == before

    assert main(["extract", "--output", str(tree), "--max-deletions", str(stale - 1)], environ) != 0
    assert snapshot(tree) == before

    result = tree.parent / "result.json"
    assert main(["extract", "--output", str(tree), "--max-deletions", str(stale), "--result", str(result)], environ) == 0
    assert json.loads(result.read_text(encoding="utf-8"))["files_deleted"] == stale
    assert artifact_count(tree) == kept and not (tree / "named values" / "stale-000").exists()


@pytest.mark.slow
def test_routine_deletions_pass_under_the_default_bound_and_zero_means_zero(
    emulator: Any, tree: Path, log: io.StringIO
) -> None:
    environ = emulator.environment()
    add_stale_named_values(tree, 1)
    before = snapshot(tree)
    assert main(["extract", "--output", str(tree), "--max-deletions", "0"], environ) != 0
    assert "more than --max-deletions 0" in log.getvalue()
    assert snapshot(tree) == before
    assert main(["extract", "--output", str(tree)], environ) == 0
    assert not (tree / "named values" / "stale-000").exists()


def test_guard_bound_and_inputs() -> None:
    assert DeletionGuard().bound(0) == DEFAULT_MIN_DELETIONS
    assert DeletionGuard().bound(400) == 100
    assert DeletionGuard(max_deletions=3).bound(400) == 3
    with pytest.raises(ConfigError):
        DeletionGuard(max_deletions=-1)
    emptied = WriteResult(deleted=["tags/t/tagInformation.json"])
    with pytest.raises(GuardError, match="--allow-empty"):
        DeletionGuard(max_deletions=5).check(emptied, "art")
    DeletionGuard(allow_empty=True).check(emptied, "art")


# -- 404 on a list ---------------------------------------------------------------------------

def test_tier_dependent_kinds_are_marked_in_the_table() -> None:
    assert {k.name for k in KINDS if k.tier_dependent} == {
        "workspace", "gateway", "gateway-api", "group", "product-group",
        # developer-portal kinds (not on Consumption) and newer collections an older instance lacks
        "identity-provider", "authorization-server", "openid-connect-provider",
        "documentation", "api-wiki", "product-wiki", "policy-restriction",
    }


@pytest.mark.parametrize("collection", ["gateways", "workspaces", "groups"])
def test_a_404_on_a_tier_dependent_collection_is_skipped(collection: str) -> None:
    arm = ScriptedArm(
        lists={collection: ArmError("no", status=404, code="ResourceNotFound"),
               "tags": [{"name": "t", "properties": {"displayName": "T"}}]},
        gets={},
    )
    assert [r.key for r in read_instance(arm)] == [ResourceKey("tag", ("t",))]


@pytest.mark.parametrize("collection", ["namedValues", "apis", "products", "backends", "subscriptions"])
def test_a_404_on_any_other_collection_is_an_error(collection: str) -> None:
    arm = ScriptedArm(lists={collection: ArmError("gone", status=404, code="ResourceNotFound")}, gets={})
    with pytest.raises(ArmError, match=f"GET {collection}: the instance answered 404") as caught:
        read_instance(arm)
    assert caught.value.status == 404


def test_a_404_under_an_existing_parent_is_an_error_under_a_deleted_one_it_is_skipped() -> None:
    api = {"name": "a", "properties": {"path": "a", "type": "websocket"}}
    lists = {"apis": [api], "apis/a/operations": ArmError("gone", status=404, code="ResourceNotFound")}
    arm = ScriptedArm(lists=lists, gets={"apis/a": api})  # the API is still there: the 404 is not explained
    with pytest.raises(ArmError, match="apis/a/operations"):
        read_instance(arm, needed=lambda row, parent: row.name == "api-operation")
    arm = ScriptedArm(lists=lists, gets={})  # the API went away while we were reading
    state = read_instance(arm, needed=lambda row, parent: row.name == "api-operation")
    assert [r.key for r in state] == [ResourceKey("api", ("a",))]
