"""Where the repository is and who we are: organisation, project, repository and credentials.

Why not ``Connection.clients_v7_1.get_git_client()``: ``Connection`` discovers resource areas
with a ``LocationClient`` it builds internally, which cannot be given a CA bundle (the emulator
serves HTTPS with its own CA) without changing process-wide environment. Building the
``LocationClient`` and ``GitClient`` here makes the same calls (``OPTIONS {org}/_apis``,
``GET {org}/_apis/ResourceAreas``) with our TLS settings on both. Secrets stay inside the msrest
credential objects and are never logged or put into messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import ConfigError
from .failures import explain

__all__ = ["DevOpsTarget", "resolve_target", "credentials_from_environment", "connect_git", "TOKEN_VARIABLES"]

#: where a token is looked for, in order: an explicit PAT, then the pipeline's job token
TOKEN_VARIABLES: tuple[tuple[str, str], ...] = (
    ("AZURE_DEVOPS_EXT_PAT", "pat"),
    ("ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN", "bearer"),
    ("SYSTEM_ACCESSTOKEN", "bearer"),
)


@dataclass(frozen=True)
class DevOpsTarget:
    """The organisation URL (``https://dev.azure.com/org``), the project and the repository (name or id)."""

    organization_url: str
    project: str
    repository: str


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    return value if value else None


def resolve_target(environ: Mapping[str, str], *, organization: str | None = None, project: str | None = None,
                   repository: str | None = None) -> DevOpsTarget:
    """Options first, then the pipeline's variables (SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECT, BUILD_REPOSITORY_ID)."""
    org = organization or _env(environ, "SYSTEM_COLLECTIONURI")
    proj = project or _env(environ, "SYSTEM_TEAMPROJECT")
    repo = repository or _env(environ, "BUILD_REPOSITORY_ID") or _env(environ, "BUILD_REPOSITORY_NAME")
    missing = [label for label, value in (("--organization / SYSTEM_COLLECTIONURI", org),
                                          ("--project / SYSTEM_TEAMPROJECT", proj),
                                          ("--repository / BUILD_REPOSITORY_ID", repo)) if not value]
    if missing:
        raise ConfigError("the Azure Repos repository is not fully named; set " + ", ".join(missing))
    return DevOpsTarget(str(org).rstrip("/"), str(proj), str(repo))


def credentials_from_environment(environ: Mapping[str, str]) -> tuple[Any, str]:
    """msrest credentials and the variable they came from (for messages; the value is never shown)."""
    from msrest.authentication import BasicAuthentication, BasicTokenAuthentication

    for name, kind in TOKEN_VARIABLES:
        value = _env(environ, name)
        if value:
            if kind == "pat":
                return BasicAuthentication("", value), name
            return BasicTokenAuthentication({"access_token": value}), name
    raise ConfigError("no Azure DevOps credential found: in a pipeline the job token arrives as "
                      "ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN (tasks) or SYSTEM_ACCESSTOKEN (map it "
                      "with 'env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)'); elsewhere set AZURE_DEVOPS_EXT_PAT")


def _configure(client: Any, ca_bundle: str | None) -> Any:
    client.add_user_agent("apiops")
    if ca_bundle:
        client.config.connection.verify = ca_bundle
    return client


def connect_git(target: DevOpsTarget, credentials: Any, *, ca_bundle: str | None = None) -> Any:
    """A v7.1 ``GitClient`` at the Git resource area's location (discovered as the SDK's Connection does)."""
    from azure.devops.v7_1.git.git_client import GitClient
    from azure.devops.v7_1.location.location_client import LocationClient

    location = _configure(LocationClient(target.organization_url, credentials), ca_bundle)
    with explain(f"discovering the Git service of {target.organization_url}"):
        areas = location.get_resource_areas() or []
    url = next((a.location_url for a in areas if (a.id or "").lower() == GitClient.resource_area_identifier),
               target.organization_url)
    return _configure(GitClient(url, credentials), ca_bundle)
