"""Desired state vs current state → a ``Plan`` of ordered puts (Creator) and deletes (Terminator).

Why the comparison is semantic and not textual: the service re-pretty-prints policy XML (CRLF,
indentation), fills defaults into bodies, and answers specification exports with its own gateway
host in ``servers``/``host``. Comparing text would make every publish rewrite everything; apiops
compares what APIM means, so publishing the same state twice makes zero writes.

Two ways to find the changes:

- ``plan_against_instance``: the desired tree against the live instance (read by the caller);
  puts for whatever differs, deletes (``prune``) for what the instance has and the tree lacks,
  within what the extractor configuration selects and never the system resources.
- ``plan_since``: the Git changes between two revisions (any number of commits); puts for
  resources whose files changed and still exist, deletes for resources whose files are all gone
  (ordered with the *old* tree's edges, since the new tree no longer knows them).

Ordering is resource-level: parents, link ends, table references, content references
(``references.py``), revisions after their root API, operation policies after the specification
that creates their operation. Puts are sorted so that every action follows its dependencies;
deletes so that dependants go first.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterable, Mapping, Sequence

from .behaviours import all_behaviours, behaviour_for
from .behaviours.apis import REPUT_AFTER_IMPORT, replaced_revisions  # noqa: F401 - re-exported
from .behaviours.named_values import is_skipped_secret  # noqa: F401 - re-exported
from .behaviours.products import UNFINISHED_CREATE  # noqa: F401 - re-exported
from .errors import ConfigError, GuardError
from .kinds import KIND_BY_NAME
from .model import TARGET_FIELDS, Action, Plan, Resource, ResourceKey, State, canonical_json
from .normalise import drop_path, normalise_body, same_body
from .references import display_index, references_of
from .specs import parse_document as _parse_document  # noqa: F401 - old private name, moved to specs.py
from .specs import spec_parts as _spec_parts, spec_signature  # noqa: F401 - spec_signature re-exported

__all__ = [
    "plan_against_instance",
    "plan_since",
    "replaced_revisions",
    "dependencies",
    "order_keys",
    "resources_equal",
    "property_diff",
    "normalise_policy",
    "spec_signature",
    "is_system",
    "is_skipped_secret",
    "merge_plans",
    "guard_deletions",
    "MASK",
    "UNFINISHED_CREATE",
]

MASK = "***"
_DIFF_LIMIT = 12
_VALUE_LIMIT = 60


# -- comparison ------------------------------------------------------------------------------

def _normalise_body(key: ResourceKey, body: Mapping[str, Any]) -> dict[str, Any]:
    """The kind's normaliser (``normalise.py``), the same one extract writes with."""
    return normalise_body(key, dict(body))


def normalise_policy(text: str | None) -> str:
    """Policy XML with line endings, indentation and whitespace between tags made irrelevant."""
    if not text:
        return ""
    value = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    value = value.lstrip("\ufeff")
    value = "\n".join(line.strip() for line in value.split("\n"))
    value = re.sub(r">\s+<", "><", value)
    value = re.sub(r"\s*/>", "/>", value)
    return value


def _secret_paths(resource: Resource) -> tuple[str, ...]:
    row = resource.key.row
    if row.secret_flag and not resource.properties.get(row.secret_flag):
        return ()  # a plain named value's value is configuration, not a secret
    return tuple(row.secret_fields)


def _get_path(body: Mapping[str, Any], path: str) -> Any:
    current: Any = body
    for step in path.split("."):
        if not isinstance(current, Mapping) or step not in current:
            return None
        current = current[step]
    return current


def _subset(desired: Any, current: Any, set_like: bool = False) -> bool:
    """True when every property ``desired`` sets has the same value in ``current``.

    Properties only the instance has are server-filled defaults (or read-only), not a change.
    """
    if isinstance(desired, Mapping):
        if not isinstance(current, Mapping):
            return False
        return all(_subset(value, current.get(name)) for name, value in desired.items() if value is not None)
    if isinstance(desired, list) and isinstance(current, list) and set_like:
        return sorted(map(canonical_json, desired)) == sorted(map(canonical_json, current))
    if isinstance(desired, str) and isinstance(current, str) and desired.startswith("/") and current.startswith("/"):
        return _relative(desired).casefold() == _relative(current).casefold()
    return canonical_json(desired) == canonical_json(current)


def _relative(value: str) -> str:
    lowered = value.lower()
    marker = "/providers/microsoft.apimanagement/service/"
    position = lowered.find(marker)
    if position != -1:
        rest = value[position + len(marker):]
        return rest[rest.find("/"):] if "/" in rest else ""
    return value


def _comparable_body(resource: Resource) -> dict[str, Any]:
    body = _normalise_body(resource.key, resource.body)
    body.pop("name", None)
    for path in _secret_paths(resource):
        drop_path(body, path)  # the instance never shows secrets: they cannot be compared
    props = body.get("properties")
    if isinstance(props, dict):
        if resource.key.row.content_kind:
            props.pop("value", None)
            props.pop("format", None)
        for field_name in ("isCurrent",):
            props.pop(field_name, None)
    for path in resource.key.row.set_fields:
        value = _get_path(body, path)
        if isinstance(value, list):
            parent = _get_path(body, path.rsplit(".", 1)[0]) if "." in path else body
            if isinstance(parent, dict):
                parent[path.rsplit(".", 1)[-1]] = sorted(value, key=canonical_json)
    return body


def resources_equal(desired: Resource, current: Resource) -> bool:
    """Whether putting ``desired`` would change nothing the instance shows for ``current``."""
    row = desired.key.row
    if row.is_link or not row.body_compared:
        return True
    if row.content_kind == "policy":
        if normalise_policy(desired.content) != normalise_policy(current.content):
            return False
        if row.info_path is None:
            return True  # a policy without an information file has no body to compare
    if row.content_kind == "specification":
        return spec_signature(desired.content, desired.content_format) == spec_signature(
            current.content, current.content_format or desired.content_format
        )
    return same_body(desired.key, _without_isCurrent(desired.body), current.body)


def _without_isCurrent(body: Mapping[str, Any]) -> dict[str, Any]:
    props = body.get("properties")
    if isinstance(props, Mapping) and "isCurrent" in props:
        return {**body, "properties": {k: v for k, v in props.items() if k != "isCurrent"}}
    return dict(body)


def _short(value: Any) -> str:
    text = canonical_json(value) if not isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _VALUE_LIMIT else text[: _VALUE_LIMIT - 1] + "…"


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping) and value:
        flat: dict[str, Any] = {}
        for name, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{name}" if prefix else str(name)))
        return flat
    return {prefix: value}


def _masked(resource: Resource | None, path: str, value: Any) -> str:
    if resource is not None:
        for secret in _secret_paths(resource):
            if path == secret or path.startswith(secret + "."):
                return MASK
    return _short(value)


def _named_schema_view(current: Resource | None, desired: Resource | None,
                       old_sig: dict[str, Any], new_sig: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The signatures with ``schemas`` as a reader names them: the tree's named schemas (also those
    only referenced from an operation, which the signature compares inside the operation) against
    the instance's shape of the same name, plus the standalone ones the tree dropped (a name only
    the instance has may be the export's name for an inline schema, so only standalone ones count)."""
    fmt = ((current.content_format if current else None) or (desired.content_format if desired else None) or "").lower()
    old_named = _spec_parts(current.content, fmt)[1] if current is not None and current.content is not None else {}
    new_named = _spec_parts(desired.content, (desired.content_format or "").lower())[1] \
        if desired is not None and desired.content is not None else {}
    old_standalone = old_sig.get("schemas") or {}
    old_view = {name: old_named[name] for name in new_named if name in old_named}
    old_view.update({name: shape for name, shape in old_standalone.items() if name not in new_named})
    return {**old_sig, "schemas": old_view}, {**new_sig, "schemas": dict(new_named)}


def property_diff(desired: Resource | None, current: Resource | None) -> tuple[str, ...]:
    """A short, secret-masked list of what changes: ``+ path: v``, ``~ path: old → new``, ``- path``."""
    lines: list[str] = []
    subject = desired or current
    if subject is None:
        return ()
    row = subject.key.row
    content: list[str] = []  # unified policy diff / operation diff: not clipped to _DIFF_LIMIT
    if row.content_kind == "policy":
        from .contentdiff import policy_diff_lines

        if normalise_policy(current.content if current else None) != normalise_policy(desired.content if desired else None):
            content = policy_diff_lines(current.content if current else None, desired.content if desired else None)
    if row.content_kind == "specification":
        from .contentdiff import spec_diff_lines

        old_sig = spec_signature(current.content, current.content_format) if current else None
        new_sig = spec_signature(desired.content, desired.content_format) if desired else None
        if isinstance(old_sig, dict) and isinstance(new_sig, dict):
            old_sig, new_sig = _named_schema_view(current, desired, old_sig, new_sig)
        return tuple(spec_diff_lines(old_sig, new_sig))
    if row.is_link:
        return tuple(content)
    new_flat = _flatten(_comparable_body(desired)) if desired else {}
    old_flat = _flatten(_comparable_body(current)) if current else {}
    for path, value in new_flat.items():
        if value is None or path == "":
            continue
        if path not in old_flat:
            lines.append(f"+ {path}: {_masked(subject, path, value)}")
        elif not _subset(value, old_flat[path]):
            lines.append(f"~ {path}: {_masked(subject, path, old_flat[path])} → {_masked(subject, path, value)}")
    if desired is None:
        return ()
    if desired is not None and current is not None:
        for path in _secret_paths(desired):
            new_value = _get_path(desired.body, path)
            if new_value is not None and not _get_path(current.body, path):
                lines.append(f"~ {path}: {MASK}")
    if len(lines) > _DIFF_LIMIT:
        lines = lines[: _DIFF_LIMIT - 1] + [f"… {len(lines) - _DIFF_LIMIT + 1} more"]
    return tuple(content + lines)


# -- dependencies and order ------------------------------------------------------------------

def dependencies(key: ResourceKey, state: State, *, index: Mapping[Any, ResourceKey] | None = None) -> list[ResourceKey]:
    """The resources of ``state`` that must exist before ``key`` can be put (resource level).

    ``index`` is ``references.display_index(state)``, computed once per plan by callers.
    """
    found: dict[ResourceKey, None] = {}
    row = key.row
    parent = key.parent
    while parent is not None and parent not in state and parent.row.parent and not parent.row.in_tree:
        # an operation is not in the tree: its policy waits for what creates it (the specification)
        for maker in parent.row.depends_on_kinds:
            found.setdefault(ResourceKey(maker, parent.names[:KIND_BY_NAME[maker].arity], key.workspace), None)
        parent = parent.parent
    if parent is not None:
        found.setdefault(parent, None)
    if row.link:
        first, second = row.link
        found.setdefault(ResourceKey(first, key.names[:1], key.workspace), None)
        found.setdefault(ResourceKey(second, key.names[1:2], key.workspace), None)
    # everything under apis/a;rev=N waits for the root API a (a revision is made from it)
    if key.revision is not None:
        found.setdefault(key.root_api_key, None)  # type: ignore[arg-type]
    resource = state.get(key)
    if resource is not None:
        for target in references_of(resource, state, index=index):
            found.setdefault(target, None)
    found.pop(key, None)
    return [dep for dep in found if dep in state]


def order_keys(keys: Iterable[ResourceKey], edges: Mapping[ResourceKey, Iterable[ResourceKey]]) -> list[ResourceKey]:
    """Topological order of ``keys`` (dependencies first), ties broken by (level, kind, name).

    Edges to keys outside the set are ignored; a cycle (a fragment including itself through
    another) keeps its members in table order rather than failing: APIM will say which is wrong.
    """
    pending = sorted(set(keys), key=lambda k: k.sort_key())
    wanted = set(pending)
    remaining = {k: {d for d in edges.get(k, ()) if d in wanted and d != k} for k in pending}
    ordered: list[ResourceKey] = []
    while remaining:
        ready = [k for k in pending if k in remaining and not remaining[k]]
        if not ready:
            ready = [next(k for k in pending if k in remaining)]
        for k in ready:
            del remaining[k]
            ordered.append(k)
        done = set(ready)
        for deps in remaining.values():
            deps.difference_update(done)
    return ordered


# -- scope and safety ------------------------------------------------------------------------

def is_system(key: ResourceKey, resource: Resource | None = None) -> bool:
    """Resources APIM creates and owns: master subscription, built-in groups, managed gateway."""
    row = key.row
    if key.names and key.names[-1].casefold() in row.system_names:
        return True
    # links to built-in groups are ordinary links: a link row has no system names of its own
    return behaviour_for(key.kind).is_system(key, resource)


def guard_deletions(deletes: Sequence[Action], max_deletions: int | None) -> None:
    """Stop before any change when more deletions are planned than allowed (lists them)."""
    if max_deletions is None or len(deletes) <= max_deletions:
        return
    shown = "\n".join(f"  - {action.key}" for action in deletes[:50])
    more = f"\n  … and {len(deletes) - 50} more" if len(deletes) > 50 else ""
    raise GuardError(
        f"{len(deletes)} deletion(s) planned, more than --max-deletions {max_deletions}; nothing was changed.\n"
        f"Would have deleted:\n{shown}{more}\n"
        "Raise --max-deletions if this is intended."
    )


# -- building plans --------------------------------------------------------------------------

def _put_action(key: ResourceKey, desired: State, current: Resource | None, reason: str, etag: str | None,
                index: Mapping[Any, ResourceKey] | None = None) -> Action:
    resource = desired.get(key)
    assert resource is not None
    return Action(
        verb="put",
        key=key,
        reason=reason,
        etag=etag,
        fingerprint=resource.fingerprint(),
        diff=property_diff(resource, current),
        depends_on=tuple(dependencies(key, desired, index=index)),
    )


def _ordered_puts(actions: list[Action]) -> tuple[Action, ...]:
    by_key = {a.key: a for a in actions}
    edges = {a.key: a.depends_on for a in actions}
    return tuple(by_key[k] for k in order_keys(by_key, edges))


def _delete_actions(keys: Iterable[ResourceKey], old: State, etags: Mapping[ResourceKey, str | None], reason: str) -> tuple[Action, ...]:
    """Deletes, dependants first; a delete waits for the deletes of what depends on it.

    A resource whose parent (or one of whose link ends) is deleted too is not deleted on its
    own: APIM removes it with its parent, and a second delete would only fail or cost a write.
    """
    wanted = set(keys)
    kept: list[ResourceKey] = []
    for key in wanted:
        if _covered(key, wanted):
            continue
        kept.append(key)
    kept_set = set(kept)
    index = display_index(old)
    edges = {k: [d for d in dependencies(k, old, index=index) if d in kept_set] for k in kept}
    dependants: dict[ResourceKey, set[ResourceKey]] = {k: set() for k in kept}
    for key, deps in edges.items():
        for dep in deps:
            dependants[dep].add(key)
    # order: reverse of the put order
    put_order = order_keys(kept, edges)
    actions = []
    for key in reversed(put_order):
        actions.append(
            Action(
                verb="delete",
                key=key,
                reason=reason,
                etag=etags.get(key),
                depends_on=tuple(sorted(dependants[key])),
            )
        )
    return tuple(actions)


def _covered(key: ResourceKey, deleted: set[ResourceKey]) -> bool:
    parent = key.parent
    while parent is not None:
        if parent in deleted:
            return True
        parent = parent.parent
    if key.row.link:
        first, second = key.row.link
        if ResourceKey(first, key.names[:1], key.workspace) in deleted:
            return True
        if ResourceKey(second, key.names[1:2], key.workspace) in deleted:
            return True
    if key.revision is not None and key.root_api_key in deleted:
        return True
    return False


def _deletable(key: ResourceKey, resource: Resource | None, current: State | None) -> bool:
    if is_system(key, resource):
        return False
    row = key.row
    if not row.in_tree or row.special == "specification":
        return False
    if current is not None and not behaviour_for(key.kind).deletable(key, resource):
        return False  # e.g. the instance's current revision, never deleted on its own
    return True


def _revision_deletes(desired: State, before: State, etags: Mapping[ResourceKey, str | None], where: str,
                      selects: Callable[[ResourceKey], bool] | None = None,
                      already: Iterable[ResourceKey] = ()) -> tuple[Action, ...]:
    """Deletes the behaviours imply (an old current revision the tree replaced), not already planned."""
    seen = set(already)
    actions = []
    for behaviour in all_behaviours():
        for key, reason in behaviour.implied_deletes(desired, before):
            if key in seen or (selects is not None and not selects(key)):
                continue
            actions.append(Action(verb="delete", key=key, etag=etags.get(key), depends_on=(),
                                  reason=reason.replace("{where}", where)))
    return tuple(actions)


def _secret_warnings(desired: State) -> tuple[list[str], set[ResourceKey]]:
    """Resources the tree has but that cannot be put (secrets without a value), with a warning each."""
    warnings, skipped = [], set()
    for resource in desired:
        behaviour = behaviour_for(resource.key.kind)
        if behaviour.skip_put(resource) is not None:
            skipped.add(resource.key)
            warnings.append(behaviour.skip_warning(resource))
    return warnings, skipped


def plan_against_instance(
    desired: State,
    current: State,
    *,
    creator: bool = True,
    terminator: bool = False,
    prune: bool = False,
    selects: Callable[[ResourceKey], bool] | None = None,
    max_deletions: int | None = None,
    etags: Mapping[ResourceKey, str | None] | None = None,
    target: Mapping[str, str] | None = None,
    secret_values: Mapping[ResourceKey, str | None] | None = None,
) -> Plan:
    """Puts that make the instance match ``desired``; with ``prune``, deletes of what it lacks.

    ``selects`` is the extractor configuration's filter: prune only considers resources it
    selects (so a team's filtered repository never deletes other teams' APIs).
    ``secret_values`` are the instance's secret named values (the instance never shows them in a
    GET): a secret whose value differs is put, one whose value is unknown is put too.
    """
    etags = etags or {}
    warnings, skipped = _secret_warnings(desired)
    index = display_index(desired)
    puts: list[Action] = []
    if creator:
        for resource in desired:
            key = resource.key
            if key in skipped or not key.row.in_tree:
                continue
            existing = current.get(key)
            twin = _api_link_twin(key)
            if twin is not None:
                if twin in desired:
                    continue  # the same link, declared for the API itself too
                existing = existing or current.get(twin)
            behaviour = behaviour_for(key.kind)
            if existing is not None and resources_equal(resource, existing) \
                    and not behaviour.secret_changed(resource, secret_values):
                reason = behaviour.reput_reason(key, desired, current)
                if reason is not None:
                    puts.append(_put_action(key, desired, existing, reason, etags.get(key), index))
                continue
            puts.append(_put_action(key, desired, existing, "create" if existing is None else "update", etags.get(key), index))
    puts = _adjusted_puts(puts, desired, current, etags, index)
    deletes: tuple[Action, ...] = ()
    if terminator and prune:
        linked_via_revision = {t for t in map(_api_link_twin, desired.keys()) if t is not None}
        extra = [
            r.key
            for r in current
            if r.key not in desired
            and behaviour_for(r.key.kind).kept_because(r.key, desired) is None
            and (selects is None or selects(r.key))
            and _deletable(r.key, r, current)
            and not _auto_link(r.key, desired)
            and not (r.key.row.is_link and r.key in linked_via_revision)
        ]
        deletes = _delete_actions(extra, current, etags, "delete (not in the artifacts: --prune)")
        deletes += _revision_deletes(desired, current, etags, "in the instance", selects, extra)
        guard_deletions(deletes, 0 if max_deletions is None else max_deletions)
    elif terminator and max_deletions is not None:
        guard_deletions(deletes, max_deletions)
    if terminator and not prune and not creator:
        warnings.append("terminator without --since or --prune has nothing to compare: no deletes planned")
    return Plan(puts=_ordered_puts(puts), deletes=deletes, target=dict(target or {}), warnings=tuple(warnings))


def _adjusted_puts(puts: Sequence[Action], desired: State, current: State,
                  etags: Mapping[ResourceKey, str | None], index: Mapping[Any, ResourceKey],
                  skipped: Iterable[ResourceKey] = ()) -> list[Action]:
    """The puts with what each behaviour adds or orders (a specification import's re-puts)."""

    def make_put(key: ResourceKey, existing: Resource | None, reason: str) -> Action:
        return _put_action(key, desired, existing, reason, etags.get(key), index)

    result = list(puts)
    skipped = tuple(skipped)
    for behaviour in all_behaviours():
        result = behaviour.adjust_puts(result, desired, current, make_put, skipped)
    return result


def _api_link_twin(key: ResourceKey) -> ResourceKey | None:
    """For a link whose API end names a revision (``tags/t/apis/a;rev=2``, a tag link in a
    revision folder): the same link to the API ``a``; None for anything else.

    Why: tags and products belong to the API as a whole, not to one revision (the service lists
    ``apis/a;rev=2/tags`` and ``apis/a/tags`` alike), so the instance shows such a link on ``a``
    only and extract never writes one under a revision. Compared as is, it would be a create forever.
    """
    if not key.row.is_link or key.revision is None:
        return None
    return key.with_api_root()


def _auto_link(key: ResourceKey, desired: State) -> bool:
    """Never prune what the publisher itself keeps out (nothing today; hook for tests)."""
    return False


def plan_since(
    desired: State,
    previous: State,
    changed: Iterable[ResourceKey],
    *,
    creator: bool = True,
    terminator: bool = True,
    max_deletions: int | None = None,
    etags: Mapping[ResourceKey, str | None] | None = None,
    existing: Mapping[ResourceKey, bool] | None = None,
    target: Mapping[str, str] | None = None,
    since: str = "",
    until: str = "HEAD",
) -> Plan:
    """Puts and deletes for the resources whose files changed between two revisions.

    ``changed`` are the keys of every changed path (old and new side of renames). A key still
    in ``desired`` is put; a key gone from ``desired`` whose files all vanished is deleted, in the
    order of ``previous`` (the tree at ``since``). ``existing`` (optional) says which keys the
    instance has, to label puts as create or update.
    """
    etags = etags or {}
    existing = existing or {}
    warnings, skipped = _secret_warnings(desired)
    index = display_index(desired)
    span = f"{since[:12]}..{until[:12] if len(until) > 12 else until}"
    keys: set[ResourceKey] = set()
    for key in changed:
        if not key.row.in_tree:
            continue
        keys.add(key)
    puts: list[Action] = []
    gone: list[ResourceKey] = []
    for key in sorted(keys):
        if key in desired:
            if key in skipped or not creator:
                continue
            verb = "update" if existing.get(key, key in previous) else "create"
            puts.append(_put_action(key, desired, previous.get(key), f"{verb} (changed in {span})", etags.get(key), index))
            continue
        # (a removed specification file leaves the API and its operations alone: never deletable)
        kept = behaviour_for(key.kind).kept_because(key, desired)
        if kept is not None:
            warnings.append(f"{key}: {kept}; not deleted")
            continue
        if key in previous and _deletable(key, previous.get(key), None):
            gone.append(key)
    puts = _adjusted_puts(puts, desired, previous, etags, index, skipped)
    deletes: tuple[Action, ...] = ()
    if terminator:
        deletes = _delete_actions(gone, previous, etags, f"delete (files removed in {span})")
        deletes += _revision_deletes(desired, previous, etags, f"at {since[:12]}", None,
                                     [a.key for a in deletes])
        guard_deletions(deletes, max_deletions)
    return Plan(puts=_ordered_puts(puts), deletes=deletes, target=dict(target or {}), warnings=tuple(warnings))


def merge_plans(existing: Plan | None, new: Plan, *, creator: bool, terminator: bool) -> Plan:
    """Keep the other half of a plan file: Creator and Terminator may write it in either order."""
    if existing is None:
        return new
    puts = new.puts if creator else existing.puts
    deletes = new.deletes if terminator else existing.deletes
    warnings = tuple(dict.fromkeys(existing.warnings + new.warnings))
    target = dict(existing.target)
    target.update(new.target)
    return Plan(puts=puts, deletes=deletes, target=target, warnings=warnings)


def ensure_same_target(existing: Plan, new: Plan) -> None:
    """A plan file must describe one instance; refuse to merge halves planned for different ones."""
    for name in TARGET_FIELDS:
        a, b = existing.target.get(name), new.target.get(name)
        if a and b and a.casefold() != b.casefold():
            raise ConfigError(f"the plan file was planned for {name} {a!r}, not {b!r}; use a separate --out file")


__all__.append("ensure_same_target")
__all__.append("REPUT_AFTER_IMPORT")
