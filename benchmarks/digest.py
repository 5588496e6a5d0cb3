"""``peerloop bench digest``: build every weekly digest of a large community, count the queries.

1. Fill a temporary SQLite database with a synthetic community: ``--members`` members (10,000
   by default) in sixteen time zones, a year of swap sessions between random pairs and
   ``--feedback`` feedback rows (100,000; four per session: both parts, both roles), the
   requests behind the sessions, some no-shows and cancellations, and next week's bookings.
2. Build every personal digest (each at its member's own Monday 09:00) and the community
   digest for one week with :meth:`DigestService.compute_week`, render every message, and
   count the SQL statements sent to the database meanwhile; ``--repeat N`` (3) times, showing
   the best and the median. Target: linear, 1 s per 10,000 members.
3. Run every digest step of that week as the step runner runs them (one per time-zone slot,
   the chart drawers set as ``peerloop run`` sets them), which queues the messages in the
   outbox: time it, and report the rows' size. The pictures are not drawn here: each row
   carries what to draw, and the delivery worker draws it (``--draw N`` times N of those
   draws, in the app's worker process, as delivery does).
4. Do the same for a community a tenth of the size: the query count is the same.

``--smoke`` uses small numbers; ``--json`` prints JSON only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.support import MEMBER_ZONES, bulk_insert, counting_statements
from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.digest import IsoWeek
from bot.core.messages import PictureRef
from bot.core.models import ActionKind, ActionStatus, Platform
from bot.core.services.actor import new_id
from bot.core.vocab import InterviewType
from bot.settings import sqlite_url_for
from bot.storage.feedback_tables import FeedbackRow
from bot.storage.tables import MemberRow, OutboxRow, RequestRow, SessionRow

#: Every digest of a week, per 10,000 members (best of the runs).
SECONDS_PER_10K = 1.0
#: Monday 7 December 2026 is the digest day of the measured week; the data ends just before.
WEEK = IsoWeek(2026, 50)
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
#: The members' zones, and members who never set one.
ZONES: tuple[str | None, ...] = (*MEMBER_ZONES, None)
OUTBOX = OutboxRow.__table__  # type: ignore[attr-defined]
TYPES = (InterviewType.CODING, InterviewType.SYSTEM_DESIGN, InterviewType.BEHAVIORAL)


def _community_rows(
    community_id: str, members: int, feedback: int, dims: dict[str, list[str]], rng: random.Random
) -> dict[str, list[dict[str, Any]]]:
    member_rows = [
        {
            "id": f"m{i:06d}{community_id[:8]}",
            "community_id": community_id,
            "platform": Platform.CONSOLE.value,
            "external_id": f"member-{i}",
            "display_name": f"Member {i}",
            "timezone": ZONES[i % len(ZONES)],
            "track": "backend",
            "level": "mid",
            "interview_types": [t.value for t in TYPES],
            "languages": [],
            "availability": None,
            "blackouts": [],
            "blocked": [],
            "digest_opt_out": i % 20 == 0,
            "digest_nudge": i % 3 != 0,
            "is_admin": i == 0,
            "created_at": NOW - timedelta(days=400),
        }
        for i in range(members)
    ]
    ids = [r["id"] for r in member_rows]
    sessions: list[dict[str, Any]] = []
    fb_rows: list[dict[str, Any]] = []
    requests: list[dict[str, Any]] = []
    year = timedelta(days=365)
    n = 0
    while len(fb_rows) < feedback:
        n += 1
        a, b = rng.sample(ids, 2)
        kind = TYPES[n % len(TYPES)]
        start = NOW - year * rng.random()
        roll = rng.random()
        state = "no_show" if roll < 0.03 else "cancelled" if roll < 0.06 else "completed"
        sid = new_id()
        sessions.append(
            {
                "id": sid,
                "community_id": community_id,
                "interview_type": kind.value,
                "interviewer_id": a,
                "candidate_id": b,
                "swap": True,
                "start": start,
                "minutes": 60,
                "state": state,
                "request_ids": [],
                "prompt_ids": [],
                "prompt_reasons": [],
                "confirmed_by": [],
                "match_reasons": [],
                "sequence": 0,
                "created_at": start - timedelta(days=2),
            }
        )
        for who in (a, b):
            requests.append(
                {
                    "id": new_id(),
                    "community_id": community_id,
                    "member_id": who,
                    "interview_type": kind.value,
                    "role": "swap",
                    "window_start": start - timedelta(days=2),
                    "window_end": start + timedelta(days=5),
                    "created_at": start - timedelta(days=2),
                    "status": "matched",
                    "live": False,
                    "times_left_out": 0,
                    "priority": False,
                    "session_id": sid,
                }
            )
        if state != "completed":
            continue
        for part, (iv, cand) in ((1, (a, b)), (2, (b, a))):
            submitted = start + timedelta(hours=2)
            revealed = submitted + timedelta(hours=1) if NOW - start > timedelta(days=3) else None
            for author, subject, role in ((iv, cand, "interviewer"), (cand, iv, "candidate")):
                fb_rows.append(
                    {
                        "id": new_id(),
                        "session_id": sid,
                        "part": part,
                        "author_id": author,
                        "subject_id": subject,
                        "role": role,
                        "scores": {d: rng.randint(1, 4) for d in dims[kind.value]},
                        "verdict": "lean-yes",
                        "help_needed": None,
                        "strengths": "Clear structure.",
                        "improvements": "More tests.",
                        "admin_note": None,
                        "interviewer_ratings": {},
                        "prompt_quality": None,
                        "submitted_at": submitted,
                        "updated_at": submitted,
                        "revealed_at": revealed,
                    }
                )
    # Next week's bookings and a few requests still open or expired.
    for a in rng.sample(
        ids, max(1, members // 20)
    ):  # distinct: one open request per member and type
        b = rng.choice(
            [m for m in (rng.choice(ids), rng.choice(ids)) if m != a]
            or [ids[0] if a != ids[0] else ids[1]]
        )
        start = NOW + timedelta(days=1 + 6 * rng.random())
        sessions.append(
            {
                "id": new_id(),
                "community_id": community_id,
                "interview_type": TYPES[0].value,
                "interviewer_id": a,
                "candidate_id": b,
                "swap": True,
                "start": start,
                "minutes": 60,
                "state": "confirmed",
                "request_ids": [],
                "prompt_ids": [],
                "prompt_reasons": [],
                "confirmed_by": [],
                "match_reasons": [],
                "sequence": 0,
                "created_at": NOW,
            }
        )
        requests.append(
            {
                "id": new_id(),
                "community_id": community_id,
                "member_id": a,
                "interview_type": TYPES[1].value,
                "role": "candidate",
                "window_start": NOW - timedelta(days=3),
                "window_end": NOW + timedelta(days=4),
                "created_at": NOW - timedelta(days=3),
                "status": rng.choice(["open", "expired"]),
                "live": False,
                "times_left_out": 0,
                "priority": False,
                "session_id": None,
            }
        )
    return {"members": member_rows, "sessions": sessions, "feedback": fb_rows, "requests": requests}


async def fill(
    app: App, community_id: str, members: int, feedback: int, *, seed: int = 7
) -> dict[str, list[dict[str, Any]]]:
    """Insert a synthetic community's members, a year of sessions, their feedback and requests."""
    dims = {t.value: [d.id for d in app.prompts.rubric_for_type(t).dimensions] for t in TYPES}
    rows = _community_rows(community_id, members, feedback, dims, random.Random(seed))
    async with app.db.engine.begin() as conn:
        await bulk_insert(conn, MemberRow, rows["members"])
        await bulk_insert(conn, SessionRow, rows["sessions"])
        await bulk_insert(conn, FeedbackRow, rows["feedback"])
        await bulk_insert(conn, RequestRow, rows["requests"])
    return rows


async def queue_week(app: App, community_id: str, draw: int) -> dict[str, Any]:
    """Run the week's digest steps as the step runner does; the outbox they filled; and
    ``draw`` of its pictures drawn as the delivery worker draws them."""
    assert app.digests is not None
    clock = app.clock
    assert isinstance(clock, FakeClock)
    async with app.db.uow() as tx:
        community = await tx.communities.get(community_id)
    assert community is not None
    await app.digests.ensure_planned(community)
    async with app.db.uow() as tx:
        steps = sorted(
            (a.due_at, a.id)
            for a in await tx.actions.by_kind(ActionKind.DIGEST)
            if a.status is ActionStatus.PENDING and WEEK.label in a.key
        )
    drawers = app.digests.changes_chart, app.digests.funnel_chart
    drawn_while_queueing = 0

    def counted(draw: Any) -> Any:
        def drawing(*args: Any) -> bytes:
            nonlocal drawn_while_queueing
            drawn_while_queueing += 1
            return bytes(draw(*args))

        return drawing

    app.digests.changes_chart, app.digests.funnel_chart = (
        counted(d) if d else None for d in drawers
    )
    started = time.perf_counter()
    for due, step_id in steps:
        clock.set(due)
        await app.steps.run_one(step_id)
    queue_seconds = time.perf_counter() - started
    app.digests.changes_chart, app.digests.funnel_chart = drawers
    async with app.db.engine.connect() as conn:
        count = await conn.scalar(select(func.count()).select_from(OUTBOX))
        messages: list[dict[str, Any]] = [
            m for (m,) in (await conn.execute(select(OUTBOX.c.message))).all()
        ]
    sizes = [len(json.dumps(m)) for m in messages]
    refs = [PictureRef(kind, data) for m in messages for kind, data in m.get("pictures", ())]
    draw_ms = []
    for ref in refs[:draw]:
        started = time.perf_counter()
        picture = await app.digests.draw(ref)
        draw_ms.append((time.perf_counter() - started) * 1000)
        assert picture is not None and picture.data.startswith(b"\x89PNG")
    draw_ms.sort()
    return {
        "steps": len(steps),
        "queue_seconds": round(queue_seconds, 3),
        "queued": int(count or 0),
        "drawn_while_queueing": drawn_while_queueing,
        "outbox_kib": round(sum(sizes) / 1024, 1),
        "largest_row_bytes": max(sizes, default=0),
        "with_picture_refs": sum(1 for m in messages if m.get("pictures")),
        "with_picture_bytes": sum(1 for m in messages if m.get("attachments")),
        "drawn_at_delivery": len(draw_ms),
        "draw_ms_best": round(draw_ms[0], 1) if draw_ms else None,
        "draw_ms_median": round(draw_ms[len(draw_ms) // 2], 1) if draw_ms else None,
    }


async def measure(
    members: int, feedback: int, *, seed: int = 7, repeat: int = 1, draw: int = 0
) -> dict[str, Any]:
    """Build one community of this size and time the computation of every digest of a week
    ``repeat`` times (the best and the median are reported; the queries of the first run),
    then queue the week's digests as the step runner does (:func:`queue_week`)."""
    with tempfile.TemporaryDirectory(prefix="peerloop-digest-bench-") as tmp:
        app = await build_app(sqlite_url_for(Path(tmp) / "bench.sqlite3"), clock=FakeClock(NOW))
        try:
            assert app.digests is not None
            actor = await app.actors.resolve(
                Platform.CONSOLE, "bench", "Bench community", "owner", "Owner"
            )
            cid = actor.community.id
            started = time.perf_counter()
            rows = await fill(app, cid, members, feedback, seed=seed)
            insert_seconds = time.perf_counter() - started

            runs: list[tuple[float, float]] = []
            queries = 0
            for run in range(max(1, repeat)):
                with counting_statements(app.db.engine) as statements:
                    started = time.perf_counter()
                    week = await app.digests.compute_week(cid, WEEK)
                    compute_seconds = time.perf_counter() - started
                if run == 0:
                    queries = len(statements)
                started = time.perf_counter()
                sent = len(app.digests.messages(week))
                runs.append((compute_seconds, time.perf_counter() - started))
            queued = await queue_week(app, cid, draw)
        finally:
            await app.close()
    totals = [c + r for c, r in runs]
    best = min(range(len(runs)), key=lambda k: totals[k])
    compute_seconds, render_seconds = runs[best]
    total = totals[best]
    return {
        "members": members + 1,
        "feedback_rows": len(rows["feedback"]),
        "sessions": len(rows["sessions"]),
        "insert_seconds": round(insert_seconds, 2),
        "personal_digests": len(week.personal),
        "messages": sent,
        "quiet": sum(1 for d in week.personal if d.quiet),
        "slots": week.slots,
        "compute_seconds": round(compute_seconds, 3),
        "render_seconds": round(render_seconds, 3),
        "total_seconds": round(total, 3),
        "runs_seconds": [round(t, 3) for t in totals],
        "median_seconds": round(statistics.median(totals), 3),
        "target_seconds": round(target_seconds(members + 1), 3),
        "queries": queries,
        "queue": queued,
        "community": {
            "requested": week.community.requested,
            "matched": week.community.matched,
            "held": week.community.held,
            "no_shows": week.community.no_shows,
            "feedback_rate": week.community.feedback_rate,
        },
    }


def target_seconds(members: int) -> float:
    """Linear in members: :data:`SECONDS_PER_10K` for every 10,000 (10,000 in under 1 s, 20,000
    in under 2 s)."""
    return SECONDS_PER_10K * members / 10_000


async def run_bench(members: int, feedback: int, repeat: int = 1, draw: int = 20) -> dict[str, Any]:
    small = await measure(max(10, members // 10), max(40, feedback // 10), repeat=repeat)
    large = await measure(members, feedback, repeat=repeat, draw=draw)
    return {
        "database": "sqlite",
        "week": WEEK.label,
        "repeat": repeat,
        "target_seconds": large["target_seconds"],
        "sizes": [small, large],
        "queries_constant": small["queries"] == large["queries"],
        "within_target": large["total_seconds"] < large["target_seconds"],
    }


def _table(report: dict[str, Any]) -> str:
    lines = [f"PeerLoop digest benchmark (SQLite): every digest of week {report['week']}", ""]
    head = (
        f"  {'members':>8} {'feedback':>9} {'sessions':>9} {'digests':>8} {'slots':>6} "
        f"{'compute':>9} {'render':>8} {'total':>8} {'median':>8} {'queries':>8}"
    )
    lines.append(head)
    for s in report["sizes"]:
        lines.append(
            f"  {s['members']:>8,} {s['feedback_rows']:>9,} {s['sessions']:>9,} {s['personal_digests']:>8,} "
            f"{s['slots']:>6} {s['compute_seconds']:>8.2f}s {s['render_seconds']:>7.2f}s "
            f"{s['total_seconds']:>7.2f}s {s['median_seconds']:>7.2f}s {s['queries']:>8}"
        )
    large = report["sizes"][-1]
    q = large["queue"]
    lines += [
        "",
        f"  best of {report['repeat']} run(s) each; median next to it",
        f"  target: every digest of {large['members']:,} members in under {report['target_seconds']:.2f} s "
        f"(1 s per 10,000 members) -> {'yes' if report['within_target'] else 'NO'} "
        f"(best {large['total_seconds']:.2f} s, median {large['median_seconds']:.2f} s)",
        f"  queries the same at both sizes -> {'yes' if report['queries_constant'] else 'NO'}",
        f"  messages to send {large['messages']:,} (quiet weeks: {large['quiet']:,}, of which those who "
        "chose nothing get none)",
        f"  queued as the step runner runs them: {q['steps']} steps in {q['queue_seconds']:.2f} s -> "
        f"{q['queued']:,} outbox rows, {q['outbox_kib']:,.0f} KiB (largest {q['largest_row_bytes']:,} bytes); "
        f"{q['with_picture_refs']:,} carry a picture to draw, {q['with_picture_bytes']:,} carry picture bytes, "
        f"{q['drawn_while_queueing']} pictures drawn by the steps",
        f"  drawn at delivery (worker process): {q['drawn_at_delivery']} pictures, best "
        + (
            f"{q['draw_ms_best']:.0f} ms, median {q['draw_ms_median']:.0f} ms each"
            if q["drawn_at_delivery"]
            else "- (none)"
        ),
        f"  community week: {large['community']['requested']:,} requests ({large['community']['matched']:,} of them "
        f"matched), {large['community']['held']:,} sessions held, {large['community']['no_shows']:,} no-shows",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="peerloop bench digest", description="Measure the weekly digests."
    )
    parser.add_argument("target", nargs="?", default="digest", choices=["digest"])
    parser.add_argument("--json", action="store_true", help="print the results as JSON only")
    parser.add_argument(
        "--smoke", action="store_true", help="small numbers: finishes in a few seconds"
    )
    parser.add_argument(
        "--members", type=int, default=None, help="members of the large community (10,000)"
    )
    parser.add_argument(
        "--feedback", type=int, default=None, help="feedback rows of the large community (100,000)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="time each size this many times: the best and the median are shown (3)",
    )
    parser.add_argument(
        "--draw", type=int, default=None, help="queued pictures drawn as delivery draws them (20)"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.repeat < 1:
        print("--repeat must be at least 1.", file=sys.stderr)
        return 2
    members = args.members or (300 if args.smoke else 10_000)
    feedback = args.feedback or (2_000 if args.smoke else 100_000)
    if members < 10 or feedback < 40:
        print("--members must be at least 10 and --feedback at least 40.", file=sys.stderr)
        return 2
    draw = args.draw if args.draw is not None else (3 if args.smoke else 20)
    report = asyncio.run(run_bench(members, feedback, args.repeat, draw))
    print(json.dumps(report, indent=2) if args.json else _table(report))
    return 0 if report["queries_constant"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
