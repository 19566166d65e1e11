"""apiops-cli's layout is read as is, the layout is named, and no file is left out in silence."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from apiops_core.artifacts import key_for_path, load_tree, match_path, read_tree
from apiops_core.cli import main
from apiops_emulator.apim.emulator import Emulator
from apiops_core.errors import ArtifactError
from apiops_core.model import ResourceKey
from apiops_core.treesource import DirectorySource

from artifact_trees import V7_TREE
from cli_tree import CLI_TREE, EXPECTED


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self, level: int | None = None) -> list[str]:
        return [r.getMessage() for r in self.records if level is None or r.levelno == level]


@pytest.fixture()
def apiops_log():
    """What the ``apiops`` logger says (the CLI stops it propagating, so caplog cannot see it)."""
    logger = logging.getLogger("apiops")
    handler, level = _Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def K(kind: str, *names: str, ws: str | None = None) -> ResourceKey:
    return ResourceKey(kind, names, ws)


def test_every_fixture_file_says_what_it_becomes() -> None:
    assert set(CLI_TREE) == set(EXPECTED)


@pytest.mark.slow
def test_apiops_cli_tree_plans_a_create_for_every_file(make_tree, tmp_path: Path, apiops_log) -> None:
    root = make_tree(CLI_TREE, "apim-artifacts")
    read = read_tree(DirectorySource(root))
    assert read.problems == []
    assert read.layout == "apiops-cli"
    unused = dict(read.unused)
    expected_keys: set[ResourceKey] = set()
    for path, what in EXPECTED.items():
        if isinstance(what, list):
            keys = [ResourceKey(kind, names, ws) for kind, names, ws in what]
            expected_keys.update(keys)
            for key in keys:
                assert key in read.state, (path, key)
            assert path not in unused
        elif what[0] == "covered":
            expected_keys.add(ResourceKey(*what[1]))
            assert path not in unused and path not in read.foreign
        elif what[0] == "unused":
            assert what[1] in unused.get(path, ""), (path, unused.get(path))
        elif what[0] == "foreign":
            assert path in read.foreign
        else:  # built-in resources: skipped with a note
            assert path in read.ignored and any(path in note and what[1] in note for note in read.notes)
    assert {r.key for r in read.state} == expected_keys  # nothing read that the fixture does not expect

    plan_file, result_file = tmp_path / "plan.json", tmp_path / "result.json"
    with Emulator(seed="demo-secrets") as emu:
        code = main(["plan", "--artifacts", str(root), "--out", str(plan_file), "--result", str(result_file)],
                    emu.environment())
        assert code == 0
        plan = json.loads(plan_file.read_text())
        creates = {ResourceKey(a["kind"], tuple(a["names"]), a["workspace"]) for a in plan["puts"] if a["reason"] == "create"}
        assert creates == expected_keys
        assert plan["deletes"] == []
        assert json.loads(result_file.read_text())["layout"] == "apiops-cli"
        # the instance accepts what was read (bodies translated from apiops-cli's shapes)
        assert main(["publish", "--artifacts", str(root)], emu.environment()) == 0
    logged = "\n".join(apiops_log.text())
    assert "artifacts layout: apiops-cli" in logged
    for path, what in EXPECTED.items():
        if isinstance(what, tuple) and what[0] == "unused":
            assert f"{path}: not used: " in logged, path
    assert "3 file(s) outside the artifacts left alone" in logged


def test_unknown_files_are_reported_with_the_reason(make_tree, apiops_log) -> None:
    root = make_tree({
        **{p: CLI_TREE[p] for p in ("apis/petstore-api/apiInformation.json", "namedValues/api-key/namedValueInformation.json")},
        "apis/petstore-api/notes.json": b"{}",
        "apis/petstore-api/examples/get.json": b"{}",
        "namedvalues/typo/namedValueInformation.json": b'{"properties": {}}',
        "apiInformation.json": b'{"properties": {}}',
        "pipelines/run-publisher.yml": b"steps: []\n",
        "_config/configuration.dev.yaml": b"apimServiceName: dev\n",
        "configuration.extractor.yaml": b"apis: []\n",
        ".apiops-lint.yaml": b"rules: {}\n",
        "apis/README.md": b"# apis\n",
    })
    read = read_tree(DirectorySource(root))
    unused = dict(read.unused)
    assert set(unused) == {
        "apis/petstore-api/notes.json", "apis/petstore-api/examples/get.json",
        "namedvalues/typo/namedValueInformation.json", "apiInformation.json",
    }
    assert "unknown file name 'notes.json' in apis/petstore-api/" in unused["apis/petstore-api/notes.json"]
    assert "unknown folder 'examples' in apis/petstore-api/" in unused["apis/petstore-api/examples/get.json"]
    assert "unknown folder 'namedvalues' in the root" in unused["namedvalues/typo/namedValueInformation.json"]
    assert sorted(read.foreign) == [
        ".apiops-lint.yaml", "_config/configuration.dev.yaml", "apis/README.md", "configuration.extractor.yaml",
        "pipelines/run-publisher.yml",
    ]
    load_tree(DirectorySource(root))
    warnings = apiops_log.text(logging.WARNING)
    assert len(warnings) == 4 and all(": not used: " in w for w in warnings)
    assert any("examples" in w and "apis/petstore-api/examples/get.json" in w for w in warnings)
    infos = apiops_log.text(logging.INFO)
    assert sum("left alone" in m for m in infos) == 1


def test_apiops_cli_bodies_mean_what_apiops_cli_meant(make_tree) -> None:
    root = make_tree({
        "namedValues/secret/namedValueInformation.json": b'{"properties": {"displayName": "s", "secret": true, "value": "*** REDACTED ***"}}',
        "policyFragments/f/policyFragmentInformation.json": CLI_TREE["policyFragments/rate-limit/policyFragmentInformation.json"],
        "apis/a/tags/t/tagInformation.json": b'{"properties": {"displayName": "t"}}',
        "workspaces/w/products/p/groups.json": b'[{"name": "developers", "scope": "service"}, {"name": "team"}]',
        "workspaces/w/apis/b/tags/t/tagInformation.json": b'{"properties": {"displayName": "t"}}',
        "apis/nospec/operations/op/operationInformation.json": b'{"properties": {"method": "GET"}}',
        "apis/nospec/mcpServerInformation.json": b"{}",
        "apis/pets/specification.yaml": CLI_TREE["apis/petstore-api/specification.yaml"],
        "apis/pets/operations/get-pets/operationInformation.json": b'{"properties": {"method": "GET"}}',
        "apis/pets/operations/added-in-portal/operationInformation.json": b'{"properties": {"method": "GET"}}',
    })
    read = read_tree(DirectorySource(root))
    assert read.problems == []
    secret = read.state.get(K("named-value", "secret"))
    assert secret is not None and "value" not in secret.properties and secret.properties["secret"] is True
    fragment = read.state.get(K("policy-fragment", "f"))
    assert fragment is not None and fragment.content is not None and fragment.content.startswith("<fragment>")
    assert fragment.content_format == "rawxml" and fragment.body == {"properties": {"description": "shared limit"}}
    link = read.state.get(K("tag-api", "t", "a"))
    assert link is not None and link.body == {}
    assert read.state.get(K("product-group", "p", "developers", ws="w")).body == {"properties": {"groupId": "/groups/developers"}}
    assert read.state.get(K("product-group", "p", "team", ws="w")).body == {"properties": {"groupId": "/workspaces/w/groups/team"}}
    assert read.state.get(K("tag-api", "t", "b", ws="w")).body == {"properties": {"apiId": "/workspaces/w/apis/b"}}
    unused = dict(read.unused)
    assert "has none in the tree" in unused["apis/nospec/operations/op/operationInformation.json"]
    assert "apiInformation.json only" in unused["apis/nospec/mcpServerInformation.json"]
    assert "apis/pets/operations/get-pets/operationInformation.json" not in unused  # covered by the spec
    assert "no such operationId" in unused["apis/pets/operations/added-in-portal/operationInformation.json"]
    assert read.layout == "apiops-cli (files of a version before 0.3)"
    assert match_path("apis/a/releases/r/releaseInformation.json").role == "cli-info"  # type: ignore[union-attr]
    assert match_path("versionSets/v/versionSetInformation.json").key == K("version-set", "v")  # type: ignore[union-attr]
    # --since maps changed apiops-cli files to their resources like any other layout's
    assert key_for_path("namedValues/n/namedValueInformation.json") == K("named-value", "n")
    assert key_for_path("workspaces/w/apis/b/tags/t/tagInformation.json") == K("tag-api", "t", "b", ws="w")
    assert key_for_path("apis/a/wiki.md") == K("api-wiki", "a")  # apiops-cli's wiki file is read too
    # apiops-cli's tag description file is read as the api-tag-description kind
    assert key_for_path("apis/a/tagDescriptions/t/tagDescriptionInformation.json") == K("api-tag-description", "a", "t")


@pytest.mark.parametrize(
    "files, layout",
    [
        ({"apis/a/apiInformation.json": b"{}"}, "v6/v7"),
        ({"tags/t/apis/a/tagApiInformation.json": b"{}"}, "v7"),
        ({"workspaces/w/apis/a/apiInformation.json": b"{}"}, "v7"),
        ({"apis/a/tags/t/apiTagInformation.json": b"{}"}, "v6"),
        ({"products/p/apis.json": b'["a"]', "version sets/v/apiVersionSetInformation.json": b"{}"}, "v5"),
        ({"products/p/apis.json": b'["a"]', "namedValues/n/namedValueInformation.json": b"{}"}, "apiops-cli"),
        ({"apis/a/tags/t/apiTagInformation.json": b"{}", "products/p/groups.json": b"[]"}, "mixed: v6 + v5"),
        ({"tags/t/products/p/tagProductInformation.json": b"{}", "versionSets/v/versionSetInformation.json": b"{}"},
         "mixed: v7 + apiops-cli"),
        ({"diagnostics/d/diagnosticInformation.json": b'{"properties": {"loggerId": "/loggers/l"}}'}, "v7"),
        ({"diagnostics/d/diagnosticInformation.json":
          b'{"properties": {"loggerId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/x/loggers/l"}}',
          "subscriptions/s/subscriptionInformation.json": b'{"properties": {"scope": "/apis"}}'}, "v6"),
        ({"subscriptions/s/subscriptionInformation.json": b'{"properties": {"scope": "/apis"}}'}, "v6/v7"),
        ({"README.md": b"# x"}, "empty"),
    ],
)
def test_layout_is_named(make_tree, files, layout) -> None:
    assert read_tree(DirectorySource(make_tree(files))).layout == layout


def test_v7_tree_reads_as_v7_without_unused_files(v7_tree: Path) -> None:
    read = read_tree(DirectorySource(v7_tree))
    assert read.layout == "v7" and read.unused == [] and read.problems == []
    assert len(read.state) >= len(V7_TREE) - 3


def test_layout_and_unused_files_are_said_before_problems_stop_the_load(make_tree, apiops_log) -> None:
    root = make_tree({
        "namedValues/n/namedValueInformation.json": b'{"properties": {',
        "apis/a/mcpServerInformation.json": b"{}",
    })
    with pytest.raises(ArtifactError):
        load_tree(DirectorySource(root))
    assert any(m.startswith("artifacts layout: apiops-cli") for m in apiops_log.text(logging.INFO))
    assert any("apis/a/mcpServerInformation.json: not used: " in m for m in apiops_log.text(logging.WARNING))


def test_a_policy_apiops_cli_redacted_is_refused_with_file_and_line(make_tree) -> None:
    policy = b"<policies>\n  <inbound>\n    <set-header name=\"Authorization\" exists-action=\"override\">\n" \
             b"      <value>Bearer *** REDACTED ***</value>\n    </set-header>\n  </inbound>\n</policies>\n"
    root = make_tree({"apis/a/apiInformation.json": b'{"properties": {"path": "a"}}', "apis/a/policy.xml": policy})
    read = read_tree(DirectorySource(root))
    assert len(read.problems) == 1
    problem = read.problems[0]
    assert problem.path.endswith("apis/a/policy.xml") and problem.line == 4
    assert "secret named value" in str(problem)
