"""Small trees of our own for the hostile-input tests, and the emulator helpers they share."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from apiops_core.arm import ArmClient
from apiops_core.auth import StaticTokenCredential
from apiops_core.cli import main
from apiops_emulator.apim.emulator import Emulator

POLICY = (
    "<policies><inbound><base /></inbound><backend><base /></backend>"
    "<outbound><base /></outbound><on-error><base /></on-error></policies>"
)
API_INFO = {"properties": {"displayName": "Hello", "path": "hello", "protocols": ["https"]}}


def make_arm(emu: Emulator) -> ArmClient:
    return ArmClient(
        emu.url, StaticTokenCredential(emu.token), emu.subscription_id, emu.resource_group, emu.service_name,
        ca_bundle=emu.ca_bundle, backoff_base=0.05, backoff_max=0.5,
    )


def writes(emu: Emulator) -> int:
    requests = emu.stats()["requests"]
    return int(requests["PUT"] + requests["PATCH"] + requests["DELETE"])


def run_cli(emu: Emulator, *argv: str) -> int:
    return main(list(argv), emu.environment())


def good_tree(root: Path, *, api_info: str | None = None, policy: str = POLICY) -> Path:
    """One API with a policy: ``api_info`` replaces the information file's text when given."""
    api = root / "apis" / "hello"
    api.mkdir(parents=True)
    (api / "apiInformation.json").write_text(api_info if api_info is not None else json.dumps(API_INFO, indent=2),
                                            encoding="utf-8")
    (api / "policy.xml").write_text(policy, encoding="utf-8")
    return root


def files_text(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file())


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
