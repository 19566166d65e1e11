"""The breaking-change section of the pull request, from the lint package when it is available.

Why rebuild the old tree this way: the target branch's files are never all downloaded. The old
tree is the extraction itself for every unchanged file, plus the previous blobs of the files that
changed or disappeared (already fetched for the operation diff), so comparing costs nothing more.
The section is a courtesy for reviewers: any failure to compute it leaves it out, never fails the run.
"""

from __future__ import annotations

import logging
from typing import Callable, Mapping, Sequence

from .paths import classify
from .treediff import Change

__all__ = ["MemorySource", "breaking_section"]

_log = logging.getLogger("apiops.devops")
_API_KINDS = frozenset({"api", "api-specification"})


class MemorySource:
    """A ``treesource``-shaped view of path → bytes held in memory."""

    def __init__(self, files: Mapping[str, bytes], label: str) -> None:
        self._files = dict(files)
        self._label = label

    def files(self) -> list[str]:
        return sorted(self._files)

    def read_bytes(self, path: str) -> bytes:
        return self._files[path]

    def exists(self, path: str) -> bool:
        return path in self._files

    def describe(self, path: str) -> str:
        return f"{self._label}:{path}"


def breaking_section(local: Mapping[str, bytes], changes: Sequence[Change],
                     old_blob: Callable[[str], bytes]) -> str | None:
    """Markdown listing breaking API changes from the target branch to the extraction, or None."""
    if not any((c := classify(ch.path)) is not None and c.kind in _API_KINDS for ch in changes):
        return None
    try:
        from ..artifacts import read_tree
        from ..lint.breaking import breaking_changes, render_markdown
    except ImportError:
        return None
    try:
        changed = {c.path for c in changes}
        old = {p: d for p, d in local.items() if p not in changed}
        for change in changes:
            if change.change_type != "add" and change.old_object_id:
                old[change.path] = old_blob(change.old_object_id)
        found = breaking_changes(read_tree(MemorySource(old, "target")).state,
                                 read_tree(MemorySource(local, "extraction")).state)
    except Exception as error:  # noqa: BLE001 - an optional report must not fail the pull request
        _log.debug("breaking-change report skipped: %s", error)
        return None
    return render_markdown(found) if found else None
