"""The session room and blocks on the console, driven line by line as a person types them."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.console.chat import ConsoleChat
from bot.console.face import Console
from bot.core.clock import FakeClock
from bot.core.models import Platform
from bot.settings import sqlite_url_for


@pytest.fixture
async def rig(tmp_path: Path, clock: FakeClock) -> AsyncIterator[tuple[App, Console, io.StringIO]]:
    out = io.StringIO()
    chat = ConsoleChat(out, clock)
    app = await build_app(
        sqlite_url_for(tmp_path / "room.sqlite3"), clock=clock, chats={Platform.CONSOLE: chat}
    )
    yield app, Console(app, clock, out=out, chat=chat), out
    await app.close()


async def say(console: Console, out: io.StringIO, *lines: str) -> str:
    mark = len(out.getvalue())
    for line in lines:
        assert await console.handle(line)
    return out.getvalue()[mark:]


async def test_the_pair_reads_its_room_and_a_third_member_does_not(
    rig: tuple[App, Console, io.StringIO],
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
