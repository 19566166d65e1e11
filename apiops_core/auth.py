"""Credentials and clouds: who we are and which Azure we talk to.

Three ways in, in this order (docs/CLI-CONTRACT.md):

1. ``AZURE_BEARER_TOKEN``: a token someone else obtained (``az account get-access-token``,
   the emulator's token). Wrapped in :class:`StaticTokenCredential`.
2. ``APIOPS_SERVICE_CONNECTION=<endpoint id>``: an Azure Pipelines service connection; the
   agent exports ``ENDPOINT_URL_<id>``, ``ENDPOINT_AUTH_SCHEME_<id>``,
   ``ENDPOINT_AUTH_PARAMETER_<id>_<KEY>`` and ``ENDPOINT_DATA_<id>_<KEY>``. Every scheme an
   AzureRM connection can have is handled: workload identity federation, service principal
   with a secret or a certificate, managed identity; a token-carrying connection (scheme
   ``None``/``Token``) lets the same code path reach the local emulator.
3. azure-identity's ``DefaultAzureCredential`` (developer login, environment, managed identity).

azure-identity is imported lazily, and the credential classes can be passed in (``identity=``),
so tests run with fakes and without network.

A credential that cannot produce a token is not a transient fault: :class:`ExplainedCredential`
turns azure-identity's failure (a multi-line report of every source it tried) into ONE
:class:`CredentialError` line saying what to set, remembers it so no other thread probes the
sources again, and the ARM client never retries it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable, Mapping

from apiops_core.agent import register_secret_on_stdout
from apiops_core.errors import ConfigError

__all__ = [
    "Cloud",
    "CredentialError",
    "ExplainedCredential",
    "NO_CREDENTIAL_HINT",
    "AZURE_PUBLIC_CLOUD",
    "AZURE_CHINA_CLOUD",
    "AZURE_US_GOVERNMENT",
    "KNOWN_CLOUDS",
    "StaticTokenCredential",
    "SecretRegisteringCredential",
    "ServiceConnection",
    "read_service_connection",
    "resolve_cloud",
    "build_credential",
]


_LOG = logging.getLogger("apiops.auth")


class CredentialError(ConfigError):
    """No token could be obtained; the message is one line saying what to set."""


#: What a user without credentials needs to read (the CLI's only output in that case).
NO_CREDENTIAL_HINT = (
    "no Azure credential found: set AZURE_BEARER_TOKEN (e.g. from `az account get-access-token`), "
    "or AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET, or run `az login`; "
    "in Azure Pipelines set APIOPS_SERVICE_CONNECTION to the service connection's id"
)


@dataclass(frozen=True)
class Cloud:
    """An Azure cloud as far as ARM is concerned."""

    name: str
    arm_endpoint: str
    authority_host: str
    scope: str


AZURE_PUBLIC_CLOUD = Cloud(
    "AzurePublicCloud", "https://management.azure.com", "https://login.microsoftonline.com",
    "https://management.azure.com/.default",
)
AZURE_CHINA_CLOUD = Cloud(
    "AzureChinaCloud", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn",
    "https://management.chinacloudapi.cn/.default",
)
AZURE_US_GOVERNMENT = Cloud(
    "AzureUSGovernment", "https://management.usgovcloudapi.net", "https://login.microsoftonline.us",
    "https://management.usgovcloudapi.net/.default",
)
KNOWN_CLOUDS: tuple[Cloud, ...] = (AZURE_PUBLIC_CLOUD, AZURE_CHINA_CLOUD, AZURE_US_GOVERNMENT)

#: Names used by az CLI, ARM endpoint data (``ENVIRONMENT``) and azure-identity for each cloud.
_CLOUD_ALIASES: Mapping[str, Cloud] = {
    "azurepubliccloud": AZURE_PUBLIC_CLOUD,
    "azurecloud": AZURE_PUBLIC_CLOUD,
    "public": AZURE_PUBLIC_CLOUD,
    "azurechinacloud": AZURE_CHINA_CLOUD,
    "china": AZURE_CHINA_CLOUD,
    "azureusgovernment": AZURE_US_GOVERNMENT,
    "azureusgovernmentcloud": AZURE_US_GOVERNMENT,
    "usgovernment": AZURE_US_GOVERNMENT,
}

#: Auth parameters a token-carrying connection may use (Generic/Token style endpoints, emulator).
_TOKEN_PARAMETERS = ("ACCESSTOKEN", "APITOKEN", "TOKEN", "PASSWORD")
_TOKEN_SCHEMES = frozenset({"none", "token", "oauth", "bearer", "usernamepassword"})


# ---------------------------------------------------------------------------- credentials
class StaticTokenCredential:
    """A ``TokenCredential`` returning one token obtained elsewhere (``AZURE_BEARER_TOKEN``).

    The expiry is unknown, so an hour from creation is reported; azure-core only uses it to
    decide when to ask again, and asking again returns the same token.
    """

    def __init__(self, token: str, expires_on: int | None = None) -> None:
        if not token:
            raise ConfigError("The bearer token is empty")
        self._token = token
        self._expires_on = expires_on if expires_on is not None else int(time.time()) + 3600

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, self._expires_on)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(self._token, self._expires_on)

    def close(self) -> None:
        """Nothing to release; present so the credential can be used as a context manager peer."""


class SecretRegisteringCredential:
    """Wraps a credential and registers each new token with the agent before it can be logged.

    On an agent (``TF_BUILD`` set) a freshly minted ARM token is a secret the agent does not
    know yet; ``##vso[task.setsecret]`` goes straight to the real stdout, bypassing any
    neutralising wrapper the task installed around ``sys.stdout``.
    """

    def __init__(self, inner: Any, register: Callable[[str], None]) -> None:
        self._inner = inner
        self._register = register
        self._seen: set[str] = set()

    def _note(self, token: str) -> None:
        if token and token not in self._seen:
            self._seen.add(token)
            self._register(token)

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        result = self._inner.get_token(*scopes, **kwargs)
        self._note(result.token)
        return result

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        if hasattr(self._inner, "get_token_info"):
            result = self._inner.get_token_info(*scopes, options=options)
        else:
            result = self._inner.get_token(*scopes)
        self._note(result.token)
        return result

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close:
            close()


class ExplainedCredential:
    """Wraps an azure-identity credential so that a failure is one clear line, once.

    azure-identity raises ``CredentialUnavailableError`` / ``ClientAuthenticationError`` with a
    report of every source it tried; that detail goes to the debug log and the caller gets a
    :class:`CredentialError` built by ``explain``. The first failure is remembered: the sources
    are not probed again by every thread of a run (a credential that was missing a second ago is
    still missing). Other attributes are the inner credential's.
    """

    def __init__(self, inner: Any, explain: Callable[[BaseException], str]) -> None:
        self._inner = inner
        self._explain = explain
        self._failure: str | None = None

    def _guard(self, call: Callable[[], Any]) -> Any:
        from azure.core.exceptions import ClientAuthenticationError

        if self._failure is not None:
            raise CredentialError(self._failure)
        try:
            return call()
        except ClientAuthenticationError as error:
            _LOG.debug("credential failure: %s", error)
            self._failure = self._explain(error)
            raise CredentialError(self._failure) from None

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return self._guard(lambda: self._inner.get_token(*scopes, **kwargs))

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        if hasattr(self._inner, "get_token_info"):
            return self._guard(lambda: self._inner.get_token_info(*scopes, options=options))
        return self._guard(lambda: self._inner.get_token(*scopes))

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close:
            close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "message", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _explain_default(error: BaseException) -> str:
    unavailable = type(error).__name__ == "CredentialUnavailableError" or "failed to retrieve a token from the included credentials" in str(error)
    if unavailable:
        return NO_CREDENTIAL_HINT
    return f"Azure sign-in failed: {_first_line(error)}"


def _explain_connection(connection_id: str) -> Callable[[BaseException], str]:
    def explain(error: BaseException) -> str:
        return f"Service connection {connection_id}: could not get a token: {_first_line(error)}"

    return explain


# ------------------------------------------------------------------------ service connection
@dataclass(frozen=True)
class ServiceConnection:
    """What the agent exported for one service connection (keys upper-cased)."""

    id: str
    url: str
    scheme: str
    parameters: Mapping[str, str]
    data: Mapping[str, str]

    def parameter(self, key: str) -> str:
        return self.parameters.get(key.upper(), "")

    def datum(self, key: str) -> str:
        return self.data.get(key.upper(), "")


def read_service_connection(environ: Mapping[str, str], endpoint_id: str) -> ServiceConnection:
    """Collect ``ENDPOINT_*_<id>*`` variables; the id is matched case-insensitively."""
    wanted = endpoint_id.strip().upper()
    url = scheme = ""
    parameters: dict[str, str] = {}
    data: dict[str, str] = {}
    for key, value in environ.items():
        upper = key.upper()
        if upper == f"ENDPOINT_URL_{wanted}":
            url = value
        elif upper == f"ENDPOINT_AUTH_SCHEME_{wanted}":
            scheme = value
        elif upper.startswith(f"ENDPOINT_AUTH_PARAMETER_{wanted}_"):
            parameters[upper[len(f"ENDPOINT_AUTH_PARAMETER_{wanted}_"):]] = value
        elif upper.startswith(f"ENDPOINT_DATA_{wanted}_"):
            data[upper[len(f"ENDPOINT_DATA_{wanted}_"):]] = value
    if not (url or scheme or parameters):
        raise ConfigError(
            f"Service connection {endpoint_id} is not available to this step: the agent exported no "
            "ENDPOINT_* variables for it. Select it in the task's Azure Resource Manager connection input."
        )
    return ServiceConnection(endpoint_id.strip(), url, scheme, parameters, data)


# ---------------------------------------------------------------------------------- clouds
def resolve_cloud(environ: Mapping[str, str], arm_endpoint_option: str | None = None) -> Cloud:
    """The cloud to talk to: ``--arm-endpoint``, ``APIOPS_ARM_ENDPOINT``, the service
    connection (its URL, ``ENVIRONMENT`` and authority data), ``AZURE_CLOUD_ENVIRONMENT``,
    else the public cloud.

    An ARM URL that is no known cloud's (Azure Stack, the emulator) keeps the authority
    of the named environment and gets ``<url>/.default`` as its scope.
    """
    named = _named_cloud(environ.get("AZURE_CLOUD_ENVIRONMENT", ""))
    connection = _connection_or_none(environ)
    authority = ""
    if connection is not None:
        named = _named_cloud(connection.datum("ENVIRONMENT")) or named
        authority = connection.datum("ACTIVEDIRECTORYAUTHORITY") or connection.datum("ENVIRONMENTAUTHORITYURL")
    base = named or AZURE_PUBLIC_CLOUD
    endpoint = (
        arm_endpoint_option
        or environ.get("APIOPS_ARM_ENDPOINT")
        or (connection.url if connection is not None else "")
        or base.arm_endpoint
    ).strip().rstrip("/")
    explicit_authority = authority.rstrip("/")
    for cloud in KNOWN_CLOUDS:
        if _same_url(cloud.arm_endpoint, endpoint):
            if not explicit_authority or explicit_authority == cloud.authority_host:
                return cloud
            return Cloud(cloud.name, cloud.arm_endpoint, explicit_authority, cloud.scope)
    return Cloud("Custom", endpoint, explicit_authority or base.authority_host, endpoint + "/.default")


def _named_cloud(name: str) -> Cloud | None:
    return _CLOUD_ALIASES.get(name.strip().lower().replace(" ", "")) if name else None


def _same_url(left: str, right: str) -> bool:
    return left.rstrip("/").lower() == right.rstrip("/").lower()


def _connection_or_none(environ: Mapping[str, str]) -> ServiceConnection | None:
    endpoint_id = environ.get("APIOPS_SERVICE_CONNECTION", "").strip()
    return read_service_connection(environ, endpoint_id) if endpoint_id else None


# ------------------------------------------------------------------------------- building
def build_credential(environ: Mapping[str, str], cloud: Cloud, *, identity: Any = None) -> Any:
    """A ``TokenCredential`` for ``cloud`` from the environment (see the module docstring).

    ``identity`` is a namespace with azure-identity's credential classes; tests pass fakes.
    On an Azure Pipelines agent each token is registered as a secret before it is used.
    """
    credential = _build(environ, cloud, identity)
    if environ.get("TF_BUILD"):
        return SecretRegisteringCredential(credential, register_secret_on_stdout)
    return credential


def _build(environ: Mapping[str, str], cloud: Cloud, identity: Any) -> Any:
    token = environ.get("AZURE_BEARER_TOKEN", "").strip()
    if token:
        return StaticTokenCredential(token)
    endpoint_id = environ.get("APIOPS_SERVICE_CONNECTION", "").strip()
    if endpoint_id:
        connection = read_service_connection(environ, endpoint_id)
        built = _service_connection_credential(environ, connection, cloud, identity)
        if isinstance(built, StaticTokenCredential):
            return built
        return ExplainedCredential(built, _explain_connection(connection.id))
    ids = identity or _azure_identity()
    return ExplainedCredential(ids.DefaultAzureCredential(authority=cloud.authority_host), _explain_default)


def _azure_identity() -> Any:
    try:
        import azure.identity as ids
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise ConfigError("azure-identity is not installed; install apiops-core with its dependencies") from exc
    return SimpleNamespace(
        AzurePipelinesCredential=getattr(ids, "AzurePipelinesCredential", None),
        ClientAssertionCredential=ids.ClientAssertionCredential,
        ClientSecretCredential=ids.ClientSecretCredential,
        CertificateCredential=ids.CertificateCredential,
        ManagedIdentityCredential=ids.ManagedIdentityCredential,
        DefaultAzureCredential=ids.DefaultAzureCredential,
    )


def _service_connection_credential(
    environ: Mapping[str, str], connection: ServiceConnection, cloud: Cloud, identity: Any
) -> Any:
    scheme = connection.scheme.strip().lower()
    tenant = connection.parameter("TENANTID")
    client = connection.parameter("SERVICEPRINCIPALID")
    authority = cloud.authority_host

    if scheme in _TOKEN_SCHEMES or (not scheme and _connection_token(connection)):
        token = _connection_token(connection)
        if not token:
            raise ConfigError(
                f"Service connection {connection.id} (scheme {connection.scheme or 'None'}) carries no token "
                f"parameter ({', '.join(_TOKEN_PARAMETERS)})"
            )
        return StaticTokenCredential(token)

    ids = identity or _azure_identity()
    if scheme == "workloadidentityfederation":
        _require(connection, tenant=tenant, servicePrincipalId=client)
        late_bound = connection.parameter("IDTOKEN")
        if late_bound:  # feature EnableLateBoundIdToken: the agent already fetched the OIDC token
            return ids.ClientAssertionCredential(tenant, client, lambda: late_bound, authority=authority)
        system_token = (
            _ci(environ, "ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN")
            or environ.get("SYSTEM_ACCESSTOKEN")
            or environ.get("SECRET_SYSTEM_ACCESSTOKEN")
        )
        if not environ.get("SYSTEM_OIDCREQUESTURI") or not system_token:
            raise ConfigError(
                f"Service connection {connection.id} uses workload identity federation, which needs "
                "System.OidcRequestUri and System.AccessToken; run it as a pipeline task on an agent"
            )
        if ids.AzurePipelinesCredential is None:  # pragma: no cover - azure-identity < 1.17
            raise ConfigError("Workload identity federation needs azure-identity >= 1.17")
        return ids.AzurePipelinesCredential(
            tenant_id=tenant,
            client_id=client,
            service_connection_id=connection.id,
            system_access_token=system_token,
            authority=authority,
        )
    if scheme == "serviceprincipal":
        _require(connection, tenant=tenant, servicePrincipalId=client)
        kind = connection.parameter("AUTHENTICATIONTYPE").lower()
        certificate = connection.parameter("SERVICEPRINCIPALCERTIFICATE")
        if kind == "spncertificate" or (not kind and certificate and not connection.parameter("SERVICEPRINCIPALKEY")):
            if not certificate:
                raise ConfigError(f"Service connection {connection.id}: the certificate is empty")
            return ids.CertificateCredential(
                tenant, client, certificate_data=certificate.encode("utf-8"), authority=authority
            )
        secret = connection.parameter("SERVICEPRINCIPALKEY")
        if not secret:
            raise ConfigError(f"Service connection {connection.id}: the service principal key is empty")
        return ids.ClientSecretCredential(tenant, client, secret, authority=authority)
    if scheme == "managedserviceidentity":
        client_id = connection.datum("MSICLIENTID") or None
        return ids.ManagedIdentityCredential(client_id=client_id) if client_id else ids.ManagedIdentityCredential()
    raise ConfigError(
        f"Service connection {connection.id} uses the authentication scheme {connection.scheme!r}, "
        "which apiops does not support; use workload identity federation, a service principal or a managed identity"
    )


def _connection_token(connection: ServiceConnection) -> str:
    for key in _TOKEN_PARAMETERS:
        if connection.parameter(key):
            return connection.parameter(key)
    return ""


def _require(connection: ServiceConnection, **values: str) -> None:
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ConfigError(f"Service connection {connection.id} lacks {', '.join(missing)}")


def _ci(environ: Mapping[str, str], wanted: str) -> str:
    upper = wanted.upper()
    for key, value in environ.items():
        if key.upper() == upper:
            return value
    return ""
