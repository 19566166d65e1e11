"""The artifacts tree ↔ ``State``: the one reader and the one writer of Azure/apiops folders.

Why one module: extract writes exactly what publish reads back, so both directions use the same
path templates (``kinds.KINDS``) and the same rules for names, secrets and encodings.

Reading accepts every layout users keep in Git:

- v7 (Azure/apiops ≥ 7): tag links under ``tags/<t>/apis|products/...``, ``workspaces/<ws>/...``;
- v6: link folders in the other direction (``apis/<a>/tags/<t>/apiTagInformation.json``) via
  ``Kind.legacy_info_paths``;
- v5: association arrays (``products/<p>/apis.json`` = ``[{"name": "a"}, "b", ...]``) via
  ``Kind.legacy_arrays``, and ``apiVersionSetInformation.json``;
- apiops-cli (0.x, its ``docs/reference/artifact-format.md``): ``namedValues/``, ``versionSets/``,
  ``policyFragments/`` (the XML inside the JSON), ``apis/<a>/tags/<t>/tagInformation.json``,
  ``schemaInformation.json`` / ``releaseInformation.json`` under an API via ``Kind.cli_info_paths``;
  its ``apis.json``/``groups.json``/``tags.json`` arrays are v5's; full ARM bodies (``id``/``type``/
  ``name``, explicit nulls) are reduced to ``{"properties": ...}``; ``*** REDACTED ***`` secret
  values count as no value; ``operationInformation.json`` is covered by the API's specification
  (operations are created by its import); kinds apiops does not manage (wikis, tag descriptions,
  GraphQL resolvers, policy restrictions, documentations) are reported as unused.

Every file is accounted for: read into a resource, or listed in ``TreeRead.unused`` with the reason
(unknown folder or file name, unsupported kind), or a foreign file that is legitimately there
(README, configuration, pipelines: ``TreeRead.foreign``). ``TreeRead.layout`` names the layout
found (``v7``, ``v6``, ``v5``, ``apiops-cli``, ``mixed: ...``).

Legacy forms are merged (a stale v5 array and a v6 folder for the same link are a union).
Writing always produces the v7 layout and never destroys anything on failure: the new tree is
built beside the root and swapped in only when complete.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets as _secrets
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .errors import ArtifactError
from .kinds import KIND_BY_NAME, KINDS, SPEC_EXTENSIONS, WORKSPACE_PREFIX, fill
from .specs import EXT_FOR_CONTENT_FORMAT
from .model import Resource, ResourceKey, SourceLocation, State
from .safe_read import MAX_SPEC_DEPTH, check_yaml, decode_utf8, load_json, load_yaml_plain

__all__ = [
    "TreeRead",
    "WriteResult",
    "PathMatch",
    "read_tree",
    "load_tree",
    "load_tree_read",
    "report_read",
    "detect_layout",
    "unused_reason",
    "write_tree",
    "render_files",
    "paths_of",
    "key_for_path",
    "match_path",
    "check_name",
    "name_problem",
    "dump_json",
    "decode_text",
    "spec_format",
    "SPEC_EXT_FOR_FORMAT",
    "drop_secrets",
    "clean_leftovers",
]

#: the file extension a specification is written with, by ARM import format
SPEC_EXT_FOR_FORMAT = EXT_FOR_CONTENT_FORMAT  # moved to specs.py; the old name stays

_LOG = logging.getLogger("apiops.artifacts")
_BOM = b"\xef\xbb\xbf"
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"COM{i}" for i in range(1, 10)] + [f"LPT{i}" for i in range(1, 10)]
)
_FORBIDDEN_CHARS = set('/\\:*?"<>|')


# ---------------------------------------------------------------------------------------------
# names
# ---------------------------------------------------------------------------------------------
def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a folder name on both Windows and Linux (None when it can).

    Resource names become folder names; a name that escapes the folder (``..``, ``/``) or that
    Windows cannot check out (``CON``, ``a:b``, trailing dot) would corrupt the repository for
    part of the team. ``;rev=N`` (API revisions) is valid and kept.
    """
    if not isinstance(name, str) or name == "":
        return "is empty"
    if name in (".", ".."):
        return f"is {name!r}, which would escape the folder"
    bad = sorted({c for c in name if c in _FORBIDDEN_CHARS})
    if bad:
        return "contains " + " ".join(repr(c) for c in bad) + ", which is not allowed in a file name"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "contains a control character"
    if name[-1] in ". ":
        return "ends with a dot or a space, which Windows drops"
    stem = name.split(".", 1)[0].rstrip(" ").upper()
    if stem in _WINDOWS_RESERVED:
        return f"is the reserved Windows device name {stem}"
    if len(name.encode("utf-8")) > 255:
        return "is longer than 255 bytes"
    return None


def check_name(name: str, *, what: str = "resource name") -> None:
    """Raise ``ArtifactError`` when ``name`` is not a safe file name (see ``name_problem``)."""
    problem = name_problem(name)
    if problem:
        raise ArtifactError(f"{what} {name!r} {problem}")


# ---------------------------------------------------------------------------------------------
# path templates
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PathMatch:
    """What an artifact path is: its kind, names, scope, and the role the file plays.

    ``role`` is ``info`` (v7 information file), ``legacy-info`` (v5/v6 information file),
    ``cli-info`` (an apiops-cli information file whose name differs from v7's), ``content``
    (policy.xml / specification.*) or ``array`` (a v5 association array). For an
    ``array`` the names are those known from the path; ``fill_index`` is the position in the
    name path that each array entry supplies.
    """

    kind: str
    names: tuple[str, ...]
    workspace: str | None
    role: str
    ext: str | None = None
    fill_index: int | None = None

    @property
    def key(self) -> ResourceKey | None:
        """The resource's key (None for arrays, which name many resources)."""
        if self.role == "array":
            return None
        return ResourceKey(self.kind, self.names, self.workspace)

    @property
    def owner_key(self) -> ResourceKey:
        """For arrays: the resource whose folder holds the array (``products/p/apis.json`` → product p)."""
        if self.role != "array":
            key = self.key
            assert key is not None
            return key
        row = KIND_BY_NAME[self.kind]
        assert row.link is not None
        owner_kind = row.link[0] if self.fill_index == 1 else row.link[1]
        return ResourceKey(owner_kind, self.names, self.workspace)


@dataclass(frozen=True)
class _Pattern:
    kind: str
    role: str
    regex: re.Pattern[str]
    arity: int
    fill_index: int | None
    workspace: bool


def _compile(template: str, workspace: bool) -> re.Pattern[str]:
    parts = re.split(r"(\{\d+\}|\*)", template)
    out = []
    for part in parts:
        m = re.fullmatch(r"\{(\d+)\}", part)
        if m:
            out.append(f"(?P<n{m.group(1)}>[^/]+)")
        elif part == "*":
            out.append("(?P<ext>[^/.]+)")
        else:
            out.append(re.escape(part))
    prefix = re.escape("workspaces/") + "(?P<ws>[^/]+)/" if workspace else ""
    return re.compile(prefix + "".join(out))


def _patterns() -> tuple[_Pattern, ...]:
    found: list[_Pattern] = []
    for row in KINDS:
        if not row.in_tree:
            continue
        scopes = ([False] if row.in_service else []) + ([True] if row.in_workspace else [])
        for ws in scopes:
            entries: list[tuple[str, str]] = []
            if row.info_path:
                entries.append((row.info_path, "info"))
            entries += [(t, "legacy-info") for t in row.legacy_info_paths]
            entries += [(t, "cli-info") for t in row.cli_info_paths]
            if row.content_path:
                entries.append((row.content_path, "content"))
            for template, role in entries:
                found.append(_Pattern(row.name, role, _compile(template, ws), row.arity, None, ws))
            for template in row.legacy_arrays:
                present = {int(i) for i in re.findall(r"\{(\d+)\}", template)}
                missing = [i for i in range(row.arity) if i not in present]
                found.append(_Pattern(row.name, "array", _compile(template, ws), row.arity, missing[0], ws))
    return tuple(found)


_PATTERNS = _patterns()  # derived from the immutable kind table; a tuple, never mutated


def match_path(path: str) -> PathMatch | None:
    """Map one artifact path (any accepted layout) to what it is, or None for a foreign file."""
    for pattern in _PATTERNS:
        m = pattern.regex.fullmatch(path)
        if not m:
            continue
        groups = m.groupdict()
        ext = groups.get("ext")
        if ext is not None and ext not in SPEC_EXTENSIONS:
            continue
        if pattern.role == "array":
            names = tuple(groups[f"n{i}"] for i in range(pattern.arity) if f"n{i}" in groups)
        else:
            names = tuple(groups[f"n{i}"] for i in range(pattern.arity))
        return PathMatch(pattern.kind, names, groups.get("ws"), pattern.role, ext, pattern.fill_index)
    return None


def key_for_path(path: str) -> ResourceKey | None:
    """The resource a changed file belongs to (for the Git-diff publisher), or None for foreign files.

    Information, policy and specification files (v7, v6 and v5 names) map to their resource.
    A v5 association array (``products/p/apis.json``) names *many* links: it maps to the resource
    whose folder holds it (product ``p``); use ``match_path(path)`` to learn the link kind
    (``.kind``) and diff the array's entries between revisions.
    """
    match = match_path(path)
    if match is None:
        return None
    return match.owner_key


def _scoped(template: str, workspace: str | None) -> str:
    return (WORKSPACE_PREFIX + template) if workspace else template


def paths_of(item: ResourceKey | Resource) -> list[str]:
    """The files a resource owns in the v7 layout.

    For a specification given as a bare key (extension unknown) every ``specification.<ext>``
    candidate is returned, so callers checking ownership or existence see them all.
    """
    resource = item if isinstance(item, Resource) else None
    key = item.key if isinstance(item, Resource) else item
    row = key.row
    if not row.in_tree:
        return []
    paths: list[str] = []
    if row.info_path:
        paths.append(fill(_scoped(row.info_path, key.workspace), key.names, key.workspace))
    if row.content_path:
        template = _scoped(row.content_path, key.workspace)
        if "*" in template:
            ext = _spec_ext(resource) if resource is not None else None
            exts = [ext] if ext else list(SPEC_EXTENSIONS)
            paths += [fill(template.replace("*", e), key.names, key.workspace) for e in exts]
        else:
            paths.append(fill(template, key.names, key.workspace))
    return paths


def _spec_ext(resource: Resource) -> str | None:
    if resource.content_ext:
        return resource.content_ext.lstrip(".")
    if resource.content_format:
        return SPEC_EXT_FOR_FORMAT.get(resource.content_format)
    return None


# ---------------------------------------------------------------------------------------------
# decoding
# ---------------------------------------------------------------------------------------------
def decode_text(data: bytes, where: str) -> str:
    """UTF-8 text with a leading BOM removed; line endings and everything else kept as is."""
    return decode_utf8(data, where)


def _load_json(data: bytes, where: str) -> Any:
    """Strict JSON (``safe_read.load_json``): duplicate keys, NaN, huge numbers, deep nesting refused."""
    return load_json(data, where)


def spec_format(ext: str, text: str, where: str) -> str:
    """The ARM import format of a specification file, from its extension and (for OpenAPI) content.

    OpenAPI v2 JSON is ``swagger-json``; v3 JSON ``openapi+json``; YAML of either version is
    ``openapi`` (APIM's YAML importer accepts v2 and v3). WADL/WSDL/GraphQL go by extension.
    """
    ext = ext.lower()
    if ext == "wadl":
        return "wadl-xml"
    if ext == "wsdl":
        return "wsdl"
    if ext == "graphql":
        return "graphql"
    if ext == "json":
        doc = load_json(text, where, max_depth=MAX_SPEC_DEPTH, what="JSON specification")
        version = _openapi_version(doc, where)
        return "swagger-json" if version == "2" else "openapi+json"
    # yaml / yml: refuse alias bombs and runaway nesting whatever the path below (one regex when no anchors)
    check_yaml(text, where)
    # look at the top-level version key first (fast path for large specs), else parse
    quick = re.search(r"^(swagger|openapi)\s*:\s*['\"]?(\d)", text, re.MULTILINE)
    if quick is None:
        doc = _load_yaml_safe(text, where)
        _openapi_version(doc, where)
    return "openapi"


def _openapi_version(doc: Any, where: str) -> str:
    if isinstance(doc, Mapping):
        if "swagger" in doc:
            return "2"
        if "openapi" in doc:
            return "3"
    raise ArtifactError("specification is neither OpenAPI v2 (swagger: '2.0') nor v3 (openapi: 3.x)", path=where, line=1)


def _load_yaml_safe(text: str, where: str) -> Any:
    """Bounded YAML (``safe_read.load_yaml_plain``): alias bombs and deep nesting refused."""
    return load_yaml_plain(text, where)


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _is_arm_envelope(body: Mapping[str, Any]) -> bool:
    """apiops-cli writes the full ARM resource (``id``, ``type``, ``name``, ``properties``)."""
    return isinstance(body.get("type"), str) and str(body["type"]).startswith("Microsoft.ApiManagement/") or (
        isinstance(body.get("id"), str) and "/providers/Microsoft.ApiManagement/" in str(body["id"])
    )


# ---------------------------------------------------------------------------------------------
# layouts: which one a tree is in, and why a file is not read
# ---------------------------------------------------------------------------------------------
#: apiops-cli writes this in place of a secret named value's value (never a value to publish)
CLI_REDACTION_MARKER = "*** REDACTED ***"

#: apiops-cli files (its artifact-format reference) of kinds apiops does not manage: template → what.
#: Empty today: every file it writes is some row's. A path a row reads is never "unsupported"
#: (``_cli_unsupported`` drops it), so adding a kind needs no edit here.
_CLI_UNSUPPORTED: tuple[tuple[str, str], ...] = ()


def _read_templates() -> set[str]:
    """Every path template some row of the kind table reads."""
    found: set[str] = set()
    for row in KINDS:
        found.update(t for t in (row.info_path, row.content_path) if t)
        found.update(row.legacy_info_paths)
        found.update(row.cli_info_paths)
        found.update(row.legacy_arrays)
    return found


def _cli_unsupported() -> list[tuple[str, str]]:
    read = _read_templates()
    return [(t, what) for t, what in _CLI_UNSUPPORTED if t not in read]


_CLI_OPERATION = "apis/{0}/operations/{1}/operationInformation.json"
_CLI_MCP_SIDECAR = "apis/{0}/mcpServerInformation.json"

#: v5/v6 file names that say which layout wrote a tree (v7 and apiops-cli write neither)
_LEGACY_LAYOUT_OF_NAME = {
    "apiVersionSetInformation.json": "v5",
    "apiTagInformation.json": "v6",
    "productTagInformation.json": "v6",
}
_LAYOUT_ORDER = ("v7", "v6", "v5", "apiops-cli")
#: file names that only an artifact would have: never foreign, wherever they are
_ARTIFACT_NAME = re.compile(r"(?:.*Information\.json|policy\.xml|specification\.[^/]+)")


def _all_templates() -> list[str]:
    templates: list[str] = []
    for row in KINDS:
        templates += [t for t in (row.info_path, row.content_path) if t]
        templates += list(row.legacy_info_paths) + list(row.cli_info_paths) + list(row.legacy_arrays)
    templates += [t for t, _ in _cli_unsupported()] + [_CLI_OPERATION, _CLI_MCP_SIDECAR]
    return templates


def _extra_patterns() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """apiops-cli files that are no kind's: (template, what, regex) for service and workspace scope."""
    found = _cli_unsupported() + [(_CLI_OPERATION, "operation"), (_CLI_MCP_SIDECAR, "mcp")]
    return tuple((t, what, _compile(t, ws)) for t, what in found for ws in (False, True))


def _folder_patterns() -> tuple[re.Pattern[str], ...]:
    """Every folder an artifact may live in (``apis/{0}``, ``apis/{0}/operations``...), both scopes."""
    folders: set[str] = set()
    for template in _all_templates():
        parts = template.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folders.add("/".join(parts[:i]))
    folders.add("workspaces/{0}")
    return tuple(_compile(f, ws) for f in sorted(folders) for ws in (False, True))


_EXTRA_PATTERNS = _extra_patterns()
_FOLDER_PATTERNS = _folder_patterns()
_COLLECTIONS = frozenset(t.split("/", 1)[0] for t in _all_templates() if "/" in t)


def _extra_match(path: str) -> tuple[str, tuple[str, ...], str | None] | None:
    """An apiops-cli file no kind reads: (what, names, workspace), or None."""
    for _template, what, regex in _EXTRA_PATTERNS:
        m = regex.fullmatch(path)
        if m:
            groups = m.groupdict()
            names = tuple(groups[k] for k in sorted(k for k in groups if k.startswith("n")))
            return what, names, groups.get("ws")
    return None


def _is_folder(folder: str) -> bool:
    return any(p.fullmatch(folder) for p in _FOLDER_PATTERNS)


def unused_reason(path: str) -> str | None:
    """Why a file no kind reads is reported, or None for a foreign file that is legitimately there.

    Foreign: dot-files, READMEs and licences anywhere; any file at the root (configuration,
    ``.apiops-lint.yaml``, pipelines) or in a folder that is no artifact collection (``pipelines/``,
    ``_config/``), unless its name is an artifact's (``*Information.json``, ``policy.xml``,
    ``specification.*``), which is then a misplaced or misspelt artifact.
    """
    parts = path.split("/")
    name = parts[-1]
    if name.startswith(".") or name.split(".", 1)[0].upper() in ("README", "LICENSE", "CHANGELOG", "CODEOWNERS"):
        return None
    scoped = parts[2:] if parts[0] == "workspaces" and len(parts) > 2 else parts
    looks_like_artifact = _ARTIFACT_NAME.fullmatch(name) is not None
    if not looks_like_artifact and (len(scoped) == 1 or scoped[0] not in _COLLECTIONS):
        return None
    folders = parts[:-1]
    if not folders:
        return f"{name} at the root is not a file of any layout apiops reads"
    if _is_folder("/".join(folders)):
        return f"unknown file name {name!r} in {'/'.join(folders)}/ (no kind reads it)"
    known = 0
    for i in range(len(folders), 0, -1):
        if _is_folder("/".join(folders[:i])):
            known = i
            break
    where = "/".join(folders[:known]) + "/" if known else "the root"
    return f"unknown folder {folders[known]!r} in {where} (no kind reads what is under it)"


def detect_layout(evidence: Mapping[str, Any], has_artifacts: bool) -> str:
    """The layout a tree is in, from the families its files are evidence of (see ``read_tree``).

    v6 and v7 write the same names for everything but tag links; v7 also writes ids
    service-relative where v6 wrote ``/subscriptions/...``, so full ids alone say v6. A tree with
    neither says ``v6/v7``. Association arrays are v5's and apiops-cli's; workspaces are v7's and
    apiops-cli's.
    """
    families = set(evidence)
    full_ids = "full-ids" in families
    families.discard("full-ids")
    cli = "apiops-cli" in families
    if "arrays" in families:
        families.discard("arrays")
        families.add("apiops-cli" if cli else "v5")
    if "workspaces" in families:
        families.discard("workspaces")
        if not cli:
            families.add("v7")
    found = [f for f in _LAYOUT_ORDER if f in families]
    if not found and full_ids:
        found = ["v6"]
    if not found:
        return "v6/v7" if has_artifacts else "empty"
    if found == ["apiops-cli"] and "apiops-cli<0.3" in evidence:
        return "apiops-cli (files of a version before 0.3)"
    if len(found) == 1:
        return found[0]
    return "mixed: " + " + ".join(found)


# ---------------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------------
@dataclass
class TreeRead:
    """The outcome of reading a tree: the state, every problem found, and the files not used.

    ``ignored`` lists every file that became no resource: foreign files, artifacts deliberately
    skipped (system resources) and the ``unused`` ones. ``unused`` are the files a user should
    hear about, each with the reason (unknown folder or file name, a kind apiops does not
    manage); ``foreign`` the ones legitimately there (README, configuration, pipelines), worth
    one summary line. ``notes`` explain non-obvious readings (system resources skipped,
    apiops-cli bodies reduced to their properties). ``layout`` is what ``detect_layout`` found.
    """

    state: State
    problems: list[ArtifactError] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unused: list[tuple[str, str]] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    layout: str = "empty"
    #: files left out unread by ``read_tree(skip=...)``
    skipped: list[str] = field(default_factory=list)


@dataclass
class _Draft:
    key: ResourceKey
    body: dict[str, Any] | None = None
    body_role: str | None = None
    body_path: str | None = None
    content: str | None = None
    content_path: str | None = None
    content_format: str | None = None
    content_ext: str | None = None
    array_path: str | None = None
    far_scope: str | None = None  # apiops-cli array entry's ``scope`` ("service": the far end is not the workspace's)
    rel_paths: list[str] = field(default_factory=list)

    def source(self) -> SourceLocation:
        return SourceLocation(self.body_path or self.content_path or self.array_path or "?", None)


def _case_conflicts(paths: Iterable[str], describe: Callable[[str], str]) -> list[ArtifactError]:
    """Folders whose names differ only by case: APIM names are case-insensitive, so two folders are one resource."""
    spellings: dict[str, dict[str, str]] = {}
    for path in paths:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            spellings.setdefault(prefix.casefold(), {}).setdefault(prefix, path)
    problems = []
    for variants in spellings.values():
        if len(variants) > 1:
            names = sorted(variants)
            # report only at the first level where the spellings diverge
            parents = {n.rsplit("/", 1)[0] for n in names if "/" in n}
            if len(parents) > 1:
                continue
            listed = " and ".join(describe(n) for n in names)
            problems.append(
                ArtifactError(
                    f"folders differ only by case ({listed}); APIM names are case-insensitive, keep one",
                    path=describe(variants[names[0]]),
                )
            )
    return problems


def read_tree(source: Any, *, skip: Callable[[str], bool] | None = None) -> TreeRead:
    """Read every file of ``source`` (a ``treesource``) into a ``State``, collecting all problems.

    Never raises for a bad file: each problem is an ``ArtifactError`` with the file (and line,
    when there is one), so a user sees every mistake at once. ``load_tree`` raises them.
    ``skip`` (a tree-relative path predicate, e.g. ``--exclude``) leaves files out unread, so a
    file that does not parse can be excluded; they are counted in ``skipped``.
    """
    result = TreeRead(State())
    drafts: dict[ResourceKey, _Draft] = {}
    artifact_paths: list[str] = []
    evidence: dict[str, str] = {}  # layout family -> first file that shows it
    operations: list[tuple[str, tuple[str, ...], str | None]] = []  # apiops-cli operationInformation.json
    envelopes = 0

    def draft(key: ResourceKey) -> _Draft:
        existing = drafts.get(key)
        if existing is None:
            existing = drafts[key] = _Draft(key)
        return existing

    for path in source.files():
        if skip is not None and skip(path):
            result.skipped.append(path)
            continue
        match = match_path(path)
        if match is None:
            result.ignored.append(path)
            _not_a_resource(path, result, evidence, operations)
            continue
        artifact_paths.append(path)
        family = _family(path, match)
        if family:
            evidence.setdefault(family, path)
        where = source.describe(path)
        names = match.names + ((match.workspace,) if match.workspace else ())
        bad = [(n, name_problem(n)) for n in names]
        bad = [(n, p) for n, p in bad if p]
        if bad:
            for n, p in bad:
                result.problems.append(ArtifactError(f"folder name {n!r} {p}", path=where))
            continue
        try:
            data = source.read_bytes(path)
            if match.key is not None:
                draft(match.key).rel_paths.append(path)
            if match.role == "array":
                _read_array(match, data, where, draft, result)
            elif match.role == "content":
                _read_content(match, data, where, path, draft(match.key), result)  # type: ignore[arg-type]
            else:
                body = _load_json(data, where)
                if not isinstance(body, dict):
                    raise ArtifactError(
                        f"an information file must hold a JSON object, not {type(body).__name__}", path=where, line=1
                    )
                if _is_arm_envelope(body):
                    body = {"properties": _strip_nulls(body.get("properties") or {})}
                    evidence.setdefault("apiops-cli", path)
                    envelopes += 1
                else:
                    style = _id_style(body)
                    if style:
                        evidence.setdefault(style, path)
                body = _adapt_body(match, body, where, result)
                if _schema_problems(match.kind, body, data, where, result):
                    continue
                d = draft(match.key)  # type: ignore[arg-type]
                # v7 information files win over legacy ones (a union: no error for both)
                if d.body is None or (d.body_role != "info" and match.role == "info"):
                    d.body, d.body_role, d.body_path = body, match.role, where
        except ArtifactError as exc:
            result.problems.append(exc)

    result.problems.extend(_case_conflicts(artifact_paths, source.describe))
    if envelopes:
        result.notes.append(
            f"{envelopes} information file(s) hold full ARM bodies (apiops-cli): kept 'properties' only, nulls dropped"
        )

    for key, d in drafts.items():
        row = key.row
        if row.system_names and key.names and key.names[-1].casefold() in row.system_names:
            result.ignored.extend(d.rel_paths)
            result.notes.append(
                f"{d.source().path}: {row.name} {key.names[-1]!r} is a built-in APIM resource; skipped (never published)"
            )
            continue
        body = d.body if d.body is not None else {}
        if d.content is None and row.name == "policy-fragment":
            _fragment_xml_from_body(d, body)
        body = d.body if d.body is not None else body
        if key.workspace is not None and row.is_link and d.body_role in ("array", "cli-info") and not body.get("properties"):
            body = _workspace_link_body(key, d.far_scope)
        fmt = d.content_format
        if d.content is not None and row.content_kind == "policy":
            fmt = "rawxml"
            if CLI_REDACTION_MARKER in d.content:
                result.problems.append(_redacted_policy(d))
        result.state.add(
            Resource(
                key=key,
                body=body,
                content=d.content,
                content_format=fmt,
                content_ext=d.content_ext,
                source=d.source(),
            )
        )
    operation_ids: dict[ResourceKey, set[str] | None] = {}
    for path, names, workspace in operations:
        spec = ResourceKey("api-specification", names[:1], workspace)
        resource = result.state.get(spec)
        if resource is not None:
            if spec not in operation_ids:
                operation_ids[spec] = _spec_operation_ids(resource)
            known = operation_ids[spec]
            if known is None or names[1].casefold() in known:
                continue  # the operation is created by the specification import: the file is covered
            where = resource.source.path if resource.source else "its specification"
            result.unused.append((
                path,
                f"operation {names[1]!r} is not in {where} (no such operationId); apiops creates an API's "
                "operations from its specification only, so this one would not exist after publishing",
            ))
            continue
        result.unused.append((
            path,
            f"operation {names[1]!r} is described only by apiops-cli's operationInformation.json; apiops creates "
            f"an API's operations from its specification file, and API {names[0]!r} has none in the tree",
        ))
    result.layout = detect_layout(evidence, bool(artifact_paths))
    return result


def _spec_operation_ids(spec: Resource) -> set[str] | None:
    """The operationIds of an OpenAPI specification (folded), or None when they cannot be known
    (WSDL, WADL, GraphQL, or a document that does not parse: lint reports that one)."""
    if spec.content is None or spec.content_format not in ("openapi", "openapi+json", "swagger-json"):
        return None
    where = spec.source.path if spec.source else "specification"
    try:
        if spec.content_format == "openapi":
            document = _load_yaml_safe(spec.content, where)
        else:
            document = json.loads(spec.content)
    except (ArtifactError, ValueError):
        return None
    paths = document.get("paths") if isinstance(document, Mapping) else None
    if not isinstance(paths, Mapping):
        return None
    found: set[str] = set()
    for item in paths.values():
        if isinstance(item, Mapping):
            for operation in item.values():
                if isinstance(operation, Mapping) and isinstance(operation.get("operationId"), str):
                    found.add(operation["operationId"].casefold())
    return found


def _family(path: str, match: PathMatch) -> str | None:
    """Which layout family one read file is evidence of (None: a name several layouts share)."""
    if match.role == "cli-info":
        return "apiops-cli"
    if match.role == "array":
        return "arrays"
    name = path.rsplit("/", 1)[-1]
    if match.role == "legacy-info":
        return _LEGACY_LAYOUT_OF_NAME.get(name)
    if match.role == "info" and match.kind in ("tag-api", "tag-product"):
        return "v7"
    if match.workspace is not None or match.kind == "workspace":
        return "workspaces"
    return None


#: properties that name another resource by id: v7 writes them service-relative, v6 (and older) in full
_ID_PROPERTIES = ("apiVersionSetId", "loggerId", "scope", "apiId")


def _id_style(body: Mapping[str, Any]) -> str | None:
    """``v7`` for a service-relative id (``/loggers/x``), ``full-ids`` for ``/subscriptions/...``."""
    props = body.get("properties")
    if not isinstance(props, dict):
        return None
    for name in _ID_PROPERTIES:
        value = props.get(name)
        if isinstance(value, str) and value.startswith("/subscriptions/"):
            return "full-ids"
        if name != "scope" and isinstance(value, str) and value.startswith("/") and not value.startswith("//"):
            return "v7"  # (a subscription scope "/apis" or "/" is relative in every layout)
    return None


def _not_a_resource(
    path: str, result: TreeRead, evidence: dict[str, str], operations: list[tuple[str, tuple[str, ...], str | None]]
) -> None:
    """Account for a file no kind reads: an apiops-cli file of its own, unused (with why) or foreign."""
    extra = _extra_match(path)
    if extra is not None:
        what, names, workspace = extra
        evidence.setdefault("apiops-cli", path)
        if what == "operation":
            operations.append((path, names, workspace))
        elif what == "mcp":
            evidence.setdefault("apiops-cli<0.3", path)
            result.unused.append((
                path,
                "apiops-cli before 0.3 wrote MCP server settings here; apiops-cli 0.3+ and apiops read them "
                "from apiInformation.json only",
            ))
        else:
            result.unused.append((path, f"{what} (apiops-cli): a kind apiops does not manage; not published"))
        return
    reason = unused_reason(path)
    if reason is None:
        result.foreign.append(path)
    else:
        result.unused.append((path, reason))


def _adapt_body(match: PathMatch, body: dict[str, Any], where: str, result: TreeRead) -> dict[str, Any]:
    """What another layout's information file means in ours (apiops-cli's, mostly)."""
    if match.role == "cli-info" and KIND_BY_NAME[match.kind].is_link:
        return {}  # apiops-cli's apis/<a>/tags/<t>/tagInformation.json holds the tag, not the link
    props = body.get("properties")
    if match.kind == "named-value" and isinstance(props, dict) and props.get("value") == CLI_REDACTION_MARKER:
        body = {**body, "properties": {k: v for k, v in props.items() if k != "value"}}
        result.notes.append(f"{where}: value {CLI_REDACTION_MARKER!r} (apiops-cli's redaction) read as no value")
    return body


def _workspace_link_body(key: ResourceKey, far_scope: str | None) -> dict[str, Any]:
    """A workspace link's body when the file has none (v5/apiops-cli arrays, apiops-cli tag folders).

    In a workspace, links are ``*Links`` resources whose PUT must name the far end
    (``properties.apiId``...); the service-level link PUT takes no body. apiops-cli marks a far end
    outside the workspace (a built-in group) with ``"scope": "service"``.
    """
    row = key.row
    assert row.link is not None
    far = row.link[1]
    field_name = row.link_id_field  # the row's column: the property naming the far end
    if field_name is None:
        return {}
    collection = KIND_BY_NAME[far].arm_path.split("/", 1)[0]
    prefix = "" if far_scope == "service" else f"/workspaces/{key.workspace}"
    return {"properties": {field_name: f"{prefix}/{collection}/{key.names[1]}"}}


def _redacted_policy(d: _Draft) -> ArtifactError:
    """apiops-cli replaces literal secrets in policies by a marker; publishing it would send the marker."""
    assert d.content is not None
    in_xml_file = d.content_path is not None and d.content_path != d.body_path
    line = d.content[: d.content.index(CLI_REDACTION_MARKER)].count("\n") + 1 if in_xml_file else None
    return ArtifactError(
        f"{CLI_REDACTION_MARKER!r} is where apiops-cli removed a secret from this policy; publishing it would "
        "send the marker as the value: keep the secret in a secret named value and use {{its-name}} here",
        path=d.content_path, line=line,
    )


def _fragment_xml_from_body(d: _Draft, body: dict[str, Any]) -> None:
    """apiops-cli keeps a policy fragment's XML in its JSON (``properties.value``); ours is policy.xml."""
    props = body.get("properties")
    if isinstance(props, dict) and isinstance(props.get("value"), str):
        d.content, d.content_path = props["value"], d.body_path
        d.body = {**body, "properties": {k: v for k, v in props.items() if k not in ("value", "format")}}


def _schema_problems(kind: str, body: Mapping[str, Any], data: bytes, where: str, result: TreeRead) -> bool:
    """Check an information file against the 2024-05-01 model (``info_schema``); True when refused."""
    from .info_schema import check_information

    errors, warnings = check_information(kind, body, decode_text(data, where), where)
    for warning in warnings:  # logged once, here (not also as a note)
        _LOG.warning("warning: %s", warning)
    result.problems.extend(errors)
    return bool(errors)


def _read_content(
    match: PathMatch, data: bytes, where: str, path: str, d: _Draft, result: TreeRead
) -> None:
    text = decode_text(data, where)
    if d.content is not None:
        raise ArtifactError(
            f"{match.kind} {'/'.join(match.names)} has two files: {d.content_path} and {where}; keep one",
            path=where,
        )
    if match.ext is not None:
        d.content_format = spec_format(match.ext, text, where)
        d.content_ext = match.ext
    d.content, d.content_path = text, where


def _read_array(
    match: PathMatch,
    data: bytes,
    where: str,
    draft: Callable[[ResourceKey], _Draft],
    result: TreeRead,
) -> None:
    items = _load_json(data, where)
    if not isinstance(items, list):
        raise ArtifactError("an association file (v5) must hold a JSON array", path=where, line=1)
    assert match.fill_index is not None
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str):
            result.problems.append(
                ArtifactError(f"entry {index} must be a name or {{\"name\": ...}}, not {item!r}", path=where)
            )
            continue
        problem = name_problem(name)
        if problem:
            result.problems.append(ArtifactError(f"entry {index}: name {name!r} {problem}", path=where))
            continue
        names = list(match.names)
        names.insert(match.fill_index, name)
        d = draft(ResourceKey(match.kind, tuple(names), match.workspace))
        if d.array_path is None:
            d.array_path = where
        if d.body is None:
            d.body, d.body_role = {}, "array"
        if isinstance(item, dict) and item.get("scope") in ("service", "workspace"):
            d.far_scope = item["scope"]


def load_tree(source: Any, *, report: bool = True) -> State:
    """Read a tree and raise one ``ArtifactError`` listing every problem (each with file:line).

    With ``report`` the layout found and every unused file are logged (see ``report_read``).
    """
    return load_tree_read(source, report=report).state


def load_tree_read(source: Any, *, report: bool = True, skip: Callable[[str], bool] | None = None) -> TreeRead:
    """``load_tree``, returning the whole ``TreeRead`` (layout, unused and foreign files)."""
    read = read_tree(source, skip=skip)
    if report:
        report_read(read, source)
    if read.problems:
        first = read.problems[0]
        lines = "\n".join(f"  {p}" for p in read.problems)
        count = len(read.problems)
        raise ArtifactError(
            f"{count} problem{'s' if count > 1 else ''} in the artifacts tree:\n{lines}", path=first.path, line=first.line
        )
    return read


#: at most this many unused files are logged one by one (then a count)
_MAX_UNUSED_LINES = 50


def report_read(read: TreeRead, source: Any = None, log: logging.Logger | None = None) -> None:
    """Say which layout was read (info), each unused file with why (warning), and foreign files (one line).

    A file the reader does not use is never dropped in silence: a user migrating from another tool
    must see what apiops will not publish.
    """
    log = log or _LOG
    describe = getattr(source, "describe", None) or (lambda p: p)
    log.info("artifacts layout: %s (%d resource(s))", read.layout, len(read.state))
    for note in read.notes:
        log.info("note: %s", note)
    for path, reason in read.unused[:_MAX_UNUSED_LINES]:
        log.warning("%s: not used: %s", describe(path), reason)
    if len(read.unused) > _MAX_UNUSED_LINES:
        log.warning("... and %d more unused file(s)", len(read.unused) - _MAX_UNUSED_LINES)
    if read.foreign:
        shown = ", ".join(read.foreign[:5]) + (", ..." if len(read.foreign) > 5 else "")
        log.info("%d file(s) outside the artifacts left alone: %s", len(read.foreign), shown)


# ---------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------
_SAFE_ASCII = frozenset(chr(c) for c in range(0x20, 0x7F)) - set("\"\\&'<>+`")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f", "\\": "\\\\"}


def _json_string(value: str) -> str:
    """A JSON string escaped like System.Text.Json's default encoder (what Azure/apiops writes)."""
    out = ['"']
    for ch in value:
        if ch in _SAFE_ASCII:
            out.append(ch)
        elif ch in _SHORT:
            out.append(_SHORT[ch])
        else:
            code = ord(ch)
            if code > 0xFFFF:
                code -= 0x10000
                out.append("\\u%04X\\u%04X" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)))
            else:
                out.append("\\u%04X" % code)
    out.append('"')
    return "".join(out)


def dump_json(value: Any, indent: int = 0) -> str:
    """JSON with 2-space indentation, key order kept, no trailing newline (Azure/apiops formatting)."""
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        pad = "  " * (indent + 1)
        items = [f"{pad}{_json_string(str(k))}: {dump_json(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        pad = "  " * (indent + 1)
        return "[\n" + ",\n".join(pad + dump_json(v, indent + 1) for v in value) + "\n" + "  " * indent + "]"
    if isinstance(value, str):
        return _json_string(value)
    return json.dumps(value)


def _get_path(body: Any, dotted: str) -> tuple[Any, str] | None:
    parts = dotted.split(".")
    node = body
    for part in parts[:-1]:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return (node, parts[-1]) if isinstance(node, Mapping) and parts[-1] in node else None


def drop_secrets(key: ResourceKey, body: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``body`` without the kind's secret fields.

    A named value's ``properties.value`` is a secret only when ``properties.secret`` is true;
    every other secret field (subscription keys) always is. Literal values of the kind's
    ``masked_fields`` (backend credentials, logger keys) are replaced by ``normalise.MASK``.
    """
    from .normalise import mask_secrets

    result = json.loads(json.dumps(body))  # deep copy of plain JSON data
    if key.row.masked_fields and isinstance(result, dict) and isinstance(result.get("properties"), dict):
        mask_secrets(key.row, result["properties"])
    props = result.get("properties") if isinstance(result, dict) else None
    explicit_not_secret = isinstance(props, dict) and props.get("secret") is False
    for dotted in key.row.secret_fields:
        if key.kind == "named-value" and (explicit_not_secret or not (isinstance(props, dict) and props.get("secret"))):
            continue
        found = _get_path(result, dotted)
        if found is not None:
            node, last = found
            del node[last]
    return result


def render_files(state: State) -> dict[str, bytes]:
    """Every file of the v7 layout for ``state`` (path → bytes); raises before anything is written.

    Refuses unsafe names (all of them listed in one error) and two resources claiming one file.
    """
    problems: list[str] = []
    files: dict[str, bytes] = {}
    owners: dict[str, ResourceKey] = {}
    for resource in state:
        key = resource.key
        row = key.row
        if not row.in_tree:
            continue
        for name in key.names + ((key.workspace,) if key.workspace else ()):
            problem = name_problem(name)
            if problem:
                problems.append(f"{key}: name {name!r} {problem}")
        if problems and problems[-1].startswith(f"{key}:"):
            continue
        if row.info_path:
            path = fill(_scoped(row.info_path, key.workspace), key.names, key.workspace)
            body = drop_secrets(key, resource.body) if row.secret_fields or row.masked_fields else resource.body
            files[path] = dump_json(body).encode("utf-8")
            owners[path] = key
        if row.content_path and resource.content is not None:
            template = _scoped(row.content_path, key.workspace)
            if "*" in template:
                ext = _spec_ext(resource)
                if ext is None or ext not in SPEC_EXTENSIONS:
                    problems.append(f"{key}: unknown specification format {resource.content_format!r}")
                    continue
                template = template.replace("*", ext)
            path = fill(template, key.names, key.workspace)
            if path in owners and owners[path] != key:
                problems.append(f"{key}: file {path} is also written by {owners[path]}")
            files[path] = resource.content.encode("utf-8")
            owners[path] = key
    # two names differing only by case would collide on Windows/macOS checkouts
    folded: dict[str, str] = {}
    for path in files:
        other = folded.setdefault(path.casefold(), path)
        if other != path:
            problems.append(f"files {other} and {path} differ only by case")
    if problems:
        raise ArtifactError("refusing to write the artifacts tree:\n" + "\n".join(f"  {p}" for p in problems))
    return files


@dataclass
class WriteResult:
    """Artifact paths (relative, POSIX) written (new or changed), deleted (stale, owned) and left unchanged."""

    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _write_file(target: Path, data: bytes) -> None:
    """Write one file of the staging tree (a seam: tests make it fail midway)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as handle:
        handle.write(data)


def _carry(source: Path, target: Path) -> None:
    """Put an existing file into the staging tree without changing it (hard link, else copy with mtime)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _existing(root: Path) -> tuple[list[str], list[str]]:
    """Files (including ``.git`` and foreign files) and empty folders under root, as POSIX paths."""
    files: list[str] = []
    empty_dirs: list[str] = []
    if not root.exists():
        return files, empty_dirs
    for folder, dirs, names in os.walk(root):
        rel = Path(folder).relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        for d in list(dirs):
            if (Path(folder) / d).is_symlink():
                files.append(prefix + d)
                dirs.remove(d)
        files.extend(prefix + n for n in names)
        if not dirs and not names and prefix:
            empty_dirs.append(prefix.rstrip("/"))
    return files, empty_dirs


def write_tree(
    state: State,
    root: Path,
    *,
    owns: Callable[[str], bool] | None = None,
    before_write: Callable[[WriteResult], None] | None = None,
) -> WriteResult:
    """Write ``state`` as a v7 tree at ``root``, atomically, keeping foreign and unowned files.

    - The new tree is staged in a sibling folder and swapped in only when complete: any failure
      leaves ``root`` exactly as it was.
    - Foreign files (README, pipelines, configuration, ``.git``) are carried over unchanged.
    - Artifact files (any accepted layout) missing from ``state`` are deleted, but only where
      ``owns(path)`` is true (``None`` = everything is owned), so a filtered extraction leaves
      other teams' files alone.
    - Files whose bytes do not change are hard-linked, not rewritten (mtimes stay).
    - Secret fields are dropped; unsafe names are refused before anything is written.
    - ``before_write(result)`` sees what would be written and deleted before anything is; raising
      from it leaves ``root`` untouched (extract's guard against emptying a tree).
    - Leftovers of a killed earlier run beside ``root`` are cleaned first (``clean_leftovers``).
    """
    root = Path(root)
    clean_leftovers(root)
    new_files = render_files(state)
    old_files, empty_dirs = _existing(root)
    result = WriteResult()
    carried: list[str] = []
    old_set = set(old_files)
    for path in old_files:
        if path in new_files:
            continue
        is_artifact = not path.startswith(".git/") and path != ".git" and match_path(path) is not None
        if is_artifact and (owns is None or owns(path)):
            result.deleted.append(path)
        else:
            carried.append(path)
    to_write: dict[str, bytes] = {}
    for path, data in new_files.items():
        if path in old_set and (root / path).is_file() and not (root / path).is_symlink():
            if (root / path).read_bytes() == data:
                result.unchanged.append(path)
                carried.append(path)
                continue
        to_write[path] = data
        result.written.append(path)
    if before_write is not None:
        before_write(result)

    if root.exists() and not result.written and not result.deleted:
        return result  # nothing to do: do not even touch the folder

    parent = root.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = parent / f".{root.name}.apiops-new-{_secrets.token_hex(4)}"
    os.mkdir(staging)
    try:
        if root.exists():
            shutil.copymode(root, staging)
        for path in carried:
            _carry(root / path, staging / path)
        for folder in empty_dirs:
            (staging / folder).mkdir(parents=True, exist_ok=True)
        for path, data in to_write.items():
            _write_file(staging / path, data)
        _swap(staging, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    result.written.sort()
    result.deleted.sort()
    result.unchanged.sort()
    return result


def clean_leftovers(root: Path) -> list[str]:
    """Remove what a killed earlier ``write_tree`` left beside ``root``; returns the names handled.

    Only our own folders, recognised by their exact name (``.<root>.apiops-new-<8 hex>``, the
    staging tree, always incomplete or superseded; ``.<root>.apiops-old-<8 hex>``, the retired
    tree). When ``root`` itself is missing the swap was cut between its two renames: the newest
    ``-old-`` folder is renamed back to ``root`` (the previous tree, complete) before the rest goes.
    """
    root = Path(root)
    parent = root.parent
    pattern = re.compile(r"\." + re.escape(root.name) + r"\.apiops-(new|old)-[0-9a-f]{8}")
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    found: list[tuple[str, Path]] = []
    for name in names:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        path = parent / name
        try:
            if not stat.S_ISDIR(os.lstat(path).st_mode):  # never follow or remove a symlink or a file
                continue
        except OSError:
            continue
        found.append((match.group(1), path))
    if not found:
        return []
    olds = sorted((p for k, p in found if k == "old"), key=lambda p: os.lstat(p).st_mtime, reverse=True)
    if olds and not os.path.lexists(root):
        os.rename(olds[0], root)
        olds = olds[1:]
    for kind, path in found:
        if kind == "new" or path in olds:
            shutil.rmtree(path, ignore_errors=True)
    return sorted(p.name for _, p in found)


def _swap(staging: Path, root: Path) -> None:
    """Replace ``root`` by ``staging`` with two renames; on failure the old root is put back."""
    if not root.exists():
        os.rename(staging, root)
        return
    retired = root.parent / f".{root.name}.apiops-old-{_secrets.token_hex(4)}"
    os.rename(root, retired)
    try:
        os.rename(staging, root)
    except BaseException:
        os.rename(retired, root)
        raise
    shutil.rmtree(retired, ignore_errors=True)
