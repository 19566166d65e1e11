"""ARM error bodies. Handlers raise :class:`ArmError`; the ARM app turns it into a response, so
every error the emulator returns has the ``{"error": {"code", "message", "details"}}`` shape the
SDK's ``ARMErrorFormat`` parses."""
from __future__ import annotations

from typing import Any

from ..http import Response


class ArmError(Exception):
    """An ARM error response to send back (status + code + message + optional details)."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}

    def to_response(self) -> Response:
        return Response.json_body(self.status, error_body(self.code, self.message, self.details), self.headers)


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def not_found(what: str) -> ArmError:
    return ArmError(404, "ResourceNotFound", f"{what} not found.")


def validation_error(target: str, message: str) -> ArmError:
    """APIM's 400 for bad bodies: a generic message with one detail per offending field."""
    return ArmError(400, "ValidationError", "One or more fields contain incorrect values:",
                    [{"code": "ValidationError", "target": target, "message": message}])


def bad_request(message: str, code: str = "ValidationError") -> ArmError:
    return ArmError(400, code, message)
