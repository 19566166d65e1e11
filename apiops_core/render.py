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

__all__ = ["plan_text", "plan_markdown", "plan_json", "action_line", "counts_by_kind", "scrub", "auto_created_note",
           "change_label", "paint", "JSON_FORMAT_VERSION"]

#: ``plan --json`` output shape version (docs/CLI-CONTRACT.md); bumped when a field changes meaning
JSON_FORMAT_VERSION = 1

_SYMBOL = {"put-create": "+", "put-update": "~", "delete": "-"}
_SECRET_LINE = re.compile(r"^(\s*[+~-] )(properties\.(?:value|primaryKey|secondaryKey|credentials\.[\w.]*))(:\s*).*$")


def _symbol(action: Action) -> str:
    if action.verb == "delete":
        return "-"
    return "+" if action.reason.startswith("create") else "~"


def change_label(action: Action) -> str:
    """``create``, ``update`` or ``delete``: what the summary line and ``--json`` count."""
    return {"+": "create", "~": "update", "-": "delete"}[_symbol(action)]


# ANSI SGR codes; only used when the caller says colour is wanted (cli.color_wanted)
_STYLE = {"+": "32", "-": "31", "~": "33", "@": "36", "!": "35", "warning": "33", "bold": "1", "dim": "2"}


def paint(text: str, style: str, color: bool) -> str:
    """``text`` in ``style`` (a key of the style table) when ``color``, else unchanged."""
    code = _STYLE.get(style)
    return f"\x1b[{code}m{text}\x1b[0m" if color and code and text else text


def _paint_diff(line: str, color: bool) -> str:
    """A diff line coloured by its marker: the first character, or the third for indented content."""
    if not color:
        return line
    body = line[2:] if line.startswith("  ") else line
    marker = body[:1]
    if marker == " ":
        return paint(line, "dim", color)
    return paint(line, marker, color) if marker in ("+", "-", "~", "@") else line


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
    counts = Counter(change_label(a) for a in plan.actions)
    return f"Plan: {counts['create']} to create, {counts['update']} to update, {counts['delete']} to delete."


def plan_text(plan: Plan, *, diffs: bool = True, color: bool = False) -> str:
    """The plan as terminal text: one line per change, its diff indented below, summary counts.

    Diff lines come whole from the plan (policy XML as a unified diff, specifications as
    operations; ``contentdiff``); they are masked again here and never clipped.
    """
    lines: list[str] = []
    target = plan.target
    if target.get("service"):
        lines.append(f"Target: {target.get('service')} (resource group {target.get('resourceGroup', '?')})")
    if plan.is_empty:
        lines.append("No changes: the instance matches the artifacts.")
    for action in plan.actions:
        line = action_line(action)
        lines.append(paint(line[:1], _symbol(action), color) + paint(line[1:], "bold", color) if color else line)
        note = auto_created_note(plan, action)
        if note:
            lines.append(paint(f"      ! {note}", "!", color))
        if diffs:
            secret = _secretish(action)
            lines.extend("      " + _paint_diff(scrub(d, secret), color) for d in action.diff)
    for warning in plan.warnings:
        lines.append(warning if warning.startswith("note: ") else paint("warning:", "warning", color) + f" {warning}")
    lines.append(paint(_summary(plan), "bold", color))
    return "\n".join(lines)


def plan_json(plan: Plan) -> dict[str, object]:
    """``apiops plan --json``: the plan for machines (shape in docs/CLI-CONTRACT.md), secrets masked."""
    counts = Counter(change_label(a) for a in plan.actions)
    actions = []
    for action in plan.actions:
        secret = _secretish(action)
        actions.append({
            "change": change_label(action),
            "verb": action.verb,
            "kind": action.key.kind,
            "names": list(action.key.names),
            "workspace": action.key.workspace,
            "armPath": action.key.arm_path,
            "reason": action.reason,
            "note": auto_created_note(plan, action),
            "diff": [scrub(d, secret) for d in action.diff],
        })
    return {
        "formatVersion": JSON_FORMAT_VERSION,
        "target": dict(plan.target),
        "hasChanges": not plan.is_empty,
        "summary": {"create": counts["create"], "update": counts["update"], "delete": counts["delete"],
                    "total": len(plan.actions)},
        "actions": actions,
        "warnings": list(plan.warnings),
    }


def _unindent(line: str) -> str:
    return line[2:] if line.startswith("  ") else line


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
                # content lines lose their two-space indent so +/- sit in column 0 (diff highlighting)
                out.extend(f"  {_unindent(scrub(d, secret))}" for d in action.diff)
                out.append("  ```")
        out.append("")
    else:
        out += ["No changes: the instance matches the artifacts.", ""]
    if plan.warnings:
        out += ["### Warnings", ""]
        out += [f"- {_md_escape(w)}" for w in plan.warnings]
        out.append("")
    return "\n".join(out)
