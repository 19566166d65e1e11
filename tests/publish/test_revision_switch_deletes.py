"""A revision switch that drops the old current revision's folder: `--prune` and `--since` delete
that revision (never the API, never a revision that is still current); plain publish keeps it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from apiops_emulator.apim.emulator import Emulator
from apiops_core.model import ResourceKey, State
from apiops_core.plan import plan_against_instance, plan_since

from .conftest import make_arm, run_cli, writes


def _spec(revision: int) -> str:
    return (
        "openapi: 3.0.1\ninfo: {title: A, version: '1'}\npaths:\n"
        f"  /r{revision}:\n    get:\n      operationId: get-r{revision}\n      responses:\n        '200': {{description: ok}}\n"
    )


def _props(revision: int, current: bool, **extra: object) -> dict:
    props = {"displayName": "Revisioned", "path": "revisioned", "protocols": ["https"], "serviceUrl": "https://a.example",
             "apiRevision": str(revision), "isCurrent": current, "type": "http", "subscriptionRequired": True}
    props.update(extra)
    return props


def _write_api(root: Path, folder: str, props: dict, revision: int) -> None:
    target = root / "apis" / folder
    target.mkdir(parents=True, exist_ok=True)
    (target / "apiInformation.json").write_text(json.dumps({"properties": props}, indent=2) + "\n", encoding="utf-8")
    (target / "specification.yaml").write_text(_spec(revision), encoding="utf-8")


def _before(tree: Path) -> None:
    """Revision 2 current (folder `a`), revision 1 kept (folder `a;rev=1`)."""
    _write_api(tree, "a", _props(2, True), 2)
    _write_api(tree, "a;rev=1", _props(1, False, sourceApiId="/apis/a"), 1)


def _switch(tree: Path) -> None:
    """`a` moves to revision 3; no `a;rev=2` folder: the old current revision leaves the tree."""
    _write_api(tree, "a", _props(3, True), 3)
    assert not (tree / "apis" / "a;rev=2").exists()


def _revisions(emu: Emulator) -> dict[str, bool]:
    with make_arm(emu) as arm:
        out = {}
        for number in ("1", "2", "3"):
            found = arm.get(f"apis/a;rev={number}")
            if found is not None:
                out[number] = bool(found.properties.get("isCurrent"))
        root = arm.get("apis/a")
        assert root is not None, "the API itself must never be deleted"
        out["current"] = root.properties["apiRevision"]
    return out


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.mark.slow
def test_plain_publish_keeps_the_old_revision_and_prune_deletes_it(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    _before(tree)
    with Emulator(seed=None) as emu:
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        assert _revisions(emu) == {"1": False, "2": True, "current": "2"}
        _switch(tree)

        # terminator alone, planned while revision 2 is still current: apply never deletes it
        plan_file = tmp_path / "deletes.json"
        assert run_cli(emu, "plan", "--artifacts", str(tree), "--terminator", "--prune", "--max-deletions", "5",
                       "--out", str(plan_file)) == 0
        planned = json.loads(plan_file.read_text())
        assert planned["puts"] == []
        assert [(a["verb"], a["names"]) for a in planned["deletes"]] == [("delete", ["a;rev=2"])]
        assert run_cli(emu, "apply", str(plan_file), "--artifacts", str(tree)) == 0
        assert _revisions(emu) == {"1": False, "2": True, "current": "2"}

        # plain publish: revision 3 becomes current, revision 2 stays (no deletes without --prune/--since)
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        assert _revisions(emu) == {"1": False, "2": False, "3": True, "current": "3"}
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        assert writes(emu) == 0
        assert _revisions(emu) == {"1": False, "2": False, "3": True, "current": "3"}

        # --prune deletes the now non-current revision 2, and nothing else
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--prune", "--max-deletions", "5", "--yes") == 0
        assert emu.stats()["requests"]["DELETE"] == 1
        assert _revisions(emu) == {"1": False, "3": True, "current": "3"}
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--prune", "--max-deletions", "5", "--yes") == 0
        assert writes(emu) == 0


@pytest.mark.slow
def test_prune_in_the_same_publish_as_the_switch_releases_first_then_deletes(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    _before(tree)
    with Emulator(seed=None) as emu:
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        _switch(tree)
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--prune", "--max-deletions", "5", "--yes") == 0
        assert _revisions(emu) == {"1": False, "3": True, "current": "3"}
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--prune", "--max-deletions", "5", "--yes") == 0
        assert writes(emu) == 0


@pytest.mark.slow
def test_since_deletes_the_old_current_revision_after_the_release(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    tree = repo / "apim"
    _before(tree)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "rev 2 current")
    with Emulator(seed=None) as emu:
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        _switch(tree)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", "rev 3 current, rev 2 dropped")
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--since", "HEAD~1", "--yes") == 0
        assert _revisions(emu) == {"1": False, "3": True, "current": "3"}


def test_plans_name_the_old_revision_only_when_its_folder_is_gone() -> None:
    def state(*apis: tuple[str, int, bool]) -> State:
        from apiops_core.model import Resource

        result = State()
        for name, revision, current in apis:
            result.add(Resource(ResourceKey("api", (name,)), {"properties": _props(revision, current)}))
        return result

    before = state(("a", 2, True), ("a;rev=1", 1, False))
    switched = state(("a", 3, True), ("a;rev=1", 1, False))
    kept = state(("a", 3, True), ("a;rev=1", 1, False), ("a;rev=2", 2, False))
    same = state(("a", 2, True), ("a;rev=1", 1, False))

    def deleted(plan) -> list[str]:  # type: ignore[no-untyped-def]
        return [a.key.names[0] for a in plan.deletes]

    assert deleted(plan_against_instance(switched, before, terminator=True, prune=True, max_deletions=5)) == ["a;rev=2"]
    assert deleted(plan_against_instance(switched, before, terminator=False)) == []
    assert deleted(plan_against_instance(kept, before, terminator=True, prune=True, max_deletions=5)) == []
    assert deleted(plan_against_instance(same, before, terminator=True, prune=True, max_deletions=5)) == []
    changed = [ResourceKey("api", ("a",))]
    assert deleted(plan_since(switched, before, changed, since="abc")) == ["a;rev=2"]
    assert deleted(plan_since(kept, before, changed + [ResourceKey("api", ("a;rev=2",))], since="abc")) == []
    assert deleted(plan_since(same, before, [], since="abc")) == []
