"""plan.py over two States, render.py, gitdiff.py and the plan JSON round trip (no instance)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from apiops_core.errors import GuardError
from apiops_core.gitdiff import changed_paths
from apiops_core.model import Plan, Resource, ResourceKey, State
from apiops_core.plan import merge_plans, normalise_policy, plan_against_instance, plan_since, spec_signature
from apiops_core.render import plan_markdown, plan_text

K = ResourceKey
SECRET = "s3cr3t-Value-never-shown"


def desired_state() -> State:
    return State(
        [
            Resource(K("named-value", ("key",)), {"properties": {"displayName": "key", "secret": True, "value": SECRET}}),
            Resource(K("named-value", ("empty",)), {"properties": {"displayName": "empty", "secret": True}}),
            Resource(K("policy-fragment", ("f1",)), {"properties": {"description": "d"}}, content="<fragment>{{key}}</fragment>"),
            Resource(K("api", ("a",)), {"properties": {"displayName": "A", "path": "a", "protocols": ["https", "http"]}}),
            Resource(
                K("api-policy", ("a",)),
                {},
                content='<policies>\n  <inbound>\n    <include-fragment fragment-id="f1" />\n  </inbound>\n</policies>\n',
            ),
            Resource(K("product", ("p",)), {"properties": {"displayName": "P"}}),
            Resource(K("product-api", ("p", "a")), {}),
        ]
    )


def test_plan_orders_references_and_skips_secrets_without_value() -> None:
    plan = plan_against_instance(desired_state(), State(), target={"service": "svc"})
    order = [str(a.key) for a in plan.puts]
    assert "named-value empty" not in order
    assert order.index("named-value key") < order.index("policy-fragment f1") < order.index("api-policy a")
    assert order.index("api a") < order.index("api-policy a")
    assert order.index("product p") < order.index("product-api p/a") and order.index("api a") < order.index("product-api p/a")
    policy = next(a for a in plan.puts if a.key.kind == "api-policy")
    assert K("policy-fragment", ("f1",)) in policy.depends_on and K("api", ("a",)) in policy.depends_on
    assert any("empty" in w for w in plan.warnings)
    for text in (plan_text(plan), plan_markdown(plan), json.dumps(plan.to_json())):
        assert SECRET not in text
    assert "Plan: 6 to create, 0 to update, 0 to delete." in plan_text(plan)


def test_same_state_reprinted_by_the_service_is_no_change() -> None:
    desired = desired_state()
    current = State()
    for r in desired:
        body = json.loads(json.dumps(r.body))
        content = r.content
        if content is not None:
            content = content.replace("\n", "\r\n").replace("  ", "\t")
        if r.key.kind == "api":
            body["properties"].update(protocols=["http", "https"], subscriptionRequired=True, isCurrent=True)
        if r.key.kind == "named-value" and body["properties"].get("secret"):
            body["properties"].pop("value", None)
        current.add(Resource(r.key, body, content=content))
    plan = plan_against_instance(desired, current)
    assert plan.is_empty, plan_text(plan)


def test_update_diff_is_short_and_masked() -> None:
    desired = desired_state()
    current = State(desired)
    current.add(Resource(K("api", ("a",)), {"properties": {"displayName": "Old", "path": "a", "protocols": ["https", "http"]}}))
    plan = plan_against_instance(desired, current)
    (action,) = plan.puts
    assert action.reason == "update" and action.diff == ('~ properties.displayName: "Old" → "A"',)


def test_prune_and_guard() -> None:
    desired = desired_state()
    current = State(desired)
    current.add(Resource(K("api", ("extra",)), {"properties": {"displayName": "E", "path": "e"}}))
    current.add(Resource(K("api-policy", ("extra",)), {}, content="<policies/>"))
    current.add(Resource(K("product-api", ("p", "extra")), {}))
    current.add(Resource(K("subscription", ("master",)), {"properties": {"scope": "/apis"}}))
    current.add(Resource(K("group", ("administrators",)), {"properties": {"builtIn": True}}))
    with pytest.raises(GuardError) as caught:
        plan_against_instance(desired, current, terminator=True, prune=True)
    assert "api extra" in str(caught.value)
    plan = plan_against_instance(desired, current, terminator=True, prune=True, max_deletions=5)
    assert [str(a.key) for a in plan.deletes] == ["api extra"]  # children and links go with it


def test_plan_json_round_trip_and_merge() -> None:
    plan = plan_against_instance(desired_state(), State(), target={"service": "svc"})
    again = Plan.from_json(json.loads(json.dumps(plan.to_json())))
    assert again == plan
    deletes_only = Plan(deletes=plan.puts[:1], target={"service": "svc"})
    merged = merge_plans(again, deletes_only, creator=False, terminator=True)
    assert merged.puts == plan.puts and merged.deletes == plan.puts[:1]
    merged2 = merge_plans(deletes_only, plan, creator=True, terminator=False)
    assert merged2.puts == plan.puts and merged2.deletes == plan.puts[:1]


def test_policy_and_spec_normalisation() -> None:
    assert normalise_policy("<a>\r\n    <b />\r\n</a>") == normalise_policy("<a><b/></a>")
    v3 = "openapi: 3.0.1\nservers:\n  - url: https://gw-1/a\ninfo: {title: A, version: '1'}\npaths:\n  /x/{id}:\n    get:\n      parameters: [{name: id, in: path, required: true}]\n      responses: {'200': {description: ok}}\n"
    other = v3.replace("https://gw-1/a", "https://other/a").replace("title: A", "title: B")
    assert spec_signature(v3, "openapi") == spec_signature(other, "openapi")
    assert spec_signature(v3, "openapi") != spec_signature(v3.replace("get:", "post:"), "openapi")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def test_gitdiff_over_several_commits_with_rename(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / "a.txt").write_text("a\n" * 20)
    (repo / "gone.txt").write_text("g")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "one")
    base = _git(repo, "rev-parse", "HEAD")
    (repo / "new.txt").write_text("n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "two")
    _git(repo, "mv", "a.txt", "b.txt")
    _git(repo, "rm", "-q", "gone.txt")
    _git(repo, "commit", "-qm", "three")
    changes = sorted((c.status, c.path, c.old_path) for c in changed_paths(repo, base, "HEAD"))
    assert changes == [("A", "new.txt", None), ("D", "gone.txt", None), ("R", "b.txt", "a.txt")]


def test_plan_since_puts_present_and_deletes_gone() -> None:
    previous = desired_state()
    desired = State(previous)
    desired.remove(K("policy-fragment", ("f1",)))
    desired.add(Resource(K("api-policy", ("a",)), {}, content="<policies/>"))
    plan = plan_since(
        desired, previous, [K("policy-fragment", ("f1",)), K("api-policy", ("a",))], since="abc", until="def"
    )
    assert [str(a.key) for a in plan.puts] == ["api-policy a"]
    assert [str(a.key) for a in plan.deletes] == ["policy-fragment f1"]
    with pytest.raises(GuardError):
        plan_since(desired, previous, [K("policy-fragment", ("f1",))], max_deletions=0)
