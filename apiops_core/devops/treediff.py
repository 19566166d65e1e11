"""Compare an extracted folder with a branch's files by git object id, and list the changes.

Why object ids: Azure Repos lists every item under a folder with its git object id in one call
(``items?recursionLevel=Full``), and a local file's blob id is a SHA-1 over ``blob <len>\\0`` and
its bytes, so unchanged files are recognised without downloading anything.

Why ``owns``: a filtered extraction (only some APIs) must not delete files of APIs it did not
select — the rsync ``--delete`` failure of the original pipelines. A remote file is deleted only
when the extraction owned its path, it is an artifact file at all, and it is not a hand-kept WSDL.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal, Mapping

from .paths import is_artifact

__all__ = ["Change", "blob_id", "read_folder", "diff_tree", "owns_everything", "PRESERVED_SUFFIXES"]

#: never deleted by a pull request: Azure/apiops v7 stopped extracting WSDL, so such files are hand-kept
PRESERVED_SUFFIXES: tuple[str, ...] = (".wsdl",)

ChangeType = Literal["add", "edit", "delete"]


@dataclass(frozen=True)
class Change:
    """One file change, with the path relative to the artifacts root."""

    change_type: ChangeType
    path: str
    data: bytes | None = None
    old_object_id: str | None = None


def blob_id(data: bytes) -> str:
    """The git blob id of some bytes (what Azure Repos reports as an item's ``objectId``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def read_folder(root: str | os.PathLike[str]) -> dict[str, bytes]:
    """Every file under ``root`` as POSIX relative path → bytes (``.git`` skipped, symlinks not followed)."""
    base = Path(root)
    files: dict[str, bytes] = {}
    for directory, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            full = Path(directory) / name
            if full.is_symlink():
                continue
            files[full.relative_to(base).as_posix()] = full.read_bytes()
    return files


def owns_everything(path: str) -> bool:
    return True


def diff_tree(
    local: Mapping[str, bytes],
    remote: Mapping[str, str],
    owns: Callable[[str], bool] = owns_everything,
) -> list[Change]:
    """Changes that make ``remote`` (path → object id) hold ``local`` (path → bytes), sorted by path.

    Local files are always written (the extraction produced them); remote-only files are deleted
    only when owned, recognised as artifacts and not preserved.
    """
    changes: list[Change] = []
    for path in sorted(local):
        data = local[path]
        old = remote.get(path)
        if old is None:
            changes.append(Change("add", path, data))
        elif old != blob_id(data):
            changes.append(Change("edit", path, data, old))
    for path in sorted(set(remote) - set(local)):
        if path.lower().endswith(PRESERVED_SUFFIXES) or not is_artifact(path) or not owns(path):
            continue
        changes.append(Change("delete", path, None, remote[path]))
    changes.sort(key=lambda c: c.path)
    return changes
