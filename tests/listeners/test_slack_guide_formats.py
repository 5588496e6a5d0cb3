"""The Slack face on a bar-raiser behavioral session: the design follow-up reaches the
interviewer's DMs only (never the group DM the candidate reads), and the interviewer's
feedback modal scores the "story holds up under the design" dimension.

Signed requests reach the bolt app over HTTP; Web API calls go to the local fake Slack.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from bot.adapters.slack_render import escape
from bot.core.clock import FakeClock
from bot.core.models import Member
from tests.conftest import delivered
from tests.listeners import test_slack as base
from tests.listeners.test_slack import ALICE, BOB, Rig, community_id, reply_text
from tests.listeners.test_slack_feedback import (
    action_ids,
    click_reply,
    dms,
    input_blocks,
    open_feedback,
    seen,
    space_posts,
    text_of,
)

rig = base.rig

BAR_RAISER = "beh-br-tradeoff-that-shaped-a-system"
SECOND = "beh-br-made-it-faster"


async def test_design_follow_up_is_for_the_interviewer_and_is_scored(
    rig: Rig, clock: FakeClock
) -> None:
    fake, app = rig.fake, rig.app
    for user in (ALICE, BOB):
        await reply_text(
            rig, user, "profile timezone:Europe/Berlin track:backend level:senior types:behavioral"
        )
        await reply_text(rig, user, "availability daily 08:00-22:00")
        answer = await reply_text(rig, user, "schedule type:behavioral role:swap")
        assert "behavioral" in seen(answer).lower()
    outcome = await app.matching.run_round(await community_id(app))
    assert len(outcome.sessions) == 1
    session_id = outcome.sessions[0].id
    async with (
        app.db.uow() as tx
    ):  # both parts on bar-raiser prompts (selection is tested elsewhere)
        session = await tx.sessions.get(session_id)
        assert session is not None
        session = dataclasses.replace(session, prompt_ids=(BAR_RAISER, SECOND))
        await tx.sessions.save(session)
        members: dict[str, Member] = await tx.members.get_many(session.member_ids)
    await app.tick()
    await delivered(app)
    (confirm,) = action_ids(
        [p for p in space_posts(fake) if action_ids([p], "pl:session.confirm:")],
        "pl:session.confirm:",
    )
    space = next(p["channel"] for p in space_posts(fake) if action_ids([p], "pl:session.confirm:"))
    for user in (ALICE, BOB):
        await click_reply(rig, user, confirm, space)
    slack_id = {m.id: m.external_id for m in members.values()}
    interviewer, candidate = slack_id[session.interviewer_id], slack_id[session.candidate_id]
    prompt = app.prompts.get(BAR_RAISER)
    follow = prompt.followup_design
    assert follow is not None
    marks = {u: len(dms(fake, u)) for u in (ALICE, BOB)}
    space_mark = len(space_posts(fake))
    clock.set(session.start)
    await app.tick()
    await delivered(app)

    def has_follow_up(messages: list[dict[str, Any]]) -> list[str]:
        text = "\n".join(text_of(m) for m in messages)
        return [
            t for t in (follow.question, *follow.probes, *follow.cracks) if escape(t[:60]) in text
        ]

    everything = [follow.question, *follow.probes, *follow.cracks]
    # the start's messages are delivered through the outbox: wait until the guide has arrived
    await fake.wait_for(
        lambda: has_follow_up(dms(fake, interviewer)[marks[interviewer] :]) == everything,
        within=30.0,
    )
    await fake.wait_for(
        lambda: (
            escape(prompt.statement[:60])
            in "\n".join(text_of(m) for m in space_posts(fake)[space_mark:])
        ),
        within=30.0,
    )
    guide = dms(fake, interviewer)[marks[interviewer] :]
    assert "Rubric: Story holds up under the design" in "\n".join(text_of(m) for m in guide)
    started = space_posts(fake)[space_mark:]
    assert escape(prompt.statement[:60]) in "\n".join(text_of(m) for m in started)
    assert has_follow_up(started) == []
    assert has_follow_up(dms(fake, candidate)) == []

    # The end: the interviewer's modal scores the bar-raiser rubric, holds-up dimension included.
    marks = {u: len(dms(fake, u)) for u in (ALICE, BOB)}
    clock.set(session.start + timedelta(minutes=session.minutes))
    await app.tick()
    await delivered(app)
    await fake.wait_for(
        lambda: bool(action_ids(dms(fake, interviewer)[marks[interviewer] :], "pl:feedback.open:")),
        within=30.0,
    )
    (ask,) = action_ids(dms(fake, interviewer)[marks[interviewer] :], "pl:feedback.open:")
    view = await open_feedback(rig, interviewer, ask)
    blocks = input_blocks(view)
    rubric = app.prompts.rubric(prompt.rubric)
    assert rubric.id == "behavioral-bar-raiser"
    assert {f"score.{d.id}" for d in rubric.dimensions} <= set(blocks)
    assert "score.holds-up-under-design" in blocks and "score.collaboration" not in blocks
