"""Every resource kind through the typed SDK: create, get, list with paging, update, conditional
update with a stale ETag (412), delete, get after delete (404)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.apimanagement import models as m

PAGE_PLUS = 12   # more than the emulator's page size of 10


def etag_of(getter: Callable[..., Any]) -> str:
    """Call an SDK get with a ``cls`` hook that returns the ETag response header."""
    return getter(cls=lambda response, deserialized, headers: headers["ETag"])


@dataclass
class Kind:
    name: str
    create: Callable[[Any, str, str, str], Any]          # (client, rg, svc, id)
    get: Callable[[Any, str, str, str], Any]
    list: Callable[[Any, str, str], Any]
    update: Callable[[Any, str, str, str, str], Any] | None  # (client, rg, svc, id, etag) -> changed entity
    delete: Callable[[Any, str, str, str, str], Any]
    check: Callable[[Any], bool] = lambda entity: True     # verifies the update took effect
    paged: bool = True


POLICY = "<policies><inbound><base /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"
A = "base-api"
WS = "ws1"


def _api(c, rg, s, i):
    return c.api.begin_create_or_update(rg, s, i, m.ApiCreateOrUpdateParameter(
        display_name=f"API {i}", path=f"p-{i}", service_url="https://backend.example/x", protocols=["https"])).result()


def _accepted(call: Callable[[], Any]) -> None:
    """The service answers a workspace API DELETE with 202 although the spec (and so the SDK) says
    200/204 (Azure/azure-rest-api-specs #39054); the emulator does the same, so the SDK raises."""
    with pytest.raises(HttpResponseError) as error:
        call()
    assert error.value.status_code == 202


KINDS = [
    Kind("api", _api,
         lambda c, rg, s, i, **kw: c.api.get(rg, s, i, **kw),
         lambda c, rg, s: c.api.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.api.update(rg, s, i, e, m.ApiUpdateContract(display_name="changed")),
         lambda c, rg, s, i, e: c.api.begin_delete(rg, s, i, e).result(),
         lambda x: x.display_name == "changed"),
    Kind("api_operation",
         lambda c, rg, s, i: c.api_operation.create_or_update(rg, s, A, i, m.OperationContract(
             display_name=i, method="GET", url_template=f"/{i}/{{id}}",
             template_parameters=[m.ParameterContract(name="id", type="string", required=True)])),
         lambda c, rg, s, i, **kw: c.api_operation.get(rg, s, A, i, **kw),
         lambda c, rg, s: c.api_operation.list_by_api(rg, s, A),
         lambda c, rg, s, i, e: c.api_operation.update(rg, s, A, i, e, m.OperationUpdateContract(description="changed")),
         lambda c, rg, s, i, e: c.api_operation.delete(rg, s, A, i, e),
         lambda x: x.description == "changed" and x.method == "GET"),
    Kind("api_schema",
         lambda c, rg, s, i: c.api_schema.begin_create_or_update(rg, s, A, i, m.SchemaContract(
             content_type="application/vnd.oai.openapi.components+json",
             components={"schemas": {"Pet": {"type": "object"}}})).result(),
         lambda c, rg, s, i, **kw: c.api_schema.get(rg, s, A, i, **kw),
         lambda c, rg, s: c.api_schema.list_by_api(rg, s, A),
         lambda c, rg, s, i, e: c.api_schema.begin_create_or_update(rg, s, A, i, m.SchemaContract(
             content_type="application/vnd.oai.openapi.components+json", components={"schemas": {}}), if_match=e).result(),
         lambda c, rg, s, i, e: c.api_schema.delete(rg, s, A, i, e),
         lambda x: x.components == {"schemas": {}}),
    Kind("api_diagnostic",
         lambda c, rg, s, i: c.api_diagnostic.create_or_update(rg, s, A, i, m.DiagnosticContract(logger_id="/loggers/base-logger")),
         lambda c, rg, s, i, **kw: c.api_diagnostic.get(rg, s, A, i, **kw),
         lambda c, rg, s: c.api_diagnostic.list_by_service(rg, s, A),
         lambda c, rg, s, i, e: c.api_diagnostic.update(rg, s, A, i, e, m.DiagnosticContract(
             logger_id="/loggers/base-logger", verbosity="error")),
         lambda c, rg, s, i, e: c.api_diagnostic.delete(rg, s, A, i, e),
         lambda x: x.verbosity == "error" and x.logger_id.endswith("/loggers/base-logger") and x.logger_id.startswith("/subscriptions/")),
    Kind("api_release",
         lambda c, rg, s, i: c.api_release.create_or_update(rg, s, A, i, m.ApiReleaseContract(notes=i)),
         lambda c, rg, s, i, **kw: c.api_release.get(rg, s, A, i, **kw),
         lambda c, rg, s: c.api_release.list_by_service(rg, s, A),
         lambda c, rg, s, i, e: c.api_release.update(rg, s, A, i, e, m.ApiReleaseContract(notes="changed")),
         lambda c, rg, s, i, e: c.api_release.delete(rg, s, A, i, e),
         lambda x: x.notes == "changed" and x.created_date_time is not None),
    Kind("api_version_set",
         lambda c, rg, s, i: c.api_version_set.create_or_update(rg, s, i, m.ApiVersionSetContract(
             display_name=i, versioning_scheme="Segment")),
         lambda c, rg, s, i, **kw: c.api_version_set.get(rg, s, i, **kw),
         lambda c, rg, s: c.api_version_set.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.api_version_set.update(rg, s, i, e, m.ApiVersionSetUpdateParameters(
             versioning_scheme="Query", version_query_name="v")),
         lambda c, rg, s, i, e: c.api_version_set.delete(rg, s, i, e),
         lambda x: x.versioning_scheme == "Query"),
    Kind("product",
         lambda c, rg, s, i: c.product.create_or_update(rg, s, i, m.ProductContract(display_name=i)),
         lambda c, rg, s, i, **kw: c.product.get(rg, s, i, **kw),
         lambda c, rg, s: c.product.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.product.update(rg, s, i, e, m.ProductUpdateParameters(state="published")),
         lambda c, rg, s, i, e: c.product.delete(rg, s, i, e, delete_subscriptions=True),
         lambda x: x.state == "published" and x.subscription_required is True),
    Kind("group",
         lambda c, rg, s, i: c.group.create_or_update(rg, s, i, m.GroupCreateParameters(display_name=i)),
         lambda c, rg, s, i, **kw: c.group.get(rg, s, i, **kw),
         lambda c, rg, s: c.group.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.group.update(rg, s, i, e, m.GroupUpdateParameters(description="changed")),
         lambda c, rg, s, i, e: c.group.delete(rg, s, i, e),
         lambda x: x.description == "changed" and x.type_properties_type == "custom"),
    Kind("tag",
         lambda c, rg, s, i: c.tag.create_or_update(rg, s, i, m.TagCreateUpdateParameters(display_name=i)),
         lambda c, rg, s, i, **kw: c.tag.get(rg, s, i, **kw),
         lambda c, rg, s: c.tag.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.tag.update(rg, s, i, e, m.TagCreateUpdateParameters(display_name="changed")),
         lambda c, rg, s, i, e: c.tag.delete(rg, s, i, e),
         lambda x: x.display_name == "changed"),
    Kind("named_value",
         lambda c, rg, s, i: c.named_value.begin_create_or_update(rg, s, i, m.NamedValueCreateContract(
             display_name=i, value="v1")).result(),
         lambda c, rg, s, i, **kw: c.named_value.get(rg, s, i, **kw),
         lambda c, rg, s: c.named_value.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.named_value.begin_update(rg, s, i, e, m.NamedValueUpdateParameters(value="v2")).result(),
         lambda c, rg, s, i, e: c.named_value.delete(rg, s, i, e),
         lambda x: x.value == "v2"),
    Kind("backend",
         lambda c, rg, s, i: c.backend.create_or_update(rg, s, i, m.BackendContract(url="https://b.example", protocol="http")),
         lambda c, rg, s, i, **kw: c.backend.get(rg, s, i, **kw),
         lambda c, rg, s: c.backend.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.backend.update(rg, s, i, e, m.BackendUpdateParameters(description="changed")),
         lambda c, rg, s, i, e: c.backend.delete(rg, s, i, e),
         lambda x: x.description == "changed" and x.url == "https://b.example"),
    Kind("logger",
         lambda c, rg, s, i: c.logger.create_or_update(rg, s, i, m.LoggerContract(
             logger_type="applicationInsights", credentials={"instrumentationKey": "00000000-0000-0000-0000-0000000000aa"})),
         lambda c, rg, s, i, **kw: c.logger.get(rg, s, i, **kw),
         lambda c, rg, s: c.logger.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.logger.update(rg, s, i, e, m.LoggerUpdateContract(description="changed")),
         lambda c, rg, s, i, e: c.logger.delete(rg, s, i, e),
         lambda x: x.description == "changed"),
    Kind("diagnostic",
         lambda c, rg, s, i: c.diagnostic.create_or_update(rg, s, i, m.DiagnosticContract(logger_id="/loggers/base-logger")),
         lambda c, rg, s, i, **kw: c.diagnostic.get(rg, s, i, **kw),
         lambda c, rg, s: c.diagnostic.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.diagnostic.update(rg, s, i, e, m.DiagnosticContract(
             logger_id="/loggers/base-logger", always_log="allErrors")),
         lambda c, rg, s, i, e: c.diagnostic.delete(rg, s, i, e),
         lambda x: x.always_log == "allErrors"),
    Kind("policy_fragment",
         lambda c, rg, s, i: c.policy_fragment.begin_create_or_update(rg, s, i, m.PolicyFragmentContract(
             value="<fragment><set-header name=\"a\" exists-action=\"override\"><value>b</value></set-header></fragment>",
             format="xml")).result(),
         lambda c, rg, s, i, **kw: c.policy_fragment.get(rg, s, i, **kw),
         lambda c, rg, s: c.policy_fragment.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.policy_fragment.begin_create_or_update(rg, s, i, m.PolicyFragmentContract(
             value="<fragment />", description="changed", format="rawxml"), if_match=e).result(),
         lambda c, rg, s, i, e: c.policy_fragment.delete(rg, s, i, e),
         lambda x: x.description == "changed"),
    Kind("gateway",
         lambda c, rg, s, i: c.gateway.create_or_update(rg, s, i, m.GatewayContract(
             location_data=m.ResourceLocationDataContract(name="home"))),
         lambda c, rg, s, i, **kw: c.gateway.get(rg, s, i, **kw),
         lambda c, rg, s: c.gateway.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.gateway.update(rg, s, i, e, m.GatewayContract(description="changed")),
         lambda c, rg, s, i, e: c.gateway.delete(rg, s, i, e),
         lambda x: x.description == "changed" and x.location_data.name == "home"),
    Kind("subscription",
         lambda c, rg, s, i: c.subscription.create_or_update(rg, s, i, m.SubscriptionCreateParameters(
             scope="/apis", display_name=i)),
         lambda c, rg, s, i, **kw: c.subscription.get(rg, s, i, **kw),
         lambda c, rg, s: c.subscription.list(rg, s),
         lambda c, rg, s, i, e: c.subscription.update(rg, s, i, e, m.SubscriptionUpdateParameters(display_name="changed")),
         lambda c, rg, s, i, e: c.subscription.delete(rg, s, i, e),
         lambda x: x.display_name == "changed" and x.primary_key is None),
    Kind("global_schema",
         lambda c, rg, s, i: c.global_schema.begin_create_or_update(rg, s, i, m.GlobalSchemaContract(
             schema_type="json", document={"type": "object"})).result(),
         lambda c, rg, s, i, **kw: c.global_schema.get(rg, s, i, **kw),
         lambda c, rg, s: c.global_schema.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.global_schema.begin_create_or_update(rg, s, i, m.GlobalSchemaContract(
             schema_type="json", description="changed", document={"type": "string"}), if_match=e).result(),
         lambda c, rg, s, i, e: c.global_schema.delete(rg, s, i, e),
         lambda x: x.description == "changed"),
    Kind("workspace",
         lambda c, rg, s, i: c.workspace.create_or_update(rg, s, i, m.WorkspaceContract(display_name=i)),
         lambda c, rg, s, i, **kw: c.workspace.get(rg, s, i, **kw),
         lambda c, rg, s: c.workspace.list_by_service(rg, s),
         lambda c, rg, s, i, e: c.workspace.update(rg, s, i, e, m.WorkspaceContract(display_name="ws", description="changed")),
         lambda c, rg, s, i, e: c.workspace.delete(rg, s, i, e),
         lambda x: x.description == "changed"),
    Kind("workspace_api",
         lambda c, rg, s, i: c.workspace_api.begin_create_or_update(rg, s, WS, i, m.ApiCreateOrUpdateParameter(
             display_name=i, path=f"w-{i}")).result(),
         lambda c, rg, s, i, **kw: c.workspace_api.get(rg, s, WS, i, **kw),
         lambda c, rg, s: c.workspace_api.list_by_service(rg, s, WS),
         lambda c, rg, s, i, e: c.workspace_api.update(rg, s, WS, i, e, m.ApiUpdateContract(display_name="changed")),
         lambda c, rg, s, i, e: _accepted(lambda: c.workspace_api.delete(rg, s, WS, i, e)),
         lambda x: x.display_name == "changed"),
    Kind("workspace_named_value",
         lambda c, rg, s, i: c.workspace_named_value.begin_create_or_update(rg, s, WS, i, m.NamedValueCreateContract(
             display_name=i, value="x", secret=True)).result(),
         lambda c, rg, s, i, **kw: c.workspace_named_value.get(rg, s, WS, i, **kw),
         lambda c, rg, s: c.workspace_named_value.list_by_service(rg, s, WS),
         lambda c, rg, s, i, e: c.workspace_named_value.begin_update(rg, s, WS, i, e, m.NamedValueUpdateParameters(
             tags=["t"])).result(),
         lambda c, rg, s, i, e: c.workspace_named_value.delete(rg, s, WS, i, e),
         lambda x: x.tags == ["t"] and x.value is None),
    Kind("workspace_product",
         lambda c, rg, s, i: c.workspace_product.create_or_update(rg, s, WS, i, m.ProductContract(display_name=i)),
         lambda c, rg, s, i, **kw: c.workspace_product.get(rg, s, WS, i, **kw),
         lambda c, rg, s: c.workspace_product.list_by_service(rg, s, WS),
         lambda c, rg, s, i, e: c.workspace_product.update(rg, s, WS, i, e, m.ProductUpdateParameters(terms="t")),
         lambda c, rg, s, i, e: c.workspace_product.delete(rg, s, WS, i, e),
         lambda x: x.terms == "t"),
    Kind("workspace_tag",
         lambda c, rg, s, i: c.workspace_tag.create_or_update(rg, s, WS, i, m.TagCreateUpdateParameters(display_name=i)),
         lambda c, rg, s, i, **kw: c.workspace_tag.get(rg, s, WS, i, **kw),
         lambda c, rg, s: c.workspace_tag.list_by_service(rg, s, WS),
         lambda c, rg, s, i, e: c.workspace_tag.update(rg, s, WS, i, e, m.TagCreateUpdateParameters(display_name="changed")),
         lambda c, rg, s, i, e: c.workspace_tag.delete(rg, s, WS, i, e),
         lambda x: x.display_name == "changed"),
    Kind("workspace_backend",
         lambda c, rg, s, i: c.workspace_backend.create_or_update(rg, s, WS, i, m.BackendContract(url="https://w.example", protocol="http")),
         lambda c, rg, s, i, **kw: c.workspace_backend.get(rg, s, WS, i, **kw),
         lambda c, rg, s: c.workspace_backend.list_by_workspace(rg, s, WS),
         lambda c, rg, s, i, e: c.workspace_backend.update(rg, s, WS, i, e, m.BackendUpdateParameters(title="changed")),
         lambda c, rg, s, i, e: c.workspace_backend.delete(rg, s, WS, i, e),
         lambda x: x.title == "changed"),
]


@pytest.fixture(scope="module", autouse=True)
def base_entities(client, ids):
    rg, svc = ids
    _api(client, rg, svc, A)
    client.logger.create_or_update(rg, svc, "base-logger", m.LoggerContract(logger_type="azureMonitor"))
    client.workspace.create_or_update(rg, svc, WS, m.WorkspaceContract(display_name="Workspace 1"))


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_kind_lifecycle(client, ids, kind: Kind):
    rg, svc = ids
    prefix = kind.name.replace("_", "-")
    names = [f"{prefix}-{n:02d}" for n in range(PAGE_PLUS)]
    for name in names:
        kind.create(client, rg, svc, name)
    first = names[0]
    got = kind.get(client, rg, svc, first)
    assert got.name == first
    assert got.id.endswith(f"/{first}") and got.id.startswith(f"/subscriptions/{client._config.subscription_id}/")
    listed = [item.name for item in kind.list(client, rg, svc)]
    assert set(names) <= set(listed)
    assert len(listed) == len(set(listed))

    etag = etag_of(lambda **kw: kind.get(client, rg, svc, first, **kw))
    kind.update(client, rg, svc, first, etag)
    assert kind.check(kind.get(client, rg, svc, first))
    with pytest.raises(HttpResponseError) as stale:
        kind.update(client, rg, svc, first, etag)
    assert stale.value.status_code == 412

    for name in names:
        current = etag_of(lambda **kw: kind.get(client, rg, svc, name, **kw))  # noqa: B023 - called at once
        kind.delete(client, rg, svc, name, current)
    with pytest.raises(ResourceNotFoundError):
        kind.get(client, rg, svc, first)
    remaining = {item.name for item in kind.list(client, rg, svc)}
    assert not remaining & set(names)
