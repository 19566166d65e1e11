"""Specification formats: one home for what an API specification file is, how it is exported and imported.

Why one module: the same concept ("which format is this file, how does APIM export it, how is
it imported") used to be spelled in five tables (extract, apply, config, artifacts, kinds) that
had to agree. The export recipes (``--spec-format`` values), the ARM import formats and the API
types that have no specification are defined here; other modules import them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .errors import ConfigError

__all__ = [
    "SpecFormat",
    "SPEC_FORMATS",
    "DEFAULT_SPEC_FORMAT",
    "WSDL_RECIPE",
    "spec_format_for",
    "recipe_for_content_format",
    "IMPORT_FORMATS",
    "import_format",
    "NO_SPEC_API_TYPES",
    "IMPORTED_SCHEMA_TYPES",
    "api_type",
]


@dataclass(frozen=True)
class SpecFormat:
    """How one ``--spec-format`` choice is exported and stored."""

    export: str  # the ARM export format (``openapi-link`` …)
    content_format: str  # the ARM import format the file stands for (what the tree reader reports)
    ext: str  # the file extension
    to_yaml: bool = False  # APIM exports OpenAPI v2 as JSON only: convert client-side


#: ``--spec-format`` value → export recipe
SPEC_FORMATS: Mapping[str, SpecFormat] = {
    "openapi-v3-yaml": SpecFormat("openapi-link", "openapi", "yaml"),
    "openapi-v3-json": SpecFormat("openapi+json-link", "openapi+json", "json"),
    "openapi-v2-json": SpecFormat("swagger-link", "swagger-json", "json"),
    "openapi-v2-yaml": SpecFormat("swagger-link", "openapi", "yaml", to_yaml=True),
    "wadl": SpecFormat("wadl-link", "wadl-xml", "wadl"),
}
DEFAULT_SPEC_FORMAT = "openapi-v3-yaml"

#: Azure/apiops spellings (API_SPECIFICATION_FORMAT) accepted as aliases
_SPEC_ALIASES: Mapping[str, str] = {
    "yaml": "openapi-v3-yaml",
    "json": "openapi-v3-json",
    "openapiv3yaml": "openapi-v3-yaml",
    "openapiv3json": "openapi-v3-json",
    "openapiv2yaml": "openapi-v2-yaml",
    "openapiv2json": "openapi-v2-json",
}

#: SOAP APIs always export as WSDL, whatever ``--spec-format`` says
WSDL_RECIPE = SpecFormat("wsdl-link", "wsdl", "wsdl")

#: the recipe whose export compares with a file of this content format (a WADL file, a WADL export)
_RECIPE_FOR_CONTENT_FORMAT: Mapping[str, str] = {
    "openapi": "openapi-v3-yaml",
    "openapi+json": "openapi-v3-json",
    "swagger-json": "openapi-v2-json",
    "wadl-xml": "wadl",
}


def spec_format_for(name: str | None) -> SpecFormat:
    """The export recipe for a ``--spec-format`` value (case-insensitive; apiops aliases accepted)."""
    if not name:
        return SPEC_FORMATS[DEFAULT_SPEC_FORMAT]
    lowered = name.strip().lower()
    if lowered in SPEC_FORMATS:
        return SPEC_FORMATS[lowered]
    squashed = lowered.replace("-", "").replace("_", "")
    if squashed in _SPEC_ALIASES:
        return SPEC_FORMATS[_SPEC_ALIASES[squashed]]
    raise ConfigError(f"unknown specification format {name!r}; use one of {', '.join(SPEC_FORMATS)}")


def recipe_for_content_format(content_format: str | None) -> SpecFormat:
    """The export recipe for a file of ``content_format`` (OpenAPI v3 YAML when unknown)."""
    return SPEC_FORMATS[_RECIPE_FOR_CONTENT_FORMAT.get(content_format or "openapi", DEFAULT_SPEC_FORMAT)]


#: specification content format → ARM import format (and whether ``?import=true`` is needed)
IMPORT_FORMATS: dict[str, tuple[str, bool]] = {
    "openapi": ("openapi", False),
    "openapi+json": ("openapi+json", False),
    "swagger-json": ("swagger-json", False),
    "wadl-xml": ("wadl-xml", True),
    "wsdl": ("wsdl", True),
}


def import_format(content_format: str | None) -> tuple[str, bool]:
    """``(ARM import format, needs ?import=true)`` for a file's content format."""
    return IMPORT_FORMATS.get(content_format or "", (content_format or "openapi", False))


#: API types that have no specification document to export or import
NO_SPEC_API_TYPES = frozenset({"websocket", "odata", "grpc"})

#: API schemas APIM generates from an imported specification (re-created by every import, so
#: writing them would duplicate the specification and fight it on publish)
IMPORTED_SCHEMA_TYPES = frozenset(
    {
        "application/vnd.oai.openapi.components+json",
        "application/vnd.ms-azure-apim.swagger.definitions+json",
        "application/vnd.ms-azure-apim.xsd+xml",
        "application/vnd.ms-azure-apim.wadl.grammars+xml",
        "application/vnd.ms-azure-apim.graphql.schema",
    }
)


def api_type(body: Mapping[str, Any]) -> str:
    """An API body's type (``http``, ``soap``, ``graphql``, ``websocket`` …), lower case."""
    properties = body.get("properties") if isinstance(body.get("properties"), Mapping) else {}
    value = properties.get("type") or properties.get("apiType") or "http"
    return str(value).lower()
