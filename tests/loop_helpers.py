"""Helpers for mock loop tests: run a loop's rounds through the ordinary matching rounds and
session steps on the test clock, with every feedback form submitted."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.models import Session, SessionState
from bot.core.services.actor import Actor
from bot.core.vocab import InterviewType
from tests.feedback_helpers import fill


async def submit_all(
    app: App, session: Session, actors: dict[str, Actor], verdicts: dict[str, str]
) -> None:
    """Every form of ``session``; the interviewer's verdict about member ``m`` is
    ``verdicts[m]`` (else lean-yes)."""
    parts = [(1, session.interviewer_id, session.candidate_id)]
    if session.swap:
        parts.append((2, session.candidate_id, session.interviewer_id))
    for part, interviewer, candidate in parts:
        for author, role in ((interviewer, "interviewer"), (candidate, "candidate")):
            actor = actors[author]
            opened = await app.router.act(actor, f"pl:feedback.open:{session.id}:{part}:{role}")
            assert opened.form is not None, opened.text
            values = fill(opened.form)
            if role == "interviewer":
                values["verdict"] = verdicts.get(candidate, "lean-yes")
            done = await app.router.act(actor, opened.form.action, values)
            assert "Thanks" in done.text or "Updated" in done.text, done.text


async def run_rounds(
    app: App,
    clock: FakeClock,
    community_id: str,
    actors: dict[str, Actor],
    verdicts: dict[InterviewType, str],
    loop_member: str,
    *,
    rounds: int,
    step: timedelta = timedelta(hours=6),
    days: int = 15,
) -> list[Session]:
    """Run matching rounds every ``step`` until ``rounds`` sessions of ``loop_member`` were
    held, each followed by its session steps and every feedback form (the loop member's verdict
    per type from ``verdicts``)."""
    held: list[Session] = []
    pending: list[Session] = []
    for _ in range(int(timedelta(days=days) / step)):
        await app.matching.run_round(community_id)
        await app.tick()  # scheduled rounds run too
        async with app.db.uow() as tx:
            booked = await tx.sessions.for_community(community_id)
        seen = {s.id for s in (*held, *pending)}
        pending += [s for s in booked if loop_member in s.member_ids and s.id not in seen]
        clock.advance(step)
        await app.tick()
        for session in [
            s for s in pending if s.start + timedelta(minutes=s.minutes + 5) <= clock.now()
        ]:
            pending.remove(session)
            async with app.db.uow() as tx:
                now = await tx.sessions.get(session.id)
            assert now is not None and now.state is SessionState.COMPLETED, now
            await submit_all(
                app, now, actors, {loop_member: verdicts.get(now.interview_type, "lean-yes")}
            )
            await app.tick()
            held.append(now)
        if len(held) >= rounds:
            break
    return held


async def actors_of(app: App, community_id: str) -> dict[str, Actor]:
    """Every member of the community as an actor (for the feedback forms), by member id."""
    async with app.db.uow() as tx:
        community = await tx.communities.get(community_id)
        members = await tx.members.list(community_id)
    assert community is not None
    return {m.id: Actor(community, m) for m in members}


async def loop_member_id(app: App, community_id: str, external_id: str) -> str:
    """The member id of a platform user."""
    async with app.db.uow() as tx:
        member = await tx.members.find(community_id, external_id)
    assert member is not None
    return member.id
