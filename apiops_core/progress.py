"""One ordered progress display for reading an instance and applying a plan.

Why a module of its own: the engines never print. ``extract`` reports ``CollectionProgress``
values and ``apply`` reports ``ProgressEvent`` values from worker threads, in whatever order the
threads finish; this module turns them into what a person (terminal) or a pipeline log (anything
else) should see:

- on a terminal (``tty``): rich progress bars on stderr (items read / actions applied, ARM calls,
  elapsed time); messages logged meanwhile print above the bars;
- otherwise: plain lines through the ``apiops`` logger, never more than ``interval`` seconds
  apart while work is going on (a heartbeat thread speaks when the engine is quiet), each
  naming the collections still being read in a fixed (sorted) order, and ``applied k/n``
  records carrying ``extra={"progress": percent}`` that ``agent.py`` turns into
  ``##vso[task.setprogress]``.

What the numbers count: reading counts the items of each top-level collection (an API with its
operations, policies and links is one item); applying counts the plan's actions that reached an
outcome (written, skipped, failed or not attempted), so ``applied n/n`` and the final
``Applied n/n plan actions`` line (``commands.apply.report``) agree.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:  # pragma: no cover
    from .apply import ProgressEvent
    from .extract import CollectionProgress

__all__ = ["Display", "apply_callback", "INTERVAL"]

#: longest silence (seconds) of the plain display while something is being read or applied
INTERVAL = 2.0
_OUTCOMES = ("done", "skipped", "failed", "blocked")


def _rich_available() -> bool:
    try:
        import rich.progress  # noqa: F401
    except ImportError:  # rich is a dependency; a broken install still gets plain lines
        return False
    return True


class _Heartbeat:
    """Calls ``speak`` whenever ``interval`` seconds passed since the last line, until stopped."""

    def __init__(self, interval: float, quiet_for: Callable[[], float], speak: Callable[[], None]) -> None:
        self._interval = interval
        self._quiet_for = quiet_for
        self._speak = speak
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="apiops-progress", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval / 4):
            if self._quiet_for() >= self._interval:
                self._speak()

    def __enter__(self) -> "_Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class _Collections:
    """Per-collection counts, updated from worker threads."""

    def __init__(self) -> None:
        self.counts: dict[str, tuple[int, int]] = {}

    def update(self, event: "CollectionProgress") -> None:
        done, total = self.counts.get(event.collection, (0, event.total))
        self.counts[event.collection] = (max(done, event.done), event.total)

    def totals(self) -> tuple[int, int]:
        return sum(d for d, t in self.counts.values() if t > 0), sum(t for _, t in self.counts.values() if t > 0)

    def non_empty(self) -> int:
        return sum(1 for _, t in self.counts.values() if t > 0)

    def open(self, limit: int = 4) -> str:
        """The collections not finished yet, in name order: ``apis (listing), products 3/20``."""
        pending = sorted((name, d, t) for name, (d, t) in self.counts.items() if d < t or t < 0)
        text = ", ".join(f"{name} (listing)" if t < 0 else f"{name} {d}/{t}" for name, d, t in pending[:limit])
        return text + (f" and {len(pending) - limit} more" if len(pending) > limit else "")


class Display:
    """A command's progress display (stderr): bars on a terminal, periodic plain lines otherwise."""

    def __init__(self, log: logging.Logger, *, tty: bool = False, interval: float = INTERVAL,
                 console: Any = None, clock: Callable[[], float] = time.monotonic, no_color: bool = False) -> None:
        self.log = log
        self.interval = interval
        self.clock = clock
        self.console = console
        self.no_color = no_color
        self.rich = tty and _rich_available() and log.isEnabledFor(logging.INFO)
        self._lock = threading.Lock()
        self._last = clock()

    # -- plain lines -------------------------------------------------------------------------
    def _say(self, message: str, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            self._last = self.clock()
            self.log.info(message, *args, **kwargs)

    def _quiet_for(self) -> float:
        return self.clock() - self._last

    def _bars(self, *columns: Any) -> Any:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.table import Column

        console = self.console or Console(stderr=True, no_color=self.no_color)
        # one line whatever the terminal width: the description gives way (ellipsis), nothing wraps
        return Progress(SpinnerColumn(), TextColumn("{task.description}", table_column=Column(
                            no_wrap=True, overflow="ellipsis", ratio=1)),
                        BarColumn(bar_width=16), MofNCompleteColumn(table_column=Column(no_wrap=True)),
                        *columns, TimeElapsedColumn(table_column=Column(no_wrap=True)), console=console,
                        transient=True, expand=True)

    # -- reading an instance -----------------------------------------------------------------
    @contextmanager
    def reading(self, what: str, calls: Callable[[], int] | None = None) -> Iterator[Callable[["CollectionProgress"], None]]:
        """Show the reading of ``what`` (``calls``: ARM requests so far); yields the engine's callback."""
        collections = _Collections()
        started = self.clock()
        base = calls() if calls else 0

        def arm_calls() -> str:
            return f", {calls() - base} ARM calls" if calls else ""

        def status() -> None:
            with self._lock:
                done, total = collections.totals()
                pending = collections.open()
            self._say("%s: %d/%d items read%s, %.0f s%s", what, done, total, arm_calls(), self.clock() - started,
                      f" (reading {pending})" if pending else "")

        if self.rich:
            from rich.progress import ProgressColumn
            from rich.text import Text

            from rich.table import Column

            class _Calls(ProgressColumn):
                def render(self, task: Any) -> Text:  # noqa: ARG002 - rich's signature
                    return Text(arm_calls().lstrip(", "), no_wrap=True)

            bars = self._bars(_Calls(table_column=Column(no_wrap=True)))
            task = bars.add_task(what, total=None)

            def on_event(event: "CollectionProgress") -> None:
                with self._lock:
                    collections.update(event)
                    done, total = collections.totals()
                    pending = collections.open(limit=2)
                bars.update(task, completed=done, total=total or None,
                            description=f"{what}: {pending}" if pending else what)

            with bars:
                yield on_event
        else:
            self._say("%s ...", what)

            def on_event(event: "CollectionProgress") -> None:
                with self._lock:
                    collections.update(event)
                if self._quiet_for() >= self.interval:
                    status()

            with _Heartbeat(self.interval, self._quiet_for, status):
                yield on_event
        done, total = collections.totals()
        self._say("%s: done in %.1f s (%d item(s) in %d collection(s)%s)", what, self.clock() - started, done,
                  collections.non_empty(), arm_calls())

    # -- applying a plan ---------------------------------------------------------------------
    @contextmanager
    def applying(self, total: int) -> Iterator[Callable[["ProgressEvent"], None]]:
        """Show an apply of ``total`` plan actions; yields the ``apply_plan(progress=...)`` callback."""
        if not self.rich:
            state = {"finished": 0}

            def status() -> None:
                self._say("applying: %d/%d plan actions have an outcome, still working", state["finished"], total)

            callback = apply_callback(self.log, total, say=self._say, counter=state)
            with _Heartbeat(self.interval, self._quiet_for, status):
                yield callback
            return
        bars = self._bars()
        task = bars.add_task("applying the plan", total=total or None)
        plain = apply_callback(self.log, 0, say=self._say)

        def on_event(event: "ProgressEvent") -> None:
            plain(event)  # messages print above the bar
            if event.action is not None and event.kind in _OUTCOMES:
                bars.update(task, advance=1, description=f"applying: {event.action.verb} {event.action.key}")

        with bars:
            yield on_event


def apply_callback(log: logging.Logger, total: int = 0, *, say: Callable[..., None] | None = None,
                   counter: dict[str, int] | None = None) -> Callable[["ProgressEvent"], None]:
    """The plain apply display: one line per event, ``applied k/n plan actions (p%)`` every ~5 %.

    The percentage records carry ``extra={"progress": percent}`` and are logged under a lock, so
    they reach the log in increasing order whatever thread finished an action.
    """
    lock = threading.Lock()
    state = counter if counter is not None else {}
    state.setdefault("finished", 0)
    state["reported"] = 0
    step = max(1, total // 20) if total else 0
    info = say or log.info

    def advance() -> None:
        with lock:
            state["finished"] += 1
            finished = state["finished"]
            if finished > total or (finished < total and finished - state["reported"] < step):
                return
            state["reported"] = finished
            percent = int(finished * 100 / total)
            info("applied %d/%d plan actions (%d%%)", finished, total, percent, extra={"progress": percent})

    def show(event: "ProgressEvent") -> None:
        if event.kind in ("failed", "blocked"):
            log.error("%s: %s", "not attempted" if event.kind == "blocked" else "failed", event.message)
        elif event.kind == "warning":
            log.warning("warning: %s", event.message)
        elif event.kind == "start":
            log.debug("… %s", event.message)
        else:
            info("%s %s", {"done": "✓", "skipped": "·", "info": " "}.get(event.kind, ""), event.message)
        if total and event.action is not None and event.kind in _OUTCOMES:
            advance()

    return show
