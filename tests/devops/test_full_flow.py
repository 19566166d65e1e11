"""The whole loop against emulators: APIM emulator (with the DevOps app mounted) → extract → pr."""

from __future__ import annotations

import json

import pytest

from apiops_core.cli import main
from apiops_emulator.devops.app import DevOpsApp

pytest.importorskip("apiops_core.commands.extract")


@pytest.mark.slow
def test_extract_then_pull_request(tmp_path):
    from apiops_emulator.apim.emulator import Emulator

    devops = DevOpsApp("org")
    devops.add_repository("Proj", "apim", {"README.md": "# config\n", "artifacts/apis/ghost/apiInformation.json": "{}"})
    with Emulator(seed="demo", apps=[devops]) as emu:
        env = dict(emu.environment())
        artifacts = tmp_path / "src" / "artifacts"
        assert main(["-q", "extract", "--output", str(artifacts)], env) == 0
        env.update({"AZURE_DEVOPS_EXT_PAT": "pat", "BUILD_SOURCESDIRECTORY": str(tmp_path / "src"),
                    "SYSTEM_COLLECTIONURI": emu.url + "/devops/org/", "SYSTEM_TEAMPROJECT": "Proj",
                    "BUILD_REPOSITORY_ID": "apim"})
        result = tmp_path / "result.json"
        assert main(["-q", "pr", "--artifacts", str(artifacts), "--result", str(result)], env) == 0
    outcome = json.loads(result.read_text())
    assert outcome["has_changes"] is True and outcome["pull_request_id"] == 1
    files = devops.branch_files("apim", outcome["branch"])
    extracted = {p.relative_to(artifacts).as_posix() for p in artifacts.rglob("*") if p.is_file()}
    assert {p[len("artifacts/"):] for p in files if p.startswith("artifacts/")} == extracted
    assert "README.md" in files  # the ghost API (not in APIM) was deleted, the README kept
