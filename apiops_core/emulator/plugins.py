"""Late-bound access to the definition importer/exporter written separately (spec_import.py,
spec_export.py). Imported on first use so the emulator still starts (and answers 400 for
imports/exports) when they are absent; tests may substitute them."""
from __future__ import annotations

import importlib
from types import ModuleType


def _load(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"apiops_core.emulator.{name}")
    except ImportError:
        return None


def spec_import() -> ModuleType | None:
    return _load("spec_import")


def spec_export() -> ModuleType | None:
    return _load("spec_export")


def seed() -> ModuleType | None:
    return _load("seed")
