"""Migrating a tree that was not extracted from the target: what must pass and what must stop.

Small trees of our own reproduce what real teams' trees carry: a ``{{named value}}`` that only the
target has, APIM's auto-created product subscriptions, a SOAP API whose operation folders are
ids another instance generated, and the need to publish part of a tree (``--exclude``,
``--filter``). Every refusal must come before the first write (emulator write counters).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from apiops_emulator.apim.emulator import Emulator

from .conftest import make_arm, run_cli, writes

POLICY_USING_SHARED = """<policies>
  <inbound>
    <base />
    <set-header name="x-shared" exists-action="override">
      <value>{{shared-key}}</value>
    </set-header>
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>
"""


def write_tree(root: Path, files: dict[str, Any]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content, indent=2)
        path.write_text(text, encoding="utf-8")
    return root


def api_info(name: str, **extra: Any) -> dict[str, Any]:
    return {"properties": {"displayName": name.upper(), "path": name, "protocols": ["https"],
                           "serviceUrl": f"https://{name}.example", **extra}}


def shared_tree(root: Path) -> Path:
    return write_tree(root, {"apis/orders/apiInformation.json": api_info("orders"),
                             "apis/orders/policy.xml": POLICY_USING_SHARED})


# -- named values the target supplies ---------------------------------------------------------------

def test_named_value_the_target_has_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    artifacts = shared_tree(tmp_path / "artifacts")
    with Emulator() as emu:
        with make_arm(emu) as arm:
            arm.put("namedValues/nv-shared", {"properties": {"displayName": "shared-key", "value": "v"}})
            before = writes(emu)
            assert run_cli(emu, "publish", "--artifacts", str(artifacts), "--yes") == 0
            assert writes(emu) > before
            assert arm.get("apis/orders/policies/policy") is not None
        # the same tree is still reported offline: the reference is not in the artifacts
        assert run_cli(emu, "lint", str(artifacts)) == 1
    assert "AO301" in capsys.readouterr().out


def test_named_value_missing_everywhere_is_refused_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    artifacts = shared_tree(tmp_path / "artifacts")
    with Emulator() as emu:
        assert run_cli(emu, "publish", "--artifacts", str(artifacts), "--yes") != 0
        assert writes(emu) == 0
    err = capsys.readouterr().err
    assert f"{(artifacts / 'apis/orders/policy.xml').as_posix()}:5" in err
    assert "AO301" in err and "shared-key" in err and "the target" in err


def test_a_reference_finding_can_be_relaxed_in_the_lint_configuration(tmp_path: Path) -> None:
    artifacts = shared_tree(tmp_path / "artifacts")
    with Emulator() as emu:
        assert run_cli(emu, "plan", "--artifacts", str(artifacts)) != 0
        (artifacts / ".apiops-lint.yaml").write_text("severity:\n  AO301: warning\n", encoding="utf-8")
        assert run_cli(emu, "plan", "--artifacts", str(artifacts)) == 0
        # a per-path ignore works as well, relative to the artifacts root
        (artifacts / ".apiops-lint.yaml").write_text(
            "per-path-ignores:\n  \"apis/orders/**\": [AO301]\n", encoding="utf-8")
        assert run_cli(emu, "plan", "--artifacts", str(artifacts)) == 0
        (artifacts / ".apiops-lint.yaml").write_text(
            "per-path-ignores:\n  \"apis/other/**\": [AO301]\n", encoding="utf-8")
        assert run_cli(emu, "plan", "--artifacts", str(artifacts)) != 0
        assert writes(emu) == 0


# -- APIM's auto-created product subscriptions --------------------------------------------------------

def test_auto_created_product_subscription_is_skipped_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    service = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/old"
    artifacts = write_tree(tmp_path / "artifacts", {
        "products/gold/productInformation.json": {"properties": {"displayName": "Gold", "subscriptionRequired": True,
                                                                 "state": "published"}},
        "subscriptions/5f0c1a2b3c4d5e6f70819203/subscriptionInformation.json": {"properties": {
            "scope": f"{service}/products/gold", "ownerId": f"{service}/users/1", "state": "active"}},
    })
    with Emulator() as emu:
        assert run_cli(emu, "publish", "--artifacts", str(artifacts), "--yes") == 0
        with make_arm(emu) as arm:
            assert arm.get("products/gold") is not None
            assert arm.get("subscriptions/5f0c1a2b3c4d5e6f70819203") is None
        out = capsys.readouterr().out
        assert "skipped" in out and "5f0c1a2b3c4d5e6f70819203" in out and "gold" in out
        before = writes(emu)
        assert run_cli(emu, "publish", "--artifacts", str(artifacts), "--yes") == 0
        assert writes(emu) == before
    # a nameless subscription of another owner is not APIM's: the service refuses it (AO107)
    other = artifacts / "subscriptions/5f0c1a2b3c4d5e6f70819203/subscriptionInformation.json"
    other.write_text(json.dumps({"properties": {"scope": f"{service}/products/gold",
                                                "ownerId": f"{service}/users/alice"}}), encoding="utf-8")
    with Emulator() as emu:
        assert run_cli(emu, "publish", "--artifacts", str(artifacts), "--yes") != 0
        assert writes(emu) == 0
    assert "AO107" in capsys.readouterr().err


# -- SOAP operation ids ---------------------------------------------------------------------------------

WSDL = """<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:tns="urn:calc"{ext_ns} targetNamespace="urn:calc">
  <wsdl:types>
    <s:schema xmlns:s="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:calc" elementFormDefault="qualified">
      <s:element name="Add"><s:complexType><s:sequence><s:element name="a" type="s:int"/></s:sequence></s:complexType></s:element>
      <s:element name="AddResponse"><s:complexType><s:sequence><s:element name="r" type="s:int"/></s:sequence></s:complexType></s:element>
    </s:schema>
  </wsdl:types>
  <wsdl:message name="AddIn"><wsdl:part name="parameters" element="tns:Add"/></wsdl:message>
  <wsdl:message name="AddOut"><wsdl:part name="parameters" element="tns:AddResponse"/></wsdl:message>
  <wsdl:portType name="Calc">
    <wsdl:operation name="Add"><wsdl:input message="tns:AddIn"/><wsdl:output message="tns:AddOut"/></wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="Calc" type="tns:Calc">
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="Add"{ext_name}>
      <soap:operation soapAction="urn:calc/Add"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="Calc">
    <wsdl:port name="Calc" binding="tns:Calc"><soap:address location="https://calc.example/soap"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""

OPERATION_POLICY = """<policies>
  <inbound><base /><set-header name="x-op" exists-action="override"><value>1</value></set-header></inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>
"""


def soap_tree(root: Path, *, pinned: str | None = None) -> Path:
    wsdl = WSDL.format(ext_ns=' xmlns:apim="urn:apiops:apim"' if pinned else "",
                       ext_name=f' apim:name="{pinned}"' if pinned else "")
    return write_tree(root, {
        "apis/orders/apiInformation.json": api_info("orders"),
        "apis/calc/apiInformation.json": {"properties": {"displayName": "Calc", "path": "calc", "protocols": ["https"],
                                                         "type": "soap", "serviceUrl": "https://calc.example/soap"}},
        "apis/calc/specification.wsdl": wsdl,
        # an id another instance generated on its import of the same WSDL
        "apis/calc/operations/66f2f71dfb42681f9809f35b/policy.xml": OPERATION_POLICY,
    })


def test_soap_operation_policy_the_import_will_not_produce_is_refused_before_any_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    artifacts = soap_tree(tmp_path / "artifacts")
    with Emulator() as emu:
        assert run_cli(emu, "publish", "--artifacts", str(artifacts), "--yes") != 0
        assert writes(emu) == 0
        err = capsys.readouterr().err
        assert "apis/calc/operations/66f2f71dfb42681f9809f35b/policy.xml" in err
        assert "SOAP" in err and "nothing was published" in err
        # leaving the folder out publishes the rest, the SOAP API included
        assert run_cli(emu, "publish", "--artifacts", str(artifacts), "--yes",
                       "--exclude", "apis/calc/operations") == 0
        with make_arm(emu) as arm:
            assert arm.get("apis/calc") is not None and arm.get("apis/orders") is not None
            assert [op["name"] for op in arm.list("apis/calc/operations")] != ["66f2f71dfb42681f9809f35b"]


def test_soap_operation_named_by_the_wsdl_is_published(tmp_path: Path) -> None:
    artifacts = soap_tree(tmp_path / "artifacts", pinned="66f2f71dfb42681f9809f35b")
    with Emulator() as emu:
        assert run_cli(emu, "publish", "--artifacts", str(artifacts), "--yes") == 0
        with make_arm(emu) as arm:
            assert arm.get("apis/calc/operations/66f2f71dfb42681f9809f35b/policies/policy") is not None


# -- --exclude and --filter ----------------------------------------------------------------------------

def policy_with(backend: str, named_value: str, fragment: str) -> str:
    return f"""<policies>
  <inbound>
    <base />
    <include-fragment fragment-id="{fragment}" />
    <set-header name="x-k" exists-action="override"><value>{{{{{named_value}}}}}</value></set-header>
    <set-backend-service backend-id="{backend}" />
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>
"""


def two_team_tree(root: Path) -> Path:
    files: dict[str, Any] = {}
    for team in ("a", "b"):
        files[f"named values/nv-{team}/namedValueInformation.json"] = {"properties": {"displayName": f"key-{team}",
                                                                                      "value": team}}
        files[f"backends/be-{team}/backendInformation.json"] = {"properties": {"url": f"https://{team}.example",
                                                                              "protocol": "http"}}
        files[f"policy fragments/frag-{team}/policyFragmentInformation.json"] = {"properties": {"format": "rawxml"}}
        files[f"policy fragments/frag-{team}/policy.xml"] = "<fragment><base /></fragment>".replace("<base />", "")
        files[f"version sets/vs-{team}/versionSetInformation.json"] = {"properties": {
            "displayName": f"VS {team}", "versioningScheme": "Segment"}}
        files[f"apis/api-{team}/apiInformation.json"] = api_info(
            f"api-{team}", apiVersion="v1", apiVersionSetId=f"/apiVersionSets/vs-{team}")
        files[f"apis/api-{team}/policy.xml"] = policy_with(f"be-{team}", f"key-{team}", f"frag-{team}")
    files["products/shared/productInformation.json"] = {"properties": {"displayName": "Shared", "state": "published",
                                                                      "subscriptionRequired": False}}
    return write_tree(root, files)


def _names(arm: Any, collection: str) -> set[str]:
    return {item["name"] for item in arm.list(collection)}


def test_exclude_leaves_named_paths_out(tmp_path: Path) -> None:
    artifacts = two_team_tree(tmp_path / "artifacts")
    with Emulator() as emu:
        # api-b's policy needs frag-b, which the exclusion leaves out and the target lacks
        assert run_cli(emu, "publish", "--artifacts", str(artifacts), "--yes",
                       "--exclude", "policy fragments/frag-b") != 0
        assert writes(emu) == 0
        assert run_cli(emu, "publish", "--artifacts", str(artifacts), "--yes",
                       "--exclude", "apis/api-b", "--exclude", "policy fragments/frag-b") == 0
        with make_arm(emu) as arm:
            assert _names(arm, "apis") == {"api-a"}
            assert "frag-b" not in _names(arm, "policyFragments")
            assert {"be-a", "be-b"} <= _names(arm, "backends")  # only the named paths are left out


def test_filter_publishes_a_subset_with_its_dependencies_and_deletes_nothing_outside(tmp_path: Path) -> None:
    artifacts = two_team_tree(tmp_path / "artifacts")
    team_a = tmp_path / "team-a.yaml"
    team_a.write_text(
        "apis: [api-a]\nnamedValues: []\nbackends: []\npolicyFragments: []\nversionSets: []\nproducts: []\n"
        "tags: []\nloggers: []\ndiagnostics: []\ngroups: []\nsubscriptions: []\ngateways: []\n",
        encoding="utf-8",
    )
    with Emulator() as emu:
        with make_arm(emu) as arm:
            arm.put("apis/legacy", {"properties": {"displayName": "Legacy", "path": "legacy", "protocols": ["https"]}})
            before = writes(emu)
            assert run_cli(emu, "publish", "--artifacts", str(artifacts), "--yes", "--filter", str(team_a),
                           "--prune", "--max-deletions", "10") == 0
            assert _names(arm, "apis") == {"api-a", "legacy"}  # legacy: outside the filter, never deleted
            assert "nv-a" in _names(arm, "namedValues") and "nv-b" not in _names(arm, "namedValues")
            assert _names(arm, "backends") == {"be-a"}
            assert _names(arm, "policyFragments") == {"frag-a"}
            assert _names(arm, "apiVersionSets") == {"vs-a"}
            assert "shared" not in _names(arm, "products")
            # api-a, its spec-less API put, policy, named value, backend, fragment, version set
            assert writes(emu) - before == 6
            # --no-transitive: only what the filter names; its dependencies must then be on the target
            assert run_cli(emu, "plan", "--artifacts", str(artifacts), "--filter", str(team_a), "--no-transitive") == 0


@pytest.mark.slow
def test_a_saved_plan_with_exclude_applies_without_the_excluded_files(tmp_path: Path) -> None:
    artifacts = two_team_tree(tmp_path / "artifacts")
    # api-b is broken (unknown policy element): lint refuses the whole tree unless it is left out
    (artifacts / "apis/api-b/policy.xml").write_text(
        "<policies><inbound><base /><set-heder name=\"x\" /></inbound></policies>", encoding="utf-8")
    plan_file = tmp_path / "plan.json"
    with Emulator() as emu:
        assert run_cli(emu, "plan", "--artifacts", str(artifacts), "--out", str(plan_file)) != 0
        assert run_cli(emu, "plan", "--artifacts", str(artifacts), "--out", str(plan_file),
                       "--exclude", "apis/api-b") == 0
        assert json.loads(plan_file.read_text(encoding="utf-8"))["target"]["exclude"] == "apis/api-b"
        assert run_cli(emu, "apply", str(plan_file), "--artifacts", str(artifacts)) == 0
        with make_arm(emu) as arm:
            assert _names(arm, "apis") == {"api-a"}
