"""Environments: a name, the instance it deploys to, and its override file — one small YAML file each.

Why a file: ``status``, ``compare``, ``publish --require-live-in`` and the drift pipeline must
agree on what "prod" means (which instance, which overrides) without repeating options.
The file holds exactly what the publisher is given as options::

    # environments/prod.yaml
    name: prod                              # optional; default: the file name without .yaml
    subscriptionId: 00000000-0000-0000-0000-000000000000
    resourceGroup: rg-apim-prod
    serviceName: apim-contoso-prod
    overrides: ../configuration.prod.yaml  # relative to this file; optional
    armEndpoint: https://management.azure.com   # optional (sovereign clouds, the emulator)
    caBundle: …                             # optional

An environment named on the command line is either such a file or a bare name, looked up as
``<--environments-folder>/<name>.yaml`` (default folder ``environments``). Values missing from the
file fall back to the usual environment variables (``AZURE_SUBSCRIPTION_ID`` …), and every
``{#TOKEN#}`` is filled from the environment like in an override file.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError

__all__ = ["Environment", "resolve_environment"]

_KEYS = {"name", "subscriptionId", "resourceGroup", "serviceName", "overrides", "armEndpoint", "caBundle",
         "apiVersion"}


@dataclass(frozen=True)
class Environment:
    """One deployment target as the publisher sees it."""

    name: str
    path: str | None = None
    subscription_id: str | None = None
    resource_group: str | None = None
    service_name: str | None = None
    overrides: str | None = None
    arm_endpoint: str | None = None
    ca_bundle: str | None = None
    api_version: str | None = None

    def target_args(self, base: argparse.Namespace | None = None) -> argparse.Namespace:
        """Options for ``Context.make_arm`` (the file's values win over the command line's)."""
        values = dict(vars(base)) if base is not None else {}
        for option, value in (("subscription_id", self.subscription_id), ("resource_group", self.resource_group),
                              ("service_name", self.service_name), ("arm_endpoint", self.arm_endpoint),
                              ("ca_bundle", self.ca_bundle), ("api_version", self.api_version)):
            if value:
                values[option] = value
            else:
                values.setdefault(option, None)
        return argparse.Namespace(**values)

    def make_arm(self, context: Any, base: argparse.Namespace | None = None) -> Any:
        return context.make_arm(self.target_args(base))


def resolve_environment(spec: str, environ: Mapping[str, str], folder: str | None = None) -> Environment:
    """An environment from a file path or a bare name (``<folder>/<name>.yaml``)."""
    candidates = [Path(spec)]
    if not spec.endswith((".yaml", ".yml")):
        base = Path(folder or "environments")
        candidates += [base / f"{spec}.yaml", base / f"{spec}.yml"]
    path = next((c for c in candidates if c.is_file()), None)
    if path is None:
        tried = ", ".join(str(c) for c in candidates)
        raise ConfigError(f"environment {spec!r} not found (looked for {tried})")
    return load_environment(path, environ)


def load_environment(path: Path, environ: Mapping[str, str]) -> Environment:
    from .config import load_yaml, substitute_tokens

    where = str(path)
    doc = load_yaml(path.read_text(encoding="utf-8"), where)
    if doc is None:
        doc = {}
    if not isinstance(doc, Mapping):
        raise ConfigError("an environment file must be a mapping (name, subscriptionId, resourceGroup, "
                          "serviceName, overrides ...)", path=where, line=1)
    unknown = sorted(set(map(str, doc)) - _KEYS)
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(unknown)}; expected some of {', '.join(sorted(_KEYS))}",
                          path=where)
    values: dict[str, str | None] = {}
    for key in _KEYS:
        value = doc.get(key)
        if value is None:
            values[key] = None
            continue
        if not isinstance(value, (str, int)):
            raise ConfigError(f"{key} must be a single value", path=where)
        values[key] = substitute_tokens(str(value), environ, where) if "{#" in str(value) else str(value)
    overrides = values["overrides"]
    if overrides and not Path(overrides).is_absolute():
        overrides = str((path.parent / overrides))
    if overrides and not Path(overrides).is_file():
        raise ConfigError(f"override file {overrides} does not exist", path=where)
    return Environment(
        name=values["name"] or path.stem, path=where, subscription_id=values["subscriptionId"],
        resource_group=values["resourceGroup"], service_name=values["serviceName"], overrides=overrides,
        arm_endpoint=values["armEndpoint"], ca_bundle=values["caBundle"], api_version=values["apiVersion"],
    )
