"""What the task entry modules share: the Azure target, the CLI call, token substitution.

Tasks call ``apiops_core.cli.main(argv, environ)`` (docs/CLI-CONTRACT.md) in-process with an
environment built from the task inputs: the service connection id in
``APIOPS_SERVICE_CONNECTION`` (so ``apiops_core.auth`` reads the agent's ``ENDPOINT_*``
variables), and the subscription, resource group and service name in the variables the CLI
documents. The CLI writes a ``--result`` JSON file that becomes output variables and a
Markdown file that becomes the run summary. ``{#NAME#}`` placeholders are replaced by the
engines from that environment; secret variables are added to it under their plain names.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from apiops_core.agent import TaskContext, TaskFailed

__all__ = [
    "AzureTarget",
    "read_azure_target",
    "engine_environ",
    "run_cli",
    "CliRun",
    "secret_token_environ",
    "default_plan_file",
    "add_option",
    "max_deletions_input",
    "overrides_input",
    "NO_LIMIT",
]

_WHERE = re.compile(r"^(?P<path>.*?):(?P<line>\d+): (?P<message>.*)$")


@dataclass(frozen=True)
class AzureTarget:
    """The API Management instance a task works on and the connection that reaches it."""

    connection_id: str
    subscription_id: str
    resource_group: str
    service_name: str
    arm_endpoint: str


def read_azure_target(context: TaskContext, *, service_required: bool = True) -> AzureTarget:
    """Inputs of the "Azure API Management" group; the subscription defaults to the connection's."""
    connection = context.get_input("azureSubscription", required=True)
    subscription = context.get_input("subscriptionId") or (context.endpoint_data(connection, "SUBSCRIPTIONID") or "")
    if not subscription:
        raise TaskFailed(
            "Input subscriptionId is empty and the service connection has no subscription "
            "(a management-group scoped connection); set subscriptionId"
        )
    return AzureTarget(
        connection_id=connection,
        subscription_id=subscription,
        resource_group=context.get_input("resourceGroupName", required=True),
        service_name=context.get_input("serviceName", required=service_required),
        arm_endpoint=context.get_input("armEndpoint"),
    )


def engine_environ(context: TaskContext, target: AzureTarget | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment handed to ``cli.main``: the agent's, plus the target in the CLI's names."""
    env = dict(context.environ)
    if target is not None:
        env["APIOPS_SERVICE_CONNECTION"] = target.connection_id
        env["AZURE_SUBSCRIPTION_ID"] = target.subscription_id
        env["AZURE_RESOURCE_GROUP_NAME"] = target.resource_group
        if target.service_name:
            env["API_MANAGEMENT_SERVICE_NAME"] = target.service_name
        else:
            env.pop("API_MANAGEMENT_SERVICE_NAME", None)
        if target.arm_endpoint:
            env["APIOPS_ARM_ENDPOINT"] = target.arm_endpoint
        environment = context.endpoint_data(target.connection_id, "ENVIRONMENT")
        if environment and not env.get("AZURE_CLOUD_ENVIRONMENT"):
            env["AZURE_CLOUD_ENVIRONMENT"] = environment
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class CliRun:
    result: dict
    markdown: str


def run_cli(
    context: TaskContext,
    argv: Sequence[str],
    environ: Mapping[str, str],
    *,
    markdown_option: str | None = None,
    cli_main: Callable[..., int] | None = None,
) -> CliRun:
    """Run one ``apiops`` command in-process; a non-zero exit fails the task with the CLI's message.

    The CLI prints ``path:line: message`` for an ``ApiOpsError``; that last line becomes the
    task's error issue (with ``sourcepath``/``linenumber``) unless an error was logged already.
    """
    if cli_main is None:
        from apiops_core.cli import main  # the engines load only when a task needs them

        cli_main = main
    work = tempfile.mkdtemp(prefix="apiops-task-", dir=_ensure_dir(context.temp_dir()))
    result_file = os.path.join(work, "result.json")
    markdown_file = os.path.join(work, "summary.md")
    verbose = ["-v"] if (context.environ.get("SYSTEM_DEBUG") or "").lower() == "true" else []
    full = [*verbose, *argv, "--result", result_file]
    if markdown_option:
        full += [markdown_option, markdown_file]
    context.write_line("##[command]apiops " + " ".join(_quote(a) for a in full))
    lines = _LastLines()
    context.observers.append(lines)
    try:
        code = cli_main(full, environ)
    finally:
        context.observers.remove(lines)
    if code != 0:
        message = context.last_error or lines.last or f"apiops {argv[0]} failed with exit code {code}"
        message = message[len("error: "):] if message.startswith("error: ") else message
        match = _WHERE.match(message)
        if match and not context.errors_reported:
            context.error(match["message"], path=match["path"], line=int(match["line"]))
        elif not context.errors_reported:
            context.error(message)
        raise TaskFailed(f"apiops {argv[0]} failed (exit code {code}): {message}")
    return CliRun(_read_json(result_file), _read_text(markdown_file))


class _LastLines:
    """Remembers the last non-empty line the engine printed (its error message on failure)."""

    def __init__(self) -> None:
        self.last = ""

    def __call__(self, line: str) -> None:
        if line.strip():
            self.last = line.strip()


def _quote(arg: str) -> str:
    return f'"{arg}"' if (" " in arg or not arg) else arg


def _ensure_dir(path: str) -> str:
    os.makedirs(path, exist_ok=True)
    return path


def _read_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise TaskFailed(f"apiops wrote an unreadable result file {path}: {exc}") from None
    return data if isinstance(data, dict) else {}


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return ""


def add_option(argv: list[str], option: str, value: object) -> None:
    """Append ``option value`` when the value is set; ``True`` appends the bare flag."""
    if value is True:
        argv.append(option)
    elif value not in (None, "", False):
        argv += [option, str(value)]


#: What ``maxDeletions: unlimited`` hands the CLI: ``--max-deletions`` takes a number, and with
#: ``--prune`` its absence means 0, so "no limit" is a number no plan reaches.
NO_LIMIT = 2**31 - 1
_UNLIMITED = frozenset({"unlimited", "none", "no limit", "-1"})


def max_deletions_input(context: TaskContext, default: str) -> int:
    """The ``maxDeletions`` input as the CLI's ``--max-deletions`` number.

    A whole number (0 and up), or ``unlimited``; empty means the task's documented default
    (``default``, the task.json ``defaultValue``), never 0 by accident: the agent fills the
    default only when the input is absent, so ``maxDeletions: ""`` in YAML must mean the same.
    """
    raw = context.get_input("maxDeletions") or default
    if raw.lower() in _UNLIMITED:
        return NO_LIMIT
    if raw.isdigit():
        return int(raw)
    raise TaskFailed(f"Input maxDeletions must be a whole number (0 or more) or 'unlimited', not {raw!r}")


def overrides_input(context: TaskContext) -> str | None:
    """The ``overridesFile`` input; a named file that does not exist fails with what to do.

    It is never skipped silently: publishing without the environment's overrides would send
    another environment's backend URLs and named values to this one.
    """
    try:
        return context.get_path_input("overridesFile", check_exists=True)
    except TaskFailed:
        raise TaskFailed(
            f"Input overridesFile: {context.get_input('overridesFile')} does not exist in the repository. "
            "Create it (start from samples/configuration.prod.yaml; docs/SETUP.md, 'First day checklist'), "
            "or set this environment's overridesFile to '' to publish the artifacts unchanged."
        ) from None


def default_plan_file(context: TaskContext) -> str:
    """Where Creator and Terminator write (and Publish can find) the plan in this job."""
    return os.path.join(context.temp_dir(), "apiops", "apiops.plan.json")


# ------------------------------------------------------------------ token substitution
def secret_token_environ(context: TaskContext) -> dict[str, str]:
    """Secret pipeline variables under their plain names, for ``{#NAME#}`` placeholders.

    The engines replace ``{#NAME#}`` in overrides and artifact contents from the environment
    they are given; the agent passes public variables as ``NAME`` but secret ones only as
    ``SECRET_NAME``. Each value is registered with the agent before the engine can see it.
    """
    exposed: dict[str, str] = {}
    for key, value in context.environ.items():
        if key.upper().startswith("SECRET_") and len(key) > len("SECRET_"):
            plain = key[len("SECRET_"):]
            if plain not in context.environ:
                context.set_secret(value)
                exposed[plain] = value
    return exposed
