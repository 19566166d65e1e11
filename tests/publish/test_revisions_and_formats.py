"""Publish on the emulator: revisions (current one chosen by the tree), SOAP/WADL/GraphQL round trips,
and specification changes that touch only the schemas.

Each test starts its own emulator (they change revisions and specifications independently).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from apiops_emulator.apim.emulator import Emulator
from apiops_core.extract import extract

from .conftest import extract_to, make_arm, run_cli, tree_files, writes

_WADL = """<?xml version="1.0"?>
<application xmlns="http://wadl.dev.java.net/2009/02">
  <doc title="Stock"/>
  <resources base="https://stock.example/api">
    <resource path="items">
      <method name="GET" id="listItems"><request><param name="top" style="query" type="xs:int"/></request>
        <response status="200"><representation mediaType="application/json"/></response></method>
      <resource path="{id}">
        <param name="id" style="template" type="xs:string" required="true"/>
        <method name="GET" id="getItem"><response status="200"><representation mediaType="application/json"/></response></method>
        <method name="DELETE" id="deleteItem"><response status="204"/></method>
      </resource>
    </resource>
  </resources>
</application>
"""

_OPENAPI = """openapi: 3.0.1
info: {title: Shop, version: '1'}
servers:
  - url: https://shop.example/api
paths:
  /orders/{id}:
    get:
      operationId: get-order
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        '200':
          description: The order.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Order'}
components:
  schemas:
    Order:
      type: object
      properties:
        id: {type: integer}
        total: {type: number}
"""


def _write_api(root: Path, folder: str, props: dict, spec: tuple[str, str] | None = None) -> Path:
    target = root / "apis" / folder
    target.mkdir(parents=True, exist_ok=True)
    (target / "apiInformation.json").write_text(json.dumps({"properties": props}, indent=2) + "\n", encoding="utf-8")
    if spec is not None:
        (target / f"specification.{spec[0]}").write_text(spec[1], encoding="utf-8")
    return target


def _revision_spec(revision: int) -> str:
    return (
        "openapi: 3.0.1\ninfo: {title: A, version: '1'}\npaths:\n"
        f"  /r{revision}:\n    get:\n      operationId: get-r{revision}\n      responses:\n        '200': {{description: ok}}\n"
    )


def _api_props(revision: int, current: bool, **extra: object) -> dict:
    props = {"displayName": "Revisioned", "path": "revisioned", "protocols": ["https"], "serviceUrl": "https://a.example",
             "apiRevision": str(revision), "isCurrent": current, "type": "http", "subscriptionRequired": True}
    props.update(extra)
    return props


def _diff(a: dict, b: dict) -> list[str]:
    return [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


@pytest.mark.slow
def test_revisions_current_from_the_tree_and_a_folder_rename_releases_the_new_one(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    _write_api(tree, "a", _api_props(2, True), ("yaml", _revision_spec(2)))
    _write_api(tree, "a;rev=1", _api_props(1, False, sourceApiId="/apis/a"), ("yaml", _revision_spec(1)))
    with Emulator(seed="demo-secrets") as emu:
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        with make_arm(emu) as arm:
            current = arm.get("apis/a")
            assert current is not None and current.properties["apiRevision"] == "2"
            assert current.properties["isCurrent"] is True
            first = arm.get("apis/a;rev=1")
            assert first is not None and first.properties["isCurrent"] is False
        back = extract_to(emu, tmp_path / "back")
        api_files = {p: v for p, v in tree_files(back).items() if p.startswith("apis/")}
        for path in ("apis/a/apiInformation.json", "apis/a;rev=1/apiInformation.json"):
            written = tree_files(tree)[path]["properties"]
            assert {k: api_files[path]["properties"].get(k) for k in written} == written  # plus service defaults
        assert sorted(p for p in api_files if p.endswith("apiInformation.json")) == [
            "apis/a/apiInformation.json", "apis/a;rev=1/apiInformation.json"]
        assert "/r2" in (back / "apis/a/specification.yaml").read_text()
        assert "/r1" in (back / "apis/a;rev=1/specification.yaml").read_text()
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(back), "--yes") == 0
        assert writes(emu) == 0

        # what the extractor writes after someone makes revision 3 current: the folder `a` becomes
        # `a;rev=2` and `a` holds revision 3; publishing it creates rev 3 and releases it
        shutil.move(str(back / "apis/a"), str(back / "apis/a;rev=2"))
        shutil.copytree(back / "apis/a;rev=2", back / "apis/a")
        info = json.loads((back / "apis/a/apiInformation.json").read_text())
        info["properties"]["apiRevision"] = "3"
        (back / "apis/a/apiInformation.json").write_text(json.dumps(info, indent=2) + "\n")
        old = json.loads((back / "apis/a;rev=2/apiInformation.json").read_text())
        old["properties"]["isCurrent"] = False
        (back / "apis/a;rev=2/apiInformation.json").write_text(json.dumps(old, indent=2) + "\n")
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(back), "--yes") == 0
        requests = emu.stats()["requests"]
        assert requests["PUT"] >= 2  # the revision and the release at least
        with make_arm(emu) as arm:
            assert arm.get("apis/a").properties["apiRevision"] == "3"
            assert arm.get("apis/a;rev=2").properties["isCurrent"] is False
            releases = list(arm.list("apis/a/releases"))
            assert not [r for r in releases if r["name"] == "apiops-set-current"]
        again = extract_to(emu, tmp_path / "again")
        assert _diff(tree_files(again), tree_files(back)) == []
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(back), "--yes") == 0
        assert writes(emu) == 0


def test_a_non_current_revision_takes_display_name_and_path_from_the_current_one(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    _write_api(tree, "a", _api_props(1, True), ("yaml", _revision_spec(1)))
    _write_api(tree, "a;rev=2", _api_props(2, False, displayName="Renamed in rev 2", path="elsewhere"),
               ("yaml", _revision_spec(2)))
    with Emulator(seed="demo-secrets") as emu:
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        with make_arm(emu) as arm:
            revision = arm.get("apis/a;rev=2").properties
            assert revision["displayName"] == "Revisioned" and revision["path"] == "revisioned"
            assert revision["isCurrent"] is False
            assert arm.get("apis/a").properties["apiRevision"] == "1"


@pytest.mark.slow
def test_prune_never_deletes_the_current_revision_alone(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    _write_api(tree, "a", _api_props(1, True), ("yaml", _revision_spec(1)))
    _write_api(tree, "a;rev=2", _api_props(2, False), ("yaml", _revision_spec(2)))
    with Emulator(seed="demo-secrets") as emu:
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        shutil.rmtree(tree / "apis/a;rev=2")
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes", "--prune", "--max-deletions", "5") == 0
        with make_arm(emu) as arm:
            assert arm.get("apis/a;rev=2") is None
            assert arm.get("apis/a") is not None


def _format_tree(root: Path, demo_tree: Path) -> Path:
    """SOAP and GraphQL from the demo, a hand-written WADL, and the WSDL re-indented by hand."""
    for name in ("calculator-soap", "books-graphql"):
        shutil.copytree(demo_tree / "apis" / name, root / "apis" / name)
    wsdl = root / "apis/calculator-soap/specification.wsdl"
    text = re.sub(r' apim:name="[^"]*"', "", wsdl.read_text(encoding="utf-8")).replace("  ", "    ")
    wsdl.write_text(text, encoding="utf-8")
    _write_api(root, "stock-wadl", {"displayName": "Stock", "path": "stock", "protocols": ["https"],
                                    "serviceUrl": "https://stock.example/api", "apiRevision": "1", "isCurrent": True,
                                    "type": "http", "subscriptionRequired": True}, ("wadl", _WADL))
    return root


@pytest.mark.slow
def test_soap_wadl_and_graphql_round_trip_and_a_second_publish_makes_zero_writes(demo_tree: Path, tmp_path: Path) -> None:
    handwritten = _format_tree(tmp_path / "handwritten", demo_tree)
    with Emulator(seed="demo-secrets") as emu:
        assert run_cli(emu, "publish", "--artifacts", str(handwritten), "--yes") == 0
        with make_arm(emu) as arm:
            assert arm.get("apis/calculator-soap").properties["type"] == "soap"
            operations = {o["name"] for o in arm.list("apis/stock-wadl/operations")}
            assert len(operations) == 3
        # hand-written WSDL/WADL differ from the exports as text, not in meaning: nothing to do
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(handwritten), "--yes") == 0
        assert writes(emu) == 0
        extracted = tmp_path / "extracted"
        with make_arm(emu) as arm:
            extract(arm, extracted, spec_format="wadl")
    assert (extracted / "apis/stock-wadl/specification.wadl").is_file()
    assert (extracted / "apis/calculator-soap/specification.wsdl").is_file()
    assert (extracted / "apis/books-graphql/specification.graphql").is_file()
    with Emulator(seed="demo-secrets") as emu:
        assert run_cli(emu, "publish", "--artifacts", str(extracted), "--yes") == 0
        back = tmp_path / "back"
        with make_arm(emu) as arm:
            extract(arm, back, spec_format="wadl")
        assert _diff(tree_files(back), tree_files(extracted)) == []
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(extracted), "--yes") == 0
        assert writes(emu) == 0


def test_a_wadl_or_wsdl_operation_change_is_published(demo_tree: Path, tmp_path: Path) -> None:
    tree = _format_tree(tmp_path / "tree", demo_tree)
    with Emulator(seed="demo-secrets") as emu:
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        wadl = tree / "apis/stock-wadl/specification.wadl"
        wadl.write_text(wadl.read_text().replace('<method name="DELETE" id="deleteItem"><response status="204"/></method>', ""))
        wsdl = tree / "apis/calculator-soap/specification.wsdl"
        wsdl.write_text(wsdl.read_text().replace("urn:contoso:calculator/Multiply", "urn:contoso:calculator/Times"))
        result = tmp_path / "plan.json"
        assert run_cli(emu, "plan", "--artifacts", str(tree), "--result", str(result)) == 0
        assert json.loads(result.read_text())["puts"] == 2
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        with make_arm(emu) as arm:
            assert len(list(arm.list("apis/stock-wadl/operations"))) == 2
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        assert writes(emu) == 0


@pytest.mark.slow
def test_a_schema_only_change_is_detected_against_the_instance_and_servers_are_ignored(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    spec = _write_api(tree, "shop", {"displayName": "Shop", "path": "shop", "protocols": ["https"],
                                     "serviceUrl": "https://shop.example/api", "apiRevision": "1", "isCurrent": True,
                                     "type": "http", "subscriptionRequired": True}, ("yaml", _OPENAPI)) / "specification.yaml"
    with Emulator(seed="demo-secrets") as emu:
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        emu.reset_stats()
        spec.write_text(_OPENAPI.replace("https://shop.example/api", "https://elsewhere.example/v2"))
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        assert writes(emu) == 0  # servers are the gateway's business, not a change
        spec.write_text(_OPENAPI.replace("total: {type: number}", "total: {type: string}"))
        result = tmp_path / "plan.json"
        markdown = tmp_path / "plan.md"
        assert run_cli(emu, "plan", "--artifacts", str(tree), "--result", str(result), "--markdown", str(markdown)) == 0
        assert json.loads(result.read_text())["puts"] == 1
        assert "1 schema(s) changed" in markdown.read_text() and "~ schema Order" in markdown.read_text()
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        back = extract_to(emu, tmp_path / "back")
        assert "type: string" in (back / "apis/shop/specification.yaml").read_text().split("total:", 1)[1][:40]
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        assert writes(emu) == 0
