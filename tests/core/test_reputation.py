"""Interviewer reputation: shrinkage, the community's weight, and good interviewers matched
with the candidates who need them most (the service, on a real database)."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.feedback_models import Feedback, FeedbackRole
from bot.core.messages import Tone
from bot.core.ratings import (
    RatingTotals,
    VerdictCounts,
    candidate_need,
    match_value,
    reputation_weights,
    smoothed,
)
from bot.core.services.actor import Actor, new_id
from bot.matching import Weights
from tests.conftest import T0, make_actor, ready_member
from tests.core.test_matching_rules import rate
from tests.feedback_helpers import finished_session


def test_two_ratings_do_not_make_a_reputation() -> None:
    """Two perfect ratings rank below forty good ones, and not far above the community."""
    totals = {
        "lucky": RatingTotals(ratings=2, items=6, total=24.0),
        "steady": RatingTotals(ratings=40, items=120, total=420.0),  # 3.5 on average
        "rest": RatingTotals(ratings=40, items=120, total=300.0),  # 2.5 on average
    }
    lucky, steady = smoothed("lucky", totals), smoothed("steady", totals)
    assert lucky.raw == 4.0 and steady.raw == 3.5
    assert lucky.smoothed < steady.smoothed
    assert match_value(lucky) < match_value(steady)


def test_need_counts_few_sessions_and_weak_verdicts() -> None:
    assert candidate_need(0) == 0.5
    assert candidate_need(6) == 0.0 == candidate_need(40, VerdictCounts(10, 0))
    assert candidate_need(0, VerdictCounts(4, 4)) == 1.0
    assert candidate_need(3, VerdictCounts(4, 2)) == 0.5
    assert candidate_need(-1, VerdictCounts(0, 0)) == 0.5


def test_the_weight_scales_both_rating_terms() -> None:
    base = Weights()
    assert reputation_weights(100) == base
    off = reputation_weights(0)
    assert off.interviewer_rating == 0 == off.mentoring
    double = reputation_weights(200)
    assert double.interviewer_rating == 2 * base.interviewer_rating
    assert double.mentoring == 2 * base.mentoring
    assert reputation_weights(10_000) == reputation_weights(300)


async def _rated_pair(app: App) -> tuple[Actor, Actor]:
    """Two interviewers of one level: "good" rated 4s, "fair" rated 2s, by five raters each."""
    good = await ready_member(app, "good", availability="daily 18:00-20:00")
    fair = await ready_member(app, "fair", availability="daily 18:00-20:00")
    for i in range(5):
        rater = await ready_member(app, f"rater{i}")
        when = T0 - timedelta(days=30 - i)
        await rate(app, good, rater, (4, 4, 4), at=when)
        await rate(app, fair, rater, (2, 2, 2), at=when)
    return good, fair


async def test_the_weight_is_a_community_setting(app: App, clock: FakeClock) -> None:
    """With ``reputation_weight:0`` ratings count for nothing: the interviewer who asked first
    gets the candidate; at the default, the better rated one does."""
    admin = await make_actor(app, "admin", admin=True)
    refused = await app.admin_commands.run(admin, "setup", {"reputation_weight": "301"})
    assert refused.tone is Tone.ERROR and "0" in refused.text and "300" in refused.text
    shown = await app.admin_commands.run(admin, "setup", {})
    assert any("reputation_weight" in f.name and f.value == "100%" for f in shown.fields)
    good, fair = await _rated_pair(app)
    for weight, expected in (("0", "fair"), ("100", "good")):
        saved = await app.admin_commands.run(admin, "setup", {"reputation_weight": weight})
        assert saved.tone is not Tone.ERROR, saved.text
        cand = await ready_member(app, f"cand{weight}", availability="daily 18:00-20:00")
        await app.router.run(fair, "schedule", {"type": "coding", "role": "interviewer"})
        clock.advance(timedelta(days=1))  # "fair" asked a day earlier
        await app.router.run(good, "schedule", {"type": "coding", "role": "interviewer"})
        await app.router.run(cand, "schedule", {"type": "coding", "role": "candidate"})
        (session,) = (await app.matching.run_round(cand.community.id)).sessions
        chosen = {good.member.id: "good", fair.member.id: "fair"}[session.interviewer_id]
        assert chosen == expected, weight
        assert session.candidate_id == cand.member.id
        for actor in (good, fair):  # the other interviewer's request goes back to nothing
            await app.router.run(actor, "cancel", {"type": "coding"})


async def test_a_good_interviewer_goes_to_the_candidate_who_needs_one(
    app: App, clock: FakeClock
) -> None:
    """Two interviewers and two candidates, equal in everything matching weighs but this: one
    candidate is new with a weak verdict, the other has six sessions behind them. The better
    rated interviewer is paired with the new candidate."""
    good, fair = await _rated_pair(app)
    newbie = await ready_member(app, "newbie", availability="daily 18:00-20:00")
    veteran = await ready_member(app, "veteran", availability="daily 18:00-20:00")
    coach = await ready_member(app, "coach")
    for day in range(6):
        await finished_session(app, coach, veteran, start=T0 - timedelta(days=40 + day), swap=False)
    past = await finished_session(app, coach, newbie, start=T0 - timedelta(days=3), swap=False)
    async with app.db.uow() as tx:
        await tx.feedback.save(
            Feedback(
                id=new_id(),
                session_id=past.id,
                part=1,
                author_id=coach.member.id,
                subject_id=newbie.member.id,
                role=FeedbackRole.INTERVIEWER,
                scores={"approach": 1},
                verdict="strong-no",
                submitted_at=T0 - timedelta(days=3),
                updated_at=T0 - timedelta(days=3),
                revealed_at=T0 - timedelta(days=3),
            )
        )
        verdicts = await tx.feedback.recent_verdicts(good.community.id, T0 - timedelta(days=60))
    assert verdicts[newbie.member.id] == VerdictCounts(1, 1)
    for actor, role in ((good, "interviewer"), (fair, "interviewer")):
        await app.router.run(actor, "schedule", {"type": "coding", "role": role})
    for actor in (veteran, newbie):
        await app.router.run(actor, "schedule", {"type": "coding", "role": "candidate"})
    sessions = (await app.matching.run_round(good.community.id)).sessions
    pairs = {(s.interviewer_id, s.candidate_id) for s in sessions}
    assert pairs == {(good.member.id, newbie.member.id), (fair.member.id, veteran.member.id)}
