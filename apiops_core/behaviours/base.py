"""The hooks a kind's behaviour may fill in, and the narrow port the engines hand it.

Why hooks: about 80 % of APIM is generic CRUD that the kind table describes as data (paths,
files, parents, links, read-only and secret fields). The rest — API revisions and specification
imports, what APIM adds to a new product, secret named values, built-in groups — is behaviour.
Each piece lives in one ``Behaviour`` subclass named by its kind row (``Kind.behaviour``), so
extract, plan and apply stay loops over the table that call these hooks and never name a kind.
The base class is the generic behaviour: every hook answers "nothing special".

Why a port: a behaviour that puts or deletes gets a ``Port`` (get/list/put/delete/emit) from
the engine, so it imports neither ``apply`` nor ``extract`` and the layers stay one-way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ContextManager, Iterable, Mapping, Protocol, Sequence

from ..model import Action, Resource, ResourceKey, State

__all__ = ["Behaviour", "Port", "ExtractPort", "ApplyContext", "MakePut"]


class Port(Protocol):
    """What a behaviour may do to the instance: reads, counted writes, and progress lines."""

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any: ...

    def list(self, path: str) -> Iterable[Mapping[str, Any]]: ...

    def put(self, path: str, body: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> Any: ...

    def delete(self, path: str, params: Mapping[str, Any] | None = None) -> bool: ...

    def emit(self, kind: str, message: str) -> None: ...


class ExtractPort(Protocol):
    """What a behaviour may do while extracting: reads, downloads, one export at a time, warnings."""

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any: ...

    def download(self, url: str) -> str: ...

    def export_lock(self, body: Mapping[str, Any], key: ResourceKey) -> ContextManager[Any]: ...

    def warn(self, message: str) -> None: ...


@dataclass(frozen=True)
class ApplyContext:
    """One action's surroundings during apply: the port, the desired state, the planned puts."""

    port: Port
    desired: State
    planned: frozenset[ResourceKey]
    skip: Callable[[str], None]  # mark the action as skipped, with the reason shown to the user


#: ``make_put(key, existing, reason)``: the planner's put action for a resource of the tree
MakePut = Callable[[ResourceKey, "Resource | None", str], Action]


class Behaviour:
    """Generic CRUD: every hook says "nothing special". Subclasses override what their kind needs."""

    #: puts of this kind run one at a time (APIM re-validates every policy when a named value changes)
    one_at_a_time: bool = False

    # -- extract ---------------------------------------------------------------------------------
    def skip_listed(self, item: Mapping[str, Any], parent_body: Mapping[str, Any] | None) -> bool:
        """A listed item that is not extracted (built in, or re-created from something else)."""
        return False

    def extracted_under(self, parent: ResourceKey) -> bool:
        """Whether this kind is read under ``parent`` at all."""
        return True

    def export(self, key: ResourceKey, parent: ResourceKey, parent_body: Mapping[str, Any], port: ExtractPort,
               recipe: Any) -> Resource | None:
        """A resource that is exported rather than listed (a specification file), or None."""
        return None

    # -- plan ------------------------------------------------------------------------------------
    def is_system(self, key: ResourceKey, resource: Resource | None) -> bool:
        """APIM owns it (beyond the row's ``system_names``): never put, never deleted."""
        return False

    def deletable(self, key: ResourceKey, resource: Resource | None) -> bool:
        """Whether the instance's ``resource`` may be deleted on its own."""
        return True

    def skip_put(self, resource: Resource) -> str | None:
        """Why the tree's ``resource`` cannot be put (it is then left out of the plan), or None."""
        return None

    def skip_warning(self, resource: Resource) -> str:
        """The plan's warning for a resource ``skip_put`` leaves out."""
        return f"{resource.key}: {self.skip_put(resource)}; skipped"

    def secret_changed(self, resource: Resource, live: Mapping[ResourceKey, str | None] | None) -> bool:
        """A secret the instance never shows in a GET differs from the tree's (``live``: read apart)."""
        return False

    def reput_reason(self, key: ResourceKey, desired: State, current: State) -> str | None:
        """The reason to put a resource that compares equal (an unfinished earlier put), or None."""
        return None

    def kept_because(self, key: ResourceKey, desired: State) -> str | None:
        """Why a resource the tree has no file for is still the tree's (never deleted), or None."""
        return None

    def implied_deletes(self, desired: State, before: State) -> Iterable[tuple[ResourceKey, str]]:
        """Deletes the tree implies without a removed file: ``(key, reason with {where})``."""
        return ()

    def adjust_puts(self, puts: Sequence[Action], desired: State, current: State, make_put: MakePut,
                    skipped: Iterable[ResourceKey]) -> list[Action]:
        """The plan's puts, with what a put of this kind also requires (called once per plan)."""
        return list(puts)

    # -- apply -----------------------------------------------------------------------------------
    def put_properties(self, properties: dict[str, Any]) -> dict[str, Any]:
        """The properties sent for a put (the tree's, minus what must never be sent)."""
        return properties

    def put(self, action: Action, resource: Resource, ctx: ApplyContext) -> bool:
        """Put ``resource`` in a way of its own; False lets the engine do the generic PUT."""
        return False

    def delete_params(self, action: Action, ctx: ApplyContext) -> tuple[str | None, Mapping[str, str] | None]:
        """``(skip reason, query parameters)`` for deleting ``action.key``."""
        return None, None


def put_body(resource: Resource, behaviour: Behaviour) -> dict[str, Any]:
    """The JSON body sent for a resource: its properties as ``behaviour`` shapes them for a PUT
    (a policy's XML as ``rawxml``; never the v7 link file's ``name``). Here rather than in the
    package's ``__init__`` so a behaviour can build its own body without importing the registry."""
    props = dict(resource.properties)
    row = resource.key.row
    if row.content_kind == "policy":
        props["format"] = "rawxml"
        props["value"] = resource.content or ""
    props = behaviour.put_properties(props)
    return {"properties": props} if props or not row.is_link else {}
