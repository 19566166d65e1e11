"""The table of APIM resource kinds: the only place that knows ARM paths and artifact file names.

Every engine (extract, plan, apply, lint) is a loop over ``KINDS``. A row says, as data:

- where the resource lives in ARM (``arm_path``, a template over the resource's name path),
- where it lives in the artifacts tree (``info_path`` for the JSON information file, ``content_path``
  for an owned text file such as ``policy.xml`` or ``specification.*``), in the Azure/apiops v7
  layout, plus the older layouts the reader still accepts (``legacy_info_paths``, ``legacy_arrays``)
  and apiops-cli's layout where its file names differ (``cli_info_paths``),
- what it depends on (``parent``, ``link`` ends, ``references`` to other kinds by JSON path),
- and its exceptions (``system_names``, ``read_only_fields``, ``secret_fields``, ``set_fields``),
- where a link is listed (``link_listing``; ARM lists most links from one end only),
- and which ``behaviour`` (``apiops_core/behaviours/``) handles the part of APIM that is not
  generic CRUD: revisions, specification imports, what APIM adds to a new product, secrets.

Templates use ``{0}``, ``{1}`` ... for the resource's name path (the names from the root down,
e.g. ``("echo-api", "get-items")`` for an operation policy) so that a link whose tree parent is
not its ARM parent (``tags/{0}/apis/{1}`` in the tree, ``apis/{1}/tags/{0}`` in ARM) is still one row.
Workspace-scoped resources use the same rows under a ``workspaces/{ws}/`` prefix on both sides.

Adding a kind is adding a row (and its test), never a new code path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

__all__ = [
    "Kind",
    "Reference",
    "KINDS",
    "KIND_BY_NAME",
    "kind",
    "levels",
    "dependency_edges",
    "WORKSPACE_PREFIX",
    "SPEC_EXTENSIONS",
    "fill",
    "LinkListing",
    "WORKSPACE_KIND",
]

WORKSPACE_PREFIX = "workspaces/{ws}/"
#: the kind that scopes others (``workspaces/{ws}/...``); read first, on its own
WORKSPACE_KIND = "workspace"

#: specification file extensions, in the order the reader tries them (Azure/apiops names; .yml accepted)
SPEC_EXTENSIONS: tuple[str, ...] = ("yaml", "yml", "json", "wadl", "wsdl", "graphql")


@dataclass(frozen=True)
class Reference:
    """A property of a kind's body that names another resource.

    ``path`` is a dotted JSON path inside the body; ``[]`` steps into every list item
    (``properties.pool.services[].id``). ``targets`` are the kinds it may name; the id's own
    collection segment decides which (``/products/p`` vs ``/apis/a`` for a subscription scope).
    ``by_name``: the value is the bare resource name of ``targets[0]``, not an id (an API's
    ``authenticationSettings.oAuth2.authorizationServerId``, a wiki's ``documentationId``).
    """

    path: str
    targets: tuple[str, ...]
    by_name: bool = False


@dataclass(frozen=True)
class LinkListing:
    """Where a link kind is listed in ARM: from which end, which collection, how to name the far end.

    Why a column and not the link's ARM path: ARM lists a link from one end only, and not always
    under the path it is put to (a product's groups are listed as ``groupLinks``, whose items name
    the group in ``groupId``).
    """

    owner: str  # kind whose items the list hangs off
    template: str  # list path under the owner, ``{0}`` = owner name
    id_field: str | None = None  # property holding the far end's id (``*Links`` collections)
    owner_is_first: bool = True  # True when the owner is names[0] of the link key
    fallback: str | None = None  # listed here instead when the first collection is not on this tier


@dataclass(frozen=True)
class Kind:
    """One APIM resource kind, as pure data (see the module docstring)."""

    name: str
    arm_path: str
    parent: str | None = None
    info_path: str | None = None
    content_path: str | None = None
    config_key: str | None = None
    v6_config_key: str | None = None
    link: tuple[str, str] | None = None
    references: tuple[Reference, ...] = ()
    system_names: frozenset[str] = frozenset()
    read_only_fields: tuple[str, ...] = ("provisioningState",)
    secret_fields: tuple[str, ...] = ()
    #: secret values the instance returns in clear (function keys, logger keys...): extract writes
    #: ``normalise.MASK`` instead of a literal (a ``{{named value}}`` reference is kept, it is no
    #: secret), plan compares a mask as "whatever is live", publish puts the live value back.
    #: Dotted paths; ``*`` is any key of a map, ``[]`` every item of a list.
    masked_fields: tuple[str, ...] = ()
    set_fields: tuple[str, ...] = ()
    lro: bool = False
    etag: bool = True
    in_workspace: bool = True
    in_service: bool = True
    in_tree: bool = True
    extract: bool = True
    body_compared: bool = True
    content_kind: str | None = None
    workspace_arm_path: str | None = None
    legacy_info_paths: tuple[str, ...] = ()
    legacy_arrays: tuple[str, ...] = ()
    #: apiops-cli (Azure/apiops-cli, the TypeScript successor) information files whose path differs
    #: from v7's; read only, never written (its ``apis.json``/``groups.json``/``tags.json`` arrays are
    #: the v5 ``legacy_arrays``, and most other file names are v7's own)
    cli_info_paths: tuple[str, ...] = ()
    special: str | None = None
    depends_on_kinds: tuple[str, ...] = field(default=())
    #: ``properties.*`` the service requires on PUT (2024-05-01 definitions); lint checks them first
    required_fields: tuple[str, ...] = ()
    #: not every tier has it (self-hosted gateways: Developer/Premium; workspaces: Premium; groups
    #: and their product links: not Consumption; the developer portal's identity providers,
    #: authorization servers and OpenID Connect providers: not Consumption; documentations, wikis
    #: and policy restrictions: newer collections an older instance may not serve), so a 404 on
    #: its collection means "not here"
    #: rather than a wrong target or a bug; every other kind's collection exists on every tier
    tier_dependent: bool = False
    #: read only under parents whose ``properties.type`` is one of these (resolvers: GraphQL APIs),
    #: which saves extract one list call per other parent; empty = under every parent
    only_under_types: tuple[str, ...] = ()
    #: the behaviour (``apiops_core.behaviours.behaviour_for``) for what is not generic CRUD
    behaviour: str = "generic"
    #: how extract lists this link kind, at service scope and in a workspace (None: not listed)
    link_listing: LinkListing | None = None
    workspace_link_listing: LinkListing | None = None
    #: property of the v7 link file naming the far end (``groupId``); workspace links carry one
    link_id_field: str | None = None
    #: the v7 link file keeps the link's own name and far-end id at service scope too
    link_named: bool = False
    #: property that says whether ``secret_fields`` are secret (a plain named value's value is not)
    secret_flag: str | None = None

    @property
    def arity(self) -> int:
        """How many names identify one resource of this kind (its depth in the name path)."""
        return len(set(re.findall(r"\{(\d+)\}", self.arm_path)))

    def arm_template(self, workspace: str | None) -> str:
        """The ARM path template, relative to the service, for the given scope."""
        if workspace is None:
            return self.arm_path
        return WORKSPACE_PREFIX + (self.workspace_arm_path or self.arm_path)

    def collection_template(self, workspace: str | None) -> str:
        """The list URL template (the ARM path without its last name segment)."""
        template = self.arm_template(workspace)
        return template.rsplit("/", 1)[0]

    @property
    def is_policy(self) -> bool:
        return self.content_kind == "policy"

    @property
    def is_link(self) -> bool:
        return self.link is not None


def _policy(name: str, arm_path: str, parent: str | None, content_path: str, **extra: object) -> Kind:
    """A policy kind: ARM name always ``policy``, content in ``policy.xml``, no information file."""
    return Kind(
        name=name,
        arm_path=arm_path,
        parent=parent,
        content_path=content_path,
        content_kind="policy",
        config_key="policies",
        depends_on_kinds=("named-value", "policy-fragment", "backend", "logger"),
        **extra,  # type: ignore[arg-type]
    )


_ID_RELATIVE = ("properties.apiVersionSetId",)

KINDS: tuple[Kind, ...] = (
    Kind(
        name="workspace",
        required_fields=('displayName',),
        arm_path="workspaces/{0}",
        info_path="workspaces/{0}/workspaceInformation.json",
        config_key="workspaces",
        v6_config_key="workspaceNames",
        in_workspace=False,
        tier_dependent=True,
    ),
    _policy("service-policy", "policies/policy", None, "policy.xml", workspace_arm_path="policies/policy"),
    Kind(
        name="named-value",
        required_fields=('displayName',),
        arm_path="namedValues/{0}",
        info_path="named values/{0}/namedValueInformation.json",
        cli_info_paths=("namedValues/{0}/namedValueInformation.json",),
        config_key="namedValues",
        v6_config_key="namedValueNames",
        secret_fields=("properties.value",),
        secret_flag="secret",
        read_only_fields=("provisioningState", "keyVault.lastStatus"),
        set_fields=("properties.tags",),
        lro=True,
        behaviour="named-value",
    ),
    Kind(
        name="tag",
        required_fields=('displayName',),
        arm_path="tags/{0}",
        info_path="tags/{0}/tagInformation.json",
        config_key="tags",
        v6_config_key="tagNames",
    ),
    Kind(
        name="version-set",
        required_fields=('displayName', 'versioningScheme'),
        arm_path="apiVersionSets/{0}",
        info_path="version sets/{0}/versionSetInformation.json",
        legacy_info_paths=("version sets/{0}/apiVersionSetInformation.json",),
        cli_info_paths=("versionSets/{0}/versionSetInformation.json",),
        config_key="versionSets",
        v6_config_key="versionSetNames",
    ),
    Kind(
        name="backend",
        arm_path="backends/{0}",
        info_path="backends/{0}/backendInformation.json",
        config_key="backends",
        v6_config_key="backendNames",
        references=(
            Reference("properties.pool.services[].id", ("backend",)),
            Reference("properties.credentials.certificateIds[]", ("certificate",)),
        ),
        masked_fields=(
            "properties.credentials.authorization.parameter",
            "properties.credentials.header.*[]",
            "properties.credentials.query.*[]",
            "properties.proxy.password",
        ),
    ),
    Kind(
        name="logger",
        required_fields=('loggerType',),
        arm_path="loggers/{0}",
        info_path="loggers/{0}/loggerInformation.json",
        config_key="loggers",
        v6_config_key="loggerNames",
        depends_on_kinds=("named-value",),
        masked_fields=(
            "properties.credentials.instrumentationKey",
            "properties.credentials.connectionString",
        ),
    ),
    Kind(
        name="diagnostic",
        required_fields=('loggerId',),
        arm_path="diagnostics/{0}",
        info_path="diagnostics/{0}/diagnosticInformation.json",
        config_key="diagnostics",
        v6_config_key="diagnosticNames",
        references=(Reference("properties.loggerId", ("logger",)),),
    ),
    Kind(
        name="policy-fragment",
        arm_path="policyFragments/{0}",
        info_path="policy fragments/{0}/policyFragmentInformation.json",
        cli_info_paths=("policyFragments/{0}/policyFragmentInformation.json",),
        content_path="policy fragments/{0}/policy.xml",
        content_kind="policy",
        config_key="policyFragments",
        v6_config_key="policyFragmentNames",
        lro=True,
        depends_on_kinds=("named-value", "backend", "logger"),
    ),
    Kind(
        name="global-schema",
        required_fields=('schemaType',),
        arm_path="schemas/{0}",
        info_path="schemas/{0}/schemaInformation.json",
        config_key="schemas",
        lro=True,
    ),
    Kind(
        name="group",
        required_fields=('displayName',),
        arm_path="groups/{0}",
        info_path="groups/{0}/groupInformation.json",
        config_key="groups",
        v6_config_key="groupNames",
        system_names=frozenset({"administrators", "developers", "guests"}),
        read_only_fields=("provisioningState", "builtIn"),
        tier_dependent=True,
        behaviour="group",
    ),
    Kind(
        name="gateway",
        arm_path="gateways/{0}",
        info_path="gateways/{0}/gatewayInformation.json",
        config_key="gateways",
        v6_config_key="gatewayNames",
        system_names=frozenset({"managed"}),
        in_workspace=False,
        tier_dependent=True,
    ),
    Kind(
        name="product",
        required_fields=('displayName',),
        arm_path="products/{0}",
        info_path="products/{0}/productInformation.json",
        config_key="products",
        v6_config_key="productNames",
        behaviour="product",
    ),
    Kind(
        name="api",
        required_fields=('path',),
        arm_path="apis/{0}",
        info_path="apis/{0}/apiInformation.json",
        config_key="apis",
        v6_config_key="apiNames",
        references=(
            Reference("properties.apiVersionSetId", ("version-set",)),
            # the service refuses an API naming a missing authorization server / OpenID provider
            Reference("properties.authenticationSettings.oAuth2.authorizationServerId", ("authorization-server",), True),
            Reference(
                "properties.authenticationSettings.oAuth2AuthenticationSettings[].authorizationServerId",
                ("authorization-server",),
                True,
            ),
            Reference("properties.authenticationSettings.openid.openidProviderId", ("openid-connect-provider",), True),
            Reference(
                "properties.authenticationSettings.openidAuthenticationSettings[].openidProviderId",
                ("openid-connect-provider",),
                True,
            ),
        ),
        read_only_fields=("provisioningState", "isOnline", "apiVersionSet", "format", "value"),
        set_fields=("properties.protocols",),
        lro=True,
        behaviour="api",
    ),
    Kind(
        name="api-specification",
        arm_path="apis/{0}",
        parent="api",
        content_path="apis/{0}/specification.*",
        content_kind="specification",
        special="specification",
        etag=False,
        behaviour="api-specification",
    ),
    _policy("api-policy", "apis/{0}/policies/policy", "api", "apis/{0}/policy.xml"),
    Kind(
        name="api-operation",
        arm_path="apis/{0}/operations/{1}",
        parent="api",
        config_key="operations",
        in_tree=False,
        extract=False,
        depends_on_kinds=("api-specification",),
    ),
    _policy(
        "api-operation-policy",
        "apis/{0}/operations/{1}/policies/policy",
        "api-operation",
        "apis/{0}/operations/{1}/policy.xml",
    ),
    Kind(
        name="api-operation-tag",
        arm_path="apis/{0}/operations/{1}/tags/{2}",
        parent="api-operation",
        info_path="apis/{0}/operations/{1}/tags/{2}/operationTagInformation.json",
        config_key="tags",
        depends_on_kinds=("tag",),  # named after its tag: put after it, deleted before it
        read_only_fields=("provisioningState", "displayName"),  # the tag's, filled in on GET
        etag=False,
        body_compared=False,
        in_workspace=False,  # a workspace tags operations through tags/{t}/operationLinks instead
    ),
    Kind(
        name="api-schema",
        required_fields=('contentType', 'document'),
        arm_path="apis/{0}/schemas/{1}",
        parent="api",
        info_path="apis/{0}/schemas/{1}/apiSchemaInformation.json",
        cli_info_paths=("apis/{0}/schemas/{1}/schemaInformation.json",),
        config_key="schemas",
        lro=True,
        behaviour="api-schema",
    ),
    Kind(
        name="api-diagnostic",
        required_fields=('loggerId',),
        arm_path="apis/{0}/diagnostics/{1}",
        parent="api",
        info_path="apis/{0}/diagnostics/{1}/diagnosticInformation.json",
        config_key="diagnostics",
        references=(Reference("properties.loggerId", ("logger",)),),
    ),
    Kind(
        name="api-release",
        arm_path="apis/{0}/releases/{1}",
        parent="api",
        info_path="apis/{0}/releases/{1}/apiReleaseInformation.json",
        cli_info_paths=("apis/{0}/releases/{1}/releaseInformation.json",),
        config_key="releases",
        references=(Reference("properties.apiId", ("api",)),),
        read_only_fields=("provisioningState", "createdDateTime", "updatedDateTime"),
        behaviour="api-release",
    ),
    Kind(
        name="api-tag-description",
        arm_path="apis/{0}/tagDescriptions/{1}",
        parent="api",
        info_path="apis/{0}/tag descriptions/{1}/tagDescriptionInformation.json",
        cli_info_paths=("apis/{0}/tagDescriptions/{1}/tagDescriptionInformation.json",),
        config_key="tagDescriptions",
        references=(Reference("properties.tagId", ("tag",)),),
        # the service copies the tag's displayName in: the tag's fact, never this file's
        read_only_fields=("provisioningState", "displayName"),
        in_workspace=False,  # the 2024-05-01 spec has no workspace tag descriptions
    ),
    Kind(
        name="tag-api",
        arm_path="apis/{1}/tags/{0}",
        workspace_arm_path="tags/{0}/apiLinks/{1}",
        parent="tag",
        info_path="tags/{0}/apis/{1}/tagApiInformation.json",
        legacy_info_paths=("apis/{1}/tags/{0}/apiTagInformation.json",),
        cli_info_paths=("apis/{1}/tags/{0}/tagInformation.json",),
        legacy_arrays=("apis/{1}/tags.json",),
        link=("tag", "api"),
        config_key="apis",
        etag=False,
        body_compared=False,
        link_listing=LinkListing("api", "apis/{0}/tags", owner_is_first=False),
        workspace_link_listing=LinkListing("tag", "tags/{0}/apiLinks", "apiId"),
        link_id_field="apiId",
    ),
    Kind(
        name="tag-product",
        arm_path="products/{1}/tags/{0}",
        workspace_arm_path="tags/{0}/productLinks/{1}",
        parent="tag",
        info_path="tags/{0}/products/{1}/tagProductInformation.json",
        legacy_info_paths=("products/{1}/tags/{0}/productTagInformation.json",),
        legacy_arrays=("products/{1}/tags.json",),
        link=("tag", "product"),
        config_key="products",
        etag=False,
        body_compared=False,
        link_listing=LinkListing("product", "products/{0}/tags", owner_is_first=False),
        workspace_link_listing=LinkListing("tag", "tags/{0}/productLinks", "productId"),
        link_id_field="productId",
    ),
    _policy("product-policy", "products/{0}/policies/policy", "product", "products/{0}/policy.xml"),
    Kind(
        name="product-api",
        arm_path="products/{0}/apis/{1}",
        workspace_arm_path="products/{0}/apiLinks/{1}",
        parent="product",
        info_path="products/{0}/apis/{1}/productApiInformation.json",
        legacy_arrays=("products/{0}/apis.json",),
        link=("product", "api"),
        config_key="apis",
        etag=False,
        body_compared=False,
        link_listing=LinkListing("product", "products/{0}/apis"),
        workspace_link_listing=LinkListing("product", "products/{0}/apiLinks", "apiId"),
        link_id_field="apiId",
    ),
    Kind(
        name="product-group",
        arm_path="products/{0}/groups/{1}",
        workspace_arm_path="products/{0}/groupLinks/{1}",
        parent="product",
        info_path="products/{0}/groups/{1}/productGroupInformation.json",
        legacy_arrays=("products/{0}/groups.json",),
        link=("product", "group"),
        config_key="groups",
        etag=False,
        body_compared=False,
        tier_dependent=True,
        link_listing=LinkListing("product", "products/{0}/groupLinks", "groupId", fallback="products/{0}/groups"),
        workspace_link_listing=LinkListing("product", "products/{0}/groupLinks", "groupId"),
        link_id_field="groupId",
        link_named=True,
        behaviour="product-group",
    ),
    Kind(
        name="gateway-api",
        arm_path="gateways/{0}/apis/{1}",
        parent="gateway",
        info_path="gateways/{0}/apis/{1}/gatewayApiInformation.json",
        legacy_arrays=("gateways/{0}/apis.json",),
        link=("gateway", "api"),
        config_key="apis",
        etag=False,
        body_compared=False,
        in_workspace=False,
        tier_dependent=True,
        link_listing=LinkListing("gateway", "gateways/{0}/apis"),
        link_id_field="apiId",
    ),
    Kind(
        name="subscription",
        required_fields=('scope', 'displayName'),
        arm_path="subscriptions/{0}",
        info_path="subscriptions/{0}/subscriptionInformation.json",
        config_key="subscriptions",
        v6_config_key="subscriptionNames",
        references=(Reference("properties.scope", ("product", "api")),),
        system_names=frozenset({"master"}),
        secret_fields=("properties.primaryKey", "properties.secondaryKey"),
        read_only_fields=(
            "provisioningState",
            "createdDate",
            "startDate",
            "endDate",
            "notificationDate",
            "stateComment",
        ),
    ),
    # -- kinds added for issue 15 (the emulator serves them; none exists in workspaces there) ----
    # Azure/apiops (v7) has none of these: the v7-style spelling ("<collection>/<name>/<kind>Information.json",
    # spaces in multi-word folders) is ours; apiops-cli's spelling, where it has the kind, is read too.
    Kind(
        name="certificate",
        arm_path="certificates/{0}",
        info_path="certificates/{0}/certificateInformation.json",
        config_key="certificates",
        # the PFX and its password are write-only on the service: never written, never compared;
        # a Key Vault reference (keyVault.secretIdentifier / identityClientId) is configuration and kept
        secret_fields=("properties.data", "properties.password"),
        read_only_fields=("provisioningState", "subject", "thumbprint", "expirationDate", "keyVault.lastStatus"),
        in_workspace=False,
    ),
    Kind(
        name="authorization-server",
        tier_dependent=True,
        required_fields=("displayName", "clientRegistrationEndpoint", "authorizationEndpoint", "clientId", "grantTypes"),
        arm_path="authorizationServers/{0}",
        info_path="authorization servers/{0}/authorizationServerInformation.json",
        config_key="authorizationServers",
        secret_fields=(
            "properties.clientSecret",
            "properties.resourceOwnerUsername",
            "properties.resourceOwnerPassword",
        ),
        set_fields=(
            "properties.grantTypes",
            "properties.authorizationMethods",
            "properties.clientAuthenticationMethod",
            "properties.bearerTokenSendingMethods",
        ),
        in_workspace=False,
    ),
    Kind(
        name="openid-connect-provider",
        tier_dependent=True,
        required_fields=("displayName", "metadataEndpoint", "clientId"),
        arm_path="openidConnectProviders/{0}",
        info_path="openid connect providers/{0}/openidConnectProviderInformation.json",
        config_key="openidConnectProviders",
        secret_fields=("properties.clientSecret",),
        in_workspace=False,
    ),
    Kind(
        name="identity-provider",
        tier_dependent=True,
        # the service also requires clientSecret, but a secret is never in the tree (overrides supply it)
        required_fields=("clientId",),
        arm_path="identityProviders/{0}",
        info_path="identity providers/{0}/identityProviderInformation.json",
        config_key="identityProviders",
        secret_fields=("properties.clientSecret",),
        set_fields=("properties.allowedTenants",),
        in_workspace=False,
    ),
    Kind(
        name="documentation",
        tier_dependent=True,
        arm_path="documentations/{0}",
        info_path="documentations/{0}/documentationInformation.json",
        config_key="documentations",
        in_workspace=False,
    ),
    Kind(
        name="policy-restriction",
        tier_dependent=True,
        arm_path="policyRestrictions/{0}",
        info_path="policy restrictions/{0}/policyRestrictionInformation.json",
        legacy_info_paths=("policyRestrictions/{0}/policyRestrictionInformation.json",),  # apiops-cli
        config_key="policyRestrictions",
        in_workspace=False,
    ),
    # wikis are singletons named "default" (like policies: the ARM name is not in the tree)
    Kind(
        name="api-wiki",
        tier_dependent=True,
        arm_path="apis/{0}/wikis/default",
        parent="api",
        info_path="apis/{0}/wikiInformation.json",
        legacy_info_paths=("apis/{0}/wiki.md",),  # apiops-cli: the wiki's JSON in a file named wiki.md
        references=(Reference("properties.documents[].documentationId", ("documentation",), True),),
        in_workspace=False,
    ),
    Kind(
        name="product-wiki",
        tier_dependent=True,
        arm_path="products/{0}/wikis/default",
        parent="product",
        info_path="products/{0}/wikiInformation.json",
        legacy_info_paths=("products/{0}/wiki.md",),  # apiops-cli
        references=(Reference("properties.documents[].documentationId", ("documentation",), True),),
        in_workspace=False,
    ),
    Kind(
        name="api-resolver",
        arm_path="apis/{0}/resolvers/{1}",
        parent="api",
        info_path="apis/{0}/resolvers/{1}/resolverInformation.json",  # apiops-cli spells it the same
        config_key="resolvers",
        only_under_types=("graphql",),
        in_workspace=False,
        # a resolver's path names a type and field of the GraphQL schema the specification sets
        depends_on_kinds=("api-specification",),
    ),
    _policy(
        "api-resolver-policy",
        "apis/{0}/resolvers/{1}/policies/policy",
        "api-resolver",
        "apis/{0}/resolvers/{1}/policy.xml",
        in_workspace=False,
    ),
)

KIND_BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}


def kind(name: str) -> Kind:
    """The row for a kind name; a KeyError here is a bug, not a user error."""
    return KIND_BY_NAME[name]


def fill(template: str, names: Iterable[str], workspace: str | None = None) -> str:
    """Fill a path template with a name path (and the workspace, when the template has one)."""
    values = tuple(names)
    result = template.replace("{ws}", workspace or "")
    for index, value in enumerate(values):
        result = result.replace("{%d}" % index, value)
    return result


def dependency_edges() -> dict[str, set[str]]:
    """Kind-level edges: for each kind, the kinds that must exist before it can be put.

    Derived from parents, link ends, references and the content references a kind may carry
    (policies name named values, fragments, backends and loggers). Resource-level ordering
    (which fragment before which) refines this in the plan; this table gives the coarse order.
    """
    edges: dict[str, set[str]] = {k.name: set() for k in KINDS}
    for row in KINDS:
        if row.parent:
            edges[row.name].add(row.parent)
        if row.link:
            edges[row.name].update(row.link)
        for ref in row.references:
            edges[row.name].update(t for t in ref.targets if t != row.name)
        edges[row.name].update(d for d in row.depends_on_kinds if d != row.name)
    # everything in a workspace needs its workspace first
    for row in KINDS:
        if row.in_workspace and row.name != WORKSPACE_KIND:
            edges[row.name].add(WORKSPACE_KIND)
    return edges


@lru_cache(maxsize=1)
def levels() -> tuple[tuple[str, ...], ...]:
    """Kinds grouped by dependency level (Kahn's sort); a cycle is reported with its members."""
    edges = dependency_edges()
    remaining = {k: set(v) for k, v in edges.items()}
    order = [k.name for k in KINDS]
    result: list[tuple[str, ...]] = []
    while remaining:
        ready = [name for name in order if name in remaining and not remaining[name]]
        if not ready:
            raise RuntimeError(f"cycle in the kind table among: {sorted(remaining)}")
        result.append(tuple(ready))
        for name in ready:
            del remaining[name]
        for deps in remaining.values():
            deps.difference_update(ready)
    return tuple(result)


def level_of(name: str) -> int:
    """The dependency level of a kind (0 = needs nothing)."""
    for index, group in enumerate(levels()):
        if name in group:
            return index
    raise KeyError(name)


__all__.append("level_of")
