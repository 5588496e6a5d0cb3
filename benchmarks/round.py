"""``peerloop bench round``: one matching round of a large community, end to end on SQLite.

The database-backed companion of ``peerloop bench matching`` (which times only the pure engine):

1. Fill a temporary SQLite database with a synthetic community: ``--members`` members (5,000
   by default) with full profiles (fifteen time zones, six tracks, four levels, evening-heavy
   weekly availability in their own time), ``--history`` completed sessions (100,000) between
   random pairs over the past year with real prompts, a few bookings next week, and
   ``--requests`` open requests (2,000) for the coming week from distinct members.
2. Time :meth:`MatchingService.run_round` once: it reads the open requests, their members, their
   pairing history, upcoming sessions and no-shows, runs the engine, books every pair (session,
   its scheduled steps, the announcement in the outbox), updates the requests left out and
   records the round.
   Every SQL statement sent meanwhile is counted. The reads before matching (requests, members,
   their pairing history, upcoming sessions, no-shows) are timed alone first.
3. Do the same for a community a tenth of the size, so the growth is visible.

There is no target: the figures are printed (``--json`` for JSON only; ``--smoke`` for small
numbers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.support import MEMBER_ZONES, bulk_insert, counting_statements
from bot.app import App, build_app
from bot.core.availability import WeeklyAvailability, Window
from bot.core.clock import FakeClock
from bot.core.models import Platform
from bot.core.services.actor import new_id
from bot.core.vocab import InterviewType, Level, RolePreference
from bot.matching.pool import ready
from bot.settings import sqlite_url_for
from bot.storage.tables import MemberRow, RequestRow, SessionRow

#: Monday 7 December 2026, 08:00 UTC: the round looks at the week ahead.
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
ZONES = MEMBER_ZONES
TRACKS = ("backend", "frontend", "full-stack", "ml", "data-science", "sre")
LEVELS = tuple(level.value for level in Level)
TYPES = (InterviewType.CODING, InterviewType.SYSTEM_DESIGN, InterviewType.BEHAVIORAL)
ROLES = (
    (RolePreference.SWAP.value, 0.8),
    (RolePreference.CANDIDATE.value, 0.1),
    (RolePreference.INTERVIEWER.value, 0.1),
)


def availability(rng: random.Random) -> list[list[int]]:
    """An evening-heavy week in local time, in the stored form ``[[weekday, start, end], ...]``:
    two to four weekday evenings of two to four hours, and a weekend block for some."""
    windows: list[Window] = []
    for day in sorted(rng.sample(range(5), rng.randint(2, 4))):
        start = rng.choice(range(17 * 60, 20 * 60 + 1, 30))
        windows.append(Window(day, start, min(24 * 60, start + 60 * rng.randint(2, 4))))
    if rng.random() < 0.4:
        start = rng.choice(range(9 * 60, 14 * 60 + 1, 60))
        windows.append(Window(rng.choice((5, 6)), start, start + 60 * rng.randint(2, 4)))
    return WeeklyAvailability.from_windows(windows).to_json()


def _community_rows(
    community_id: str,
    members: int,
    history: int,
    requests: int,
    prompt_ids: dict[str, list[str]],
    rng: random.Random,
) -> dict[str, list[dict[str, Any]]]:
    member_rows = [
        {
            "id": f"m{i:06d}{community_id[:8]}",
            "community_id": community_id,
            "platform": Platform.CONSOLE.value,
            "external_id": f"member-{i}",
            "display_name": f"Member {i}",
            "timezone": ZONES[i % len(ZONES)],
            "track": rng.choice(TRACKS),
            "level": rng.choice(LEVELS),
            "interview_types": [t.value for t in TYPES],
            "languages": [],
            "availability": availability(rng),
            "blackouts": [],
            "blocked": [],
            "digest_opt_out": False,
            "digest_nudge": True,
            "is_admin": False,
            "created_at": NOW - timedelta(days=400),
        }
        for i in range(members)
    ]
    ids = [str(r["id"]) for r in member_rows]
    year = timedelta(days=365)
    sessions: list[dict[str, Any]] = []

    def session(
        a: str, b: str, kind: InterviewType, start: datetime, state: str, prompts: list[str]
    ) -> dict[str, Any]:
        return {
            "id": new_id(),
            "community_id": community_id,
            "interview_type": kind.value,
            "interviewer_id": a,
            "candidate_id": b,
            "swap": True,
            "start": start,
            "minutes": 60,
            "state": state,
            "request_ids": [],
            "prompt_ids": prompts,
            "prompt_reasons": [],
            "confirmed_by": [a, b] if state == "confirmed" else [],
            "match_reasons": [],
            "sequence": 0,
            "created_at": start - timedelta(days=2),
        }

    for n in range(history):
        a, b = rng.sample(ids, 2)
        kind = TYPES[n % len(TYPES)]
        start = (NOW - year * rng.random()).replace(minute=0, second=0, microsecond=0)
        sessions.append(
            session(a, b, kind, start, "completed", rng.sample(prompt_ids[kind.value], 2))
        )
    for _ in range(max(1, members // 50)):  # next week's bookings: they make those members busy
        a, b = rng.sample(ids, 2)
        kind = rng.choice(TYPES)
        start = (NOW + timedelta(days=1 + 6 * rng.random())).replace(
            minute=0, second=0, microsecond=0
        )
        sessions.append(
            session(a, b, kind, start, "confirmed", rng.sample(prompt_ids[kind.value], 2))
        )
    open_rows = [
        {
            "id": new_id(),
            "community_id": community_id,
            "member_id": who,
            "interview_type": rng.choice(TYPES).value,
            "role": rng.choices([r for r, _ in ROLES], [w for _, w in ROLES])[0],
            "window_start": NOW,
            "window_end": NOW + timedelta(days=7),
            "created_at": NOW - timedelta(days=5) * rng.random(),
            "status": "open",
            "live": False,
            "times_left_out": 0,
            "priority": False,
            "session_id": None,
        }
        for who in rng.sample(ids, requests)
    ]
    return {"members": member_rows, "sessions": sessions, "requests": open_rows}


async def fill(
    app: App, community_id: str, members: int, history: int, requests: int, *, seed: int = 7
) -> dict[str, list[dict[str, Any]]]:
    """Insert a synthetic community's members, a year of sessions, next week's bookings and open requests."""
    prompt_ids = {t.value: [p.id for p in app.prompts.prompts(t)] for t in TYPES}
    rows = _community_rows(
        community_id, members, history, requests, prompt_ids, random.Random(seed)
    )
    async with app.db.engine.begin() as conn:
        await bulk_insert(conn, MemberRow, rows["members"])
        await bulk_insert(conn, SessionRow, rows["sessions"])
        await bulk_insert(conn, RequestRow, rows["requests"])
    return rows


async def _time_reads(app: App, community_id: str) -> float:
    """The round's reads before matching alone: open requests, their members, their pairing
    history (aggregated in the database), their upcoming sessions and their no-shows."""
    started = time.perf_counter()
    async with app.db.uow() as tx:
        open_requests = await tx.requests.list_open(community_id)
        member_ids = sorted({r.member_id for r in open_requests})
        await tx.members.get_many(member_ids)
        await tx.sessions.pairing_history(community_id, member_ids)
        await tx.sessions.active_for_members(member_ids)
        await tx.no_shows.for_members(member_ids)
    return time.perf_counter() - started


@asynccontextmanager
async def _database(server: str | None) -> AsyncIterator[str]:
    """A fresh, empty database for one measurement: a temporary SQLite file, or a database
    created for it on the PostgreSQL server of ``server`` (and dropped after)."""
    if server is None:
        with tempfile.TemporaryDirectory(prefix="peerloop-round-bench-") as tmp:
            yield sqlite_url_for(Path(tmp) / "bench.sqlite3")
        return
    url = make_url(server)
    name = f"peerloop_round_bench_{secrets.token_hex(4)}"
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def measure(
    members: int, history: int, requests: int, *, seed: int = 7, database: str | None = None
) -> dict[str, Any]:
    """Build one community of this size and time one matching round over it."""
    async with _database(database) as url:
        app = await build_app(url, clock=FakeClock(NOW))
        try:
            actor = await app.actors.resolve(
                Platform.CONSOLE, "bench", "Bench community", "owner", "Owner"
            )
            cid = actor.community.id
            started = time.perf_counter()
            rows = await fill(app, cid, members, history, requests, seed=seed)
            if database is not None:
                # A live PostgreSQL database has planner statistics (autovacuum analyses a
                # table within a minute of a large load); without them the planner filters
                # each IN list row by row and a pairing-history read takes seconds.
                async with app.db.engine.connect() as conn:
                    await conn.execute(text("ANALYZE"))
                    await conn.commit()
            insert_seconds = time.perf_counter() - started
            read_seconds = await _time_reads(app, cid)
            # The app starts its worker processes once, on its first round: started here, so
            # the round is timed as every round after the first runs.
            started = time.perf_counter()
            seen: set[int] = set()
            for attempt in range(5):  # until both are up (each task holds its worker a moment)
                seen |= set(await app.offload.map(ready, [0.2 * (attempt + 1)] * 2))
                if len(seen) == 2:
                    break
            workers = len(seen)
            pool_seconds = time.perf_counter() - started

            with counting_statements(app.db.engine) as statements:
                started = time.perf_counter()
                cpu = time.process_time()
                outcome = await app.matching.run_round(cid)
                round_seconds = time.perf_counter() - started
                loop_cpu_seconds = time.process_time() - cpu
        finally:
            await app.close()
    kinds = Counter(s.lstrip().split(None, 1)[0].upper() for s in statements if s.strip())
    pairs = len(outcome.sessions)
    return {
        "members": members + 1,  # plus the community's owner
        "history_sessions": history,
        "upcoming_sessions": len(rows["sessions"]) - history,
        "open_requests": len(rows["requests"]),
        "insert_seconds": round(insert_seconds, 2),
        "considered": outcome.considered,
        "pairs": pairs,
        "left_out": len(outcome.left_out),
        "read_seconds": round(read_seconds, 3),
        "round_seconds": round(round_seconds, 3),
        "main_process_cpu_seconds": round(loop_cpu_seconds, 3),
        "pool_start_seconds": round(pool_seconds, 3),
        "workers": workers,
        "statements": len(statements),
        "statement_kinds": dict(sorted(kinds.items())),
        "statements_per_pair": round(len(statements) / pairs, 3) if pairs else None,
        "seconds_per_pair": round(round_seconds / pairs, 5) if pairs else None,
        "target_seconds": target_seconds(database, requests),
    }


def target_seconds(database: str | None, requests: int) -> float | None:
    """A 10,000-request round booked end to end in at most 20 s on SQLite and 10 s on
    PostgreSQL (scaled to the round's size; no target below 1,000 requests)."""
    if requests < 1000:
        return None
    per_10k = 20.0 if database is None else 10.0
    return round(per_10k * requests / 10_000, 2)


async def run_bench(
    members: int, history: int, requests: int, *, seed: int = 7, database: str | None = None
) -> dict[str, Any]:
    small = await measure(
        max(10, members // 10), history // 10, max(2, requests // 10), seed=seed, database=database
    )
    large = await measure(members, history, requests, seed=seed, database=database)
    return {
        "database": "sqlite" if database is None else "postgresql",
        "now": NOW.isoformat(),
        "seed": seed,
        "sizes": [small, large],
    }


def _table(report: dict[str, Any]) -> str:
    db = "SQLite" if report["database"] == "sqlite" else "PostgreSQL"
    lines = [f"PeerLoop round benchmark ({db}): one matching round at {report['now']}", ""]
    lines.append(
        f"  {'members':>8} {'history':>9} {'requests':>9} {'considered':>10} {'pairs':>6} {'left out':>9} "
        f"{'reads':>8} {'round':>8} {'stmts':>6} {'stmt/pair':>9} {'per pair':>9}"
    )
    for s in report["sizes"]:
        per_pair = (
            f"{s['seconds_per_pair'] * 1000:>7.2f}ms"
            if s["seconds_per_pair"] is not None
            else f"{'-':>9}"
        )
        stmts = (
            f"{s['statements_per_pair']:>9.3f}"
            if s["statements_per_pair"] is not None
            else f"{'-':>9}"
        )
        lines.append(
            f"  {s['members']:>8,} {s['history_sessions']:>9,} {s['open_requests']:>9,} "
            f"{s['considered']:>10,} {s['pairs']:>6,} {s['left_out']:>9,} {s['read_seconds']:>7.2f}s "
            f"{s['round_seconds']:>7.2f}s {s['statements']:>6,} {stmts} {per_pair}"
        )
    large = report["sizes"][-1]
    kinds = ", ".join(f"{n:,} {k}" for k, n in large["statement_kinds"].items())
    if large["target_seconds"] is not None:
        met = "yes" if large["round_seconds"] <= large["target_seconds"] else "NO"
        lines += [
            "",
            f"  target: booked end to end in at most {large['target_seconds']:.1f} s "
            f"(20 s on SQLite, 10 s on PostgreSQL per 10,000 requests) -> {met}",
        ]
    lines += [
        "",
        f"  statements of the large round: {kinds}",
        f"  the app's worker processes (started before the round, as after a community's first round): "
        f"{large['workers']} in {large['pool_start_seconds']:.2f} s; CPU of the app's own process during the "
        f"round: {large['main_process_cpu_seconds']:.2f} s",
        "  reads: the round's reads before matching alone (requests, members, pairing history, upcoming "
        "sessions, no-shows), timed before the round",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="peerloop bench round",
        description="Measure one matching round of a large community on SQLite.",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON only")
    parser.add_argument(
        "--smoke", action="store_true", help="small numbers: finishes in a few seconds"
    )
    parser.add_argument(
        "--members", type=int, default=None, help="members of the large community (5,000)"
    )
    parser.add_argument(
        "--history", type=int, default=None, help="past completed sessions (100,000)"
    )
    parser.add_argument(
        "--requests", type=int, default=None, help="open requests, one per member (2,000)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic community (7)")
    parser.add_argument(
        "--database",
        default=None,
        metavar="URL",
        help="a PostgreSQL server (postgresql+asyncpg://user@host:port/db): each size gets a "
        "fresh database created there and dropped after; default: a temporary SQLite file",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.database is not None and not args.database.startswith("postgresql"):
        print("--database takes a PostgreSQL URL (postgresql+asyncpg://...).", file=sys.stderr)
        return 2
    members = args.members or (300 if args.smoke else 5_000)
    history = args.history if args.history is not None else (2_000 if args.smoke else 100_000)
    requests = args.requests or (120 if args.smoke else 2_000)
    if members < 10 or history < 0 or not 2 <= requests <= members:
        print(
            "--members must be at least 10, --history at least 0, and --requests between 2 and --members.",
            file=sys.stderr,
        )
        return 2
    report = asyncio.run(
        run_bench(members, history, requests, seed=args.seed, database=args.database)
    )
    print(json.dumps(report, indent=2) if args.json else _table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
