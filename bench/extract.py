"""Extraction benchmark against the in-process emulator: wall time vs the latency lower bound.

For each size (default 50 and 200 generated APIs, 8 operations each, every operation with a
policy) it starts an emulator with ``latency_ms`` of delay per request, extracts once, and prints

- wall time,
- ARM calls as the emulator counted them (``GET /_emulator/stats``; export downloads excluded),
- calls per extracted resource,
- the lower bound ``calls × latency ÷ concurrency`` — what a perfectly packed client would take.

The ratio wall ÷ bound shows how well the client keeps its ``parallelism`` slots busy.
In-process (the default, as the tests run it) the emulator and the client share one GIL, so on a
small machine the run is CPU-bound well above the bound; ``--out-of-process`` runs the emulator
as a child process (``python -m apiops_emulator``), which is closer to a real service.

Run: ``python bench/extract.py [--apis 50 200] [--operations 8] [--latency-ms 20] [--parallelism 8] [--out-of-process]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apiops_core.arm import ArmClient  # noqa: E402
from apiops_emulator.apim import Emulator  # noqa: E402
from apiops_core.extract import extract  # noqa: E402


class _Token:
    """The emulator's bearer token as an azure-core credential."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self.token, int(time.time()) + 3600)


def _emulator_calls(arm: ArmClient, url: str) -> int:
    stats = json.loads(arm.download(f"{url}/_emulator/stats"))
    return int(sum(stats.get("requests", {}).values()))


@contextlib.contextmanager
def _emulator(seed: str, latency_ms: int, out_of_process: bool) -> Iterator[Any]:
    """Connection details of a running emulator: in this process, or as a child process."""
    if not out_of_process:
        with Emulator(seed=seed, latency_ms=latency_ms) as emu:
            yield emu
        return
    with tempfile.TemporaryDirectory(prefix="apiops-bench-emu-") as folder:
        ready = Path(folder) / "ready.json"
        root = Path(__file__).resolve().parents[1]
        child = subprocess.Popen(
            [sys.executable, "-m", "apiops_emulator", "--seed", seed, "--latency-ms", str(latency_ms),
             "--ready-file", str(ready)],
            cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 600
            while not ready.exists() or not ready.read_text().strip():
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the emulator did not start")
                time.sleep(0.1)
            time.sleep(0.1)
            yield SimpleNamespace(**json.loads(ready.read_text()))
        finally:
            child.terminate()
            child.wait(timeout=30)


def run_once(n_apis: int, operations: int, latency_ms: int, parallelism: int, out_of_process: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    with _emulator(f"generated:{n_apis}:{operations}", latency_ms, out_of_process) as emu:
        seeded = time.perf_counter() - started
        with ArmClient(
            emu.url, _Token(emu.token), emu.subscription_id, emu.resource_group, emu.service_name,
            ca_bundle=emu.ca_bundle, parallelism=parallelism,
        ) as arm:
            requests.post(f"{emu.url}/_emulator/reset-stats", verify=emu.ca_bundle, timeout=30)
            with tempfile.TemporaryDirectory(prefix="apiops-bench-") as folder:
                begin = time.perf_counter()
                cpu_begin = time.process_time()
                result = extract(arm, Path(folder) / "artifacts")
                wall = time.perf_counter() - begin
                cpu = time.process_time() - cpu_begin
            calls = _emulator_calls(arm, emu.url)
            client = arm.stats.as_dict()
    bound = calls * (latency_ms / 1000.0) / parallelism
    return {
        "apis": n_apis,
        "operations": operations,
        "resources": result.resources,
        "files": len(result.written),
        "wall_s": round(wall, 2),
        "process_cpu_s": round(cpu, 2),
        "arm_calls": calls,
        "client_requests": client["requests"],
        "downloads": client["downloads"],
        "retries": client["retries"],
        "max_in_flight": client["max_in_flight"],
        "calls_per_resource": round(calls / max(1, result.resources), 2),
        "lower_bound_s": round(bound, 2),
        "wall_over_bound": round(wall / bound, 2) if bound else None,
        "seed_s": round(seeded, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apis", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--operations", type=int, default=8)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="print one JSON object per size")
    parser.add_argument("--out-of-process", action="store_true", help="run the emulator as a child process")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    for n in args.apis:
        row = run_once(n, args.operations, args.latency_ms, args.parallelism, args.out_of_process)
        if args.json:
            print(json.dumps(row))
            continue
        print(
            f"N={row['apis']:>4} APIs × {row['operations']} ops: {row['resources']} resources, {row['files']} files | "
            f"wall {row['wall_s']:.2f}s (CPU of this process {row['process_cpu_s']:.2f}s) | ARM calls {row['arm_calls']} (+{row['downloads']} export downloads) | "
            f"{row['calls_per_resource']} calls/resource | lower bound {row['lower_bound_s']:.2f}s "
            f"(calls × {args.latency_ms}ms ÷ {args.parallelism}) | wall/bound {row['wall_over_bound']} | "
            f"max in flight {row['max_in_flight']}, retries {row['retries']}"
            + (" [emulator out of process]" if args.out_of_process else " [emulator in process]")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
