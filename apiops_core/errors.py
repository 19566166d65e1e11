"""Errors a user can cause, as one small tree.

The CLI and the pipeline tasks catch only ``ApiOpsError`` and print its message without a
traceback; anything else is a bug in apiops. Every error names what to look at: the file and
line for artifact and configuration problems, the resource id and HTTP status for ARM failures.

    ApiOpsError
    ├── ArtifactError        a file of the artifacts tree is missing, unreadable or malformed
    ├── ConfigError          extractor configuration, overrides, CLI or task inputs
    ├── ReferenceError_      a reference inside the tree points at nothing (lint / plan pre-flight)
    ├── ArmError             the management API refused or failed a request (status, code, resource_id)
    │   └── PreconditionFailed   an ETag no longer matches (412), or a saved plan has drifted
    ├── GuardError           a safety guard stopped the run before any change (e.g. --max-deletions)
    └── DevOpsError          Azure Repos refused a push / pull-request call (with what to do)
"""

from __future__ import annotations

__all__ = [
    "ApiOpsError",
    "ArtifactError",
    "ConfigError",
    "ReferenceError_",
    "ArmError",
    "PreconditionFailed",
    "GuardError",
    "DevOpsError",
]


class ApiOpsError(Exception):
    """Base of every error the user can cause or fix.

    ``path`` and ``line`` (1-based) point at the file that is at fault, when there is one, so
    the CLI can print ``file:line: message`` and the pipeline task can attach ``sourcepath`` and
    ``linenumber`` to its ``##vso[task.logissue]``.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{where}{self.message}"


class ArtifactError(ApiOpsError):
    """A file of the artifacts tree is missing, unreadable, malformed or badly named."""


class ConfigError(ApiOpsError):
    """A configuration file, an override file, a CLI option or a task input is wrong."""


class ReferenceError_(ApiOpsError):
    """Something in the tree refers to a resource that does not exist (trailing _ avoids the builtin)."""


class ArmError(ApiOpsError):
    """The management API answered with an error that retries did not cure."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        resource_id: str | None = None,
        path: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message, path=path, line=line)
        self.status = status
        self.code = code
        self.resource_id = resource_id


class PreconditionFailed(ArmError):
    """An If-Match ETag did not match: the resource changed since it was read or planned."""


class GuardError(ApiOpsError):
    """A safety guard stopped the run before anything was changed."""


class DevOpsError(ApiOpsError):
    """Azure DevOps (Repos, pull requests) refused a call; the message says what permission or setting to fix."""
