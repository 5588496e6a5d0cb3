"""Command text parsing and the action-id codec shared by every face."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import actions
from bot.core.commands import parse_command_text
from bot.core.errors import InvalidInput


def test_parse_options_and_quoted_values() -> None:
    parsed = parse_command_text('/mock profile timezone:Europe/Berlin types:"coding, system design" level:senior')
    assert parsed.name == "profile"
    assert parsed.options == {"timezone": "Europe/Berlin", "types": "coding, system design", "level": "senior"}


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
