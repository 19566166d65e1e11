"""Turn Azure DevOps client failures into ``DevOpsError`` messages that say what to fix.

Why: the ``azure-devops`` client raises a handful of generic exception types and drops the HTTP
status; the service's ``TFnnnnnn`` codes in the message are the stable part. A pipeline author
needs to know which permission the build service lacks, which setting hides the token, or that a
branch policy refused the push — not a stack trace.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from ..errors import DevOpsError

__all__ = ["StaleRefError", "translate", "explain", "PERMISSION_HINT", "AUTH_HINT"]

PERMISSION_HINT = (
    "Grant the pipeline's identity ('<Project> Build Service (<org>)', or 'Project Collection Build Service "
    "(<org>)' when 'Limit job authorization scope' is off) these permissions on the repository "
    "(Project settings > Repositories > <repository> > Security): Contribute, Create branch and "
    "Contribute to pull requests."
)
AUTH_HINT = (
    "In a pipeline the job token is read from ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN (custom "
    "tasks) or SYSTEM_ACCESSTOKEN (script steps: add 'env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)', or enable "
    "'Allow scripts to access the OAuth token' in classic pipelines); with 'Protect access to repositories in YAML "
    "pipelines' the repository must be referenced by the pipeline. Outside a pipeline set AZURE_DEVOPS_EXT_PAT to a "
    "personal access token with the Code (Read & write) scope."
)

_PERMISSIONS = {
    "genericcontribute": "Contribute",
    "createbranch": "Create branch",
    "pullrequestcontribute": "Contribute to pull requests",
}


class StaleRefError(DevOpsError):
    """The branch moved between reading its tip and pushing (TF401028): the caller may retry once."""


def _status_of(error: BaseException) -> int | None:
    text = str(error)
    for code in (401, 403, 404, 409, 413):
        if f"{code} status code" in text:
            return code
    return None


def translate(error: BaseException, doing: str) -> DevOpsError:
    """A ``DevOpsError`` for a failed call; ``doing`` says what apiops was doing (e.g. 'pushing to refs/heads/x')."""
    from azure.devops.exceptions import AzureDevOpsAuthenticationError
    from msrest.exceptions import ClientRequestError

    message = str(getattr(error, "message", None) or error)
    lower = message.lower()
    type_key = str(getattr(error, "type_key", "") or "")
    inner = getattr(error, "inner_exception", None) or getattr(error, "__cause__", None)
    status = _status_of(error)
    if isinstance(error, AzureDevOpsAuthenticationError) or status == 401 or "tf400813" in lower:
        return DevOpsError(f"Azure DevOps refused the credentials (401) while {doing}. {AUTH_HINT}")
    if "tf401028" in lower or type_key == "GitReferenceStaleException":
        return StaleRefError(f"the branch moved while {doing} (TF401028): another run or a person pushed to it; "
                             "re-run the pipeline.")
    if "tf402455" in lower or "policy" in type_key.lower() or "tf402429" in lower:
        return DevOpsError(f"a branch policy rejected the update while {doing}: {message} apiops pushes to its own "
                           "branch and opens a pull request; use a --branch that no branch policy protects.")
    if "tf401027" in lower or type_key == "GitNeedsPermissionException" or status == 403:
        missing = [label for key, label in _PERMISSIONS.items() if key in lower]
        which = f" (missing: {', '.join(missing)})" if missing else ""
        return DevOpsError(f"Azure DevOps denied access (403) while {doing}{which}: {message} {PERMISSION_HINT}")
    if "tf401019" in lower or type_key == "GitRepositoryNotFoundException":
        return DevOpsError(f"the repository was not found while {doing}: {message} Check --repository (name or id; "
                           "BUILD_REPOSITORY_ID in a pipeline) and --project, and that the pipeline may access the "
                           f"repository. {PERMISSION_HINT}")
    if "tf200016" in lower or "projectdoesnotexist" in type_key.lower():
        return DevOpsError(f"the project was not found while {doing}: {message} Check --project (SYSTEM_TEAMPROJECT).")
    if "tf402488" in lower or status == 413:
        return DevOpsError(f"the push was too large while {doing}: {message} Lower --max-push-mb so the changes are "
                           "split into more pushes.")
    if "tf401179" in lower:
        return DevOpsError(f"an active pull request already exists while {doing}: {message}")
    if isinstance(error, ClientRequestError) and inner is not None:
        import requests

        if isinstance(inner, requests.exceptions.SSLError):
            return DevOpsError(f"TLS verification failed while {doing}: {inner}. Pass --ca-bundle (or set "
                               "APIOPS_CA_BUNDLE) to the CA that signed the server's certificate.")
        if isinstance(inner, requests.exceptions.ConnectionError):
            return DevOpsError(f"could not reach Azure DevOps while {doing}: {inner}. Check --organization "
                               "(SYSTEM_COLLECTIONURI) and the network.")
    if status == 404:
        return DevOpsError(f"not found (404) while {doing}: {message} Check --organization, --project and --repository.")
    return DevOpsError(f"Azure DevOps failed while {doing}: {message}")


@contextlib.contextmanager
def explain(doing: str) -> Iterator[None]:
    """Re-raise any client failure inside the block as a translated ``DevOpsError``."""
    from msrest.exceptions import ClientException

    try:
        yield
    except DevOpsError:
        raise
    except ClientException as error:
        raise translate(error, doing) from error
