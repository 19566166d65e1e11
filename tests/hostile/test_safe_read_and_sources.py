"""safe_read and the readers that use it: configuration, override files, spec lint, Git commits."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from apiops_core import safe_read
from apiops_core.artifacts import read_tree
from apiops_core.cli import main
from apiops_core.config import ExtractorConfig, Overrides
from apiops_core.errors import ArtifactError, ConfigError
from apiops_core.treesource import DirectorySource, GitCommitSource

from .helpers import good_tree

BOMB = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"] + [
    f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]" for i in range(1, 10)
]


def test_regular_files_only_and_no_symlink_out_of_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "inside.json").write_text("{}")
    os.symlink("inside.json", root / "link.json")
    assert safe_read.read_file(root / "link.json", root=root) == b"{}"
    (tmp_path / "outside.json").write_text("{}")
    os.symlink(tmp_path / "outside.json", root / "out.json")
    with pytest.raises(ArtifactError, match="outside the artifacts folder"):
        safe_read.read_file(root / "out.json", root=root)
    os.symlink(tmp_path, root / "dir-out")  # a folder link that leaves the tree: files under it are refused too
    with pytest.raises(ArtifactError, match="outside the artifacts folder"):
        safe_read.read_file(root / "dir-out" / "outside.json", root=root)
    os.mkfifo(root / "fifo")
    with pytest.raises(ArtifactError, match="FIFO"):
        safe_read.read_file(root / "fifo", root=root)
    with pytest.raises(ArtifactError, match="device"):
        safe_read.read_file("/dev/zero")
    (root / "big").write_bytes(b"x" * 101)
    with pytest.raises(ArtifactError, match="larger than"):
        safe_read.read_file(root / "big", limit=100)


def test_strict_json_names_the_line() -> None:
    with pytest.raises(ArtifactError) as caught:
        safe_read.load_json('{\n "a": {"x": 1,\n "x": 2}}', "f.json")
    assert caught.value.line == 3 and "duplicate key 'x'" in caught.value.message
    assert safe_read.load_json('{"a": "\\ud83d\\ude00"}', "f.json") == {"a": "\U0001F600"}  # a pair is fine


def test_alias_bomb_is_refused_fast_and_ordinary_aliases_pass() -> None:
    started = time.monotonic()
    with pytest.raises(ArtifactError, match="aliases expand to more than"):
        safe_read.load_yaml_plain("\n".join(BOMB), "s.yaml")
    assert time.monotonic() - started < 5
    assert safe_read.load_yaml_plain("base: &b {x: 1}\nother: *b\n", "s.yaml") == {"base": {"x": 1}, "other": {"x": 1}}
    with pytest.raises(ArtifactError, match="nested"):
        safe_read.load_yaml_plain("a: &a [*a]\n", "s.yaml")  # a recursive alias


def test_extractor_configuration_alias_bomb_and_fifo_are_config_errors(tmp_path: Path) -> None:
    config = tmp_path / "configuration.extractor.yaml"
    config.write_text("\n".join(["apiNames: [x]", "x-junk:"] + ["  " + line for line in BOMB]) + "\n")
    with pytest.raises(ConfigError, match="alias") as caught:
        ExtractorConfig.load(config)
    assert caught.value.path == str(config) and caught.value.line
    fifo = tmp_path / "overrides.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="FIFO"):
        Overrides.load(fifo, {})
    deep = tmp_path / "deep.yaml"
    deep.write_text("apis: " + "[" * 500 + "]" * 500 + "\n")
    with pytest.raises(ConfigError, match="nested"):
        Overrides.load(deep, {})


def test_extract_with_an_alias_bomb_configuration_exits_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "configuration.extractor.yaml"
    config.write_text("\n".join(["x-junk:"] + ["  " + line for line in BOMB]) + "\n")
    code = main(["extract", "--output", str(tmp_path / "out"), "--configuration", str(config)],
                {"API_MANAGEMENT_SERVICE_NAME": "s", "AZURE_SUBSCRIPTION_ID": "0", "AZURE_RESOURCE_GROUP_NAME": "rg"})
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    assert str(config) in err and "alias" in err
    assert not (tmp_path / "out").exists()


def test_lint_refuses_an_alias_bomb_specification(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = good_tree(tmp_path / "artifacts")
    spec = ["openapi: 3.0.1", "info: {title: t, version: '1'}", "paths: {}", "x-lol:"] + ["  " + line for line in BOMB]
    (tree / "apis/hello/specification.yaml").write_text("\n".join(spec) + "\n")
    started = time.monotonic()
    code = main(["lint", str(tree)], {})
    out, err = capsys.readouterr()
    assert code != 0 and "Traceback" not in err
    assert "apis/hello/specification.yaml" in out + err and "alias" in out + err
    assert time.monotonic() - started < 30


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_commit_source_refuses_symlinks_and_oversized_blobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    tree = good_tree(repo / "artifacts")
    (tmp_path / "secret.xml").write_text("<policies/>")
    os.symlink(tmp_path / "secret.xml", tree / "policy.xml")
    (tree / "apis/hello/specification.json").write_text('{"openapi": "3.0.1", "x": "' + "y" * 2000 + '"}')
    env = ["-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "A"]):
        subprocess.run(["git", "-C", str(repo), *env, *args], check=True, capture_output=True)
    monkeypatch.setattr("apiops_core.treesource.limit_for", lambda path: 1000)
    with GitCommitSource(repo, "HEAD", "artifacts") as source:
        read = read_tree(source)
        messages = [str(p) for p in read.problems]
        assert any("HEAD:artifacts/policy.xml" in m and "symbolic link" in m for m in messages), messages
        assert any("HEAD:artifacts/apis/hello/specification.json" in m and "larger than" in m for m in messages), messages
        # the batch process was restarted after the refused blob: later reads still work
        assert source.read_bytes("apis/hello/policy.xml").startswith(b"<policies>")
    assert DirectorySource(tree).exists("apis/hello/policy.xml")


def test_lint_configuration_alias_bomb_is_a_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = good_tree(tmp_path / "artifacts")
    (tree / ".apiops-lint.yaml").write_text("\n".join(["x-junk:"] + ["  " + line for line in BOMB]) + "\n")
    code = main(["lint", str(tree)], {})
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    assert ".apiops-lint.yaml" in err and "alias" in err


@pytest.mark.parametrize("text, message", [
    ('namedValues:\n  - name: x\n    properties: {value: "\\ud800"}\n', "lone UTF-16 surrogate"),
    ("namedValues:\n  - name: x\n    properties: {value: " + "9" * 5000 + "}\n", "integer of more than 4300 digits"),
])
def test_override_file_lone_surrogate_and_huge_integer_are_config_errors(text: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "configuration.prod.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        Overrides.load(path, {})
    assert caught.value.path == str(path)
