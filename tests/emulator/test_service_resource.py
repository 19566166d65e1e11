"""The service resource itself: GET, the long-running PATCH (ApiManagementService_Update) and PUT,
driven through the real SDK (``begin_update`` / ``begin_create_or_update``)."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.apimanagement import models as m

from apiops_emulator.apim import Emulator

from .conftest import make_client, session

V = "api-version=2024-05-01"


@pytest.fixture()
def emu():
    with Emulator() as emulator:
        yield emulator


def test_patch_replaces_tags_and_changes_the_etag(emu: Emulator) -> None:
    client = make_client(emu)
    before = client.api_management_service.get(emu.resource_group, emu.service_name)
    assert before.tags == {}
    updated = client.api_management_service.begin_update(
        emu.resource_group, emu.service_name, m.ApiManagementServiceUpdateParameters(tags={"owner": "team-a", "env": "dev"}),
    ).result()
    assert updated.tags == {"owner": "team-a", "env": "dev"}
    assert updated.provisioning_state == "Succeeded"
    assert updated.etag != before.etag
    # ARM PATCH replaces the tag set as a whole; other properties stay
    client.api_management_service.begin_update(
        emu.resource_group, emu.service_name, m.ApiManagementServiceUpdateParameters(tags={"env": "prod"}),
    ).result()
    again = client.api_management_service.get(emu.resource_group, emu.service_name)
    assert again.tags == {"env": "prod"}
    assert again.publisher_email == before.publisher_email
    # a PATCH without tags keeps them, and a mutable property changes
    s = session(emu)
    response = s.patch(f"{emu.service_url}?{V}", json={"properties": {"publisherName": "Contoso"}})
    assert response.status_code == 200
    assert response.json()["tags"] == {"env": "prod"}
    assert response.json()["properties"]["publisherName"] == "Contoso"
    listed = s.get(f"{emu.url}/subscriptions/{emu.subscription_id}/resourceGroups/{emu.resource_group}"
                   f"/providers/Microsoft.ApiManagement/service?{V}").json()["value"]
    assert listed[0]["tags"] == {"env": "prod"}


def test_put_needs_the_required_properties_and_replaces_tags(emu: Emulator) -> None:
    s = session(emu)
    assert s.put(f"{emu.service_url}?{V}", json={"tags": {"a": "1"}}).status_code == 400
    body = s.get(f"{emu.service_url}?{V}").json()
    body["tags"] = {"a": "1"}
    response = s.put(f"{emu.service_url}?{V}", json=body)
    assert response.status_code == 200, response.text
    assert s.get(f"{emu.service_url}?{V}").json()["tags"] == {"a": "1"}
    body.pop("tags")
    assert s.put(f"{emu.service_url}?{V}", json=body).json()["tags"] == {}


@pytest.mark.parametrize("tags", [{"x": "v" * 257}, {"a/b": "v"}, {f"t{n}": "v" for n in range(51)}])
def test_tags_beyond_arm_limits_are_refused(emu: Emulator, tags: object) -> None:
    client = make_client(emu)
    with pytest.raises(HttpResponseError) as caught:
        client.api_management_service.begin_update(
            emu.resource_group, emu.service_name, {"tags": tags},
        ).result()
    assert caught.value.status_code == 400
    assert session(emu).get(f"{emu.service_url}?{V}").json()["tags"] == {}


def test_tags_must_be_an_object(emu: Emulator) -> None:
    response = session(emu).patch(f"{emu.service_url}?{V}", json={"tags": ["not", "a", "map"]})
    assert response.status_code == 400


def test_service_tags_survive_a_restart_with_a_state_file(tmp_path) -> None:
    state = str(tmp_path / "state.sqlite")
    with Emulator(state_file=state) as first:
        assert session(first).patch(f"{first.service_url}?{V}", json={"tags": {"apiops-live": "c=abc"}}).status_code == 200
    with Emulator(state_file=state) as second:
        assert session(second).get(f"{second.service_url}?{V}").json()["tags"] == {"apiops-live": "c=abc"}
