"""Extractor configuration: v6 flat and v7 nested formats, selection semantics, errors with lines."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from apiops_core.config import ExtractorConfig
from apiops_core.config_schema import load_schema
from apiops_core.errors import ConfigError
from apiops_core.kinds import KINDS
from apiops_core.model import ResourceKey


def K(kind: str, *names: str, ws: str | None = None) -> ResourceKey:
    return ResourceKey(kind, names, ws)


def load(tmp_path: Path, text: str) -> ExtractorConfig:
    path = tmp_path / "configuration.extractor.yaml"
    path.write_text(text, encoding="utf-8")
    return ExtractorConfig.load(path)


def test_all_selects_everything_but_system_names() -> None:
    config = ExtractorConfig.all()
    assert config.selects(K("api", "a"))
    assert config.selects(K("api-operation-policy", "a", "op"))
    assert config.selects(K("product-group", "starter", "developers"))  # a link to a built-in group is real
    assert not config.selects(K("subscription", "master"))
    assert not config.selects(K("group", "Developers"))
    assert not config.selects(K("gateway", "managed"))


def test_v7_nested_selection(tmp_path: Path) -> None:
    config = load(tmp_path, """
apis:
  - Echo-API
  - b:
      operations: []
      diagnostics: [appinsights]
products: [starter]
namedValues: []
versionSets: [vs1]
policies: []
""")
    assert config.selects(K("api", "echo-api"))
    assert config.selects(K("api", "echo-api;rev=3"))  # an entry covers every revision
    assert config.selects(K("api-operation-policy", "echo-api", "get"))
    assert config.selects(K("api-specification", "b"))
    assert config.selects(K("api-policy", "b"))  # b has no 'policies' key: all
    assert not config.selects(K("api-operation-policy", "b", "get"))
    assert config.selects(K("api-diagnostic", "b", "AppInsights"))
    assert not config.selects(K("api-diagnostic", "b", "other"))
    assert not config.selects(K("api", "c"))
    assert not config.selects(K("api-policy", "c"))
    assert not config.selects(K("named-value", "x"))
    assert not config.selects(K("service-policy"))
    assert config.selects(K("backend", "anything"))  # missing key = all
    # links need both ends
    assert config.selects(K("product-api", "starter", "b"))
    assert not config.selects(K("product-api", "starter", "c"))
    assert not config.selects(K("product-api", "unlimited", "b"))
    assert config.selects(K("tag-api", "t", "b"))
    assert not config.selects(K("tag-api", "t", "c"))
    # an API in an excluded version set is skipped
    assert config.selects(K("api", "b"), {"properties": {"apiVersionSetId": "/apiVersionSets/VS1"}})
    assert not config.selects(K("api", "b"), {"properties": {"apiVersionSetId": "/subscriptions/s/x/apiVersionSets/vs2"}})


def test_v6_flat_keys_and_ignore_idiom(tmp_path: Path) -> None:
    config = load(tmp_path, """
 # indented top level keys are still valid YAML
 apiNames: [mocktarget]
 productNames: [ignore]
 backendNames:
 namedValueNames: []
""")
    assert config.selects(K("api", "MockTarget"))
    assert not config.selects(K("api", "other"))
    assert not config.selects(K("product", "starter"))
    assert config.selects(K("backend", "b"))  # null = missing = all
    assert not config.selects(K("named-value", "n"))


def test_workspaces(tmp_path: Path) -> None:
    config = load(tmp_path, """
workspaces:
  - team1:
      apis: [a]
  - team2
""")
    assert config.selects(K("workspace", "team1"))
    assert config.selects(K("api", "a", ws="team1"))
    assert not config.selects(K("api", "b", ws="team1"))
    assert config.selects(K("backend", "x", ws="team1"))
    assert config.selects(K("api", "z", ws="team2"))
    assert not config.selects(K("api", "z", ws="team3"))
    assert not config.selects(K("workspace", "team3"))


def test_owns_path(tmp_path: Path) -> None:
    config = load(tmp_path, "apis: [a]\nproducts: [p]\n")
    assert config.owns_path("apis/a/apiInformation.json")
    assert config.owns_path("apis/a;rev=2/specification.yaml")
    assert config.owns_path("apis/a/operations/o/policy.xml")
    assert not config.owns_path("apis/b/apiInformation.json")
    assert config.owns_path("products/p/apis/a/productApiInformation.json")
    assert not config.owns_path("products/p/apis/b/productApiInformation.json")
    assert config.owns_path("products/p/apis.json")
    assert not config.owns_path("README.md")
    assert config.owns_path("backends/x/backendInformation.json")


def test_unknown_key_is_an_error_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "apis: [a]\nproductNmes: [p]\n")
    assert caught.value.line == 2 and "productNmes" in str(caught.value)
    assert str(caught.value).endswith(caught.value.message) and ":2:" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "apis:\n  - b:\n      operations: []\n      operashuns: []\n")
    assert caught.value.line == 4 and "operashuns" in str(caught.value)


def test_override_style_entries_get_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "apimServiceName: x\napis:\n  - name: test\n")
    assert caught.value.line == 3 and "- test" in str(caught.value)


def test_malformed_yaml_has_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "apis:\n  - a\n  b: [\n")
    assert caught.value.path and caught.value.path.endswith("configuration.extractor.yaml")
    assert caught.value.line in (3, 4)


def test_comment_only_file_and_spec_format(tmp_path: Path) -> None:
    assert load(tmp_path, "# nothing here\n").selects(K("api", "a"))
    config = load(tmp_path, "apiSpecificationFormat: openapiv2json\napimServiceName: apim-dev\n")
    assert config.spec_format == "OpenApiV2Json" and config.service_name == "apim-dev"
    with pytest.raises(ConfigError):
        load(tmp_path, "apiSpecificationFormat: pdf\n")
    with pytest.raises(ConfigError, match="both"):
        load(tmp_path, "apiNames: [a]\napis: [b]\n")


def test_schema_keys_follow_the_kind_table() -> None:
    """The per-kind keys are built from the table: every row with a config key is accepted where it nests."""
    schema = load_schema("extractor-config.schema.json")
    top = {k.config_key for k in KINDS if k.parent is None and k.config_key}
    v6 = {k.v6_config_key for k in KINDS if k.v6_config_key}
    assert set(schema["properties"]) == top | v6 | {"apimServiceName", "apiSpecificationFormat"}
    for parent in {k.parent for k in KINDS if k.parent and k.config_key}:
        children = {k.config_key for k in KINDS if k.parent == parent and k.config_key}
        assert set(schema["$defs"][f"{parent}-children"]["properties"]) == children, parent
    in_ws = {k.config_key for k in KINDS if k.parent is None and k.config_key and k.in_workspace and k.name != "workspace"}
    assert set(schema["$defs"]["workspace-children"]["properties"]) == in_ws
    overrides = load_schema("overrides.schema.json")
    assert set(overrides["properties"]) == top | {"apimServiceName", "servicePolicies"}
    for row in KINDS:
        if row.config_key:
            assert f"{row.name}-entry" in overrides["$defs"], row.name
    # the hand-written files hold no kind's key: a new row needs no JSON edit
    for name in ("extractor-config.schema.json", "overrides.schema.json"):
        written = json.loads(resources.files("apiops_core.schemas").joinpath(name).read_text())
        assert not set(written["properties"]) & (top | v6), name


def test_a_resolver_s_policies_nest_under_it_as_in_the_table(tmp_path: Path) -> None:
    config = load(tmp_path, "apis:\n  - gql:\n      resolvers:\n        - r1: {policies: []}\n")
    assert config.selects(K("api-resolver", "gql", "r1"))
    assert not config.selects(K("api-resolver-policy", "gql", "r1"))
