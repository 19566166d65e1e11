"""The emulator's route table, written from the 2024-05-01 REST spec (sdk-operations / apim-arm.md).

It is deliberately independent of the client's kind table: a test elsewhere compares the two, so
one wrong row cannot pass on both sides. Each :class:`Route` describes one entity collection
under ``/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ApiManagement/service/{svc}``:
its path template (service-relative, spec parameter names), the SDK operation-group name used as
``kind``, the ARM ``type``, whether PUT (and DELETE) are long-running, whether the entity has an
ETag (link/association resources have none), the required ``properties.*`` on PUT, and which
handler ``behavior`` implements it (``entity`` = plain CRUD).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

TYPE_PREFIX = "Microsoft.ApiManagement/service"


@dataclass(frozen=True)
class Route:
    template: str                     # e.g. "apis/{apiId}/operations/{operationId}"
    kind: str                         # SDK operation group, e.g. "api_operation"
    arm_type: str                     # type suffix after "Microsoft.ApiManagement/service/"
    lro: bool = False                 # PUT is a long-running operation (SDK begin_create_or_update)
    lro_delete: bool = False          # DELETE is long-running (only service-level APIs)
    etag: bool = True                 # entity has an ETag; If-Match required on PATCH/DELETE
    patch: bool = True                # PATCH exists
    required: tuple[str, ...] = ()    # required body.properties on PUT
    behavior: str = "entity"          # handler: entity, api, policy, revisions, product_api, ...
    actions: tuple[str, ...] = ()     # POST actions on an entity, e.g. ("listValue",)
    head_status: int = 200            # product api/group existence checks answer 204
    read_only: bool = False           # synthesised collections (revisions, api products)
    workspace: bool = False           # also exists under workspaces/{workspaceId}/
    orderable: bool = False           # the list takes $orderby (spec: policy fragments only)
    delete_if_match: bool = True      # DELETE requires If-Match (policy restrictions: optional in the spec)
    deletable: bool = True            # DELETE exists (portal settings: no DELETE in the spec)
    created_status: int = 201         # PUT of a new entity (portal settings answer 200 only)
    patch_status: int = 200           # PATCH (portal settings answer 204)

    @property
    def collection(self) -> str:
        """The collection part of the template (the template without its last ``/{id}``)."""
        parts = self.template.split("/")
        return "/".join(parts[:-1]) if parts[-1].startswith("{") else self.template

    @property
    def segments(self) -> tuple[str, ...]:
        """Lower-case collection names, the key the router matches on."""
        return tuple(part.lower() for part in self.template.split("/") if not part.startswith("{"))

    @property
    def full_type(self) -> str:
        return f"{TYPE_PREFIX}/{self.arm_type}"


_POLICY: dict[str, Any] = dict(behavior="policy", patch=False, required=("value",))

SERVICE_ROUTES: tuple[Route, ...] = (
    Route("apis/{apiId}", "api", "apis", lro=True, lro_delete=True, required=("path",), behavior="api", workspace=True),
    Route("apis/{apiId}/revisions", "api_revision", "apis/revisions", etag=False, patch=False, behavior="revisions",
          read_only=True, workspace=True),
    Route("apis/{apiId}/releases/{releaseId}", "api_release", "apis/releases", behavior="release", workspace=True),
    Route("apis/{apiId}/operations/{operationId}", "api_operation", "apis/operations",
          required=("displayName", "method", "urlTemplate"), workspace=True),
    Route("apis/{apiId}/policies/{policyId}", "api_policy", "apis/policies", workspace=True, **_POLICY),
    Route("apis/{apiId}/operations/{operationId}/policies/{policyId}", "api_operation_policy",
          "apis/operations/policies", workspace=True, **_POLICY),
    Route("apis/{apiId}/schemas/{schemaId}", "api_schema", "apis/schemas", lro=True, patch=False,
          required=("contentType", "document"), workspace=True),
    Route("apis/{apiId}/diagnostics/{diagnosticId}", "api_diagnostic", "apis/diagnostics", required=("loggerId",),
          workspace=True),
    Route("apis/{apiId}/tagDescriptions/{tagDescriptionId}", "api_tag_description", "apis/tagDescriptions",
          patch=False),
    Route("apis/{apiId}/tags/{tagId}", "api_tag", "tags", etag=False, patch=False, behavior="tag_assignment"),
    Route("apis/{apiId}/operations/{operationId}/tags/{tagId}", "api_operation_tag", "tags", etag=False,
          patch=False, behavior="tag_assignment"),
    Route("apis/{apiId}/products", "api_product", "products", etag=False, patch=False, behavior="api_products",
          read_only=True),
    Route("apiVersionSets/{versionSetId}", "api_version_set", "apiVersionSets",
          required=("displayName", "versioningScheme"), workspace=True),
    Route("products/{productId}", "product", "products", required=("displayName",), behavior="product",
          workspace=True),
    Route("products/{productId}/apis/{apiId}", "product_api", "apis", etag=False, patch=False,
          behavior="product_api", head_status=204),
    Route("products/{productId}/apiLinks/{apiLinkId}", "product_api_link", "products/apiLinks", etag=False,
          patch=False, required=("apiId",), workspace=True),
    Route("products/{productId}/groups/{groupId}", "product_group", "groups", etag=False, patch=False,
          behavior="product_group", head_status=204),
    Route("products/{productId}/groupLinks/{groupLinkId}", "product_group_link", "products/groupLinks",
          etag=False, patch=False, required=("groupId",), workspace=True),
    Route("products/{productId}/policies/{policyId}", "product_policy", "products/policies", workspace=True,
          **_POLICY),
    Route("products/{productId}/tags/{tagId}", "product_tag", "tags", etag=False, patch=False,
          behavior="tag_assignment"),
    Route("groups/{groupId}", "group", "groups", required=("displayName",), behavior="group", workspace=True),
    Route("tags/{tagId}", "tag", "tags", required=("displayName",), workspace=True),
    Route("tags/{tagId}/apiLinks/{apiLinkId}", "tag_api_link", "tags/apiLinks", etag=False, patch=False,
          required=("apiId",), workspace=True),
    Route("tags/{tagId}/productLinks/{productLinkId}", "tag_product_link", "tags/productLinks", etag=False,
          patch=False, required=("productId",), workspace=True),
    Route("tags/{tagId}/operationLinks/{operationLinkId}", "tag_operation_link", "tags/operationLinks",
          etag=False, patch=False, required=("operationId",), workspace=True),
    Route("namedValues/{namedValueId}", "named_value", "namedValues", lro=True, required=("displayName",),
          behavior="named_value", actions=("listValue", "refreshSecret"), workspace=True),
    Route("backends/{backendId}", "backend", "backends", actions=("reconnect",), workspace=True),
    Route("loggers/{loggerId}", "logger", "loggers", required=("loggerType",), workspace=True),
    Route("diagnostics/{diagnosticId}", "diagnostic", "diagnostics", required=("loggerId",), workspace=True),
    Route("policies/{policyId}", "policy", "policies", workspace=True, **_POLICY),
    Route("policyFragments/{id}", "policy_fragment", "policyFragments", lro=True, patch=False, required=("value",),
          behavior="policy_fragment", actions=("listReferences",), workspace=True, orderable=True),
    Route("gateways/{gatewayId}", "gateway", "gateways", behavior="gateway",
          actions=("listKeys", "regenerateKey", "generateToken")),
    Route("gateways/{gatewayId}/apis/{apiId}", "gateway_api", "gateways/apis", etag=False, patch=False,
          behavior="gateway_api"),
    Route("subscriptions/{sid}", "subscription", "subscriptions", required=("scope", "displayName"),
          behavior="subscription", actions=("listSecrets", "regeneratePrimaryKey", "regenerateSecondaryKey"),
          workspace=True),
    Route("schemas/{schemaId}", "global_schema", "schemas", lro=True, patch=False, required=("schemaType",),
          workspace=True),
    Route("workspaces/{workspaceId}", "workspace", "workspaces", required=("displayName",)),
    # Kinds added for issue 15, rows from sdk-operations-2024-05-01 (verbs, codes, LRO) and the required
    # PUT properties of definitions.json. Secrets are write-only (directory.py).
    Route("apisByTags", "api_by_tags", "apis", etag=False, patch=False, behavior="apis_by_tags", read_only=True),
    Route("apis/{apiId}/resolvers/{resolverId}", "graph_ql_api_resolver", "apis/resolvers"),
    Route("apis/{apiId}/resolvers/{resolverId}/policies/{policyId}", "graph_ql_api_resolver_policy",
          "apis/resolvers/policies", **_POLICY),
    Route("apis/{apiId}/wikis/{wikiId}", "api_wiki", "apis/wikis", behavior="wiki"),
    Route("products/{productId}/wikis/{wikiId}", "product_wiki", "products/wikis", behavior="wiki"),
    Route("documentations/{documentationId}", "documentation", "documentations"),
    Route("policyRestrictions/{policyRestrictionId}", "policy_restriction", "policyRestrictions",
          delete_if_match=False),
    Route("users/{userId}", "user", "users", lro_delete=True, required=("email", "firstName", "lastName"),
          behavior="user", actions=("generateSsoUrl", "token")),
    Route("certificates/{certificateId}", "certificate", "certificates", patch=False, behavior="certificate",
          actions=("refreshSecret",)),
    Route("authorizationServers/{authsid}", "authorization_server", "authorizationServers",
          required=("displayName", "clientRegistrationEndpoint", "authorizationEndpoint", "clientId", "grantTypes"),
          behavior="secret_holder", actions=("listSecrets",)),
    Route("openidConnectProviders/{opid}", "open_id_connect_provider", "openidConnectProviders",
          required=("displayName", "metadataEndpoint", "clientId"), behavior="secret_holder", actions=("listSecrets",)),
    Route("identityProviders/{identityProviderName}", "identity_provider", "identityProviders",
          required=("clientId", "clientSecret"), behavior="identity_provider", actions=("listSecrets",)),
    Route("portalsettings/{portalSettingName}", "portal_settings", "portalsettings", behavior="portal_setting",
          actions=("listSecrets",), deletable=False, created_status=200, patch_status=204),
)


def _in_workspace(route: Route) -> Route:
    """The workspace twin of a service-level route. Differences from the service level (spec):
    DELETE of a workspace API is not an LRO; kinds are prefixed ``workspace_``."""
    kind = "workspace_" + ("global_schema" if route.kind == "global_schema" else route.kind)
    return dataclasses.replace(route, template="workspaces/{workspaceId}/" + route.template, kind=kind,
                               arm_type="workspaces/" + route.arm_type, lro_delete=False, workspace=False)


ROUTES: tuple[Route, ...] = SERVICE_ROUTES + tuple(_in_workspace(r) for r in SERVICE_ROUTES if r.workspace)


def route_index(routes: tuple[Route, ...] = ROUTES) -> dict[tuple[str, ...], Route]:
    """Routes keyed by their lower-case collection-name tuple, e.g. ``("apis", "operations")``."""
    return {route.segments: route for route in routes}
