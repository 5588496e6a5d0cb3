"""Reporting a partner and suspensions on the console, typed line by line as a person would."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.core.messages import message_from_dict
from tests.console.rig import Rig, book_a_pair, rig, say

__all__ = ["rig"]


async def to_member(app: App, name: str) -> str:
    """Everything queued for the member (direct messages), as text."""
    async with app.db.uow() as tx:
        member = await tx.members.find_by_name((await tx.communities.list())[0].id, name)
        assert member is not None
        items = [i for i in await tx.outbox.all() if i.member_id == member.id]
    texts = []
    for item in items:
        m = message_from_dict(item.message)
        texts.append(" ".join([m.title or "", m.text, *(f.value for f in m.fields)]))
    return "\n".join(texts)


async def test_a_report_reaches_the_admins_blocks_the_pair_and_bob_never_learns_of_it(
    rig: Rig,
) -> None:
    app, console, out = rig
    await say(console, out, "/as Ada", "/mock admin setup admin_channel:admins")
    session = await book_a_pair(app, console, out)
    await console.advance_to(session.start + timedelta(minutes=session.minutes * 2 + 1))

    # Alice presses "Report a problem" on her feedback message and fills the form.
    await say(console, out, "/as Alice")
    opened = await say(console, out, "/press 2 dm")
    assert "Report a problem" in opened and "rude" in opened, opened
    sent = await say(
        console, out, '/form reason=rude details="Kept talking over me, **loudly**"', "/form submit"
    )
    assert "Thank you for telling us" in sent and "reported Bob" in sent, sent
    again = await say(console, out, "/mock history")
    assert "Report a problem" not in again  # reported already: no button

    # Carol presses Bob's "Report a problem" (Bob's history, the last reply): refused.
    history = await say(console, out, "/as Bob", "/mock history")
    assert "Report a problem: Alice" in history
    refused = await say(console, out, "/as Carol", "/press 1")
    assert "Only the two members of a session" in refused and "What was the problem" not in refused

    # Nothing Bob was sent says anything of the report; Alice and Bob are not paired again.
    bob_got = await to_member(app, "Bob")
    # (the prompt and guide Bob was sent may use the word "report" themselves: a stored prompt
    # asks which SKUs to report, so the check looks for what the report flow writes)
    assert "Feedback time" in bob_got
    for said in ("reported Bob", "telling us", "talking over", "Alice about Bob", "Rude:"):
        assert said not in bob_got, said
    for name in ("Alice", "Bob"):
        await say(console, out, f"/as {name}", "/mock schedule type:coding")
    assert not (await app.matching.run_round(console.actor.community.id)).sessions

    view = await say(console, out, "/as Ada", "/mock admin reports")
    assert "Rude: Alice about Bob" in view and "Kept talking over me" in view, view
    resolved = await say(console, out, "/press 1")
    assert "resolved" in resolved


async def test_a_suspended_member_is_refused_with_the_end_date_in_their_zone(
    rig: Rig,
) -> None:
    app, console, out = rig
    for name in ("Alice", "Bob"):
        await say(
            console,
            out,
            f"/as {name}",
            "/mock profile timezone:Asia/Tokyo track:backend level:mid types:coding",
            "/mock availability daily 08:00-22:00",
        )
    await say(console, out, "/as Alice", "/mock schedule type:coding")
    told = await say(console, out, "/as Ada", "/mock admin suspend member:Bob days:2 reason:spam")
    assert "Bob is suspended from matching until" in told and "Matching paused" in told, told
    refused = await say(console, out, "/as Bob", "/mock schedule type:coding")
    # Two days from the test's start, shown in Bob's zone (Tokyo), never as a raw token.
    assert "paused your matching until" in refused and "{t:" not in refused, refused
    assert "until Thu 03 Dec 2026 18:00 JST" in refused, refused  # T0 + 2 days, 09:00 UTC
    assert console.actor is not None
    await say(console, out, "/as Ada", "/mock admin unsuspend Bob")
    ok = await say(console, out, "/as Bob", "/mock schedule type:coding")
    assert "paused" not in ok
    (session,) = (await app.matching.run_round(console.actor.community.id)).sessions
    assert len(session.member_ids) == 2  # Bob is paired again
