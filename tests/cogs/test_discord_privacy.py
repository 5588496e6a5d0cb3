"""/mock export and /mock forget-me on the Discord face: the real discord.py client against
the local fake Discord (request bodies checked against Discord's OpenAPI spec at teardown)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.messages import FormPage, FormSpec, TextInput
from bot.core.models import Platform
from bot.settings import sqlite_url_for
from tests.cogs.rig import (
    click,
    command,
    community_id,
    custom_ids,
    discord_runner,
    fake_discord,
    ready,
    start_face,
    text_of,
)
from tests.conftest import SETTLE_SECONDS, T0
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.fake_discord import EPHEMERAL, FakeDiscord, RecordedRequest

__all__ = ["discord_runner", "fake_discord"]

DANGER, SECONDARY = 4, 2


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    application = await build_app(
        sqlite_url_for(tmp_path / "discord-privacy.sqlite3"), clock=FakeClock(T0)
    )
    try:
        yield application
    finally:
        await application.close()


async def test_export_arrives_as_a_private_json_file(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    await start_face(app, discord_runner)
    await ready(fake, "alice")
    sent = await fake.interact(fake.slash_command("alice", fake.guild, "mock", {}, "export"))
    reply = await _first_followup(fake, sent)
    assert reply.json["flags"] & EPHEMERAL
    assert "Your PeerLoop data" in text_of(reply.json)
    [upload] = reply.files
    assert upload.filename.startswith("peerloop-export-") and upload.filename.endswith(".json")
    doc = json.loads(upload.data)
    assert doc["schema_version"] == 2
    assert doc["profile"]["platform_user_id"] == str(fake.user("alice").id)
    assert doc["profile"]["timezone"] == "Europe/Berlin"
    assert [r["interview_type"] for r in doc["requests"]] == ["coding"]


async def test_forget_me_confirm_flow(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await ready(fake, "alice")
    await ready(fake, "bob")
    ask = await command(fake, "alice", "forget-me")
    assert "Delete all your PeerLoop data?" in text_of(ask)
    buttons = [c for row in ask["components"] for c in row["components"]]
    assert [(b["label"], b["style"]) for b in buttons] == [
        ("Delete my data", DANGER),
        ("Keep my data", SECONDARY),
    ]
    delete_id, keep_id = custom_ids(ask)

    # Bob pressing Alice's button is refused; nothing changes.
    refused = await click(fake, "bob", delete_id, ask["id"])
    assert "someone else" in text_of(refused)
    kept = await click(fake, "alice", keep_id, ask["id"])
    assert "Nothing was deleted" in text_of(kept)
    cid = await community_id(app, fake)
    alice_id = str(fake.user("alice").id)
    async with app.db.uow() as tx:
        assert await tx.members.find(cid, alice_id) is not None

    assert app.forms is not None  # a half-filled form holds what she typed: it goes too
    draft = await app.forms.start(
        Platform.DISCORD,
        alice_id,
        FormSpec("pl:demo.form", "Notes", (FormPage("Notes", (TextInput("note", "Note"),)),)),
    )
    await app.forms.update(draft.id, Platform.DISCORD, alice_id, {"note": "Something private."})

    done = await click(fake, "alice", delete_id, ask["id"])
    assert "Your data is deleted" in text_of(done)
    again = await click(fake, "alice", delete_id, ask["id"])
    assert "already been deleted" in text_of(again)
    await client.face.wait_idle(SETTLE_SECONDS)
    async with app.db.uow() as tx:
        assert await tx.members.find(cid, alice_id) is None
        assert await tx.form_drafts.get(draft.id) is None
        bob = await tx.members.find(cid, str(fake.user("bob").id))
        assert bob is not None and bob.timezone == "Europe/Berlin"
        assert [r.interview_type.value for r in await tx.requests.open_for_member(bob.id)] == [
            "coding"
        ]


async def _first_followup(fake: FakeDiscord, sent: dict[str, Any]) -> RecordedRequest:
    """The deferral is private; the first followup carries the reply (and its files)."""
    body = await fake.wait_for_interaction_response(sent)
    assert body == {"type": 5, "data": {"flags": EPHEMERAL}}, body
    await fake.wait_until(lambda: bool(fake.followups(sent["id"])), what="a followup")
    return fake.followups(sent["id"])[0]
