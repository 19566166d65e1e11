"""The emulator refuses what the service refuses (integrity.py): malformed policy XML, references
to named values / fragments / backends / loggers / version sets / link targets that do not exist,
and deleting a policy fragment that a policy still includes. Each refusal is shown with the
status and error code the service uses, then the same request succeeds once the referenced
entity exists. All calls go through the real SDK's typed operations."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.apimanagement import models as m

from apiops_emulator.apim import Emulator

from .conftest import make_client, session

V = "api-version=2024-05-01"



def _policies(inbound: str) -> str:
    return (f"<policies><inbound><base />{inbound}</inbound><backend><base /></backend>"
            "<outbound><base /></outbound><on-error><base /></on-error></policies>")


def _refused(call: Callable[[], Any], status: int = 400, code: str = "ValidationError") -> HttpResponseError:
    with pytest.raises(HttpResponseError) as caught:
        call()
    error = caught.value
    assert error.status_code == status, error.message
    assert error.error is not None and error.error.code == code, error.message
    return error


def _text(error: HttpResponseError) -> str:
    """Message plus every detail's target and message (what a user sees)."""
    parts = [error.error.message or ""]
    for detail in error.error.details or []:
        parts += [detail.target or "", detail.message or ""]
    return " | ".join(parts)


def _api(client, rg, svc, name, **kwargs):
    return client.api.begin_create_or_update(rg, svc, name, m.ApiCreateOrUpdateParameter(
        display_name=name, path=name, protocols=["https"], **kwargs)).result()


def _api_policy(client, rg, svc, api, value, fmt="xml"):
    return client.api_policy.create_or_update(rg, svc, api, "policy", m.PolicyContract(value=value, format=fmt))


# -- policy documents ------------------------------------------------------------------------------

def test_malformed_policy_is_validation_error(client, ids):
    rg, svc = ids
    _api(client, rg, svc, "malformed")
    for fmt in ("xml", "rawxml"):
        error = _refused(lambda: _api_policy(client, rg, svc, "malformed", "<policies><inbound></policies>", fmt))  # noqa: B023 - called at once
        assert "not well-formed" in _text(error) and "line 1" in _text(error)
    _refused(lambda: client.policy.create_or_update(rg, svc, "policy", m.PolicyContract(value="<policies><x>")))
    _refused(lambda: client.policy_fragment.begin_create_or_update(rg, svc, "broken", m.PolicyFragmentContract(
        value="<fragment><set-header name='a'></fragment>", format="rawxml")).result())


EXPRESSIONS = _policies(
    '<choose><when condition="@(context.Request.Method == "POST" && context.Request.Url.Query.Count < 3)">'
    '<set-header name="x-a" exists-action="override"><value>@(context.Request.Headers.GetValueOrDefault("a", "<none>"))'
    '</value></set-header></when></choose>'
    '<set-variable name="v" value="@{ var list = new List<string> { "a&b" }; '
    'return list.Count > 0 && list[0] != "x" ? "y" : "z"; }" />'
    '<set-body>@{\n  var body = context.Request.Body.As<JObject>(preserveContent: true);\n'
    '  if (body["a"] != null && (int)body["a"] < 5) { body["b"] = "<b>"; }\n  return body.ToString();\n}</set-body>')


def test_expression_laden_rawxml_is_accepted(client, ids):
    """Unescaped ``"``, ``<`` and ``&&`` inside expressions, even in attribute values: the
    service accepts them, so the emulator masks expressions before its well-formedness check."""
    rg, svc = ids
    _api(client, rg, svc, "expressions")
    _api_policy(client, rg, svc, "expressions", EXPRESSIONS, "rawxml")
    assert client.api_policy.get(rg, svc, "expressions", "policy", format="rawxml").value == EXPRESSIONS
    xml = client.api_policy.get(rg, svc, "expressions", "policy", format="xml").value
    _api_policy(client, rg, svc, "expressions", xml, "xml")            # the escaped form round-trips too
    client.policy_fragment.begin_create_or_update(rg, svc, "expr-fragment", m.PolicyFragmentContract(
        value='<fragment><set-header name="b"><value>@(context.Variables.GetValueOrDefault<string>("v") ?? "")'
              '</value></set-header></fragment>', format="rawxml")).result()


def test_named_values_resolve_by_display_name(client, ids):
    rg, svc = ids
    _api(client, rg, svc, "nv-api")
    policy = _policies('<set-header name="k"><value>{{Backend-Key}}</value></set-header>'
                       '<set-header name="e"><value>@("{{env.name}}".ToUpper())</value></set-header>')
    error = _refused(lambda: _api_policy(client, rg, svc, "nv-api", policy))
    assert "Cannot find a property 'Backend-Key'" in _text(error)
    assert "env.name" in _text(error)
    # a named value whose *id* matches does not count: the service resolves {{x}} by displayName
    client.named_value.begin_create_or_update(rg, svc, "Backend-Key", m.NamedValueCreateContract(
        display_name="something-else", value="1")).result()
    client.named_value.begin_create_or_update(rg, svc, "env", m.NamedValueCreateContract(
        display_name="env.name", value="dev")).result()
    error = _refused(lambda: _api_policy(client, rg, svc, "nv-api", policy))
    assert "Backend-Key" in _text(error) and "env.name" not in _text(error)
    client.named_value.begin_create_or_update(rg, svc, "nv-key", m.NamedValueCreateContract(
        display_name="backend-key", value="s", secret=True)).result()             # display names: any case
    _api_policy(client, rg, svc, "nv-api", policy)


def test_liquid_templates_are_not_named_values(client, ids):
    rg, svc = ids
    _api(client, rg, svc, "liquid")
    _api_policy(client, rg, svc, "liquid", _policies(
        '<set-body template="liquid">{"name": "{{body.name}}", "n": {{ body.items.size }}'
        '{%- if body.x -%}, "x": "{{- body.x -}}"{%- endif -%}}</set-body>'))


@pytest.mark.parametrize("element, create", [
    ('<include-fragment fragment-id="shared-cors" />',
     lambda c, rg, svc: c.policy_fragment.begin_create_or_update(rg, svc, "shared-cors", m.PolicyFragmentContract(
         value="<fragment><cors><allowed-origins><origin>*</origin></allowed-origins></cors></fragment>")).result()),
    ('<set-backend-service backend-id="orders-backend" />',
     lambda c, rg, svc: c.backend.create_or_update(rg, svc, "orders-backend", m.BackendContract(
         url="https://orders.example", protocol="http"))),
    ('<log-to-eventhub logger-id="audit-hub">@(context.Request.Url.ToString())</log-to-eventhub>',
     lambda c, rg, svc: c.logger.create_or_update(rg, svc, "audit-hub", m.LoggerContract(
         logger_type="azureEventHub", credentials={"name": "hub", "connectionString": "Endpoint=sb://x/"}))),
])
def test_policy_element_references_must_exist(client, ids, element, create):
    rg, svc = ids
    name = element.split('"')[1]
    target = element[1:].split(" ")[0]
    client.product.create_or_update(rg, svc, f"p-{name}", m.ProductContract(display_name=name))
    policy = _policies(element)
    calls = [lambda: client.policy.create_or_update(rg, svc, "policy", m.PolicyContract(value=policy)),
             lambda: client.product_policy.create_or_update(rg, svc, f"p-{name}", "policy",
                                                            m.PolicyContract(value=policy, format="rawxml"))]
    for call in calls:
        error = _refused(call)
        assert error.error.details[0].target == target
        assert f"Error in element '{target}' on line 1" in _text(error) and f"'{name}'" in _text(error)
    create(client, rg, svc)
    for call in calls:
        call()
    client.policy.delete(rg, svc, "policy", "*")


def test_dynamic_references_are_not_checked(client, ids):
    rg, svc = ids
    client.named_value.begin_create_or_update(rg, svc, "backend-choice", m.NamedValueCreateContract(
        display_name="backend-choice", value="b1")).result()
    client.policy.create_or_update(rg, svc, "policy", m.PolicyContract(value=_policies(
        '<set-backend-service backend-id="@((string)context.Variables["b"])" />'
        '<set-backend-service backend-id="{{backend-choice}}" />')))
    client.policy.delete(rg, svc, "policy", "*")


def test_fragment_references_are_checked_inside_fragments_and_operations(client, ids):
    rg, svc = ids
    _api(client, rg, svc, "op-api")
    client.api_operation.create_or_update(rg, svc, "op-api", "get", m.OperationContract(
        display_name="get", method="GET", url_template="/"))
    _refused(lambda: client.api_operation_policy.create_or_update(rg, svc, "op-api", "get", "policy", m.PolicyContract(
        value=_policies('<set-header name="t"><value>{{op-token}}</value></set-header>'))))
    _refused(lambda: client.policy_fragment.begin_create_or_update(rg, svc, "uses-nv", m.PolicyFragmentContract(
        value='<fragment><set-header name="t"><value>{{op-token}}</value></set-header></fragment>')).result())
    client.named_value.begin_create_or_update(rg, svc, "op-token", m.NamedValueCreateContract(
        display_name="op-token", value="t")).result()
    client.policy_fragment.begin_create_or_update(rg, svc, "uses-nv", m.PolicyFragmentContract(
        value='<fragment><set-header name="t"><value>{{op-token}}</value></set-header></fragment>')).result()
    client.api_operation_policy.create_or_update(rg, svc, "op-api", "get", "policy", m.PolicyContract(
        value=_policies('<include-fragment fragment-id="uses-nv" />')))


# -- references in bodies --------------------------------------------------------------------------

def test_api_version_set_must_exist(client, ids, emu):
    rg, svc = ids
    version_set = f"{emu.service.path}/apiVersionSets/orders-vs"
    error = _refused(lambda: _api(client, rg, svc, "orders-v1", api_version="v1", api_version_set_id=version_set))
    assert error.error.details[0].target == "apiVersionSetId"
    client.api_version_set.create_or_update(rg, svc, "orders-vs", m.ApiVersionSetContract(
        display_name="Orders", versioning_scheme="Segment"))
    assert _api(client, rg, svc, "orders-v1", api_version="v1", api_version_set_id=version_set).api_version == "v1"


def test_diagnostic_logger_must_exist(client, ids):
    rg, svc = ids
    _api(client, rg, svc, "diag-api")
    diagnostic = m.DiagnosticContract(logger_id="/loggers/insights", always_log="allErrors")
    for call in (lambda: client.diagnostic.create_or_update(rg, svc, "applicationinsights", diagnostic),
                 lambda: client.api_diagnostic.create_or_update(rg, svc, "diag-api", "applicationinsights", diagnostic)):
        assert _refused(call).error.details[0].target == "loggerId"
    client.logger.create_or_update(rg, svc, "insights", m.LoggerContract(
        logger_type="applicationInsights", credentials={"instrumentationKey": "00000000-0000-0000-0000-0000000000aa"}))
    client.diagnostic.create_or_update(rg, svc, "applicationinsights", diagnostic)
    assert client.api_diagnostic.create_or_update(rg, svc, "diag-api", "applicationinsights",
                                                  diagnostic).logger_id.endswith("/loggers/insights")


def test_backend_pool_members_must_exist(client, ids, emu):
    rg, svc = ids
    pool = m.BackendContract(type_properties_type="Pool", pool=m.BackendBaseParametersPool(services=[
        m.BackendPoolItem(id=f"{emu.service.path}/backends/member-1", weight=1)]))
    assert _refused(lambda: client.backend.create_or_update(rg, svc, "pool", pool)).error.details[0].target \
        == "pool.services[0].id"
    client.backend.create_or_update(rg, svc, "member-1", m.BackendContract(url="https://m1.example", protocol="http"))
    client.backend.create_or_update(rg, svc, "pool", pool)


def test_subscription_scope_must_exist(client, ids):
    rg, svc = ids
    for scope in ("/apis/scoped-api", "/products/scoped-product"):
        body = m.SubscriptionCreateParameters(scope=scope, display_name="s")
        refused = _refused(lambda: client.subscription.create_or_update(rg, svc, "scoped", body))  # noqa: B023 - called at once
        assert refused.error.details[0].target == "scope"
    client.subscription.create_or_update(rg, svc, "all-apis", m.SubscriptionCreateParameters(
        scope="/apis", display_name="all"))
    _api(client, rg, svc, "scoped-api")
    client.product.create_or_update(rg, svc, "scoped-product", m.ProductContract(display_name="sp"))
    for scope in ("/apis/scoped-api", "/products/scoped-product"):
        client.subscription.create_or_update(rg, svc, "scoped", m.SubscriptionCreateParameters(
            scope=scope, display_name="s"))


def test_link_targets_must_exist(client, ids, emu):
    rg, svc = ids
    full = emu.service.path
    client.product.create_or_update(rg, svc, "links-product", m.ProductContract(display_name="lp"))
    client.tag.create_or_update(rg, svc, "links-tag", m.TagCreateUpdateParameters(display_name="lt"))
    client.gateway.create_or_update(rg, svc, "gw1", m.GatewayContract(location_data=m.ResourceLocationDataContract(
        name="here")))
    new_style = [
        lambda: client.product_api_link.create_or_update(rg, svc, "links-product", "l1", m.ProductApiLinkContract(
            api_id=f"{full}/apis/links-api")),
        lambda: client.product_group_link.create_or_update(rg, svc, "links-product", "l2", m.ProductGroupLinkContract(
            group_id=f"{full}/groups/links-group")),
        lambda: client.tag_api_link.create_or_update(rg, svc, "links-tag", "l3", m.TagApiLinkContract(
            api_id=f"{full}/apis/links-api")),
        lambda: client.tag_product_link.create_or_update(rg, svc, "links-tag", "l4", m.TagProductLinkContract(
            product_id=f"{full}/products/links-product-2")),
        lambda: client.tag_operation_link.create_or_update(rg, svc, "links-tag", "l5", m.TagOperationLinkContract(
            operation_id=f"{full}/apis/links-api/operations/op1")),
    ]
    for call in new_style:
        _refused(call)
    _refused(lambda: client.product_api_link.create_or_update(rg, svc, "links-product", "l6", m.ProductApiLinkContract(
        api_id="/not-a-collection/links-api")))
    # the old association endpoints name the target in the URL: 404 like any missing path entity
    old_style = [lambda: client.product_api.create_or_update(rg, svc, "links-product", "links-api"),
                 lambda: client.product_group.create_or_update(rg, svc, "links-product", "links-group"),
                 lambda: client.gateway_api.create_or_update(rg, svc, "gw1", "links-api"),
                 lambda: client.tag.assign_to_product(rg, svc, "links-product", "no-such-tag")]
    for call in old_style:
        _refused(call, 404, "ResourceNotFound")
    _api(client, rg, svc, "links-api")
    client.api_operation.create_or_update(rg, svc, "links-api", "op1", m.OperationContract(
        display_name="op1", method="GET", url_template="/op1"))
    client.group.create_or_update(rg, svc, "links-group", m.GroupCreateParameters(display_name="lg"))
    client.product.create_or_update(rg, svc, "links-product-2", m.ProductContract(display_name="lp2"))
    for call in new_style + old_style[:3]:
        call()


def test_new_revision_and_release_need_their_api(client, ids, emu):
    rg, svc = ids
    source = f"{emu.service.path}/apis/rev-source"
    _refused(lambda: client.api.begin_create_or_update(rg, svc, "rev-source;rev=2", m.ApiCreateOrUpdateParameter(
        path="rev-source", source_api_id=source)).result())
    _api(client, rg, svc, "rev-source")
    _refused(lambda: client.api_release.create_or_update(rg, svc, "rev-source", "r1", m.ApiReleaseContract(
        api_id=f"{source};rev=2")))
    client.api.begin_create_or_update(rg, svc, "rev-source;rev=2", m.ApiCreateOrUpdateParameter(
        path="rev-source", source_api_id=source)).result()
    client.api_release.create_or_update(rg, svc, "rev-source", "r1", m.ApiReleaseContract(api_id=f"{source};rev=2"))
    assert client.api.get(rg, svc, "rev-source").api_revision == "2"


# -- in use ----------------------------------------------------------------------------------------

def test_fragment_in_use_cannot_be_deleted(client, ids):
    rg, svc = ids
    client.policy_fragment.begin_create_or_update(rg, svc, "in-use", m.PolicyFragmentContract(
        value="<fragment><set-header name='u'><value>1</value></set-header></fragment>", format="rawxml")).result()
    _api(client, rg, svc, "user-api")
    _api_policy(client, rg, svc, "user-api", _policies('<include-fragment fragment-id="in-use" />'))
    client.policy.create_or_update(rg, svc, "policy", m.PolicyContract(
        value=_policies('<include-fragment fragment-id="in-use" />')))
    refs = client.policy_fragment.list_references(rg, svc, "in-use")
    assert sorted(r.id.split("/service/apim-emulator")[1] for r in refs.value) == [
        "/apis/user-api/policies/policy", "/policies/policy"]
    assert {r.type for r in refs.value} == {"Microsoft.ApiManagement/service/policies",
                                           "Microsoft.ApiManagement/service/apis/policies"}
    error = _refused(lambda: client.policy_fragment.delete(rg, svc, "in-use", "*"))
    assert "The Policy Fragment 'in-use' is used by the following entities" in error.error.message
    assert "/apis/user-api/policies/policy" in error.error.message
    client.policy.delete(rg, svc, "policy", "*")
    client.api_policy.delete(rg, svc, "user-api", "policy", "*")
    assert client.policy_fragment.list_references(rg, svc, "in-use").value == []
    client.policy_fragment.delete(rg, svc, "in-use", "*")


# -- workspaces ------------------------------------------------------------------------------------

def test_workspace_policies_see_workspace_and_service_entities(client, ids):
    rg, svc = ids
    client.workspace.create_or_update(rg, svc, "team-a", m.WorkspaceContract(display_name="Team A"))
    client.named_value.begin_create_or_update(rg, svc, "svc-level", m.NamedValueCreateContract(
        display_name="svc-level", value="1")).result()
    policy = _policies('<set-header name="a"><value>{{svc-level}}</value></set-header>'
                       '<set-header name="b"><value>{{ws-level}}</value></set-header>')
    error = _refused(lambda: client.workspace_policy.create_or_update(rg, svc, "team-a", "policy",
                                                                     m.PolicyContract(value=policy)))
    assert "ws-level" in _text(error) and "svc-level" not in _text(error)
    client.workspace_named_value.begin_create_or_update(rg, svc, "team-a", "ws-level", m.NamedValueCreateContract(
        display_name="ws-level", value="2")).result()
    client.workspace_policy.create_or_update(rg, svc, "team-a", "policy", m.PolicyContract(value=policy))
    # a service-level policy cannot see a workspace's named value
    _refused(lambda: client.policy.create_or_update(rg, svc, "policy", m.PolicyContract(value=_policies(
        '<set-header name="b"><value>{{ws-level}}</value></set-header>'))))


# -- ARM around the service ------------------------------------------------------------------------

def test_resource_group_get(emu):
    s = session(emu)
    url = f"{emu.url}/subscriptions/{emu.subscription_id}/resourceGroups"
    response = s.get(f"{url}/{emu.resource_group}?api-version=2021-04-01")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == emu.resource_group and body["type"] == "Microsoft.Resources/resourceGroups"
    assert body["properties"]["provisioningState"] == "Succeeded" and body["location"]
    assert s.head(f"{url}/{emu.resource_group.upper()}?api-version=2022-09-01").status_code == 204
    missing = s.get(f"{url}/no-such-group?api-version=2021-04-01")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ResourceGroupNotFound"


def test_service_get_has_system_assigned_identity(client, ids):
    identity = client.api_management_service.get(*ids).identity
    assert identity.type == "SystemAssigned" and identity.principal_id and identity.tenant_id


# -- lenient ---------------------------------------------------------------------------------------

def test_lenient_accepts_dangling_references_but_not_malformed_xml():
    with Emulator(lenient=True) as emu:
        client = make_client(emu)
        rg, svc = emu.resource_group, emu.service_name
        client.policy.create_or_update(rg, svc, "policy", m.PolicyContract(value=_policies(
            '<include-fragment fragment-id="nowhere" /><set-header name="a"><value>{{nothing}}</value></set-header>')))
        client.diagnostic.create_or_update(rg, svc, "applicationinsights", m.DiagnosticContract(
            logger_id="/loggers/absent"))
        client.policy_fragment.begin_create_or_update(rg, svc, "used", m.PolicyFragmentContract(
            value="<fragment><base /></fragment>")).result()
        client.policy.create_or_update(rg, svc, "policy", m.PolicyContract(value=_policies(
            '<include-fragment fragment-id="used" />')))
        client.policy_fragment.delete(rg, svc, "used", "*")                 # in use, but lenient
        _refused(lambda: client.policy.create_or_update(rg, svc, "policy", m.PolicyContract(value="<policies>")))
        assert session(emu).get(f"{emu.service_url}/policies/policy?{V}").status_code == 200
