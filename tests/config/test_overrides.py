"""Environment overrides: deep merge, nested sections, tokens, unmatched names, errors with lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiops_core.config import Overrides, substitute_tokens
from apiops_core.errors import ConfigError
from apiops_core.model import Resource, ResourceKey, State


def K(kind: str, *names: str, ws: str | None = None) -> ResourceKey:
    return ResourceKey(kind, names, ws)


def state() -> State:
    return State([
        Resource(K("named-value", "nv"), {"properties": {"displayName": "nv", "secret": False, "value": "dev", "tags": ["a"]}}),
        Resource(K("logger", "ai"), {"properties": {"loggerType": "applicationInsights", "credentials": {"instrumentationKey": "k", "other": "o"}}}),
        Resource(K("api", "echo"), {"properties": {"path": "echo", "apiRevision": "2", "isCurrent": True, "serviceUrl": "https://dev"}}),
        Resource(K("api", "echo;rev=1"), {"properties": {"path": "echo", "apiRevision": "1", "serviceUrl": "https://dev"}}),
        Resource(K("api-diagnostic", "echo", "appinsights"), {"properties": {"verbosity": "information", "loggerId": "/loggers/ai"}}),
        Resource(K("api-policy", "echo"), {}, "<policies>dev</policies>", "rawxml"),
        Resource(K("api-operation-policy", "echo", "get"), {}, "<policies>op</policies>", "rawxml"),
        Resource(K("service-policy"), {}, "<policies/>", "rawxml"),
        Resource(K("gateway-api", "gw", "echo"), {}),
        Resource(K("api", "team-api", ws="ws1"), {"properties": {"path": "team"}}),
    ])


def load(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> Overrides:
    path = tmp_path / "configuration.prod.yaml"
    path.write_text(text, encoding="utf-8")
    return Overrides.load(path, environ or {})


def test_merge_rules_and_nested_sections(tmp_path: Path) -> None:
    overrides = load(tmp_path, """
apimServiceName: apim-prod
namedValues:
  - name: NV
    properties:
      value: prod
      tags: [b]
loggers:
  - name: ai
    properties:
      credentials:
        instrumentationKey: "{{prod-key}}"
      resourceId: /subscriptions/x
apis:
  - name: echo
    properties:
      serviceUrl: https://prod
      apiRevision: "9"
      isCurrent: false
    diagnostics:
      - name: appinsights
        properties: {verbosity: error}
    policies:
      - name: policy
        properties: {format: rawxml, value: "<policies>prod</policies>"}
    operations:
      - name: get
        policies:
          - name: policy
            properties: {value: "<policies>op-prod</policies>"}
    gateways:
      - name: gw
servicePolicies:
  - name: policy
    properties: {format: rawxml}
workspaces:
  - name: ws1
    apis:
      - name: team-api
        properties: {serviceUrl: https://team}
""")
    assert overrides.service_name == "apim-prod"
    before = state()
    after = overrides.apply(before)
    assert overrides.unmatched == []
    assert after.get(K("named-value", "nv")).body["properties"] == {"displayName": "nv", "secret": False, "value": "prod", "tags": ["b"]}
    assert after.get(K("logger", "ai")).body["properties"] == {
        "loggerType": "applicationInsights", "credentials": {"instrumentationKey": "{{prod-key}}", "other": "o"}, "resourceId": "/subscriptions/x"
    }
    echo = after.get(K("api", "echo")).body["properties"]
    assert echo == {"path": "echo", "apiRevision": "2", "isCurrent": True, "serviceUrl": "https://prod"}
    assert after.get(K("api", "echo;rev=1")).body["properties"]["serviceUrl"] == "https://prod"  # all revisions
    assert after.get(K("api-diagnostic", "echo", "appinsights")).body["properties"]["verbosity"] == "error"
    assert after.get(K("api-policy", "echo")).content == "<policies>prod</policies>"
    assert after.get(K("api-operation-policy", "echo", "get")).content == "<policies>op-prod</policies>"
    assert after.get(K("api", "team-api", ws="ws1")).body["properties"]["serviceUrl"] == "https://team"
    # the input state is not modified
    assert before.get(K("named-value", "nv")).body["properties"]["value"] == "dev"


def test_unmatched_names_are_warnings(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    overrides = load(tmp_path, "namedValues:\n  - name: nv\n  - name: missing-one\n    properties: {value: x}\nloggers:\n")
    after = overrides.apply(state())
    assert len(overrides.unmatched) == 1 and "missing-one" in overrides.unmatched[0] and ":3:" in overrides.unmatched[0]
    assert "missing-one" in caplog.text
    assert len(after) == len(state())


def test_tokens_are_substituted_and_missing_ones_named(tmp_path: Path) -> None:
    text = "namedValues:\n  - name: nv\n    properties:\n      value: \"pre-{#Secret.Value#}-{#plain#}\"\n"
    overrides = load(tmp_path, text, {"SECRET_VALUE": "s3", "plain": "p"})
    assert overrides.apply(state()).get(K("named-value", "nv")).body["properties"]["value"] == "pre-s3-p"
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, {"plain": "p"})
    assert caught.value.line == 4 and "{#Secret.Value#}" in str(caught.value) and "configuration.prod.yaml" in str(caught.value)


def test_substitute_tokens_on_artifact_text() -> None:
    assert substitute_tokens("<a>{#x#}</a>\n{# y #}", {"x": "1", "Y": "2"}, "policy.xml") == "<a>1</a>\n2"
    with pytest.raises(ConfigError) as caught:
        substitute_tokens("line1\nline2 {#nope#}", {}, "apis/a/policy.xml")
    assert (caught.value.path, caught.value.line) == ("apis/a/policy.xml", 2)
    assert "{{named-value}}" == substitute_tokens("{{named-value}}", {}, "x")


def test_invalid_yaml_is_a_config_error_with_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "apimServiceName: x\nbackends:\n - name: backend1\n     properties:\n       url: https://x\n")
    assert caught.value.line == 4 and "invalid YAML" in str(caught.value)


def test_unknown_sections_and_rename_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "apimServiceName: x\nnamedValue:\n  - name: a\n")
    assert caught.value.line == 2 and "namedValue" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "gateways:\n  - name: gw\n    newName: gw2\n")
    assert caught.value.line == 3 and "newName" in str(caught.value) and "not supported" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "apimServiceName: [placeholder]\n")
    assert caught.value.line == 1


def test_empty_and_null_sections(tmp_path: Path) -> None:
    overrides = load(tmp_path, "# only comments\n")
    assert overrides.entries == () and overrides.service_name is None
    overrides = load(tmp_path, "apimServiceName: x\nnamedValues:\napis:\n")
    assert overrides.entries == ()
    assert len(overrides.apply(state())) == len(state())
