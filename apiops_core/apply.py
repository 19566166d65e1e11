"""Execute a ``Plan`` against an instance: checks first, then a dependency-ordered, bounded run.

Why a DAG scheduler and not level barriers: a level barrier waits for the slowest resource of a
level before any of the next starts; with per-resource edges an action starts the moment its
own predecessors are done, and a failure stops only what depends on it (independent actions
still finish and are reported). Concurrency is bounded by the ARM client's global semaphore;
the pool here only decides *what* may run.

Before any write, ``apply_plan`` proves that it applies what was reviewed: each put's desired
resource must hash to the planned fingerprint (the artifacts did not change since planning), and
every resource's ETag must still be the one observed at planning (the instance did not drift),
unless ``force``. Nothing here prints: progress is reported as ``ProgressEvent`` values.
"""

from __future__ import annotations

import heapq

import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Hashable, Iterable, Mapping, TypeVar

from .errors import ApiOpsError, ArmError, PreconditionFailed
from .model import Action, Plan, Resource, ResourceKey, State, revision_name
from .plan import UNFINISHED_CREATE

__all__ = [
    "ProgressEvent",
    "ApplyResult",
    "DagOutcome",
    "run_dag",
    "apply_plan",
    "check_fingerprints",
    "check_etags",
    "observe",
    "body_for_put",
    "SPEC_FORMATS",
]

N = TypeVar("N", bound=Hashable)

#: specification file type → ARM import format (and whether ``?import=true`` is needed)
SPEC_FORMATS: dict[str, tuple[str, bool]] = {
    "openapi": ("openapi", False),
    "openapi+json": ("openapi+json", False),
    "swagger-json": ("swagger-json", False),
    "wadl-xml": ("wadl-xml", True),
    "wsdl": ("wsdl", True),
}
#: properties a non-current revision takes from the current one (APIM rejects changing them); never
#: ``serviceUrl``: each revision has its own backend (a revision is how a new backend is tried out)
_INHERITED = ("displayName", "path", "protocols", "type", "description", "subscriptionRequired",
              "apiVersion", "apiVersionSetId", "subscriptionKeyParameterNames", "authenticationSettings")
#: properties an import may reset, restored by a second PUT when they differ afterwards
_KEPT_AFTER_IMPORT = ("description", "displayName", "subscriptionRequired", "serviceUrl", "path", "protocols",
                      "apiVersion", "apiVersionSetId", "apiRevisionDescription", "termsOfServiceUrl", "contact", "license")
_SET_CURRENT_RELEASE = "apiops-set-current"


# -- the scheduler ---------------------------------------------------------------------------

@dataclass
class DagOutcome(Generic[N]):
    """What happened to each node: done, failed (with the error), or blocked by a failed predecessor."""

    done: list[N] = field(default_factory=list)
    failed: dict[N, BaseException] = field(default_factory=dict)
    blocked: dict[N, N] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.blocked


def run_dag(
    nodes: Iterable[N],
    predecessors: Mapping[N, Iterable[N]],
    run: Callable[[N], None],
    *,
    parallelism: int = 8,
    exclusive: Callable[[N], str | None] = lambda node: None,
    on_blocked: Callable[[N, N], None] | None = None,
) -> DagOutcome[N]:
    """Run ``run(node)`` for every node once all its predecessors are done, ``parallelism`` at a time.

    Edges to nodes outside ``nodes`` are ignored. A node whose predecessor failed (or was
    blocked) is not run and is reported as blocked by the failed one; all others still run.
    Nodes that share an ``exclusive`` group run one at a time (named values: APIM re-validates
    every policy when one changes, and concurrent puts race). A cycle is run in input order.
    """
    order = list(dict.fromkeys(nodes))
    members = set(order)
    waiting: dict[N, set[N]] = {n: {p for p in predecessors.get(n, ()) if p in members and p != n} for n in order}
    successors: dict[N, list[N]] = {n: [] for n in order}
    for node, preds in waiting.items():
        for pred in preds:
            successors[pred].append(node)
    outcome: DagOutcome[N] = DagOutcome()
    busy_groups: set[str] = set()
    running: dict[Future[None], N] = {}
    finished: set[N] = set()

    def block(node: N, cause: N) -> None:
        stack = [(node, cause)]
        while stack:
            current, root = stack.pop()
            if current in finished:
                continue
            finished.add(current)
            outcome.blocked[current] = root
            waiting.pop(current, None)
            if on_blocked is not None:
                on_blocked(current, root)
            stack.extend((succ, root) for succ in successors[current])

    # ready nodes in input order: a heap of input positions, so each step costs log n, not a scan
    position = {node: index for index, node in enumerate(order)}
    ready = [position[n] for n in order if not waiting[n]]
    heapq.heapify(ready)
    limit = max(1, parallelism)

    with ThreadPoolExecutor(max_workers=limit, thread_name_prefix="apiops-apply") as pool:
        while waiting or running:
            started = False
            parked: list[int] = []
            while ready and len(running) < limit:
                node = order[heapq.heappop(ready)]
                if node not in waiting or waiting[node]:
                    continue  # already started, blocked, or pushed twice
                group = exclusive(node)
                if group is not None and group in busy_groups:
                    parked.append(position[node])
                    continue
                if group is not None:
                    busy_groups.add(group)
                del waiting[node]
                running[pool.submit(run, node)] = node
                started = True
            for index in parked:
                heapq.heappush(ready, index)
            if not running:
                if waiting and not started:
                    # a cycle: release the first waiting node in input order
                    first = min(waiting, key=position.__getitem__)
                    waiting[first] = set()
                    heapq.heappush(ready, position[first])
                continue
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in done:
                node = running.pop(future)
                group = exclusive(node)
                if group is not None:
                    busy_groups.discard(group)
                finished.add(node)
                error = future.exception()
                if error is None:
                    outcome.done.append(node)
                    for succ in successors[node]:
                        if succ in waiting and node in waiting[succ]:
                            waiting[succ].discard(node)
                            if not waiting[succ]:
                                heapq.heappush(ready, position[succ])
                else:
                    outcome.failed[node] = error
                    for succ in successors[node]:
                        block(succ, node)
    return outcome


# -- events and results ----------------------------------------------------------------------

@dataclass(frozen=True)
class ProgressEvent:
    """One thing that happened: ``kind`` is start, done, skipped, failed, blocked, warning or info."""

    kind: str
    message: str
    action: Action | None = None


@dataclass
class ApplyResult:
    """Outcome of an apply: what was done, skipped, failed or not attempted; and the writes made."""

    done: list[Action] = field(default_factory=list)
    skipped: list[tuple[Action, str]] = field(default_factory=list)
    failed: list[tuple[Action, str]] = field(default_factory=list)
    blocked: list[tuple[Action, str]] = field(default_factory=list)
    writes: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.blocked

    def summary(self) -> dict[str, int]:
        return {
            "puts": sum(1 for a in self.done if a.verb == "put"),
            "deletes": sum(1 for a in self.done if a.verb == "delete"),
            "skipped": len(self.skipped),
            "failed": len(self.failed),
            "blocked": len(self.blocked),
            "writes": self.writes,
        }


# -- checks before any write -----------------------------------------------------------------

def check_fingerprints(plan: Plan, desired: State) -> None:
    """Refuse when the artifacts no longer hash to what was planned (they changed since)."""
    problems = []
    for action in plan.puts:
        resource = desired.get(action.key)
        if resource is None:
            problems.append(f"  {action.key}: no longer in the artifacts")
        elif action.fingerprint and resource.fingerprint() != action.fingerprint:
            problems.append(f"  {action.key}: changed since the plan was made")
    if problems:
        raise PreconditionFailed(
            "the artifacts changed since the plan was made; plan again and review:\n" + "\n".join(problems)
        )


def observe(arm: Any, keys: Iterable[ResourceKey]) -> dict[ResourceKey, tuple[bool, str | None]]:
    """For each key: whether the instance has it and its ETag (reads only, under the global bound)."""
    wanted = [k for k in dict.fromkeys(keys) if k.row.special != "specification"]

    def one(key: ResourceKey) -> tuple[ResourceKey, tuple[bool, str | None]]:
        response = arm.get(key.arm_path, params={"format": "rawxml"} if key.row.is_policy else None)
        if response is None:
            return key, (False, None)
        return key, (True, response.etag or response.headers.get("ETag") or response.body.get("etag"))

    return dict(arm.map(one, wanted))


def _expected_absent(action: Action) -> bool:
    return action.verb == "put" and action.reason.startswith("create")


def check_etags(arm: Any, plan: Plan) -> list[str]:
    """Resources whose ETag (or existence) differs from what the plan observed."""
    keys = [a.key for a in plan.actions if a.etag is not None or _expected_absent(a)]
    seen = observe(arm, keys)
    drifted = []
    for action in plan.actions:
        if action.key not in seen:
            continue
        exists, etag = seen[action.key]
        if _expected_absent(action):
            if exists:
                drifted.append(f"  {action.key}: created in the instance since the plan was made")
        elif action.etag is not None:
            if not exists:
                if action.verb == "put":
                    drifted.append(f"  {action.key}: deleted from the instance since the plan was made")
            elif etag != action.etag:
                drifted.append(f"  {action.key}: changed in the instance since the plan was made (ETag {action.etag} → {etag})")
    return drifted


# -- bodies ------------------------------------------------------------------------------------

def body_for_put(resource: Resource) -> dict[str, Any]:
    """The JSON body sent for a resource: its properties (never the v7 link file's ``name``)."""
    props = dict(resource.properties)
    row = resource.key.row
    if row.content_kind == "policy":
        props["format"] = "rawxml"
        props["value"] = resource.content or ""
    if row.name == "api":
        props.pop("isCurrent", None)
    return {"properties": props} if props or not row.is_link else {}


# -- executing one action -----------------------------------------------------------------------

class _Runner:
    """Executes single actions; counts writes; emits events. One per apply run."""

    def __init__(self, arm: Any, plan: Plan, desired: State, emit: Callable[[ProgressEvent], None]) -> None:
        self.arm = arm
        self.plan = plan
        self.desired = desired
        self.emit = emit
        self.writes = 0
        self._lock = threading.Lock()
        self.skipped: dict[ResourceKey, str] = {}
        self.put_keys = {a.key for a in plan.puts}

    # bookkeeping
    def _count(self, n: int = 1) -> None:
        with self._lock:
            self.writes += n

    def put(self, path: str, body: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> Any:
        response = self.arm.put(path, body, params=params)
        self._count()
        return response

    def delete(self, path: str, params: Mapping[str, Any] | None = None) -> bool:
        deleted = self.arm.delete(path, params=params)
        self._count()
        return bool(deleted)

    def skip(self, action: Action, why: str) -> None:
        self.skipped[action.key] = why

    # dispatch
    def run(self, action: Action) -> None:
        self.emit(ProgressEvent("start", f"{action.verb} {action.key}", action))
        try:
            if action.verb == "put":
                self._put(action)
            else:
                self._delete(action)
        except ArmError as error:
            raise ArmError(f"{action.verb} {action.key}: {error.message}", status=error.status, code=error.code,
                           resource_id=error.resource_id, path=self._source(action.key)) from error
        if action.key in self.skipped:
            self.emit(ProgressEvent("skipped", f"{action.verb} {action.key}: {self.skipped[action.key]}", action))
        else:
            self.emit(ProgressEvent("done", f"{action.verb} {action.key}", action))

    def _source(self, key: ResourceKey) -> str | None:
        resource = self.desired.get(key)
        return resource.source.path if resource is not None and resource.source is not None else None

    def _put(self, action: Action) -> None:
        resource = self.desired.get(action.key)
        if resource is None:
            raise ApiOpsError(f"{action.key} is in the plan but not in the artifacts")
        kind = action.key.kind
        if kind == "named-value":
            from .plan import is_skipped_secret

            if is_skipped_secret(resource):
                self.skip(action, "secret without value or Key Vault reference")
                return
        if kind == "api":
            self._put_api(action, resource)
        elif kind == "api-specification":
            self._put_specification(action, resource)
        elif kind == "product":
            self._put_product(action, resource)
        elif kind == "product-group" and action.key.workspace is None and isinstance(resource.body.get("name"), str) \
                and resource.body.get("name"):
            # the v7 file keeps the link's own name (``developers-link``): put the link under it
            self.put(f"products/{action.key.names[0]}/groupLinks/{resource.body['name']}",
                     {"properties": {"groupId": f"/groups/{action.key.names[1]}"}})
        else:
            self.put(action.key.arm_path, self._unmasked(action, body_for_put(resource)))

    def _unmasked(self, action: Action, body: dict[str, Any]) -> dict[str, Any]:
        """A masked secret (``normalise.MASK``, written by extract) is never sent: the live value is put back."""
        from .normalise import has_masks, unmask

        if not has_masks(action.key, body):
            return body
        live = self.arm.get(action.key.arm_path)
        properties, dropped = unmask(action.key, body["properties"], live.properties if live is not None else None)
        for path in dropped:
            self.emit(ProgressEvent("warning", f"{action.key}: masked secret {path} has no live value; left out", action))
        return {**body, "properties": properties}

    # APIs, revisions, specifications
    def _spec_of(self, key: ResourceKey) -> Resource | None:
        spec_key = ResourceKey("api-specification", key.names, key.workspace)
        if spec_key in self.put_keys:
            return self.desired.get(spec_key)
        return None

    def _api_props(self, resource: Resource) -> dict[str, Any]:
        props = dict(resource.properties)
        for name in ("isCurrent", "format", "value"):
            props.pop(name, None)
        return props

    def _put_api(self, action: Action, resource: Resource) -> None:
        key = action.key
        root, revision = key.api_root or "", key.revision
        props = self._api_props(resource)
        base = key.arm_path.rsplit("/", 1)[0]
        path = key.arm_path
        if revision:
            current = self.arm.get(f"{base}/{root}")
            if current is not None:
                for field_name in _INHERITED:
                    if field_name in current.properties:
                        props[field_name] = current.properties[field_name]
                    else:
                        props.pop(field_name, None)
            props["apiRevision"] = revision
            if self.arm.get(path) is None:  # only a new revision needs its source
                props.setdefault("sourceApiId", f"/apis/{root}")
            props.pop("apiVersionSet", None)
        else:
            path = self._make_current(key, base, root, props)
        spec = self._spec_of(key)
        if spec is not None and spec.content is not None and spec.content_format != "graphql":
            self._import(key, props, spec, path=path)
            return
        self.put(path, {"properties": props})

    def _make_current(self, key: ResourceKey, base: str, root: str, props: dict[str, Any]) -> str:
        """Make the tree's current revision the instance's; return the path the root API is put to.

        A new API whose tree names revision N > 1 is created as ``a;rev=N`` (the first revision of
        an API is current, whatever its number). An existing API whose current revision differs
        gets revision N from ``/apis/a`` if it lacks it, then a release makes N current (Azure/apiops
        #184 ...); the release ``apiops-set-current`` is deleted afterwards unless the tree declares it.
        """
        wanted = str(props.get("apiRevision") or "")
        if not wanted:
            return key.arm_path
        current = self.arm.get(f"{base}/{root}")
        revision_path = f"{base}/{revision_name(root, wanted)}"
        if current is None:
            return key.arm_path if wanted == "1" else revision_path
        have = str(current.properties.get("apiRevision") or "1")
        if wanted == have:
            return key.arm_path
        if self.arm.get(revision_path) is None:
            self.put(revision_path, {"properties": {"apiRevision": wanted, "sourceApiId": f"/apis/{root}"}})
        release_names = {r.key.names[-1].casefold() for r in self.desired.of_kind("api-release")
                         if r.key.names[0].casefold() == root.casefold() and r.key.workspace == key.workspace}
        self.put(f"{base}/{root}/releases/{_SET_CURRENT_RELEASE}",
                 {"properties": {"apiId": f"/apis/{revision_name(root, wanted)}", "notes": "Made current by apiops"}})
        if _SET_CURRENT_RELEASE not in release_names:
            self.delete(f"{base}/{root}/releases/{_SET_CURRENT_RELEASE}")
        self.emit(ProgressEvent("info", f"revision {wanted} of {root} is now current (was {have})"))
        return key.arm_path

    def _import(self, key: ResourceKey, props: dict[str, Any], spec: Resource, *, path: str | None = None) -> None:
        path = path or key.arm_path
        fmt, needs_import = SPEC_FORMATS.get(spec.content_format or "", (spec.content_format or "openapi", False))
        body: dict[str, Any] = {"properties": {**props, "format": fmt, "value": spec.content}}
        params = {"import": "true"} if needs_import else None
        if fmt == "wsdl":
            body["properties"]["apiType"] = "soap"
            body["properties"].pop("type", None)
        response = self.put(path, body, params=params)
        shown = response.properties if response is not None and response.body else {}
        lost = {n: props[n] for n in _KEPT_AFTER_IMPORT if n in props and not _same(shown.get(n), props[n])}
        if shown and lost:
            # the import reset properties the artifacts set (WSDL wipes the description): restore them
            self.put(path, {"properties": props})

    def _put_specification(self, action: Action, resource: Resource) -> None:
        key = action.key
        api_key = ResourceKey("api", key.names, key.workspace)
        if resource.content_format == "graphql":
            self.put(f"{api_key.arm_path}/schemas/graphql", {"properties": {
                "contentType": "application/vnd.ms-azure-apim.graphql.schema",
                "document": {"value": resource.content or ""},
            }})
            return
        if api_key in self.put_keys:
            self.skip(action, "imported with the API's PUT")
            return
        api = self.desired.get(api_key)
        if api is None:
            raise ApiOpsError(f"{key}: a specification needs its API's apiInformation.json")
        props = self._api_props(api)
        if key.revision is not None:
            props.pop("apiVersionSetId", None)
        self._import(api_key, props, resource)

    # products and what APIM adds to new ones
    def _put_product(self, action: Action, resource: Resource) -> None:
        key = action.key
        response = self.put(key.arm_path, body_for_put(resource))
        created = (
            action.reason.startswith("create")
            or action.reason == UNFINISHED_CREATE  # an earlier run was cut short right after the create
            or getattr(response, "status", 0) == 201
        )
        if created:
            self._remove_auto_created(key)

    def _remove_auto_created(self, key: ResourceKey) -> None:
        """APIM gives a new product a subscription and an Administrators link; keep them only if declared."""
        prefix = f"workspaces/{key.workspace}/" if key.workspace else ""
        wanted_subs = {r.key.name.casefold() for r in self.desired.of_kind("subscription") if r.key.workspace == key.workspace}
        scope = f"/products/{key.names[0]}".casefold()
        for item in self.arm.list(f"{prefix}subscriptions"):
            name = str(item.get("name", ""))
            item_scope = str((item.get("properties") or {}).get("scope", "")).casefold()
            if not name or not item_scope.endswith(scope) or name.casefold() in wanted_subs:
                continue
            self.delete(f"{prefix}subscriptions/{name}")
            self.emit(ProgressEvent("info", f"deleted subscription {name} that APIM created with new {key}"))
        link = ResourceKey("product-group", (key.names[0], "administrators"), key.workspace)
        if link not in self.desired and key.workspace is None:
            if self.arm.get(link.arm_path) is not None:
                self.delete(link.arm_path)
                self.emit(ProgressEvent("info", f"removed the Administrators group link APIM added to new {key}"))

    # deletes
    def _delete(self, action: Action) -> None:
        key = action.key
        params: dict[str, str] | None = None
        if key.kind == "api":
            if key.revision:
                current = self.arm.get(key.arm_path)
                if current is not None and current.properties.get("isCurrent"):
                    self.skip(action, "it is the instance's current revision; never deleted alone")
                    return
            else:
                params = {"deleteRevisions": "true"}
        elif key.kind == "product":
            params = {"deleteSubscriptions": "true"}
        if not self.delete(key.arm_path, params=params):
            self.skip(action, "already gone")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    if isinstance(a, str) and isinstance(b, str) and a.startswith("/") and b.startswith("/"):
        return a.casefold().endswith(b.casefold()) or b.casefold().endswith(a.casefold())
    return a == b


def apply_plan(
    arm: Any,
    plan: Plan,
    desired: State,
    *,
    force: bool = False,
    progress: Callable[[ProgressEvent], None] | None = None,
    parallelism: int | None = None,
    verify: bool = True,
) -> ApplyResult:
    """Apply ``plan`` (puts in dependency order, then deletes dependants first); see the module docstring.

    Raises ``PreconditionFailed`` before any write when the artifacts or the instance drifted.
    Returns the result even when some actions failed (``result.ok`` is False then).
    """
    emit = progress or (lambda event: None)
    if verify:
        check_fingerprints(plan, desired)
        if not force:
            drifted = check_etags(arm, plan)
            if drifted:
                raise PreconditionFailed(
                    "the instance changed since the plan was made (use --force to apply anyway):\n" + "\n".join(drifted)
                )
    runner = _Runner(arm, plan, desired, emit)
    result = ApplyResult(warnings=list(plan.warnings))
    bound = parallelism or getattr(arm, "parallelism", 8) or 8
    by_key_put = {a.key: a for a in plan.puts}
    by_key_delete = {a.key: a for a in plan.deletes}

    def record(outcome: DagOutcome[Action]) -> None:
        for action in outcome.done:
            if action.key in runner.skipped:
                result.skipped.append((action, runner.skipped[action.key]))
            else:
                result.done.append(action)
        for action, error in outcome.failed.items():
            result.failed.append((action, str(error)))
            emit(ProgressEvent("failed", f"{action.verb} {action.key}: {error}", action))
        for action, cause in outcome.blocked.items():
            why = f"not attempted: {cause.verb} {cause.key} failed"
            result.blocked.append((action, why))
            emit(ProgressEvent("blocked", f"{action.verb} {action.key}: {why}", action))

    puts = run_dag(
        plan.puts,
        {a: [by_key_put[d] for d in a.depends_on if d in by_key_put] for a in plan.puts},
        runner.run,
        parallelism=bound,
        exclusive=lambda a: "named-value" if a.key.kind == "named-value" else None,
    )
    record(puts)
    if plan.deletes:
        if not puts.ok:
            for action in plan.deletes:
                result.blocked.append((action, "not attempted: some puts failed"))
                emit(ProgressEvent("blocked", f"delete {action.key}: not attempted because some puts failed", action))
        else:
            deletes = run_dag(
                plan.deletes,
                {a: [by_key_delete[d] for d in a.depends_on if d in by_key_delete] for a in plan.deletes},
                runner.run,
                parallelism=bound,
            )
            record(deletes)
    result.writes = runner.writes
    return result
