"""A publish KILLED half way (SIGKILL, no clean-up) converges when re-run, losing nothing.

Everything runs out of process: the emulator (``python -m apiops_emulator``) and each publish
(``python -m apiops_core.cli publish``). Every wait is bounded; processes are killed in ``finally``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from apiops_core.arm import ArmClient
from apiops_core.auth import StaticTokenCredential
from apiops_core.extract import extract

from .conftest import tree_files

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def _wait_for(predicate: Any, timeout: float, what: str, process: subprocess.Popen | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process ended first (exit {process.returncode})")
        time.sleep(0.02)
    raise AssertionError(f"{what}: not within {timeout} s")


def _stats(info: dict[str, str]) -> dict[str, Any]:
    session = requests.Session()
    session.trust_env = False
    response = session.get(f"{info['url']}/_emulator/stats", verify=info["ca_bundle"], timeout=10)
    response.raise_for_status()
    return response.json()


def _puts(info: dict[str, str]) -> int:
    return int(_stats(info)["requests"]["PUT"])


def _writes(info: dict[str, str]) -> int:
    requests_ = _stats(info)["requests"]
    return int(requests_["PUT"] + requests_["PATCH"] + requests_["DELETE"])


def _environment(info: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APIOPS_", "AZURE_", "API_MANAGEMENT_"))}
    env.update({
        "APIOPS_ARM_ENDPOINT": info["url"], "APIOPS_CA_BUNDLE": info["ca_bundle"], "AZURE_BEARER_TOKEN": info["token"],
        "AZURE_SUBSCRIPTION_ID": info["subscription_id"], "AZURE_RESOURCE_GROUP_NAME": info["resource_group"],
        "API_MANAGEMENT_SERVICE_NAME": info["service_name"], "PYTHONPATH": str(ROOT),
    })
    env.pop("TF_BUILD", None)
    return env


def _publish(artifacts: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("ab")
    try:
        return subprocess.Popen([sys.executable, "-m", "apiops_core.cli", "publish", "--artifacts", str(artifacts), "--yes"],
                                cwd=str(ROOT), env=env, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT)
    finally:
        handle.close()


def _extract(info: dict[str, str], folder: Path) -> Path:
    with ArmClient(info["url"], StaticTokenCredential(info["token"]), info["subscription_id"], info["resource_group"],
                   info["service_name"], ca_bundle=info["ca_bundle"]) as arm:
        extract(arm, folder)
    return folder


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.kill()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pass


@pytest.mark.slow
def test_a_publish_killed_half_way_converges_when_run_again(demo_tree: Path, tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    shutil.copytree(demo_tree, artifacts)
    expected = tree_files(demo_tree)
    ready = tmp_path / "ready.json"
    log = tmp_path / "publish.log"
    emulator: subprocess.Popen | None = None
    publish: subprocess.Popen | None = None
    try:
        emulator = subprocess.Popen(
            [sys.executable, "-m", "apiops_emulator", "--seed", "demo-secrets", "--latency-ms", "60",
             "--ready-file", str(ready)],
            cwd=str(ROOT), env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=(tmp_path / "emulator.log").open("wb"),
        )
        _wait_for(ready.exists, 30, "emulator ready file", emulator)
        info = json.loads(ready.read_text(encoding="utf-8"))
        env = _environment(info)
        assert _writes(info) == 0

        # 1. publish, killed (SIGKILL: no clean-up of any kind) once some writes landed
        publish = _publish(artifacts, env, log)
        _wait_for(lambda: _puts(info) >= 10, 120, "10 PUTs from the first publish", publish)
        publish.send_signal(signal.SIGKILL)
        publish.wait(timeout=10)
        assert publish.returncode == -signal.SIGKILL
        killed_at = _puts(info)
        partial = tree_files(_extract(info, tmp_path / "partial"))
        assert partial != expected, "the instance must be partly published after the kill"

        # 2. the same publish again runs to completion
        publish = _publish(artifacts, env, log)
        try:
            assert publish.wait(timeout=180) == 0, log.read_text(encoding="utf-8", errors="replace")[-4000:]
        except subprocess.TimeoutExpired:
            raise AssertionError("the second publish did not finish within 180 s") from None
        total = _puts(info)
        assert total > killed_at, "the second publish must have finished the work"

        # nothing lost and nothing extra: every file of the tree is back, byte for byte, even when the
        # kill fell between a product's create and the removal of what APIM adds to new products
        assert tree_files(_extract(info, tmp_path / "back")) == expected

        # 3. a third publish has nothing left to do
        before = _writes(info)
        publish = _publish(artifacts, env, log)
        try:
            assert publish.wait(timeout=180) == 0, log.read_text(encoding="utf-8", errors="replace")[-4000:]
        except subprocess.TimeoutExpired:
            raise AssertionError("the third publish did not finish within 180 s") from None
        assert _writes(info) == before
    finally:
        _stop(publish)
        if emulator is not None and emulator.poll() is None:
            emulator.terminate()
            try:
                emulator.wait(timeout=10)
            except subprocess.TimeoutExpired:
                emulator.kill()
                emulator.wait(timeout=10)
