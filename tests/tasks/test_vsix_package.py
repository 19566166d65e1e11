"""Build the .vsix as a publisher would (``--publisher contoso --version 1.2.3``) with the pinned
tfx-cli, unzip it and check that the identity, the versions and the links reached every part."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import jsonschema
import pytest

from apiops_core.tasks import TASK_MODULES

ROOT = Path(__file__).resolve().parents[2]
TFX = ROOT / "node_modules" / ".bin" / "tfx"
REPOSITORY = "https://github.com/contoso/apiops"
SCHEMA = jsonschema.Draft4Validator(json.loads((Path(__file__).parent / "tasks.schema.json").read_text(encoding="utf-8")))

pytestmark = pytest.mark.skipif(not TFX.exists(), reason="tfx-cli not installed (run `npm ci`)")


@pytest.fixture(scope="module")
def vsix(build_script, tmp_path_factory) -> Path:
    """``python scripts/build_extension.py --publisher contoso --version 1.2.3 --repository-url ...``"""
    work = tmp_path_factory.mktemp("vsix")
    code = build_script.main(["--publisher", "contoso", "--version", "1.2.3", "--repository-url", REPOSITORY,
                              "--build-dir", str(work / "build"), "--output-path", str(work / "dist")])
    assert code == 0
    return work / "dist" / "contoso.apiops-tasks-1.2.3.vsix"


@pytest.mark.slow  # builds the .vsix with tfx (about 15 s)
def test_vsix_manifest_carries_publisher_version_and_links(vsix):
    assert vsix.is_file()
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        assert {"extension.vsixmanifest", "extension.vsomanifest", "[Content_Types].xml"} <= names
        xml = archive.read("extension.vsixmanifest").decode("utf-8")
        identity = re.search(r"<Identity [^>]*>", xml)[0]
        assert 'Id="apiops-tasks"' in identity and 'Version="1.2.3"' in identity and 'Publisher="contoso"' in identity
        for asset in ("Content.Details", "Content.License", "Content.Changelog"):
            assert f'Type="Microsoft.VisualStudio.Services.{asset}"' in xml, asset
        assert f"{REPOSITORY}/issues" in xml and f"{REPOSITORY}/blob/main/docs/SETUP.md" in xml
        assert "example.invalid" not in xml
        contributions = json.loads(archive.read("extension.vsomanifest"))["contributions"]
    tasks = [c for c in contributions if c["type"] == "ms.vss-distributed-task.task"]
    assert {c["properties"]["name"] for c in tasks} == {f"tasks/{name}" for name, _ in TASK_MODULES}


@pytest.mark.slow  # builds the .vsix with tfx (about 15 s)
def test_every_task_carries_the_version_and_identity_and_validates(vsix, build_script):
    expected = build_script.task_version(1, "1.2.3")
    assert expected == {"Major": 1, "Minor": 102, "Patch": 3}
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        assert {"images/extension-icon.png", "overview.md", "LICENSE", "CHANGELOG.md"} <= names
        for name, module in TASK_MODULES:
            folder = f"tasks/{name}/{name}V1/"
            for file in ("task.json", "index.js", "icon.png", "entry.json", "constraints.txt"):
                assert folder + file in names, folder + file
            assert len([n for n in names if n.startswith(folder + "apiops_core-") and n.endswith(".whl")]) == 1
            task = json.loads(archive.read(folder + "task.json").decode("utf-8-sig"))
            assert task["name"] == name and task["version"] == expected
            assert task["helpUrl"] == f"{REPOSITORY}/blob/main/overview.md#tasks-inputs-and-outputs"
            assert "contoso.apiops-tasks 1.2.3" in task["helpMarkDown"]
            assert list(SCHEMA.iter_errors(task)) == []
            entry = json.loads(archive.read(folder + "entry.json"))
            assert entry == {"module": module, "extension": {"publisher": "contoso", "id": "apiops-tasks", "version": "1.2.3"}}
        wheel_name = next(n for n in sorted(names) if n.startswith("tasks/") and n.endswith(".whl"))
        with zipfile.ZipFile(io.BytesIO(archive.read(wheel_name))) as wheel:
            packed = set(wheel.namelist())
    # the tasks run apiops_core; the same install's `apiops emulator` and `apiops demo` start apiops_emulator
    assert {"apiops_core/tasks/bootstrap.py", "apiops_core/schemas/models-2024-05-01.json", "apiops_emulator/__main__.py",
            "apiops_emulator/http.py", "apiops_emulator/apim/emulator.py", "apiops_emulator/devops/app.py"} <= packed
    assert vsix.stat().st_size < 10 * 1024 * 1024


def test_marketplace_builds_need_a_real_repository_url(build_script, capsys):
    with pytest.raises(SystemExit):
        build_script.main(["--publisher", "contoso", "--version", "1.2.3"])
    assert "--repository-url is required" in capsys.readouterr().err
    for bad in ("https://example.invalid/apiops", "http://github.com/contoso/apiops", "https://example.com/x"):
        with pytest.raises(SystemExit, match="repository-url"):
            build_script.repository_links(bad)
    with pytest.raises(SystemExit, match="publisher"):
        build_script.build_manifest(build_script.Identity("con toso"), "1.2.3")


def test_azure_repos_links(build_script):
    links = build_script.repository_links("https://dev.azure.com/contoso/platform/_git/apiops")
    assert links["license"] == "https://dev.azure.com/contoso/platform/_git/apiops?path=/LICENSE&version=GBmain"
    assert links["support"].endswith("?path=/docs/SETUP.md&version=GBmain&anchor=troubleshooting")
    github = build_script.repository_links("https://github.com/contoso/apiops.git/")
    assert github["repository"] == REPOSITORY and github["support"] == f"{REPOSITORY}/issues"
