"""What every check reads: the state, the reader's problems, and work shared between rules.

Several rules look at the same parse (four policy rules share one parse of each ``policy.xml``;
the specification rules share one load of each document), so the context parses lazily and
keeps the result for the length of one lint run. It is created per run: no module-level cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, NamedTuple, Sequence

from ..errors import ArtifactError
from ..kinds import WORKSPACE_PREFIX, fill
from ..model import Resource, State
from .policy_xml import ParsedPolicy, PolicyIssue, PolicyValidator, parse_policy
from .specs import LoadedSpec, SpecIssue, check_spec

__all__ = ["Hit", "LintContext", "info_path_of", "content_path_of"]


class Hit(NamedTuple):
    """What a check yields; the engine adds the rule id and severity to make a ``Finding``."""

    path: str | None
    line: int | None
    column: int | None
    resource: str | None
    message: str


def _scoped(template: str, resource: Resource) -> str:
    key = resource.key
    if key.workspace:
        template = WORKSPACE_PREFIX + template
    return fill(template, key.names, key.workspace)


def info_path_of(resource: Resource) -> str | None:
    """The file that holds a resource's JSON body (as read, else the v7 layout's name)."""
    row = resource.key.row
    source = resource.source.path if resource.source else None
    if source:
        basename = source.rsplit("/", 1)[-1]
        if basename.endswith(".json") and not basename.startswith("specification."):
            return source  # an information file or a v5 association array
        if row.info_path:
            folder = source.rsplit("/", 1)[0] if "/" in source else ""
            info_name = row.info_path.rsplit("/", 1)[-1]
            return f"{folder}/{info_name}" if folder else info_name
    if row.info_path:
        return _scoped(row.info_path, resource)
    return source


def content_path_of(resource: Resource) -> str | None:
    """The file that holds a resource's text content (``policy.xml``, ``specification.*``).

    A policy fragment's recorded source is its information file; its XML is the sibling
    ``policy.xml``, so the path is derived from the same folder as the recorded source.
    """
    row = resource.key.row
    if not row.content_path:
        return None
    basename = row.content_path.rsplit("/", 1)[-1]
    if "*" in basename:
        basename = basename.replace("*", (resource.content_ext or "yaml").lstrip("."))
    source = resource.source.path if resource.source else None
    if source:
        if source.rsplit("/", 1)[-1] == basename or source.endswith(basename):
            return source
        folder = source.rsplit("/", 1)[0] if "/" in source else ""
        return f"{folder}/{basename}" if folder else basename
    template = row.content_path.replace("*", (resource.content_ext or "yaml").lstrip("."))
    return _scoped(template, resource)


@dataclass
class LintContext:
    """One lint run's input and shared, lazily computed parses."""

    state: State
    problems: Sequence[ArtifactError] = ()
    #: ``references.Supplier``: the target instance's resources, when linting for a publish
    external: Callable[[Any, Any], bool] | None = None
    #: where a dangling reference was looked for, for the messages
    looked_in: str = "the artifacts"
    _validator: PolicyValidator | None = field(default=None, repr=False)
    _policies: dict[object, tuple[ParsedPolicy, list[PolicyIssue]]] = field(default_factory=dict, repr=False)
    _specs: dict[object, object] = field(default_factory=dict, repr=False)
    _parsed: dict[object, object] = field(default_factory=dict, repr=False)

    @property
    def validator(self) -> PolicyValidator:
        if self._validator is None:
            self._validator = PolicyValidator()
        return self._validator

    def policies(self) -> Iterable[Resource]:
        """Resources with policy XML content (service/API/operation/product policies, fragments)."""
        return [r for r in self.state if r.key.row.is_policy and r.content is not None]

    def policy(self, resource: Resource) -> tuple[ParsedPolicy, list[PolicyIssue]]:
        """The parse of a policy resource and its schema issues (computed once per run)."""
        # keyed by text: instances repeat the same operation policy hundreds of times, and the
        # parse and schema issues depend on nothing else (line/column are within the text)
        fragment = resource.key.kind == "policy-fragment"
        text = resource.content or ""
        resolver = resource.key.kind == "api-resolver-policy"
        cached = self._policies.get((text, fragment, resolver))
        if cached is None:
            parsed = parse_policy(text)
            if resolver and parsed.root is not None and parsed.root.tag != "policies":
                # a GraphQL resolver's data source (<http-data-source>, <sql-data-source>...): our XSD
                # describes <policies> and <fragment> only, so it is scanned for references, not validated
                issues = [parsed.issue] if parsed.issue is not None else []
            else:
                issues = self.validator.validate(parsed, fragment=fragment)
            cached = self._policies[(text, fragment, resolver)] = (parsed, sorted(issues, key=lambda i: (i.line, i.column)))
        return cached

    def specs(self) -> list[Resource]:
        return [r for r in self.state.of_kind("api-specification") if r.content is not None]

    def spec(self, resource: Resource, *, validate: bool = True) -> tuple[LoadedSpec | None, list[SpecIssue]]:
        """The loaded specification (OpenAPI only) and its problems (computed once per run).

        ``validate=False`` is enough for syntax checks and skips OpenAPI validation unless a
        validated result is already cached.
        """
        cached = self._specs.get(resource.key)
        if cached is None and not validate:
            cached = self._parsed.get(resource.key)
            if cached is None:
                cached = self._parsed[resource.key] = check_spec(
                    resource.content or "", resource.content_ext, validate=False
                )
            return cached  # type: ignore[return-value]
        if cached is None:
            cached = self._specs[resource.key] = check_spec(resource.content or "", resource.content_ext)
        return cached  # type: ignore[return-value]
