"""HTTPS server on loopback dispatching to mounted apps.

Why stdlib ``ThreadingHTTPServer``: no extra dependency, one thread per keep-alive connection is
plenty for a test double, and TLS handshakes run in the connection's thread (not in ``accept``),
so one slow client cannot stall the others. Responses are written in a single ``send`` to avoid
Nagle/delayed-ACK stalls on keep-alive connections.
"""
from __future__ import annotations

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Sequence

from .errors import error_body
from ..http import App, Request, Response

_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
            404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 412: "Precondition Failed",
            429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}
_MAX_BODY = 64 * 1024 * 1024


def _tcp_address(address: Any) -> tuple[str, int]:
    """(host, port) of a TCP server's address (IPv6 adds flow info and scope, dropped here)."""
    return str(address[0]), int(address[1])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "Server"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence access logs
        return

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ssl.SSLError, ConnectionError, TimeoutError):
            self.close_connection = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        host = self.headers.get("Host") or "%s:%s" % _tcp_address(self.server.server_address)
        request = Request(self.command, path, query, {k.lower(): v for k, v in self.headers.items()}, body,
                          f"https://{host}")
        response = self.server.dispatch(request)
        if response.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        headers = dict(response.headers)
        if "Content-Length" not in headers:
            headers["Content-Length"] = str(len(response.body))
        lines = [f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Status')}"]
        lines += [f"{key}: {value}" for key, value in headers.items()]
        if self.close_connection:
            lines.append("Connection: close")
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.command != "HEAD":
            payload += response.body
        self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class Server(ThreadingHTTPServer):
    """TLS server; ``apps`` are tried in order, the first whose ``matches`` is true handles."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, cert_chain: str, private_key: str, apps: Sequence[App]) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.apps: list[App] = list(apps)
        self._apps_lock = threading.Lock()
        super().__init__((host, port), _Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_chain, private_key)
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def mount(self, app: App, first: bool = True) -> None:
        """Add an app (by default ahead of the existing ones, so a path prefix can be claimed)."""
        with self._apps_lock:
            self.apps.insert(0 if first else len(self.apps), app)

    def dispatch(self, request: Request) -> Response:
        for app in self.apps:
            if app.matches(request.path):
                try:
                    return app.handle(request)
                except Exception as error:  # a bug must not kill the connection thread silently
                    return Response.json_body(500, error_body("InternalServerError", f"{type(error).__name__}: {error}"))
        return Response.json_body(404, error_body("NotFound", f"No app serves '{request.path}'."))

    @property
    def port(self) -> int:
        return self.server_address[1]
