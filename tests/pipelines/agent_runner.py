"""Run an expanded pipeline the way Azure Pipelines would, on this machine, step by step.

Each of our task steps runs through the same agent simulator as the task tests
(``tests/tasks/agent_sim.py``: ``node index.js`` of the STAGED task with the environment the
agent builds); built-in steps are modelled just enough for our pipelines:

* ``checkout: self`` writes the run's commit (a callback supplies the files) into
  ``Build.SourcesDirectory``; ``checkout: none`` does nothing;
* ``download: current`` / ``artifact.upload`` move folders through an in-memory artifact store
  (a pipeline artifact is a copy taken when it is uploaded);
* ``UsePythonVersion@0`` is a no-op (the test interpreter is the toolchain, as in the task
  tests); ``PublishTestResults@2`` records the files it would publish; ``script:`` runs in bash;
* stage conditions are evaluated at run time (``succeeded()``, ``failed()``, ``not``, ``and``,
  ``eq``, ``dependencies.<stage>.outputs['<job>.<step>.<var>']``), with the implicit
  dependency on the previous stage, transitive failure, and Skipped stages;
* service connections are given by name (as YAML names them) and become endpoint GUIDs and
  ``ENDPOINT_*`` variables; a connection may carry extra environment (the emulator's ARM URL,
  CA bundle and token), modelling "the connection decides which cloud and credential".

Every job gets fresh agent folders (like a Microsoft-hosted agent), except the tool cache.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Mapping

from . import pipeline_model as pm

ROOT = pm.ROOT


def load_agent_sim() -> ModuleType:
    """The task tests' agent simulator, imported from its file (their package is not ours)."""
    path = ROOT / "tests" / "tasks" / "agent_sim.py"
    spec = importlib.util.spec_from_file_location("apiops_tests_agent_sim", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


agent_sim = load_agent_sim()


@dataclass(frozen=True)
class Connection:
    """An Azure Resource Manager service connection as the agent hands it to a task."""

    name: str
    subscription_id: str
    extra_env: Mapping[str, str] = field(default_factory=dict)
    id: str = ""

    @property
    def endpoint_id(self) -> str:
        return self.id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"connection:{self.name}"))

    def endpoint(self) -> dict[str, Any]:
        return {
            "url": "https://management.azure.com/",
            "scheme": "WorkloadIdentityFederation",
            "auth": {"serviceprincipalid": "app-" + self.name, "tenantid": "tenant-id"},
            "data": {"subscriptionId": self.subscription_id, "environment": "AzureCloud"},
        }


@dataclass
class StepRun:
    stage: str
    job: str
    step: Mapping[str, Any]
    result: str
    outputs: dict[str, str] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""


@dataclass
class RunResult:
    """What a run left behind: results per stage/job, outputs, artifacts, summaries, test files."""

    stage_results: dict[str, str] = field(default_factory=dict)
    job_results: dict[str, str] = field(default_factory=dict)
    steps: list[StepRun] = field(default_factory=list)
    artifacts: dict[str, Path] = field(default_factory=dict)
    summaries: list[tuple[str, str]] = field(default_factory=list)  # (job, markdown)
    test_results: list[Path] = field(default_factory=list)

    def step(self, task: str, job: str | None = None) -> StepRun:
        found = [s for s in self.steps if s.step.get("task") == task and (job is None or s.job == job)]
        assert found, f"no {task} step ran" + (f" in {job}" if job else "")
        return found[-1]

    def explain(self) -> str:
        lines = [f"stages: {self.stage_results}", f"jobs: {self.job_results}"]
        for s in self.steps:
            if s.result != "Succeeded":
                lines.append(f"--- {s.stage}/{s.job} {s.step.get('task') or s.step.get('script') or s.step}: {s.result}")
                lines.append(s.stdout[-4000:])
                lines.append(s.stderr[-4000:])
        return "\n".join(lines)


_OK = ("Succeeded", "SucceededWithIssues")


class AgentRunner:
    """Runs expanded pipelines: ``run(expanded) -> RunResult``."""

    def __init__(
        self,
        staged_tasks: Mapping[str, Path],
        work: Path,
        *,
        checkout: Callable[[Path], None],
        connections: Mapping[str, Connection],
        variables: Mapping[str, str] | None = None,
        variable_groups: Mapping[str, Mapping[str, str]] | None = None,
        secret_names: frozenset[str] = frozenset(),
        system_access_token: str = "system-access-token",
    ) -> None:
        self.staged = {name.lower(): Path(path) for name, path in staged_tasks.items()}
        self.work = work
        self.checkout = checkout
        self.connections = dict(connections)
        self.variables = dict(variables or {})
        self.groups = {k: dict(v) for k, v in (variable_groups or {}).items()}
        self.secret_names = {s.lower() for s in secret_names}
        self.token = system_access_token
        self.catalog = pm.task_catalog()
        self.tools = work / "_tool"
        self.tools.mkdir(parents=True, exist_ok=True)
        self._jobs = 0

    # ------------------------------------------------------------------------------- stages
    def run(self, expanded: Mapping[str, Any], result: RunResult | None = None) -> RunResult:
        result = result or RunResult()
        stages = pm.stages_of(expanded)
        outputs: dict[str, dict[str, str]] = {}
        pipeline_variables = self._variables_of(expanded.get("variables") or [])
        for stage in stages:
            # Status functions look at the DIRECT dependencies only (a skipped one is not a
            # success, a failure further back is not seen): the stricter reading of the docs,
            # which our conditions must survive; they test dependencies.<stage>.result instead.
            direct = [result.stage_results[d] for d in stage.depends_on]
            status = {
                "succeeded": all(r in _OK for r in direct),
                "failed": any(r == "Failed" for r in direct),
                "canceled": False,
                "always": True,
                "succeededOrFailed": True,
            }
            scope = {"dependencies": {d: {"result": result.stage_results[d], "outputs": outputs.get(d, {})}
                                      for d in stage.depends_on}}
            if not pm._truthy(pm.evaluate(stage.condition or "succeeded()", scope, status)):
                result.stage_results[stage.name] = "Skipped"
                continue
            variables = {**pipeline_variables, **self._variables_of(stage.variables)}
            stage_outputs: dict[str, str] = {}
            stage_result = "Succeeded"
            for job in stage.jobs:
                job_result = self._run_job(stage.name, job, variables, stage_outputs, result)
                result.job_results[f"{stage.name}.{job.name}"] = job_result
                if job_result not in _OK:
                    stage_result = "Failed"
            outputs[stage.name] = stage_outputs
            result.stage_results[stage.name] = stage_result
        return result

    def _variables_of(self, entries: Any) -> dict[str, str]:
        if isinstance(entries, Mapping):
            return {str(k): str(v) for k, v in entries.items()}
        out: dict[str, str] = {}
        for entry in entries:
            if "group" in entry:
                out.update(self.groups[entry["group"]])  # KeyError: a group the test did not define
            elif "name" in entry:
                out[entry["name"]] = str(entry.get("value", ""))
        return out

    # --------------------------------------------------------------------------------- jobs
    def _run_job(self, stage: str, job: pm.Job, inherited: Mapping[str, str], stage_outputs: dict[str, str],
                 result: RunResult) -> str:
        self._jobs += 1
        workspace = self.work / f"job{self._jobs}-{stage}-{job.name}"
        folders = {name: workspace / name for name in ("s", "a", "b", "_temp", "TestResults")}
        for folder in folders.values():
            folder.mkdir(parents=True)
        variables: dict[str, str] = {
            "Pipeline.Workspace": str(workspace),
            "Agent.BuildDirectory": str(workspace),
            "Build.SourcesDirectory": str(folders["s"]),
            "System.DefaultWorkingDirectory": str(folders["s"]),
            "Build.ArtifactStagingDirectory": str(folders["a"]),
            "Build.StagingDirectory": str(folders["a"]),
            "Build.BinariesDirectory": str(folders["b"]),
            "Agent.TempDirectory": str(folders["_temp"]),
            "Common.TestResultsDirectory": str(folders["TestResults"]),
            "Agent.ToolsDirectory": str(self.tools),
            "System.Debug": "false",
            "System.JobName": job.name,
            "System.StageName": stage,
            **self.variables,
            **inherited,
            **self._variables_of(job.variables),
        }
        failed = False
        for step in job.steps:
            condition = step.get("condition") or "succeeded()"
            status = {"succeeded": not failed, "failed": failed, "canceled": False, "always": True,
                      "succeededOrFailed": True}
            if not pm._truthy(pm.evaluate(condition, {"variables": variables}, status)):
                continue
            run = self._run_step(stage, job.name, step, variables, result)
            result.steps.append(run)
            for key, value in run.outputs.items():
                variables[f"{step.get('name')}.{key}"] = value
                stage_outputs[f"{job.name}.{step.get('name')}.{key}"] = value
            if run.result not in _OK and not pm._truthy(step.get("continueOnError", False)):
                failed = True
        return "Failed" if failed else "Succeeded"

    # -------------------------------------------------------------------------------- steps
    def _macro(self, text: Any, variables: Mapping[str, str]) -> str:
        """``$(Name)`` → value (case-insensitive); unknown macros stay as they are, like the agent."""
        lowered = {k.lower(): v for k, v in variables.items()}
        return pm.MACRO.sub(lambda m: lowered.get(m.group(1).lower(), m.group(0)), pm._as_text(text))

    def _run_step(self, stage: str, job: str, step: Mapping[str, Any], variables: dict[str, str],
                  result: RunResult) -> StepRun:
        sources = Path(variables["Build.SourcesDirectory"])
        if "checkout" in step:
            if step["checkout"] == "self":
                self.checkout(sources)
            return StepRun(stage, job, step, "Succeeded")
        if "download" in step:
            name = step["artifact"]
            if name not in result.artifacts:
                return StepRun(stage, job, step, "Failed", stderr=f"artifact {name} was not published")
            shutil.copytree(result.artifacts[name], Path(variables["Pipeline.Workspace"]) / name)
            return StepRun(stage, job, step, "Succeeded")
        if "script" in step:
            return self._script(stage, job, step, variables)
        reference = step["task"]
        info = pm.resolve_task(reference, self.catalog)
        if info is None:
            return self._built_in(stage, job, step, variables, result)
        return self._our_task(stage, job, step, info, variables, result)

    def _built_in(self, stage: str, job: str, step: Mapping[str, Any], variables: dict[str, str],
                  result: RunResult) -> StepRun:
        task = step["task"]
        inputs = {k: self._macro(v, variables) for k, v in (step.get("inputs") or {}).items()}
        if task == "UsePythonVersion@0":
            return StepRun(stage, job, step, "Succeeded")
        if task == "PublishTestResults@2":
            folder = Path(inputs.get("searchFolder") or variables["System.DefaultWorkingDirectory"])
            files = sorted(folder.glob(inputs.get("testResultsFiles", "**/TEST-*.xml")))
            result.test_results.extend(files)
            return StepRun(stage, job, step, "Succeeded" if files else "SucceededWithIssues")
        raise AssertionError(f"the runner does not model {task}")

    def _script(self, stage: str, job: str, step: Mapping[str, Any], variables: dict[str, str]) -> StepRun:
        script = self._macro(step["script"], variables)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "ENDPOINT_", "SECRET_"))}
        env.update({agent_sim.env_key(k): v for k, v in variables.items() if k.lower() not in self.secret_names})
        env.update({k: self._macro(v, variables) for k, v in (step.get("env") or {}).items()})
        cwd = self._macro(step.get("workingDirectory") or variables["System.DefaultWorkingDirectory"], variables)
        proc = subprocess.run(["bash", "-c", script], env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
        return StepRun(stage, job, step, "Succeeded" if proc.returncode == 0 else "Failed",
                       stdout=proc.stdout, stderr=proc.stderr)

    def _our_task(self, stage: str, job: str, step: Mapping[str, Any], info: pm.TaskInfo,
                  variables: dict[str, str], result: RunResult) -> StepRun:
        task_dir = self.staged[info.name.lower()]
        inputs: dict[str, str] = {}
        endpoints: dict[str, dict] = {
            "SYSTEMVSSCONNECTION": {"url": variables.get("System.CollectionUri", ""), "scheme": "OAuth",
                                    "auth": {"AccessToken": self.token}},
        }
        extra: dict[str, str] = {}
        for key, value in (step.get("inputs") or {}).items():
            spec = info.input_named(key)
            assert spec is not None, f"{info.name} has no input {key}"
            text = self._macro(value, variables)
            if spec["type"].startswith("connectedService:AzureRM"):
                connection = self.connections[text]  # KeyError: the test did not define it
                text = connection.endpoint_id
                endpoints[connection.endpoint_id] = connection.endpoint()
                extra.update(connection.extra_env)
            elif spec["type"] == "boolean":
                text = text.lower()
            inputs[spec["name"]] = text
        public = {k: v for k, v in variables.items() if k.lower() not in self.secret_names}
        secrets = {k: v for k, v in variables.items() if k.lower() in self.secret_names}
        env = agent_sim.task_environment(str(task_dir), inputs, public, secrets=secrets, endpoints=endpoints)
        env.update(extra)
        run = agent_sim.run_task(str(task_dir), env, cwd=variables["System.DefaultWorkingDirectory"])
        outputs: dict[str, str] = {}
        for command in run.commands:
            if command.name == "task.setvariable":
                name = command.props.get("variable", "")
                if name in run.blocked_variables:  # task.json restrictions: the agent ignores it
                    continue
                if command.props.get("isoutput", "").lower() == "true":
                    outputs[name] = command.data
                else:
                    variables[name] = command.data
                    if command.props.get("issecret", "").lower() == "true":
                        self.secret_names.add(name.lower())
            elif command.name == "artifact.upload":
                name = command.props.get("artifactname") or "drop"
                target = self.work / "_artifacts" / name
                if target.exists():
                    shutil.rmtree(target)
                shutil.copytree(command.data, target)
                result.artifacts[name] = target
            elif command.name == "task.addattachment" and command.props.get("type") == "Distributedtask.Core.Summary":
                result.summaries.append((f"{stage}.{job}", Path(command.data).read_text(encoding="utf-8")))
        return StepRun(stage, job, step, run.result, outputs, run.stdout, run.stderr)
