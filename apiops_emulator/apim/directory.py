"""Developer-portal and identity kinds: users, certificates, OAuth 2.0 authorization servers,
OpenID Connect providers, identity providers and portal settings.

Why one module: these kinds share the one rule that sets them apart from plain entities — they
carry secrets the service accepts on PUT/PATCH but never returns on GET or list (certificate
``data``/``password``, ``clientSecret``, resource-owner credentials, a user's ``password``, the
delegation ``validationKey``). Secrets live in the entity's private ``extra``; where the 2024-05-01
spec has a ``listSecrets`` POST (authorization servers, OpenID Connect providers, identity providers,
portal delegation settings) it returns them, as on the service.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import secrets
from typing import Any

from .behavior import Behavior
from .context import Ctx, now_iso
from .errors import ArmError, not_found, validation_error
from ..http import Response
from .store import Entity

# kind -> properties that are write-only (spec: "will not be returned on GET; use listSecrets").
SECRET_PROPERTIES: dict[str, tuple[str, ...]] = {
    "authorization_server": ("clientSecret", "resourceOwnerUsername", "resourceOwnerPassword"),
    "open_id_connect_provider": ("clientSecret",),
    "identity_provider": ("clientSecret",),
    "user": ("password",),
    "portal_settings": ("validationKey",),
}
# IdentityProviderType enum of the 2024-05-01 spec (the id in the URL is the provider type).
IDENTITY_PROVIDERS = ("aad", "aadB2C", "facebook", "google", "microsoft", "twitter")
# Portal settings are three fixed singletons (portalsettings/signin|signup|delegation in the spec).
PORTAL_SETTINGS: dict[str, dict[str, Any]] = {
    "signin": {"enabled": False},
    "signup": {"enabled": True, "termsOfService": {"enabled": False, "consentRequired": False, "text": None}},
    "delegation": {"url": None, "subscriptions": {"enabled": False}, "userRegistration": {"enabled": False}},
}


def _base_kind(ctx: Ctx) -> str:
    kind = ctx.route.kind
    return kind[len("workspace_"):] if kind.startswith("workspace_") else kind


class SecretHolderBehavior(Behavior):
    """Moves write-only properties into ``extra``; a PATCH that omits one keeps the stored value."""

    def prepare(self, ctx: Ctx, props: dict[str, Any], existing: Entity | None, *, patch: bool):
        keys = SECRET_PROPERTIES.get(_base_kind(ctx), ())
        if patch and existing is not None:
            for key in keys:
                if key not in props and key in existing.extra:
                    props[key] = existing.extra[key]
        props, extra = super().prepare(ctx, props, existing, patch=patch)
        for key in keys:
            if key in props:
                value = props.pop(key)
                if value is None:
                    extra.pop(key, None)
                else:
                    extra[key] = value
            elif not patch:
                extra.pop(key, None)
        return props, extra

    def action(self, ctx: Ctx, entity: Entity, action: str) -> Response:
        if action == "listSecrets":
            keys = SECRET_PROPERTIES.get(_base_kind(ctx), ())
            return Response.json_body(200, {key: entity.extra.get(key) for key in keys}, {"ETag": entity.etag})
        return super().action(ctx, entity, action)


class IdentityProviderBehavior(SecretHolderBehavior):
    """The id is the provider type; the service echoes it as ``properties.type``."""

    def storage_name(self, ctx: Ctx, entity_id: str) -> str:
        for name in IDENTITY_PROVIDERS:
            if name.lower() == entity_id.lower():
                return name
        if ctx.request.method in ("PUT", "PATCH"):
            raise validation_error("identityProviderName", f"'{entity_id}' is not an identity provider type; use "
                                                           f"one of {', '.join(IDENTITY_PROVIDERS)}.")
        return entity_id

    def prepare(self, ctx: Ctx, props: dict[str, Any], existing: Entity | None, *, patch: bool):
        props["type"] = self.storage_name(ctx, ctx.target.entity_id or "")
        if props["type"] in ("aad", "aadB2C"):
            props.setdefault("clientLibrary", "MSAL-2")
        return super().prepare(ctx, props, existing, patch=patch)


class PortalSettingBehavior(SecretHolderBehavior):
    """``signin``/``signup``/``delegation`` exist on every service (seeded by ``create_builtins``);
    any other name is not a resource."""

    def storage_name(self, ctx: Ctx, entity_id: str) -> str:
        if entity_id.lower() not in PORTAL_SETTINGS:
            raise not_found(f"Portal setting '{entity_id}'")
        return entity_id.lower()

    def action(self, ctx: Ctx, entity: Entity, action: str) -> Response:
        if entity.name != "delegation":
            raise not_found(f"Action '{action}' on portal setting '{entity.name}'")
        return Response.json_body(200, {"validationKey": entity.extra.get("validationKey")}, {"ETag": entity.etag})


class UserBehavior(SecretHolderBehavior):
    """Defaults the service fills (UserContract): state, registrationDate, a Basic identity for the
    email; ``confirmation``/``appType`` only steer the sign-up mail and are not stored."""

    def prepare(self, ctx: Ctx, props: dict[str, Any], existing: Entity | None, *, patch: bool):
        props.pop("confirmation", None)
        props.pop("appType", None)
        previous = existing.properties if existing is not None else {}
        props.setdefault("state", previous.get("state", "active"))
        props["registrationDate"] = previous.get("registrationDate") or now_iso()
        if not props.get("identities") and props.get("email"):
            props["identities"] = [{"provider": "Basic", "id": props["email"]}]
        props.setdefault("note", None)
        return super().prepare(ctx, props, existing, patch=patch)

    def render(self, ctx: Ctx, entity: Entity) -> dict[str, Any]:
        props = super().render(ctx, entity)
        props["groups"] = []
        return props

    def action(self, ctx: Ctx, entity: Entity, action: str) -> Response:
        token = f"integration&{entity.name}&{datetime.datetime.now(datetime.timezone.utc):%Y%m%d%H%M}&" \
                f"{secrets.token_urlsafe(24)}"
        if action == "generateSsoUrl":
            host = f"https://{ctx.env.service.service_name}.portal.azure-api.net"
            return Response.json_body(200, {"value": f"{host}/signin-sso?token={token}"})
        return Response.json_body(200, {"value": token})


def _certificate_facts(data: str, password: str | None) -> tuple[str, str, str]:
    """(subject, thumbprint, expirationDate) of a base64 PFX, as the service derives them."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        raw = base64.b64decode(data, validate=True)
        _, certificate, _ = pkcs12.load_key_and_certificates(raw, password.encode() if password else None)
    except Exception:   # any decoding/password failure is the same 400 for the client
        raise validation_error("data", "The certificate data is not a valid PFX or the password is wrong.") from None
    if certificate is None:
        raise validation_error("data", "The PFX holds no certificate.")
    expires = certificate.not_valid_after_utc if hasattr(certificate, "not_valid_after_utc") \
        else certificate.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return (certificate.subject.rfc4514_string(), certificate.fingerprint(hashes.SHA1()).hex().upper(),
            expires.strftime("%Y-%m-%dT%H:%M:%S+00:00"))


class CertificateBehavior(Behavior):
    """PUT takes ``data`` (base64 PFX) + ``password`` or a ``keyVault`` reference; GET returns
    only what the service derives (subject, thumbprint, expirationDate, keyVault with lastStatus).
    A Key Vault certificate cannot be fetched here, so its facts are derived from the identifier."""

    def prepare(self, ctx: Ctx, props: dict[str, Any], existing: Entity | None, *, patch: bool):
        data, password = props.pop("data", None), props.pop("password", None)
        key_vault = props.get("keyVault")
        stored: dict[str, Any] = {}
        if isinstance(key_vault, dict) and key_vault.get("secretIdentifier"):
            ident = str(key_vault["secretIdentifier"])
            key_vault["lastStatus"] = {"code": "Success", "message": None, "timeStampUtc": now_iso()}
            stored = {"subject": f"CN={ctx.target.entity_id}",
                      "thumbprint": hashlib.sha1(ident.encode()).hexdigest().upper(),
                      "expirationDate": "2099-12-31T23:59:59+00:00"}
        elif isinstance(data, str) and data:
            subject, thumbprint, expires = _certificate_facts(data, password)
            stored = {"subject": subject, "thumbprint": thumbprint, "expirationDate": expires}
        elif not ctx.env.lenient:
            raise validation_error("data", "Either 'data' (base64 PFX) or 'keyVault.secretIdentifier' is required.")
        props = {key: value for key, value in props.items() if key == "keyVault"}
        props.update(stored)
        props, extra = super().prepare(ctx, props, existing, patch=patch)
        if data:
            extra.update({"data": data, "password": password})
        return props, extra

    def action(self, ctx: Ctx, entity: Entity, action: str) -> Response:
        if action != "refreshSecret":
            raise ArmError(404, "ResourceNotFound", f"Action '{action}' not found.")
        if isinstance(entity.properties.get("keyVault"), dict):
            entity.properties["keyVault"]["lastStatus"] = {"code": "Success", "message": None,
                                                           "timeStampUtc": now_iso()}
        return Response.json_body(200, ctx.body(entity, self.render(ctx, entity),
                                                display_parent=ctx.target.display_parent), {"ETag": entity.etag})


class WikiBehavior(Behavior):
    """API and product wikis are singletons named ``default`` (``.../wikis/default`` in the spec)."""

    def storage_name(self, ctx: Ctx, entity_id: str) -> str:
        if entity_id.lower() != "default":
            raise not_found(f"Wiki '{entity_id}'")
        return "default"

    def prepare(self, ctx: Ctx, props: dict[str, Any], existing: Entity | None, *, patch: bool):
        props.setdefault("documents", [])
        return super().prepare(ctx, props, existing, patch=patch)


class TagDescriptionBehavior(Behavior):
    """The service fills ``tagId`` (full id of the tag of the same name) and the tag's
    ``displayName`` (ApiManagementGetApiTagDescription.json)."""

    def render(self, ctx: Ctx, entity: Entity) -> dict[str, Any]:
        props = super().render(ctx, entity)
        tag = ctx.store.get(f"{ctx.target.scope_key}tags", entity.name)
        props["tagId"] = ctx.full_id(f"tags/{tag.name if tag else entity.name}")
        if tag is not None:
            props["displayName"] = tag.properties.get("displayName")
        for key in ("description", "externalDocsDescription", "externalDocsUrl"):
            props.setdefault(key, None)
        return props
