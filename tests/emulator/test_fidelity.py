"""Service behaviours beyond plain storage: logger secrets moved to auto-created named values,
list ordering options, and properties shared by all revisions of an API."""
from __future__ import annotations

import re

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.apimanagement import models as m

from apiops_emulator.apim import Emulator, plugins

from .conftest import make_client, session

V = "api-version=2024-05-01"
AI_KEY = "0a1b2c3d-0000-4000-8000-00000000abcd"
EH_CONNECTION = "Endpoint=sb://hub-ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0"
_REAL_PLUGINS = {"spec_import": plugins.spec_import, "spec_export": plugins.spec_export}   # before the stand-ins
REFERENCE = re.compile(r"^\{\{(Logger-Credentials--[0-9a-f]{24})\}\}$")


@pytest.fixture(scope="module")
def faithful(stand_in_plugins: None):
    """An emulator with the service's logger-secret behaviour on (off by default, see loggers.py)."""
    with Emulator(logger_secrets=True) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def fclient(faithful: Emulator):
    return make_client(faithful)


def _refused(call) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as error:
        call()
    assert error.value.status_code == 400
    return error.value


def _named_values(client, rg, svc) -> dict[str, m.NamedValueContract]:
    return {nv.display_name: nv for nv in client.named_value.list_by_service(rg, svc, top=100)}


# -- logger credentials ------------------------------------------------------------------------------

def test_literal_instrumentation_key_becomes_a_secret_named_value(fclient, ids):
    client, (rg, svc) = fclient, ids
    created = client.logger.create_or_update(rg, svc, "ai", m.LoggerContract(
        logger_type="applicationInsights", credentials={"instrumentationKey": AI_KEY}, description="AI"))
    display = REFERENCE.match(created.credentials["instrumentationKey"]).group(1)
    assert client.logger.get(rg, svc, "ai").credentials == {"instrumentationKey": "{{" + display + "}}"}
    listed = {lg.name: lg for lg in client.logger.list_by_service(rg, svc)}
    assert listed["ai"].credentials["instrumentationKey"] == "{{" + display + "}}"
    named = _named_values(client, rg, svc)[display]
    assert named.secret is True and named.value is None
    # id: 24 hex; displayName: "Logger-Credentials--" + (id + 1), as in extracted real-world trees
    assert re.fullmatch(r"[0-9a-f]{24}", named.name)
    assert int(display.split("--")[1], 16) == int(named.name, 16) + 1
    assert client.named_value.list_value(rg, svc, named.name).value == AI_KEY


def test_same_literal_reuses_the_named_value_and_a_new_one_gets_another(fclient, ids):
    client, (rg, svc) = fclient, ids
    contract = m.LoggerContract(logger_type="applicationInsights", credentials={"instrumentationKey": AI_KEY})
    first = client.logger.create_or_update(rg, svc, "ai-again", contract).credentials["instrumentationKey"]
    count = len(_named_values(client, rg, svc))
    again = client.logger.create_or_update(rg, svc, "ai-again", contract).credentials["instrumentationKey"]
    assert again == first and len(_named_values(client, rg, svc)) == count
    # PATCH without credentials keeps the reference (ApiManagementUpdateLogger.json)
    patched = client.logger.update(rg, svc, "ai-again", "*", m.LoggerUpdateContract(description="changed"))
    assert patched.credentials["instrumentationKey"] == first and patched.description == "changed"
    other_key = "0a1b2c3d-0000-4000-8000-00000000ffff"
    changed = client.logger.create_or_update(rg, svc, "ai-again", m.LoggerContract(
        logger_type="applicationInsights", credentials={"instrumentationKey": other_key})).credentials["instrumentationKey"]
    assert changed != first and REFERENCE.match(changed)
    named = _named_values(client, rg, svc)
    assert client.named_value.list_value(rg, svc, named[REFERENCE.match(changed).group(1)].name).value == other_key
    assert REFERENCE.match(first).group(1) in named          # the service leaves the old one behind


def test_connection_strings_are_moved_and_other_credentials_kept(fclient, ids):
    client, (rg, svc) = fclient, ids
    hub = client.logger.create_or_update(rg, svc, "hub", m.LoggerContract(
        logger_type="azureEventHub", credentials={"name": "audit", "connectionString": EH_CONNECTION}))
    assert hub.credentials["name"] == "audit" and REFERENCE.match(hub.credentials["connectionString"])
    ai = client.logger.create_or_update(rg, svc, "ai-cs", m.LoggerContract(
        logger_type="applicationInsights", credentials={"connectionString": f"InstrumentationKey={AI_KEY}"}))
    display = REFERENCE.match(ai.credentials["connectionString"]).group(1)
    named = _named_values(client, rg, svc)[display]
    assert client.named_value.list_value(rg, svc, named.name).value == f"InstrumentationKey={AI_KEY}"
    monitor = client.logger.create_or_update(rg, svc, "monitor", m.LoggerContract(logger_type="azureMonitor"))
    assert monitor.credentials is None and monitor.is_buffered is True


def test_references_are_kept_and_must_exist(fclient, ids):
    client, (rg, svc) = fclient, ids
    client.named_value.begin_create_or_update(rg, svc, "ai-key", m.NamedValueCreateContract(
        display_name="ai-key-display", value=AI_KEY, secret=True)).result()
    count = len(_named_values(client, rg, svc))
    kept = client.logger.create_or_update(rg, svc, "ai-ref", m.LoggerContract(
        logger_type="applicationInsights", credentials={"instrumentationKey": "{{ai-key-display}}"}))
    assert kept.credentials == {"instrumentationKey": "{{ai-key-display}}"}
    assert len(_named_values(client, rg, svc)) == count
    # an extracted logger re-published as is: its reference names the auto-created named value
    auto = client.logger.create_or_update(rg, svc, "ai-auto", m.LoggerContract(
        logger_type="applicationInsights", credentials={"instrumentationKey": AI_KEY})).credentials
    assert client.logger.create_or_update(rg, svc, "ai-auto", m.LoggerContract(
        logger_type="applicationInsights", credentials=auto)).credentials == auto
    # Azure/apiops #391: a reference to a named value that does not exist (detail target/message as observed)
    error = _refused(lambda: client.logger.create_or_update(rg, svc, "ai-missing", m.LoggerContract(
        logger_type="applicationInsights", credentials={"instrumentationKey": "{{Logger-Credentials--65086a91463461040c96da74}}"})))
    assert error.error.code == "ValidationError"
    assert error.error.details[0].message == "Logger-Credentials--65086a91463461040c96da74"
    assert error.error.details[0].target == "One or more Properties ['{0}'] specified are missing."
    # Azure/apiops #101: a literal that is not an instrumentation key
    error = _refused(lambda: client.logger.create_or_update(rg, svc, "ai-bad", m.LoggerContract(
        logger_type="applicationInsights", credentials={"instrumentationKey": "Logger-Credentials--6346ac1c116fe8036477219e"})))
    assert "Invalid instrumentation key for Application Insights Logger" in error.error.message
    # a refused logger leaves no named value behind
    _refused(lambda: client.logger.create_or_update(rg, svc, "no-type", m.LoggerContract(
        credentials={"instrumentationKey": AI_KEY})))
    assert len(_named_values(client, rg, svc)) == count + 1


def test_workspace_logger_secret_lives_in_the_workspace(fclient, ids):
    client, (rg, svc) = fclient, ids
    client.workspace.create_or_update(rg, svc, "ws-log", m.WorkspaceContract(display_name="Logs"))
    logger = client.workspace_logger.create_or_update(rg, svc, "ws-log", "ai", m.LoggerContract(
        logger_type="applicationInsights", credentials={"instrumentationKey": AI_KEY}))
    display = REFERENCE.match(logger.credentials["instrumentationKey"]).group(1)
    in_workspace = {nv.display_name: nv for nv in client.workspace_named_value.list_by_service(rg, svc, "ws-log")}
    assert in_workspace[display].secret is True
    assert display not in _named_values(client, rg, svc)


def test_literals_are_kept_when_asked_and_dangling_references_pass_when_lenient():
    with Emulator(logger_secrets=False) as emu:
        client = make_client(emu)
        rg, svc = emu.resource_group, emu.service_name
        logger = client.logger.create_or_update(rg, svc, "ai", m.LoggerContract(
            logger_type="applicationInsights", credentials={"instrumentationKey": AI_KEY}))
        assert logger.credentials == {"instrumentationKey": AI_KEY}
        assert not [nv for nv in client.named_value.list_by_service(rg, svc) if nv.display_name.startswith("Logger-")]
        _refused(lambda: client.logger.create_or_update(rg, svc, "ai-missing", m.LoggerContract(
            logger_type="applicationInsights", credentials={"instrumentationKey": "{{absent}}"})))
    with Emulator(lenient=True) as emu:
        s = session(emu)
        response = s.put(f"{emu.service_url}/loggers/ai?{V}", json={"properties": {
            "loggerType": "applicationInsights", "credentials": {"instrumentationKey": "{{absent}}"}}})
        assert response.status_code == 201
        assert response.json()["properties"]["credentials"] == {"instrumentationKey": "{{absent}}"}


def test_cli_flag_turns_the_faithful_default_off():
    from apiops_emulator.apim.cli import build_parser
    assert build_parser().parse_args([]).literal_logger_credentials is False
    assert build_parser().parse_args(["--literal-logger-credentials"]).literal_logger_credentials is True


def test_demo_seed_logger_references_its_credentials_named_value(monkeypatch):
    for name, function in _REAL_PLUGINS.items():      # the demo imports real definitions
        monkeypatch.setattr(plugins, name, function)
    with Emulator(seed="demo") as emu:
        client = make_client(emu)
        rg, svc = emu.resource_group, emu.service_name
        key = client.logger.get(rg, svc, "appinsights").credentials["instrumentationKey"]
        display = REFERENCE.match(key).group(1)
        named = {nv.display_name: nv for nv in client.named_value.list_by_service(rg, svc, top=100)}[display]
        assert named.secret and int(display.split("--")[1], 16) == int(named.name, 16) + 1


# -- lists ------------------------------------------------------------------------------------------------

def test_policy_fragments_take_orderby(client, ids, emu):
    rg, svc = ids
    for name in ("frag-b", "frag-c", "frag-a"):
        client.policy_fragment.begin_create_or_update(rg, svc, name, m.PolicyFragmentContract(
            value="<fragment><base /></fragment>", description=name[-1] * 2, format="rawxml")).result()
    listed = lambda **kw: [f.name for f in client.policy_fragment.list_by_service(  # noqa: E731
        rg, svc, filter="startswith(name,'frag-')", **kw)]
    assert listed() == ["frag-b", "frag-c", "frag-a"]                      # insertion order by default
    assert listed(orderby="name") == ["frag-a", "frag-b", "frag-c"]
    assert listed(orderby="name desc") == ["frag-c", "frag-b", "frag-a"]
    assert listed(orderby="properties/description desc, name asc") == ["frag-c", "frag-b", "frag-a"]
    response = session(emu).get(f"{emu.service_url}/policyFragments?{V}&$orderby=name%20sideways")
    assert response.status_code == 400


def test_api_list_expands_version_sets_and_accepts_tags(client, ids):
    rg, svc = ids
    version_set = client.api_version_set.create_or_update(rg, svc, "vs-expand", m.ApiVersionSetContract(
        display_name="Expand", versioning_scheme="Header", version_header_name="api-version", description="d"))
    client.api.begin_create_or_update(rg, svc, "vs-api", m.ApiCreateOrUpdateParameter(
        display_name="Vs", path="vs", api_version="v1", api_version_set_id=version_set.id)).result()
    plain = {a.name: a for a in client.api.list_by_service(rg, svc, tags="x")}
    assert plain["vs-api"].api_version_set is None
    expanded = {a.name: a for a in client.api.list_by_service(rg, svc, expand_api_version_set=True)}
    details = expanded["vs-api"].api_version_set
    assert details.name == "vs-expand" and details.id.lower() == version_set.id.lower()
    assert details.versioning_scheme == "Header" and details.version_header_name == "api-version"
    assert details.description == "d"


# -- revisions ---------------------------------------------------------------------------------------------

def test_non_current_revisions_cannot_change_api_wide_properties(client, ids):
    rg, svc = ids
    api = client.api.begin_create_or_update(rg, svc, "shared", m.ApiCreateOrUpdateParameter(
        display_name="Shared", path="shared", description="one", protocols=["https"])).result()
    revision = client.api.begin_create_or_update(rg, svc, "shared;rev=2", m.ApiCreateOrUpdateParameter(
        path="shared", source_api_id=api.id, api_revision_description="second")).result()
    assert revision.display_name == "Shared" and revision.is_current is False
    for change, label in ((dict(path="elsewhere"), "Path"), (dict(display_name="Other"), "Name"),
                          (dict(description="two"), "Description"), (dict(api_version="v9"), "ApiVersion"),
                          (dict(protocols=["http"]), "Protocols"), (dict(subscription_required=False), "SubscriptionRequired")):
        parameters = m.ApiCreateOrUpdateParameter(**{"path": "shared", **change})
        error = _refused(lambda p=parameters: client.api.begin_create_or_update(rg, svc, "shared;rev=2", p).result())
        assert error.error.code == "ValidationError"
        assert error.error.message == f"Can't change property {label} for non-current revision "
    # per-revision properties may differ; omitted API-wide ones come from the current revision
    updated = client.api.begin_create_or_update(rg, svc, "shared;rev=2", m.ApiCreateOrUpdateParameter(
        path="shared", service_url="https://v2.example", api_revision_description="changed")).result()
    assert updated.service_url == "https://v2.example" and updated.api_revision_description == "changed"
    assert updated.display_name == "Shared" and updated.description == "one"
    # a write to the current revision passes the shared properties on
    client.api.begin_create_or_update(rg, svc, "shared", m.ApiCreateOrUpdateParameter(
        display_name="Shared 2", path="shared-2", description="one")).result()
    again = client.api.get(rg, svc, "shared;rev=2")
    assert (again.display_name, again.path, again.service_url) == ("Shared 2", "shared-2", "https://v2.example")
    # the same values are accepted, and a revision made current may change them afterwards
    client.api.begin_create_or_update(rg, svc, "shared;rev=2", m.ApiCreateOrUpdateParameter(
        display_name="Shared 2", path="shared-2")).result()
    client.api_release.create_or_update(rg, svc, "shared", "r2", m.ApiReleaseContract(api_id=f"{api.id};rev=2"))
    client.api.begin_create_or_update(rg, svc, "shared;rev=2", m.ApiCreateOrUpdateParameter(
        display_name="Shared 3", path="shared-2")).result()
    assert client.api.get(rg, svc, "shared;rev=1").display_name == "Shared 3"
