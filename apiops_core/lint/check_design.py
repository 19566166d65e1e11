"""5xx checks: API design and configuration habits worth a second look (warnings and notes)."""

from __future__ import annotations

import re
from typing import Iterator

from ..model import split_revision
from .context import Hit, LintContext, content_path_of, info_path_of
from .specs import openapi_paths

__all__ = [
    "http_protocol",
    "subscription_not_required",
    "plain_http_backend",
    "display_name_missing",
    "description_missing",
    "api_path_naming",
    "spec_path_naming",
]

_SEGMENT = re.compile(r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$")
#: applied to the segment with its first letter lowered: ``GetUsers``, ``get-users``, ``create_order``, ``delete``
_VERB = re.compile(r"^(get|create|update|delete|list|add|remove|fetch|set|post|put)(?=[A-Z_-]|$)")
_DISPLAY_NAME_KINDS = ("api", "product", "tag", "group", "version-set", "named-value")


def _current(resource_name: str) -> bool:
    return split_revision(resource_name)[1] is None


def http_protocol(ctx: LintContext) -> Iterator[Hit]:
    """An API that accepts plain ``http`` (or ``ws``) sends keys and tokens in clear text."""
    for resource in ctx.state.of_kind("api"):
        protocols = resource.properties.get("protocols")
        if not isinstance(protocols, list):
            continue
        plain = [p for p in protocols if isinstance(p, str) and p.lower() in ("http", "ws")]
        if plain:
            yield Hit(info_path_of(resource), None, None, str(resource.key),
                      f"protocols include {', '.join(plain)}: allow https/wss only")


def subscription_not_required(ctx: LintContext) -> Iterator[Hit]:
    for kind in ("api", "product"):
        for resource in ctx.state.of_kind(kind):
            if resource.properties.get("subscriptionRequired") is False:
                yield Hit(info_path_of(resource), None, None, str(resource.key),
                          f"{kind} does not require a subscription key: anyone who knows the URL can call it")


def plain_http_backend(ctx: LintContext) -> Iterator[Hit]:
    """Backends reached over plain http (API ``serviceUrl``, backend ``url``, ``set-backend-service base-url``)."""
    for resource in ctx.state.of_kind("api"):
        url = resource.properties.get("serviceUrl")
        if isinstance(url, str) and url.lower().startswith("http://"):
            yield Hit(info_path_of(resource), None, None, str(resource.key), f"serviceUrl {url} is plain http")
    for resource in ctx.state.of_kind("backend"):
        url = resource.properties.get("url")
        if isinstance(url, str) and url.lower().startswith("http://"):
            yield Hit(info_path_of(resource), None, None, str(resource.key), f"backend url {url} is plain http")
    for resource in ctx.policies():
        parsed, _ = ctx.policy(resource)
        for element in parsed.iter_elements():
            url = element.get("base-url") if element.tag == "set-backend-service" else None
            if url and url.strip().lower().startswith("http://"):
                line, column = parsed.position(element)
                yield Hit(content_path_of(resource), line, column, str(resource.key),
                          f"set-backend-service base-url {url.strip()} is plain http")


def display_name_missing(ctx: LintContext) -> Iterator[Hit]:
    for kind in _DISPLAY_NAME_KINDS:
        for resource in ctx.state.of_kind(kind):
            if not resource.body:
                continue  # a resource known only from a v5 link array carries no body to judge
            if not str(resource.properties.get("displayName") or "").strip():
                yield Hit(info_path_of(resource), None, None, str(resource.key), f"{kind} has no displayName")


def description_missing(ctx: LintContext) -> Iterator[Hit]:
    for kind in ("api", "product"):
        for resource in ctx.state.of_kind(kind):
            if not resource.body or not _current(resource.key.name):
                continue
            if not str(resource.properties.get("description") or "").strip():
                yield Hit(info_path_of(resource), None, None, str(resource.key),
                          f"{kind} has no description (the developer portal shows it)")


def api_path_naming(ctx: LintContext) -> Iterator[Hit]:
    """API URL suffixes: lowercase kebab-case segments, no leading or trailing slash."""
    for resource in ctx.state.of_kind("api"):
        if not _current(resource.key.name):
            continue
        path = resource.properties.get("path")
        if not isinstance(path, str) or path == "":
            continue
        problems = []
        if path.endswith("/") or path.startswith("/"):
            problems.append("has a leading or trailing slash")
        bad = [s for s in path.strip("/").split("/") if s and not _SEGMENT.match(s)]
        if bad:
            problems.append(f"segment{'s' if len(bad) > 1 else ''} {', '.join(repr(s) for s in bad)} not lowercase kebab-case")
        if problems:
            yield Hit(info_path_of(resource), None, None, str(resource.key), f"API path {path!r} " + " and ".join(problems))


def spec_path_naming(ctx: LintContext) -> Iterator[Hit]:
    """Operation paths in OpenAPI documents: lowercase kebab-case nouns, no verbs, no trailing slash."""
    for resource in ctx.specs():
        if not _current(resource.key.names[0]):
            continue
        loaded, _ = ctx.spec(resource)
        if loaded is None:
            continue
        for path, line, column in openapi_paths(loaded):
            problems = []
            if len(path) > 1 and path.endswith("/"):
                problems.append("ends with a slash")
            segments = [s for s in path.strip("/").split("/") if s and not s.startswith("{") and "*" not in s]
            upper = [s for s in segments if not _SEGMENT.match(s)]
            verbs = [s for s in segments if _VERB.match(s[:1].lower() + s[1:])]
            if upper:
                problems.append(f"{', '.join(repr(s) for s in upper)} not lowercase kebab-case")
            if verbs:
                problems.append(f"{', '.join(repr(s) for s in verbs)} reads as a verb (let the method say it)")
            if problems:
                yield Hit(content_path_of(resource), line, column, str(resource.key),
                          f"path {path!r}: " + "; ".join(problems))
