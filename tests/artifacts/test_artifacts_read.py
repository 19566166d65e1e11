"""Reading trees: every accepted layout lands in the same State; problems carry file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apiops_core.artifacts import key_for_path, load_tree, match_path, paths_of, read_tree
from apiops_core.errors import ArtifactError
from apiops_core.model import ResourceKey
from apiops_core.treesource import DirectorySource

from artifact_trees import BOM, V7_TREE


def K(kind: str, *names: str, ws: str | None = None) -> ResourceKey:
    return ResourceKey(kind, names, ws)


def test_v7_tree_reads_every_kind(v7_tree: Path) -> None:
    read = read_tree(DirectorySource(v7_tree))
    assert read.problems == []
    assert read.ignored == []
    state = read.state
    for key in [
        K("service-policy"), K("api", "echo-api"), K("api-specification", "echo-api"), K("api-policy", "echo-api"),
        K("api-operation-policy", "echo-api", "get-items"), K("api-diagnostic", "echo-api", "applicationinsights"),
        K("api-release", "echo-api", "r1"), K("api", "echo-api;rev=2"), K("named-value", "plain"),
        K("tag-api", "t1", "echo-api"), K("tag-product", "t1", "starter"), K("version-set", "vs1"),
        K("policy-fragment", "frag1"), K("gateway-api", "gw1", "echo-api"), K("product-api", "starter", "echo-api"),
        K("product-group", "starter", "team"), K("subscription", "s1"),
        K("api", "team-api", ws="ws1"), K("api-policy", "team-api", ws="ws1"), K("tag-api", "wt", "team-api", ws="ws1"),
    ]:
        assert key in state, key
    api = state.get(K("api", "echo-api"))
    assert api is not None
    assert api.body["properties"]["displayName"] == "Echo & more"
    assert api.source is not None and api.source.path.endswith("apis/echo-api/apiInformation.json")
    policy = state.get(K("service-policy"))
    assert policy is not None and policy.content == V7_TREE["policy.xml"].decode()
    assert policy.content_format == "rawxml"
    fragment = state.get(K("policy-fragment", "frag1"))
    assert fragment is not None and fragment.body == {"properties": {"description": "d"}}
    assert fragment.content is not None and fragment.content.startswith("<fragment>")
    link = state.get(K("product-group", "starter", "team"))
    assert link is not None and link.body == {"name": "team", "properties": {"groupId": "/groups/team"}}


@pytest.mark.parametrize(
    "api, fmt, ext",
    [
        ("echo-api", "openapi", "yaml"),
        ("echo-api;rev=2", "swagger-json", "json"),
        ("v3json", "openapi+json", "json"),
        ("graph", "graphql", "graphql"),
        ("wadl", "wadl-xml", "wadl"),
    ],
)
def test_specification_formats_are_detected(v7_tree: Path, api: str, fmt: str, ext: str) -> None:
    spec = load_tree(DirectorySource(v7_tree)).get(K("api-specification", api))
    assert spec is not None and (spec.content_format, spec.content_ext) == (fmt, ext)


def test_swagger_yaml_and_wsdl_and_yml(make_tree) -> None:
    root = make_tree({
        "apis/a/specification.yml": b"swagger: '2.0'\ninfo: {title: a, version: '1'}\npaths: {}\n",
        "apis/s/specification.wsdl": BOM + b"<definitions/>",
    })
    state = load_tree(DirectorySource(root))
    a = state.get(K("api-specification", "a"))
    s = state.get(K("api-specification", "s"))
    assert a is not None and (a.content_format, a.content_ext) == ("openapi", "yml")
    assert s is not None and (s.content_format, s.content) == ("wsdl", "<definitions/>")


def test_v6_and_v5_layouts_load_into_the_same_state(make_tree) -> None:
    v7_links = {
        "tags/t1/apis/echo-api/tagApiInformation.json",
        "tags/t1/products/starter/tagProductInformation.json",
        "products/starter/apis/echo-api/productApiInformation.json",
        "products/starter/groups/team/productGroupInformation.json",
        "gateways/gw1/apis/echo-api/gatewayApiInformation.json",
        "workspaces/ws1/tags/wt/apis/team-api/tagApiInformation.json",
    }
    common = {k: v for k, v in V7_TREE.items() if k not in v7_links}
    v6 = dict(common)
    v6.update({
        "apis/echo-api/tags/t1/apiTagInformation.json": b"{}",
        "products/starter/tags/t1/productTagInformation.json": b"{}",
        "products/starter/apis/echo-api/productApiInformation.json": b"{}",
        "products/starter/groups/team/productGroupInformation.json": b"{}",
        "gateways/gw1/apis/echo-api/gatewayApiInformation.json": b"{}",
        "workspaces/ws1/apis/team-api/tags/wt/apiTagInformation.json": b"{}",
    })
    v5 = dict(common)
    v5.pop("version sets/vs1/versionSetInformation.json")
    v5.update({
        "version sets/vs1/apiVersionSetInformation.json": V7_TREE["version sets/vs1/versionSetInformation.json"],
        "apis/echo-api/tags.json": b'[{"name": "t1"}]',
        "products/starter/tags.json": b'["t1"]',
        "products/starter/apis.json": BOM + b'[\r\n  {\r\n    "name": "echo-api"\r\n  }\r\n]',
        "products/starter/groups.json": b'[{"name": "team"}]',
        "gateways/gw1/apis.json": b'[{"name": "echo-api"}]',
        "products/empty/productInformation.json": b'{"properties": {}}',
        "products/empty/apis.json": b"[]",
        "workspaces/ws1/apis/team-api/tags.json": b'["wt"]',
    })
    v7_state = load_tree(DirectorySource(make_tree(V7_TREE)))
    for files in (v6, v5):
        state = load_tree(DirectorySource(make_tree(files)))
        extra = {r.key for r in state} - {r.key for r in v7_state}
        missing = {r.key for r in v7_state} - {r.key for r in state}
        assert missing == set()
        assert extra <= {K("product", "empty")}
        for resource in v7_state:
            other = state.get(resource.key)
            assert other is not None
            if not resource.key.row.is_link:
                assert (other.body, other.content) == (resource.body, resource.content), resource.key


def test_stale_v5_array_and_v6_folder_are_a_union(make_tree) -> None:
    root = make_tree({
        "products/p/productInformation.json": b'{"properties": {}}',
        "products/p/apis.json": b'[{"name": "a"}, {"name": "B"}]',
        "products/p/apis/b/productApiInformation.json": b"{}",
        "products/p/apis/c/productApiInformation.json": b"{}",
    })
    read = read_tree(DirectorySource(root))
    assert read.problems == []
    links = sorted(r.key.names[1].casefold() for r in read.state.of_kind("product-api"))
    assert links == ["a", "b", "c"]


def test_foreign_files_are_ignored_not_errors(make_tree) -> None:
    root = make_tree({
        "README.md": b"# hi",
        ".gitkeep": b"",
        "apis/.gitkeep": b"",
        "configuration.prod.yaml": b"apimServiceName: x",
        "pipelines/run.yml": b"x: 1",
        "apis/a/apiInformation.json": b'{"properties": {"path": "a"}}',
        "apis/a/notes.txt": b"hello",
    })
    read = read_tree(DirectorySource(root))
    assert read.problems == []
    assert set(read.ignored) == {"README.md", ".gitkeep", "apis/.gitkeep", "configuration.prod.yaml", "pipelines/run.yml", "apis/a/notes.txt"}
    assert len(read.state) == 1


def test_apiops_cli_bodies_and_system_resources(make_tree) -> None:
    arm = {
        "id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ApiManagement/service/s/apis/echo",
        "type": "Microsoft.ApiManagement/service/apis",
        "name": "echo",
        "properties": {"displayName": "Echo", "description": None, "auth": {"oAuth2": None, "list": []}},
    }
    root = make_tree({
        "apis/echo/apiInformation.json": json.dumps(arm, indent=2).encode(),
        "apis/echo/operations/get/operationInformation.json": b'{"properties": {}}',
        "subscriptions/master/subscriptionInformation.json": b'{"properties": {"scope": "/"}}',
        "groups/Developers/groupInformation.json": b'{"properties": {"builtIn": true}}',
        "products/p/groups/developers/productGroupInformation.json": b"{}",
    })
    read = read_tree(DirectorySource(root))
    assert read.problems == []
    api = read.state.get(K("api", "echo"))
    assert api is not None and api.body == {"properties": {"displayName": "Echo", "auth": {"list": []}}}
    assert K("subscription", "master") not in read.state
    assert K("group", "developers") not in read.state
    assert K("product-group", "p", "developers") in read.state  # links to built-in groups are real
    assert "subscriptions/master/subscriptionInformation.json" in read.ignored
    assert "apis/echo/operations/get/operationInformation.json" in read.ignored


def test_broken_json_reports_file_and_line(make_tree) -> None:
    root = make_tree({
        "apis/a/apiInformation.json": b'{\n  "properties": {\n    "serviceUrl": [url goes here]\n  }\n}',
        "apis/b/apiInformation.json": BOM + b'{\r\n  "properties": {\r\n    "path": "b",\r\n  }\r\n}',
        "products/p/apis.json": b'{"name": "a"}',
        "apis/c/apiInformation.json": b"[]",
        "apis/d/specification.yaml": b"info:\n  title: [unclosed\n",
    })
    read = read_tree(DirectorySource(root))
    where = {((p.path or "").split(root.name + "/", 1)[-1], p.line) for p in read.problems}
    assert ("apis/a/apiInformation.json", 3) in where
    assert ("apis/b/apiInformation.json", 4) in where
    assert ("products/p/apis.json", 1) in where
    assert ("apis/c/apiInformation.json", 1) in where
    assert any(p.path.endswith("apis/d/specification.yaml") and p.line for p in read.problems)
    with pytest.raises(ArtifactError) as caught:
        load_tree(DirectorySource(root))
    text = str(caught.value)
    assert "apis/a/apiInformation.json:3:" in text and "apis/b/apiInformation.json:4:" in text


def test_two_specifications_and_case_duplicates_are_problems(make_tree) -> None:
    root = make_tree({
        "apis/a/specification.yaml": b"openapi: 3.0.1\n",
        "apis/a/specification.json": b'{"openapi": "3.0.1"}',
        "apis/Echo-API/apiInformation.json": b'{"properties": {}}',
        "apis/echo-api/apiInformation.json": b'{"properties": {}}',
    })
    read = read_tree(DirectorySource(root))
    messages = [str(p) for p in read.problems]
    assert any("two files" in m and "specification.json" in m and "specification.yaml" in m for m in messages)
    assert any("differ only by case" in m and "apis/Echo-API" in m and "apis/echo-api" in m for m in messages)


def test_unsafe_names_in_the_tree_are_problems(make_tree) -> None:
    root = make_tree({
        "apis/CON/apiInformation.json": b'{"properties": {}}',
        "products/p/apis.json": b'["../x", "ok"]',
        "apis/a;rev=2/apiInformation.json": b'{"properties": {}}',
    })
    read = read_tree(DirectorySource(root))
    assert len(read.problems) == 2
    assert K("api", "a;rev=2") in read.state
    assert K("product-api", "p", "ok") in read.state


def test_key_for_path_and_paths_of() -> None:
    assert key_for_path("apis/a/apiInformation.json") == K("api", "a")
    assert key_for_path("apis/a/tags/t/apiTagInformation.json") == K("tag-api", "t", "a")
    assert key_for_path("tags/t/apis/a/tagApiInformation.json") == K("tag-api", "t", "a")
    assert key_for_path("apis/a/specification.yml") == K("api-specification", "a")
    assert key_for_path("version sets/v/apiVersionSetInformation.json") == K("version-set", "v")
    assert key_for_path("workspaces/w/apis/a/operations/o/policy.xml") == K("api-operation-policy", "a", "o", ws="w")
    assert key_for_path("products/p/apis.json") == K("product", "p")
    assert key_for_path("apis/a/tags.json") == K("api", "a")
    match = match_path("products/p/apis.json")
    assert match is not None and (match.kind, match.role, match.fill_index) == ("product-api", "array", 1)
    assert key_for_path("README.md") is None
    assert key_for_path("apis/a/operations/o/operationInformation.json") is None
    assert paths_of(K("policy-fragment", "f")) == [
        "policy fragments/f/policyFragmentInformation.json", "policy fragments/f/policy.xml"
    ]
    assert paths_of(K("tag-api", "t", "a", ws="w")) == ["workspaces/w/tags/t/apis/a/tagApiInformation.json"]
    assert paths_of(K("service-policy")) == ["policy.xml"]
    assert "apis/a/specification.graphql" in paths_of(K("api-specification", "a"))
