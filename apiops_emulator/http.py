"""Tiny HTTP request/response types and the app interface the server dispatches to.

Why our own types: the server (stdlib ``http.server``) and the apps mounted on it (the ARM
emulator, the internal ``/_emulator`` endpoints, later an Azure DevOps emulator) must not depend
on each other. An app only sees a :class:`Request` and returns a :class:`Response`; the server
only knows the :class:`App` protocol. To add an app, implement ``matches`` and ``handle`` and
pass it to ``Server(apps=[...])`` (or ``Emulator.mount``) ahead of the ARM app.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs


@dataclass
class Request:
    """One HTTP request as apps see it.

    ``path`` is the raw (still percent-encoded) path without the query string; ``headers`` keys
    are lower-case; ``base_url`` is ``scheme://host[:port]`` as the client addressed us (used to
    build absolute links such as ``nextLink``).
    """

    method: str
    path: str
    query_string: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    base_url: str = ""

    @property
    def query(self) -> dict[str, str]:
        """First value of every query parameter (keys keep their case, e.g. ``$filter``)."""
        return {key: values[0] for key, values in parse_qs(self.query_string, keep_blank_values=True).items()}

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        """Body parsed as JSON, ``None`` when empty. Raises ``ValueError`` on malformed JSON."""
        if not self.body.strip():
            return None
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Response:
    """One HTTP response. ``drop=True`` makes the server close the connection without answering
    (used by fault injection to simulate a network failure)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @classmethod
    def json_body(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> "Response":
        merged = {"Content-Type": "application/json; charset=utf-8"}
        merged.update(headers or {})
        return cls(status, json.dumps(payload).encode("utf-8"), merged)

    @classmethod
    def empty(cls, status: int, headers: dict[str, str] | None = None) -> "Response":
        return cls(status, b"", dict(headers or {}))


class App(Protocol):
    """A mountable application: the server hands a request to the first app whose ``matches``
    returns True for the request path."""

    def matches(self, path: str) -> bool: ...

    def handle(self, request: Request) -> Response: ...
