"""API tag descriptions (``apis/{api}/tagDescriptions/{tag}``): an ordinary child of an API, added as one
row of the kind table. A small tree of our own goes publish → extract → publish on an empty emulator,
and a removed description is deleted, after nothing else."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from apiops_emulator.apim.emulator import Emulator

from .conftest import extract_to, run_cli, tree_files, writes

DESCRIPTION = "apis/pay/tag descriptions/billing/tagDescriptionInformation.json"

TREE: dict[str, dict[str, object]] = {
    "tags/billing/tagInformation.json": {"properties": {"displayName": "Billing"}},
    "tags/billing/apis/pay/tagApiInformation.json": {},
    "apis/pay/apiInformation.json": {"properties": {
        "displayName": "Pay API", "path": "pay", "protocols": ["https"], "serviceUrl": "https://pay.contoso.example",
        "isCurrent": True, "apiRevision": "1", "type": "http", "subscriptionRequired": True,
        "subscriptionKeyParameterNames": {"header": "Ocp-Apim-Subscription-Key", "query": "subscription-key"},
    }},
    DESCRIPTION: {"properties": {
        "description": "Charges and refunds.",
        "externalDocsDescription": "Billing guide",
        "externalDocsUrl": "https://docs.contoso.example/billing",
        "tagId": "/tags/billing",
    }},
}


def _write(root: Path, files: dict[str, dict[str, object]]) -> Path:
    for rel, body in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body, indent=2), encoding="utf-8")
    return root


def test_a_tag_description_publishes_extracts_back_identical_and_republishes_with_zero_writes(tmp_path: Path) -> None:
    tree = _write(tmp_path / "tree", TREE)
    args = ("publish", "--artifacts", str(tree), "--yes")
    with Emulator() as emu:
        assert run_cli(emu, *args) == 0
        live = json.loads(emu.apply("GET", "apis/pay/tagDescriptions/billing").body)["properties"]
        assert live["description"] == "Charges and refunds."
        assert live["displayName"] == "Billing"  # the service copies the tag's name in; the file has none
        back = extract_to(emu, tmp_path / "back")
        extracted = tree_files(back)
        extracted.pop("apis/pay/specification.yaml")  # the service's export of an API without operations
        assert extracted == tree_files(tree)
        emu.reset_stats()
        assert run_cli(emu, *args) == 0
        assert writes(emu) == 0


def test_a_changed_description_is_put_again_and_a_removed_one_is_deleted(tmp_path: Path) -> None:
    tree = _write(tmp_path / "tree", TREE)
    with Emulator() as emu:
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        changed = json.loads(json.dumps(TREE[DESCRIPTION]))
        changed["properties"]["description"] = "Charges, refunds and invoices."
        _write(tree, {DESCRIPTION: changed})
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        assert writes(emu) == 1
        live = json.loads(emu.apply("GET", "apis/pay/tagDescriptions/billing").body)["properties"]
        assert live["description"] == "Charges, refunds and invoices."

        shutil.rmtree(tree / "apis/pay/tag descriptions")
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--prune", "--max-deletions", "1", "--yes") == 0
        assert writes(emu) == 1
        assert emu.apply("GET", "apis/pay/tagDescriptions/billing").status == 404
        assert emu.apply("GET", "tags/billing").status == 200  # the tag itself stays


def test_a_description_naming_a_missing_tag_is_a_reference_error(tmp_path: Path) -> None:
    from apiops_core.artifacts import load_tree
    from apiops_core.lint import lint_state
    from apiops_core.treesource import DirectorySource

    files = {k: v for k, v in TREE.items() if not k.startswith("tags/")}
    report = lint_state(load_tree(DirectorySource(_write(tmp_path / "tree", files))))
    found = [(f.resource, f.message) for f in report.findings if f.rule_id == "AO307"]
    assert any(r == "api-tag-description pay/billing" and "billing" in m for r, m in found), found


def test_an_override_file_sets_a_tag_description_per_environment(tmp_path: Path) -> None:
    tree = _write(tmp_path / "tree", TREE)
    overrides = tmp_path / "configuration.prod.yaml"
    overrides.write_text(
        "apis:\n  - name: pay\n    tagDescriptions:\n      - name: billing\n"
        "        properties:\n          externalDocsUrl: https://docs.contoso.example/prod/billing\n",
        encoding="utf-8",
    )
    with Emulator() as emu:
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--overrides", str(overrides), "--yes") == 0
        live = json.loads(emu.apply("GET", "apis/pay/tagDescriptions/billing").body)["properties"]
        assert live["externalDocsUrl"] == "https://docs.contoso.example/prod/billing"
        assert live["description"] == "Charges and refunds."
