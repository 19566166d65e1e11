"""The extractor's walk against a scripted ARM double (no HTTP): SKU gaps, export locking, shapes."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator, Mapping

import pytest

from apiops_core.arm import ArmResponse, ArmStats
from apiops_core.errors import ArmError, ConfigError
from apiops_core.extract import read_instance, spec_format_for
from apiops_core.model import ResourceKey

SVC = "/subscriptions/s/resourceGroups/r/providers/Microsoft.ApiManagement/service/svc"


class ScriptedArm:
    """Answers ``list``/``get``/``download`` from dictionaries; anything unscripted is an empty list / 404."""

    def __init__(self, lists: Mapping[str, Any], gets: Mapping[str, Any], downloads: Mapping[str, str] | None = None,
                 delay: float = 0.0) -> None:
        self.lists = dict(lists)
        self.gets = dict(gets)
        self.downloads = dict(downloads or {})
        self.delay = delay
        self.stats = ArmStats()
        self.calls: list[str] = []
        self.lock = threading.Lock()
        self.exporting: dict[str, int] = {}
        self.max_exporting: dict[str, int] = {}
        self.max_total = 0

    def _record(self, what: str) -> None:
        with self.lock:
            self.calls.append(what)
            self.stats.requests += 1

    def list(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        self._record(f"LIST {path}")
        value = self.lists.get(path, [])
        if isinstance(value, Exception):
            raise value
        yield from value

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> ArmResponse | None:
        query = "&".join(f"{k}={v}" for k, v in sorted((params or {}).items()))
        target = f"{path}?{query}" if query else path
        self._record(f"GET {target}")
        if params and params.get("export"):
            group = self.gets.get(f"group:{path}", path)
            with self.lock:
                self.exporting[group] = self.exporting.get(group, 0) + 1
                self.max_exporting[group] = max(self.max_exporting.get(group, 0), self.exporting[group])
                self.max_total = max(self.max_total, sum(self.exporting.values()))
            time.sleep(self.delay)
            with self.lock:
                self.exporting[group] -= 1
        value = self.gets.get(target)
        if value is None:
            return None
        if isinstance(value, Exception):
            raise value
        return ArmResponse(200, value)

    def download(self, url: str) -> str:
        self._record(f"DOWNLOAD {url}")
        return self.downloads[url]

    def map(self, fn: Callable[[Any], Any], items: Any) -> list[Any]:
        values = list(items)
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(fn, values))


def test_collections_the_sku_lacks_are_skipped():
    arm = ScriptedArm(
        lists={
            "gateways": ArmError("no", status=400, code="MethodNotAllowedInPricingTier"),
            "workspaces": ArmError("no", status=404, code="ResourceNotFound"),
            "tags": [{"name": "t", "properties": {"displayName": "T"}}],
        },
        gets={},
    )
    state = read_instance(arm)
    assert [r.key for r in state] == [ResourceKey("tag", ("t",))]


def test_other_errors_fail_the_read():
    arm = ScriptedArm(lists={"tags": ArmError("denied", status=403, code="AuthorizationFailed")}, gets={})
    with pytest.raises(ArmError, match="denied"):
        read_instance(arm)


def test_list_items_without_properties_are_fetched_and_system_items_skipped():
    arm = ScriptedArm(
        lists={
            "workspaces": [{"name": "w"}],
            "workspaces/w/backends": [{"name": "b"}],
            "groups": [
                {"name": "administrators", "properties": {"builtIn": True}},
                {"name": "custom-admins", "properties": {"displayName": "C", "builtIn": True}},
                {"name": "mine", "properties": {"displayName": "Mine", "builtIn": False}},
            ],
            "subscriptions": [{"name": "master", "properties": {"scope": "/"}}],
        },
        gets={
            "workspaces/w": {"properties": {"displayName": "W"}},
            "workspaces/w/backends/b": {"id": f"{SVC}/workspaces/w/backends/b", "properties": {"url": "https://b"}},
        },
    )
    state = read_instance(arm)
    assert state.get(ResourceKey("workspace", ("w",))).body == {"properties": {"displayName": "W"}}
    assert state.get(ResourceKey("backend", ("b",), "w")).body == {"properties": {"url": "https://b"}}
    assert [r.key.names for r in state.of_kind("group")] == [("mine",)]
    assert not state.of_kind("subscription")


def _api(name: str, vs: str | None = None, kind: str = "http") -> dict[str, Any]:
    props: dict[str, Any] = {"path": name, "type": kind}
    if vs:
        props["apiVersionSetId"] = f"{SVC}/apiVersionSets/{vs}"
    return {"name": name, "properties": props}


def test_exports_of_one_version_set_or_one_api_never_overlap():
    apis = [_api(f"v{i}", "vs1") for i in range(4)] + [_api("solo"), _api("solo;rev=2"), _api("solo;rev=3")]
    apis += [_api(f"free{i}") for i in range(3)]
    gets: dict[str, Any] = {}
    downloads: dict[str, str] = {}
    for api in apis:
        name = api["name"]
        gets[f"apis/{name}?export=true&format=openapi-link"] = {"value": {"link": f"https://blob/{name}"}}
        downloads[f"https://blob/{name}"] = f"openapi: 3.0.1\ninfo:\n  title: {name}\n"
        group = "vs1" if name.startswith("v") else name.split(";")[0]
        gets[f"group:apis/{name}"] = group
    arm = ScriptedArm(lists={"apis": apis}, gets=gets, downloads=downloads, delay=0.02)
    state = read_instance(arm)
    specs = state.of_kind("api-specification")
    assert len(specs) == len(apis)
    assert all(r.content_format == "openapi" and r.content_ext == "yaml" for r in specs)
    assert arm.max_exporting["vs1"] == 1
    assert arm.max_exporting["solo"] == 1
    # unrelated APIs still export concurrently with the groups (not one global lock)
    assert max(arm.max_exporting.values()) == 1
    assert arm.max_total > 1


def test_spec_by_api_type_and_v2_yaml_conversion():
    swagger = {"swagger": "2.0", "info": {"title": "T", "version": "1"}, "paths": {"/x": {"get": {"responses": {"200": {"description": "ok"}}}}}}
    arm = ScriptedArm(
        lists={"apis": [_api("rest"), _api("gql", kind="graphql"), _api("ws", kind="websocket"), _api("soapy", kind="soap")],
               "apis/gql/schemas": [{"name": "graphql", "properties": {"contentType": "application/vnd.ms-azure-apim.graphql.schema"}}],
               "apis/rest/schemas": [
                   {"name": "gen", "properties": {"contentType": "application/vnd.ms-azure-apim.swagger.definitions+json", "document": {}}},
                   {"name": "mine", "properties": {"contentType": "application/json", "document": {"a": 1}}},
               ]},
        gets={
            "apis/rest?export=true&format=swagger-link": {"value": {"link": "https://blob/rest"}},
            "apis/gql/schemas/graphql": {"properties": {"document": {"value": "type Query { a: Int }"}}},
            "apis/soapy?export=true&format=wsdl-link": {"properties": {"value": {"link": "https://blob/soapy"}}},
        },
        downloads={"https://blob/rest": json.dumps(swagger), "https://blob/soapy": "<definitions/>"},
    )
    state = read_instance(arm, spec_format="openapi-v2-yaml")
    rest = state.get(ResourceKey("api-specification", ("rest",)))
    assert rest.content.startswith("swagger: '2.0'") or rest.content.startswith('swagger: "2.0"')
    assert rest.content_ext == "yaml"
    gql = state.get(ResourceKey("api-specification", ("gql",)))
    assert gql.content == "type Query { a: Int }" and gql.content_ext == "graphql"
    assert state.get(ResourceKey("api-specification", ("ws",))) is None
    assert state.get(ResourceKey("api-specification", ("soapy",))).content_ext == "wsdl"
    # generated schemas belong to the specification; explicit ones are kept; the SDL is the spec
    assert [r.key.names for r in state.of_kind("api-schema")] == [("rest", "mine")]


def test_links_are_kept_only_with_both_ends_and_revisions_have_no_releases():
    arm = ScriptedArm(
        lists={
            "apis": [_api("a"), _api("a;rev=2")],
            "apis/a/tags": [{"name": "t"}, {"name": "gone-tag"}],
            "apis/a/releases": [{"name": "r1", "properties": {"apiId": f"{SVC}/apis/a;rev=1"}}],
            "apis/a;rev=2/releases": [{"name": "never", "properties": {}}],
            "tags": [{"name": "t", "properties": {"displayName": "T"}}],
            "products": [{"name": "p", "properties": {"displayName": "P"}}],
            "products/p/apis": [{"name": "a"}, {"name": "a;rev=2"}, {"name": "elsewhere"}],
            "products/p/groupLinks": [
                {"name": "l1", "properties": {"groupId": f"{SVC}/groups/developers"}},
                {"name": "l2", "properties": {"groupId": f"{SVC}/groups/missing"}},
            ],
        },
        gets={},
    )
    state = read_instance(arm, include_specifications=False)
    links = sorted((r.key.kind, r.key.names) for r in state if r.key.row.is_link)
    assert links == [("product-api", ("p", "a")), ("product-group", ("p", "developers")), ("tag-api", ("t", "a"))]
    assert state.get(ResourceKey("product-group", ("p", "developers"))).body == {
        "name": "l1", "properties": {"groupId": "/groups/developers"}}
    assert [r.key.names for r in state.of_kind("api-release")] == [("a", "r1")]
    assert not any("apis/a;rev=2/releases" in c for c in arm.calls)
    assert not any(c.startswith("GET apis/a?export") for c in arm.calls)


def test_operation_policies_and_the_operations_themselves():
    arm = ScriptedArm(
        lists={"apis": [_api("a")], "apis/a/operations": [{"name": "o1", "properties": {}}, {"name": "o2", "properties": {}}]},
        gets={"apis/a/operations/o1/policies/policy?format=rawxml": {"properties": {"value": "<policies>o1</policies>", "format": "rawxml"}}},
    )
    state = read_instance(arm, include_specifications=False)
    policies = state.of_kind("api-operation-policy")
    assert [(r.key.names, r.content, r.content_format) for r in policies] == [(("a", "o1"), "<policies>o1</policies>", "rawxml")]
    assert not state.of_kind("api-operation")


def test_spec_format_names():
    assert spec_format_for(None).export == "openapi-link"
    assert spec_format_for("OpenApiV3Json").export == "openapi+json-link"
    assert spec_format_for("openapi-v2-json").content_format == "swagger-json"
    assert spec_format_for("WADL").ext == "wadl"
    with pytest.raises(ConfigError):
        spec_format_for("pdf")
