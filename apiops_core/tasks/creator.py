"""ApiOpsCreator: plan the resources to create or update (``apiops plan --creator --out <planFile>``).

The plan file is what ApiOpsPublish applies; Creator and Terminator may write the same file
in either order (the CLI keeps the other half).
"""

from __future__ import annotations

import sys
from typing import Mapping, TextIO

from apiops_core.agent import TaskContext, run_task
from apiops_core.tasks._planning import plan_body

__all__ = ["main", "body"]


def body(context: TaskContext) -> str:
    return plan_body(context, "creator")


def main(environ: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    return run_task(body, environ, out)


if __name__ == "__main__":
    sys.exit(main())
