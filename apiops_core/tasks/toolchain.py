"""The apiops toolchain: one virtual environment per agent, apiops version and architecture.

The task folder ships the apiops wheel and a constraints file with the exact dependency
versions apiops was built and tested with. The first task of a job that needs the toolchain
(normally Build extractor) creates ``$AGENT_TOOLSDIRECTORY/apiops/<version>/<arch>`` (the
hosted tool-cache layout) and writes ``<arch>.complete`` next to it *last*; later tasks and
later jobs on the same agent see the marker and reuse the environment. The marker records
the wheel's hash so a rebuilt wheel with the same version is not mistaken for a hit.

Standard library only: this runs on a bare interpreter, before any dependency exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

__all__ = ["ToolchainRequest", "Toolchain", "ToolchainError", "ensure_toolchain", "machine_arch", "venv_python"]


class ToolchainError(Exception):
    """The toolchain could not be prepared; the message says what to fix on the agent."""


@dataclass(frozen=True)
class ToolchainRequest:
    """Everything that decides which toolchain a task needs and how to build it."""

    wheel: str
    tools_root: str
    constraints: str | None = None
    index_url: str | None = None
    system_site_packages: bool = False
    force: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], wheel: str) -> "ToolchainRequest":
        """Build extractor's inputs when present, else pipeline variables, else defaults."""
        constraints = os.path.join(os.path.dirname(wheel), "constraints.txt")
        tools_root = (
            environ.get("AGENT_TOOLSDIRECTORY")
            or environ.get("RUNNER_TOOL_CACHE")
            or os.path.join(environ.get("AGENT_TEMPDIRECTORY") or tempfile.gettempdir(), "apiops-tools")
        )
        return cls(
            wheel=wheel,
            tools_root=tools_root,
            constraints=constraints if os.path.isfile(constraints) else None,
            index_url=(environ.get("INPUT_PIPINDEXURL") or environ.get("APIOPS_PIP_INDEX_URL") or "").strip() or None,
            system_site_packages=_truthy(
                environ.get("INPUT_SYSTEMSITEPACKAGES") or environ.get("APIOPS_TOOLCHAIN_SYSTEM_SITE_PACKAGES")
            ),
            force=_truthy(environ.get("INPUT_FORCEREINSTALL")),
        )


@dataclass(frozen=True)
class Toolchain:
    python: str
    prefix: str
    version: str
    reused: bool


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes", "on")


def machine_arch() -> str:
    """The tool-cache architecture name (x64, arm64, x86...)."""
    machine = platform.machine().lower()
    return {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64", "i386": "x86", "i686": "x86"}.get(
        machine, machine or "unknown"
    )


def venv_python(prefix: str) -> str:
    if os.name == "nt":
        return os.path.join(prefix, "Scripts", "python.exe")
    return os.path.join(prefix, "bin", "python")


def wheel_version(wheel: str) -> str:
    """``apiops_core-1.2.3-py3-none-any.whl`` -> ``1.2.3`` (wheel file names are normative)."""
    parts = os.path.basename(wheel).split("-")
    if len(parts) < 5 or not wheel.endswith(".whl"):
        raise ToolchainError(f"{wheel} is not a wheel file name")
    return parts[1]


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


Runner = Callable[[Sequence[str]], int]


def _default_runner(argv: Sequence[str]) -> int:
    # pip's own output is for the log; stdout of this process is the agent's command channel,
    # and pip prints nothing that looks like a logging command.
    return subprocess.call(list(argv))


def ensure_toolchain(
    request: ToolchainRequest,
    *,
    base_python: str | None = None,
    run: Runner = _default_runner,
    log: Callable[[str], None] = lambda message: print(message, flush=True),
) -> Toolchain:
    """Return a ready toolchain, reusing the cached one when its marker matches the wheel."""
    if not os.path.isfile(request.wheel):
        raise ToolchainError(f"The apiops wheel {request.wheel} is missing from the task folder")
    version = wheel_version(request.wheel)
    arch = machine_arch()
    parent = os.path.join(request.tools_root, "apiops", version)
    prefix = os.path.join(parent, arch)
    marker = os.path.join(parent, arch + ".complete")
    python = venv_python(prefix)
    wheel_hash = file_sha256(request.wheel)

    if not request.force and _marker_matches(marker, wheel_hash) and os.path.isfile(python):
        log(f"Using the cached apiops {version} toolchain in {prefix}")
        return Toolchain(python, prefix, version, reused=True)

    log(f"Preparing the apiops {version} toolchain in {prefix}")
    if os.path.exists(marker):
        os.remove(marker)
    if os.path.exists(prefix):
        shutil.rmtree(prefix)
    os.makedirs(parent, exist_ok=True)
    base = base_python or sys.executable
    venv_argv = [base, "-m", "venv"]
    if request.system_site_packages:
        venv_argv.append("--system-site-packages")
    if run([*venv_argv, prefix]) != 0:
        raise ToolchainError(
            f"Could not create a virtual environment with {base}; install the venv module "
            "(e.g. apt-get install python3-venv) or use the UsePythonVersion task"
        )
    if request.system_site_packages and base_python is None:
        _link_running_environment(prefix)
    pip_argv = [python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input"]
    if request.index_url:
        pip_argv += ["--index-url", request.index_url]
    if request.constraints:
        pip_argv += ["--constraint", request.constraints]
    # apiops itself is forced in (a same-version copy visible through system site packages must
    # not win), its dependencies are installed only when missing.
    for argv in ([*pip_argv, request.wheel], [*pip_argv, "--no-deps", "--force-reinstall", request.wheel]):
        if run(argv) != 0:
            raise ToolchainError(
                "pip could not install apiops and its dependencies; check that the agent reaches the package "
                "index (set the pipIndexUrl input or the PIP_INDEX_URL variable for a private feed)"
            )
    with open(marker, "w", encoding="utf-8") as handle:
        json.dump({"version": version, "wheel_sha256": wheel_hash, "base_python": base}, handle)
    return Toolchain(python, prefix, version, reused=False)


def venv_site_packages(prefix: str) -> str:
    if os.name == "nt":
        return os.path.join(prefix, "Lib", "site-packages")
    return os.path.join(prefix, "lib", f"python{sys.version_info[0]}.{sys.version_info[1]}", "site-packages")


def _link_running_environment(prefix: str) -> None:
    """Make the packages of the running interpreter visible when it is itself a virtual environment.

    ``--system-site-packages`` only reaches the *base* installation; an agent image (or a CI
    job) that preinstalled the dependencies into a virtual environment would be ignored. A
    ``.pth`` line per site-packages folder adds them after the toolchain's own, so pip sees
    the dependencies as installed and apiops itself still comes from the toolchain.
    """
    if sys.prefix == sys.base_prefix:
        return
    import site

    folders = [p for p in site.getsitepackages() if os.path.isdir(p)]
    target = venv_site_packages(prefix)
    if folders and os.path.isdir(target):
        with open(os.path.join(target, "_apiops_base_environment.pth"), "w", encoding="utf-8") as handle:
            handle.write("\n".join(folders) + "\n")


def _marker_matches(marker: str, wheel_hash: str) -> bool:
    try:
        with open(marker, encoding="utf-8") as handle:
            return json.load(handle).get("wheel_sha256") == wheel_hash
    except (OSError, ValueError, AttributeError):
        return False
