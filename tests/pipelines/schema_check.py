"""Validate pipeline YAML against Microsoft's ``service-schema.json`` (vendored beside this file).

The schema's known gaps (see SERVICE-SCHEMA-PROVENANCE.md) are patched in memory:

1. every scalar must be a string (the schema's ``boolean`` is a string pattern), so files are
   loaded with PyYAML's ``BaseLoader`` (all scalars stay strings) — or an expanded pipeline is
   turned into strings the way Azure DevOps prints it (``True``/``False``);
2. extension tasks (``ApiOpsCreator@1``) are not in the schema's task list: a generic
   ``Name@major`` alternative is added. Their inputs are checked against our task.json files
   by the static tests instead;
3. ``- ${{ each/if/else }}:`` entries in stage, job, step and variable lists, and ``${{ }}``
   keys inside closed mappings (a stage's ``${{ if }}: dependsOn: ...``) are not described: an
   "expression entry" alternative is added to those lists, and every closed object accepts
   keys that are a whole ``${{ }}`` expression. The expanded pipelines (no directives left) are validated too, so
   what the entries produce is still checked.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parent / "service-schema.json"

_CUSTOM_TASK = {"type": "string", "pattern": r"^[A-Za-z0-9_.\-]+@\d+(\.\d+){0,2}$"}
_EXPRESSION_ENTRY = {
    "type": "object",
    "minProperties": 1,
    "patternProperties": {r"^\$\{\{.*\}\}$": {}},
    "additionalProperties": False,
}


@functools.lru_cache(maxsize=1)
def patched_schema() -> dict:
    """service-schema.json with the three gaps patched (the file itself is never changed)."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    patched = copy.deepcopy(schema)
    definitions = patched["definitions"]
    task = definitions["task"]
    task["properties"]["task"]["anyOf"].append(_CUSTOM_TASK)
    task["anyOf"].append({"properties": {"task": _CUSTOM_TASK, "inputs": {"type": "object"}}, "required": ["task"]})
    for name in ("stage", "job", "step", "variable"):
        definitions[name] = {"anyOf": [definitions[name], _EXPRESSION_ENTRY]}
    _allow_expression_keys(patched)
    return patched


def _allow_expression_keys(node: Any) -> None:
    """Closed objects (``additionalProperties: false``) also accept ``${{ if/else/each }}`` keys."""
    if isinstance(node, dict):
        if node.get("additionalProperties") is False and "properties" in node:
            node.setdefault("patternProperties", {})[r"^\$\{\{.*\}\}$"] = {}
        for value in node.values():
            _allow_expression_keys(value)
    elif isinstance(node, list):
        for value in node:
            _allow_expression_keys(value)


@functools.lru_cache(maxsize=1)
def validator() -> jsonschema.Draft7Validator:
    schema = patched_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def definition_validator(name: str) -> jsonschema.Draft7Validator:
    """A validator for one definition (e.g. ``stepsTemplate`` for a steps template file)."""
    schema = patched_schema()
    return jsonschema.Draft7Validator({"$ref": f"#/definitions/{name}", "definitions": schema["definitions"]})


def load_as_strings(path: Path) -> Any:
    """The file as the schema expects it: every scalar a string."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)


def as_strings(value: Any) -> Any:
    """An expanded pipeline (typed values) turned into the all-strings form."""
    if isinstance(value, dict):
        return {str(k): as_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_strings(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def errors(document: Any, checker: jsonschema.Draft7Validator | None = None) -> list[str]:
    """Readable errors: the schema's anyOf messages are poor, so bisect to the failing entry."""
    checker = checker or validator()
    if checker.is_valid(document):
        return []
    found = list(_locate(document, checker, ""))
    return found or [e.message[:300] for e in checker.iter_errors(document)]


def _locate(document: Any, checker: jsonschema.Draft7Validator, where: str) -> Iterator[str]:
    """Report the smallest top-level key / list entry whose removal makes the document valid."""
    if isinstance(document, dict):
        for key in document:
            trimmed = {k: v for k, v in document.items() if k != key}
            if checker.is_valid(trimmed) or (key in ("stages", "jobs", "steps")):
                if isinstance(document[key], list):
                    for index in range(len(document[key])):
                        reduced = dict(document)
                        reduced[key] = document[key][index:index + 1]
                        if not checker.is_valid(reduced):
                            yield f"{where}/{key}[{index}]: {json.dumps(document[key][index])[:400]}"
                elif not checker.is_valid(document) and checker.is_valid(trimmed):
                    yield f"{where}/{key}: {json.dumps(document[key])[:400]}"
