"""Extraction through an unreliable service: 429/5xx/dropped connections are retried to success."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from apiops_core.arm import ArmClient
from apiops_emulator.apim import Emulator
from apiops_core.extract import extract
from extract_helpers import TokenCredential


GENERATED = re.compile(r"^subscriptions/[0-9a-f]{24}/")  # products' default subscriptions: random ids


def _files(root: Path) -> dict[str, bytes]:
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    return {path: data for path, data in files.items() if not GENERATED.match(path)}


@pytest.mark.slow
def test_faults_are_retried_and_the_tree_is_the_same(tmp_path):
    with Emulator(seed="demo") as clean, Emulator(seed="demo", fault_rate=0.15, fault_seed=11) as flaky:
        trees = {}
        stats = {}
        for label, emu in (("clean", clean), ("flaky", flaky)):
            with ArmClient(
                emu.url, TokenCredential(emu.token), emu.subscription_id, emu.resource_group, emu.service_name,
                ca_bundle=emu.ca_bundle, max_retries=8, sleep=lambda seconds: None,
            ) as arm:
                extract(arm, tmp_path / label)
                stats[label] = arm.stats.as_dict()
            trees[label] = _files(tmp_path / label)
    assert stats["clean"]["retries"] == 0
    assert stats["flaky"]["retries"] > 0
    assert set(trees["flaky"]) == set(trees["clean"])
    assert trees["flaky"] == trees["clean"]
