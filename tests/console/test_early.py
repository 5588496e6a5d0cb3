"""Start early and end early on the console, driven line by line as a person types them:
"My partner is here" from the reminder, "Start now", "We're done", and an admin's end."""

from __future__ import annotations

import io
from datetime import timedelta

from bot.app import App
from bot.console.face import Console
from bot.core.models import Session, SessionState
from tests.console.rig import Rig, book_a_pair, rig, say

__all__ = ["rig"]


async def booked(app: App, console: Console, out: io.StringIO) -> Session:
    session = await book_a_pair(app, console, out)
    await app.tick()
    return session


async def state_of(app: App, session_id: str) -> SessionState:
    async with app.db.uow() as tx:
        session = await tx.sessions.get(session_id)
    assert session is not None
    return session.state


def at(when: object) -> str:
    return f"/clock {when:%Y-%m-%d %H:%M}"


async def test_both_here_start_now_and_we_are_done(rig: Rig) -> None:
    app, console, out = rig
    session = await booked(app, console, out)
    shown = await say(console, out, "/as Alice", at(session.start - timedelta(minutes=10)))
    assert "[1] Confirm" in shown and "[2] My partner is here" in shown, shown
    # Carol presses the pair's button: refused, nothing recorded.
    refused = await say(console, out, "/as Carol", "/press 2 room-1")
    assert "not yours" in refused
    noted = await say(console, out, "/as Alice", "/press 2 room-1")
    assert "Noted" in noted and "says their partner is here" in noted
    both = await say(console, out, "/as Bob", "/press 1 room-1")
    assert "Start now" in both
    started = await say(console, out, "/press 1 room-1")
    assert "Started" in started and "Part 1:" in started, started
    assert await state_of(app, session.id) is SessionState.IN_PROGRESS
    assert "not yours" in await say(console, out, "/as Carol", "/press 2 room-1")
    asked = await say(console, out, "/as Alice", "/press 2 room-1")
    assert "Asked Bob to confirm" in asked
    ended = await say(console, out, "/as Bob", "/press 1 room-1")
    assert "Ended" in ended and "Feedback time" in ended, ended
    assert await state_of(app, session.id) is SessionState.COMPLETED
    assert "no button" in await say(console, out, "/press 1 room-1")  # the room's last has none


async def test_an_admin_ends_a_stuck_session(rig: Rig) -> None:
    app, console, out = rig
    session = await booked(app, console, out)
    await say(console, out, at(session.start + timedelta(minutes=5)))
    # Everyone at the console runs it as an admin of the local community.
    early = await say(console, out, "/as Ada", "/mock admin end")
    assert "session" in early and "✗" in early
    crafted = await say(console, out, "/as Ada", "/mock admin end session:../../etc")
    assert "No session of this community" in crafted
    view = await say(console, out, "/mock admin member Alice")
    assert session.id in view and "End session" in view
    ended = await say(console, out, f"/mock admin end {session.id}")
    assert "feedback is open" in ended and "A community admin ended this session" in ended
    assert await state_of(app, session.id) is SessionState.COMPLETED


async def test_upcoming_offers_my_partner_is_here_within_the_hour(
    rig: Rig,
) -> None:
    app, console, out = rig
    session = await booked(app, console, out)
    await say(console, out, "/as Alice", at(session.start - timedelta(minutes=30)))
    listed = await say(console, out, "/mock upcoming")
    assert "[1] My partner is here (Coding)" in listed, listed
    # Carol presses the button of Alice's list: refused, nothing recorded.
    assert "not yours" in await say(console, out, "/as Carol", "/press 1")
    async with app.db.uow() as tx:
        stored = await tx.sessions.get(session.id)
    assert stored is not None and not stored.here_by
    noted = await say(console, out, "/as Alice", "/mock upcoming", "/press 1")
    assert "Noted" in noted and "says their partner is here" in noted, noted
    assert "My partner is here (Coding)" not in await say(console, out, "/mock upcoming")
    both = await say(console, out, "/as Bob", "/mock upcoming", "/press 1")
    assert "Start now" in both, both
    listed = await say(console, out, "/as Alice", "/mock upcoming")
    assert "[1] Start Coding now" in listed, listed
    started = await say(console, out, "/press 1")
    assert "Started" in started, started
    assert await state_of(app, session.id) is SessionState.IN_PROGRESS
