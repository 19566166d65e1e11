"""``apiops emulator``: hand the raw arguments to the emulator's own command line.

The emulator imports nothing from the client side, so it parses its own options.
"""

from __future__ import annotations

import argparse
from typing import Sequence

from ._context import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("emulator_args", nargs=argparse.REMAINDER, help="see `apiops emulator --help`")


def run_raw(argv: Sequence[str]) -> int:
    from apiops_emulator.apim.cli import main as emulator_main

    return int(emulator_main(list(argv)) or 0)


def run(args: argparse.Namespace, context: Context) -> int:
    return run_raw(args.emulator_args)
