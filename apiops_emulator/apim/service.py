"""The APIM service resource itself and the entities every new instance contains."""
from __future__ import annotations

import base64
import copy
import re
import secrets
from typing import Any

from .context import ServiceInfo
from .directory import PORTAL_SETTINGS
from .errors import ArmError
from ..http import Request, Response
from .products import BUILTIN_GROUPS
from .store import Entity, Store


# The TLS/cipher switches a new service reports, all off (ApiManagementServiceGetService.json; the
# service answers them as lower-case strings).
DEFAULT_CUSTOM_PROPERTIES = {
    f"Microsoft.WindowsAzure.ApiManagement.Gateway.{key}": "false" for key in (
        "Security.Ciphers.TripleDes168", "Security.Protocols.Tls11", "Security.Protocols.Tls10",
        "Security.Protocols.Ssl30", "Security.Backend.Protocols.Tls11", "Security.Backend.Protocols.Tls10",
        "Security.Backend.Protocols.Ssl30", "Protocols.Server.Http2")}


def service_body(service: ServiceInfo, etag: str) -> dict[str, Any]:
    host = f"{service.service_name}.azure-api.net"
    return {
        "id": service.path, "name": service.service_name, "type": "Microsoft.ApiManagement/service",
        "location": service.location, "etag": etag.strip('"'), "tags": {},
        "sku": {"name": "Developer", "capacity": 1},
        "identity": {"type": "SystemAssigned", "principalId": service.principal_id, "tenantId": service.tenant_id},
        "properties": {
            "publisherEmail": "admin@contoso.example", "publisherName": "apiops emulator",
            "notificationSenderEmail": "apimgmt-noreply@mail.windowsazure.com", "provisioningState": "Succeeded",
            "targetProvisioningState": "", "createdAtUtc": "2024-01-01T00:00:00Z",
            "gatewayUrl": f"https://{host}", "gatewayRegionalUrl": f"https://{service.service_name}-westeurope-01.regional.azure-api.net",
            "portalUrl": f"https://{service.service_name}.portal.azure-api.net",
            "developerPortalUrl": f"https://{service.service_name}.developer.azure-api.net",
            "managementApiUrl": f"https://{service.service_name}.management.azure-api.net",
            "scmUrl": f"https://{service.service_name}.scm.azure-api.net",
            "hostnameConfigurations": [{"type": "Proxy", "hostName": host, "negotiateClientCertificate": False,
                                        "defaultSslBinding": True, "certificateSource": "BuiltIn"}],
            "publicIPAddresses": ["127.0.0.1"], "customProperties": dict(DEFAULT_CUSTOM_PROPERTIES), "virtualNetworkType": "None",
            "disableGateway": False, "apiVersionConstraint": {"minApiVersion": None},
            "publicNetworkAccess": "Enabled", "platformVersion": "stv2",
            "additionalLocations": None, "certificates": None, "privateEndpointConnections": None,
        },
        "systemData": {"createdBy": "admin@contoso.example", "createdByType": "User", "createdAt": "2024-01-01T00:00:00Z",
                       "lastModifiedBy": "admin@contoso.example", "lastModifiedByType": "User",
                       "lastModifiedAt": "2024-01-01T00:00:00Z"},
    }


def subscription_body(service: ServiceInfo) -> dict[str, Any]:
    """The emulated service's subscription, as ``Microsoft.Resources`` ``Subscriptions_Get`` returns it."""
    return {"id": f"/subscriptions/{service.subscription_id}", "authorizationSource": "RoleBased",
            "managedByTenants": [], "subscriptionId": service.subscription_id, "tenantId": service.tenant_id,
            "displayName": "apiops emulator", "state": "Enabled",
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                     "spendingLimit": "Off"}}


def resource_group_body(service: ServiceInfo) -> dict[str, Any]:
    """The emulated service's resource group, as ``Microsoft.Resources`` returns it."""
    return {"id": f"/subscriptions/{service.subscription_id}/resourceGroups/{service.resource_group}",
            "name": service.resource_group, "type": "Microsoft.Resources/resourceGroups",
            "location": service.location.replace(" ", "").lower(), "tags": {},
            "properties": {"provisioningState": "Succeeded"}}


def create_builtins(store: Store, service: ServiceInfo) -> None:
    """Built-in groups (type system), the administrator user ``1`` that owns the built-in
    subscriptions, the three portal settings and the all-access ``master`` subscription."""
    store.put("users", Entity("1", {"firstName": "Administrator", "lastName": "", "email": "admin@contoso.example",
                                    "state": "active", "registrationDate": "2024-01-01T00:00:00Z", "note": None,
                                    "identities": [{"provider": "Azure", "id": "admin@contoso.example"}]},
                              store.new_etag()))
    for name, props in PORTAL_SETTINGS.items():
        extra = {"validationKey": base64.b64encode(secrets.token_bytes(32)).decode()} if name == "delegation" else {}
        store.put("portalsettings", Entity(name, copy.deepcopy(props), store.new_etag(), extra))
    for name, (display, description) in BUILTIN_GROUPS.items():
        store.put("groups", Entity(name, {"displayName": display, "description": description, "builtIn": True,
                                          "type": "system", "externalId": None}, store.new_etag()))
    store.put("subscriptions", Entity("master", {
        "ownerId": f"{service.path}/users/1", "scope": f"{service.path}/apis",
        "displayName": "Built-in all-access subscription", "state": "active",
        "createdDate": "2024-01-01T00:00:00Z", "allowTracing": False,
    }, store.new_etag(), {"primaryKey": secrets.token_hex(16), "secondaryKey": secrets.token_hex(16)}))


_SERVICE_NAME = re.compile(r"^[a-zA-Z](?:[a-zA-Z0-9-]{0,48}[a-zA-Z0-9])?$")


def check_name_availability(service: ServiceInfo, request: Request) -> Response:
    """``POST /subscriptions/{s}/providers/Microsoft.ApiManagement/checkNameAvailability``
    (ApiManagementServiceNameAvailabilityResult: nameAvailable, message, reason Valid|Invalid|
    AlreadyExists). Service names are global DNS labels: 1-50 characters, a letter first, letters,
    digits and hyphens, not ending with a hyphen (the spec's serviceName pattern)."""
    try:
        body = request.json() or {}
    except ValueError:
        body = None
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name:
        raise ArmError(400, "ValidationError", "'name' is required.")
    if isinstance(body, dict) and body.get("type") not in (None, "Microsoft.ApiManagement/service"):
        raise ArmError(400, "ValidationError", "'type' must be 'Microsoft.ApiManagement/service'.")
    if not _SERVICE_NAME.match(name):
        return Response.json_body(200, {"nameAvailable": False, "reason": "Invalid",
                                        "message": f"Invalid service name '{name}'."})
    if name.lower() == service.service_name.lower():
        return Response.json_body(200, {"nameAvailable": False, "reason": "AlreadyExists",
                                        "message": f"{name} is already in use. Please select a different name."})
    return Response.json_body(200, {"nameAvailable": True, "reason": "Valid", "message": ""})


def resources_list(service: ServiceInfo, request: Request) -> dict[str, Any]:
    """``GET /subscriptions/{s}[/resourceGroups/{g}]/resources`` (Microsoft.Resources): the one
    resource the emulator hosts, as GenericResourceExpanded. ``$filter`` on resourceType/name is
    honoured for the equality forms ARM documents."""
    item = {"id": service.path, "name": service.service_name, "type": "Microsoft.ApiManagement/service",
            "location": service.location.replace(" ", "").lower(), "tags": {},
            "sku": {"name": "Developer", "capacity": 1},
            "identity": {"type": "SystemAssigned", "principalId": service.principal_id, "tenantId": service.tenant_id}}
    wanted = request.query.get("$filter") or ""
    for field_name, key in (("resourceType", "type"), ("name", "name")):
        match = re.search(field_name + r"\s+eq\s+'([^']*)'", wanted, re.IGNORECASE)
        if match and match.group(1).lower() != str(item[key]).lower():
            return {"value": []}
    return {"value": [item]}


# -- updates of the service resource (ApiManagementService_Update / _CreateOrUpdate) -----------
#
# The spec (apimdeployment.json, 2024-05-01) makes both long-running: PATCH answers 200 or 202,
# PUT 200 or 201. Like the emulator's other long-running writes, they finish at once and answer
# 200 with ``provisioningState: Succeeded``. Only what a client can change without re-provisioning
# is kept: ``tags`` (ARM replaces the whole set when a request carries it) and the simple
# properties below; anything else in ``properties`` is accepted and ignored, as a SKU change or
# a new region would be applied by a long provisioning the emulator does not model.

SERVICE_COLLECTION = "$service"      # never a real collection name (those are spec path segments)
_MUTABLE = ("publisherEmail", "publisherName", "notificationSenderEmail", "customProperties",
            "apiVersionConstraint", "publicNetworkAccess", "disableGateway")
#: ARM's documented tag limits (Azure Resource Manager, "Use tags to organize your Azure resources")
MAX_TAGS, MAX_TAG_NAME, MAX_TAG_VALUE = 50, 512, 256
_BAD_TAG_CHARS = set("<>%&\\?/")


def service_state(store: Store) -> Entity | None:
    """What updates changed on the service (tags, properties), with its current ETag."""
    return store.get(SERVICE_COLLECTION, "service")


def current_service_body(store: Store, service: ServiceInfo) -> tuple[dict[str, Any], str]:
    """The service as GET returns it now: the fixed body with the stored updates applied."""
    state = service_state(store)
    etag = state.etag if state is not None else '"service-etag"'
    body = service_body(service, etag)
    if state is not None:
        body["tags"] = dict(state.properties.get("tags") or {})
        body["properties"].update(state.properties.get("properties") or {})
    return body, etag


def validate_tags(tags: Any) -> str | None:
    """ARM's check of a ``tags`` object; the error message, or None when it is acceptable."""
    if not isinstance(tags, dict):
        return "The 'tags' property must be an object of string names to string values."
    if len(tags) > MAX_TAGS:
        return f"The resource has {len(tags)} tags; at most {MAX_TAGS} are allowed."
    for name, value in tags.items():
        if not isinstance(value, str) and value is not None:
            return f"The value of tag '{name}' must be a string."
        if not name or len(name) > MAX_TAG_NAME or set(name) & _BAD_TAG_CHARS:
            return f"The tag name '{name}' is invalid (1-{MAX_TAG_NAME} characters, none of < > % & \\ ? /)."
        if value is not None and len(value) > MAX_TAG_VALUE:
            return f"The value of tag '{name}' is longer than {MAX_TAG_VALUE} characters."
    return None


def update_service(store: Store, service: ServiceInfo, payload: Any, *, replace: bool) -> tuple[dict[str, Any], str]:
    """Apply a PATCH (``replace=False``) or PUT (``replace=True``) to the service; returns the new body.

    Raises ``ValueError(code, message)`` for a request ARM would refuse with 400.
    """
    if not isinstance(payload, dict):
        raise ValueError("InvalidRequestContent", "The request content was invalid and could not be deserialized.")
    properties = payload.get("properties")
    if properties is not None and not isinstance(properties, dict):
        raise ValueError("InvalidRequestContent", "The 'properties' member must be an object.")
    if replace:
        missing = [name for name, present in (
            ("location", bool(payload.get("location"))), ("sku", isinstance(payload.get("sku"), dict)),
            ("properties.publisherEmail", bool((properties or {}).get("publisherEmail"))),
            ("properties.publisherName", bool((properties or {}).get("publisherName"))),
        ) if not present]
        if missing:
            raise ValueError("ValidationError", "Missing required properties: " + ", ".join(missing) + ".")
    state = service_state(store)
    kept = dict(state.properties) if state is not None else {}
    if "tags" in payload or replace:
        tags = payload.get("tags") or {}
        problem = validate_tags(tags)
        if problem:
            raise ValueError("InvalidTag", problem)
        kept["tags"] = {name: value for name, value in tags.items() if value is not None}
    changed = dict(kept.get("properties") or {})
    for name in _MUTABLE:
        if properties and name in properties:
            changed[name] = properties[name]
    kept["properties"] = changed
    store.put(SERVICE_COLLECTION, Entity("service", kept, store.new_etag()))
    return current_service_body(store, service)
