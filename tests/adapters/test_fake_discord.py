"""The fake Discord, driven through the stock discord.py library.

Each test starts a real ``discord.Client`` with an ``app_commands.CommandTree``
against :class:`tests.fakes.fake_discord.FakeDiscord`; every request body it
records is validated against Discord's OpenAPI spec by the fixture.
"""

from __future__ import annotations

import asyncio
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.adapters.discord_client import (
    DEFAULT_API_BASE_URL,
    DEFAULT_GATEWAY_URL,
    configure_discord_endpoints,
    current_discord_endpoints,
    discord_endpoints,
)
from tests.fakes import discord_fixtures
from tests.fakes.discord_fixtures import DiscordRunner, client_options
from tests.fakes.discord_spec import load_discord_spec, requires_discord_spec
from tests.fakes.fake_discord import EPHEMERAL, FakeDiscord, RecordedRequest

# The fixtures, made visible to pytest in this module (tests/conftest.py may load them for all).
fake_discord = discord_fixtures.fake_discord
discord_runner = discord_fixtures.discord_runner

TRACKS = ["backend", "frontend", "data", "mobile", "infrastructure"]


class ConfirmButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"pl:confirm:(?P<sid>[0-9]+)"
):
    """A persistent button: its state lives in the custom_id, so it survives a restart."""

    def __init__(self, session_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Confirm",
                style=discord.ButtonStyle.success,
                custom_id=f"pl:confirm:{session_id}",
            )
        )
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> ConfirmButton:
        return cls(int(match["sid"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(
            content=f"Session {self.session_id} confirmed.", view=None
        )


class TrackView(discord.ui.View):
    """A persistent view with a select; answers with a deferred update and edits @original."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(
        custom_id="pl:track",
        placeholder="Pick a track",
        options=[discord.SelectOption(label=t.title(), value=t) for t in TRACKS],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content=f"Track set to {select.values[0]}.")


class FeedbackModal(discord.ui.Modal, title="Session feedback"):
    notes: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="What went well?", style=discord.TextStyle.paragraph, max_length=1000
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"Thanks, noted {len(self.notes.value)} characters.", ephemeral=True
        )


def build_client(fake: FakeDiscord) -> tuple[discord.Client, app_commands.CommandTree[Any]]:
    client = discord.Client(**client_options())
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)

    @tree.command(name="ping", description="Check that PeerLoop is listening")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    session = app_commands.Group(name="session", description="Mock interview sessions")

    @session.command(name="request", description="Ask for a practice partner")
    @app_commands.describe(track="Interview track", level="Seniority level 1-5")
    async def request(interaction: discord.Interaction, track: str, level: int = 2) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(
            f"Looking for a {track} partner at level {level}.", ephemeral=True
        )
        await interaction.followup.send("A second note.", ephemeral=True)

    @request.autocomplete("track")
    async def track_autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=t.title(), value=t) for t in TRACKS if current.lower() in t
        ]

    tree.add_command(session)

    @tree.command(name="feedback", description="Give feedback on your last session")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackModal())

    client.add_dynamic_items(ConfirmButton)
    client.add_view(TrackView())
    tree.copy_global_to(guild=discord.Object(fake.guild.id))
    return client, tree


async def start_bot(runner: DiscordRunner, *, sync: bool = True) -> tuple[discord.Client, Any]:
    client, tree = build_client(runner.fake)
    await runner.start(client)
    if sync:
        await tree.sync(guild=discord.Object(runner.fake.guild.id))
    return client, tree


# --------------------------------------------------------------------- endpoints


def test_configure_endpoints_sets_and_restores_discord_defaults() -> None:
    with discord_endpoints("http://127.0.0.1:9/api/v10/", "ws://127.0.0.1:9"):
        current = current_discord_endpoints()
        assert current.api_base_url == "http://127.0.0.1:9/api/v10"
        assert current.gateway_url.startswith("ws://127.0.0.1:9")
        assert discord.http.Route("GET", "/users/@me").url == "http://127.0.0.1:9/api/v10/users/@me"
    configure_discord_endpoints(None, None)
    assert current_discord_endpoints().api_base_url == DEFAULT_API_BASE_URL
    assert current_discord_endpoints().gateway_url == DEFAULT_GATEWAY_URL
    with pytest.raises(ValueError, match="ws"):
        configure_discord_endpoints(None, "http://127.0.0.1:9")
    with pytest.raises(ValueError, match="http"):
        configure_discord_endpoints("127.0.0.1:9/api", None)


# ------------------------------------------------------------------ connecting


async def test_ready_and_guild_create(
    fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    client, _ = await start_bot(discord_runner, sync=False)

    assert client.user is not None and client.user.id == fake_discord.bot.id
    assert client.application_id == fake_discord.application_id
    guild = client.get_guild(fake_discord.guild.id)
    assert guild is not None and not guild.unavailable
    channel = guild.get_channel(fake_discord.guild.text_channel_id)
    assert isinstance(channel, discord.TextChannel)
    assert guild.me.guild_permissions.create_private_threads
    assert channel.permissions_for(guild.me).send_messages
    alice = fake_discord.user("alice")
    # Default intents lack GUILD_MEMBERS, so (like Discord) only the bot's member is sent.
    assert guild.get_member(alice.id) is None
    assert guild.member_count == len(fake_discord.guild.member_ids)
    member = await guild.fetch_member(alice.id)
    assert member.name == "alice"

    conn = fake_discord.gateway_connections[0]
    assert conn.query["v"] == "10" and conn.query["encoding"] == "json"
    # discord.py asks for transport compression; the fake speaks zlib-stream when asked.
    assert conn.query.get("compress") == discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE
    assert fake_discord.identifies[0]["token"] == fake_discord.token
    assert fake_discord.identifies[0]["intents"] == discord.Intents.default().value
    assert [r.route for r in fake_discord.requests][:2] == [
        "/users/@me",
        "/oauth2/applications/@me",
    ]


async def test_command_sync_to_dev_guild(
    fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    await start_bot(discord_runner)
    (put,) = fake_discord.requests_to("PUT", "/applications/{app}/guilds/{guild}/commands")
    assert put.path.endswith(f"/guilds/{fake_discord.guild.id}/commands")
    by_name = {c["name"]: c for c in put.json}
    assert set(by_name) == {"ping", "session", "feedback"}
    (sub,) = by_name["session"]["options"]
    assert sub["type"] == 1 and sub["name"] == "request"
    track = next(o for o in sub["options"] if o["name"] == "track")
    assert track["autocomplete"] is True and track["required"] is True
    stored = fake_discord.guild_commands[fake_discord.guild.id]
    assert all(c["id"] and c["guild_id"] == str(fake_discord.guild.id) for c in stored)


# ---------------------------------------------------------------- interactions


async def test_slash_command_ephemeral_reply(
    fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    await start_bot(discord_runner)
    interaction = await fake_discord.interact(
        fake_discord.slash_command("alice", fake_discord.guild, "ping")
    )
    body = await fake_discord.wait_for_interaction_response(interaction)
    assert body["type"] == 4
    assert body["data"]["content"] == "pong"
    assert body["data"]["flags"] == EPHEMERAL


async def test_deferred_reply_then_followups(
    fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    await start_bot(discord_runner)
    interaction = await fake_discord.interact(
        fake_discord.slash_command(
            "bob", fake_discord.guild, "session", {"track": "backend", "level": 3}, "request"
        )
    )
    body = await fake_discord.wait_for_interaction_response(interaction)
    assert body == {"type": 5, "data": {"flags": EPHEMERAL}}
    token = interaction["token"]
    second = await fake_discord.wait_for_request(
        "POST", f"/webhooks/{fake_discord.application_id}/{token}", count=2
    )
    first = fake_discord.followups(interaction["id"])[0]
    assert first.json["content"] == "Looking for a backend partner at level 3."
    assert first.json["flags"] == EPHEMERAL and second.json["flags"] == EPHEMERAL
    assert first.query.get("wait") in ("1", "true")
    # The first followup after a deferral becomes the deferred (loading) message itself.
    messages = fake_discord.messages_in(fake_discord.guild.text_channel_id)
    assert [m["content"] for m in messages] == [
        "Looking for a backend partner at level 3.",
        "A second note.",
    ]
    assert all(m["flags"] & EPHEMERAL for m in messages)


async def test_autocomplete_returns_choices(
    fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    await start_bot(discord_runner)
    interaction = await fake_discord.interact(
        fake_discord.autocomplete(
            "carol", fake_discord.guild, "session", {"track": "end"}, "track", "request"
        )
    )
    body = await fake_discord.wait_for_interaction_response(interaction)
    assert body["type"] == 8
    assert body["data"]["choices"] == [
        {"name": "Backend", "value": "backend"},
        {"name": "Frontend", "value": "frontend"},
    ]


async def test_dynamic_button_works_after_restart(
    fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    first, _ = await start_bot(discord_runner)
    channel = first.get_channel(fake_discord.guild.text_channel_id)
    assert isinstance(channel, discord.TextChannel)
    view = discord.ui.View(timeout=None)
    view.add_item(ConfirmButton(4242))
    sent = await channel.send("Your session is ready.", view=view)
    await discord_runner.stop(first)

    await start_bot(discord_runner, sync=False)  # a fresh process: nothing in memory but the code
    click = await fake_discord.interact(
        fake_discord.button_click("alice", "pl:confirm:4242", sent.id)
    )
    body = await fake_discord.wait_for_interaction_response(click)
    assert body["type"] == 7
    assert body["data"]["content"] == "Session 4242 confirmed."
    assert body["data"]["components"] == []
    stored = fake_discord.find_message(sent.id)
    assert stored is not None and stored["content"] == "Session 4242 confirmed."
    assert fake_discord.identifies[1]["token"] == fake_discord.token  # a new IDENTIFY, not a RESUME


async def test_select_defer_update_then_edit_original(
    fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    client, _ = await start_bot(discord_runner, sync=False)
    channel = client.get_channel(fake_discord.guild.text_channel_id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("Which track?", view=TrackView())
    (row,) = fake_discord.find_message(sent.id)["components"]  # type: ignore[index]
    assert row["components"][0]["custom_id"] == "pl:track"

    picked = await fake_discord.interact(fake_discord.select("bob", "pl:track", ["data"], sent.id))
    assert (await fake_discord.wait_for_interaction_response(picked)) == {"type": 6}
    patch = await fake_discord.wait_for_request(
        "PATCH", "/webhooks/{app}/{token}/messages/@original"
    )
    assert patch.json["content"] == "Track set to data."
    assert fake_discord.find_message(sent.id)["content"] == "Track set to data."  # type: ignore[index]


async def test_modal_open_and_submit(
    fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    await start_bot(discord_runner)
    opened = await fake_discord.interact(
        fake_discord.slash_command("alice", fake_discord.guild, "feedback")
    )
    body = await fake_discord.wait_for_interaction_response(opened)
    assert body["type"] == 9
    modal = body["data"]
    assert modal["title"] == "Session feedback"
    (row,) = modal["components"]
    text_input = row["components"][0]
    assert text_input["type"] == 4 and text_input["max_length"] == 1000

    submitted = await fake_discord.interact(
        fake_discord.modal_submit(
            "alice", modal["custom_id"], {text_input["custom_id"]: "Clear structure."}
        )
    )
    reply = await fake_discord.wait_for_interaction_response(submitted)
    assert reply == {
        "type": 4,
        "data": {"tts": False, "content": "Thanks, noted 16 characters.", "flags": EPHEMERAL},
    }


async def test_answering_twice_is_rejected_like_discord(
    fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    client, _ = await start_bot(discord_runner)
    payload = fake_discord.slash_command("alice", fake_discord.guild, "ping")
    await fake_discord.interact(payload)
    await fake_discord.wait_for_interaction_response(payload)
    interaction = discord.Interaction(data=payload, state=client._connection)  # type: ignore[arg-type]
    with pytest.raises(discord.HTTPException) as excinfo:
        await interaction.response.send_message("again")
    assert excinfo.value.code == 40060


# ------------------------------------------------------------- REST features


async def test_dm_open_and_send(fake_discord: FakeDiscord, discord_runner: DiscordRunner) -> None:
    client, _ = await start_bot(discord_runner, sync=False)
    alice = fake_discord.user("alice")
    user = client.get_user(alice.id) or await client.fetch_user(alice.id)
    message = await user.send("You have been matched with Bob.")

    (open_dm,) = fake_discord.requests_to("POST", "/users/@me/channels")
    assert int(open_dm.json["recipient_id"]) == alice.id
    dm = fake_discord.dms_to("alice")
    assert [m["content"] for m in dm] == ["You have been matched with Bob."]
    assert message.id == int(dm[0]["id"])


async def test_private_thread_with_members(
    fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    client, _ = await start_bot(discord_runner, sync=False)
    channel = client.get_channel(fake_discord.guild.text_channel_id)
    assert isinstance(channel, discord.TextChannel)
    thread = await channel.create_thread(
        name="alice-bob mock interview",
        type=discord.ChannelType.private_thread,
        invitable=False,
        auto_archive_duration=1440,
    )
    alice, bob = fake_discord.user("alice"), fake_discord.user("bob")
    await thread.add_user(discord.Object(alice.id))
    await thread.add_user(discord.Object(bob.id))
    await thread.send("Welcome, both of you.")

    (create,) = fake_discord.requests_to("POST", "/channels/{id}/threads")
    assert create.json["name"] == "alice-bob mock interview"
    assert (create.json["type"], create.json["invitable"]) == (12, False)
    assert create.json["auto_archive_duration"] == 1440
    assert thread.type is discord.ChannelType.private_thread
    assert fake_discord.thread_members[thread.id] == {fake_discord.bot.id, alice.id, bob.id}
    assert [m["content"] for m in fake_discord.messages_in(thread.id)] == ["Welcome, both of you."]


async def test_file_attachment(fake_discord: FakeDiscord, discord_runner: DiscordRunner) -> None:
    client, _ = await start_bot(discord_runner, sync=False)
    channel = client.get_channel(fake_discord.guild.text_channel_id)
    assert isinstance(channel, discord.TextChannel)
    content = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    message = await channel.send(
        "Calendar invite", file=discord.File(io.BytesIO(content), "session.ics")
    )

    (req,) = fake_discord.requests_to("POST", "/channels/{id}/messages")
    assert req.is_multipart
    assert [(f.field_name, f.filename, f.data) for f in req.files] == [
        ("files[0]", "session.ics", content)
    ]
    assert req.json["content"] == "Calendar invite"
    assert message.attachments[0].filename == "session.ics"
    assert message.attachments[0].size == len(content)


async def test_scheduled_event(fake_discord: FakeDiscord, discord_runner: DiscordRunner) -> None:
    client, _ = await start_bot(discord_runner, sync=False)
    guild = client.get_guild(fake_discord.guild.id)
    assert guild is not None
    start = datetime.now(UTC) + timedelta(days=1)
    event = await guild.create_scheduled_event(
        name="Mock interview: system design",
        start_time=start,
        end_time=start + timedelta(hours=1),
        entity_type=discord.EntityType.external,
        privacy_level=discord.PrivacyLevel.guild_only,
        location="Voice: Interview room",
    )
    (req,) = fake_discord.requests_to("POST", "/guilds/{id}/scheduled-events")
    assert req.json["entity_type"] == 3 and req.json["entity_metadata"] == {
        "location": "Voice: Interview room"
    }
    assert event.name == "Mock interview: system design"


async def test_unknown_route_is_a_404_and_recorded(
    fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    client, _ = await start_bot(discord_runner, sync=False)
    with pytest.raises(discord.NotFound):
        await client.http.request(discord.http.Route("GET", "/guilds/{guild_id}/bans", guild_id=1))
    assert [r.path for r in fake_discord.unhandled] == ["/guilds/1/bans"]
    fake_discord.unhandled.clear()  # expected here; the fixture fails tests that leave any


# ------------------------------------------------------------------- faults


async def test_429_is_retried_and_the_message_arrives_once(
    fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    client, _ = await start_bot(discord_runner, sync=False)
    channel = client.get_channel(fake_discord.guild.text_channel_id)
    assert isinstance(channel, discord.TextChannel)
    fault = fake_discord.fail_next("POST", "/channels/{id}/messages", 429, retry_after=0.3)

    loop = asyncio.get_running_loop()
    began = loop.time()
    await channel.send("Reminder: your session starts in 1 hour.")
    elapsed = loop.time() - began

    attempts = fake_discord.requests_to("POST", "/channels/{id}/messages")
    assert [r.status for r in attempts] == [429, 200]
    assert fault.hits == 1
    assert elapsed >= 0.3
    assert attempts[0].response["retry_after"] == 0.3
    contents = [m["content"] for m in fake_discord.messages_in(channel.id)]
    assert contents == ["Reminder: your session starts in 1 hour."]


class _RecordingSleep:
    """Stands in for the asyncio module inside discord.http: records the delays, skips them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def sleep(self, delay: float, result: Any = None) -> Any:
        self.delays.append(delay)
        await asyncio.sleep(0)
        return result


async def test_500_is_retried_with_backoff_then_surfaced(
    fake_discord: FakeDiscord, discord_runner: DiscordRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = await start_bot(discord_runner, sync=False)
    channel = client.get_channel(fake_discord.guild.text_channel_id)
    assert isinstance(channel, discord.TextChannel)
    sleeper = _RecordingSleep()
    monkeypatch.setattr(discord.http, "asyncio", sleeper)

    # A transient 500: discord.py retries after 1 s and the message arrives once.
    fake_discord.fail_next("POST", "/channels/{id}/messages", 500)
    await channel.send("first")
    assert sleeper.delays == [1]
    assert [m["content"] for m in fake_discord.messages_in(channel.id)] == ["first"]

    # A persistent 500: five attempts in all (backoff 1, 3, 5, 7, 9 s), then DiscordServerError.
    sleeper.delays.clear()
    mark = fake_discord.mark()
    fake_discord.fail_next("POST", "/channels/{id}/messages", 500, times=10)
    with pytest.raises(discord.DiscordServerError) as excinfo:
        await channel.send("second")
    assert excinfo.value.status == 500
    assert len(fake_discord.requests[mark:]) == 5
    assert sleeper.delays == [1, 3, 5, 7, 9]
    assert [m["content"] for m in fake_discord.messages_in(channel.id)] == ["first"]


async def test_403_on_closed_dms_raises_forbidden(
    fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    client, _ = await start_bot(discord_runner, sync=False)
    bob = fake_discord.user("bob")
    fake_discord.close_dms(bob)
    user = await client.fetch_user(bob.id)
    with pytest.raises(discord.Forbidden) as excinfo:
        await user.send("Your partner cancelled.")
    assert excinfo.value.code == 50007
    assert excinfo.value.text == "Cannot send messages to this user"

    # The same through fail_next, on one request only.
    carol = await client.fetch_user(fake_discord.user("carol").id)
    fake_discord.fail_next(
        "POST",
        "/channels/{id}/messages",
        403,
        {"message": "Cannot send messages to this user", "code": 50007},
    )
    with pytest.raises(discord.Forbidden):
        await carol.send("one")
    await carol.send("two")
    assert [m["content"] for m in fake_discord.dms_to("carol")] == ["two"]


async def test_dropped_gateway_resumes_and_replays_missed_events(
    fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    client, _ = await start_bot(discord_runner)
    resumed = asyncio.Event()

    @client.event
    async def on_resumed() -> None:
        resumed.set()

    session_id = fake_discord.session.id if fake_discord.session else None
    seq_before = fake_discord.session.seq if fake_discord.session else 0
    await fake_discord.drop_connection(hold=True)
    # Events pushed while the bot is away: only RESUME's replay can deliver them.
    missed = fake_discord.slash_command("alice", fake_discord.guild, "ping")
    await fake_discord.interact(missed)
    assert not fake_discord.interaction_callbacks(missed["id"])
    fake_discord.release_connections()

    await asyncio.wait_for(resumed.wait(), 5)
    body = await fake_discord.wait_for_interaction_response(missed)
    assert body["type"] == 4 and body["data"]["content"] == "pong"
    assert fake_discord.resumes == [
        {"token": fake_discord.token, "session_id": session_id, "seq": seq_before}
    ]
    assert fake_discord.gateway_connections[-1].path == "/resume"
    assert len(fake_discord.identifies) == 1

    after = await fake_discord.interact(
        fake_discord.slash_command("bob", fake_discord.guild, "ping")
    )
    assert (await fake_discord.wait_for_interaction_response(after))["type"] == 4
    session = fake_discord.session
    assert session is not None
    assert [f["s"] for f in session.frames] == list(range(1, session.seq + 1))
    assert [f["t"] for f in session.frames][-3:] == [
        "INTERACTION_CREATE",
        "RESUMED",
        "INTERACTION_CREATE",
    ]
    assert client.ws is not None and client.ws.sequence == session.seq


async def test_invalid_session_leads_to_a_fresh_identify_at_the_configured_gateway(
    fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    client, _ = await start_bot(discord_runner, sync=False)

    # discord.py sleeps 5 s before a non-initial IDENTIFY; this documented hook skips that.
    async def identify_now(shard_id: int | None, *, initial: bool = False) -> None:
        return None

    client.before_identify_hook = identify_now  # type: ignore[method-assign]
    await fake_discord.invalidate_session(resumable=False)
    await fake_discord.wait_until(
        lambda: len(fake_discord.identifies) == 2, what="a second IDENTIFY"
    )
    await fake_discord.wait_for_connection()
    assert fake_discord.gateway_connections[-1].path == "/"  # DEFAULT_GATEWAY, i.e. the fake
    assert fake_discord.resumes == []
    interaction = await fake_discord.interact(
        fake_discord.slash_command("alice", fake_discord.guild, "ping")
    )
    await fake_discord.wait_for_interaction_response(interaction)


# ------------------------------------------------------------- spec checker


@requires_discord_spec
def test_spec_checker_catches_bad_bodies() -> None:
    spec = load_discord_spec()
    assert spec is not None

    def rec(method: str, path: str, body: Any) -> RecordedRequest:
        return RecordedRequest(0, method, path, {}, {}, "application/json", json=body)

    too_long_title = {
        "type": 9,
        "data": {
            "custom_id": "m",
            "title": "x" * 46,
            "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": "a", "label": "A", "style": 1}]}
            ],
        },
    }
    assert spec.check(rec("POST", "/interactions/1/tok/callback", too_long_title))
    too_long_title["data"]["title"] = "x" * 45  # type: ignore[index]
    assert spec.check(rec("POST", "/interactions/1/tok/callback", too_long_title)) == []
    assert spec.check(rec("POST", "/interactions/1/tok/callback", {"type": 99}))
    long_id = {
        "content": "x",
        "components": [
            {
                "type": 1,
                "components": [{"type": 2, "style": 1, "label": "x", "custom_id": "c" * 101}],
            }
        ],
    }
    assert spec.check(rec("POST", "/channels/1/messages", long_id))
    assert spec.check(rec("POST", "/users/@me/channels", {"recipient_id": 5})) == []
    assert spec.check(rec("GET", "/nowhere", None))
