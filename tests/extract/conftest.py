"""One seeded emulator per test module, and an ArmClient factory pointed at it."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from apiops_core.arm import ArmClient
from extract_helpers import TokenCredential


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    from apiops_emulator.apim import Emulator

    with Emulator(seed="demo") as emu:
        yield emu


@pytest.fixture
def make_arm(emulator: Any) -> Iterator[Callable[..., ArmClient]]:
    clients: list[ArmClient] = []

    def build(**kwargs: Any) -> ArmClient:
        client = ArmClient(
            emulator.url,
            TokenCredential(emulator.token),
            emulator.subscription_id,
            emulator.resource_group,
            emulator.service_name,
            ca_bundle=emulator.ca_bundle,
            **kwargs,
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()
