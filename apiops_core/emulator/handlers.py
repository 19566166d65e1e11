"""Which handler serves which route (the one place that maps route behaviours to code)."""
from __future__ import annotations

from typing import Any, Protocol

from .apis import ApiBehavior, ReleaseBehavior
from .behavior import Behavior
from .context import Ctx, relative_ref
from .crud import EntityHandler
from .errors import validation_error
from .http import Response
from .policies import PolicyBehavior, PolicyFragmentBehavior
from .products import BackendBehavior, GatewayBehavior, GroupBehavior, OperationBehavior, ProductBehavior
from .routes import ROUTES, Route
from .secrets import NamedValueBehavior, SubscriptionBehavior
from .store import Entity
from .views import VIEWS


class Handler(Protocol):
    def handle(self, ctx: Ctx) -> Response: ...


class LinkBehavior(Behavior):
    """``*Links`` resources: the referenced entity must exist (in this service)."""

    def prepare(self, ctx: Ctx, props: dict[str, Any], existing: Entity | None, *, patch: bool):
        props, extra = super().prepare(ctx, props, existing, patch=patch)
        for key in ("apiId", "groupId", "productId", "operationId"):
            ref = props.get(key)
            if isinstance(ref, str) and ref:
                relative = relative_ref(ctx.service_id, ref)
                try:
                    target = ctx.env.locator.locate(relative)
                except Exception:
                    raise validation_error(key, f"'{ref}' is not a valid reference.") from None
                name = target.entity_id or ""
                if target.route.behavior == "api":
                    name = ctx.env.locator.api_key(target.coll_key, name)
                if ctx.store.get(target.coll_key, name) is None:
                    raise validation_error(key, f"Referenced entity '{ref}' does not exist.")
        return props, extra


_BY_BEHAVIOR: dict[str, type[Behavior]] = {
    "api": ApiBehavior, "release": ReleaseBehavior, "policy": PolicyBehavior,
    "policy_fragment": PolicyFragmentBehavior, "named_value": NamedValueBehavior,
    "subscription": SubscriptionBehavior, "product": ProductBehavior, "group": GroupBehavior,
    "gateway": GatewayBehavior,
}
_BY_KIND: dict[str, type[Behavior]] = {"api_operation": OperationBehavior, "backend": BackendBehavior}


def _behavior_for(route: Route) -> Behavior:
    if route.behavior in _BY_BEHAVIOR:
        return _BY_BEHAVIOR[route.behavior]()
    kind = route.kind[len("workspace_"):] if route.kind.startswith("workspace_") else route.kind
    if kind in _BY_KIND:
        return _BY_KIND[kind]()
    if kind.endswith("_link"):
        return LinkBehavior()
    return Behavior()


def build_handlers() -> dict[str, Handler]:
    """Handler per route template."""
    handlers: dict[str, Handler] = {}
    for route in ROUTES:
        handlers[route.template] = VIEWS[route.behavior] if route.behavior in VIEWS else EntityHandler(_behavior_for(route))
    return handlers
