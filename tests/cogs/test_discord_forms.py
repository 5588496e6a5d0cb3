"""Discord forms over stored drafts, the error boundary, and what Discord output may ping.

Everything goes through the real discord.py client against the local fake Discord;
request bodies are checked against Discord's OpenAPI spec at teardown.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.adapters.discord_render import render_message
from bot.app import App, build_app
from bot.core.forms import FormDraft
from bot.core.messages import ChoiceInput, FormPage, FormSpec, Option, OutboundMessage, TextInput
from bot.core.models import Platform
from bot.core.services.form_drafts import FORM_DRAFT_TTL, FormDraftService
from bot.core.services.requests import MAX_DAYS, MIN_DAYS
from bot.core.surface.commands import Command, NoArgs
from bot.storage.form_tables import FormDraftRow
from tests.cogs.rig import (
    app,
    click,
    command,
    community_id,
    custom_ids,
    discord_runner,
    fake_discord,
    raw_text_of,
    ready,
    reply_to,
    settle,
    start_face,
    text_of,
)
from tests.conftest import delivered
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.fake_discord import EPHEMERAL, FakeDiscord

__all__ = ["app", "discord_runner", "fake_discord"]

VERDICTS = ("strong-yes", "lean-yes", "lean-no", "strong-no")
FORM = FormSpec(
    action="pl:demo.form",
    title="Feedback for Bob",
    intro="You interviewed Bob.",
    pages=(
        FormPage(
            "Scores (1/2)",
            (
                ChoiceInput("verdict", "Verdict", tuple(Option(v, v) for v in VERDICTS)),
                TextInput("strengths", "Strengths"),
            ),
        ),
        FormPage(
            "Scores (2/2)",
            (
                ChoiceInput(
                    "help",
                    "Where help is needed",
                    (Option("Coding", "coding"), Option("Testing", "testing")),
                ),
                TextInput("note", "Note", required=False),
            ),
        ),
    ),
    submit_label="Submit feedback",
)
NOT_YOURS = "belongs to someone else"


def use_demo_form(application: App, received: list[dict[str, Any]]) -> None:
    """``/mock feedbackdemo`` opens :data:`FORM`; its submit records the values."""

    async def open_form(actor: Any, options: Any) -> OutboundMessage:
        return OutboundMessage(text="Tell us how it went.", form=FORM)

    async def on_submit(actor: Any, action: Any, values: Any) -> OutboundMessage:
        received.append(dict(values))
        return OutboundMessage(text="Thanks!")

    application.router.declare(Command(("feedbackdemo",), "A demo form", NoArgs), open_form)
    application.router.declare_action("demo.form", on_submit)


async def answer(fake: FakeDiscord, sent: dict[str, Any]) -> dict[str, Any]:
    """The interaction's immediate answer (type 4 messages with the message the fake made)."""
    body = await fake.wait_for_interaction_response(sent)
    if body["type"] == 4:
        return {**body, "message": fake.interactions[int(sent["id"])]["original"]}
    return body


def refused(body: dict[str, Any], words: str) -> bool:
    return (
        body["type"] == 4
        and bool(body["data"]["flags"] & EPHEMERAL)
        and words in text_of(body["data"])
    )


async def draft_of(application: App, draft_id: str) -> FormDraft | None:
    async with application.db.uow() as tx:
        return await tx.form_drafts.get(draft_id)


def draft_id_of(custom_id: str) -> str:
    return custom_id.split(":")[1]


async def open_demo(fake: FakeDiscord, user: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``/mock feedbackdemo``, then the Open button: (the start message, the first screen)."""
    start = await command(fake, user, "feedbackdemo")
    (open_id,) = custom_ids(start)
    first = await answer(fake, await fake.interact(fake.button_click(user, open_id, start["id"])))
    assert first["type"] == 4, first
    return start, first["message"]


async def test_another_member_cannot_change_or_use_up_someone_elses_form(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    received: list[dict[str, Any]] = []
    use_demo_form(app, received)
    client = await start_face(app, discord_runner)

    start, page = await open_demo(fake, "alice")
    # One count, the one the member sees: four screens, "(1/4)" to "(4/4)".
    assert "**Feedback for Bob** (4 steps)." in start["content"]
    assert page["content"] == "**Scores (1/4)**"
    select_id, continue_id = custom_ids(page)
    draft_id = draft_id_of(select_id)
    assert len(draft_id) >= 22  # unguessable: 128 random bits
    picked = await fake.interact(fake.select("alice", select_id, ["strong-yes"], page["id"]))
    assert await fake.wait_for_interaction_response(picked) == {"type": 6}

    # Carol crafts a press on Alice's select with "strong-no": refused, nothing changes.
    body = await answer(
        fake, await fake.interact(fake.select("carol", select_id, ["strong-no"], page["id"]))
    )
    assert refused(body, NOT_YOURS), body
    crafted = f"plform:{draft_id}:0:c0"
    assert crafted == select_id
    draft = await draft_of(app, draft_id)
    assert draft is not None and draft.values == {"verdict": "strong-yes"} and draft.step == 0

    # Carol presses Alice's Continue and Open buttons: refused, Alice's form stays where it is.
    for custom_id, message in ((continue_id, page["id"]), (custom_ids(start)[0], start["id"])):
        body = await answer(
            fake, await fake.interact(fake.button_click("carol", custom_id, message))
        )
        assert refused(body, NOT_YOURS), body
    assert (await draft_of(app, draft_id)).step == 0  # type: ignore[union-attr]

    # Alice goes on: the modal of page 1.
    modal = (
        await answer(fake, await fake.interact(fake.button_click("alice", continue_id, page["id"])))
    )["data"]
    assert modal["title"] == "Scores (2/4)"
    (text_id,) = [row["components"][0]["custom_id"] for row in modal["components"]]

    # Carol submits Alice's modal: refused; Alice's text and step are untouched...
    body = await answer(
        fake,
        await fake.interact(
            fake.modal_submit("carol", modal["custom_id"], {text_id: "Carol was here."}, guild=None)
        ),
    )
    assert refused(body, NOT_YOURS), body
    draft = await draft_of(app, draft_id)
    assert draft is not None and "strengths" not in draft.values and draft.step == 1

    # ...and Alice's own submit of the same modal still works.
    sent = await fake.interact(
        fake.modal_submit("alice", modal["custom_id"], {text_id: "Clear structure."}, guild=None)
    )
    page = (await answer(fake, sent))["message"]
    assert page["content"] == "**Scores (3/4)**"
    select_id, submit_id = custom_ids(page)
    picked = await fake.interact(fake.select("alice", select_id, ["testing"], page["id"]))
    assert await fake.wait_for_interaction_response(picked) == {"type": 6}
    modal = (
        await answer(fake, await fake.interact(fake.button_click("alice", submit_id, page["id"])))
    )["data"]
    assert modal["title"] == "Scores (4/4)"
    (text_id,) = [row["components"][0]["custom_id"] for row in modal["components"]]
    sent = await fake.interact(
        fake.modal_submit("alice", modal["custom_id"], {text_id: "Well done."}, guild=None)
    )
    reply = await reply_to(fake, sent)
    assert reply["content"] == "Thanks!"
    assert received == [
        {
            "verdict": "strong-yes",
            "strengths": "Clear structure.",
            "help": "testing",
            "note": "Well done.",
        }
    ]
    assert await draft_of(app, draft_id) is None  # taken by the submit

    # The same modal again: the form was sent, a clear private answer, nothing submitted twice.
    body = await answer(
        fake,
        await fake.interact(
            fake.modal_submit("alice", modal["custom_id"], {text_id: "Again."}, guild=None)
        ),
    )
    assert refused(body, "expired or was already sent"), body
    assert len(received) == 1
    await settle(client)


async def test_a_half_filled_form_continues_after_a_restart(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    received: list[dict[str, Any]] = []
    use_demo_form(app, received)
    client = await start_face(app, discord_runner)
    _, page = await open_demo(fake, "alice")
    select_id, continue_id = custom_ids(page)
    picked = await fake.interact(fake.select("alice", select_id, ["lean-no"], page["id"]))
    assert await fake.wait_for_interaction_response(picked) == {"type": 6}

    # A restart: a new process (app, client, face) over the same database.
    await discord_runner.stop(client)
    restarted = await build_app(app.db.url, clock=app.clock)
    try:
        use_demo_form(restarted, received)
        client = await start_face(restarted, discord_runner)
        body = await answer(
            fake, await fake.interact(fake.button_click("alice", continue_id, page["id"]))
        )
        assert body["type"] == 9, body  # the modal of page 1: the draft was found
        modal = body["data"]
        (text_id,) = [row["components"][0]["custom_id"] for row in modal["components"]]
        sent = await fake.interact(
            fake.modal_submit("alice", modal["custom_id"], {text_id: "Good."}, guild=None)
        )
        page = (await answer(fake, sent))["message"]
        select_id, submit_id = custom_ids(page)
        picked = await fake.interact(fake.select("alice", select_id, ["coding"], page["id"]))
        assert await fake.wait_for_interaction_response(picked) == {"type": 6}
        modal = (
            await answer(
                fake, await fake.interact(fake.button_click("alice", submit_id, page["id"]))
            )
        )["data"]
        (text_id,) = [row["components"][0]["custom_id"] for row in modal["components"]]
        sent = await fake.interact(
            fake.modal_submit("alice", modal["custom_id"], {text_id: ""}, guild=None)
        )
        assert (await reply_to(fake, sent))["content"] == "Thanks!"
        assert received == [
            {"verdict": "lean-no", "strengths": "Good.", "help": "coding", "note": ""}
        ]
        await settle(client)
    finally:
        await discord_runner.stop(client)
        await restarted.close()


async def test_opening_a_form_again_goes_on_where_the_member_was(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    use_demo_form(app, [])
    client = await start_face(app, discord_runner)
    _, page = await open_demo(fake, "alice")
    select_id, continue_id = custom_ids(page)
    picked = await fake.interact(fake.select("alice", select_id, ["lean-yes"], page["id"]))
    assert await fake.wait_for_interaction_response(picked) == {"type": 6}
    body = await answer(
        fake, await fake.interact(fake.button_click("alice", continue_id, page["id"]))
    )
    assert body["type"] == 9  # on the modal now; she closes it and opens the form again, twice
    for _ in range(2):
        start = await command(fake, "alice", "feedbackdemo")
        assert draft_id_of(custom_ids(start)[0]) == draft_id_of(select_id)
        body = await answer(
            fake, await fake.interact(fake.button_click("alice", custom_ids(start)[0], start["id"]))
        )
        assert body["type"] == 9 and body["data"]["title"] == "Scores (2/4)", body
    async with (
        app.db.engine.connect() as conn
    ):  # one draft per form and member, however often opened
        assert (
            await conn.execute(select(func.count()).select_from(FormDraftRow))
        ).scalar_one() == 1
    draft = await draft_of(app, draft_id_of(select_id))
    assert draft is not None and draft.values == {"verdict": "lean-yes"} and draft.step == 1
    await settle(client)


async def test_unknown_and_expired_forms_are_answered_and_expired_drafts_cleaned_up(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    received: list[dict[str, Any]] = []
    use_demo_form(app, received)
    client = await start_face(app, discord_runner)
    _, page = await open_demo(fake, "alice")
    select_id, continue_id = custom_ids(page)
    draft_id = draft_id_of(select_id)

    # Ids nobody issued, well-formed or not: a clear private answer, never a failed interaction.
    for custom_id in (
        "plform:AAAAAAAAAAAAAAAAAAAAAA:open",
        "plform:nope",
        f"plform:{draft_id}:7:c9",
        f"plform:{draft_id}:0:c3",
    ):
        body = await answer(
            fake, await fake.interact(fake.button_click("alice", custom_id, page["id"]))
        )
        assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL, (custom_id, body)
        assert "expired" in text_of(body["data"]), (custom_id, body)
    # A value that is not one of the choices is refused too.
    body = await answer(
        fake, await fake.interact(fake.select("alice", select_id, ["maybe"], page["id"]))
    )
    assert refused(body, "not one of the choices"), body
    assert (await draft_of(app, draft_id)).values == {}  # type: ignore[union-attr]

    # Past its expiry the draft is refused, and the next form opened cleans it up.
    app.clock.advance(FORM_DRAFT_TTL)  # type: ignore[attr-defined]
    body = await answer(
        fake, await fake.interact(fake.button_click("alice", continue_id, page["id"]))
    )
    assert refused(body, "expired"), body
    assert await draft_of(app, draft_id) is not None
    await open_demo(fake, "bob")
    assert await draft_of(app, draft_id) is None
    async with app.db.uow() as tx:
        assert await tx.form_drafts.delete_expired(app.clock.now()) == 0
    await settle(client)


async def test_form_drafts_check_owner_and_expiry_in_the_core(app: App) -> None:
    forms = app.forms
    assert isinstance(forms, FormDraftService)
    draft = await forms.start(Platform.DISCORD, "111", FORM)
    assert (await forms.load(draft.id, Platform.DISCORD, "111")).form == FORM  # stored whole
    with pytest.raises(Exception, match=NOT_YOURS):
        await forms.update(draft.id, Platform.DISCORD, "222", {"verdict": "strong-no"})
    with pytest.raises(Exception, match="expired"):
        await forms.load(draft.id, Platform.SLACK, "111")
    moved = await forms.update(draft.id, Platform.DISCORD, "111", {"verdict": "lean-yes"}, step=2)
    moved = await forms.update(draft.id, Platform.DISCORD, "111", {}, step=1)  # never back
    assert moved.step == 2 and moved.values == {"verdict": "lean-yes"}
    assert (await forms.take(draft.id, Platform.DISCORD, "111")).values == {"verdict": "lean-yes"}
    with pytest.raises(Exception, match="expired"):
        await forms.take(draft.id, Platform.DISCORD, "111")
    await forms.start(Platform.DISCORD, "111", FORM)
    assert await forms.forget(Platform.DISCORD, "111") == 1


async def test_a_slow_form_screen_is_deferred_in_time_and_answered_by_followup(
    app: App,
    fake_discord: FakeDiscord,
    discord_runner: DiscordRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = fake_discord
    received: list[dict[str, Any]] = []
    use_demo_form(app, received)
    client = await start_face(app, discord_runner)
    start = await command(fake, "alice", "feedbackdemo")
    assert app.forms is not None
    load = app.forms.load

    async def slow_load(*args: Any) -> FormDraft:
        await asyncio.sleep(0.5)
        return await load(*args)

    client.face.ack_within = 0.1
    monkeypatch.setattr(app.forms, "load", slow_load)
    sent = await fake.interact(fake.button_click("alice", custom_ids(start)[0], start["id"]))
    # Deferred by the boundary before the handler could answer (as an update of the private
    # message pressed); the screen comes as a followup.
    assert await fake.wait_for_interaction_response(sent) == {"type": 6}
    await fake.wait_until(lambda: bool(fake.followups(sent["id"])), what="a followup")
    screen = fake.followups(sent["id"])[0]
    assert screen.json["content"] == "**Scores (1/4)**" and len(custom_ids(screen.json)) == 2
    assert len(fake.interaction_callbacks(sent["id"])) == 1
    await settle(client)


# ------------------------------------------------------------------ the error boundary


def incident_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


#: The database drivers' own DEBUG statement logs are another item of the same issue (13).
DB_DRIVERS = ("aiosqlite", "sqlalchemy")


def leaked(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return any(text in r.getMessage() for r in caplog.records if not r.name.startswith(DB_DRIVERS))


async def test_an_unexpected_failure_gets_the_incident_reply_and_one_log_line(
    app: App,
    fake_discord: FakeDiscord,
    discord_runner: DiscordRunner,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = fake_discord
    received: list[dict[str, Any]] = []
    use_demo_form(app, received)
    client = await start_face(app, discord_runner)
    secret = "Secret/Typed-By-The-Member"
    problem = f"the database said no to {secret}"

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(problem)

    # A slash command (deferred first, so the incident comes as the followup).
    monkeypatch.setattr(app.actors, "resolve", broken)
    with caplog.at_level(logging.DEBUG):
        sent = await fake.interact(
            fake.slash_command("alice", fake.guild, "mock", {"timezone": secret}, "profile")
        )
        reply = await reply_to(fake, sent)
        await settle(client)
    assert re.search(
        r"Something went wrong \(incident [0-9a-f]{8}\)\. Nothing was changed\.", text_of(reply)
    )
    (line,) = incident_lines(caplog)
    incident = re.search(r"incident ([0-9a-f]{8})", text_of(reply)).group(1)  # type: ignore[union-attr]
    logged = line.getMessage() + (line.exc_text or "")
    assert incident in logged and "RuntimeError" in logged
    assert secret not in logged and problem not in logged
    assert not any(
        secret in r.getMessage() for r in caplog.records
    )  # not even discord.py's DEBUG lines
    monkeypatch.undo()

    # A form screen (answered directly, not deferred: a modal may follow).
    _, page = await open_demo(fake, "alice")
    select_id, _ = custom_ids(page)
    caplog.clear()
    monkeypatch.setattr(app.forms, "update", broken)
    with caplog.at_level(logging.DEBUG):
        body = await answer(
            fake, await fake.interact(fake.select("alice", select_id, ["strong-no"], page["id"]))
        )
        await settle(client)
    assert refused(body, "Something went wrong (incident"), body
    assert len(incident_lines(caplog)) == 1 and secret not in caplog.text
    monkeypatch.undo()

    # The form's submit fails: the incident reply, and the answers are kept to send again.
    picked = await fake.interact(fake.select("alice", select_id, ["strong-yes"], page["id"]))
    assert await fake.wait_for_interaction_response(picked) == {"type": 6}
    assert app.forms is not None
    draft = await draft_of(app, draft_id_of(select_id))
    assert draft is not None
    await app.forms.update(
        draft.id,
        Platform.DISCORD,
        str(fake.user("alice").id),
        {"strengths": "s", "help": "coding", "note": "n"},
        step=3,
    )
    monkeypatch.setattr(app.router, "act", broken)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        sent = await fake.interact(
            fake.modal_submit(
                "alice",
                f"plform:{draft.id}:3:modal",
                {f"plform:{draft.id}:3:0": secret},
                guild=None,
            )
        )
        reply = await reply_to(fake, sent)
        await settle(client)
    assert "Something went wrong (incident" in text_of(reply)
    assert len(incident_lines(caplog)) == 1 and not leaked(caplog, secret)
    monkeypatch.undo()
    kept = await draft_of(app, draft.id)
    assert kept is not None and kept.step == 3 and kept.values["verdict"] == "strong-yes"
    sent = await fake.interact(
        fake.modal_submit(
            "alice", f"plform:{draft.id}:3:modal", {f"plform:{draft.id}:3:0": "again"}, guild=None
        )
    )
    assert (await reply_to(fake, sent))["content"] == "Thanks!"
    assert received == [
        {"verdict": "strong-yes", "strengths": "s", "help": "coding", "note": "again"}
    ]

    # Autocomplete cannot carry a message: no suggestions, one log line, never a failed interaction.
    caplog.clear()
    monkeypatch.setattr(app.actors, "find_community", broken)
    with caplog.at_level(logging.DEBUG):
        sent = await fake.interact(
            fake.autocomplete("alice", fake.guild, "mock", {"track": secret}, "track", "profile")
        )
        body = await fake.wait_for_interaction_response(sent)
    assert body == {"type": 8, "data": {"choices": []}}
    assert len(incident_lines(caplog)) == 1 and secret not in caplog.text
    await settle(client)


async def test_a_command_discord_py_cannot_run_is_answered_privately(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    # An outdated client still showing a subcommand PeerLoop no longer has.
    sent = await fake.interact(
        fake.slash_command("alice", fake.guild, "mock", {}, "no-such-command")
    )
    body = await fake.wait_for_interaction_response(sent)
    assert (
        body["type"] == 4
        and body["data"]["flags"] & EPHEMERAL
        and "out of date" in text_of(body["data"])
    )
    await settle(client)


async def test_discord_offers_the_days_the_core_accepts(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    await start_face(app, discord_runner)
    (put,) = fake_discord.requests_to("PUT", "/applications/{app}/guilds/{guild}/commands")
    (mock,) = [c for c in put.json if c["name"] == "mock"]
    (schedule,) = [o for o in mock["options"] if o["name"] == "schedule"]
    (days,) = [o for o in schedule["options"] if o["name"] == "days"]
    assert (days["min_value"], days["max_value"]) == (MIN_DAYS, MAX_DAYS) == (1, 14)


# ------------------------------------------------------------------ what may ping whom

EVIL = "[Confirm here](https://evil.example) @everyone"


def test_the_renderer_escapes_member_text_and_keeps_the_markup() -> None:
    code = "```sql\nSELECT a FROM t WHERE n <= 3 AND s = '[x]';\n```"
    text = (
        f"**{EVIL}** said _hi_ to {{@1|Ann}} and {{@666|Eve}} at {{t:1796407200:F}}: `a[0] <b>`\n"
        f"# not a heading\n> not a quote\n||no spoiler|| ~~no strike~~ <@&5> @here\n- a bullet\n{code}"
    )
    rendered = render_message(OutboundMessage(text=text, mentions=("1",)))
    assert rendered.content == (
        "**\\[Confirm here\\](https://evil.example) @\u200beveryone** said _hi_ to <@1> and Eve at "
        "<t:1796407200:F>: `a[0] <b>`\n"
        "\\# not a heading\n\\> not a quote\n\\|\\|no spoiler\\|\\| \\~\\~no strike\\~\\~ \\<@&5\\> @\u200bhere\n"
        f"- a bullet\n{code}"
    )
    assert rendered.allowed_mentions.to_dict() == {
        "parse": [],
        "users": [1],
    }  # only the addressed member
    assert render_message(OutboundMessage(text=text)).allowed_mentions.to_dict() == {"parse": []}


def sent_bodies(fake: FakeDiscord) -> list[dict[str, Any]]:
    """Every message body the bot sent: channel posts, interaction answers and followups."""
    out = []
    for rec in fake.requests:
        if rec.method != "POST" or not isinstance(rec.json, dict):
            continue
        body = rec.json.get("data") if "/callback" in rec.path else rec.json
        if isinstance(body, dict) and ("content" in body or "embeds" in body):
            out.append(body)
    return out


async def test_member_text_is_escaped_and_only_addressed_members_are_pinged(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    mallory = fake.add_user("mallory", EVIL)
    fake.guild.member_roles[mallory.id] = []
    client = await start_face(app, discord_runner)
    await ready(fake, "mallory")
    await ready(fake, "bob")
    outcome = await app.matching.run_round(await community_id(app, fake))
    assert len(outcome.sessions) == 1
    await app.tick()
    await delivered(app)
    await settle(client)

    (create,) = fake.requests_to("POST", "/channels/{id}/threads")
    (announcement,) = fake.messages_in(int(create.response["id"]))
    bob = fake.user("bob")
    raw = raw_text_of(announcement)
    # Addressed to both: mentions, and a ping allowed for exactly those two.
    assert f"\n<@{mallory.id}> and <@{bob.id}>, you're paired." in raw or (
        f"\n<@{bob.id}> and <@{mallory.id}>, you're paired." in raw
    ), raw
    (post,) = [
        r
        for r in fake.requests_to("POST", "/channels/{id}/messages")
        if r.response and r.response.get("id") == announcement["id"]
    ]
    allowed = post.json["allowed_mentions"]
    assert allowed["parse"] == [] and sorted(allowed["users"]) == sorted([mallory.id, bob.id])
    # Her name where it is shown as text: escaped, no masked link, no @everyone.
    assert "\\[Confirm here\\](https://evil.example) @\u200beveryone" in raw, raw
    assert f"{EVIL[:-10]} @\u200beveryone" in text_of(announcement)  # reads as she typed it

    # The reminder addresses whoever has not confirmed yet: Bob confirmed, so only she is pinged.
    async with app.db.uow() as tx:
        (session,) = await tx.sessions.for_community(await community_id(app, fake))
    confirm = next(c for c in custom_ids(announcement) if c.startswith("pl:session.confirm:"))
    assert "Confirmed" in text_of(await click(fake, "bob", confirm, announcement["id"]))
    await settle(client)
    mark = len(fake.messages_in(int(create.response["id"])))
    app.clock.set(session.start - timedelta(minutes=9))  # type: ignore[attr-defined]
    await app.tick()
    await delivered(app)
    (reminder,) = [
        m for m in fake.messages_in(int(create.response["id"]))[mark:] if "Reminder" in text_of(m)
    ]
    assert f"Not confirmed yet: <@{mallory.id}>." in raw_text_of(reminder)
    (post,) = [
        r
        for r in fake.requests_to("POST", "/channels/{id}/messages")
        if r.response and r.response.get("id") == reminder["id"]
    ]
    assert post.json["allowed_mentions"] == {"parse": [], "users": [mallory.id]}

    bodies = sent_bodies(fake)
    assert bodies
    for body in bodies:
        text = raw_text_of(body)
        assert "[Confirm here](" not in text and "@everyone" not in text, body
        mentions = body.get("allowed_mentions")
        assert mentions is not None and mentions["parse"] == [], body
        for user in mentions.get("users", []):
            assert f"<@{user}>" in text, body  # only members the message addresses
