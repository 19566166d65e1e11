"""``apiops apply PLAN.json``: apply a saved plan, proving first that it is still the reviewed one.

The desired state is read again the way the plan read it (the working tree, or the commit the
plan names for ``--since``); each put must hash to the planned fingerprint and each resource
must still carry the ETag observed when planning (``--force`` skips the ETag check only).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._context import EXIT_FAILED, EXIT_OK, add_target_arguments
from ..errors import ConfigError
from ..model import Plan
from ..target import check_target
from .plan import load_desired, write_result

if TYPE_CHECKING:  # pragma: no cover
    from ..apply import ApplyResult
    from ._context import Context

__all__ = ["add_arguments", "run", "show_progress", "report", "result_summary", "summary_line"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan", metavar="PLAN.json", help="a plan saved by apiops plan --out")
    parser.add_argument("--artifacts", required=True, help="the artifacts folder the plan was made from")
    parser.add_argument("--overrides", help="the environment override file the plan was made with")
    parser.add_argument("--force", action="store_true", help="apply even if the instance changed since planning")
    parser.add_argument("--result", metavar="FILE.json", help="write a small JSON result for pipeline tasks")
    add_target_arguments(parser)


def show_progress(context: "Context", total: int = 0) -> Any:
    """The plain apply display (``progress.apply_callback``): one line per event on the log (stderr)
    and ``applied k/n plan actions (p%)`` records every ~5 % that a pipeline task turns into
    ``##vso[task.setprogress]``. Commands use ``progress.Display.applying``, which adds bars on a
    terminal and a heartbeat; this stays for callers that want the plain lines only.
    """
    from ..progress import apply_callback

    return apply_callback(context.log, total)


def report(result: "ApplyResult", context: "Context", result_path: str | None) -> int:
    """Summarise an apply to stdout and the result file; the exit code says whether it all worked.

    The first number counts the same thing as the ``applied k/n plan actions`` progress lines:
    plan actions that reached an outcome (written, skipped, failed or not attempted), of all the
    plan's actions; ``writes`` counts the write requests sent (one action may need more than one).
    """
    summary = result_summary(result)
    for action, why in result.failed:
        context.stdout(f"FAILED {action.verb} {action.key}: {why}")
    for action, why in result.blocked:
        context.stdout(f"NOT DONE {action.verb} {action.key}: {why}")
    for warning in result.warnings:
        context.log.warning("warning: %s", warning)
    context.stdout(summary_line(summary))
    write_result(result_path, {"actions": summary["actions"], "puts": summary["puts"], "deletes": summary["deletes"],
                               "skipped": summary["skipped"], "failed": summary["failed"],
                               "not_attempted": summary["blocked"], "writes": summary["writes"]})
    return EXIT_OK if result.ok else EXIT_FAILED


def result_summary(result: "ApplyResult") -> dict[str, int]:
    """``ApplyResult.summary()`` plus ``actions``: the plan actions that reached an outcome."""
    summary = dict(result.summary())
    summary["actions"] = summary["puts"] + summary["deletes"] + summary["skipped"] + summary["failed"] + summary["blocked"]
    return summary


def summary_line(summary: dict[str, int], total: int | None = None) -> str:
    """``Applied k/n plan actions: …`` (``total`` defaults to the actions with an outcome)."""
    total = summary["actions"] if total is None else total
    written = summary["puts"] + summary["deletes"]
    return (
        f"Applied {summary['actions']}/{total} plan actions: {written} written ({summary['puts']} put, "
        f"{summary['deletes']} deleted), {summary['skipped']} skipped (nothing to write), {summary['failed']} failed, "
        f"{summary['blocked']} not attempted; {summary['writes']} write request(s) sent."
    )


def run(args: argparse.Namespace, context: "Context") -> int:
    from ..apply import apply_plan

    path = Path(args.plan)
    if not path.is_file():
        raise ConfigError(f"plan file {path} does not exist")
    try:
        plan = Plan.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError) as error:
        raise ConfigError(f"{path} is not a plan file apiops can read: {error}", path=str(path)) from error
    from ..selection import Selection

    desired = load_desired(args.artifacts, args.overrides, context.environ, commit=plan.target.get("commit"),
                           selection=Selection.from_target(plan.target))  # the plan's --exclude/--filter
    arm = context.make_arm(args, service_name=desired.service_name or plan.target.get("service"))
    if plan.target.get("service") and plan.target["service"].casefold() != arm.service_name.casefold():
        raise ConfigError(f"the plan was made for {plan.target['service']!r}, not {arm.service_name!r}")
    from .plan import display
    from .promotion import Deployer

    deployer = Deployer.start(args, context, desired, kind="rollback" if "rollbackFrom" in plan.target else "apply")
    with arm:
        check_target(arm)  # a plan for a missing instance stops before its first write
        deployer.read_before(arm)
        with display(context).applying(len(plan.actions)) as progress:
            result = apply_plan(arm, plan, desired.state, force=args.force, progress=progress)
        deployer.record(arm, plan, result)
    return report(result, context, args.result)
