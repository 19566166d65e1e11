"""Which rules may stop a publish: only those the service (or the publish) would refuse.

A best-practice rule that is an error by default turns a working migration into a wall (AO402,
a literal key in a policy, is accepted by APIM); and every rule id is documented, since users
relax them by id in ``.apiops-lint.yaml``.
"""

from __future__ import annotations

from pathlib import Path

from apiops_core.lint import LintConfig, check_publishable, check_target_references, lint_state
from apiops_core.lint.rules import BASES, RULES, TARGET_RULES
from apiops_core.references import Ref

from .cases import BAD, JWT, _policy

DOCS = Path(__file__).resolve().parents[2] / "docs" / "LINT.md"


def test_best_practice_rules_never_default_to_error() -> None:
    for rule in RULES:
        assert rule.basis in BASES, rule.id
        if rule.basis == "practice":
            assert rule.severity != "error", f"{rule.id} is a best practice but an error by default"
    assert {"AO401", "AO402", "AO404"} <= {r.id for r in RULES if r.basis == "practice"}


def test_inline_policy_secret_is_a_warning_and_does_not_block_a_publish() -> None:
    state, problems = _policy("{{orders-key}}", f"Bearer {JWT}")
    findings = [f for f in lint_state(state, problems=problems).findings if f.rule_id == "AO402"]
    assert findings and {f.severity for f in findings} == {"warning"}
    check_publishable(state, problems=problems)  # no error: nothing raised
    # a team can still make it an error
    strict = LintConfig.from_mapping({"severity": {"AO402": "error"}})
    assert any(f.rule_id == "AO402" for f in lint_state(state, problems=problems, config=strict).errors)


def test_reference_rules_count_what_the_target_supplies() -> None:
    state, _ = BAD["AO301"]()
    asked: list[tuple[str, str]] = []

    def target_has(ref: Ref, source: object) -> bool:
        asked.append((ref.kind, ref.name))
        return ref.name == "no-such-value"

    check_publishable(state, defer_target_rules=True)  # deferred: the target is not known yet
    check_target_references(state, target_has)
    assert ("named-value", "no-such-value") in asked
    try:
        check_target_references(state, lambda ref, source: False, target_name="the target svc")
    except Exception as error:  # noqa: BLE001 - the message is what matters
        assert "AO301" in str(error) and "the target svc" in str(error)
    else:
        raise AssertionError("a reference nobody has must be refused")
    relaxed = LintConfig.from_mapping({"severity": {"AO3": "warning"}})
    assert check_target_references(state, lambda ref, source: False, config=relaxed).errors == ()


def test_every_rule_id_is_documented_with_its_basis() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for rule in RULES:
        line = next((l for l in text.splitlines() if l.startswith(f"| {rule.id} ")), None)
        assert line is not None, f"{rule.id} missing from docs/LINT.md"
        assert rule.basis in line and rule.severity in line and rule.name in line, line
    assert set(TARGET_RULES) == {f"AO30{i}" for i in range(1, 8)}
