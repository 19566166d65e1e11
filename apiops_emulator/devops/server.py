"""A small loopback HTTP(S) server for ``apiops_emulator.http`` apps, used to run the Azure DevOps app alone.

Why a separate server: the APIM emulator's server mounts apps by path prefix; until (and besides)
that, tests and demos need the DevOps app on its own port. It speaks the same ``App`` protocol
(``matches``/``handle``), so the same app object can be mounted in either server unchanged.
"""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Sequence

from ..http import App, Request, Response

__all__ = ["AppServer"]


def _tcp_address(address: Any) -> tuple[str, int]:
    """(host, port) of a TCP server's address (IPv6 adds flow info and scope, dropped here)."""
    return str(address[0]), int(address[1])


def _handler_for(apps: Sequence[App], scheme: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            host = self.headers.get("Host") or "%s:%s" % _tcp_address(self.server.server_address)
            request = Request(self.command, path, query, {k.lower(): v for k, v in self.headers.items()}, body,
                              f"{scheme}://{host}")
            app = next((a for a in apps if a.matches(path)), None)
            response = app.handle(request) if app else Response(404, b"no app mounted here", {"Content-Type": "text/plain"})
            if response.drop:
                self.close_connection = True
                return
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

    return Handler


class AppServer:
    """Serve apps on ``host:port`` (port 0: a free one) in a background thread; a context manager.

    ``certfile``/``keyfile`` switch to HTTPS (e.g. ``apiops_emulator.apim.certs.generate``'s chain and key).
    ``url`` is ``scheme://host:port`` once started.
    """

    def __init__(self, apps: Sequence[App], *, host: str = "127.0.0.1", port: int = 0,
                 certfile: str | None = None, keyfile: str | None = None) -> None:
        self.apps = list(apps)
        self.scheme = "https" if certfile else "http"
        self._server = ThreadingHTTPServer((host, port), _handler_for(self.apps, self.scheme))
        self._server.daemon_threads = True
        if certfile:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certfile, keyfile)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = _tcp_address(self._server.server_address)
        return f"{self.scheme}://{host}:{port}"

    def start(self) -> "AppServer":
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="apiops-devops-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> "AppServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
