"""The APIM service resource itself and the entities every new instance contains."""
from __future__ import annotations

from typing import Any

from .context import ServiceInfo
from .products import BUILTIN_GROUPS
from .store import Entity, Store
import secrets


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
            "publicIPAddresses": ["127.0.0.1"], "customProperties": {}, "virtualNetworkType": "None",
            "disableGateway": False, "apiVersionConstraint": {"minApiVersion": None},
            "publicNetworkAccess": "Enabled", "platformVersion": "stv2",
        },
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
    """Built-in groups (type system) and the all-access ``master`` subscription."""
    for name, (display, description) in BUILTIN_GROUPS.items():
        store.put("groups", Entity(name, {"displayName": display, "description": description, "builtIn": True,
                                          "type": "system", "externalId": None}, store.new_etag()))
    store.put("subscriptions", Entity("master", {
        "ownerId": f"{service.path}/users/1", "scope": f"{service.path}/apis",
        "displayName": "Built-in all-access subscription", "state": "active",
        "createdDate": "2024-01-01T00:00:00Z", "allowTracing": False,
    }, store.new_etag(), {"primaryKey": secrets.token_hex(16), "secondaryKey": secrets.token_hex(16)}))
