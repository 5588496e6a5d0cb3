"""What a matching round reads and writes, on SQLite and PostgreSQL.

Reads: its members' past sessions, aggregated in the database. The reference is the plain
computation over every session of the community (what a round did before the aggregates
existed); the aggregates must agree with it exactly. Writes: a session's steps in one
statement, a request saved with one statement.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import App
from bot.core.models import (
    ActionKind,
    InterviewRequest,
    Platform,
    RequestStatus,
    ScheduledAction,
    Session,
    SessionState,
)
from bot.core.services.matching import parts_played
from bot.core.vocab import InterviewType, RolePreference
from bot.storage import queries
from tests.conftest import make_actor

T0 = datetime(2026, 6, 1, 18, tzinfo=UTC)
STATES = (
    SessionState.COMPLETED,
    SessionState.COMPLETED,
    SessionState.CANCELLED,
    SessionState.NO_SHOW,
    SessionState.CONFIRMED,
)


def _reference(
    sessions: list[Session], members: set[str]
) -> tuple[dict[frozenset[str], datetime], dict[str, int], dict[str, int]]:
    last: dict[frozenset[str], datetime] = {}
    given: dict[str, int] = {}
    taken: dict[str, int] = {}
    for s in sessions:
        if s.state is not SessionState.COMPLETED:
            continue
        if set(s.member_ids) <= members:
            key = frozenset(s.member_ids)
            last[key] = max(last.get(key, s.start), s.start)
        for mid in s.member_ids:
            if mid in members:
                g, t = parts_played(s, mid)
                given[mid] = given.get(mid, 0) + g
                taken[mid] = taken.get(mid, 0) + t
    return last, {k: v for k, v in given.items() if v}, {k: v for k, v in taken.items() if v}


def _seen_reference(
    sessions: list[Session], members: set[str], *, as_interviewer: bool = False
) -> dict[str, dict[str, datetime]]:
    seen: dict[str, dict[str, datetime]] = {}
    for s in sessions:
        for part, pid in enumerate(s.prompt_ids):
            cand = s.candidate_id if (part == 0) != as_interviewer else s.interviewer_id
            if cand in members:
                mine = seen.setdefault(cand, {})
                mine[pid] = max(mine.get(pid, s.start), s.start)
    return seen


@pytest.mark.parametrize(("chunk", "whole"), [(2000, False), (2, False), (2000, True)])
async def test_round_history_aggregates_equal_the_plain_computation(
    app: App, monkeypatch: pytest.MonkeyPatch, chunk: int, whole: bool
) -> None:
    monkeypatch.setattr(queries, "IN_CHUNK", chunk)  # 2: every query runs in several chunks
    # whole: the prompt history reads the community's sessions once (a large round's way)
    monkeypatch.setattr("bot.storage.session_repo.WHOLE_COMMUNITY_READ", 1 if whole else 1000)
    actors = [await make_actor(app, f"member{i}") for i in range(7)]
    ids = [a.member.id for a in actors]
    cid = actors[0].community.id
    other = await app.actors.resolve(
        actors[0].community.platform, "elsewhere", "Elsewhere", "zed", "Zed"
    )
    rng = random.Random(5)
    async with app.db.uow() as tx:
        for n in range(60):
            a, b = rng.sample(ids, 2)
            swap = rng.random() < 0.6
            await tx.sessions.add(
                Session(
                    id=f"s{n:03d}",
                    community_id=cid,
                    interview_type=InterviewType.CODING,
                    interviewer_id=a,
                    candidate_id=b,
                    swap=swap,
                    start=T0 + timedelta(hours=n * 7),
                    minutes=60,
                    state=STATES[n % len(STATES)],
                    prompt_ids=(f"p{n % 9}", f"p{(n + 4) % 9}") if swap else (f"p{n % 9}",),
                )
            )
        # Another community's session between the same members never counts.
        await tx.sessions.add(
            Session(
                id="elsewhere",
                community_id=other.community.id,
                interview_type=InterviewType.CODING,
                interviewer_id=ids[0],
                candidate_id=ids[1],
                swap=True,
                start=T0 + timedelta(days=400),
                minutes=60,
                state=SessionState.COMPLETED,
                prompt_ids=("p0", "p1"),
            )
        )
    round_members = set(ids[:5])  # two members are not in this round
    async with app.db.uow() as tx:
        everything = await tx.sessions.for_community(cid)
        past = await tx.sessions.pairing_history(cid, sorted(round_members))
        seen = await tx.sessions.prompts_seen(cid, sorted(round_members))
        both = await tx.sessions.prompt_history(cid, sorted(round_members))
    last, given, taken = _reference(everything, round_members)
    assert both.as_candidate == seen
    assert both.as_interviewer == _seen_reference(everything, round_members, as_interviewer=True)
    assert set(both.as_interviewer) <= round_members and len(both.as_interviewer) == len(
        round_members
    )
    assert past.last_met == last
    assert past.given == given and past.taken == taken
    assert seen == _seen_reference(everything, round_members)
    # The data really exercises each case the aggregates distinguish.
    assert last and any(not s.swap and s.state is SessionState.COMPLETED for s in everything)
    assert all(key <= round_members for key in past.last_met)
    assert set(seen) <= round_members and len(seen) == len(round_members)


async def test_round_history_of_nobody_is_empty(app: App) -> None:
    actor = await make_actor(app, "solo")
    async with app.db.uow() as tx:
        past = await tx.sessions.pairing_history(actor.community.id, [actor.member.id])
        seen = await tx.sessions.prompts_seen(actor.community.id, [actor.member.id])
    assert (past.last_met, past.given, past.taken, seen) == ({}, {}, {}, {})


async def test_steps_are_added_in_one_statement_and_existing_keys_are_kept(app: App) -> None:
    actor = await make_actor(app, "stepper")
    cid = actor.community.id

    def step(key: str, minutes: int) -> ScheduledAction:
        return ScheduledAction(
            id=f"id-{key}-{minutes}",
            key=key,
            kind=ActionKind.REMINDER,
            community_id=cid,
            due_at=T0 + timedelta(minutes=minutes),
            payload={"minutes": minutes},
        )

    async with app.db.uow() as tx:
        assert await tx.actions.add(step("a", 1))
    async with app.db.uow() as tx:
        assert await tx.actions.add_many([step("a", 2), step("b", 3), step("c", 4)]) == 2
        assert await tx.actions.add_many([]) == 0
    async with app.db.uow() as tx:
        pending = dict(await tx.actions.pending())
        kept = await tx.actions.get("id-a-1")
    assert set(pending) == {"id-a-1", "id-b-3", "id-c-4"}  # "a" kept its first version
    assert (
        kept is not None
        and kept.payload == {"minutes": 1}
        and pending["id-c-4"] == T0 + timedelta(minutes=4)
    )


async def test_saving_a_request_updates_it_or_inserts_it(app: App) -> None:
    actor = await make_actor(app, "asker")
    request = InterviewRequest(
        id="req-1",
        community_id=actor.community.id,
        member_id=actor.member.id,
        interview_type=InterviewType.CODING,
        role=RolePreference.SWAP,
        window_start=T0,
        window_end=T0 + timedelta(days=7),
        created_at=T0,
    )
    async with app.db.uow() as tx:
        await tx.requests.save(request)  # not there yet: inserted
    async with app.db.uow() as tx:
        await tx.requests.save(
            InterviewRequest(
                **{
                    **request.__dict__,
                    "status": RequestStatus.MATCHED,
                    "session_id": "s-1",
                    "times_left_out": 2,
                }
            )
        )
    async with app.db.uow() as tx:
        stored = await tx.requests.get("req-1")
    assert stored is not None
    assert (stored.status, stored.session_id, stored.times_left_out) == (
        RequestStatus.MATCHED,
        "s-1",
        2,
    )
    assert stored.window_end == request.window_end


async def test_interviewer_rating_totals_equal_the_plain_computation(app: App) -> None:
    """One grouped query per round: per interviewer, the revealed candidate ratings of the
    community (items read from JSON in the database), equal to summing the rows in Python."""
    from bot.core.feedback_models import Feedback, FeedbackRole
    from bot.core.ratings import RatingTotals

    rng = random.Random(5)
    actors = [await make_actor(app, f"r{i}") for i in range(6)]
    other = await app.actors.resolve(Platform.CONSOLE, "elsewhere", "Elsewhere", "r0", "R0")
    cid = actors[0].community.id
    rows: list[Feedback] = []
    async with app.db.uow() as tx:
        for n in range(40):
            a, b = rng.sample(actors, 2)
            elsewhere = n % 13 == 0
            session = Session(
                id=f"s{n:03d}",
                community_id=other.community.id if elsewhere else cid,
                interview_type=InterviewType.CODING,
                interviewer_id=(other if elsewhere else a).member.id,
                candidate_id=b.member.id,
                swap=False,
                start=T0 - timedelta(days=n),
                minutes=60,
                state=SessionState.COMPLETED,
                prompt_ids=("p",),
            )
            await tx.sessions.add(session)
            items = {
                k: rng.randint(1, 4)
                for k in ("preparation", "usefulness", "again")
                if rng.random() > 0.15
            }
            role = FeedbackRole.INTERVIEWER if n % 7 == 0 else FeedbackRole.CANDIDATE
            fb = Feedback(
                id=f"f{n:03d}",
                session_id=session.id,
                part=1,
                author_id=b.member.id,
                subject_id=session.interviewer_id,
                role=role,
                scores={"approach": 2},
                submitted_at=session.start,
                updated_at=session.start,
                revealed_at=None if n % 5 == 0 else session.start,
                interviewer_ratings=items,
            )
            await tx.feedback.save(fb)
            if not elsewhere:
                rows.append(fb)
    async with app.db.uow() as tx:
        totals = await tx.feedback.interviewer_rating_totals(cid)
    expected: dict[str, RatingTotals] = {}
    for fb in rows:
        if (
            fb.role is not FeedbackRole.CANDIDATE
            or fb.revealed_at is None
            or not fb.interviewer_ratings
        ):
            continue
        old = expected.get(fb.subject_id, RatingTotals(0, 0, 0.0))
        expected[fb.subject_id] = RatingTotals(
            old.ratings + 1,
            old.items + len(fb.interviewer_ratings),
            old.total + sum(fb.interviewer_ratings.values()),
        )
    assert totals == expected
    assert len(expected) >= 4  # the data exercises several interviewers
