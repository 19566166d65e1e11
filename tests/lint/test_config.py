"""``.apiops-lint.yaml``: longest-prefix select/ignore, per-path ignores, severities, fail level."""

from __future__ import annotations

import pytest

from apiops_core.errors import ConfigError
from apiops_core.lint import LintConfig, lint_state
from apiops_core.lint.findings import Finding

from .cases import BAD


def test_default_selects_everything() -> None:
    config = LintConfig()
    assert all(config.enabled(i) for i in ("AO101", "AO402", "AO507"))


def test_longest_prefix_wins() -> None:
    config = LintConfig.from_mapping({"select": ["AO5", "AO506"], "ignore": ["AO50"]})
    assert config.enabled("AO506")        # select AO506 (5) beats ignore AO50 (4)
    assert not config.enabled("AO501")    # ignore AO50 (4) beats select AO5 (3)
    assert not config.enabled("AO201")    # matched by nothing, and select is not the default


def test_ignore_wins_a_tie_and_default_select_keeps_the_rest() -> None:
    config = LintConfig.from_mapping({"ignore": ["AO4"]})
    assert not config.enabled("AO401") and config.enabled("AO301")
    tie = LintConfig.from_mapping({"select": ["AO4"], "ignore": ["AO4"]})
    assert not tie.enabled("AO401")
    narrow = LintConfig.from_mapping({"ignore": ["AO4"], "select": ["AO", "AO403"]})
    assert narrow.enabled("AO403") and not narrow.enabled("AO401")


def test_per_path_ignores_and_severity_overrides() -> None:
    config = LintConfig.from_mapping({
        "per-path-ignores": {"apis/legacy-*/**": ["AO5"]},
        "severity": {"AO5": "note", "AO501": "error"},
    })
    findings = [
        Finding("AO501", "warning", "root/apis/legacy-x/apiInformation.json", None, None, None, "m"),
        Finding("AO501", "warning", "root/apis/orders/apiInformation.json", None, None, None, "m"),
        Finding("AO502", "warning", "root/apis/orders/apiInformation.json", None, None, None, "m"),
        Finding("AO301", "error", "root/apis/legacy-x/policy.xml", 1, 1, None, "m"),
    ]
    kept = config.apply(findings, root_prefix="root/")
    assert [(f.rule_id, f.severity, f.path) for f in kept] == [
        ("AO501", "error", "root/apis/orders/apiInformation.json"),
        ("AO502", "note", "root/apis/orders/apiInformation.json"),
        ("AO301", "error", "root/apis/legacy-x/policy.xml"),
    ]


def test_fail_level_decides_failed() -> None:
    state, _ = BAD["AO502"]()
    assert not lint_state(state).failed
    assert lint_state(state, config=LintConfig.from_mapping({"fail-level": "warning"})).failed


@pytest.mark.slow
def test_ignored_rules_do_not_run() -> None:
    state, problems = BAD["AO101"]()
    report = lint_state(state, problems=problems, config=LintConfig.from_mapping({"ignore": ["AO1"]}))
    assert report.findings == ()
    assert all(not r.id.startswith("AO1") for r in report.rules)


def test_load_from_file_and_errors(tmp_path) -> None:
    path = tmp_path / ".apiops-lint.yaml"
    path.write_text("select: [AO]\nignore: [AO5]\nfail-level: warning\n")
    config = LintConfig.load(path)
    assert config.fail_level == "warning" and not config.enabled("AO505")
    assert LintConfig.discover(tmp_path) == config
    with pytest.raises(ConfigError):
        LintConfig.from_mapping({"ignroe": ["AO5"]})
    with pytest.raises(ConfigError):
        LintConfig.from_mapping({"severity": {"AO5": "fatal"}})
    with pytest.raises(ConfigError):
        LintConfig.from_mapping({"select": ["E501"]})
