"""The ARM management-plane app: authentication, api-version, knobs, then route dispatch.

Order matters: throttling and injected faults are decided before the store is touched, so a
failed write is never applied.
"""
from __future__ import annotations

import dataclasses
import json
import re
import time
from typing import Any
from urllib.parse import quote

from .context import Ctx, Env
from .errors import ArmError, error_body
from .handlers import build_handlers
from ..http import Request, Response
from .knobs import FaultInjector, Stats, Throttle
from .locate import Target
from .service import (
    check_name_availability,
    current_service_body,
    resource_group_body,
    resources_list,
    subscription_body,
    update_service,
)
from .versions import delete_is_long_running

_API_VERSION = re.compile(r"^20\d\d-\d\d-\d\d(-preview)?$")
_CHECK_NAME = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.ApiManagement/checkNameAvailability/?$",
                         re.IGNORECASE)
_RESOURCES = re.compile(r"^/subscriptions/(?P<sub>[^/]+)(?:/resourceGroups/(?P<rg>[^/]+))?/resources/?$", re.IGNORECASE)
_SUBSCRIPTION = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/?$", re.IGNORECASE)
_RESOURCE_GROUP = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/?$", re.IGNORECASE)
_PREFIX = re.compile(r"^/subscriptions/(?P<sub>[^/]+)(?:/resourceGroups/(?P<rg>[^/]+))?"
                     r"/providers/Microsoft\.ApiManagement/service(?:/(?P<svc>[^/]+)(?P<rest>/.*)?)?/?$", re.IGNORECASE)


class ArmApp:
    """Serves ``/subscriptions/...`` (see :class:`~.http.App`)."""

    def __init__(self, env: Env, stats: Stats, faults: FaultInjector, throttle: Throttle, latency_ms: int = 0) -> None:
        self.env = env
        self.stats = stats
        self.faults = faults
        self.throttle = throttle
        self.latency_ms = latency_ms
        self._handlers = build_handlers()

    def matches(self, path: str) -> bool:
        return path.startswith("/subscriptions/")

    def handle(self, request: Request) -> Response:
        self.stats.count_request(request.method)
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000.0)
        auth = request.header("authorization") or ""
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return Response.json_body(401, error_body(
                "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or is not a "
                                        "Bearer token."))
        api_version = request.query.get("api-version")
        if not api_version:
            return Response.json_body(400, error_body("MissingApiVersionParameter",
                                                      "The api-version query parameter (?api-version=) is required for all requests."))
        if not _API_VERSION.match(api_version):
            return Response.json_body(400, error_body("InvalidApiVersionParameter",
                                                      f"The api-version '{api_version}' is invalid."))
        throttled, rate_headers = self.throttle.check(token.strip(), request.method)
        if throttled is not None:
            self.stats.count_throttled()
            return throttled
        fault = self.faults.draw()
        if fault is not None:
            self.stats.count_fault()
            return FaultInjector.response(fault)
        response = self.dispatch(request)
        if rate_headers:
            response = dataclasses.replace(response, headers={**response.headers, **rate_headers})
        return response

    def dispatch(self, request: Request) -> Response:
        """Route a request without auth/knobs (also used to apply seed requests)."""
        try:
            return self._dispatch(request)
        except ArmError as error:
            return error.to_response()

    def _dispatch(self, request: Request) -> Response:
        name_check = _CHECK_NAME.match(request.path)
        if name_check:
            self._own_subscription(name_check.group("sub"))
            if request.method != "POST":
                raise ArmError(405, "MethodNotAllowed", "checkNameAvailability takes POST.")
            return check_name_availability(self.env.service, request)
        resources = _RESOURCES.match(request.path)
        if resources:
            self._own_subscription(resources.group("sub"))
            rg = resources.group("rg")
            if rg is not None and rg.lower() != self.env.service.resource_group.lower():
                raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
            if request.method != "GET":
                raise ArmError(405, "MethodNotAllowed", "Only GET is supported on the resource list.")
            return Response.json_body(200, resources_list(self.env.service, request))
        subscription = _SUBSCRIPTION.match(request.path)
        if subscription:
            return self._subscription(request, subscription.group("sub"))
        group = _RESOURCE_GROUP.match(request.path)
        if group:
            return self._resource_group(request, group.group("sub"), group.group("rg"))
        match = _PREFIX.match(request.path)
        if not match:
            raise ArmError(404, "NotFound", f"No route for '{request.path}'.")
        service = self.env.service
        if match.group("sub").lower() != service.subscription_id.lower():
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{match.group('sub')}' could not be found.")
        rg = match.group("rg")
        if rg is not None and rg.lower() != service.resource_group.lower():
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
        svc = match.group("svc")
        with self.env.store.lock:
            if svc is None:
                return self._list_services(request)
            if svc.lower() != service.service_name.lower():
                raise ArmError(404, "ResourceNotFound",
                               f"The Resource 'Microsoft.ApiManagement/service/{svc}' under resource group '{rg}' was not found.")
            rest = (match.group("rest") or "").strip("/")
            if not rest:
                return self._service(request)
            target: Target = self.env.locator.locate(rest)
            ctx = Ctx(self.env, request, target)
            response = self._handlers[target.route.template].handle(ctx)
            api_version = request.query.get("api-version", "")
            if request.method == "DELETE" and response.status == 200 and delete_is_long_running(target.route,
                                                                                                  api_version):
                response = Response.empty(202, {"Location": f"{self.env.base_url()}/_emulator/operations/"
                                                            f"{quote(target.entity_id or '')}?status=204",
                                                "Retry-After": "1"})
            return response

    def _own_subscription(self, sub: str) -> None:
        if sub.lower() != self.env.service.subscription_id.lower():
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")

    def _service(self, request: Request) -> Response:
        """GET/HEAD, and the long-running PATCH (ApiManagementService_Update) and PUT of the service,
        which finish at once (200, provisioningState Succeeded) like the emulator's other LROs."""
        store, service = self.env.store, self.env.service
        if request.method in ("PATCH", "PUT"):
            try:
                payload = request.json()
            except ValueError:
                payload = None
            try:
                body, etag = update_service(store, service, payload, replace=request.method == "PUT")
            except ValueError as error:
                code, message = error.args
                raise ArmError(400, code, message) from None
            return Response.json_body(200, body, {"ETag": etag})
        if request.method not in ("GET", "HEAD"):
            raise ArmError(405, "MethodNotAllowed", f"{request.method} is not supported on the service resource.")
        body, etag = current_service_body(store, service)
        if request.method == "HEAD":
            return Response.empty(200, {"ETag": etag})
        return Response.json_body(200, body, {"ETag": etag})

    def _subscription(self, request: Request, sub: str) -> Response:
        """``GET /subscriptions/{s}`` (Microsoft.Resources ``Subscriptions_Get``, any api-version):
        clients tell a wrong subscription from a wrong resource group or service with it. ARM
        answers 404 ``SubscriptionNotFound`` for an id it does not know."""
        service = self.env.service
        if sub.lower() != service.subscription_id.lower():
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
        if request.method != "GET":
            raise ArmError(405, "MethodNotAllowed", "The emulated subscription is read-only.")
        return Response.json_body(200, subscription_body(service))

    def _resource_group(self, request: Request, sub: str, rg: str) -> Response:
        """``GET/HEAD /subscriptions/{s}/resourceGroups/{g}`` (Microsoft.Resources, any api-version):
        clients check the group exists before touching the service. HEAD answers 204 like ARM's
        ``resource_groups.check_existence``."""
        service = self.env.service
        if sub.lower() != service.subscription_id.lower():
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
        if rg.lower() != service.resource_group.lower():
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
        if request.method == "HEAD":
            return Response.empty(204)
        if request.method != "GET":
            raise ArmError(405, "MethodNotAllowed", "The emulated resource group is read-only.")
        return Response.json_body(200, resource_group_body(service))

    def _list_services(self, request: Request) -> Response:
        if request.method != "GET":
            raise ArmError(405, "MethodNotAllowed", "Only GET is supported on the service collection.")
        return Response.json_body(200, {"value": [current_service_body(self.env.store, self.env.service)[0]], "nextLink": None})

    def apply(self, method: str, relative_path: str, body: dict[str, Any] | None, base_url: str) -> Response:
        """Apply one service-relative request (seeding, test setup) through normal handling."""
        path = f"{self.env.service.path}/{relative_path.lstrip('/')}"
        path, _, query = path.partition("?")
        query = "&".join(filter(None, [query, "api-version=2024-05-01"]))
        payload = json.dumps(body).encode("utf-8") if body is not None else b""
        headers = {"authorization": "Bearer seed", "if-match": "*", "content-type": "application/json"}
        return self.dispatch(Request(method.upper(), path, query, headers, payload, base_url))
