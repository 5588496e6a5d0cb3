"""Adversarial checks of the Discord face: what a hostile or unlucky member can send.

Through the real discord.py client against the local fake Discord (request bodies are
validated against Discord's OpenAPI spec at teardown, callbacks and followups included).
Every test ends by checking that every interaction got exactly one initial answer.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.discord_forms import FORM_PREFIX
from bot.adapters.discord_render import render_message
from bot.app import App
from bot.cogs import mock, tree
from bot.cogs.client import start_discord
from bot.core.errors import InvalidInput
from bot.core.messages import (
    MAX_BUTTON_LABEL,
    MAX_FIELD_NAME,
    MAX_FIELD_VALUE,
    MAX_TEXT,
    MAX_TITLE,
    Button,
    ChoiceInput,
    Field,
    FormPage,
    FormSpec,
    Option,
    OutboundMessage,
    TextInput,
    error_message,
)
from bot.core.surface.commands import Command, NoArgs
from tests.cogs.rig import (
    app,
    command,
    community_id,
    custom_ids,
    discord_runner,
    fake_discord,
    raw_text_of,
    ready,
    reply_to,
    settings_for,
    settle,
    start_face,
    text_of,
)
from tests.cogs.test_discord_forms import answer, draft_of
from tests.conftest import SETTLE_SECONDS, delivered
from tests.fakes.discord_fixtures import DiscordRunner, client_options
from tests.fakes.discord_spec import load_discord_spec, requires_discord_spec
from tests.fakes.fake_discord import EPHEMERAL, FakeDiscord, RecordedRequest

__all__ = ["app", "discord_runner", "fake_discord"]

#: Everything a member can type that Discord itself would pass on.
NASTY = (
    "\u202eevil\u202c \u200b\u200d a\u0301\u0308\u0327 🧑\u200d💻🏳️\u200d🌈 \x01\x07\x1b[31m "
    "@everyone @here <@&123456789012345678> <#123456789012345678> <@123456789012345678> "
    "[x](https://evil.example) ||spoiler|| ```py\nprint(1)\n``` # heading\n> quote *b* _i_ ~~s~~ "
)
LONG = (NASTY * 60)[:6000]


def assert_every_interaction_answered_once(fake: FakeDiscord) -> None:
    """Each interaction PeerLoop received got exactly one accepted initial answer, none refused."""
    for iid in fake.interactions:
        callbacks = fake.interaction_callbacks(iid)
        accepted = [r for r in callbacks if r.status < 300]
        assert len(accepted) == 1 and len(callbacks) == 1, (
            iid,
            [(r.status, r.json) for r in callbacks],
        )


async def first_reply(fake: FakeDiscord, sent: dict[str, Any]) -> dict[str, Any]:
    """The private answer to an interaction: the immediate message, or the followup after a deferral."""
    body = await fake.wait_for_interaction_response(sent)
    if body["type"] == 4:
        assert body["data"]["flags"] & EPHEMERAL, body
        return {**body["data"], "id": fake.interactions[int(sent["id"])]["original"]["id"]}
    custom_id = str((sent.get("data") or {}).get("custom_id", ""))
    if body["type"] == 6 and not custom_id.startswith(FORM_PREFIX):
        return await reply_to(fake, sent)  # a press on a private message: a followup answers
    if body["type"] != 5:  # a modal, or a silent acknowledgement of a pick on a form screen
        return {"callback": body}
    return await reply_to(fake, sent)


def assert_safe(message: dict[str, Any]) -> None:
    raw = raw_text_of(message)
    assert "@everyone" not in raw and "@here" not in raw, raw[:300]
    assert not re.search(r"(?<!\\)(\[x\]\(|<@&|<#1|<@1|\|\|)", raw), raw[:300]
    assert message.get("allowed_mentions", {}).get("parse") == [], message.get("allowed_mentions")


MOCK_TEXT_OPTIONS: list[tuple[str, dict[str, Any]]] = [
    ("profile", {"timezone": LONG}),
    ("profile", {"track": LONG}),
    ("profile", {"types": LONG}),
    ("profile", {"languages": LONG}),
    ("profile", {"timezone": NASTY, "track": NASTY, "types": NASTY, "languages": NASTY}),
    ("availability", {"text": LONG}),
    ("availability", {"blackouts": LONG}),
    ("availability", {"text": NASTY, "blackouts": NASTY}),
    ("schedule", {"type": LONG}),
    ("schedule", {"type": "coding", "role": LONG}),
    ("now", {"type": NASTY}),
    ("cancel", {"request": LONG}),
    ("help", {"topic": LONG}),
    *[("digest", {"set": value}) for value in (LONG, NASTY, "type:" + LONG, "session:" + LONG)],
]
ADMIN_TEXT_OPTIONS: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (("setup",), {"reminders": LONG}),
    (("setup",), {"disabled_types": LONG}),
    (("setup",), {"reminders": NASTY, "disabled_types": NASTY}),
    (("prompts", "export"), {"what": LONG}),
    (("prompts", "remove"), {"name": LONG}),
    (("prompts", "disable"), {"types": LONG}),
    (("prompts", "enable"), {"types": NASTY}),
]


async def test_every_text_option_takes_6000_characters_of_hostile_unicode(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await ready(fake, "alice")
    for sub, options in MOCK_TEXT_OPTIONS:
        sent = await fake.interact(fake.slash_command("alice", fake.guild, "mock", options, sub))
        reply = await first_reply(fake, sent)
        assert reply["flags"] & EPHEMERAL
        assert_safe(reply)
        # the core bounds every refusal, so hostile input is refused, never an incident
        assert "Something went wrong (incident" not in text_of(reply), (sub, text_of(reply)[:200])
        await settle(client)
    for path, options in ADMIN_TEXT_OPTIONS:
        sent = await fake.interact(
            fake.slash_command("owner", fake.guild, "mockadmin", options, *path)
        )
        reply = await first_reply(fake, sent)
        assert_safe(reply)
        assert "Something went wrong (incident" not in text_of(reply), (path, text_of(reply)[:200])
        await settle(client)
    assert_every_interaction_answered_once(fake)


async def test_autocomplete_answers_strange_input_within_discords_limits(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    typed = (
        LONG,
        NASTY,
        "",
        " ",
        ",",
        ",,,,",
        "\x00",
        "x" * 95 + ", cod",
        "coding, " * 40 + "sys",
        "europe/",
        "Europe/Berlin" * 20,
        "🏳️\u200d🌈",
        "\u202e",
    )
    targets = (
        ("track", "profile", "mock"),
        ("timezone", "profile", "mock"),
        ("types", "profile", "mock"),
        ("disabled_types", "setup", "mockadmin"),
    )
    for focused, sub, group in targets:
        for text in typed:
            sent = await fake.interact(
                fake.autocomplete("owner", fake.guild, group, {focused: text}, focused, sub)
            )
            body = await fake.wait_for_interaction_response(sent)
            assert body["type"] == 8, body
            for choice in body["data"]["choices"]:
                assert 1 <= len(choice["name"]) <= 100 and len(choice["value"]) <= 100, (
                    focused,
                    text[:20],
                    choice,
                )
            assert len(body["data"]["choices"]) <= 25
    await settle(client)
    assert_every_interaction_answered_once(fake)


async def test_commands_and_buttons_sent_from_a_direct_message_are_answered(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    sent = await fake.interact(
        fake.slash_command("carol", None, "mock", {"timezone": "UTC"}, "profile")
    )
    assert "server" in text_of(await first_reply(fake, sent))
    sent = await fake.interact(fake.slash_command("carol", None, "mockadmin", {}, "stats"))
    assert "server" in text_of(await first_reply(fake, sent))
    sent = await fake.interact(fake.slash_command("carol", None, "mock", {}, "history"))
    await first_reply(fake, sent)
    # A member PeerLoop has never seen presses a button in a DM (a forwarded or stale message).
    dm = fake.dm_channel_id("carol") or 0
    message = fake.unstored_bot_message(dm, "pl:schedule.open", posted="2026-12-04")
    sent = await fake.interact(fake.button_click("carol", "pl:schedule.open", message, guild=None))
    await first_reply(fake, sent)
    sent = await fake.interact(
        fake.modal_submit("carol", "pl:schedule.submit", {"x": "y"}, guild=None)
    )
    await first_reply(fake, sent)
    await settle(client)
    assert_every_interaction_answered_once(fake)


# ------------------------------------------------------------------ form screens

#: Three screens: a required text (1/3), a choice (2/3), an optional note (3/3) that submits.
TRAP = FormSpec(
    action="pl:demo.trap",
    title="Feedback for Bob",
    pages=(
        FormPage("Texts", (TextInput("strengths", "Strengths", min_length=10),)),
        FormPage(
            "Verdict",
            (ChoiceInput("verdict", "Verdict", (Option("Yes", "yes"), Option("No", "no"))),),
        ),
        FormPage("Note", (TextInput("note", "Note", required=False),)),
    ),
)


def use_trap_form(application: App, received: list[dict[str, Any]]) -> None:
    """``/mock trapdemo`` opens :data:`TRAP`; its submit refuses strengths that are blank once stripped,
    naming the input, as the feedback service does."""

    async def open_form(actor: Any, options: Any) -> OutboundMessage:
        return OutboundMessage(text="Tell us how it went.", form=TRAP)

    async def on_submit(actor: Any, action: Any, values: Any) -> OutboundMessage:
        strengths = str(values.get("strengths", "")).strip()
        if len(strengths) < 10:
            problem = f"Strengths: {len(strengths)} characters; accepted: 10 to 2000 characters."
            return error_message(
                "Nothing was saved. Please fix:\n- " + problem, {"strengths": problem}
            )
        received.append(dict(values))
        return OutboundMessage(text="Thanks!")

    application.router.declare(Command(("trapdemo",), "A demo form", NoArgs), open_form)
    application.router.declare_action("demo.trap", on_submit)


def text_ids(modal: dict[str, Any]) -> list[str]:
    return [row["components"][0]["custom_id"] for row in modal["components"]]


async def press(
    fake: FakeDiscord, user: str, custom_id: str, message: dict[str, Any]
) -> dict[str, Any]:
    return await answer(
        fake, await fake.interact(fake.button_click(user, custom_id, message["id"]))
    )


async def open_trap_form(
    application: App, fake: FakeDiscord, runner: DiscordRunner
) -> tuple[Any, list[dict[str, Any]], dict[str, Any], str]:
    """The face running with the trap form; Alice has run ``/mock trapdemo``: the client, what
    the form's submits received, the start message and its one button's custom id."""
    received: list[dict[str, Any]] = []
    use_trap_form(application, received)
    client = await start_face(application, runner)
    start = await command(fake, "alice", "trapdemo")
    (open_id,) = custom_ids(start)
    return client, received, start, open_id


async def submit(
    fake: FakeDiscord, user: str, modal: dict[str, Any], texts: list[str]
) -> dict[str, Any]:
    sent = await fake.interact(
        fake.modal_submit(
            user, modal["custom_id"], dict(zip(text_ids(modal), texts, strict=True)), guild=None
        )
    )
    body = await fake.wait_for_interaction_response(sent)
    if body["type"] == 5:
        return {"type": 4, "data": await reply_to(fake, sent)}
    return await answer(fake, sent)


async def test_a_refused_answer_on_an_earlier_screen_takes_the_member_back_to_that_screen(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client, received, start, open_id = await open_trap_form(app, fake, discord_runner)
    modal = (await press(fake, "alice", open_id, start))["data"]
    assert modal["title"] == "Texts (1/3)"
    # Discord counts the spaces toward the minimum of 10; PeerLoop strips them.
    page = (await submit(fake, "alice", modal, ["          x"]))["message"]
    select_id, continue_id = custom_ids(page)
    picked = await fake.interact(fake.select("alice", select_id, ["yes"], page["id"]))
    assert await fake.wait_for_interaction_response(picked) == {"type": 6}
    modal = (await press(fake, "alice", continue_id, page))["data"]
    assert modal["title"] == "Note (3/3)"
    refusal = (await submit(fake, "alice", modal, ["A note."]))["data"]
    assert "Strengths: 1 characters" in text_of(refusal), refusal
    assert received == []

    # The way on is the screen that holds the refused answer, with what she typed kept...
    (fix_id,) = custom_ids(refusal)
    body = await press(fake, "alice", fix_id, refusal)
    assert body["type"] == 9 and body["data"]["title"] == "Texts (1/3)", body
    modal = body["data"]
    assert modal["components"][0]["components"][0]["value"] == "          x"
    # ...and so is opening the form again from its first message.
    assert (await press(fake, "alice", open_id, start))["data"]["title"] == "Texts (1/3)"
    page = (await submit(fake, "alice", modal, ["Clear structure and tests."]))["message"]
    select_id, continue_id = custom_ids(page)
    modal = (await press(fake, "alice", continue_id, page))["data"]  # the verdict was kept
    assert (
        modal["title"] == "Note (3/3)"
        and modal["components"][0]["components"][0]["value"] == "A note."
    )
    reply = await submit(fake, "alice", modal, ["A note."])
    assert text_of(reply["data"]) == "Thanks!"
    assert received == [
        {"strengths": "Clear structure and tests.", "verdict": "yes", "note": "A note."}
    ]
    await settle(client)
    assert_every_interaction_answered_once(fake)


async def test_crafted_form_ids_cannot_skip_or_reorder_screens(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client, received, start, open_id = await open_trap_form(app, fake, discord_runner)
    draft_id = open_id.split(":")[1]
    modal = (await press(fake, "alice", open_id, start))["data"]
    assert modal["custom_id"] == f"plform:{draft_id}:0:modal"

    crafted_presses = (
        f"plform:{draft_id}:0:modal",  # a modal's id pressed as a button: no text would be saved
        f"plform:{draft_id}:0:continue",  # Continue on a screen of texts
        f"plform:{draft_id}:1:continue",  # Continue on a screen not reached yet
        f"plform:{draft_id}:2:next",
        f"plform:{draft_id}:1:c0",  # a select pressed as a button (no values)
        f"plform:{draft_id}:\u0663:modal",
        f"plform:{draft_id}:0:c\u0660",  # Arabic-Indic digits
        "plform:" + "A" * 200,
        f"plform:{draft_id}:0:modal:extra",
        "plform:" + draft_id + "\u202e:open",
    )
    for custom_id in crafted_presses:
        body = await press(fake, "alice", custom_id, start)
        assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL, (custom_id, body)
    # A select's id submitted as a modal, and a choice submitted on a screen not reached yet.
    for custom_id in (
        f"plform:{draft_id}:1:c0",
        f"plform:{draft_id}:1:continue",
        f"plform:{draft_id}:2:modal",
    ):
        sent = await fake.interact(
            fake.modal_submit("alice", custom_id, {f"plform:{draft_id}:2:0": "x"}, guild=None)
        )
        body = await answer(fake, sent)
        assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL, (custom_id, body)
    sent = await fake.interact(
        fake.select("alice", f"plform:{draft_id}:1:c0", ["yes"], start["id"])
    )
    assert (await answer(fake, sent))["type"] == 4
    draft = await draft_of(app, draft_id)
    assert draft is not None and draft.step == 0 and draft.values == {}, draft
    assert received == []
    await settle(client)
    assert_every_interaction_answered_once(fake)


# ------------------------------------------------------------------ presses at the same moment


async def at_once(fake: FakeDiscord, payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deliver the interactions together and return each one's first private answer."""
    sent = [
        await fake.interact(p) for p in payloads
    ]  # dispatched back to back, handled concurrently
    return list(await asyncio.gather(*(first_reply(fake, s) for s in sent)))


async def test_a_form_submitted_twice_at_once_is_sent_once_and_both_presses_are_answered(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client, received, start, open_id = await open_trap_form(app, fake, discord_runner)
    modal = (await press(fake, "alice", open_id, start))["data"]
    page = (await submit(fake, "alice", modal, ["Clear structure and tests."]))["message"]
    select_id, continue_id = custom_ids(page)
    # Alice and Carol pick at the same moment: only Alice's counts.
    await at_once(
        fake,
        [
            fake.select("carol", select_id, ["no"], page["id"]),
            fake.select("alice", select_id, ["yes"], page["id"]),
        ],
    )
    modal = (await press(fake, "alice", continue_id, page))["data"]
    texts = {text_ids(modal)[0]: "Note."}
    replies = await at_once(
        fake,
        [
            fake.modal_submit(user, modal["custom_id"], texts, guild=None)
            for user in ("alice", "alice", "carol", "alice")
        ],
    )
    assert sorted(text_of(r) == "Thanks!" for r in replies) == [False, False, False, True], replies
    assert received == [
        {"strengths": "Clear structure and tests.", "verdict": "yes", "note": "Note."}
    ]
    await settle(client)
    assert_every_interaction_answered_once(fake)


async def test_session_buttons_pressed_at_once_take_effect_once(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await ready(fake, "alice")
    await ready(fake, "bob")
    outcome = await app.matching.run_round(await community_id(app, fake))
    assert len(outcome.sessions) == 1
    await app.tick()
    await delivered(app)
    await settle(client)
    (create,) = fake.requests_to("POST", "/channels/{id}/threads")
    thread = int(create.response["id"])
    (announcement,) = fake.messages_in(thread)
    ids = custom_ids(announcement)
    confirm = next(c for c in ids if c.startswith("pl:session.confirm:"))
    cancel = next(c for c in ids if c.startswith("pl:session.cancel:"))

    replies = await at_once(
        fake,
        [fake.button_click(u, confirm, announcement["id"]) for u in ("bob", "bob", "carol", "bob")],
    )
    assert sum("not yours" in text_of(r) for r in replies) == 1, [text_of(r) for r in replies]
    await settle(client)
    assert sum("Bob confirmed." in (m["content"] or "") for m in fake.messages_in(thread)) == 1

    replies = await at_once(
        fake,
        [
            fake.button_click(u, cancel, announcement["id"])
            for u in ("alice", "alice", "carol", "bob")
        ],
    )
    await settle(client)
    async with app.db.uow() as tx:
        (session,) = await tx.sessions.for_community(await community_id(app, fake))
    assert session.state.value == "cancelled", session
    posts = [
        m
        for m in fake.messages_in(thread)
        if "cancel" in text_of(m).lower()
        and not m["flags"] & EPHEMERAL
        and m["id"] != announcement["id"]
    ]  # the announcement itself is edited to say so
    assert len(posts) == 1, [text_of(m) for m in posts]
    assert custom_ids(fake.find_message(announcement["id"])) == []  # no stale buttons
    texts = [text_of(r) for r in replies]
    assert sum(t.startswith("Cancelled.") for t in texts) == 1, texts
    assert_every_interaction_answered_once(fake)


async def test_forget_me_and_schedule_buttons_pressed_at_once(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await ready(fake, "alice")
    saved = await command(fake, "carol", "availability", {"text": "daily 08:00-22:00"})
    (schedule,) = [c for c in custom_ids(saved) if c == "pl:schedule.open"]
    replies = await at_once(
        fake, [fake.button_click("carol", schedule, saved["id"]) for _ in range(3)]
    )
    starts = {custom_ids(r)[0] for r in replies}
    assert all(s.startswith("plform:") for s in starts), replies
    assert len(starts) == 1  # one draft per form and member (SQLite serialises the three)
    ask = await command(fake, "alice", "forget-me")
    delete_id, _ = custom_ids(ask)
    replies = await at_once(
        fake, [fake.button_click(u, delete_id, ask["id"]) for u in ("alice", "alice", "bob")]
    )
    texts = [text_of(r) for r in replies]
    assert sum("Your data is deleted" in t for t in texts) == 1, texts
    await settle(client)
    assert_every_interaction_answered_once(fake)


async def test_a_slow_autocomplete_still_answers_in_time(
    app: App,
    fake_discord: FakeDiscord,
    discord_runner: DiscordRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An autocomplete cannot be deferred: a busy database must not leave it unanswered past 3 s."""
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await command(fake, "alice", "help")  # the community exists
    find = app.actors.find_community

    async def slow_find(*args: Any) -> Any:
        await asyncio.sleep(
            3.0
        )  # as slow as Discord's whole window: answering after it is too late
        return await find(*args)

    monkeypatch.setattr(tree, "COMPLETE_WITHIN", 0.2)
    monkeypatch.setattr(app.actors, "find_community", slow_find)
    loop = asyncio.get_running_loop()
    began = loop.time()
    sent = await fake.interact(
        fake.autocomplete("alice", fake.guild, "mock", {"track": "back"}, "track", "profile")
    )
    body = await fake.wait_for_interaction_response(sent)
    assert body == {"type": 8, "data": {"choices": []}}
    assert loop.time() - began < 3.0  # it did not wait for the lookup
    await settle(client)
    assert_every_interaction_answered_once(fake)


# ------------------------------------------------------------------ the boundary itself


async def test_a_refusal_that_cannot_be_shown_is_still_answered(
    app: App,
    fake_discord: FakeDiscord,
    discord_runner: DiscordRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A core refusal that quotes 6,000 typed characters is shown clipped (the core bounds every
    refusal); and should a refusal still fail to become a message, that failure is an incident
    reply, for form screens (answered directly) and buttons (deferred), never an unanswered
    interaction."""
    fake = fake_discord
    client, _received, start, open_id = await open_trap_form(app, fake, discord_runner)
    await ready(fake, "bob")
    upcoming = await command(fake, "bob", "upcoming")
    cancel = next(c for c in custom_ids(upcoming) if c.startswith("pl:request.cancel:"))

    async def refuse_at_length(*args: Any, **kwargs: Any) -> Any:
        raise InvalidInput("text", f"“{LONG}” is not accepted.")

    monkeypatch.setattr(app.forms, "load", refuse_at_length)
    monkeypatch.setattr(app.router, "act", refuse_at_length)

    async def press_both() -> list[dict[str, Any]]:
        return [
            await first_reply(fake, sent)
            for sent in (
                await fake.interact(fake.button_click("alice", open_id, start["id"])),
                await fake.interact(fake.button_click("bob", cancel, upcoming["id"])),
            )
        ]

    for reply in await press_both():
        shown = text_of(reply)
        assert shown.startswith("“evil") and shown.endswith("…") and len(shown) < 2000, reply

    def unshowable(*args: Any, **kwargs: Any) -> OutboundMessage:
        raise ValueError("text over the message limits")

    monkeypatch.setattr(mock, "error_message", unshowable)
    for reply in await press_both():
        assert "Something went wrong (incident" in text_of(reply), reply
    await settle(client)
    assert_every_interaction_answered_once(fake)


VERBS = (
    "admin.clear_noshow",
    "admin.prompts.import",
    "feedback.open",
    "feedback.submit",
    "guide.open",
    "privacy.forget",
    "privacy.keep",
    "request.cancel",
    "schedule.open",
    "schedule.submit",
    "session.cancel",
    "session.confirm",
    "session.here",
    "session.noshow",
    "session.reschedule",
    "session.start_now",
    "session.done",
    "admin.end_session",
    "no.such.verb",
)
ARGS = ("", ":" + "A" * 64, ":1:2:3:4:5:6:7:8", ":99999999999999999999:-1")


async def test_crafted_action_ids_for_every_verb_are_answered_privately(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await ready(fake, "alice")
    host = await command(fake, "alice", "upcoming")
    crafted = [f"pl:{verb}{args}" for verb in VERBS for args in ARGS]
    crafted += [
        "pl:",
        "pl:session.confirm:\u0663",
        "pl:session.confirm:x\u202e",
        "x" * 100,
        "\u200b",
        "pl:a" * 25,
    ]
    for n, custom_id in enumerate(crafted):  # as a button, a select and a modal in turn
        build = (
            lambda c: fake.button_click("carol", c, host["id"]),
            lambda c: fake.select("carol", c, ["strong-no", "\x00" * 100], host["id"]),
            lambda c: fake.modal_submit("carol", c, {"x": LONG}),
        )[n % 3]
        reply = await first_reply(fake, await fake.interact(build(custom_id)))
        assert "Something went wrong" not in text_of(reply), (custom_id, reply)
    await settle(client)
    assert_every_interaction_answered_once(fake)


# ------------------------------------------------------------------ what others are shown

#: A display name that would show the rest of PeerLoop's sentence backwards (U+202E, never
#: closed), with a NUL and an escape sequence, plus a masked link and a mass mention.
REVERSER = "\u202eEve\x00\x1b[2J [Confirm](https://evil.example) @everyone"


def test_member_text_cannot_reorder_or_hide_what_follows() -> None:
    message = OutboundMessage(
        title=f"Feedback for {REVERSER}",
        text=f"You were paired with {REVERSER}, enjoy.",
        fields=(Field(REVERSER, REVERSER),),
        buttons=(Button(f"Feedback for {REVERSER}"[:75], "pl:feedback.open:x"),),
    )
    rendered = render_message(message)
    payload = {
        "embeds": [rendered.embed.to_dict()] if rendered.embed else [],
        "content": rendered.content or "",
        "components": [c.to_component_dict() for c in rendered.view.children]
        if rendered.view
        else [],
    }
    shown = str(payload)
    for control in ("\u202e", "\x00", "\x1b"):
        assert control not in shown, (control, shown)
    assert "You were paired with Eve" in text_of(payload) and ", enjoy." in text_of(payload)


async def test_a_hostile_display_name_reaches_the_pair_thread_neutralised(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    eve = fake.add_user("eve", REVERSER)
    fake.guild.member_roles[eve.id] = []
    client = await start_face(app, discord_runner)
    await ready(fake, "eve")
    await ready(fake, "bob")
    outcome = await app.matching.run_round(await community_id(app, fake))
    assert len(outcome.sessions) == 1
    await app.tick()
    await delivered(app)
    await settle(client)
    (create,) = fake.requests_to("POST", "/channels/{id}/threads")
    assert "\u202e" not in create.json["name"] and "\x00" not in create.json["name"]
    bodies = [
        r.json for r in fake.requests if isinstance(r.json, dict) and r.method in ("POST", "PATCH")
    ]
    for body in bodies:
        shown = str(body)
        assert "\u202e" not in shown and "\x00" not in shown and "\x1b" not in shown, body
    (announcement,) = fake.messages_in(int(create.response["id"]))
    assert "Eve" in text_of(announcement)
    assert "\\[Confirm\\](https://evil.example) @\u200beveryone" in raw_text_of(announcement)
    assert_every_interaction_answered_once(fake)


# ------------------------------------------------------------------ restarts


async def test_a_graceful_restart_finishes_the_presses_in_flight_first(
    app: App, fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopping PeerLoop (SIGTERM, a deploy) while a form's submit is being handled: the submit
    completes and is answered before the client closes, so nothing typed is lost."""
    fake = fake_discord
    received: list[dict[str, Any]] = []
    use_trap_form(app, received)
    running = await start_discord(app, settings_for(fake), **client_options())
    try:
        await asyncio.wait_for(running.client.wait_until_ready(), SETTLE_SECONDS)
        start = await command(fake, "alice", "trapdemo")
        (open_id,) = custom_ids(start)
        modal = (await press(fake, "alice", open_id, start))["data"]
        page = (await submit(fake, "alice", modal, ["Clear structure and tests."]))["message"]
        select_id, continue_id = custom_ids(page)
        picked = await fake.interact(fake.select("alice", select_id, ["yes"], page["id"]))
        assert await fake.wait_for_interaction_response(picked) == {"type": 6}
        modal = (await press(fake, "alice", continue_id, page))["data"]
        act = app.router.act

        async def slow_act(*args: Any, **kwargs: Any) -> Any:
            await asyncio.sleep(0.5)
            return await act(*args, **kwargs)

        monkeypatch.setattr(app.router, "act", slow_act)
        sent = await fake.interact(
            fake.modal_submit("alice", modal["custom_id"], {text_ids(modal)[0]: "N."}, guild=None)
        )
        await fake.wait_for_interaction_response(sent)  # deferred: the submit is being handled
    finally:
        await running.close()
    assert received == [{"strengths": "Clear structure and tests.", "verdict": "yes", "note": "N."}]
    assert [text_of(f.json) for f in fake.followups(sent["id"])] == ["Thanks!"]
    assert_every_interaction_answered_once(fake)


async def test_modal_submits_with_missing_extra_overlong_or_odd_fields(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client, _received, start, open_id = await open_trap_form(app, fake, discord_runner)
    modal = (await press(fake, "alice", open_id, start))["data"]
    (text_id,) = text_ids(modal)
    draft_id = text_id.split(":")[1]

    def row(component: Any) -> dict[str, Any]:
        return {"type": 1, "components": [component]}

    odd_submits: list[list[dict[str, Any]]] = [
        [],  # nothing at all
        [
            row(
                {
                    "type": 4,
                    "custom_id": "plform:someone-else:0:0",
                    "value": "Clear structure and tests.",
                }
            )
        ],
        [row({"type": 4, "custom_id": text_id, "value": 12345})],
        [row({"type": 4, "custom_id": text_id, "value": None})],
        [row({"type": 4, "custom_id": text_id, "value": ["a" * 20]})],
        [row({"type": 4, "custom_id": text_id})],
        [{"type": 1, "components": "garbage"}, {"type": 1}],
    ]
    for components in odd_submits:
        sent = await fake.interact(
            fake.modal_submit("alice", modal["custom_id"], components, guild=None)
        )
        body = await answer(fake, sent)
        assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL, (components, body)
        draft = await draft_of(app, draft_id)
        assert draft is not None and draft.step == 0 and "strengths" not in draft.values, (
            components,
            draft,
        )

    # Extra inputs are ignored, an overlong text is cut to the input's limit, and the form goes on.
    sent = await fake.interact(
        fake.modal_submit(
            "alice",
            modal["custom_id"],
            [
                row({"type": 4, "custom_id": text_id, "value": "é" * 10_000}),
                row({"type": 4, "custom_id": f"plform:{draft_id}:0:7", "value": "extra"}),
                row({"type": 4, "custom_id": "note", "value": "injected"}),
            ],
            guild=None,
        )
    )
    page = (await answer(fake, sent))["message"]
    assert page["content"] == "**Verdict (2/3)**"
    draft = await draft_of(app, draft_id)
    assert draft is not None and draft.values == {
        "strengths": "é" * TRAP.pages[0].inputs[0].max_length
    }
    await settle(client)
    assert_every_interaction_answered_once(fake)


# ------------------------------------------------------------------ Discord's limits

_HOSTILE_CHARS = st.sampled_from(
    [
        *"<>[]()|~#*_`\\@:/ \n",
        "@everyone",
        "{@1|Ann}",
        "{t:1796407200:F}",
        "\u202e",
        "🧑\u200d💻",
        "é",
        "x",
        "\x00",
    ]
)


def _text(limit: int) -> st.SearchStrategy[str]:
    return st.lists(_HOSTILE_CHARS, max_size=limit).map(lambda parts: "".join(parts)[:limit])


@pytest.mark.undeclared_actions
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
@given(
    title=st.none() | _text(MAX_TITLE),
    text=_text(MAX_TEXT),
    fields=st.lists(st.tuples(_text(MAX_FIELD_NAME), _text(MAX_FIELD_VALUE)), max_size=30),
    labels=st.lists(_text(MAX_BUTTON_LABEL).filter(bool), max_size=30),
)
def test_any_message_renders_within_discords_limits(
    title: str | None, text: str, fields: list[tuple[str, str]], labels: list[str]
) -> None:
    message = OutboundMessage(
        title=title,
        text=text,
        fields=tuple(Field(n, v) for n, v in fields),
        buttons=tuple(Button(label, f"pl:demo.b:{i}") for i, label in enumerate(labels)),
        mentions=("1",),
    )
    rendered = render_message(message)
    assert rendered.content is None or 0 < len(rendered.content) <= 2000
    if rendered.embed is not None:
        embed = rendered.embed.to_dict()
        assert len(embed.get("title", "")) <= 256 and len(embed.get("description", "")) <= 4096
        assert len(embed.get("fields", [])) <= 25
        for f in embed.get("fields", []):
            assert 0 < len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024
        assert len(rendered.embed) <= 6000  # discord.py counts as Discord does
    if rendered.view is not None:
        rows: dict[int, int] = {}
        for item in rendered.view.children:
            rows[item._rendered_row or 0] = rows.get(item._rendered_row or 0, 0) + 1
            component = item.to_component_dict()
            assert 0 < len(component.get("label", "x")) <= 80 and len(component["custom_id"]) <= 100
        assert len(rows) <= 5 and max(rows.values()) <= 5


# ------------------------------------------------------------------ members who left


async def test_a_member_who_left_the_server_does_not_cost_the_partner_their_announcement(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    """Eve asks, then leaves the server before the round: Discord refuses to add her to the
    pair thread (Unknown Member). One thread is opened, Bob is in it and is told."""
    fake = fake_discord
    eve = fake.add_user("eve", "Eve")
    fake.guild.member_roles[eve.id] = []
    client = await start_face(app, discord_runner)
    await ready(fake, "eve")
    await ready(fake, "bob")
    del fake.guild.member_roles[eve.id]  # she left
    outcome = await app.matching.run_round(await community_id(app, fake))
    assert len(outcome.sessions) == 1
    for _ in range(3):
        await app.tick()
        await delivered(app)
        app.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    await settle(client)
    (create,) = fake.requests_to("POST", "/channels/{id}/threads")
    thread = int(create.response["id"])
    assert (
        fake.user("bob").id in fake.thread_members[thread]
        and eve.id not in fake.thread_members[thread]
    )
    assert any("Mock interview booked" in text_of(m) for m in fake.messages_in(thread))


# ------------------------------------------------------------------ what the spec check covers


@requires_discord_spec
def test_the_spec_check_covers_answers_followups_and_edits() -> None:
    """The teardown check validates interaction answers, followups and edits of them, not only
    channel posts: an over-long content is caught on each route."""
    spec = load_discord_spec()
    assert spec is not None
    too_long = {"content": "x" * 2001}
    routes = [
        ("POST", "/interactions/1/tok/callback", {"type": 4, "data": too_long}),
        ("POST", "/webhooks/1/tok", too_long),
        ("PATCH", "/webhooks/1/tok/messages/@original", too_long),
        ("PATCH", "/webhooks/1/tok/messages/2", too_long),
        (
            "POST",
            "/interactions/1/tok/callback",
            {"type": 8, "data": {"choices": [{"name": "x" * 101, "value": "x"}]}},
        ),
        (
            "POST",
            "/interactions/1/tok/callback",
            {"type": 9, "data": {"custom_id": "x" * 101, "title": "t", "components": []}},
        ),
    ]
    for method, path, body in routes:
        rec = RecordedRequest(0, method, path, {}, {}, "application/json", json=body)
        assert spec.check(rec), (method, path)
        fine = RecordedRequest(
            0,
            method,
            path,
            {},
            {},
            "application/json",
            json={"content": "ok"}
            if "callback" not in path
            else {"type": 4, "data": {"content": "ok"}},
        )
        assert not spec.check(fine), (method, path, spec.check(fine))


async def test_cancel_request_pressed_at_once_cancels_once(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await ready(fake, "alice")
    upcoming = await command(fake, "alice", "upcoming")
    cancel = next(c for c in custom_ids(upcoming) if c.startswith("pl:request.cancel:"))
    replies = await at_once(
        fake, [fake.button_click(u, cancel, upcoming["id"]) for u in ("alice", "alice", "bob")]
    )
    texts = [text_of(r) for r in replies]
    assert sum(t.startswith("Cancelled your") for t in texts) == 1, texts
    assert sum("already cancelled" in t for t in texts) == 1, texts
    await settle(client)
    assert_every_interaction_answered_once(fake)
