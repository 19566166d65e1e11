"""Per-kind behaviour: the one mapping from a kind row's ``behaviour`` to the code that has it.

Like the emulator's ``handlers.py``: generic CRUD for every kind, plus hooks (``base.Behaviour``)
for the kinds whose row names a behaviour. Extract, plan and apply call
``behaviour_for(key.kind).<hook>(...)`` and never name a kind themselves.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..kinds import KIND_BY_NAME, KINDS
from ..model import Resource
from .apis import ApiBehaviour, ApiReleaseBehaviour, ApiSchemaBehaviour, ApiSpecificationBehaviour
from .base import ApplyContext, Behaviour, MakePut, Port, put_body
from .groups import GroupBehaviour
from .named_values import NamedValueBehaviour
from .products import ProductBehaviour, ProductGroupBehaviour

__all__ = ["behaviour_for", "all_behaviours", "body_for_put", "Behaviour", "Port", "ApplyContext", "MakePut",
           "BEHAVIOURS"]

#: ``Kind.behaviour`` → the behaviour (one instance each: behaviours hold no state)
BEHAVIOURS: dict[str, Behaviour] = {
    "generic": Behaviour(),
    "api": ApiBehaviour(),
    "api-specification": ApiSpecificationBehaviour(),
    "api-release": ApiReleaseBehaviour(),
    "api-schema": ApiSchemaBehaviour(),
    "product": ProductBehaviour(),
    "product-group": ProductGroupBehaviour(),
    "named-value": NamedValueBehaviour(),
    "group": GroupBehaviour(),
}


@lru_cache(maxsize=None)
def behaviour_for(kind_name: str) -> Behaviour:
    """The behaviour of a kind (by kind name); a KeyError here is a bug in the kind table."""
    return BEHAVIOURS[KIND_BY_NAME[kind_name].behaviour]


@lru_cache(maxsize=1)
def all_behaviours() -> tuple[Behaviour, ...]:
    """Every behaviour the table uses, once each, in table order (for plan-wide hooks)."""
    return tuple({id(b): b for b in (behaviour_for(row.name) for row in KINDS)}.values())


def body_for_put(resource: Resource) -> dict[str, Any]:
    """The JSON body sent for a resource: its properties (never the v7 link file's ``name``)."""
    return put_body(resource, behaviour_for(resource.key.row.name))
