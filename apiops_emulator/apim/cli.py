"""``apiops emulator ...``: run the emulator in the foreground until interrupted.

``--ready-file`` is written (atomically) only once the server accepts connections, so scripts can
wait for the file instead of polling the port.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import threading

from .emulator import Emulator


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="apiops emulator", description="Local Azure API Management management-plane emulator (HTTPS on loopback).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0 = any free port)")
    parser.add_argument("--ready-file", help="write connection details as JSON here once accepting connections")
    parser.add_argument("--print-env", action="store_true", help="print shell exports for the apiops client")
    parser.add_argument("--seed", help="'demo', 'demo-secrets' (only the demo's secret named values) or 'generated:<apis>:<operations>'")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay added to every API request")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of API requests answered 429/500/503/dropped")
    parser.add_argument("--fault-seed", type=int, default=None, help="seed of the fault RNG (reproducible faults)")
    parser.add_argument("--throttle", action="store_true", help="ARM token buckets per caller: reads 250 / +25 per s, writes and deletes 200 / +10 per s each")
    parser.add_argument("--state", help="SQLite file that keeps the state across restarts")
    parser.add_argument("--lenient", action="store_true", help="accept PATCH/DELETE without If-Match; skip required-property and reference checks "
                             "(dangling named values/fragments/backends/loggers/version sets, fragments in use)")
    parser.add_argument("--literal-logger-credentials", action="store_true",
                        help="keep literal logger keys/connection strings as sent (by default they move to "
                             "auto-created 'Logger-Credentials--<hex>' secret named values, as on the service)")
    return parser


def _write_atomically(path: str, text: str) -> None:
    temporary = f"{path}.tmp{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    stop = threading.Event()
    try:
        emulator = Emulator(seed=args.seed, latency_ms=args.latency_ms, fault_rate=args.fault_rate,
                            fault_seed=args.fault_seed, throttle=args.throttle, state_file=args.state,
                            lenient=args.lenient, host=args.host, port=args.port,
                            logger_secrets=not args.literal_logger_credentials)
        emulator.start()
    except (OSError, ValueError, RuntimeError) as error:
        print(f"apiops emulator: cannot start: {error}", file=sys.stderr)
        return 2
    try:
        if args.print_env:
            for key, value in emulator.environment().items():
                print(f"export {key}={shlex.quote(value)}")
        else:
            print(f"APIM emulator listening on {emulator.url} (CA bundle {emulator.ca_bundle}); Ctrl+C stops it.")
        sys.stdout.flush()
        if args.ready_file:
            _write_atomically(args.ready_file, json.dumps(emulator.connection_info()))
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                signal.signal(signum, lambda *_: stop.set())
            except ValueError:      # not in the main thread (tests): rely on the caller
                pass
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
        if args.ready_file and os.path.exists(args.ready_file):
            os.remove(args.ready_file)
    return 0
