"""The progress display: ordered plain lines with a heartbeat, bars on a terminal, per-collection counts."""

from __future__ import annotations

import io
import logging
import threading
import time

import pytest

from apiops_core.apply import ProgressEvent
from apiops_core.extract import CollectionProgress
from apiops_core.model import Action, ResourceKey
from apiops_core.progress import Display


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[float, str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((time.monotonic(), record.getMessage(), getattr(record, "progress", None)))


@pytest.fixture()
def log() -> tuple[logging.Logger, _Lines]:
    logger = logging.getLogger(f"apiops.test-progress-{id(object())}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = _Lines()
    logger.addHandler(handler)
    return logger, handler


def test_plain_reading_speaks_during_a_long_quiet_collection(log: tuple[logging.Logger, _Lines]) -> None:
    logger, handler = log
    display = Display(logger, tty=False, interval=0.1)
    with display.reading("reading big", calls=lambda: 7) as progress:
        progress(CollectionProgress("products", 0, 20))
        progress(CollectionProgress("apis", 0, 1000))
        progress(CollectionProgress("products", 20, 20))
        progress(CollectionProgress("apis", 412, 1000))
        time.sleep(0.6)  # the engine is quiet (one slow page): the heartbeat must speak
    texts = [text for _, text, _ in handler.lines]
    assert texts[0] == "reading big ..."
    assert texts[-1].startswith("reading big: done in ") and "432 item(s) in 2 collection(s)" in texts[-1]
    beats = [t for t in texts if "(reading apis 412/1000)" in t]
    assert len(beats) >= 3, texts  # per-collection progress, repeated while nothing else happens
    assert all("products" not in t for t in beats)  # finished collections are not listed
    times = [at for at, _, _ in handler.lines]
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) < 0.4  # no silent gap much longer than the interval


def test_plain_reading_lists_open_collections_in_name_order(log: tuple[logging.Logger, _Lines]) -> None:
    logger, handler = log
    display = Display(logger, tty=False, interval=0.0)
    with display.reading("reading") as progress:
        progress(CollectionProgress("loggers", 0, -1))  # being listed
        progress(CollectionProgress("groups", 0, 0))  # empty: neither open nor counted
        for name in ("tags", "apis", "backends"):
            progress(CollectionProgress(name, 1, 3))
    statuses = [text for _, text, _ in handler.lines if "(reading " in text]
    assert statuses[-1].endswith("(reading apis 1/3, backends 1/3, loggers (listing), tags 1/3)")
    assert "(3 item(s) in 3 collection(s))" in handler.lines[-1][1]


def _action(name: str) -> Action:
    return Action("put", ResourceKey("tag", (name,)), "create")


def test_plain_apply_counts_actions_with_an_outcome_in_increasing_order(log: tuple[logging.Logger, _Lines]) -> None:
    logger, handler = log
    total = 40
    with Display(logger, tty=False).applying(total) as progress:
        def worker(offset: int) -> None:
            for n in range(offset, total, 4):
                action = _action(f"t{n}")
                progress(ProgressEvent("start", f"put {action.key}", action))
                kind = "skipped" if n % 10 == 0 else "failed" if n == 7 else "done"
                progress(ProgressEvent(kind, f"put {action.key}", action))
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    percents = [(text, value) for _, text, value in handler.lines if value is not None]
    values = [value for _, value in percents]
    assert values == sorted(values) and values[-1] == 100
    assert percents[-1][0] == f"applied {total}/{total} plan actions (100%)"


def test_terminal_shows_bars_and_still_logs_outcomes(log: tuple[logging.Logger, _Lines]) -> None:
    from rich.console import Console

    logger, handler = log
    screen = io.StringIO()
    display = Display(logger, tty=True, console=Console(file=screen, force_terminal=True, width=100))
    assert display.rich
    with display.reading("reading", calls=lambda: 3) as progress:
        progress(CollectionProgress("apis", 0, 2))
        progress(CollectionProgress("apis", 2, 2))
    with display.applying(2) as progress:
        for name in ("a", "b"):
            progress(ProgressEvent("done", f"put tag {name}", _action(name)))
    assert "\x1b[" in screen.getvalue()  # the bar was drawn on the terminal
    texts = [text for _, text, _ in handler.lines]
    assert "✓ put tag a" in texts and "✓ put tag b" in texts
    assert not any(text.startswith("applied ") for text in texts)  # the bar replaces the percentage lines


def test_a_bar_stays_one_line_on_a_narrow_terminal(log: tuple[logging.Logger, _Lines]) -> None:
    import re

    from rich.console import Console

    logger, _ = log
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=72)
    bars = Display(logger, tty=True, console=console)._bars()
    bars.add_task("planning against a-long-instance-name: apis 412/1000, workspaces/team-a/named values (listing)",
                  total=1000, completed=412)
    console.print(bars.make_tasks_table(bars.tasks))
    lines = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue()).splitlines()
    assert len(lines) == 1 and len(lines[0]) <= 72 and "412/1000" in lines[0], lines
