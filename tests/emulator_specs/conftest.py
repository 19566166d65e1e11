"""Fixtures for the spec import/export tests: small documents written for these tests (fixtures/)."""
from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def _read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture
def openapi_yaml() -> str:
    return _read("conference.yaml")


@pytest.fixture
def swagger_json() -> str:
    return _read("inventory.json")


@pytest.fixture
def graphql_sdl() -> str:
    return _read("books.graphql")


@pytest.fixture
def wsdl_text() -> str:
    return _read("calculator.wsdl")


@pytest.fixture
def wadl_text() -> str:
    return _read("library.wadl")
