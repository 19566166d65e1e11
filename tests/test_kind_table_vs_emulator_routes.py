"""The client's kind table and the emulator's route table are written independently
(one from our needs, one from Microsoft's REST spec); this test makes them agree, so one wrong
row cannot pass on both sides."""

from __future__ import annotations

import re

import pytest

from apiops_core import kinds
from apiops_emulator.apim import routes


def _shape(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", template).lower()


def _route_for(template: str) -> "routes.Route | None":
    wanted = _shape(template)
    for route in routes.SERVICE_ROUTES:
        if _shape(route.template) == wanted:
            return route
    return None


def _singletons(template: str) -> str:
    """Singleton names (a policy is ``policy``, a wiki ``default``) are route parameters in the spec."""
    return template.replace("policies/policy", "policies/{p}").replace("wikis/default", "wikis/{w}")


ARM_KINDS = [k for k in kinds.KINDS if k.special is None]


@pytest.mark.parametrize("row", ARM_KINDS, ids=lambda r: r.name)
def test_every_kind_has_an_emulator_route(row: kinds.Kind) -> None:
    route = _route_for(_singletons(row.arm_path))
    assert route is not None, f"no emulator route for {row.arm_path}"
    assert route.lro == row.lro, f"{row.name}: LRO flag differs from the spec's"
    assert route.etag == row.etag, f"{row.name}: ETag flag differs from the spec's"


@pytest.mark.parametrize("row", [k for k in ARM_KINDS if k.in_workspace], ids=lambda r: r.name)
def test_workspace_kinds_exist_in_workspaces(row: kinds.Kind) -> None:
    template = _singletons(row.workspace_arm_path or row.arm_path)
    route = _route_for(template)
    assert route is not None, f"no emulator route for workspace path {template}"
    assert route.workspace, f"{row.name}: the spec has no workspace variant of {route.template}"
