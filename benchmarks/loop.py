"""``peerloop bench loop``: how long the event loop waits while the heaviest work runs.

Every Discord heartbeat, every acknowledgement and every reply waits for the event loop, so
no single piece of work may hold it for long. This benchmark runs a probe on the loop, a
task that sleeps ``--interval`` (5 ms) again and again and records how late each wake-up
is (the *lag*), while

1. **round**: one matching round of a community with ``--requests`` open requests (10,000)
   from ``--members`` members (10,000) with ``--history`` past sessions (100,000), as the
   scheduler runs it (:meth:`MatchingService.run_round`: the reads, the engine in the worker
   processes, started before the probe as after a community's first round, booking every
   pair in batches), and
2. **digest**: every weekly digest step of a community of ``--digest-members`` members
   (10,000) with ``--feedback`` feedback rows (100,000), as the step runner runs them (one
   step per time-zone slot, each building and queueing its members' digests), and
3. **progress**: the first ``/mock progress`` in that community after reveals (it computes
   the community's rater calibration), and
4. **charts**: ``/mock progress`` for twelve members at once, the calibration cached (each
   reads the member's scores and draws a PNG chart).

Each scenario's database is filled once and copied for every run (``--runs``, 3), so every
run starts from the same state. The report gives each run's p50, p99 and max lag, the best
and the median run, and the machine's load average before and after (the figures depend on
what else runs). ``--where`` also samples the loop thread's stack whenever the loop has not
woken for ``--where-ms`` (10 ms) and lists the PeerLoop functions it was found in.

Each run tunes the garbage collector once its app is built, as ``peerloop run`` does
(:mod:`bot.ops.gc_tuning`; ``PEERLOOP_GC_THRESHOLDS=off`` measures Python's defaults).

Target: p99 under 20 ms and max under 50 ms. ``--smoke`` runs small numbers; ``--json``
prints JSON only; ``--only`` runs one scenario.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks import digest as digest_bench
from benchmarks import round as round_bench
from benchmarks.parts.loop_probe import INTERVAL, LagProbe, machine_load
from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.models import Platform
from bot.matching.pool import ready
from bot.ops import gc_tuning
from bot.settings import sqlite_url_for

TARGET_P99_MS = 20.0
TARGET_MAX_MS = 50.0


# -- the scenarios ------------------------------------------------------------------------------


async def _prepare_round(template: Path, members: int, history: int, requests: int) -> str:
    app = await build_app(sqlite_url_for(template), clock=FakeClock(round_bench.NOW))
    try:
        actor = await app.actors.resolve(
            Platform.CONSOLE, "bench", "Bench community", "owner", "Owner"
        )
        await round_bench.fill(app, actor.community.id, members, history, requests)
        return actor.community.id
    finally:
        await app.close()


async def _prepare_digest(template: Path, members: int, feedback: int) -> tuple[str, datetime]:
    """A community whose digest steps for the measured week are stored; the time they are all due."""
    clock = FakeClock(digest_bench.NOW)
    app = await build_app(sqlite_url_for(template), clock=clock)
    try:
        assert app.digests is not None
        actor = await app.actors.resolve(
            Platform.CONSOLE, "bench", "Bench community", "owner", "Owner"
        )
        await digest_bench.fill(app, actor.community.id, members, feedback)
        await app.digests.ensure_planned(actor.community)
        async with app.db.uow() as tx:
            pending = await tx.actions.pending()
        week_end = digest_bench.NOW + timedelta(days=2)
        due = max(when for _, when in pending if when <= week_end)
        return actor.community.id, due + timedelta(minutes=1)
    finally:
        await app.close()


async def _run_round(app: App, community_id: str) -> dict[str, Any]:
    outcome = await app.matching.run_round(community_id)
    return {
        "considered": outcome.considered,
        "pairs": len(outcome.sessions),
        "left_out": len(outcome.left_out),
    }


async def _start_workers(app: App, _community_id: str) -> dict[str, Any]:
    """The app's worker processes, started as by a community's first round (before the probe:
    a deployment starts them once)."""
    seen: set[int] = set()
    for attempt in range(5):
        seen |= set(await app.offload.map(ready, [0.2 * (attempt + 1)] * 2))
        if len(seen) == 2:
            break
    return {"workers": len(seen)}


async def _run_digest(app: App, _community_id: str) -> dict[str, Any]:
    steps = 0
    while ran := await app.steps.run_due():
        steps += ran
    return {"steps": steps}


async def _count_digests(app: App, _community_id: str) -> dict[str, Any]:
    async with app.db.uow() as tx:
        return {
            "queued": sum(1 for item in await tx.outbox.all() if item.key.startswith("digest:"))
        }


CHART_MEMBERS = 12


async def _progress(app: App, members: range) -> dict[str, Any]:
    actors = [
        await app.actors.resolve(
            Platform.CONSOLE, "bench", "Bench community", f"member-{i}", f"Member {i}"
        )
        for i in members
    ]
    replies = await asyncio.gather(*(app.router.run(actor, "progress", {}) for actor in actors))
    return {"charts": sum(len(r.attachments) for r in replies)}


async def _run_first_progress(app: App, _community_id: str) -> dict[str, Any]:
    """``/mock progress`` once, the first call after reveals (the rater calibration is computed)."""
    return await _progress(app, range(1, 2))


async def _run_charts(app: App, _community_id: str) -> dict[str, Any]:
    """``/mock progress`` for several members at once (calibration cached): reports and charts."""
    return await _progress(app, range(2, CHART_MEMBERS + 2))


async def _measure(
    template: Path,
    work: Path,
    now: datetime,
    community_id: str,
    job: Callable[[App, str], Awaitable[dict[str, Any]]],
    *,
    interval: float,
    where_after: float | None,
    after: Callable[[App, str], Awaitable[dict[str, Any]]] | None = None,
    before: Callable[[App, str], Awaitable[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """One run of ``job`` on a fresh copy of ``template`` under the probe (``before`` runs
    first without the probe; ``after`` counts what it did once the probe has stopped)."""
    for stale in (work, work.with_name(work.name + "-wal"), work.with_name(work.name + "-shm")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(template, work)
    app = await build_app(sqlite_url_for(work), clock=FakeClock(now), upgrade=False)
    try:
        if before is not None:
            await before(app, community_id)
        gc_thresholds = gc_tuning.tune_for_server()  # as `peerloop run` does once the app is built
        probe = LagProbe(interval, where_after)
        async with probe.running():
            started = time.perf_counter()
            result = await job(app, community_id)
            seconds = time.perf_counter() - started
        if after is not None:
            result.update(await after(app, community_id))
    finally:
        await app.close()
        gc_tuning.untune()
    out = {
        **probe.summary(),
        "seconds": round(seconds, 3),
        "gc_thresholds": gc_thresholds,
        **result,
    }
    if where_after is not None:
        out["where"] = dict(probe.where.most_common(12))
        out["worst"] = probe.worst()
    return out


def _aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    best = min(runs, key=lambda r: (r["max_ms"], r["p99_ms"]))
    keys = ("p50_ms", "p99_ms", "max_ms", "held_p99_ms", "held_max_ms", "seconds")
    median = {k: round(statistics.median(r[k] for r in runs), 2) for k in keys}
    return {
        "runs": runs,
        "best": {k: best[k] for k in keys},
        "median": median,
        "within_target": median["p99_ms"] < TARGET_P99_MS and median["max_ms"] < TARGET_MAX_MS,
    }


async def run_bench(
    *,
    members: int,
    history: int,
    requests: int,
    digest_members: int,
    feedback: int,
    runs: int,
    interval: float = INTERVAL,
    where_after: float | None = None,
    only: str | None = None,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "database": "sqlite",
        "interval_ms": interval * 1000,
        "target": {"p99_ms": TARGET_P99_MS, "max_ms": TARGET_MAX_MS},
        "load_before": machine_load(),
        "scenarios": {},
    }
    with tempfile.TemporaryDirectory(prefix="peerloop-loop-bench-") as tmp:
        folder = Path(tmp)
        if only in (None, "round"):
            template = folder / "round.sqlite3"
            cid = await _prepare_round(template, members, history, requests)
            results = [
                await _measure(
                    template,
                    folder / "run.sqlite3",
                    round_bench.NOW,
                    cid,
                    _run_round,
                    interval=interval,
                    where_after=where_after,
                    before=_start_workers,
                )
                for _ in range(runs)
            ]
            report["scenarios"]["round"] = {
                "members": members,
                "history_sessions": history,
                "open_requests": requests,
                **_aggregate(results),
            }
        if only in (None, "digest", "progress", "charts"):
            template = folder / "digest.sqlite3"
            cid, due = await _prepare_digest(template, digest_members, feedback)
            if only in (None, "digest"):
                results = [
                    await _measure(
                        template,
                        folder / "run.sqlite3",
                        due,
                        cid,
                        _run_digest,
                        interval=interval,
                        where_after=where_after,
                        after=_count_digests,
                    )
                    for _ in range(runs)
                ]
                report["scenarios"]["digest"] = {
                    "members": digest_members,
                    "feedback_rows": feedback,
                    **_aggregate(results),
                }
            if only in (None, "digest", "progress"):
                results = [
                    await _measure(
                        template,
                        folder / "run.sqlite3",
                        due,
                        cid,
                        _run_first_progress,
                        interval=interval,
                        where_after=where_after,
                    )
                    for _ in range(runs)
                ]
                report["scenarios"]["progress"] = {"members": 1, **_aggregate(results)}
            if only in (None, "digest", "charts"):
                results = [
                    await _measure(
                        template,
                        folder / "run.sqlite3",
                        due,
                        cid,
                        _run_charts,
                        interval=interval,
                        where_after=where_after,
                        before=_run_first_progress,
                    )
                    for _ in range(runs)
                ]
                report["scenarios"]["charts"] = {"members": CHART_MEMBERS, **_aggregate(results)}
    report["load_after"] = machine_load()
    report["within_target"] = all(s["within_target"] for s in report["scenarios"].values())
    return report


def _table(report: dict[str, Any]) -> str:
    t = report["target"]
    lines = [
        f"PeerLoop event-loop lag (SQLite; probe sleeps {report['interval_ms']:.0f} ms; "
        f"target p99 < {t['p99_ms']:.0f} ms, max < {t['max_ms']:.0f} ms)",
        "",
    ]
    lines.append(
        f"  {'scenario':<9} {'run':>6} {'p50':>9} {'p99':>9} {'max':>9} {'held p99':>9} {'held max':>9} "
        f"{'seconds':>8} {'samples':>8}"
    )

    def row(name: str, label: object, r: dict[str, Any]) -> str:
        return (
            f"  {name:<9} {label!s:>6} {r['p50_ms']:>7.2f}ms {r['p99_ms']:>7.2f}ms {r['max_ms']:>7.2f}ms "
            f"{r['held_p99_ms']:>7.2f}ms {r['held_max_ms']:>7.2f}ms {r['seconds']:>7.2f}s "
            f"{r.get('samples', ''):>8}"
        )

    for name, s in report["scenarios"].items():
        for i, r in enumerate(s["runs"], 1):
            lines.append(row(name, i, r))
        for label in ("best", "median"):
            lines.append(row(name, label, s[label]))
        lines.append(
            f"  {name}: target met by the median run -> {'yes' if s['within_target'] else 'NO'}"
        )
        gcs = ", ".join(
            f"run {i}: {r['gc_full']} taking up to {r['gc_full_max_ms']:.0f} ms"
            for i, r in enumerate(s["runs"], 1)
        )
        lines.append(f"  {name}: full garbage collections (they hold every thread) {gcs}")
        where: Counter[str] = Counter()
        for r in s["runs"]:
            where.update(r.get("where", {}))
        if where:
            lines.append(f"  {name}: where the loop was held (2 ms samples while it was late):")
            lines += [f"    {n:>6}  {place}" for place, n in where.most_common(10)]
            lines.append(f"  {name}: the longest waits of each run and where the loop was:")
            for i, r in enumerate(s["runs"], 1):
                for w in r.get("worst", [])[:3]:
                    places = "; ".join(f"{place} ({n})" for place, n in w["where"].items()) or "-"
                    lines.append(
                        f"    run {i} {w['lag_ms']:>8.1f}ms (held {w['held_ms']:.1f}ms)  {places}"
                    )
        lines.append("")
    round_ = report["scenarios"].get("round")
    if round_:
        r = round_["runs"][-1]
        lines.append(
            f"  round: {round_['open_requests']:,} open requests of {round_['members']:,} members, "
            f"{round_['history_sessions']:,} past sessions -> {r['pairs']:,} pairs, {r['left_out']:,} left out"
        )
    digest = report["scenarios"].get("digest")
    if digest:
        r = digest["runs"][-1]
        lines.append(
            f"  digest: {digest['members']:,} members, {digest['feedback_rows']:,} feedback rows -> "
            f"{r['steps']} steps, {r['queued']:,} digests queued"
        )
    if "progress" in report["scenarios"]:
        lines.append(
            "  progress: the first /mock progress after reveals (it computes the community's rater "
            "calibration)"
        )
    charts = report["scenarios"].get("charts")
    if charts:
        lines.append(
            f"  charts: /mock progress for {charts['members']} members of the digest's community at once -> "
            f"{charts['runs'][-1]['charts']} charts"
        )
    lines.append(
        f"  load before: {report['load_before']['load']}  after: {report['load_after']['load']} "
        f"({report['load_after']['cpus']} CPUs)"
    )
    lines.append(
        "  lag: how late the probe woke; held: CPU time the loop thread spent between two wake-ups "
        "(the lag without waiting for a CPU on a busy machine)"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="peerloop bench loop",
        description="Measure event-loop lag during a matching round and a digest run.",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON only")
    parser.add_argument(
        "--smoke", action="store_true", help="small numbers: finishes in a few seconds"
    )
    parser.add_argument(
        "--runs", type=int, default=None, help="runs of each scenario (3; 1 with --smoke)"
    )
    parser.add_argument(
        "--members", type=int, default=None, help="members of the round's community (10,000)"
    )
    parser.add_argument(
        "--history", type=int, default=None, help="past sessions of the round's community (100,000)"
    )
    parser.add_argument(
        "--requests", type=int, default=None, help="open requests of the round (10,000)"
    )
    parser.add_argument(
        "--digest-members",
        type=int,
        default=None,
        help="members of the digest's community (10,000)",
    )
    parser.add_argument(
        "--feedback",
        type=int,
        default=None,
        help="feedback rows of the digest's community (100,000)",
    )
    parser.add_argument(
        "--only",
        choices=["round", "digest", "progress", "charts"],
        default=None,
        help="run one scenario (digest: with progress and charts)",
    )
    parser.add_argument(
        "--where", action="store_true", help="sample where the loop is held while it is late"
    )
    parser.add_argument(
        "--where-ms", type=float, default=10.0, help="how late counts for --where (10 ms)"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    smoke = args.smoke
    members = args.members or (300 if smoke else 10_000)
    history = args.history if args.history is not None else (1_000 if smoke else 100_000)
    requests = args.requests or (150 if smoke else 10_000)
    digest_members = args.digest_members or (300 if smoke else 10_000)
    feedback = args.feedback or (1_000 if smoke else 100_000)
    runs = args.runs or (1 if smoke else 3)
    if (
        members < 10
        or history < 0
        or not 2 <= requests <= members
        or digest_members < 10
        or feedback < 40
        or runs < 1
    ):
        print(
            "--members at least 10, --requests between 2 and --members, --history at least 0, "
            "--digest-members at least 10, --feedback at least 40, --runs at least 1.",
            file=sys.stderr,
        )
        return 2
    report = asyncio.run(
        run_bench(
            members=members,
            history=history,
            requests=requests,
            digest_members=digest_members,
            feedback=feedback,
            runs=runs,
            where_after=args.where_ms / 1000 if args.where else None,
            only=args.only,
        )
    )
    print(json.dumps(report, indent=2) if args.json else _table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
