"""What the task entry modules share: the Azure target, the CLI call, token substitution.

Tasks call ``apiops_core.cli.main(argv, environ)`` (docs/CLI-CONTRACT.md) in-process with an
environment built from the task inputs: the service connection id in
``APIOPS_SERVICE_CONNECTION`` (so ``apiops_core.auth`` reads the agent's ``ENDPOINT_*``
variables), and the subscription, resource group and service name in the variables the CLI
documents. The CLI writes a ``--result`` JSON file that becomes output variables and a
Markdown file that becomes the run summary.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from apiops_core.agent import TaskContext, TaskFailed, env_key
from apiops_core.errors import ConfigError

__all__ = [
    "AzureTarget",
    "read_azure_target",
    "engine_environ",
    "run_cli",
    "CliRun",
    "substitute_tokens",
    "prepare_overrides",
    "default_plan_file",
    "add_option",
]

_TOKEN = re.compile(r"\{#\s*([A-Za-z_][A-Za-z0-9_.]*)\s*#\}")
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
        from apiops_core.cli import main as cli_main  # the engines load only when a task needs them
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


def default_plan_file(context: TaskContext) -> str:
    """Where Creator and Terminator write (and Publish can find) the plan in this job."""
    return os.path.join(context.temp_dir(), "apiops", "apiops.plan.json")


# ------------------------------------------------------------------ token substitution
def substitute_tokens(text: str, lookup: Callable[[str], str | None], *, path: str) -> str:
    """Replace ``{#NAME#}`` with the pipeline variable NAME; a missing one is an error with its line."""

    def replace(match: re.Match[str]) -> str:
        value = lookup(match.group(1))
        if value is None:
            line = text.count("\n", 0, match.start()) + 1
            raise ConfigError(
                f"Token {match.group(0)} has no pipeline variable {match.group(1)}; define it in the pipeline "
                "or a variable group (secret variables work too)",
                path=path,
                line=line,
            )
        return value

    return _TOKEN.sub(replace, text)


def prepare_overrides(context: TaskContext, overrides: str | None, *, substitute: bool) -> str | None:
    """The overrides file the CLI gets: the input itself, or a private copy with tokens replaced.

    Values of secret variables are registered with the agent before they land in the copy.
    The copy lives in the job's temp folder (wiped after the job) with owner-only permissions.
    """
    if overrides is None or not substitute:
        return overrides
    try:
        with open(overrides, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ConfigError(f"Cannot read the overrides file: {exc.strerror}", path=overrides) from None
    if not _TOKEN.search(text):
        return overrides

    def lookup(name: str) -> str | None:
        key = env_key(name)
        secret = context.environ.get("SECRET_" + key)
        if secret is not None:
            context.set_secret(secret)
            return secret
        return context.environ.get(key)

    replaced = substitute_tokens(text, lookup, path=overrides)
    folder = _ensure_dir(os.path.join(context.temp_dir(), "apiops"))
    fd, target = tempfile.mkstemp(prefix="overrides-", suffix=os.path.splitext(overrides)[1] or ".yaml", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(replaced)
    context.write_line(f"Replaced {{#...#}} tokens of {overrides} with pipeline variables")
    return target
