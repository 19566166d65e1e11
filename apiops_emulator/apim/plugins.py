"""The seam between the generic API behaviour and the definition importer/exporter and seeds.

``apis.py`` and ``emulator.py`` reach ``spec_import``, ``spec_export`` and ``seed`` through these
functions rather than by name, so a test can substitute a stand-in for one of them (see
``tests/emulator/conftest.py``) without patching every caller.
"""
from __future__ import annotations

from types import ModuleType

from . import seed as _seed
from . import spec_export as _spec_export
from . import spec_import as _spec_import


def spec_import() -> ModuleType:
    return _spec_import


def spec_export() -> ModuleType:
    return _spec_export


def seed() -> ModuleType:
    return _seed
