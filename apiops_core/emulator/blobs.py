"""In-memory documents served unauthenticated under ``/_emulator/blobs/<token>``.

Why: the real service answers an export with a short-lived SAS blob link that clients download
without the ARM token; ``*-link`` imports and policy ``xml-link`` formats download a URL. The
emulator keeps such documents in memory and serves them itself (it never fetches the internet).
"""
from __future__ import annotations

import secrets
import threading
from urllib.parse import urlsplit

PREFIX = "/_emulator/blobs/"


class BlobStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blobs: dict[str, tuple[str, str]] = {}

    def put(self, text: str, content_type: str, name: str | None = None) -> str:
        """Store a document; returns its token (the last path segment of its URL)."""
        token = name or secrets.token_urlsafe(12)
        with self._lock:
            self._blobs[token] = (text, content_type)
        return token

    def get(self, token: str) -> tuple[str, str] | None:
        with self._lock:
            return self._blobs.get(token)

    def resolve_url(self, url: str, own_hosts: set[str]) -> tuple[str, str] | None:
        """The document behind ``url`` if it points at this emulator's blob endpoint, else None."""
        parts = urlsplit(url)
        if parts.netloc.lower() not in own_hosts or not parts.path.startswith(PREFIX):
            return None
        return self.get(parts.path[len(PREFIX):])
