"""Every pipeline and template validates against Microsoft's service-schema.json (patched gaps)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from . import pipeline_model as pm
from . import schema_check as sc


def _rel(path: Path) -> str:
    return str(path.relative_to(pm.ROOT))


def test_vendored_schema_is_the_published_file() -> None:
    """The copy is whole (not trimmed) and says where it came from."""
    assert sc.SCHEMA_PATH.stat().st_size == 1_640_523
    schema = json.loads(sc.SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"].startswith("http://json-schema.org/draft-07")
    assert (sc.SCHEMA_PATH.parent / "SERVICE-SCHEMA-PROVENANCE.md").is_file()


@pytest.mark.parametrize("path", pm.pipeline_files(), ids=_rel)
def test_pipeline_file_validates(path: Path) -> None:
    assert sc.errors(sc.load_as_strings(path)) == []


@pytest.mark.parametrize("path", pm.pipeline_files(), ids=_rel)
def test_expanded_pipeline_validates(path: Path) -> None:
    """What the directives and templates produce, with the defaults, is valid too."""
    assert sc.errors(sc.as_strings(pm.Expander().expand_file(path, pm.queued_with_defaults(path)))) == []


@pytest.mark.parametrize("path", pm.template_files(), ids=_rel)
def test_steps_template_validates(path: Path) -> None:
    assert sc.errors(sc.load_as_strings(path), sc.definition_validator("stepsTemplate")) == []


@pytest.mark.parametrize(
    "broken",
    [
        "steps:\n- scirpt: echo typo\n",                                 # misspelled step key
        "trigger: none\njobs:\n- job: a\n  stepz: []\n",                 # misspelled job key
        "steps:\n- task: UsePythonVersion@0\n  inputz: {}\n",            # misspelled task key
        "steps:\n- script: echo\n  continueOnError: maybe\n",          # not a boolean
        "lockBehavior: sometimes\nsteps:\n- script: echo\n",          # not an allowed value
        "stages:\n- stage: a\n  jobs:\n  - deployment: d\n    environment: e\n    strategy:\n      runOnce:\n        deplo: {}\n",
    ],
)
def test_patched_schema_still_rejects_mistakes(broken: str, tmp_path: Path) -> None:
    """The patches open only the documented gaps: typos are still caught."""
    path = tmp_path / "broken.yml"
    path.write_text(broken)
    assert sc.errors(sc.load_as_strings(path)), broken


def test_patched_schema_accepts_the_gaps(tmp_path: Path) -> None:
    path = tmp_path / "gaps.yml"
    path.write_text(
        "parameters:\n- name: xs\n  type: object\n  default: []\n"
        "steps:\n- ${{ each x in parameters.xs }}:\n  - task: ApiOpsCreator@1\n    inputs:\n      ${{ if true }}:\n        a: b\n"
        "- ${{ if true }}:\n  - script: echo\n- ${{ else }}:\n  - script: echo\n"
    )
    assert sc.errors(sc.load_as_strings(path)) == []
