"""Where an artifacts tree is read from: a folder on disk, or a folder inside a Git commit.

The publisher's incremental mode must read file contents *from the commit*, never from the
working tree (Azure/apiops reads blobs with ``Repository.Lookup<Blob>("<sha>:<path>")``; a
dirty or checked-out-elsewhere working tree must not leak into a publish). Both sources have the
same small surface so ``artifacts.read_tree`` does not care which one it is given.

Paths handed out and accepted are POSIX paths relative to the artifacts root.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .errors import ArtifactError
from .safe_read import check_size, limit_for, read_file

__all__ = ["TreeSource", "DirectorySource", "GitCommitSource"]


class TreeSource:
    """The interface (duck-typed; subclassing is optional)."""

    def files(self) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def read_bytes(self, path: str) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    def exists(self, path: str) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self, path: str) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class DirectorySource(TreeSource):
    """An artifacts root on disk. ``.git`` folders are never listed (they are not artifacts)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def files(self) -> list[str]:
        if not self.root.is_dir():
            raise ArtifactError(f"artifacts folder {self.root} does not exist or is not a folder", path=str(self.root))
        found: list[str] = []
        for folder, dirs, names in os.walk(self.root):
            dirs[:] = [d for d in dirs if d != ".git"]
            rel = Path(folder).relative_to(self.root).as_posix()
            prefix = "" if rel == "." else rel + "/"
            found.extend(prefix + name for name in names)
        return sorted(found)

    def _path(self, path: str) -> Path:
        return self.root.joinpath(*path.split("/"))

    def read_bytes(self, path: str) -> bytes:
        """The file's bytes: a regular file inside the root, within its size limit (``safe_read``)."""
        full = os.path.join(self.root, *path.split("/"))
        return read_file(full, root=self.root, limit=limit_for(path), where=self.describe(path))

    def exists(self, path: str) -> bool:
        return self._path(path).is_file()

    def describe(self, path: str) -> str:
        if str(self.root) in ("", "."):
            return path
        return self.root.as_posix().rstrip("/") + "/" + path

    def __repr__(self) -> str:
        return f"DirectorySource({str(self.root)!r})"


class GitCommitSource(TreeSource):
    """The artifacts folder ``subdir`` as it is in commit ``rev`` of the repository at ``repo``.

    Listing uses ``git ls-tree -r -z``; contents are read lazily through one long-lived
    ``git cat-file --batch`` process per source (opened on first read, closed by ``close()`` or
    when the source is used as a context manager), so reading hundreds of files stays fast.
    """

    def __init__(self, repo: Path | str, rev: str, subdir: str = "") -> None:
        self.repo = Path(repo)
        self.rev = rev
        self.subdir = subdir.strip("/").replace("\\", "/")
        self._blobs: dict[str, str] | None = None
        self._links: set[str] = set()
        self._commit: str | None = None
        self._batch: subprocess.Popen[bytes] | None = None

    # -- git plumbing ---------------------------------------------------------------------------
    def _git(self, *args: str) -> bytes:
        try:
            done = subprocess.run(
                ["git", "-C", str(self.repo), *args], capture_output=True, check=False
            )
        except FileNotFoundError as exc:
            raise ArtifactError("the git command is not installed or not on PATH") from exc
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()
            raise ArtifactError(f"git {' '.join(args[:2])} failed in {self.repo}: {message}")
        return done.stdout

    @property
    def commit(self) -> str:
        """The full commit id ``rev`` resolves to (resolved once, so a moving branch cannot change under us)."""
        if self._commit is None:
            out = self._git("rev-parse", "--verify", "--end-of-options", f"{self.rev}^{{commit}}")
            self._commit = out.decode().strip()
        return self._commit

    def _listing(self) -> dict[str, str]:
        if self._blobs is None:
            args = ["ls-tree", "-r", "-z", "--full-tree", self.commit]
            if self.subdir:
                args += ["--", self.subdir + "/"]
            out = self._git(*args)
            blobs: dict[str, str] = {}
            prefix = self.subdir + "/" if self.subdir else ""
            for entry in out.split(b"\0"):
                if not entry:
                    continue
                meta, _, raw_path = entry.partition(b"\t")
                mode, otype, oid = meta.decode().split(" ")
                if otype != "blob":  # submodules (commit) are not artifacts
                    continue
                path = raw_path.decode("utf-8", "surrogateescape")
                if not path.startswith(prefix):
                    continue
                blobs[path[len(prefix):]] = oid
                if mode == "120000":  # a symbolic link: its blob is the target's path, never content
                    self._links.add(path[len(prefix):])
            self._blobs = blobs
        return self._blobs

    def _cat(self, oid: str, limit: int | None = None, where: str = "") -> bytes:
        if self._batch is None or self._batch.poll() is not None:
            self._batch = subprocess.Popen(
                ["git", "-C", str(self.repo), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        assert self._batch.stdin is not None and self._batch.stdout is not None
        stdout = self._batch.stdout
        self._batch.stdin.write(oid.encode() + b"\n")
        self._batch.stdin.flush()
        header = self._batch.stdout.readline().decode().split()
        if len(header) != 3:
            raise ArtifactError(f"git cat-file could not read object {oid} in {self.repo}")
        size = int(header[2])
        if limit is not None and size > limit:
            batch, self._batch = self._batch, None
            batch.kill()  # the object is still in the pipe: never read it, start afresh next time
            batch.wait(timeout=10)
            for pipe in (batch.stdin, batch.stdout):
                if pipe is not None:
                    pipe.close()
            check_size(size, limit, where)
        data = stdout.read(size)
        stdout.read(1)  # the newline after the object
        return data

    def close(self) -> None:
        if self._batch is not None:
            if self._batch.stdin:
                self._batch.stdin.close()
            self._batch.wait(timeout=10)
            if self._batch.stdout:
                self._batch.stdout.close()
            self._batch = None

    def __enter__(self) -> "GitCommitSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # best effort: never leave a git process behind
        try:
            self.close()
        except Exception:
            pass

    # -- the source surface -------------------------------------------------------------------
    def files(self) -> list[str]:
        return sorted(self._listing())

    def read_bytes(self, path: str) -> bytes:
        oid = self._listing().get(path)
        if oid is None:
            raise ArtifactError(f"file is not in commit {self.rev}", path=self.describe(path))
        if path in self._links:
            raise ArtifactError("is a symbolic link in the commit; refusing to follow it (commit the file itself)",
                                path=self.describe(path))
        return self._cat(oid, limit_for(path), self.describe(path))

    def exists(self, path: str) -> bool:
        return path in self._listing()

    def describe(self, path: str) -> str:
        full = f"{self.subdir}/{path}" if self.subdir else path
        return f"{self.rev}:{full}"

    def __repr__(self) -> str:
        return f"GitCommitSource({str(self.repo)!r}, {self.rev!r}, {self.subdir!r})"
