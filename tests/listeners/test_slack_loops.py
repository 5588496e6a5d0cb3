"""Mock loops on Slack: ``/mock loop start`` as text and as its modal, the rounds run by the
ordinary rounds, the debrief by direct message and in ``/mock loop status``, and a third
member's press and typed id refused."""

from __future__ import annotations

from bot.core.clock import FakeClock
from bot.core.vocab import InterviewType
from tests.listeners.test_slack import (
    ALICE,
    BOB,
    CAROL,
    Rig,
    blob,
    community_id,
    reply_text,
    responses,
    rig,
    with_profile,
)
from tests.loop_helpers import actors_of, loop_member_id, run_rounds

__all__ = ["rig"]
DAVE, MALLORY = "UDAVE", "UMALLORY"


def buttons(message: dict) -> list[str]:
    return [
        e["action_id"]
        for b in message.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
    ]


async def test_a_loop_is_booked_run_and_debriefed_on_slack(rig: Rig) -> None:
    fake = rig.fake
    await with_profile(rig, ALICE, types='"coding, system design, behavioral"')
    for user, kind in ((BOB, "coding"), (CAROL, "system-design"), (DAVE, "behavioral")):
        await with_profile(rig, user, types=f'"{kind}"')
        await reply_text(rig, user, f"schedule type:{kind} days:14")

    before = fake.count("views.open")
    status, _, _key = await rig.send.command(ALICE, "loop start")
    assert status == 200
    await fake.wait_for(lambda: fake.count("views.open") == before + 1)
    modal = blob(fake.of("views.open")[-1])
    assert "Book a mock loop" in modal and "template" in modal

    bad = await reply_text(rig, ALICE, "loop start template:cooking")
    assert ":x:" in blob(bad) and "data-engineering" in blob(bad)
    booked = await reply_text(rig, ALICE, "loop start backend level:senior")
    assert "Loop booked: Backend onsite" in blob(booked), blob(booked)
    (cancel,) = [a for a in buttons(booked) if a.startswith("pl:loop.cancel:")]

    await with_profile(rig, MALLORY, types='"coding"')
    status, _, key = await rig.send.click(MALLORY, cancel, "C1")
    assert status == 200
    await fake.wait_for(lambda: len(responses(fake, key)) == 1)
    assert "not yours" in blob(responses(fake, key)[0])
    typed = await reply_text(rig, MALLORY, f"loop cancel {cancel.split(':')[-1]}")
    assert "not yours" in blob(typed)
    assert "Backend onsite (running)" in blob(await reply_text(rig, ALICE, "loop status"))

    cid = await community_id(rig.app)
    assert isinstance(rig.app.clock, FakeClock)
    held = await run_rounds(
        rig.app,
        rig.app.clock,
        cid,
        await actors_of(rig.app, cid),
        {InterviewType.CODING: "strong-yes", InterviewType.BEHAVIORAL: "strong-yes"},
        await loop_member_id(rig.app, cid, ALICE),
        rounds=3,
    )
    assert len(held) == 3
    await rig.app.tick()
    sent = [
        a
        for a in fake.of("chat.postMessage")
        if a["channel"] in (ALICE, f"D{ALICE}") and "Loop debrief" in blob(a)
    ]
    assert len(sent) == 1
    text = blob(sent[0])
    assert "Recommendation at Senior: Hire" in text and "Strong yes" in text
    assert "Startup or large company" in text
    assert "Loop debrief: Backend onsite" in blob(await reply_text(rig, ALICE, "loop status"))
    assert "Backend onsite: Hire at Senior" in blob(await reply_text(rig, ALICE, "progress"))
