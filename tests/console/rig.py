"""The console rig the console tests share: an app on a fresh SQLite file with the console
chat, the console itself, and what it printed; ``say`` types lines as a person would."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.console.chat import ConsoleChat
from bot.console.face import Console
from bot.core.clock import FakeClock
from bot.core.models import Platform, Session
from bot.settings import sqlite_url_for

Rig = tuple[App, Console, io.StringIO]


@pytest.fixture
async def rig(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Rig]:
    out = io.StringIO()
    chat = ConsoleChat(out, clock)
    app = await build_app(
        sqlite_url_for(tmp_path / "console.sqlite3"), clock=clock, chats={Platform.CONSOLE: chat}
    )
    yield app, Console(app, clock, out=out, chat=chat), out
    await app.close()


async def say(console: Console, out: io.StringIO, *lines: str) -> str:
    """Type ``lines`` one by one (each must be handled); what the console printed meanwhile."""
    mark = len(out.getvalue())
    for line in lines:
        assert await console.handle(line)
    return out.getvalue()[mark:]


async def book_a_pair(app: App, console: Console, out: io.StringIO) -> Session:
    """Alice and Bob (Berlin, coding, free all day) ask for a session and a round pairs them."""
    for name in ("Alice", "Bob"):
        await say(
            console,
            out,
            f"/as {name}",
            "/mock profile timezone:Europe/Berlin track:backend level:mid types:coding",
            "/mock availability daily 08:00-22:00",
            "/mock schedule type:coding",
        )
    assert console.actor is not None
    (session,) = (await app.matching.run_round(console.actor.community.id)).sessions
    return session
