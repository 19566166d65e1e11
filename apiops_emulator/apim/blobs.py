"""In-memory documents served unauthenticated under ``/_emulator/blobs/<token>``.

Why: the real service answers an export with a short-lived SAS blob link that clients download
without the ARM token; ``*-link`` imports and policy ``xml-link`` formats download a URL. The
emulator keeps such documents in memory and serves them itself (it never fetches the internet).
"""
from __future__ import annotations

import ipaddress
import secrets
import threading
import urllib.error
import urllib.request
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


_MAX_DOCUMENT = 16 * 1024 * 1024


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def fetch_loopback(url: str, own_hosts: set[str], timeout: float = 10.0) -> str | None:
    """GET ``url`` if it is http(s) on a loopback host other than the emulator itself (which would
    deadlock on its own store lock); None when the URL is not allowed or cannot be read. No proxy
    is used: a loopback address must never leave the machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not _is_loopback(parts.hostname):
        return None
    if parts.netloc.lower() in own_hosts:
        return None
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:     # noqa: S310 - loopback only, checked above
            data = response.read(_MAX_DOCUMENT + 1)
            charset = response.headers.get_content_charset() or "utf-8"
    except (urllib.error.URLError, OSError, ValueError):
        return None
    if len(data) > _MAX_DOCUMENT:
        return None
    return data.decode(charset, errors="replace")
