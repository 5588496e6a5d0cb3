"""A NUL character in anything a member types, on SQLite and on PostgreSQL.

PostgreSQL refuses NUL in text, in a lookup as in a stored row (asyncpg: "invalid byte
sequence for encoding UTF8: 0x00"); SQLite takes it. Slack and the console pass typed text
as it is, and Discord's text options and modals too, so every declared command and option,
every form's answers and a member's name are tried with one: never an incident, on either
database. Generic over the declarations (``COMMANDS``), so a command added later is covered.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.messages import ChoiceInput, FormSpec, OutboundMessage, TextInput
from bot.core.models import Platform
from bot.core.surface.commands import COMMANDS, Command
from bot.core.surface.options import Kind, Option
from tests.conftest import make_actor, ready_member
from tests.feedback_helpers import fill, finished_session

INCIDENT = "Something went wrong"
NUL = "a\x00b"


def with_nul(option: Option) -> str | None:
    """A value of ``option`` holding a NUL (None: a kind no face hands over as typed text)."""
    if option.kind is Kind.FILE:
        return None
    if option.kind is Kind.LIST:
        return "coding,\x00"
    return NUL


def valid(option: Option) -> str:
    if option.kind is Kind.MEMBER:
        return "bob"
    if option.kind is Kind.INT:
        return str(option.min if option.min is not None else 1)
    if option.kind is Kind.CHOICE:
        return option.choices[0][1]
    if option.kind is Kind.LIST:
        return "coding"
    return "x"


def cases() -> list[tuple[Command, dict[str, str]]]:
    found = []
    for declared in COMMANDS:
        required = {o.name: valid(o) for o in declared.options if o.required}
        for option in declared.options:
            value = with_nul(option)
            if value is not None:
                found.append((declared, {**required, option.name: value}))
    return found


def no_incident(reply: object, where: object) -> None:
    assert isinstance(reply, OutboundMessage), where
    assert INCIDENT not in reply.text, (where, reply.text)


async def test_every_option_of_every_command_with_a_nul(app: App, clock: FakeClock) -> None:
    await ready_member(app, "bob")
    alice = await ready_member(app, "alice")
    alice = await make_actor(app, "alice", admin=True)
    await app.router.run(alice, "schedule", {"type": "coding"})  # an open request
    for declared, options in cases():
        no_incident(await app.router.run_path(alice, declared.path, options), options)
        line = " ".join(declared.path) + " " + " ".join(f"{k}:{v}" for k, v in options.items())
        no_incident(await app.router.run_text(alice, line), line)


def answers(form: FormSpec) -> dict[str, Any]:
    """Every text answer holds a NUL; every choice is one the form offers."""
    values: dict[str, Any] = dict(fill(form))
    for item in form.inputs:
        if isinstance(item, TextInput):
            values[item.id] = ("Clear structure, named the edge cases. " + NUL)[: item.max_length]
        elif isinstance(item, ChoiceInput) and item.id not in values:
            values[item.id] = item.options[0].value
    return values


async def test_every_form_answered_with_a_nul(app: App, clock: FakeClock) -> None:
    """The forms a member meets (onboarding, scheduling, the live queue, a loop, feedback, a
    report, an admin's pasted pack) sent with a NUL in every text answer."""
    alice = await ready_member(app, "alice")
    bob = await ready_member(app, "bob")
    alice = await make_actor(app, "alice", admin=True)
    newcomer = await make_actor(app, "newcomer")
    session = await finished_session(app, alice, bob, start=clock.now() - timedelta(hours=3))
    forms: list[tuple[Any, FormSpec]] = []
    opened = [
        (newcomer, await app.router.run(newcomer, "schedule", {})),  # the profile form
        (alice, await app.router.run(alice, "schedule", {})),
        (alice, await app.router.run(alice, "now", {})),
        (alice, await app.router.run_path(alice, ("loop", "start"), {})),
        (alice, await app.router.act(alice, f"pl:feedback.open:{session.id}:1:interviewer")),
        (alice, await app.router.act(alice, f"pl:report.open:{session.id}")),
        (alice, await app.router.run_text(alice, "admin prompts import")),
    ]
    for actor, reply in opened:
        assert reply.form is not None, reply.text
        forms.append((actor, reply.form))
    for actor, form in forms:
        no_incident(await app.router.act(actor, form.action, answers(form)), form.action)


@pytest.mark.parametrize("name", ["Eve\x00", "\x00", "A\x00" * 50])
async def test_a_name_with_a_nul_is_resolved(app: App, name: str) -> None:
    """A platform hands PeerLoop the member's and the community's names; one holding a NUL
    is kept without it."""
    actor = await app.actors.resolve(Platform.CONSOLE, "c\x00", name, "u1", name)
    assert "\x00" not in actor.member.display_name + actor.community.name
    again = await app.actors.resolve(Platform.CONSOLE, "c\x00", name, "u1", name)
    assert again.member.id == actor.member.id
    no_incident(await app.router.run(again, "profile", {}), name)
