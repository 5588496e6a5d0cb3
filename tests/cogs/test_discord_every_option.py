"""Every declared command and every option of it, on Discord, with what a hostile member can
send: generic over the declarations (``bot.core.surface.commands.COMMANDS``), so a command or
an option added later is covered without a new test.

Through the real discord.py client against the fake Discord (request bodies validated against
Discord's OpenAPI spec at teardown). Discord checks types, ranges and choices in its client,
but an interaction is only JSON: a modified client sends anything, so each option gets text
of 6,000 hostile characters, a choice that is not offered, numbers far out of range, and a
member who is not in the server. Every interaction is answered once and privately, never with
an incident, never with a ping; an admin command from a member without Manage Server is
refused; and nothing a member typed reaches a log line at any level.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.surface.commands import COMMANDS, Command
from bot.core.surface.options import Complete, Kind, Option
from tests.cogs.rig import (
    book_a_pair,
    command,
    discord_runner,
    fake_discord,
    ready,
    settle,
    start_face,
    text_of,
)
from tests.cogs.test_discord_adversarial import (
    NASTY,
    assert_every_interaction_answered_once,
    assert_safe,
    first_reply,
)
from tests.conftest import T0
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.fake_discord import EPHEMERAL, FakeDiscord

__all__ = ["app", "discord_runner", "fake_discord"]


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[App]:
    """The app on SQLite and, when configured, PostgreSQL (which refuses what SQLite takes,
    such as NUL in text)."""
    application = await build_app(database_url, clock=FakeClock(T0))
    try:
        yield application
    finally:
        await application.close()


INCIDENT = "Something went wrong (incident"
ADMINS_ONLY = "Only community admins"
#: A word no reply of PeerLoop holds: it marks what the member typed, to find it in the logs.
MARK = "Zqxjkv"
MARKED = f"{MARK} {NASTY}"
MARKED_LONG = (MARKED * 60)[:6000]


def hostile(option: Option) -> list[Any]:
    """What a modified client can send for ``option`` (Discord's own client would refuse it)."""
    if option.kind in (Kind.TEXT, Kind.LIST):
        # over any limit, then as long as the option takes (so it reaches the service)
        fits = [MARKED_LONG[: option.max_length]] if option.max_length else []
        return [MARKED_LONG, MARKED, *fits, "\x00" * 50]
    if option.kind is Kind.CHOICE:
        return [9_007_199_254_740_991] if option.value_type is int else [MARKED_LONG, MARKED]
    if option.kind is Kind.INT:
        return [-9_007_199_254_740_991, 9_007_199_254_740_991, 0]
    if option.kind is Kind.BOOL:
        return [True]
    if option.kind is Kind.MEMBER:
        return ["ghost", "owner"]  # not in the server; the server's owner
    return []  # channels and files: Discord resolves them, they carry no text


def valid(option: Option) -> Any:
    """A value each required option accepts, so the hostile one reaches the service."""
    if option.kind is Kind.MEMBER:
        return "bob"
    if option.kind is Kind.INT:
        return option.min if option.min is not None else 1
    if option.kind is Kind.CHOICE:
        value = option.choices[0][1]
        return int(value) if option.value_type is int else value
    if option.kind is Kind.LIST:
        return "coding"
    return "x"


def cases() -> Iterator[tuple[Command, dict[str, Any]]]:
    """Each declared command once with its required options, then once per hostile value of
    each of its options (the others required given a valid value)."""
    for declared in COMMANDS:
        required = {o.name: valid(o) for o in declared.options if o.required}
        yield declared, required
        for option in declared.options:
            for value in hostile(option):
                yield declared, {**required, option.name: value}


def group_and_path(declared: Command) -> tuple[str, tuple[str, ...]]:
    if declared.admin:
        return "mockadmin", declared.path[1:]
    return "mock", declared.path


async def test_every_option_of_every_command_takes_what_a_modified_client_sends(
    app: App,
    fake_discord: FakeDiscord,
    discord_runner: DiscordRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = fake_discord
    fake.add_user("ghost", f"{MARK} ghost")  # a user who never joined the server
    client = await start_face(app, discord_runner)
    for user in ("alice", "bob"):
        await ready(fake, user)
    caplog.set_level(logging.DEBUG)
    seen = 0
    for declared, options in cases():
        group, path = group_and_path(declared)
        # members run /mock; admin commands are tried by the owner and by a member
        users = ("owner", "carol") if declared.admin else ("alice",)
        for user in users:
            sent = await fake.interact(fake.slash_command(user, fake.guild, group, options, *path))
            reply = await first_reply(fake, sent)
            where = (user, declared.usage, {k: str(v)[:30] for k, v in options.items()})
            if "callback" in reply:  # a modal would be a form screen: no command answers so
                raise AssertionError((where, reply))
            assert reply["flags"] & EPHEMERAL, where
            assert_safe(reply)
            shown = text_of(reply)
            assert INCIDENT not in shown, (where, shown[:300])
            if declared.admin and user == "carol":
                assert ADMINS_ONLY in shown, (where, shown[:300])
            await settle(client)
            seen += 1
    assert seen > 150
    assert_every_interaction_answered_once(fake)
    logged = [r for r in caplog.records if MARK in r.getMessage() or MARK in (r.exc_text or "")]
    assert logged == [], [(r.name, r.levelname, r.getMessage()[:200]) for r in logged]


async def tables(app: App) -> dict[str, list[str]]:
    """Every row of every table, as text."""
    from sqlalchemy import select
    from sqlmodel import SQLModel

    found = {}
    async with app.db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows = (await conn.execute(select(table))).all()
            found[table.name] = sorted(repr(tuple(row)) for row in rows)
    return found


async def test_every_declared_action_with_another_members_ids_is_refused_and_changes_nothing(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    """Carol, a member of the server but of nothing here, sends every action verb the router
    declares with the ids of Alice's and Bob's session, requests and membership, as a button,
    a select and a modal: each is answered privately, none with an incident, none changes a
    row (admin ones are refused as admin-only)."""
    fake = fake_discord
    client = await start_face(app, discord_runner)
    session = await book_a_pair(app, fake)
    await ready(fake, "alice")  # another open request
    await command(fake, "carol", "help")
    await settle(client)
    async with app.db.uow() as tx:
        requests = await tx.requests.open_for_member(session.member_ids[0])
    ids = [session.id, *(r.id for r in requests), *session.member_ids]
    host = await command(fake, "alice", "upcoming")
    verbs = sorted(app.router.action_verbs)
    assert len(verbs) >= 25
    sent = 0
    for verb in verbs:
        for args in ([], *([i] for i in ids), [session.id, "1"], [session.id, "1", "interviewer"]):
            custom_id = ":".join(["pl", verb, *args])[:100]
            builds = [lambda c: fake.button_click("carol", c, host["id"])]
            if args[:1] == [session.id]:  # as a select and a modal too
                builds += [
                    lambda c: fake.select("carol", c, ["yes", "strong-no"], host["id"]),
                    lambda c: fake.modal_submit(
                        "carol", c, {"strengths": MARKED, "verdict": "yes"}
                    ),
                ]
            for build in builds:
                before = await tables(app)
                reply = await first_reply(fake, await fake.interact(build(custom_id)))
                await settle(client)
                shown = text_of(reply)
                assert INCIDENT not in shown, (custom_id, shown[:200])
                assert reply.get("flags", 0) & EPHEMERAL, (custom_id, reply)
                if verb.startswith("admin."):
                    assert ADMINS_ONLY in shown, (custom_id, shown[:200])
                after = await tables(app)
                changed = sorted(t for t in before if before[t] != after[t])
                # a form Carol opens for herself (onboarding, scheduling) is her own draft
                carol = str(fake.user("carol").id)
                drafts = set(after["form_drafts"]) - set(before["form_drafts"])
                assert all(carol in d for d in drafts), (custom_id, drafts)
                assert set(changed) <= {"form_drafts"}, (custom_id, changed, shown[:200])
                sent += 1
    assert sent > 250
    assert_every_interaction_answered_once(fake)


async def test_first_contact_from_many_members_on_both_paths_at_once(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    """Ten members PeerLoop has never seen, at the same instant, each with a command and a
    press of a sign-up message's button as their very first requests (a new server too):
    every interaction answered once, privately, none with an incident; one community, one row
    each."""
    import asyncio

    from sqlalchemy import func, select

    from bot.storage.tables import CommunityRow, MemberRow

    fake = fake_discord
    client = await start_face(app, discord_runner)
    names = [f"new{i}" for i in range(10)]
    for name in names:
        fake.guild.member_roles[fake.add_user(name).id] = []
    signup = {  # a sign-up message posted before a restart (or in another process)
        "id": str(fake.snowflake()),
        "channel_id": str(fake.guild.text_channel_id),
        "components": [
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 1, "label": "Join", "custom_id": "pl:onboard.join"}
                ],
            }
        ],
        "flags": 0,
        "content": "",
        "author": fake.bot.payload(),
        "attachments": [],
        "embeds": [],
        "mentions": [],
        "mention_roles": [],
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
        "timestamp": "2026-12-01T00:00:00+00:00",
        "edited_timestamp": None,
        "type": 0,
    }
    payloads = []
    for name in names:
        payloads.append(fake.slash_command(name, fake.guild, "mock", {}, "upcoming"))
        payloads.append(fake.button_click(name, "pl:onboard.join", signup))
    sent = [await fake.interact(p) for p in payloads]  # back to back, handled concurrently
    replies = await asyncio.gather(*(first_reply(fake, s) for s in sent))
    await settle(client)
    for reply in replies:
        assert reply.get("flags", 0) & EPHEMERAL and INCIDENT not in text_of(reply), reply
    async with app.db.engine.connect() as conn:
        communities = (await conn.execute(select(func.count()).select_from(CommunityRow))).scalar()
        members = (await conn.execute(select(func.count()).select_from(MemberRow))).scalar()
    assert (communities, members) == (1, len(names))
    assert_every_interaction_answered_once(fake)


async def test_every_autocompleted_option_answers_hostile_typing_within_discords_limits(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    """Every option whose declaration names an autocomplete source, on every command that
    has it: whatever is typed, the answer comes (an autocomplete cannot be deferred) with at
    most 25 choices of 1 to 100 characters."""
    fake = fake_discord
    client = await start_face(app, discord_runner)
    typed = (MARKED_LONG, MARKED, "", " ", ",", ",,,", "\x00", "x" * 99 + ", a", "a, " * 60)
    targets = [
        (declared, option)
        for declared in COMMANDS
        for option in declared.options
        if option.complete is not None
    ]
    assert {option.complete for _, option in targets} == set(Complete)
    for declared, option in targets:
        group, path = group_and_path(declared)
        for text in typed:
            sent = await fake.interact(
                fake.autocomplete(
                    "owner", fake.guild, group, {option.name: text}, option.name, *path
                )
            )
            body = await fake.wait_for_interaction_response(sent)
            assert body["type"] == 8, (declared.usage, option.name, body)
            choices = body["data"]["choices"]
            assert len(choices) <= 25, (declared.usage, option.name, len(choices))
            for choice in choices:
                assert 1 <= len(choice["name"]) <= 100 and 1 <= len(choice["value"]) <= 100, (
                    declared.usage,
                    option.name,
                    choice,
                )
    await settle(client)
    assert_every_interaction_answered_once(fake)


async def test_a_press_whose_data_discord_would_never_send_is_answered(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    """A select press whose ``values`` is not a list of text (null, a number, an object):
    answered privately, never left unanswered (it raised before the boundary)."""
    fake = fake_discord
    client = await start_face(app, discord_runner)
    host = await command(fake, "alice", "upcoming")
    for odd in (None, 7, {"a": 1}, [None, 3], "yes"):
        payload = fake.select("carol", "pl:schedule.open", ["x"], host["id"])
        payload["data"]["values"] = odd
        await first_reply(fake, await fake.interact(payload))
        payload = fake.select("carol", "pl:nothing.here", ["x"], host["id"])
        payload["data"]["values"] = odd
        await first_reply(fake, await fake.interact(payload))
    await settle(client)
    assert_every_interaction_answered_once(fake)
