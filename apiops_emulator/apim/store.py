"""Entity store: collections of entities keyed case-insensitively, with optional SQLite write-through.

Why this shape: APIM ids are case-insensitive but keep their spelling, and every entity lives in a
collection addressed by its parent path (``apis/echo;rev=1/operations``). Keeping collections as
insertion-ordered dicts makes GET O(1) and listing cheap; child collections are found by key
prefix, which gives cascading deletes for free. One re-entrant lock serialises every read and
write (requests are short, so a single lock is simpler and fast enough).
"""
from __future__ import annotations

import base64
import builtins
import itertools
import json
import os
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Any, Iterator


@dataclass
class Entity:
    """One stored resource: its id as first written, its ``properties`` and its current ETag."""

    name: str
    properties: dict[str, Any]
    etag: str
    extra: dict[str, Any] = field(default_factory=dict)   # emulator-private data (secrets, keys)

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "properties": self.properties, "etag": self.etag, "extra": self.extra})

    @classmethod
    def from_json(cls, text: str) -> "Entity":
        data = json.loads(text)
        return cls(data["name"], data["properties"], data["etag"], data.get("extra", {}))


class SqlitePersistence:
    """Write-through copy of the store in one SQLite file, so a sandbox survives restarts."""

    def __init__(self, path: str) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS entities (coll TEXT NOT NULL, name TEXT NOT NULL, "
                         "data TEXT NOT NULL, PRIMARY KEY (coll, name))")

    def load(self) -> Iterator[tuple[str, str, Entity]]:
        for coll, name, data in self._db.execute("SELECT coll, name, data FROM entities ORDER BY rowid"):
            yield coll, name, Entity.from_json(data)

    def upsert(self, coll: str, name: str, entity: Entity) -> None:
        self._db.execute("INSERT INTO entities (coll, name, data) VALUES (?, ?, ?) "
                         "ON CONFLICT(coll, name) DO UPDATE SET data = excluded.data", (coll, name, entity.to_json()))

    def delete(self, coll: str, name: str) -> None:
        self._db.execute("DELETE FROM entities WHERE coll = ? AND name = ?", (coll, name))

    def delete_prefix(self, prefix: str) -> None:
        self._db.execute("DELETE FROM entities WHERE substr(coll, 1, ?) = ?", (len(prefix), prefix))

    def close(self) -> None:
        self._db.close()


class Store:
    """All emulator state. Callers hold :attr:`lock` around multi-step read-modify-write work."""

    def __init__(self, persistence: SqlitePersistence | None = None) -> None:
        self.lock = threading.RLock()
        self._collections: dict[str, dict[str, Entity]] = {}
        self._persistence = persistence
        self._etag_counter = itertools.count(1)
        self._etag_salt = os.urandom(4)
        if persistence is not None:
            for coll, name, entity in persistence.load():
                self._collections.setdefault(coll, {})[name] = entity

    @property
    def empty(self) -> bool:
        return not any(self._collections.values())

    def new_etag(self) -> str:
        """An opaque, quoted ETag, different on every write (also across restarts: salted)."""
        raw = self._etag_salt + next(self._etag_counter).to_bytes(8, "big")
        return '"' + base64.b64encode(raw).decode("ascii") + '"'

    def get(self, coll: str, name: str) -> Entity | None:
        bucket = self._collections.get(coll.lower())
        return None if bucket is None else bucket.get(name.lower())

    def list(self, coll: str) -> list[Entity]:
        return list(self._collections.get(coll.lower(), {}).values())

    def put(self, coll: str, entity: Entity) -> None:
        key, name = coll.lower(), entity.name.lower()
        self._collections.setdefault(key, {})[name] = entity
        if self._persistence is not None:
            self._persistence.upsert(key, name, entity)

    def delete(self, coll: str, name: str) -> bool:
        """Delete an entity and, recursively, every collection beneath it."""
        key, lowered = coll.lower(), name.lower()
        bucket = self._collections.get(key)
        if bucket is None or lowered not in bucket:
            return False
        del bucket[lowered]
        self.delete_children(f"{key}/{lowered}")
        if self._persistence is not None:
            self._persistence.delete(key, lowered)
        return True

    def delete_children(self, entity_path: str) -> None:
        prefix = entity_path.lower() + "/"
        for child in [k for k in self._collections if k.startswith(prefix)]:
            del self._collections[child]
        if self._persistence is not None:
            self._persistence.delete_prefix(prefix)

    def collections_under(self, entity_path: str) -> builtins.list[str]:
        """Keys of the collections below an entity (used to copy API revisions)."""
        prefix = entity_path.lower() + "/"
        return [k for k in self._collections if k.startswith(prefix)]

    def all_collections(self) -> builtins.list[str]:
        return list(self._collections)

    def close(self) -> None:
        if self._persistence is not None:
            self._persistence.close()


def delete_collection(store: Store, coll: str) -> None:
    """Remove a whole collection and everything below its entities."""
    for entity in store.list(coll):
        store.delete(coll, entity.name)
