"""A minimal Azure Pipelines agent: build a task's environment and parse its logging commands.

Mirrors the agent's rules (Handler.cs environment contract, Command.TryParse and
CommandStringConvertor.Unescape) closely enough that a task passing here passes there:
inputs as ``INPUT_<NAME>`` with task.json defaults filled in and trimmed, an empty filePath
rooted at the sources directory, variables, secrets and endpoints as the agent exports them.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from typing import Mapping


def env_key(name: str) -> str:
    return name.replace(".", "_").replace(" ", "_").upper()


def unescape(text: str) -> str:
    for token, replacement in ((";", "%3B"), ("\r", "%0D"), ("\n", "%0A"), ("]", "%5D")):
        text = text.replace(replacement, token)
    return text.replace("%AZP25", "%")


@dataclass(frozen=True)
class Command:
    area: str
    event: str
    props: Mapping[str, str]
    data: str

    @property
    def name(self) -> str:
        return f"{self.area}.{self.event}"


def parse(line: str) -> Command | None:
    """Command.TryParse: ``##vso[`` anywhere, info up to the first ``]``, ``area.event``."""
    start = line.find("##vso[")
    if start < 0:
        return None
    end = line.find("]", start)
    if end < 0:
        return None
    name, _, props = line[start + 6:end].partition(" ")
    parts = [p for p in name.split(".") if p]
    if len(parts) != 2:
        return None
    properties: dict[str, str] = {}
    for pair in (p for p in props.split(";") if p):
        key, sep, value = pair.partition("=")
        if sep and key and value:
            properties[key.lower()] = unescape(value)
    return Command(parts[0].lower(), parts[1].lower(), properties, unescape(line[end + 1:]))


_WORST = {"Succeeded": 0, "SucceededWithIssues": 1, "Failed": 2}


@dataclass
class TaskRun:
    stdout: str
    stderr: str
    returncode: int
    commands: list[Command] = field(default_factory=list)
    #: ``task.setvariable`` names the task.json ``restrictions.settableVariables`` refused
    #: (the agent logs a warning and ignores the command)
    blocked_variables: list[str] = field(default_factory=list)

    @property
    def result(self) -> str:
        """Merged like the agent: worst wins; no task.complete and exit 0 means Succeeded."""
        if self.returncode != 0:
            return "Failed"
        result = "Succeeded"
        for command in self.commands:
            if command.name == "task.complete":
                candidate = command.props.get("result", "Succeeded")
                if _WORST.get(candidate, 2) > _WORST[result]:
                    result = candidate
        return result

    def of(self, name: str) -> list[Command]:
        return [c for c in self.commands if c.name == name]

    def outputs(self) -> dict[str, str]:
        return {
            c.props["variable"]: c.data
            for c in self.of("task.setvariable")
            if c.props.get("isoutput", "").lower() == "true" and c.props["variable"] not in self.blocked_variables
        }

    def errors(self) -> list[Command]:
        return [c for c in self.commands if c.name in ("task.logissue", "task.issue") and c.props.get("type") == "error"]

    def visible_lines(self) -> list[str]:
        """Every stdout line except setsecret commands (which carry the secret by design)."""
        return [line for line in self.stdout.splitlines() if "##vso[task.setsecret]" not in line]


def task_environment(
    task_dir: str,
    inputs: Mapping[str, str] | None = None,
    variables: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    endpoints: Mapping[str, Mapping] | None = None,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    task = json.load(open(os.path.join(task_dir, "task.json"), encoding="utf-8-sig"))
    variables = dict(variables or {})
    env = {k: v for k, v in (base if base is not None else os.environ).items()
           if not k.upper().startswith(("INPUT_", "ENDPOINT_", "SECRET_", "APIOPS_", "AZURE_", "TF_BUILD"))}
    env["TF_BUILD"] = "True"
    values = {i["name"]: str(i.get("defaultValue", "")) for i in task.get("inputs", [])}
    values.update(inputs or {})
    sources = variables.get("Build.SourcesDirectory") or variables.get("System.DefaultWorkingDirectory") or ""
    types = {i["name"]: i["type"] for i in task.get("inputs", [])}
    for name, value in values.items():
        value = value.strip()
        if types.get(name) == "filePath" and sources:
            value = os.path.join(sources, value) if value and not os.path.isabs(value) else (value or sources)
        env["INPUT_" + env_key(name)] = value
    env.update({env_key(k): v for k, v in variables.items()})
    env["VSTS_PUBLIC_VARIABLES"] = json.dumps(sorted(variables))
    env.update({"SECRET_" + env_key(k): v for k, v in (secrets or {}).items()})
    env["VSTS_SECRET_VARIABLES"] = json.dumps(sorted(secrets or {}))
    for endpoint_id, endpoint in (endpoints or {}).items():
        auth = endpoint.get("auth", {})
        env[f"ENDPOINT_URL_{endpoint_id}"] = endpoint.get("url", "")
        env[f"ENDPOINT_AUTH_{endpoint_id}"] = json.dumps({"parameters": auth, "scheme": endpoint.get("scheme", "None")})
        env[f"ENDPOINT_AUTH_SCHEME_{endpoint_id}"] = endpoint.get("scheme", "None")
        env.update({f"ENDPOINT_AUTH_PARAMETER_{endpoint_id}_{env_key(k)}": v for k, v in auth.items()})
        if endpoint_id != "SYSTEMVSSCONNECTION":
            data = endpoint.get("data", {})
            env[f"ENDPOINT_DATA_{endpoint_id}"] = json.dumps(data)
            env.update({f"ENDPOINT_DATA_{endpoint_id}_{env_key(k)}": v for k, v in data.items()})
    return env


def run_task(task_dir: str, env: Mapping[str, str], *, cwd: str | None = None, timeout: float = 600) -> TaskRun:
    """``node <target>`` of the preferred handler, as the Node handler does."""
    task = json.load(open(os.path.join(task_dir, "task.json"), encoding="utf-8-sig"))
    handler = next(h for h in ("Node24", "Node20_1") if h in task["execution"])
    target = os.path.join(task_dir, task["execution"][handler]["target"])
    proc = subprocess.run(["node", target], env=dict(env), cwd=cwd or task_dir, capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout)
    commands = [c for c in map(parse, proc.stdout.splitlines()) if c]
    allowed = (task.get("restrictions") or {}).get("settableVariables", {}).get("allowed")
    blocked = [] if allowed is None else [
        c.props.get("variable", "") for c in commands
        if c.name == "task.setvariable" and not settable(c.props.get("variable", ""), allowed)
    ]
    return TaskRun(proc.stdout, proc.stderr, proc.returncode, commands, blocked)


def settable(name: str, allowed: list[str]) -> bool:
    """The agent's check of ``restrictions.settableVariables.allowed``: case-insensitive, ``*`` suffix."""
    lowered = name.lower()
    return any(lowered.startswith(a[:-1].lower()) if a.endswith("*") else lowered == a.lower() for a in allowed)
