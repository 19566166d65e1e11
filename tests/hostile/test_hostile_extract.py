"""Extract never writes a secret the instance returns in clear, publish never sends the mask over the
live value, and a re-run cleans what a SIGKILLed extract left beside the output folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from apiops_core.artifacts import write_tree
from apiops_emulator.apim.emulator import Emulator
from apiops_core.model import Resource, ResourceKey, State

from .helpers import files_text, load, make_arm, run_cli, writes

SECRETS = ("fk-SECRET-1", "qk-SECRET-2", "auth-SECRET-3", "nv-SECRET-4", "proxy-SECRET-5",
           "0f8fad5b-d9cb-469f-a165-70867728950e", "InstrumentationKey=5f28")
BACKEND = {
    "properties": {
        "url": "https://func.example.net/api",
        "protocol": "http",
        "credentials": {
            "header": {"x-functions-key": ["fk-SECRET-1"], "x-ref": ["{{func-key}}"]},
            "query": {"code": ["qk-SECRET-2"]},
            "authorization": {"scheme": "Basic", "parameter": "auth-SECRET-3"},
        },
        "proxy": {"url": "http://proxy.example.net", "username": "u", "password": "proxy-SECRET-5"},
    }
}


def _seed(emu: Emulator) -> None:
    with make_arm(emu) as arm:
        arm.put("namedValues/func-key", {"properties": {"displayName": "func-key", "secret": True, "value": "nv-SECRET-4"}})
        arm.put("backends/func", BACKEND)
        arm.put("loggers/ai", {"properties": {"loggerType": "applicationInsights",
                                              "credentials": {"instrumentationKey": "0f8fad5b-d9cb-469f-a165-70867728950e"}}})
        arm.put("loggers/ai2", {"properties": {"loggerType": "applicationInsights", "credentials": {
            "connectionString": "InstrumentationKey=5f28;IngestionEndpoint=https://x.example.net/"}}})


def test_secret_fields_are_masked_on_extract_and_publish_keeps_the_live_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "art"
    with Emulator(logger_secrets=False) as emu:  # loggers keep literal keys, as older instances return them
        _seed(emu)
        assert run_cli(emu, "extract", "--output", str(out)) == 0
        text = files_text(out)
        for secret in SECRETS:
            assert secret not in text, f"{secret} was written to the tree"
        backend = load(out / "backends/func/backendInformation.json")["properties"]
        assert backend["credentials"]["header"] == {"x-functions-key": ["***"], "x-ref": ["{{func-key}}"]}
        assert backend["credentials"]["query"] == {"code": ["***"]}
        assert backend["credentials"]["authorization"] == {"scheme": "Basic", "parameter": "***"}
        assert backend["proxy"] == {"url": "http://proxy.example.net", "username": "u", "password": "***"}
        assert load(out / "loggers/ai/loggerInformation.json")["properties"]["credentials"] == {"instrumentationKey": "***"}
        assert load(out / "loggers/ai2/loggerInformation.json")["properties"]["credentials"] == {"connectionString": "***"}

        # publishing the extraction back: the mask is "whatever is live", not a change
        before = writes(emu)
        assert run_cli(emu, "publish", "--artifacts", str(out), "--yes") == 0
        assert writes(emu) == before

        # a real change to the backend puts it, with the live secrets put back (never the mask)
        info = out / "backends/func/backendInformation.json"
        body = load(info)
        body["properties"]["description"] = "changed"
        info.write_text(json.dumps(body, indent=2), encoding="utf-8")
        assert run_cli(emu, "publish", "--artifacts", str(out), "--yes") == 0
        assert writes(emu) == before + 1
        with make_arm(emu) as arm:
            live = arm.get("backends/func").properties  # type: ignore[union-attr]
        assert live["description"] == "changed"
        assert live["credentials"] == BACKEND["properties"]["credentials"]
        assert live["proxy"]["password"] == "proxy-SECRET-5"
    assert "Traceback" not in capsys.readouterr().err


def test_a_masked_secret_with_no_live_value_is_left_out_never_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tmp_path / "art"
    (tree / "backends/func").mkdir(parents=True)
    (tree / "backends/func/backendInformation.json").write_text(json.dumps({"properties": {
        "url": "https://func.example.net/api", "protocol": "http",
        "credentials": {"header": {"x-functions-key": ["***"], "x-plain": ["visible"]}, "query": {"code": ["***"]}},
    }}), encoding="utf-8")
    with Emulator() as emu:
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        with make_arm(emu) as arm:
            live = arm.get("backends/func").properties  # type: ignore[union-attr]
        before = writes(emu)
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        assert writes(emu) == before, "a mask without a live value must not be a change forever"
    assert "***" not in json.dumps(live)
    assert live["credentials"]["header"] == {"x-plain": ["visible"]}
    assert "query" not in live["credentials"] or not live["credentials"]["query"]
    err = capsys.readouterr().err
    assert "masked secret credentials.header.x-functions-key has no live value; left out" in err


_KILLER = r"""
import os, signal, sys
from pathlib import Path
from apiops_core import artifacts
from apiops_core.model import Resource, ResourceKey, State

root, mode = Path(sys.argv[1]), sys.argv[2]
if mode == "while-writing":
    def _write_file(target, data):
        os.kill(os.getpid(), signal.SIGKILL)
    artifacts._write_file = _write_file
else:  # between the two renames of the swap: the old tree is retired, the new one not yet in place
    real_rename = os.rename
    def rename(source, target):
        real_rename(source, target)
        if ".apiops-old-" in str(target):
            os.kill(os.getpid(), signal.SIGKILL)
    artifacts.os.rename = rename
artifacts.write_tree(State([Resource(ResourceKey("tag", ("killed",)), {"properties": {"displayName": "k"}})]), root)
"""


def _kill_write(root: Path, mode: str) -> None:
    done = subprocess.run([sys.executable, "-c", _KILLER, str(root), mode], capture_output=True, timeout=120,
                          env={**os.environ})
    assert done.returncode == -9, done.stderr.decode()


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".apiops-" in p.name)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["while-writing", "mid-swap"])
def test_a_rerun_cleans_what_a_killed_extract_left(mode: str, tmp_path: Path) -> None:
    root = tmp_path / "art"
    write_tree(State([Resource(ResourceKey("tag", ("t1",)), {"properties": {"displayName": "t1"}})]), root)
    (root / "README.md").write_text("ours, not an artifact", encoding="utf-8")
    (tmp_path / ".art.apiops-new-not-hex").mkdir()  # not ours by name: must be left alone
    _kill_write(root, mode)
    left = _leftovers(tmp_path)
    assert any(".art.apiops-" in name and "not-hex" not in name for name in left), left
    if mode == "mid-swap":
        assert not root.exists() and any("-old-" in name for name in left)
    with Emulator(seed="demo") as emu:  # the re-run: a plain extract into the same folder
        assert run_cli(emu, "extract", "--output", str(root)) == 0
    assert _leftovers(tmp_path) == [".art.apiops-new-not-hex"]
    # the previous tree was put back (or never left), so its foreign file survives the re-run
    assert (root / "README.md").read_text(encoding="utf-8") == "ours, not an artifact"
    assert (root / "tags").is_dir() and not (root / "tags/killed").exists()
