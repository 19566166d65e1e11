"""Fixtures: fresh trees in tmp_path (data in artifact_trees.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping

import pytest

from artifact_trees import V7_TREE, write_files

@pytest.fixture
def make_tree(tmp_path: Path) -> Callable[..., Path]:
    """Write a dict of files into a fresh folder and return it."""
    counter = iter(range(1000))

    def make(files: Mapping[str, bytes], name: str | None = None) -> Path:
        root = tmp_path / (name or f"tree{next(counter)}")
        root.mkdir(parents=True)
        return write_files(root, files)

    return make


@pytest.fixture
def v7_tree(make_tree: Callable[..., Path]) -> Path:
    return make_tree(V7_TREE, "v7")
