"""Turn a lint report into text, JSON, SARIF 2.1.0 or JUnit XML. Pure functions of the report.

- text: ``path:line:col: AO201 message`` lines (editors and terminals make them clickable);
- json: a stable object for scripts;
- sarif: SARIF 2.1.0 with ``rules`` metadata from the rule table, for code-scanning viewers;
- junit: one testcase per (rule, file) with findings, plus one passing testcase per clean rule,
  so Azure Pipelines' "Publish Test Results" shows findings in the Tests tab. Only findings at or
  above the fail level are JUnit failures; the others are attached as output of a passing case.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import quote

from .findings import SEVERITIES, Finding, severity_rank
from .rules import RULE_BY_ID, Rule

if TYPE_CHECKING:  # pragma: no cover
    from . import LintReport

__all__ = ["FORMATS", "format_report", "to_text", "to_json", "to_sarif", "to_junit", "SARIF_SCHEMA_URI"]

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_TOOL = "apiops-lint"


def _summary(report: "LintReport") -> dict[str, int]:
    counts = {severity: 0 for severity in reversed(SEVERITIES)}
    for finding in report.findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    return counts


def to_text(report: "LintReport") -> str:
    lines = [f"{f.location()}: {f.rule_id} {f.message}" for f in report.findings]
    counts = _summary(report)
    total = len(report.findings)
    if total:
        detail = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n)
        lines.append(f"{total} finding{'s' if total != 1 else ''} ({detail})")
    else:
        lines.append("no findings")
    return "\n".join(lines) + "\n"


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "ruleId": finding.rule_id,
        "rule": RULE_BY_ID[finding.rule_id].name if finding.rule_id in RULE_BY_ID else None,
        "severity": finding.severity,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "resource": finding.resource,
        "message": finding.message,
    }


def to_json(report: "LintReport") -> str:
    document = {
        "version": 1,
        "tool": _TOOL,
        "failLevel": report.fail_level,
        "failed": report.failed,
        "summary": _summary(report),
        "findings": [_finding_json(f) for f in report.findings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _uri(path: str) -> str:
    """A SARIF artifact URI: relative paths percent-encoded (``named values`` has a space), absolute as file:."""
    if path.startswith("/"):
        return "file://" + quote(path, safe="/;=@:")
    if len(path) > 2 and path[1] == ":":  # a Windows drive path
        return "file:///" + quote(path.replace("\\", "/"), safe="/;=@:")
    return quote(str(PurePosixPath(path)), safe="/;=@")


def _sarif_rule(row: Rule) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "shortDescription": {"text": row.summary},
        "fullDescription": {"text": f"{row.summary}. {row.help}".strip() if row.help else row.summary},
        "defaultConfiguration": {"level": row.severity},
        "properties": {"tags": [row.group]},
    }
    if row.help:
        entry["help"] = {"text": row.help}
    return entry


def to_sarif(report: "LintReport") -> str:
    rules = list(report.rules)
    index = {row.id: i for i, row in enumerate(rules)}
    results = []
    for finding in report.findings:
        result: dict[str, Any] = {
            "ruleId": finding.rule_id,
            "level": finding.severity,
            "message": {"text": finding.message},
        }
        if finding.rule_id in index:
            result["ruleIndex"] = index[finding.rule_id]
        if finding.path:
            physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(finding.path)}}
            if finding.line:
                region: dict[str, int] = {"startLine": finding.line}
                if finding.column:
                    region["startColumn"] = finding.column
                physical["region"] = region
            location: dict[str, Any] = {"physicalLocation": physical}
            if finding.resource:
                location["logicalLocations"] = [{"fullyQualifiedName": finding.resource, "kind": "resource"}]
            result["locations"] = [location]
        elif finding.resource:
            result["locations"] = [{"logicalLocations": [{"fullyQualifiedName": finding.resource, "kind": "resource"}]}]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": _TOOL,
                        "informationUri": "https://github.com/Azure/apiops",
                        "semanticVersion": _version(),
                        "rules": [_sarif_rule(row) for row in rules],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("apiops-core")
    except Exception:  # noqa: BLE001 - not installed (running from a checkout)
        return "0.0.0"


def to_junit(report: "LintReport") -> str:
    fail_rank = severity_rank(report.fail_level)
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in report.findings:
        groups.setdefault((finding.rule_id, finding.path or "<tree>"), []).append(finding)
    suite = ET.Element("testsuite", name="apiops lint")
    failures = 0
    cases = 0
    for (rule_id, path), items in sorted(groups.items()):
        row = RULE_BY_ID.get(rule_id)
        case = ET.SubElement(suite, "testcase", classname=f"apiops.lint.{rule_id}", name=f"{rule_id} {path}")
        cases += 1
        body = "\n".join(f"{f.location()}: {f.rule_id} {f.message}" for f in items)
        worst = max(items, key=lambda f: severity_rank(f.severity))
        if severity_rank(worst.severity) >= fail_rank:
            failures += 1
            failure = ET.SubElement(
                case, "failure", message=f"{len(items)} finding(s): {items[0].message}"[:500], type=worst.severity
            )
            failure.text = body
        else:
            ET.SubElement(case, "system-out").text = body
        if row is not None:
            case.set("name", f"{rule_id} {row.name}: {path}")
    flagged = {rule_id for rule_id, _ in groups}
    for row in report.rules:
        if row.id in flagged:
            continue
        ET.SubElement(suite, "testcase", classname=f"apiops.lint.{row.id}", name=f"{row.id} {row.name}")
        cases += 1
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    root = ET.Element("testsuites", name="apiops lint", tests=str(cases), failures=str(failures), errors="0")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


FORMATS: dict[str, Callable[["LintReport"], str]] = {
    "text": to_text,
    "json": to_json,
    "sarif": to_sarif,
    "junit": to_junit,
}


def format_report(report: "LintReport", fmt: str) -> str:
    try:
        return FORMATS[fmt](report)
    except KeyError:
        from ..errors import ConfigError

        raise ConfigError(f"unknown lint output format {fmt!r}; use one of {', '.join(FORMATS)}") from None
