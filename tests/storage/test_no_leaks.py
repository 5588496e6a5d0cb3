"""Nothing a member wrote reaches the logs, and forget-me leaves nothing of them in any table.

One whole session is run through the router (profile, availability, schedule, a matching
round, every session step, both feedback forms of both parts with private notes, progress,
history, export) with distinctive texts, then the logs and every text column are searched.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import String, Text, select
from sqlalchemy.types import JSON

from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.messages import Tone
from bot.core.models import Platform
from bot.core.services.actor import Actor
from bot.storage.tables import metadata
from tests.fakes.fake_chat import FakeChat
from tests.feedback_helpers import fill

AVAILABILITY = "daily 06:05-23:55"


@dataclass(frozen=True)
class Person:
    external_id: str
    display_name: str
    strengths: str
    improvements: str
    note: str

    def texts(self) -> list[str]:
        return [self.external_id, self.display_name, self.strengths, self.improvements, self.note]


QUILLON = Person(
    "U0QX7731ZED",
    "Quillon Zaffre",
    "Quillon-strength: crisp invariants",
    "Quillon-improve: name the edge cases sooner",
    "Quillon-private-note for admins only",
)
BRINDLE = Person(
    "U0VW2209YAK",
    "Brindle Okapi",
    "Brindle-strength: calm pacing throughout",
    "Brindle-improve: test the empty input first",
    "Brindle-private-note for admins only",
)


@pytest.fixture
async def chat_db_app(database_url: str, clock: FakeClock) -> AsyncIterator[tuple[App, FakeChat]]:
    chat = FakeChat()
    application = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        yield application, chat
    finally:
        await application.close()


async def _actor(app: App, person: Person) -> Actor:
    return await app.actors.resolve(
        Platform.CONSOLE, "local", "Local community", person.external_id, person.display_name
    )


async def _advance(app: App, clock: FakeClock, to: object) -> None:
    while (due := await app.next_due()) is not None and due <= to:  # type: ignore[operator]
        clock.set(max(due, clock.now()))
        await app.tick()
    clock.set(to)  # type: ignore[arg-type]
    await app.tick()


async def whole_session(app: App, clock: FakeClock) -> tuple[Actor, Actor, list[str]]:
    """Run one swap session end to end; the two actors and every token PeerLoop handed out."""
    people = {QUILLON: await _actor(app, QUILLON), BRINDLE: await _actor(app, BRINDLE)}
    for person, actor in people.items():
        level = "senior" if person is QUILLON else "mid"
        reply = await app.router.run(
            actor,
            "profile",
            {"timezone": "Europe/Berlin", "track": "backend", "level": level, "types": "coding"},
        )
        assert reply.tone is not Tone.ERROR, reply.text
        reply = await app.router.run(actor, "availability", {"text": AVAILABILITY})
        assert reply.tone is not Tone.ERROR, reply.text
        reply = await app.router.run(actor, "schedule", {"type": "coding"})
        assert reply.tone is Tone.SUCCESS, reply.text
    quillon, brindle = people[QUILLON], people[BRINDLE]
    outcome = await app.matching.run_round(quillon.community.id)
    [session] = outcome.sessions
    await app.tick()
    await _advance(app, clock, session.start + timedelta(minutes=session.minutes + 1))
    tokens: list[str] = []
    by_id = {quillon.member.id: (quillon, QUILLON), brindle.member.id: (brindle, BRINDLE)}
    for part, interviewer_id in ((1, session.interviewer_id), (2, session.candidate_id)):
        candidate_id = session.candidate_id if part == 1 else session.interviewer_id
        for member_id, role in ((interviewer_id, "interviewer"), (candidate_id, "candidate")):
            actor, person = by_id[member_id]
            opened = await app.router.act(actor, f"pl:feedback.open:{session.id}:{part}:{role}")
            assert opened.form is not None, opened.text
            ids = {i.id for i in opened.form.inputs}
            texts = {
                "strengths": person.strengths,
                "improvements": person.improvements,
                "admin_note": person.note,
            }
            values = fill(opened.form, **{k: v for k, v in texts.items() if k in ids})
            saved = await app.router.act(actor, opened.form.action, values)
            assert saved.tone is Tone.SUCCESS, saved.text
    await app.tick()
    for actor in (quillon, brindle):
        for command in ("progress", "history", "export", "upcoming"):
            assert (await app.router.run(actor, command, {})).tone is not Tone.ERROR
    ask = await app.router.run(quillon, "forget-me", {})
    tokens += [b.action for b in ask.buttons]
    return quillon, brindle, tokens


async def test_a_whole_session_at_debug_logs_nothing_a_member_wrote(
    database_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    chat = FakeChat()
    chat.closed_dms.add(BRINDLE.external_id)  # the fallback path (and its error texts) too
    app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        _q, _b, tokens = await whole_session(app, clock)
    finally:
        await app.close()
    logged = caplog.text + "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}" for r in caplog.records
    )
    needles = [*QUILLON.texts(), *BRINDLE.texts(), AVAILABILITY, *tokens]
    leaked = [n for n in needles if n in logged]
    assert leaked == [], f"in the logs: {leaked}"


def _text_columns() -> list[tuple[str, str]]:
    return [
        (t.name, c.name)
        for t in metadata.sorted_tables
        for c in t.columns
        if isinstance(c.type, String | Text | JSON)
    ]


async def _tables_holding(app: App, needles: list[str]) -> dict[str, list[str]]:
    """Every (table.column) whose text holds one of ``needles`` (JSON columns as stored, and
    decoded, base64 attachments included)."""
    import base64

    found: dict[str, list[str]] = {}
    async with app.db.engine.connect() as conn:
        for table_name, column in _text_columns():
            table = metadata.tables[table_name]
            for (value,) in (await conn.execute(select(table.c[column]))).all():
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                if isinstance(value, dict):
                    for attachment in value.get("attachments", []):
                        text += (
                            base64.b64decode(attachment[1])
                            .decode("utf-8", "replace")
                            .replace("\r\n ", "")
                        )
                for needle in needles:
                    if needle in text:
                        found.setdefault(f"{table_name}.{column}", []).append(needle)
    return found


async def test_after_forget_me_no_table_holds_the_members_name_or_id(
    chat_db_app: tuple[App, FakeChat], clock: FakeClock
) -> None:
    app, _chat = chat_db_app
    quillon, brindle, tokens = await whole_session(app, clock)
    async with app.db.uow() as tx:
        sent = [i for i in await tx.outbox.all() if i.status.value == "sent"]
    needles = [QUILLON.external_id, QUILLON.display_name]
    before = await _tables_holding(app, needles)
    assert "outbox.message" in before and len(sent) > 10  # sent messages named Quillon
    done = await app.router.act(quillon, tokens[0])
    assert done.title == "Your data is deleted", done.text
    await app.tick()
    assert await _tables_holding(app, needles) == {}
    # Brindle keeps their side, with the placeholder shown.
    async with app.db.uow() as tx:
        members = await tx.members.list(brindle.community.id)
    assert sorted(m.display_name for m in members) == [BRINDLE.display_name, "Former member"]


def test_log_level_debug_keeps_library_payloads_out(caplog: pytest.LogCaptureFixture) -> None:
    """``LOG_LEVEL=DEBUG`` for PeerLoop: libraries that log payloads stay at INFO or above."""
    from bot.logs import OWN_LOGGERS, PAYLOAD_LOGGERS, configure_logging
    from bot.storage.db import STATEMENT_LOGGERS

    names = [
        "discord.gateway",
        "discord.http",
        "slack_sdk.web.async_base_client",
        "slack_bolt.App",
        "websockets.client",
        "aiosqlite",
        "sqlalchemy.engine.Engine",
        "asyncpg",
    ]
    saved = {
        n: logging.getLogger(n).level
        for n in (*PAYLOAD_LOGGERS, *STATEMENT_LOGGERS, *OWN_LOGGERS, "alembic", "apscheduler")
    }
    caplog.set_level(logging.DEBUG)
    try:
        configure_logging("DEBUG")
        for name in names:
            logging.getLogger(name).debug("payload %s", QUILLON.note)
        logging.getLogger("bot.core.services.delivery").debug("delivery of %s", "an-outbox-key")
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
    assert QUILLON.note not in caplog.text
    assert "an-outbox-key" in caplog.text  # PeerLoop's own debug lines are kept


def test_scrubbing_replaces_whole_words_only() -> None:
    """A forgotten "Al" leaves "Also" alone in other members' stored messages."""
    from bot.storage.privacy_repo import _scrub

    message = {"text": "Al and Bo: Also <@U1> at 9", "fields": [["Al", "Alpine"]]}
    assert _scrub(message, {"Al": "Former member", "U1": "former-member"}) == {
        "text": "Former member and Bo: Also <@former-member> at 9",
        "fields": [["Former member", "Alpine"]],
    }
