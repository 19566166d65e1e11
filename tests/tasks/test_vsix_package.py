"""Build the .vsix with the pinned tfx-cli (once per session) and check what is inside."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from apiops_core.tasks import TASK_MODULES

ROOT = Path(__file__).resolve().parents[2]
TFX = ROOT / "node_modules" / ".bin" / "tfx"

pytestmark = pytest.mark.skipif(not TFX.exists(), reason="tfx-cli not installed (run `npm ci`)")


@pytest.fixture(scope="module")
def vsix(staged, build_script, tmp_path_factory) -> Path:
    return build_script.package(staged, tmp_path_factory.mktemp("dist"))


def test_vsix_name_and_manifest(vsix, build_script):
    version = build_script.project_version()
    assert vsix.name == f"apiops.apiops-tasks-{version}.vsix"
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        assert {"extension.vsixmanifest", "extension.vsomanifest", "[Content_Types].xml"} <= names
        xml = archive.read("extension.vsixmanifest").decode("utf-8")
        assert re.search(rf'<Identity [^>]*Id="apiops-tasks"[^>]*Version="{re.escape(version)}"[^>]*Publisher="apiops"', xml) \
            or ('Id="apiops-tasks"' in xml and f'Version="{version}"' in xml and 'Publisher="apiops"' in xml)
        contributions = json.loads(archive.read("extension.vsomanifest"))["contributions"]
    tasks = [c for c in contributions if c["type"] == "ms.vss-distributed-task.task"]
    assert len(tasks) == 6
    assert {c["properties"]["name"] for c in tasks} == {f"tasks/{name}" for name, _ in TASK_MODULES}


def test_every_task_folder_is_packaged_whole(vsix):
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        assert "images/extension-icon.png" in names and "overview.md" in names
        for name, _ in TASK_MODULES:
            folder = f"tasks/{name}/{name}V1/"
            for file in ("task.json", "index.js", "icon.png", "entry.json", "constraints.txt"):
                assert folder + file in names, folder + file
            assert [n for n in names if n.startswith(folder + "apiops_core-") and n.endswith(".whl")]
            task = json.loads(archive.read(folder + "task.json").decode("utf-8-sig"))
            assert task["name"] == name and set(task["execution"]) == {"Node20_1", "Node24"}
    assert vsix.stat().st_size < 50 * 1024 * 1024
