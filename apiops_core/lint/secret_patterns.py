"""Recognise credentials written in plain text, and mask them before they reach any report.

A secret that sits in Git is leaked whatever happens next; the lint report itself must not leak
it a second time (reports end up in pipeline logs, SARIF uploads and PR comments), so every
match is masked to its first four characters and its length.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterator

__all__ = ["SecretMatch", "find_secrets", "mask", "looks_random", "SECRET_NAME"]

#: (label, pattern); group "secret" (when present) is the part to mask and measure
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("JSON web token", re.compile(r"(?P<secret>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})")),
    ("storage account key", re.compile(r"AccountKey=(?P<secret>[A-Za-z0-9+/]{20,}={0,2})")),
    ("shared access key", re.compile(r"SharedAccessKey=(?P<secret>[A-Za-z0-9+/]{20,}={0,2})")),
    ("SAS signature", re.compile(r"[?&;]sig=(?P<secret>[A-Za-z0-9%+/]{20,}(?:=|%3D){0,2})")),
    ("bearer token", re.compile(r"\b[Bb]earer\s+(?P<secret>[A-Za-z0-9\-._~+/]{20,}=*)")),
    ("private key", re.compile(r"(?P<secret>-----BEGIN (?:RSA |EC |OPENSSH |ENCRYPTED )?PRIVATE KEY-----)")),
    ("AWS access key", re.compile(r"\b(?P<secret>AKIA[0-9A-Z]{16})\b")),
    ("function key", re.compile(r"[?&]code=(?P<secret>[A-Za-z0-9_\-]{30,}={0,2})")),
    ("connection string password", re.compile(r"(?i)\b(?:password|pwd)\s*=\s*(?P<secret>[^;{}@\s\"'<>]{6,})")),
)

#: names that say "this value is a credential"
SECRET_NAME = re.compile(r"(?i)(secret|passw(or)?d|pwd|token|api[-_]?key|subscription[-_]?key|access[-_]?key|"
                         r"client[-_]?secret|connection[-_]?string|\bkey$|-key\b|_key\b|functions?-key|sas)")


@dataclass(frozen=True)
class SecretMatch:
    label: str
    start: int
    end: int
    masked: str


def mask(value: str) -> str:
    """``abcd…(40 chars)``: enough to find it, not enough to use it."""
    shown = value[:4] if len(value) > 8 else value[:1]
    return f"{shown}…({len(value)} chars)"


def looks_random(value: str) -> bool:
    """A literal that reads like generated key material (long, mixed, high entropy, no spaces)."""
    if len(value) < 16 or any(c.isspace() for c in value):
        return False
    if value.startswith(("@", "{{", "http://", "https://")) or "{{" in value:
        return False
    classes = sum(
        (any(c.islower() for c in value), any(c.isupper() for c in value), any(c.isdigit() for c in value))
    )
    if classes < 2:
        return False
    counts = {c: value.count(c) for c in set(value)}
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return entropy >= 3.5


def find_secrets(text: str) -> Iterator[SecretMatch]:
    """Every credential-looking literal in ``text`` (named-value placeholders are never secrets)."""
    taken: list[tuple[int, int]] = []
    for label, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span("secret")
            value = match.group("secret")
            if "{{" in value or value.startswith("@"):
                continue
            if any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            yield SecretMatch(label, start, end, mask(value))
