"""A ``Plan`` as text for a terminal and as Markdown for a pull request or pipeline summary.

Why separate from plan.py: the plan is a value that is also saved and applied; how people read
it changes more often than what it means. Rendering is pure and masks secrets a second time
(belt and braces: the diff lines are masked when made, and any ``value`` of a secret field
that slipped through is replaced here), so no secret reaches a log or a PR comment.
"""

from __future__ import annotations

import re
from collections import Counter

from .model import Action, Plan

__all__ = ["plan_text", "plan_markdown", "action_line", "counts_by_kind", "scrub", "auto_created_note"]

_SYMBOL = {"put-create": "+", "put-update": "~", "delete": "-"}
_SECRET_LINE = re.compile(r"^(\s*[+~-] )(properties\.(?:value|primaryKey|secondaryKey|credentials\.[\w.]*))(:\s*).*$")


def _symbol(action: Action) -> str:
    if action.verb == "delete":
        return "-"
    return "+" if action.reason.startswith("create") else "~"


def scrub(line: str, secret: bool) -> str:
    """Mask the value of a secret-looking property in a diff line (idempotent on masked ones)."""
    if not secret:
        return line
    match = _SECRET_LINE.match(line)
    if match:
        return f"{match.group(1)}{match.group(2)}{match.group(3)}***"
    return line


def _secretish(action: Action) -> bool:
    return bool(action.key.row.secret_fields or action.key.row.masked_fields)


def action_line(action: Action) -> str:
    """One deck-style line: symbol, kind, name path, reason."""
    scope = f"workspaces/{action.key.workspace}/" if action.key.workspace else ""
    names = "/".join(action.key.names) or "(service)"
    return f"{_symbol(action)} {action.key.kind:<22} {scope}{names}  ({action.reason})"


def counts_by_kind(plan: Plan) -> dict[str, Counter[str]]:
    """Per kind: how many creates, updates and deletes."""
    counts: dict[str, Counter[str]] = {}
    for action in plan.actions:
        label = "delete" if action.verb == "delete" else ("create" if action.reason.startswith("create") else "update")
        counts.setdefault(action.key.kind, Counter())[label] += 1
    return counts


def auto_created_note(plan: Plan, action: Action) -> str | None:
    """For a product this plan creates: what apiops does with APIM's auto-created subscription and
    Administrators link (docs/PUBLISHING.md); None for every other action."""
    if action.verb != "put" or action.key.kind != "product" or not action.reason.startswith("create"):
        return None
    product = action.key
    declared = sorted(
        a.key.name for a in plan.puts
        if a.key.kind == "subscription" and a.key.workspace == product.workspace and product in a.depends_on
    )
    subscription = (f"APIM's auto-created subscription is deleted (declared ones kept: {', '.join(declared)})"
                    if declared else "APIM's auto-created subscription is deleted (none declared)")
    if product.workspace is not None:
        return f"new product: {subscription}"
    link_declared = any(
        a.key.kind == "product-group" and a.key.workspace is None and a.key.names[0].casefold() == product.names[0].casefold()
        and a.key.names[1].casefold() == "administrators" for a in plan.puts
    )
    link = "its Administrators link is kept (declared)" if link_declared else "its Administrators link is removed (not declared)"
    return f"new product: {subscription}; {link}"


def _summary(plan: Plan) -> str:
    creates = sum(1 for a in plan.puts if a.reason.startswith("create"))
    updates = len(plan.puts) - creates
    return f"Plan: {creates} to create, {updates} to update, {len(plan.deletes)} to delete."


def plan_text(plan: Plan, *, diffs: bool = True) -> str:
    """The plan as terminal text: one line per change, indented property diffs, summary counts."""
    lines: list[str] = []
    target = plan.target
    if target.get("service"):
        lines.append(f"Target: {target.get('service')} (resource group {target.get('resourceGroup', '?')})")
    if plan.is_empty:
        lines.append("No changes: the instance matches the artifacts.")
    for action in plan.actions:
        lines.append(action_line(action))
        note = auto_created_note(plan, action)
        if note:
            lines.append(f"      ! {note}")
        if diffs:
            secret = _secretish(action)
            lines.extend(f"      {scrub(d, secret)}" for d in action.diff)
    for warning in plan.warnings:
        lines.append(warning if warning.startswith("note: ") else f"warning: {warning}")
    lines.append(_summary(plan))
    return "\n".join(lines)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def plan_markdown(plan: Plan) -> str:
    """The plan as Markdown: counts per kind, then each change with its short property diff."""
    out: list[str] = ["## API Management plan", ""]
    if plan.target.get("service"):
        out += [f"Target: `{plan.target.get('service')}`", ""]
    out += [_summary(plan), ""]
    counts = counts_by_kind(plan)
    if counts:
        out += ["| kind | create | update | delete |", "|---|---:|---:|---:|"]
        for kind_name in sorted(counts):
            c = counts[kind_name]
            out.append(f"| {kind_name} | {c['create']} | {c['update']} | {c['delete']} |")
        out.append("")
        out += ["### Changes", ""]
        for action in plan.actions:
            scope = f"workspaces/{action.key.workspace}/" if action.key.workspace else ""
            names = "/".join(action.key.names) or "(service)"
            out.append(f"- `{_symbol(action)}` **{action.key.kind}** `{_md_escape(scope + names)}` — {_md_escape(action.reason)}")
            note = auto_created_note(plan, action)
            if note:
                out.append(f"  - ⚠ {_md_escape(note)}")
            if action.diff:
                secret = _secretish(action)
                out.append("  ```diff")
                out.extend(f"  {scrub(d, secret)}" for d in action.diff)
                out.append("  ```")
        out.append("")
    else:
        out += ["No changes: the instance matches the artifacts.", ""]
    if plan.warnings:
        out += ["### Warnings", ""]
        out += [f"- {_md_escape(w)}" for w in plan.warnings]
        out.append("")
    return "\n".join(out)
