"""Practising with a chosen member on the console, typed as a person would: the invitation in
the friend's direct messages, its buttons, its lapse, and an admin's hand pairing."""

from __future__ import annotations

import io

from bot.console.face import Console
from tests.console.rig import Rig, rig, say

__all__ = ["rig"]


async def members(console: Console, out: io.StringIO, *names: str) -> None:
    for name, hours in zip(names, ("18:00-20:00", "19:00-22:00", "06:00-07:00"), strict=False):
        await say(
            console,
            out,
            f"/as {name}",
            "/mock profile timezone:Europe/Berlin track:backend level:mid types:coding",
            f"/mock availability daily {hours}",
        )


async def test_invited_accepted_and_booked_at_the_first_common_time(
    rig: Rig,
) -> None:
    app, console, out = rig
    await members(console, out, "Alice", "Bob", "Carol")
    sent = await say(console, out, "/as Alice", "/mock schedule coding partner:bob")
    assert "Invitation sent" in sent and "[1] Withdraw invitation" in sent
    assert "📨 to Bob (direct message)" in sent and "[1] Accept" in sent and "[2] Decline" in sent

    # Carol has no invitation to press; Bob's is in his direct messages.
    assert "no button to press" in await say(console, out, "/as Carol", "/press 1 dm")
    booked = await say(console, out, "/as Bob", "/press 1 dm")
    assert (
        "that message now reads: Accepted: booked for" in booked and "(no buttons left)" in booked
    )
    assert "Booked: Coding with Alice" in booked and "19:00" in booked  # Bob's zone: Berlin
    assert "📨 to Alice (direct message)" in booked and "Bob accepted" in booked
    assert "no button to press" in await say(console, out, "/press 1 dm")  # pressed once only
    async with app.db.uow() as tx:
        assert console.actor is not None
        assert len(await tx.sessions.for_member(console.actor.member.id, active_only=True)) == 1


async def test_a_lapsed_invitation_loses_its_buttons_and_declines_are_kind(
    rig: Rig,
) -> None:
    _, console, out = rig
    await members(console, out, "Alice", "Bob")
    await say(console, out, "/as Alice", "/mock schedule coding partner:bob")
    lapsed = await say(console, out, "/clock +2d")
    assert "✎ a message to bob now reads" in lapsed and "lapsed without an answer" in lapsed
    assert "had no answer within 48 hours" in lapsed and "/mock schedule coding" in lapsed
    assert "no button to press" in await say(console, out, "/as Bob", "/press 1 dm")

    await say(console, out, "/as Alice", "/mock schedule coding partner:bob")
    declined = await say(console, out, "/as Bob", "/press 2 dm")
    assert "(that message now reads: Declined. (no buttons left))" in declined
    assert "can't practise Coding with you this time" in declined


async def test_blocked_and_hand_paired(rig: Rig) -> None:
    _, console, out = rig
    await members(console, out, "Alice", "Bob", "Carol")
    await say(console, out, "/as Bob", "/mock block alice")
    refused = await say(console, out, "/as Alice", "/mock schedule coding partner:bob")
    assert "can't be arranged" in refused and "block" not in refused.lower()
    assert "📨 to Bob" not in refused
    why = await say(console, out, "/as Ada", "/mock admin pair a:alice b:carol type:coding")
    assert "no common time" in why
    paired = await say(console, out, "/mock admin pair a:carol b:bob type:coding days:14")
    assert "no common time" in paired  # Carol 06-07, Bob 19-22: never together
    await say(console, out, "/as Bob", "/mock unblock alice")
    done = await say(console, out, "/as Ada", "/mock admin pair a:alice b:bob type:coding")
    assert "Paired" in done and "An admin paired you with Bob" in done
