"""Instance → ``State`` → artifacts tree: the extractor.

It is a walk over the kind table from the roots (the service scope, then each workspace):
list a collection once — list bodies carry full properties, so items are not fetched again
unless a list body lacks them (workspace lists) — apply the extractor configuration, then read
each selected item's children. Every independent read goes through ``ArmClient.map``, so the whole
walk runs concurrently while the client's global bound keeps ARM calm.

What is NOT a plain list (and why):

- policies are one GET each with ``format=rawxml`` (lossless for C# expressions); 404 = none;
- wikis (one per API or product, ``default`` in ARM) are listed like a collection: the service
  answers a GET of a missing wiki with an error, the list is simply empty;
- operations are listed only to find operation policies (operations come from the specification);
- specifications are exported (``?export=true&format=<x>-link``, then an unauthenticated download),
  one export at a time per version set / root API, because APIM mixes up concurrent exports of
  related APIs (Azure/apiops #316); GraphQL SDL comes from the ``graphql`` API schema;
- links are listed from whichever end ARM offers (``apis/a/tags``, ``products/p/apis``,
  ``products/p/groupLinks``, ``gateways/g/apis``; ``tags/t/apiLinks`` … in workspaces), and are kept
  only when both ends were extracted (or the far end is a built-in such as the Developers group).

Writing is ``artifacts.write_tree`` — atomic, so a failed read or write leaves the previous
output folder exactly as it was.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol

from .behaviours import behaviour_for
from .errors import ArmError
from .kinds import KIND_BY_NAME, KINDS, WORKSPACE_KIND, Kind, LinkListing, fill
from .model import Resource, ResourceKey, State, split_revision
from .normalise import normalise_body, relative_id
from .specs import (  # noqa: F401 - SPEC_FORMATS, SpecFormat, DEFAULT_SPEC_FORMAT, spec_format_for re-exported
    DEFAULT_SPEC_FORMAT,
    SPEC_FORMATS,
    SpecFormat,
    api_type,
    spec_format_for,
)

if TYPE_CHECKING:  # pragma: no cover
    from .arm import ArmClient

__all__ = [
    "read_instance",
    "read_specifications",
    "CollectionProgress",
    "extract",
    "ExtractResult",
    "SpecFormat",
    "SPEC_FORMATS",
    "spec_format_for",
    "DEFAULT_SPEC_FORMAT",
]

_LOG = logging.getLogger("apiops.extract")


class Selector(Protocol):
    """What extract needs from ``config.ExtractorConfig``."""

    def selects(self, key: ResourceKey, body: Mapping[str, Any] | None = None) -> bool: ...

    def owns_path(self, path: str) -> bool: ...


@dataclass(frozen=True)
class ExtractResult:
    """What an extraction did: resources read, files written/deleted/unchanged, ARM calls made."""

    resources: int
    written: list[str]
    deleted: list[str]
    unchanged: list[str]
    arm_calls: int
    counts: dict[str, int] = field(default_factory=dict)
    output: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``--result`` object (docs/CLI-CONTRACT.md)."""
        return {
            "resources": self.resources,
            "files_written": len(self.written),
            "files_deleted": len(self.deleted),
            "files_unchanged": len(self.unchanged),
            "arm_calls": self.arm_calls,
            "output": self.output,
        }


#: the row of the specification file (exported rather than listed)
_SPEC_ROW = next(k for k in KINDS if k.special == "specification")


def _folder(row: Kind) -> str:
    """A kind's collection as users know it (``named values``, ``apis``) for progress lines."""
    if row.info_path:
        return row.info_path.split("/")[0]
    return row.arm_path.split("/")[0]


@dataclass(frozen=True)
class CollectionProgress:
    """How far the reading of one collection is: ``done`` of ``total`` items (0 when it starts).

    Given to a ``progress`` callback (``apiops_core.progress`` renders them in order, with bars
    on a terminal), so a collection of 2,000 APIs shows movement while its items are read.
    """

    collection: str  # as users know it: ``apis``, ``workspaces/team-a/named values``
    done: int
    total: int  # -1 while the collection is being listed (a large one takes pages, i.e. seconds)


class _Reader:
    """One extraction's walk. Holds only per-run state (export locks, counters); no globals."""

    def __init__(
        self,
        arm: "ArmClient",
        config: Selector | None,
        spec: SpecFormat,
        include_specifications: bool,
        progress: Callable[[CollectionProgress], None] | None,
        needed: Callable[[Kind, ResourceKey], bool] | None = None,
    ) -> None:
        self.arm = arm
        self.needed = needed
        self.config = config
        self.spec = spec
        self.include_specifications = include_specifications
        self.progress = progress
        self._export_locks: dict[tuple[str, ...], threading.Lock] = {}
        self._guard = threading.Lock()
        self._done: dict[str, int] = {}

    # -- helpers -----------------------------------------------------------------------------
    #: "reading" when a plan or publish reads the instance ("extracting" otherwise)
    verb = "extracting"

    def started(self, collection: str, total: int) -> None:
        """A collection with ``total`` chosen items is being read (logged at debug when a display shows it)."""
        _LOG.log(logging.INFO if self.progress is None else logging.DEBUG, "%s %s (%d)", self.verb, collection, total)
        if self.progress is not None:
            self.progress(CollectionProgress(collection, 0, total))

    def item_done(self, collection: str, total: int) -> None:
        if self.progress is None:
            return
        with self._guard:
            done = self._done[collection] = self._done.get(collection, 0) + 1
        self.progress(CollectionProgress(collection, done, total))

    def selects(self, key: ResourceKey, body: Mapping[str, Any] | None = None) -> bool:
        if self.config is None:
            return True
        return bool(self.config.selects(key, body))

    def list_or_skip(
        self, path: str, *, root: bool, row: Kind, parent_path: str | None = None
    ) -> list[dict[str, Any]] | None:
        """List a collection; None only when this tier has no such collection.

        The target was read before the walk (``target.check_target``), so a 404 here is not a
        wrong instance. It means "not on this tier" only for kinds the table marks
        ``tier_dependent`` (gateways, workspaces, groups); for any other kind it is an error,
        unless the parent (``parent_path``) disappeared while we were reading. Reading every 404
        as "unsupported" is how a wrong target used to look like an empty instance.
        """
        try:
            return list(self.arm.list(path))
        except ArmError as error:
            refused = error.code == "MethodNotAllowedInPricingTier" or (root and error.status in (400, 405))
            if refused or (error.status == 404 and row.tier_dependent):
                _LOG.debug("skipping %s: not available on this tier (HTTP %s %s)", path, error.status, error.code or "")
                return None
            if error.status != 404:
                raise
            if parent_path is not None and self.arm.get(parent_path) is None:
                _LOG.debug("skipping %s: %s was deleted while the instance was being read", path, parent_path)
                return None
            raise ArmError(
                f"GET {path}: the instance answered 404 ({error.code or 'no code'}) for {_folder(row)}, which every "
                f"API Management tier has; nothing was written. Check that api-version "
                f"{getattr(self.arm, 'api_version', '?')} "
                f"(--api-version / ARM_API_VERSION) knows this collection",
                status=404,
                code=error.code,
                resource_id=error.resource_id,
            ) from error

    def policy(self, key: ResourceKey) -> Resource | None:
        response = self.arm.get(key.arm_path, params={"format": "rawxml"})
        if response is None:
            return None
        value = response.properties.get("value")
        if not isinstance(value, str):
            return None
        return Resource(key, {}, content=value, content_format="rawxml")

    def export_lock(self, body: Mapping[str, Any], key: ResourceKey) -> threading.Lock:
        """One lock per version set, else per root API (Azure/apiops #316)."""
        version_set = (body.get("properties") or {}).get("apiVersionSetId")
        if isinstance(version_set, str) and version_set:
            ident: tuple[str, ...] = ("vs", relative_id(version_set).casefold())
        else:
            ident = ("root", (key.workspace or "").casefold(), split_revision(key.names[0])[0].casefold())
        with self._guard:
            return self._export_locks.setdefault(ident, threading.Lock())

    # -- the walk ----------------------------------------------------------------------------
    def read_scope(self, workspace: str | None) -> list[Resource]:
        roots = [
            row
            for row in KINDS
            if row.parent is None
            and row.extract
            and row.name != WORKSPACE_KIND
            and (row.in_workspace if workspace else row.in_service)
        ]
        found: list[Resource] = []
        for chunk in self.arm.map(lambda row: self.read_root(row, workspace), roots):
            found.extend(chunk)
        return found

    def read_root(self, row: Kind, workspace: str | None) -> list[Resource]:
        if row.content_kind == "policy" and row.arity == 0:
            return self.singleton_policy(ResourceKey(row.name, (), workspace))
        path = fill(row.collection_template(workspace), (), workspace)
        scope_path = f"workspaces/{workspace}" if workspace else None
        scope = f"workspaces/{workspace}/" if workspace else ""
        if self.progress is not None:
            self.progress(CollectionProgress(f"{scope}{_folder(row)}", 0, -1))
        items = self.list_or_skip(path, root=True, row=row, parent_path=scope_path)
        if items is None:
            if self.progress is not None:
                self.progress(CollectionProgress(f"{scope}{_folder(row)}", 0, 0))
            return []
        chosen: list[tuple[ResourceKey, dict[str, Any]]] = []
        for item in items:
            name = item.get("name")
            if not isinstance(name, str) or not name:
                continue
            if name.casefold() in row.system_names or behaviour_for(row.name).skip_listed(item, None):
                continue
            key = ResourceKey(row.name, (name,), workspace)
            if self.selects(key, item):
                chosen.append((key, item))
        if chosen:
            self.started(f"{scope}{_folder(row)}", len(chosen))
        else:  # empty collections are noise at the default level (a workspace has a dozen)
            _LOG.debug("extracting %s%s (0)", scope, _folder(row))
            if self.progress is not None:
                self.progress(CollectionProgress(f"{scope}{_folder(row)}", 0, 0))
        return self.read_items(row, chosen, collection=f"{scope}{_folder(row)}")

    def singleton_policy(self, key: ResourceKey) -> list[Resource]:
        """The one policy of a scope (service, API, product...), when selected and present."""
        if not self.selects(key):
            return []
        resource = self.policy(key)
        return [resource] if resource else []

    def read_items(
        self, row: Kind, chosen: list[tuple[ResourceKey, dict[str, Any]]], collection: str | None = None
    ) -> list[Resource]:
        """Every chosen list item with its children, concurrently under the client's bound.

        ``collection`` (root collections): each finished item is reported to ``progress``.
        """
        def one(pair: tuple[ResourceKey, dict[str, Any]]) -> list[Resource]:
            resources = self.read_item(row, pair[0], pair[1])
            if collection is not None:
                self.item_done(collection, len(chosen))
            return resources

        found: list[Resource] = []
        for chunk in self.arm.map(one, chosen):
            found.extend(chunk)
        return found

    def read_item(self, row: Kind, key: ResourceKey, item: dict[str, Any]) -> list[Resource]:
        body = item
        if not isinstance(item.get("properties"), Mapping) or not item.get("properties"):
            fetched = self.arm.get(key.arm_path)
            if fetched is None:
                return []  # deleted while we were listing
            body = fetched.body
        content = None
        content_format = None
        if row.content_kind == "policy":  # policy fragments: the XML lives in policy.xml, unescaped
            fetched = self.arm.get(key.arm_path, params={"format": "rawxml"})
            if fetched is None:
                return []
            value = fetched.properties.get("value")
            content = value if isinstance(value, str) else None
            content_format = "rawxml"
        resource = Resource(key, normalise_body(key, body), content=content, content_format=content_format)
        tasks: list[Callable[[], list[Resource]]] = []
        for child in KINDS:
            has_children = any(k.parent == child.name for k in KINDS)
            if child.parent != row.name or child.is_link or not (child.extract or has_children):
                continue
            if key.workspace is not None and not child.in_workspace:
                continue
            if child.only_under_types and api_type(body) not in child.only_under_types:
                continue  # e.g. resolvers exist on GraphQL APIs only
            if self.needed is not None and not self.needed(child, key):
                continue
            tasks.append(functools.partial(self.read_child, child, key, body))
        for link_row in KINDS:
            source = link_row.workspace_link_listing if key.workspace is not None else link_row.link_listing
            if source is None or source.owner != row.name:
                continue
            if self.needed is not None and not self.needed(link_row, key):
                continue
            tasks.append(functools.partial(self.read_links, link_row, source, key))
        # one item's children run one after another: items themselves run concurrently, which
        # already fills the client's slots; nesting pools here only multiplies idle threads
        found = [resource]
        for task in tasks:
            found.extend(task())
        return found

    def read_child(self, row: Kind, parent: ResourceKey, parent_body: Mapping[str, Any]) -> list[Resource]:
        if row.special == "specification":
            if not self.include_specifications:
                return []
            spec = self.specification(parent, parent_body)
            return [spec] if spec else []
        if row.content_kind == "policy" and row.arity == parent.row.arity:
            return self.singleton_policy(ResourceKey(row.name, parent.names, parent.workspace))
        behaviour = behaviour_for(row.name)
        if not behaviour.extracted_under(parent):
            return []  # e.g. releases belong to the root API only
        # a singleton that is not a policy (a wiki, always ``default`` in ARM): listed, not fetched,
        # because the service answers a missing wiki with an error rather than 404
        singleton = row.arity == parent.row.arity
        path = fill(row.collection_template(parent.workspace), parent.names, parent.workspace)
        items = self.list_or_skip(path, root=False, row=row, parent_path=parent.arm_path)
        if items is None:
            return []
        chosen: list[tuple[ResourceKey, dict[str, Any]]] = []
        for item in items:
            name = item.get("name")
            if not isinstance(name, str) or not name:
                continue
            if singleton and name.casefold() != row.arm_path.rsplit("/", 1)[-1].casefold():
                continue
            names = parent.names if singleton else parent.names + (name,)
            key = ResourceKey(row.name, names, parent.workspace)
            if behaviour.skip_listed(item, parent_body):
                continue  # e.g. an API schema that is part of the specification
            if self.selects(key, item):
                chosen.append((key, item))
        if not row.extract:
            # listed only for what hangs under it (operations come from the specification): their policies
            policy_rows = [k for k in KINDS if k.parent == row.name and k.content_kind == "policy"]
            keys = [ResourceKey(p.name, k.names, k.workspace) for p in policy_rows for k, _ in chosen]
            keys = [k for k in keys if self.selects(k)]
            found = [r for r in self.arm.map(self.policy, keys) if r is not None]
            # and any other child row (an operation's tags): listed under each item like any child
            others = [
                k for k in KINDS
                if k.parent == row.name and k.content_kind != "policy" and k.extract and not k.is_link
                and (parent.workspace is None or k.in_workspace)
            ]
            for child in others:
                for key, item in chosen:
                    if self.needed is None or self.needed(child, key):
                        found += self.read_child(child, key, item)
            return found
        return self.read_items(row, chosen)

    def read_links(self, link_row: Kind, source: LinkListing, owner: ResourceKey) -> list[Resource]:
        if split_revision(owner.names[-1])[1] is not None:
            return []  # links to non-current revisions are never extracted
        scope = f"workspaces/{owner.workspace}/" if owner.workspace else ""
        path = scope + source.template.format(owner.names[0])
        items = self.list_or_skip(path, root=False, row=link_row, parent_path=owner.arm_path)
        if items is None and source.fallback is not None:
            items = self.list_or_skip(
                scope + source.fallback.format(owner.names[0]), root=False, row=link_row, parent_path=owner.arm_path
            )
        if items is None:
            return []
        found: list[Resource] = []
        for item in items:
            far = _far_end(item, source.id_field)
            if not far or split_revision(far)[1] is not None:
                continue
            names = (owner.names[0], far) if source.owner_is_first else (far, owner.names[0])
            key = ResourceKey(link_row.name, names, owner.workspace)
            if self.selects(key, item):
                found.append(Resource(key, normalise_body(key, item)))
        return found

    def specification(self, api: ResourceKey, body: Mapping[str, Any], recipe: SpecFormat | None = None) -> Resource | None:
        """The API's specification file, exported by the row's behaviour (this reader is its port)."""
        key = ResourceKey(_SPEC_ROW.name, api.names, api.workspace)
        return behaviour_for(_SPEC_ROW.name).export(key, api, body, self, recipe or self.spec)

    # the rest of the port an exporting behaviour gets (``behaviours.base.ExtractPort``)
    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.arm.get(path, params=params) if params else self.arm.get(path)

    def download(self, url: str) -> str:
        return self.arm.download(url)

    def warn(self, message: str) -> None:
        _LOG.warning("%s", message)


def _far_end(item: Mapping[str, Any], id_field: str | None) -> str | None:
    if id_field:
        raw = item.get("properties")
        properties: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        ident = properties.get(id_field)
        if isinstance(ident, str) and ident:
            return ident.rstrip("/").rsplit("/", 1)[-1]
    name = item.get("name")
    return name if isinstance(name, str) and name else None


def _drop_dangling_links(state: State) -> None:
    """A link is kept only when both ends are in the state (or the far end is built in)."""
    for resource in list(state):
        row = resource.key.row
        if not row.link:
            continue
        for index, end in enumerate(row.link):
            end_row = KIND_BY_NAME[end]
            end_key = ResourceKey(end, (resource.key.names[index],), resource.key.workspace)
            if end_key in state:
                continue
            if resource.key.names[index].casefold() in end_row.system_names:
                continue
            state.remove(resource.key)
            break


def read_specifications(
    arm: "ArmClient", wanted: Mapping[ResourceKey, tuple[Mapping[str, Any], SpecFormat | None]],
    progress: Callable[[CollectionProgress], None] | None = None,
) -> list[Resource]:
    """Export the specifications of the given APIs (key → (API body, recipe)), concurrently.

    The publisher compares only the specifications its tree has, each in its file's format
    (a WADL file against a WADL export); SOAP APIs always export as WSDL, GraphQL as SDL.
    """
    reader = _Reader(arm, None, spec_format_for(None), True, progress)
    items = list(wanted.items())
    if items:
        reader.started("specifications", len(items))

    def one(item: Any) -> Resource | None:
        resource = reader.specification(item[0], item[1][0], item[1][1])
        reader.item_done("specifications", len(items))
        return resource

    found = arm.map(one, items)
    return [resource for resource in found if resource is not None]


def read_instance(
    arm: "ArmClient",
    config: Selector | None = None,
    *,
    spec_format: str | None = DEFAULT_SPEC_FORMAT,
    include_specifications: bool = True,
    progress: Callable[[CollectionProgress], None] | None = None,
    needed: Callable[[Kind, ResourceKey], bool] | None = None,
    verb: str = "extracting",
) -> State:
    """Read the instance into a normalised ``State`` (what extract writes, what plan compares).

    ``needed(kind, parent)`` (optional) says whether the children (or links) of ``kind`` under
    ``parent`` are worth reading: the publisher without ``--prune`` skips what its tree lacks.
    """
    reader = _Reader(arm, config, spec_format_for(spec_format), include_specifications, progress, needed)
    reader.verb = verb
    state = State(reader.read_scope(None))
    workspace_row = KIND_BY_NAME[WORKSPACE_KIND]
    items = reader.list_or_skip(workspace_row.collection_template(None), root=True, row=workspace_row) or []
    workspaces: list[tuple[ResourceKey, dict[str, Any]]] = []
    for item in items:
        name = item.get("name")
        if isinstance(name, str) and name:
            key = ResourceKey(WORKSPACE_KIND, (name,))
            if reader.selects(key, item):
                workspaces.append((key, item))
    if workspaces:
        reader.started("workspaces", len(workspaces))

    def one_workspace(pair: tuple[ResourceKey, dict[str, Any]]) -> list[Resource]:
        key, item = pair
        body = item
        if not item.get("properties"):
            fetched = arm.get(key.arm_path)
            body = fetched.body if fetched else {}
        found = [Resource(key, normalise_body(key, body))] + reader.read_scope(key.names[0])
        reader.item_done("workspaces", len(workspaces))
        return found

    for chunk in arm.map(one_workspace, workspaces):
        for resource in chunk:
            state.add(resource)
    _drop_dangling_links(state)
    return state


def extract(
    arm: "ArmClient",
    output: Path | str,
    config: Selector | None = None,
    *,
    spec_format: str | None = DEFAULT_SPEC_FORMAT,
    progress: Callable[[CollectionProgress], None] | None = None,
    before_write: Callable[[Any], None] | None = None,
) -> ExtractResult:
    """Read the instance and write it as a v7 tree at ``output`` (atomically; see the module docstring).

    ``before_write`` (``target.DeletionGuard.hook``) sees the files to write and delete first and
    may refuse; the folder is then left as it was.
    """
    from .artifacts import write_tree

    spec_format_for(spec_format)  # fail on a bad format before any call
    before = arm.stats.requests
    state = read_instance(arm, config, spec_format=spec_format, progress=progress)
    owns = config.owns_path if config is not None else None
    written = write_tree(state, Path(output), owns=owns, before_write=before_write)
    counts = dict(sorted(Counter(r.key.kind for r in state).items()))
    result = ExtractResult(
        resources=len(state),
        written=list(written.written),
        deleted=list(written.deleted),
        unchanged=list(written.unchanged),
        arm_calls=arm.stats.requests - before,
        counts=counts,
        output=str(output),
    )
    _LOG.log(
        logging.INFO if progress is None else logging.DEBUG,  # a display reports the reading itself
        "extracted %d resources: %d files written, %d deleted, %d unchanged (%d ARM calls)",
        result.resources,
        len(result.written),
        len(result.deleted),
        len(result.unchanged),
        result.arm_calls,
    )
    return result
