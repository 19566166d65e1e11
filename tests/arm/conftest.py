"""Fixtures: an ArmClient over the fake transport of ``armfakes`` (no sockets)."""

from __future__ import annotations

import threading
from typing import Any, Callable

import pytest

from apiops_core.arm import ArmClient
from armfakes import ENDPOINT, FakeCredential, FakeTransport, Handler


class Sleeps(list):
    """A fake sleep that records the waits instead of sleeping, and the fake clock it advances
    (so the client's shared 429 pause ends when the sleepers have waited it out)."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.append(seconds)
            self.now += seconds

    def clock(self) -> float:
        with self._lock:
            return self.now


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(sleeps: Sleeps) -> Callable[..., tuple[ArmClient, FakeTransport]]:
    def build(handler: Handler, **kwargs: Any) -> tuple[ArmClient, FakeTransport]:
        delay = kwargs.pop("delay", 0.0)
        transport = FakeTransport(handler, delay=delay)
        kwargs.setdefault("sleep", sleeps)
        kwargs.setdefault("clock", sleeps.clock)
        client = ArmClient(ENDPOINT, FakeCredential(), "sub", "rg", "svc", transport=transport, **kwargs)
        return client, transport

    return build
