"""Checks that run before a command reads or writes anything: is the target real, is the tree real?

Why this exists: ARM answers 404 both for "this instance has no gateways" and for "there is no
such instance". Read naively, a typo in the service, resource group or subscription looks like an
empty instance: extract then deletes every artifact and plan proposes to create everything. So
every command that talks to an instance first reads the service itself (one GET) and, when that
is 404, finds out which of the three names is wrong (two more GETs, only on failure) and stops
with one error naming it and the setting that holds it. Nothing has been read from the
collections or written at that point.

The same reasoning applies to the other end: an ``--artifacts`` folder that holds no artifacts
(a wrong path, a checkout of the wrong branch) must not read as "the desired state is empty";
and an extraction that would empty a tree, or delete a large part of it, stops before writing
(:class:`DeletionGuard`) unless ``--allow-empty`` / ``--max-deletions`` says it is meant.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from .errors import ArmError, ArtifactError, ConfigError, GuardError

if TYPE_CHECKING:  # pragma: no cover
    from .arm import ArmClient
    from .artifacts import WriteResult
    from .model import State

__all__ = [
    "TargetNotFound",
    "check_target",
    "require_artifacts",
    "DeletionGuard",
    "DEFAULT_MIN_DELETIONS",
    "SETTINGS",
]

_LOG = logging.getLogger("apiops.target")

#: Microsoft.Resources api-versions for the two diagnostic reads (any stable one works)
_SUBSCRIPTION_API_VERSION = "2022-12-01"
_RESOURCE_GROUP_API_VERSION = "2021-04-01"

#: where each name of the target comes from (CLI option / environment variable / task input)
SETTINGS: Mapping[str, str] = {
    "subscription": "--subscription-id / AZURE_SUBSCRIPTION_ID (task input subscriptionId or the service connection's subscription)",
    "resource group": "--resource-group / AZURE_RESOURCE_GROUP_NAME (task input resourceGroupName)",
    "service": "--service-name / API_MANAGEMENT_SERVICE_NAME (task input serviceName)",
}


class TargetNotFound(ConfigError):
    """The subscription, resource group or API Management service named by the settings does not exist.

    ``missing`` is ``"subscription"``, ``"resource group"``, ``"service"``, or ``"access"`` when
    ARM answered 403 for the service (a wrong name and a missing role look the same then).
    """

    def __init__(self, message: str, *, missing: str) -> None:
        super().__init__(message)
        self.missing = missing


def check_target(arm: "ArmClient", *, service_setting: str | None = None) -> dict[str, Any]:
    """Read the service resource; stop with :class:`TargetNotFound` naming what is missing.

    Returns the service body (name, sku, location ...) when it exists. ``service_setting`` says
    where the service name came from when it was not the usual option (e.g. an override file's
    ``apimServiceName``), so the message points at the right place to fix it. ARM answers 403
    rather than 404 for a scope the identity has no role on, whether it exists or not: such a
    403 on the service is reported with the names too (a wrong name or a missing role), and a 403
    on the subscription or group read only means "cannot tell which".
    """
    subscription, group, name = arm.subscription_id, arm.resource_group, arm.service_name
    used = f"subscription {subscription!r}, resource group {group!r}, service {name!r}"
    try:
        service = arm.get("")
    except ArmError as error:
        if error.status != 403:
            raise
        raise TargetNotFound(
            f"target not readable: this identity may not read API Management service {name!r} (ARM: "
            f"{error.code or 'HTTP 403'}; names used: {used}). Either a name is wrong (ARM does not say which to an "
            "identity without a role there) or the identity needs a role on the instance (Reader to extract and plan, "
            "API Management Service Contributor to publish). Nothing was read or written.",
            missing="access",
        ) from error
    if service is not None:
        body = service.body
        sku = body["sku"] if isinstance(body.get("sku"), Mapping) else {}
        _LOG.debug("target %s found (sku %s)", arm.service_path, sku.get("name", "?"))
        return body
    subscription_exists = _exists(arm, f"/subscriptions/{subscription}", _SUBSCRIPTION_API_VERSION)
    group_exists = (
        _exists(arm, f"/subscriptions/{subscription}/resourceGroups/{group}", _RESOURCE_GROUP_API_VERSION)
        if subscription_exists is not False
        else None
    )
    if subscription_exists is False:
        missing, what = "subscription", f"subscription {subscription!r} does not exist or this identity cannot see it"
    elif group_exists is False:
        missing, what = "resource group", f"resource group {group!r} does not exist in subscription {subscription!r}"
    elif group_exists is None:
        missing, what = "service", (
            f"API Management service {name!r} was not found, and this identity cannot read resource group "
            f"{group!r} or subscription {subscription!r} to tell which of the three names is wrong"
        )
    else:
        missing, what = "service", f"API Management service {name!r} does not exist in resource group {group!r}"
    setting = service_setting if (missing == "service" and service_setting) else SETTINGS[missing]
    raise TargetNotFound(
        f"target not found: {what} (names used: {used}); fix {setting}. Nothing was read or written.",
        missing=missing,
    )


def _exists(arm: "ArmClient", path: str, api_version: str) -> bool | None:
    """Whether an ARM scope exists: True, False (404) or None (403/401: not allowed to know)."""
    try:
        return arm.get(f"{arm.endpoint}{path}", params={"api-version": api_version}) is not None
    except ArmError as error:
        if error.status in (401, 403):
            return None
        raise


def require_artifacts(state: "State", folder: str, *, commit: str | None = None) -> None:
    """Refuse an artifacts tree without a single artifact (a wrong ``--artifacts`` path or revision)."""
    if len(state):
        return
    where = f"{folder} at {commit}" if commit else folder
    raise ArtifactError(
        f"artifacts folder {where} holds no artifacts (no file of the v7, v6, v5 or apiops-cli layout); "
        "check --artifacts (task input artifactsFolder)"
    )


#: the default bound always allows this many deletions (an API with its operations' policies)
DEFAULT_MIN_DELETIONS = 10
#: ... and otherwise one in this many of the artifact files already in the folder
_DEFAULT_SHARE = 4


@dataclass(frozen=True)
class DeletionGuard:
    """Extract's last check before writing: how many files may go, and may the tree become empty.

    ``max_deletions`` None means the default bound: a quarter of the artifact files the folder
    already holds (owned by this extraction), but at least :data:`DEFAULT_MIN_DELETIONS`. Routine
    removals stay under it; pointing a pipeline at another (existing) instance, or a selection
    that no longer matches, does not. ``allow_empty`` permits an extraction of nothing to delete
    every owned file (a really empty instance); without it that is refused whatever the bound.
    """

    allow_empty: bool = False
    max_deletions: int | None = None

    def __post_init__(self) -> None:
        if self.max_deletions is not None and self.max_deletions < 0:
            raise ConfigError("--max-deletions must be 0 or more")

    def bound(self, existing: int) -> int:
        """How many deletions are accepted out of ``existing`` owned artifact files."""
        if self.max_deletions is not None:
            return self.max_deletions
        return max(DEFAULT_MIN_DELETIONS, existing // _DEFAULT_SHARE)

    def check(self, result: "WriteResult", root: Path | str) -> None:
        """Raise :class:`GuardError` (nothing written yet) when ``result`` deletes too much."""
        deleted = len(result.deleted)
        if not deleted:
            return
        root = Path(root)
        overwritten = sum(1 for path in result.written if (root / path).is_file())
        existing = deleted + len(result.unchanged) + overwritten
        if not result.written and not result.unchanged:
            if self.allow_empty:
                return
            raise GuardError(
                f"the extraction found nothing to write, so it would delete all {deleted} artifact file(s) in "
                f"{root}; nothing was written. If the instance really is empty, pass --allow-empty "
                "(task input allowEmpty)"
            )
        bound = self.bound(existing)
        if deleted > bound:
            how = (
                f"--max-deletions {self.max_deletions}"
                if self.max_deletions is not None
                else f"the default bound of {bound}: a quarter of them, at least {DEFAULT_MIN_DELETIONS}"
            )
            raise GuardError(
                f"the extraction would delete {deleted} of the {existing} artifact file(s) in {root}, more than "
                f"{how}; nothing was written. If that is meant, pass --max-deletions {deleted} "
                "(task input maxDeletions)"
            )

    def hook(self, root: Path | str) -> Callable[["WriteResult"], None]:
        """The ``before_write`` hook of ``artifacts.write_tree`` for this folder."""
        return lambda result: self.check(result, root)
