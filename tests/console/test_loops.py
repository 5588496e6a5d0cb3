"""Mock loops on the console, typed line by line: the loop form, a third member refused, the
rounds run by the ordinary rounds, and the debrief shown when it is ready."""

from __future__ import annotations

from bot.core.clock import FakeClock
from bot.core.vocab import InterviewType
from tests.console.rig import Rig, rig, say
from tests.loop_helpers import actors_of, run_rounds

__all__ = ["rig"]


async def test_a_loop_from_its_form_to_its_debrief(rig: Rig, clock: FakeClock) -> None:
    app, console, out = rig
    profile = "/mock profile timezone:Europe/Berlin track:data-engineering level:mid"
    await say(
        console,
        out,
        "/as Alice",
        f'{profile} types:"sql, system design, behavioral"',
        "/mock availability daily 08:00-22:00",
    )
    for name, kind in (("Bob", "sql"), ("Carol", "system-design"), ("Dave", "behavioral")):
        await say(
            console,
            out,
            f"/as {name}",
            f"{profile} types:{kind}",
            "/mock availability daily 08:00-22:00",
            f"/mock schedule type:{kind} days:14",
        )
    form = await say(console, out, "/as Alice", "/mock loop start")
    assert "Book a mock loop" in form and "template" in form
    booked = await say(console, out, "/form template=data-engineering days=14", "/form submit")
    assert "Loop booked: Data engineering onsite" in booked, booked
    assert "SQL and data modelling" in booked and "Cancel loop" in booked

    assert console.actor is not None
    cid = console.actor.community.id
    async with app.db.uow() as tx:
        (loop,) = await tx.loops.for_member(console.actor.member.id)
    theirs = await say(console, out, "/as Mallory", f"/mock loop cancel {loop.id}")
    assert "not yours" in theirs
    alice_id = loop.member_id
    held = await run_rounds(
        app,
        clock,
        cid,
        await actors_of(app, cid),
        {InterviewType.SQL_DATA_MODELLING: "lean-no", InterviewType.BEHAVIORAL: "lean-no"},
        alice_id,
        rounds=3,
    )
    assert len(held) == 3
    sent = await say(console, out, "/clock +1m")  # the debrief went to Alice's direct messages
    debrief = await say(console, out, "/as Alice", "/mock loop status")
    assert "Loop debrief: Data engineering onsite" in debrief
    assert (
        "Recommendation at Mid-level: No hire" in debrief and "2 of 3 rounds leaned no" in debrief
    )
    assert "Weakest across the loop" in debrief and "After a bad round" in debrief
    assert out.getvalue().count("Loop debrief: Data engineering onsite") == 2, sent
