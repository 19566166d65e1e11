"""Refusing what the service refuses: references to entities that do not exist, and deleting a
policy fragment that policies still include.

Why the emulator bothers: a publisher that PUTs a policy before the named value, fragment,
backend or logger it names, or an API before its version set, fails against the real service
with a 400 (Azure/apiops #36, #668, #825, #878). An emulator that accepted those writes would let
ordering bugs through every test. ``Emulator(lenient=True)`` / ``--lenient`` turns the reference
checks off (the same flag that relaxes required properties and If-Match); well-formedness of
policy XML is always checked, as the service always does.

Which status each refusal uses (the service answers a bad *body* with 400 ``ValidationError``;
a missing entity named in the *URL* is a 404, handled by the routes):

- policy documents (service, API, operation, product, workspace policies and fragments):
  not well-formed → 400 ValidationError (target ``value``); ``{{name}}`` with no named value of
  that displayName → 400 ValidationError "Cannot find a property 'name'"; missing
  ``include-fragment``/``set-backend-service``/``log-to-eventhub`` targets → 400 ValidationError
  with target = the element and "Error in element '…' on line L, column C: …" (the form the
  service uses, e.g. Azure/apiops #668 "Policy fragment with id 'x' could not be found.").
- bodies: ``apiVersionSetId``, diagnostics' ``loggerId``, backend pool ``services[].id``,
  subscription ``scope``, release ``apiId``, ``*Links`` ``apiId/groupId/productId/operationId``
  → 400 ValidationError naming the property.
- logger ``credentials`` given as ``{{name}}`` with no named value of that displayName → 400
  ValidationError in the service's own odd shape (checked in ``loggers.py``).
- deleting a policy fragment that a policy includes → 400 ValidationError "The Policy Fragment
  'x' is used by the following entities: …" (the service's message, Azure/apiops-cli #261;
  ``policyFragments/{id}/listReferences`` lists the same policies).

Scope: a workspace entity may name entities of its workspace or of the service (looked up in
that order); a service-level entity only names service-level entities.

Named values: ``{{name}}`` must match the display name of an existing named value, as on the
service. (A policy naming a secret named value that was never published is refused here exactly
as the service refuses it; the client's planner stops before such a write.)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from .context import full_ref, relative_ref
from .errors import ArmError, validation_error
from .locate import split_revision
from .policy_document import MalformedPolicy, read_policy

if TYPE_CHECKING:
    from .context import Ctx, Env
    from .store import Entity


_SERVICE_TYPE = "Microsoft.ApiManagement/service"
_ELEMENT_COLLECTIONS = {"fragment": "policyfragments", "backend": "backends", "logger": "loggers"}
_ELEMENT_MESSAGES = {"fragment": "Policy fragment with id '{}' could not be found.",
                     "backend": "Backend with id '{}' could not be found.",
                     "logger": "Logger with id '{}' could not be found."}


def _detail(target: str, message: str) -> dict[str, str]:
    return {"code": "ValidationError", "target": target, "message": message}


def _scopes(scope_key: str) -> tuple[str, ...]:
    """Where a name is looked up: the workspace first (if any), then the service."""
    return (scope_key, "") if scope_key else ("",)


# -- policy documents ------------------------------------------------------------------------------

def _named_value_exists(ctx: "Ctx", display_name: str) -> bool:
    wanted = display_name.lower()
    for scope in _scopes(ctx.target.scope_key):
        for entity in ctx.store.list(f"{scope}namedvalues"):
            if str(entity.properties.get("displayName", "")).lower() == wanted:
                return True
    return False


def check_policy_document(ctx: "Ctx", text: str, *, fragment: bool) -> None:
    """400 for a malformed document; 400 for each reference to something that does not exist."""
    try:
        document = read_policy(text, fragment=fragment)
    except MalformedPolicy as error:
        raise ArmError(400, "ValidationError", "One or more fields contain incorrect values:",
                       [_detail("value", f"The policy document is not well-formed XML: {error.message} "
                                         f"(line {error.line}, column {error.column}).")]) from None
    if ctx.env.lenient:
        return
    details = [_detail("value", f"Cannot find a property '{name}'. Named values are referenced by displayName.")
               for name in document.named_values if not _named_value_exists(ctx, name)]
    for ref in document.elements:
        collection = _ELEMENT_COLLECTIONS[ref.kind]
        if not any(ctx.store.get(f"{scope}{collection}", ref.name) for scope in _scopes(ctx.target.scope_key)):
            details.append(_detail(ref.element, f"Error in element '{ref.element}' on line {ref.line}, column "
                                                f"{ref.column}: {_ELEMENT_MESSAGES[ref.kind].format(ref.name)}"))
    if details:
        raise ArmError(400, "ValidationError", "One or more fields contain incorrect values:", details)


# -- references in bodies --------------------------------------------------------------------------

def entity_exists(env: "Env", relative: str) -> bool | None:
    """Does the service-relative path name a stored entity (or an existing collection, e.g.
    ``apis`` = all APIs)? ``None`` when the path is not something the emulator models."""
    try:
        target = env.locator.locate(relative)
    except ArmError:
        return None
    if target.action is not None:
        return None
    for coll_key, name, _ in target.parents:
        if env.store.get(coll_key, name) is None:
            return False
    if target.entity_id is None:
        return True
    name = target.entity_id
    if target.route.behavior == "api":
        name = env.locator.api_key(target.coll_key, name)
    return env.store.get(target.coll_key, name) is not None


def _reference_exists(ctx: "Ctx", ref: str) -> bool | None:
    relative = relative_ref(ctx.service_id, ref)
    found = entity_exists(ctx.env, relative)
    scope = ctx.target.scope_key
    if not found and scope and not relative.lower().startswith("workspaces/"):
        in_scope = entity_exists(ctx.env, f"{scope}{relative}")
        found = in_scope if in_scope is not None else found
    return found


# kind (without ``workspace_``) -> properties holding a reference that must exist, with a noun.
_BODY_REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "api": (("apiVersionSetId", "Api version set"),),
    "diagnostic": (("loggerId", "Logger"),),
    "api_diagnostic": (("loggerId", "Logger"),),
    "subscription": (("scope", "Subscription scope"),),
    "api_release": (("apiId", "Api"),),
    "product_api_link": (("apiId", "Api"),),
    "tag_api_link": (("apiId", "Api"),),
    "product_group_link": (("groupId", "Group"),),
    "tag_product_link": (("productId", "Product"),),
    "tag_operation_link": (("operationId", "Operation"),),
}


def _pool_members(props: dict[str, Any]) -> Iterator[tuple[str, str]]:
    pool = props.get("pool")
    if isinstance(pool, dict):
        for index, service in enumerate(pool.get("services") or []):
            if isinstance(service, dict) and isinstance(service.get("id"), str) and service["id"]:
                yield f"pool.services[{index}].id", service["id"]


def _authentication_references(props: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(collection, id, message) of the authorization servers / OpenID Connect providers an API's
    ``authenticationSettings`` name (bare ids, not paths)."""
    auth = props.get("authenticationSettings")
    if not isinstance(auth, dict):
        return
    servers = [auth.get("oAuth2")] + list(auth.get("oAuth2AuthenticationSettings") or [])
    for entry in servers:
        if isinstance(entry, dict) and isinstance(entry.get("authorizationServerId"), str) and entry["authorizationServerId"]:
            yield "authorizationservers", entry["authorizationServerId"], "Authorization server was not found."
    providers = [auth.get("openid")] + list(auth.get("openidAuthenticationSettings") or [])
    for entry in providers:
        if isinstance(entry, dict) and isinstance(entry.get("openidProviderId"), str) and entry["openidProviderId"]:
            yield "openidconnectproviders", entry["openidProviderId"], "OpenID Connect provider was not found."


def check_body_references(ctx: "Ctx", props: dict[str, Any]) -> None:
    """400 ValidationError when a reference property names an entity that does not exist.

    An API's ``authenticationSettings`` must name existing authorization servers / OpenID Connect
    providers: the service answers 400 target ``AuthenticationSettings`` "Authorization server was
    not found." (Azure/apiops #292, #734); the OpenID message is ours, by analogy."""
    if ctx.env.lenient:
        return
    kind = ctx.route.kind[len("workspace_"):] if ctx.route.kind.startswith("workspace_") else ctx.route.kind
    if kind == "api":
        for collection, ident, message in _authentication_references(props):
            if ctx.store.get(collection, ident) is None:
                raise validation_error("AuthenticationSettings", message)
    checks: list[tuple[str, str, str]] = []
    for prop, noun in _BODY_REFERENCES.get(kind, ()):
        value = props.get(prop)
        if isinstance(value, str) and value:
            checks.append((prop, noun, value))
    if kind == "backend":
        checks.extend((target, "Backend", ref) for target, ref in _pool_members(props))
    for target, noun, ref in checks:
        if not _reference_exists(ctx, ref):       # missing, or not a path to such an entity at all
            raise validation_error(target, f"{noun} '{ref}' does not exist.")


# -- policy fragments in use -------------------------------------------------------------------------

def _display_path(env: "Env", coll: str, name: str) -> tuple[str, str]:
    """(service-relative display path with stored spelling and current revisions shown without
    ``;rev=``, ARM type) of the entity ``name`` in collection key ``coll``. The collections on a
    policy's path (workspaces, apis, operations, products, resolvers, policies) are all
    lower-case names already, so the storage key spells them correctly."""
    parts = coll.split("/")
    shown: list[str] = []
    type_parts: list[str] = []
    key = ""
    for index in range(0, len(parts) - 1, 2):
        collection, ident = parts[index], parts[index + 1]
        entity = env.store.get(f"{key}{collection}", ident)
        spelled = entity.name if entity is not None else ident
        if collection == "apis":
            base, rev = split_revision(spelled)
            if rev is not None and env.revisions.current(f"{key}{collection}", base) == rev:
                spelled = base
        shown += [collection, spelled]
        type_parts.append(collection)
        key = f"{key}{collection}/{ident}/"
    last = parts[-1]
    type_parts.append(last)
    return "/".join([*shown, last, name]), f"{_SERVICE_TYPE}/{'/'.join(type_parts)}"


def _includes(policy: "Entity", fragment: str) -> bool:
    text = str(policy.properties.get("value") or "")
    if "include-fragment" not in text:
        return False
    try:
        elements = read_policy(text).elements
    except MalformedPolicy:
        return False
    return any(ref.kind == "fragment" and ref.name.lower() == fragment.lower() for ref in elements)


def policies_including(env: "Env", scope_key: str, fragment: str) -> list[tuple[str, str, "Entity"]]:
    """(display path, ARM type, policy) of every policy that includes the fragment ``fragment``
    of scope ``scope_key`` — workspace policies resolve a fragment id in their workspace first."""
    found = []
    for coll in env.store.all_collections():
        if not (coll == "policies" or coll.endswith("/policies")):
            continue
        policy_scope = "/".join(coll.split("/")[:2]) + "/" if coll.startswith("workspaces/") else ""
        if scope_key and policy_scope != scope_key:
            continue
        if not scope_key and policy_scope and env.store.get(f"{policy_scope}policyfragments", fragment):
            continue        # the workspace's own fragment of that id wins
        for policy in env.store.list(coll):
            if _includes(policy, fragment):
                path, arm_type = _display_path(env, coll, policy.name)
                found.append((path, arm_type, policy))
    return found


def refuse_fragment_in_use(ctx: "Ctx", fragment: "Entity") -> None:
    if ctx.env.lenient:
        return
    users = policies_including(ctx.env, ctx.target.scope_key, fragment.name)
    if users:
        listing = "".join(f"/{path}\r\n" for path, _, _ in users)
        raise ArmError(400, "ValidationError",
                       f"The Policy Fragment '{fragment.name}' is used by the following entities:\r\n{listing}")


def reference_body(ctx: "Ctx", path: str, arm_type: str, policy: "Entity") -> dict[str, Any]:
    """One ``ResourceCollection`` item for ``listReferences``."""
    return {"id": full_ref(ctx.service_id, "/" + path), "name": policy.name, "type": arm_type}
