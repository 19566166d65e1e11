"""Benchmark: publish a generated 50/200-API tree to an emulator with 20 ms latency.

Prints, per size: wall time of the first publish, its writes and reads as counted by the
emulator, and the writes of a second (no-op) publish, which must be 0. Run:
``python bench/publish.py [--apis 50 200] [--operations 3] [--latency 20] [--parallelism 8]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path

from apiops_core.arm import ArmClient
from apiops_core.auth import StaticTokenCredential
from apiops_core.cli import main
from apiops_emulator.apim.emulator import Emulator
from apiops_core.extract import extract


def _arm(emu: Emulator) -> ArmClient:
    return ArmClient(emu.url, StaticTokenCredential(emu.token), emu.subscription_id, emu.resource_group,
                     emu.service_name, ca_bundle=emu.ca_bundle)


def _counts(emu: Emulator) -> tuple[int, int]:
    r = emu.stats()["requests"]
    return r["PUT"] + r["PATCH"] + r["DELETE"], r["GET"] + r["HEAD"] + r["POST"]


def bench(apis: int, operations: int, latency: int, parallelism: int) -> None:
    with tempfile.TemporaryDirectory(prefix="apiops-bench-") as tmp:
        tree = Path(tmp) / "tree"
        with Emulator(seed=f"generated:{apis}:{operations}") as source, _arm(source) as arm:
            extract(arm, tree)
        with Emulator(latency_ms=latency) as emu:
            env = {**emu.environment(), "APIOPS_PARALLELISM": str(parallelism)}
            emu.reset_stats()
            started = time.monotonic()
            with contextlib.redirect_stdout(io.StringIO()):  # the plan text is not the figure
                code = main(["-q", "publish", "--artifacts", str(tree), "--yes"], env)
            wall = time.monotonic() - started
            writes, reads = _counts(emu)
            emu.reset_stats()
            started = time.monotonic()
            with contextlib.redirect_stdout(io.StringIO()):
                code2 = main(["-q", "publish", "--artifacts", str(tree), "--yes"], env)
            wall2 = time.monotonic() - started
            writes2, reads2 = _counts(emu)
        print(f"{apis} APIs x {operations} ops, latency {latency} ms, parallelism {parallelism}: "
              f"publish {wall:.1f} s (exit {code}), {writes} writes, {reads} reads; "
              f"no-op publish {wall2:.1f} s (exit {code2}), {writes2} writes, {reads2} reads")


def _cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apis", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--operations", type=int, default=3)
    parser.add_argument("--latency", type=int, default=20)
    parser.add_argument("--parallelism", type=int, default=8)
    args = parser.parse_args()
    for size in args.apis:
        bench(size, args.operations, args.latency, args.parallelism)


if __name__ == "__main__":
    _cli()
