"""The toolchain cache and the bootstrap: unit tests with a fake runner, one real run via the shim."""

from __future__ import annotations

import json
import os
import shutil
import sys

import pytest

from apiops_core.tasks.bootstrap import child_environ, select_interpreter
from apiops_core.tasks.toolchain import (
    ToolchainError,
    ToolchainRequest,
    ensure_toolchain,
    machine_arch,
    venv_python,
)

from .agent_sim import run_task, task_environment


@pytest.fixture()
def wheel(tmp_path):
    path = tmp_path / "dist" / "apiops_core-9.8.7-py3-none-any.whl"
    path.parent.mkdir()
    path.write_bytes(b"not really a wheel")
    (path.parent / "constraints.txt").write_text("azure-core==1.0\n")
    return str(path)


class FakeRunner:
    """Pretends to be venv/pip: records the commands and creates the interpreter file."""

    def __init__(self, fail_on: str | None = None):
        self.calls: list[list[str]] = []
        self.fail_on = fail_on

    def __call__(self, argv):
        self.calls.append(list(argv))
        if self.fail_on and self.fail_on in argv:
            return 1
        if "venv" in argv:
            python = venv_python(argv[-1])
            os.makedirs(os.path.dirname(python), exist_ok=True)
            open(python, "w").close()
        return 0


def test_first_run_builds_then_cache_hit(tmp_path, wheel):
    request = ToolchainRequest.from_environ({"AGENT_TOOLSDIRECTORY": str(tmp_path / "tools"),
                                             "INPUT_PIPINDEXURL": "https://feed/simple"}, wheel)
    runner = FakeRunner()
    first = ensure_toolchain(request, base_python="/usr/bin/python3", run=runner, log=lambda m: None)
    assert not first.reused and first.version == "9.8.7"
    assert first.prefix == os.path.join(str(tmp_path / "tools"), "apiops", "9.8.7", machine_arch())
    assert runner.calls[0] == ["/usr/bin/python3", "-m", "venv", first.prefix]
    pip = runner.calls[1]
    assert pip[:4] == [first.python, "-m", "pip", "install"]
    assert pip[pip.index("--index-url") + 1] == "https://feed/simple"
    assert pip[pip.index("--constraint") + 1].endswith("constraints.txt") and pip[-1] == wheel
    marker = json.load(open(first.prefix + ".complete"))
    assert marker["version"] == "9.8.7"

    again = FakeRunner()
    second = ensure_toolchain(request, run=again, log=lambda m: None)
    assert second.reused and again.calls == [] and second.python == first.python


def test_changed_wheel_or_force_rebuilds(tmp_path, wheel):
    request = ToolchainRequest(wheel=wheel, tools_root=str(tmp_path))
    ensure_toolchain(request, run=FakeRunner(), log=lambda m: None)
    with open(wheel, "ab") as handle:
        handle.write(b"rebuilt")
    runner = FakeRunner()
    assert not ensure_toolchain(request, run=runner, log=lambda m: None).reused and runner.calls
    forced = ToolchainRequest(wheel=wheel, tools_root=str(tmp_path), force=True, system_site_packages=True)
    runner = FakeRunner()
    assert not ensure_toolchain(forced, run=runner, log=lambda m: None).reused
    assert "--system-site-packages" in runner.calls[0]


def test_failures_leave_no_marker_and_say_what_to_do(tmp_path, wheel):
    request = ToolchainRequest(wheel=wheel, tools_root=str(tmp_path))
    with pytest.raises(ToolchainError, match="PIP_INDEX_URL"):
        ensure_toolchain(request, run=FakeRunner(fail_on="pip"), log=lambda m: None)
    assert not any(p.endswith(".complete") for p in os.listdir(os.path.join(str(tmp_path), "apiops", "9.8.7")))
    with pytest.raises(ToolchainError, match="venv"):
        ensure_toolchain(request, run=FakeRunner(fail_on="venv"), log=lambda m: None)
    with pytest.raises(ToolchainError, match="missing"):
        ensure_toolchain(ToolchainRequest(wheel=str(tmp_path / "apiops_core-1-py3-none-any.whl"),
                                          tools_root=str(tmp_path)), log=lambda m: None)


def test_apiops_python_short_circuits(tmp_path):
    assert select_interpreter({"APIOPS_PYTHON": sys.executable}, None) == sys.executable
    with pytest.raises(ToolchainError, match="does not exist"):
        select_interpreter({"APIOPS_PYTHON": str(tmp_path / "nope")}, None)


def test_child_environment_drops_only_the_wheel():
    env = {"PYTHONPATH": os.pathsep.join(["/t/apiops_core-1-py3-none-any.whl", "/keep"]), "INPUT_X": "1"}
    assert child_environ(env, "/t/apiops_core-1-py3-none-any.whl") == {"PYTHONPATH": "/keep", "INPUT_X": "1"}
    assert "PYTHONPATH" not in child_environ({"PYTHONPATH": "/w.whl"}, "/w.whl")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_build_extractor_prepares_and_reuses_the_toolchain(staged_tasks, workspace):
    """Real venv + pip, offline: the base interpreter's packages satisfy the pinned dependencies."""
    task_dir = str(staged_tasks["ApiOpsBuildExtractor"])
    variables = {k: v for k, v in workspace.items() if k != "APIOPS_PYTHON"}
    env = task_environment(task_dir, {"systemSitePackages": "true"}, variables)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    first = run_task(task_dir, env)
    assert first.result == "Succeeded", first.stdout[-3000:] + first.stderr[-3000:]
    outputs = first.outputs()
    tools = workspace["Agent.ToolsDirectory"]
    assert outputs["pythonPath"].startswith(os.path.join(tools, "apiops"))
    assert os.path.isfile(outputs["toolchainPath"] + ".complete")
    assert "Preparing the apiops" in first.stdout

    second = run_task(task_dir, env)
    assert second.result == "Succeeded"
    assert "Using the cached apiops" in second.stdout
    assert second.outputs()["pythonPath"] == outputs["pythonPath"]


def test_bootstrap_registers_secrets_before_anything_else(capsys):
    from apiops_core.tasks.bootstrap import register_secrets

    register_secrets({"SECRET_X": "secret-value", "INPUT_PIPINDEXURL": "https://user:feed-pat-1234@pkgs.example/simple/"})
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["##vso[task.setsecret]secret-value", "##vso[task.setsecret]feed-pat-1234"]


@pytest.mark.slow
def test_bootstrap_runs_from_the_wheel_on_a_bare_interpreter(staged_tasks):
    """-I -S: no site-packages at all, so only the standard library and the wheel can be imported."""
    import subprocess

    wheel = next(staged_tasks["ApiOpsCreator"].glob("apiops_core-*.whl"))
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import apiops_core.tasks.bootstrap as b; "
            "print(b.__file__)")
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(wheel)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().startswith(str(wheel))
