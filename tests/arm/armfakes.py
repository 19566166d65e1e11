"""A fake azure-core transport built from a function, so ArmClient is tested without sockets."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest._requests_basic import RestRequestsTransportResponse
from requests.structures import CaseInsensitiveDict


ENDPOINT = "https://arm.test"
SERVICE = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc"


class FakeCredential:
    """A token credential that never expires (auth.py is someone else's module)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("test-token", int(time.time()) + 3600)


@dataclass
class Seen:
    """One request as the fake transport received it."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def raw_path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query)

    @property
    def relative(self) -> str:
        """Decoded service-relative path."""
        path = self.path
        if path.startswith(SERVICE):
            path = path[len(SERVICE):].lstrip("/")
        return "/".join(unquote(p) for p in path.split("/"))


Handler = Callable[[Seen], "tuple[int, dict[str, str], Any] | Exception"]


class FakeTransport(HttpTransport):
    """Answers each request with ``handler(seen) -> (status, headers, body)`` or raises what it returns."""

    def __init__(self, handler: Handler, delay: float = 0.0) -> None:
        self.handler = handler
        self.delay = delay
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> "FakeTransport":
        return self

    def __exit__(self, *args: Any) -> None:
        pass

    def send(self, request: Any, **kwargs: Any) -> Any:
        content = request.content if hasattr(request, "content") else request.data
        body = json.loads(content) if content else None
        seen = Seen(request.method, request.url, dict(request.headers), body)
        with self.lock:
            self.seen.append(seen)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            result = self.handler(seen)
        finally:
            with self.lock:
                self.in_flight -= 1
        if isinstance(result, Exception):
            raise result
        status, headers, payload = result
        return make_response(request, status, headers, payload)


def make_response(request: Any, status: int, headers: dict[str, str], payload: Any) -> Any:
    raw = requests.Response()
    raw.status_code = status
    raw.reason = "OK" if status < 400 else "Error"
    raw.url = request.url
    data = b"" if payload is None else payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
    all_headers = {"Content-Type": "application/json" if not isinstance(payload, str) else "text/plain", **headers}
    raw.headers = CaseInsensitiveDict(all_headers)
    raw._content = data
    raw._content_consumed = True
    response = RestRequestsTransportResponse(request=request, internal_response=raw)
    response._content = data
    return response


