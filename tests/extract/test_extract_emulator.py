"""End to end: the seeded demo emulator → extract → the v7 tree (and what must never happen)."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ServiceRequestError
from azure.core.pipeline.transport import HttpTransport, RequestsTransport

from apiops_core.arm import ArmClient
from apiops_core.errors import ArmError
from apiops_core.extract import extract
from extract_helpers import TokenCredential

SECRET = "c0nf-demo-key-7f3a"  # the demo seed's secret named value


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def info(root: Path, path: str) -> dict[str, Any]:
    return json.loads((root / path).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory, emulator: Any) -> tuple[Path, Any]:
    """One full extraction shared by the read-only assertions (keeps the module fast)."""

    out = tmp_path_factory.mktemp("first") / "artifacts"
    with ArmClient(
        emulator.url, TokenCredential(emulator.token), emulator.subscription_id, emulator.resource_group,
        emulator.service_name, ca_bundle=emulator.ca_bundle,
    ) as arm:
        result = extract(arm, out)
    return out, result


EXPECTED_FILES = [
    "policy.xml",
    "named values/environment-name/namedValueInformation.json",
    "named values/conference-api-key/namedValueInformation.json",
    "named values/partner-token-kv/namedValueInformation.json",
    "policy fragments/correlation-id/policyFragmentInformation.json",
    "policy fragments/correlation-id/policy.xml",
    "backends/conference-backend/backendInformation.json",
    "backends/inventory-backend/backendInformation.json",
    "loggers/appinsights/loggerInformation.json",
    "diagnostics/applicationinsights/diagnosticInformation.json",
    "tags/public/tagInformation.json",
    "tags/public/apis/conference-api/tagApiInformation.json",
    "tags/public/products/starter/tagProductInformation.json",
    "tags/internal/apis/inventory-api/tagApiInformation.json",
    "tags/beta/apis/books-graphql/tagApiInformation.json",
    "tags/beta/products/unlimited/tagProductInformation.json",
    "groups/partners/groupInformation.json",
    "version sets/orders-versions/versionSetInformation.json",
    "apis/conference-api/apiInformation.json",
    "apis/conference-api/specification.yaml",
    "apis/conference-api/policy.xml",
    "apis/conference-api/operations/get-session/policy.xml",
    "apis/conference-api/operations/create-session/policy.xml",
    "apis/conference-api/diagnostics/applicationinsights/diagnosticInformation.json",
    "apis/inventory-api/apiInformation.json",
    "apis/inventory-api/policy.xml",
    "apis/inventory-api/operations/put-item/policy.xml",
    "apis/orders-v1/apiInformation.json",
    "apis/orders-v2/apiInformation.json",
    "apis/echo-api/apiInformation.json",
    "apis/echo-api;rev=2/apiInformation.json",
    "apis/echo-api;rev=2/specification.yaml",
    "apis/echo-api/releases/initial-release/apiReleaseInformation.json",
    "apis/books-graphql/apiInformation.json",
    "apis/books-graphql/specification.graphql",
    "apis/calculator-soap/apiInformation.json",
    "apis/calculator-soap/specification.wsdl",
    "products/starter/productInformation.json",
    "products/starter/policy.xml",
    "products/starter/apis/conference-api/productApiInformation.json",
    "products/starter/apis/echo-api/productApiInformation.json",
    "products/starter/groups/developers/productGroupInformation.json",
    "products/unlimited/apis/inventory-api/productApiInformation.json",
    "products/unlimited/groups/partners/productGroupInformation.json",
    "products/unlimited/groups/developers/productGroupInformation.json",
    "gateways/onprem-gateway/gatewayInformation.json",
    "gateways/onprem-gateway/apis/conference-api/gatewayApiInformation.json",
    "subscriptions/starter-demo/subscriptionInformation.json",
    "subscriptions/conference-partner/subscriptionInformation.json",
    "schemas/order-schema/schemaInformation.json",
    "workspaces/team-a/named values/team-a-setting/namedValueInformation.json",
    "workspaces/team-a/apis/team-a-echo/apiInformation.json",
    "workspaces/team-a/products/team-a-product/productInformation.json",
]


def test_every_seeded_resource_is_in_the_tree(first):
    out, result = first
    files = set(snapshot(out))
    missing = [p for p in EXPECTED_FILES if p not in files]
    assert missing == []
    # built-ins are never written
    assert not any(p.startswith(("groups/administrators/", "groups/developers/", "subscriptions/master/")) for p in files)
    # operations come from the specification: only their policies and tags are files of their own
    assert not any(
        "/operations/" in p and not p.endswith(("/policy.xml", "/operationTagInformation.json")) for p in files
    )
    # the seeded tags/internal/operationLinks item, as the operation's tag
    assert "apis/conference-api/operations/get-session/tags/internal/operationTagInformation.json" in files
    assert result.resources > 50 and result.arm_calls > 0
    assert result.counts["api"] == 9


def test_properties_are_kept_and_normalised(first):
    out, _ = first
    env = info(out, "named values/environment-name/namedValueInformation.json")["properties"]
    assert env == {"displayName": "environment-name", "value": "demo", "tags": ["env"], "secret": False}
    backend = info(out, "backends/conference-backend/backendInformation.json")["properties"]
    assert backend["url"] == "https://conference.contoso.example/api"
    assert backend["tls"] == {"validateCertificateChain": True, "validateCertificateName": True}
    assert info(out, "diagnostics/applicationinsights/diagnosticInformation.json")["properties"]["loggerId"] == "/loggers/appinsights"
    orders = info(out, "apis/orders-v1/apiInformation.json")["properties"]
    assert orders["apiVersionSetId"] == "/apiVersionSets/orders-versions"
    assert orders["serviceUrl"] == "https://orders.contoso.example/v1"
    assert "provisioningState" not in orders and "isOnline" not in orders
    echo = info(out, "apis/echo-api/apiInformation.json")["properties"]
    assert echo["isCurrent"] is True
    rev2 = info(out, "apis/echo-api;rev=2/apiInformation.json")["properties"]
    assert rev2["apiRevision"] == "2" and rev2.get("isCurrent") is not True
    release = info(out, "apis/echo-api/releases/initial-release/apiReleaseInformation.json")["properties"]
    assert release["apiId"] == "/apis/echo-api;rev=1" and release["notes"] == "Initial release."
    assert info(out, "subscriptions/starter-demo/subscriptionInformation.json")["properties"]["scope"] == "/products/starter"
    link = info(out, "products/unlimited/groups/developers/productGroupInformation.json")
    assert link == {"name": "developers-link", "properties": {"groupId": "/groups/developers"}}
    assert info(out, "products/starter/apis/echo-api/productApiInformation.json") == {}
    assert info(out, "tags/public/apis/conference-api/tagApiInformation.json") == {}
    fragment = info(out, "policy fragments/correlation-id/policyFragmentInformation.json")["properties"]
    assert fragment == {"description": "Adds correlation and environment headers."}
    assert "<fragment" in (out / "policy fragments/correlation-id/policy.xml").read_text()
    assert "<policies" in (out / "apis/conference-api/policy.xml").read_text()
    assert (out / "apis/conference-api/specification.yaml").read_text().startswith(("openapi", "---", "info", "servers", "paths"))
    assert "type Query" in (out / "apis/books-graphql/specification.graphql").read_text() or "type " in (
        out / "apis/books-graphql/specification.graphql"
    ).read_text()
    # no id/name/type envelopes in information files (links excepted)
    api_info = info(out, "apis/conference-api/apiInformation.json")
    assert set(api_info) == {"properties"}


def test_secret_named_value_has_no_value_and_is_never_logged(tmp_path, make_arm, caplog):
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "artifacts"
    extract(make_arm(), out)
    secret = info(out, "named values/conference-api-key/namedValueInformation.json")["properties"]
    assert secret["secret"] is True and "value" not in secret
    for path, data in snapshot(out).items():
        assert SECRET.encode() not in data, path
    ours = [r for r in caplog.records if r.name.startswith(("apiops", "azure"))]
    assert ours, "expected some log records"
    assert all(SECRET not in r.getMessage() for r in ours)


def test_second_extract_is_byte_identical_and_all_unchanged(tmp_path, make_arm):
    out = tmp_path / "artifacts"
    extract(make_arm(), out)
    before = snapshot(out)
    result = extract(make_arm(), out)
    assert snapshot(out) == before
    assert result.written == [] and result.deleted == []
    assert sorted(result.unchanged) == sorted(before)


def test_stale_files_are_deleted_foreign_files_kept(tmp_path, make_arm):
    out = tmp_path / "artifacts"
    extract(make_arm(), out)
    (out / "apis/gone-api").mkdir()
    (out / "apis/gone-api/apiInformation.json").write_text('{"properties": {}}')
    (out / "README.md").write_text("ours")
    result = extract(make_arm(), out)
    assert result.deleted == ["apis/gone-api/apiInformation.json"]
    assert (out / "README.md").read_text() == "ours"


class FailAfter(HttpTransport):
    """A real transport that starts dropping connections after ``limit`` requests."""

    def __init__(self, inner: HttpTransport, limit: int) -> None:
        self.inner = inner
        self.limit = limit
        self.count = 0
        self.lock = threading.Lock()

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> "FailAfter":
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    def send(self, request: Any, **kwargs: Any) -> Any:
        with self.lock:
            self.count += 1
            over = self.count > self.limit
        if over:
            raise ServiceRequestError("injected: connection dropped")
        return self.inner.send(request, **kwargs)


@pytest.mark.slow
def test_failed_extraction_leaves_previous_output_untouched(tmp_path, make_arm, emulator):
    out = tmp_path / "artifacts"
    extract(make_arm(), out)
    (out / "notes.txt").write_text("keep me")
    before = snapshot(out)
    # a change a successful extraction would write
    with make_arm() as arm:
        arm.put("tags/added-later", {"properties": {"displayName": "Added later"}})
    transport = FailAfter(RequestsTransport(connection_verify=emulator.ca_bundle), limit=40)
    failing = make_arm(transport=transport, max_retries=2, sleep=lambda seconds: None)
    with pytest.raises(ArmError, match="connection failed"):
        extract(failing, out)
    assert failing.stats.retries >= 2
    assert snapshot(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name != "artifacts"], "no staging folder left behind"
    with make_arm() as arm:
        arm.delete("tags/added-later")


def test_spec_formats(tmp_path, make_arm):
    out = tmp_path / "json"
    extract(make_arm(), out, spec_format="openapi-v3-json")
    doc = json.loads((out / "apis/conference-api/specification.json").read_text())
    assert str(doc.get("openapi", "")).startswith("3")
    assert (out / "apis/calculator-soap/specification.wsdl").exists()
    out2 = tmp_path / "v2yaml"
    extract(make_arm(), out2, spec_format="openapi-v2-yaml")
    text = (out2 / "apis/conference-api/specification.yaml").read_text()
    assert text.lstrip().startswith("swagger:") or "swagger: '2.0'" in text or 'swagger: "2.0"' in text


def test_filtered_extraction_leaves_other_files_alone(tmp_path, make_arm):
    from apiops_core.config import ExtractorConfig

    out = tmp_path / "artifacts"
    extract(make_arm(), out)
    before = snapshot(out)
    # another team's stale API that a full extraction would delete
    (out / "apis/other-team-api").mkdir()
    (out / "apis/other-team-api/apiInformation.json").write_text('{"properties": {"path": "x"}}')
    # a stale operation policy inside the owned API: must go
    (out / "apis/echo-api/operations/old-op").mkdir(parents=True)
    (out / "apis/echo-api/operations/old-op/policy.xml").write_text("<policies/>")
    config = ExtractorConfig.from_text("apis: [echo-api]\nnamedValues: [environment-name]\n")
    result = extract(make_arm(), out, config)
    after = snapshot(out)
    assert result.deleted == ["apis/echo-api/operations/old-op/policy.xml"]
    assert "apis/other-team-api/apiInformation.json" in after
    for path, data in before.items():
        assert after.get(path) == data, path  # nothing else changed or vanished
    assert result.counts.get("api") == 2  # echo-api and its revision
    assert result.counts.get("named-value") == 1


def test_cli_extract_writes_summary_and_result(tmp_path, emulator, capsys):
    from apiops_core.cli import main

    out = tmp_path / "artifacts"
    env = {**emulator.environment()}
    code = main(
        ["extract", "--output", str(out), "--summary", str(tmp_path / "s.md"), "--result", str(tmp_path / "r.json"),
         "--spec-format", "openapi-v3-json"],
        env,
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "extracted" in printed and "named-value" in printed
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["output"] == str(out) and result["files_written"] > 50 and result["files_deleted"] == 0
    assert "| api |" in (tmp_path / "s.md").read_text()
    assert (out / "apis/conference-api/specification.json").exists()
    assert main(["extract", "--output", str(out), "--spec-format", "pdf"], env) == 2
