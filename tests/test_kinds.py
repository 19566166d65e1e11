"""The kind table: derived order, path templates and identities."""

from __future__ import annotations

import pytest

from apiops_core import kinds
from apiops_core.model import ResourceKey


def test_levels_spell_out_the_dependency_order() -> None:
    # A change in this drawing shows in review: it is the order puts run in (deletes reverse it).
    assert kinds.levels() == (
        (
            "workspace", "gateway", "certificate", "authorization-server", "openid-connect-provider",
            "identity-provider", "documentation", "policy-restriction",
        ),
        ("named-value", "tag", "version-set", "backend", "global-schema", "group", "product"),
        ("logger", "api", "tag-product", "product-group", "product-wiki"),
        (
            "diagnostic", "policy-fragment", "api-specification", "api-schema", "api-diagnostic",
            "api-release", "api-tag-description", "tag-api", "product-api", "gateway-api", "subscription",
            "api-wiki",
        ),
        ("service-policy", "api-policy", "api-operation", "product-policy", "api-resolver"),
        ("api-operation-policy", "api-operation-tag", "api-resolver-policy"),
    )


def test_apis_come_after_the_authorization_servers_and_openid_providers_they_name() -> None:
    # the service refuses an API whose authenticationSettings name a missing one
    edges = kinds.dependency_edges()
    assert {"authorization-server", "openid-connect-provider"} <= edges["api"]
    assert "certificate" in edges["backend"]
    assert {"api-specification", "api"} <= edges["api-resolver"]
    assert "documentation" in edges["api-wiki"] and "documentation" in edges["product-wiki"]
    # a tag description is named after its tag (its tagId) and hangs off its API
    assert {"api", "tag"} <= edges["api-tag-description"]
    # an operation tag is named after its tag: put after it, deleted before it
    assert {"api-operation", "tag"} <= edges["api-operation-tag"]


@pytest.mark.parametrize("row", kinds.KINDS, ids=lambda r: r.name)
def test_every_dependency_comes_earlier(row: kinds.Kind) -> None:
    for dependency in kinds.dependency_edges()[row.name]:
        assert kinds.level_of(dependency) < kinds.level_of(row.name)


@pytest.mark.parametrize("row", kinds.KINDS, ids=lambda r: r.name)
def test_templates_use_exactly_the_names_of_the_kind(row: kinds.Kind) -> None:
    names = tuple(f"n{i}" for i in range(row.arity))
    arm = kinds.fill(row.arm_path, names)
    assert "{" not in arm
    for template in filter(None, (row.info_path, row.content_path, *row.legacy_info_paths)):
        filled = kinds.fill(template, names)
        assert "{" not in filled, template
        assert all(n in filled for n in names if row.in_tree), template


def test_link_rows_name_both_ends_in_arm_and_tree() -> None:
    key = ResourceKey("tag-api", ("tag1", "echo;rev=2"))
    assert key.arm_path == "apis/echo;rev=2/tags/tag1"
    assert ResourceKey("tag-api", ("t", "a"), workspace="ws").arm_path == "workspaces/ws/tags/t/apiLinks/a"


def test_keys_compare_case_insensitively_and_keep_spelling() -> None:
    a = ResourceKey("api", ("Echo-API",))
    b = ResourceKey("api", ("echo-api",))
    assert a == b and hash(a) == hash(b)
    assert a.arm_path == "apis/Echo-API"


def test_parent_chain_reaches_workspace() -> None:
    key = ResourceKey("api-operation-policy", ("a", "op"), workspace="ws")
    chain = []
    while key is not None:
        chain.append(str(key))
        key = key.parent
    assert chain == [
        "api-operation-policy workspaces/ws/a/op",
        "api-operation workspaces/ws/a/op",
        "api workspaces/ws/a",
        "workspace ws",
    ]


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        ResourceKey("no-such-kind", ("x",))
