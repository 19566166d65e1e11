"""ApiOpsBuildExtractor: prepare the apiops toolchain on this agent and tell later steps where it is.

The bootstrap (:mod:`apiops_core.tasks.bootstrap`) has already found or built the cached
virtual environment before this module runs *inside* it, so ``sys.executable`` is the
toolchain's interpreter. This module publishes it: the job variable ``APIOPS_PYTHON`` (read
by the shim of every later apiops task in the job), output variables for other jobs, and the
toolchain's scripts folder on ``PATH`` so script steps can call ``apiops`` too.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping, TextIO

from apiops_core.agent import TaskContext, run_task

__all__ = ["main", "body"]


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("apiops-core")
    except Exception:  # noqa: BLE001 - an editable checkout without metadata
        return "unknown"


def body(context: TaskContext) -> str:
    python = sys.executable
    prefix = sys.prefix
    version = _version()
    scripts = os.path.dirname(python)
    context.write_line(f"apiops {version} toolchain: {python}")
    context.set_variable("APIOPS_PYTHON", python)
    context.command("task.prependpath", scripts)
    context.set_output("pythonPath", python)
    context.set_output("toolchainPath", prefix)
    context.set_output("apiopsVersion", version)
    context.upload_summary(
        "## apiops toolchain\n\n"
        f"| | |\n|---|---|\n| apiops | `{version}` |\n| Python | `{sys.version.split()[0]}` |\n"
        f"| Interpreter | `{python}` |\n",
        title="apiops toolchain",
    )
    return "Succeeded"


def main(environ: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    return run_task(body, environ, out)


if __name__ == "__main__":
    sys.exit(main())
