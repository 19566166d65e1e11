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

from ._context import EXIT_OK
from ..errors import ConfigError
from .apply import report
from .plan import (add_detailed_exitcode, add_plan_arguments, connect, display, load_desired, make_plan, plan_exit_code,
                   selection_from_args, write_result)

if TYPE_CHECKING:  # pragma: no cover
    from ._context import Context

__all__ = ["add_arguments", "run", "confirm"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_plan_arguments(parser)
    parser.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--force", action="store_true",
                        help="apply even if the instance changed between planning and applying (as apply --force: "
                             "without it the ETags read when planning are checked again before the first write)")
    add_detailed_exitcode(parser)
    from .promotion import add_publish_arguments

    add_publish_arguments(parser)


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
    from .promotion import Deployer, desired_revision

    if args.detailed_exitcode and not args.dry_run:
        raise ConfigError("--detailed-exitcode goes with --dry-run (a publish that applies exits 0 or 1)")
    desired = load_desired(args.artifacts, args.overrides, context.environ, commit=desired_revision(args),
                           selection=selection_from_args(args), defer_refusals=True)
    deployer = Deployer.start(args, context, desired)  # --require-live-in: checked before anything is written
    arm = connect(args, context, desired)
    show = display(context)
    with arm:
        deployer.read_before(arm)
        with show.reading(f"planning against {arm.service_name}", lambda: arm.stats.requests) as reading:
            plan = make_plan(
                arm, desired, artifacts=args.artifacts, since=args.since, creator=True,
                terminator=bool(args.since or args.prune), prune=args.prune, max_deletions=args.max_deletions,
                config_path=args.config, log=context.log, progress=reading,
            )
        plan = deployer.rollback_deletes(plan)
        context.stdout(plan_text(plan, color=context.color))
        if args.markdown:
            Path(args.markdown).write_text(plan_markdown(plan), encoding="utf-8")
        if args.dry_run or plan.is_empty:
            write_result(args.result, {"puts": 0, "deletes": 0, "skipped": 0, "planned_puts": len(plan.puts),
                                       "planned_deletes": len(plan.deletes)})
            if args.dry_run:
                context.stdout("Dry run: nothing was changed.")
            else:
                deployer.record(arm, plan, None)
            return plan_exit_code(args, plan)
        if not args.yes and not confirm(context):
            context.stdout("Not applied.")
            return EXIT_OK
        # fingerprints hold (the plan was made from this very state); the ETags read when planning
        # are checked again, as apply does, unless --force: the instance may have changed meanwhile
        # (another pipeline, someone in the portal while the confirmation prompt waited)
        with show.applying(len(plan.actions)) as progress:
            result = apply_plan(arm, plan, desired.state, force=args.force, progress=progress)
        deployer.record(arm, plan, result)
    return report(result, context, args.result)
