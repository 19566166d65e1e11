"""The engines stay loops over the kind table: per-kind behaviour lives in ``apiops_core/behaviours``."""

from __future__ import annotations

import re
from pathlib import Path

from apiops_core.behaviours import BEHAVIOURS, Behaviour, behaviour_for
from apiops_core.kinds import KINDS
from apiops_core.model import ResourceKey, revision_name, split_revision

_ROOT = Path(__file__).resolve().parents[1] / "apiops_core"


def test_every_row_names_a_registered_behaviour() -> None:
    for row in KINDS:
        assert row.behaviour in BEHAVIOURS, row.name
        assert isinstance(behaviour_for(row.name), Behaviour)


def test_the_engines_never_name_a_kind() -> None:
    names = "|".join(re.escape(row.name) for row in KINDS)
    pattern = re.compile(rf"[\"']({names})[\"']")
    for module in ("extract.py", "plan.py", "apply.py"):
        text = (_ROOT / module).read_text(encoding="utf-8")
        found = [line for line in text.splitlines() if pattern.search(line)]
        assert not found, f"{module} names a kind: {found}"


def test_apply_does_not_import_plan() -> None:
    text = (_ROOT / "apply.py").read_text(encoding="utf-8")
    assert not re.search(r"^\s*from \.plan import|^\s*import .*\bplan\b", text, re.M)


def test_behaviours_import_neither_apply_nor_extract() -> None:
    for path in (_ROOT / "behaviours").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"from \.\.(apply|extract|plan)\b", text), path.name


def test_a_key_knows_its_api_root_and_revision() -> None:
    revision = ResourceKey("api", ("echo;rev=2",))
    assert (revision.api_root, revision.revision) == ("echo", "2")
    assert revision.root_api_key == ResourceKey("api", ("echo",))
    current = ResourceKey("api", ("echo",))
    assert (current.api_root, current.revision) == ("echo", None)
    # a link names the API at its second position: the root of that end
    link = ResourceKey("tag-api", ("t", "echo;rev=3"))
    assert (link.api_root, link.revision) == ("echo", "3")
    assert link.with_api_root() == ResourceKey("tag-api", ("t", "echo"))
    policy = ResourceKey("api-operation-policy", ("echo;rev=2", "get"))
    assert policy.root_api_key == ResourceKey("api", ("echo",))
    assert ResourceKey("product", ("p",)).api_root is None
    assert split_revision(revision_name("a", 4)) == ("a", "4")
