"""SOAP operation policies whose operation will not exist: refused at plan time, before any write.

Why: APIM gives the operations of a WSDL-imported (SOAP pass-through) API ids of its own making
when it imports the document (24 hex digits such as ``66f2f71dfb42681f9809f35b``); the naming
is not documented and differs per instance, and a WSDL 1.1 document has no place for an id. A
tree extracted from one instance therefore names operation folders that an import into another
will not produce, and the operation policy PUT ends in a 404 after the API and others were
already written. So, for every operation-level put under a SOAP API, the operation must either

- already exist on the target (a re-import of an existing API keeps the ids of the operations
  the document still defines), or
- be named by the WSDL itself, through the ``name`` attribute in the ``urn:apiops:apim``
  namespace on a binding operation (this project's round-trip convention: its export writes it
  and its emulator honours it; Microsoft's service ignores it, so it only helps between
  instances that keep it);

otherwise the plan stops, naming the policy file and the reason. ``--exclude`` the folder (or
publish the API first and rename the folder to the id the target gave it) to proceed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .errors import ReferenceError_
from .model import Plan, Resource, ResourceKey, State

if TYPE_CHECKING:  # pragma: no cover
    from .arm import ArmPort

__all__ = ["wsdl_named_operations", "is_soap_api", "refuse_unknown_soap_operations"]

APIM_EXT_NS = "urn:apiops:apim"
_PREFIX = re.compile(r"xmlns:([A-Za-z_][\w.-]*)\s*=\s*[\"']" + re.escape(APIM_EXT_NS) + r"[\"']")


def wsdl_named_operations(text: str) -> set[str]:
    """Operation names a WSDL pins with the ``urn:apiops:apim`` ``name`` attribute (folded)."""
    names: set[str] = set()
    for prefix in set(_PREFIX.findall(text)):
        pattern = re.compile(
            r"<(?:[A-Za-z_][\w.-]*:)?operation\b[^>]*?\b" + re.escape(prefix) + r":name\s*=\s*[\"']([^\"']+)[\"']",
            re.DOTALL,
        )
        names.update(match.group(1).casefold() for match in pattern.finditer(text))
    return names


def is_soap_api(api: Resource | None, spec: Resource | None) -> bool:
    """A SOAP pass-through API: its specification is a WSDL, or its information says ``soap``."""
    if spec is not None and (spec.content_format == "wsdl" or (spec.content_ext or "").lstrip(".").lower() == "wsdl"):
        return True
    if api is not None:
        props = api.properties
        return str(props.get("type") or props.get("apiType") or "").lower() == "soap"
    return False


def refuse_unknown_soap_operations(plan: Plan, desired: State, arm: ArmPort) -> None:
    """Raise before any write when an operation-level put names an operation APIM will not have."""
    problems: list[tuple[str, str]] = []
    checked: dict[str, bool] = {}
    for action in plan.puts:
        operation = action.key.parent
        if operation is None or operation.kind != "api-operation":
            continue
        api_key = operation.parent
        if api_key is None:
            continue
        spec = desired.get(ResourceKey("api-specification", api_key.names, api_key.workspace))
        if not is_soap_api(desired.get(api_key), spec):
            continue
        if spec is not None and operation.name.casefold() in wsdl_named_operations(spec.content or ""):
            continue
        path = operation.arm_path
        if path not in checked:
            checked[path] = arm.get(path) is not None
        if checked[path]:
            continue
        resource = desired.get(action.key)
        where = resource.source.path if resource is not None and resource.source else action.key.arm_path
        problems.append((
            where,
            f"operation {operation.name!r} of SOAP API {api_key.names[0]!r} does not exist in {arm.service_name}, and "
            "APIM makes up the ids of a WSDL's operations when it imports it, so this id will not exist after the import",
        ))
    if not problems:
        return
    listing = "\n".join(f"  {where}: {why}" for where, why in problems)
    raise ReferenceError_(
        f"{len(problems)} SOAP operation polic{'y' if len(problems) == 1 else 'ies'} cannot be published; "
        f"nothing was published:\n{listing}\n"
        "leave the folder out with --exclude (publish the API, then rename the folder to the operation id the "
        "target gave it, e.g. from a fresh extract)",
        path=problems[0][0],
    )
