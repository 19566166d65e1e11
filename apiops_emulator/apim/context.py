"""Shared request context for handlers: who the service is, the store, the parsed target, and
helpers to render ARM bodies and resolve cross-references between entities."""
from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from .blobs import BlobStore
from ..http import Request
from .locate import Locator, RevisionIndex, Target
from .routes import Route
from .store import Entity, Store


@dataclass(frozen=True)
class ServiceInfo:
    """The one APIM instance this emulator hosts."""

    subscription_id: str = "00000000-0000-0000-0000-000000000000"
    resource_group: str = "rg-apiops-emulator"
    service_name: str = "apim-emulator"
    location: str = "West Europe"
    principal_id: str = field(default_factory=lambda: str(uuid.uuid5(uuid.NAMESPACE_URL, "apiops-emulator-principal")))
    tenant_id: str = "11111111-1111-1111-1111-111111111111"

    @property
    def path(self) -> str:
        return (f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
                f"/providers/Microsoft.ApiManagement/service/{self.service_name}")


@dataclass
class Env:
    """Everything handlers share across requests (owned by the ARM app)."""

    service: ServiceInfo
    store: Store
    revisions: RevisionIndex
    locator: Locator
    blobs: BlobStore
    lenient: bool = False
    logger_secrets: bool = True         # literal logger secrets -> auto-created named values (loggers.py)
    base_url: Callable[[], str] = lambda: ""
    own_hosts: set[str] = field(default_factory=set)


@dataclass
class Ctx:
    """One request being handled."""

    env: Env
    request: Request
    target: Target
    scratch: dict[str, Any] = field(default_factory=dict)   # data passed between a write's hooks

    @property
    def route(self) -> Route:
        return self.target.route

    @property
    def store(self) -> Store:
        return self.env.store

    @property
    def service_id(self) -> str:
        return self.env.service.path

    def full_id(self, display_path: str) -> str:
        return f"{self.service_id}/{display_path}"

    def body(self, entity: Entity, properties: dict[str, Any], *, name: str | None = None,
             display_parent: str | None = None, route: Route | None = None) -> dict[str, Any]:
        """An ARM envelope ``{id, type, name, properties}`` for an entity."""
        shown = name if name is not None else entity.name
        parent = display_parent if display_parent is not None else self.target.display_parent
        return {"id": self.full_id(f"{parent}/{shown}"), "type": (route or self.route).full_type, "name": shown,
                "properties": properties}


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def relative_ref(service_id: str, ref: str) -> str:
    """Service-relative path of a reference given as full ARM id or ``/apis/x``-style id."""
    lowered = ref.lower()
    if lowered.startswith(service_id.lower()):
        ref = ref[len(service_id):]
    elif lowered.startswith("/subscriptions/"):
        marker = "/providers/microsoft.apimanagement/service/"
        position = lowered.find(marker)
        if position != -1:
            rest = ref[position + len(marker):]
            ref = rest[rest.find("/"):] if "/" in rest else ""
    return ref.strip("/")


def ref_name(ref: str, collection: str) -> str | None:
    """The id following the last ``/<collection>/`` in a reference (case-insensitive)."""
    parts = ref.strip("/").split("/")
    for index in range(len(parts) - 2, -1, -1):
        if parts[index].lower() == collection.lower():
            return parts[index + 1]
    return None


def full_ref(service_id: str, ref: str) -> str:
    """Normalise a reference to a full ARM id (the form the service returns)."""
    return f"{service_id}/{relative_ref(service_id, ref)}" if ref else ref
