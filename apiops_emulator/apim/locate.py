"""Turn a service-relative URL path into a :class:`Target`: which route, which entity, which
storage keys.

Why revisions are special: ``apis/echo`` names the *current* revision of ``echo`` while
``apis/echo;rev=2`` names one revision explicitly, and each revision owns its operations,
policies and schemas. Storage therefore keys every API by ``<base>;rev=<n>`` and keeps a small
index of the current revision per API; children of an API (except releases, which belong to the
API as a whole) are stored under the revision key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from .errors import ArmError
from .routes import Route, route_index
from .store import Store

_REV = re.compile(r"^(?P<base>.*?);rev=(?P<rev>[^;]+)$", re.IGNORECASE)
_API_WIDE_CHILDREN = {"releases", "revisions", "tags", "products"}


def split_revision(api_id: str) -> tuple[str, str | None]:
    match = _REV.match(api_id)
    return (match.group("base"), match.group("rev")) if match else (api_id, None)


@dataclass
class Target:
    """A parsed request target.

    ``display_parent`` is the service-relative path of the containing collection as the client
    wrote it (used to build ids); ``coll_key`` is the storage key of that collection;
    ``entity_id`` is ``None`` for collection requests; ``action`` is a POST action name.
    """

    route: Route
    display_parent: str
    coll_key: str
    entity_id: str | None
    action: str | None
    scope_key: str                       # "" or "workspaces/<ws>/" (lower-case)
    parents: list[tuple[str, str, str]]  # (coll_key, name, display collection) of every ancestor

    @property
    def display_path(self) -> str:
        return f"{self.display_parent}/{self.entity_id}" if self.entity_id is not None else self.display_parent


class RevisionIndex:
    """Which revision of each API is current, derived from the stored ``isCurrent`` flags."""

    def __init__(self, store: Store) -> None:
        self._current: dict[str, str] = {}
        for coll in store.all_collections():
            if coll == "apis" or (coll.startswith("workspaces/") and coll.count("/") == 2 and coll.endswith("/apis")):
                for entity in store.list(coll):
                    if entity.properties.get("isCurrent"):
                        base, rev = split_revision(entity.name)
                        self._current[f"{coll}/{base.lower()}"] = rev or "1"

    def current(self, apis_coll: str, base: str) -> str | None:
        return self._current.get(f"{apis_coll.lower()}/{base.lower()}")

    def set_current(self, apis_coll: str, base: str, rev: str) -> None:
        self._current[f"{apis_coll.lower()}/{base.lower()}"] = rev

    def forget(self, apis_coll: str, base: str) -> None:
        self._current.pop(f"{apis_coll.lower()}/{base.lower()}", None)


class Locator:
    """Parses paths against the route table."""

    def __init__(self, store: Store, revisions: RevisionIndex) -> None:
        self._index = route_index()
        self._store = store
        self._revisions = revisions

    def api_key(self, apis_coll: str, api_id: str) -> str:
        """Storage name (``base;rev=n``) for an API id; an id without revision means the current
        one (or revision 1 when the API does not exist yet)."""
        base, rev = split_revision(api_id)
        if rev is None:
            rev = self._revisions.current(apis_coll, base) or "1"
        return f"{base};rev={rev}"

    def locate(self, relative: str) -> Target:
        segments = [unquote(part) for part in relative.split("/") if part != ""]
        collections = segments[0::2]
        ids = segments[1::2]
        lowered = tuple(c.lower() for c in collections)
        action = None
        route = self._index.get(lowered)
        if route is None and len(segments) % 2 == 1 and len(collections) > 1:
            candidate = self._index.get(lowered[:-1])
            if candidate is not None and any(a.lower() == lowered[-1] for a in candidate.actions):
                route = candidate
                action = next(a for a in candidate.actions if a.lower() == lowered[-1])
                collections = collections[:-1]
        if route is None:
            raise ArmError(404, "ResourceNotFound", f"The requested path '{relative}' does not exist.")
        entity_id = ids[-1] if len(ids) == len(collections) else None
        parent_ids = ids[:-1] if entity_id is not None else ids
        scope_key = f"workspaces/{ids[0].lower()}/" if lowered[0] == "workspaces" and len(collections) > 1 else ""
        parents: list[tuple[str, str, str]] = []
        key_path = ""
        display_path = ""
        for position, (coll, ident) in enumerate(zip(collections, parent_ids, strict=False)):
            coll_key = f"{key_path}{coll.lower()}"
            name = ident
            is_api = coll.lower() == "apis" and (position == 0 or (position == 1 and scope_key))
            next_coll = lowered[position + 1] if position + 1 < len(collections) else ""
            if is_api:
                name = self.api_key(coll_key, ident)
                if next_coll in _API_WIDE_CHILDREN and not (next_coll == "tags" and position + 2 < len(collections)):
                    name = split_revision(ident)[0]
                    # API-wide children hang below the API's base name; the parent check still uses a revision.
                    parents.append((coll_key, self.api_key(coll_key, ident), coll))
                    key_path = f"{coll_key}/{name.lower()}/"
                    display_path = f"{display_path}{coll}/{ident}/"
                    continue
            parents.append((coll_key, name, coll))
            key_path = f"{coll_key}/{name.lower()}/"
            display_path = f"{display_path}{coll}/{ident}/"
        last = collections[-1]
        return Target(route=route, display_parent=f"{display_path}{last}", coll_key=f"{key_path}{last.lower()}",
                      entity_id=entity_id, action=action, scope_key=scope_key, parents=parents)
