"""The feedback table: migration matches the models, round trips, uniqueness, cascades."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.core.feedback_models import Feedback, FeedbackRole
from tests.conftest import T0, make_actor, schema_drift
from tests.feedback_helpers import finished_session


async def test_migration_creates_the_feedback_table_as_modelled(app: App) -> None:
    assert await schema_drift(app, "feedback") == []


async def test_feedback_round_trip_upsert_and_cascade(app: App) -> None:
    alice = await make_actor(app, "alice")
    bob = await make_actor(app, "bob")
    session = await finished_session(app, alice, bob, start=T0)
    fb = Feedback(
        id="f1",
        session_id=session.id,
        part=1,
        author_id=alice.member.id,
        subject_id=bob.member.id,
        role=FeedbackRole.INTERVIEWER,
        scores={"communication": 3},
        submitted_at=T0,
        updated_at=T0,
        verdict="lean-yes",
        strengths="clear",
        improvements="tests",
    )
    async with app.db.uow() as tx:
        await tx.feedback.save(fb)
    async with app.db.uow() as tx:
        await tx.feedback.save(
            fb.with_changes(id="other", strengths="very clear", updated_at=T0 + timedelta(hours=1))
        )
    async with app.db.uow() as tx:
        rows = await tx.feedback.for_session(session.id)
        got = await tx.feedback.get(session.id, 1, alice.member.id, FeedbackRole.INTERVIEWER)
        assert await tx.feedback.get(session.id, 1, alice.member.id, FeedbackRole.CANDIDATE) is None
        await tx.feedback.mark_revealed(["f1"], T0 + timedelta(hours=2))
    assert len(rows) == 1 and got is not None
    assert got.id == "f1" and got.strengths == "very clear" and got.scores == {"communication": 3}
    assert got.interview_type == "coding" and got.community_id == alice.community.id
    async with app.db.uow() as tx:
        assert (await tx.feedback.for_member(bob.member.id))[0].revealed_at == T0 + timedelta(
            hours=2
        )
        assert len(await tx.feedback.for_community(alice.community.id)) == 1
        await tx.members.delete(bob.member.id)
    async with app.db.uow() as tx:
        assert await tx.feedback.for_session(session.id) == []
