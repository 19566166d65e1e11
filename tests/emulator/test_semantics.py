"""Service semantics beyond plain CRUD: auth, api-version, policies, secrets, revisions,
releases, links, auto-subscription, filters, export/import links."""
from __future__ import annotations

import json

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.apimanagement import models as m

from .conftest import session

RAW = ('<policies><inbound><base /><set-header name="x" exists-action="override">'
       '<value>@(context.Request.Headers.GetValueOrDefault("a", "") + "b")</value></set-header>'
       '<choose><when condition="@(context.Request.Method == &quot;GET&quot;)" /></choose></inbound>'
       '<backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>')


def _api(client, rg, svc, name, path=None, **kwargs):
    return client.api.begin_create_or_update(rg, svc, name, m.ApiCreateOrUpdateParameter(
        display_name=name, path=path or name, protocols=["https"], **kwargs)).result()


def test_missing_token_is_401(emu, ids):
    s = session(emu)
    del s.headers["Authorization"]
    response = s.get(f"{emu.service_url}/apis?api-version=2024-05-01")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AuthenticationFailed"


def test_missing_api_version_is_400(emu):
    response = session(emu).get(f"{emu.service_url}/apis")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MissingApiVersionParameter"
    assert session(emu).get(f"{emu.service_url}/apis?api-version=2023-09-01-preview").status_code == 200


def test_service_get_has_identity(client, ids):
    service = client.api_management_service.get(*ids)
    assert service.identity.principal_id
    assert service.name == ids[1]


def test_builtins_exist(client, ids):
    groups = {g.name: g for g in client.group.list_by_service(*ids)}
    assert {"administrators", "developers", "guests"} <= set(groups)
    assert groups["developers"].built_in and groups["developers"].type_properties_type == "system"
    assert client.subscription.get(*ids, "master").scope.endswith("/apis")
    with pytest.raises(HttpResponseError) as error:
        client.group.delete(*ids, "guests", "*")
    assert error.value.status_code == 400


def test_required_properties_and_if_match(client, ids, emu):
    rg, svc = ids
    with pytest.raises(HttpResponseError) as error:
        client.api_operation.create_or_update(rg, svc, "missing-api", "op", m.OperationContract(
            display_name="x", method="GET", url_template="/"))
    assert error.value.status_code == 404
    _api(client, rg, svc, "req-api")
    with pytest.raises(HttpResponseError) as error:
        client.api_operation.create_or_update(rg, svc, "req-api", "op", m.OperationContract(display_name="x", method="GET"))
    assert error.value.status_code == 400 and error.value.error.code == "ValidationError"
    response = session(emu).delete(f"{emu.service_url}/apis/req-api?api-version=2024-05-01")
    assert response.status_code == 400          # If-Match required
    client.api_operation.create_or_update(rg, svc, "req-api", "op", m.OperationContract(
        display_name="x", method="GET", url_template="/"))
    updated = client.api_operation.create_or_update(rg, svc, "req-api", "op", m.OperationContract(
        display_name="y", method="GET", url_template="/"), cls=lambda r, d, h: r.http_response.status_code)
    assert updated == 200
    assert session(emu).delete(f"{emu.service_url}/apis/req-api/operations/nothing?api-version=2024-05-01",
                               headers={"If-Match": "*"}).status_code == 204


def test_policy_formats_round_trip(client, ids):
    rg, svc = ids
    _api(client, rg, svc, "pol-api")
    client.api_policy.create_or_update(rg, svc, "pol-api", "policy", m.PolicyContract(value=RAW, format="rawxml"))
    raw = client.api_policy.get(rg, svc, "pol-api", "policy", format="rawxml")
    assert raw.value == RAW
    xml = client.api_policy.get(rg, svc, "pol-api", "policy")
    assert "&quot;a&quot;" in xml.value and '"a"' not in xml.value
    client.policy.create_or_update(rg, svc, "policy", m.PolicyContract(value=xml.value, format="xml"))
    assert client.policy.get(rg, svc, "policy", format="rawxml").value == raw.value   # xml <-> rawxml is lossless
    assert len(list(client.policy.list_by_service(rg, svc))) == 1
    assert client.api_policy.list_by_api(rg, svc, "pol-api").value[0].name == "policy"


def test_policy_fragment_references(client, ids):
    rg, svc = ids
    client.policy_fragment.begin_create_or_update(rg, svc, "frag1", m.PolicyFragmentContract(
        value="<fragment><base /></fragment>", format="rawxml")).result()
    _api(client, rg, svc, "frag-api")
    client.api_policy.create_or_update(rg, svc, "frag-api", "policy", m.PolicyContract(
        value='<policies><inbound><include-fragment fragment-id="frag1" /></inbound></policies>'))
    refs = client.policy_fragment.list_references(rg, svc, "frag1")
    assert [r.id for r in refs.value] and refs.value[0].id.endswith("/apis/frag-api/policies/policy")


def test_named_value_secret_and_key_vault(client, ids):
    rg, svc = ids
    client.named_value.begin_create_or_update(rg, svc, "secret1", m.NamedValueCreateContract(
        display_name="secret1", value="s3cr3t", secret=True)).result()
    got = client.named_value.get(rg, svc, "secret1")
    assert got.value is None and got.secret is True
    assert all(nv.value is None for nv in client.named_value.list_by_service(rg, svc) if nv.name == "secret1")
    assert client.named_value.list_value(rg, svc, "secret1").value == "s3cr3t"
    kv = client.named_value.begin_create_or_update(rg, svc, "kv1", m.NamedValueCreateContract(
        display_name="kv1", secret=True, key_vault=m.KeyVaultContractCreateProperties(
            secret_identifier="https://v.vault.azure.net/secrets/x"))).result()
    assert kv.key_vault.secret_identifier.endswith("/x") and kv.key_vault.last_status.code == "Success"


def test_subscription_secrets(client, ids):
    rg, svc = ids
    client.subscription.create_or_update(rg, svc, "sub1", m.SubscriptionCreateParameters(
        scope="/apis", display_name="sub1", primary_key="p" * 20))
    assert client.subscription.get(rg, svc, "sub1").primary_key is None
    keys = client.subscription.list_secrets(rg, svc, "sub1")
    assert keys.primary_key == "p" * 20 and keys.secondary_key
    client.subscription.regenerate_primary_key(rg, svc, "sub1")
    assert client.subscription.list_secrets(rg, svc, "sub1").primary_key != "p" * 20


def test_new_product_gets_subscription_and_admin_group(client, ids):
    rg, svc = ids
    client.product.create_or_update(rg, svc, "starter2", m.ProductContract(display_name="Starter 2"))
    subs = [s for s in client.subscription.list(rg, svc) if (s.scope or "").endswith("/products/starter2")]
    assert len(subs) == 1 and subs[0].owner_id.endswith("/users/1")
    assert [g.name for g in client.product_group.list_by_product(rg, svc, "starter2")] == ["administrators"]
    client.product.create_or_update(rg, svc, "starter2", m.ProductContract(display_name="Starter 2b"))
    assert len([s for s in client.subscription.list(rg, svc) if (s.scope or "").endswith("/products/starter2")]) == 1
    with pytest.raises(HttpResponseError):
        client.product.delete(rg, svc, "starter2", "*")
    client.product.delete(rg, svc, "starter2", "*", delete_subscriptions=True)
    assert not [s for s in client.subscription.list(rg, svc) if (s.scope or "").endswith("/products/starter2")]


def test_product_links_old_and_new(client, ids):
    rg, svc = ids
    _api(client, rg, svc, "link-api")
    client.product.create_or_update(rg, svc, "linkprod", m.ProductContract(display_name="P"))
    client.product_api.create_or_update(rg, svc, "linkprod", "link-api")
    assert client.product_api.check_entity_exists(rg, svc, "linkprod", "link-api") is True
    links = list(client.product_api_link.list_by_product(rg, svc, "linkprod"))
    assert len(links) == 1 and links[0].api_id.endswith("/apis/link-api")
    client.product_api.delete(rg, svc, "linkprod", "link-api")
    assert list(client.product_api.list_by_product(rg, svc, "linkprod")) == []
    client.product_api_link.create_or_update(rg, svc, "linkprod", "l1", m.ProductApiLinkContract(
        api_id="/apis/link-api"))
    assert [a.name for a in client.product_api.list_by_product(rg, svc, "linkprod")] == ["link-api"]
    assert [p.name for p in client.api_product.list_by_apis(rg, svc, "link-api")] == ["linkprod"]
    client.group.create_or_update(rg, svc, "g1", m.GroupCreateParameters(display_name="G1"))
    client.product_group_link.create_or_update(rg, svc, "linkprod", "gl", m.ProductGroupLinkContract(group_id="/groups/g1"))
    assert {g.name for g in client.product_group.list_by_product(rg, svc, "linkprod")} == {"administrators", "g1"}
    with pytest.raises(HttpResponseError) as error:
        client.product_api_link.create_or_update(rg, svc, "linkprod", "bad", m.ProductApiLinkContract(api_id="/apis/none"))
    assert error.value.status_code == 400
    client.api.begin_delete(rg, svc, "link-api", "*").result()
    assert list(client.product_api_link.list_by_product(rg, svc, "linkprod")) == []


def test_tags_assignments_and_links(client, ids):
    rg, svc = ids
    _api(client, rg, svc, "tag-api")
    client.api_operation.create_or_update(rg, svc, "tag-api", "op1", m.OperationContract(
        display_name="op1", method="GET", url_template="/"))
    client.tag.create_or_update(rg, svc, "t1", m.TagCreateUpdateParameters(display_name="T1"))
    client.tag.assign_to_api(rg, svc, "tag-api", "t1")
    assert [t.name for t in client.tag.list_by_api(rg, svc, "tag-api")] == ["t1"]
    assert client.tag.get_by_api(rg, svc, "tag-api", "t1").display_name == "T1"
    assert client.tag_api_link.list_by_product(rg, svc, "t1").next().api_id.endswith("/apis/tag-api")
    client.tag.assign_to_operation(rg, svc, "tag-api", "op1", "t1")
    assert [t.name for t in client.tag.list_by_operation(rg, svc, "tag-api", "op1")] == ["t1"]
    assert len(list(client.tag_operation_link.list_by_product(rg, svc, "t1"))) == 1
    client.product.create_or_update(rg, svc, "tagprod", m.ProductContract(display_name="Tag product"))
    client.tag_product_link.create_or_update(rg, svc, "t1", "pl", m.TagProductLinkContract(product_id="/products/tagprod"))
    assert [t.name for t in client.tag.list_by_product(rg, svc, "tagprod")] == ["t1"]
    client.tag.detach_from_api(rg, svc, "tag-api", "t1")
    with pytest.raises(ResourceNotFoundError):
        client.tag.get_by_api(rg, svc, "tag-api", "t1")


def test_gateway_apis(client, ids):
    rg, svc = ids
    _api(client, rg, svc, "gw-api")
    client.gateway.create_or_update(rg, svc, "gw1", m.GatewayContract(location_data=m.ResourceLocationDataContract(name="x")))
    created = client.gateway_api.create_or_update(rg, svc, "gw1", "gw-api")
    assert created.name == "gw-api" and "/gateways/gw1/apis/gw-api" in created.id
    assert [a.name for a in client.gateway_api.list_by_service(rg, svc, "gw1")] == ["gw-api"]
    assert client.gateway.list_keys(rg, svc, "gw1").primary
    client.gateway_api.delete(rg, svc, "gw1", "gw-api")
    assert list(client.gateway_api.list_by_service(rg, svc, "gw1")) == []


def test_revisions_and_releases(client, ids):
    rg, svc = ids
    api = _api(client, rg, svc, "rev-api", service_url="https://one.example")
    client.api_operation.create_or_update(rg, svc, "rev-api", "op1", m.OperationContract(
        display_name="op1", method="GET", url_template="/"))
    rev2 = client.api.begin_create_or_update(rg, svc, "rev-api;rev=2", m.ApiCreateOrUpdateParameter(
        path="rev-api", source_api_id=api.id, api_revision_description="second")).result()
    assert rev2.name == "rev-api;rev=2" and rev2.is_current is False and rev2.api_revision == "2"
    assert [o.name for o in client.api_operation.list_by_api(rg, svc, "rev-api;rev=2")] == ["op1"]
    names = {a.name for a in client.api.list_by_service(rg, svc)}
    assert {"rev-api", "rev-api;rev=2"} <= names
    current_only = {a.name for a in client.api.list_by_service(rg, svc, filter="isCurrent eq true")}
    assert "rev-api" in current_only and "rev-api;rev=2" not in current_only
    revisions = list(client.api_revision.list_by_service(rg, svc, "rev-api"))
    assert [(r.api_revision, r.is_current) for r in revisions] == [("1", True), ("2", False)]
    client.api_release.create_or_update(rg, svc, "rev-api", "rel1", m.ApiReleaseContract(
        api_id=f"{api.id};rev=2", notes="go"))
    assert client.api.get(rg, svc, "rev-api").api_revision == "2"
    assert client.api.get(rg, svc, "rev-api;rev=1").is_current is False
    with pytest.raises(HttpResponseError) as error:
        client.api.begin_delete(rg, svc, "rev-api", "*").result()
    assert error.value.status_code == 400
    client.api.begin_delete(rg, svc, "rev-api", "*", delete_revisions=True).result()
    assert not {a.name for a in client.api.list_by_service(rg, svc)} & {"rev-api", "rev-api;rev=1", "rev-api;rev=2"}
    with pytest.raises(ResourceNotFoundError):
        client.api_release.get(rg, svc, "rev-api", "rel1")


def test_filters_and_top_skip(client, ids, emu):
    rg, svc = ids
    for n in range(5):
        client.tag.create_or_update(rg, svc, f"flt-{n}", m.TagCreateUpdateParameters(display_name=f"Filter {n}"))
    names = [t.name for t in client.tag.list_by_service(rg, svc, filter="startswith(name, 'flt-')")]
    assert names == [f"flt-{n}" for n in range(5)]
    assert [t.name for t in client.tag.list_by_service(rg, svc, filter="properties/displayName eq 'filter 3'")] == ["flt-3"]
    assert len([t for t in client.tag.list_by_service(rg, svc, filter="contains(displayName,'Filter') and name ne 'flt-0'")]) == 4
    assert len(list(client.tag.list_by_service(rg, svc, filter="substringof('ilter 4', displayName)"))) == 1
    page = session(emu).get(f"{emu.service_url}/tags?api-version=2024-05-01&$filter=startswith(name,'flt-')&$top=2&$skip=1").json()
    assert [t["name"] for t in page["value"]] == ["flt-1", "flt-2"] and page["count"] == 5
    assert page["nextLink"].startswith(emu.url) and "%24skip=3" in page["nextLink"]


def test_api_paths_are_percent_decoded(emu, client, ids):
    rg, svc = ids
    _api(client, rg, svc, "enc-api")
    response = session(emu).get(f"{emu.service_url}/apis/enc-api%3Brev%3D1?api-version=2024-05-01")
    assert response.status_code == 200 and response.json()["name"] == "enc-api;rev=1"


def test_import_and_export_links(client, ids, emu):
    rg, svc = ids
    document = {"openapi": "3.0.1", "info": {"title": "Pets"}, "paths": {"/pets": {"get": {"operationId": "listPets"}}}}
    api = client.api.begin_create_or_update(rg, svc, "pets", m.ApiCreateOrUpdateParameter(
        path="pets", format="openapi+json", value=json.dumps(document))).result()
    assert api.display_name == "Pets"
    assert [o.name for o in client.api_operation.list_by_api(rg, svc, "pets")] == ["listPets"]
    document["paths"] = {"/cats": {"get": {"operationId": "listCats"}}}
    link = emu.put_blob(json.dumps(document), "application/json")
    client.api.begin_create_or_update(rg, svc, "pets", m.ApiCreateOrUpdateParameter(
        path="pets", format="openapi+json-link", value=link, display_name="Cats")).result()
    assert client.api.get(rg, svc, "pets").display_name == "Cats"
    assert [o.name for o in client.api_operation.list_by_api(rg, svc, "pets")] == ["listCats"]
    with pytest.raises(HttpResponseError) as error:
        client.api.begin_create_or_update(rg, svc, "bad", m.ApiCreateOrUpdateParameter(
            path="bad", format="openapi+json-link", value="https://example.com/x.json")).result()
    assert error.value.status_code == 400
    with pytest.raises(HttpResponseError):
        client.api.begin_create_or_update(rg, svc, "bad", m.ApiCreateOrUpdateParameter(
            path="bad", format="openapi+json", value="{not json")).result()
    # The service nests format/value under "properties" (not as the spec says), so the SDK model stays empty.
    typed = client.api_export.get(rg, svc, "pets", format="openapi+json-link", export="true")
    assert typed.value is None and typed.id.endswith("/apis/pets")
    raw = client.api_export.get(rg, svc, "pets", format="openapi+json-link", export="true",
                                cls=lambda response, deserialized, headers: response.http_response.json())
    link = raw["properties"]["value"]["link"]
    assert raw["properties"]["format"] == "openapi+json-link" and link.startswith(emu.url)
    plain = session(emu)
    del plain.headers["Authorization"]
    body = plain.get(link)
    assert body.status_code == 200 and "/cats" in body.json()["paths"]


def test_workspace_children(client, ids):
    rg, svc = ids
    client.workspace.create_or_update(rg, svc, "wsx", m.WorkspaceContract(display_name="WS X"))
    client.workspace_api.begin_create_or_update(rg, svc, "wsx", "wapi", m.ApiCreateOrUpdateParameter(
        display_name="W", path="w")).result()
    client.workspace_api_operation.create_or_update(rg, svc, "wsx", "wapi", "op", m.OperationContract(
        display_name="op", method="GET", url_template="/"))
    client.workspace_api_policy.create_or_update(rg, svc, "wsx", "wapi", "policy", m.PolicyContract(value=RAW, format="rawxml"))
    assert client.workspace_api_policy.get(rg, svc, "wsx", "wapi", "policy", format="rawxml").value == RAW
    client.workspace_product.create_or_update(rg, svc, "wsx", "wp", m.ProductContract(display_name="WP"))
    client.workspace_product_api_link.create_or_update(rg, svc, "wsx", "wp", "l", m.ProductApiLinkContract(
        api_id="/workspaces/wsx/apis/wapi"))
    assert len(list(client.workspace_product_api_link.list_by_product(rg, svc, "wsx", "wp"))) == 1
    assert "wapi" not in {a.name for a in client.api.list_by_service(rg, svc)}
    client.workspace.delete(rg, svc, "wsx", "*")
    with pytest.raises(ResourceNotFoundError):
        client.workspace_api.get(rg, svc, "wsx", "wapi")


def test_patch_is_current_switches_revision(client, ids):
    rg, svc = ids
    api = _api(client, rg, svc, "cur-api")
    client.api.begin_create_or_update(rg, svc, "cur-api;rev=3", m.ApiCreateOrUpdateParameter(
        path="cur-api", source_api_id=api.id)).result()
    client.api.update(rg, svc, "cur-api;rev=3", "*", m.ApiUpdateContract(is_current=True))
    assert client.api.get(rg, svc, "cur-api").api_revision == "3"
    client.api.begin_delete(rg, svc, "cur-api;rev=1", "*").result()
    assert [r.api_revision for r in client.api_revision.list_by_service(rg, svc, "cur-api")] == ["3"]
