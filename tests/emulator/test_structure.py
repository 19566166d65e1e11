"""Structural guarantees: the emulator is independent of the client code, its route table is
well-formed, and further apps can be mounted on the same server."""
from __future__ import annotations

import ast
import pathlib

from apiops_emulator.apim import Emulator, Request, Response
from apiops_emulator.apim.routes import ROUTES, route_index

from .conftest import session

EMULATOR_DIR = pathlib.Path(__file__).resolve().parents[2] / "apiops_emulator"


def test_emulator_imports_nothing_from_the_client_side():
    for path in EMULATOR_DIR.rglob("*.py"):
        depth = len(path.relative_to(EMULATOR_DIR).parts)  # 1 for apiops_emulator/x.py, 2 for apim/x.py
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                assert not node.module.startswith("apiops_core"), path
            if isinstance(node, ast.ImportFrom) and node.level > depth:
                raise AssertionError(f"{path} imports from outside the emulator package")
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("apiops_core"), path


def test_route_table_is_unique_and_typed():
    assert len(route_index()) == len(ROUTES)
    kinds = [route.kind for route in ROUTES]
    assert len(kinds) == len(set(kinds))
    for route in ROUTES:
        assert route.full_type.startswith("Microsoft.ApiManagement/service/")
        if route.lro:
            assert route.etag
    assert {r.kind for r in ROUTES if r.lro} == {
        "api", "api_schema", "global_schema", "named_value", "policy_fragment", "workspace_api", "workspace_api_schema",
        "workspace_global_schema", "workspace_named_value", "workspace_policy_fragment"}


class EchoApp:
    """A second app claiming ``/devops/``."""

    def matches(self, path: str) -> bool:
        return path.startswith("/devops/")

    def handle(self, request: Request) -> Response:
        return Response.json_body(200, {"path": request.path, "method": request.method})


def test_another_app_can_be_mounted():
    with Emulator(apps=[EchoApp()]) as emu:
        s = session(emu)
        assert s.get(f"{emu.url}/devops/org/_apis/git/repositories").json() == {
            "path": "/devops/org/_apis/git/repositories", "method": "GET"}
        assert s.get(f"{emu.service_url}/apis?api-version=2024-05-01").status_code == 200
        assert emu.stats()["requests"]["GET"] == 1
    with Emulator() as emu:
        emu.mount(EchoApp())
        assert session(emu).post(f"{emu.url}/devops/x").json()["method"] == "POST"
