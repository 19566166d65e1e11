"""The package's public surface: every exported name resolves, and the version matches pyproject."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import apiops_core


@pytest.mark.parametrize("name", [n for n in apiops_core.__all__ if n != "__version__"])
def test_every_exported_name_resolves(name: str) -> None:
    assert getattr(apiops_core, name) is not None


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError):
        apiops_core.no_such_thing  # noqa: B018


def test_version_is_the_one_in_pyproject() -> None:
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^version = "([^"]+)"', text, re.M).group(1) == apiops_core.__version__
