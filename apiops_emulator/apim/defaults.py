"""Property defaults the service fills in when a client omits them (apim-arm.md §9.3)."""
from __future__ import annotations

import datetime
from typing import Any


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _kind(kind: str) -> str:
    return kind[len("workspace_"):] if kind.startswith("workspace_") else kind


def apply_defaults(kind: str, props: dict[str, Any], existing: dict[str, Any] | None) -> None:
    """Fill defaults in place; ``existing`` carries server-set values (creation dates) over."""
    base = _kind(kind)
    if base == "api":
        props.setdefault("apiRevision", "1")
        props.setdefault("isCurrent", True)
        props.setdefault("isOnline", True)
        props.setdefault("type", "http")
        props.setdefault("protocols", ["https"])
        props.setdefault("subscriptionRequired", True)
        props.setdefault("subscriptionKeyParameterNames", {"header": "Ocp-Apim-Subscription-Key",
                                                           "query": "subscription-key"})
    elif base == "product":
        props.setdefault("subscriptionRequired", True)
        if props["subscriptionRequired"]:
            props.setdefault("approvalRequired", False)
        props.setdefault("state", "notPublished")
    elif base == "group":
        props.setdefault("type", "custom")
        props.setdefault("builtIn", False)
    elif base == "subscription":
        props.setdefault("state", "submitted")
        props["createdDate"] = (existing or {}).get("createdDate") or _now()
        props.setdefault("allowTracing", False)
        # The service stamps the activation day (midnight UTC) as startDate and answers the other
        # lifecycle dates as null until set (SubscriptionContract; ApiManagementListSubscriptions.json).
        if props.get("state") == "active" and not props.get("startDate"):
            props["startDate"] = (existing or {}).get("startDate") or _now()[:10] + "T00:00:00Z"
        for key in ("startDate", "expirationDate", "endDate", "notificationDate"):
            props.setdefault(key, None)
    elif base == "api_release":
        props["createdDateTime"] = (existing or {}).get("createdDateTime") or _now()
        props["updatedDateTime"] = _now()
    elif base == "backend":
        if props.get("type", "Single") == "Single":
            props.setdefault("tls", {"validateCertificateChain": True, "validateCertificateName": True})
    elif base == "named_value":
        props.setdefault("secret", False)
    elif base == "logger":
        props.setdefault("isBuffered", True)
