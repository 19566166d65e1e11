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
from .behaviours import ApplyContext, behaviour_for, body_for_put
from .model import Action, Plan, ResourceKey, State
from .specs import IMPORT_FORMATS as SPEC_FORMATS  # noqa: F401 - re-exported (moved to specs.py)

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
        self.put_keys = frozenset(a.key for a in plan.puts)

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

    # the port behaviours get (``behaviours.base.Port``)
    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.arm.get(path, params=params) if params else self.arm.get(path)

    def list(self, path: str) -> Iterable[Mapping[str, Any]]:
        return self.arm.list(path)

    def emit_line(self, kind: str, message: str) -> None:
        self.emit(ProgressEvent(kind, message))

    def _context(self, action: Action) -> ApplyContext:
        return ApplyContext(port=_Port(self), desired=self.desired, planned=self.put_keys,
                            skip=lambda why: self.skip(action, why))

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
        behaviour = behaviour_for(action.key.kind)
        why = behaviour.skip_put(resource)
        if why is not None:
            self.skip(action, why)
            return
        if not behaviour.put(action, resource, self._context(action)):
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

    def _delete(self, action: Action) -> None:
        key = action.key
        why, params = behaviour_for(key.kind).delete_params(action, self._context(action))
        if why is not None:
            self.skip(action, why)
            return
        if not self.delete(key.arm_path, params=params):
            self.skip(action, "already gone")


class _Port:
    """The runner as a behaviour sees it (``behaviours.base.Port``): reads, counted writes, progress."""

    def __init__(self, runner: _Runner) -> None:
        self._runner = runner

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._runner.get(path, params)

    def list(self, path: str) -> Iterable[Mapping[str, Any]]:
        return self._runner.list(path)

    def put(self, path: str, body: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> Any:
        return self._runner.put(path, body, params=params)

    def delete(self, path: str, params: Mapping[str, Any] | None = None) -> bool:
        return self._runner.delete(path, params=params)

    def emit(self, kind: str, message: str) -> None:
        self._runner.emit_line(kind, message)


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
        exclusive=lambda a: a.key.kind if behaviour_for(a.key.kind).one_at_a_time else None,
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
