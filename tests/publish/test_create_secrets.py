"""Creating an identity provider or a PFX certificate needs its secret: without one (tree +
overrides) the publish is refused before any write, naming the file and the override to add."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apiops_emulator.apim.emulator import Emulator

from .conftest import run_cli, writes


def _tree(root: Path) -> Path:
    idp = root / "identity providers" / "aad"
    idp.mkdir(parents=True)
    (idp / "identityProviderInformation.json").write_text(json.dumps(
        {"properties": {"clientId": "00000000-0000-0000-0000-000000000001", "allowedTenants": ["contoso.example"],
                        "authority": "login.microsoftonline.com", "type": "aad"}}))
    cert = root / "certificates" / "backend-client"
    cert.mkdir(parents=True)
    (cert / "certificateInformation.json").write_text(json.dumps({"properties": {}}))
    nv = root / "named values" / "plain"
    nv.mkdir(parents=True)
    (nv / "namedValueInformation.json").write_text(
        json.dumps({"properties": {"displayName": "plain", "value": "v", "secret": False}}))
    return root


def test_creating_them_without_their_secret_is_refused_before_any_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = _tree(tmp_path / "artifacts")
    with Emulator() as emu:
        before = writes(emu)
        code = run_cli(emu, "publish", "--artifacts", str(tree), "--yes")
        assert writes(emu) == before
    assert code == 2
    err = capsys.readouterr().err
    assert "identity providers/aad/identityProviderInformation.json" in err and "clientSecret" in err
    assert "identityProviders:" in err and "- name: aad" in err
    assert "certificates/backend-client/certificateInformation.json" in err and "certificates:" in err
    assert "password" in err and "Traceback" not in err


def test_a_key_vault_certificate_needs_no_pfx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = _tree(tmp_path / "artifacts")
    (tree / "certificates" / "backend-client" / "certificateInformation.json").write_text(json.dumps(
        {"properties": {"keyVault": {"secretIdentifier": "https://vault.example/secrets/client"}}}))
    with Emulator() as emu:
        code = run_cli(emu, "plan", "--artifacts", str(tree))
    assert code == 2
    err = capsys.readouterr().err
    assert "backend-client" not in err and "aad" in err


def test_with_the_secret_in_the_overrides_they_publish(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "artifacts")
    (tree / "certificates").rename(tmp_path / "left-out")  # a PFX of our own is out of scope here
    overrides = tmp_path / "configuration.dev.yaml"
    overrides.write_text("identityProviders:\n  - name: aad\n    properties:\n      clientSecret: \"{#AAD_SECRET#}\"\n")
    with Emulator() as emu:
        code = run_cli(emu, "publish", "--artifacts", str(tree), "--overrides", str(overrides), "--yes",
                       env={"AAD_SECRET": "s3cr3t-value"})
        assert code == 0
        assert emu.url
        # the second time the target has it: no secret needed any more
        assert run_cli(emu, "plan", "--artifacts", str(tree)) == 0
