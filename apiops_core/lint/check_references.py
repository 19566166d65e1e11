"""3xx checks: everything the tree names exists in the tree (after overrides).

The references themselves come from ``apiops_core.references`` — the same function the plan uses
to order puts — so lint and plan can never disagree about what refers to what. This module only
sorts the dangling ones into rules and finds a column for them.
"""

from __future__ import annotations

from typing import Iterator

from ..kinds import KIND_BY_NAME
from ..model import ResourceKey
from .context import Hit, LintContext, content_path_of, info_path_of

__all__ = [
    "named_value_missing",
    "fragment_missing",
    "backend_missing",
    "logger_missing",
    "version_set_missing",
    "link_end_missing",
    "other_reference_missing",
    "reference_id_malformed",
]


def _column(text: str | None, line: int | None, name: str) -> int | None:
    if not text or not line:
        return None
    lines = text.splitlines()
    if line > len(lines):
        return None
    found = lines[line - 1].find(name)
    return found + 1 if found >= 0 else None


def _dangling(ctx: LintContext, kinds: tuple[str, ...] | None, exclude: tuple[str, ...] = ()) -> Iterator[Hit]:
    from ..references import dangling_references

    for item in dangling_references(ctx.state, external=ctx.external):
        ref = item.ref
        if kinds is not None and ref.kind not in kinds:
            continue
        if ref.kind in exclude:
            continue
        resource = ctx.state.get(item.source)
        if resource is None:
            continue
        in_content = ref.line is not None and resource.content is not None
        path = content_path_of(resource) if in_content else info_path_of(resource)
        if ref.by_display_name:
            what = f"named value {{{{{ref.name}}}}}"
            column = _column(resource.content, ref.line, "{{" + ref.name) if in_content else None
        else:
            what = f"{KIND_BY_NAME[ref.kind].name} {ref.name!r}"
            column = _column(resource.content, ref.line, ref.name) if in_content else None
        via = f" ({ref.via})" if ref.via and not ref.by_display_name else ""
        yield Hit(path, ref.line, column, str(item.source), f"{what}{via} does not exist in {ctx.looked_in}")


def named_value_missing(ctx: LintContext) -> Iterator[Hit]:
    yield from _dangling(ctx, ("named-value",))


def fragment_missing(ctx: LintContext) -> Iterator[Hit]:
    yield from _dangling(ctx, ("policy-fragment",))


def backend_missing(ctx: LintContext) -> Iterator[Hit]:
    yield from _dangling(ctx, ("backend",))


def logger_missing(ctx: LintContext) -> Iterator[Hit]:
    yield from _dangling(ctx, ("logger",))


def version_set_missing(ctx: LintContext) -> Iterator[Hit]:
    yield from _dangling(ctx, ("version-set",))


def other_reference_missing(ctx: LintContext) -> Iterator[Hit]:
    """Subscription scopes, release API ids and any other table reference not covered above."""
    yield from _dangling(
        ctx, None, exclude=("named-value", "policy-fragment", "backend", "logger", "version-set")
    )


def _system(kind_name: str, name: str) -> bool:
    return name.casefold() in KIND_BY_NAME[kind_name].system_names


def link_end_missing(ctx: LintContext) -> Iterator[Hit]:
    """Product/tag/gateway links whose two ends must both exist (built-in groups always do)."""
    from ..references import Ref

    for resource in ctx.state:
        row = resource.key.row
        if not row.link:
            continue
        names = resource.key.names
        ends = ((row.link[0], names[0]), (row.link[1], names[1] if len(names) > 1 else ""))
        for end_kind, end_name in ends:
            if not end_name or _system(end_kind, end_name):
                continue
            if ResourceKey(end_kind, (end_name,), resource.key.workspace) in ctx.state:
                continue
            if resource.key.workspace and ResourceKey(end_kind, (end_name,), None) in ctx.state:
                continue
            if ctx.external is not None and ctx.external(Ref(end_kind, end_name, None, "link"), resource.key):
                continue
            yield Hit(
                info_path_of(resource), None, None, str(resource.key),
                f"links to {KIND_BY_NAME[end_kind].name} {end_name!r}, which does not exist in {ctx.looked_in}",
            )




def reference_id_malformed(ctx: LintContext) -> Iterator[Hit]:
    """An id-valued reference (apiVersionSetId, loggerId, pool member, certificate id, scope...) holding
    a bare name: it passes every offline check, then APIM refuses the put with 400 half way. The
    reader refuses such a file with its line; this rule catches the values overrides bring."""
    from ..references import malformed_ids

    for resource in ctx.state:
        for _where, message in malformed_ids(resource.key.row, resource.body):
            yield Hit(info_path_of(resource), None, None, str(resource.key), message)
