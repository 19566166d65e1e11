"""2xx checks: policy documents are well-formed, safe, and valid against our policy schema."""

from __future__ import annotations

from typing import Iterator

from .context import Hit, LintContext, content_path_of
from .policy_xml import SECTIONS

__all__ = ["malformed", "doctype", "unknown_element", "invalid", "missing_base"]

#: policy scopes that inherit from a parent scope, so ``<base/>`` matters there
_INHERITING = frozenset({"api-policy", "api-operation-policy", "product-policy"})


def _issues(ctx: LintContext, code: str) -> Iterator[Hit]:
    for resource in ctx.policies():
        _, issues = ctx.policy(resource)
        for issue in issues:
            if issue.code == code:
                yield Hit(content_path_of(resource), issue.line, issue.column, str(resource.key), issue.message)


def malformed(ctx: LintContext) -> Iterator[Hit]:
    yield from _issues(ctx, "malformed")


def doctype(ctx: LintContext) -> Iterator[Hit]:
    yield from _issues(ctx, "doctype")


def unknown_element(ctx: LintContext) -> Iterator[Hit]:
    yield from _issues(ctx, "unknown-element")


def invalid(ctx: LintContext) -> Iterator[Hit]:
    yield from _issues(ctx, "invalid")


def missing_base(ctx: LintContext) -> Iterator[Hit]:
    """A section of an API, operation or product policy without ``<base/>`` drops the inherited policies."""
    for resource in ctx.policies():
        if resource.key.kind not in _INHERITING:
            continue
        parsed, _ = ctx.policy(resource)
        if parsed.root is None or parsed.root.tag != "policies":
            continue
        missing = [section for section in parsed.root if section.tag in SECTIONS and section.find("base") is None]
        if missing:
            line, column = parsed.position(missing[0])
            names = ", ".join(f"<{section.tag}>" for section in missing)
            yield Hit(
                content_path_of(resource), line, column, str(resource.key),
                f"{names} {'has' if len(missing) == 1 else 'have'} no <base/>: the policies of the enclosing scopes "
                "(global, product, API) are skipped there",
            )
