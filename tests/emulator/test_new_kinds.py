"""The kinds added for issue 15, through the typed SDK: create, get, list with paging, conditional
update with a stale ETag (412), delete, get after delete (404); secrets are write-only (never on
GET/list, only from the spec's listSecrets-style POSTs)."""
from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.apimanagement import models as m
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from .conftest import session

PAGE_PLUS = 12   # more than the emulator's page size of 10
GQL = "gql-api"
POLICY = "<policies><inbound><base /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"


def etag_of(getter: Callable[..., Any]) -> str:
    return getter(cls=lambda response, deserialized, headers: headers["ETag"])


def make_pfx(common_name: str, password: str) -> tuple[str, str]:
    """(base64 PFX, SHA-1 thumbprint) of a fresh self-signed certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    data = pkcs12.serialize_key_and_certificates(b"c", key, cert, None,
                                                 serialization.BestAvailableEncryption(password.encode()))
    return base64.b64encode(data).decode(), cert.fingerprint(hashes.SHA1()).hex().upper()


@dataclass
class Kind:
    name: str
    create: Callable[..., Any]                 # (client, rg, svc, id)
    get: Callable[..., Any]                    # (client, rg, svc, id, **kw)
    list: Callable[..., Any]                   # (client, rg, svc)
    update: Callable[..., Any]                 # (client, rg, svc, id, etag)
    delete: Callable[..., Any]                 # (client, rg, svc, id, etag)
    check: Callable[[Any], bool] = lambda entity: True


def _auth_server(i: str) -> m.AuthorizationServerContract:
    return m.AuthorizationServerContract(
        display_name=i, client_registration_endpoint="https://reg.example", authorization_endpoint="https://auth.example",
        grant_types=["authorizationCode"], client_id="client", client_secret="s3cret-" + i,
        resource_owner_username="owner", resource_owner_password="pw-" + i, authorization_methods=["GET"],
        bearer_token_sending_methods=["authorizationHeader"])


KINDS = [
    Kind("user",
         lambda c, rg, s, i: c.user.create_or_update(rg, s, i, m.UserCreateParameters(
             email=f"{i}@example.com", first_name="First", last_name=i, password="P@ssw0rd!")),
         lambda c, rg, s, i, **kw: c.user.get(rg, s, i, **kw),
         lambda c, rg, s: c.user.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.user.update(rg, s, i, e, m.UserUpdateParameters(note="changed")),
         lambda c, rg, s, i, e: c.user.begin_delete(rg, s, i, e).result(),
         lambda x: x.note == "changed" and x.state == "active" and x.identities[0].provider == "Basic"),
    Kind("certificate",
         lambda c, rg, s, i: c.certificate.create_or_update(rg, s, i, m.CertificateCreateOrUpdateParameters(
             key_vault=m.KeyVaultContractCreateProperties(secret_identifier=f"https://kv.example/secrets/{i}"))),
         lambda c, rg, s, i, **kw: c.certificate.get(rg, s, i, **kw),
         lambda c, rg, s: c.certificate.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.certificate.create_or_update(rg, s, i, m.CertificateCreateOrUpdateParameters(
             key_vault=m.KeyVaultContractCreateProperties(secret_identifier="https://kv.example/secrets/changed")),
             if_match=e),
         lambda c, rg, s, i, e: c.certificate.delete(rg, s, i, e),
         lambda x: x.key_vault.secret_identifier.endswith("/changed") and x.thumbprint and x.subject),
    Kind("authorization_server",
         lambda c, rg, s, i: c.authorization_server.create_or_update(rg, s, i, _auth_server(i)),
         lambda c, rg, s, i, **kw: c.authorization_server.get(rg, s, i, **kw),
         lambda c, rg, s: c.authorization_server.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.authorization_server.update(rg, s, i, e, m.AuthorizationServerUpdateContract(
             description="changed")),
         lambda c, rg, s, i, e: c.authorization_server.delete(rg, s, i, e),
         lambda x: x.description == "changed" and x.client_secret is None and x.resource_owner_password is None),
    Kind("open_id_connect_provider",
         lambda c, rg, s, i: c.open_id_connect_provider.create_or_update(rg, s, i, m.OpenidConnectProviderContract(
             display_name=i, metadata_endpoint="https://idp.example/.well-known/openid-configuration",
             client_id="client", client_secret="oidc-" + i)),
         lambda c, rg, s, i, **kw: c.open_id_connect_provider.get(rg, s, i, **kw),
         lambda c, rg, s: c.open_id_connect_provider.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.open_id_connect_provider.update(rg, s, i, e, m.OpenidConnectProviderUpdateContract(
             description="changed")),
         lambda c, rg, s, i, e: c.open_id_connect_provider.delete(rg, s, i, e),
         lambda x: x.description == "changed" and x.client_secret is None),
    Kind("documentation",
         lambda c, rg, s, i: c.documentation.create_or_update(rg, s, i, m.DocumentationContract(title=i, content="# Doc")),
         lambda c, rg, s, i, **kw: c.documentation.get(rg, s, i, **kw),
         lambda c, rg, s: c.documentation.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.documentation.update(rg, s, i, e, m.DocumentationUpdateContract(title="changed")),
         lambda c, rg, s, i, e: c.documentation.delete(rg, s, i, e),
         lambda x: x.title == "changed" and x.content == "# Doc"),
    Kind("policy_restriction",
         lambda c, rg, s, i: c.policy_restriction.create_or_update(rg, s, i, m.PolicyRestrictionContract(
             scope=f"/apis/{i}", require_base="true")),
         lambda c, rg, s, i, **kw: c.policy_restriction.get(rg, s, i, **kw),
         lambda c, rg, s: c.policy_restriction.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.policy_restriction.update(rg, s, i, e, m.PolicyRestrictionUpdateContract(
             require_base="false")),
         lambda c, rg, s, i, e: c.policy_restriction.delete(rg, s, i, if_match=e),
         lambda x: x.require_base == "false"),
    Kind("graph_ql_api_resolver",
         lambda c, rg, s, i: c.graph_ql_api_resolver.create_or_update(rg, s, GQL, i, m.ResolverContract(
             display_name=i, path=f"Query/{i}")),
         lambda c, rg, s, i, **kw: c.graph_ql_api_resolver.get(rg, s, GQL, i, **kw),
         lambda c, rg, s: c.graph_ql_api_resolver.list_by_api(rg, s, GQL),
         lambda c, rg, s, i, e: c.graph_ql_api_resolver.update(rg, s, GQL, i, e, m.ResolverUpdateContract(
             description="changed")),
         lambda c, rg, s, i, e: c.graph_ql_api_resolver.delete(rg, s, GQL, i, e),
         lambda x: x.description == "changed" and x.path.startswith("Query/")),
]


@pytest.fixture(scope="module", autouse=True)
def graphql_api(client, ids):
    rg, svc = ids
    client.api.begin_create_or_update(rg, svc, GQL, m.ApiCreateOrUpdateParameter(
        display_name="GraphQL", path="gql", api_type="graphql", service_url="https://gql.example/graphql")).result()


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_new_kind_lifecycle(client, ids, kind: Kind):
    rg, svc = ids
    names = [f"{kind.name.replace('_', '-')}-{n:02d}" for n in range(PAGE_PLUS)]
    for name in names:
        kind.create(client, rg, svc, name)
    first = names[0]
    got = kind.get(client, rg, svc, first)
    assert got.name == first and got.id.endswith(f"/{first}")
    listed = [item.name for item in kind.list(client, rg, svc)]   # the SDK follows nextLink (page size 10)
    assert set(names) <= set(listed) and len(listed) == len(set(listed))

    etag = etag_of(lambda **kw: kind.get(client, rg, svc, first, **kw))
    kind.update(client, rg, svc, first, etag)
    assert kind.check(kind.get(client, rg, svc, first))
    with pytest.raises(HttpResponseError) as stale:
        kind.update(client, rg, svc, first, etag)
    assert stale.value.status_code == 412

    for name in names:
        kind.delete(client, rg, svc, name, etag_of(lambda **kw: kind.get(client, rg, svc, name, **kw)))  # noqa: B023 - called at once
    with pytest.raises(ResourceNotFoundError):
        kind.get(client, rg, svc, first)
    assert not {item.name for item in kind.list(client, rg, svc)} & set(names)


def test_lists_page_with_next_links(emu, client, ids):
    rg, svc = ids
    for n in range(3):
        client.documentation.create_or_update(rg, svc, f"paged-{n}", m.DocumentationContract(title="t", content="c"))
    raw = session(emu).get(f"{emu.service_url}/documentations", params={"api-version": "2024-05-01", "$top": "2"})
    body = raw.json()
    assert len(body["value"]) == 2 and body["count"] >= 3 and "%24skip=2" in body["nextLink"]


def test_empty_lists_where_the_service_lists_empty(emu, client, ids):
    """documentations, policyRestrictions and apis/{a}/resolvers answered 404 before; the service lists empty."""
    rg, svc = ids
    client.api.begin_create_or_update(rg, svc, "empty-api", m.ApiCreateOrUpdateParameter(
        display_name="Empty", path="empty", api_type="graphql")).result()
    assert list(client.graph_ql_api_resolver.list_by_api(rg, svc, "empty-api")) == []
    assert list(client.api_wikis.list(rg, svc, "empty-api")) == []
    http = session(emu)
    for path in ("documentations", "policyRestrictions", "apis/empty-api/resolvers"):
        answer = http.get(f"{emu.service_url}/{path}", params={"api-version": "2024-05-01"})
        assert answer.status_code == 200 and isinstance(answer.json()["value"], list), path


def test_secrets_are_write_only(client, ids):
    rg, svc = ids
    client.authorization_server.create_or_update(rg, svc, "as-secret", _auth_server("x"))
    assert client.authorization_server.get(rg, svc, "as-secret").client_secret is None
    assert all(a.client_secret is None for a in client.authorization_server.list_by_service(rg, svc))
    secrets = client.authorization_server.list_secrets(rg, svc, "as-secret")
    assert (secrets.client_secret, secrets.resource_owner_username, secrets.resource_owner_password) == \
        ("s3cret-x", "owner", "pw-x")
    etag = etag_of(lambda **kw: client.authorization_server.get(rg, svc, "as-secret", **kw))
    client.authorization_server.update(rg, svc, "as-secret", etag, m.AuthorizationServerUpdateContract(description="d"))
    assert client.authorization_server.list_secrets(rg, svc, "as-secret").client_secret == "s3cret-x"   # PATCH keeps it

    client.open_id_connect_provider.create_or_update(rg, svc, "oidc-secret", m.OpenidConnectProviderContract(
        display_name="o", metadata_endpoint="https://idp.example/m", client_id="c", client_secret="oidc-pw"))
    assert client.open_id_connect_provider.get(rg, svc, "oidc-secret").client_secret is None
    assert client.open_id_connect_provider.list_secrets(rg, svc, "oidc-secret").client_secret == "oidc-pw"

    client.user.create_or_update(rg, svc, "secret-user", m.UserCreateParameters(
        email="secret@example.com", first_name="S", last_name="U", password="hidden-pw"))
    raw = client.user.get(rg, svc, "secret-user", cls=lambda response, deserialized, headers: response.http_response.json())
    assert "password" not in raw["properties"] and raw["properties"]["registrationDate"]
    assert client.user.generate_sso_url(rg, svc, "secret-user").value.startswith("https://")


def test_certificate_from_pfx_derives_subject_and_keeps_data_secret(client, ids):
    rg, svc = ids
    data, thumbprint = make_pfx("api.contoso.example", "pfx-pw")
    cert = client.certificate.create_or_update(rg, svc, "pfx-cert", m.CertificateCreateOrUpdateParameters(
        data=data, password="pfx-pw"))
    assert cert.thumbprint == thumbprint and cert.subject == "CN=api.contoso.example" and cert.expiration_date
    raw = client.certificate.get(rg, svc, "pfx-cert", cls=lambda response, deserialized, headers: response.http_response.json())
    assert "data" not in raw["properties"] and "password" not in raw["properties"]
    with pytest.raises(HttpResponseError) as wrong:
        client.certificate.create_or_update(rg, svc, "bad-cert", m.CertificateCreateOrUpdateParameters(
            data=data, password="wrong"))
    assert wrong.value.status_code == 400
    with pytest.raises(HttpResponseError) as empty:
        client.certificate.create_or_update(rg, svc, "no-cert", m.CertificateCreateOrUpdateParameters())
    assert empty.value.status_code == 400


def test_identity_providers(client, ids):
    rg, svc = ids
    for name in ("aad", "google", "microsoft"):
        client.identity_provider.create_or_update(rg, svc, name, m.IdentityProviderCreateContract(
            client_id=f"{name}-client", client_secret=f"{name}-secret", allowed_tenants=["contoso.example"]
            if name == "aad" else None))
    got = client.identity_provider.get(rg, svc, "aad")
    assert got.type_properties_type == "aad" and got.client_secret is None and got.allowed_tenants == ["contoso.example"]
    assert {p.name for p in client.identity_provider.list_by_service(rg, svc)} >= {"aad", "google", "microsoft"}
    assert client.identity_provider.list_secrets(rg, svc, "google").client_secret == "google-secret"
    etag = etag_of(lambda **kw: client.identity_provider.get(rg, svc, "aad", **kw))
    client.identity_provider.update(rg, svc, "aad", etag, m.IdentityProviderUpdateParameters(client_id="new"))
    assert client.identity_provider.get(rg, svc, "aad").client_id == "new"
    with pytest.raises(HttpResponseError) as stale:
        client.identity_provider.update(rg, svc, "aad", etag, m.IdentityProviderUpdateParameters(client_id="x"))
    assert stale.value.status_code == 412
    with pytest.raises(HttpResponseError) as unknown:
        client.identity_provider.create_or_update(rg, svc, "github", m.IdentityProviderCreateContract(
            client_id="c", client_secret="s"))
    assert unknown.value.status_code == 400
    client.identity_provider.delete(rg, svc, "google", etag_of(lambda **kw: client.identity_provider.get(rg, svc, "google", **kw)))
    with pytest.raises(ResourceNotFoundError):
        client.identity_provider.get(rg, svc, "google")


@pytest.mark.parametrize("scope", ["api", "product"])
def test_wikis(client, ids, scope: str):
    rg, svc = ids
    if scope == "api":
        parent = GQL
        ops, lister = client.api_wiki, client.api_wikis
    else:
        parent = "wiki-product"
        client.product.create_or_update(rg, svc, parent, m.ProductContract(display_name="Wiki product"))
        ops, lister = client.product_wiki, client.product_wikis
    wiki = ops.create_or_update(rg, svc, parent, m.WikiContract(documents=[m.WikiDocumentationContract(
        documentation_id="doc-1")]))
    assert wiki.name == "default" and wiki.documents[0].documentation_id == "doc-1"
    assert [w.name for w in lister.list(rg, svc, parent)] == ["default"]
    etag = etag_of(lambda **kw: ops.get(rg, svc, parent, **kw))
    ops.update(rg, svc, parent, etag, m.WikiUpdateContract(documents=[]))
    assert ops.get(rg, svc, parent).documents == []
    with pytest.raises(HttpResponseError) as stale:
        ops.update(rg, svc, parent, etag, m.WikiUpdateContract(documents=[]))
    assert stale.value.status_code == 412
    ops.delete(rg, svc, parent, etag_of(lambda **kw: ops.get(rg, svc, parent, **kw)))
    with pytest.raises(ResourceNotFoundError):
        ops.get(rg, svc, parent)


def test_resolver_policies(client, ids):
    rg, svc = ids
    client.graph_ql_api_resolver.create_or_update(rg, svc, GQL, "users", m.ResolverContract(
        display_name="users", path="Query/users"))
    ops = client.graph_ql_api_resolver_policy
    ops.create_or_update(rg, svc, GQL, "users", "policy", m.PolicyContract(value=POLICY, format="xml"))
    assert ops.get(rg, svc, GQL, "users", "policy").value.startswith("<policies>")
    assert [p.name for p in ops.list_by_resolver(rg, svc, GQL, "users")] == ["policy"]
    etag = etag_of(lambda **kw: ops.get(rg, svc, GQL, "users", "policy", **kw))
    ops.create_or_update(rg, svc, GQL, "users", "policy", m.PolicyContract(value=POLICY, format="rawxml"), if_match=etag)
    with pytest.raises(HttpResponseError) as stale:
        ops.create_or_update(rg, svc, GQL, "users", "policy", m.PolicyContract(value=POLICY), if_match=etag)
    assert stale.value.status_code == 412
    ops.delete(rg, svc, GQL, "users", "policy", etag_of(lambda **kw: ops.get(rg, svc, GQL, "users", "policy", **kw)))
    with pytest.raises(ResourceNotFoundError):
        ops.get(rg, svc, GQL, "users", "policy")


def test_portal_settings(client, ids):
    rg, svc = ids
    assert {s.name for s in client.portal_settings.list_by_service(rg, svc).value} == {"signin", "signup", "delegation"}
    assert client.sign_in_settings.get(rg, svc).enabled is False
    put = client.sign_in_settings.create_or_update(rg, svc, m.PortalSigninSettings(enabled=True),
                                                   cls=lambda response, deserialized, headers: response.http_response.status_code)
    assert put == 200     # the spec's only success code: the settings always exist
    etag = etag_of(lambda **kw: client.sign_in_settings.get_entity_tag(rg, svc, **kw))
    assert client.sign_in_settings.update(rg, svc, etag, m.PortalSigninSettings(enabled=False)) is None   # 204
    assert client.sign_in_settings.get(rg, svc).enabled is False
    with pytest.raises(HttpResponseError) as stale:
        client.sign_in_settings.update(rg, svc, etag, m.PortalSigninSettings(enabled=True))
    assert stale.value.status_code == 412
    delegation = client.delegation_settings.get(rg, svc)
    assert delegation.validation_key is None and client.delegation_settings.list_secrets(rg, svc).validation_key


def test_apis_by_tags(client, ids):
    rg, svc = ids
    client.tag.create_or_update(rg, svc, "bytag", m.TagCreateUpdateParameters(display_name="By tag"))
    client.tag.assign_to_api(rg, svc, GQL, "bytag")
    items = list(client.api.list_by_tags(rg, svc))
    mine = [i for i in items if i.api and i.api.id == f"/apis/{GQL}"]
    assert mine and mine[0].tag.id == "/tags/bytag" and mine[0].tag.name == "By tag"
    assert mine[0].api.name == "GraphQL" and mine[0].api.path == "gql"


def test_api_tag_descriptions_are_filled_from_the_tag(client, ids):
    rg, svc = ids
    client.tag.create_or_update(rg, svc, "described", m.TagCreateUpdateParameters(display_name="Described tag"))
    created = client.api_tag_description.create_or_update(rg, svc, GQL, "described", m.TagDescriptionCreateParameters(
        description="d"))
    assert created.tag_id.endswith("/tags/described") and created.tag_id.startswith("/subscriptions/")
    assert created.display_name == "Described tag"


def test_check_name_availability_and_resource_list(emu, client, ids):
    rg, svc = ids
    taken = client.api_management_service.check_name_availability(
        m.ApiManagementServiceCheckNameAvailabilityParameters(name=svc))
    assert taken.name_available is False and taken.reason == "AlreadyExists"
    free = client.api_management_service.check_name_availability(
        m.ApiManagementServiceCheckNameAvailabilityParameters(name="another-apim-name"))
    assert free.name_available is True
    bad = client.api_management_service.check_name_availability(
        m.ApiManagementServiceCheckNameAvailabilityParameters(name="1-starts-with-digit"))
    assert bad.name_available is False and bad.reason == "Invalid"
    http = session(emu)
    listed = http.get(f"{emu.url}/subscriptions/{emu.subscription_id}/resources",
                      params={"api-version": "2021-04-01", "$filter": "resourceType eq 'Microsoft.ApiManagement/service'"})
    assert listed.status_code == 200 and [r["name"] for r in listed.json()["value"]] == [svc]
    other = http.get(f"{emu.url}/subscriptions/{emu.subscription_id}/resources",
                     params={"api-version": "2021-04-01", "$filter": "resourceType eq 'Microsoft.Web/sites'"})
    assert other.json()["value"] == []


def test_service_defaults(client, ids):
    rg, svc = ids
    service = client.api_management_service.get(rg, svc)
    assert service.custom_properties["Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10"] == "false"
    assert service.system_data is not None and service.system_data.created_by_type == "User"


def test_head_of_tag_and_gateway_associations_answers_an_etag(client, ids):
    rg, svc = ids
    client.tag.create_or_update(rg, svc, "head-tag", m.TagCreateUpdateParameters(display_name="Head tag"))
    client.tag.assign_to_api(rg, svc, GQL, "head-tag")
    tag_etag = etag_of(lambda **kw: client.tag.get(rg, svc, "head-tag", **kw))
    assert etag_of(lambda **kw: client.tag.get_entity_state_by_api(rg, svc, GQL, "head-tag", **kw)) == tag_etag
    client.gateway.create_or_update(rg, svc, "gw-head", m.GatewayContract(
        location_data=m.ResourceLocationDataContract(name="here")))
    client.gateway_api.create_or_update(rg, svc, "gw-head", GQL)
    assert etag_of(lambda **kw: client.gateway_api.get_entity_tag(rg, svc, "gw-head", GQL, **kw))


def test_api_schemas_for_graphql_and_xsd(client, ids):
    rg, svc = ids
    graphql = client.api_schema.begin_create_or_update(rg, svc, GQL, "graphql", m.SchemaContract(
        content_type="application/vnd.ms-azure-apim.graphql.schema", value="type Query { users: [String] }")).result()
    assert graphql.value.startswith("type Query")
    xsd = client.api_schema.begin_create_or_update(rg, svc, GQL, "xsd", m.SchemaContract(
        content_type="application/vnd.ms-azure-apim.xsd+xml",
        value='<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>')).result()
    assert xsd.content_type == "application/vnd.ms-azure-apim.xsd+xml"
    assert {s.name for s in client.api_schema.list_by_api(rg, svc, GQL)} >= {"graphql", "xsd"}
    with pytest.raises(HttpResponseError) as missing:
        client.api_schema.begin_create_or_update(rg, svc, GQL, "empty", m.SchemaContract(
            content_type="application/vnd.ms-azure-apim.graphql.schema")).result()
    assert missing.value.status_code == 400
