"""Shared helpers for the publisher's end-to-end tests on the emulator (no network but loopback)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from apiops_core.arm import ArmClient
from apiops_core.auth import StaticTokenCredential
from apiops_core.cli import main
from apiops_emulator.apim.emulator import Emulator
from apiops_core.extract import extract


def make_arm(emu: Emulator, parallelism: int = 8) -> ArmClient:
    return ArmClient(
        emu.url, StaticTokenCredential(emu.token), emu.subscription_id, emu.resource_group, emu.service_name,
        ca_bundle=emu.ca_bundle, parallelism=parallelism, backoff_base=0.05, backoff_max=0.5,
    )


def writes(emu: Emulator) -> int:
    requests = emu.stats()["requests"]
    return int(requests["PUT"] + requests["PATCH"] + requests["DELETE"])


def run_cli(emu: Emulator, *argv: str, env: dict[str, str] | None = None) -> int:
    environ = {**emu.environment(), **(env or {})}
    return main(list(argv), environ)


def extract_to(emu: Emulator, folder: Path) -> Path:
    with make_arm(emu) as arm:
        extract(arm, folder)
    return folder


def tree_files(root: Path) -> dict[str, Any]:
    """A tree as {path: parsed JSON or text} (link files with their v7 link name)."""
    files: dict[str, Any] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or ".git" in path.parts:
            continue
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        if rel.endswith(".json"):
            files[rel] = json.loads(text)
        else:
            files[rel] = text.replace("\r\n", "\n")
    return files


def secretless(files: dict[str, Any]) -> dict[str, Any]:
    """Drop secret named values without a value: they are skipped by design, never published."""
    return {
        p: v for p, v in files.items()
        if not (p.startswith("named values/") and isinstance(v, dict)
                and v.get("properties", {}).get("secret") and "value" not in v.get("properties", {})
                and "keyVault" not in v.get("properties", {}))
    }


@pytest.fixture(scope="session")
def demo_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo instance extracted once per session (read-only: copy before editing)."""
    root = tmp_path_factory.mktemp("demo") / "tree"
    with Emulator(seed="demo") as emu:
        extract_to(emu, root)
    return root


@pytest.fixture()
def tree_copy(demo_tree: Path, tmp_path: Path) -> Path:
    target = tmp_path / "artifacts"
    shutil.copytree(demo_tree, target)
    return target


@pytest.fixture(scope="module")
def empty_emulator() -> Iterator[Emulator]:
    """A target with nothing but the environment's secrets (extracted trees never carry them)."""
    with Emulator(seed="demo-secrets") as emu:
        yield emu


@pytest.fixture()
def apiops_log() -> Iterator[Any]:
    """Everything the CLI logs (progress and errors go to the ``apiops`` logger, not stdout)."""
    import io
    import logging

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("apiops")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
