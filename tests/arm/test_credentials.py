"""No credential → one line saying what to set, at once: no retries, no azure-identity log spam."""

from __future__ import annotations

import logging
import time
from types import SimpleNamespace

import pytest
from azure.identity import CredentialUnavailableError

from apiops_core import auth
from apiops_core.auth import NO_CREDENTIAL_HINT, CredentialError, ExplainedCredential
from apiops_core.cli import main


class NoCredentialAnywhere:
    """Behaves like DefaultAzureCredential on a machine without any login: logs a report of every
    source at WARNING (as azure-identity does) and raises CredentialUnavailableError."""

    calls = 0

    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def get_token(self, *scopes, **kwargs):
        NoCredentialAnywhere.calls += 1
        report = "DefaultAzureCredential failed to retrieve a token from the included credentials.\n" + "\n".join(
            f"\tSource{n}: unavailable" for n in range(60)
        )
        logging.getLogger("azure.identity._credentials.chained").warning(report)
        raise CredentialUnavailableError(message=report)

    get_token_info = get_token


@pytest.fixture
def no_login(monkeypatch):
    NoCredentialAnywhere.calls = 0
    identity = SimpleNamespace(DefaultAzureCredential=NoCredentialAnywhere)
    monkeypatch.setattr(auth, "_azure_identity", lambda: identity)
    return identity


def test_cli_without_credentials_says_what_to_set_in_one_line(no_login, capsys, tmp_path):
    env = {"AZURE_SUBSCRIPTION_ID": "s", "AZURE_RESOURCE_GROUP_NAME": "g", "API_MANAGEMENT_SERVICE_NAME": "n",
           "APIOPS_ARM_ENDPOINT": "https://127.0.0.1:9"}  # never contacted: no token, no request
    started = time.monotonic()
    code = main(["extract", "--output", str(tmp_path / "out")], env)
    elapsed = time.monotonic() - started
    captured = capsys.readouterr()
    assert code != 0
    assert elapsed < 3.0
    lines = captured.err.strip().splitlines()
    assert lines == [f"error: {NO_CREDENTIAL_HINT}"], captured.err
    for what in ("AZURE_BEARER_TOKEN", "AZURE_CLIENT_SECRET", "az login", "APIOPS_SERVICE_CONNECTION"):
        assert what in lines[0]
    assert NoCredentialAnywhere.calls == 1  # remembered: no retry, no second probe by another thread
    assert not (tmp_path / "out").exists()


def test_verbose_shows_the_azure_identity_detail(no_login, capsys, tmp_path):
    env = {"AZURE_SUBSCRIPTION_ID": "s", "AZURE_RESOURCE_GROUP_NAME": "g", "API_MANAGEMENT_SERVICE_NAME": "n",
           "APIOPS_ARM_ENDPOINT": "https://127.0.0.1:9"}
    identity_logger = logging.getLogger("azure.identity")
    before = (identity_logger.level, identity_logger.propagate, list(identity_logger.handlers))
    assert main(["-v", "extract", "--output", str(tmp_path / "out")], env) != 0
    err = capsys.readouterr().err
    assert "Source59: unavailable" in err and NO_CREDENTIAL_HINT in err
    # the in-process caller's logging is as it was
    assert (identity_logger.level, identity_logger.propagate, list(identity_logger.handlers)) == before


def test_service_connection_failure_names_the_connection():
    class Rejected:
        def get_token(self, *scopes, **kwargs):
            from azure.core.exceptions import ClientAuthenticationError

            raise ClientAuthenticationError("AADSTS7000215: Invalid client secret provided.\nTrace ID: x")

    credential = ExplainedCredential(Rejected(), auth._explain_connection("abc"))
    with pytest.raises(CredentialError, match=r"^Service connection abc: could not get a token: AADSTS7000215: Invalid client secret provided\.$"):
        credential.get_token("scope")
    with pytest.raises(CredentialError):  # remembered
        credential.get_token("scope")
