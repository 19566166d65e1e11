"""Static checks of pipelines/*.yml and pipelines/templates/*.yml against our tasks and themselves.

Two views of every file: the raw YAML (every branch of every ``${{ if }}``, every template,
whether a default run takes it or not) and the expanded run (parameters bound, templates
inlined), which is what Azure DevOps would hand to the agents.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest

from . import pipeline_model as pm

ALL_FILES = pm.pipeline_files() + pm.template_files()
CATALOG = pm.task_catalog()

#: Built-in tasks our pipelines may use (anything else is a typo or an undocumented dependency).
BUILT_IN_TASKS = {"UsePythonVersion@0", "PublishTestResults@2", "PublishPipelineArtifact@1", "DownloadPipelineArtifact@2",
                  "AzureCLI@2"}  # drift.yml: a token from a read-only service connection for `apiops status`

#: ``$(...)`` macros our files may use: predefined variables and what our tasks set.
KNOWN_MACROS = {
    "Build.ArtifactStagingDirectory", "Build.SourcesDirectory", "Pipeline.Workspace",
    "Common.TestResultsDirectory", "Agent.TempDirectory", "Build.BuildId", "Build.SourceVersion",
    "APIOPS_PYTHON",  # set by ApiOpsBuildExtractor for the rest of the job
    "MARKETPLACE_TOKEN",  # secret variable of build-extension.yml, mapped into one script's env
}
NAME_FORMAT_TOKENS = re.compile(r"\$\((Date:[^)]*|Rev:[^)]*)\)")


def _rel(path: Path) -> str:
    return str(path.relative_to(pm.ROOT))


def _flatten_directives(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A mapping with ``${{ if }}:`` keys merged in: every key some branch can produce."""
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        if str(key).strip().startswith("${{") and isinstance(value, Mapping):
            out.update(_flatten_directives(value))
        else:
            out[str(key)] = value
    return out


def _task_steps(tree: Any) -> Iterator[tuple[str, dict]]:
    for where, node in pm.walk(tree):
        if isinstance(node, Mapping) and "task" in node and isinstance(node["task"], str):
            yield where, node


@pytest.fixture(scope="module")
def raw() -> dict[Path, Any]:
    return {path: pm.plain(pm.load_yaml(path)) for path in ALL_FILES}


@pytest.fixture(scope="module")
def expanded() -> dict[Path, dict]:
    return {path: pm.Expander().expand_file(path, pm.queued_with_defaults(path)) for path in pm.pipeline_files()}


def test_the_three_pipelines_and_their_templates_exist() -> None:
    names = {p.name for p in pm.pipeline_files()}
    assert {"extractor.yml", "publisher.yml", "pr-validation.yml"} <= names
    assert {"toolchain-steps.yml", "extract-steps.yml", "plan-steps.yml", "publish-steps.yml", "lint-steps.yml"} <= {
        p.name for p in pm.template_files()
    }


@pytest.mark.parametrize("path", ALL_FILES, ids=_rel)
def test_parses_with_ruamel(path: Path) -> None:
    document = pm.load_yaml(path)
    assert isinstance(document, Mapping) and document, f"{_rel(path)} is empty"


@pytest.mark.parametrize("path", ALL_FILES, ids=_rel)
def test_task_references_name_an_existing_task_and_major(path: Path, raw: dict) -> None:
    for where, step in _task_steps(raw[path]):
        reference = step["task"]
        if pm.is_our_task_name(reference, CATALOG):
            info = pm.resolve_task(reference, CATALOG)
            assert info is not None, f"{_rel(path)}{where}: {reference} names no major version we ship"
        else:
            assert reference in BUILT_IN_TASKS, f"{_rel(path)}{where}: unexpected task {reference}"


@pytest.mark.parametrize("path", ALL_FILES, ids=_rel)
def test_inputs_exist_required_are_given_and_literals_are_valid(path: Path, raw: dict) -> None:
    """Every input key (any branch) is an input or alias of the task.json; required ones present."""
    for where, step in _task_steps(raw[path]):
        info = pm.resolve_task(step["task"], CATALOG)
        if info is None:
            continue
        inputs = _flatten_directives(step.get("inputs") or {})
        for key, value in inputs.items():
            spec = info.input_named(key)
            assert spec is not None, f"{_rel(path)}{where}: {info.name} has no input {key!r}"
            _check_literal(spec, value, f"{_rel(path)}{where}")
        for spec in info.inputs:
            if spec.get("required") and not str(spec.get("defaultValue", "")):
                given = [k for k in inputs if info.input_named(k) is spec]
                assert given, f"{_rel(path)}{where}: {info.name} needs input {spec['name']!r}"


def _check_literal(spec: Mapping[str, Any], value: Any, where: str) -> None:
    """A value without expressions or macros must fit its input (see ``pm.literal_problem``)."""
    problem = pm.literal_problem(spec, value)
    assert problem is None, f"{where}: {problem}"


@pytest.mark.parametrize("path", pm.pipeline_files(), ids=_rel)
def test_expanded_steps_give_our_tasks_valid_inputs(path: Path, expanded: dict) -> None:
    """After expansion with the defaults: inputs exist, required ones are non-empty, values fit."""
    for stage in pm.stages_of(expanded[path]):
        for job in stage.jobs:
            for step in job.steps:
                if "task" not in step:
                    continue
                info = pm.resolve_task(step["task"], CATALOG)
                if info is None:
                    assert step["task"] in BUILT_IN_TASKS
                    continue
                inputs = step.get("inputs") or {}
                for key, value in inputs.items():
                    spec = info.input_named(key)
                    assert spec is not None, f"{stage.name}/{job.name}: {info.name} has no input {key}"
                    _check_literal(spec, pm._as_text(value), f"{path.name}:{stage.name}/{job.name}/{info.name}")
                for spec in info.inputs:
                    if spec.get("required") and not str(spec.get("defaultValue", "")):
                        value = next((v for k, v in inputs.items() if info.input_named(k) is spec), "")
                        assert str(value).strip(), f"{stage.name}/{job.name}: {info.name}.{spec['name']} is empty"


@pytest.mark.parametrize("path", pm.pipeline_files(), ids=_rel)
def test_stage_and_job_names_and_dependencies_resolve(path: Path, expanded: dict) -> None:
    stages = pm.stages_of(expanded[path])
    names = [s.name for s in stages]
    assert len(names) == len(set(names)), f"duplicate stages {names}"
    for stage in stages:
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", stage.name), stage.name
        for dependency in stage.depends_on:
            assert dependency in names[: names.index(stage.name)], f"{stage.name} dependsOn unknown {dependency}"
        jobs = [j.name for j in stage.jobs]
        assert len(jobs) == len(set(jobs)), f"{stage.name}: duplicate jobs {jobs}"
        for job in stage.jobs:
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", job.name), job.name
            for dependency in job.depends_on:
                assert dependency in jobs, f"{stage.name}/{job.name} dependsOn unknown job {dependency}"


@pytest.mark.parametrize("path", pm.pipeline_files(), ids=_rel)
def test_conditions_reference_real_outputs_and_parse(path: Path, expanded: dict) -> None:
    """``dependencies.S.outputs['job.step.var']``: S a dependency, job and named step exist,
    and var is an output variable of that step's task; every condition parses."""
    stages = {s.name: s for s in pm.stages_of(expanded[path])}
    pattern = re.compile(r"dependencies\.([A-Za-z0-9_]+)\.outputs\['([^'.]+)\.([^'.]+)\.([^'.]+)'\]")
    for stage in stages.values():
        conditions = [stage.condition] + [j.condition for j in stage.jobs]
        for condition in filter(None, conditions):
            for match in pattern.finditer(condition):
                source, job_name, step_name, variable = match.groups()
                assert source in stage.depends_on, f"{stage.name}: condition reads {source}, not a dependency"
                job = next(j for j in stages[source].jobs if j.name == job_name)
                step = next(s for s in job.steps if s.get("name") == step_name)
                info = pm.resolve_task(step["task"], CATALOG)
                assert info is not None and variable in info.outputs, f"{step['task']} has no output {variable}"
            scope = {"dependencies": {n: {"outputs": {}, "result": "Succeeded"} for n in stage.depends_on}}
            status = {k: True for k in pm.STATUS_FUNCTIONS} | {"failed": False, "canceled": False}
            pm.evaluate(condition, scope, status)


@pytest.mark.parametrize("path", ALL_FILES, ids=_rel)
def test_template_references_resolve_and_pass_declared_parameters(path: Path, raw: dict) -> None:
    """Every ``template:`` (any branch): the file exists, passed parameters are declared there,
    and its required parameters (no default) are passed."""
    for where, node in pm.walk(raw[path]):
        if not (isinstance(node, Mapping) and "template" in node):
            continue
        target = (path.parent / str(node["template"])).resolve()
        assert target.is_file(), f"{_rel(path)}{where}: {node['template']} does not exist"
        declared = {str(p["name"]): p for p in (pm.plain(pm.load_yaml(target)).get("parameters") or [])}
        passed = _flatten_directives(node.get("parameters") or {})
        for key in passed:
            assert key in declared, f"{_rel(path)}{where}: {target.name} declares no parameter {key!r}"
        for name, spec in declared.items():
            if "default" not in spec:
                assert name in passed, f"{_rel(path)}{where}: {target.name} needs parameter {name!r}"
            if "values" in spec and name in passed and "${{" not in str(passed[name]):
                assert passed[name] in spec["values"], f"{_rel(path)}{where}: {name}={passed[name]!r}"


@pytest.mark.parametrize("path", ALL_FILES, ids=_rel)
def test_template_expressions_use_declared_parameters(path: Path, raw: dict) -> None:
    """``${{ parameters.x }}`` names a declared parameter; other roots are ``${{ each }}`` variables."""
    document = raw[path]
    declared = {str(p["name"]) for p in document.get("parameters") or []}
    loop_variables: set[str] = set()
    expressions: list[tuple[str, str]] = []
    for where, node in pm.walk(document):
        texts = list(node.keys()) if isinstance(node, Mapping) else [node] if isinstance(node, str) else []
        for text in texts:
            for match in pm.EXPR.finditer(str(text)):
                body = match.group(1)
                each = re.match(r"\s*each\s+([A-Za-z_]\w*)\s+in\s+(.*)$", body, re.S)
                if each:
                    loop_variables.add(each.group(1))
                    body = each.group(2)
                body = re.sub(r"^\s*(if|elseif)\b", "", body)
                if body.strip() == "else":
                    continue
                expressions.append((where, body))
    assert declared or not expressions or all("parameters." not in e for _, e in expressions)
    for where, body in expressions:
        pm._tokens(body)  # parses
        for name in pm.expression_names(body):
            root, _, rest = name.partition(".")
            if root == "parameters":
                assert rest.split(".")[0] in declared, f"{_rel(path)}{where}: undeclared parameter in ${{{{{body}}}}}"
            else:
                assert root in loop_variables, f"{_rel(path)}{where}: unknown name {root!r} in ${{{{{body}}}}}"


@pytest.mark.parametrize("path", ALL_FILES, ids=_rel)
def test_macros_are_known_variables(path: Path) -> None:
    text = NAME_FORMAT_TOKENS.sub("", path.read_text(encoding="utf-8"))
    for match in pm.MACRO.finditer(text):
        assert match.group(1) in KNOWN_MACROS, f"{_rel(path)}: unknown variable $({match.group(1)})"


@pytest.mark.parametrize("fmt", ["openapi-v3-yaml", "openapi-v3-json", "openapi-v2-json", "openapi-v2-yaml", "wadl"])
def test_every_specification_format_value_is_a_task_option(fmt: str) -> None:
    """The extractor's values list and the task's pickList agree."""
    document = pm.plain(pm.load_yaml(pm.PIPELINES / "extractor.yml"))
    values = next(p for p in document["parameters"] if p["name"] == "specificationFormat")["values"]
    assert fmt in values
    run = pm.Expander().expand_file(pm.PIPELINES / "extractor.yml", {"specificationFormat": fmt})
    steps = [s for st in pm.stages_of(run) for j in st.jobs for s in j.steps if s.get("task") == "ApiOpsCreateArtifacts@1"]
    info = pm.resolve_task("ApiOpsCreateArtifacts@1", CATALOG)
    assert steps and all(s["inputs"]["specificationFormat"] in info.input_named("specificationFormat")["options"] for s in steps)


def test_extractor_fans_out_one_job_per_instance_and_wires_artifacts() -> None:
    instances = [
        {"serviceName": "apim-a", "resourceGroupName": "rg-a", "serviceConnection": "conn-a"},
        {"serviceName": "apim-b", "resourceGroupName": "rg-b", "serviceConnection": "conn-b", "artifactsFolder": "teams/b"},
    ]
    run = pm.Expander().expand_file(pm.PIPELINES / "extractor.yml",
                                    {"instances": instances, "configurationFile": "configuration.extractor.yaml"})
    stages = {s.name: s for s in pm.stages_of(run)}
    extract, pr = stages["create_artifacts"], stages["create_template_branch"]
    assert [j.name for j in extract.jobs] == ["extract_apim_a", "extract_apim_b"]
    assert all(not j.depends_on for j in extract.jobs), "instances must run in parallel"
    for job, instance in zip(extract.jobs, instances, strict=True):
        task = next(s for s in job.steps if s.get("task") == "ApiOpsCreateArtifacts@1")
        assert task["inputs"]["serviceName"] == instance["serviceName"]
        assert task["inputs"]["azureSubscription"] == instance["serviceConnection"]
        assert task["inputs"]["configurationFile"] == "configuration.extractor.yaml"
        assert task["inputs"]["publishArtifact"] is True
        uploaded = task["inputs"]["artifactName"]
        pr_job = next(j for j in pr.jobs if j.name == "pr_" + instance["serviceName"].replace("-", "_"))
        download = next(s for s in pr_job.steps if "download" in s)
        assert download["artifact"] == uploaded
        branch = next(s for s in pr_job.steps if s.get("task") == "ApiOpsCreateTemplateBranch@1")["inputs"]
        assert branch["artifactsFolder"] == f"$(Pipeline.Workspace)/{uploaded}"
        assert branch["repositoryPath"] == instance.get("artifactsFolder", "apim-artifacts")
        assert branch["serviceName"] == instance["serviceName"]
        # the task's default branch is stable per instance; a per-build branch would add a PR per run
        assert "$(" not in branch.get("branchName", "")


def test_extractor_without_configuration_file_passes_no_file() -> None:
    run = pm.Expander().expand_file(pm.PIPELINES / "extractor.yml")
    for stage in pm.stages_of(run):
        for job in stage.jobs:
            for step in job.steps:
                # empty: the agent roots it at the sources folder, which the task reads as "not given"
                assert not (step.get("inputs") or {}).get("configurationFile"), f"{job.name}: {step.get('task')}"


def test_publisher_applies_exactly_the_plan_its_plan_stage_published() -> None:
    """Per environment: Plan publishes apiops-plan-<env>; Publish is a deployment job on the
    environment, downloads that artifact and hands its plan file to ApiOpsPublish; overrides,
    connection and target agree between the two stages; the order is dev then prod."""
    run = pm.Expander().expand_file(pm.PIPELINES / "publisher.yml")
    stages = {s.name: s for s in pm.stages_of(run)}
    assert list(stages) == ["plan_dev", "publish_dev", "plan_prod", "publish_prod"]
    assert stages["plan_dev"].depends_on == []
    assert stages["plan_prod"].depends_on == ["plan_dev", "publish_dev"]
    for env in ("dev", "prod"):
        plan_steps = stages[f"plan_{env}"].jobs[0].steps
        creator = next(s for s in plan_steps if s.get("task") == "ApiOpsCreator@1")["inputs"]
        terminator = next(s for s in plan_steps if s.get("task") == "ApiOpsTerminator@1")["inputs"]
        assert creator["planFile"] == terminator["planFile"]
        assert terminator["publishPlan"] is True
        plan_folder, plan_name = creator["planFile"].rsplit("/", 1)
        assert plan_folder == f"$(Build.ArtifactStagingDirectory)/{terminator['artifactName']}"
        job = stages[f"publish_{env}"].jobs[0]
        assert job.kind == "deployment" and job.raw["environment"] == f"apim-{env}"
        download = next(s for s in job.steps if "download" in s)
        assert download == {"download": "current", "artifact": terminator["artifactName"]}
        assert any(s.get("checkout") == "self" for s in job.steps)
        publish = next(s for s in job.steps if s.get("task") == "ApiOpsPublish@1")["inputs"]
        assert publish["planFile"] == f"$(Pipeline.Workspace)/{terminator['artifactName']}/{plan_name}"
        for key in ("azureSubscription", "resourceGroupName", "serviceName", "artifactsFolder", "overridesFile"):
            assert publish[key] == creator[key] == terminator[key], key
        for stage_name in (f"plan_{env}", f"publish_{env}"):
            assert {"group": f"apim-{env}"} in stages[stage_name].variables
    prod_overrides = next(s for s in stages["plan_prod"].jobs[0].steps if s.get("task") == "ApiOpsCreator@1")
    assert prod_overrides["inputs"]["overridesFile"] == "configuration.prod.yaml"


def test_publisher_triggers_on_main_for_artifacts_and_overrides_only() -> None:
    document = pm.plain(pm.load_yaml(pm.PIPELINES / "publisher.yml"))
    trigger = document["trigger"]
    assert trigger["branches"]["include"] == ["main"]
    assert set(trigger["paths"]["include"]) == {"apim-artifacts", "configuration.*.yaml"}
    default_folder = next(p for p in document["parameters"] if p["name"] == "artifactsFolder")["default"]
    assert default_folder in trigger["paths"]["include"], "trigger paths must follow the artifactsFolder default"


def test_pr_validation_lints_with_junit_and_plans_without_writing() -> None:
    run = pm.Expander().expand_file(pm.PIPELINES / "pr-validation.yml")
    document = pm.plain(pm.load_yaml(pm.PIPELINES / "pr-validation.yml"))
    assert document["trigger"] == "none" and document["pr"]["branches"]["include"] == ["main"]
    steps = [s for st in pm.stages_of(run) for j in st.jobs for s in j.steps]
    tasks = [s.get("task") for s in steps]
    assert "ApiOpsPublish@1" not in tasks, "validation must never write"
    assert "ApiOpsCreator@1" in tasks and "ApiOpsTerminator@1" in tasks
    lint = next(s for s in steps if "script" in s)
    assert "apiops_core.cli lint" in lint["script"] and "--format junit" in lint["script"]
    results = next(s for s in steps if s.get("task") == "PublishTestResults@2")
    assert results["condition"] == "succeededOrFailed()"
    assert results["inputs"]["testResultsFormat"] == "JUnit"
    assert "apiops-lint.xml" in lint["script"] and results["inputs"]["testResultsFiles"] == "apiops-lint.xml"


def test_lint_template_passes_overrides_when_given() -> None:
    run = pm.Expander().expand_file(pm.PIPELINES / "pr-validation.yml",
                                    {"environment": {"name": "dev", "serviceConnection": "c", "serviceName": "s",
                                                     "resourceGroupName": "rg", "overridesFile": "configuration.dev.yaml",
                                                     "variableGroup": ""}})
    scripts = [s["script"] for st in pm.stages_of(run) for j in st.jobs for s in j.steps if "script" in s]
    assert len(scripts) == 1 and '--overrides "configuration.dev.yaml"' in scripts[0]
    plan_job = next(j for st in pm.stages_of(run) for j in st.jobs if j.name == "plan")
    assert plan_job.variables == [], "an empty variableGroup adds no group"


def test_expander_rejects_undeclared_and_missing_template_parameters(tmp_path: Path) -> None:
    """The helper itself: the checks above rely on it refusing what Azure DevOps refuses."""
    (tmp_path / "t.yml").write_text("parameters:\n- name: a\n  type: string\nsteps:\n- script: echo ${{ parameters.a }}\n")
    (tmp_path / "p1.yml").write_text("steps:\n- template: t.yml\n  parameters:\n    a: x\n    b: y\n")
    (tmp_path / "p2.yml").write_text("steps:\n- template: t.yml\n")
    (tmp_path / "p3.yml").write_text("steps:\n- template: t.yml\n  parameters:\n    a: ok\n")
    with pytest.raises(pm.TemplateError, match="not declared"):
        pm.Expander().expand_file(tmp_path / "p1.yml")
    with pytest.raises(pm.TemplateError, match="required parameter"):
        pm.Expander().expand_file(tmp_path / "p2.yml")
    assert pm.Expander().expand_file(tmp_path / "p3.yml") == {"steps": [{"script": "echo ok"}]}
