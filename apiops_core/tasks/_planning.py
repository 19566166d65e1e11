"""Creator and Terminator: the two halves of ``apiops plan`` (puts, deletes), one shared body."""

from __future__ import annotations

import os

from apiops_core.agent import TaskContext
from apiops_core.tasks._pr_comment import comment_on_pull_request, plan_key
from apiops_core.tasks._common import (
    add_option,
    default_plan_file,
    engine_environ,
    max_deletions_input,
    overrides_input,
    secret_token_environ,
    read_azure_target,
    run_cli,
)

__all__ = ["plan_body"]


def plan_body(context: TaskContext, half: str) -> str:
    """Run ``apiops plan --creator|--terminator --out <planFile>`` and publish the plan's figures."""
    target = read_azure_target(context, service_required=False)
    artifacts = context.get_path_input("artifactsFolder", required=True, check_exists=True)
    plan_file = context.get_path_input("planFile") or default_plan_file(context)
    os.makedirs(os.path.dirname(plan_file) or ".", exist_ok=True)
    overrides = overrides_input(context)
    tokens = secret_token_environ(context) if context.get_bool_input("tokenSubstitution", default=True) else {}
    argv = ["plan", "--artifacts", artifacts, f"--{half}", "--out", plan_file]
    add_option(argv, "--overrides", overrides)
    add_option(argv, "--config", context.get_path_input("configurationFile", check_exists=True))
    add_option(argv, "--since", context.get_input("since"))
    if half == "terminator":
        add_option(argv, "--prune", context.get_bool_input("prune", default=True))
        add_option(argv, "--max-deletions", max_deletions_input(context, default="unlimited"))
    run = run_cli(context, argv, engine_environ(context, target, tokens), markdown_option="--markdown")

    puts = int(run.result.get("puts", 0) or 0)
    deletes = int(run.result.get("deletes", 0) or 0)
    context.set_output("planFile", run.result.get("plan_file") or plan_file)
    context.set_output("puts", puts)
    context.set_output("deletes", deletes)
    context.set_output("hasChanges", bool(run.result.get("has_changes", puts + deletes > 0)))
    if context.get_bool_input("publishPlan"):
        context.upload_artifact(os.path.dirname(plan_file), context.get_input("artifactName", default="apiops-plan"))
    title = "API Management plan (creator)" if half == "creator" else "API Management plan (terminator)"
    what = f"{puts} resource(s) to create or update" if half == "creator" else f"{deletes} resource(s) to delete"
    context.upload_summary(run.markdown or f"## {title}\n\n{what}; plan file `{plan_file}`.\n", title=title)
    written = run.result.get("plan_file") or plan_file
    comment_on_pull_request(context, run.markdown, key=plan_key(written, target.service_name or target.resource_group),
                            origin="Creator" if half == "creator" else "Terminator")
    return "Succeeded"
