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

import io
import json
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol

from .errors import ArmError, ConfigError
from .kinds import KIND_BY_NAME, KINDS, Kind, fill
from .model import Resource, ResourceKey, State
from .normalise import normalise_body, relative_id

if TYPE_CHECKING:  # pragma: no cover
    from .arm import ArmClient

__all__ = [
    "read_instance",
    "read_specifications",
    "extract",
    "ExtractResult",
    "SpecFormat",
    "SPEC_FORMATS",
    "spec_format_for",
    "DEFAULT_SPEC_FORMAT",
]

_LOG = logging.getLogger("apiops.extract")


@dataclass(frozen=True)
class SpecFormat:
    """How one ``--spec-format`` choice is exported and stored."""

    export: str  # the ARM export format (``openapi-link`` …)
    content_format: str  # the ARM import format the file stands for (what the tree reader reports)
    ext: str  # the file extension
    to_yaml: bool = False  # APIM exports OpenAPI v2 as JSON only: convert client-side


SPEC_FORMATS: Mapping[str, SpecFormat] = {
    "openapi-v3-yaml": SpecFormat("openapi-link", "openapi", "yaml"),
    "openapi-v3-json": SpecFormat("openapi+json-link", "openapi+json", "json"),
    "openapi-v2-json": SpecFormat("swagger-link", "swagger-json", "json"),
    "openapi-v2-yaml": SpecFormat("swagger-link", "openapi", "yaml", to_yaml=True),
    "wadl": SpecFormat("wadl-link", "wadl-xml", "wadl"),
}
DEFAULT_SPEC_FORMAT = "openapi-v3-yaml"

#: Azure/apiops spellings (API_SPECIFICATION_FORMAT) accepted as aliases
_SPEC_ALIASES: Mapping[str, str] = {
    "yaml": "openapi-v3-yaml",
    "json": "openapi-v3-json",
    "openapiv3yaml": "openapi-v3-yaml",
    "openapiv3json": "openapi-v3-json",
    "openapiv2yaml": "openapi-v2-yaml",
    "openapiv2json": "openapi-v2-json",
}

_WSDL = SpecFormat("wsdl-link", "wsdl", "wsdl")
_NO_SPEC_TYPES = frozenset({"websocket", "odata", "grpc"})

#: API schemas APIM generates from an imported specification (re-created by every import, so
#: writing them would duplicate the specification and fight it on publish)
_IMPORTED_SCHEMA_TYPES = frozenset(
    {
        "application/vnd.oai.openapi.components+json",
        "application/vnd.ms-azure-apim.swagger.definitions+json",
        "application/vnd.ms-azure-apim.xsd+xml",
        "application/vnd.ms-azure-apim.wadl.grammars+xml",
        "application/vnd.ms-azure-apim.graphql.schema",
    }
)


def spec_format_for(name: str | None) -> SpecFormat:
    """The export recipe for a ``--spec-format`` value (case-insensitive; apiops aliases accepted)."""
    if not name:
        return SPEC_FORMATS[DEFAULT_SPEC_FORMAT]
    lowered = name.strip().lower()
    if lowered in SPEC_FORMATS:
        return SPEC_FORMATS[lowered]
    squashed = lowered.replace("-", "").replace("_", "")
    if squashed in _SPEC_ALIASES:
        return SPEC_FORMATS[_SPEC_ALIASES[squashed]]
    raise ConfigError(f"unknown specification format {name!r}; use one of {', '.join(SPEC_FORMATS)}")


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


@dataclass(frozen=True)
class _LinkSource:
    """Where one link kind is listed: from which end, which collection, and how to name the far end."""

    owner: str  # kind whose items the list hangs off
    template: str  # list path under the owner, ``{0}`` = owner name
    id_field: str | None  # property holding the far end's id (``*Links`` collections)
    owner_is_first: bool  # True when the owner is names[0] of the link key


#: (link kind, in a workspace?) → how it is listed
_LINK_SOURCES: Mapping[tuple[str, bool], _LinkSource] = {
    ("tag-api", False): _LinkSource("api", "apis/{0}/tags", None, False),
    ("tag-product", False): _LinkSource("product", "products/{0}/tags", None, False),
    ("product-api", False): _LinkSource("product", "products/{0}/apis", None, True),
    ("product-group", False): _LinkSource("product", "products/{0}/groupLinks", "groupId", True),
    ("gateway-api", False): _LinkSource("gateway", "gateways/{0}/apis", None, True),
    ("tag-api", True): _LinkSource("tag", "tags/{0}/apiLinks", "apiId", True),
    ("tag-product", True): _LinkSource("tag", "tags/{0}/productLinks", "productId", True),
    ("product-api", True): _LinkSource("product", "products/{0}/apiLinks", "apiId", True),
    ("product-group", True): _LinkSource("product", "products/{0}/groupLinks", "groupId", True),
}


def _folder(row: Kind) -> str:
    """A kind's collection as users know it (``named values``, ``apis``) for progress lines."""
    if row.info_path:
        return row.info_path.split("/")[0]
    return row.arm_path.split("/")[0]


def _is_revision(name: str) -> bool:
    return ";rev=" in name


def _root_name(name: str) -> str:
    return name.split(";rev=", 1)[0]


class _Reader:
    """One extraction's walk. Holds only per-run state (export locks, counters); no globals."""

    def __init__(
        self,
        arm: "ArmClient",
        config: Selector | None,
        spec: SpecFormat,
        include_specifications: bool,
        progress: Callable[[str], None] | None,
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

    # -- helpers -----------------------------------------------------------------------------
    #: "reading" when a plan or publish reads the instance (progress lines say "extracting" otherwise)
    verb = "extracting"

    def say(self, message: str) -> None:
        if self.verb != "extracting" and message.startswith("extracting "):
            message = f"{self.verb} {message[len('extracting '):]}"
        _LOG.info("%s", message)
        if self.progress is not None:
            self.progress(message)

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
            ident = ("api", (key.workspace or "").casefold(), _root_name(key.names[0]).casefold())
        with self._guard:
            return self._export_locks.setdefault(ident, threading.Lock())

    # -- the walk ----------------------------------------------------------------------------
    def read_scope(self, workspace: str | None) -> list[Resource]:
        roots = [
            row
            for row in KINDS
            if row.parent is None
            and row.extract
            and row.name != "workspace"
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
        items = self.list_or_skip(path, root=True, row=row, parent_path=scope_path)
        if items is None:
            return []
        chosen: list[tuple[ResourceKey, dict[str, Any]]] = []
        for item in items:
            name = item.get("name")
            if not isinstance(name, str) or not name:
                continue
            if name.casefold() in row.system_names:
                continue
            if row.name == "group" and (item.get("properties") or {}).get("builtIn") is True:
                continue
            key = ResourceKey(row.name, (name,), workspace)
            if self.selects(key, item):
                chosen.append((key, item))
        scope = f"workspaces/{workspace}/" if workspace else ""
        if chosen:
            self.say(f"extracting {scope}{_folder(row)} ({len(chosen)})")
        else:  # empty collections are noise at the default level (a workspace has a dozen)
            _LOG.debug("extracting %s%s (0)", scope, _folder(row))
        return self.read_items(row, chosen)

    def singleton_policy(self, key: ResourceKey) -> list[Resource]:
        """The one policy of a scope (service, API, product...), when selected and present."""
        if not self.selects(key):
            return []
        resource = self.policy(key)
        return [resource] if resource else []

    def read_items(self, row: Kind, chosen: list[tuple[ResourceKey, dict[str, Any]]]) -> list[Resource]:
        """Every chosen list item with its children, concurrently under the client's bound."""
        found: list[Resource] = []
        for chunk in self.arm.map(lambda pair: self.read_item(row, pair[0], pair[1]), chosen):
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
            if child.only_under_types and _api_type(body) not in child.only_under_types:
                continue  # e.g. resolvers exist on GraphQL APIs only
            if self.needed is not None and not self.needed(child, key):
                continue
            tasks.append(lambda child=child: self.read_child(child, key, body))
        for (link_name, in_ws), source in _LINK_SOURCES.items():
            if source.owner == row.name and in_ws == (key.workspace is not None):
                if self.needed is not None and not self.needed(KIND_BY_NAME[link_name], key):
                    continue
                tasks.append(lambda link_name=link_name, source=source: self.read_links(link_name, source, key))
        # one item's children run one after another: items themselves run concurrently, which
        # already fills the client's slots; nesting pools here only multiplies idle threads
        found = [resource]
        for task in tasks:
            found.extend(task())
        return found

    def read_child(self, row: Kind, parent: ResourceKey, parent_body: Mapping[str, Any]) -> list[Resource]:
        revision = _is_revision(parent.names[-1])
        if row.special == "specification":
            if not self.include_specifications:
                return []
            spec = self.specification(parent, parent_body)
            return [spec] if spec else []
        if row.content_kind == "policy" and row.arity == parent.row.arity:
            return self.singleton_policy(ResourceKey(row.name, parent.names, parent.workspace))
        if row.name == "api-release" and revision:
            return []  # releases belong to the root API only
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
            if row.name == "api-schema" and _is_imported_schema(item, parent_body):
                continue  # part of the specification (or the GraphQL SDL written as specification.graphql)
            if self.selects(key, item):
                chosen.append((key, item))
        if row.name == "api-operation":
            policy_row = next(k for k in KINDS if k.parent == "api-operation" and k.content_kind == "policy")
            keys = [ResourceKey(policy_row.name, k.names, k.workspace) for k, _ in chosen]
            keys = [k for k in keys if self.selects(k)]
            return [r for r in self.arm.map(self.policy, keys) if r is not None]
        return self.read_items(row, chosen)

    def read_links(self, link_name: str, source: _LinkSource, owner: ResourceKey) -> list[Resource]:
        if _is_revision(owner.names[-1]):
            return []  # links to non-current revisions are never extracted
        scope = f"workspaces/{owner.workspace}/" if owner.workspace else ""
        path = scope + source.template.format(owner.names[0])
        link_row = KIND_BY_NAME[link_name]
        items = self.list_or_skip(path, root=False, row=link_row, parent_path=owner.arm_path)
        if items is None and link_name == "product-group" and owner.workspace is None:
            items = self.list_or_skip(
                f"products/{owner.names[0]}/groups", root=False, row=link_row, parent_path=owner.arm_path
            )
        if items is None:
            return []
        found: list[Resource] = []
        for item in items:
            far = _far_end(item, source.id_field)
            if not far or _is_revision(far):
                continue
            names = (owner.names[0], far) if source.owner_is_first else (far, owner.names[0])
            key = ResourceKey(link_name, names, owner.workspace)
            if self.selects(key, item):
                found.append(Resource(key, normalise_body(key, item)))
        return found

    def specification(self, api: ResourceKey, body: Mapping[str, Any], recipe: SpecFormat | None = None) -> Resource | None:
        key = ResourceKey("api-specification", api.names, api.workspace)
        api_type = _api_type(body)
        if api_type in _NO_SPEC_TYPES:
            return None
        if api_type == "graphql":
            schema = self.arm.get(f"{api.arm_path}/schemas/graphql")
            document = (schema.properties.get("document") or {}) if schema else {}
            value = document.get("value") if isinstance(document, Mapping) else None
            if not isinstance(value, str):
                return None
            return Resource(key, {}, content=value, content_format="graphql", content_ext="graphql")
        recipe = _WSDL if api_type == "soap" else (recipe or self.spec)
        with self.export_lock(body, api):
            try:
                exported = self.arm.get(api.arm_path, params={"export": "true", "format": recipe.export})
            except ArmError as error:
                if error.status is not None and 400 <= error.status < 500:
                    _LOG.warning("%s: APIM cannot export it as %s (%s); no specification written", api, recipe.export, error.code)
                    return None
                raise
            if exported is None:
                return None
            link = _export_link(exported.body)
            if link is None:
                inline = _export_inline(exported.body)
                if inline is None:
                    _LOG.warning("%s: the export answer has no link; no specification written", api)
                    return None
                text = inline
            else:
                text = self.arm.download(link)
        if recipe.to_yaml:
            text = _json_to_yaml(text)
        return Resource(key, {}, content=text, content_format=recipe.content_format, content_ext=recipe.ext)


def _api_type(body: Mapping[str, Any]) -> str:
    properties = body.get("properties") if isinstance(body.get("properties"), Mapping) else {}
    value = properties.get("type") or properties.get("apiType") or "http"
    return str(value).lower()


def _is_imported_schema(item: Mapping[str, Any], api_body: Mapping[str, Any]) -> bool:
    properties = item.get("properties") if isinstance(item.get("properties"), Mapping) else {}
    content_type = str(properties.get("contentType") or "").lower()
    if _api_type(api_body) in _NO_SPEC_TYPES:
        return False
    return content_type in _IMPORTED_SCHEMA_TYPES


def _far_end(item: Mapping[str, Any], id_field: str | None) -> str | None:
    if id_field:
        properties = item.get("properties") if isinstance(item.get("properties"), Mapping) else {}
        ident = properties.get(id_field)
        if isinstance(ident, str) and ident:
            return ident.rstrip("/").rsplit("/", 1)[-1]
    name = item.get("name")
    return name if isinstance(name, str) and name else None


def _export_link(body: Mapping[str, Any]) -> str | None:
    for holder in (body.get("value"), (body.get("properties") or {}).get("value"), body):
        if isinstance(holder, Mapping) and isinstance(holder.get("link"), str) and holder.get("link"):
            return str(holder["link"])
    return None


def _export_inline(body: Mapping[str, Any]) -> str | None:
    value = body.get("value")
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return json.dumps(value, indent=2)
    return None


def _json_to_yaml(text: str) -> str:
    """OpenAPI v2 arrives as JSON only; keep key order, never fold long lines."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 1 << 20
    stream = io.StringIO()
    yaml.dump(json.loads(text), stream)
    return stream.getvalue()


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
    arm: "ArmClient", wanted: Mapping[ResourceKey, tuple[Mapping[str, Any], SpecFormat | None]]
) -> list[Resource]:
    """Export the specifications of the given APIs (key → (API body, recipe)), concurrently.

    The publisher compares only the specifications its tree has, each in its file's format
    (a WADL file against a WADL export); SOAP APIs always export as WSDL, GraphQL as SDL.
    """
    reader = _Reader(arm, None, spec_format_for(None), True, None)
    items = list(wanted.items())
    found = arm.map(lambda item: reader.specification(item[0], item[1][0], item[1][1]), items)
    return [resource for resource in found if resource is not None]


def read_instance(
    arm: "ArmClient",
    config: Selector | None = None,
    *,
    spec_format: str | None = DEFAULT_SPEC_FORMAT,
    include_specifications: bool = True,
    progress: Callable[[str], None] | None = None,
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
    workspace_row = KIND_BY_NAME["workspace"]
    items = reader.list_or_skip(workspace_row.collection_template(None), root=True, row=workspace_row) or []
    workspaces: list[tuple[ResourceKey, dict[str, Any]]] = []
    for item in items:
        name = item.get("name")
        if isinstance(name, str) and name:
            key = ResourceKey("workspace", (name,))
            if reader.selects(key, item):
                workspaces.append((key, item))
    if workspaces:
        reader.say(f"extracting workspaces ({len(workspaces)})")

    def one_workspace(pair: tuple[ResourceKey, dict[str, Any]]) -> list[Resource]:
        key, item = pair
        body = item
        if not item.get("properties"):
            fetched = arm.get(key.arm_path)
            body = fetched.body if fetched else {}
        return [Resource(key, normalise_body(key, body))] + reader.read_scope(key.names[0])

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
    progress: Callable[[str], None] | None = None,
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
    _LOG.info(
        "extracted %d resources: %d files written, %d deleted, %d unchanged (%d ARM calls)",
        result.resources,
        len(result.written),
        len(result.deleted),
        len(result.unchanged),
        result.arm_calls,
    )
    return result
