"""The shipped pipelines, run step by step through the agent simulator, against the emulators.

extractor.yml (one instance) extracts the APIM emulator's demo instance, publishes the pipeline
artifact and opens a pull request in the Azure DevOps emulator; the pull request is completed;
publisher.yml then plans and publishes main to two empty instances, dev and prod (prod with
configuration.prod.yaml and a {#TOKEN#} secret from its variable group); the instances end up
holding what the repository describes. pr-validation.yml lints and plans a pull request
without writing anything. Every apiops step is a real ``node index.js`` of the staged task.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from . import pipeline_model as pm
from .agent_runner import AgentRunner, Connection, RunResult

pytest.importorskip("apiops_core.commands.pr")
pytest.importorskip("apiops_core.commands.apply")

from apiops_core.cli import main as apiops  # noqa: E402
from apiops_emulator.devops.app import DevOpsApp  # noqa: E402
from apiops_emulator.apim.emulator import Emulator  # noqa: E402

PROJECT, REPOSITORY = "Proj", "apim"
SECRET = "Pr0d-Conference-Key;with%odd]chars"
PROD_OVERRIDES = """\
# prod differs from dev in these values; the secret comes from the apim-prod variable group
namedValues:
- name: environment-name
  properties:
    value: production
- name: conference-api-key
  properties:
    value: "{#CONFERENCE_API_KEY#}"
"""


@pytest.fixture()
def devops() -> DevOpsApp:
    app = DevOpsApp("org")
    app.add_repository(PROJECT, REPOSITORY, {"README.md": "# APIM configuration\n",
                                             "configuration.prod.yaml": PROD_OVERRIDES})
    return app


@pytest.fixture()
def emulators(devops: DevOpsApp) -> Iterator[dict[str, Emulator]]:
    """The source instance (demo content, Azure DevOps mounted) and two targets that have nothing
    but their environments' secrets (extracted trees never carry secret values)."""
    with Emulator(seed="demo", apps=[devops]) as source, Emulator(seed="demo-secrets") as dev, \
            Emulator(seed="demo-secrets") as prod:
        yield {"source": source, "dev": dev, "prod": prod}


def connection(name: str, emu: Emulator) -> Connection:
    """A service connection whose cloud is the emulator (its URL, CA and token)."""
    return Connection(name, emu.subscription_id, {"APIOPS_ARM_ENDPOINT": emu.url, "APIOPS_CA_BUNDLE": emu.ca_bundle,
                                                  "AZURE_BEARER_TOKEN": emu.token})


def checkout_from(devops: DevOpsApp, branch: str):
    """``checkout: self`` of the run's commit: the branch tip, written to the sources folder."""
    def checkout(sources: Path) -> None:
        for path, data in devops.branch_files(REPOSITORY, branch).items():
            target = sources / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return checkout


def runner(staged_tasks: dict[str, Path], work: Path, devops: DevOpsApp, emulators: dict[str, Emulator],
           branch: str, **kwargs: Any) -> AgentRunner:
    source = emulators["source"]
    return AgentRunner(
        staged_tasks, work,
        checkout=checkout_from(devops, branch),
        connections={
            "apim-dev-reader": connection("apim-dev-reader", source),
            "apim-dev": connection("apim-dev", emulators["dev"]),
            "apim-prod": connection("apim-prod", emulators["prod"]),
            "apim-dev-target-reader": connection("apim-dev-target-reader", emulators["dev"]),
        },
        variables={
            # the toolchain: the interpreter running the tests has apiops (as in the task tests)
            "APIOPS_PYTHON": sys.executable,
            "System.CollectionUri": source.url + "/devops/org/",
            "System.TeamProject": PROJECT,
            "Build.Repository.Name": REPOSITORY,
            "Build.Repository.ID": REPOSITORY,
            "Build.SourceBranch": f"refs/heads/{branch}",
            "Build.BuildId": "42",
            # the Azure DevOps emulator is served by the source emulator: trust its CA
            "APIOPS_CA_BUNDLE": source.ca_bundle,
        },
        **kwargs,
    )


def assert_succeeded(run: RunResult, *stages: str) -> None:
    for stage in stages:
        assert run.stage_results.get(stage) == "Succeeded", run.explain()


def extracted(emu: Emulator, folder: Path) -> dict[str, Any]:
    """An instance as artifact files (parsed JSON or text), extracted with the CLI."""
    assert apiops(["-q", "extract", "--output", str(folder)], emu.environment()) == 0
    return files_of(folder)


def files_of(root: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        out[rel] = json.loads(text) if rel.endswith(".json") else text.replace("\r\n", "\n")
    return out


def named_value(emu: Emulator, name: str, *, secret: bool = False) -> str:
    suffix = f"/namedValues/{name}/listValue" if secret else f"/namedValues/{name}"
    response = emu.apply("POST" if secret else "GET", suffix)
    assert response.status == 200, response.body
    body = json.loads(response.body)
    return body["value"] if secret else body["properties"]["value"]


@pytest.mark.slow
def test_extract_pull_request_then_publish_dev_and_prod(staged_tasks, devops, emulators, tmp_path: Path) -> None:
    source = emulators["source"]
    service = source.service_name

    # ---- extractor.yml: Build extractor → Create artifacts → Create template branch
    extractor = pm.Expander().expand_file(pm.PIPELINES / "extractor.yml", {"instances": [
        {"serviceName": service, "resourceGroupName": source.resource_group, "serviceConnection": "apim-dev-reader"}]})
    run = runner(staged_tasks, tmp_path / "extract", devops, emulators, "main").run(extractor)
    assert_succeeded(run, "build_extractor", "create_artifacts", "create_template_branch")
    artifact = f"apim-artifacts-{service}"
    assert (run.artifacts[artifact] / "apis").is_dir(), "the extract was published as a pipeline artifact"
    assert any(job.startswith("create_artifacts.") for job, _ in run.summaries), "summary on the run page"
    pr_step = run.step("ApiOpsCreateTemplateBranch@1")
    assert pr_step.outputs["hasChanges"] == "true"
    pr_id = int(pr_step.outputs["pullRequestId"])
    pull_request = devops.pull_requests[pr_id]
    branch_files = devops.branch_files(REPOSITORY, pr_step.outputs["branch"])
    assert any(p.startswith("apim-artifacts/apis/") for p in branch_files)
    assert "README.md" in branch_files and "configuration.prod.yaml" in branch_files
    assert pull_request is not None

    # a re-run finds nothing new and opens no second pull request
    again = runner(staged_tasks, tmp_path / "extract-again", devops, emulators, "main").run(extractor)
    assert_succeeded(again, "create_template_branch")
    assert len(devops.pull_requests) == 1

    # ---- a reviewer completes the pull request: main now holds the artifacts
    devops.complete_pull_request(pr_id)
    main_files = devops.branch_files(REPOSITORY, "main")
    assert any(p.startswith("apim-artifacts/") for p in main_files)

    # ---- publisher.yml on the merge commit: Plan dev → Publish dev → Plan prod → Publish prod
    environments = [
        {"name": "dev", "serviceConnection": "apim-dev", "serviceName": emulators["dev"].service_name,
         "resourceGroupName": emulators["dev"].resource_group, "overridesFile": "", "devopsEnvironment": "apim-dev",
         "variableGroup": "apim-dev", "dependsOn": ""},
        {"name": "prod", "serviceConnection": "apim-prod", "serviceName": emulators["prod"].service_name,
         "resourceGroupName": emulators["prod"].resource_group, "overridesFile": "configuration.prod.yaml",
         "devopsEnvironment": "apim-prod", "variableGroup": "apim-prod", "dependsOn": "dev"},
    ]
    publisher = pm.Expander().expand_file(pm.PIPELINES / "publisher.yml", {"environments": environments})
    groups = {"apim-dev": {}, "apim-prod": {"CONFERENCE_API_KEY": SECRET}}
    publish_runner = runner(staged_tasks, tmp_path / "publish", devops, emulators, "main",
                            variable_groups=groups, secret_names=frozenset({"CONFERENCE_API_KEY"}))
    published = publish_runner.run(publisher)
    assert_succeeded(published, "plan_dev", "publish_dev", "plan_prod", "publish_prod")
    assert {"apiops-plan-dev", "apiops-plan-prod"} <= set(published.artifacts)
    plan = json.loads((published.artifacts["apiops-plan-prod"] / "apiops.plan.json").read_text())
    assert plan["summary"]["puts"] > 0
    outputs = published.step("ApiOpsPublish@1", "publish").outputs
    assert int(outputs["puts"]) + int(outputs["skipped"]) == plan["summary"]["puts"], outputs
    assert any(job.startswith("plan_prod.") for job, _ in published.summaries), "the plan is the run summary"
    for step in published.steps:  # the secret never reaches a log line
        assert all(SECRET not in line for line in step.stdout.splitlines() if "##vso[task.setsecret]" not in line)
    for folder in published.artifacts.values():  # nor a published artifact
        assert all(SECRET not in p.read_text(errors="ignore") for p in folder.rglob("*") if p.is_file())

    # ---- the instances now hold what main describes
    repository = {p[len("apim-artifacts/"):]: v for p, v in files_of(_write(main_files, tmp_path / "main")).items()
                  if p.startswith("apim-artifacts/")}
    dev_files = extracted(emulators["dev"], tmp_path / "dev-extract")
    # dev's secrets were provisioned in the environment; main holds them without value (as extracted)
    expected = set(repository)
    assert set(dev_files) == expected, sorted(set(dev_files) ^ expected)
    assert all(dev_files[p] == repository[p] for p in expected if p.endswith(".json") and "named values/" in p)
    assert named_value(emulators["dev"], "environment-name") == "demo"
    assert named_value(emulators["prod"], "environment-name") == "production"
    assert named_value(emulators["prod"], "conference-api-key", secret=True) == SECRET

    # ---- nothing changed since: both plans are empty, so no Publish stage (no approval asked)
    rerun = runner(staged_tasks, tmp_path / "publish-again", devops, emulators, "main",
                   variable_groups=groups, secret_names=frozenset({"CONFERENCE_API_KEY"})).run(publisher)
    assert_succeeded(rerun, "plan_dev", "plan_prod")
    assert rerun.stage_results["publish_dev"] == rerun.stage_results["publish_prod"] == "Skipped", rerun.explain()


@pytest.mark.slow
def test_publisher_stops_at_a_failed_plan(staged_tasks, devops, emulators, tmp_path: Path) -> None:
    """dev's plan fails (its token has no variable): dev is not published, prod not even planned."""
    devops.write_files(REPOSITORY, "main", {"configuration.dev.yaml": 'namedValues:\n- name: x\n  properties:\n    value: "{#MISSING#}"\n',
                                            "apim-artifacts/named values/x/namedValueInformation.json":
                                                '{"properties": {"displayName": "x", "value": "v", "secret": false}}\n'})
    environments = [
        {"name": "dev", "serviceConnection": "apim-dev", "serviceName": emulators["dev"].service_name,
         "resourceGroupName": emulators["dev"].resource_group, "overridesFile": "configuration.dev.yaml",
         "devopsEnvironment": "apim-dev", "variableGroup": "", "dependsOn": ""},
        {"name": "prod", "serviceConnection": "apim-prod", "serviceName": emulators["prod"].service_name,
         "resourceGroupName": emulators["prod"].resource_group, "overridesFile": "",
         "devopsEnvironment": "apim-prod", "variableGroup": "", "dependsOn": "dev"},
    ]
    publisher = pm.Expander().expand_file(pm.PIPELINES / "publisher.yml", {"environments": environments})
    before = {name: emu.stats()["requests"] for name, emu in emulators.items()}
    run = runner(staged_tasks, tmp_path / "publish", devops, emulators, "main").run(publisher)
    assert run.stage_results == {"plan_dev": "Failed", "publish_dev": "Skipped", "plan_prod": "Skipped",
                                 "publish_prod": "Skipped"}, run.explain()
    assert "MISSING" in run.step("ApiOpsCreator@1").stdout
    for name in ("dev", "prod"):
        after = emulators[name].stats()["requests"]
        assert after["PUT"] == before[name]["PUT"] and after["DELETE"] == before[name]["DELETE"]


@pytest.mark.slow
def test_pr_validation_lints_and_plans_without_writing(staged_tasks, devops, emulators, tmp_path: Path) -> None:
    """A pull request's branch: JUnit lint results for the Tests tab, a plan summary, no writes."""
    source = emulators["source"]
    artifacts = tmp_path / "src" / "apim-artifacts"
    assert apiops(["-q", "extract", "--output", str(artifacts)], source.environment()) == 0
    changes = {f"apim-artifacts/{p.relative_to(artifacts).as_posix()}": p.read_bytes()
               for p in artifacts.rglob("*") if p.is_file()}
    devops.write_files(REPOSITORY, "refs/heads/feature", {**devops.branch_files(REPOSITORY, "main"), **changes})
    validation = pm.Expander().expand_file(pm.PIPELINES / "pr-validation.yml", {"environment": {
        "name": "dev", "serviceConnection": "apim-dev-target-reader", "serviceName": emulators["dev"].service_name,
        "resourceGroupName": emulators["dev"].resource_group, "overridesFile": "", "variableGroup": ""}})
    before = emulators["dev"].stats()["requests"]
    run = runner(staged_tasks, tmp_path / "validate", devops, emulators, "feature").run(validation)
    assert run.job_results["__default.plan"] == "Succeeded", run.explain()
    assert run.step("ApiOpsTerminator@1").outputs["hasChanges"] == "true"
    assert any(job == "__default.plan" for job, _ in run.summaries)
    assert [p.name for p in run.test_results] == ["apiops-lint.xml"], run.explain()
    assert run.test_results[0].read_text().lstrip().startswith("<?xml")
    after = emulators["dev"].stats()["requests"]
    assert (after["PUT"], after["DELETE"], after["PATCH"]) == (before["PUT"], before["DELETE"], before["PATCH"])


@pytest.mark.slow
def test_pr_validation_plans_a_pull_request_that_deletes_a_resource(staged_tasks, devops, emulators, tmp_path: Path) -> None:
    """The pull request removes a tag the instance has: validation passes and shows the deletion.

    pr-validation.yml plans with ``maxDeletions: unlimited`` (nothing applies its plan); an empty
    value used to mean 0 there, so every pull request that deleted anything failed validation.
    """
    source = emulators["source"]
    artifacts = tmp_path / "src" / "apim-artifacts"
    assert apiops(["-q", "extract", "--output", str(artifacts)], source.environment()) == 0
    shutil.rmtree(artifacts / "tags" / "beta")
    changes = {f"apim-artifacts/{p.relative_to(artifacts).as_posix()}": p.read_bytes()
               for p in artifacts.rglob("*") if p.is_file()}
    devops.write_files(REPOSITORY, "refs/heads/remove-tag", {**devops.branch_files(REPOSITORY, "main"), **changes})
    validation = pm.Expander().expand_file(pm.PIPELINES / "pr-validation.yml", {"environment": {
        "name": "dev", "serviceConnection": "apim-dev-reader", "serviceName": source.service_name,
        "resourceGroupName": source.resource_group, "overridesFile": "", "variableGroup": ""}})
    before = source.stats()["requests"]
    run = runner(staged_tasks, tmp_path / "validate", devops, emulators, "remove-tag").run(validation)
    assert run.job_results["__default.plan"] == "Succeeded", run.explain()
    terminator = run.step("ApiOpsTerminator@1")
    assert terminator.outputs["deletes"] == "1" and terminator.outputs["hasChanges"] == "true", terminator.stdout[-3000:]
    assert "--max-deletions" in terminator.stdout and "beta" in terminator.stdout
    summaries = "\n".join(text for job, text in run.summaries if job == "__default.plan")
    assert "beta" in summaries
    after = source.stats()["requests"]
    assert (after["PUT"], after["DELETE"], after["PATCH"]) == (before["PUT"], before["DELETE"], before["PATCH"])


def _write(files: dict[str, bytes], root: Path) -> Path:
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root
