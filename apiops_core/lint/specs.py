"""Specification files: load with positions, validate, and hand back problems with line and column.

OpenAPI 2/3 documents are validated by ``openapi-spec-validator`` (we write no OpenAPI rules of
our own); the document is loaded with ruamel's round-trip loader only so that a validator error's
JSON path can be turned into the file's line and column. GraphQL SDL is parsed by graphql-core;
WSDL and WADL are checked for well-formedness with the same safe XML parser as policies.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .policy_xml import parse_xml_safely

__all__ = ["SpecIssue", "LoadedSpec", "load_spec", "check_spec", "validate_spec", "openapi_paths", "plain"]

#: at most this many validator errors per document (one broken schema can cascade into hundreds)
MAX_ERRORS = 20


@dataclass(frozen=True)
class SpecIssue:
    """A problem in a specification; ``code`` is parse | openapi | graphql | graphql-schema | xml."""

    code: str
    line: int
    column: int
    message: str


class LoadedSpec:
    """A parsed YAML/JSON document: its plain data, and (built on first use) a position-carrying tree.

    Most documents never need a position (no finding points into them), and the round-trip
    parser that keeps positions is ~50x slower than libyaml: so positions are parsed lazily.
    """

    def __init__(self, text: str, data: Any, node: Any = None) -> None:
        self.text = text
        self.data = data
        self._node = node

    @property
    def node(self) -> Any:
        if self._node is None:
            from ruamel.yaml import YAML

            try:
                self._node = YAML(typ="rt").load(io.StringIO(self.text.lstrip("\ufeff")))
            except Exception:  # noqa: BLE001 - positions are best effort; data is already loaded
                self._node = self.data
        return self._node

    def position(self, path: Iterable[Any]) -> tuple[int, int]:
        """Line/column (1-based) of the deepest part of ``path`` that exists in the document."""
        node, line, column = self.node, 1, 1
        for step in path:
            lc = getattr(node, "lc", None)
            try:
                if isinstance(node, Mapping) and step in node:
                    if lc is not None:
                        found = lc.key(step)
                        line, column = found[0] + 1, found[1] + 1
                    node = node[step]
                elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                    if lc is not None:
                        found = lc.item(step)
                        line, column = found[0] + 1, found[1] + 1
                    node = node[step]
                else:
                    break
            except (KeyError, IndexError, TypeError, AttributeError):
                break
        return line, column


def plain(value: Any) -> Any:
    """ruamel's round-trip types → plain dict/list/str (dates become ISO strings, as JSON would hold)."""
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, (str, int)) else k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def _fast_load(text: str) -> Any:
    """Plain data through libyaml (or json) when available; raises on any parse problem."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_spec(text: str) -> LoadedSpec | SpecIssue:
    """Load a YAML or JSON document, or say where it stops being YAML/JSON."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from ..errors import ApiOpsError
    from ..safe_read import check_yaml

    stripped = text.lstrip("\ufeff")
    try:  # alias bombs and runaway nesting are refused before anything is built
        check_yaml(stripped, "specification")
    except ApiOpsError as error:
        return SpecIssue("parse", error.line or 1, 1, f"not valid YAML/JSON: {error.message}")
    try:
        return LoadedSpec(stripped, plain(_fast_load(stripped)))
    except Exception:  # noqa: BLE001 - the round-trip parser below says where and why
        pass
    yaml = YAML(typ="rt")
    try:
        node = yaml.load(io.StringIO(stripped))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        return SpecIssue("parse", line, column, f"not valid YAML/JSON: {error.problem or error}")
    except (YAMLError, ValueError) as error:
        return SpecIssue("parse", 1, 1, f"not valid YAML/JSON: {error}")
    except RecursionError:
        return SpecIssue("parse", 1, 1, "not valid YAML/JSON: nested too deeply")
    return LoadedSpec(stripped, plain(node), node)


def _openapi_validator(data: Mapping[str, Any]) -> Any:
    from openapi_spec_validator import OpenAPIV2SpecValidator, OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    if "swagger" in data:
        return OpenAPIV2SpecValidator
    version = str(data.get("openapi", ""))
    if version.startswith("3.1"):
        return OpenAPIV31SpecValidator
    if version.startswith("3."):
        return OpenAPIV30SpecValidator
    return None


def _rooted(path: list[Any], data: Mapping[str, Any], message: str) -> bool:
    """True when a validator error's path starts at the document root (nested sub-errors do not)."""
    if not path:
        return "required property" in message or "Additional properties" in message
    return path[0] in data


def _without_apim_quirks(value: Any, openapi3: bool) -> Any:
    """A copy without what APIM's own export writes and imports back without complaint.

    APIM exports ``type: ''`` for untyped parameters, ``description: null`` for responses without
    one, and ``type: file`` (a Swagger 2 type) in OpenAPI 3 documents it converted. Reporting those
    would flag every extracted tree for something the user did not write and cannot keep fixed.
    """
    if isinstance(value, Mapping):
        result = {}
        for key, item in value.items():
            if key == "type" and item == "":
                continue
            if key == "description" and item is None:
                item = ""
            if openapi3 and key == "type" and item == "file":
                result["format"] = "binary"
                item = "string"
            result[key] = _without_apim_quirks(item, openapi3)
        return result
    if isinstance(value, list):
        return [_without_apim_quirks(item, openapi3) for item in value]
    return value


def _openapi_issues(loaded: LoadedSpec) -> list[SpecIssue]:
    if not isinstance(loaded.data, Mapping):
        return [SpecIssue("openapi", 1, 1, "the document is not an object")]
    validator_cls = _openapi_validator(loaded.data)
    if validator_cls is None:
        return [SpecIssue("openapi", 1, 1, "not an OpenAPI document: no 'openapi: 3.x' or 'swagger: \"2.0\"' field")]
    issues: list[SpecIssue] = []
    seen: set[tuple[int, int, str]] = set()
    try:
        data = _without_apim_quirks(loaded.data, "openapi" in loaded.data)
        errors = validator_cls(data).iter_errors()
        for error in errors:
            path = list(getattr(error, "absolute_path", []) or [])
            if not _rooted(path, data, str(getattr(error, "message", ""))):
                continue  # a nested sub-error with a path relative to its parent: the parent is reported
            line, column = loaded.position(path)
            message = str(getattr(error, "message", error)).splitlines()[0]
            if len(message) > 300:
                message = message[:297] + "..."
            where = "/".join(str(p) for p in path)
            text_ = f"OpenAPI: {message}" + (f" (at {where})" if where else "")
            marker = (line, column, message)
            if marker in seen:
                continue
            seen.add(marker)
            issues.append(SpecIssue("openapi", line, column, text_))
            if len(issues) >= MAX_ERRORS:
                break
    except RecursionError:
        issues.append(SpecIssue("openapi", 1, 1, "OpenAPI: the document's $ref structure is too deep to validate"))
    except Exception as error:  # the validator raises on unresolvable $refs and other structural faults
        issues.append(SpecIssue("openapi", 1, 1, f"OpenAPI: cannot be validated: {type(error).__name__}: {error}"[:400]))
    return issues


def _graphql_issues(text: str) -> list[SpecIssue]:
    from graphql import GraphQLError, build_ast_schema, parse

    try:
        document = parse(text.lstrip("\ufeff"))
    except GraphQLError as error:
        location = error.locations[0] if error.locations else None
        line, column = (location.line, location.column) if location is not None else (1, 1)
        return [SpecIssue("graphql", line, column, f"GraphQL: {error.message}")]
    try:
        build_ast_schema(document, assume_valid_sdl=False)
    except GraphQLError as error:
        location = error.locations[0] if error.locations else None
        line, column = (location.line, location.column) if location is not None else (1, 1)
        return [SpecIssue("graphql-schema", line, column, f"GraphQL schema: {error.message}")]
    except (TypeError, ValueError) as error:
        return [SpecIssue("graphql-schema", 1, 1, f"GraphQL schema: {error}")]
    return []


def _xml_issues(text: str) -> list[SpecIssue]:
    parsed = parse_xml_safely(text)
    if parsed.issue is None:
        return []
    return [SpecIssue("xml", parsed.issue.line, parsed.issue.column, parsed.issue.message)]


def check_spec(text: str, ext: str | None, *, validate: bool = True) -> tuple[LoadedSpec | None, list[SpecIssue]]:
    """Load and validate one specification file, by its extension (``yaml``/``json``/``graphql``/...).

    Returns the loaded OpenAPI document (for rules that read it further) and every problem;
    ``validate=False`` stops after parsing OpenAPI documents (the publish pre-flight needs no more).
    """
    ext = (ext or "yaml").lower().lstrip(".")
    if ext in ("yaml", "yml", "json"):
        loaded = load_spec(text)
        if isinstance(loaded, SpecIssue):
            return None, [loaded]
        return loaded, (_openapi_issues(loaded) if validate else [])
    if ext in ("graphql", "gql"):
        return None, _graphql_issues(text)
    if ext in ("wsdl", "wadl", "xml"):
        return None, _xml_issues(text)
    return None, []


def validate_spec(text: str, ext: str | None) -> list[SpecIssue]:
    """Every problem of one specification file (see ``check_spec``)."""
    return check_spec(text, ext)[1]


def openapi_paths(loaded: LoadedSpec) -> list[tuple[str, int, int]]:
    """The ``paths`` keys of an OpenAPI document with their positions."""
    data = loaded.data
    if not isinstance(data, Mapping) or not isinstance(data.get("paths"), Mapping):
        return []
    found = []
    for path in data["paths"]:
        line, column = loaded.position(["paths", path])
        found.append((str(path), line, column))
    return found
