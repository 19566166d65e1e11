"""``apiops lint`` and ``apiops diff`` end to end on folders written by the test: exit codes and outputs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from apiops_core.cli import main
from apiops_core.lint import lint_tree

from .cases import GOOD_POLICY, GOOD_SPEC


def _write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def _clean_tree(root: Path) -> None:
    api = {"properties": {"displayName": "Orders", "description": "d", "path": "orders", "protocols": ["https"],
                          "subscriptionRequired": True, "serviceUrl": "https://o.example"}}
    _write(root, {
        "apis/orders/apiInformation.json": json.dumps(api),
        "apis/orders/specification.yaml": GOOD_SPEC,
        "apis/orders/policy.xml": "<policies><inbound><base /></inbound><backend><base /></backend>"
                                  "<outbound><base /></outbound><on-error><base /></on-error></policies>",
    })


def test_clean_tree_exits_0(tmp_path, capsys) -> None:
    _clean_tree(tmp_path)
    assert main(["lint", str(tmp_path)], {}) == 0
    assert "no findings" in capsys.readouterr().out


def test_findings_exit_1_and_exit_zero(tmp_path, capsys) -> None:
    _clean_tree(tmp_path)
    _write(tmp_path, {"apis/orders/policy.xml": GOOD_POLICY})  # refers to things not in this tree
    assert main(["lint", str(tmp_path)], {}) == 1
    out = capsys.readouterr().out
    assert "AO302" in out and "AO303" in out
    assert main(["lint", str(tmp_path), "--exit-zero"], {}) == 0


def test_warnings_pass_unless_fail_level_warning(tmp_path) -> None:
    _clean_tree(tmp_path)
    info = tmp_path / "apis/orders/apiInformation.json"
    info.write_text(info.read_text().replace('"https"]', '"https", "http"]'))
    assert main(["lint", str(tmp_path)], {}) == 0
    assert main(["lint", str(tmp_path), "--fail-level", "warning"], {}) == 1


def test_usage_errors_exit_2(tmp_path) -> None:
    assert main(["lint", str(tmp_path / "missing")], {}) == 2
    _clean_tree(tmp_path)
    (tmp_path / "bad.yaml").write_text("ignroe: [AO5]\n")
    assert main(["lint", str(tmp_path), "--config", str(tmp_path / "bad.yaml")], {}) == 2


def test_unreadable_files_are_findings_not_crashes(tmp_path) -> None:
    _clean_tree(tmp_path)
    _write(tmp_path, {"apis/broken/apiInformation.json": "{not json", "named values/x/namedValueInformation.json": "[]"})
    report = lint_tree(tmp_path)
    unreadable = [f for f in report.findings if f.rule_id == "AO101"]
    assert len(unreadable) == 2
    assert any(f.line == 1 for f in unreadable)


def test_output_file_and_formats(tmp_path) -> None:
    _clean_tree(tmp_path)
    for fmt in ("json", "sarif", "junit"):
        out = tmp_path / f"report.{fmt}"
        assert main(["lint", str(tmp_path), "--format", fmt, "--output", str(out)], {}) == 0
        assert out.read_text().strip()


def test_config_file_is_discovered_in_the_artifacts_folder(tmp_path) -> None:
    _clean_tree(tmp_path)
    info = tmp_path / "apis/orders/apiInformation.json"
    info.write_text(info.read_text().replace('"https"]', '"https", "http"]'))
    (tmp_path / ".apiops-lint.yaml").write_text("severity: {AO501: error}\n")
    assert main(["lint", str(tmp_path)], {}) == 1


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(repo)})


def test_diff_since_a_commit(tmp_path, capsys) -> None:
    repo = tmp_path / "repo"
    artifacts = repo / "apimartifacts"
    _clean_tree(artifacts)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "first")
    spec = artifacts / "apis/orders/specification.yaml"
    spec.write_text(spec.read_text().replace("        '404':\n          description: no such order\n", ""))
    assert main(["diff", "--since", "HEAD", str(artifacts), "--format", "markdown"], {}) == 0
    out = capsys.readouterr().out
    assert "response 404 was removed" in out
    assert main(["diff", "--since", "HEAD", str(artifacts), "--fail-on-breaking"], {}) == 1


def test_diff_outside_git_is_a_usage_error(tmp_path) -> None:
    pytest.importorskip("apiops_core.treesource")
    _clean_tree(tmp_path)
    assert main(["diff", "--since", "HEAD", str(tmp_path)], {}) == 2
