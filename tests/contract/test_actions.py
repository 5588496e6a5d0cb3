"""The action-id contract: every button, select and form the core puts in a message has a
handler behind it, on every face.

Two levels. On **every** test (``tests/conftest.py``, ``every_offered_action_is_declared``),
each message PeerLoop builds — on Discord, Slack, the console or in the core — may only
offer actions whose verb a handler declared (the router's action registry,
``CommandRouter.declare_action``, or a face's ``declare_verb``); an undeclared one fails that
test. Here, a scenario presses every action it is offered:

The scenario walks a community through what members and admins do (profile, availability,
schedule, the live queue, matching, a rescheduled session run to the end, feedback, progress,
digests, a no-show, the admin commands, packs, privacy) and records every
:class:`OutboundMessage` built on the way: replies, direct messages, posts in pair spaces.
Every action id found in them must

- name a verb the core's router handles (a verb nobody handles is what a member sees as
  "That button or form is not valid any more" on the very first press);
- be routed by each face: the core's id pattern, Discord's dynamic item template and the
  Slack bolt matcher;
- when pressed, never be answered as an invalid id (a wrong number of arguments); a
  refusal for a thing that is gone or not the presser's is fine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.app import App
from bot.core.actions import PATTERN, InvalidAction, decode
from bot.core.clock import FakeClock
from bot.core.messages import OutboundMessage, Tone
from bot.core.services.actor import Actor
from tests.conftest import make_actor
from tests.core.test_sessions import advance
from tests.fakes.fake_chat import FakeChat
from tests.feedback_helpers import fill


@pytest.fixture
def app(chat_app: App) -> App:
    """The scenario runs on SQLite with a recording chat (``chat``)."""
    return chat_app


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[OutboundMessage]:
    """Every OutboundMessage constructed while the test runs (replies, DMs, posts, outbox rows)."""
    messages: list[OutboundMessage] = []
    original = OutboundMessage.__post_init__

    def record(self: OutboundMessage) -> None:
        original(self)
        messages.append(self)

    monkeypatch.setattr(OutboundMessage, "__post_init__", record)
    return messages


def ok(reply: OutboundMessage) -> OutboundMessage:
    assert reply.tone is not Tone.ERROR, reply.text
    return reply


async def member(
    app: App,
    name: str,
    *,
    types: str = "coding",
    availability: str = "daily 18:00-20:00",
    admin: bool = False,
) -> Actor:
    actor = await make_actor(app, name, admin=admin)
    ok(
        await app.router.run(
            actor,
            "profile",
            {"timezone": "Europe/Berlin", "track": "backend", "level": "mid", "types": types},
        )
    )
    ok(await app.router.run(actor, "availability", {"text": availability}))
    return await make_actor(app, name, admin=admin)


async def jump(app: App, clock: FakeClock, by: timedelta) -> None:
    """Move the clock at once (the steps due run late, once; matching rounds do not run every 15 minutes)."""
    clock.set(clock.now() + by)
    await app.tick()


async def give_all_feedback(app: App, actor: Actor) -> None:
    for _ in range(4):
        owed = await app.router.run(actor, "feedback", {})
        if not owed.buttons:
            return
        opened = ok(await app.router.act(actor, owed.buttons[0].action))
        assert opened.form is not None
        ok(await app.router.act(actor, opened.form.action, fill(opened.form)))


async def scenario(app: App, chat: FakeChat, clock: FakeClock) -> list[Actor]:
    """What a small community does in its first weeks, through the core's routers."""
    assert app.admin_commands is not None
    ada = await member(app, "ada", admin=True)
    alice = await member(app, "alice")
    bob = await member(app, "bob", types="coding, behavioral")
    carol = await member(app, "carol", types="behavioral", availability="sat 06:00-07:00")
    dave = await member(app, "dave", availability="daily 08:00-22:00")

    # The "Schedule a session" button opens the schedule form; sending it opens a request.
    empty = ok(await app.router.run(alice, "upcoming", {}))
    opened = ok(await app.router.act(alice, empty.buttons[0].action))
    assert opened.form is not None
    ok(
        await app.router.act(
            alice, opened.form.action, {"type": "coding", "role": "swap", "days": "7"}
        )
    )
    ok(await app.router.run(bob, "schedule", {"type": "coding"}))
    ok(await app.router.run(bob, "schedule", {"type": "behavioral"}))
    which = ok(await app.router.run(bob, "cancel", {}))
    ok(await app.router.act(bob, next(b.action for b in which.buttons if "Behavioral" in b.label)))
    ok(await app.router.run(carol, "schedule", {"type": "behavioral"}))
    queued = ok(await app.router.run(dave, "now", {"type": "coding"}))
    ok(await app.router.act(dave, queued.buttons[0].action))

    # A round pairs Alice and Bob; Carol is left out and told why.
    outcome = await app.matching.run_round(alice.community.id)
    assert len(outcome.sessions) == 1
    await app.tick()
    listed = ok(await app.router.run(alice, "upcoming", {}))
    first = outcome.sessions[0]
    reschedule = next(b.action for b in listed.buttons if b.label.startswith("Reschedule"))
    assert reschedule == f"pl:session.reschedule:{first.id}:{first.sequence}"
    ok(await app.router.act(alice, reschedule))
    await app.tick()
    ok(await app.router.act(bob, f"pl:session.confirm:{first.id}"))
    await app.tick()
    async with app.db.uow() as tx:
        session = await tx.sessions.get(first.id)
    assert session is not None

    # The session runs; Alice's direct messages are closed, so her guide comes as a button.
    chat.closed_dms.add("alice")
    await advance(app, clock, session.start + timedelta(minutes=11))
    ok(await app.router.act(bob, f"pl:session.here:{session.id}"))
    guide_buttons = [
        b for _, m in chat.posts for b in m.buttons if b.action.startswith("pl:guide.open")
    ]
    for button in guide_buttons:
        for actor in (alice, bob):
            guide = await app.router.act(actor, button.action)
            for page in guide.buttons:
                await app.router.act(actor, page.action)
    chat.closed_dms.discard("alice")
    await advance(app, clock, session.start + timedelta(minutes=session.minutes + 5))
    for actor in (alice, bob):
        await give_all_feedback(app, actor)
    await jump(app, clock, timedelta(days=3, hours=1))  # the feedback window closes
    for actor in (alice, bob):
        ok(await app.router.run(actor, "progress", {}))
        ok(await app.router.run(actor, "history", {}))
        ok(await app.router.run(actor, "digest", {}))

    # A second pair: Erin reports that Frank did not show.
    erin = await member(app, "erin", availability="daily 08:00-22:00")
    frank = await member(app, "frank", availability="daily 08:00-22:00")
    ok(await app.router.run(erin, "schedule", {"type": "coding"}))
    ok(await app.router.run(frank, "schedule", {"type": "coding"}))
    second = (await app.matching.run_round(erin.community.id)).sessions
    assert len(second) == 1
    await advance(app, clock, second[0].start + timedelta(minutes=11))
    ok(await app.router.act(erin, f"pl:session.noshow:{second[0].id}"))
    await app.tick()

    # Erin invites Frank to practise (he declines) and again (she withdraws it); an admin
    # pairs them by hand.
    ok(await app.router.run_text(erin, "schedule behavioral partner:frank"))
    await app.tick()
    ok(await app.router.act(frank, chat.dms_to("frank")[-1].buttons[1].action))
    invited = ok(await app.router.run_text(erin, "schedule behavioral partner:frank"))
    ok(await app.router.act(erin, invited.buttons[0].action))
    await app.tick()

    # The admins.
    for line in (
        "pair a:erin b:frank type:behavioral",
        "setup",
        "setup digest_hour:8",
        "stats",
        "status",
        "pause",
        "resume",
        "member frank",
        "member carol",
        "prompts list",
        "prompts import",
        "prompts export coding",
    ):
        ok(await app.router.run_text(ada, f"/mock admin {line}"))

    # Privacy, and the weekly digests.
    ok(await app.router.run(bob, "export", {}))
    ok(await app.router.run(carol, "forget-me", {}))
    await jump(app, clock, timedelta(days=8))  # a digest day
    return [ada, alice, bob, carol, dave, erin, frank]


def action_ids(messages: list[OutboundMessage]) -> Iterator[tuple[str, str]]:
    """(what, action id) for every button, select and form in ``messages``."""
    for message in messages:
        for button in message.buttons:
            yield f"button “{button.label}”", button.action
        for select in message.selects:
            yield f"select “{select.placeholder}”", select.action
        if message.form is not None:
            yield f"form “{message.form.title}”", message.form.action


async def test_every_action_the_scenario_offers_has_a_handler_on_every_face(
    app: App, chat: FakeChat, clock: FakeClock, built: list[OutboundMessage]
) -> None:
    from bot.cogs.mock import ActionButton
    from bot.listeners.slack import ACTION_ID

    actors = await scenario(app, chat, clock)
    offered = dict((action, what) for what, action in action_ids(built))
    verbs = {decode(action).verb for action in offered}
    # The scenario reaches every kind of button, select and form the core offers.
    assert verbs >= {
        "schedule.open",
        "schedule.submit",
        "request.cancel",
        "session.confirm",
        "session.reschedule",
        "session.cancel",
        "session.here",
        "session.noshow",
        "session.done",
        "guide.open",
        "feedback.open",
        "feedback.submit",
        "admin.clear_noshow",
        "admin.prompts.import",
        "privacy.forget",
        "privacy.keep",
        "friend.accept",
        "friend.decline",
        "friend.cancel",
    }, sorted(verbs)

    unhandled = sorted(
        f"{what}: {action}"
        for action, what in offered.items()
        if not app.router.handles(decode(action).verb)
    )
    assert unhandled == [], "offered, but no handler for their verb"

    discord_template = ActionButton.__discord_ui_compiled_template__
    for action, what in offered.items():
        assert re.fullmatch(PATTERN, action), what
        assert discord_template.fullmatch(action), f"Discord does not route {what}: {action}"
        assert ACTION_ID.match(action), f"Slack does not route {what}: {action}"

    # Pressed by anyone (its member among them), an id is never refused as invalid: a wrong
    # number of arguments would be. Refusals for things gone or not the presser's are fine.
    invalid = InvalidAction().message
    # deleting data last, so every other press still finds its member
    order = sorted(offered, key=lambda a: a.startswith("pl:privacy."))
    for action in order:
        for actor in actors:
            reply = await app.router.act(actor, action, {})
            assert reply.text != invalid, (
                f"{offered[action]} ({action}) pressed by {actor.member.display_name}"
            )


async def test_an_unknown_verb_is_told_apart_from_a_gone_argument(app: App) -> None:
    alice = await member(app, "alice")
    assert not app.router.handles("schedule.nothing")
    unknown = await app.router.act(alice, "pl:schedule.nothing")
    assert unknown.tone is Tone.ERROR and unknown.text == InvalidAction().message
    assert app.router.handles("request.cancel")
    gone = await app.router.act(alice, "pl:request.cancel:no-such-request")
    assert gone.tone is Tone.ERROR and gone.text != InvalidAction().message


async def test_the_schedule_a_session_button_opens_the_schedule_form_whose_answers_schedule(
    app: App,
) -> None:
    from bot.core.messages import ChoiceInput
    from bot.core.services.requests import MAX_DAYS, MIN_DAYS
    from bot.core.surface.commands import schedule_form

    alice = await make_actor(app, "alice")
    ok(
        await app.router.run(
            alice,
            "profile",
            {"timezone": "Europe/Berlin", "track": "backend", "level": "mid", "types": "coding"},
        )
    )
    saved = ok(await app.router.run(alice, "availability", {"text": "daily 18:00-20:00"}))
    assert [b.label for b in saved.buttons] == ["Schedule a session"]
    opened = ok(await app.router.act(alice, saved.buttons[0].action))
    assert opened.form == schedule_form() and not opened.text and not opened.buttons
    assert [i.id for i in opened.form.inputs] == ["type", "role", "days"]
    # The same checks as `/mock schedule`, each beside its input.
    no_type = await app.router.act(alice, opened.form.action, {"role": "swap", "days": "7"})
    assert no_type.tone is Tone.ERROR and dict(no_type.field_errors).keys() == {"type"}
    too_long = await app.router.act(
        alice, opened.form.action, {"type": "coding", "role": "swap", "days": "30"}
    )
    assert too_long.tone is Tone.ERROR and dict(too_long.field_errors).keys() == {"days"}
    sent = ok(
        await app.router.act(
            alice, opened.form.action, {"type": "coding", "role": "candidate", "days": "5"}
        )
    )
    assert sent.title == "Request open" and "only candidate" in sent.text
    async with app.db.uow() as tx:
        (request,) = await tx.requests.open_for_member(alice.member.id)
    assert request.window_end - request.window_start == timedelta(days=5)
    # Every day the form offers is one the command accepts.
    days = next(i for i in opened.form.inputs if i.id == "days")
    assert isinstance(days, ChoiceInput) and all(
        MIN_DAYS <= int(o.value) <= MAX_DAYS for o in days.options
    )
