"""1xx checks: the tree can be read, its specifications parse and validate, revisions hang together."""

from __future__ import annotations

from typing import Iterator

from ..model import split_revision
from .context import Hit, LintContext, content_path_of, info_path_of

__all__ = ["unreadable", "spec_syntax", "openapi_invalid", "graphql_invalid", "revision_orphan", "revision_duplicate"]



def unreadable(ctx: LintContext) -> Iterator[Hit]:
    """Every problem ``read_tree`` collected (bad JSON, bad names, two files for one resource...)."""
    for problem in ctx.problems:
        yield Hit(problem.path, problem.line, None, None, problem.message)


def _spec_hits(ctx: LintContext, codes: tuple[str, ...], *, validate: bool = True) -> Iterator[Hit]:
    for resource in ctx.specs():
        _, issues = ctx.spec(resource, validate=validate)
        for issue in issues:
            if issue.code in codes:
                yield Hit(content_path_of(resource), issue.line, issue.column, str(resource.key), issue.message)


def spec_syntax(ctx: LintContext) -> Iterator[Hit]:
    yield from _spec_hits(ctx, ("parse", "graphql", "xml"), validate=False)


def openapi_invalid(ctx: LintContext) -> Iterator[Hit]:
    yield from _spec_hits(ctx, ("openapi",))


def graphql_invalid(ctx: LintContext) -> Iterator[Hit]:
    yield from _spec_hits(ctx, ("graphql-schema",))


def _claims(ctx: LintContext) -> dict[tuple[str | None, str], list[tuple[str, str]]]:
    """(workspace, root API) → [(revision number claimed, API folder name)]."""
    claims: dict[tuple[str | None, str], list[tuple[str, str]]] = {}
    for resource in ctx.state.of_kind("api"):
        name = resource.key.name
        ws = resource.key.workspace.casefold() if resource.key.workspace else None
        root, number = split_revision(name)
        if number is None:
            number = str(resource.properties.get("apiRevision") or "1")
        claims.setdefault((ws, root.casefold()), []).append((number.strip(), name))
    return claims


def revision_orphan(ctx: LintContext) -> Iterator[Hit]:
    """``a;rev=N`` needs the API ``a`` (its current revision) in the tree."""
    for resource in ctx.state.of_kind("api"):
        name = resource.key.name
        if resource.key.revision is None:
            continue
        root = resource.key.api_root
        if resource.key.with_api_root() not in ctx.state:
            yield Hit(
                info_path_of(resource), None, None, str(resource.key),
                f"revision folder {name!r} has no current revision: the API {root!r} is not in the tree",
            )


def revision_duplicate(ctx: LintContext) -> Iterator[Hit]:
    """Two folders claiming one revision number (the root's ``apiRevision`` counts as a claim)."""
    by_name = {(r.key.workspace.casefold() if r.key.workspace else None, r.key.name.casefold()): r for r in ctx.state.of_kind("api")}
    for (ws, _root), claims in sorted(_claims(ctx).items(), key=lambda item: str(item[0])):
        numbers: dict[str, list[str]] = {}
        for number, name in claims:
            numbers.setdefault(number, []).append(name)
        for number, names in sorted(numbers.items()):
            if len(names) < 2:
                continue
            for name in [n for n in sorted(names) if split_revision(n)[1] is not None] or sorted(names)[1:]:
                resource = by_name[(ws, name.casefold())]
                others = ", ".join(repr(n) for n in names if n != name)
                yield Hit(
                    info_path_of(resource), None, None, str(resource.key),
                    f"{name!r} claims revision {number}, as does {others}; remove the stale folder",
                )


def required_missing(ctx: LintContext) -> Iterator[Hit]:
    """``properties.*`` the service requires on PUT (``Kind.required_fields``) are present.

    Non-current revisions (``a;rev=N``) are exempt from ``path``: they inherit it from the API;
    an empty ``path`` is a valid API URL suffix.
    Only resources read from an information file are checked (a v7 workspace has none).
    """
    for resource in ctx.state:
        row = resource.key.row
        if not row.required_fields or resource.source is None:
            continue
        info = row.info_path.rsplit("/", 1)[-1] if row.info_path else None
        if info is None or not resource.source.path.endswith(info):
            continue
        for name in row.required_fields:
            if name == "path" and split_revision(resource.key.name)[1] is not None:
                continue
            value = resource.properties.get(name)
            if value is None or (value == "" and name != "path"):  # an empty API path (URL suffix) is valid
                yield Hit(
                    info_path_of(resource), resource.source.line, None, str(resource.key),
                    f"properties.{name} is required by the service: {resource.key.kind} "
                    f"{'/'.join(resource.key.names)} cannot be published without it",
                )
