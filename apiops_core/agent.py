"""The Azure Pipelines task contract, in one place.

A pipeline task is a Node process (our shim) that runs Python; the agent talks to it only
through environment variables (``INPUT_*``, variables, ``ENDPOINT_*``) and reads back
``##vso[...]`` logging commands from its standard output. Everything that knows those rules
lives here so the task entry modules stay thin and the rules are tested once:

* inputs arrive trimmed, booleans as ``"true"``/``"false"``, and an empty ``filePath`` input
  arrives as the repository root (the agent roots it) -- hence :meth:`TaskContext.get_path_input`;
* ``%`` escapes to ``%AZP25`` (not ``%25``) and must be escaped first;
* the agent finds ``##vso[`` *anywhere* in a line, so text from the APIM instance or the
  artifacts is neutralised before it is printed;
* secrets are registered with ``task.setsecret`` before anything could print them, and
  masked locally as well (belt and braces: a secret printed before the agent registered it
  would otherwise reach the log);
* a non-zero exit of the Node process means "infrastructure failure" to the agent, so the
  result is always reported with ``task.complete`` and the process exits 0.

Only the standard library is used: this module also runs inside the bootstrap, before the
toolchain with the dependencies exists.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Literal, Mapping, TextIO, overload

__all__ = [
    "env_key",
    "escape_property",
    "escape_data",
    "neutralise",
    "format_command",
    "register_secret_on_stdout",
    "TaskContext",
    "AgentLogHandler",
    "AgentStream",
    "run_task",
    "TaskFailed",
]

#: Neutralised form of the command prefix: a zero-width space breaks ``IndexOf("##vso[")``
#: while the text stays readable in the log.
_NEUTRAL_PREFIX = "##vso\u200b["
_COMMAND_PREFIX = re.compile(r"##vso\[", re.IGNORECASE)
_TRUE = frozenset({"true", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "no", "n", "off", "0", ""})
#: Endpoint auth parameters that name a kind, not a credential (masking them only garbles the log).
_PUBLIC_AUTH_PARAMETERS = ("_AUTHENTICATIONTYPE", "_SCOPE", "_ROLE", "_SCOPELEVEL")
#: Values too short to mask without wrecking the log (the agent has a similar floor).
_MIN_SECRET_LENGTH = 4
#: A line of engine output that is a warning (``warning: <message>``, as the CLI prints and logs
#: them), colour codes allowed around it: it becomes a pipeline warning.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_WARNING_LINE = re.compile(r"^\s*warning:\s*(?P<message>\S.*?)\s*$", re.IGNORECASE)


class TaskFailed(Exception):
    """Raised by task code to fail the task with a message (not an ApiOpsError, not a bug)."""


def env_key(name: str) -> str:
    """The environment variable name the agent uses for an input/variable name."""
    return name.replace(".", "_").replace(" ", "_").upper()


def escape_data(value: str) -> str:
    """Escape the message part of a logging command (``%`` first, then CR and LF)."""
    return value.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a property value: like the message, plus ``]`` (ends the command) and ``;``."""
    return escape_data(value).replace("]", "%5D").replace(";", "%3B")


def neutralise(text: str) -> str:
    """Make text from the instance or the artifacts unable to issue logging commands."""
    return _COMMAND_PREFIX.sub(_NEUTRAL_PREFIX, text)


def format_command(name: str, data: str = "", /, **properties: object) -> str:
    """One ``##vso[area.event k=v;...]data`` line (without newline); empty properties are dropped."""
    props = "".join(
        f"{key}={escape_property(_prop_text(value))};"
        for key, value in properties.items()
        if value is not None and _prop_text(value) != ""
    )
    return f"##vso[{name}{' ' + props if props else ''}]{escape_data(data)}"


def register_secret_on_stdout(value: str) -> None:
    """Write ``task.setsecret`` for ``value`` straight to the process's real stdout.

    For code below the task layer that learns a secret mid-run (auth's freshly minted ARM
    tokens): it has no :class:`TaskContext`, and a neutralising wrapper the task installed
    around ``sys.stdout`` would defuse the command.
    """
    stream = sys.__stdout__ or sys.stdout
    stream.write(format_command("task.setsecret", value) + "\n")
    stream.flush()


def _prop_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _secret_fragments(value: str) -> Iterator[str]:
    """The strings to register for one secret: the value, and each line of a multi-line one.

    The agent masks line by line, so a PEM certificate must be registered per line too;
    PEM armour lines are public and would only make the log unreadable.
    """
    if len(value) >= _MIN_SECRET_LENGTH:
        yield value
    if "\n" in value or "\r" in value:
        for line in value.splitlines():
            line = line.strip()
            if len(line) >= _MIN_SECRET_LENGTH and not line.startswith("-----"):
                yield line


@dataclass
class TaskContext:
    """What one task run knows about the agent: its environment and its output stream.

    The environment is passed in (never read from ``os.environ`` behind the caller's back)
    so tests can run a task with a plain dict.
    """

    environ: Mapping[str, str]
    out: TextIO = field(default_factory=lambda: sys.stdout)
    secrets: set[str] = field(default_factory=set)
    completed: bool = False
    #: Number of error issues reported so far (a failure already explained is not repeated).
    errors_reported: int = 0
    last_error: str = ""
    #: Callables that see every plain log line after masking (e.g. to keep the CLI's last message).
    observers: list[Callable[[str], None]] = field(default_factory=list)
    #: Warning messages reported so far (each once): any makes a succeeding task SucceededWithIssues.
    warnings_reported: list[str] = field(default_factory=list)

    # ----------------------------------------------------------------- reading the agent
    def get_input(self, name: str, *, required: bool = False, default: str = "") -> str:
        """An input as the agent passes it (trimmed); ``required`` fails with the input's name."""
        value = self.environ.get("INPUT_" + env_key(name), "").strip()
        if not value:
            if required:
                raise TaskFailed(f"Input required: {name}")
            return default
        return value

    def get_bool_input(self, name: str, *, default: bool = False) -> bool:
        """A boolean input; the agent sends ``true``/``false``, YAML users write yes/no/on/off too."""
        raw = self.get_input(name).lower()
        if not raw:
            return default
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise TaskFailed(f"Input {name} must be true or false, not {raw!r}")

    def get_int_input(self, name: str, *, default: int | None = None) -> int | None:
        raw = self.get_input(name)
        if not raw:
            return default
        try:
            return int(raw)
        except ValueError:
            raise TaskFailed(f"Input {name} must be a whole number, not {raw!r}") from None

    @overload
    def get_path_input(self, name: str, *, required: Literal[True], check_exists: bool = False) -> str: ...

    @overload
    def get_path_input(self, name: str, *, required: bool = False, check_exists: bool = False) -> str | None: ...

    def get_path_input(self, name: str, *, required: bool = False, check_exists: bool = False) -> str | None:
        """A ``filePath`` input, or None when it was not supplied.

        The agent roots an empty filePath at the repository, so "not supplied" means "equals
        the sources directory or the default working directory" (task-lib's filePathSupplied).
        """
        value = self.get_input(name)
        roots = {
            _norm(self.environ[key])
            for key in ("BUILD_SOURCESDIRECTORY", "SYSTEM_DEFAULTWORKINGDIRECTORY")
            if self.environ.get(key)
        }
        if not value or _norm(value) in roots:
            if required:
                raise TaskFailed(f"Input required: {name} (a file or folder path)")
            return None
        if not os.path.isabs(value):
            base = self.environ.get("SYSTEM_DEFAULTWORKINGDIRECTORY") or self.environ.get("BUILD_SOURCESDIRECTORY")
            value = os.path.join(base or os.getcwd(), value)
        if check_exists and not os.path.exists(value):
            raise TaskFailed(f"Input {name}: {value} does not exist")
        return value

    def get_variable(self, name: str) -> str | None:
        """A pipeline variable: public as ``NAME``, secret as ``SECRET_NAME``."""
        key = env_key(name)
        if key in self.environ:
            return self.environ[key]
        return self.environ.get("SECRET_" + key)

    def endpoint_value(self, kind: str, endpoint_id: str, key: str | None = None) -> str | None:
        """``ENDPOINT_<kind>_<id>[_<KEY>]`` matched case-insensitively (GUID case varies)."""
        wanted = f"ENDPOINT_{kind}_{endpoint_id}" + (f"_{env_key(key)}" if key else "")
        return _lookup_ci(self.environ, wanted)

    def endpoint_url(self, endpoint_id: str) -> str | None:
        return self.endpoint_value("URL", endpoint_id)

    def endpoint_auth_scheme(self, endpoint_id: str) -> str | None:
        return self.endpoint_value("AUTH_SCHEME", endpoint_id)

    def endpoint_auth_parameter(self, endpoint_id: str, key: str) -> str | None:
        return self.endpoint_value("AUTH_PARAMETER", endpoint_id, key)

    def endpoint_data(self, endpoint_id: str, key: str) -> str | None:
        return self.endpoint_value("DATA", endpoint_id, key)

    def system_access_token(self) -> str | None:
        """System.AccessToken: always on the SystemVssConnection endpoint, sometimes a variable."""
        return (
            self.endpoint_auth_parameter("SYSTEMVSSCONNECTION", "ACCESSTOKEN")
            or self.environ.get("SYSTEM_ACCESSTOKEN")
            or self.environ.get("SECRET_SYSTEM_ACCESSTOKEN")
        )

    def temp_dir(self) -> str:
        """The job's temp folder (wiped per job), else the system one."""
        return self.environ.get("AGENT_TEMPDIRECTORY") or tempfile.gettempdir()

    # ------------------------------------------------------------------- secrets
    def known_secret_values(self) -> list[str]:
        """Every secret the agent handed to this process: secret variables and endpoint credentials."""
        values: list[str] = []
        for key, value in self.environ.items():
            upper = key.upper()
            if not value:
                continue
            if upper.startswith("ENDPOINT_AUTH_PARAMETER_") and upper.endswith(_PUBLIC_AUTH_PARAMETERS):
                continue
            if upper.startswith(("SECRET_", "ENDPOINT_AUTH_PARAMETER_", "SECUREFILE_TICKET_")):
                values.append(value)
            elif upper.startswith("ENDPOINT_AUTH_") and not upper.startswith("ENDPOINT_AUTH_SCHEME_"):
                values.extend(_auth_json_values(value))
            elif upper in ("AZURE_BEARER_TOKEN", "SYSTEM_ACCESSTOKEN", "AZURE_CLIENT_SECRET"):
                values.append(value)
        return values

    def register_known_secrets(self) -> None:
        """Register every secret of the environment before anything else is printed."""
        for value in self.known_secret_values():
            self.set_secret(value)

    def set_secret(self, value: str) -> None:
        """Ask the agent to mask ``value`` (and each line of it) and mask it locally from now on."""
        for fragment in _secret_fragments(value):
            if fragment in self.secrets:
                continue
            self.secrets.add(fragment)
            self._emit(format_command("task.setsecret", fragment))

    def mask(self, text: str) -> str:
        """Replace known secrets with ``***`` (longest first, so a secret containing another goes whole)."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, "***")
        return text

    # ------------------------------------------------------------------- writing
    def _emit(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def command(self, name: str, data: str = "", /, **properties: object) -> None:
        """Emit a logging command; the message and properties are masked and neutralised first."""
        clean = {k: (self.mask(neutralise(v)) if isinstance(v, str) else v) for k, v in properties.items()}
        self._emit(format_command(name, self.mask(neutralise(data)), **clean))

    def write_line(self, text: str) -> None:
        """Plain log text (possibly from the instance): neutralised, masked, one line per line.

        A ``warning: ...`` line (how the CLI prints a warning, e.g. a secret named value that
        was skipped) is reported as a pipeline warning instead, so the run shows it.
        """
        for line in text.splitlines() or [""]:
            clean = self.mask(neutralise(line))
            for observer in self.observers:
                observer(clean)
            warning = _WARNING_LINE.match(_ANSI.sub("", clean))
            if warning:
                self.warning(warning["message"])
            else:
                self._emit(clean)

    def debug(self, message: str) -> None:
        for line in message.splitlines() or [""]:
            self.command("task.debug", line)

    def warning(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        """A pipeline warning (``task.logissue type=warning``), once per message.

        The CLI prints a warning in its plan text and may log it again; one issue is enough.
        Any warning makes :func:`run_task` complete a succeeding task as SucceededWithIssues.
        """
        message = _WARNING_LINE.sub(r"\g<message>", message, count=1) if _WARNING_LINE.match(message) else message
        key = f"{path}:{line}:{message}"
        if key in self.warnings_reported:
            return
        self.warnings_reported.append(key)
        self.command("task.logissue", message, type="warning", sourcepath=path, linenumber=line)

    def error(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.errors_reported += 1
        self.last_error = message
        self.command("task.logissue", message, type="error", sourcepath=path, linenumber=line)

    def progress(self, percent: int, message: str = "") -> None:
        self.command("task.setprogress", message, value=max(0, min(100, int(percent))))

    def set_variable(
        self, name: str, value: str, *, is_output: bool = False, is_secret: bool = False
    ) -> None:
        """Set a variable; secrets are registered first and must be single-line (agent rule)."""
        if is_secret:
            if "\n" in value or "\r" in value:
                raise TaskFailed(f"Secret variable {name} cannot hold several lines")
            self.set_secret(value)
        self._emit(
            format_command(
                "task.setvariable",
                value if is_secret else self.mask(value),
                variable=name,
                isSecret=is_secret,
                isOutput=is_output,
            )
        )

    def set_output(self, name: str, value: object) -> None:
        """An output variable of this step (``$(step.name)``); JSON-ish values become strings."""
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif value is None:
            text = ""
        elif isinstance(value, (dict, list)):
            text = json.dumps(value, separators=(",", ":"))
        else:
            text = str(value)
        self.set_variable(name, text, is_output=True)

    def upload_summary(self, markdown: str, *, title: str = "apiops") -> str:
        """Write the Markdown run summary to the job's temp folder and attach it to the run."""
        folder = os.path.join(self.temp_dir(), "apiops-summaries")
        os.makedirs(folder, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix=_safe_file_part(title) + "-", suffix=".md", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(self.mask(neutralise(markdown)))
        self.command("task.addattachment", path, type="Distributedtask.Core.Summary", name=title)
        return path

    def upload_artifact(self, folder: str, artifact_name: str, container_folder: str | None = None) -> None:
        """Publish a folder as a (build) pipeline artifact."""
        self.command(
            "artifact.upload", folder, artifactname=artifact_name, containerfolder=container_folder or artifact_name
        )

    def complete(self, result: str, message: str = "") -> None:
        """Report the task result; only the first call counts (the agent merges, worst wins)."""
        if self.completed:
            return
        self.completed = True
        self.command("task.complete", message, result=result)


def _norm(path: str) -> str:
    return os.path.normcase(os.path.normpath(path.rstrip("/\\") or path))


def _lookup_ci(environ: Mapping[str, str], wanted: str) -> str | None:
    if wanted in environ:
        return environ[wanted]
    upper = wanted.upper()
    for key, value in environ.items():
        if key.upper() == upper:
            return value
    return None


def _auth_json_values(raw: str) -> Iterable[str]:
    """Parameter values inside ``ENDPOINT_AUTH_<id>`` (``{"parameters": {...}, "scheme": ...}``)."""
    try:
        parsed = json.loads(raw)
    except ValueError:
        return []
    params = parsed.get("parameters") if isinstance(parsed, dict) else None
    if not isinstance(params, dict):
        return []
    return [
        v for k, v in params.items()
        if isinstance(v, str) and v and not ("_" + str(k).upper()).endswith(_PUBLIC_AUTH_PARAMETERS)
    ]


def _safe_file_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "summary"


class AgentStream(io.TextIOBase):
    """A text stream for engine output: complete lines are neutralised and masked, then written.

    Used as ``sys.stdout``/``sys.stderr`` while an engine runs in-process, so whatever it
    prints (API names, policy text, error bodies from the instance) cannot issue commands or
    leak a secret. Stderr is routed here too, which also keeps stdout/stderr ordering (the
    approach of Microsoft's PythonScript task).
    """

    def __init__(self, context: TaskContext) -> None:
        super().__init__()
        self._context = context
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        while "\n" in self._pending:
            line, self._pending = self._pending.split("\n", 1)
            self._context.write_line(line.rstrip("\r"))
        return len(text)

    def flush(self) -> None:
        self._context.out.flush()

    def close_pending(self) -> None:
        if self._pending:
            self._context.write_line(self._pending)
            self._pending = ""


class AgentLogHandler(logging.Handler):
    """Map ``logging`` records to the agent: warnings/errors become issues, the rest log lines.

    A record may carry ``progress`` (0-100) via ``extra=`` to move the task's progress bar,
    and ``path``/``line`` to point an issue at a file of the artifacts tree.
    """

    def __init__(self, context: TaskContext, level: int = logging.INFO) -> None:
        super().__init__(level)
        self._context = context

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and record.levelno < logging.ERROR:
                message += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
            progress = getattr(record, "progress", None)
            path = getattr(record, "path", None)
            line = getattr(record, "line", None)
            error = _apiops_error_of(record)
            if error is not None:  # the CLI logs ``error: <ApiOpsError>``: point the issue at its file
                message = error.message
                path = path or error.path
                line = line or error.line
            if isinstance(progress, (int, float)):
                self._context.progress(int(progress), message)
            elif record.levelno >= logging.ERROR:
                self._context.error(message, path=path, line=line)
            elif record.levelno >= logging.WARNING:
                self._context.warning(message, path=path, line=line)
            elif record.levelno >= logging.INFO:
                self._context.write_line(message)
            else:
                self._context.debug(message)
        except Exception:  # logging must never take the task down
            self.handleError(record)


def _apiops_error_of(record: logging.LogRecord) -> Any:
    """The ApiOpsError a record is about (a logging argument or the exception), if any."""
    candidates = list(record.args) if isinstance(record.args, tuple) else []
    if record.exc_info and record.exc_info[1] is not None:
        candidates.append(record.exc_info[1])
    for candidate in candidates:
        if isinstance(candidate, BaseException) and hasattr(candidate, "message") and hasattr(candidate, "path"):
            return candidate
    return None


def run_task(
    body: Callable[[TaskContext], str | None],
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Run one task body under the agent contract and return the process exit code (always 0).

    The body returns the result (``Succeeded`` or ``SucceededWithIssues``; None means
    Succeeded; Succeeded becomes SucceededWithIssues when a warning was reported) or raises: ``ApiOpsError`` and :class:`TaskFailed` fail the task with their
    message (and file/line for the issue), anything else fails it as an internal error with
    the traceback as debug output.
    """
    context = TaskContext(environ=dict(os.environ if environ is None else environ), out=out or sys.stdout)
    context.register_known_secrets()
    stream = AgentStream(context)
    level = logging.DEBUG if _debug_enabled(context) else logging.INFO
    # Libraries (the Azure SDK logs every HTTP request at INFO) reach the log only with warnings.
    handler = AgentLogHandler(context, logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    # The CLI installs its stderr handler on the "apiops" logger unless one marked _apiops_cli
    # is there: ours takes that place, so engine warnings and errors become issues.
    apiops_logger = logging.getLogger("apiops")
    apiops_state = (apiops_logger.level, apiops_logger.propagate)
    apiops_handler = AgentLogHandler(context, level)
    apiops_handler._apiops_cli = True  # type: ignore[attr-defined]
    apiops_logger.addHandler(apiops_handler)
    apiops_logger.setLevel(level)
    apiops_logger.propagate = False
    old_stdout, old_stderr = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = stream
    try:
        result = body(context) or "Succeeded"
        stream.close_pending()
        if result == "Succeeded" and context.warnings_reported:
            result = "SucceededWithIssues"  # the run shows "succeeded with issues", pointing at them
        context.complete(result)
    except BaseException as exc:  # noqa: BLE001 - every outcome must end in task.complete
        stream.close_pending()
        _report_failure(context, exc)
        if isinstance(exc, KeyboardInterrupt):
            context.complete("Failed", "Cancelled")
    finally:
        sys.stdout, sys.stderr = old_stdout, old_stderr
        root.removeHandler(handler)
        apiops_logger.removeHandler(apiops_handler)
        apiops_logger.setLevel(apiops_state[0])
        apiops_logger.propagate = apiops_state[1]
        context.complete("Failed", "The task ended without reporting a result")
    return 0


def _debug_enabled(context: TaskContext) -> bool:
    return (context.environ.get("SYSTEM_DEBUG") or "").lower() == "true"


def _report_failure(context: TaskContext, exc: BaseException) -> None:
    from apiops_core.errors import ApiOpsError  # stdlib-only module; imported late to keep the layers

    if isinstance(exc, ApiOpsError):
        context.error(exc.message, path=exc.path, line=exc.line)
        context.complete("Failed", str(exc))
    elif isinstance(exc, TaskFailed):
        if not context.errors_reported:
            context.error(str(exc))
        context.complete("Failed", str(exc))
    elif isinstance(exc, SystemExit) and exc.code in (0, None):
        context.complete("Succeeded")
    elif isinstance(exc, KeyboardInterrupt):
        context.error("The task was cancelled")
    else:
        context.debug("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        message = f"Internal error in apiops ({type(exc).__name__}: {exc}). Run with System.Debug=true for the traceback."
        context.error(message)
        context.complete("Failed", message)
