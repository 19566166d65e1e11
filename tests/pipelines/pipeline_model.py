"""A small model of Azure Pipelines YAML for tests: load, expressions, template expansion, tasks.

What Azure DevOps does when it compiles a run, reduced to what our pipelines use:

* ``${{ }}`` template expressions over ``parameters`` (and ``${{ each }}`` loop variables):
  whole-value expressions keep their type (an object parameter stays an object), expressions
  inside a string are interpolated; ``${{ if }}`` / ``${{ elseif }}`` / ``${{ else }}`` and
  ``${{ each }}`` as mapping keys and as list entries;
* ``template:`` references in stage, job and step lists, with typed parameters (defaults,
  ``values``, booleans) evaluated in the caller's scope and expanded in the template's own;
* the expression language itself (literals, property access, the functions we use) so the
  same evaluator also serves runtime conditions (``succeeded()``, ``dependencies.X.outputs``).

It also reads our ``task.json`` files (by name or id, major version, inputs with aliases).
Nothing here reads /work/shared: the tests must run in a user's clone.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
PIPELINES = ROOT / "pipelines"
TASKS = ROOT / "tasks"

EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
MACRO = re.compile(r"\$\(([A-Za-z0-9_.\-]+)\)")


# ----------------------------------------------------------------------------------- loading
def load_yaml(path: Path) -> Any:
    """Parse a pipeline file with ruamel.yaml (round-trip loader: keeps key order and line numbers)."""
    yaml = YAML(typ="rt")
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle)


def plain(value: Any) -> Any:
    """ruamel's CommentedMap/Seq and scalar subclasses → plain dict/list/str/bool/int."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def pipeline_files() -> list[Path]:
    return sorted(PIPELINES.glob("*.yml"))


def template_files() -> list[Path]:
    return sorted((PIPELINES / "templates").glob("*.yml"))


#: Values a user must give when queueing (parameters without a default), for expanding a
#: pipeline "as queued with the defaults".
QUEUE_TIME_PARAMETERS: dict[str, dict[str, Any]] = {
    "build-extension.yml": {"repositoryUrl": "https://github.com/contoso/apiops"},
}


def queued_with_defaults(path: Path) -> dict[str, Any]:
    """The parameters of a run queued without changing any default."""
    return dict(QUEUE_TIME_PARAMETERS.get(path.name, {}))


# ------------------------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class TaskInfo:
    """One task.json: identity, major version, inputs (with aliases) and output variables."""

    name: str
    id: str
    major: int
    folder: Path
    inputs: tuple[Mapping[str, Any], ...]
    outputs: tuple[str, ...]

    def input_named(self, name: str) -> Mapping[str, Any] | None:
        """The input a YAML key selects: its name or one of its aliases (case-insensitive)."""
        for item in self.inputs:
            names = [item["name"], *item.get("aliases", [])]
            if name.lower() in (n.lower() for n in names):
                return item
        return None


def task_catalog(root: Path = TASKS) -> dict[tuple[str, int], TaskInfo]:
    """Every ``tasks/<Name>/<Name>V<major>/task.json``, keyed by (lower name, major) and (id, major)."""
    catalog: dict[tuple[str, int], TaskInfo] = {}
    for path in sorted(root.glob("*/*/task.json")):
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        info = TaskInfo(
            name=data["name"],
            id=data["id"].lower(),
            major=int(data["version"]["Major"]),
            folder=path.parent,
            inputs=tuple(data.get("inputs", [])),
            outputs=tuple(o["name"] for o in data.get("outputVariables", [])),
        )
        catalog[(info.name.lower(), info.major)] = info
        catalog[(info.id, info.major)] = info
    return catalog


TASK_REF = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)@(?P<major>\d+)$")


def literal_problem(spec: Mapping[str, Any], value: Any) -> str | None:
    """Why a literal input value (no ``$( )``, ``${{ }}``, ``$[ ]``) cannot work, or None.

    A fixed pickList takes one of its option keys; an editable one (``EditableOptions``) any
    text, except ``maxDeletions``, which the tasks read as a whole number or ``unlimited`` (or
    Create artifacts' ``auto``);
    a boolean takes true/false.
    """
    text = "" if value is None else str(value)
    if not text or "$(" in text or "${{" in text or "$[" in text:
        return None
    name = spec["name"]
    editable = str((spec.get("properties") or {}).get("EditableOptions", "")).lower() == "true"
    if name == "maxDeletions" and not (text.isdigit() or text.lower() in ("unlimited", "auto")):
        return f"{name}={text!r} is neither a whole number nor 'unlimited'"
    if spec["type"] == "pickList" and not editable and text not in spec.get("options", {}):
        return f"{name}={text!r} is not an option"
    if spec["type"] == "boolean" and text.lower() not in ("true", "false"):
        return f"{name}={text!r} is not a boolean"
    return None


def resolve_task(reference: str, catalog: Mapping[tuple[str, int], TaskInfo]) -> TaskInfo | None:
    """``Name@1``, ``<id>@1`` or ``publisher.extension.Name@1`` → our task, or None (a built-in)."""
    match = TASK_REF.match(reference.strip())
    if not match:
        return None
    name, major = match["name"], int(match["major"])
    for candidate in (name, name.rsplit(".", 1)[-1]):
        info = catalog.get((candidate.lower(), major))
        if info is not None:
            return info
    return None


def is_our_task_name(reference: str, catalog: Mapping[tuple[str, int], TaskInfo]) -> bool:
    """True when the reference names one of our tasks, whatever the version."""
    match = TASK_REF.match(reference.strip())
    name = (match["name"] if match else reference.split("@")[0]).rsplit(".", 1)[-1].lower()
    return any(key[0] == name or info.name.lower() == name for key, info in catalog.items())


# ------------------------------------------------------------------------------- expressions
class ExpressionError(ValueError):
    pass


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_\-]*)"
    r"|(?P<punct>[()\[\],.]))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot parse expression {text!r} at {text[pos:]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value != ""
    return True


def _as_text(value: Any) -> str:
    """How a value is interpolated into a string (booleans as True/False, like Azure DevOps)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _equal(left: Any, right: Any) -> bool:
    """Azure Pipelines equality: case-insensitive strings; booleans and numbers coerce."""
    if isinstance(left, bool) or isinstance(right, bool):
        def as_bool(v: Any) -> bool:
            return v.strip().lower() == "true" if isinstance(v, str) else _truthy(v)
        return as_bool(left) == as_bool(right)
    if left is None or right is None:
        return (left in (None, "")) and (right in (None, ""))
    return _as_text(left).lower() == _as_text(right).lower()


def _format(template: str, *args: Any) -> str:
    return re.sub(r"\{(\d+)\}", lambda m: _as_text(args[int(m.group(1))]), template)


#: Pure functions of the expression language that our pipelines use (extend when needed).
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "and": lambda *a: all(_truthy(x) for x in a),
    "or": lambda *a: any(_truthy(x) for x in a),
    "not": lambda a: not _truthy(a),
    "eq": _equal,
    "ne": lambda a, b: not _equal(a, b),
    "in": lambda a, *bs: any(_equal(a, b) for b in bs),
    "notIn": lambda a, *bs: not any(_equal(a, b) for b in bs),
    "contains": lambda a, b: _as_text(b).lower() in _as_text(a).lower(),
    "startsWith": lambda a, b: _as_text(a).lower().startswith(_as_text(b).lower()),
    "endsWith": lambda a, b: _as_text(a).lower().endswith(_as_text(b).lower()),
    "coalesce": lambda *a: next((x for x in a if x not in (None, "")), None),
    "replace": lambda a, b, c: _as_text(a).replace(_as_text(b), _as_text(c)),
    "format": _format,
    "lower": lambda a: _as_text(a).lower(),
    "upper": lambda a: _as_text(a).upper(),
    "length": lambda a: len(a) if a is not None else 0,
}

#: Job/stage status functions: runtime only; the caller supplies their values.
STATUS_FUNCTIONS = ("succeeded", "failed", "canceled", "always", "succeededOrFailed")


class _Parser:
    def __init__(self, text: str, scope: Mapping[str, Any], status: Mapping[str, bool] | None) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0
        self.scope = scope
        self.status = status

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ExpressionError(f"expected {value or 'more'} in {self.text!r}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        value = self.expression()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r} in {self.text!r}")
        return value

    def expression(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            value: Any = text[1:-1].replace("''", "'")
        elif kind == "num":
            value = float(text) if "." in text else int(text)
        elif kind == "name":
            nxt = self.peek()
            if nxt is not None and nxt[1] == "(":
                return self.call(text)
            lowered = text.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            if lowered == "null":
                return None
            value = self.lookup_root(text)
            value = self.accessors(value)
        else:
            raise ExpressionError(f"unexpected {text!r} in {self.text!r}")
        return value

    def lookup_root(self, name: str) -> Any:
        for key, val in self.scope.items():
            if key.lower() == name.lower():
                return val
        raise ExpressionError(f"unknown name {name!r} in {self.text!r}")

    def accessors(self, value: Any) -> Any:
        while True:
            token = self.peek()
            if token is None or token[1] not in (".", "["):
                return value
            self.take()
            if token[1] == ".":
                key = self.take()[1]
            else:
                key = self.expression()
                self.take("]")
            value = _index(value, key)

    def call(self, name: str) -> Any:
        self.take("(")
        args: list[Any] = []
        if self.peek() is not None and self.peek()[1] != ")":
            args.append(self.expression())
            while self.peek() is not None and self.peek()[1] == ",":
                self.take(",")
                args.append(self.expression())
        self.take(")")
        for status in STATUS_FUNCTIONS:
            if status.lower() == name.lower():
                if self.status is None:
                    raise ExpressionError(f"{name}() is a runtime function; not allowed in {self.text!r}")
                if args:
                    raise ExpressionError(f"{name}() with job names is not modelled ({self.text!r})")
                return self.status[status]
        for known, function in FUNCTIONS.items():
            if known.lower() == name.lower():
                return function(*args)
        raise ExpressionError(f"function {name}() is not modelled (used in {self.text!r})")


def _index(value: Any, key: Any) -> Any:
    if isinstance(value, Mapping):
        for k, v in value.items():
            if str(k).lower() == str(key).lower():
                return v
        return None
    if isinstance(value, list) and isinstance(key, int):
        return value[key] if 0 <= key < len(value) else None
    return None


def evaluate(text: str, scope: Mapping[str, Any], status: Mapping[str, bool] | None = None) -> Any:
    """Evaluate one expression (the text between ``${{`` and ``}}``, or a runtime condition)."""
    return _Parser(text, scope, status).parse()


def expression_names(text: str) -> Iterator[str]:
    """Dotted references in an expression (``parameters.x.y``, ``instance.serviceName``)."""
    tokens = _tokens(text)
    index = 0
    while index < len(tokens):
        kind, value = tokens[index]
        if kind == "name" and not (index + 1 < len(tokens) and tokens[index + 1][1] == "("):
            if index > 0 and tokens[index - 1][1] == ".":
                index += 1
                continue
            parts = [value]
            while index + 2 < len(tokens) and tokens[index + 1][1] == "." and tokens[index + 2][0] == "name":
                parts.append(tokens[index + 2][1])
                index += 2
            if value.lower() not in ("true", "false", "null"):
                yield ".".join(parts)
        index += 1


def _strip_strings(text: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", text)


# ----------------------------------------------------------------------- template expansion
_DIRECTIVE = re.compile(r"^\$\{\{\s*(if|elseif|else|each)\b(.*?)\}\}$", re.S)
_EACH = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s+in\s+(.+)$", re.S)


def interpolate(value: str, scope: Mapping[str, Any]) -> Any:
    """Replace ``${{ }}`` in a scalar; a value that is exactly one expression keeps its type."""
    whole = EXPR.fullmatch(value.strip()) if isinstance(value, str) else None
    if whole:
        return evaluate(whole.group(1), scope)
    return EXPR.sub(lambda m: _as_text(evaluate(m.group(1), scope)), value)


class TemplateError(ValueError):
    pass


@dataclass
class Expander:
    """Expands one pipeline file with its templates; records what it saw for the static checks."""

    templates_used: list[tuple[Path, Path, dict]] = field(default_factory=list)

    def expand_file(self, path: Path, parameters: Mapping[str, Any] | None = None) -> dict:
        """The run's YAML after compile time: parameters bound, templates inlined, directives gone."""
        document = plain(load_yaml(path))
        declared = document.get("parameters") or []
        scope = {"parameters": bind_parameters(declared, parameters or {}, where=str(path))}
        body = {k: v for k, v in document.items() if k != "parameters"}
        return self.node(body, scope, path)

    # A node: mapping, list or scalar.
    def node(self, value: Any, scope: Mapping[str, Any], here: Path) -> Any:
        if isinstance(value, dict):
            return self.mapping(value, scope, here)
        if isinstance(value, list):
            return self.sequence(value, scope, here)
        if isinstance(value, str):
            return interpolate(value, scope)
        return value

    def mapping(self, value: dict, scope: Mapping[str, Any], here: Path) -> dict:
        out: dict[str, Any] = {}
        last_if: bool | None = None
        for key, item in value.items():
            directive = _DIRECTIVE.match(key.strip())
            if directive:
                kind, rest = directive.group(1), directive.group(2)
                chosen, last_if = self._branch(kind, rest, scope, last_if, key)
                if kind == "each":
                    variable, collection = self._each(rest, scope, key)
                    for element in _iterate(collection):
                        inner = {**scope, variable: element}
                        out.update(self.mapping(item, inner, here))
                elif chosen:
                    out.update(self.mapping(item, scope, here))
                continue
            last_if = None
            out[str(interpolate(key, scope))] = self.node(item, scope, here)
        return out

    def sequence(self, value: list, scope: Mapping[str, Any], here: Path) -> list:
        out: list[Any] = []
        last_if: bool | None = None
        for item in value:
            if isinstance(item, dict) and len(item) == 1:
                key = next(iter(item))
                directive = _DIRECTIVE.match(key.strip())
                if directive:
                    kind, rest = directive.group(1), directive.group(2)
                    chosen, last_if = self._branch(kind, rest, scope, last_if, key)
                    body = item[key]
                    body = body if isinstance(body, list) else [body]
                    if kind == "each":
                        variable, collection = self._each(rest, scope, key)
                        for element in _iterate(collection):
                            out.extend(self.sequence(body, {**scope, variable: element}, here))
                    elif chosen:
                        out.extend(self.sequence(body, scope, here))
                    continue
            last_if = None
            if isinstance(item, dict) and "template" in item:
                out.extend(self.include(item, scope, here))
                continue
            out.append(self.node(item, scope, here))
        return out

    def _branch(self, kind: str, rest: str, scope: Mapping[str, Any], last_if: bool | None, key: str) -> tuple[bool, bool | None]:
        """(take this branch?, the if-chain state after it)."""
        if kind == "if":
            taken = _truthy(evaluate(rest, scope))
            return taken, taken
        if kind in ("elseif", "else"):
            if last_if is None:
                raise TemplateError(f"{key!r} without a preceding ${{{{ if }}}}")
            if last_if:
                return False, True
            taken = True if kind == "else" else _truthy(evaluate(rest, scope))
            return taken, (None if kind == "else" else taken)
        return False, None  # each

    def _each(self, rest: str, scope: Mapping[str, Any], key: str) -> tuple[str, Any]:
        match = _EACH.match(rest)
        if not match:
            raise TemplateError(f"cannot read {key!r}")
        return match.group(1), evaluate(match.group(2), scope)

    def include(self, item: dict, scope: Mapping[str, Any], here: Path) -> list:
        """Inline a stages/jobs/steps template (other keys of the reference are not allowed)."""
        reference = str(interpolate(item["template"], scope))
        target = (here.parent / reference).resolve()
        if not target.is_file():
            raise TemplateError(f"{here.name}: template {reference!r} does not exist ({target})")
        passed = self.node(item.get("parameters") or {}, scope, here)
        document = plain(load_yaml(target))
        bound = bind_parameters(document.get("parameters") or [], passed, where=f"{here.name} → {reference}")
        self.templates_used.append((here, target, passed))
        inner_scope = {"parameters": bound}
        for kind in ("stages", "jobs", "steps"):
            if kind in document:
                return self.sequence(document[kind], inner_scope, target)
        raise TemplateError(f"{reference}: not a stages, jobs or steps template")


def _iterate(collection: Any) -> list[Any]:
    if collection is None:
        return []
    if isinstance(collection, Mapping):
        return [{"key": k, "value": v} for k, v in collection.items()]
    if isinstance(collection, list):
        return collection
    raise TemplateError(f"cannot iterate over {collection!r}")


def bind_parameters(declared: list, passed: Mapping[str, Any], *, where: str) -> dict:
    """Typed parameters: unknown ones refused, required ones demanded, defaults, values, booleans."""
    names = {str(p["name"]).lower(): p for p in declared}
    unknown = [k for k in passed if k.lower() not in names]
    if unknown:
        raise TemplateError(f"{where}: parameters {unknown} are not declared")
    bound: dict[str, Any] = {}
    for spec in declared:
        name = str(spec["name"])
        given = next((v for k, v in passed.items() if k.lower() == name.lower()), _MISSING)
        if given is _MISSING:
            if "default" not in spec:
                raise TemplateError(f"{where}: required parameter {name!r} was not passed")
            given = copy.deepcopy(spec["default"])
        kind = str(spec.get("type", "string")).lower()
        if kind == "boolean":
            if isinstance(given, str):
                if given.strip().lower() not in ("true", "false"):
                    raise TemplateError(f"{where}: parameter {name!r} must be a boolean, not {given!r}")
                given = given.strip().lower() == "true"
        elif kind == "number":
            given = float(given) if "." in str(given) else int(given)
        elif kind == "string":
            if isinstance(given, (dict, list)):
                raise TemplateError(f"{where}: parameter {name!r} must be a string")
            given = "" if given is None else _as_text(given)
        if "values" in spec and not any(_equal(given, v) for v in spec["values"]):
            raise TemplateError(f"{where}: parameter {name!r} = {given!r} is not one of {spec['values']}")
        bound[name] = given
    return bound


_MISSING = object()


# --------------------------------------------------------------------------- expanded shapes
@dataclass
class Job:
    name: str
    kind: str  # job | deployment
    steps: list[dict]
    raw: dict
    depends_on: list[str]
    condition: str | None
    variables: list


@dataclass
class Stage:
    name: str
    jobs: list[Job]
    raw: dict
    depends_on: list[str]
    condition: str | None
    variables: list


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]


def stages_of(expanded: Mapping[str, Any]) -> list[Stage]:
    """Stages with their jobs and steps; implicit stage/job and implicit dependsOn filled in."""
    if "stages" in expanded:
        raw_stages = expanded["stages"]
    elif "jobs" in expanded:
        raw_stages = [{"stage": "__default", "jobs": expanded["jobs"]}]
    else:
        raw_stages = [{"stage": "__default", "jobs": [{"job": "__default", "steps": expanded.get("steps", [])}]}]
    stages: list[Stage] = []
    previous: str | None = None
    for raw in raw_stages:
        name = str(raw["stage"])
        depends = _as_list(raw["dependsOn"]) if "dependsOn" in raw else ([previous] if previous else [])
        jobs = [_job_of(j) for j in raw.get("jobs", [])]
        stages.append(Stage(name, jobs, raw, depends, raw.get("condition"), raw.get("variables") or []))
        previous = name
    return stages


def _job_of(raw: dict) -> Job:
    if "deployment" in raw:
        strategy = raw.get("strategy") or {"runOnce": {"deploy": {"steps": raw.get("steps", [])}}}
        steps = strategy["runOnce"]["deploy"]["steps"]
        return Job(str(raw["deployment"]), "deployment", steps, raw, _as_list(raw.get("dependsOn")),
                   raw.get("condition"), raw.get("variables") or [])
    return Job(str(raw["job"]), "job", raw.get("steps", []), raw, _as_list(raw.get("dependsOn")),
               raw.get("condition"), raw.get("variables") or [])


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, node) of a YAML tree, depth first."""
    yield path, value
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from walk(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")
