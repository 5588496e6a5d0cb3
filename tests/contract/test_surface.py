"""The surface declared once: every command's options, help and form come from one
declaration; the router binds each to a handler and parses options once into typed values."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import App
from bot.core.actions import DECLARED_VERBS, undeclared
from bot.core.messages import Button, OutboundMessage, Tone
from bot.core.surface.commands import COMMANDS, ScheduleArgs, command, help_text, text_usage
from bot.core.surface.options import Kind, parse_args
from bot.core.surface.parsing import parse_line
from bot.core.vocab import InterviewType, RolePreference
from tests.conftest import make_actor, undeclared_actions


class Spy:
    """Records the arguments a service method is called with, then calls it."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.calls: list[tuple[Any, ...]] = []

    async def __call__(self, *args: Any) -> Any:
        self.calls.append(args)
        return await self.target(*args)


async def ready(app: App, name: str) -> Any:
    actor = await make_actor(app, name)
    await app.router.run(
        actor,
        "profile",
        {"timezone": "Europe/Berlin", "track": "backend", "level": "mid", "types": "coding"},
    )
    await app.router.run(actor, "availability", {"text": "daily 08:00-22:00"})
    return await make_actor(app, name)


def test_every_command_is_declared_once_and_fits_every_face() -> None:
    paths = [c.path for c in COMMANDS]
    assert len(paths) == len(set(paths))
    for c in COMMANDS:
        assert 0 < len(c.summary) <= 100, c.path  # Discord's description limit
        names = [o.name for o in c.options]
        assert len(names) == len(set(names)) and len(names) <= 25
        assert sum(o.rest for o in c.options) <= 1, c.path
        for o in c.options:
            assert len(o.help) <= 100 and len(o.choices) <= 25, (c.path, o.name)
    # the days option and the service agree (they once drifted: 1-60 against 1-14)
    from bot.core.services.requests import MAX_DAYS, MIN_DAYS

    days = next(o for o in command("schedule").options if o.name == "days")
    assert (days.kind, days.min, days.max) == (Kind.INT, MIN_DAYS, MAX_DAYS)
    # help and the console's usage list every command
    assert all(
        f"`/mock {c.name}`" in help_text()
        for c in COMMANDS
        if len(c.path) == 1 and c.name != "help"
    )
    assert all("/mock " + " ".join(c.path) in text_usage() for c in COMMANDS)


def test_options_parse_once_into_typed_values_with_refusals_naming_what_is_accepted() -> None:
    args = parse_args(
        ScheduleArgs,
        {"type": "System design", "role": "candidate", "days": "5"},
        command="schedule",
    )
    assert args == ScheduleArgs(InterviewType.SYSTEM_DESIGN, RolePreference.CANDIDATE, 5)
    assert parse_args(ScheduleArgs, {"type": "coding", "days": 3}, command="schedule").days == 3
    from bot.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        parse_args(ScheduleArgs, {"type": "coding", "days": "60"}, command="schedule")
    assert refused.value.fields.keys() == {"days"} and "1 to 14" in refused.value.message
    with pytest.raises(InvalidInput) as unknown:
        parse_args(ScheduleArgs, {"colour": "blue"}, command="schedule")
    assert "type, role, days" in unknown.value.message
    line = parse_line("/mock admin prompts disable coding, behavioral")
    assert line.command is command("admin", "prompts", "disable") and line.options == {
        "types": "coding, behavioral"
    }


async def test_typed_options_reach_the_service_on_the_text_faces(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(app.requests.schedule)
    monkeypatch.setattr(app.requests, "schedule", spy)
    alice = await ready(app, "alice")
    reply = await app.router.run_text(alice, "/mock schedule system design role:candidate days:5")
    assert reply.title == "Request open", reply.text
    ((_, kind, role, days),) = spy.calls
    assert (kind, role, days) == (InterviewType.SYSTEM_DESIGN, RolePreference.CANDIDATE, 5)
    assert (
        isinstance(kind, InterviewType) and isinstance(role, RolePreference) and type(days) is int
    )


async def test_a_value_out_of_range_is_refused_on_the_text_faces(app: App) -> None:
    alice = await ready(app, "alice")
    refused = await app.router.run_text(alice, "schedule coding days:60")
    assert refused.tone is Tone.ERROR and "days" in refused.text and "from 1 to 14" in refused.text
    assert dict(refused.field_errors).keys() == {"days"}
    async with app.db.uow() as tx:
        assert await tx.requests.open_for_member(alice.member.id) == []


async def test_schedule_alone_opens_its_form_whose_answers_book_a_request(app: App) -> None:
    alice = await ready(app, "alice")
    opened = await app.router.run_text(alice, "schedule")
    assert opened.form is not None and opened.form == command("schedule").form_spec()
    sent = await app.router.act(
        alice, opened.form.action, {"type": "coding", "role": "swap", "days": "7"}
    )
    assert sent.title == "Request open", sent.text
    async with app.db.uow() as tx:
        assert len(await tx.requests.open_for_member(alice.member.id)) == 1


async def test_every_declared_command_has_a_handler_and_every_action_verb_is_declared(
    app: App,
) -> None:
    app.router.check_complete()
    assert {" ".join(c.path) for c in app.router.commands} >= {" ".join(c.path) for c in COMMANDS}
    assert set(app.router.action_verbs) <= DECLARED_VERBS


@pytest.mark.undeclared_actions
async def test_an_undeclared_action_fails_the_contract(app: App) -> None:
    offered = OutboundMessage(
        text="x", buttons=(Button("Go", "pl:nobody.handles:1"), Button("Ok", "pl:schedule.open"))
    )
    assert undeclared("pl:nobody.handles:1") and not undeclared("pl:schedule.open")
    assert undeclared_actions([offered]) == ["pl:nobody.handles:1"]
    alice = await make_actor(app, "alice")
    assert (await app.router.act(alice, "pl:nobody.handles:1")).tone is Tone.ERROR
