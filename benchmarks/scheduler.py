"""``peerloop bench scheduler``: how fast timers come back after a restart, and how late
steps run under load.

1. Insert ``--actions`` pending steps (50,000 by default) for one community into a temporary
   SQLite database, spread over the next 30 days.
2. Start the runtime as a restart does (:meth:`SchedulerRuntime.start`: read the pending rows
   due within the arming horizon and set their timers): wall time (best of three, each in a
   fresh runtime) and peak traced memory (a further start under ``tracemalloc``); then one
   sweep's cost (what arms the rows coming within the horizon every few seconds). For
   comparison, one start that arms every pending row (no horizon): the cost when the whole
   backlog is due within the horizon.
3. Load: a further batch (2,000 by default) due within a few seconds, run by the real
   APScheduler runtime next to all the other timers; the delay between each step's due time and
   its run (``finished_at - due_at`` in the database) as p50, p95 and max.

``--smoke`` uses small numbers and finishes in a few seconds; ``--json`` prints JSON only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, insert, select

from bot.app import App, build_app
from bot.core.clock import SystemClock
from bot.core.models import ActionKind, ActionStatus, Platform
from bot.core.services.actor import new_id
from bot.scheduling.runtime import DEFAULT_HORIZON, SchedulerRuntime
from bot.settings import sqlite_url_for
from bot.storage.queries import table_of
from bot.storage.tables import ScheduledActionRow

TARGET_REBUILD_SECONDS = 3.0
TARGET_PEAK_MB = 300.0
CHUNK = 5000
ACTIONS: Table = table_of(ScheduledActionRow)


def _rows(community_id: str, dues: Sequence[datetime], tag: str) -> list[dict[str, Any]]:
    # Digest steps without a session: the runner settles each one quickly (skipped), so the
    # measurement is the scheduler's own overhead plus one claim-and-finish transaction.
    return [
        {
            "id": new_id(),
            "key": f"bench:{tag}:{i}",
            "kind": ActionKind.DIGEST.value,
            "community_id": community_id,
            "session_id": None,
            "due_at": due,
            "payload": {},
            "status": ActionStatus.PENDING.value,
            "attempts": 0,
        }
        for i, due in enumerate(dues)
    ]


async def _bulk_insert(app: App, rows: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    async with app.db.engine.begin() as conn:
        for i in range(0, len(rows), CHUNK):
            await conn.execute(insert(ACTIONS), rows[i : i + CHUNK])
    return time.perf_counter() - started


async def _rebuild(
    app: App, *, traced: bool, horizon: timedelta | None = DEFAULT_HORIZON
) -> tuple[float, float, int]:
    runtime = SchedulerRuntime(app, sweep_seconds=3600, horizon=horizon)
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    timers = await runtime.start()
    elapsed = time.perf_counter() - started
    peak = 0.0
    if traced:
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    await runtime.stop()
    return elapsed, peak, timers


async def _sweep_seconds(app: App) -> float:
    """One sweep with the horizon's timers armed (nothing due): the steady cost every few seconds."""
    runtime = SchedulerRuntime(app, sweep_seconds=3600)
    await runtime.sync_timers()
    started = time.perf_counter()
    await runtime.sweep()
    elapsed = time.perf_counter() - started
    runtime.timers.clear()
    return elapsed


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _load(app: App, community_id: str, count: int, window: float) -> dict[str, Any]:
    runtime = SchedulerRuntime(app, sweep_seconds=1.0)
    await runtime.start()  # every other pending step has its timer too: that is the load
    lead = 1.0
    base = datetime.now(UTC) + timedelta(seconds=lead)
    dues = [base + timedelta(seconds=window * i / max(1, count - 1)) for i in range(count)]
    rows = _rows(community_id, dues, "load")
    await _bulk_insert(app, rows)
    ids = [r["id"] for r in rows]
    await runtime.sync_timers()  # what the sweep does for rows written by services
    deadline = time.monotonic() + lead + window + 120
    table = ACTIONS
    try:
        while time.monotonic() < deadline:
            await asyncio.sleep(0.25)
            async with app.db.engine.connect() as conn:
                left = (
                    await conn.execute(
                        select(func.count())
                        .select_from(table)
                        .where(table.c.id.in_(ids), table.c.status == ActionStatus.PENDING.value)
                    )
                ).scalar_one()
            if not left:
                break
    finally:
        await runtime.stop()
    async with app.db.engine.connect() as conn:
        result = await conn.execute(
            select(table.c.due_at, table.c.finished_at).where(
                table.c.id.in_(ids), table.c.finished_at.is_not(None)
            )
        )
        delays = [(finished - due).total_seconds() for due, finished in result.all()]
    return {
        "actions": count,
        "window_seconds": window,
        "ran": len(delays),
        "p50_ms": round(_percentile(delays, 0.50) * 1000, 1),
        "p95_ms": round(_percentile(delays, 0.95) * 1000, 1),
        "max_ms": round(max(delays, default=0.0) * 1000, 1),
        "mean_ms": round(statistics.fmean(delays) * 1000, 1) if delays else 0.0,
    }


async def run_bench(actions: int, load_actions: int, load_window: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="peerloop-bench-") as tmp:
        url = sqlite_url_for(Path(tmp) / "bench.sqlite3")
        app = await build_app(url, clock=SystemClock())
        try:
            actor = await app.actors.resolve(
                Platform.CONSOLE, "bench", "Bench community", "bench", "Bench"
            )
            cid = actor.community.id
            now = datetime.now(UTC)
            spread = timedelta(days=30)
            dues = [
                now + timedelta(minutes=5) + spread * i / max(1, actions) for i in range(actions)
            ]
            insert_seconds = await _bulk_insert(app, _rows(cid, dues, "pending"))
            runs = [await _rebuild(app, traced=False) for _ in range(3)]
            rebuild_seconds, timers = min(r[0] for r in runs), runs[0][2]
            _, peak_mb, _ = await _rebuild(app, traced=True)
            sweep_seconds = await _sweep_seconds(app)
            all_seconds, _, all_timers = await _rebuild(app, traced=False, horizon=None)
            load = await _load(app, cid, load_actions, load_window)
        finally:
            await app.close()
    return {
        "database": "sqlite",
        "pending_actions": actions,
        "insert_seconds": round(insert_seconds, 3),
        "rebuild": {
            "horizon_hours": DEFAULT_HORIZON.total_seconds() / 3600,
            "timers": timers,
            "seconds": round(rebuild_seconds, 3),
            "runs_seconds": [round(r[0], 3) for r in runs],
            "peak_traced_mb": round(peak_mb, 2),
            "target_seconds": TARGET_REBUILD_SECONDS,
            "target_mb": TARGET_PEAK_MB,
            "within_targets": rebuild_seconds < TARGET_REBUILD_SECONDS and peak_mb < TARGET_PEAK_MB,
            "sweep_ms": round(sweep_seconds * 1000, 1),
        },
        "arm_everything": {"timers": all_timers, "seconds": round(all_seconds, 3)},
        "load": load,
    }


def _table(report: dict[str, Any]) -> str:
    rebuild, load = report["rebuild"], report["load"]
    ok = "yes" if rebuild["within_targets"] else "NO"
    lines = [
        "PeerLoop scheduler benchmark (SQLite, one process)",
        "",
        f"  {'pending steps inserted':<34}{report['pending_actions']:>12,}",
        f"  {'bulk insert':<34}{report['insert_seconds']:>11.2f}s",
        f"  {'timers armed on start':<34}{rebuild['timers']:>12,}"
        f"   (due within {rebuild['horizon_hours']:g} h; the rest stay in the database)",
        f"  {'start time (best of 3)':<34}{rebuild['seconds']:>11.2f}s   (target < {rebuild['target_seconds']:.0f} s;"
        f" runs {', '.join(f'{x:.2f}' for x in rebuild['runs_seconds'])})",
        f"  {'start peak memory (traced)':<34}{rebuild['peak_traced_mb']:>10.2f}MB"
        f"   (target < {rebuild['target_mb']:.0f} MB)",
        f"  {'within targets':<34}{ok:>12}",
        f"  {'one sweep (arms the next slice)':<34}{rebuild['sweep_ms']:>10.1f}ms",
        f"  {'start arming every row instead':<34}{report['arm_everything']['seconds']:>11.2f}s"
        f"   ({report['arm_everything']['timers']:,} timers)",
        "",
        f"  load: {load['actions']:,} steps due within {load['window_seconds']:.1f} s, "
        f"{load['ran']:,} ran",
        f"  {'delay p50':<34}{load['p50_ms']:>10.1f}ms",
        f"  {'delay p95':<34}{load['p95_ms']:>10.1f}ms",
        f"  {'delay max':<34}{load['max_ms']:>10.1f}ms",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="peerloop bench", description="Measure the scheduler.")
    parser.add_argument("target", nargs="?", default="scheduler", choices=["scheduler"])
    parser.add_argument("--json", action="store_true", help="print the results as JSON only")
    parser.add_argument(
        "--smoke", action="store_true", help="small numbers: finishes in a few seconds"
    )
    parser.add_argument(
        "--actions", type=int, default=None, help="pending steps to insert (default 50,000)"
    )
    parser.add_argument(
        "--load", type=int, default=None, help="steps due at once for the delay test (2,000)"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    actions = args.actions or (2000 if args.smoke else 50_000)
    load = args.load or (200 if args.smoke else 2000)
    window = 1.0 if args.smoke else 3.0
    if actions < 1 or load < 1:
        parser.error("--actions and --load must be at least 1")
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    # Thousands of steps run here; their one-line logs would bury the figures.
    logging.getLogger("bot").setLevel(logging.WARNING)
    report = asyncio.run(run_bench(actions, load, window))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
