"""What of a tree a publish takes: ``--exclude`` paths, ``--filter`` subsets, APIM's own subscriptions.

Why a module of its own: migrating a real tree rarely works in one go. A team wants to publish
everything but the one SOAP API it has not fixed yet (``--exclude apis/legacy-soap``), or only
its own APIs with what they need (``--filter team.yaml``, apiops-cli 1.0's ``publish --filter``),
and trees extracted from a live instance carry the subscriptions APIM creates by itself. All of
these shrink the desired state before lint and planning, and the plan must then never delete
what the selection left out. Pure functions on ``State``; no I/O but reading the filter file.

- ``--exclude PATTERN`` (repeatable): a path relative to the artifacts root, or a glob
  (``apis/legacy-*``). A resource is left out when one of its files is under or matches the
  pattern, when its parent is left out, or (links) when one of its ends is.
- ``--filter FILE``: the extractor configuration format (v7 nested keys or v6 ``*Names``; a
  missing key selects everything of that kind, ``[]`` nothing). What it selects is published
  with its dependencies: the named values, fragments, backends (and pool members), loggers and
  version sets it refers to, and the parents of selected children, transitively.
- APIM creates a subscription for the administrator (owner ``/users/1``) on each new product;
  an extractor writes it without a ``displayName`` (Azure/apiops v6 also drops the ``ownerId``,
  so a product-scoped subscription with neither is taken for one too). Such files are skipped with a note: the
  target makes its own when the product is created, and the service refuses one without a name.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .model import Action, Plan, Resource, ResourceKey, State

__all__ = ["Selection", "is_auto_subscription", "skip_auto_subscriptions", "restrict_plan"]

_GLOB = set("*?[")


def is_auto_subscription(resource: Resource) -> bool:
    """A subscription APIM created for the administrator on a product (no display name; owner
    ``/users/1`` or none: a subscription of another owner without a name stays, and AO107 refuses it)."""
    if resource.key.kind != "subscription":
        return False
    props = resource.properties
    if props.get("displayName"):
        return False
    scope = props.get("scope")
    owner = props.get("ownerId")
    if not isinstance(scope, str) or (owner is not None and not isinstance(owner, str)):
        return False
    parts = [p for p in scope.lower().split("/") if p]
    administrator = owner is None or owner.rstrip("/").lower().endswith("/users/1")
    return len(parts) >= 2 and parts[-2] == "products" and administrator


def skip_auto_subscriptions(state: State) -> tuple[State, tuple[str, ...], frozenset[ResourceKey]]:
    """The state without APIM's auto-created product subscriptions, a note for each, their keys.

    The publisher keeps them in its desired state (an instance that has the same subscription
    must not see it as undeclared) and drops their puts (``restrict_plan``).
    """
    kept = State()
    notes: list[str] = []
    skipped: set[ResourceKey] = set()
    for resource in state:
        if is_auto_subscription(resource):
            where = resource.source.path if resource.source else str(resource.key)
            product = str(resource.properties.get("scope")).rstrip("/").rsplit("/", 1)[-1]
            notes.append(
                f"note: skipped {where}: subscription {resource.key.name!r} is the one APIM creates for the administrator "
                f"with product {product!r} (no displayName, administrator owner); the target makes its own"
            )
            skipped.add(resource.key)
        else:
            kept.add(resource)
    return kept, tuple(notes), frozenset(skipped)


def _matches(path: str, pattern: str) -> bool:
    pattern = pattern.strip().replace("\\", "/").strip("/")
    path = path.strip("/")
    if not pattern:
        return False
    if _GLOB & set(pattern):
        return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern + "/*")
    return path == pattern or path.startswith(pattern + "/")


def _default_path(key: ResourceKey) -> str | None:
    """Where the v7 layout keeps a resource (for keys the tree no longer has, e.g. deletes)."""
    from .kinds import WORKSPACE_PREFIX, fill

    row = key.row
    template = row.info_path or row.content_path
    if not template:
        return None
    if key.workspace:
        template = WORKSPACE_PREFIX + template
    try:
        return fill(template.replace("*", "x"), key.names, key.workspace)
    except (KeyError, IndexError, ValueError):
        return None


@dataclass(frozen=True)
class Selection:
    """``--exclude`` patterns and an optional ``--filter`` (an ``ExtractorConfig``)."""

    excludes: tuple[str, ...] = ()
    filter: Any = None
    transitive: bool = True
    skipped: frozenset[ResourceKey] = field(default_factory=frozenset)
    #: what the tree source puts before a tree-relative path (``/abs/artifacts/``): patterns are relative
    root_prefix: str = ""

    @classmethod
    def build(cls, excludes: tuple[str, ...], filter_path: str | None, *, transitive: bool = True) -> "Selection | None":
        """From command-line values (None when there is nothing to select)."""
        if not excludes and not filter_path:
            return None
        config = None
        if filter_path:
            from .config import ExtractorConfig

            config = ExtractorConfig.load(filter_path)
        return cls(excludes=tuple(excludes), filter=config, transitive=transitive)

    def to_target(self) -> dict[str, str]:
        """What a saved plan records (in its ``target``) so ``apply`` reads the same selection."""
        recorded: dict[str, str] = {}
        if self.excludes:
            recorded["exclude"] = "\n".join(self.excludes)
        if self.filter is not None and getattr(self.filter, "path", None):
            recorded["filter"] = str(self.filter.path)
            if not self.transitive:
                recorded["transitive"] = "false"
        return recorded

    @classmethod
    def from_target(cls, target: Mapping[str, str]) -> "Selection | None":
        excludes = tuple(p for p in str(target.get("exclude") or "").split("\n") if p)
        return cls.build(excludes, target.get("filter") or None, transitive=target.get("transitive") != "false")

    @property
    def active(self) -> bool:
        return bool(self.excludes) or self.filter is not None

    def skips_file(self, path: str) -> bool:
        """Whether a tree-relative file is left out before it is read (``--exclude`` only: a filter
        needs every file's content to find what the selected resources depend on)."""
        return bool(self.excludes) and any(_matches(path, p) for p in self.excludes)

    def excluded_path(self, path: str | None) -> bool:
        if not path or not self.excludes:
            return False
        if self.root_prefix and path.startswith(self.root_prefix):
            path = path[len(self.root_prefix):]
        return any(_matches(path, p) for p in self.excludes)

    def _excluded_key(self, key: ResourceKey, state: State) -> bool:
        current: ResourceKey | None = key
        while current is not None:
            resource = state.get(current)
            path = resource.source.path if resource is not None and resource.source else _default_path(current)
            if self.excluded_path(path):
                return True
            current = current.parent
        row = key.row
        if row.link:
            for index, end in enumerate(row.link):
                if index < len(key.names):
                    if self._excluded_key(ResourceKey(end, (key.names[index],), key.workspace), state):
                        return True
        return False

    def covers(self, key: ResourceKey, body: Mapping[str, Any] | None, state: State) -> bool:
        """Whether the selection reaches ``key`` at all (a delete outside it is dropped)."""
        if key in self.skipped:
            return False
        if self._excluded_key(key, state):
            return False
        return self.filter is None or bool(self.filter.selects(key, body))

    def apply(self, state: State) -> tuple[State, tuple[str, ...]]:
        """The selected state (filter matches + dependencies, minus exclusions) and notes."""
        if not self.active:
            return state, ()
        from .references import display_index, references_of

        excluded = {r.key for r in state if self._excluded_key(r.key, state)}
        if self.filter is None:
            chosen = {r.key for r in state} - excluded
            added: set[ResourceKey] = set()
        else:
            direct = {r.key for r in state if r.key not in excluded and self.filter.selects(r.key, r.body)}
            chosen = set(direct)
            if self.transitive:
                index = display_index(state)
                pending = list(direct)
                while pending:
                    key = pending.pop()
                    resource = state.get(key)
                    if resource is None:
                        continue
                    needed = list(references_of(resource, state, index=index))
                    parent = key.parent
                    if parent is not None and parent in state:
                        needed.append(parent)
                    for dependency in needed:
                        if dependency not in chosen and dependency not in excluded:
                            chosen.add(dependency)
                            pending.append(dependency)
            added = chosen - direct
        result = State([r for r in state if r.key in chosen])
        notes: list[str] = []
        if excluded:
            notes.append(f"--exclude left out {len(excluded)} resource(s): {_listing(excluded)}")
        if self.filter is not None:
            left = len(state) - len(result) - len(excluded)
            notes.append(
                f"--filter selected {len(chosen) - len(added)} resource(s) and {len(added)} dependenc"
                f"{'y' if len(added) == 1 else 'ies'}{': ' + _listing(added) if added else ''}; "
                f"{max(left, 0)} other(s) left as they are"
            )
        return result, tuple(notes)


def _listing(keys: Iterable[ResourceKey], limit: int = 8) -> str:
    ordered = sorted(str(k) for k in keys)
    shown = ", ".join(ordered[:limit])
    return shown + (f", … {len(ordered) - limit} more" if len(ordered) > limit else "")


def restrict_plan(plan: Plan, selection: Selection, desired: State, notes: Iterable[str] = ()) -> Plan:
    """Drop deletes the selection does not reach (nothing outside a filter is ever deleted), the
    puts of skipped auto-created subscriptions; add the notes to the plan's warnings."""
    def kept(action: Action) -> bool:
        return selection.covers(action.key, None, desired)

    deletes = tuple(a for a in plan.deletes if kept(a)) if (selection.active or selection.skipped) else plan.deletes
    puts = tuple(a for a in plan.puts if a.key not in selection.skipped) if selection.skipped else plan.puts
    extra = tuple(notes)
    if deletes == plan.deletes and puts == plan.puts and not extra:
        return plan
    return Plan(puts=puts, deletes=deletes, target=plan.target, warnings=plan.warnings + extra)
