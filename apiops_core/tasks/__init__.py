"""Python entry points of the Azure Pipelines tasks (``python -m apiops_core.tasks.<module>``).

Each task folder under ``tasks/`` names its module in ``entry.json``; the shared Node shim
starts ``apiops_core.tasks.bootstrap <module>``, which finds or builds the toolchain and
runs the module there. Modules stay thin: read inputs, call ``apiops_core.cli.main``, turn
its ``--result`` JSON into output variables and its Markdown into the run summary.

This package must import nothing outside the standard library at import time: the
bootstrap runs from the wheel on a bare interpreter, before any dependency is installed.
"""

from __future__ import annotations

#: Task name (task.json ``name``) -> entry module in this package.
TASK_MODULES: tuple[tuple[str, str], ...] = (
    ("ApiOpsBuildExtractor", "build_extractor"),
    ("ApiOpsCreateArtifacts", "create_artifacts"),
    ("ApiOpsCreateTemplateBranch", "create_template_branch"),
    ("ApiOpsCreator", "creator"),
    ("ApiOpsTerminator", "terminator"),
    ("ApiOpsPublish", "publish"),
)
