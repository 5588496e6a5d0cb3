"""The session room and blocks on the console, driven line by line as a person types them."""

from __future__ import annotations

import re

from bot.core.clock import FakeClock
from bot.core.models import ActionKind
from tests.console.rig import Rig, book_a_pair, rig, say

__all__ = ["rig"]


async def test_the_pair_reads_its_room_and_a_third_member_does_not(
    rig: Rig,
) -> None:
    app, console, out = rig
    saved = await say(
        console, out, "/as Ada", "/mock admin setup design_board:https://board.example.org/{room}"
    )
    assert "design_board" in saved
    for name in ("Alice", "Bob"):
        await say(
            console,
            out,
            f"/as {name}",
            '/mock profile timezone:Europe/Berlin track:backend level:mid types:"system design"',
            "/mock availability daily 08:00-22:00",
            "/mock schedule type:system-design",
        )
    assert console.actor is not None
    assert len((await app.matching.run_round(console.actor.community.id)).sessions) == 1
    mark = len(out.getvalue())
    await app.tick()
    booked = out.getvalue()[mark:]
    call = re.search(r"https://meet\.jit\.si/PeerLoop-\w+", booked)
    board = re.search(r"https://board\.example\.org/\w+", booked)
    assert call and board, booked
    mine = await say(console, out, "/as Bob", "/mock upcoming")
    assert call.group(0) in mine and board.group(0) in mine

    theirs = await say(console, out, "/as Carol", "/mock upcoming", "/mock who")
    assert call.group(0) not in theirs and board.group(0) not in theirs
    assert "Nobody has an open request right now" in theirs  # the two were paired

    blocked = await say(console, out, "/as Alice", "/mock block Carol", "/mock blocked")
    assert "you will not be paired with Carol" in blocked and "Only you see this list" in blocked


async def test_voice_channels_are_explained_as_discord_only_and_sessions_go_on(
    rig: Rig, clock: FakeClock
) -> None:
    app, console, out = rig
    refused = await say(
        console, out, "/as Ada", "/mock admin setup voice_category:123 session_events:yes"
    )
    assert "Nothing was changed" in refused and "Discord feature" in refused
    assert "voice_category" in refused and "session_events" in refused
    shown = await say(console, out, "/mock admin setup")
    assert "Voice channels" in shown and "none" in shown
    session = await book_a_pair(app, console, out)
    await app.tick()
    clock.set(session.start)
    mark = len(out.getvalue())
    await app.tick()
    started = out.getvalue()[mark:]
    assert session.call_url and session.call_url in started and "Voice channel" not in started
    async with app.db.uow() as tx:
        kinds = {a.kind for a in await tx.actions.for_session(session.id)}
    assert not kinds & {ActionKind.VOICE_OPEN, ActionKind.VOICE_CLOSE, ActionKind.SESSION_EVENT}
