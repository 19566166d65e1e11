"""Drift and environment comparison (shared by ``status``, ``compare``), as plans: one differ (``plan.plan_against_instance``) for all.

Why plans: "what in the instance differs from commit X's rendered tree" is exactly the Creator's
plan from that tree, and "what differs between dev and prod" is the plan that would make prod
look like dev. Reusing the planner keeps one definition of "equal" (normalised bodies, secret
fields never compared, server defaults ignored) and its property diffs. Everything here only
reads: no ``listValue`` of secrets (a Reader cannot call it), so secret values are never compared.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ..model import Plan, ResourceKey, State
from ..normalise import drop_path

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Overrides

__all__ = ["instance_drift", "mask_overridden", "compare_states", "action_items", "LenientTokens"]

#: more deletions than any instance has: comparisons list, they never guard
_NO_GUARD = 10 ** 9


def instance_drift(arm: Any, desired: State, *, selection: Any = None, notes: Iterable[str] = (),
                   unmanaged: bool = False, target: Mapping[str, str] | None = None) -> Plan:
    """The plan that would bring the instance back to ``desired`` (reads only).

    Its puts are the drift (``create``: missing from the instance, ``update``: changed there);
    with ``unmanaged`` its deletes are what the instance has and the tree lacks.
    """
    from ..extract import read_instance
    from ..plan import plan_against_instance
    from .plan import children_needed, read_current_specifications

    current = read_instance(arm, None, include_specifications=False,
                            needed=None if unmanaged else children_needed(desired))
    for spec in read_current_specifications(arm, desired, current):
        current.add(spec)
    plan = plan_against_instance(desired, current, creator=True, terminator=unmanaged, prune=unmanaged,
                                 max_deletions=_NO_GUARD, target=target, secret_values=None)
    if selection is not None:
        from ..selection import restrict_plan

        plan = restrict_plan(plan, selection, desired, notes)
    return plan


def _leaf_paths(value: Any, prefix: str) -> list[str]:
    if isinstance(value, Mapping) and value:
        paths: list[str] = []
        for key, child in value.items():
            paths += _leaf_paths(child, f"{prefix}.{key}")
        return paths
    return [prefix]


def mask_overridden(state: State, overrides: Iterable["Overrides"]) -> State:
    """``state`` without what any of the environments' override files sets (expected differences).

    A property an override sets is dropped from the resource it targets (an API's override covers
    its revisions, as when publishing); an overridden policy loses its content.
    """
    import copy

    masks: dict[ResourceKey, set[str]] = {}
    for loaded in overrides:
        for entry in loaded.entries:
            for resource in loaded._targets(entry, state):
                for path in _leaf_paths(dict(entry.properties or {}), "properties"):
                    masks.setdefault(resource.key, set()).add(path)
    if not masks:
        return state
    result = State()
    for resource in state:
        paths = masks.get(resource.key)
        if not paths:
            result.add(resource)
            continue
        body = copy.deepcopy(dict(resource.body))
        content = resource.content
        for path in paths:
            if resource.key.row.is_policy and path in ("properties.value", "properties.format"):
                content = ""
            drop_path(body, path)
        result.add(replace(resource, body=body, content=content))
    return result


def compare_states(a: State, b: State, *, target: Mapping[str, str] | None = None) -> Plan:
    """The plan that would make B look like A: puts = only in A or different, deletes = only in B."""
    from ..plan import plan_against_instance

    return plan_against_instance(a, b, creator=True, terminator=True, prune=True, max_deletions=_NO_GUARD,
                                 target=target, secret_values=None)


def action_items(plan: Plan, labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """Plain dicts for JSON/Markdown: kind, name, workspace, change (via ``labels``), diff lines."""
    items = []
    for action in plan.actions:
        change = "delete" if action.verb == "delete" else ("create" if action.reason.startswith("create") else "update")
        items.append({
            "kind": action.key.kind,
            "name": "/".join(action.key.names) or "(service)",
            "workspace": action.key.workspace,
            "change": labels.get(change, change),
            "diff": list(action.diff),
        })
    return items


class LenientTokens(dict):
    """An environment in which every ``{#TOKEN#}`` is set: to its value when there is one, else to
    a placeholder.

    ``compare`` only needs to know WHICH properties an override file sets, and ``status`` never
    compares secret values, so neither must need the secrets a publish needs (a token of a
    property that is compared and not set shows up as drift, naming the token).
    """

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> str:
        return super().get(key, f"(token {key})")

    def get(self, key: str, default: Any = None) -> str:
        return self[key]
