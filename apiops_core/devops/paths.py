"""Which resource kind an artifact file belongs to, from the kind table alone.

Why here and not ``artifacts.key_for_path``: the pull-request flow must decide, for files it is
about to delete, whether they are artifacts at all (a README or a hand-kept WSDL under the
artifacts folder is not, and is never deleted), and it must do so for trees the artifact reader
might reject. Matching the file templates of ``KINDS`` is enough for that and for grouping a
pull-request description by kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..kinds import KINDS

__all__ = ["ArtifactPath", "classify", "is_artifact"]


@dataclass(frozen=True)
class ArtifactPath:
    """A recognised artifact file: its kind, the names from the root down, and its workspace."""

    kind: str
    names: tuple[str, ...]
    workspace: str | None = None

    @property
    def label(self) -> str:
        scope = f"workspaces/{self.workspace}/" if self.workspace else ""
        return scope + ("/".join(self.names) or "(service)")


def _template_regex(template: str) -> str:
    pattern = re.escape(template)
    pattern = pattern.replace(r"specification\.\*", r"specification\.[^/]+")
    return re.sub(r"\\\{(\d)\\\}", lambda m: f"(?P<n{m.group(1)}>[^/]+)", pattern)


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    rows: list[tuple[str, re.Pattern[str]]] = []
    for row in KINDS:
        templates = [t for t in (row.info_path, row.content_path) if t]
        templates += list(row.legacy_info_paths) + list(row.legacy_arrays)
        for template in templates:
            body = _template_regex(template)
            prefix = r"(?:workspaces/(?P<ws>[^/]+)/)?" if row.in_workspace and row.name != "workspace" else ""
            rows.append((row.name, re.compile(f"^{prefix}{body}$", re.IGNORECASE)))
    return tuple(rows)


def classify(path: str) -> ArtifactPath | None:
    """The kind and names of an artifact path (POSIX, relative to the artifacts root), or None."""
    clean = path.strip("/")
    for kind_name, pattern in _patterns():
        match = pattern.match(clean)
        if match:
            groups = match.groupdict()
            names = tuple(groups[k] for k in sorted(k for k in groups if k.startswith("n") and groups[k] is not None))
            return ArtifactPath(kind_name, names, groups.get("ws"))
    return None


def is_artifact(path: str) -> bool:
    return classify(path) is not None
