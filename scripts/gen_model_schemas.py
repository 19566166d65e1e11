"""Generate apiops_core/schemas/models-2024-05-01.json: per kind, its properties and their JSON types.

Run by a developer when the api-version changes, never at run time or in tests:

    python scripts/gen_model_schemas.py <apim-rest-spec folder> [output]

The folder must hold ``sdk-models-2024-05-01.json`` (the azure-mgmt-apimanagement models: per
model, its attributes with their wire key, ``properties.displayName``, and type). Only facts are
kept: property names and JSON types (``string``, ``boolean``, ``integer``, ``number``, ``any``,
``[T]`` a list, ``{T}`` a map, or the name of a nested model), for the models our kinds use.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

API_VERSION = "2024-05-01"

#: kind (apiops_core.kinds) → the models whose union describes its information file
KIND_MODELS: dict[str, tuple[str, ...]] = {
    "workspace": ("WorkspaceContract",),
    "named-value": ("NamedValueCreateContract", "NamedValueContract"),
    "tag": ("TagContract",),
    "version-set": ("ApiVersionSetContract",),
    "backend": ("BackendContract",),
    "logger": ("LoggerContract",),
    "diagnostic": ("DiagnosticContract",),
    "api-diagnostic": ("DiagnosticContract",),
    "policy-fragment": ("PolicyFragmentContract",),
    "global-schema": ("GlobalSchemaContract",),
    "group": ("GroupContract", "GroupCreateParameters"),
    "gateway": ("GatewayContract",),
    "product": ("ProductContract",),
    "api": ("ApiContract", "ApiCreateOrUpdateParameter"),
    "api-operation": ("OperationContract",),
    "api-schema": ("SchemaContract",),
    "api-release": ("ApiReleaseContract",),
    "api-tag-description": ("TagDescriptionContract", "TagDescriptionCreateParameters"),
    "api-operation-tag": ("TagContract",),
    "subscription": ("SubscriptionContract", "SubscriptionCreateParameters"),
    "tag-api": ("TagApiLinkContract",),
    "tag-product": ("TagProductLinkContract",),
    "product-api": ("ProductApiLinkContract",),
    "product-group": ("ProductGroupLinkContract",),
    "certificate": ("CertificateContract", "CertificateCreateOrUpdateParameters"),
    "authorization-server": ("AuthorizationServerContract",),
    "openid-connect-provider": ("OpenidConnectProviderContract",),
    "identity-provider": ("IdentityProviderContract", "IdentityProviderCreateContract"),
    "documentation": ("DocumentationContract",),
    "policy-restriction": ("PolicyRestrictionContract",),
    "api-wiki": ("WikiContract",),
    "product-wiki": ("WikiContract",),
    "api-resolver": ("ResolverContract",),
}

_SCALARS = {
    "str": "string", "bool": "boolean", "int": "integer", "long": "integer", "float": "number",
    "iso-8601": "string", "rfc-1123": "string", "duration": "string", "date": "string",
    "bytearray": "string", "base64": "string", "object": "any", "unix-time": "integer",
}


def _split_key(key: str) -> list[str]:
    """msrest wire keys: ``a.b`` is nested, ``a\\.b`` a literal dot."""
    return [part.replace("\\.", ".") for part in re.split(r"(?<!\\)\.", key)]


def _type(sdk_type: str, models: dict[str, Any], wanted: set[str]) -> str:
    if sdk_type.startswith("[") and sdk_type.endswith("]"):
        return "[" + _type(sdk_type[1:-1], models, wanted) + "]"
    if sdk_type.startswith("{") and sdk_type.endswith("}"):
        return "{" + _type(sdk_type[1:-1], models, wanted) + "}"
    if sdk_type in _SCALARS:
        return _SCALARS[sdk_type]
    if sdk_type in models:
        wanted.add(sdk_type)
        return sdk_type
    return "string"  # enums are serialised as strings


def _insert(tree: dict[str, Any], steps: list[str], value: str) -> None:
    for step in steps[:-1]:
        node = tree.setdefault(step, {})
        if not isinstance(node, dict):  # a scalar and a nested key with one name: keep the object
            node = tree[step] = {}
        tree = node
    tree.setdefault(steps[-1], value)


def generate(spec_folder: Path) -> dict[str, Any]:
    source = json.loads((spec_folder / f"sdk-models-{API_VERSION}.json").read_text(encoding="utf-8"))
    models: dict[str, Any] = source["models"]
    wanted: set[str] = set()
    kinds: dict[str, Any] = {}
    for kind, names in KIND_MODELS.items():
        properties: dict[str, Any] = {}
        for name in names:
            for attribute in models[name]["attributes"].values():
                steps = _split_key(attribute["key"])
                if steps[0] != "properties" or len(steps) < 2:
                    continue  # id, name, type: the envelope, not the information file's properties
                _insert(properties, steps[1:], _type(attribute["type"], models, wanted))
        kinds[kind] = dict(sorted(properties.items()))
    out_models: dict[str, Any] = {}
    done: set[str] = set()
    while wanted - done:
        name = sorted(wanted - done)[0]
        done.add(name)
        fields: dict[str, Any] = {}
        for attribute in models[name]["attributes"].values():
            _insert(fields, _split_key(attribute["key"]), _type(attribute["type"], models, wanted))
        out_models[name] = dict(sorted(fields.items()))
    return {
        "_about": (
            f"Generated by scripts/gen_model_schemas.py from the azure-mgmt-apimanagement models of api-version "
            f"{API_VERSION}: per kind, the JSON type of each property of its information file's 'properties' "
            "(string, boolean, integer, number, any, [T] list, {T} map, or a nested model). Do not edit by hand."
        ),
        "apiVersion": API_VERSION,
        "kinds": kinds,
        "models": dict(sorted(out_models.items())),
    }


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    default = Path(__file__).resolve().parent.parent / "apiops_core" / "schemas" / f"models-{API_VERSION}.json"
    output = Path(argv[1]) if len(argv) > 1 else default
    data = generate(Path(argv[0]))
    output.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {output} ({len(data['kinds'])} kinds, {len(data['models'])} models)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
