"""Politeness under ARM's throttle: extract and publish of N generated APIs against an emulator
started with ``throttle=True`` (ARM's documented token buckets per caller: reads 250 / +25 per s,
writes 200 / +10 per s, deletes 200 / +10 per s).

Prints, per phase:

- requests the emulator received and the share answered 429 (goal ≤ 5 %),
- wall time against the bucket bound: for each bucket, ``max(0, granted − capacity) ÷ refill``
  seconds — the least time the buckets allow for that many granted requests, whatever the client
  does; the figure printed is the largest of the three (phases that read then write, as publish,
  cannot beat it either),
- the wall time of the same run without the throttle, for scale (the work itself takes time),
- the client's own counters (retries, shared 429 pauses, pauses at a remaining count of 0).

Each phase runs about as long as its bound (about a minute for 200 APIs × 1 operation), so run
one phase at a time on a shared machine:

    python bench/throttle.py --phase extract [--apis 200] [--operations 1] [--parallelism 8]
    python bench/throttle.py --phase publish [--apis 200] [--operations 1] [--parallelism 8]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apiops_core.arm import ArmClient  # noqa: E402
from apiops_core.auth import StaticTokenCredential  # noqa: E402
from apiops_core.cli import main  # noqa: E402
from apiops_emulator.apim.emulator import Emulator  # noqa: E402
from apiops_emulator.apim.knobs import Throttle  # noqa: E402
from apiops_core.extract import extract  # noqa: E402

_BUCKETS = {"reads": Throttle.READS, "writes": Throttle.WRITES, "deletes": Throttle.DELETES}


def _arm(emu: Emulator, parallelism: int) -> ArmClient:
    return ArmClient(emu.url, StaticTokenCredential(emu.token), emu.subscription_id, emu.resource_group,
                     emu.service_name, ca_bundle=emu.ca_bundle, parallelism=parallelism)


def _figures(emu: Emulator, wall: float) -> dict[str, Any]:
    """429 share and bucket bound from what the emulator counted (seed requests excluded)."""
    counts = emu.stats()["requests"]
    sent = {
        "reads": counts["GET"] + counts["HEAD"],
        "writes": counts["PUT"] + counts["PATCH"] + counts["POST"],
        "deletes": counts["DELETE"],
    }
    refused = dict(emu.arm.throttle.refused)
    bounds = {}
    for kind, (capacity, refill) in _BUCKETS.items():
        granted = sent[kind] - refused[kind]
        bounds[kind] = max(0.0, granted - capacity) / refill
    total = sum(sent.values())
    throttled = sum(refused.values())
    bound = max(bounds.values())
    # buckets refill in parallel, so the largest bound holds for any order; when a run reads
    # first and writes afterwards (publish: plan, then apply) their sum is closer to the truth
    serial = sum(bounds.values())
    return {
        "requests": total,
        "by_bucket": sent,
        "throttled": throttled,
        "share_429": throttled / total if total else 0.0,
        "wall_s": wall,
        "bound_s": bound,
        "bound_by_bucket": bounds,
        "serial_bound_s": serial,
        "wall_over_bound": wall / bound if bound else None,
    }


def _print(phase: str, apis: int, operations: int, figures: dict[str, Any], client: dict[str, int] | None,
           unthrottled: float) -> None:
    share = figures["share_429"] * 100
    bound = figures["bound_s"]
    ratio = figures["wall_over_bound"]
    sent = figures["by_bucket"]
    line = (
        f"{phase} {apis} APIs x {operations} ops under --throttle: {figures['requests']} requests "
        f"(reads {sent['reads']}, writes {sent['writes']}, deletes {sent['deletes']}), "
        f"{figures['throttled']} answered 429 = {share:.1f} % (goal <= 5 %) | wall {figures['wall_s']:.1f} s vs bucket bound "
        f"{bound:.1f} s" + (f" = {ratio:.2f}x" if ratio else "")
        + (f", buckets one after the other {figures['serial_bound_s']:.1f} s" if figures["serial_bound_s"] > bound + 0.05 else "")
        + f" (unthrottled wall {unthrottled:.1f} s)"
    )
    if client:
        line += (f" | client: retries {client.get('retries')}, 429 pauses {client.get('throttle_pauses')}, "
                 f"rests at remaining 0: {client.get('budget_pauses')}")
    print(line, flush=True)


def _extract_once(apis: int, operations: int, parallelism: int, throttle: bool) -> tuple[float, dict[str, Any], dict[str, int]]:
    with Emulator(seed=f"generated:{apis}:{operations}", throttle=throttle) as emu, _arm(emu, parallelism) as arm:
        emu.reset_stats()
        with tempfile.TemporaryDirectory(prefix="apiops-bench-") as folder:
            started = time.monotonic()
            extract(arm, Path(folder) / "artifacts")
            wall = time.monotonic() - started
        figures = _figures(emu, wall)
        return wall, figures, arm.stats.as_dict()


def bench_extract(apis: int, operations: int, parallelism: int) -> None:
    unthrottled, _, _ = _extract_once(apis, operations, parallelism, throttle=False)
    wall, figures, client = _extract_once(apis, operations, parallelism, throttle=True)
    _print("extract", apis, operations, figures, client, unthrottled)


def bench_publish(apis: int, operations: int, parallelism: int) -> None:
    with tempfile.TemporaryDirectory(prefix="apiops-bench-") as folder:
        tree = Path(folder) / "tree"
        with Emulator(seed=f"generated:{apis}:{operations}") as source, _arm(source, parallelism) as arm:
            extract(arm, tree)  # not measured: an unthrottled source
        walls = {}
        for throttle in (False, True):
            with Emulator(throttle=throttle) as emu:
                env = {**emu.environment(), "APIOPS_PARALLELISM": str(parallelism)}
                emu.reset_stats()
                started = time.monotonic()
                with contextlib.redirect_stdout(io.StringIO()):  # the plan text is not the figure
                    code = main(["-q", "publish", "--artifacts", str(tree), "--yes"], env)
                walls[throttle] = time.monotonic() - started
                if code != 0:
                    print(f"publish exited {code}", flush=True)
                figures = _figures(emu, walls[throttle])
        _print("publish", apis, operations, figures, None, walls[False])


def _cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phase", choices=("extract", "publish", "both"), default="both")
    parser.add_argument("--apis", type=int, default=200)
    parser.add_argument("--operations", type=int, default=1)
    parser.add_argument("--parallelism", type=int, default=8)
    args = parser.parse_args()
    if args.phase in ("extract", "both"):
        bench_extract(args.apis, args.operations, args.parallelism)
    if args.phase in ("publish", "both"):
        bench_publish(args.apis, args.operations, args.parallelism)
    return 0


if __name__ == "__main__":
    raise SystemExit(_cli())
