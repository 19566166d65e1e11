"""What a pipeline run shows: warnings as pipeline warnings ("succeeded with issues"), the
maxDeletions contract (a number or unlimited; empty is the documented default, never 0 by
accident) and a missing overrides file that says what to create. Staged tasks, run by node."""

from __future__ import annotations

import io
import json
import logging
import shutil
from pathlib import Path

import pytest

from apiops_core.agent import run_task as run_in_process

from .agent_sim import parse, run_task
from .test_tasks_against_emulator import agent_env, emulator, extract  # noqa: F401 - fixture

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def commands_of(text: str):
    return [c for c in map(parse, text.splitlines()) if c]


def test_engine_warnings_become_pipeline_warnings_once_and_the_task_succeeds_with_issues():
    def body(context):
        print("planning 3 change(s)")
        print("warning: secret named value 'api-key' (named values/api-key) has no value: skipped")
        print("\x1b[33mwarning: colour does not hide a warning\x1b[0m")
        logging.getLogger("apiops").warning("warning: %s", "secret named value 'api-key' (named values/api-key) has no value: skipped")
        return "Succeeded"

    out = io.StringIO()
    assert run_in_process(body, {"AGENT_TEMPDIRECTORY": "/tmp"}, out) == 0
    commands = commands_of(out.getvalue())
    warnings = [c.data for c in commands if c.name == "task.logissue" and c.props.get("type") == "warning"]
    assert warnings == ["secret named value 'api-key' (named values/api-key) has no value: skipped",
                        "colour does not hide a warning"]
    assert [c.props["result"] for c in commands if c.name == "task.complete"] == ["SucceededWithIssues"]
    assert "planning 3 change(s)" in out.getvalue().splitlines()

    quiet = io.StringIO()
    run_in_process(lambda context: print("no warnings: all good") or None, {}, quiet)
    assert [c.props["result"] for c in commands_of(quiet.getvalue()) if c.name == "task.complete"] == ["Succeeded"]


@pytest.mark.slow
def test_a_skipped_secret_is_a_warning_of_the_creator_run(staged_tasks, emulator, workspace):  # noqa: F811
    assert extract(staged_tasks, emulator, workspace).result == "Succeeded"
    root = Path(workspace["Build.SourcesDirectory"]) / "apim-artifacts"
    folder = root / "named values" / "no-value-secret"
    folder.mkdir()
    (folder / "namedValueInformation.json").write_text(json.dumps(
        {"properties": {"displayName": "no-value-secret", "secret": True}}), encoding="utf-8")
    task_dir, env = agent_env(staged_tasks, "ApiOpsCreator", emulator, workspace, {"artifactsFolder": "apim-artifacts"})
    creator = run_task(task_dir, env)
    assert creator.result == "SucceededWithIssues", creator.stdout[-4000:]
    warnings = [c.data for c in creator.of("task.logissue") if c.props.get("type") == "warning"]
    assert any("no-value-secret" in w and "skipped" in w for w in warnings), warnings
    assert creator.outputs()["puts"] == "0"
    assert creator.blocked_variables == []


@pytest.mark.slow
def test_terminator_max_deletions_is_a_number_or_unlimited(staged_tasks, emulator, workspace):  # noqa: F811
    """One deletion planned; the demo instance's secrets without values add warnings (issues)."""
    assert extract(staged_tasks, emulator, workspace).result == "Succeeded"
    shutil.rmtree(Path(workspace["Build.SourcesDirectory"]) / "apim-artifacts" / "tags" / "beta")
    cases = [
        (None, "1"),          # the task.json default: unlimited
        ("", "1"),            # empty means the default too (it used to mean 0)
        ("unlimited", "1"),
        ("1", "1"),
        ("0", "more than --max-deletions 0"),
        ("many", "whole number (0 or more) or 'unlimited'"),
    ]
    for given, expected in cases:
        inputs = {"artifactsFolder": "apim-artifacts"} if given is None else {"artifactsFolder": "apim-artifacts", "maxDeletions": given}
        task_dir, env = agent_env(staged_tasks, "ApiOpsTerminator", emulator, workspace, inputs)
        terminator = run_task(task_dir, env)
        if expected.isdigit():
            assert terminator.result == "SucceededWithIssues", (given, terminator.stdout[-4000:])
            assert terminator.outputs()["deletes"] == expected
        else:
            assert terminator.result == "Failed", given
            errors = " ".join(c.data for c in terminator.errors())
            assert expected in errors, (given, errors)


@pytest.mark.slow
def test_a_missing_overrides_file_says_what_to_create(staged_tasks, emulator, workspace):  # noqa: F811
    assert extract(staged_tasks, emulator, workspace).result == "Succeeded"
    task_dir, env = agent_env(staged_tasks, "ApiOpsCreator", emulator, workspace,
                              {"artifactsFolder": "apim-artifacts", "overridesFile": "configuration.prod.yaml"})
    creator = run_task(task_dir, env)
    assert creator.result == "Failed"
    message = " ".join(c.data for c in creator.errors())
    assert "configuration.prod.yaml does not exist" in message and "samples/configuration.prod.yaml" in message
    assert "overridesFile to ''" in message
