"""``apiops plan``: compute the Creator's puts and the Terminator's deletes, print and save them.

The stages ``plan``, ``publish`` and ``apply`` share (load the desired state, read the current
one, plan) live in ``apiops_core.publish``; their names stay importable from here.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import ConfigError
from ..model import Plan
from ._context import add_target_arguments

if TYPE_CHECKING:  # pragma: no cover
    from ._context import Context

__all__ = [
    "add_arguments",
    "run",
    "add_plan_arguments",
    "Desired",
    "load_desired",
    "make_plan",
    "write_result",
    "substitute_state_tokens",
    "selection_from_args",
    "refuse_dangling_references",
    "connect",
    "add_detailed_exitcode",
    "plan_exit_code",
    "display",
]


def add_plan_arguments(parser: argparse.ArgumentParser, *, saved_plan: bool = False) -> None:
    """The options plan and publish share."""
    parser.add_argument("--artifacts", required=True, help="artifacts folder (inside a Git work tree for --since)")
    parser.add_argument("--overrides", help="environment override file, e.g. configuration.prod.yaml")
    parser.add_argument("--config", help="extractor configuration: the kinds and names that --prune may delete")
    parser.add_argument("--since", metavar="REV", help="plan the Git changes from REV to HEAD instead of reading the whole instance")
    parser.add_argument("--prune", action="store_true", help="delete what the instance has and the artifacts lack")
    parser.add_argument("--max-deletions", type=int, metavar="N",
                        help="stop before any change when more deletions are planned (default 0 with --prune)")
    parser.add_argument("--markdown", metavar="FILE.md", help="also write the plan as Markdown")
    parser.add_argument("--result", metavar="FILE.json", help="write a small JSON result for pipeline tasks")
    parser.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                        help="leave this artifacts path or glob out (repeatable); nothing it names is written or deleted")
    parser.add_argument("--filter", metavar="FILE.yaml",
                        help="publish only what this extractor-format filter selects, with what it depends on; "
                             "nothing outside it is deleted")
    parser.add_argument("--no-transitive", action="store_true",
                        help="with --filter: do not add the selected resources' dependencies")
    add_target_arguments(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_plan_arguments(parser)
    parser.add_argument("--creator", action="store_true", help="plan the puts only")
    parser.add_argument("--terminator", action="store_true", help="plan the deletes only")
    parser.add_argument("--out", metavar="PLAN.json", help="save the plan (an existing file's other half is kept)")
    parser.add_argument("--to-commit", metavar="REV",
                        help="plan a rollback to this commit's tree (docs/ENVIRONMENTS.md); apply records it as one")
    parser.add_argument("--json", action="store_true",
                        help="print the plan as JSON on stdout instead of text (shape: docs/CLI-CONTRACT.md)")
    add_detailed_exitcode(parser)


def add_detailed_exitcode(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--detailed-exitcode", action="store_true",
                        help="exit 0 when there are no changes, 2 when there are, 1 on any error (as terraform)")


def plan_exit_code(args: argparse.Namespace, plan: Plan) -> int:
    """0, or with --detailed-exitcode 2 when the plan changes something (0 when it changes nothing)."""
    return 2 if getattr(args, "detailed_exitcode", False) and not plan.is_empty else 0


def display(context: "Context") -> Any:
    """The command's progress display (bars on a terminal, plain periodic lines otherwise)."""
    from ..progress import Display

    return Display(context.log, tty=context.tty, no_color=context.no_color)


# -- the pipeline lives in ``apiops_core.publish``; these names stay importable from here ------------

from ..publish import (  # noqa: E402,F401 - re-exported: other commands and older callers import them here
    Desired,
    children_needed,
    connect,
    git_root as _git_root,
    load_desired,
    make_plan,
    read_current_specifications,
    refuse_dangling_references,
    refuse_missing_secrets,
    substitute_state_tokens,
)


def selection_from_args(args: argparse.Namespace) -> Any:
    """The ``--exclude``/``--filter`` selection of plan and publish (None when neither is given)."""
    from ..selection import Selection

    return Selection.build(tuple(getattr(args, "exclude", None) or ()), getattr(args, "filter", None),
                           transitive=not getattr(args, "no_transitive", False))


def write_result(path: str | None, data: Mapping[str, Any]) -> None:
    if path:
        Path(path).write_text(json.dumps(dict(data), indent=2) + "\n", encoding="utf-8")


def _load_plan_file(path: Path) -> Plan | None:
    if not path.exists():
        return None
    try:
        return Plan.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError) as error:
        raise ConfigError(f"{path} is not a plan file apiops can read: {error}") from error


def run(args: argparse.Namespace, context: "Context") -> int:
    from ..plan import ensure_same_target, merge_plans
    from ..render import plan_json, plan_markdown, plan_text

    creator = args.creator or not args.terminator
    terminator = args.terminator or not args.creator
    from .promotion import Deployer, desired_revision

    desired = load_desired(args.artifacts, args.overrides, context.environ, commit=desired_revision(args),
                           selection=selection_from_args(args), defer_refusals=True)
    arm = connect(args, context, desired)
    with arm, display(context).reading(f"planning against {arm.service_name}", lambda: arm.stats.requests) as progress:
        plan = make_plan(
            arm, desired, artifacts=args.artifacts, since=args.since, creator=creator, terminator=terminator,
            prune=args.prune, max_deletions=args.max_deletions, config_path=args.config, log=context.log,
            progress=progress,
        )
        if args.to_commit:
            plan = Deployer.start(args, context, desired).rollback_plan(arm, plan, terminator=terminator)
    if args.out:
        existing = _load_plan_file(Path(args.out))
        if existing is not None and not (creator and terminator):
            ensure_same_target(existing, plan)
            plan = merge_plans(existing, plan, creator=creator, terminator=terminator)
        Path(args.out).write_text(json.dumps(plan.to_json(), indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(plan_markdown(plan), encoding="utf-8")
    context.stdout(json.dumps(plan_json(plan), indent=2) if args.json else plan_text(plan, color=context.color))
    write_result(args.result, {"puts": len(plan.puts), "deletes": len(plan.deletes),
                               "has_changes": not plan.is_empty, "plan_file": args.out, "layout": desired.layout})
    return plan_exit_code(args, plan)

