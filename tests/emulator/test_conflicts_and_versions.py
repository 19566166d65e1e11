"""Conflict rules the service enforces, answers that depend on the api-version, and import semantics
(SOAP to REST, links on loopback hosts). Uses the real definition importer (no stand-ins)."""
from __future__ import annotations

import http.server
import json
import threading
from typing import Iterator

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.apimanagement import models as m

from apiops_emulator.apim import Emulator

from .conftest import session

WSDL = """<?xml version="1.0" encoding="utf-8"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
             xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="http://tempuri.org/"
             targetNamespace="http://tempuri.org/">
  <types>
    <xs:schema targetNamespace="http://tempuri.org/" elementFormDefault="qualified">
      <xs:element name="Add"><xs:complexType><xs:sequence>
        <xs:element name="a" type="xs:int"/><xs:element name="b" type="xs:int"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="AddResponse"><xs:complexType><xs:sequence>
        <xs:element name="AddResult" type="xs:int"/>
      </xs:sequence></xs:complexType></xs:element>
    </xs:schema>
  </types>
  <message name="AddIn"><part name="parameters" element="tns:Add"/></message>
  <message name="AddOut"><part name="parameters" element="tns:AddResponse"/></message>
  <portType name="CalcPort">
    <operation name="Add"><input message="tns:AddIn"/><output message="tns:AddOut"/></operation>
  </portType>
  <binding name="CalcBinding" type="tns:CalcPort">
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="Add">
      <soap:operation soapAction="http://tempuri.org/Add"/>
      <input><soap:body use="literal"/></input><output><soap:body use="literal"/></output>
    </operation>
  </binding>
  <service name="Calc">
    <port name="CalcSoap" binding="tns:CalcBinding"><soap:address location="http://calc.example/calc.asmx"/></port>
  </service>
</definitions>
"""
OPENAPI = {"openapi": "3.0.1", "info": {"title": "Loopback pets", "version": "1"},
           "paths": {"/pets": {"get": {"operationId": "listPets", "responses": {"200": {"description": "ok"}}}}}}


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def loopback_url() -> Iterator[str]:
    """A plain HTTP server on 127.0.0.1 serving one OpenAPI document (a 'public' URL the emulator may fetch)."""
    body = json.dumps(OPENAPI).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:   # noqa: N802 - http.server naming
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/openapi.json"
    server.shutdown()
    server.server_close()


def _detail(error: HttpResponseError) -> tuple[str, str]:
    detail = error.response.json()["error"]["details"][0]
    return detail["target"], detail["message"]


# -- conflict rules ---------------------------------------------------------------------------------

def test_second_api_on_a_path_in_use_is_refused(client, ids):
    rg, svc = ids
    client.api.begin_create_or_update(rg, svc, "first", m.ApiCreateOrUpdateParameter(
        display_name="First", path="shared/path")).result()
    with pytest.raises(HttpResponseError) as error:
        client.api.begin_create_or_update(rg, svc, "second", m.ApiCreateOrUpdateParameter(
            display_name="Second", path="Shared/Path")).result()
    assert error.value.status_code == 400
    assert _detail(error.value) == ("path", "Cannot create API 'second' with the same Path 'Shared/Path' as API "
                                            "'first'  unless it's a part of the same version set")
    with pytest.raises(ResourceNotFoundError):
        client.api.get(rg, svc, "second")
    # the API itself may be written again on its own path
    client.api.begin_create_or_update(rg, svc, "first", m.ApiCreateOrUpdateParameter(
        display_name="First again", path="shared/path")).result()


def test_apis_of_one_version_set_share_a_path(client, ids):
    rg, svc = ids
    version_set = client.api_version_set.create_or_update(rg, svc, "vs-shared", m.ApiVersionSetContract(
        display_name="Shared", versioning_scheme="Segment"))
    for version in ("v1", "v2"):
        client.api.begin_create_or_update(rg, svc, f"versioned-{version}", m.ApiCreateOrUpdateParameter(
            display_name="Versioned", path="versioned", api_version=version,
            api_version_set_id=version_set.id)).result()
    got = client.api.get(rg, svc, "versioned-v2")
    assert got.api_version_set.name == "vs-shared" and got.api_version_set.versioning_scheme == "Segment"
    with pytest.raises(HttpResponseError) as error:
        client.api.begin_create_or_update(rg, svc, "outsider", m.ApiCreateOrUpdateParameter(
            display_name="Outsider", path="versioned")).result()
    assert _detail(error.value)[0] == "path"


def test_named_value_display_names_are_unique(client, ids):
    rg, svc = ids
    client.named_value.begin_create_or_update(rg, svc, "nv-one", m.NamedValueCreateContract(
        display_name="MyNamedValue", value="1")).result()
    with pytest.raises(HttpResponseError) as error:
        client.named_value.begin_create_or_update(rg, svc, "nv-two", m.NamedValueCreateContract(
            display_name="MyNamedValue", value="2")).result()
    assert error.value.status_code == 400
    assert _detail(error.value) == ("name", "Property with the same name already exist.")
    client.named_value.begin_create_or_update(rg, svc, "nv-one", m.NamedValueCreateContract(
        display_name="MyNamedValue", value="3")).result()       # rewriting the same one is fine


def test_product_display_names_are_unique(client, ids):
    rg, svc = ids
    client.product.create_or_update(rg, svc, "prod-one", m.ProductContract(display_name="Gold"))
    with pytest.raises(HttpResponseError) as error:
        client.product.create_or_update(rg, svc, "prod-two", m.ProductContract(display_name="gold"))
    assert error.value.status_code == 400
    assert _detail(error.value) == ("name", "Product with the same name already exists")


def test_a_second_link_to_the_same_target_is_refused(client, ids):
    rg, svc = ids
    client.api.begin_create_or_update(rg, svc, "linked", m.ApiCreateOrUpdateParameter(
        display_name="Linked", path="linked")).result()
    client.product.create_or_update(rg, svc, "link-prod", m.ProductContract(display_name="Link product"))
    client.product_api_link.create_or_update(rg, svc, "link-prod", "l1", m.ProductApiLinkContract(api_id="/apis/linked"))
    client.product_api_link.create_or_update(rg, svc, "link-prod", "l1", m.ProductApiLinkContract(api_id="/apis/linked"))
    with pytest.raises(HttpResponseError) as error:
        client.product_api_link.create_or_update(rg, svc, "link-prod", "l2", m.ProductApiLinkContract(
            api_id="/apis/linked"))
    assert error.value.status_code == 400 and _detail(error.value)[0] == "apiId"


def test_api_authentication_settings_must_name_existing_servers(client, ids):
    rg, svc = ids
    oauth = m.AuthenticationSettingsContract(o_auth2=m.OAuth2AuthenticationSettingsContract(
        authorization_server_id="my-auth-server", scope="read"))
    with pytest.raises(HttpResponseError) as error:
        client.api.begin_create_or_update(rg, svc, "oauth-api", m.ApiCreateOrUpdateParameter(
            display_name="OAuth", path="oauth", authentication_settings=oauth)).result()
    assert error.value.status_code == 400
    assert _detail(error.value) == ("AuthenticationSettings", "Authorization server was not found.")
    client.authorization_server.create_or_update(rg, svc, "my-auth-server", m.AuthorizationServerContract(
        display_name="Auth", client_registration_endpoint="https://reg.example", authorization_endpoint="https://a.example",
        grant_types=["authorizationCode"], client_id="c"))
    api = client.api.begin_create_or_update(rg, svc, "oauth-api", m.ApiCreateOrUpdateParameter(
        display_name="OAuth", path="oauth", authentication_settings=oauth)).result()
    listed = api.authentication_settings.o_auth2_authentication_settings   # the service mirrors oAuth2 here
    assert [s.authorization_server_id for s in listed] == ["my-auth-server"]


# -- api-version -----------------------------------------------------------------------------------

def _create_api(client, ids, name: str) -> None:
    rg, svc = ids
    client.api.begin_create_or_update(rg, svc, name, m.ApiCreateOrUpdateParameter(
        display_name=name, path=f"path-{name}")).result()


def test_api_delete_is_synchronous_before_2023_and_long_running_after(emu, client, ids):
    http = session(emu)
    _create_api(client, ids, "old-contract")
    old = http.delete(f"{emu.service_url}/apis/old-contract", params={"api-version": "2022-08-01"},
                      headers={"If-Match": "*"})
    assert old.status_code == 200 and "Location" not in old.headers
    gone = http.delete(f"{emu.service_url}/apis/old-contract", params={"api-version": "2022-08-01"},
                       headers={"If-Match": "*"})
    assert gone.status_code == 204
    _create_api(client, ids, "new-contract")
    new = http.delete(f"{emu.service_url}/apis/new-contract", params={"api-version": "2024-05-01"},
                      headers={"If-Match": "*"})
    assert new.status_code == 202 and new.headers["Location"]


def test_workspace_api_delete_answers_202_as_the_service_does(emu, client, ids):
    rg, svc = ids
    client.workspace.create_or_update(rg, svc, "ws-del", m.WorkspaceContract(display_name="Ws"))
    client.workspace_api.begin_create_or_update(rg, svc, "ws-del", "wapi", m.ApiCreateOrUpdateParameter(
        display_name="W", path="wapi")).result()
    answer = session(emu).delete(f"{emu.service_url}/workspaces/ws-del/apis/wapi",
                                 params={"api-version": "2024-05-01"}, headers={"If-Match": "*"})
    assert answer.status_code == 202
    with pytest.raises(HttpResponseError):
        client.workspace_api.get(rg, svc, "ws-del", "wapi")


# -- import semantics ---------------------------------------------------------------------------------

def test_wsdl_with_api_type_http_becomes_a_rest_api(client, ids):
    rg, svc = ids
    passthrough = client.api.begin_create_or_update(rg, svc, "calc-soap", m.ApiCreateOrUpdateParameter(
        path="calc-soap", format="wsdl", value=WSDL, soap_api_type="soap",
        wsdl_selector=m.ApiCreateOrUpdatePropertiesWsdlSelector(wsdl_service_name="Calc",
                                                                wsdl_endpoint_name="CalcSoap"))).result()
    assert passthrough.api_type == "soap"
    soap_op = next(iter(client.api_operation.list_by_api(rg, svc, "calc-soap")))
    assert soap_op.url_template == "/?soapAction=http://tempuri.org/Add"

    rest = client.api.begin_create_or_update(rg, svc, "calc-rest", m.ApiCreateOrUpdateParameter(
        path="calc-rest", format="wsdl", value=WSDL, soap_api_type="http",
        wsdl_selector=m.ApiCreateOrUpdatePropertiesWsdlSelector(wsdl_service_name="Calc",
                                                                wsdl_endpoint_name="CalcSoap"))).result()
    assert rest.api_type == "http" and rest.service_url == "http://calc.example/calc.asmx"
    operation = next(iter(client.api_operation.list_by_api(rg, svc, "calc-rest")))
    assert (operation.method, operation.url_template) == ("POST", "/Add")
    assert operation.request.representations[0].content_type == "application/json"
    policy = client.api_operation_policy.get(rg, svc, "calc-rest", operation.name, "policy", format="rawxml")
    assert 'name="SOAPAction"' in policy.value and "http://tempuri.org/Add" in policy.value
    assert 'set-body template="liquid"' in policy.value


def test_import_links_from_loopback_only(client, ids, loopback_url):
    rg, svc = ids
    api = client.api.begin_create_or_update(rg, svc, "loop", m.ApiCreateOrUpdateParameter(
        path="loop", format="openapi+json-link", value=loopback_url)).result()
    assert api.display_name == "Loopback pets"
    assert [o.url_template for o in client.api_operation.list_by_api(rg, svc, "loop")] == ["/pets"]
    with pytest.raises(HttpResponseError) as error:
        client.api.begin_create_or_update(rg, svc, "far", m.ApiCreateOrUpdateParameter(
            path="far", format="openapi+json-link", value="https://petstore.example.org/openapi.json")).result()
    assert error.value.status_code == 400
    target, message = _detail(error.value)
    assert target == "value" and "loopback" in message and "petstore.example.org" in message
