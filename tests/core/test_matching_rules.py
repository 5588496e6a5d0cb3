"""The core's side of matching: the admins' pause, the texts members read about a round,
candidates' ratings of interviewers, and which prompts a member may be given."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.errors import Conflict
from bot.core.feedback_models import Feedback, FeedbackRole
from bot.core.messages import TIME_TOKEN, OutboundMessage, Tone
from bot.core.models import Session, SessionState
from bot.core.ratings import RatingTotals, community_mean, match_value, smoothed
from bot.core.services.actor import Actor, new_id
from bot.core.vocab import InterviewType
from tests.conftest import T0, make_actor, ready_member
from tests.fakes.fake_chat import FakeChat
from tests.feedback_helpers import finished_session


@pytest.fixture
def app(chat_app: App) -> App:
    """These tests run on SQLite with a recording chat (``chat``)."""
    return chat_app


async def pause(app: App, paused: bool = True) -> None:
    async with app.db.uow() as tx:
        community = await tx.communities.get((await make_actor(app, "admin")).community.id)
        assert community is not None
        await tx.communities.save_settings(community.id, replace(community.settings, paused=paused))


def texts(message: OutboundMessage) -> list[str]:
    return [message.title or "", message.text, *(f"{f.name} {f.value}" for f in message.fields)]


# -- the admins' pause ----------------------------------------------------------------------


async def test_paused_matching_opens_no_request_on_any_path(app: App) -> None:
    alice = await ready_member(app, "alice")
    bob = await ready_member(app, "bob")
    await pause(app)
    for who, command in ((alice, "now"), (bob, "schedule")):
        reply = await app.router.run(who, command, {"type": "coding"})
        assert reply.tone is Tone.ERROR and "paused" in reply.text, command
    with pytest.raises(Conflict):
        await app.matching.now(alice, InterviewType.CODING)
    async with app.db.uow() as tx:
        assert await tx.requests.list_open(alice.community.id) == []
    # Resumed: the same paths work again.
    await pause(app, False)
    assert (await app.router.run(bob, "schedule", {"type": "coding"})).tone is Tone.SUCCESS
    assert "paused" not in (await app.router.run(alice, "now", {"type": "coding"})).text


# -- what members read about a round ----------------------------------------------------------

CLOCK_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")


def assert_no_literal_time(text: str) -> None:
    plain = TIME_TOKEN.sub("", text)
    assert "UTC" not in plain, text
    assert not CLOCK_TIME.search(plain), text


async def test_round_texts_show_times_only_as_tokens(
    app: App, chat: FakeChat, clock: FakeClock
) -> None:
    # Carol shares no time with anyone (left out, told why and when next); Alice and Bob pair.
    alice = await ready_member(app, "alice", availability="daily 18:00-20:00")
    bob = await ready_member(app, "bob", availability="daily 18:00-20:00")
    carol = await ready_member(app, "carol", tz="Asia/Tokyo", availability="daily 18:00-20:00")
    for who in (alice, carol):
        await app.router.run(who, "schedule", {"type": "coding"})
    await app.matching.run_round(alice.community.id)  # Alice is left out too: nobody else yet
    clock.advance(timedelta(days=2))
    await app.router.run(bob, "schedule", {"type": "coding"})
    outcome = await app.matching.run_round(alice.community.id)
    await app.tick()
    assert len(outcome.sessions) == 1
    told = chat.dms_to("carol")
    assert told and "Next chance: the next round, {t:" in told[0].text
    read = [t for _, m in chat.direct + chat.posts for t in texts(m)]
    async with app.db.uow() as tx:
        session = await tx.sessions.get(outcome.sessions[0].id)
        assert session is not None
        read += [*session.match_reasons, *session.prompt_reasons]
        read += [
            r.last_left_out_reason or "" for r in await tx.requests.open_for_member(carol.member.id)
        ]
        for record in await tx.rounds.latest(alice.community.id, limit=10):
            read += [text for _, _, text in record.left_out]
    read += [text for _, text in outcome.left_out]
    assert len(read) > 10
    for text in read:
        assert_no_literal_time(text)


async def test_a_wait_is_told_once_and_only_to_the_member_who_waited(
    app: App, chat: FakeChat, clock: FakeClock
) -> None:
    alice = await ready_member(app, "alice", availability="daily 18:00-20:00")
    await app.router.run(alice, "schedule", {"type": "coding"})
    for _ in range(6 * 24):  # left out every hour for six days
        await app.matching.run_round(alice.community.id)
        clock.advance(timedelta(hours=1))
    bob = await ready_member(app, "bob", availability="daily 18:00-20:00")
    await app.router.run(bob, "schedule", {"type": "coding"})
    outcome = await app.matching.run_round(alice.community.id)
    await app.tick()
    assert len(outcome.sessions) == 1
    (announcement,) = [
        m for _, m in chat.posts if (m.title or "").startswith("Mock interview booked")
    ]
    shared = " ".join(texts(announcement))
    assert "waited" not in shared and "left out" not in shared and "rounds" not in shared
    waited = [m for m in chat.dms_to("alice") if "waited" in m.text]
    assert len(waited) == 1 and "You waited 6 days" in waited[0].text
    assert not [m for m in chat.dms_to("bob") if "waited" in m.text]
    await app.tick()
    assert len([m for m in chat.dms_to("alice") if "waited" in m.text]) == 1


# -- candidates' ratings of interviewers ------------------------------------------------------


async def rate(
    app: App,
    interviewer: Actor,
    rater: Actor,
    scores: tuple[int, int, int],
    *,
    at: datetime,
    revealed: bool = True,
) -> None:
    session = await finished_session(app, interviewer, rater, start=at, swap=False)
    async with app.db.uow() as tx:
        await tx.feedback.save(
            Feedback(
                id=new_id(),
                session_id=session.id,
                part=1,
                author_id=rater.member.id,
                subject_id=interviewer.member.id,
                role=FeedbackRole.CANDIDATE,
                scores={"approach": 3},
                submitted_at=at,
                updated_at=at,
                revealed_at=at if revealed else None,
                interviewer_ratings=dict(
                    zip(("preparation", "usefulness", "again"), scores, strict=True)
                ),
            )
        )


def test_smoothing_shrinks_few_ratings_toward_the_community_mean() -> None:
    totals = {
        "few": RatingTotals(ratings=1, items=3, total=12.0),
        "many": RatingTotals(ratings=30, items=90, total=360.0),
        "low": RatingTotals(ratings=30, items=90, total=90.0),
    }
    mean = community_mean(totals)
    assert mean == pytest.approx(462 / 183)
    few, many = smoothed("few", totals), smoothed("many", totals)
    assert few.raw == many.raw == 4.0
    assert mean < few.smoothed < many.smoothed < 4.0
    assert few.smoothed == pytest.approx((3 * mean + 4.0) / 4)
    assert smoothed("nobody", totals) == smoothed("nobody", totals, mean=mean)
    assert smoothed("nobody", totals).smoothed == mean and smoothed("nobody", totals).ratings == 0
    assert smoothed("nobody", {}).smoothed == 2.5
    assert (
        match_value(smoothed("low", totals))
        < match_value(smoothed("nobody", totals))
        < match_value(many)
    )


async def test_better_rated_interviewer_gets_the_candidate(app: App, clock: FakeClock) -> None:
    good = await ready_member(app, "good", level="senior", availability="daily 18:00-20:00")
    poor = await ready_member(app, "poor", level="senior", availability="daily 18:00-20:00")
    cand = await ready_member(app, "cand", availability="daily 18:00-20:00")
    raters = [await ready_member(app, f"rater{i}") for i in range(5)]
    for i, rater in enumerate(raters):
        when = T0 - timedelta(days=30 - i)
        await rate(app, good, rater, (4, 4, 4), at=when)
        await rate(app, poor, rater, (1, 2, 1), at=when)
    # All else equal but for one thing: the poorly rated interviewer asked a day earlier.
    await app.router.run(poor, "schedule", {"type": "coding", "role": "interviewer"})
    clock.advance(timedelta(days=1))
    await app.router.run(good, "schedule", {"type": "coding", "role": "interviewer"})
    await app.router.run(cand, "schedule", {"type": "coding", "role": "candidate"})
    (session,) = (await app.matching.run_round(cand.community.id)).sessions
    assert session.interviewer_id == good.member.id and session.candidate_id == cand.member.id


async def test_progress_shows_the_members_own_smoothed_rating_as_interviewer(app: App) -> None:
    me = await ready_member(app, "me")
    rater = await ready_member(app, "rater")
    before = await app.router.run(me, "progress", {})
    assert "As an interviewer" in " ".join(texts(before))
    assert "No ratings yet" in " ".join(texts(before))
    await rate(app, me, rater, (4, 4, 4), at=T0 - timedelta(days=3))
    await rate(app, me, rater, (2, 2, 2), at=T0 - timedelta(days=2), revealed=False)  # still hidden
    shown = " ".join(texts(await app.router.run(me, "progress", {})))
    # One revealed rating of 4.0, shrunk toward the community mean (4.0 is the only one).
    assert "4.0/4 from 1 rating" in shown


# -- which prompts a member may be given ------------------------------------------------------


def past_session(interviewer: Actor, candidate: Actor, start: datetime, prompt_id: str) -> Session:
    return Session(
        id=new_id(),
        community_id=interviewer.community.id,
        interview_type=InterviewType.CODING,
        interviewer_id=interviewer.member.id,
        candidate_id=candidate.member.id,
        swap=False,
        start=start,
        minutes=60,
        state=SessionState.COMPLETED,
        prompt_ids=(prompt_id,),
        created_at=start - timedelta(days=1),
    )


async def test_a_candidate_never_gets_a_prompt_whose_guide_they_read_as_interviewer(
    app: App,
) -> None:
    alice = await ready_member(app, "alice", level="senior", availability="daily 18:00-20:00")
    bob = await ready_member(app, "bob", level="senior", availability="daily 18:00-20:00")
    dave = await ready_member(app, "dave", level="senior")
    coding = app.prompts.prompts(type=InterviewType.CODING)
    fitting = [
        p for p in coding if any(lv.rank == 2 for lv in p.levels) and p.suits_track("backend")
    ]
    keep = fitting[-1]
    # Alice has interviewed with every other coding prompt.
    async with app.db.uow() as tx:
        for k, prompt in enumerate(p for p in coding if p.id != keep.id):
            start = T0 - timedelta(days=60 - k % 50, hours=k)
            await tx.sessions.add(past_session(alice, dave, start, prompt.id))
    await app.router.run(alice, "schedule", {"type": "coding", "role": "candidate"})
    await app.router.run(bob, "schedule", {"type": "coding", "role": "interviewer"})
    (session,) = (await app.matching.run_round(alice.community.id)).sessions
    assert session.candidate_id == alice.member.id
    assert session.prompt_ids == (keep.id,)
    async with app.db.uow() as tx:
        history = await tx.sessions.prompt_history(
            alice.community.id, [alice.member.id, bob.member.id]
        )
    assert keep.id not in history.as_interviewer[alice.member.id]
    assert len(history.as_interviewer[alice.member.id]) == len(coding) - 1
    assert history.as_candidate[alice.member.id] == {keep.id: session.start}  # this session
