"""apiops: APIOps for Azure API Management.

The public surface is small on purpose: the command line (``main``), the state model, the kind
table and the engines' entry points. Names are imported on first use, so ``import apiops_core``
(and every ``apiops`` command) stays fast and pulls in the Azure SDK only when it is needed.
"""

from __future__ import annotations

import importlib
from typing import Any

try:  # pyproject.toml is the one source of the version (the extension stamps it into task.json too)
    from importlib.metadata import version as _version

    __version__ = _version("apiops-core")
except Exception:  # noqa: BLE001 - running from a source tree that was never installed
    __version__ = "0+unknown"

#: public name → module that defines it
_EXPORTS: dict[str, str] = {
    "main": "apiops_core.cli",
    "ApiOpsError": "apiops_core.errors",
    "KINDS": "apiops_core.kinds",
    "ResourceKey": "apiops_core.model",
    "Resource": "apiops_core.model",
    "State": "apiops_core.model",
    "Plan": "apiops_core.model",
    "Action": "apiops_core.model",
    "read_tree": "apiops_core.artifacts",
    "write_tree": "apiops_core.artifacts",
    "ArmClient": "apiops_core.arm",
    "extract": "apiops_core.extract",
    "read_instance": "apiops_core.extract",
    "plan_against_instance": "apiops_core.plan",
    "apply_plan": "apiops_core.apply",
    "lint_tree": "apiops_core.lint",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'apiops_core' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
