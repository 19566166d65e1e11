"""Every rule fires on its bad example and stays quiet on the good tree; the table is well formed."""

from __future__ import annotations

import pytest

from apiops_core.lint import RULES, lint_state
from apiops_core.lint.rules import RULE_ID

from .cases import BAD, good_tree


def test_rule_ids_are_unique_and_well_formed() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(RULE_ID.match(i) for i in ids)
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    assert all(r.severity in ("error", "warning", "note") for r in RULES)


def test_every_rule_has_a_case() -> None:
    assert sorted(BAD) == sorted(r.id for r in RULES)


def test_good_tree_is_clean() -> None:
    report = lint_state(good_tree())
    assert report.findings == (), "\n".join(f"{f.location()}: {f.rule_id} {f.message}" for f in report.findings)


@pytest.mark.parametrize("row", RULES, ids=[r.id for r in RULES])
def test_rule_fires_on_bad_example(row) -> None:
    state, problems = BAD[row.id]()
    report = lint_state(state, problems=problems)
    fired = [f for f in report.findings if f.rule_id == row.id]
    assert fired, f"{row.id} did not fire; got {[(f.rule_id, f.message) for f in report.findings]}"
    assert all(not f.message.startswith("internal error") for f in report.findings)
    assert all(f.severity == row.severity for f in fired)
