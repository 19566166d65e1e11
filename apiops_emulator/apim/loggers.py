"""Loggers: literal secret credentials become auto-created secret named values.

What the service does (Microsoft's examples ApiManagementCreateEHLogger.json,
ApiManagementListLoggers.json and ApiManagementListNamedValues.json; extracted real-world trees):
a logger PUT (or PATCH) whose ``credentials`` carry a *literal* secret — Application Insights
``instrumentationKey`` or ``connectionString``, Event Hub ``connectionString`` — stores that secret
in a new secret named value and answers, on the PUT and on every later GET/list, with a
``{{Logger-Credentials--<24 hex>}}`` reference instead of the secret. The named value's id is a
24-hex object id and its ``displayName`` is ``Logger-Credentials--`` followed by that id plus one
(``named values/68c01ab84634610c089e35c5`` → ``Logger-Credentials--68c01ab84634610c089e35c6``).
Extracted real-world trees (object ids from 2022 on) show the double dash; Microsoft's examples
(ids from 2018-2020) a single dash (``Logger-Credentials-5f28…``); both are only display names, so
references of either form work.

A credential that is already a ``{{display name}}`` reference is stored as sent, and the named value
must exist: otherwise the service answers 400 ValidationError with the detail's target and message
swapped (Azure/apiops #391, #638 — reproduced here as observed). A literal Application Insights
``instrumentationKey`` that is not a GUID is refused with the message of Azure/apiops #101.

Deliberate difference: the service was reported to create a *new* named value on every write of a
literal, even an unchanged one (Azure/azure-powershell #12228, 2020: named values pile up). The emulator reuses the named
value the logger already points at when the literal is the same, so a re-publish is idempotent;
a different literal gets a new named value, and the old one is left behind as on the service.
``identityClientId`` (managed-identity Event Hub loggers, stored by the service as ``{{<named value
id>}}``) is kept as sent.

The move is on by default (``Emulator(logger_secrets=False)`` / ``--literal-logger-credentials``
keeps literals as sent): a tree extracted from an instance whose loggers got literal keys then
holds secret named values without a value, as real trees do (Azure/apiops #62, #592), and the
client must supply or provision them before publishing elsewhere. The reference and
instrumentation-key checks apply either way (unless ``lenient``).
"""
from __future__ import annotations

import re
import secrets
import time
from typing import Any

from .behavior import Behavior
from .context import Ctx
from .defaults import apply_defaults
from .errors import ArmError
from .store import Entity
from .validation import check_required

SECRET_CREDENTIALS = ("instrumentationKey", "connectionString")
DISPLAY_PREFIX = "Logger-Credentials--"
_REFERENCE = re.compile(r"^\{\{(?P<name>[^{}]+)\}\}$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_EXTRA_KEY = "credentialNamedValues"       # credential key -> named value entity name


def _object_id() -> str:
    """A 24-hex id shaped like the service's (4-byte time, 8 random bytes)."""
    return f"{int(time.time()) & 0xFFFFFFFF:08x}{secrets.token_hex(8)}"


def _display_for(object_id: str) -> str:
    return DISPLAY_PREFIX + f"{(int(object_id, 16) + 1) % (1 << 96):024x}"


def _named_values_coll(ctx: Ctx) -> str:
    return f"{ctx.target.scope_key}namedvalues"


def _find_named_value(ctx: Ctx, display_name: str) -> Entity | None:
    """By displayName, in the logger's workspace first, then at the service (as policies do)."""
    wanted = display_name.lower()
    scopes = (ctx.target.scope_key, "") if ctx.target.scope_key else ("",)
    for scope in scopes:
        for entity in ctx.store.list(f"{scope}namedvalues"):
            if str(entity.properties.get("displayName", "")).lower() == wanted:
                return entity
    return None


def _missing_reference(name: str) -> ArmError:
    # The service's detail really carries the template in ``target`` and the name in ``message``.
    return ArmError(400, "ValidationError", "One or more fields contain incorrect values:",
                    [{"code": "ValidationError", "target": "One or more Properties ['{0}'] specified are missing.",
                      "message": name}])


class LoggerBehavior(Behavior):
    def prepare(self, ctx: Ctx, props: dict[str, Any], existing: Entity | None, *, patch: bool):
        props, extra = super().prepare(ctx, props, existing, patch=patch)
        if not ctx.env.lenient:        # refuse a bad body before creating any named value
            check_required(ctx.route.kind, ctx.route.required, props)
        credentials = props.get("credentials")
        if not isinstance(credentials, dict):
            extra.pop(_EXTRA_KEY, None)
            return props, extra
        previous = dict(extra.get(_EXTRA_KEY) or {})
        remembered: dict[str, str] = {}
        for key in SECRET_CREDENTIALS:
            value = credentials.get(key)
            if not isinstance(value, str) or not value:
                continue
            match = _REFERENCE.match(value.strip())
            if match is not None:
                name = match.group("name").strip()
                found = _find_named_value(ctx, name)
                if found is None and not ctx.env.lenient:
                    raise _missing_reference(name)
                if found is not None and key in previous and found.name.lower() == previous[key].lower():
                    remembered[key] = previous[key]
                continue
            if (key == "instrumentationKey" and props.get("loggerType") == "applicationInsights"
                    and not _GUID.match(value) and not ctx.env.lenient):
                raise ArmError(400, "ValidationError",
                               f"Validation failed for logger-id '{ctx.target.entity_id}'. Exception Received "
                               "'Invalid instrumentation key for Application Insights Logger'")
            if not ctx.env.logger_secrets:
                continue
            named_value = self._store_secret(ctx, previous.get(key), value)
            credentials[key] = "{{" + str(named_value.properties["displayName"]) + "}}"
            remembered[key] = named_value.name
        if remembered:
            extra[_EXTRA_KEY] = remembered
        else:
            extra.pop(_EXTRA_KEY, None)
        return props, extra

    @staticmethod
    def _store_secret(ctx: Ctx, previous: str | None, value: str) -> Entity:
        """The named value holding ``value``: the one the logger already uses when it holds the same
        secret, else a new one."""
        coll = _named_values_coll(ctx)
        if previous:
            current = ctx.store.get(coll, previous)
            if current is not None and current.extra.get("value") == value:
                return current
        object_id = _object_id()
        while ctx.store.get(coll, object_id) is not None:
            object_id = _object_id()
        props: dict[str, Any] = {"displayName": _display_for(object_id), "secret": True}
        apply_defaults("named_value", props, None)
        props["provisioningState"] = "Succeeded"
        entity = Entity(object_id, props, ctx.store.new_etag(), {"value": value})
        ctx.store.put(coll, entity)
        return entity
