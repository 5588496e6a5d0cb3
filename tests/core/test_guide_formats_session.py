"""A whole swap session on prompts in the formats from real loops: the bar-raiser design
follow-up and a postmortem's planted gaps reach each interviewer's guide, and nothing of
them reaches the shared space the candidate reads."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.messages import OutboundMessage, Tone
from bot.core.models import SessionState
from tests.conftest import ready_member
from tests.fakes.fake_chat import FakeChat

BAR_RAISER = "beh-br-incident-debrief-stress-test"
OTHER = "beh-br-first-feature-real-users"


def is_guide(message: OutboundMessage) -> bool:
    return (message.title or "").startswith("Interviewer guide")


def text_of(messages: list[OutboundMessage]) -> str:
    return "\n".join(
        "\n".join([m.title or "", m.text, *(f"{f.name}\n{f.value}" for f in m.fields)])
        for m in messages
    )


async def test_design_follow_up_reaches_the_interviewer_only(
    chat_app: App, chat: FakeChat, clock: FakeClock
) -> None:
    app = chat_app
    alice = await ready_member(
        app, "alice", level="mid", types="behavioral", availability="daily 18:00-20:00"
    )
    bob = await ready_member(
        app, "bob", level="junior", types="behavioral", availability="daily 18:00-20:00"
    )
    assert (await app.router.run(alice, "schedule", {"type": "behavioral"})).tone is Tone.SUCCESS
    assert (
        await app.router.run(bob, "schedule", {"type": "behavioral", "role": "swap"})
    ).tone is Tone.SUCCESS
    outcome = await app.matching.run_round(alice.community.id)
    assert len(outcome.sessions) == 1
    session = outcome.sessions[0]
    # Put both parts on bar-raiser prompts (the choice itself is tested elsewhere).
    async with app.db.uow() as tx:
        stored = await tx.sessions.get(session.id)
        assert stored is not None
        await tx.sessions.save(dataclasses.replace(stored, prompt_ids=(BAR_RAISER, OTHER)))
    await app.tick()
    end = session.start + timedelta(minutes=session.minutes + 1)
    while (due := await app.next_due()) is not None and due <= end:
        clock.set(max(due, clock.now()))
        await app.tick()
    clock.set(end)
    await app.tick()
    async with app.db.uow() as tx:
        final = await tx.sessions.get(session.id)
        members = await tx.members.get_many(session.member_ids)
    assert final is not None and final.state is SessionState.COMPLETED
    first = members[session.interviewer_id].external_id
    second = members[session.candidate_id].external_id

    for reader, prompt_id in ((first, BAR_RAISER), (second, OTHER)):
        prompt = app.prompts.get(prompt_id)
        follow = prompt.followup_design
        assert follow is not None
        pages = [
            m
            for who, m in chat.direct
            if who == reader and is_guide(m) and prompt.title in (m.title or "")
        ]
        guide = text_of(pages)
        assert follow.question in guide and all(p in guide for p in follow.probes)
        assert all(sign in guide for sign in (*follow.holds_up, *follow.cracks))
        assert (
            "Rubric: Story holds up under the design" in guide
        )  # the bar-raiser rubric's dimension
    shared = text_of([m for _, m in chat.posts])
    for prompt_id in (BAR_RAISER, OTHER):
        prompt = app.prompts.get(prompt_id)
        assert prompt.statement in shared  # the candidate reads the statement in the pair space
        follow = prompt.followup_design
        assert follow is not None
        assert follow.question not in shared and not any(p in shared for p in follow.probes)
        assert not any(sign in shared for sign in (*follow.holds_up, *follow.cracks))
    # The candidate of each part received no guide of their own part.
    assert not any(
        is_guide(m) and app.prompts.get(BAR_RAISER).title in (m.title or "")
        for who, m in chat.direct
        if who == second
    )
