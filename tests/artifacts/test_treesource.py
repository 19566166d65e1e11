"""Tree sources: a Git commit is read from its objects, never from the working tree."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from apiops_core.artifacts import load_tree
from apiops_core.errors import ArtifactError
from apiops_core.model import ResourceKey
from apiops_core.treesource import DirectorySource, GitCommitSource

from artifact_trees import write_files

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    env_args = ["-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"]
    done = subprocess.run(["git", "-C", str(repo), *env_args, *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def test_git_source_reads_the_commit_not_the_working_tree(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write_files(repo, {
        "README.md": b"top",
        "artifacts/apis/a b/apiInformation.json": b'{"properties": {"path": "one"}}',
        "artifacts/named values/n/namedValueInformation.json": b'{"properties": {"value": "x"}}',
        "artifacts/policy.xml": b"<policies>\r\n</policies>",
    })
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "A")
    first = git(repo, "rev-parse", "HEAD")
    write_files(repo, {"artifacts/apis/a b/apiInformation.json": b'{"properties": {"path": "two"}}'})
    (repo / "artifacts/policy.xml").unlink()
    git(repo, "commit", "-qam", "B")
    # dirty working tree on top of B
    write_files(repo, {"artifacts/apis/a b/apiInformation.json": b'{"properties": {"path": "dirty"}}',
                       "artifacts/apis/new/apiInformation.json": b"{}"})

    with GitCommitSource(repo, first, "artifacts") as source:
        assert source.files() == [
            "apis/a b/apiInformation.json", "named values/n/namedValueInformation.json", "policy.xml"
        ]
        assert source.describe("policy.xml") == f"{first}:artifacts/policy.xml"
        assert source.exists("policy.xml") and not source.exists("nope")
        state = load_tree(source)
        assert state.get(ResourceKey("api", ("a b",))).body == {"properties": {"path": "one"}}
        assert state.get(ResourceKey("service-policy", ())).content == "<policies>\r\n</policies>"

    with GitCommitSource(repo, "main", "artifacts/") as source:
        state = load_tree(source)
        assert state.get(ResourceKey("api", ("a b",))).body == {"properties": {"path": "two"}}
        assert ResourceKey("api", ("new",)) not in state
        assert ResourceKey("service-policy", ()) not in state

    whole = GitCommitSource(repo, "HEAD")
    assert "README.md" in whole.files()
    whole.close()

    with pytest.raises(ArtifactError):
        GitCommitSource(repo, "no-such-rev").files()


def test_directory_source_lists_posix_paths_sorted(tmp_path: Path) -> None:
    write_files(tmp_path, {"b/x.json": b"1", "a/y z.json": b"2", ".git/HEAD": b"x"})
    source = DirectorySource(tmp_path)
    assert source.files() == ["a/y z.json", "b/x.json"]
    assert source.read_bytes("a/y z.json") == b"2"
    assert source.exists("b/x.json") and not source.exists("b")
    with pytest.raises(ArtifactError):
        DirectorySource(tmp_path / "missing").files()
