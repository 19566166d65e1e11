"""``apiops lint [DIR]``: validate an artifacts folder and print the findings.

Exit codes: 0 no finding at or above the fail level, 1 such findings, 2 usage or input errors
(a missing folder, an unreadable override or lint configuration file: raised as ``ApiOpsError``
and mapped by ``cli.main``). Unreadable *artifact* files are findings (AO101), not input errors.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._context import Context

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default=".", help="artifacts folder (default: the current folder)")
    parser.add_argument("--overrides", help="environment override file (configuration.<env>.yaml) to apply first")
    parser.add_argument("--format", choices=("text", "json", "sarif", "junit"), default="text", help="output format")
    parser.add_argument("--output", help="write the report to this file instead of stdout")
    parser.add_argument("--config", help="lint configuration (default: .apiops-lint.yaml in DIR, then the working folder)")
    parser.add_argument("--fail-level", choices=("error", "warning", "note"), help="exit 1 at or above this severity (default: the config's, else error)")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings reach the fail level")


def run(args: argparse.Namespace, context: Context) -> int:
    from ..lint import lint_tree
    from ..lint.formatters import format_report

    report = lint_tree(args.dir, overrides=args.overrides, environ=context.environ, config=args.config)
    if args.fail_level:
        report = report.with_fail_level(args.fail_level)
    text = format_report(report, args.format)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        counts = report.counts()
        context.log.info("lint: %s written (%s)", args.output, ", ".join(f"{n} {s}" for s, n in counts.items()))
    else:
        context.stdout(text.rstrip("\n"))
    if args.exit_zero:
        return 0
    return report.exit_code
