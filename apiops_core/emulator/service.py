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
from .http import Request, Response
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
