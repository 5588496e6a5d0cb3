"""The matching engine runs in a worker process, with the same result as in the process."""

from __future__ import annotations

import asyncio
import os
import pickle
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

import pytest

from benchmarks import round as round_bench
from bot.adapters.offload import WORKER_NICENESS, InlineOffload, ProcessOffload, start_method
from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.models import Platform
from bot.core.services.round_plan import (
    RoundInput,
    RoundPlan,
    begin_packed,
    plan_round,
    plan_round_away,
    solve_packed,
)
from bot.core.slices import Sliced, unpack_fields
from bot.matching.engine import TypeTask
from bot.settings import sqlite_url_for

T = TypeVar("T")


class RecordingOffload(InlineOffload):
    """Runs right here and keeps what it was asked to run."""

    def __init__(self) -> None:
        self.calls: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    async def run(self, fn: Callable[..., T], /, *args: Any) -> T:
        self.calls.append((fn, args))
        return fn(*args)

    async def map(self, fn: Callable[[Any], T], items: Sequence[Any], /) -> list[T]:
        self.calls.append((fn, tuple(items)))
        return [fn(item) for item in items]


async def _community(
    path: Path, *, members: int = 120, history: int = 400, requests: int = 60
) -> str:
    """A synthetic community (the round benchmark's) with open requests for the week ahead."""
    app = await build_app(
        sqlite_url_for(path), clock=FakeClock(round_bench.NOW), offload=InlineOffload()
    )
    try:
        actor = await app.actors.resolve(
            Platform.CONSOLE, "bench", "Bench community", "owner", "Owner"
        )
        await round_bench.fill(app, actor.community.id, members, history, requests, seed=11)
        return actor.community.id
    finally:
        await app.close()


async def _round(
    path: Path, community_id: str, offload: ProcessOffload | InlineOffload
) -> tuple[App, Any]:
    app = await build_app(
        sqlite_url_for(path), clock=FakeClock(round_bench.NOW), upgrade=False, offload=offload
    )
    return app, await app.matching.run_round(community_id)


def _shape(outcome: Any) -> tuple[Any, ...]:
    """A round's outcome without the fresh ids of the booked sessions."""
    return (
        outcome.considered,
        outcome.left_out,
        [
            (
                s.interviewer_id,
                s.candidate_id,
                s.swap,
                s.start,
                s.request_ids,
                s.prompt_ids,
                s.match_reasons,
            )
            for s in outcome.sessions
        ],
    )


def test_the_worker_is_started_safely_for_a_threaded_async_app() -> None:
    # A plain fork would copy the app's threads and event loop in an unsafe state.
    assert start_method() in ("forkserver", "spawn")


async def test_the_round_hands_the_engine_its_whole_input_as_plain_data(tmp_path: Path) -> None:
    template = tmp_path / "community.sqlite3"
    cid = await _community(template)
    offload = RecordingOffload()
    app, outcome = await _round(template, cid, offload)
    await app.close()
    # The round's CPU-heavy steps go to the offload: every request's starts and the split into
    # interview types, then the types, handed out largest first.
    [(begin, (fields,)), (solve, packed)] = offload.calls
    # It crosses as bytes pickled a slice at a time, and reads back as the round's input.
    assert begin is begin_packed and all(isinstance(f, Sliced) for f in fields.values())
    inp = unpack_fields(RoundInput, fields)
    assert isinstance(inp, RoundInput) and len(inp.requests) == 60
    assert fields["requests"].kind == "tuple" and fields["members"].kind == "dict"
    assert solve is solve_packed and all(isinstance(t, bytes) for t in packed)
    tasks = [pickle.loads(t) for t in packed]
    assert all(isinstance(t, TypeTask) for t in tasks)
    sizes = [t.size for t in tasks]
    assert len(sizes) > 1 and sizes == sorted(sizes, reverse=True)
    assert {t.interview_type for t in tasks} == {r.interview_type.value for r in inp.requests}
    assert outcome.considered == len(inp.requests) == 60 and outcome.sessions


async def test_a_round_through_the_process_pool_books_what_the_engine_in_process_books(
    tmp_path: Path,
) -> None:
    template = tmp_path / "community.sqlite3"
    cid = await _community(template)
    shutil.copyfile(template, tmp_path / "in-process.sqlite3")
    shutil.copyfile(template, tmp_path / "worker.sqlite3")

    inline_app, inline = await _round(tmp_path / "in-process.sqlite3", cid, InlineOffload())
    await inline_app.close()
    pool = ProcessOffload()
    worker_app, in_worker = await _round(tmp_path / "worker.sqlite3", cid, pool)
    try:
        assert pool.started  # the round really went through a worker process
        assert len(in_worker.sessions) > 10
        assert _shape(in_worker) == _shape(inline)
    finally:
        await worker_app.close()
    assert not pool.started  # closing the app stops its workers


async def test_the_worker_returns_exactly_the_in_process_plan(tmp_path: Path) -> None:
    template = tmp_path / "community.sqlite3"
    cid = await _community(template, members=200, requests=120)
    offload = RecordingOffload()
    app, _ = await _round(template, cid, offload)
    await app.close()
    [(_, (fields,)), _solved] = offload.calls
    inp = unpack_fields(RoundInput, fields)
    pool = ProcessOffload()
    try:
        in_worker = await pool.run(plan_round, inp)
        in_parts = await plan_round_away(pool, inp)  # the types in parallel in the workers
    finally:
        await pool.close()
    here = plan_round(inp)
    assert isinstance(in_worker, RoundPlan) and in_worker.result is not None
    assert in_worker == here  # pairs, scores, reasons, left-out texts and stats, all equal
    assert in_parts == here


async def test_the_default_app_matches_in_a_worker_process(app: App) -> None:
    assert isinstance(app.offload, ProcessOffload)
    assert not app.offload.started  # started on the first round, not before
    assert await app.offload.run(os.getpid) != os.getpid()
    assert app.offload.started


async def test_a_dead_worker_fails_that_call_and_the_next_call_gets_a_new_one() -> None:
    pool = ProcessOffload()
    try:
        first = await pool.run(os.getpid)
        with pytest.raises(BrokenProcessPool):
            await pool.run(os._exit, 3)
        second = await pool.run(os.getpid)
        assert second != first and second != os.getpid()
    finally:
        await pool.close()


async def test_the_loop_keeps_running_while_the_worker_computes() -> None:
    pool = ProcessOffload()
    try:
        await pool.run(os.getpid)  # the worker is up
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        await pool.run(_busy, 0.5)
        ticker.cancel()
        assert ticks >= 10  # a busy loop in this process would leave it at 0 or 1
    finally:
        await pool.close()


def _busy(seconds: float) -> None:
    import time

    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def test_a_chart_is_drawn_by_a_worker_for_a_thread_that_waits_for_it() -> None:
    from datetime import UTC, datetime

    from bot.adapters.charts import render_progress_png
    from bot.core.progress import DimensionProgress, MemberProgress

    when = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
    dim = DimensionProgress(
        "coding", "communication", ((when, 2.5), (when.replace(day=9), 3.0)), 2.75, 3.0, 0.5
    )
    report = MemberProgress("m1", (dim,), dim, dim, (), (), 0.0, 2)
    pool = ProcessOffload()
    try:
        # The progress service draws on a thread (asyncio.to_thread); the app's renderer hands
        # the drawing to a worker process from that thread.
        png = await asyncio.to_thread(pool.call, render_progress_png, report)
        assert pool.started
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and png == render_progress_png(report)
    finally:
        await pool.close()


async def test_closing_never_hangs_on_a_stuck_worker() -> None:
    pool = ProcessOffload()
    worker_pid = await pool.run(os.getpid)
    stuck = asyncio.create_task(pool.run(_busy, 60.0))
    await asyncio.sleep(0.5)  # the worker is inside the long call
    started = asyncio.get_running_loop().time()
    await pool.close(grace=1.0)
    assert asyncio.get_running_loop().time() - started < 15
    assert not pool.started
    with pytest.raises(ProcessLookupError):
        os.kill(worker_pid, 0)  # the worker is gone
    stuck.cancel()


def _niceness() -> int:
    return os.nice(0)


@pytest.mark.skipif(not hasattr(os, "nice"), reason="the platform has no os.nice")
async def test_workers_run_at_a_lower_priority_than_the_app() -> None:
    """While matching keeps both cores busy, the app's process (its event loop) gets a core
    first: the workers are started with a higher niceness (capped at 19)."""
    offload = ProcessOffload(workers=1)
    try:
        assert await offload.run(_niceness) == min(19, os.nice(0) + WORKER_NICENESS)
        assert WORKER_NICENESS >= 5
    finally:
        await offload.close()
