"""The import direction of docs/ARCHITECTURE.md ("Imports flow one way"), enforced.

Every module's imports are read with ``ast``: plain and relative imports, ``TYPE_CHECKING`` and
function-level ones, and ``importlib.import_module("…")`` string literals (an f-string counts as
an import of every module its constant prefix names, which is how ``cli`` loads the commands).
A module may import its own unit (``lint/`` from ``lint/``) or a unit on a lower layer; anything
on its own layer or above needs a line in ``SAME_LAYER`` with the reason. The graph must also be
free of cycles. The emulators are a package of their own, ``apiops_emulator`` (``http`` below
``apim/`` and ``devops/``, which do not import each other): it imports nothing from ``apiops_core``,
and ``apiops_core`` imports it only from the commands that start it (``EMULATOR_STARTERS``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "apiops_core"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE
EMULATOR_PACKAGE = "apiops_emulator"
EMULATOR_ROOT = Path(__file__).resolve().parents[1] / EMULATOR_PACKAGE

#: docs/ARCHITECTURE.md's layer list, lowest first; a unit is a top-level module or sub-package.
LAYERS: tuple[tuple[str, ...], ...] = (
    # schemas/ is package data only
    ("errors", "kinds", "schemas"),
    # agent: the ##vso contract, standard library only; auth registers fresh tokens through it
    ("safe_read", "agent"),
    # config_schema: the per-kind keys of the configuration schemas, from the kind table alone
    ("model", "config_schema"),
    # specs: the one home of specification formats, loading and comparison (artifacts, config, plan, lint);
    # contentdiff: policy and specification diff lines for the plan
    ("specs", "contentdiff"),
    ("treesource", "artifacts", "info_schema", "config", "normalise", "arm", "auth", "references"),
    # behaviours: the per-kind hooks the engines call (an engine hands them a port; they import no engine)
    ("behaviours",),
    ("target", "target_refs", "selection", "soap_operations", "refusals", "create_secrets", "extract", "plan",
     "apply", "render",
     "gitdiff", "deployments", "environments", "lint", "devops"),
    # publish: the publish pipeline as a library (load, connect, plan, refuse), called by the commands;
    # progress: the display of extract's and apply's progress values
    ("publish", "progress"),
    ("commands",),
    ("cli",),
    ("tasks",),
    ("",),  # apiops_core/__init__.py: the lazy public façade over all of the above
)

#: Imports within one layer (or upwards), each with its reason; (importer, imported) module names.
SAME_LAYER: dict[tuple[str, str], str] = {
    ("artifacts", "info_schema"): "reading a tree validates each information file against the models",
    ("artifacts", "normalise"): "the extractor writes exactly the normalised body the reader reads back",
    ("config", "artifacts"): "overrides and filters match artifact paths with artifacts.match_path",
    ("info_schema", "references"): "an information file naming a bare name where an id belongs is refused "
                                   "with the reference table's knowledge of id-valued fields",
    ("devops.breaking", "lint.breaking"): "the PR description reuses the breaking-change report",
}

#: ``from X import _private`` across units, each to be removed (none is accepted for good).
PRIVATE_IMPORTS: set[tuple[str, str]] = set()

#: apiops_emulator's units, lowest first: the app protocol both emulators speak, then the two
#: emulators side by side (neither imports the other), then the package and ``python -m``.
EMULATOR_LAYERS: tuple[tuple[str, ...], ...] = (
    ("http",),
    ("apim", "devops"),
    ("", "__main__"),
)

#: The only apiops_core modules that may import apiops_emulator, each with its reason.
EMULATOR_STARTERS: dict[str, str] = {
    "commands.emulator": "`apiops emulator` hands its arguments to the APIM emulator's command line",
    "commands.demo": "`apiops demo` runs the whole loop against an in-process APIM emulator",
}


@dataclass(frozen=True)
class Import:
    source: str  # importing module, relative to the package ("" for the package itself)
    target: str  # imported module, relative to the package
    names: tuple[str, ...]  # names taken with ``from … import``
    line: int


def _relative(name: str, package: str) -> str:
    return "" if name == package else name[len(package) + 1:]


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Every module under ``root`` by dotted name relative to the package ("" for ``__init__``)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def read_imports(root: Path, package: str = PACKAGE, foreign: str | None = None) -> list[Import]:
    """The package-internal imports of every module under ``root``; with ``foreign``, its imports
    of that other package instead (``target`` is then the full dotted name)."""
    modules = module_names(root, package)
    imports: list[Import] = []

    def resolve(full: str) -> str | None:
        """The module ``full`` names, or the nearest enclosing one (``pkg.mod.attr`` → ``pkg.mod``)."""
        if foreign is not None:
            return full if full == foreign or full.startswith(foreign + ".") else None
        if full != package and not full.startswith(package + "."):
            return None
        name = _relative(full, package)
        while name not in modules and name:
            name = name.rpartition(".")[0]
        return name

    for source, path in modules.items():
        is_package = path.name == "__init__.py"
        here = [package, *source.split(".")] if source else [package]
        if not is_package:
            here = here[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[tuple[str, tuple[str, ...]]] = []
            if isinstance(node, ast.Import):
                targets = [(alias.name, ()) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(here[: len(here) - node.level + 1]) if node.level else ""
                module = ".".join(p for p in (base, node.module or "") if p)
                names = tuple(alias.name for alias in node.names)
                if node.module is None:  # ``from . import a, b``: each name is a module or an attribute
                    targets = [(f"{module}.{name}", (name,)) for name in names]
                else:
                    targets = [(module, names)]
            elif isinstance(node, ast.Call) and _is_import_module(node.func) and node.args:
                argument = node.args[0]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    targets = [(argument.value, ())]
                elif isinstance(argument, ast.JoinedStr) and argument.values:
                    head = argument.values[0]
                    prefix = head.value if isinstance(head, ast.Constant) and isinstance(head.value, str) else ""
                    targets = [(f"{package}.{name}", ()) for name in modules
                               if prefix and f"{package}.{name}".startswith(prefix)]
            for full, names in targets:
                target = resolve(full)
                if target is not None and target != source:
                    imports.append(Import(source, target, names, node.lineno))
    return imports


def _is_import_module(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in ("import_module", "__import__")


def unit_of(module: str) -> str:
    return module.split(".")[0]


def layer_of(unit: str, layers: tuple[tuple[str, ...], ...] = LAYERS) -> int:
    for index, layer in enumerate(layers):
        if unit in layer:
            return index
    raise KeyError(unit)


def direction_problems(imports: list[Import], allowed: dict[tuple[str, str], str],
                       layers: tuple[tuple[str, ...], ...] = LAYERS, package: str = PACKAGE) -> list[str]:
    """Imports that do not go to a lower layer (or stay inside their own unit) and are not allowed."""
    problems = []
    for item in imports:
        source_unit, target_unit = unit_of(item.source), unit_of(item.target)
        if source_unit == target_unit and item.source:
            continue
        source_layer, target_layer = layer_of(source_unit, layers), layer_of(target_unit, layers)
        if target_layer < source_layer or (item.source, item.target) in allowed:
            continue
        problems.append(f"{item.source or package} (line {item.line}) imports {item.target or package} "
                        f"(layer {target_layer} is not below {source_layer})")
    return problems


def foreign_problems(imports: list[Import], allowed_sources: set[str] | dict[str, str], package: str) -> list[str]:
    """Imports of another package (``read_imports(..., foreign=...)``) from modules not allowed to."""
    return [f"{item.source or package} (line {item.line}) imports {item.target}"
            for item in imports if item.source not in allowed_sources]


def cycles(imports: list[Import]) -> list[list[str]]:
    """One cycle per strongly connected group of modules that import each other (round trip)."""
    graph: dict[str, set[str]] = {}
    for item in imports:
        graph.setdefault(item.source, set()).add(item.target)
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def private_problems(imports: list[Import], allowed: set[tuple[str, str]]) -> list[str]:
    """``_private`` names taken from another unit (a sub-package's modules may share theirs)."""
    return [f"{item.source} (line {item.line}) imports {item.target}.{name}"
            for item in imports for name in item.names
            if name.startswith("_") and not name.startswith("__") and unit_of(item.source) != unit_of(item.target)
            and (item.source, f"{item.target}.{name}") not in allowed]


# ------------------------------------------------------------------------------------------ tests
IMPORTS = read_imports(ROOT)
EMULATOR_IMPORTS = read_imports(EMULATOR_ROOT, EMULATOR_PACKAGE)


def test_every_unit_has_a_layer() -> None:
    units = {unit_of(name) for name in module_names(ROOT, PACKAGE)}
    placed = {unit for layer in LAYERS for unit in layer}
    assert units - placed == set(), "add the new module to LAYERS (and to docs/ARCHITECTURE.md's list)"
    assert placed - units == set(), "LAYERS names a module that no longer exists"


def test_imports_flow_one_way() -> None:
    assert direction_problems(IMPORTS, SAME_LAYER) == []


def test_the_emulator_imports_nothing_from_the_client_side() -> None:
    assert foreign_problems(read_imports(EMULATOR_ROOT, EMULATOR_PACKAGE, foreign=PACKAGE), set(),
                            EMULATOR_PACKAGE) == []


def test_only_the_commands_that_start_it_import_the_emulator() -> None:
    starters = read_imports(ROOT, PACKAGE, foreign=EMULATOR_PACKAGE)
    assert foreign_problems(starters, EMULATOR_STARTERS, PACKAGE) == []
    assert set(EMULATOR_STARTERS) - {item.source for item in starters} == set(), \
        "remove the EMULATOR_STARTERS lines nothing needs any more"


def test_every_emulator_unit_has_a_layer() -> None:
    units = {unit_of(name) for name in module_names(EMULATOR_ROOT, EMULATOR_PACKAGE)}
    placed = {unit for layer in EMULATOR_LAYERS for unit in layer}
    assert units - placed == set(), "add the new module to EMULATOR_LAYERS (and to docs/ARCHITECTURE.md)"
    assert placed - units == set(), "EMULATOR_LAYERS names a module that no longer exists"


def test_the_apim_and_devops_emulators_share_only_http() -> None:
    assert direction_problems(EMULATOR_IMPORTS, {}, EMULATOR_LAYERS, EMULATOR_PACKAGE) == []
    assert cycles(EMULATOR_IMPORTS) == []


def test_no_import_cycles() -> None:
    assert cycles(IMPORTS) == []


def test_private_names_stay_in_their_module() -> None:
    assert private_problems(IMPORTS, PRIVATE_IMPORTS) == []


def test_every_allowed_exception_is_still_needed() -> None:
    edges = {(item.source, item.target) for item in IMPORTS}
    assert set(SAME_LAYER) - edges == set(), "remove the SAME_LAYER lines nothing needs any more"
    private = {(item.source, f"{item.target}.{name}") for item in IMPORTS for name in item.names}
    assert PRIVATE_IMPORTS - private == set(), "remove the PRIVATE_IMPORTS lines nothing needs any more"


@pytest.fixture
def wrong_tree(tmp_path: Path) -> Path:
    """A small package (and an emulator package beside it) with the mistakes the checks exist for."""
    root = tmp_path / PACKAGE
    (root / "commands").mkdir(parents=True)
    emulator = tmp_path / EMULATOR_PACKAGE
    (emulator / "apim").mkdir(parents=True)
    (emulator / "devops").mkdir()
    files = {
        f"{PACKAGE}/__init__.py": "",
        f"{PACKAGE}/errors.py": "",
        f"{PACKAGE}/model.py": "from .cli import main\n",  # upwards
        f"{PACKAGE}/plan.py": "from apiops_emulator.apim import Emulator\n",  # not a command that starts it
        f"{PACKAGE}/apply.py": "from . import plan\nfrom .model import _hidden\n",  # sideways, private
        f"{PACKAGE}/cli.py": "import importlib\nimportlib.import_module(f'apiops_core.commands.{name}')\n",
        f"{PACKAGE}/commands/__init__.py": "",
        f"{PACKAGE}/commands/plan.py": "from ..cli import Context\n",  # the loop the graph cannot see without the f-string
        f"{PACKAGE}/commands/emulator.py": "import apiops_emulator.apim.cli\n",  # allowed
        f"{EMULATOR_PACKAGE}/__init__.py": "",
        f"{EMULATOR_PACKAGE}/http.py": "",
        f"{EMULATOR_PACKAGE}/apim/__init__.py": "",
        f"{EMULATOR_PACKAGE}/apim/store.py": "from ..http import Request\nfrom apiops_core.errors import ApiOpsError\n",
        f"{EMULATOR_PACKAGE}/devops/__init__.py": "",
        f"{EMULATOR_PACKAGE}/devops/app.py": "from ..apim.store import Store\n",  # one emulator on the other
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return root


def test_the_checks_see_wrong_imports(wrong_tree: Path) -> None:
    imports = read_imports(wrong_tree)
    assert {(i.source, i.target) for i in imports} == {
        ("model", "cli"), ("apply", "plan"), ("apply", "model"), ("cli", "commands.plan"),
        ("cli", "commands.emulator"), ("commands.plan", "cli"),
    }
    problems = direction_problems(imports, {})
    assert any(p.startswith("model (line 1) imports cli") for p in problems)
    assert any(p.startswith("apply (line 1) imports plan") for p in problems)
    assert any(p.startswith("commands.plan (line 1) imports cli") for p in problems)
    assert private_problems(imports, set()) == ["apply (line 2) imports model._hidden"]
    assert ["cli", "commands.plan", "cli"] in cycles(imports)

    starters = read_imports(wrong_tree, PACKAGE, foreign=EMULATOR_PACKAGE)
    assert {(i.source, i.target) for i in starters} == {
        ("plan", "apiops_emulator.apim"), ("commands.emulator", "apiops_emulator.apim.cli")}
    assert foreign_problems(starters, EMULATOR_STARTERS, PACKAGE) == ["plan (line 1) imports apiops_emulator.apim"]

    emulator_root = wrong_tree.parent / EMULATOR_PACKAGE
    client = read_imports(emulator_root, EMULATOR_PACKAGE, foreign=PACKAGE)
    assert foreign_problems(client, set(), EMULATOR_PACKAGE) == ["apim.store (line 2) imports apiops_core.errors"]
    inside = read_imports(emulator_root, EMULATOR_PACKAGE)
    assert {(i.source, i.target) for i in inside} == {("apim.store", "http"), ("devops.app", "apim.store")}
    assert direction_problems(inside, {}, EMULATOR_LAYERS, EMULATOR_PACKAGE) == [
        "devops.app (line 1) imports apim.store (layer 1 is not below 1)"]
