"""The pull request's Markdown: per kind what was added, changed and removed, and for APIs which
operations appeared or disappeared — what a reviewer needs to decide, within Azure DevOps' limit.

Why two renderings: a pull-request description holds at most 4000 characters. When the full report
fits, it is the description; otherwise the description is the per-kind count table plus a pointer,
and the full report goes into a comment thread (comments hold far more).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

from .paths import ArtifactPath, classify
from .treediff import Change

__all__ = ["ResourceChange", "summarise", "render_markdown", "describe", "Description", "DESCRIPTION_LIMIT",
           "spec_operations"]

DESCRIPTION_LIMIT = 4000
_COMMENT_LIMIT = 150_000
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_FOLD = {"api-specification": "api"}


@dataclass(frozen=True)
class ResourceChange:
    """One resource's fate in the pull request, with its files and (APIs) operation changes."""

    kind: str
    label: str
    status: str  # added | changed | removed
    files: tuple[str, ...]
    operations_added: tuple[str, ...] = ()
    operations_removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Description:
    text: str
    full_report: str | None  # set when the description had to be shortened


def spec_operations(data: bytes | None) -> set[str] | None:
    """``METHOD /path`` of an OpenAPI/Swagger document (YAML or JSON); None when it is not one."""
    if not data:
        return None
    try:
        from ruamel.yaml import YAML

        document = YAML(typ="safe", pure=True).load(data.decode("utf-8-sig"))
    except Exception:  # noqa: BLE001 - any unparsable specification simply has no operation list
        return None
    paths = document.get("paths") if isinstance(document, Mapping) else None
    if not isinstance(paths, Mapping):
        return None
    return {f"{m.upper()} {p}" for p, ops in paths.items() if isinstance(ops, Mapping) for m in ops if m in _METHODS}


def summarise(changes: Sequence[Change], old_blob: Callable[[str], bytes] | None = None) -> list[ResourceChange]:
    """Group file changes by resource; ``old_blob`` fetches a previous specification to diff operations."""
    groups: dict[tuple[str, str], list[tuple[Change, ArtifactPath | None]]] = defaultdict(list)
    for change in changes:
        where = classify(change.path)
        if where is None:
            groups[("other", change.path)].append((change, None))
            continue
        groups[(_FOLD.get(where.kind, where.kind), where.label)].append((change, where))
    result: list[ResourceChange] = []
    for (kind_name, label), members in sorted(groups.items()):
        types = {c.change_type for c, _ in members}
        status = "added" if types == {"add"} else "removed" if types == {"delete"} else "changed"
        added: set[str] = set()
        removed: set[str] = set()
        for change, where in members:
            if where is None or where.kind != "api-specification":
                continue
            new_ops = spec_operations(change.data) if change.change_type != "delete" else set()
            old_ops: set[str] | None = set()
            if change.change_type != "add" and change.old_object_id and old_blob is not None:
                old_ops = spec_operations(old_blob(change.old_object_id))
            if new_ops is not None and old_ops is not None:
                added |= new_ops - old_ops
                removed |= old_ops - new_ops
        result.append(ResourceChange(kind_name, label, status, tuple(sorted(c.path for c, _ in members)),
                                     tuple(sorted(added)), tuple(sorted(removed))))
    return result


def _counts(resources: Iterable[ResourceChange]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"added": 0, "changed": 0, "removed": 0})
    for resource in resources:
        counts[resource.kind][resource.status] += 1
    return dict(sorted(counts.items()))


def _header(service: str, file_count: int, resources: Sequence[ResourceChange]) -> list[str]:
    lines = [f"Artifacts extracted from API Management instance `{service}`: {file_count} file(s) differ from the "
             "target branch.", "", "| kind | added | changed | removed |", "|---|---:|---:|---:|"]
    for kind_name, c in _counts(resources).items():
        lines.append(f"| {kind_name} | {c['added']} | {c['changed']} | {c['removed']} |")
    return lines


def render_markdown(service: str, changes: Sequence[Change], resources: Sequence[ResourceChange],
                    extra: str | None = None) -> str:
    """The full report: the count table, then every resource by kind, with API operation changes."""
    lines = _header(service, len(changes), resources)
    by_kind: dict[str, list[ResourceChange]] = defaultdict(list)
    for resource in resources:
        by_kind[resource.kind].append(resource)
    for kind_name in sorted(by_kind):
        lines += ["", f"### {kind_name}"]
        for resource in by_kind[kind_name]:
            lines.append(f"- **{resource.status}** `{resource.label}`")
            if resource.operations_added:
                lines.append("  - operations added: " + ", ".join(f"`{o}`" for o in resource.operations_added))
            if resource.operations_removed:
                lines.append("  - operations removed: " + ", ".join(f"`{o}`" for o in resource.operations_removed))
    if extra:
        lines += ["", extra.strip()]
    return "\n".join(lines) + "\n"


def describe(service: str, changes: Sequence[Change], resources: Sequence[ResourceChange], *,
             extra: str | None = None, limit: int = DESCRIPTION_LIMIT) -> Description:
    """The description within ``limit`` characters, and the full report when it did not fit."""
    full = render_markdown(service, changes, resources, extra)
    if len(full) <= limit:
        return Description(full, None)
    note = ["", f"The full report ({len(resources)} resources) is in the first comment of this pull request."]
    short = "\n".join(_header(service, len(changes), resources) + note) + "\n"
    if len(short) > limit:
        tail = "\n…(truncated; see the comment)\n"
        short = short[: limit - len(tail)] + tail
    if len(full) > _COMMENT_LIMIT:
        full = full[: _COMMENT_LIMIT - 40] + "\n…(report truncated)\n"
    return Description(short, full)
