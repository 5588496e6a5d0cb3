"""The event-loop lag probe of ``peerloop bench loop``: a task that sleeps ``interval`` on the
loop again and again and records how late each wake-up is, with where the loop was found
while it was late; and the machine's load, so a reader can judge the figures.
"""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

INTERVAL = 0.005


class LagProbe:
    """Sleep ``interval`` on the loop over and over; record how late each wake-up is (seconds).

    With ``where_after`` set, a watchdog thread looks at the loop thread's stack whenever the
    loop has not woken for that long, and counts the innermost PeerLoop function it is in."""

    def __init__(self, interval: float = INTERVAL, where_after: float | None = None) -> None:
        self.interval = interval
        self.samples: list[float] = []
        #: CPU time the loop thread spent between two wake-ups: the work that held the loop,
        #: without the time this process waited for a CPU on a busy machine.
        self.held: list[float] = []
        self.where: Counter[str] = Counter()
        self._ticks: list[tuple[float, float]] = []  # (lag, when the sleep began)
        self._seen: list[tuple[float, str]] = []  # (when the late sleep began, where the loop was)
        self._where_after = where_after
        self._last_wake = time.perf_counter()
        self._stop = threading.Event()
        #: (generation, seconds) of every garbage collection meanwhile: it holds the GIL, so
        #: the loop waits for it whichever thread started it.
        self.collections: list[tuple[int, float]] = []
        self._gc_started = 0.0

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.collections.append(
                (int(info["generation"]), time.perf_counter() - self._gc_started)
            )

    async def _tick(self) -> None:
        woke = self._last_wake = time.perf_counter()
        cpu = time.thread_time()
        while True:
            started, cpu_started = woke, cpu
            await asyncio.sleep(self.interval)
            woke, cpu = time.perf_counter(), time.thread_time()
            self._last_wake = woke
            lag = max(0.0, woke - started - self.interval)
            self.samples.append(lag)
            self.held.append(cpu - cpu_started)
            self._ticks.append((lag, started))

    def _watch(self, loop_thread: int) -> None:
        assert self._where_after is not None
        while not self._stop.wait(0.002):
            if time.perf_counter() - self._last_wake < self._where_after:
                continue
            frame = sys._current_frames().get(loop_thread)
            if frame is None:
                continue
            place = _innermost_bot_frame(frame)
            self.where[place] += 1
            self._seen.append((self._last_wake, place))

    @asynccontextmanager
    async def running(self) -> AsyncIterator[LagProbe]:
        task = asyncio.create_task(self._tick())
        watcher = None
        if self._where_after is not None:
            watcher = threading.Thread(
                target=self._watch, args=(threading.get_ident(),), daemon=True
            )
            watcher.start()
        gc.callbacks.append(self._on_gc)
        await asyncio.sleep(0)  # the probe is ticking before the work starts
        try:
            yield self
        finally:
            gc.callbacks.remove(self._on_gc)
            task.cancel()
            self._stop.set()
            if watcher is not None:
                watcher.join()

    def summary(self) -> dict[str, Any]:
        held = lag_summary(self.held)
        full = [seconds for generation, seconds in self.collections if generation == 2]
        return {
            **lag_summary(self.samples),
            "held_p99_ms": held["p99_ms"],
            "held_max_ms": held["max_ms"],
            "gc_full": len(full),
            "gc_full_max_ms": round(max(full, default=0.0) * 1000, 2),
            "gc_max_ms": round(max((d for _, d in self.collections), default=0.0) * 1000, 2),
        }

    def worst(self, count: int = 5) -> list[dict[str, Any]]:
        """The longest waits, each with where the loop was found while it waited."""
        out = []
        held = dict(zip((began for _, began in self._ticks), self.held, strict=True))
        for lag, began in sorted(self._ticks, reverse=True)[:count]:
            places = Counter(place for when, place in self._seen if when == began)
            out.append(
                {
                    "lag_ms": round(lag * 1000, 2),
                    "held_ms": round(held[began] * 1000, 2),
                    "where": dict(places.most_common(4)),
                }
            )
        return out


def _innermost_bot_frame(frame: Any) -> str:
    """``module:function`` of the innermost PeerLoop frame on the stack, then the innermost frame if
    that is in a library."""
    stack = traceback.extract_stack(frame)
    if any(entry.name == "_on_gc" for entry in stack):
        return "(garbage collection)"
    last = stack[-1]
    inner = f"{Path(last.filename).parent.name}/{Path(last.filename).name}:{last.name}"
    for entry in reversed(stack):
        path = entry.filename.replace(os.sep, "/")
        if "/bot/" in path:
            module = path[path.rindex("/bot/") + 1 : -3].replace("/", ".")
            return f"{module}:{entry.name}" + ("" if entry is last else f" > {inner}")
    return inner


def lag_summary(samples: Sequence[float]) -> dict[str, Any]:
    """p50, p99 and max of the lag samples, in milliseconds."""
    if not samples:
        return {"samples": 0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    ordered = sorted(samples)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {
        "samples": len(ordered),
        "p50_ms": round(pct(0.50), 2),
        "p99_ms": round(pct(0.99), 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def machine_load() -> dict[str, Any]:
    """The load averages and ``uptime``'s line, so a reader can judge the figures."""
    one, five, fifteen = os.getloadavg()
    try:
        line = subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        line = ""
    return {
        "load": [round(one, 2), round(five, 2), round(fifteen, 2)],
        "cpus": os.cpu_count(),
        "uptime": line,
    }
