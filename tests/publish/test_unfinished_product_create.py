"""A run killed between creating a product and removing what APIM added to it is finished by a plain re-run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from apiops_emulator.apim.emulator import Emulator

from .conftest import extract_to, run_cli, tree_files, writes


@pytest.mark.slow
def test_a_plain_rerun_removes_what_apim_added_to_a_product_whose_create_was_cut_short(
    demo_tree: Path, tmp_path: Path
) -> None:
    tree = tmp_path / "artifacts"
    shutil.copytree(demo_tree, tree)
    product = tree / "products" / "partners"
    product.mkdir()
    (product / "productInformation.json").write_text(
        json.dumps({"properties": {"displayName": "Partners", "subscriptionRequired": True, "approvalRequired": False, "state": "published"}})
    )
    with Emulator(seed="demo-secrets") as emu:
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        # the state a killed run leaves: the product PUT landed (APIM added its subscription and
        # Administrators link), the clean-up after it did not
        response = emu.apply("PUT", "products/partners",
                             {"properties": {"displayName": "Partners", "subscriptionRequired": True, "approvalRequired": False, "state": "published"}})
        assert response.status in (200, 201)
        emu.apply("DELETE", "products/partners?deleteSubscriptions=true")
        assert emu.apply("PUT", "products/partners", {"properties": {
            "displayName": "Partners", "subscriptionRequired": True, "approvalRequired": False, "state": "published"}}).status == 201
        assert tree_files(extract_to(emu, tmp_path / "partial")) != tree_files(tree)

        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        assert tree_files(extract_to(emu, tmp_path / "back")) == tree_files(tree)
        before = writes(emu)
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        assert writes(emu) == before, "once finished, publishing again writes nothing"
