"""Command text parsing and the action-id codec shared by every face."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app import App
from bot.core import actions
from bot.core.commands import parse_command_text
from bot.core.errors import InvalidInput, PeerLoopError
from bot.core.limits import RateLimit, RateLimited, RateLimiter
from bot.core.messages import (
    MAX_FIELD_VALUE,
    MAX_REFUSAL,
    MAX_TEXT,
    FormValues,
    OutboundMessage,
    Tone,
    error_message,
    quote,
)
from bot.core.services.actor import Actor
from bot.core.surface.commands import Command, NoArgs
from bot.core.vocab import InterviewType, Level
from tests.conftest import make_actor


def test_parse_options_and_quoted_values() -> None:
    parsed = parse_command_text(
        '/mock profile timezone:Europe/Berlin types:"coding, system design" level:senior'
    )
    assert parsed.name == "profile"
    assert parsed.options == {
        "timezone": "Europe/Berlin",
        "types": "coding, system design",
        "level": "senior",
    }


def test_unquoted_words_continue_the_previous_option() -> None:
    parsed = parse_command_text("profile types:coding, system design")
    assert parsed.options == {"types": "coding, system design"}


def test_free_text_commands() -> None:
    assert parse_command_text("availability weekdays 18:00-21:00, sat 10-14").options == {
        "text": "weekdays 18:00-21:00, sat 10-14"
    }
    assert parse_command_text("schedule coding").options == {"type": "coding"}
    assert parse_command_text("/mock").name == "help"


def test_stray_words_and_open_quotes_are_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_command_text("profile hello")
    with pytest.raises(InvalidInput, match="quote"):
        parse_command_text('profile types:"coding')


def test_action_round_trip_and_limits() -> None:
    encoded = actions.encode("session.confirm", "abc123", "x-y")
    assert encoded == "pl:session.confirm:abc123:x-y"
    assert actions.decode(encoded) == actions.Action("session.confirm", ("abc123", "x-y"))
    with pytest.raises(ValueError):
        actions.encode("bad verb")
    with pytest.raises(ValueError):
        actions.encode("ok", "a:b")
    with pytest.raises(actions.InvalidAction):
        actions.decode("pl:ok:" + "a" * 120)


@given(
    st.from_regex(r"[a-z][a-z0-9_.]{0,20}", fullmatch=True),
    st.lists(st.from_regex(r"[A-Za-z0-9_\-]{1,12}", fullmatch=True), max_size=4),
)
def test_every_encodable_action_decodes_to_itself(verb: str, args: list[str]) -> None:
    encoded = actions.encode(verb, *args)
    assert actions.decode(encoded) == actions.Action(verb, tuple(args))


@given(st.text(max_size=120))
def test_decode_never_crashes_on_garbage(text: str) -> None:
    try:
        action = actions.decode(text)
    except actions.InvalidAction:
        return
    assert actions.encode(action.verb, *action.args) == text


# -- the router's error boundary ------------------------------------------------------------------


def test_a_refusal_is_clipped_however_long_the_input() -> None:
    long = "x" * 6000
    error = InvalidInput(
        "type", f"“{long}” is not a type.", accepted="coding", fields={"type": long}
    )
    assert len(error.message) <= MAX_REFUSAL and error.message.endswith("Accepted: coding.")
    assert len(error.fields["type"]) <= MAX_FIELD_VALUE
    assert len(PeerLoopError(long).message) <= MAX_REFUSAL
    assert len(error_message(long, {"type": long}).text) <= MAX_TEXT
    assert quote("a\n`b`   c" + "d" * 100, 10) == "a 'b' cdd…"


@pytest.mark.parametrize(
    "line",
    [
        "schedule type:" + "x" * 4000,
        "now type:" + "y" * 6000,
        "schedule type:coding days:" + "9" * 5000,
        "availability " + "mon " * 1500 + "18-21",
        "availability weekdays 18:00-21:00 blackouts:" + "2026-13-01," * 500,
        "profile timezone:" + "Europe/" * 900,
        "profile level:" + "z" * 5000,
        "profile track:" + "t" * 5000,
        "profile types:" + "coding, " * 700 + "q" * 100,
        "profile " + "unknown:1 " * 600,
        "digest " + "w" * 5000,
        "cancel " + "r" * 5000,
        "x" * 5000,
        "schedule " + "loose " * 1000,
        "admin setup " + "match_every:" + "1" * 5000,
        "admin setup reminders:" + "2h," * 2000 + "9q",
        "admin setup pair_channel:" + "#" * 5000,
        "admin member " + "m" * 5000,
        "admin prompts " + "p" * 5000,
        "admin prompts remove " + "p" * 5000,
        "admin prompts export " + "p" * 5000,
        "admin " + "a" * 5000,
    ],
)
async def test_no_long_input_makes_a_reply_invalid(app: App, line: str) -> None:
    actor = await make_actor(app, "alice", admin=True)
    await app.profiles.set_profile(
        actor,
        timezone="Europe/Berlin",
        track="backend",
        level=Level.MID,
        interview_types=(InterviewType.CODING,),
    )
    reply = await app.router.run_text(actor, line)
    assert isinstance(reply, OutboundMessage) and reply.tone is Tone.ERROR
    assert "Something went wrong" not in reply.text, reply.text  # a refusal, not an incident
    assert len(reply.text) <= MAX_REFUSAL


@dataclass(frozen=True)
class BoomArgs:
    text: str | None = None


async def test_an_unexpected_exception_becomes_a_private_incident_reply(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    actor = await make_actor(app, "alice")
    secret = "-".join(("private", "exception", "text"))  # built here, so not in a frame

    async def broken(actor: Actor, args: BoomArgs) -> OutboundMessage:
        raise RuntimeError(f"{secret} {args.text}")

    async def broken_press(
        actor: Actor, action: actions.Action, values: FormValues
    ) -> OutboundMessage:
        raise KeyError(secret)

    app.router.declare(Command(("boom",), "Boom", BoomArgs), broken)
    app.router.declare_action("test.boom", broken_press)
    with caplog.at_level(logging.ERROR):
        replies = [
            await app.router.run(actor, "boom", {"text": "typed words"}),
            await app.router.run_text(actor, "boom text:typed-by-alice"),
            await app.router.act(actor, actions.encode("test.boom")),
        ]
    for reply in replies:
        assert reply.ephemeral and reply.tone is Tone.ERROR
        assert (
            reply.text.startswith("Something went wrong (incident ")
            and "Nothing was changed" in reply.text
        )
        assert secret not in reply.text
    assert len(caplog.records) == 3
    assert secret not in caplog.text and "typed-by-alice" not in caplog.text
    assert "RuntimeError" in caplog.text and "KeyError" in caplog.text


async def test_an_unexpected_exception_in_an_admin_command_becomes_an_incident(app: App) -> None:
    assert app.admin_commands is not None
    admin = await make_actor(app, "root", admin=True)

    async def broken(actor: Actor, args: NoArgs) -> OutboundMessage:
        raise ValueError("boom")

    app.router.declare(Command(("admin", "boom"), "Boom", NoArgs), broken)
    for reply in (
        await app.admin_commands.run(admin, "boom", {}),
        await app.router.run_text(admin, "admin boom"),
    ):
        assert reply.text.startswith("Something went wrong (incident ")


# -- per-member limits ---------------------------------------------------------------------------


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_token_bucket_refills_and_names_the_wait() -> None:
    ticks = Ticks()
    limiter = RateLimiter(RateLimit(burst=3, per_second=0.5), clock=ticks)
    for _ in range(3):
        limiter.take("a")
    with pytest.raises(RateLimited) as refused:
        limiter.take("a")
    assert (
        refused.value.retry_after == 2
        and refused.value.message == "Too many requests: try again in 2 s."
    )
    limiter.take("b")  # another member's bucket is their own
    ticks.now = 2.0
    limiter.take("a")
    with pytest.raises(RateLimited):
        limiter.take("a")
    RateLimiter(RateLimit(burst=0)).take("a")  # burst 0: no limit


async def test_one_member_pressing_a_hundred_times_does_not_starve_another(app: App) -> None:
    ticks = Ticks()
    app.router.limiter = RateLimiter(RateLimit(burst=20, per_second=1.0), clock=ticks)
    alice, bob = await make_actor(app, "alice", admin=True), await make_actor(app, "bob")
    calls: list[str] = []

    async def press(actor: Actor, action: actions.Action, values: FormValues) -> OutboundMessage:
        calls.append(actor.member.external_id)
        return OutboundMessage(text="done")

    app.router.declare_action("test.press", press)
    replies = [await app.router.act(alice, actions.encode("test.press")) for _ in range(100)]
    limited = [r for r in replies if r.tone is Tone.ERROR]
    assert len(limited) == 80 and calls.count("alice") == 20
    assert all(r.text == "Too many requests: try again in 1 s." and r.ephemeral for r in limited)
    # every entry point counts against the same bucket
    assert "Too many requests" in (await app.router.run(alice, "help", {})).text
    assert "Too many requests" in (await app.router.run_text(alice, "upcoming")).text
    assert app.admin_commands is not None
    assert "Too many requests" in (await app.admin_commands.run(alice, "status", {})).text
    assert "Too many requests" in (await app.router.run_text(alice, "admin status")).text
    # bob is answered at once
    assert (await app.router.act(bob, actions.encode("test.press"))).text == "done"
    assert (await app.router.run(bob, "help", {})).tone is not Tone.ERROR
    # after a wait, alice is answered again
    ticks.now = 1.0
    assert (await app.router.act(alice, actions.encode("test.press"))).text == "done"


def test_full_buckets_are_dropped_so_the_limiter_does_not_grow_without_end() -> None:
    ticks = Ticks()
    limiter = RateLimiter(RateLimit(burst=2, per_second=1.0), clock=ticks)
    for n in range(10_001):
        limiter.take(n)
    ticks.now = 5.0  # every bucket is full again
    limiter.take("late")
    assert len(limiter._buckets) == 1
