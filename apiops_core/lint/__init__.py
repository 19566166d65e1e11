"""Lint an artifacts tree: specifications, policies, references, secrets, API design.

Entry points (what other engines call):

- ``lint_tree(source, *, overrides=None, environ=None, config=None) -> LintReport`` reads a tree
  (a folder path or a ``treesource``), applies the environment's overrides, and lints it;
- ``lint_state(state, *, problems=(), config=None) -> LintReport`` lints a ``State`` already read
  (the publisher's pre-flight: it has the desired state after overrides in hand);
- ``check_publishable(state, *, problems=(), config=None) -> LintReport`` is ``lint_state`` that
  raises when an error-level finding remains, so ``publish`` refuses to write;
- ``breaking_changes(old_state, new_state)`` and ``render_markdown(changes)`` (``breaking.py``)
  for ``apiops diff`` and the PR description.

Checks produce findings; ``LintConfig`` then decides which to show and how serious they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..errors import ApiOpsError, ArtifactError, ReferenceError_
from ..model import State
from .breaking import BreakingChange, breaking_changes, render_json, render_markdown, render_text
from .config import CONFIG_FILE_NAME, LintConfig
from .context import LintContext
from .findings import SEVERITIES, Finding, severity_rank, sort_key
from .rules import RULE_BY_ID, RULES, TARGET_RULES, Rule, run_rules

__all__ = [
    "LintReport",
    "LintConfig",
    "Finding",
    "Rule",
    "RULES",
    "RULE_BY_ID",
    "CONFIG_FILE_NAME",
    "lint_state",
    "lint_tree",
    "check_publishable",
    "check_target_references",
    "TARGET_RULES",
    "BreakingChange",
    "breaking_changes",
    "render_markdown",
    "render_text",
    "render_json",
]


@dataclass(frozen=True)
class LintReport:
    """Findings after configuration, the rules that ran, and the fail level that judges them."""

    findings: tuple[Finding, ...]
    rules: tuple[Rule, ...]
    fail_level: str = "error"

    @property
    def failed(self) -> bool:
        """True when a finding is at or above the fail level (exit code 1)."""
        threshold = severity_rank(self.fail_level)
        return any(severity_rank(f.severity) >= threshold for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.findings if f.severity == s) for s in reversed(SEVERITIES)}

    def with_fail_level(self, level: str) -> "LintReport":
        return LintReport(self.findings, self.rules, level)


def _root_prefix(source: Any) -> str:
    """What ``source.describe`` puts before a tree-relative path (for per-path ignores)."""
    describe = getattr(source, "describe", None)
    if describe is None:
        return ""
    probe = describe("x")
    return probe[:-1] if probe.endswith("x") else ""


def lint_state(
    state: State,
    *,
    problems: Sequence[ApiOpsError] = (),
    config: LintConfig | None = None,
    root_prefix: str = "",
    only_errors: bool = False,
    only: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    external: Any = None,
    looked_in: str = "the artifacts",
) -> LintReport:
    """Lint a ``State`` (after overrides) plus the reader's problems; never raises for bad content.

    ``only_errors`` runs just the rules whose effective severity is error (the publish
    pre-flight: warnings cannot block it, and some warning rules are slow on large specs).
    ``only``/``skip`` restrict the rules by id; ``external`` (a ``references.Supplier``) lets
    the reference rules count what the target instance has, ``looked_in`` says so in messages.
    """
    config = config or LintConfig()
    rules = tuple(
        r
        for r in RULES
        if config.enabled(r.id) and (not only_errors or config.severity_for(r.id, r.severity) == "error")
        and (only is None or r.id in only) and r.id not in skip
    )
    context = LintContext(state, tuple(problems), external=external, looked_in=looked_in)  # type: ignore[arg-type]
    raw = list(run_rules(context, rules))
    kept = config.apply(raw, root_prefix=root_prefix)
    unique = sorted(set(kept), key=sort_key)
    return LintReport(tuple(unique), rules, config.fail_level)


def lint_tree(
    source: Any,
    *,
    overrides: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    config: LintConfig | str | Path | None = None,
) -> LintReport:
    """Read ``source`` (a folder or a treesource), apply ``overrides``, lint.

    ``config`` is a ``LintConfig``, a path to a ``.apiops-lint.yaml``, or None to discover one in
    the artifacts folder (then the working folder). A missing folder or a bad override or config
    file raises (``ArtifactError`` / ``ConfigError``): those are usage errors, not findings.
    """
    from ..artifacts import read_tree
    from ..treesource import DirectorySource

    if isinstance(source, (str, Path)):
        folder = Path(source)
        if not folder.is_dir():
            raise ArtifactError(f"artifacts folder {folder} does not exist or is not a folder", path=str(folder))
        source = DirectorySource(folder)
    if config is None:
        root = getattr(source, "root", None)
        config = LintConfig.discover(*([root] if root is not None else []), LintConfig.working_folder())
    elif not isinstance(config, LintConfig):
        config = LintConfig.load(config)
    tree = read_tree(source)
    state = tree.state
    if overrides is not None:
        from ..config import Overrides

        state = Overrides.load(overrides, environ).apply(state)
    return lint_state(state, problems=tree.problems, config=config, root_prefix=_root_prefix(source))


def _raise_errors(report: LintReport, hint: str = "") -> None:
    errors = report.errors
    if errors:
        first = errors[0]
        listing = "\n".join(f"  {f.location()}: {f.rule_id} {f.message}" for f in errors)
        message = f"lint found {len(errors)} error{'s' if len(errors) != 1 else ''}; nothing was published:\n{listing}{hint}"
        kind = ReferenceError_ if all(f.rule_id.startswith("AO3") for f in errors) else ArtifactError
        raise kind(message, path=first.path, line=first.line)


def _relax_hint(report: LintReport) -> str:
    """How to get past the refusal, naming the rules that were actually hit."""
    rules = ", ".join(f"{rule}: warning" for rule in sorted({f.rule_id for f in report.errors}))
    return (
        "\n(a reference the target cannot supply either is refused by the service; to publish anyway, "
        f"lower the rule in .apiops-lint.yaml, e.g. severity: {{{rules}}}, or leave the file out with --exclude)"
    )


def check_publishable(
    state: State,
    *,
    problems: Sequence[ApiOpsError] = (),
    config: LintConfig | None = None,
    defer_target_rules: bool = False,
    root_prefix: str = "",
) -> LintReport:
    """The publisher's pre-flight: lint, and raise if any error-level finding remains.

    Raises ``ReferenceError_`` when every error is a dangling reference (AO3xx), else
    ``ArtifactError``; the message lists every error as ``path:line:col: AOnnn message``.
    Warnings and notes never block a publish; the report is returned for printing.
    ``defer_target_rules`` leaves the reference rules the target can satisfy (``TARGET_RULES``)
    to ``check_target_references``, once the target is known.
    """
    report = lint_state(state, problems=problems, config=config, only_errors=True, root_prefix=root_prefix,
                        skip=TARGET_RULES if defer_target_rules else ())
    _raise_errors(report)
    return report


def check_target_references(
    state: State, external: Any, *, config: LintConfig | None = None, target_name: str = "the target instance",
    root_prefix: str = "",
) -> LintReport:
    """The reference rules again, counting what the target has (``external``); raise on errors.

    Runs through the same findings and ``.apiops-lint.yaml`` decisions as every other rule,
    so a team can lower AO301 (say) to a warning and publish a tree whose policies name
    values that neither the tree nor the target has (APIM will then refuse those puts).
    """
    report = lint_state(state, config=config, only_errors=True, only=TARGET_RULES, external=external,
                        root_prefix=root_prefix,
                        looked_in=f"the artifacts, the overrides or {target_name}")
    _raise_errors(report, _relax_hint(report))
    return report
