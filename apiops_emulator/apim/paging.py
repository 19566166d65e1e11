"""List envelopes with ``$top``/``$skip`` and absolute ``nextLink``s.

Why a small default page: clients must follow ``nextLink`` against the real service, whose page
size is service-defined; a page of 10 makes every non-trivial list exercise paging. The nextLink
keeps every original query parameter (``$filter``, ``api-version`` ...) and the scheme/host the
client used, so the SDK's bearer-token-over-https check keeps passing.
"""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import parse_qsl, urlencode

from .errors import bad_request
from ..http import Request
from .odata import compile_filter, order_items

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100


def _int_param(request: Request, name: str, default: int, minimum: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"Query parameter '{name}' must be an integer.") from None
    if value < minimum:
        raise bad_request(f"Query parameter '{name}' must be at least {minimum}.")
    return value


def page(request: Request, items: list[dict[str, Any]], *, filterable: bool = True,
         page_size: int = DEFAULT_PAGE_SIZE, with_count: bool = True,
         pre_filter: Callable[[dict[str, Any]], bool] | None = None, orderable: bool = False) -> dict[str, Any]:
    """Filter, (with ``orderable``) sort by ``$orderby``, slice and wrap ``items`` (already rendered
    ARM bodies) in ``{value, count, nextLink}``. Without ``$orderby`` items keep the store's
    insertion order: Microsoft's list examples are not sorted by name either."""
    predicate = compile_filter(request.query.get("$filter")) if filterable else None
    selected = [item for item in items if (pre_filter is None or pre_filter(item))
                and (predicate is None or predicate(item))]
    if orderable:
        selected = order_items(selected, request.query.get("$orderby"))
    top = min(_int_param(request, "$top", page_size, 1), MAX_PAGE_SIZE)
    skip = _int_param(request, "$skip", 0, 0)
    window = selected[skip:skip + top]
    envelope: dict[str, Any] = {"value": window}
    if with_count:
        envelope["count"] = len(selected)
    if skip + top < len(selected):
        params = [(k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True) if k != "$skip"]
        params.append(("$skip", str(skip + top)))
        envelope["nextLink"] = f"{request.base_url}{request.path}?{urlencode(params)}"
    else:
        envelope["nextLink"] = None
    return envelope
