"""apiops_core.auth with fake azure-identity classes: no network, every scheme and cloud."""

from __future__ import annotations

import io
import sys
from types import SimpleNamespace

import pytest

from apiops_core.auth import (
    AZURE_CHINA_CLOUD,
    AZURE_PUBLIC_CLOUD,
    AZURE_US_GOVERNMENT,
    SecretRegisteringCredential,
    StaticTokenCredential,
    build_credential,
    read_service_connection,
    resolve_cloud,
)
from apiops_core.errors import ConfigError

ID = "1f2e3d4c-0000-4000-8000-00000000abcd"


class Recorder:
    """A fake credential class: records how it was built."""

    def __init__(self, kind: str):
        self.kind = kind

    def __call__(self, *args, **kwargs):
        return SimpleNamespace(kind=self.kind, args=args, kwargs=kwargs)


def fake_identity():
    return SimpleNamespace(**{name: Recorder(name) for name in (
        "AzurePipelinesCredential", "ClientAssertionCredential", "ClientSecretCredential",
        "CertificateCredential", "ManagedIdentityCredential", "DefaultAzureCredential")})


def connection(scheme: str, params: dict, data: dict | None = None, url: str = "https://management.azure.com/") -> dict:
    env = {"APIOPS_SERVICE_CONNECTION": ID, f"ENDPOINT_URL_{ID}": url, f"ENDPOINT_AUTH_SCHEME_{ID}": scheme}
    env.update({f"ENDPOINT_AUTH_PARAMETER_{ID}_{k.upper()}": v for k, v in params.items()})
    env.update({f"ENDPOINT_DATA_{ID}_{k.upper()}": v for k, v in (data or {}).items()})
    return env


def test_static_token_wins_and_returns_the_token():
    credential = build_credential({"AZURE_BEARER_TOKEN": "tok"}, AZURE_PUBLIC_CLOUD, identity=fake_identity())
    assert isinstance(credential, StaticTokenCredential)
    assert credential.get_token("scope").token == "tok"
    assert credential.get_token_info("scope").token == "tok"


def test_default_credential_uses_the_cloud_authority():
    built = build_credential({}, AZURE_CHINA_CLOUD, identity=fake_identity())
    assert built.kind == "DefaultAzureCredential"
    assert built.kwargs["authority"] == "https://login.chinacloudapi.cn"


def test_workload_identity_federation():
    env = connection("WorkloadIdentityFederation", {"serviceprincipalid": "app", "tenantid": "ten"})
    env["SYSTEM_OIDCREQUESTURI"] = "https://dev.azure.com/org/proj/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken"
    env["ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN"] = "sys-token"
    built = build_credential(env, AZURE_PUBLIC_CLOUD, identity=fake_identity())
    assert built.kind == "AzurePipelinesCredential"
    assert built.kwargs == {"tenant_id": "ten", "client_id": "app", "service_connection_id": ID,
                            "system_access_token": "sys-token", "authority": "https://login.microsoftonline.com"}


def test_workload_identity_needs_the_oidc_uri():
    env = connection("WorkloadIdentityFederation", {"serviceprincipalid": "app", "tenantid": "ten"})
    with pytest.raises(ConfigError, match="OidcRequestUri"):
        build_credential(env, AZURE_PUBLIC_CLOUD, identity=fake_identity())


def test_workload_identity_with_late_bound_id_token():
    env = connection("WorkloadIdentityFederation", {"serviceprincipalid": "app", "tenantid": "ten", "idToken": "jwt"})
    built = build_credential(env, AZURE_PUBLIC_CLOUD, identity=fake_identity())
    assert built.kind == "ClientAssertionCredential" and built.args[:2] == ("ten", "app")
    assert built.args[2]() == "jwt"


def test_service_principal_with_secret_and_certificate():
    env = connection("ServicePrincipal", {"authenticationType": "spnKey", "serviceprincipalid": "app",
                                          "serviceprincipalkey": "secret", "tenantid": "ten"})
    built = build_credential(env, AZURE_PUBLIC_CLOUD, identity=fake_identity())
    assert built.kind == "ClientSecretCredential" and built.args == ("ten", "app", "secret")
    pem = "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n"
    env = connection("ServicePrincipal", {"authenticationType": "spnCertificate", "serviceprincipalid": "app",
                                          "servicePrincipalCertificate": pem, "tenantid": "ten"})
    built = build_credential(env, AZURE_US_GOVERNMENT, identity=fake_identity())
    assert built.kind == "CertificateCredential" and built.kwargs["certificate_data"] == pem.encode()
    assert built.kwargs["authority"] == "https://login.microsoftonline.us"


def test_managed_identity_user_assigned_and_system_assigned():
    built = build_credential(connection("ManagedServiceIdentity", {"tenantid": "ten"}, {"msiClientId": "cid"}),
                             AZURE_PUBLIC_CLOUD, identity=fake_identity())
    assert built.kind == "ManagedIdentityCredential" and built.kwargs == {"client_id": "cid"}
    built = build_credential(connection("ManagedServiceIdentity", {"tenantid": "ten"}), AZURE_PUBLIC_CLOUD,
                             identity=fake_identity())
    assert built.kwargs == {}


def test_token_connection_reaches_the_emulator():
    env = connection("None", {"accessToken": "emulator-token"}, url="https://127.0.0.1:8443/")
    credential = build_credential(env, resolve_cloud(env), identity=fake_identity())
    assert credential.get_token("x").token == "emulator-token"


def test_unknown_scheme_and_missing_connection_are_config_errors():
    with pytest.raises(ConfigError, match="PublishProfile"):
        build_credential(connection("PublishProfile", {"publishProfile": "x"}), AZURE_PUBLIC_CLOUD, identity=fake_identity())
    with pytest.raises(ConfigError, match="not available"):
        read_service_connection({}, ID)
    with pytest.raises(ConfigError, match="key is empty"):
        build_credential(connection("ServicePrincipal", {"authenticationType": "spnKey", "serviceprincipalid": "a",
                                                         "tenantid": "t"}), AZURE_PUBLIC_CLOUD, identity=fake_identity())


def test_connection_variables_match_case_insensitively():
    env = {f"ENDPOINT_URL_{ID.upper()}": "https://x/", f"ENDPOINT_AUTH_SCHEME_{ID.upper()}": "None",
           f"endpoint_auth_parameter_{ID}_token": "t"}
    found = read_service_connection(env, ID)
    assert found.url == "https://x/" and found.parameter("token") == "t"


@pytest.mark.parametrize(
    "env, option, expected",
    [
        ({}, None, AZURE_PUBLIC_CLOUD),
        ({"AZURE_CLOUD_ENVIRONMENT": "AzureChinaCloud"}, None, AZURE_CHINA_CLOUD),
        ({"AZURE_CLOUD_ENVIRONMENT": "AzureUSGovernment"}, None, AZURE_US_GOVERNMENT),
        ({}, "https://management.usgovcloudapi.net/", AZURE_US_GOVERNMENT),
    ],
)
def test_named_clouds(env, option, expected):
    assert resolve_cloud(env, option) == expected


def test_cloud_from_the_service_connection_data():
    env = connection("ServicePrincipal", {}, {"environment": "AzureChinaCloud"}, url="https://management.chinacloudapi.cn/")
    assert resolve_cloud(env) == AZURE_CHINA_CLOUD
    env = connection("ServicePrincipal", {}, {"environment": "AzureCloud", "activeDirectoryAuthority": "https://login.contoso.example/"})
    cloud = resolve_cloud(env)
    assert cloud.arm_endpoint == AZURE_PUBLIC_CLOUD.arm_endpoint and cloud.authority_host == "https://login.contoso.example"


def test_custom_endpoint_gets_its_own_scope():
    cloud = resolve_cloud({"APIOPS_ARM_ENDPOINT": "https://127.0.0.1:9443/"})
    assert cloud.name == "Custom" and cloud.arm_endpoint == "https://127.0.0.1:9443"
    assert cloud.scope == "https://127.0.0.1:9443/.default"
    assert resolve_cloud({"APIOPS_ARM_ENDPOINT": "https://a"}, "https://b").arm_endpoint == "https://b"


def test_on_an_agent_each_new_token_is_registered_once(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "__stdout__", out)
    credential = build_credential({"AZURE_BEARER_TOKEN": "tok%en", "TF_BUILD": "True"}, AZURE_PUBLIC_CLOUD)
    assert isinstance(credential, SecretRegisteringCredential)
    credential.get_token("s")
    credential.get_token_info("s")
    assert out.getvalue() == "##vso[task.setsecret]tok%AZP25en\n"
