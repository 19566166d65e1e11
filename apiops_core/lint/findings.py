"""The one value every check produces: an immutable finding with a rule id and a place.

Checks only *produce* findings; deciding which to show (select/ignore, per-path ignores,
severity overrides) happens afterwards in ``config.py``, as flake8 separates its ``Violation``
records from its ``DecisionEngine``. Keeping the finding a plain frozen value means formatters,
the publisher's pre-flight and tests all see the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["Finding", "SEVERITIES", "severity_rank", "sort_key"]

#: severities from the least to the most serious; they are also SARIF ``level`` values
SEVERITIES: tuple[str, ...] = ("note", "warning", "error")


def severity_rank(severity: str) -> int:
    """0 for note, 1 for warning, 2 for error (unknown severities rank as errors, to be safe)."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        return len(SEVERITIES) - 1


@dataclass(frozen=True)
class Finding:
    """One problem: which rule, how serious, where (file, 1-based line and column), what.

    ``path`` is POSIX and relative to the artifacts root; ``line``/``column`` are ``None`` when
    the problem belongs to a whole file or resource. ``resource`` is ``str(ResourceKey)`` when
    the finding is about a resource, so reports can group by resource as well as by file.
    Messages never contain secret values (they are masked before the finding is built).
    """

    rule_id: str
    severity: str
    path: str | None
    line: int | None
    column: int | None
    resource: str | None
    message: str

    def with_severity(self, severity: str) -> "Finding":
        return replace(self, severity=severity)

    def location(self) -> str:
        """``path:line:col`` (as much of it as is known), for text output."""
        if not self.path:
            return "<tree>"
        parts = [self.path]
        if self.line:
            parts.append(str(self.line))
            if self.column:
                parts.append(str(self.column))
        return ":".join(parts)


def sort_key(finding: Finding) -> tuple[str, int, int, str, str]:
    """Stable report order: by file, position, rule, message."""
    return (finding.path or "", finding.line or 0, finding.column or 0, finding.rule_id, finding.message)
