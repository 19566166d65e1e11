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
    from ..apply import ApplyResult, ProgressEvent
    from ._context import Context

__all__ = ["add_arguments", "run", "show_progress", "report"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan", metavar="PLAN.json", help="a plan saved by apiops plan --out")
    parser.add_argument("--artifacts", required=True, help="the artifacts folder the plan was made from")
    parser.add_argument("--overrides", help="the environment override file the plan was made with")
    parser.add_argument("--force", action="store_true", help="apply even if the instance changed since planning")
    parser.add_argument("--result", metavar="FILE.json", help="write a small JSON result for pipeline tasks")
    add_target_arguments(parser)


def show_progress(context: "Context", total: int = 0) -> Any:
    """A progress callback writing one line per event to the log (stderr).

    With ``total`` (the plan's action count) it also logs ``applied k/n`` records carrying
    ``extra={"progress": percent}`` each time another ~5 % of the actions finished (and at the
    end); in a pipeline task ``agent.py`` turns them into ``##vso[task.setprogress]``.
    """
    import threading

    lock = threading.Lock()
    state = {"finished": 0, "reported": 0}
    step = max(1, total // 20) if total else 0

    def advance() -> None:
        with lock:  # logged under the lock, so the percentages reach the log in increasing order
            state["finished"] += 1
            finished = state["finished"]
            if finished > total or (finished < total and finished - state["reported"] < step):
                return
            state["reported"] = finished
            percent = int(finished * 100 / total)
            context.log.info("applied %d/%d (%d%%)", finished, total, percent, extra={"progress": percent})

    def show(event: "ProgressEvent") -> None:
        if event.kind in ("failed", "blocked"):
            context.log.error("%s: %s", event.kind, event.message)
        elif event.kind == "warning":
            context.log.warning("warning: %s", event.message)
        elif event.kind == "start":
            context.log.debug("… %s", event.message)
        else:
            context.log.info("%s %s", {"done": "✓", "skipped": "·", "info": " "}.get(event.kind, ""), event.message)
        if total and event.action is not None and event.kind in ("done", "skipped", "failed", "blocked"):
            advance()

    return show


def report(result: "ApplyResult", context: "Context", result_path: str | None) -> int:
    """Summarise an apply to stdout and the result file; the exit code says whether it all worked."""
    summary = result.summary()
    for action, why in result.failed:
        context.stdout(f"FAILED {action.verb} {action.key}: {why}")
    for action, why in result.blocked:
        context.stdout(f"NOT DONE {action.verb} {action.key}: {why}")
    for warning in result.warnings:
        context.log.warning("warning: %s", warning)
    context.stdout(
        f"Applied: {summary['puts']} put, {summary['deletes']} deleted, {summary['skipped']} skipped, "
        f"{summary['failed']} failed, {summary['blocked']} not attempted ({summary['writes']} writes)."
    )
    write_result(result_path, {"puts": summary["puts"], "deletes": summary["deletes"], "skipped": summary["skipped"],
                               "failed": summary["failed"], "writes": summary["writes"]})
    return EXIT_OK if result.ok else EXIT_FAILED


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
    with arm:
        check_target(arm)  # a plan for a missing instance stops before its first write
        result = apply_plan(arm, plan, desired.state, force=args.force, progress=show_progress(context, len(plan.actions)))
    return report(result, context, args.result)
