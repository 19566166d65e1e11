"""Every tree of our own fixtures, published into an empty instance, settles in one publish: the
second publish makes zero writes (counted by the emulator). Issue 13, "Convergence".

The trees: the demo instance as extracted, a generated instance as extracted, an API per
specification fixture of the emulator tests (OpenAPI YAML/JSON, Swagger, WADL, WSDL, GraphQL),
the SOAP/WADL/GraphQL tree of the format tests, and ``converge_tree`` (inline schemas, operation
policies, a revision with its own backend and a tag link in its folder).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

import pytest

from apiops_emulator.apim.emulator import Emulator
from apiops_core.model import Resource, ResourceKey, State
from apiops_core.plan import REPUT_AFTER_IMPORT, plan_against_instance, plan_since, spec_signature

from .conftest import extract_to, make_arm, run_cli, writes
from .converge_tree import CONVERGE_TREE, write_converge_tree
from .test_revisions_and_formats import _format_tree

SPEC_FIXTURES = Path(__file__).parent.parent / "emulator_specs" / "fixtures"


def _spec_fixture_tree(root: Path, demo_tree: Path) -> Path:
    """One API per specification fixture, each with an operation-less API policy."""
    types = {".graphql": "graphql", ".wsdl": "soap"}
    for index, source in enumerate(sorted(SPEC_FIXTURES.iterdir())):
        name = source.stem
        folder = root / "apis" / name
        folder.mkdir(parents=True)
        props = {"displayName": name.title(), "path": f"fixture-{index}", "protocols": ["https"],
                 "apiRevision": "1", "isCurrent": True, "subscriptionRequired": False,
                 "type": types.get(source.suffix, "http")}
        if source.suffix == ".graphql":
            props["serviceUrl"] = "https://graphql.example/"
        (folder / "apiInformation.json").write_text(json.dumps({"properties": props}, indent=2), encoding="utf-8")
        ext = source.suffix.lstrip(".")
        shutil.copyfile(source, folder / f"specification.{ext}")
    return root


def _extracted(seed: str) -> Callable[[Path, Path], Path]:
    def build(root: Path, demo_tree: Path) -> Path:
        with Emulator(seed=seed) as source:
            return extract_to(source, root)
    return build


TREES: dict[str, Callable[[Path, Path], Path]] = {
    "demo": lambda root, demo_tree: Path(shutil.copytree(demo_tree, root)),
    "generated": _extracted("generated:4:3"),
    "spec-fixtures": _spec_fixture_tree,
    "formats": _format_tree,
    "converge": lambda root, demo_tree: write_converge_tree(root),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TREES))
def test_a_second_publish_of_every_fixture_tree_makes_zero_writes(name: str, demo_tree: Path, tmp_path: Path) -> None:
    tree = TREES[name](tmp_path / name, demo_tree)
    with Emulator(seed="demo-secrets") as emu:
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        assert writes(emu) == 0


@pytest.mark.slow
def test_the_converge_tree_keeps_what_each_publish_used_to_lose(tmp_path: Path) -> None:
    tree = write_converge_tree(tmp_path / "tree")
    with Emulator(seed="demo-secrets") as emu:
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        with make_arm(emu) as arm:
            # each revision keeps its own backend
            assert arm.get("apis/shop").properties["serviceUrl"] == "https://shop-v1.example/api"
            assert arm.get("apis/shop;rev=2").properties["serviceUrl"] == "https://shop-v2.example/api"
            # the tag link from the revision folder is the API's
            assert [t["name"] for t in arm.list("apis/shop/tags")] == ["featured"]

        # a real specification change re-imports; the operation policies are put back in the same publish
        spec = tree / "apis/shop/specification.yaml"
        spec.write_text(CONVERGE_TREE["apis/shop/specification.yaml"].replace(
            "                note:\n                  type: string\n", "                note:\n                  type: integer\n"),
            encoding="utf-8")
        result = tmp_path / "plan.json"
        assert run_cli(emu, "plan", "--artifacts", str(tree), "--result", str(result)) == 0
        assert json.loads(result.read_text())["puts"] == 4  # the specification, 2 operation policies, the API schema
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        with make_arm(emu) as arm:
            for operation in ("list-orders", "create-order"):
                policy = arm.get(f"apis/shop/operations/{operation}/policies/policy", params={"format": "rawxml"})
                assert policy is not None and "x-op" in policy.properties["value"]
            assert arm.get("apis/shop;rev=2/operations/get-order/policies/policy") is not None
            assert arm.get("apis/shop/schemas/order-event") is not None
        emu.reset_stats()
        assert run_cli(emu, "publish", "--artifacts", str(tree), "--yes") == 0
        assert writes(emu) == 0


# -- the plan alone (no instance) ------------------------------------------------------------

_INLINE = """openapi: 3.0.1
info: {title: S, version: '1'}
paths:
  /items:
    post:
      operationId: create-item
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {name: {type: string}}}
      responses:
        '201': {description: created}
        default: {description: error}
"""

#: what an export of _INLINE looks like: the inline schema named, the default response gone
_EXPORTED = """openapi: 3.0.1
info: {title: S, version: '1'}
servers: [{url: 'https://gw.example/s'}]
paths:
  /items:
    post:
      operationId: create-item
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/ItemsPostRequest'}
      responses:
        '201': {description: created}
components:
  schemas:
    ItemsPostRequest: {type: object, properties: {name: {type: string}}}
"""


def _shop_states(spec_text: str) -> tuple[State, State]:
    K = ResourceKey
    api = {"properties": {"displayName": "S", "path": "s", "protocols": ["https"]}}
    policy = "<policies><inbound><base /></inbound></policies>"
    schema = {"properties": {"contentType": "application/json", "document": {"definitions": {}}}}
    desired = State([
        Resource(K("api", ("s",)), api),
        Resource(K("api-specification", ("s",)), {}, content=spec_text, content_format="openapi", content_ext="yaml"),
        Resource(K("api-operation-policy", ("s", "create-item")), {}, content=policy),
        Resource(K("api-policy", ("s",)), {}, content=policy),
        Resource(K("api-schema", ("s", "x")), schema),
        Resource(K("tag", ("t",)), {"properties": {"displayName": "t"}}),
        Resource(K("tag-api", ("t", "s;rev=2")), {}),
    ])
    current = State([
        Resource(K("api", ("s",)), api),
        Resource(K("api-specification", ("s",)), {}, content=_EXPORTED, content_format="openapi", content_ext="yaml"),
        Resource(K("api-operation-policy", ("s", "create-item")), {}, content=policy),
        Resource(K("api-policy", ("s",)), {}, content=policy),
        Resource(K("api-schema", ("s", "x")), schema),
        Resource(K("tag", ("t",)), {"properties": {"displayName": "t"}}),
        Resource(K("tag-api", ("t", "s")), {}),
    ])
    return desired, current


def test_an_inline_schema_equals_its_export_named_component_and_a_link_in_a_revision_folder_is_the_apis() -> None:
    assert spec_signature(_INLINE, "openapi") == spec_signature(_EXPORTED, "openapi")
    assert spec_signature(_INLINE, "openapi") != spec_signature(_INLINE.replace("type: string", "type: integer"), "openapi")
    desired, current = _shop_states(_INLINE)
    plan = plan_against_instance(desired, current, terminator=True, prune=True, max_deletions=0)
    assert plan.puts == () and plan.deletes == ()


def test_a_specification_import_re_puts_the_apis_operation_policies_after_it() -> None:
    desired, current = _shop_states(_INLINE.replace("type: string", "type: integer"))
    spec, policy = ResourceKey("api-specification", ("s",)), ResourceKey("api-operation-policy", ("s", "create-item"))
    schema = ResourceKey("api-schema", ("s", "x"))
    for plan in (plan_against_instance(desired, current),
                 plan_since(desired, current, [spec], since="abc", until="def")):
        assert [a.key for a in plan.puts] == [spec, schema, policy]  # never the API policy: an import keeps it
        for action in plan.puts[1:]:
            assert REPUT_AFTER_IMPORT in action.reason and spec in action.depends_on
