"""The generated model data covers the kind table, and the quick path agrees with jsonschema."""

from __future__ import annotations

import pytest

from apiops_core.info_schema import _data, _validator, check_information, known_kinds
from apiops_core.kinds import KINDS

#: kinds with an information file but no 2024-05-01 model of their own in the SDK data
WITHOUT_MODEL = {"gateway-api"}


def test_every_kind_with_an_information_file_has_a_model() -> None:
    names = {row.name for row in KINDS}
    assert known_kinds() <= names
    missing = {row.name for row in KINDS if row.info_path} - known_kinds() - WITHOUT_MODEL
    assert not missing, f"add these kinds to scripts/gen_model_schemas.py KIND_MODELS: {sorted(missing)}"


BODIES = [
    {"properties": {"displayName": "a", "path": "a", "protocols": ["https"], "subscriptionRequired": True}},
    {"properties": {"displayName": "a", "subscriptionKeyParameterNames": {"header": "h", "query": 1}}},
    {"properties": {"displayName": "a", "contact": {"name": "n", "emial": "e"}}},
    {"properties": {"displayName": "a", "apiRevision": 5.0}},
    {"properties": {"displayName": "a", "isCurrent": 1}},
    {"properties": {"displayName": "a", "protocols": "https"}},
    {"properties": {"displayName": None}},
    {"name": "x", "id": "/apis/x"},
    {"properties": []},
]


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_quick_path_never_hides_what_jsonschema_finds(body: dict) -> None:
    errors, warnings = check_information("api", body, "{}", "apiInformation.json")
    stripped = {k: v for k, v in body.items()}
    if isinstance(stripped.get("properties"), dict):
        stripped["properties"] = {k: v for k, v in stripped["properties"].items() if v is not None}
    found = list(_validator("api").iter_errors(stripped))
    assert bool(found) == bool(errors or warnings), (found, errors, warnings)


def test_model_data_is_small_and_typed() -> None:
    data = _data()
    assert data["apiVersion"] == "2024-05-01"
    assert data["kinds"]["backend"]["credentials"] == "BackendCredentialsContract"
    assert data["models"]["BackendCredentialsContract"]["header"] == "{[string]}"
    assert data["kinds"]["product"]["subscriptionsLimit"] == "integer"
