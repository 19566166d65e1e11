"""Our own strict checks of every task.json and the manifest (tfx only warns; the service is lenient)."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import jsonschema
import pytest

from apiops_core.tasks import TASK_MODULES

ROOT = Path(__file__).resolve().parents[2]
TASK_DIRS = sorted(p.parent for p in (ROOT / "tasks").glob("*/*V*/task.json"))
EXPECTED = {name for name, _ in TASK_MODULES}
INPUT_TYPES = {"boolean", "filePath", "multiLine", "pickList", "radio", "secureFile", "string", "int", "identities", "querycontrol"}
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
RULE_OPS = ("!=", "<=", ">=", "=", "<", ">", " NotEndsWith ", " EndsWith ", " NotContains ", " Contains ",
            " NotStartsWith ", " StartsWith ")


#: The oldest agent that runs each handler (Microsoft's task docs: Node20_1 needs 4.248.0; Node24
#: needs 4.265.0 and migrateNode24.md asks for 4.265.1). A task needs the newest of its handlers.
MIN_AGENT_FOR_HANDLER = {"Node20_1": "4.248.0", "Node24": "4.265.1"}
SCHEMA = jsonschema.Draft4Validator(json.loads((Path(__file__).parent / "tasks.schema.json").read_text(encoding="utf-8")))


def minimum_agent(execution: dict) -> str:
    return max((MIN_AGENT_FOR_HANDLER[h] for h in execution), key=lambda v: tuple(map(int, v.split("."))))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8-sig"))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def rule_inputs(rule: str) -> list[str]:
    """Input names of a visibleRule; && and || may not be mixed (agent/UI limitation)."""
    assert not ("&&" in rule and "||" in rule), f"visibleRule mixes && and ||: {rule}"
    assert "(" not in rule, f"visibleRule has parentheses: {rule}"
    names = []
    for clause in re.split(r"&&|\|\|", rule):
        for op in RULE_OPS:
            if op in clause:
                names.append(clause.split(op, 1)[0].strip())
                break
        else:
            raise AssertionError(f"visibleRule clause without an operator: {clause!r}")
    return names


def test_the_six_tasks_exist():
    assert {d.parent.name for d in TASK_DIRS} == EXPECTED
    assert all(d.name == d.parent.name + "V1" for d in TASK_DIRS)


def test_ids_and_names_are_unique():
    tasks = [load(d / "task.json") for d in TASK_DIRS]
    assert len({t["id"] for t in tasks}) == len(tasks)
    assert len({t["name"] for t in tasks}) == len(tasks)
    assert len({t["friendlyName"] for t in tasks}) == len(tasks)


@pytest.mark.parametrize("task_dir", TASK_DIRS, ids=lambda d: d.name)
def test_task_json_is_strictly_valid(task_dir: Path):
    task = load(task_dir / "task.json")
    assert GUID.match(task["id"])
    assert task["name"] == task_dir.parent.name and re.match(r"^[A-Za-z0-9\-]+$", task["name"])
    assert 1 <= len(task["friendlyName"]) <= 40
    assert 1 <= len(task["description"]) <= 200
    for key in ("author", "category", "instanceNameFormat", "helpMarkDown", "minimumAgentVersion"):
        assert task.get(key), key
    assert task["category"] in {"Build", "Utility", "Test", "Package", "Deploy"}
    assert task["version"]["Major"] == 1 and set(task["version"]) == {"Major", "Minor", "Patch"}
    assert set(task["execution"]) == {"Node20_1", "Node24"}
    assert task["minimumAgentVersion"] == minimum_agent(task["execution"])
    assert {h["target"] for h in task["execution"].values()} == {"index.js"}
    assert not task.get("prejobexecution") and not task.get("postjobexecution")

    groups = {g["name"] for g in task.get("groups", [])}
    names = [i["name"] for i in task["inputs"]]
    assert len(names) == len(set(names)), "duplicate input names"
    for spec in task["inputs"]:
        where = f"{task['name']}.{spec['name']}"
        assert re.match(r"^[A-Za-z][A-Za-z0-9]*$", spec["name"]), where
        assert spec.get("label"), where
        assert spec.get("helpMarkDown"), f"{where} has no helpMarkDown"
        assert spec["type"] in INPUT_TYPES or spec["type"].startswith("connectedService:"), where
        assert isinstance(spec.get("required", False), bool), f"{where}: required must be a JSON boolean"
        if "groupName" in spec:
            assert spec["groupName"] in groups, f"{where} names an unknown group"
        if spec["type"] == "boolean":
            assert spec.get("defaultValue") in ("true", "false"), where
        if spec["type"] == "pickList" and spec.get("properties", {}).get("EditableOptions") != "True":
            assert spec.get("options") and spec.get("defaultValue", "") in spec["options"], where
        if "visibleRule" in spec:
            for name in rule_inputs(spec["visibleRule"]):
                assert name in names and name != spec["name"], f"{where}: visibleRule names {name!r}"
    for group in task.get("groups", []):
        if "visibleRule" in group:
            assert all(n in names for n in rule_inputs(group["visibleRule"]))
    for name in re.findall(r"\$\((\w+)\)", task["instanceNameFormat"]):
        assert name in names, f"instanceNameFormat names unknown input {name}"
    outputs = [o["name"] for o in task.get("outputVariables", [])]
    assert outputs and all(re.match(r"^[A-Za-z][A-Za-z0-9]*$", o) for o in outputs)
    assert all(o.get("description") for o in task["outputVariables"])


@pytest.mark.parametrize("task_dir", TASK_DIRS, ids=lambda d: d.name)
def test_task_json_validates_against_microsofts_schema(task_dir: Path):
    """tasks.schema.json of azure-pipelines-task-lib (vendored, MIT; TASKS-SCHEMA-PROVENANCE.md)."""
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in SCHEMA.iter_errors(load(task_dir / "task.json"))]
    assert errors == []


def test_the_schema_check_can_fail():
    task = load(TASK_DIRS[0] / "task.json")
    task["execution"]["Node22"] = {"target": "index.js"}
    task["inputs"][0]["validation"] = {"expression": "isMatch(value, '^\\d+$', 'IgnoreCase')"}
    assert len(list(SCHEMA.iter_errors(task))) == 2


@pytest.mark.parametrize("task_dir", TASK_DIRS, ids=lambda d: d.name)
def test_pickers_restrictions_and_typed_inputs(task_dir: Path):
    """Resource group and instance pickers on the AzureRM connection (as Microsoft's ARM template
    deployment task has), settable variables limited to what the task sets, typed inputs."""
    task = load(task_dir / "task.json")
    by_name = {i["name"]: i for i in task["inputs"]}
    if "azureSubscription" in by_name:
        bindings = {b["target"]: b for b in task["dataSourceBindings"]}
        assert set(bindings) == {"resourceGroupName", "serviceName"} & set(by_name)
        for target, binding in bindings.items():
            assert binding["endpointId"] == "$(azureSubscription)"
            assert binding["endpointUrl"].startswith("{{{endpoint.url}}}/subscriptions/{{{endpoint.subscriptionId}}}/")
            assert binding["resultSelector"] == "jsonpath:$.value[*].name"
            assert by_name[target]["type"] == "pickList" and by_name[target]["properties"]["EditableOptions"] == "True"
            for parameter, value in binding.get("parameters", {}).items():
                assert "{{{%s}}}" % parameter in binding["endpointUrl"] and value.strip("$()") in by_name
        assert "Microsoft.ApiManagement/service?" in bindings.get("serviceName", {"endpointUrl": "Microsoft.ApiManagement/service?"})["endpointUrl"]
    allowed = task["restrictions"]["settableVariables"]["allowed"]
    outputs = [o["name"] for o in task["outputVariables"]]
    assert set(outputs) <= set(allowed) and set(allowed) - set(outputs) <= {"APIOPS_PYTHON"}
    assert "commands" not in task["restrictions"], "restricted command mode would block artifact.upload"
    for spec in task["inputs"]:
        if spec.get("defaultValue") in ("true", "false"):
            assert spec["type"] == "boolean", spec["name"]
    if "maxDeletions" in by_name:
        spec = by_name["maxDeletions"]
        assert spec["type"] == "pickList" and spec["properties"]["EditableOptions"] == "True"
        assert set(spec["options"]) - {"auto"} == {"unlimited", "0"} and spec["defaultValue"] in spec["options"]
        assert "unlimited" in spec["helpMarkDown"] and "default" in spec["helpMarkDown"]
    assert "helpUrl" not in task, "links are stamped at build time from --repository-url"


@pytest.mark.parametrize("task_dir", TASK_DIRS, ids=lambda d: d.name)
def test_task_folder_has_icon_and_entry(task_dir: Path):
    assert png_size(task_dir / "icon.png") == (32, 32)
    module = json.loads((task_dir / "entry.json").read_text())["module"]
    assert (task_dir.parent.name, module) in TASK_MODULES
    assert (ROOT / "apiops_core" / "tasks" / f"{module}.py").is_file()


def test_azure_tasks_use_an_azurerm_connection():
    for task_dir in TASK_DIRS:
        task = load(task_dir / "task.json")
        by_name = {i["name"]: i for i in task["inputs"]}
        if "azureSubscription" in by_name:
            assert by_name["azureSubscription"]["type"] == "connectedService:AzureRM"
            assert "connectedServiceNameARM" in by_name["azureSubscription"].get("aliases", [])
            assert {"resourceGroupName", "serviceName"} <= set(by_name)
        for name in ("artifactsFolder", "configurationFile", "overridesFile", "planFile"):
            if name in by_name:
                assert by_name[name]["type"] == "filePath", f"{task['name']}.{name}"


def test_manifest_lists_every_task():
    manifest = load(ROOT / "vss-extension.json")
    assert manifest["publisher"] == "apiops" and manifest["id"] == "apiops-tasks"
    assert "links" not in manifest and "repository" not in manifest, "links come from --repository-url"
    for kind in ("details", "license", "changelog"):
        assert (ROOT / manifest["content"][kind]["path"]).is_file(), kind
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n\nCopyright (c) apiops contributors")
    assert re.match(r"^[A-z0-9_-]+$", manifest["id"]) and len(manifest["description"]) <= 200
    assert png_size(ROOT / manifest["icons"]["default"]) == (128, 128)
    assert (ROOT / manifest["content"]["details"]["path"]).is_file()
    contributions = manifest["contributions"]
    assert len({c["id"] for c in contributions}) == len(contributions) == 6
    files = {f["path"] for f in manifest["files"]}
    for contribution in contributions:
        assert contribution["type"] == "ms.vss-distributed-task.task"
        assert contribution["targets"] == ["ms.vss-distributed-task.tasks"]
        folder = contribution["properties"]["name"]
        assert folder in files and list((ROOT / folder).glob("*V*/task.json"))


def test_overview_has_yaml_for_every_task():
    overview = (ROOT / "overview.md").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert f"task: {name}@1" in overview, name


@pytest.mark.slow
def test_staged_tasks_are_complete_and_stamped(staged, staged_tasks, build_script):
    major, minor, patch = build_script.split_version(build_script.project_version())
    manifest = load(staged / "vss-extension.json")
    assert manifest["version"] == f"{major}.{minor}.{patch}"
    assert set(staged_tasks) == EXPECTED
    shim = (ROOT / "tasks" / "_shim" / "index.js").read_bytes()
    for folder in staged_tasks.values():
        task = load(folder / "task.json")
        assert task["version"] == build_script.task_version(1, build_script.project_version())
        for handler in task["execution"].values():
            assert (folder / handler["target"]).read_bytes() == shim
        assert len(list(folder.glob("apiops_core-*.whl"))) == 1
        assert (folder / "constraints.txt").read_text().count("==") > 5
        assert png_size(folder / "icon.png") == (32, 32)


def test_task_versions_grow_with_every_package_release(build_script):
    releases = ["0.1.0", "0.1.1", "0.2.0", "0.10.3", "1.0.0", "1.0.1", "2.3.4"]
    stamped = [tuple(build_script.task_version(1, r).values()) for r in releases]
    assert stamped == sorted(stamped) and len(set(stamped)) == len(stamped)
    assert all(s[0] == 1 for s in stamped)


def test_shim_does_not_load_task_lib():
    shim = (ROOT / "tasks" / "_shim" / "index.js").read_text(encoding="utf-8")
    requires = set(re.findall(r"require\(\s*[\"']([^\"']+)[\"']\s*\)", shim))
    assert requires <= {"child_process", "fs", "path"}, requires
