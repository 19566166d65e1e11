"""``apiops publish``: plan, show the plan, confirm, apply — the CLI's stages in one command.

Stages (ANCHORS point 12): load and validate everything, read the instance, plan, print the plan,
stop at ``--dry-run``, ask for confirmation unless ``--yes`` or not interactive (stdin not a
TTY, or ``TF_BUILD`` set in Azure Pipelines), apply, summarise. Nothing is written before the
plan is printed, and nothing at all when any artifact, override or reference is wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..cli import EXIT_OK
from .apply import report, show_progress
from .plan import add_plan_arguments, connect, load_desired, make_plan, selection_from_args, write_result

if TYPE_CHECKING:  # pragma: no cover
    from ..cli import Context

__all__ = ["add_arguments", "run", "confirm"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_plan_arguments(parser)
    parser.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--force", action="store_true", help="(kept for symmetry with apply; publish plans and applies at once)")


def confirm(context: "Context", *, ask: Callable[[str], str] = input, interactive: bool | None = None) -> bool:
    """Ask on a terminal; never ask in a pipeline or when stdin is not a TTY."""
    if interactive is None:
        interactive = sys.stdin.isatty() and not context.env("TF_BUILD") and not context.env("CI")
    if not interactive:
        return True
    try:
        answer = ask("Apply these changes? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def run(args: argparse.Namespace, context: "Context") -> int:
    from ..apply import apply_plan
    from ..render import plan_markdown, plan_text

    desired = load_desired(args.artifacts, args.overrides, context.environ, commit="HEAD" if args.since else None,
                           selection=selection_from_args(args), defer_refusals=True)
    arm = connect(args, context, desired)
    with arm:
        plan = make_plan(
            arm, desired, artifacts=args.artifacts, since=args.since, creator=True,
            terminator=bool(args.since or args.prune), prune=args.prune, max_deletions=args.max_deletions,
            config_path=args.config, log=context.log,
        )
        context.stdout(plan_text(plan))
        if args.markdown:
            Path(args.markdown).write_text(plan_markdown(plan), encoding="utf-8")
        if args.dry_run or plan.is_empty:
            write_result(args.result, {"puts": 0, "deletes": 0, "skipped": 0, "planned_puts": len(plan.puts),
                                       "planned_deletes": len(plan.deletes)})
            if args.dry_run:
                context.stdout("Dry run: nothing was changed.")
            return EXIT_OK
        if not args.yes and not confirm(context):
            context.stdout("Not applied.")
            return EXIT_OK
        # the plan was made moments ago from this very state: fingerprints hold; ETags were just read
        result = apply_plan(arm, plan, desired.state, force=True, progress=show_progress(context, len(plan.actions)))
    return report(result, context, args.result)
