"""Files changed between two Git revisions, as the publisher's ``--since`` needs them.

Why a tree-to-tree diff and not "the last commit": Azure/apiops diffs one commit against its
first parent, so a push of several commits publishes only the last one's changes (#774, #596).
Comparing the tree at ``since`` with the tree at ``until`` covers any number of commits, merges
included, and a re-run after a failure publishes everything still pending. Renames are detected
(``-M``) so the plan can put the new resource and delete the old one.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

__all__ = ["Change", "changed_paths", "resolve_revision"]


@dataclass(frozen=True)
class Change:
    """One changed path: ``status`` is ``A``dded, ``M``odified, ``D``eleted or ``R``enamed.

    For a rename, ``path`` is the new path and ``old_path`` the old one; paths are POSIX and
    relative to the repository root.
    """

    status: str
    path: str
    old_path: str | None = None


def _git(repo: str | Path, *args: str) -> bytes:
    try:
        completed = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, check=False
        )
    except FileNotFoundError as error:  # pragma: no cover - git is a prerequisite
        raise ConfigError("git is not installed or not on PATH") from error
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip()
        raise ConfigError(f"git {' '.join(args)} failed in {repo}: {message}")
    return completed.stdout


def resolve_revision(repo: str | Path, rev: str) -> str:
    """The commit id a revision names (a ConfigError saying so when it names nothing)."""
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
    except ConfigError as error:
        raise ConfigError(
            f"revision {rev!r} is not a commit of {repo} (a shallow clone needs fetch-depth 0)"
        ) from error


def changed_paths(repo: str | Path, since: str, until: str = "HEAD") -> list[Change]:
    """Changes from the tree at ``since`` to the tree at ``until`` (any number of commits)."""
    old = resolve_revision(repo, since)
    new = resolve_revision(repo, until)
    raw = _git(repo, "diff", "--name-status", "-M", "-z", old, new)
    fields = raw.decode("utf-8").split("\0")
    changes: list[Change] = []
    index = 0
    while index < len(fields):
        status = fields[index]
        if not status:
            index += 1
            continue
        letter = status[0]
        if letter in ("R", "C"):
            source, target = fields[index + 1], fields[index + 2]
            if letter == "R":
                changes.append(Change("R", target, source))
            else:
                changes.append(Change("A", target))
            index += 3
        else:
            path = fields[index + 1]
            changes.append(Change("M" if letter == "T" else letter, path))
            index += 2
    return changes
