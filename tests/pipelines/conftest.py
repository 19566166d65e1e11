"""Fixtures for the pipeline tests: the staged extension (its tasks as the agent runs them)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _build_script() -> ModuleType:
    """scripts/build_extension.py, the same staging the task tests and the packaging use."""
    spec = importlib.util.spec_from_file_location("apiops_build_extension_pipelines", ROOT / "scripts" / "build_extension.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def staged_tasks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Task name → staged task folder (index.js, task.json, the wheel), built once per session."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    script = _build_script()
    work = tmp_path_factory.mktemp("pipelines-extension")
    wheel = script.build_wheel(work / "wheel")
    staged = script.stage(work / "extension", wheel, script.pinned_constraints(), script.project_version())
    return {p.parent.name: p for p in sorted(Path(staged).glob("tasks/*/*V*"))}
