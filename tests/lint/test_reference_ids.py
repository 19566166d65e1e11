"""An id-valued reference holding a bare name is refused at read/lint with file:line and the fix,
instead of passing every check and failing at publish with a 400 half way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apiops_core.lint import lint_tree
from apiops_core.references import malformed_ids
from apiops_core.kinds import KIND_BY_NAME


def _write(root: Path, rel: str, body: dict) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2))


@pytest.mark.parametrize(
    ("kind", "body", "fix"),
    [
        ("api", {"properties": {"apiVersionSetId": "6286439d9a310d01468c083c"}}, "/apiVersionSets/6286439d9a310d01468c083c"),
        ("diagnostic", {"properties": {"loggerId": "appinsights"}}, "/loggers/appinsights"),
        ("backend", {"properties": {"pool": {"services": [{"id": "/backends/a"}, {"id": "b"}]}}}, "/backends/b"),
        ("backend", {"properties": {"credentials": {"certificateIds": ["my-cert"]}}}, "/certificates/my-cert"),
        ("subscription", {"properties": {"scope": "starter"}}, "/products/starter or /apis/starter"),
    ],
)
def test_a_bare_name_in_an_id_field_is_named_with_its_fix(kind: str, body: dict, fix: str) -> None:
    found = malformed_ids(KIND_BY_NAME[kind], body)
    assert len(found) == 1
    assert fix in found[0][1] and "400" in found[0][1]


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("api", {"properties": {"apiVersionSetId": "/apiVersionSets/v"}}),
        ("api", {"properties": {"apiVersionSetId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/x/apiVersionSets/v"}}),
        ("subscription", {"properties": {"scope": "/apis"}}),
        ("subscription", {"properties": {"scope": "/products/starter"}}),
        ("diagnostic", {"properties": {"loggerId": "{#LOGGER_ID#}"}}),
    ],
)
def test_ids_and_placeholders_pass(kind: str, body: dict) -> None:
    assert malformed_ids(KIND_BY_NAME[kind], body) == []


def test_lint_reports_the_file_and_line(tmp_path: Path) -> None:
    _write(tmp_path, "version sets/v/versionSetInformation.json",
           {"properties": {"displayName": "v", "versioningScheme": "Segment"}})
    _write(tmp_path, "apis/orders/apiInformation.json", {"properties": {
        "displayName": "Orders", "path": "orders", "protocols": ["https"],
        "apiVersionSetId": "6286439d9a310d01468c083c"}})
    report = lint_tree(tmp_path)
    errors = [f for f in report.errors if "apiVersionSetId" in f.message]
    assert len(errors) == 1
    error = errors[0]
    assert error.path.endswith("apis/orders/apiInformation.json") and error.line == 8
    assert "write /apiVersionSets/6286439d9a310d01468c083c" in error.message
