"""The live-session query packs use to guard prompts still needed (not the community's whole history)."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.core.models import Session, SessionState
from bot.core.vocab import InterviewType
from tests.conftest import T0, make_actor


async def test_live_sessions_are_those_not_ended_plus_recently_completed(app: App) -> None:
    ann = await make_actor(app, "ann")
    ben = await make_actor(app, "ben")
    other = await app.actors.resolve(ann.community.platform, "elsewhere", "Elsewhere", "cid", "Cid")
    dan = await app.actors.resolve(ann.community.platform, "elsewhere", "Elsewhere", "dan", "Dan")
    cid = ann.community.id

    def session(
        sid: str,
        state: SessionState,
        start_days: float,
        community: str = cid,
        pair: tuple[str, str] = (ann.member.id, ben.member.id),
    ) -> Session:
        return Session(
            id=sid,
            community_id=community,
            interview_type=InterviewType.CODING,
            interviewer_id=pair[0],
            candidate_id=pair[1],
            swap=True,
            start=T0 + timedelta(days=start_days),
            minutes=60,
            state=state,
        )

    sessions = [
        session("proposed", SessionState.PROPOSED, 2),
        session("confirmed", SessionState.CONFIRMED, 1),
        session("running", SessionState.IN_PROGRESS, 0),
        session("done-recent", SessionState.COMPLETED, -1),
        session("done-old", SessionState.COMPLETED, -30),
        session("cancelled", SessionState.CANCELLED, 1),
        session("no-show", SessionState.NO_SHOW, -1),
        session(
            "other-community",
            SessionState.CONFIRMED,
            1,
            other.community.id,
            (other.member.id, dan.member.id),
        ),
    ]
    async with app.db.uow() as tx:
        for s in sessions:
            await tx.sessions.add(s)
    async with app.db.uow() as tx:
        live = await tx.sessions.live_for_community(cid, T0 - timedelta(days=5))
    assert [s.id for s in live] == ["done-recent", "running", "confirmed", "proposed"]
