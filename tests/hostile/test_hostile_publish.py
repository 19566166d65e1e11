"""Hostile input in an artifacts tree: every case stops `apiops publish` before the first write,
names the file (and line where there is one) and never prints a traceback."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Iterator

import pytest

from apiops_emulator.apim.emulator import Emulator

from .helpers import POLICY, good_tree, run_cli, writes

INFO = "apis/hello/apiInformation.json"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def _refused(emu: Emulator, tree: Path, capsys: pytest.CaptureFixture[str]) -> str:
    before = writes(emu)
    started = time.monotonic()
    code = run_cli(emu, "publish", "--artifacts", str(tree), "--yes")
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert code != 0, err
    assert writes(emu) == before, "nothing may be written"
    assert "Traceback" not in err
    assert elapsed < 30, f"refusal took {elapsed:.1f}s"
    return err


def _info(**extra: str) -> str:
    """apiInformation.json text with raw JSON fragments for extra properties (one per line)."""
    lines = ['{', '  "properties": {', '    "displayName": "Hello",', '    "path": "hello",']
    lines += [f"    {json.dumps(name)}: {raw}," for name, raw in extra.items()]
    lines += ['    "protocols": ["https"]', '  }', '}']
    return "\n".join(lines)


HOSTILE_INFO = {
    "duplicate key": (_info(path='"evil"'), f"{INFO}:5:", "duplicate key 'path'"),
    "NaN": (_info(isCurrent="NaN"), f"{INFO}:5:", "NaN is not a JSON number"),
    "Infinity": (_info(apiRevision="-Infinity"), f"{INFO}:5:", "-Infinity is not a JSON number"),
    "huge integer": (_info(apiRevision="1" + "0" * 5000), f"{INFO}:5:", "integer of 5001 digits is too large"),
    "lone surrogate": (_info(description='"\\ud800 x"'), f"{INFO}:5:", "lone UTF-16 surrogate"),
    "deep nesting": (_info(contact="[" * 100_000 + "]" * 100_000), INFO, "nested too deeply"),
    "moderate nesting": (_info(contact="[" * 300 + "]" * 300), INFO, "nested deeper than 128 levels"),
    "misspelt property": (_info(dispalyName='"x"'), f"{INFO}:5:", "did you mean 'displayName'"),
    "wrong case": (_info(ServiceUrl='"https://x"'), f"{INFO}:5:", "did you mean 'serviceUrl'"),
    "wrong type": (_info(subscriptionRequired='{"yes": 1}'), f"{INFO}:5:",
                   "properties.subscriptionRequired must be a boolean, not an object"),
    "misspelt top-level key": ('{\n  "propertes": {"displayName": "Hello", "path": "hello"}\n}', f"{INFO}:2:",
                               "did you mean 'properties'"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_INFO))
def test_hostile_information_file_is_refused_with_file_and_line(
    case: str, emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, where, message = HOSTILE_INFO[case]
    tree = good_tree(tmp_path / "artifacts", api_info=text)
    err = _refused(emu, tree, capsys)
    assert where in err and message in err


def test_policy_symlinked_out_of_the_tree_is_not_followed(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside-secrets.xml"
    outside.write_text(POLICY.replace("<base />", "<!-- stolen --><base />", 1), encoding="utf-8")
    tree = good_tree(tmp_path / "artifacts")
    (tree / "apis/hello/policy.xml").unlink()
    os.symlink(outside, tree / "apis/hello/policy.xml")
    err = _refused(emu, tree, capsys)
    assert "apis/hello/policy.xml" in err and "outside the artifacts folder" in err


def test_dev_zero_as_a_policy_is_refused(emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = good_tree(tmp_path / "artifacts")
    (tree / "apis/hello/policy.xml").unlink()
    os.symlink("/dev/zero", tree / "apis/hello/policy.xml")
    err = _refused(emu, tree, capsys)
    assert "apis/hello/policy.xml" in err


def test_fifo_policy_file_is_refused_without_hanging(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = good_tree(tmp_path / "artifacts")
    (tree / "apis/hello/policy.xml").unlink()
    os.mkfifo(tree / "apis/hello/policy.xml")  # nobody ever writes to it: a plain open() would block forever
    err = _refused(emu, tree, capsys)
    assert "apis/hello/policy.xml" in err and "FIFO" in err


def test_oversized_information_file_is_refused(emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = good_tree(tmp_path / "artifacts", api_info=_info(description=json.dumps("x" * (5 * 1024 * 1024))))
    err = _refused(emu, tree, capsys)
    assert INFO in err and "4 MiB limit" in err


def test_yaml_alias_bomb_specification_is_refused_quickly(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = good_tree(tmp_path / "artifacts")
    bomb = ["openapi: 3.0.1", "info: {title: Hello, version: '1'}", "paths: {}", "x-lol:",
            "  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        prev, name = chr(96 + level), chr(97 + level)
        bomb.append(f"  {name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    (tree / "apis/hello/specification.yaml").write_text("\n".join(bomb) + "\n", encoding="utf-8")
    err = _refused(emu, tree, capsys)
    assert "apis/hello/specification.yaml" in err and "alias" in err


def test_a_symlink_inside_the_tree_is_fine_and_an_unknown_property_only_warns(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = good_tree(tmp_path / "artifacts", api_info=_info(someFutureSetting='"on"'))
    shared = tree / "shared-policies"
    shared.mkdir()
    (tree / "apis/hello/policy.xml").rename(shared / "hello.xml")
    os.symlink("../../shared-policies/hello.xml", tree / "apis/hello/policy.xml")
    before = writes(emu)
    code = run_cli(emu, "publish", "--artifacts", str(tree), "--yes")
    err = capsys.readouterr().err
    assert code == 0, err
    assert writes(emu) > before
    assert f"{INFO}:5: unknown property properties.someFutureSetting" in err and "Traceback" not in err
