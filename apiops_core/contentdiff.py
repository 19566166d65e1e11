"""Readable diffs of the two kinds of content a plan changes: policy XML and specifications.

Why a module of its own: a reviewer reads these lines in the terminal, in the saved plan and in
the pull-request comment, so they are made once, when planning, and stored in ``Action.diff``.
Policy XML gets a unified diff (whole lines, three lines of context, ``@@`` hunk headers) compared
line by line with indentation ignored, the way ``plan.normalise_policy`` decides there is a
change at all. A specification is not diffed as YAML text (an export reorders and reformats
everything): its *operations* are, from ``plan.spec_signature`` (added, removed, and for a
changed operation what changed: parameters, responses, request body).

Line conventions (``render`` colours by them): a summary line starts with ``~``; content lines are
indented two spaces and then carry ``@@``, ``+``, ``-`` or a space (context).
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Any, Iterable, Mapping

from .model import Plan, State

__all__ = ["policy_diff_lines", "spec_diff_lines", "secret_strings", "mask_plan", "CONTENT_LIMIT"]

#: content lines kept per resource in a plan (a new 2,000-line policy is not a review aid)
CONTENT_LIMIT = 200
_MASK = "***"


def _lines(text: str | None) -> list[str]:
    if not text:
        return []
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").strip("\n").split("\n")


def policy_diff_lines(old: str | None, new: str | None, *, context: int = 3, limit: int = CONTENT_LIMIT) -> list[str]:
    """``~ policy.xml: A line(s) added, R removed`` then unified-diff hunks (empty when equal).

    Lines are matched with surrounding whitespace ignored (re-indenting is not a change) and
    shown as the desired file has them (the current side's for removed lines), never clipped.
    """
    old_lines, new_lines = _lines(old), _lines(new)
    old_keys = [line.strip() for line in old_lines]
    new_keys = [line.strip() for line in new_lines]
    matcher = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    added = removed = 0
    body: list[str] = []
    for group in matcher.get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        body.append(f"  @@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                body.extend(f"    {line.rstrip()}" for line in new_lines[j1:j2])
                continue
            if tag in ("replace", "delete"):
                removed += i2 - i1
                body.extend(f"  - {line.rstrip()}" for line in old_lines[i1:i2])
            if tag in ("replace", "insert"):
                added += j2 - j1
                body.extend(f"  + {line.rstrip()}" for line in new_lines[j1:j2])
    if not added and not removed:
        return []
    if len(body) > limit:
        body = body[:limit] + [f"  … {len(body) - limit} more line(s) of this diff not shown"]
    return [f"~ policy.xml: {added} line(s) added, {removed} removed"] + body


def _range(start: int, stop: int) -> str:
    """Unified-diff range: 1-based start and length (``0,0`` for an empty side)."""
    length = stop - start
    if length == 0:
        return f"{start},0"
    return f"{start + 1},{length}" if length != 1 else f"{start + 1}"


def _operation_changes(old: Any, new: Any) -> list[str]:
    """What changed in one operation's signature (parameters, responses, request body)."""
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return ["changed"]
    notes: list[str] = []
    old_params = {tuple(p[:2]): p for p in old.get("parameters") or ()}
    new_params = {tuple(p[:2]): p for p in new.get("parameters") or ()}
    for where, name in sorted(set(new_params) - set(old_params)):
        required = " (required)" if len(new_params[(where, name)]) > 2 and new_params[(where, name)][2] else ""
        notes.append(f"+ {where} parameter {name}{required}")
    for where, name in sorted(set(old_params) - set(new_params)):
        notes.append(f"- {where} parameter {name}")
    for where, name in sorted(set(old_params) & set(new_params)):
        if old_params[(where, name)] != new_params[(where, name)]:
            now = "required" if len(new_params[(where, name)]) > 2 and new_params[(where, name)][2] else "optional"
            notes.append(f"~ {where} parameter {name} is now {now}")
    old_codes, new_codes = set(old.get("responses") or ()), set(new.get("responses") or ())
    notes += [f"+ response {code}" for code in sorted(new_codes - old_codes)]
    notes += [f"- response {code}" for code in sorted(old_codes - new_codes)]
    if bool(old.get("body")) != bool(new.get("body")):
        notes.append("+ request body" if new.get("body") else "- request body")
    for name in sorted(set(old) | set(new)):
        if name not in ("parameters", "responses", "body") and old.get(name) != new.get(name):
            notes.append(f"~ {name}")
    return notes or ["changed"]


def spec_diff_lines(old_sig: Any, new_sig: Any, *, limit: int = CONTENT_LIMIT) -> list[str]:
    """The operations a specification adds, removes and changes (from ``plan.spec_signature``)."""
    if old_sig is None and isinstance(new_sig, dict):
        old_sig = {"operations": {}}
    if not (isinstance(old_sig, dict) and isinstance(new_sig, dict)):
        return [] if old_sig == new_sig else ["~ specification changed (not an operation list: compared as text)"]
    old_ops, new_ops = old_sig.get("operations") or {}, new_sig.get("operations") or {}
    added = sorted(set(new_ops) - set(old_ops))
    removed = sorted(set(old_ops) - set(new_ops))
    changed = sorted(k for k in set(new_ops) & set(old_ops) if new_ops[k] != old_ops[k])
    old_schemas, new_schemas = old_sig.get("schemas") or {}, new_sig.get("schemas") or {}
    schema_names = sorted(set(old_schemas) | set(new_schemas))
    changed_schemas = [k for k in schema_names if old_schemas.get(k) != new_schemas.get(k)]
    if not (added or removed or changed or changed_schemas):
        return []
    schemas = f"; {len(changed_schemas)} schema(s) changed" if changed_schemas else ""
    lines = [f"~ specification: {len(added)} operation(s) added, {len(removed)} removed, {len(changed)} changed{schemas}"]
    body: list[str] = [f"  + {op}" for op in added] + [f"  - {op}" for op in removed]
    for op in changed:
        body.append(f"  ~ {op}")
        body.extend(f"      {note}" for note in _operation_changes(old_ops[op], new_ops[op]))
    for name in changed_schemas:
        sign = "+" if name not in old_schemas else "-" if name not in new_schemas else "~"
        body.append(f"  {sign} schema {name}")
    if len(body) > limit:
        body = body[:limit] + [f"  … {len(body) - limit} more line(s) not shown"]
    return lines + body


def secret_strings(state: State) -> set[str]:
    """Every secret value the desired state carries (secret named values, keys, credentials).

    Masked wherever it appears in a plan's diff lines: a ``{#TOKEN#}`` filled from a secret
    pipeline variable may sit inside a policy, and its diff must not print it.
    """
    found: set[str] = set()
    for resource in state:
        row = resource.key.row
        for path in row.secret_fields:
            if resource.key.kind == "named-value" and path == "properties.value" and not resource.properties.get("secret"):
                continue
            value: Any = resource.body
            for step in path.split("."):
                value = value.get(step) if isinstance(value, Mapping) else None
            if isinstance(value, str) and len(value) >= 4:
                found.add(value)
    return found


def _mask(lines: Iterable[str], secrets: set[str]) -> tuple[str, ...]:
    ordered = sorted(secrets, key=len, reverse=True)  # longest first: no partial leftovers
    out = []
    for line in lines:
        for secret in ordered:
            if secret in line:
                line = line.replace(secret, _MASK)
        out.append(line)
    return tuple(out)


def mask_plan(plan: Plan, secrets: set[str]) -> Plan:
    """The plan with every occurrence of ``secrets`` in its diff lines replaced by ``***``."""
    if not secrets:
        return plan
    return replace(
        plan,
        puts=tuple(replace(a, diff=_mask(a.diff, secrets)) for a in plan.puts),
        deletes=tuple(replace(a, diff=_mask(a.diff, secrets)) for a in plan.deletes),
    )
