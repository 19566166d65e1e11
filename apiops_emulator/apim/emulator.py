"""The public entry point: ``with Emulator(seed="demo") as emu: ...``.

Wires the store, the ARM app, the internal app and the TLS server together, applies the seed,
and exposes what a client needs (URL, CA bundle, ids, token) plus the test knobs' statistics.
"""
from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
from typing import Any

from . import plugins
from .arm_app import ArmApp
from .blobs import PREFIX as BLOB_PREFIX, BlobStore
from .certs import generate
from .context import Env, ServiceInfo
from ..http import App, Response
from .internal_app import InternalApp
from .knobs import FaultInjector, Stats, Throttle
from .locate import Locator, RevisionIndex
from .server import Server
from .service import create_builtins
from .store import SqlitePersistence, Store

log = logging.getLogger(__name__)

CANONICAL_TOKEN = "apiops-emulator-token"


class Emulator:
    """A local APIM management plane on ``https://<host>:<port>``.

    ``seed``: None (built-ins only), ``"demo"`` (seed.demo_requests), ``"demo-secrets"`` (only the demo's secret named values:
    a target environment with its secrets provisioned) or ``"generated:<apis>:<ops>"``.
    ``fault_rate``: share of API requests answered 429/500/503/dropped (reproducible per
    ``fault_seed``); ``throttle``: ARM token buckets per caller; ``state_file``: SQLite file that
    keeps the state across restarts (the seed is applied only to an empty state);
    ``lenient``: accept PATCH/DELETE without If-Match, skip required-property checks and skip the
    reference checks of ``integrity.py`` (dangling named values, fragments, backends, loggers,
    version sets, link targets; deleting a fragment in use). Malformed policy XML is refused in
    both modes, as the service does.
    ``logger_secrets``: store a logger's literal ``instrumentationKey``/``connectionString`` in an
    auto-created secret named value ``Logger-Credentials--<hex>`` and return the reference, as the
    service does (``loggers.py``). On by default; False keeps literals as sent.
    """

    def __init__(self, seed: str | None = None, latency_ms: int = 0, fault_rate: float = 0.0,
                 fault_seed: int | None = None, throttle: bool = False, state_file: str | None = None,
                 lenient: bool = False, host: str = "127.0.0.1", port: int = 0, logger_secrets: bool = True,
                 service: ServiceInfo | None = None, apps: list[App] | None = None) -> None:
        self.seed = seed
        self.host = host
        self.requested_port = port
        self.service = service or ServiceInfo()
        self.token = CANONICAL_TOKEN
        self._stats = Stats()
        self._blobs = BlobStore()
        self._store = Store(SqlitePersistence(state_file) if state_file else None)
        revisions = RevisionIndex(self._store)
        self._env = Env(service=self.service, store=self._store, revisions=revisions,
                        locator=Locator(self._store, revisions), blobs=self._blobs, lenient=lenient,
                        logger_secrets=logger_secrets,
                        base_url=lambda: self.url)
        self.arm = ArmApp(self._env, self._stats, FaultInjector(fault_rate, fault_seed), Throttle(throttle), latency_ms)
        self._extra_apps = list(apps or [])
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._tmpdir: str | None = None
        self.ca_bundle = ""

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> "Emulator":
        self._tmpdir = tempfile.mkdtemp(prefix="apiops-emulator-")
        certs = generate(self._tmpdir)
        self.ca_bundle = certs.ca_bundle
        apps: list[App] = [*self._extra_apps, InternalApp(self._stats, self._blobs), self.arm]
        self._server = Server(self.host, self.requested_port, certs.cert_chain, certs.private_key, apps)
        port = self._server.port
        self._env.own_hosts.update({f"{self.host}:{port}".lower(), f"127.0.0.1:{port}", f"localhost:{port}",
                                    f"[::1]:{port}"})
        if self._store.empty:
            with self._store.lock:
                create_builtins(self._store, self.service)
                self._apply_seed()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="apiops-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._store.close()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what clients need ----------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("The emulator is not running.")
        return self._server.port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    @property
    def subscription_id(self) -> str:
        return self.service.subscription_id

    @property
    def resource_group(self) -> str:
        return self.service.resource_group

    @property
    def service_name(self) -> str:
        return self.service.service_name

    @property
    def service_url(self) -> str:
        """Absolute URL of the service resource (prefix of every entity URL)."""
        return f"{self.url}{self.service.path}"

    def connection_info(self) -> dict[str, str]:
        return {"url": self.url, "ca_bundle": self.ca_bundle, "subscription_id": self.subscription_id,
                "resource_group": self.resource_group, "service_name": self.service_name, "token": self.token}

    def environment(self) -> dict[str, str]:
        """Environment variables the apiops client reads to talk to this emulator."""
        return {"APIOPS_ARM_ENDPOINT": self.url, "APIOPS_CA_BUNDLE": self.ca_bundle,
                "AZURE_BEARER_TOKEN": self.token, "AZURE_SUBSCRIPTION_ID": self.subscription_id,
                "AZURE_RESOURCE_GROUP_NAME": self.resource_group, "API_MANAGEMENT_SERVICE_NAME": self.service_name}

    # -- knobs and helpers ------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        self._stats.reset()

    def mount(self, app: App) -> None:
        """Mount another app (e.g. an Azure DevOps emulator under ``/devops/``) ahead of ours."""
        if self._server is None:
            self._extra_apps.append(app)
        else:
            self._server.mount(app)

    def put_blob(self, text: str, content_type: str = "application/octet-stream") -> str:
        """Serve a document from the emulator (for ``*-link`` imports); returns its URL."""
        return f"{self.url}{BLOB_PREFIX}{self._blobs.put(text, content_type)}"

    def apply(self, method: str, relative_path: str, body: dict[str, Any] | None = None) -> Response:
        """Apply one service-relative request directly (no auth, knobs or stats)."""
        return self.arm.apply(method, relative_path, body, self.url)

    def _apply_seed(self) -> None:
        if not self.seed:
            return
        module = plugins.seed()
        if self.seed == "demo":
            requests = module.demo_requests()
        elif self.seed == "demo-secrets":
            requests = module.demo_secret_requests()
        elif self.seed.startswith("generated"):
            _, _, spec = self.seed.partition(":")
            apis, _, operations = spec.partition(":")
            requests = module.generated_requests(int(apis or 20), int(operations or 5))
        else:
            raise ValueError(f"Unknown seed {self.seed!r}; use 'demo', 'demo-secrets' or 'generated:<apis>:<operations>'.")
        base = f"https://127.0.0.1:{self.port}" if self._server else ""
        for method, path, body in requests:
            response = self.arm.apply(method, path, body, base)
            if response.status >= 400:
                raise RuntimeError(f"seed request {method} {path} failed: {response.status} {response.body[:300]!r}")


def ready_document(emulator: Emulator) -> str:
    return json.dumps(emulator.connection_info())
