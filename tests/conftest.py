"""Shared fixtures: an app on a fresh SQLite file (and on PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.app import App, build_app
from bot.core.actions import DECLARED_VERBS, undeclared
from bot.core.clock import FakeClock
from bot.core.messages import OutboundMessage
from bot.core.models import Platform
from bot.core.services.actor import Actor
from bot.core.surface.commands import ProfileArgs
from bot.core.surface.options import parse_args
from bot.settings import sqlite_url_for
from bot.storage.tables import metadata
from tests.fakes.fake_chat import FakeChat

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday
PG_ENV = "PEERLOOP_TEST_DATABASE_URL"


#: What PeerLoop says of a report (to the admins, to the reporter): none of it may reach the
#: reported member. Not the bare word "reported": a prompt's guide may use it.
REPORT_WORDING = re.compile(
    r"reported a problem|reported bob|is not told|thank you for telling us|open report|resolve #",
    re.IGNORECASE,
)


def postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def _backends() -> list[object]:
    return [
        "sqlite",
        pytest.param(
            "postgres",
            marks=pytest.mark.skipif(
                postgres_url() is None,
                reason=f"PostgreSQL tests skipped: {PG_ENV} is not set (.ci/run sets it when a server "
                "answers on 127.0.0.1:5432)",
            ),
        ),
    ]


def undeclared_actions(messages: list[OutboundMessage]) -> list[str]:
    """Every action id in ``messages`` (buttons, selects, forms) whose verb no handler declared."""
    found = []
    for message in messages:
        ids = [b.action for b in message.buttons] + [s.action for s in message.selects]
        ids += [message.form.action] if message.form is not None else []
        found += [i for i in ids if undeclared(i)]
    return found


#: How long a scenario waits for what it asserts; generous: it only matters when a test fails.
SETTLE_SECONDS = 60.0


async def eventually(
    check: Callable[[], Awaitable[bool]], within: float = SETTLE_SECONDS, what: str = ""
) -> None:
    """Wait until ``await check()`` is true (polled; the time only matters when a test fails)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(
                f"timed out after {within:.0f}s waiting for {what or 'the condition'}"
            )
        await asyncio.sleep(0.02)


async def delivered(app: App, within: float = SETTLE_SECONDS) -> None:
    """Wait until everything due now has run and been delivered: no step and no outbox message
    still pending and due. A face runs ``tick`` after each interaction on its own, so a test's
    ``tick`` can find a step or a message claimed by that one and return before it is sent;
    a step and the messages it queues commit together, and a message stays pending until it
    is marked sent (after the platform answered), so once nothing is due, it is all in the fake."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        now = app.clock.now()
        async with app.db.uow() as tx:
            steps = await tx.actions.due_ids(now)
            messages = await tx.outbox.due_ids(now)
        if not steps and not messages:
            return
        if loop.time() > deadline:
            raise AssertionError(
                f"not delivered within {within:.0f}s: {len(steps)} steps and "
                f"{len(messages)} messages still due"
            )
        await asyncio.sleep(0.02)


@pytest.fixture(autouse=True)
def every_offered_action_is_declared(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[OutboundMessage]]:
    """The action contract on every test: a message PeerLoop builds while an app runs may only
    carry actions whose verb a handler declared (the router's registry, or a face's own), on
    every face. Tests that build messages by hand to test the renderers opt out with
    ``@pytest.mark.undeclared_actions``."""
    messages: list[OutboundMessage] = []
    original = OutboundMessage.__post_init__

    def record(self: OutboundMessage) -> None:
        original(self)
        messages.append(self)

    if request.node.get_closest_marker("undeclared_actions") is None:
        monkeypatch.setattr(OutboundMessage, "__post_init__", record)
    yield messages
    if DECLARED_VERBS:  # an app was built: its routers declared their verbs
        bad = undeclared_actions(messages)
        assert not bad, (
            f"messages offered actions nobody declared a handler for: {sorted(set(bad))}"
        )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


async def _reset_postgres(url: str) -> None:
    from sqlalchemy import text

    from bot.storage.db import create_engine

    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(params=_backends())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield sqlite_url_for(tmp_path / f"test-{uuid.uuid4().hex[:6]}.sqlite3")
        return
    url = postgres_url()
    assert url is not None
    await _reset_postgres(url)
    yield url


@pytest.fixture
def chat() -> FakeChat:
    """Records what the app sends to members and pair spaces (the console platform)."""
    return FakeChat()


@pytest.fixture
async def chat_app(tmp_path: Path, clock: FakeClock, chat: FakeChat) -> AsyncIterator[App]:
    """An app on a fresh SQLite file whose console messages land in ``chat``."""
    application = await build_app(
        sqlite_url_for(tmp_path / "chat.sqlite3"), clock=clock, chats={Platform.CONSOLE: chat}
    )
    yield application
    await application.close()


@pytest.fixture
async def app(database_url: str, clock: FakeClock) -> AsyncIterator[App]:
    application = await build_app(database_url, clock=clock)
    try:
        yield application
    finally:
        await application.close()


async def make_actor(app: App, name: str, *, admin: bool = False) -> Actor:
    return await app.actors.resolve(
        Platform.CONSOLE, "local", "Local community", name, name.title(), platform_admin=admin
    )


async def ready_member(
    app: App,
    name: str,
    *,
    tz: str = "Europe/Berlin",
    track: str = "backend",
    level: str = "mid",
    types: str = "coding",
    availability: str = "daily 08:00-22:00",
) -> Actor:
    actor = await make_actor(app, name)
    typed = parse_args(
        ProfileArgs, {"level": level, "types": types}, command="profile"
    )  # the surface's parse
    await app.profiles.set_profile(
        actor, timezone=tz, track=track, level=typed.level, interview_types=typed.types
    )
    await app.profiles.set_availability(actor, availability)
    return await make_actor(app, name)


async def schema_drift(app: App, *names: str) -> list[object]:
    """How the migrated database differs from the modelled tables, in the differences that
    name any of ``names`` (a table, or part of its name): ``[]`` when the migrations match."""

    def diff(conn: object) -> list[object]:
        ctx = MigrationContext.configure(conn)  # type: ignore[arg-type]
        return [d for d in compare_metadata(ctx, metadata) if any(n in repr(d) for n in names)]

    async with app.db.engine.connect() as conn:
        return await conn.run_sync(diff)
