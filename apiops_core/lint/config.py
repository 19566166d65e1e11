"""``.apiops-lint.yaml``: which rules run, where they are ignored, how serious they are.

Selection works like flake8's decision engine, by id *prefix*: ``AO``, ``AO4``, ``AO402``.
For each rule the longest matching prefix among ``select`` and ``ignore`` decides; a tie goes to
``ignore`` (an explicit "off" wins), and a rule matched by neither runs only when ``select`` was
left at its default (everything). Severity overrides and per-path ignores use prefixes too, and
the longest severity prefix wins.

    select: [AO]                  # default: every rule
    ignore: [AO5]                 # e.g. no design rules...
    # select: [AO5, AO506]  ignore: [AO50]  → AO506 runs (longer), AO501..AO505, AO507 do not
    per-path-ignores:             # glob on the path relative to the artifacts root → prefixes
      "apis/legacy-*/**": [AO2, AO5]
    severity:                     # prefix → error | warning | note
      AO103: error
    fail-level: error             # exit 1 when a finding is at or above this severity
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import ConfigError
from .findings import SEVERITIES, Finding

__all__ = ["LintConfig", "CONFIG_FILE_NAME", "longest_prefix"]

CONFIG_FILE_NAME = ".apiops-lint.yaml"
_DEFAULT_SELECT: tuple[str, ...] = ("AO",)


def longest_prefix(rule_id: str, prefixes: Iterable[str]) -> int:
    """Length of the longest prefix in ``prefixes`` that ``rule_id`` starts with (0: none)."""
    return max((len(p) for p in prefixes if rule_id.upper().startswith(p.upper())), default=0)


def _prefixes(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of rule id prefixes such as AO2 or AO402")
    for item in value:
        if not item.upper().startswith("AO") and item.upper() != "A":
            raise ConfigError(f"{where}: {item!r} is not a rule id prefix (rule ids look like AO201)")
    return tuple(v.strip().upper() for v in value)


def _severity(value: Any, where: str) -> str:
    if not isinstance(value, str) or value.lower() not in SEVERITIES:
        raise ConfigError(f"{where} must be one of {', '.join(SEVERITIES)}, not {value!r}")
    return value.lower()


@dataclass(frozen=True)
class LintConfig:
    """The decisions a lint run applies to raw findings (see the module docstring)."""

    select: tuple[str, ...] = _DEFAULT_SELECT
    ignore: tuple[str, ...] = ()
    per_path_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    severity: tuple[tuple[str, str], ...] = ()
    fail_level: str = "error"
    source: str | None = field(default=None, compare=False)

    # -- loading --------------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, *, source: str | None = None) -> "LintConfig":
        data = dict(data or {})
        where = source or CONFIG_FILE_NAME
        known = {"select", "ignore", "per-path-ignores", "per_path_ignores", "severity", "fail-level", "fail_level"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        select = _prefixes(data.get("select"), f"{where}: select") or _DEFAULT_SELECT
        ignore = _prefixes(data.get("ignore"), f"{where}: ignore")
        raw_paths = data.get("per-path-ignores", data.get("per_path_ignores")) or {}
        if not isinstance(raw_paths, Mapping):
            raise ConfigError(f"{where}: per-path-ignores must map a glob to a list of prefixes")
        per_path = tuple(
            (str(glob), _prefixes(prefixes, f"{where}: per-path-ignores[{glob!r}]")) for glob, prefixes in raw_paths.items()
        )
        raw_severity = data.get("severity") or {}
        if not isinstance(raw_severity, Mapping):
            raise ConfigError(f"{where}: severity must map a rule id prefix to error, warning or note")
        severity = tuple(
            (_prefixes([str(k)], f"{where}: severity")[0], _severity(v, f"{where}: severity[{k!r}]"))
            for k, v in raw_severity.items()
        )
        fail_level = _severity(data.get("fail-level", data.get("fail_level", "error")), f"{where}: fail-level")
        return cls(select, ignore, per_path, severity, fail_level, source)

    @classmethod
    def load(cls, path: str | Path) -> "LintConfig":
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError

        from ..safe_read import MAX_DEPTH, check_yaml, decode_utf8, read_file

        file = Path(path)
        text = decode_utf8(read_file(file, error=ConfigError), str(file), ConfigError)
        check_yaml(text, str(file), error=ConfigError, max_depth=MAX_DEPTH)  # alias bombs, runaway nesting
        try:
            data = YAML(typ="safe").load(text)
        except YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            raise ConfigError(f"invalid YAML: {error}", path=str(file), line=(mark.line + 1) if mark else None) from error
        if data is not None and not isinstance(data, Mapping):
            raise ConfigError("the lint configuration must be a mapping", path=str(file), line=1)
        return cls.from_mapping(data, source=str(file))

    @classmethod
    def discover(cls, *folders: str | Path | None) -> "LintConfig":
        """The first ``.apiops-lint.yaml`` in ``folders`` (artifacts root, then the working folder), else defaults."""
        for folder in folders:
            if folder is None:
                continue
            candidate = Path(folder) / CONFIG_FILE_NAME
            if candidate.is_file():
                return cls.load(candidate)
        return cls()

    @staticmethod
    def working_folder() -> Path | None:
        """The current folder, or None when it no longer exists (a caller may have removed it)."""
        try:
            return Path.cwd()
        except FileNotFoundError:
            return None

    # -- decisions ------------------------------------------------------------------------------
    def enabled(self, rule_id: str) -> bool:
        chosen = longest_prefix(rule_id, self.select)
        dropped = longest_prefix(rule_id, self.ignore)
        if chosen == 0 and dropped == 0:
            return self.select == _DEFAULT_SELECT
        return chosen > dropped

    def severity_for(self, rule_id: str, default: str) -> str:
        best, value = 0, default
        for prefix, severity in self.severity:
            if rule_id.upper().startswith(prefix) and len(prefix) > best:
                best, value = len(prefix), severity
        return value

    def ignored_at(self, rule_id: str, relative_path: str | None) -> bool:
        if not relative_path:
            return False
        for glob, prefixes in self.per_path_ignores:
            if fnmatch.fnmatchcase(relative_path, glob) and longest_prefix(rule_id, prefixes):
                return True
        return False

    def apply(self, findings: Iterable[Finding], *, root_prefix: str = "") -> list[Finding]:
        """Drop unselected and path-ignored findings and apply severity overrides."""
        kept = []
        for finding in findings:
            if not self.enabled(finding.rule_id):
                continue
            path = finding.path or ""
            relative = path[len(root_prefix):] if root_prefix and path.startswith(root_prefix) else path
            if self.ignored_at(finding.rule_id, relative):
                continue
            severity = self.severity_for(finding.rule_id, finding.severity)
            kept.append(finding if severity == finding.severity else replace(finding, severity=severity))
        return kept
