"""ApiOpsCreateArtifacts: extract an API Management instance into an artifacts folder.

Runs ``apiops extract --output <artifactsFolder>`` and can publish the folder as a pipeline
artifact, so a later stage (or Create template branch) can commit it. A missing subscription,
resource group or service, or an extraction that would empty the folder (``allowEmpty``) or
delete more than ``maxDeletions`` files, fails the task before anything is written.
"""

from __future__ import annotations

import sys
from typing import Mapping, TextIO

from apiops_core.agent import TaskContext, TaskFailed, run_task
from apiops_core.tasks._common import add_option, engine_environ, max_deletions_input, read_azure_target, run_cli

__all__ = ["main", "body", "SPEC_FORMATS"]

SPEC_FORMATS = ("openapi-v3-yaml", "openapi-v3-json", "openapi-v2-json", "openapi-v2-yaml", "wadl")


def body(context: TaskContext) -> str:
    target = read_azure_target(context)
    output = context.get_path_input("artifactsFolder", required=True)
    spec_format = context.get_input("specificationFormat", default="openapi-v3-yaml")
    if spec_format not in SPEC_FORMATS:
        raise TaskFailed(f"Input specificationFormat must be one of {', '.join(SPEC_FORMATS)}, not {spec_format!r}")
    argv = ["extract", "--output", output, "--spec-format", spec_format]
    add_option(argv, "--config", context.get_path_input("configurationFile", check_exists=True))
    allow_empty = context.get_bool_input("allowEmpty")
    add_option(argv, "--allow-empty", allow_empty)
    if (context.get_input("maxDeletions") or "auto").strip().lower() != "auto":  # auto: the CLI's own bound
        # 0 is a bound too (add_option would drop it)
        argv += ["--max-deletions", str(max_deletions_input(context, default="auto"))]
    run = run_cli(context, argv, engine_environ(context, target), markdown_option="--summary")
    if not run.result.get("resources") and not allow_empty:
        # the pipeline extracts into a fresh folder, so the CLI's guard sees nothing to delete;
        # the pull request would delete every artifact instead (a real instance is never empty:
        # it has at least its global policy)
        raise TaskFailed(
            f"{target.service_name} has no resources to extract; publishing this folder would delete every artifact "
            "in the repository. If the instance really is empty, set allowEmpty: true"
        )

    context.set_output("artifactsFolder", output)
    context.set_output("resourceCount", run.result.get("resources", 0))
    context.set_output("filesWritten", run.result.get("files_written", 0))
    context.set_output("filesDeleted", run.result.get("files_deleted", 0))
    if context.get_bool_input("publishArtifact"):
        name = context.get_input("artifactName", default="apim-artifacts")
        context.upload_artifact(output, name)
    context.upload_summary(
        run.markdown
        or f"## apiops extract\n\nExtracted {run.result.get('resources', 0)} resources of "
        f"`{target.service_name}` into `{output}`.\n",
        title="API Management artifacts",
    )
    return "Succeeded"


def main(environ: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    return run_task(body, environ, out)


if __name__ == "__main__":
    sys.exit(main())
