"""The Discord face end to end: the real discord.py client against the local fake Discord.

Every request body the bot sends is validated against Discord's OpenAPI spec by the
``fake_discord`` fixture at teardown.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.adapters.discord_chat import DiscordChat
from bot.adapters.discord_forms import form_steps
from bot.adapters.discord_render import render_message
from bot.app import App, build_app
from bot.cogs.client import (
    BOT_PERMISSIONS,
    VOICE_PERMISSIONS,
    build_discord_client,
    invite_url,
    start_discord,
)
from bot.cogs.mock import PeerLoopClient
from bot.core.clock import FakeClock
from bot.core.messages import (
    Button,
    ChoiceInput,
    Field,
    FormPage,
    FormSpec,
    Option,
    OutboundMessage,
    TextInput,
    ts,
)
from bot.core.models import Platform
from bot.core.ports import DirectMessagesClosed, TemporaryDeliveryError
from bot.core.surface.commands import Command, NoArgs
from bot.settings import Settings, sqlite_url_for
from tests.conftest import SETTLE_SECONDS, T0, delivered
from tests.fakes import discord_fixtures
from tests.fakes.discord_fixtures import DiscordRunner, client_options
from tests.fakes.fake_discord import EPHEMERAL, FakeDiscord

fake_discord = discord_fixtures.fake_discord
discord_runner = discord_fixtures.discord_runner


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    application = await build_app(sqlite_url_for(tmp_path / "discord.sqlite3"), clock=FakeClock(T0))
    try:
        yield application
    finally:
        await application.close()


def settings_for(fake: FakeDiscord) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token=fake.token,
        discord_api_base_url=fake.api_base_url,
        discord_gateway_url=fake.gateway_url,
        discord_dev_guild_id=fake.guild.id,
    )


async def start_face(app: App, runner: DiscordRunner) -> PeerLoopClient:
    client = build_discord_client(app, settings_for(runner.fake), **client_options())
    await runner.start(client)
    app.chats[Platform.DISCORD] = DiscordChat(client)
    return client


async def command(
    fake: FakeDiscord, user: str, sub: str, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run ``/mock sub`` and return the private reply (the first followup after the deferral)."""
    sent = await fake.interact(fake.slash_command(user, fake.guild, "mock", options or {}, sub))
    return await reply_to(fake, sent)


async def reply_to(fake: FakeDiscord, sent: dict[str, Any]) -> dict[str, Any]:
    """The private reply: a thinking acknowledgement then the first followup; for a press on a
    private message, an update acknowledgement (so the answer may still edit that message)."""
    body = await fake.wait_for_interaction_response(sent)
    pressed = sent.get("message") or {}
    update = sent["type"] == 3 and bool(int(pressed.get("flags") or 0) & EPHEMERAL)
    if update:
        assert body == {"type": 6}, body
    else:
        assert body == {"type": 5, "data": {"flags": EPHEMERAL}}, body

    def replies() -> list[Any]:
        # After an update acknowledgement an edit of the pressed message may come first.
        sent_back = fake.followups(sent["id"])
        return [r for r in sent_back if r.method == "POST"] if update else sent_back

    await fake.wait_until(lambda: bool(replies()), what="a followup")
    first = replies()[0]
    assert first.json["flags"] & EPHEMERAL
    return {**first.json, "id": first.response["id"]}


def raw_text_of(message: dict[str, Any]) -> str:
    """The message's text as sent (Discord markdown, escapes included)."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


def text_of(message: dict[str, Any]) -> str:
    """The message's text as a member reads it (Discord shows ``\\[`` as ``[``)."""
    return re.sub(r"\\([^\w\s])", r"\1", raw_text_of(message))


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message.get("components") or [] for c in row["components"]]


async def community_id(app: App, fake: FakeDiscord) -> str:
    async with app.db.uow() as tx:
        community = await tx.communities.find(Platform.DISCORD, str(fake.guild.id))
    assert community is not None
    return community.id


async def ready(fake: FakeDiscord, user: str) -> None:
    reply = await command(
        fake,
        user,
        "profile",
        {"timezone": "Europe/Berlin", "track": "backend", "level": "mid", "types": "coding"},
    )
    assert "error" not in text_of(reply).lower(), text_of(reply)
    reply = await command(fake, user, "availability", {"text": "daily 08:00-22:00"})
    assert "08:00" in text_of(reply) or "availability" in text_of(reply).lower(), text_of(reply)
    reply = await command(fake, user, "schedule", {"type": "coding", "role": "swap", "days": 7})
    assert reply["flags"] & EPHEMERAL


async def click(fake: FakeDiscord, user: str, custom_id: str, message_id: Any) -> dict[str, Any]:
    return await reply_to(fake, await fake.interact(fake.button_click(user, custom_id, message_id)))


async def settle(client: PeerLoopClient) -> None:
    """Wait until the face has finished its handlers (and the deliveries they triggered)."""
    await client.face.wait_idle(SETTLE_SECONDS)


# ----------------------------------------------------------------------- the journey


async def test_two_members_are_paired_in_a_private_thread(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    (put,) = fake.requests_to("PUT", "/applications/{app}/guilds/{guild}/commands")
    names = {c["name"]: c for c in put.json}
    assert set(names) == {"mock", "mockadmin"}
    assert int(names["mockadmin"]["default_member_permissions"]) == 1 << 5  # Manage Server
    subcommands = {o["name"] for o in names["mock"]["options"]}
    assert {n.split()[0] for n in app.router.command_names} <= subcommands  # groups: `loop`
    loop = next(o for o in names["mock"]["options"] if o["name"] == "loop")
    assert {o["name"] for o in loop["options"]} == {
        n.split()[1] for n in app.router.command_names if n.startswith("loop ")
    }

    await ready(fake, "alice")
    await ready(fake, "bob")

    cid = await community_id(app, fake)
    outcome = await app.matching.run_round(cid)
    assert len(outcome.sessions) == 1, outcome
    await app.tick()
    await delivered(app)

    (create,) = fake.requests_to("POST", "/channels/{id}/threads")
    assert create.json["type"] == 12 and create.json["invitable"] is False
    thread_id = int(create.response["id"])
    alice, bob, carol = fake.user("alice"), fake.user("bob"), fake.user("carol")
    assert {alice.id, bob.id} <= fake.thread_members[thread_id]
    (announcement,) = fake.messages_in(thread_id)
    assert "Mock interview booked" in text_of(announcement)
    assert "<t:" in text_of(announcement) and "{t:" not in text_of(announcement)
    assert announcement["attachments"][0]["filename"].endswith(".ics")
    confirm = next(c for c in custom_ids(announcement) if c.startswith("pl:session.confirm:"))

    reply = await click(fake, "bob", confirm, announcement["id"])
    assert reply["content"].startswith("Confirmed for <t:")
    await settle(client)
    assert any("Bob confirmed." in (m["content"] or "") for m in fake.messages_in(thread_id))

    # Not your session: refused privately, nothing changes.
    reply = await click(fake, "carol", confirm, announcement["id"])
    assert "not yours" in text_of(reply)
    assert carol.id not in fake.thread_members[thread_id]

    # An edited id (not on the message, malformed): a private refusal, not a failed interaction.
    reply = await click(fake, "alice", "pl:session.confirm:../../x", announcement["id"])
    assert "not valid" in text_of(reply)
    reply = await click(fake, "alice", "pl:session.confirm:ffffffff", announcement["id"])
    assert "does not exist" in text_of(reply)

    # A restart: a fresh client, nothing in memory but the code, still answers the button.
    await discord_runner.stop(client)
    client = await start_face(app, discord_runner)
    reply = await click(fake, "alice", confirm, announcement["id"])
    assert reply["content"].startswith("Confirmed for <t:")
    await settle(client)
    assert any("Both of you are in." in (m["content"] or "") for m in fake.messages_in(thread_id))

    # Closed DMs at the start: the guide is NOT posted in the thread, only a button for it.
    async with app.db.uow() as tx:
        (session,) = await tx.sessions.for_community(cid)
        interviewer = await tx.members.get(session.interviewer_id)
    assert interviewer is not None
    fake.close_dms(alice)
    fake.close_dms(bob)
    mark = len(fake.messages_in(thread_id))
    app.clock.set(session.start)  # type: ignore[attr-defined]
    await app.tick()
    await delivered(app)
    posted = fake.messages_in(thread_id)[mark:]
    assert posted, "nothing was posted at the start"
    assert not any("A strong answer covers" in text_of(m) for m in posted)
    guide_buttons = [c for m in posted for c in custom_ids(m) if c.startswith("pl:guide.open:")]
    assert guide_buttons
    # Addressed to the interviewer: a mention, and a ping allowed for them only.
    fallback = next(
        m
        for m in posted
        if (m.get("content") or "").startswith(f"<@{interviewer.external_id}>, ")
        and "couldn't message you" in (m.get("content") or "")
    )
    (sent_fallback,) = [
        r
        for r in fake.requests_to("POST", "/channels/{id}/messages")
        if r.response and r.response.get("id") == fallback["id"]
    ]
    assert sent_fallback.json["allowed_mentions"] == {
        "parse": [],
        "users": [int(interviewer.external_id)],
    }
    guide_id = custom_ids(fallback)[0]
    asker = fake.user(int(interviewer.external_id)).username
    reply = await click(fake, asker, guide_id, fallback["id"])
    assert "A strong answer covers" in text_of(reply)
    other = "alice" if asker == "bob" else "bob"
    reply = await click(fake, other, guide_id, fallback["id"])
    assert "Only this part's interviewer" in text_of(reply)
    await settle(client)


async def test_autocomplete_and_errors_are_private(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    sent = await fake.interact(
        fake.autocomplete("carol", fake.guild, "mock", {"timezone": "berl"}, "timezone", "profile")
    )
    body = await fake.wait_for_interaction_response(sent)
    assert body["type"] == 8
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in body["data"]["choices"]

    sent = await fake.interact(
        fake.autocomplete("carol", fake.guild, "mock", {"types": "coding, sys"}, "types", "profile")
    )
    body = await fake.wait_for_interaction_response(sent)
    assert body["data"]["choices"][0]["value"] == "coding, system-design"

    reply = await command(fake, "carol", "profile", {"timezone": "Mars/Olympus"})
    assert "Mars/Olympus" in text_of(reply)
    reply = await command(fake, "carol", "help")
    assert "PeerLoop" in text_of(reply)
    await settle(client)


async def test_admin_pause_needs_manage_server(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    sent = await fake.interact(fake.slash_command("alice", fake.guild, "mockadmin", {}, "pause"))
    assert "admins" in text_of(await reply_to(fake, sent))
    cid = await community_id(app, fake)
    async with app.db.uow() as tx:
        assert (await tx.communities.get(cid)).settings.paused is False  # type: ignore[union-attr]

    sent = await fake.interact(fake.slash_command("owner", fake.guild, "mockadmin", {}, "pause"))
    assert "paused" in text_of(await reply_to(fake, sent))
    async with app.db.uow() as tx:
        assert (await tx.communities.get(cid)).settings.paused is True  # type: ignore[union-attr]
    sent = await fake.interact(fake.slash_command("owner", fake.guild, "mockadmin", {}, "resume"))
    assert "running again" in text_of(await reply_to(fake, sent))
    await settle(client)


async def test_a_form_with_choices_and_many_text_inputs_is_asked_in_full(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    received: list[dict[str, Any]] = []
    form = FormSpec(
        action="pl:demo.form",
        title="Session feedback",
        pages=(
            FormPage(
                "About the session",
                (
                    ChoiceInput(
                        "score", "Overall", tuple(Option(str(i), str(i)) for i in range(1, 6))
                    ),
                    *(TextInput(f"note{i}", f"Note {i}", required=False) for i in range(1, 7)),
                ),
            ),
        ),
    )

    async def open_form(actor: Any, options: Any) -> OutboundMessage:
        return OutboundMessage(text="Tell us how it went.", form=form)

    async def on_submit(actor: Any, action: Any, values: Any) -> OutboundMessage:
        received.append(dict(values))
        return OutboundMessage(text="Thanks!")

    app.router.declare(Command(("feedbackdemo",), "A demo form", NoArgs), open_form)
    app.router.declare_action("demo.form", on_submit)
    client = await start_face(app, discord_runner)

    reply = await command(fake, "alice", "feedbackdemo")
    (start_id,) = custom_ids(reply)
    message_id = reply["id"]

    # Step 1: the choice, as a select message with Continue.
    sent = await fake.interact(fake.button_click("alice", start_id, message_id))
    body = await fake.wait_for_interaction_response(sent)
    assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL
    select_msg = fake.interactions[int(sent["id"])]["original"]
    select_id, continue_id = custom_ids(select_msg)
    picked = await fake.interact(fake.select("alice", select_id, ["4"], select_msg["id"]))
    assert await fake.wait_for_interaction_response(picked) == {"type": 6}

    # Step 2: five text inputs in a modal; step 3: the sixth, behind a Continue button.
    sent = await fake.interact(fake.button_click("alice", continue_id, select_msg["id"]))
    modal = (await fake.wait_for_interaction_response(sent))["data"]
    inputs = [row["components"][0]["custom_id"] for row in modal["components"]]
    assert len(inputs) == 5 and len(modal["title"]) <= 45
    sent = await fake.interact(
        fake.modal_submit("alice", modal["custom_id"], {i: "ok" for i in inputs})
    )
    body = await fake.wait_for_interaction_response(sent)
    assert body["type"] == 4
    next_msg = fake.interactions[int(sent["id"])]["original"]
    sent = await fake.interact(fake.button_click("alice", custom_ids(next_msg)[0], next_msg["id"]))
    modal = (await fake.wait_for_interaction_response(sent))["data"]
    (row,) = modal["components"]
    sent = await fake.interact(
        fake.modal_submit("alice", modal["custom_id"], {row["components"][0]["custom_id"]: "six"})
    )
    reply = await reply_to(fake, sent)
    assert reply["content"] == "Thanks!"
    assert received == [{"score": "4", **{f"note{i}": "ok" for i in range(1, 6)}, "note6": "six"}]
    await settle(client)


# ----------------------------------------------------------------------- pieces


async def test_start_discord_registers_the_chat_and_closes(
    app: App, fake_discord: FakeDiscord
) -> None:
    running = await start_discord(app, settings_for(fake_discord), **client_options())
    await asyncio.wait_for(running.client.wait_until_ready(), SETTLE_SECONDS)
    assert isinstance(app.chats[Platform.DISCORD], DiscordChat)
    await running.close()
    assert running.task.done()


def test_invite_url_asks_for_exactly_what_is_needed() -> None:
    url = invite_url(1234)
    assert "client_id=1234" in url and "scope=bot+applications.commands" in url
    everything = BOT_PERMISSIONS | VOICE_PERMISSIONS
    assert f"permissions={everything.value}" in url
    assert not everything.administrator and not everything.manage_guild
    assert not everything.manage_roles and not everything.move_members
    assert BOT_PERMISSIONS.create_private_threads and BOT_PERMISSIONS.send_messages_in_threads
    # the voice channels: make and remove them, let the pair connect and speak; the events
    assert VOICE_PERMISSIONS == discord.Permissions(
        manage_channels=True, connect=True, speak=True, create_events=True
    )
    assert f"permissions={BOT_PERMISSIONS.value}" in invite_url(1234, voice=False)


@pytest.mark.undeclared_actions
async def test_render_limits_and_time_tokens() -> None:
    when = T0
    message = OutboundMessage(
        title="t" * 200,
        text=f"At {ts(when)} ({ts(when, 'R')})",
        fields=tuple(Field(f"f{i}", "v" * 1000) for i in range(20)),
        buttons=tuple(Button(f"b{i}", f"pl:x.y:{i}") for i in range(7)),
    )
    rendered = render_message(message)
    assert rendered.embed is not None
    assert (
        rendered.embed.description
        == f"At <t:{int(when.timestamp())}:F> (<t:{int(when.timestamp())}:R>)"
    )
    assert len(rendered.embed) <= 6000
    assert rendered.view is not None and len(rendered.view.children) == 7
    assert [i.custom_id for i in rendered.view.children][:2] == ["pl:x.y:0", "pl:x.y:1"]  # type: ignore[attr-defined]
    steps = form_steps(
        FormSpec("pl:f", "F", (FormPage("P", tuple(TextInput(f"i{i}", "L") for i in range(11))),))
    )
    assert [len(s.texts) for s in steps] == [5, 5, 1]


class _NoSleep:
    """Stands in for the asyncio module inside discord.http: skips its retry back-off."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def sleep(self, delay: float, result: Any = None) -> Any:
        await asyncio.sleep(0)
        return result


async def test_chat_port_maps_discord_errors(
    app: App,
    fake_discord: FakeDiscord,
    discord_runner: DiscordRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    chat = DiscordChat(client)
    actor = await app.actors.resolve(
        Platform.DISCORD, str(fake.guild.id), "PeerLoop Dev", str(fake.user("carol").id), "Carol"
    )
    ref = await chat.send_direct(actor.member, OutboundMessage(text="Hello"))
    assert [m["content"] for m in fake.dms_to("carol")] == ["Hello"]
    assert ref.endswith(fake.dms_to("carol")[0]["id"])

    fake.close_dms("carol")
    with pytest.raises(DirectMessagesClosed):
        await chat.send_direct(actor.member, OutboundMessage(text="Closed"))

    monkeypatch.setattr(discord.http, "asyncio", _NoSleep())
    fake.fail_next("POST", "/channels/{id}/messages", 503, times=10)
    with pytest.raises(TemporaryDeliveryError):
        await chat.post(
            actor.community, str(fake.guild.text_channel_id), OutboundMessage(text="Later")
        )
    fake.faults.clear()

    space = await chat.open_pair_space(actor.community, [actor.member], "Coding: Carol")
    assert fake.channels[int(space)]["parent_id"] == str(fake.guild.text_channel_id)
    await chat.post(actor.community, space, OutboundMessage(title="Hi", text="In the thread"))
    assert "In the thread" in text_of(fake.messages_in(int(space))[0])
