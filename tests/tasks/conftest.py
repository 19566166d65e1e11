"""Fixtures for the pipeline-task tests: the staged extension (built once per session)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_build_script():
    spec = importlib.util.spec_from_file_location("apiops_build_extension", ROOT / "scripts" / "build_extension.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def build_script():
    return _load_build_script()


@pytest.fixture(scope="session")
def staged(build_script, tmp_path_factory) -> Path:
    """build/extension as the build script lays it out (wheel built once per session)."""
    work = tmp_path_factory.mktemp("extension-build")
    wheel = build_script.build_wheel(work / "wheel")
    return build_script.stage(work / "extension", wheel, build_script.pinned_constraints(), build_script.project_version())


@pytest.fixture(scope="session")
def staged_tasks(staged) -> dict[str, Path]:
    return {p.parent.name: p for p in sorted(staged.glob("tasks/*/*V*"))}


@pytest.fixture()
def workspace(tmp_path) -> dict[str, str]:
    """Agent folders of one job: sources, temp and tool cache, as pipeline variables."""
    sources = tmp_path / "s"
    temp = tmp_path / "_temp"
    tools = tmp_path / "_tool"
    for folder in (sources, temp, tools):
        folder.mkdir()
    return {
        "Build.SourcesDirectory": str(sources),
        "System.DefaultWorkingDirectory": str(sources),
        "Agent.TempDirectory": str(temp),
        "Agent.ToolsDirectory": str(tools),
        "System.Debug": "false",
        # the toolchain of the test run: the interpreter running pytest has apiops and its dependencies
        "APIOPS_PYTHON": sys.executable,
    }
