"""Removing association resources that point at a deleted entity.

Why: the service drops product/tag/gateway links when an API, product, group or operation is
deleted; leaving them would make lists return links to nothing.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .context import ref_name

if TYPE_CHECKING:
    from .context import Ctx

# deleted collection -> [(link collection name under products|tags|gateways, property holding the ref)]
_LINKS = {
    "apis": (("apilinks", "apiId"), ("operationlinks", "operationId"), ("apis", None)),
    "products": (("productlinks", "productId"),),
    "groups": (("grouplinks", "groupId"),),
    "operations": (("operationlinks", "operationId"),),
}


def remove_references(ctx: "Ctx", collection: str, name: str, scope_key: str, api: str | None = None) -> None:
    """Delete links in the same scope whose reference names ``collection``/``name``."""
    store = ctx.store
    wanted = name.lower()
    for link_coll, prop in _LINKS.get(collection, ()):
        for coll in store.all_collections():
            if not coll.startswith(scope_key):
                continue
            parts = coll[len(scope_key):].split("/")
            if len(parts) != 3 or parts[0] not in ("products", "tags", "gateways") or parts[2] != link_coll:
                continue
            for entity in store.list(coll):
                if prop is None:       # gateway API associations are keyed by the API name
                    hit = entity.name.lower() == wanted
                else:
                    ref = str(entity.properties.get(prop, ""))
                    if link_coll == "operationlinks" and collection == "apis":
                        hit = (ref_name(ref, "apis") or "").split(";rev=")[0].lower() == wanted
                    elif link_coll == "operationlinks":
                        hit = (ref_name(ref, "operations") or "").lower() == wanted and (
                            api is None or (ref_name(ref, "apis") or "").split(";rev=")[0].lower() == api.lower())
                    else:
                        hit = (ref_name(ref, collection) or "").split(";rev=")[0].lower() == wanted
                if hit:
                    store.delete(coll, entity.name)
