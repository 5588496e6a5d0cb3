"""The garbage collector tuned for a long-running server (see docs/scaling.md, "Event-loop lag").

CPython's full collection walks every tracked object with every thread stopped, so on a
server that holds the app's modules, mappers and caches plus a round's hundreds of thousands
of rows it holds the event loop for hundreds of milliseconds, several times a round. Two
changes, made once the app is built:

- ``gc.freeze()`` moves everything alive at start-up (modules, classes, the ORM's mappers,
  compiled statements) out of the collector's sight: it is never garbage, and no collection
  walks it again.
- Higher thresholds: a young collection every ``threshold0`` net allocations instead of every
  700, and a full collection only after ``threshold2`` (100, not 10) middle ones. Cyclic garbage is still
  collected, less often; objects without cycles are freed at once by reference counting as
  before.

``PEERLOOP_GC_THRESHOLDS`` (``"a,b,c"``) overrides the thresholds; ``"off"`` leaves the
collector as Python sets it.
"""

from __future__ import annotations

import gc
import os

#: (young, middle, full): see the module's docstring and docs/scaling.md for the measurements.
SERVER_THRESHOLDS = (10_000, 10, 100)


def thresholds_from_env(value: str | None) -> tuple[int, int, int] | None:
    """The thresholds ``PEERLOOP_GC_THRESHOLDS`` asks for; None for "off"."""
    if value is None or not value.strip():
        return SERVER_THRESHOLDS
    if value.strip().lower() == "off":
        return None
    parts = tuple(int(p) for p in value.split(","))
    if len(parts) != 3 or any(p < 1 for p in parts):
        raise ValueError("PEERLOOP_GC_THRESHOLDS takes three positive integers, e.g. 10000,10,100")
    return parts[0], parts[1], parts[2]


def tune_for_server() -> tuple[int, int, int] | None:
    """Collect once, freeze what is alive and raise the thresholds; the thresholds now in use
    (None when turned off)."""
    chosen = thresholds_from_env(os.environ.get("PEERLOOP_GC_THRESHOLDS"))
    if chosen is None:
        return None
    gc.collect()
    gc.freeze()
    gc.set_threshold(*chosen)
    return chosen


def untune() -> None:
    """Back to Python's defaults, nothing frozen (for a benchmark's next run or a test)."""
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
