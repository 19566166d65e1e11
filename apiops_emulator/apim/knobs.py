"""Test knobs: request statistics, seeded fault injection and ARM-like throttling.

Why here and not in handlers: a fault or a 429 must be decided *before* a request touches the
store (a failed write must never be applied), so the ARM app consults these before dispatch.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import error_body
from ..http import Response

METHODS = ("GET", "HEAD", "PUT", "PATCH", "POST", "DELETE")


class Stats:
    """Counters of API requests (internal ``/_emulator`` endpoints and export downloads excluded)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._requests = {method: 0 for method in METHODS}
            self._throttled = 0
            self._faults = 0

    def count_request(self, method: str) -> None:
        with self._lock:
            self._requests[method] = self._requests.get(method, 0) + 1

    def count_throttled(self) -> None:
        with self._lock:
            self._throttled += 1

    def count_fault(self) -> None:
        with self._lock:
            self._faults += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": dict(self._requests), "throttled": self._throttled, "faults": self._faults}


class FaultInjector:
    """Answers a reproducible share of requests with 429, 500, 503 or a dropped connection.

    The n-th API request gets the same verdict for the same seed regardless of timing, because
    one seeded RNG is drawn from under a lock exactly twice per request.
    """

    KINDS = ("429", "500", "503", "drop")

    def __init__(self, rate: float, seed: int | None) -> None:
        self.rate = max(0.0, min(1.0, rate))
        self._random = random.Random(seed if seed is not None else 0)
        self._lock = threading.Lock()

    def draw(self) -> str | None:
        if self.rate <= 0:
            return None
        with self._lock:
            roll, choice = self._random.random(), self._random.randrange(len(self.KINDS))
        return self.KINDS[choice] if roll < self.rate else None

    @staticmethod
    def response(kind: str) -> Response:
        if kind == "drop":
            return Response(0, drop=True)
        if kind == "429":
            return Response.json_body(429, error_body("TooManyRequests", "Injected fault: too many requests."),
                                      {"Retry-After": "1"})
        status = int(kind)
        code = "InternalServerError" if status == 500 else "ServiceUnavailable"
        return Response.json_body(status, error_body(code, f"Injected fault: {code}."), {"Retry-After": "1"})


@dataclass
class _Bucket:
    capacity: float
    refill_per_second: float
    tokens: float
    stamp: float = field(default_factory=time.monotonic)

    def take(self, now: float) -> float:
        """Take one token; return 0 on success or the seconds until one is available."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.refill_per_second)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.refill_per_second


class Throttle:
    """ARM's regional token buckets per caller (bearer token) and operation type.

    As documented for ARM since 2024: reads 250 tokens / +25 per s, writes 200 / +10 per s,
    deletes 200 / +10 per s, each its own bucket. A request takes one token; an empty bucket
    answers 429 with ``Retry-After`` (whole seconds until a token is back). Every answer carries
    ``x-ms-ratelimit-remaining-subscription-<reads|writes|deletes>``: the tokens left.
    """

    READS = (250.0, 25.0)
    WRITES = (200.0, 10.0)
    DELETES = (200.0, 10.0)

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()
        self.refused = {"reads": 0, "writes": 0, "deletes": 0}  # 429s per bucket (benchmarks)

    @staticmethod
    def kind(method: str) -> str:
        if method in ("GET", "HEAD"):
            return "reads"
        return "deletes" if method == "DELETE" else "writes"

    def check(self, caller: str, method: str) -> tuple[Response | None, dict[str, str]]:
        """(a 429 to send instead, or None; the rate-limit headers for the answer)."""
        if not self.enabled:
            return None, {}
        kind = self.kind(method)
        capacity, refill = {"reads": self.READS, "writes": self.WRITES, "deletes": self.DELETES}[kind]
        with self._lock:
            bucket = self._buckets.get((caller, kind))
            if bucket is None:
                bucket = self._buckets[(caller, kind)] = _Bucket(capacity, refill, capacity)
            wait = bucket.take(time.monotonic())
            remaining = max(0, int(bucket.tokens))
        headers = {f"x-ms-ratelimit-remaining-subscription-{kind}": str(remaining)}
        if wait <= 0:
            return None, headers
        with self._lock:
            self.refused[kind] += 1
        retry_after = max(1, int(wait + 0.999))
        return Response.json_body(429, error_body("TooManyRequests", f"Too many {kind[:-1]} requests; retry later."),
                                  {"Retry-After": str(retry_after), **headers}), headers
