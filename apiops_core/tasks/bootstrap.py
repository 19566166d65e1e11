"""First Python code of every task: find or build the toolchain, then run the task module in it.

The Node shim starts ``python -m apiops_core.tasks.bootstrap <module>`` with the wheel of
the task folder on ``PYTHONPATH`` (a pure-Python wheel is importable as a zip), on whatever
Python >= 3.10 the agent has. Then:

* ``APIOPS_PYTHON`` set (Build extractor sets it as a job variable, or a user points it at a
  prepared interpreter): run the module with that interpreter;
* otherwise ensure the cached toolchain (:mod:`apiops_core.tasks.toolchain`) and use it.

The module runs in a child process without the wheel on ``PYTHONPATH`` so the toolchain's
installed copy (with its dependencies) is the one imported. Failures are reported with
``task.complete`` and exit code 0, as the agent expects.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from urllib.parse import urlsplit
from typing import Mapping, Sequence

from apiops_core.agent import TaskContext, format_command
from apiops_core.tasks import TASK_MODULES
from apiops_core.tasks.toolchain import ToolchainError, ToolchainRequest, ensure_toolchain

__all__ = ["main", "select_interpreter", "child_environ", "register_secrets"]


def _fail(message: str) -> int:
    print(format_command("task.logissue", message, type="error"), flush=True)
    print(format_command("task.complete", message, result="Failed"), flush=True)
    return 0


def select_interpreter(environ: Mapping[str, str], wheel: str | None) -> str:
    """The interpreter that has apiops and its dependencies (building the toolchain if needed)."""
    chosen = (environ.get("APIOPS_PYTHON") or "").strip()
    forced = (environ.get("INPUT_FORCEREINSTALL") or "").strip().lower() == "true"
    if chosen and not forced:
        if not os.path.isfile(chosen):
            raise ToolchainError(f"APIOPS_PYTHON points at {chosen}, which does not exist on this agent")
        print(f"Using the apiops toolchain interpreter {chosen}", flush=True)
        return chosen
    if not wheel:
        raise ToolchainError("The task folder has no apiops wheel and APIOPS_PYTHON is not set")
    return ensure_toolchain(ToolchainRequest.from_environ(environ, wheel)).python


def child_environ(environ: Mapping[str, str], wheel: str | None) -> dict[str, str]:
    """The environment, untouched except that the wheel leaves ``PYTHONPATH``."""
    env = dict(environ)
    if wheel and env.get("PYTHONPATH"):
        kept = [p for p in env["PYTHONPATH"].split(os.pathsep) if p and os.path.normcase(p) != os.path.normcase(wheel)]
        if kept:
            env["PYTHONPATH"] = os.pathsep.join(kept)
        else:
            del env["PYTHONPATH"]
    return env


def register_secrets(environ: Mapping[str, str]) -> None:
    """Register the job's secrets before pip or anything else prints a line.

    Includes the password of a package index URL (``https://user:PAT@feed/...``), which pip
    redacts itself, but an error message of another tool might not.
    """
    context = TaskContext(environ=environ, out=sys.stdout)
    context.register_known_secrets()
    for key in ("INPUT_PIPINDEXURL", "APIOPS_PIP_INDEX_URL", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        for url in (environ.get(key) or "").split():
            try:
                password = urlsplit(url).password
            except ValueError:
                password = None
            if password:
                context.set_secret(password)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ if environ is None else environ)
    modules = {module for _, module in TASK_MODULES}
    if len(args) != 1 or args[0] not in modules:
        return _fail(f"bootstrap: expected one task module out of {sorted(modules)}, got {args}")
    register_secrets(env)
    wheel = env.get("APIOPS_TASK_WHEEL") or None
    try:
        python = select_interpreter(env, wheel)
    except (ToolchainError, OSError) as exc:
        return _fail(str(exc))
    child = subprocess.Popen([python, "-m", f"apiops_core.tasks.{args[0]}"], env=child_environ(env, wheel))

    def forward(signum: int, _frame: object) -> None:  # cancellation: the agent signals the shim
        try:
            child.send_signal(signum)
        except OSError:
            pass

    for name in ("SIGINT", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), forward)
    code = child.wait()
    if code != 0:
        return _fail(f"The apiops task process ended with exit code {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
