"""Writing trees: round trip, atomic swap, ownership of stale files, secrets and hostile names."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from apiops_core import artifacts
from apiops_core.artifacts import dump_json, load_tree, write_tree
from apiops_core.errors import ArtifactError
from apiops_core.model import Resource, ResourceKey, State
from apiops_core.treesource import DirectorySource

from artifact_trees import V7_TREE


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under root with its bytes and mtime (ns)."""
    found = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = (path.read_bytes(), path.stat().st_mtime_ns)
    return found


def files_of(root: Path) -> dict[str, bytes]:
    return {k: v[0] for k, v in snapshot(root).items()}


def test_round_trip_is_byte_exact(v7_tree: Path, tmp_path: Path) -> None:
    state = load_tree(DirectorySource(v7_tree))
    out = tmp_path / "out"
    result = write_tree(state, out)
    assert sorted(result.written) == sorted(V7_TREE)
    assert files_of(out) == V7_TREE  # info files: Azure/apiops formatting, content: byte-exact


def test_json_formatting_matches_azure_apiops() -> None:
    body = {"properties": {"a": "x<y>&'+`\"\\é\n😀", "n": 1, "f": 0.5, "b": True, "z": None, "e": {}, "l": []}}
    text = dump_json(body)
    assert text == (
        '{\n  "properties": {\n    "a": "x\\u003Cy\\u003E\\u0026\\u0027\\u002B\\u0060\\u0022\\\\\\u00E9\\n\\uD83D\\uDE00",\n'
        '    "n": 1,\n    "f": 0.5,\n    "b": true,\n    "z": null,\n    "e": {},\n    "l": []\n  }\n}'
    )
    assert json.loads(text) == body


def test_rewrite_keeps_unchanged_files_untouched_and_foreign_files(v7_tree: Path) -> None:
    (v7_tree / "README.md").write_bytes(b"keep me")
    (v7_tree / ".git").mkdir()
    (v7_tree / ".git" / "HEAD").write_bytes(b"ref: refs/heads/main\n")
    (v7_tree / "empty-folder").mkdir()
    old_ns = 1_000_000_000_000_000_000
    for path in v7_tree.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(old_ns, old_ns))
    before = snapshot(v7_tree)
    state = load_tree(DirectorySource(v7_tree))
    result = write_tree(state, v7_tree)
    assert result.written == [] and result.deleted == []
    assert sorted(result.unchanged) == sorted(V7_TREE)
    assert snapshot(v7_tree) == before

    # change one resource: only its file is written, everything else keeps its mtime
    api = state.get(ResourceKey("api", ("echo-api",)))
    assert api is not None
    state.add(Resource(api.key, {"properties": {**api.body["properties"], "path": "echo2"}}))
    result = write_tree(state, v7_tree)
    assert result.written == ["apis/echo-api/apiInformation.json"]
    after = snapshot(v7_tree)
    for path, (data, mtime) in before.items():
        if path != "apis/echo-api/apiInformation.json":
            assert after[path] == (data, mtime), path
    assert (v7_tree / "empty-folder").is_dir()


def test_stale_files_are_removed_only_where_owned(v7_tree: Path) -> None:
    (v7_tree / "notes.md").write_bytes(b"team notes")
    state = load_tree(DirectorySource(v7_tree))
    for key in list(state.keys()):
        if key.kind in ("product", "product-policy", "product-api", "product-group", "tag-product"):
            state.remove(key)
        if key.names and key.names[0] == "graph":
            state.remove(key)
    result = write_tree(state, v7_tree, owns=lambda path: not path.startswith("products/"))
    assert "apis/graph/apiInformation.json" in result.deleted
    assert "apis/graph/specification.graphql" in result.deleted
    assert "tags/t1/products/starter/tagProductInformation.json" in result.deleted
    assert not (v7_tree / "apis" / "graph").exists()  # no empty folder left behind
    assert (v7_tree / "products/starter/productInformation.json").read_bytes() == V7_TREE["products/starter/productInformation.json"]
    assert (v7_tree / "notes.md").read_bytes() == b"team notes"
    result = write_tree(state, v7_tree)
    assert "products/starter/productInformation.json" in result.deleted


def test_legacy_files_are_migrated_to_v7(make_tree) -> None:
    root = make_tree({
        "apis/a/apiInformation.json": b'{"properties": {"path": "a"}}',
        "apis/a/tags/t/apiTagInformation.json": b"{}",
        "products/p/productInformation.json": b'{"properties": {}}',
        "products/p/apis.json": b'["a"]',
        "version sets/v/apiVersionSetInformation.json": b'{"properties": {}}',
    })
    state = load_tree(DirectorySource(root))
    result = write_tree(state, root)
    assert set(result.deleted) == {
        "apis/a/tags/t/apiTagInformation.json", "products/p/apis.json", "version sets/v/apiVersionSetInformation.json"
    }
    assert set(files_of(root)) == {
        "apis/a/apiInformation.json", "tags/t/apis/a/tagApiInformation.json", "products/p/productInformation.json",
        "products/p/apis/a/productApiInformation.json", "version sets/v/versionSetInformation.json",
    }
    assert load_tree(DirectorySource(root)).keys() == state.keys()


def test_failure_midway_leaves_the_old_tree_byte_identical(v7_tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(v7_tree)
    state = State()
    for resource in load_tree(DirectorySource(v7_tree)):
        state.add(Resource(resource.key, {"properties": {"changed": True}}, resource.content,
                           resource.content_format, resource.content_ext))
    calls = {"n": 0}
    real = artifacts._write_file

    def flaky(target: Path, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] > 5:
            raise OSError("disk full")
        real(target, data)

    monkeypatch.setattr(artifacts, "_write_file", flaky)
    with pytest.raises(OSError):
        write_tree(state, v7_tree)
    assert snapshot(v7_tree) == before
    assert [p.name for p in v7_tree.parent.iterdir() if p.name.startswith(".")] == []  # no staging left


def test_hostile_names_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for bad in ["..", "a/b", "a\\b", "x:y", "CON", "lpt1.txt", "trail.", "trail ", "tab\tname", "q?", "x" * 256]:
        state = State([Resource(ResourceKey("api", ("fine",)), {"properties": {}}),
                       Resource(ResourceKey("api", (bad,)), {"properties": {}})])
        with pytest.raises(ArtifactError) as caught:
            write_tree(state, out)
        assert repr(bad)[:20].strip("'") in str(caught.value) or "x" * 20 in str(caught.value)
        assert not out.exists()
    ws = State([Resource(ResourceKey("api", ("a",), "../ws"), {})])
    with pytest.raises(ArtifactError, match="ws"):
        write_tree(ws, out)
    ok = State([Resource(ResourceKey("api", ("echo;rev=3",)), {"properties": {}})])
    write_tree(ok, out)
    assert (out / "apis" / "echo;rev=3" / "apiInformation.json").exists()


def test_secrets_are_never_written(tmp_path: Path) -> None:
    state = State([
        Resource(ResourceKey("named-value", ("s",)), {"properties": {"displayName": "s", "secret": True, "value": "hunter2"}}),
        Resource(ResourceKey("named-value", ("p",)), {"properties": {"displayName": "p", "secret": False, "value": "visible"}}),
        Resource(ResourceKey("subscription", ("sub",)), {"properties": {"scope": "/apis", "primaryKey": "k1", "secondaryKey": "k2"}}),
    ])
    write_tree(state, tmp_path / "out")
    everything = b"".join(files_of(tmp_path / "out").values())
    assert b"hunter2" not in everything and b"k1" not in everything and b"k2" not in everything
    assert b"visible" in everything
    assert state.get(ResourceKey("named-value", ("s",))).body["properties"]["value"] == "hunter2"  # input untouched


def test_links_are_written_as_their_body(tmp_path: Path) -> None:
    state = State([
        Resource(ResourceKey("product-api", ("p", "a")), {}),
        Resource(ResourceKey("product-group", ("p", "g")), {"name": "lnk", "properties": {"groupId": "/groups/g"}}),
    ])
    write_tree(state, tmp_path / "out")
    out = tmp_path / "out"
    assert (out / "products/p/apis/a/productApiInformation.json").read_bytes() == b"{}"
    assert json.loads((out / "products/p/groups/g/productGroupInformation.json").read_bytes())["name"] == "lnk"
