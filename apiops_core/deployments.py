"""The deployment record: which commit is live in an instance, kept in the instance itself.

Where it lives and why (docs/ENVIRONMENTS.md): ARM tags on the API Management service resource.
Anyone who may read the instance (the built-in Reader role, ``Microsoft.ApiManagement/service/read``)
reads it with the one GET of the service; nothing users manage is touched (a named value would
appear in every extract and be deleted by ``--prune``; tags on the service are outside the
artifacts); it survives on the instance, not in a pipeline's retention. Writing is one PATCH of
the service's ``tags`` (``ApiManagementService_Update``) that keeps every tag it does not own.

ARM limits a resource to 50 tags of at most 256 characters, so the record is compact: one tag
``apiops-live`` with the newest record, ``apiops-live-run`` with its pipeline run URL, and
``apiops-history-1`` … ``-N`` with the previous ones (bounded: the oldest falls off). Every value
is digests and identifiers only: the rendered-tree digest masks secret fields before hashing
(never a digest of a secret), and the override digest hashes the file as written in Git (its
``{#tokens#}``, not their values).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import quote

from .model import State, canonical_json

if TYPE_CHECKING:  # pragma: no cover
    from .model import Plan

__all__ = [
    "Deployment", "Records", "TAG_LIVE", "TAG_RUN", "HISTORY", "read_records", "write_record",
    "body_digests", "rendered_digest", "plan_digest", "file_digest", "run_url", "utc_now", "build_id", "describe",
]

TAG_LIVE = "apiops-live"
TAG_RUN = "apiops-live-run"
TAG_HISTORY = "apiops-history-"
HISTORY = 10
MAX_TAGS = 50
MAX_VALUE = 256

#: record field ↔ short tag key (short keys: ARM tag values hold 256 characters)
_FIELDS = (("commit", "c"), ("result", "r"), ("at", "t"), ("kind", "k"), ("plan", "p"), ("rendered", "b"),
           ("source", "s"), ("overrides", "o"), ("resources", "n"), ("writes", "w"), ("dirty", "d"),
           ("previous", "f"), ("verified_in", "v"), ("build", "u"))
_OPTIONAL = ("verified_in", "previous", "build", "overrides")    # dropped (in this order) if too long


@dataclass(frozen=True)
class Deployment:
    """One publish (or apply, or rollback) of an instance, as recorded on it.

    ``result`` is ``ok`` (everything planned landed), ``partial`` (some writes failed or were not
    attempted) or ``failed`` (nothing landed): only an ``ok`` record says its commit is live.
    ``rendered`` is the digest of every rendered body of the tree that was published (after the
    environment's overrides and tokens; secret fields masked); ``source`` the same digest of the
    tree before overrides (equal in two environments that run the same tree), ``overrides`` the
    digest of the override file as written. ``previous`` is the commit that was live before (set
    by rollbacks), ``verified_in`` the environment ``--require-live-in`` checked.
    """

    commit: str = ""
    result: str = "ok"
    at: str = ""
    kind: str = "publish"
    plan: str = ""
    rendered: str = ""
    source: str = ""
    overrides: str = ""
    resources: int = 0
    writes: int = 0
    dirty: bool = False
    previous: str = ""
    verified_in: str = ""
    build: str = ""

    @property
    def live(self) -> bool:
        return self.result == "ok"

    def encode(self) -> str:
        """``c=…;r=ok;t=…`` — at most 256 characters (optional fields dropped first)."""
        values = {name: getattr(self, name) for name, _ in _FIELDS}
        values["dirty"] = "1" if self.dirty else ""
        for drop in (None,) + _OPTIONAL:
            if drop is not None:
                values[drop] = ""
            text = ";".join(f"{short}={_clean(values[name])}" for name, short in _FIELDS if values[name] not in ("", None))
            if len(text) <= MAX_VALUE:
                return text
        return text[:MAX_VALUE]

    @classmethod
    def decode(cls, text: str | None) -> "Deployment | None":
        """The record in a tag value; None for anything that is not one (never an error)."""
        if not text or "=" not in text:
            return None
        by_short = {short: name for name, short in _FIELDS}
        values: dict[str, Any] = {}
        for part in text.split(";"):
            short, _, value = part.partition("=")
            name = by_short.get(short.strip())
            if name is not None:
                values[name] = value.strip()
        if not values.get("commit") and not values.get("rendered"):
            return None
        try:
            values["resources"] = int(values.get("resources") or 0)
            values["writes"] = int(values.get("writes") or 0)
        except ValueError:
            return None
        values["dirty"] = values.get("dirty") == "1"
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name, _ in _FIELDS}


def _clean(value: Any) -> str:
    return str(value).replace(";", ",").replace("=", ":")


@dataclass(frozen=True)
class Records:
    """What an instance says about itself: the newest record, its run URL, and older ones (newest first)."""

    latest: Deployment | None = None
    run_url: str = ""
    history: tuple[Deployment, ...] = ()
    other_tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def all(self) -> tuple[Deployment, ...]:
        return ((self.latest,) if self.latest else ()) + self.history

    @property
    def live(self) -> Deployment | None:
        """The newest record whose publish fully landed (what the instance is known to run)."""
        return next((record for record in self.all if record.live), None)


def _split(tags: Mapping[str, Any]) -> Records:
    ours = {k.casefold(): v for k, v in tags.items() if k.casefold().startswith(("apiops-live", TAG_HISTORY))}
    history = []
    for index in range(1, HISTORY + 1):
        record = Deployment.decode(ours.get(f"{TAG_HISTORY}{index}"))
        if record is not None:
            history.append(record)
    others = {k: v for k, v in tags.items() if not k.casefold().startswith(("apiops-live", TAG_HISTORY))}
    return Records(Deployment.decode(ours.get(TAG_LIVE)), str(ours.get(TAG_RUN) or ""), tuple(history), others)


def read_records(arm: Any) -> Records:
    """One GET of the service resource (a Reader can do it); no record yet gives empty ``Records``."""
    response = arm.get("")
    tags = response.body.get("tags") if response is not None else None
    return _split(tags if isinstance(tags, Mapping) else {})


def write_record(arm: Any, record: Deployment, run: str = "") -> Records:
    """Make ``record`` the newest one: the previous newest moves to history, the oldest falls off.

    One GET and one PATCH of the service's tags; every tag apiops does not own is sent back as
    it was (an ARM PATCH replaces the tag set). History shrinks to fit ARM's 50-tag limit.
    """
    current = read_records(arm)
    history = list(current.all)
    tags: dict[str, str] = {str(k): str(v) for k, v in current.other_tags.items()}
    tags[TAG_LIVE] = record.encode()
    if run and len(run) <= MAX_VALUE:
        tags[TAG_RUN] = run
    room = max(0, min(HISTORY, MAX_TAGS - len(tags)))
    for index, old in enumerate(history[:room], start=1):
        tags[f"{TAG_HISTORY}{index}"] = old.encode()
    arm.patch("", {"tags": tags})
    return _split(tags)


# -- digests ------------------------------------------------------------------------------------

def _masked_body(resource: Any) -> dict[str, Any]:
    """The body with every secret field replaced, so no digest is ever computed over a secret."""
    body = json.loads(json.dumps(resource.body, default=str))
    paths = tuple(resource.key.row.secret_fields)
    if resource.key.kind == "named-value" and not resource.properties.get("secret"):
        paths = tuple(p for p in paths if p != "properties.value")  # a plain value is no secret (as in plan.py)
    for path in paths:
        steps = path.split(".")
        current: Any = body
        for step in steps[:-1]:
            current = current.get(step) if isinstance(current, dict) else None
        if isinstance(current, dict) and steps[-1] in current and current[steps[-1]] not in (None, ""):
            current[steps[-1]] = "***"
    return body


def body_digests(state: State) -> dict[str, str]:
    """Resource key → digest of its rendered body and content (secret fields masked)."""
    digests = {}
    for resource in state:
        value = {"body": _masked_body(resource), "content": resource.content, "format": resource.content_format}
        digests[str(resource.key)] = hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
    return digests


def rendered_digest(state: State | Mapping[str, str]) -> str:
    """One digest over every body's digest, in key order (16 hex characters)."""
    digests = body_digests(state) if isinstance(state, State) else dict(state)
    lines = "\n".join(f"{key}\t{digests[key]}" for key in sorted(digests))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()[:16]


def plan_digest(plan: "Plan") -> str:
    """Digest of the plan as saved (every action, its fingerprint and the ETag it expects)."""
    return hashlib.sha256(canonical_json(plan.to_json()).encode("utf-8")).hexdigest()[:16]


def file_digest(text: str | bytes | None) -> str:
    if text is None:
        return ""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:16]


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_url(environ: Mapping[str, str]) -> str:
    """The Azure Pipelines run that is publishing (empty outside a pipeline)."""
    collection = (environ.get("SYSTEM_COLLECTIONURI") or "").strip()
    project = (environ.get("SYSTEM_TEAMPROJECT") or "").strip()
    build = build_id(environ)
    if not (collection and project and build):
        return ""
    return f"{collection.rstrip('/')}/{quote(project)}/_build/results?buildId={quote(build)}"


def build_id(environ: Mapping[str, str]) -> str:
    return (environ.get("BUILD_BUILDID") or "").strip()


def describe(record: Deployment | None) -> str:
    """``abc1234 (ok, 2026-…)`` for a line of text."""
    if record is None:
        return "no deployment record"
    commit = record.commit[:12] if record.commit else "(no commit)"
    dirty = "+local changes" if record.dirty else ""
    return f"{commit}{dirty} ({record.kind} {record.result}, {record.at or 'time unknown'})"
