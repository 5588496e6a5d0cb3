"""Discord's command tree is built from the declarations: typed options reach the service,
a value out of range is refused with what is accepted, ``/mock schedule`` alone opens the
schedule form whose answers book a request, and nobody presses another member's button."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import App
from bot.core.surface.commands import COMMANDS
from bot.core.vocab import InterviewType, RolePreference
from tests.cogs.rig import (
    app,
    click,
    command,
    custom_ids,
    discord_runner,
    fake_discord,
    start_face,
    text_of,
    with_profile,
)
from tests.cogs.test_discord_feedback import fill_form
from tests.contract.test_surface import Spy
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.fake_discord import FakeDiscord

__all__ = ["app", "discord_runner", "fake_discord"]


async def test_the_tree_has_every_declared_command_with_its_typed_options(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    await start_face(app, discord_runner)
    (put,) = fake_discord.requests_to("PUT", "/applications/{app}/guilds/{guild}/commands")
    groups = {c["name"]: c for c in put.json}

    def find(path: tuple[str, ...]) -> dict[str, Any]:
        node = groups["mockadmin" if path[0] == "admin" else "mock"]
        for word in path[1:] if path[0] == "admin" else path:
            node = next(o for o in node["options"] if o["name"] == word)
        return node

    for declared in COMMANDS:
        sub = find(declared.path)
        assert sub["description"] == declared.summary[:100]
        assert [o["name"] for o in sub.get("options", [])] == sorted(
            (o.name for o in declared.options),
            key=lambda n: (
                not any(
                    o.name == n and o.required and declared.form is None for o in declared.options
                )
            ),
        )
        assert all(o["type"] != 3 or o["name"] != "options" for o in sub.get("options", []))
    schedule = {o["name"]: o for o in find(("schedule",))["options"]}
    assert (
        schedule["days"]["type"],
        schedule["days"]["min_value"],
        schedule["days"]["max_value"],
    ) == (4, 1, 14)
    assert [c["value"] for c in schedule["type"]["choices"]] == [t.value for t in InterviewType]
    assert not any(o["required"] for o in schedule.values())  # alone, it opens the form
    digest = {o["name"]: o for o in find(("digest",))["options"]}
    assert [c["value"] for c in digest["set"]["choices"]] == ["off", "on", "nudge", "quiet"]
    profile = {o["name"]: o for o in find(("profile",))["options"]}
    assert profile["timezone"]["autocomplete"] and profile["types"]["autocomplete"]


async def test_typed_options_reach_the_service(
    app: App,
    fake_discord: FakeDiscord,
    discord_runner: DiscordRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spy = Spy(app.requests.schedule)
    monkeypatch.setattr(app.requests, "schedule", spy)
    await start_face(app, discord_runner)
    await with_profile(fake_discord, "alice")
    reply = await command(
        fake_discord, "alice", "schedule", {"type": "coding", "role": "candidate", "days": 5}
    )
    assert "Request open" in text_of(reply)
    ((_, kind, role, days),) = spy.calls
    assert (kind, role, days) == (InterviewType.CODING, RolePreference.CANDIDATE, 5)
    assert isinstance(kind, InterviewType) and type(days) is int


async def test_a_value_out_of_range_is_refused_with_what_is_accepted(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    await start_face(app, discord_runner)
    await with_profile(fake_discord, "alice")
    refused = await command(fake_discord, "alice", "schedule", {"type": "coding", "days": 30})
    assert "days" in text_of(refused) and "from 1 to 14" in text_of(refused)
    upcoming = await command(fake_discord, "alice", "upcoming")
    assert "nothing open" in text_of(upcoming).lower()


async def test_schedule_alone_opens_the_form_whose_answers_book_a_request(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    await start_face(app, discord_runner)
    await with_profile(fake, "alice")
    start = await command(fake, "alice", "schedule")
    assert "Schedule a mock interview" in text_of(start)
    answers = {"Interview type": "behavioral", "Your role": "swap", "Within the next": "3"}
    reply, _ = await fill_form(
        fake, "alice", start, lambda select: answers[select["placeholder"]], lambda _t: ""
    )
    assert "Request open" in text_of(reply) and "Behavioral" in text_of(reply)


async def test_a_third_member_pressing_anothers_button_is_refused(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    await start_face(app, discord_runner)
    await with_profile(fake, "alice")
    await command(fake, "alice", "schedule", {"type": "coding"})
    listed = await command(fake, "alice", "upcoming")
    (cancel_id,) = [c for c in custom_ids(listed) if c.startswith("pl:request.cancel:")]
    pressed = await click(fake, "carol", cancel_id, listed["id"])
    assert "not yours" in text_of(pressed)
    still = await command(fake, "alice", "upcoming")
    assert "Coding" in text_of(still)  # alice's request is still open
    mine = await click(fake, "alice", cancel_id, listed["id"])
    assert "withdrawn" in text_of(mine).lower() or "cancel" in text_of(mine).lower()


async def test_an_option_added_to_the_declaration_is_a_form_screen_input_whose_answer_is_typed(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    from bot.core.vocab import Level
    from tests.contract.test_forms import extended_schedule

    seen = extended_schedule(app)
    fake = fake_discord
    await start_face(app, discord_runner)
    await with_profile(fake, "alice")
    start = await command(fake, "alice", "schedule")
    answers = {
        "Interview type": "coding",
        "Your role": "swap",
        "Within the next": "3",
        "Your partner's level": "senior",
    }
    written: list[str] = []

    def write(component: dict[str, Any]) -> str:
        written.append(component["label"])
        return "see you there"

    reply, pages = await fill_form(
        fake, "alice", start, lambda select: answers[select["placeholder"]], write
    )
    assert "Request open" in text_of(reply)
    placeholders = [
        c["placeholder"]
        for page in pages
        for row in page.get("components", [])
        for c in row.get("components", [])
        if c.get("type") == 3
    ]
    assert "Your partner's level" in placeholders and written == ["A note for your partner"]
    (args,) = seen
    assert (args.type, args.days, args.partner_level, args.note) == (
        InterviewType.CODING,
        3,
        Level.SENIOR,
        "see you there",
    )
