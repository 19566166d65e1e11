"""Turn file changes into Git pushes API payloads: content encoding and size-bounded batches.

Why batches: one push through the REST API carries its whole content in one JSON request body, and
Azure DevOps refuses very large requests. A normal extraction fits in one push with one commit;
above ``max_bytes`` of encoded content (or ``max_changes`` files) the changes are split into
several pushes applied one after another on the same branch, each a single commit whose message
says ``(part i/n)``. Reviewers still see one pull request.

Why the encoding rule: ``rawtext`` keeps diffs readable in the request log, but only bytes that are
plain UTF-8 without NUL, carriage return or BOM are sent that way, so the blob Azure DevOps stores is
byte-identical to the local file (and its object id equals ours); everything else is base64.
"""

from __future__ import annotations

import base64
from typing import Any, Sequence

from .treediff import Change

__all__ = ["encode_content", "change_payload", "repository_path", "batch_changes", "push_payload", "DEFAULT_MAX_PUSH_BYTES",
           "DEFAULT_MAX_PUSH_CHANGES"]

DEFAULT_MAX_PUSH_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PUSH_CHANGES = 1000


def encode_content(data: bytes) -> dict[str, str]:
    """``newContent`` for some bytes: rawtext when that round-trips exactly, else base64encoded."""
    if b"\0" not in data and b"\r" not in data and not data.startswith(b"\xef\xbb\xbf"):
        try:
            return {"content": data.decode("utf-8"), "contentType": "rawtext"}
        except UnicodeDecodeError:
            pass
    return {"content": base64.b64encode(data).decode("ascii"), "contentType": "base64encoded"}


def change_payload(change: Change, repo_path: str) -> dict[str, Any]:
    """One ``commits[].changes[]`` entry (camelCase dict, as the service expects)."""
    item = {"path": repository_path(repo_path, change.path)}
    if change.change_type == "delete":
        return {"changeType": "delete", "item": item}
    assert change.data is not None
    return {"changeType": change.change_type, "item": item, "newContent": encode_content(change.data)}


def repository_path(repo_path: str, path: str) -> str:
    """``/<repo_path>/<path>`` with single slashes (repo_path may be empty: the repository root)."""
    parts = [p for p in (repo_path.strip("/"), path.strip("/")) if p]
    return "/" + "/".join(parts)


def _size(change: Change) -> int:
    return 256 + (len(change.data) * 4 // 3 + 4 if change.data is not None else 0)


def batch_changes(changes: Sequence[Change], *, max_bytes: int = DEFAULT_MAX_PUSH_BYTES,
                  max_changes: int = DEFAULT_MAX_PUSH_CHANGES) -> list[list[Change]]:
    """Split changes into consecutive batches within the bounds (a single oversized file is its own batch)."""
    batches: list[list[Change]] = []
    current: list[Change] = []
    size = 0
    for change in changes:
        cost = _size(change)
        if current and (size + cost > max_bytes or len(current) >= max_changes):
            batches.append(current)
            current, size = [], 0
        current.append(change)
        size += cost
    if current:
        batches.append(current)
    return batches


def push_payload(ref_name: str, old_object_id: str, comment: str, changes: Sequence[Change], repo_path: str) -> dict[str, Any]:
    """The body of ``POST .../pushes``: one ref update and one commit."""
    return {
        "refUpdates": [{"name": ref_name, "oldObjectId": old_object_id}],
        "commits": [{"comment": comment, "changes": [change_payload(c, repo_path) for c in changes]}],
    }
