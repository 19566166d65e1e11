"""``/_emulator/...``: statistics, blob downloads (export links) and LRO completion URLs.
These are not API requests: they are neither authenticated nor counted."""
from __future__ import annotations

from .blobs import PREFIX as BLOB_PREFIX, BlobStore
from .errors import error_body
from ..http import Request, Response
from .knobs import Stats


class InternalApp:
    def __init__(self, stats: Stats, blobs: BlobStore) -> None:
        self.stats = stats
        self.blobs = blobs

    def matches(self, path: str) -> bool:
        return path.startswith("/_emulator/")

    def handle(self, request: Request) -> Response:
        path = request.path
        if path == "/_emulator/stats" and request.method == "GET":
            return Response.json_body(200, self.stats.snapshot())
        if path == "/_emulator/reset-stats" and request.method == "POST":
            self.stats.reset()
            return Response.empty(204)
        if path == "/_emulator/health":
            return Response.json_body(200, {"status": "ok"})
        if path.startswith("/_emulator/operations/") and request.method == "GET":
            return Response.empty(204)
        if path.startswith(BLOB_PREFIX) and request.method in ("GET", "HEAD"):
            document = self.blobs.get(path[len(BLOB_PREFIX):])
            if document is None:
                return Response.json_body(404, error_body("BlobNotFound", "The specified blob does not exist."))
            text, content_type = document
            body = text.encode("utf-8")
            return Response(200, b"" if request.method == "HEAD" else body,
                            {"Content-Type": content_type, "Content-Length": str(len(body))})
        return Response.json_body(404, error_body("NotFound", f"No emulator endpoint '{path}'."))
