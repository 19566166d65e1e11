"""The breaking-change report lists exactly the breaking changes of a prepared spec pair."""

from __future__ import annotations

import json

from apiops_core.lint import breaking_changes, render_json, render_markdown, render_text
from apiops_core.model import Resource, ResourceKey, SourceLocation, State

OLD = """openapi: 3.0.1
info: {title: Pets, version: '1'}
paths:
  /pets:
    get:
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: x-trace, in: header, schema: {type: string}}
      responses:
        '200': {description: ok}
        '400': {description: bad}
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Pet'}
      responses:
        '201': {description: created}
  /pets/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200': {description: ok}
        '404': {description: missing}
    delete:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '204': {description: gone}
  /owners:
    get:
      responses:
        '200': {description: ok}
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {type: string}
        age: {type: integer}
        tag: {type: string}
"""

NEW = """openapi: 3.0.1
info: {title: Pets, version: '2', description: now with docs}
paths:
  /pets:
    get:
      parameters:
        - {name: limit, in: query, schema: {type: string}}
        - {name: X-Trace, in: header, required: true, schema: {type: string}}
        - {name: sort, in: query, schema: {type: string}}
        - {name: tenant, in: query, required: true, schema: {type: string}}
      responses:
        '200': {description: ok}
        '429': {description: slow down}
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Pet'}
      responses:
        '201': {description: created}
  /pets/{petId}:
    get:
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
      responses:
        '200': {description: ok}
        '404': {description: missing}
  /toys:
    get:
      responses:
        '200': {description: ok}
components:
  schemas:
    Pet:
      type: object
      required: [name, species]
      properties:
        name: {type: string}
        age: {type: string}
        tag: {type: string}
        species: {type: string}
        color: {type: string}
"""


def _state(spec: str | None, *apis: tuple[str, str]) -> State:
    items = []
    for name, path in apis:
        items.append(Resource(ResourceKey("api", (name,)), {"properties": {"displayName": name, "path": path}},
                              source=SourceLocation(f"apis/{name}/apiInformation.json")))
    if spec is not None:
        items.append(Resource(ResourceKey("api-specification", ("pets",)), {}, spec, "openapi", "yaml",
                              SourceLocation("apis/pets/specification.yaml")))
    return State(items)


def test_exactly_the_breaking_changes() -> None:
    old = _state(OLD, ("pets", "pets"), ("legacy", "legacy"), ("pets;rev=2", "pets"))
    new = _state(NEW, ("pets", "animals/pets"))
    changes = breaking_changes(old, new)
    found = sorted((c.api, c.change, c.location) for c in changes)
    assert found == sorted([
        ("legacy", "api-removed", ""),
        ("pets", "api-path-changed", ""),
        ("pets", "path-removed", "/owners"),
        ("pets", "operation-removed", "DELETE /pets/{id}"),
        ("pets", "response-removed", "GET /pets"),
        ("pets", "parameter-type-changed", "GET /pets"),
        ("pets", "parameter-became-required", "GET /pets"),
        ("pets", "required-parameter-added", "GET /pets"),
        ("pets", "required-property-added", "POST /pets"),
        ("pets", "property-type-changed", "POST /pets"),
    ])
    messages = "\n".join(c.message for c in changes)
    # the non-breaking ones are absent: new optional parameter/property, new path, new response, renamed path parameter
    for absent in ("sort", "color", "/toys", "429", "petId", "GET /pets/{"):
        assert absent not in messages
    assert "response 400 was removed" in messages
    assert "'limit' changed type integer → string" in messages
    assert "'age' changed type integer → string" in messages


def test_identical_trees_have_no_breaking_change() -> None:
    state = _state(OLD, ("pets", "pets"))
    assert breaking_changes(state, state) == []


def test_renderers() -> None:
    changes = breaking_changes(_state(OLD, ("pets", "pets")), _state(NEW, ("pets", "pets")))
    markdown = render_markdown(changes)
    assert markdown.startswith("### Breaking changes (")
    assert "| API | Where | Change |" in markdown
    assert render_markdown([]) == "### Breaking changes\n\nNo breaking changes.\n"
    assert json.loads(render_json(changes))["count"] == len(changes)
    assert render_text(changes).splitlines()[-1] == f"{len(changes)} breaking changes"


def test_swagger_2_body_and_parameters() -> None:
    old = """swagger: '2.0'
info: {title: t, version: '1'}
paths:
  /items:
    post:
      parameters:
        - {name: body, in: body, schema: {type: object, properties: {a: {type: string}}}}
      responses: {'200': {description: ok}}
"""
    new = old.replace("properties: {a: {type: string}}", "required: [b], properties: {a: {type: integer}, b: {type: string}}")
    changes = breaking_changes(_state(old, ("pets", "p")), _state(new, ("pets", "p")))
    assert sorted(c.change for c in changes) == ["property-type-changed", "required-property-added"]
