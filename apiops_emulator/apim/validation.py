"""Required ``properties.*`` per PUT body, restated from the 2024-05-01 ``definitions.json`` (see
required-properties-2024-05-01.json in the reference material). The SDK flattens ``properties``
and does not enforce these, so the emulator must, as the service does (400 ValidationError)."""
from __future__ import annotations

from typing import Any

from .errors import validation_error

# Nested required fields of operation contracts: (path to a list, required keys of its items).
_OPERATION_PARAMETER_LISTS = ("templateParameters", "request.queryParameters", "request.headers")


def _items(props: dict[str, Any], dotted: str) -> list[Any]:
    current: Any = props
    for part in dotted.split("."):
        if not isinstance(current, dict):
            return []
        current = current.get(part)
    return current if isinstance(current, list) else []


def check_required(kind: str, required: tuple[str, ...], props: dict[str, Any]) -> None:
    for name in required:
        value = props.get(name)
        if value is None or (isinstance(value, (dict, list)) and not value and name != "document"):
            raise validation_error(name, f"'{name}' is required.")
    base = kind[len("workspace_"):] if kind.startswith("workspace_") else kind
    if base == "api_operation":
        for dotted in _OPERATION_PARAMETER_LISTS:
            for index, parameter in enumerate(_items(props, dotted)):
                for key in ("name", "type"):
                    if not isinstance(parameter, dict) or not parameter.get(key):
                        raise validation_error(f"{dotted}[{index}].{key}", f"'{key}' is required.")
        for index, response in enumerate(_items(props, "responses")):
            if not isinstance(response, dict) or response.get("statusCode") is None:
                raise validation_error(f"responses[{index}].statusCode", "'statusCode' is required.")
            for rep_index, representation in enumerate(response.get("representations") or []):
                if not isinstance(representation, dict) or not representation.get("contentType"):
                    raise validation_error(f"responses[{index}].representations[{rep_index}].contentType",
                                           "'contentType' is required.")
        for rep_index, representation in enumerate(_items(props, "request.representations")):
            if not isinstance(representation, dict) or not representation.get("contentType"):
                raise validation_error(f"request.representations[{rep_index}].contentType", "'contentType' is required.")
    elif base == "gateway":
        location = props.get("locationData")
        if isinstance(location, dict) and not location.get("name"):
            raise validation_error("locationData.name", "'name' is required.")
    elif base == "backend":
        pool = props.get("pool")
        if isinstance(pool, dict):
            for index, service in enumerate(pool.get("services") or []):
                if not isinstance(service, dict) or not service.get("id"):
                    raise validation_error(f"pool.services[{index}].id", "'id' is required.")
        proxy = props.get("proxy")
        if isinstance(proxy, dict) and not proxy.get("url"):
            raise validation_error("proxy.url", "'url' is required.")
