"""Where CPU-heavy pure work runs: :class:`ProcessOffload` (the app's) and :class:`InlineOffload`.

:class:`ProcessOffload` keeps a small pool of worker processes, started on first use and shut
down when the app closes. Workers come from a *forkserver* (a clean process that imports
:data:`PRELOAD` once and forks a worker from itself on demand) where the platform has one,
else they are spawned: never forked from the running app, whose threads (the database
driver's, the scheduler's) and event loop a plain fork would copy in an unsafe state.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from bot.matching.pool import pin_blas

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Imported once by the forkserver, so a new worker starts without importing the matcher or
#: the chart library (a missing module is skipped).
PRELOAD: tuple[str, ...] = (
    "bot.core.services.round_plan",
    "bot.matching.pool",
    "bot.adapters.charts",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
)


#: How much lower than the app's the workers' scheduling priority is (Unix ``nice``): while a
#: round's matching keeps every core busy, the event loop's process still gets a core the
#: moment it has work, instead of waiting its turn behind the workers.
WORKER_NICENESS = 10


def start_worker() -> None:
    """Each worker's start: one BLAS thread (:func:`pin_blas`) and a lower scheduling
    priority (:data:`WORKER_NICENESS`; where the platform has ``os.nice``)."""
    pin_blas()
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)


def start_method() -> str:
    """``forkserver`` where available (Linux, macOS), else ``spawn`` (Windows)."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


class ProcessOffload:
    """Runs functions in up to ``workers`` worker processes (two: a chart need not wait for a
    round's matching)."""

    def __init__(self, workers: int = 2, *, preload: Sequence[str] = PRELOAD) -> None:
        self._workers = max(1, workers)
        self._preload = list(preload)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._pool is not None

    def _submit(
        self, fn: Callable[..., T], args: tuple[Any, ...]
    ) -> tuple[ProcessPoolExecutor, Future[T]]:
        with self._lock:
            pool = self._executor()
        return pool, pool.submit(fn, *args)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            method = start_method()
            context = multiprocessing.get_context(method)
            if method == "forkserver":
                context.set_forkserver_preload(
                    self._preload
                )  # only before the forkserver's first start
            # One BLAS thread per worker: the pool already runs a task per core (matching's
            # interview types in parallel), more threads would only contend. Workers yield
            # the CPU to the app's own process (``start_worker``).
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers, mp_context=context, initializer=start_worker
            )
        return self._pool

    async def run(self, fn: Callable[..., T], /, *args: Any) -> T:
        # Making the pool starts a helper process, and submitting starts a worker when none
        # is idle and waits for it to come up: both on a thread, so the loop never waits.
        pool, future = await asyncio.to_thread(self._submit, fn, args)
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self._forget(pool)
            await asyncio.to_thread(_stop, pool, 0.0)
            raise

    async def map(self, fn: Callable[[Any], T], items: Sequence[Any], /) -> list[T]:
        """``fn`` of every item, submitted in order (the first start first) in one go, run by
        the workers in parallel."""
        if not items:
            return []
        pool, futures = await asyncio.to_thread(self._submit_all, fn, list(items))
        try:
            return list(await asyncio.gather(*(asyncio.wrap_future(f) for f in futures)))
        except BrokenProcessPool:
            self._forget(pool)
            await asyncio.to_thread(_stop, pool, 0.0)
            raise

    def _submit_all(
        self, fn: Callable[[Any], T], items: list[Any]
    ) -> tuple[ProcessPoolExecutor, list[Future[T]]]:
        with self._lock:
            pool = self._executor()
        return pool, [pool.submit(fn, item) for item in items]

    def call(self, fn: Callable[..., T], /, *args: Any) -> T:
        """``fn(*args)`` in a worker, waiting for it here: for code that already runs on a
        thread of its own (never call it on the event loop)."""
        pool, future = self._submit(fn, args)
        try:
            return future.result()
        except BrokenProcessPool:
            self._forget(pool)
            _stop(pool, 0.0)
            raise

    def _forget(self, pool: ProcessPoolExecutor) -> None:
        """A worker died (killed, out of memory): this call fails (a step is retried like after
        any failure), the pool's other workers are stopped, and the next call starts a fresh
        pool. (Python 3.11's executor would otherwise wait forever for an idle worker of the
        broken pool, and so would the interpreter's exit.)"""
        with self._lock:
            if self._pool is not pool:
                return
            self._pool = None
        log.error("a worker process died; starting a new pool for the next call")

    async def close(self, grace: float = 10.0) -> None:
        """Stop the workers: nothing queued is started, work under way gets ``grace``
        seconds, then its worker is terminated (closing never hangs on a stuck worker)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(_stop, pool, grace)


def _stop(pool: ProcessPoolExecutor, timeout: float) -> None:
    # The executor keeps its worker processes in ``_processes`` (no public way before 3.14's
    # ``terminate_workers``); read before shutdown, which clears it.
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + timeout
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            log.error("a worker process did not stop within %.0f s; terminating it", timeout)
            process.terminate()
            process.join(5)


class InlineOffload:
    """Runs the function right here, on the loop: for tests that want no worker process."""

    async def run(self, fn: Callable[..., T], /, *args: Any) -> T:
        return fn(*args)

    async def map(self, fn: Callable[[Any], T], items: Sequence[Any], /) -> list[T]:
        return [fn(item) for item in items]

    async def close(self) -> None:
        return None
