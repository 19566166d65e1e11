"""Collect every refusal a publish can know before its first write, and report them in one go.

Why: the pre-write checks (reading the tree, lint, references the target must supply, secrets
the target lacks, SOAP operations APIM regenerates) used to stop at the first that failed, so a
team migrating a real tree fixed one round, ran again and met the next. ``Refusals`` gathers the
``ApiOpsError`` each check raises, grouped by check, and raises them together once the checks
that can still run meaningfully have run. Nothing here writes or talks to the instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, TypeVar

from .errors import ApiOpsError, ArtifactError, ReferenceError_

__all__ = ["Refusals"]

T = TypeVar("T")


@dataclass
class Refusals:
    """``(check title, error)`` pairs in the order the checks ran, plus notes (checks that did not run)."""

    entries: list[tuple[str, ApiOpsError]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def add(self, title: str, error: ApiOpsError) -> None:
        self.entries.append((title, error))

    def run(self, title: str, check: Callable[[], T]) -> T | None:
        """Run one check; keep its ``ApiOpsError`` instead of letting it stop the others."""
        try:
            return check()
        except ApiOpsError as error:
            self.add(title, error)
            return None

    def joined(self, title: str, step: Callable[[], T]) -> T:
        """Run a step the later checks need; if it fails, raise its error together with those
        already collected (a guard must not hide the read and lint problems found before it)."""
        try:
            return step()
        except ApiOpsError as error:
            if not self.entries:
                raise
            self.add(title, error)
            raise self.error() from error

    def error(self) -> ApiOpsError:
        """One error for everything collected: the original one when it is alone (same message,
        same class), else every group with its file:line list, headed by the first location."""
        if len(self.entries) == 1 and not self.notes:
            return self.entries[0][1]
        errors = [error for _, error in self.entries]
        sections = []
        for title, error in self.entries:
            where = ""
            if error.path and "\n" not in error.message:
                where = f"{error.path}:{error.line}: " if error.line else f"{error.path}: "
            body = f"{where}{error.message}".replace("\n", "\n    ")
            sections.append(f"[{title}]\n    {body}")
        for note in self.notes:
            sections.append(f"note: {note}")
        kind: type[ApiOpsError] = ApiOpsError
        if all(isinstance(e, ReferenceError_) for e in errors):
            kind = ReferenceError_
        elif all(isinstance(e, (ArtifactError, ReferenceError_)) for e in errors):
            kind = ArtifactError
        else:
            kind = type(errors[0])
        first = next((e for e in errors if e.path), errors[0])
        count = len(self.entries)
        message = (f"{count} check{'s' if count != 1 else ''} refused the tree before any write; nothing was "
                   "published:\n" + "\n".join(sections))
        try:
            combined = kind(message, path=first.path, line=first.line)
        except TypeError:  # an error class with other constructor arguments
            combined = ApiOpsError(message, path=first.path, line=first.line)
        return combined

    def raise_if_any(self) -> None:
        if self.entries:
            raise self.error()
