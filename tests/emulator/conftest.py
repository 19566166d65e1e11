"""Shared fixtures: one emulator per test module, an SDK client bound to it, and stand-ins for
the separately written definition importer/exporter (so these tests do not depend on them)."""
from __future__ import annotations

import json
import time
import types
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest
import requests
from azure.core.credentials import AccessToken
from azure.mgmt.apimanagement import ApiManagementClient

from apiops_emulator.apim import Emulator, plugins


class StaticToken:
    """A TokenCredential that always returns the same bearer token."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


def make_client(emu: Emulator, **kwargs: Any) -> ApiManagementClient:
    options: dict[str, Any] = {"polling_interval": 0.01, "retry_backoff_factor": 0.01}
    options.update(kwargs)
    return ApiManagementClient(credential=StaticToken(emu.token), subscription_id=emu.subscription_id,
                               base_url=emu.url, connection_verify=emu.ca_bundle, **options)


def session(emu: Emulator) -> requests.Session:
    """A requests session trusting the emulator CA (trust_env off: REQUESTS_CA_BUNDLE would win)."""
    s = requests.Session()
    s.trust_env = False
    s.verify = emu.ca_bundle
    s.headers["Authorization"] = f"Bearer {emu.token}"
    return s


# --- stand-ins for spec_import / spec_export -------------------------------------------------------

class StandInDefinitionError(ValueError):
    pass


@dataclass
class StandInImportedApi:
    properties: dict
    operations: list = field(default_factory=list)
    schemas: list = field(default_factory=list)


def _stand_in_import(fmt: str, value: str, *, api_name: str, wsdl_selector: dict | None = None) -> StandInImportedApi:
    """Understands only OpenAPI 3 JSON: title -> displayName, paths -> operations."""
    try:
        document = json.loads(value)
    except ValueError as error:
        raise StandInDefinitionError(f"not JSON: {error}") from None
    if "openapi" not in document:
        raise StandInDefinitionError("missing 'openapi' field")
    operations = []
    for path, methods in document.get("paths", {}).items():
        for method, op in methods.items():
            operations.append({"name": op.get("operationId", f"{method}{path}".replace("/", "-")),
                               "properties": {"displayName": op.get("summary", op.get("operationId", path)),
                                              "method": method.upper(), "urlTemplate": path,
                                              "templateParameters": [], "responses": []}})
    return StandInImportedApi({"displayName": document.get("info", {}).get("title", api_name),
                               "description": document.get("info", {}).get("description", "")}, operations, [])


def _stand_in_export(fmt: str, api: dict, operations: list, schemas: list, *, server_url: str) -> tuple[str, str]:
    document = {"openapi": "3.0.1", "info": {"title": api["properties"].get("displayName")},
                "servers": [{"url": server_url}],
                "paths": {op["properties"]["urlTemplate"]: {op["properties"]["method"].lower(): {"operationId": op["name"]}}
                          for op in operations}}
    return json.dumps(document), "application/json"


@pytest.fixture(scope="module")
def stand_in_plugins() -> Iterator[None]:
    """Route the emulator's importer/exporter to the stand-ins above for one module."""
    importer = types.SimpleNamespace(import_definition=_stand_in_import, DefinitionError=StandInDefinitionError)
    exporter = types.SimpleNamespace(export_definition=_stand_in_export)
    patcher = pytest.MonkeyPatch()
    patcher.setattr(plugins, "spec_import", lambda: importer)
    patcher.setattr(plugins, "spec_export", lambda: exporter)
    yield
    patcher.undo()


@pytest.fixture(scope="module")
def emu(stand_in_plugins: None) -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def client(emu: Emulator) -> ApiManagementClient:
    return make_client(emu)


@pytest.fixture(scope="module")
def ids(emu: Emulator) -> tuple[str, str]:
    return emu.resource_group, emu.service_name
