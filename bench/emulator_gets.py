"""Benchmark: emulator start-up time (seeded) and sequential GETs per second over one keep-alive
HTTPS connection. Prints figures; asserts nothing.

    python bench/emulator_gets.py [--requests 2000] [--seed demo]
"""
from __future__ import annotations

import argparse
import time

import requests

from apiops_emulator.apim import Emulator


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seed", default="demo")
    args = parser.parse_args()
    started = time.perf_counter()
    with Emulator(seed=args.seed) as emu:
        startup = time.perf_counter() - started
        session = requests.Session()
        session.trust_env = False          # REQUESTS_CA_BUNDLE would override session.verify
        session.verify = emu.ca_bundle
        session.headers["Authorization"] = f"Bearer {emu.token}"
        urls = [f"{emu.service_url}/apis?api-version=2024-05-01", f"{emu.service_url}/groups/administrators?api-version=2024-05-01",
                f"{emu.service_url}/namedValues?api-version=2024-05-01", f"{emu.service_url}?api-version=2024-05-01"]
        session.get(urls[0]).raise_for_status()
        began = time.perf_counter()
        for index in range(args.requests):
            session.get(urls[index % len(urls)]).raise_for_status()
        elapsed = time.perf_counter() - began
        print(f"startup (seed={args.seed}): {startup:.3f} s")
        print(f"GETs: {args.requests} in {elapsed:.2f} s = {args.requests / elapsed:.0f} GETs/s")
        print(f"stats: {emu.stats()}")


if __name__ == "__main__":
    main()
