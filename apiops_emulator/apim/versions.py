"""Where the answer depends on the ``api-version`` the client asked for, or where the service is
known to answer differently from its own spec.

The emulator is written from the 2024-05-01 spec. Known differences:

- ``DELETE apis/{apiId}``: 2024-05-01 makes it a long-running operation (SDK ``begin_delete``, 202 +
  ``Location``). Up to 2022-08-01 the contract is a plain delete answering 200/204 (issue 15: the Azure
  CLI, whose SDK is on 2022-08-01, fails on a 202). The version in between that switched is not in
  our reference material; versions before 2023-03-01(-preview) get the old contract.
- ``DELETE workspaces/{w}/apis/{apiId}``: the 2024-05-01 spec says 200/204, the service answers 202
  (Azure/azure-rest-api-specs #39054, reproduced against 2024-05-01); the emulator follows the service.
"""
from __future__ import annotations

from .routes import Route

_API_DELETE_LRO_SINCE = "2023-03-01"


def delete_is_long_running(route: Route, api_version: str) -> bool:
    """Does a DELETE on ``route`` answer 202 + Location for ``api_version``?"""
    if route.kind == "workspace_api":
        return True
    if route.kind == "api":
        return api_version[:10] >= _API_DELETE_LRO_SINCE
    return route.lro_delete
