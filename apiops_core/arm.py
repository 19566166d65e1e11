"""The one client layer for Azure Resource Manager: paging, LROs, retries and a global concurrency bound.

Every engine talks to APIM through :class:`ArmClient` and nothing else, so that

- retries are decided and counted in ONE place (the SDK's own retry policy is switched off:
  azure-core would otherwise retry underneath us, invisibly, and multiply with our own retries),
- the number of requests in flight is bounded GLOBALLY (one semaphore shared by every thread
  using the client) instead of compounding per tree level as the .NET tool does (Azure/apiops #612),
- paths are service-relative and unencoded (``apis/echo;rev=2/policies/policy``): the client
  percent-encodes each segment once, which is where revision names usually go wrong,
- the client is polite to ARM as ONE caller: a 429 pauses every thread of the client for its
  ``Retry-After`` (ARM's token bucket is per caller, so requests sent by the other threads during the
  pause would only be answered 429 too), and the ``x-ms-ratelimit-remaining-subscription-*``
  headers bound how many reads / writes / deletes are sent while the bucket is nearly empty,
- failures that another attempt cannot fix are not retried: a missing credential, an untrusted
  TLS certificate; a host that was never reached (DNS failure, connection refused) gets a few
  quick attempts within ``connect_budget`` seconds, not a minute of silence. Every retry is
  logged at info level with its reason and delay.

The transport is the azure-mgmt-apimanagement ``ApiManagementClient`` pipeline (bearer auth with
the ARM challenge policy, request ids, user agent, redirects); requests are sent with
``client._client.send_request`` so that any ARM path — also ones the typed SDK models would
reshape or drop unknown properties from — round-trips as plain JSON.
"""

from __future__ import annotations

import builtins
import email.utils
import errno
import json
import logging
import random
import socket
import ssl
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Protocol, TypeVar
from urllib.parse import quote, urlsplit

from .errors import ArmError, PreconditionFailed

__all__ = [
    "ArmClient",
    "ArmPort",
    "ArmResponse",
    "ArmStats",
    "encode_path",
    "parse_retry_after",
]

_LOG = logging.getLogger("apiops.arm")

T = TypeVar("T")
R = TypeVar("R")

_TERMINAL_STATES = frozenset({"succeeded", "failed", "canceled", "cancelled"})
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: ARM's token buckets are per operation type; the response headers name them like this.
_BUCKETS = ("reads", "writes", "deletes")
_REMAINING_HEADERS = {
    kind: (f"x-ms-ratelimit-remaining-subscription-{kind}", f"x-ms-ratelimit-remaining-tenant-{kind}")
    for kind in _BUCKETS
}


@dataclass(frozen=True)
class ArmResponse:
    """A decoded ARM response: status, JSON body (``{}`` when empty or not JSON), ETag, headers."""

    status: int
    body: dict[str, Any]
    etag: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    text: str = ""

    @property
    def properties(self) -> dict[str, Any]:
        value = self.body.get("properties")
        return value if isinstance(value, dict) else {}


@dataclass
class ArmStats:
    """Counters for the benchmark and the run summary (updated under the client's lock)."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    downloads: int = 0
    max_in_flight: int = 0
    #: shared pauses started by a 429, and by a remaining-requests header at 0
    throttle_pauses: int = 0
    budget_pauses: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "downloads": self.downloads,
            "max_in_flight": self.max_in_flight,
            "throttle_pauses": self.throttle_pauses,
            "budget_pauses": self.budget_pauses,
        }


@dataclass
class _Bucket:
    """What the client knows of one of ARM's token buckets (reads, writes or deletes)."""

    remaining: int | None = None  # last x-ms-ratelimit-remaining-* value; None = not told
    told_at: int = 0  # requests sent when ``remaining`` was set: only later ones may raise it
    sent: int = 0  # requests admitted so far (their send order)
    in_flight: int = 0
    paused_until: float = 0.0
    refill_wait: float = 1.0  # the last Retry-After: how long the bucket takes to give tokens again


def encode_path(path: str) -> str:
    """Percent-encode each segment of a service-relative path (``echo;rev=2`` → ``echo%3Brev%3D2``)."""
    return "/".join(quote(segment, safe="") for segment in path.strip("/").split("/"))


def _encode_query(params: Mapping[str, Any]) -> str:
    parts = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        parts.append(f"{quote(str(key), safe='$')}={quote(str(value), safe='')}")
    return "&".join(parts)


def parse_retry_after(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``x-ms-retry-after-ms`` / ``Retry-After`` (seconds or HTTP date)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        if lowered.get(name):
            try:
                return max(0.0, float(lowered[name]) / 1000.0)
            except ValueError:
                pass
    value = lowered.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now())


def _error_parts(body: Mapping[str, Any]) -> tuple[str | None, str]:
    error = body.get("error") if isinstance(body.get("error"), Mapping) else body
    code = error.get("code") if isinstance(error, Mapping) else None
    message = error.get("message") if isinstance(error, Mapping) else None
    details = error.get("details") if isinstance(error, Mapping) else None
    text = str(message or "")
    if isinstance(details, list):
        extra = [
            f"{str(d['target']) + ': ' if d.get('target') else ''}{d.get('message', '')}"
            for d in details
            if isinstance(d, Mapping) and d.get("message")
        ]
        if extra:
            text = f"{text} ({'; '.join(extra)})" if text else "; ".join(extra)
    return (str(code) if code else None), text


def _bucket_of(method: str) -> str:
    upper = method.upper()
    if upper in ("GET", "HEAD"):
        return "reads"
    return "deletes" if upper == "DELETE" else "writes"


def _causes(error: BaseException) -> list[BaseException]:
    """The error and everything it wraps (azure-core → requests → urllib3 → socket)."""
    found: list[BaseException] = []
    stack: list[Any] = [error]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or any(item is seen for seen in found):
            continue
        found.append(item)
        stack.extend([item.__cause__, item.__context__, getattr(item, "inner_exception", None), getattr(item, "reason", None)])
        stack.extend(arg for arg in item.args if isinstance(arg, BaseException))
    return found


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "message", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _unreachable(error: BaseException) -> str | None:
    """Why a connection could not be opened at all (DNS, refused, unreachable, connect timeout), or None."""
    texts = []
    for cause in _causes(error):
        name = type(cause).__name__
        if isinstance(cause, socket.gaierror) or name == "NameResolutionError":
            return "the host name does not resolve (DNS)"
        if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED:
            return "connection refused"
        if getattr(cause, "errno", None) in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return "host unreachable"
        if name in ("ConnectTimeoutError", "ConnectTimeout"):
            return "connect timeout"
        texts.append(str(cause))
    text = " ".join(texts).lower()
    if "failed to resolve" in text or "name or service not known" in text or "nodename nor servname" in text:
        return "the host name does not resolve (DNS)"
    if "connection refused" in text:
        return "connection refused"
    return None


def _fatal(error: BaseException) -> str | None:
    """A failure no retry can fix (credential, TLS trust), phrased for the user; else None."""
    from azure.core.exceptions import ClientAuthenticationError

    for cause in _causes(error):
        if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(cause):
            return (
                f"the server's TLS certificate is not trusted ({_first_line(cause)}); "
                "pass the CA bundle with --ca-bundle / APIOPS_CA_BUNDLE"
            )
        if isinstance(cause, ClientAuthenticationError):
            return f"no token could be obtained: {_first_line(cause)}"
    return None


class _Held:
    """A lock this thread holds (or None), released at most once."""

    __slots__ = ("lock",)

    def __init__(self, lock: threading.Lock | None) -> None:
        self.lock = lock

    def release(self) -> None:
        if self.lock is not None:
            lock, self.lock = self.lock, None
            lock.release()


class _Attempt:
    """What one HTTP exchange produced: a response, or a connection-level exception."""

    __slots__ = ("response", "error")

    def __init__(self, response: ArmResponse | None, error: Exception | None) -> None:
        self.response = response
        self.error = error


class ArmPort(Protocol):
    """What the engines call on the ARM client: the instance's names, the verbs and ``map``.

    Engines take ``arm: ArmPort`` rather than ``ArmClient`` so a type checker sees every call
    they make and a test's fake needs only these members; ``ArmClient`` is the one real port.
    """

    subscription_id: str
    resource_group: str
    service_name: str
    stats: ArmStats

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> ArmResponse | None: ...

    def list(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]: ...

    def put(self, path: str, body: Mapping[str, Any], *, if_match: str | None = None,
            params: Mapping[str, Any] | None = None) -> ArmResponse: ...

    def patch(self, path: str, body: Mapping[str, Any], *, if_match: str = "*",
              params: Mapping[str, Any] | None = None) -> ArmResponse: ...

    def delete(self, path: str, *, if_match: str | None = "*", params: Mapping[str, Any] | None = None) -> bool: ...

    def post(self, path: str, body: Mapping[str, Any] | None = None,
             params: Mapping[str, Any] | None = None) -> ArmResponse: ...

    def download(self, url: str) -> str: ...

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> builtins.list[R]: ...

    def close(self) -> None: ...


class ArmClient:
    """ARM client for one APIM instance (see the module docstring for why it exists).

    ``transport`` is an azure-core ``HttpTransport`` (tests pass a fake one; by default a
    requests transport whose connection pool fits ``parallelism``). ``sleep`` is injectable so
    tests can record the waits, and ``clock`` (monotonic seconds) with it, so a test's fake time
    drives the shared 429 pause. ``max_retries`` bounds retries per request; ``lro_timeout``
    bounds how long (in waited seconds) a long-running operation may be polled. A host that has
    not answered yet gets at most ``connect_retries`` more attempts within ``connect_budget``
    seconds; each attempt waits at most ``connect_timeout`` seconds for the connection.
    """

    def __init__(
        self,
        endpoint: str,
        credential: Any,
        subscription_id: str,
        resource_group: str,
        service_name: str,
        *,
        ca_bundle: str | None = None,
        parallelism: int = 8,
        api_version: str = "2024-05-01",
        scope: str = "https://management.azure.com/.default",
        transport: Any = None,
        max_retries: int = 6,
        backoff_base: float = 0.8,
        backoff_max: float = 60.0,
        lro_min_interval: float = 1.0,
        lro_timeout: float = 900.0,
        read_timeout: float = 120.0,
        connect_timeout: float = 10.0,
        connect_retries: int = 3,
        connect_budget: float = 4.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        from azure.core.pipeline import Pipeline
        from azure.core.pipeline.policies import HeadersPolicy, RetryPolicy
        from azure.mgmt.apimanagement import ApiManagementClient

        if parallelism < 1:
            raise ValueError("parallelism must be at least 1")
        self.endpoint = endpoint.rstrip("/")
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        self.service_name = service_name
        self.api_version = api_version
        self.parallelism = parallelism
        self.ca_bundle = ca_bundle
        self.max_retries = max_retries
        self.stats = ArmStats()
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._lro_min_interval = lro_min_interval
        self._lro_timeout = lro_timeout
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._connect_retries = connect_retries
        self._connect_budget = connect_budget
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._turn = threading.Condition(self._lock)  # a request of a bucket finished
        self._paused_until = 0.0  # the shared 429 pause (clock seconds)
        self._buckets = {kind: _Bucket() for kind in _BUCKETS}
        self._reached: set[str] = set()  # hosts that answered at least once
        self._unreachable: dict[str, str] = {}  # host → why it was given up
        self._first_contact = threading.Lock()  # one request at a time tries a host not reached yet
        self._slots = threading.BoundedSemaphore(parallelism)
        self._in_flight = 0
        self._transport = transport if transport is not None else _default_transport(ca_bundle, parallelism)
        self.service_path = (
            f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.ApiManagement/service/{service_name}"
        )
        verify: Any = _resolve_verify(ca_bundle)
        self.sdk = ApiManagementClient(
            credential,
            subscription_id,
            base_url=self.endpoint,
            api_version=api_version,
            credential_scopes=[scope],
            connection_verify=verify,
            transport=self._transport,
            retry_policy=RetryPolicy.no_retries(),
            polling_interval=max(lro_min_interval, 0.0),
            user_agent="apiops",
        )
        # unauthenticated pipeline for export links (SAS URLs must not receive the ARM token)
        self._plain = Pipeline(transport=self._transport, policies=[HeadersPolicy()])
        self._verify = verify

    # -- context management ------------------------------------------------------------------
    def close(self) -> None:
        self.sdk.close()

    def __enter__(self) -> "ArmClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- URLs ----------------------------------------------------------------------------------
    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """Absolute URL for a service-relative path (or an absolute URL), with api-version added."""
        if path.startswith(("https://", "http://")):
            base = path
        else:
            relative = encode_path(path) if path.strip("/") else ""
            base = f"{self.endpoint}{self.service_path}" + (f"/{relative}" if relative else "")
        query = dict(params or {})
        if "api-version=" not in base:
            query = {"api-version": self.api_version, **query}
        encoded = _encode_query(query)
        if not encoded:
            return base
        return f"{base}{'&' if '?' in base else '?'}{encoded}"

    def resource_id(self, path: str) -> str:
        """The full ARM id of a service-relative path (for error messages)."""
        if path.startswith(("https://", "http://")):
            return urlsplit(path).path
        return f"{self.service_path}/{path.strip('/')}" if path.strip("/") else self.service_path

    # -- public verbs ----------------------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, Any] | None = None) -> ArmResponse | None:
        """GET a resource; None when it does not exist (404)."""
        response = self._call("GET", path, params=params, allow={404})
        return None if response.status == 404 else response

    def list(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following absolute ``nextLink``s page by page."""
        url: str | None = self.url(path, params)
        seen: set[str] = set()
        while url:
            if url in seen:  # a service repeating a nextLink would loop forever
                raise ArmError(f"GET {path}: the service returned the same nextLink twice", resource_id=self.resource_id(path))
            seen.add(url)
            response = self._call("GET", url, resource=path)
            items = response.body.get("value")
            if isinstance(items, list):
                for item in items:
                    if isinstance(item, dict):
                        yield item
            next_link = response.body.get("nextLink")
            url = self.url(next_link) if isinstance(next_link, str) and next_link else None

    def put(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        if_match: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> ArmResponse:
        """PUT (create or replace), completing a long-running operation before returning."""
        headers = {"If-Match": if_match} if if_match else {}
        response = self._call("PUT", path, body=body, params=params, headers=headers)
        return self._complete_lro("PUT", path, response, params)

    def patch(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        if_match: str = "*",
        params: Mapping[str, Any] | None = None,
    ) -> ArmResponse:
        """PATCH (partial update; ARM requires If-Match, ``*`` = unconditional), completing LROs."""
        response = self._call("PATCH", path, body=body, params=params, headers={"If-Match": if_match})
        return self._complete_lro("PATCH", path, response, params)

    def delete(self, path: str, *, if_match: str | None = "*", params: Mapping[str, Any] | None = None) -> bool:
        """DELETE; True when something was deleted, False when it did not exist (404/204)."""
        headers = {"If-Match": if_match} if if_match else {}
        response = self._call("DELETE", path, params=params, headers=headers, allow={404})
        if response.status in (404, 204):
            return False
        self._complete_lro("DELETE", path, response, params)
        return True

    def post(self, path: str, body: Mapping[str, Any] | None = None, params: Mapping[str, Any] | None = None) -> ArmResponse:
        """POST an action (``listValue``, ``listSecrets`` ...); the body is returned, never logged."""
        response = self._call("POST", path, body=body, params=params)
        if response.status == 202:
            return self._complete_lro("POST", path, response, params)
        return response

    def download(self, url: str) -> str:
        """Unauthenticated GET of an export link (a SAS URL), with the same CA bundle and retries."""
        from azure.core.rest import HttpRequest

        def send() -> ArmResponse:
            request = HttpRequest("GET", url)
            result = self._plain.run(
                request, connection_verify=self._verify, read_timeout=self._read_timeout,
                connection_timeout=self._connect_timeout,
            )
            return _decode(result.http_response)

        shown = urlsplit(url)._replace(query="").geturl()  # never log a SAS token
        response = self._with_retries("GET", shown, send, allow=set(), counter="downloads", url=url)
        return response.text

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> builtins.list[R]:
        """Run ``fn`` over items on a thread pool; results in input order; the first error is raised.

        Threads are cheap here: every request still waits for one of the client's ``parallelism``
        slots, so nested ``map`` calls (APIs → operations) cannot exceed the global bound.
        """
        values = list(items)
        if not values:
            return []
        if len(values) == 1 or self.parallelism == 1:
            return [fn(v) for v in values]
        workers = min(len(values), self.parallelism)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="apiops-arm") as pool:
            futures: list[Future[R]] = [pool.submit(fn, v) for v in values]
            done, pending = wait(futures, return_when=FIRST_EXCEPTION)
            for future in done:
                error = future.exception()
                if error is not None:
                    for other in pending:
                        other.cancel()
                    raise error
            return [f.result() for f in futures]

    # -- internals -------------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        allow: set[int] | None = None,
        resource: str | None = None,
    ) -> ArmResponse:
        from azure.core.rest import HttpRequest

        url = self.url(path, params)
        request_headers = {"Accept": "application/json", **(headers or {})}
        data: bytes | None = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            request_headers["Content-Type"] = "application/json"

        def send() -> ArmResponse:
            request = HttpRequest(method, url, headers=request_headers, content=data)
            result = self.sdk._client.send_request(
                request, stream=False, connection_verify=self._verify, read_timeout=self._read_timeout,
                connection_timeout=self._connect_timeout,
            )
            return _decode(result)

        return self._with_retries(method, resource or path, send, allow=allow or set(), url=url)

    def _with_retries(
        self,
        method: str,
        path: str,
        send: Callable[[], ArmResponse],
        *,
        allow: set[int],
        counter: str = "requests",
        url: str = "",
    ) -> ArmResponse:
        bucket = _bucket_of(method) if counter == "requests" else None  # export links are not ARM's
        host = urlsplit(url).netloc if url else ""
        gate = self._first_contact_gate(method, path, host)
        try:
            return self._attempts(method, path, send, allow, counter, bucket, host, gate)
        finally:
            gate.release()

    def _first_contact_gate(self, method: str, path: str, host: str) -> "_Held":
        """Until a host has answered once, requests to it go one at a time: when it cannot be
        reached, one request finds out (with a few quick attempts) and the others fail at once
        with the same message instead of each retrying and logging in parallel."""
        with self._lock:
            if not host or host in self._reached:
                return _Held(None)
        self._first_contact.acquire()
        with self._lock:
            known = host in self._reached
            dead = self._unreachable.get(host)
        if known or dead:
            self._first_contact.release()
        if dead:
            raise ArmError(f"{method} {path}: {dead}", resource_id=self.resource_id(path))
        return _Held(None if known else self._first_contact)

    def _attempts(
        self,
        method: str,
        path: str,
        send: Callable[[], ArmResponse],
        allow: set[int],
        counter: str,
        bucket: str | None,
        host: str,
        gate: "_Held",
    ) -> ArmResponse:
        started = self._clock()
        attempt = 0
        while True:
            outcome = self._send_bounded(send, counter, bucket, attempt)
            if outcome.error is not None:
                fatal = _fatal(outcome.error)
                if fatal is not None:
                    raise ArmError(f"{method} {path}: {fatal}", resource_id=self.resource_id(path)) from None
            else:
                with self._lock:
                    self._reached.add(host)
                gate.release()  # the host answers: the others may go, in parallel
            delay, reason, limit = self._retry_decision(outcome, attempt, host, started)
            if reason is None or attempt >= limit:
                break
            attempt += 1
            with self._lock:
                self.stats.retries += 1
            _LOG.info("%s %s: %s; retry %d/%d in %.1fs", method, path, reason, attempt, limit, delay)
            if outcome.response is None or outcome.response.status != 429:
                self._sleep(delay)  # a 429's wait is the shared pause, served before the next send
        if outcome.error is not None:
            unreachable = _unreachable(outcome.error)
            if unreachable is not None and host not in self._reached:
                why = (
                    f"cannot connect to {host}: {unreachable} "
                    f"({attempt + 1} attempt(s) in {self._clock() - started:.1f}s); "
                    "check the endpoint (--arm-endpoint / APIOPS_ARM_ENDPOINT) and the network"
                )
                with self._lock:
                    self._unreachable[host] = why
                raise ArmError(f"{method} {path}: {why}", resource_id=self.resource_id(path)) from outcome.error
            raise ArmError(
                f"{method} {path}: connection failed after {attempt + 1} attempt(s): {_first_line(outcome.error)}",
                resource_id=self.resource_id(path),
            ) from outcome.error
        response = outcome.response
        assert response is not None
        _LOG.debug("%s %s -> %d", method, path, response.status)
        if response.status < 400 or response.status in allow:
            return response
        code, message = _error_parts(response.body)
        text = f"{method} {path}: HTTP {response.status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
        error_type = PreconditionFailed if response.status == 412 else ArmError
        raise error_type(text, status=response.status, code=code, resource_id=self.resource_id(path))

    def _send_bounded(self, send: Callable[[], ArmResponse], counter: str, bucket: str | None, attempt: int) -> _Attempt:
        from azure.core.exceptions import (
            ClientAuthenticationError,
            DecodeError,
            HttpResponseError,
            ServiceRequestError,
            ServiceResponseError,
        )

        order = self._admit(bucket) if bucket is not None else 0
        try:
            with self._slots:
                self._wait_out_pause()  # a 429 may have paused the client while we waited for a slot
                with self._lock:
                    self._in_flight += 1
                    self.stats.max_in_flight = max(self.stats.max_in_flight, self._in_flight)
                    setattr(self.stats, counter, getattr(self.stats, counter) + 1)
                try:
                    outcome = _Attempt(send(), None)
                except (ServiceRequestError, ServiceResponseError, DecodeError, ConnectionError, TimeoutError) as error:
                    # refused, reset, timed out, or a body cut short: judged by _retry_decision
                    outcome = _Attempt(None, error)
                except ClientAuthenticationError as error:
                    outcome = _Attempt(None, error)  # the credential gave no token: fatal, see _fatal
                except HttpResponseError as error:
                    if error.response is not None:
                        raise
                    outcome = _Attempt(None, error)  # the transport failed mid-stream (no response to judge)
                finally:
                    with self._lock:
                        self._in_flight -= 1
                if bucket is not None and outcome.response is not None:
                    self._observe(bucket, outcome.response, attempt, order)  # before the slot is free for others
                return outcome
        finally:
            if bucket is not None:
                with self._turn:
                    self._buckets[bucket].in_flight -= 1
                    self._turn.notify_all()

    # -- politeness: the shared 429 pause and the remaining-requests budget -------------------------
    def _admit(self, bucket: str) -> int:
        """Wait until a request of ``bucket`` may be sent, then count it in flight.

        It may go when no pause is running and fewer requests of its bucket are in flight than
        ARM said remain (``x-ms-ratelimit-remaining-subscription-<bucket>``; unbounded until ARM
        says). At 0 remaining with nothing in flight, the bucket rests for ``refill_wait`` (the
        last Retry-After, else 1 s) and then one request probes it: sending into an empty bucket
        would only collect 429s. Returns the request's send order in its bucket.
        """
        state = self._buckets[bucket]
        while True:
            with self._turn:
                now = self._clock()
                wait = max(self._paused_until, state.paused_until) - now
                if wait <= 0:
                    allowance = self.parallelism if state.remaining is None else state.remaining
                    if state.in_flight < allowance:
                        state.in_flight += 1
                        state.sent += 1
                        return state.sent
                    if state.in_flight == 0:
                        state.paused_until = now + state.refill_wait
                        state.remaining = 1
                        self.stats.budget_pauses += 1
                        _LOG.debug("ARM %s budget at 0: pausing %s for %.1fs", bucket, bucket, state.refill_wait)
                        continue
                    self._turn.wait(timeout=1.0)  # a request in flight will bring a fresher count
                    continue
            self._sleep(wait)

    def _wait_out_pause(self) -> None:
        while True:
            with self._lock:
                wait = self._paused_until - self._clock()
            if wait <= 0:
                return
            self._sleep(wait)

    def _observe(self, bucket: str, response: ArmResponse, attempt: int, order: int) -> None:
        """Learn from a response: a 429 pauses the whole client; a remaining count sets the budget.

        Answers overtake each other on the way back: an answer to a request sent before the current
        count was learnt may be older news, so it may only lower the count.
        """
        state = self._buckets[bucket]
        lowered = {k.lower(): v for k, v in response.headers.items()}
        counts = []
        for name in _REMAINING_HEADERS[bucket]:
            try:
                counts.append(int(lowered[name]))
            except (KeyError, ValueError):
                pass
        with self._turn:
            if response.status == 429:
                hinted = parse_retry_after(response.headers)
                pause = hinted if hinted is not None else self._backoff(attempt)
                now = self._clock()
                if now >= self._paused_until:
                    self.stats.throttle_pauses += 1
                    _LOG.info("ARM throttled (HTTP 429 on %s): pausing all requests for %.1fs", bucket, pause)
                self._paused_until = max(self._paused_until, now + pause)
                state.refill_wait = max(pause, 0.1)
                if state.remaining is not None:
                    state.remaining = 1  # after the pause one request probes the bucket
            elif counts:
                count = max(0, min(counts))
                if order > state.told_at or state.remaining is None or count < state.remaining:
                    state.remaining = count
                    state.told_at = state.sent
            self._turn.notify_all()

    def _retry_decision(self, outcome: _Attempt, attempt: int, host: str, started: float) -> tuple[float, str | None, int]:
        """(delay, reason, retry limit) when the outcome is worth retrying, else (0, None, 0)."""
        if outcome.error is not None:
            unreachable = _unreachable(outcome.error)
            with self._lock:
                reached = host in self._reached
            if unreachable is not None and not reached:
                # never answered: a typo or a host that is down; a few quick attempts, then say so
                delay = min(self._backoff_base * (2**attempt) * 0.5, 2.0)
                if self._clock() - started + delay > self._connect_budget:
                    return 0.0, None, 0
                return delay, unreachable, self._connect_retries
            return self._backoff(attempt), unreachable or f"connection error ({type(outcome.error).__name__})", self.max_retries
        response = outcome.response
        assert response is not None
        status = response.status
        reason: str | None = None
        if status in _RETRY_STATUSES or (status >= 500 and status not in (501, 505)):
            reason = f"HTTP {status}"
            if status == 429:
                with self._lock:
                    self.stats.throttled += 1
                    left = max(0.0, self._paused_until - self._clock())
                return left, "HTTP 429 (throttled; all requests of this client wait)", self.max_retries
        elif status in (409, 422):
            code, message = _error_parts(response.body)
            if code == "ManagementApiRequestFailed" or "operation on the api is in progress" in message.lower():
                reason = f"HTTP {status} {code or ''}".strip()
        if reason is None:
            return 0.0, None, 0
        hinted = parse_retry_after(response.headers)
        delay = hinted if hinted is not None else self._backoff(attempt)
        return delay, reason, self.max_retries

    def _backoff(self, attempt: int) -> float:
        base = min(self._backoff_max, self._backoff_base * (2**attempt))
        return base * (0.5 + self._rng.random() / 2)

    def _complete_lro(
        self, method: str, path: str, response: ArmResponse, params: Mapping[str, Any] | None
    ) -> ArmResponse:
        """Poll a long-running operation to its end (Azure-AsyncOperation, then Location, then the resource)."""
        state = str(response.properties.get("provisioningState") or "").lower()
        in_progress = response.status == 202 or (
            method in ("PUT", "PATCH") and state and state not in _TERMINAL_STATES
        )
        if not in_progress:
            if method in ("PUT", "PATCH") and state in ("failed", "canceled", "cancelled"):
                raise ArmError(
                    f"{method} {path}: provisioning {state}",
                    status=response.status,
                    resource_id=self.resource_id(path),
                )
            return response
        headers = {k.lower(): v for k, v in response.headers.items()}
        waited = 0.0
        last = response

        def pause(current: ArmResponse) -> None:
            nonlocal waited
            hinted = parse_retry_after(current.headers)
            delay = max(self._lro_min_interval, hinted or 0.0)
            if waited + delay > self._lro_timeout:
                raise ArmError(
                    f"{method} {path}: still in progress after {waited:.0f}s (timeout {self._lro_timeout:.0f}s)",
                    resource_id=self.resource_id(path),
                )
            waited += delay
            self._sleep(delay)

        async_url = headers.get("azure-asyncoperation")
        location = headers.get("location")
        if async_url:
            while True:
                pause(last)
                last = self._call("GET", async_url, resource=path)
                status = str(last.body.get("status") or "").lower()
                if status in _TERMINAL_STATES:
                    break
            if status != "succeeded":
                code, message = _error_parts(last.body)
                raise ArmError(
                    f"{method} {path}: operation {status}" + (f": {message}" if message else ""),
                    code=code,
                    resource_id=self.resource_id(path),
                )
            if method == "DELETE":
                return last
            final = self._call("GET", location or path, resource=path, params=None if location else params, allow={404})
            return final
        if location:
            while True:
                pause(last)
                last = self._call("GET", location, resource=path, allow={404})
                state = str(last.properties.get("provisioningState") or "").lower()
                if last.status != 202 and (not state or state in _TERMINAL_STATES):
                    return last
        # no headers: poll the resource itself
        while True:
            pause(last)
            last = self._call("GET", path, params=params, allow={404})
            if method == "DELETE":
                if last.status == 404:
                    return last
                continue
            state = str(last.properties.get("provisioningState") or "").lower()
            if last.status != 202 and (not state or state in _TERMINAL_STATES):
                if state in ("failed", "canceled", "cancelled"):
                    raise ArmError(f"{method} {path}: provisioning {state}", resource_id=self.resource_id(path))
                return last


def _decode(response: Any) -> ArmResponse:
    """Turn an azure-core response into an ArmResponse (JSON body when there is one)."""
    try:
        raw = response.text()
    except TypeError:  # legacy transport responses expose text as a method with encoding
        raw = response.text
    text = raw if isinstance(raw, str) else ""
    body: dict[str, Any] = {}
    if text.strip():
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            body = parsed
    headers = dict(response.headers.items())
    etag = next((v for k, v in headers.items() if k.lower() == "etag"), None)
    return ArmResponse(status=int(response.status_code), body=body, etag=etag, headers=headers, text=text)


_PROXY_SETTINGS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def _resolve_verify(ca_bundle: str | None) -> Any:
    """The TLS trust to use: the given bundle, else REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE, else the system's.

    Resolved once here so requests need not re-read the environment on every request.
    """
    import os

    return ca_bundle or os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def _default_transport(ca_bundle: str | None, parallelism: int) -> Any:
    """A requests transport whose pool holds a connection per slot (the default 10 would thrash).

    requests re-reads proxy variables and ``~/.netrc`` on EVERY request when ``trust_env`` is on
    (about 2 ms of CPU each); it is switched off unless a proxy variable is set (the CA bundle
    variables are resolved once by ``_resolve_verify``).
    """
    import os

    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    session.trust_env = any(name.lower() in _PROXY_SETTINGS for name, value in os.environ.items() if value)
    adapter = HTTPAdapter(
        pool_connections=4,
        pool_maxsize=max(10, parallelism * 2),
        max_retries=Retry(total=False, redirect=False, raise_on_status=False),
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return RequestsTransport(session=session, session_owner=True, connection_verify=_resolve_verify(ca_bundle))


def _is_a_port(client: ArmClient) -> ArmPort:
    """Nothing at run time: mypy checks here that ``ArmClient`` still provides every ``ArmPort`` member."""
    return client
