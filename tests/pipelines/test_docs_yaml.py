"""Every YAML a user may copy parses, and every apiops task step in it gives valid inputs.

The Marketplace page (overview.md), the README, docs/*.md and the shipped pipelines are read as
a user's YAML parser reads them (PyYAML ``safe_load``): one unquoted ``: `` in a ``script:``
line and the whole quickstart is unusable. Then each step of one of our tasks is checked
against its task.json: every input name exists (or is an alias), every required input without
a default is given, and literal values fit the input (pickList options, booleans,
``maxDeletions``). Steps of other tasks are left to their owners.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest
import yaml

from . import pipeline_model as pm

ROOT = pm.ROOT
CATALOG = pm.task_catalog()
DOCUMENTS = [ROOT / "README.md", ROOT / "overview.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(?P<lang>ya?ml)[^\n]*\n(?P<body>.*?)^```", re.M | re.S)


def yaml_blocks(path: Path) -> list[tuple[int, str]]:
    """(line of the block's first line, text) of every ```yaml fence of a Markdown file."""
    text = path.read_text(encoding="utf-8")
    return [(text[: m.start("body")].count("\n") + 1, m["body"]) for m in FENCE.finditer(text)]


def task_steps(tree: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(tree, Mapping):
        if isinstance(tree.get("task"), str):
            yield tree
        for value in tree.values():
            yield from task_steps(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from task_steps(item)


def _flatten(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """``${{ if }}:`` keys merged in (templates): every key some branch can produce."""
    out: dict[str, Any] = {}
    for key, value in inputs.items():
        if str(key).strip().startswith("${{") and isinstance(value, Mapping):
            out.update(_flatten(value))
        else:
            out[str(key)] = value
    return out


def step_problems(document: Any, where: str) -> list[str]:
    """What is wrong with the apiops task steps of a parsed YAML document."""
    problems: list[str] = []
    for step in task_steps(document):
        info = pm.resolve_task(step["task"], CATALOG)
        if info is None:
            if pm.is_our_task_name(step["task"], CATALOG):
                problems.append(f"{where}: {step['task']} names no major version we ship")
            continue
        inputs = _flatten(step.get("inputs") or {})
        for key, value in inputs.items():
            spec = info.input_named(key)
            if spec is None:
                problems.append(f"{where}: {info.name} has no input {key!r}")
                continue
            problem = pm.literal_problem(spec, value)
            if problem:
                problems.append(f"{where}: {info.name}: {problem}")
        for spec in info.inputs:
            if spec.get("required") and not str(spec.get("defaultValue", "")):
                if not any(info.input_named(k) is spec for k in inputs):
                    problems.append(f"{where}: {info.name} needs its required input {spec['name']!r}")
    return problems


BLOCKS = [(path, line, body) for path in DOCUMENTS for line, body in yaml_blocks(path)]
PIPELINE_FILES = pm.pipeline_files() + pm.template_files()


def test_the_documents_have_yaml_to_check() -> None:
    where = {path.name for path, _, _ in BLOCKS}
    assert {"overview.md", "SETUP.md"} <= where
    steps = [s for _, _, body in BLOCKS for s in task_steps(yaml.safe_load(body))]
    assert {pm.resolve_task(s["task"], CATALOG).name for s in steps if pm.resolve_task(s["task"], CATALOG)} >= {
        "ApiOpsBuildExtractor", "ApiOpsCreateArtifacts", "ApiOpsCreateTemplateBranch", "ApiOpsCreator",
        "ApiOpsTerminator", "ApiOpsPublish"}


@pytest.mark.parametrize("path,line,body", BLOCKS, ids=[f"{p.name}:{n}" for p, n, _ in BLOCKS])
def test_documented_yaml_parses_and_gives_valid_task_inputs(path: Path, line: int, body: str) -> None:
    where = f"{path.relative_to(ROOT)}:{line}"
    try:
        document = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        pytest.fail(f"{where}: the YAML block does not parse: {exc}")
    assert step_problems(document, where) == []


@pytest.mark.parametrize("path", PIPELINE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_pipeline_files_parse_and_give_valid_task_inputs(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert step_problems(document, str(path.relative_to(ROOT))) == []


def test_the_checks_catch_what_broke_the_quickstart() -> None:
    """The two blockers of the old quickstart, and a maxDeletions that means nothing."""
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load('- script: echo "Pull request $(pr.pullRequestUrl) (changes: $(pr.hasChanges))"\n')
    steps = yaml.safe_load("""
- task: ApiOpsCreateTemplateBranch@1
  inputs:
    artifactsFolder: apim-artifacts
    targetBranch: main
- task: ApiOpsTerminator@1
  inputs:
    azureSubscription: c
    resourceGroupName: rg
    maxDeletions: "no limit"
    prunne: true
- task: ApiOpsPublish@2
""")
    problems = step_problems(steps, "x")
    assert any("ApiOpsCreateTemplateBranch needs its required input 'serviceName'" in p for p in problems)
    assert any("maxDeletions='no limit'" in p for p in problems)
    assert any("has no input 'prunne'" in p for p in problems)
    assert any("ApiOpsPublish@2 names no major" in p for p in problems)
    assert len(problems) == 4


# ------------------------------------------------------------------------------- README
def readme_commands() -> list[str]:
    """The command lines of the README's first ```bash block (comments and blanks dropped)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^```bash\n(.*?)^```", text, re.M | re.S)
    assert block, "README has no bash block"
    return [line.strip() for line in block[1].splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_readme_first_command_makes_its_own_venv_and_ends_in_the_demo() -> None:
    """PEP 668 systems refuse ``pip install`` into the system Python: the command must create
    and activate a virtual environment before pip runs, in one line, ending in ``apiops demo``."""
    install, tests = readme_commands()[:2]
    parts = [p.strip() for p in install.split("&&")]
    assert parts[0] == "python3 -m venv .venv"
    assert parts[1] in (". .venv/bin/activate", "source .venv/bin/activate")
    assert any(p.startswith("pip install -e") and ".[test]" in p for p in parts[2:])
    assert parts[-1] == "apiops demo"
    assert "--break-system-packages" not in install and "sudo" not in install
    assert tests == "python -m pytest -q"


def test_ci_runs_what_the_readme_says() -> None:
    """.ci/run installs with the README's command (without the demo) and runs its test command."""
    install, tests = readme_commands()[:2]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert install.rsplit("&& apiops demo", 1)[0].strip() in ci
    assert re.search(rf"^{re.escape(tests)}$", ci, re.M)


# ------------------------------------------------------------------------------ samples
def test_sample_extractor_configuration_loads_and_filters() -> None:
    from apiops_core.config import ExtractorConfig
    from apiops_core.model import ResourceKey

    config = ExtractorConfig.load(ROOT / "samples" / "configuration.extractor.yaml")
    assert config.selects(ResourceKey("api", ("echo-api",), None))
    assert not config.selects(ResourceKey("api", ("someone-elses-api",), None))
    assert config.selects(ResourceKey("product", ("starter",), None))
    assert not config.selects(ResourceKey("gateway", ("gw",), None))
    assert config.spec_format == "OpenApiV3Yaml"


def test_sample_prod_overrides_load_and_need_their_tokens() -> None:
    from apiops_core.config import Overrides
    from apiops_core.errors import ConfigError

    path = ROOT / "samples" / "configuration.prod.yaml"
    tokens = {"CONFERENCE_API_KEY": "k", "APPINSIGHTS_INSTRUMENTATION_KEY": "i"}
    overrides = Overrides.load(path, tokens)
    assert overrides.service_name == "apim-contoso-prod"
    kinds = {entry.key.kind for entry in overrides.entries}
    assert {"named-value", "backend", "logger", "api", "api-diagnostic"} <= kinds
    with pytest.raises(ConfigError) as missing:
        Overrides.load(path, {})
    assert "CONFERENCE_API_KEY" in str(missing.value)


def test_the_publisher_names_the_sample_as_the_start_of_its_prod_overrides() -> None:
    publisher = (ROOT / "pipelines" / "publisher.yml").read_text(encoding="utf-8")
    assert "overridesFile: configuration.prod.yaml" in publisher and "samples/configuration.prod.yaml" in publisher
    setup = (ROOT / "docs" / "SETUP.md").read_text(encoding="utf-8")
    assert "samples/configuration.prod.yaml" in setup and "samples/configuration.extractor.yaml" in setup
