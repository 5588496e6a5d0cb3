"""A pool of worker processes for matching: :func:`solver_pool`.

``match(inp, executor=pool)`` solves the round's interview types in parallel, one type per
task, largest first. Workers are started once (``forkserver`` where the platform has one,
else ``spawn``; never a plain fork of a process that may run threads) and each pins its
BLAS to one thread (:func:`pin_blas`): the pool already runs one task per core, and a
multi-threaded matrix product in every worker only adds contention (measured: 1.42 times
the CPU and 1.11 times the wall time of one thread in the scoring).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

#: The environment variables the common BLAS builds read when they load.
BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

#: Imported once by the forkserver, so every worker starts with the matcher loaded.
PRELOAD: tuple[str, ...] = ("bot.matching.engine",)


def pin_blas() -> None:
    """Limit this process's BLAS to one thread (for the libraries already loaded, through
    threadpoolctl, and for any loaded later, through the environment)."""
    for name in BLAS_ENV:
        os.environ[name] = "1"
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def start_method() -> str:
    """``forkserver`` where available (Linux, macOS), else ``spawn`` (Windows)."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def solver_pool(
    workers: int | None = None, *, preload: Sequence[str] = PRELOAD
) -> ProcessPoolExecutor:
    """A pool of ``workers`` (default: the CPUs) processes with BLAS pinned to one thread.
    Start it once and keep it: :func:`warm` makes its workers come up before the first round."""
    method = start_method()
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(list(preload))
    count = workers or os.cpu_count() or 1
    return ProcessPoolExecutor(max_workers=max(1, count), mp_context=context, initializer=pin_blas)


def ready(hold: float) -> int:
    """Hold a worker for ``hold`` seconds; its process id (to start and count workers)."""
    time.sleep(hold)
    return os.getpid()


def warm(pool: ProcessPoolExecutor, workers: int, tries: int = 5) -> int:
    """Start every worker now: each task holds its worker briefly so the next task needs
    another one (a worker that comes up late is waited for, up to ``tries`` rounds); returns
    how many distinct workers answered."""
    seen: set[int] = set()
    for attempt in range(tries):
        seen |= set(pool.map(ready, [0.2 * (attempt + 1)] * workers))
        if len(seen) >= workers:
            break
    return len(seen)


__all__ = ["BLAS_ENV", "PRELOAD", "pin_blas", "ready", "solver_pool", "start_method", "warm"]
