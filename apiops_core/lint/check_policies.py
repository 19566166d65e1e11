"""2xx checks: policy documents are well-formed, safe, and valid against our policy schema."""

from __future__ import annotations

from typing import Iterator

from .context import Hit, LintContext, content_path_of
from .policy_xml import SECTIONS

__all__ = ["malformed", "doctype", "unknown_element", "invalid", "missing_base", "wrong_section"]

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


#: sections each policy may stand in, from Microsoft's policy reference ("Policy sections");
#: only policies whose scope is narrower than "everywhere" are listed
_ALLOWED_SECTIONS: dict[str, frozenset[str]] = {
    "forward-request": frozenset({"backend"}),
    "rate-limit": frozenset({"inbound"}),
    "rate-limit-by-key": frozenset({"inbound"}),
    "quota": frozenset({"inbound"}),
    "quota-by-key": frozenset({"inbound"}),
    "cors": frozenset({"inbound"}),
    "validate-jwt": frozenset({"inbound"}),
    "validate-azure-ad-token": frozenset({"inbound"}),
    "ip-filter": frozenset({"inbound"}),
    "check-header": frozenset({"inbound"}),
    "rewrite-uri": frozenset({"inbound"}),
    "cache-lookup": frozenset({"inbound"}),
    "cache-store": frozenset({"outbound"}),
    "set-backend-service": frozenset({"inbound", "backend"}),
    "authentication-basic": frozenset({"inbound"}),
    "authentication-certificate": frozenset({"inbound"}),
    "authentication-managed-identity": frozenset({"inbound"}),
    "set-query-parameter": frozenset({"inbound", "backend"}),
    "mock-response": frozenset({"inbound", "outbound", "on-error"}),
    "azure-openai-token-limit": frozenset({"inbound"}),
    "llm-token-limit": frozenset({"inbound"}),
}

#: policies whose children are policies standing in the same section
_CONTAINERS = frozenset({"choose", "when", "otherwise", "retry", "wait", "limit-concurrency"})


def wrong_section(ctx: LintContext) -> Iterator[Hit]:
    """A policy placed in a section the service does not allow it in (it refuses the document)."""
    for resource in ctx.policies():
        parsed, _ = ctx.policy(resource)
        if parsed.root is None or parsed.root.tag != "policies":
            continue  # fragments have no sections: where they are included decides
        for section in parsed.root:
            if section.tag not in SECTIONS:
                continue
            pending = list(section)
            while pending:
                element = pending.pop()
                allowed = _ALLOWED_SECTIONS.get(element.tag)
                if allowed is not None and section.tag not in allowed:
                    line, column = parsed.position(element)
                    where = ", ".join(f"<{s}>" for s in sorted(allowed))
                    yield Hit(
                        content_path_of(resource), line, column, str(resource.key),
                        f"<{element.tag}> is not allowed in <{section.tag}>; it belongs in {where}",
                    )
                if element.tag in _CONTAINERS:
                    pending.extend(element)
