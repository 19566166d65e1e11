"""Pure data: resources, the state of an instance or a tree, and the plan that closes the gap.

Desired state (read from the artifacts tree, with overrides) and current state (read from an
APIM instance, or from the tree at an older commit) are the same ``State`` type, so they can be
compared directly — the extractor writes exactly what the reader reads back.

Bodies are kept as plain JSON dicts (``{"properties": {...}}``, plus ``name`` for v7 link files),
never as per-kind classes: unknown and future properties survive untouched.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Iterator, Mapping

from .kinds import KIND_BY_NAME, Kind, fill, level_of

__all__ = [
    "ResourceKey",
    "Resource",
    "SourceLocation",
    "State",
    "Action",
    "Plan",
    "PLAN_FORMAT_VERSION",
    "TARGET_FIELDS",
    "canonical_json",
    "content_hash",
    "split_revision",
    "revision_name",
    "REVISION_MARK",
]

#: how an API revision is named in ARM: ``echo;rev=2`` (the only place that spells it)
REVISION_MARK = ";rev="


def split_revision(name: str) -> tuple[str, str | None]:
    """``("echo", "2")`` for ``echo;rev=2``, ``("echo", None)`` for ``echo``.

    Why one function: an API revision is a separate ARM resource named after its root API, and
    every engine needs the root (ordering, links, deletes); four private copies used to parse it.
    """
    root, mark, revision = name.partition(REVISION_MARK)
    return (root, revision) if mark else (name, None)


def revision_name(root: str, revision: str | int) -> str:
    """The ARM name of revision ``revision`` of the API ``root`` (``echo;rev=2``)."""
    return f"{root}{REVISION_MARK}{revision}"

PLAN_FORMAT_VERSION = 1

#: what names the instance a plan was made for (``Plan.target``), besides the commit
TARGET_FIELDS: tuple[str, ...] = ("subscription", "resourceGroup", "service")


def _fold(name: str) -> str:
    return name.casefold()


@dataclass(frozen=True)
class ResourceKey:
    """Identity of a resource: its kind, its name path from the root, and its workspace (if any).

    Names compare case-insensitively, as ARM does; ``names`` keeps the spelling that was read
    so files and URLs use it. ``api`` revisions keep their ``;rev=N`` suffix in the name.
    """

    kind: str
    names: tuple[str, ...]
    workspace: str | None = None
    _folded: tuple[str, tuple[str, ...], str | None] = field(init=False, repr=False, compare=False, hash=False)
    _hash: int = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.kind not in KIND_BY_NAME:
            raise ValueError(f"unknown kind {self.kind!r}")
        # keys are hashed millions of times while planning and scheduling: fold once
        folded = (
            self.kind,
            tuple(_fold(n) for n in self.names),
            _fold(self.workspace) if self.workspace else None,
        )
        object.__setattr__(self, "_folded", folded)
        object.__setattr__(self, "_hash", hash(folded))

    @property
    def row(self) -> Kind:
        return KIND_BY_NAME[self.kind]

    @property
    def folded(self) -> tuple[str, tuple[str, ...], str | None]:
        """The comparison identity (case-insensitive names)."""
        return self._folded

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ResourceKey) and self._hash == other._hash and self._folded == other._folded

    def __hash__(self) -> int:
        return self._hash

    def __lt__(self, other: "ResourceKey") -> bool:
        return self.sort_key() < other.sort_key()

    def sort_key(self) -> tuple[int, str, str, tuple[str, ...]]:
        return (level_of(self.kind), self.kind, _fold(self.workspace or ""), tuple(_fold(n) for n in self.names))

    @property
    def arm_path(self) -> str:
        """Path relative to the service, e.g. ``apis/echo;rev=2/policies/policy`` (not URL-encoded)."""
        return fill(self.row.arm_template(self.workspace), self.names, self.workspace)

    @property
    def api_index(self) -> int | None:
        """Which of ``names`` is an API's name (per the row's ARM path, ``apis/{i}``); None if none."""
        return _api_index(self.kind)

    @property
    def api_name(self) -> str | None:
        """The API this key belongs to or links, as named (``echo;rev=2``); None for other kinds."""
        index = self.api_index
        return self.names[index] if index is not None and index < len(self.names) else None

    @property
    def api_root(self) -> str | None:
        """The root API's name (``echo`` for anything under or linking ``echo;rev=2``); None if no API."""
        name = self.api_name
        return None if name is None else split_revision(name)[0]

    @property
    def revision(self) -> str | None:
        """The revision number the API name carries (``"2"`` for ``echo;rev=2``); None when it names none."""
        name = self.api_name
        return None if name is None else split_revision(name)[1]

    @property
    def root_api_key(self) -> "ResourceKey | None":
        """The key of the root API this key belongs to or links (``api a`` for ``apis/a;rev=2/...``)."""
        root = self.api_root
        return None if root is None else ResourceKey(_API_KIND, (root,), self.workspace)

    def with_api_root(self) -> "ResourceKey":
        """The same key with its API name reduced to the root API (itself when no revision is named)."""
        index = self.api_index
        if index is None or self.revision is None:
            return self
        names = list(self.names)
        names[index] = split_revision(names[index])[0]
        return ResourceKey(self.kind, tuple(names), self.workspace)

    @property
    def name(self) -> str:
        """The last name of the path (the resource's own ARM name)."""
        return self.names[-1] if self.names else "policy"

    @property
    def parent(self) -> "ResourceKey | None":
        parent = self.row.parent
        if parent is None:
            if self.workspace and self.kind != "workspace":
                return ResourceKey("workspace", (self.workspace,))
            return None
        arity = KIND_BY_NAME[parent].arity
        return ResourceKey(parent, self.names[:arity], self.workspace)

    def __str__(self) -> str:
        scope = f"workspaces/{self.workspace}/" if self.workspace else ""
        return f"{self.kind} {scope}{'/'.join(self.names) or '(service)'}"


#: the kind whose names carry revisions (``;rev=N``)
_API_KIND = "api"


@lru_cache(maxsize=None)
def _api_index(kind_name: str) -> int | None:
    match = re.search(r"(?:^|/)apis/\{(\d+)\}", KIND_BY_NAME[kind_name].arm_path)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class SourceLocation:
    """Where a resource (or a value inside it) came from, for errors with file and line."""

    path: str
    line: int | None = None


@dataclass(frozen=True)
class Resource:
    """One resource: its key, its JSON body, and the text of the file it owns (if any).

    ``content`` is the raw text of ``policy.xml`` or of the specification file, byte-for-byte
    as read (policy XML is often not well-formed XML: never round-trip it through a parser).
    ``content_format`` is the ARM import/policy format that goes with it (``rawxml``,
    ``openapi``, ``openapi+json``, ``swagger-json``, ``wadl-xml``, ``wsdl``, ``graphql``), and
    ``content_ext`` the file extension it was read from or should be written with.
    """

    key: ResourceKey
    body: Mapping[str, Any] = field(default_factory=dict)
    content: str | None = None
    content_format: str | None = None
    content_ext: str | None = None
    source: SourceLocation | None = None

    @property
    def properties(self) -> Mapping[str, Any]:
        value = self.body.get("properties")
        return value if isinstance(value, Mapping) else {}

    def fingerprint(self) -> str:
        """A stable hash of what would be sent, so a saved plan can prove it is applied as reviewed."""
        return content_hash({"body": self.body, "content": self.content, "format": self.content_format})


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the form hashes and semantic comparisons use."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:16]


class State:
    """A set of resources keyed by ``ResourceKey`` (case-insensitive). No I/O."""

    def __init__(self, resources: Iterable[Resource] = ()) -> None:
        self._items: dict[ResourceKey, Resource] = {}
        for resource in resources:
            self.add(resource)

    def add(self, resource: Resource) -> None:
        self._items[resource.key] = resource

    def remove(self, key: ResourceKey) -> None:
        self._items.pop(key, None)

    def get(self, key: ResourceKey) -> Resource | None:
        return self._items.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[Resource]:
        return iter(sorted(self._items.values(), key=lambda r: r.key.sort_key()))

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> list[ResourceKey]:
        return sorted(self._items)

    def of_kind(self, kind_name: str) -> list[Resource]:
        return [r for r in self if r.key.kind == kind_name]

    def children(self, key: ResourceKey) -> list[Resource]:
        """Resources whose parent chain reaches ``key``."""
        found = []
        for resource in self:
            parent = resource.key.parent
            while parent is not None:
                if parent == key:
                    found.append(resource)
                    break
                parent = parent.parent
        return found


@dataclass(frozen=True)
class Action:
    """One step of a plan: put or delete one resource, with the reason and what was observed.

    ``etag`` is the ETag read from the target when planning (None when the resource did not
    exist, or the kind has none); apply checks it to refuse a target that drifted since.
    ``fingerprint`` is the desired resource's fingerprint for puts, so apply can prove that it
    sends what was reviewed. ``diff`` is a short, secret-masked list of changed properties.
    """

    verb: str  # "put" | "delete"
    key: ResourceKey
    reason: str
    etag: str | None = None
    fingerprint: str | None = None
    diff: tuple[str, ...] = ()
    depends_on: tuple[ResourceKey, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "verb": self.verb,
            "kind": self.key.kind,
            "names": list(self.key.names),
            "workspace": self.key.workspace,
            "armPath": self.key.arm_path,
            "reason": self.reason,
            "etag": self.etag,
            "fingerprint": self.fingerprint,
            "diff": list(self.diff),
            "dependsOn": [
                {"kind": d.kind, "names": list(d.names), "workspace": d.workspace} for d in self.depends_on
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Action":
        return cls(
            verb=str(data["verb"]),
            key=ResourceKey(str(data["kind"]), tuple(data["names"]), data.get("workspace")),
            reason=str(data.get("reason", "")),
            etag=data.get("etag"),
            fingerprint=data.get("fingerprint"),
            diff=tuple(data.get("diff", ())),
            depends_on=tuple(
                ResourceKey(str(d["kind"]), tuple(d["names"]), d.get("workspace")) for d in data.get("dependsOn", ())
            ),
        )


@dataclass(frozen=True)
class Plan:
    """Ordered actions: puts in dependency order, then deletes in reverse dependency order.

    A value: rendering (text, Markdown, JSON) and applying live elsewhere. ``target`` names the
    instance (subscription/resource group/service) it was computed against.
    """

    puts: tuple[Action, ...] = ()
    deletes: tuple[Action, ...] = ()
    target: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def actions(self) -> tuple[Action, ...]:
        return self.puts + self.deletes

    @property
    def is_empty(self) -> bool:
        return not self.puts and not self.deletes

    def to_json(self) -> dict[str, Any]:
        return {
            "formatVersion": PLAN_FORMAT_VERSION,
            "target": dict(self.target),
            "puts": [a.to_json() for a in self.puts],
            "deletes": [a.to_json() for a in self.deletes],
            "warnings": list(self.warnings),
            "summary": {"puts": len(self.puts), "deletes": len(self.deletes)},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Plan":
        version = data.get("formatVersion")
        if version != PLAN_FORMAT_VERSION:
            raise ValueError(f"plan format version {version!r} is not supported (expected {PLAN_FORMAT_VERSION})")
        return cls(
            puts=tuple(Action.from_json(a) for a in data.get("puts", ())),
            deletes=tuple(Action.from_json(a) for a in data.get("deletes", ())),
            target=dict(data.get("target", {})),
            warnings=tuple(data.get("warnings", ())),
        )
