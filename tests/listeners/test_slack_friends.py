"""Practising with a chosen member on Slack (slack-bolt against the fake Web API, signed
requests): a mention on ``/mock schedule``, the invitation in the friend's DM, its buttons
pressed by the friend, a third member and with crafted ids, ``chat.update`` taking its buttons
away, the lapse, a block, and ``/mock admin pair``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.core.clock import FakeClock
from bot.core.services.friends import ANSWER_WITHIN
from tests.conftest import delivered
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

__all__ = ["rig"]


def actions_of(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def dms(rig: Rig, user: str) -> list[dict[str, Any]]:
    return [a for a in rig.fake.of("chat.postMessage") if a["channel"] == f"D{user}"]


async def press(rig: Rig, user: str, action: str, message: dict[str, Any]) -> dict[str, Any]:
    status, _, key = await rig.send.click(user, action, message["channel"], message=message)
    assert status == 200
    await rig.fake.wait_for(lambda: len(responses(rig.fake, key)) == 1)
    return responses(rig.fake, key)[0]


async def invite(rig: Rig) -> tuple[dict[str, Any], dict[str, Any]]:
    await with_profile(rig, ALICE, "18:00-20:00")
    await with_profile(rig, BOB, "19:00-22:00")
    sent = await reply_text(rig, ALICE, f"schedule coding partner:<@{BOB}|bob>")
    assert "Invitation sent" in blob(sent), blob(sent)
    await delivered(rig.app)
    invitation = dms(rig, BOB)[-1]
    assert "Alice" in blob(invitation)
    return sent, invitation


async def test_accepted_booked_and_refused_to_a_third_member(rig: Rig) -> None:
    fake = rig.fake
    _, invitation = await invite(rig)
    accept, decline = actions_of(invitation["blocks"])
    assert accept.startswith("pl:friend.accept:") and decline.startswith("pl:friend.decline:")
    await with_profile(rig, CAROL, "08:00-22:00")
    for crafted in (accept, decline, "pl:friend.accept:" + "a" * 32):
        refused = await press(rig, CAROL, crafted, invitation)
        assert ":x:" in blob(refused) or "not" in blob(refused), blob(refused)
    assert fake.count("chat.update") == 0

    booked = await press(rig, BOB, accept, invitation)
    assert "Booked" in blob(booked), blob(booked)
    await fake.wait_for(lambda: fake.count("chat.update") == 1)
    update = fake.of("chat.update")[0]
    assert update["channel"] == f"D{BOB}" and update["ts"] == invitation["answered_ts"]
    assert actions_of(update["blocks"]) == [] and "Accepted: booked for" in blob(update)
    await delivered(rig.app)
    assert "Bob accepted" in blob(dms(rig, ALICE)[-1])
    assert [a for a in fake.of("conversations.open") if "," in str(a.get("users"))]  # pair space
    async with rig.app.db.uow() as tx:
        assert len(await tx.sessions.for_community(await community_id(rig.app))) == 1


async def test_declined_withdrawn_and_lapsed(rig: Rig, clock: FakeClock) -> None:
    fake = rig.fake
    _, invitation = await invite(rig)
    await press(rig, BOB, actions_of(invitation["blocks"])[1], invitation)
    await delivered(rig.app)
    assert "can't practise Coding with you this time" in blob(dms(rig, ALICE)[-1])

    sent = await reply_text(rig, ALICE, f"schedule coding partner:<@{BOB}|bob>")
    await delivered(rig.app)
    second = dms(rig, BOB)[-1]
    (withdraw,) = actions_of(sent["blocks"])
    assert ":x:" in blob(await press(rig, BOB, withdraw, {**second, "blocks": sent["blocks"]}))
    status, _, _ = await rig.send.click(ALICE, withdraw, "C1", ephemeral=True)
    assert status == 200
    await fake.wait_for(lambda: fake.count("chat.update") >= 2)
    await delivered(rig.app)
    edit = next(u for u in fake.of("chat.update") if u["ts"] == second["answered_ts"])
    assert actions_of(edit["blocks"]) == [] and "withdrew" in blob(edit)

    await reply_text(rig, ALICE, f"schedule coding partner:<@{BOB}|bob>")
    await delivered(rig.app)
    third = dms(rig, BOB)[-1]
    clock.advance(ANSWER_WITHIN + timedelta(minutes=1))
    await rig.app.tick()  # the stored lapse step (the face ticks after each interaction)
    await delivered(rig.app)
    await fake.wait_for(
        lambda: any(u["ts"] == third["answered_ts"] for u in fake.of("chat.update"))
    )
    edit = next(u for u in fake.of("chat.update") if u["ts"] == third["answered_ts"])
    assert actions_of(edit["blocks"]) == [] and "lapsed" in blob(edit)
    assert "had no answer within 48 hours" in blob(dms(rig, ALICE)[-1])


async def test_a_block_cannot_be_arranged_and_admins_pair_by_hand(rig: Rig) -> None:
    fake = rig.fake
    await with_profile(rig, ALICE, "18:00-20:00")
    await with_profile(rig, BOB, "19:00-22:00")
    await reply_text(rig, BOB, f"block <@{ALICE}|alice>")
    refused = await reply_text(rig, ALICE, f"schedule coding partner:<@{BOB}|bob>")
    said = blob(refused).lower()
    assert "can't be arranged" in said and "blocked" not in said and "block " not in said
    await delivered(rig.app)
    assert not [m for m in dms(rig, BOB) if "Alice" in blob(m)]

    await reply_text(rig, BOB, f"unblock <@{ALICE}|alice>")
    line = f"admin pair a:<@{ALICE}|alice> b:<@{BOB}|bob> type:coding"
    assert ":x:" in blob(await reply_text(rig, CAROL, line))  # not an admin
    fake.admins.add(CAROL)
    paired = await reply_text(rig, CAROL, line)
    assert "Paired" in blob(paired) and "first common time" in blob(paired)
    await delivered(rig.app)
    assert "An admin paired you with Bob" in blob(dms(rig, ALICE)[-1])
    assert "An admin paired you with Alice" in blob(dms(rig, BOB)[-1])
