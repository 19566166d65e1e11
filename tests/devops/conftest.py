"""Shared fixtures: isolate the azure-devops client's process-wide caches so every test sees
the same discovery calls (the client caches route data per URL in memory and on disk)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_devops_client_caches(tmp_path, monkeypatch):
    from azure.devops import _file_cache
    from azure.devops.client import Client

    monkeypatch.setattr(Client, "_locations_cache", {})
    for cache in (_file_cache.OPTIONS_CACHE, _file_cache.RESOURCE_CACHE):
        monkeypatch.setattr(cache, "file_name", str(tmp_path / (cache.file_name.rsplit("/", 1)[-1])))
        monkeypatch.setattr(cache, "data", {})
        monkeypatch.setattr(cache, "initial_load_occurred", True)
    yield
