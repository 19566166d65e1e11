"""Which handler serves which route (the one place that maps route behaviours to code)."""
from __future__ import annotations

from typing import Protocol

from .apis import ApiBehavior, ReleaseBehavior
from .behavior import Behavior
from .context import Ctx
from .crud import EntityHandler
from .directory import (CertificateBehavior, IdentityProviderBehavior, PortalSettingBehavior, SecretHolderBehavior,
                        TagDescriptionBehavior, UserBehavior, WikiBehavior)
from ..http import Response
from .loggers import LoggerBehavior
from .policies import PolicyBehavior, PolicyFragmentBehavior
from .products import BackendBehavior, GatewayBehavior, GroupBehavior, OperationBehavior, ProductBehavior
from .routes import ROUTES, Route
from .secrets import NamedValueBehavior, SubscriptionBehavior
from .views import VIEWS


class Handler(Protocol):
    def handle(self, ctx: Ctx) -> Response: ...


class LinkBehavior(Behavior):
    """``*Links`` resources: the referenced entity must exist; checked by
    :func:`~.integrity.check_body_references` from the base ``prepare`` (kind table there)."""


_BY_BEHAVIOR: dict[str, type[Behavior]] = {
    "api": ApiBehavior, "release": ReleaseBehavior, "policy": PolicyBehavior,
    "policy_fragment": PolicyFragmentBehavior, "named_value": NamedValueBehavior,
    "subscription": SubscriptionBehavior, "product": ProductBehavior, "group": GroupBehavior,
    "gateway": GatewayBehavior, "user": UserBehavior, "certificate": CertificateBehavior,
    "secret_holder": SecretHolderBehavior, "identity_provider": IdentityProviderBehavior,
    "portal_setting": PortalSettingBehavior, "wiki": WikiBehavior,
}
_BY_KIND: dict[str, type[Behavior]] = {"api_operation": OperationBehavior, "backend": BackendBehavior,
                                       "logger": LoggerBehavior, "api_tag_description": TagDescriptionBehavior}


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
