"""ApiOpsPublish: change the API Management instance.

With a plan file (from Creator/Terminator) it runs ``apiops apply <planFile>``, which refuses
to apply when the artifacts or the instance drifted since planning (unless ``force``).
Without one it plans and applies in one go: ``apiops publish --yes``.
"""

from __future__ import annotations

import sys
from typing import Mapping, TextIO

from apiops_core.agent import TaskContext, run_task
from apiops_core.tasks._common import (
    add_option,
    engine_environ,
    max_deletions_input,
    overrides_input,
    read_azure_target,
    run_cli,
    secret_token_environ,
)

__all__ = ["main", "body"]


def body(context: TaskContext) -> str:
    target = read_azure_target(context, service_required=False)
    artifacts = context.get_path_input("artifactsFolder", required=True, check_exists=True)
    plan_file = context.get_path_input("planFile", check_exists=True)
    overrides = overrides_input(context)
    tokens = secret_token_environ(context) if context.get_bool_input("tokenSubstitution", default=True) else {}
    if plan_file:
        argv = ["apply", plan_file, "--artifacts", artifacts]
        add_option(argv, "--overrides", overrides)
        add_option(argv, "--force", context.get_bool_input("force"))
        markdown_option = None
    else:
        argv = ["publish", "--artifacts", artifacts]
        add_option(argv, "--overrides", overrides)
        add_option(argv, "--since", context.get_input("since"))
        prune = context.get_bool_input("prune")
        add_option(argv, "--prune", prune)
        if prune:
            add_option(argv, "--max-deletions", max_deletions_input(context, default="0"))
        dry_run = context.get_bool_input("dryRun")
        add_option(argv, "--dry-run" if dry_run else "--yes", True)
        markdown_option = "--markdown"
    run = run_cli(context, argv, engine_environ(context, target, tokens), markdown_option=markdown_option)

    puts = int(run.result.get("puts", 0) or 0)
    deletes = int(run.result.get("deletes", 0) or 0)
    context.set_output("puts", puts)
    context.set_output("deletes", deletes)
    context.set_output("skipped", int(run.result.get("skipped", 0) or 0))
    summary = run.markdown or (
        f"## apiops publish\n\nApplied {puts} put(s) and {deletes} delete(s) to `{target.service_name or 'the instance'}`"
        + (f" from plan `{plan_file}`" if plan_file else "")
        + ".\n"
    )
    context.upload_summary(summary, title="API Management publish")
    return "Succeeded"


def main(environ: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    return run_task(body, environ, out)


if __name__ == "__main__":
    sys.exit(main())
