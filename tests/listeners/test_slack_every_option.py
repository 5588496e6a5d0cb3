"""Every declared command and every option of it, on Slack, with hostile text: generic over
the declarations (``bot.core.surface.commands.COMMANDS``), so a command or an option added
later is covered without a new test.

Through bolt against the fake Slack with signed requests (every block and view the bot sends
is re-parsed with ``slack_sdk.models`` plus Slack's own limits). Each option gets text of
thousands of hostile characters (mass mentions in Slack's and Discord's spelling, links,
RTL overrides, zero-width joiners, NULs), as long as the option takes, and a member who is not
in the workspace. Every command is answered privately, never with an incident, never with a
mention or a link the member typed; an admin command from someone who is not a workspace admin
is refused; and nothing a member typed reaches a log line at any level.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator

import pytest

from bot.core.surface.commands import COMMANDS, Command
from bot.core.surface.options import Kind, Option
from bot.listeners.base import ADMINS_ONLY
from tests.listeners.test_slack import (
    ALICE,
    BOB,
    CAROL,
    Rig,
    blob,
    listeners_done,
    ready,
    reply_text,
    responses,
    rig,
)
from tests.listeners.test_slack_adversarial import INJECTION

__all__ = ["rig"]

#: A word no reply of PeerLoop holds: it marks what the member typed, to find it in the logs.
MARK = "Zqxjkv"
MARKED = f"{MARK} {INJECTION} \u202eevil\u202c \u200b\u200d 🧑\u200d💻 @everyone \x00 "
MARKED_LONG = (MARKED * 40)[:3500]
#: What a reply or a message may never carry raw: a member's own mentions and links.
RAW = ("<!channel>", "<!here", "<@UEVIL>", "<#C1|", "<https://evil", "@everyone")


def hostile(option: Option) -> list[str]:
    if option.kind in (Kind.TEXT, Kind.LIST, Kind.CHOICE):
        fits = [MARKED_LONG[: option.max_length]] if option.max_length else []
        return [MARKED_LONG, MARKED, *fits]
    if option.kind is Kind.INT:
        return ["-99999999999999999999", "99999999999999999999", MARKED]
    if option.kind is Kind.BOOL:
        return [MARKED]
    if option.kind is Kind.MEMBER:
        return ["<@UGHOST|ghost>", "<!channel>", MARKED]
    if option.kind is Kind.CHANNEL:
        return ["<#CNOWHERE|nowhere>", "<!here>", MARKED]
    return []  # a file: the text faces open a modal instead


def valid(option: Option) -> str:
    """A value each required option accepts, so the hostile one reaches the service."""
    if option.kind is Kind.MEMBER:
        return f"<@{BOB}|bob>"
    if option.kind is Kind.INT:
        return str(option.min if option.min is not None else 1)
    if option.kind is Kind.CHOICE:
        return option.choices[0][1]
    if option.kind is Kind.LIST:
        return "coding"
    return "x"


def line(command: Command, options: dict[str, str]) -> str:
    quoted = " ".join(f'{k}:"{v}"' for k, v in options.items())
    return f"{' '.join(command.path)} {quoted}".strip()


def cases() -> Iterator[tuple[Command, dict[str, str]]]:
    """Each declared command once with its required options, then once per hostile value of
    each of its options (the others required given a valid value)."""
    for command in COMMANDS:
        required = {o.name: valid(o) for o in command.options if o.required}
        yield command, required
        for option in command.options:
            for value in hostile(option):
                yield command, {**required, option.name: value}


async def test_every_option_of_every_command_takes_hostile_text(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.fake.admins.add(ALICE)
    for user in (ALICE, BOB):
        await ready(rig, user)
    caplog.set_level(logging.DEBUG)
    seen = 0
    for command, options in cases():
        text = line(command, options)
        if command.form is not None and not options:
            continue  # the form alone: a modal, tested with the forms
        users = (ALICE, CAROL) if command.admin else (ALICE,)
        for user in users:
            opened = rig.fake.count("views.open")
            status, _, key = await rig.send.command(user, text)
            assert status == 200
            await rig.fake.wait_for(
                lambda key=key, opened=opened: (
                    len(responses(rig.fake, key)) == 1 or rig.fake.count("views.open") > opened
                )
            )
            await listeners_done()
            where = (user, text[:80])
            for answer in responses(rig.fake, key):
                assert answer["response_type"] == "ephemeral" or text.startswith("admin signup"), (
                    where
                )
                assert "incident" not in blob(answer), (where, blob(answer)[:300])
                if command.admin and user == CAROL:
                    assert ADMINS_ONLY[:40] in blob(answer), (where, blob(answer)[:300])
            seen += 1
    assert seen > 150
    for method, args in rig.fake.calls:
        if method == "upload":  # a file's bytes (an export, a pack): not read as mrkdwn
            continue
        out = blob(args)
        for raw in RAW:
            assert raw not in out, (method, raw, out[:300])
    logged = [r for r in caplog.records if MARK in r.getMessage() or MARK in (r.exc_text or "")]
    assert logged == [], sorted({(r.name, r.levelname) for r in logged})


ADMIN_ONLY_CORE = "Only community admins can do that"


async def test_every_admin_action_asks_slack_who_administers_the_workspace(rig: Rig) -> None:
    """Every admin-only action the router declares (``pl:admin.…``), pressed as a button and
    submitted as a modal: a workspace admin gets past the admin check (a refusal, if any, is
    about the thing itself), a member is refused, on both paths."""
    rig.fake.admins.add(ALICE)
    await ready(rig, ALICE)
    verbs = sorted(v for v in rig.app.router.action_verbs if v.startswith("admin."))
    assert "admin.prompts.import" in verbs  # the one admin form (the pasted pack)
    for verb in verbs:
        action = f"pl:{verb}:nosuchthing"
        view = {
            "type": "modal",
            "callback_id": action,
            "title": {"type": "plain_text", "text": "PeerLoop"},
            "blocks": [],
        }
        for user in (ALICE, CAROL):
            status, _, key = await rig.send.click(user, action, "C1")
            assert status == 200
            await rig.fake.wait_for(lambda key=key: len(responses(rig.fake, key)) == 1)
            pressed = blob(responses(rig.fake, key)[0])
            posted = rig.fake.count("chat.postMessage")
            status, text = await rig.send.submit(user, view, {})
            assert (status, text) == (200, "")
            await rig.fake.wait_for(
                lambda posted=posted: rig.fake.count("chat.postMessage") > posted
            )
            submitted = blob(rig.fake.of("chat.postMessage")[-1])
            await listeners_done()
            for answer in (pressed, submitted):
                assert "incident" not in answer, (verb, user, answer[:300])
                assert (ADMIN_ONLY_CORE in answer) is (user == CAROL), (verb, user, answer[:300])


async def test_first_contact_from_many_members_on_every_path_at_once(rig: Rig) -> None:
    """A workspace PeerLoop has never seen: ten members at the same instant, each on three
    paths at once (a command, a button press, opening the App Home), as the very first
    requests. Every one is answered (the press with the profile form: they have none yet),
    none with an incident; one community, one row each."""
    from sqlalchemy import func, select

    from bot.storage.tables import CommunityRow, MemberRow

    users = [f"UNEW{i:02}" for i in range(10)]
    commands, presses, homes = [], [], []
    for user in users:
        commands.append(rig.send.command(user, "upcoming"))
        presses.append(rig.send.click(user, "pl:schedule.open", "C1"))
        homes.append(rig.send.event({"type": "app_home_opened", "user": user, "tab": "home"}))
    results = await asyncio.gather(*commands, *presses, *homes)
    assert all(r[0] == 200 for r in results)
    keys = [r[2] for r in results[: 2 * len(users)]]
    await rig.fake.wait_for(
        lambda: (
            all(len(responses(rig.fake, k)) == 1 for k in keys[: len(users)])
            and rig.fake.count("views.open") == len(users)
            and rig.fake.count("views.publish") == len(users)
        )
    )
    await listeners_done()
    opened = [a["view"]["callback_id"] for a in rig.fake.of("views.open")]
    assert opened == ["pl:onboard.submit"] * len(users), opened
    published = sorted(a["user_id"] for a in rig.fake.of("views.publish"))
    assert published == users
    assert all(responses(rig.fake, k) == [] for k in keys[len(users) :])  # the modal answered
    assert not [c for c in rig.fake.calls if "incident" in blob(c[1])]
    async with rig.app.db.engine.connect() as conn:
        communities = (await conn.execute(select(func.count()).select_from(CommunityRow))).scalar()
        members = (await conn.execute(select(func.count()).select_from(MemberRow))).scalar()
    assert (communities, members) == (1, len(users))


async def test_every_declared_action_with_another_pairs_ids_is_refused_and_changes_nothing(
    rig: Rig,
) -> None:
    """Carol, a member of the workspace but of nothing here, sends every action verb the router
    declares with the ids of Alice's and Bob's session, requests and membership, as a button
    and as a modal's callback id: each answered privately, none with an incident, no row
    changed."""
    from sqlalchemy import select
    from sqlmodel import SQLModel

    from tests.listeners.test_slack_adversarial import booked

    async def tables() -> dict[str, list[str]]:
        found = {}
        async with rig.app.db.engine.connect() as conn:
            for table in SQLModel.metadata.sorted_tables:
                if table.name == "slack_events":
                    continue
                rows = (await conn.execute(select(table))).all()
                found[table.name] = sorted(repr(tuple(row)) for row in rows)
        return found

    session_id, _, channel = await booked(rig)
    await reply_text(rig, ALICE, "schedule type:behavioral")  # an open request of Alice's
    await reply_text(rig, CAROL, "help")
    async with rig.app.db.uow() as tx:
        session = await tx.sessions.get(session_id)
        assert session is not None
        requests = await tx.requests.open_for_member(session.member_ids[0])
    ids = [session_id, *(r.id for r in requests), *session.member_ids]
    verbs = sorted(rig.app.router.action_verbs)
    sent = 0
    for verb in verbs:
        for args in ([], *([i] for i in ids), [session_id, "1", "interviewer"]):
            action = ":".join(["pl", verb, *args])[:100]
            before = await tables()
            opened = rig.fake.count("views.open")
            status, _, key = await rig.send.click(CAROL, action, channel)
            assert status == 200
            await rig.fake.wait_for(
                lambda key=key, opened=opened: (
                    len(responses(rig.fake, key)) == 1 or rig.fake.count("views.open") > opened
                )  # a form of her own
            )
            posted, opened = rig.fake.count("chat.postMessage"), rig.fake.count("views.open")
            view = {"type": "modal", "callback_id": action, "blocks": []}
            view["title"] = {"type": "plain_text", "text": "PeerLoop"}
            status, text = await rig.send.submit(CAROL, view, {})
            assert status == 200
            if text:  # refused beside the inputs, before the ack (the profile form's)
                assert json.loads(text)["response_action"] == "errors", (action, text)
            else:
                await rig.fake.wait_for(
                    lambda posted=posted, opened=opened: (
                        rig.fake.count("chat.postMessage") > posted
                        or rig.fake.count("views.open") > opened
                    )  # a form of her own
                )
            await listeners_done()
            answers = [blob(a) for a in responses(rig.fake, key)]
            answers += [blob(a) for a in rig.fake.of("chat.postMessage")[posted:]]
            for answer in answers:
                assert "incident" not in answer, (action, answer[:300])
            for answer in responses(rig.fake, key):
                assert answer["response_type"] == "ephemeral", action
            after = await tables()
            changed = sorted(t for t in before if before[t] != after[t])
            assert changed == [], (action, changed)
            sent += 1
    assert sent >= 150
