"""Extractor configuration (what to extract), environment overrides (what to change on publish)
and ``{#token#}`` substitution: the three YAML inputs a user writes by hand.

Why here, and why strict: these files are typed by people, so every mistake is reported with
file and line (ruamel.yaml's round-trip loader keeps line numbers), and unknown keys are errors —
a misspelt ``productNmes`` silently extracting everything is the worst possible outcome.

Both Azure/apiops formats are accepted:

- v7 nested camelCase keys (``apis: [a, {b: {operations: [], diagnostics: [d]}}]``,
  ``workspaces: [{ws: {apis: [...]}}]``) and
- v6 flat ``*Names`` lists (``apiNames: [a]``; ``[ignore]`` selects nothing because no resource
  is called ``ignore``).

A missing (or null) key selects everything, an empty list nothing; names compare
case-insensitively and an API entry covers all its revisions (``a;rev=2`` → ``a``).
"""

from __future__ import annotations

import copy
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, MutableMapping, Sequence

from .artifacts import match_path
from .config_schema import load_schema
from .errors import ConfigError
from .kinds import KIND_BY_NAME, KINDS, Kind
from .model import Resource, ResourceKey, State
from .specs import CONFIG_SPEC_FORMATS
from .safe_read import MAX_DEPTH, LIMIT_DOCUMENT, check_depth, check_yaml, decode_utf8, read_file, value_error_message

__all__ = [
    "ExtractorConfig",
    "Overrides",
    "OverrideEntry",
    "substitute_tokens",
    "load_yaml",
    "SPEC_FORMATS",
]

log = logging.getLogger("apiops.config")

#: apiSpecificationFormat values (case-insensitive) → canonical name (moved to specs.py; the old name stays)
SPEC_FORMATS: dict[str, str] = CONFIG_SPEC_FORMATS

_REVISION = re.compile(r";rev=\d+$", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# YAML with line numbers
# ---------------------------------------------------------------------------------------------
def load_yaml(text: str, where: str) -> Any:
    """Round-trip YAML (keeps ``.lc`` line info); malformed YAML is a ``ConfigError`` at file:line."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if text.startswith("\ufeff"):
        text = text[1:]
    check_yaml(text, where, error=ConfigError, max_depth=MAX_DEPTH)  # alias bombs, runaway nesting
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        doc = yaml.load(text)
        check_depth(doc, where, MAX_DEPTH, ConfigError, strings=True)  # and no lone surrogates
        return doc
    except RecursionError:
        raise ConfigError(f"invalid YAML: nested too deeply (at most {MAX_DEPTH} levels)", path=where) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ConfigError(f"invalid YAML: {value_error_message(exc)}", path=where) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or str(exc).splitlines()[0]
        context = f" ({exc.context})" if exc.context else ""
        raise ConfigError(f"invalid YAML: {problem}{context}", path=where, line=line) from exc
    except YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path=where) from exc


def _read_text(path: Path) -> str:
    """A configuration file: a regular file of at most ``LIMIT_DOCUMENT`` bytes, UTF-8 (``safe_read``)."""
    data = read_file(path, limit=LIMIT_DOCUMENT, error=ConfigError)
    return decode_utf8(data, str(path), ConfigError)


def _line_of(node: Any, step: Any) -> int | None:
    """1-based line of ``node[step]`` in a round-trip YAML document (None when unknown)."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if isinstance(step, int) and isinstance(node, list):
            return lc.item(step)[0] + 1
        return lc.key(step)[0] + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return lc.line + 1 if getattr(lc, "line", None) is not None else None


def _line_at(root: Any, path: Sequence[Any]) -> int | None:
    node, line = root, (root.lc.line + 1 if getattr(root, "lc", None) is not None else None)
    for step in path:
        found = _line_of(node, step)
        line = found or line
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
    return line


def _plain(node: Any) -> Any:
    """Round-trip YAML → plain JSON data (dict/list/str/number/bool/None)."""
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return str(node)


def _schema(name: str) -> dict[str, Any]:
    """The schema file with a key per kind-table row added (``config_schema``): a new row needs no JSON edit."""
    return load_schema(name)


def _validate(data: Any, doc: Any, schema_name: str, where: str, hint: Any = None) -> None:
    """jsonschema validation; every error becomes one line ``file:line: message`` (unknown keys named)."""
    import jsonschema
    from jsonschema.exceptions import best_match

    validator = jsonschema.Draft202012Validator(_schema(schema_name))
    found: list[tuple[int | None, str]] = []
    for error in validator.iter_errors(data):
        while error.context:
            deeper = best_match(error.context)
            if deeper is None:
                break
            error = deeper
        path = list(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for key in error.instance:
                if key not in allowed:
                    found.append((_line_at(doc, path + [key]), _unknown_key_message(key, sorted(allowed), hint)))
            continue
        message = error.message
        parent = _value_at(data, path[:-1])
        if path and path[-1] == "name" and isinstance(parent, dict) and len(parent) == 1 and schema_name.startswith("extractor"):
            message = (
                f"entry 'name: {error.instance}' is override syntax; in the extractor configuration "
                f"list the name itself ('- {error.instance}')"
            )
            path = path[:-1]
        location = "/".join(str(p) for p in path) or "(top level)"
        found.append((_line_at(doc, path), f"{location}: {message}"))
    if found:
        found.sort(key=lambda item: item[0] or 0)
        if len(found) == 1:
            raise ConfigError(found[0][1], path=where, line=found[0][0])
        listing = "\n".join(f"  {where}:{line}: {msg}" if line else f"  {where}: {msg}" for line, msg in found)
        raise ConfigError(f"{len(found)} problems:\n{listing}", path=where, line=found[0][0])


def _value_at(data: Any, path: Sequence[Any]) -> Any:
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _unknown_key_message(key: str, allowed: list[str], hint: Any) -> str:
    if key == "newName":
        return (
            "unknown key 'newName': renaming a resource per environment is not supported (Azure/apiops v7 "
            "cannot rename either); keep the same name in every environment"
        )
    return f"unknown key '{key}' (expected one of: {', '.join(allowed)})"


# ---------------------------------------------------------------------------------------------
# the kind table, seen from configuration files
# ---------------------------------------------------------------------------------------------
def _top_kinds(workspace: bool) -> list[Kind]:
    return [
        k for k in KINDS
        if k.parent is None and k.config_key and (not workspace or (k.in_workspace and k.name != "workspace"))
    ]


def _children(parent: str) -> list[Kind]:
    return [k for k in KINDS if k.parent == parent and k.config_key]


def _reverse_links(kind_name: str) -> list[tuple[Kind, Kind]]:
    """Link kinds whose second end is ``kind_name``: (link kind, first-end kind)."""
    return [(k, KIND_BY_NAME[k.link[0]]) for k in KINDS if k.link and k.link[1] == kind_name]


def _chain(kind_name: str) -> list[Kind]:
    """The kinds from the root down to ``kind_name`` (tree parents)."""
    chain = [KIND_BY_NAME[kind_name]]
    while chain[0].parent:
        chain.insert(0, KIND_BY_NAME[chain[0].parent])
    return chain


def _own_name(chain: list[Kind], index: int, names: tuple[str, ...]) -> str:
    row = chain[index]
    parent_arity = chain[index - 1].arity if index else 0
    return names[row.arity - 1] if row.arity > parent_arity else "policy"


def _fold_name(kind_name: str, name: str) -> str:
    name = name.casefold()
    return _REVISION.sub("", name) if kind_name == "api" else name


# ---------------------------------------------------------------------------------------------
# extractor configuration
# ---------------------------------------------------------------------------------------------
#: a filter: None = everything; else folded name → the entry's children (None = all of them)
_Filter = dict[str, "dict[str, Any] | None"] | None


@dataclass(frozen=True)
class ExtractorConfig:
    """What to extract: a filter per kind, nested like the v7 file (v6 keys mapped onto it).

    ``scope`` maps a config key to a filter (see ``_Filter``); children of an entry are again a
    scope. ``service_name`` is ``apimServiceName`` when the file has one.
    """

    scope: Mapping[str, Any] = field(default_factory=dict)
    spec_format: str | None = None
    service_name: str | None = None
    path: str | None = None

    @classmethod
    def all(cls) -> "ExtractorConfig":
        """Select everything (no configuration file)."""
        return cls()

    @classmethod
    def load(cls, path: Path | str) -> "ExtractorConfig":
        where = str(path)
        doc = load_yaml(_read_text(Path(path)), where)
        return cls.parse(doc, where)

    @classmethod
    def from_text(cls, text: str, where: str = "<configuration>") -> "ExtractorConfig":
        return cls.parse(load_yaml(text, where), where)

    @classmethod
    def parse(cls, doc: Any, where: str) -> "ExtractorConfig":
        if doc is None:  # a file of comments only
            return cls(path=where)
        data = _plain(doc)
        if not isinstance(data, dict):
            raise ConfigError("the extractor configuration must be a mapping of keys to lists", path=where, line=1)
        _validate(data, doc, "extractor-config.schema.json", where)
        scope: dict[str, Any] = {}
        v6_keys = {k.v6_config_key: k for k in KINDS if k.v6_config_key}
        for key, value in data.items():
            if key in ("apimServiceName", "apiSpecificationFormat"):
                continue
            if key in v6_keys:
                row = v6_keys[key]
                if row.config_key in data and data[row.config_key] is not None and value is not None:
                    raise ConfigError(
                        f"both '{key}' (v6) and '{row.config_key}' (v7) are set; keep one",
                        path=where, line=_line_of(doc, key),
                    )
                if value is not None:
                    scope[row.config_key] = _parse_filter(row.name, value)  # type: ignore[index]
                continue
            top = next((k for k in _top_kinds(False) if k.config_key == key), None)
            assert top is not None  # the schema allows only known keys
            if value is not None:
                scope[key] = _parse_filter(top.name, value)
        fmt = data.get("apiSpecificationFormat")
        return cls(
            scope=scope,
            spec_format=SPEC_FORMATS[str(fmt).casefold()] if fmt else None,
            service_name=data.get("apimServiceName"),
            path=where,
        )

    # -- selection ------------------------------------------------------------------------------
    def selects(self, key: ResourceKey, body: Mapping[str, Any] | None = None) -> bool:
        """Whether ``key`` is extracted under this configuration.

        - built-in names (``master`` subscription, system groups, the managed gateway) never are;
        - a kind is selected through its config key in its scope, children through their key
          nested under the parent's entry (``apis: [{b: {operations: []}}]`` drops b's operation
          policies); kinds without a key (the specification) follow their parent;
        - a link needs both ends selected (built-in ends, e.g. the ``developers`` group, count as
          present: they always exist);
        - an API whose version set is filtered out is skipped (pass its ``body`` to check).
        """
        row = key.row
        if row.system_names and key.names and key.names[-1].casefold() in row.system_names:
            return False
        scope: Mapping[str, Any] | None = self.scope
        if key.workspace is not None and key.kind != "workspace":
            ws_filter = self.scope.get("workspaces")
            if ws_filter is not None:
                folded = key.workspace.casefold()
                if folded not in ws_filter:
                    return False
                scope = ws_filter[folded]  # None = everything in that workspace
        if not self._chain_selected(key, scope):
            return False
        if row.link:
            for index, end in enumerate(row.link):
                end_row = KIND_BY_NAME[end]
                name = key.names[index]
                if end_row.system_names and name.casefold() in end_row.system_names:
                    continue
                if not self.selects(ResourceKey(end, (name,), key.workspace)):
                    return False
        if key.kind == "api" and body is not None:
            vs = (body.get("properties") or {}).get("apiVersionSetId") if isinstance(body, Mapping) else None
            if isinstance(vs, str) and vs.strip("/"):
                vs_name = vs.rstrip("/").rsplit("/", 1)[-1]
                if not self.selects(ResourceKey("version-set", (vs_name,), key.workspace)):
                    return False
        return True

    @staticmethod
    def _chain_selected(key: ResourceKey, scope: Mapping[str, Any] | None) -> bool:
        chain = _chain(key.kind)
        for index, row in enumerate(chain):
            if scope is None:
                return True  # an entry without children: everything below it
            if not row.config_key:
                continue  # e.g. the specification: follows its parent
            flt = scope.get(row.config_key)
            if flt is None:
                return True  # key missing: everything of this kind, with everything below
            name = _fold_name(row.name, _own_name(chain, index, key.names))
            if name not in flt:
                return False
            scope = flt[name]
        return True

    def owns_path(self, path: str) -> bool:
        """Whether an artifact path belongs to what this configuration extracts.

        ``write_tree(owns=config.owns_path)`` then deletes stale files only there, so a filtered
        extraction leaves other teams' files alone. Foreign (non-artifact) files are never owned.
        """
        match = match_path(path)
        if match is None:
            return False
        if match.role == "array":
            return self.selects(match.owner_key)
        key = match.key
        return key is not None and self.selects(key)


def _parse_filter(kind_name: str, value: Any) -> dict[str, Any]:
    """A validated list → {folded name: children scope or None}."""
    result: dict[str, Any] = {}
    for item in value or []:
        if isinstance(item, dict):
            ((name, children),) = item.items()
            result[_fold_name(kind_name, str(name))] = _parse_children(kind_name, children)
        else:
            result[_fold_name(kind_name, str(item))] = None
    return result


def _parse_children(kind_name: str, children: Any) -> dict[str, Any] | None:
    if children is None:
        return None
    scope: dict[str, Any] = {}
    if kind_name == "workspace":
        rows = {k.config_key: k for k in _top_kinds(True)}
    else:
        rows = {k.config_key: k for k in _children(kind_name)}
    for key, value in children.items():
        if value is not None:
            scope[key] = _parse_filter(rows[key].name, value)
    return scope


# ---------------------------------------------------------------------------------------------
# tokens
# ---------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"\{#\s*([^#{}\s][^#{}]*?)\s*#\}")


def _lookup(name: str, environ: Mapping[str, str]) -> str | None:
    if name in environ:
        return environ[name]
    alt = name.upper().replace(".", "_").replace(" ", "_")
    return environ.get(alt)


def substitute_tokens(text: str, environ: Mapping[str, str], where: str, *, line: int = 1) -> str:
    """Replace every ``{#NAME#}`` by the pipeline variable NAME (or NAME upper-cased, ``.`` → ``_``).

    Usable on override values and on artifact contents. All missing tokens are reported in one
    ``ConfigError`` naming each token and its file:line (``line`` is the line ``text`` starts on).
    """
    missing: list[tuple[int, str]] = []

    def replace(m: re.Match[str]) -> str:
        value = _lookup(m.group(1), environ)
        if value is None:
            missing.append((line + text.count("\n", 0, m.start()), m.group(1)))
            return m.group(0)
        return value

    result = _TOKEN.sub(replace, text)
    if missing:
        first_line, first = missing[0]
        if len(missing) == 1:
            raise ConfigError(_missing_message(first), path=where, line=first_line)
        listing = "\n".join(f"  {where}:{ln}: {_missing_message(n)}" for ln, n in missing)
        raise ConfigError(f"{len(missing)} tokens are not set:\n{listing}", path=where, line=first_line)
    return result


def _missing_message(name: str) -> str:
    alt = name.upper().replace(".", "_").replace(" ", "_")
    also = f" or {alt}" if alt != name else ""
    return f"token {{#{name}#}} is not set (no pipeline/environment variable {name}{also})"


def _substitute_tree(node: Any, environ: Mapping[str, str], where: str, missing: list[tuple[int, str]]) -> Any:
    """Substitute tokens in every string scalar of a round-trip document, collecting misses with lines."""
    if isinstance(node, MutableMapping):
        for key in list(node.keys()):
            value = node[key]
            if isinstance(value, str):
                node[key] = _sub_scalar(value, environ, _line_of(node, key) or 0, missing)
            else:
                _substitute_tree(value, environ, where, missing)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, str):
                node[index] = _sub_scalar(value, environ, _line_of(node, index) or 0, missing)
            else:
                _substitute_tree(value, environ, where, missing)
    return node


def _sub_scalar(value: str, environ: Mapping[str, str], line: int, missing: list[tuple[int, str]]) -> str:
    def replace(m: re.Match[str]) -> str:
        found = _lookup(m.group(1), environ)
        if found is None:
            missing.append((line, m.group(1)))
            return m.group(0)
        return found

    return _TOKEN.sub(replace, value)


# ---------------------------------------------------------------------------------------------
# overrides
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OverrideEntry:
    """One ``{name, properties}`` entry, resolved to the key it targets."""

    key: ResourceKey
    properties: Mapping[str, Any] | None
    line: int | None
    section: str


def _deep_merge(base: Any, override: Any) -> Any:
    """Objects merge recursively; scalars and lists replace; override-only keys are added."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


@dataclass(frozen=True)
class Overrides:
    """An environment override file (Azure/apiops ``configuration.<env>.yaml``)."""

    entries: tuple[OverrideEntry, ...] = ()
    service_name: str | None = None
    path: str | None = None
    unmatched: list[str] = field(default_factory=list, compare=False)

    @classmethod
    def load(cls, path: Path | str, environ: Mapping[str, str] | None = None) -> "Overrides":
        where = str(path)
        return cls.from_text(_read_text(Path(path)), environ, where)

    @classmethod
    def from_text(cls, text: str, environ: Mapping[str, str] | None = None, where: str = "<overrides>") -> "Overrides":
        env = os.environ if environ is None else environ
        doc = load_yaml(text, where)
        if doc is None:
            return cls(path=where)
        if not isinstance(doc, Mapping):
            raise ConfigError("an override file must be a mapping of sections to lists", path=where, line=1)
        data = _plain(doc)
        _validate(data, doc, "overrides.schema.json", where)
        missing: list[tuple[int, str]] = []
        _substitute_tree(doc, env, where, missing)
        if missing:
            if len(missing) == 1:
                raise ConfigError(_missing_message(missing[0][1]), path=where, line=missing[0][0] or None)
            listing = "\n".join(f"  {where}:{ln}: {_missing_message(n)}" for ln, n in missing)
            raise ConfigError(f"{len(missing)} tokens are not set:\n{listing}", path=where, line=missing[0][0] or None)
        data = _plain(doc)
        entries: list[OverrideEntry] = []
        for section, items in doc.items():
            if section == "apimServiceName" or items is None:
                continue
            key = "policies" if section == "servicePolicies" else section
            row = next(k for k in _top_kinds(False) if k.config_key == key)
            _collect(row, items, (), None, section, entries)
        service = data.get("apimServiceName")
        if service is not None and not isinstance(service, str):
            raise ConfigError("apimServiceName must be a single name", path=where, line=_line_of(doc, "apimServiceName"))
        return cls(entries=tuple(entries), service_name=service, path=where)

    def apply(self, state: State) -> State:
        """A new State with every override merged in; unmatched entries are warnings (``.unmatched``)."""
        result = State(state)
        self.unmatched.clear()
        for entry in self.entries:
            targets = self._targets(entry, result)
            if not targets and entry.key.kind == "workspace":
                folded = entry.key.names[0].casefold()
                if any((r.key.workspace or "").casefold() == folded for r in result):
                    continue  # v7 trees have no workspace file: the entry only scopes its sections
            if not targets:
                if entry.key.row.in_tree or entry.properties:
                    where = f"{self.path}:{entry.line}" if entry.line else str(self.path)
                    message = f"{where}: override {entry.section} '{'/'.join(entry.key.names) or 'policy'}' matches nothing in the artifacts"
                    self.unmatched.append(message)
                    log.warning("%s", message)
                continue
            for resource in targets:
                result.add(_apply_entry(resource, entry))
        return result

    @staticmethod
    def _targets(entry: OverrideEntry, state: State) -> list[Resource]:
        exact = state.get(entry.key)
        if entry.key.kind == "api" and not _REVISION.search(entry.key.names[0]):
            # an override of an API covers all its revisions (as in Azure/apiops v6)
            root = entry.key.names[0].casefold()
            scope = (entry.key.workspace or "").casefold()
            return [
                r for r in state.of_kind("api")
                if (r.key.workspace or "").casefold() == scope and _REVISION.sub("", r.key.names[0].casefold()) == root
            ]
        return [exact] if exact is not None else []


def _collect(
    row: Kind,
    items: Any,
    parent_names: tuple[str, ...],
    workspace: str | None,
    section: str,
    out: list[OverrideEntry],
    reverse_of: tuple[Kind, int] | None = None,
) -> None:
    """Walk one validated section and its nested child sections into entries."""
    for index, item in enumerate(items or []):
        name = str(item["name"])
        line = _line_of(items, index)
        if reverse_of is not None:  # e.g. apis[].gateways[] → gateway-api (gateway, api)
            names = (name,) + parent_names
        elif row.arity > len(parent_names):
            names = parent_names + (name,)
        else:
            names = parent_names  # a policy: its own name is always "policy"
        props = item.get("properties")
        if row.name == "workspace":
            out.append(OverrideEntry(ResourceKey("workspace", (name,)), _plain(props), line, section))
            for child_key, child_items in item.items():
                if child_key in ("name", "properties") or child_items is None:
                    continue
                child = next(k for k in _top_kinds(True) if k.config_key == child_key)
                _collect(child, child_items, (), name, f"{section}[{name}].{child_key}", out)
            continue
        out.append(OverrideEntry(ResourceKey(row.name, names, workspace), _plain(props), line, section))
        if reverse_of is not None:
            continue
        for child_key, child_items in item.items():
            if child_key in ("name", "properties") or child_items is None:
                continue
            child_row = next((k for k in _children(row.name) if k.config_key == child_key), None)
            label = f"{section}[{name}].{child_key}"
            if child_row is not None:
                _collect(child_row, child_items, names, workspace, label, out)
                continue
            link, other = next((lk, o) for lk, o in _reverse_links(row.name) if o.config_key == child_key)
            _collect(link, child_items, names, workspace, label, out, reverse_of=(other, 0))


def _apply_entry(resource: Resource, entry: OverrideEntry) -> Resource:
    props = dict(entry.properties or {})
    if entry.key.kind == "api":
        props.pop("apiRevision", None)
        props.pop("isCurrent", None)
    content, fmt = resource.content, resource.content_format
    if resource.key.row.is_policy:
        if "value" in props:
            content = str(props.pop("value"))
        if "format" in props:
            fmt = str(props.pop("format"))
    body = resource.body
    if props:
        body = _deep_merge(dict(resource.body), {"properties": props})
    return Resource(resource.key, body, content, fmt, resource.content_ext, resource.source)
