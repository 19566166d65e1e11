"""The plan as people and machines read it, compared exactly with snapshot files.

The fixture (``fixtures/current`` = what the instance has, ``fixtures/desired`` = the artifacts)
holds a changed service policy (with a secret filled into it, longer than the old 60-character
clip), a changed specification (operations added, removed and changed), a new API, an API only
the instance has (deleted with --prune) and a rotated secret named value.

To update the snapshots after an intended change of the rendering:

    APIOPS_UPDATE_SNAPSHOTS=1 python -m pytest -q -p no:cacheprovider tests/render

then review ``git diff tests/render/snapshots`` like any other change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from apiops_core.artifacts import load_tree
from apiops_core.contentdiff import mask_plan, secret_strings
from apiops_core.model import Plan, ResourceKey
from apiops_core.plan import plan_against_instance
from apiops_core.render import plan_json, plan_markdown, plan_text
from apiops_core.treesource import DirectorySource

HERE = Path(__file__).parent
SNAPSHOTS = HERE / "snapshots"
SECRET = "Rotated-Secret-Value-2026-with-a-long-tail-beyond-sixty-characters"


def fixture_plan() -> Plan:
    desired = load_tree(DirectorySource(HERE / "fixtures" / "desired"), report=False)
    current = load_tree(DirectorySource(HERE / "fixtures" / "current"), report=False)
    plan = plan_against_instance(
        desired, current, creator=True, terminator=True, prune=True, max_deletions=5,
        target={"subscription": "00000000-0000-0000-0000-000000000000", "resourceGroup": "rg-fixture",
                "service": "apim-fixture"},
        secret_values={ResourceKey("named-value", ("backend-key",)): "the-old-value"},
    )
    return mask_plan(plan, secret_strings(desired))  # as commands.plan.make_plan does


RENDERINGS = {
    "plan.txt": lambda plan: plan_text(plan) + "\n",
    "plan.color.txt": lambda plan: plan_text(plan, color=True) + "\n",
    "plan.md": plan_markdown,
    "plan.json": lambda plan: json.dumps(plan_json(plan), indent=2) + "\n",
}


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_rendering_matches_snapshot(name: str) -> None:
    text = RENDERINGS[name](fixture_plan())
    path = SNAPSHOTS / name
    if os.environ.get("APIOPS_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no snapshot {path}; create it with APIOPS_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from {path}; if the change is intended, run with APIOPS_UPDATE_SNAPSHOTS=1 and review the diff"
    )


def test_fixture_plan_covers_each_case_and_masks_the_secret() -> None:
    plan = fixture_plan()
    changes = {(a.key.kind, "/".join(a.key.names), a.reason.split()[0]) for a in plan.actions}
    assert ("service-policy", "", "update") in changes
    assert ("api-specification", "orders", "update") in changes
    assert ("api", "weather", "create") in changes
    assert [(a.key.kind, a.key.names) for a in plan.deletes] == [("api", ("legacy",))]
    assert any(a.key.kind == "named-value" for a in plan.puts)
    for name, render in RENDERINGS.items():
        text = render(plan)
        assert SECRET not in text and SECRET[:30] not in text, name
        assert "…" not in text, f"{name}: nothing is clipped"


def test_policy_diff_is_a_unified_diff_with_context() -> None:
    policy = next(a for a in fixture_plan().puts if a.key.kind == "service-policy")
    assert policy.diff[0] == "~ policy.xml: 2 line(s) added, 1 removed"
    assert policy.diff[1].startswith("  @@ -")
    assert '  -     <rate-limit calls="100" renewal-period="60" />' in policy.diff
    assert '  +     <rate-limit calls="250" renewal-period="60" />' in policy.diff
    assert "            <origin>https://portal.contoso.example</origin>" in policy.diff  # context, as indented in the file


def test_specification_diff_lists_operations_not_yaml() -> None:
    spec = next(a for a in fixture_plan().puts if a.key.kind == "api-specification" and a.key.names == ("orders",))
    assert spec.diff[0] == "~ specification: 1 operation(s) added, 1 removed, 2 changed"
    assert "  + POST /orders" in spec.diff and "  - DELETE /orders/{}" in spec.diff
    assert "      + query parameter status" in spec.diff
    assert "      + response 404" in spec.diff
    assert not any("openapi:" in line or "operationId" in line for line in spec.diff)


def test_colour_only_when_asked() -> None:
    plan = fixture_plan()
    assert "\x1b[" not in plan_text(plan)
    coloured = plan_text(plan, color=True)
    assert "\x1b[32m" in coloured and "\x1b[31m" in coloured and "\x1b[33m" in coloured
    # the same text once the colour codes are removed
    import re

    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plan_text(plan)
