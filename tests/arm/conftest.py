"""Fixtures: an ArmClient over the fake transport of ``armfakes`` (no sockets)."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from apiops_core.arm import ArmClient
from armfakes import ENDPOINT, FakeCredential, FakeTransport, Handler


class Sleeps(list):
    """A fake sleep that records the waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(sleeps: Sleeps) -> Callable[..., tuple[ArmClient, FakeTransport]]:
    def build(handler: Handler, **kwargs: Any) -> tuple[ArmClient, FakeTransport]:
        delay = kwargs.pop("delay", 0.0)
        transport = FakeTransport(handler, delay=delay)
        kwargs.setdefault("sleep", sleeps)
        client = ArmClient(ENDPOINT, FakeCredential(), "sub", "rg", "svc", transport=transport, **kwargs)
        return client, transport

    return build
