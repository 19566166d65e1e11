"""The resource-level DAG scheduler in apply.py: order, failure isolation, exclusivity, bound."""

from __future__ import annotations

import threading
import time

from apiops_core.apply import run_dag


def test_runs_after_predecessors_and_concurrently_when_independent() -> None:
    log: list[str] = []
    lock = threading.Lock()
    active = {"now": 0, "max": 0}

    def run(node: str) -> None:
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
            log.append(f"start {node}")
        time.sleep(0.02)
        with lock:
            active["now"] -= 1
            log.append(f"end {node}")

    preds = {"c": ["a", "b"], "d": ["c"], "e": []}
    outcome = run_dag(["a", "b", "c", "d", "e"], preds, run, parallelism=3)
    assert outcome.ok and sorted(outcome.done) == ["a", "b", "c", "d", "e"]
    assert log.index("start c") > log.index("end a") and log.index("start c") > log.index("end b")
    assert log.index("start d") > log.index("end c")
    assert 2 <= active["max"] <= 3


def test_failure_blocks_dependants_only() -> None:
    ran: list[str] = []

    def run(node: str) -> None:
        if node == "b":
            raise RuntimeError("boom")
        ran.append(node)

    preds = {"c": ["b"], "d": ["c"], "e": ["a"]}
    outcome = run_dag(["a", "b", "c", "d", "e", "f"], preds, run, parallelism=2)
    assert set(outcome.failed) == {"b"}
    assert outcome.blocked == {"c": "b", "d": "b"}
    assert sorted(ran) == ["a", "e", "f"]


def test_exclusive_group_runs_one_at_a_time_and_bound_is_respected() -> None:
    lock = threading.Lock()
    state = {"nv": 0, "nv_max": 0, "all": 0, "all_max": 0}

    def run(node: str) -> None:
        with lock:
            state["all"] += 1
            state["all_max"] = max(state["all_max"], state["all"])
            if node.startswith("nv"):
                state["nv"] += 1
                state["nv_max"] = max(state["nv_max"], state["nv"])
        time.sleep(0.01)
        with lock:
            state["all"] -= 1
            if node.startswith("nv"):
                state["nv"] -= 1

    nodes = [f"nv{i}" for i in range(5)] + [f"x{i}" for i in range(10)]
    outcome = run_dag(nodes, {}, run, parallelism=4, exclusive=lambda n: "nv" if n.startswith("nv") else None)
    assert outcome.ok and len(outcome.done) == 15
    assert state["nv_max"] == 1
    assert state["all_max"] <= 4


def test_cycle_still_runs_every_node() -> None:
    done: list[str] = []
    outcome = run_dag(["a", "b"], {"a": ["b"], "b": ["a"]}, done.append, parallelism=2)
    assert outcome.ok and sorted(done) == ["a", "b"]
