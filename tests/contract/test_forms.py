"""A command's form is built from its declaration: each option one input, its default preselected,
and the answers parsed by the same typed parsing as a command line."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any

from bot.app import App
from bot.core.messages import ChoiceInput, TextInput, Tone
from bot.core.services.actor import Actor
from bot.core.surface.commands import NowArgs, ScheduleArgs, command, schedule_form
from bot.core.surface.forms import PAGE_SIZE, FormDecl, form_of
from bot.core.surface.options import Opt
from bot.core.vocab import InterviewType, Level, RolePreference
from tests.contract.test_surface import ready


@dataclass(frozen=True)
class ScheduleWithMore(ScheduleArgs):
    """``schedule`` with two options more, as a newcomer would add them to the declaration."""

    partner_level: Annotated[Level | None, Opt("Your partner's level")] = None
    note: Annotated[str | None, Opt("A note for your partner", max_length=100)] = None


def extended_schedule(app: App) -> list[Any]:
    """Declare ``schedule`` with :class:`ScheduleWithMore`; its handler records the typed
    arguments it gets, then schedules as the real one does."""
    seen: list[Any] = []

    async def handler(actor: Actor, args: ScheduleWithMore) -> Any:
        seen.append(args)
        assert args.type is not None
        return await app.requests.schedule(actor, args.type, args.role, args.days)

    app.router.declare(replace(command("schedule"), args=ScheduleWithMore), handler)
    return seen


def test_the_schedule_form_comes_from_the_declared_options() -> None:
    form = schedule_form()
    assert form.action == "pl:schedule.submit" and form.title == "Schedule a mock interview"
    type_, role, days = form.inputs
    assert isinstance(type_, ChoiceInput) and type_.required and type_.default == ()
    assert [o.value for o in type_.options] == [t.value for t in InterviewType]
    assert (
        isinstance(role, ChoiceInput)
        and not role.required
        and role.default == (RolePreference.SWAP.value,)
    )
    assert (
        isinstance(days, ChoiceInput) and days.label == "Within the next" and days.default == ("7",)
    )
    assert [o.value for o in days.options] == [str(n) for n in range(1, 15)]
    assert (days.options[0].label, days.options[4].label) == ("1 day", "5 days")
    now = command("now").form_spec()
    assert now.action == "pl:now.submit" and [i.id for i in now.inputs] == ["type", "role"]


def test_every_kind_of_option_becomes_an_input() -> None:
    @dataclass(frozen=True)
    class Many:
        kinds: Annotated[tuple[InterviewType, ...], Opt("Types")]
        minutes: Annotated[int | None, Opt("Minutes", min=5, max=1440)] = None
        hour: Annotated[int, Opt("Hour", min=0, max=23)] = 9
        flag: Annotated[bool | None, Opt("Yes or no")] = True
        text: Annotated[str | None, Opt("Words", max_length=500)] = None
        level: Annotated[Level | None, Opt("Level")] = None

    form = form_of(Many, FormDecl("many.submit", "Many"))
    by_id = {i.id: i for i in form.inputs}
    kinds, minutes, hour, flag, text = (
        by_id[k] for k in ("kinds", "minutes", "hour", "flag", "text")
    )
    assert isinstance(kinds, ChoiceInput) and kinds.multi and kinds.required
    # a range too wide for a picker is typed, and says what it accepts
    assert (
        isinstance(minutes, TextInput)
        and not minutes.required
        and "from 5 to 1440" in (minutes.placeholder or "")
    )
    assert isinstance(hour, ChoiceInput) and len(hour.options) == 24 and hour.default == ("9",)
    assert isinstance(flag, ChoiceInput) and flag.default == ("yes",)
    assert isinstance(text, TextInput) and text.multiline and text.max_length == 500
    assert (
        len(form.pages) == 2 and len(form.pages[0].inputs) == PAGE_SIZE
    )  # Discord's five a screen


async def test_an_option_added_to_the_declaration_is_in_the_form_and_its_answer_is_typed(
    app: App,
) -> None:
    seen = extended_schedule(app)
    alice = await ready(app, "alice")
    opened = await app.router.run(alice, "schedule", {})
    assert opened.form is not None
    assert [i.id for i in opened.form.inputs] == ["type", "role", "days", "partner_level", "note"]
    button = await app.router.act(alice, "pl:schedule.open")
    assert button.form == opened.form
    refused = await app.router.act(
        alice, opened.form.action, {"type": "coding", "partner_level": "guru"}
    )
    assert refused.tone is Tone.ERROR and dict(refused.field_errors).keys() == {"partner_level"}
    sent = await app.router.act(
        alice,
        opened.form.action,
        {"type": ("coding",), "partner_level": ("senior",), "note": "hi", "days": "3"},
    )
    assert sent.title == "Request open", sent.text
    (args,) = seen
    assert (args.type, args.role, args.days, args.partner_level, args.note) == (
        InterviewType.CODING,
        RolePreference.SWAP,
        3,
        Level.SENIOR,
        "hi",
    )


async def test_now_alone_opens_its_form_whose_answer_joins_the_queue(app: App) -> None:
    alice = await ready(app, "alice")
    opened = await app.router.run(alice, "now", {})
    assert opened.form == command("now").form_spec()
    joined = await app.router.act(
        alice, opened.form.action, {"type": "coding", "role": "candidate"}
    )
    assert joined.tone is not Tone.ERROR, joined.text
    async with app.db.uow() as tx:
        (request,) = await tx.requests.open_for_member(alice.member.id)
    assert request.live and request.role is RolePreference.CANDIDATE
    assert NowArgs.__dataclass_fields__["role"].default is RolePreference.SWAP
