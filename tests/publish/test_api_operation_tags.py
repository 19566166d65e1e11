"""API operation tags (``apis/{api}/operations/{operation}/tags/{tag}``): a child of an operation,
added as one row of the kind table. A small tree of our own (an API whose specification has one
operation, a tag on it) goes publish → extract → publish on an empty emulator; a removed tag
assignment is deleted and the tag stays."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from apiops_emulator.apim.emulator import Emulator

from .conftest import extract_to, run_cli, tree_files, writes

ASSIGNMENT = "apis/pay/operations/get-invoices/tags/billing/operationTagInformation.json"

SPEC = """openapi: 3.0.1
info:
  title: Pay API
  version: '1.0'
paths:
  /invoices:
    get:
      operationId: get-invoices
      summary: List invoices
      responses:
        '200':
          description: OK
"""

TREE: dict[str, dict[str, object]] = {
    "tags/billing/tagInformation.json": {"properties": {"displayName": "Billing"}},
    "apis/pay/apiInformation.json": {"properties": {
        "displayName": "Pay API", "path": "pay", "protocols": ["https"], "serviceUrl": "https://pay.contoso.example",
        "isCurrent": True, "apiRevision": "1", "type": "http", "subscriptionRequired": True,
        "subscriptionKeyParameterNames": {"header": "Ocp-Apim-Subscription-Key", "query": "subscription-key"},
    }},
    ASSIGNMENT: {"properties": {}},  # as extract writes it: the tag's displayName is read-only
}


def _write(root: Path, files: dict[str, dict[str, object]]) -> Path:
    for rel, body in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body, indent=2), encoding="utf-8")
    (root / "apis/pay/specification.yaml").write_text(SPEC, encoding="utf-8")
    return root


def test_an_operation_tag_publishes_extracts_back_identical_and_republishes_with_zero_writes(tmp_path: Path) -> None:
    tree = _write(tmp_path / "tree", TREE)
    args = ("publish", "--artifacts", str(tree), "--yes")
    with Emulator() as emu:
        assert run_cli(emu, *args) == 0
        got = emu.apply("GET", "apis/pay/operations/get-invoices/tags/billing")
        assert got.status == 200
        assert json.loads(got.body)["properties"]["displayName"] == "Billing"  # the tag's, not in the file
        back = extract_to(emu, tmp_path / "back")
        extracted = tree_files(back)
        expected = tree_files(tree)
        # the service's export of the specification differs in form from ours; the rest is identical
        extracted.pop("apis/pay/specification.yaml")
        expected.pop("apis/pay/specification.yaml")
        assert extracted == expected
        emu.reset_stats()
        assert run_cli(emu, *args) == 0
        assert writes(emu) == 0


def test_a_removed_operation_tag_is_deleted_and_the_tag_stays(tmp_path: Path) -> None:
    tree = _write(tmp_path / "tree", TREE)
    with Emulator() as emu:
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        shutil.rmtree(tree / "apis/pay/operations/get-invoices/tags")
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--prune", "--max-deletions", "1", "--yes") == 0
        assert writes(emu) == 1
        assert emu.apply("GET", "apis/pay/operations/get-invoices/tags/billing").status == 404
        assert emu.apply("GET", "tags/billing").status == 200
