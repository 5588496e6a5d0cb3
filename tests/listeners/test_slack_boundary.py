"""The Slack face's one error boundary and its ack-first rule, through bolt against the fake
Slack: every listener acknowledges first; any exception after that (a Web API error, a
failing actor resolution, a bug) reaches the member as a private "Something went wrong
(incident …)" and the log as one line that quotes nothing the member wrote."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.core.errors import PeerLoopError
from bot.core.services.actor import Actor
from bot.core.surface.commands import schedule_form
from tests.listeners.test_slack import (
    ALICE,
    BOB,
    CAROL,
    Rig,
    blob,
    ready,
    reply_text,
    responses,
    rig,
)
from tests.listeners.test_slack import (
    SECRET as SIGNING_SECRET,
)

__all__ = ["rig"]

INCIDENT = re.compile(r"Something went wrong \(incident ([0-9a-f]{8})\)\. Nothing was changed\.")
SECRET = "SECRET-TYPED-TEXT-4711"
#: The work is held back until the test releases it, so any answer at all proves the ack came
#: first; the bound only ends a test that would otherwise wait forever (generous for slow CI).
ANSWER_WITHIN = 10.0


def incident_in(message: dict[str, Any]) -> str:
    found = INCIDENT.search(blob(message))
    assert found, blob(message)
    return found.group(1)


def incident_lines(caplog: pytest.LogCaptureFixture, incident: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if incident in r.getMessage()]


def schedule_values(kind: str = "coding", days: str = "7") -> dict[str, Any]:
    return {
        "type": {"type": {"type": "static_select", "selected_option": {"value": kind}}},
        "role": {"role": {"type": "static_select", "selected_option": {"value": "swap"}}},
        "days": {"days": {"type": "static_select", "selected_option": {"value": days}}},
    }


def schedule_view(channel: str | None = None, user: str = ALICE) -> dict[str, Any]:
    """The schedule modal as the bot opens it for ``user`` from ``channel`` (its metadata
    bound to them with the signing secret)."""
    from bot.adapters.slack_render import form_view
    from bot.listeners.slack import bind_metadata

    return form_view(
        schedule_form(), bind_metadata(SIGNING_SECRET.encode(), user, channel)
    ).to_dict()


def failing_resolve(rig: Rig) -> None:
    """Resolving any member fails, with a message that quotes what the member typed."""

    async def resolve(*args: Any, **kwargs: Any) -> Actor:
        raise RuntimeError(f"could not store {SECRET}")

    rig.app.actors.resolve = resolve  # type: ignore[method-assign]


async def test_an_admin_button_whose_users_info_fails_gets_a_private_incident_reply(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    rig.fake.fail_next("users.info", status=200, error="user_not_found", retry_after=None)
    status, _, key = await rig.send.click(CAROL, "pl:admin.clear_noshow:m1", "C1")
    assert status == 200
    await rig.fake.wait_for(lambda: len(responses(rig.fake, key)) == 1)
    answer = responses(rig.fake, key)[0]
    assert answer["response_type"] == "ephemeral"
    incident = incident_in(answer)
    (line,) = incident_lines(caplog, incident)
    assert line.levelno == logging.ERROR and "SlackApiError" in line.getMessage()
    assert "user_not_found" not in caplog.text  # the exception's message never reaches the log


@pytest.mark.parametrize("listener", ["command", "button", "modal", "home"])
async def test_a_failing_actor_resolution_is_answered_privately_in_every_listener(
    rig: Rig, caplog: pytest.LogCaptureFixture, listener: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    failing_resolve(rig)
    fake, send = rig.fake, rig.send
    if listener == "command":
        status, _, key = await send.command(ALICE, f"availability {SECRET}")
        await fake.wait_for(lambda: len(responses(fake, key)) == 1)
        answer = responses(fake, key)[0]
        assert answer["response_type"] == "ephemeral"
    elif listener == "button":
        status, _, key = await send.click(ALICE, "pl:session.confirm:s1", "C1")
        await fake.wait_for(lambda: len(responses(fake, key)) == 1)
        answer = responses(fake, key)[0]
        assert answer["response_type"] == "ephemeral"
    elif listener == "modal":  # opened from a channel: an ephemeral there
        status, text = await send.submit(ALICE, schedule_view("C7"), schedule_values())
        assert text == ""
        await fake.wait_for(lambda: fake.count("chat.postEphemeral") == 1)
        answer = fake.of("chat.postEphemeral")[0]
        assert (answer["channel"], answer["user"]) == ("C7", ALICE)
    else:  # an event has no channel to answer in: a direct message
        status, _ = await send.event(
            {"type": "app_home_opened", "user": ALICE, "tab": "home", "channel": "D1"}
        )
        await fake.wait_for(lambda: fake.count("chat.postMessage") == 1)
        answer = fake.of("chat.postMessage")[0]
        assert answer["channel"] == ALICE
    assert status == 200
    incident = incident_in(answer)
    (line,) = incident_lines(caplog, incident)
    assert "RuntimeError" in line.getMessage()
    assert SECRET not in caplog.text


async def test_a_refusal_raised_outside_the_router_is_shown_as_it_is(rig: Rig) -> None:
    """A PeerLoop error (a per-member rate limit, say) is a refusal, not an incident."""

    async def resolve(*args: Any, **kwargs: Any) -> Actor:
        raise PeerLoopError("Slow down a little: try again in 30 seconds.")

    rig.app.actors.resolve = resolve  # type: ignore[method-assign]
    answer = await reply_text(rig, ALICE, "help")
    assert answer["response_type"] == "ephemeral"
    assert "try again in 30 seconds" in blob(answer) and "incident" not in blob(answer)


async def test_a_reply_that_slack_refuses_still_ends_in_a_private_incident_reply(rig: Rig) -> None:
    rig.fake.fail_next("views.open", status=200, error="invalid_arguments", retry_after=None)
    status, _, key = await rig.send.command(ALICE, "schedule")
    assert status == 200
    await rig.fake.wait_for(lambda: len(responses(rig.fake, key)) == 1)
    incident_in(responses(rig.fake, key)[0])


# -- acknowledge first --------------------------------------------------------------------------


def gate(rig: Rig) -> tuple[asyncio.Event, list[str]]:
    """Actor resolution (the first database write of any work) waits until the event is set."""
    opened = asyncio.Event()
    order: list[str] = []
    real: Callable[..., Awaitable[Actor]] = rig.app.actors.resolve

    async def resolve(*args: Any, **kwargs: Any) -> Actor:
        order.append("work started")
        await opened.wait()
        return await real(*args, **kwargs)

    rig.app.actors.resolve = resolve  # type: ignore[method-assign]
    return opened, order


async def test_a_modal_submission_is_acknowledged_before_any_work(rig: Rig) -> None:
    await ready(rig, ALICE)
    opened, _ = gate(rig)
    # The HTTP answer comes back while the work (member, request) cannot even start.
    status, text = await asyncio.wait_for(
        rig.send.submit(ALICE, schedule_view("C1"), schedule_values()), ANSWER_WITHIN
    )
    assert (status, text) == (200, "")
    assert rig.fake.count("chat.postEphemeral") == 0
    opened.set()
    await rig.fake.wait_for(lambda: rig.fake.count("chat.postEphemeral") == 1)
    follow_up = rig.fake.of("chat.postEphemeral")[0]
    assert follow_up["user"] == ALICE and "coding" in blob(follow_up).lower()


async def test_a_modal_refused_by_its_own_inputs_is_answered_without_any_work(rig: Rig) -> None:
    await ready(rig, ALICE)
    _, order = gate(rig)  # never opened: any work would hang the answer
    status, text = await asyncio.wait_for(
        rig.send.submit(ALICE, schedule_view(), schedule_values(days="30")), ANSWER_WITHIN
    )
    assert status == 200 and '"response_action": "errors"' in text and "days" in text
    assert (
        "accepted: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 or 14" in text
    )  # every day the command accepts
    assert order == [] and rig.fake.count("users.info") == 1  # only ready()'s lookup


async def test_slash_commands_and_buttons_are_acknowledged_before_any_work(rig: Rig) -> None:
    await reply_text(rig, BOB, "help")  # the member exists: the two released at once only read
    opened, _ = gate(rig)
    status, _, key = await asyncio.wait_for(rig.send.command(BOB, "help"), ANSWER_WITHIN)
    assert status == 200 and responses(rig.fake, key) == []
    status, _, key2 = await asyncio.wait_for(
        rig.send.click(BOB, "pl:session.confirm:s1", "C1"), ANSWER_WITHIN
    )
    assert status == 200 and responses(rig.fake, key2) == []
    opened.set()
    await rig.fake.wait_for(
        lambda: len(responses(rig.fake, key)) == 1 and len(responses(rig.fake, key2)) == 1
    )


async def test_a_submission_slack_would_never_send_is_acknowledged_and_refused(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """A submission whose state does not parse is acknowledged (200, the modal closes) and
    refused privately, in a direct message; the log quotes nothing of it."""
    view = {**schedule_view(), "state": {"values": f"not a mapping {SECRET}"}}
    payload = {
        "type": "view_submission",
        "team": rig.send.team(),
        "user": rig.send.user(ALICE),
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "t-1",
        "view": {**view, "id": "V1"},
    }
    status, _ = await rig.send.interaction(payload)
    assert status == 200
    await rig.fake.wait_for(lambda: rig.fake.count("chat.postMessage") == 1)
    answer = rig.fake.of("chat.postMessage")[0]
    assert answer["channel"] == ALICE and "could not read that form" in blob(answer)
    assert SECRET not in caplog.text


async def test_what_fails_before_a_listeners_own_boundary_is_still_answered(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """An exception before a listener's own boundary (here: in the ack itself) reaches bolt's
    error handler, the last boundary: the member still hears back, in a direct message."""
    from slack_bolt.context.ack.async_ack import AsyncAck

    async def failing_ack(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"ack failed {SECRET}")

    view = schedule_view()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AsyncAck, "__call__", failing_ack)
        status, _ = await rig.send.submit(ALICE, view, schedule_values())
    assert status == 500
    await rig.fake.wait_for(lambda: rig.fake.count("chat.postMessage") == 1)
    answer = rig.fake.of("chat.postMessage")[0]
    assert answer["channel"] == ALICE
    (line,) = incident_lines(caplog, incident_in(answer))
    assert "RuntimeError" in line.getMessage() and SECRET not in caplog.text


@pytest.mark.parametrize(
    "text",
    [
        "schedule type:" + "x" * 4000,
        "availability " + "9" * 6000,
        "admin setup digest_day:" + "<!channel>" * 300,
        "help \x00\ud7ff" * 50,
    ],
)
async def test_any_input_gets_a_private_answer(rig: Rig, text: str) -> None:
    rig.fake.admins.add(ALICE)
    answer = await reply_text(rig, ALICE, text)
    assert answer["response_type"] == "ephemeral" and answer["blocks"]


# -- a response URL that refuses ------------------------------------------------------------


@pytest.mark.parametrize("refusal", [(404, "expired_url"), (410, "used_url"), (500, "x")])
async def test_an_answer_a_response_url_refuses_comes_as_a_direct_message(
    rig: Rig, refusal: tuple[int, str]
) -> None:
    """Slack's response URLs expire and take a few answers only, and the webhook client does
    not raise when one refuses: the answer is posted in the member's direct messages instead
    of being lost."""
    await ready(rig, ALICE)
    status, error = refusal
    rig.fake.fail_next("response_url", status=status, error=error)
    sent, _, key = await rig.send.command(ALICE, "upcoming")
    assert sent == 200
    await rig.fake.wait_for(lambda: rig.fake.count("chat.postMessage") == 1)
    (refused,) = responses(rig.fake, key)
    answer = rig.fake.of("chat.postMessage")[0]
    assert answer["channel"] == ALICE and answer["blocks"] == refused["blocks"]
    assert "Upcoming" in blob(answer) and "incident" not in blob(answer)


async def test_an_answer_slack_refuses_everywhere_ends_in_the_incident_reply(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack refuses the answer through the response URL and as a direct message: the member
    reads the incident reply (through the response URL's next use), the log has one line."""
    caplog.set_level(logging.INFO)
    await ready(rig, ALICE)
    rig.fake.fail_next("response_url", status=400, error="invalid_blocks")
    rig.fake.fail_next("chat.postMessage", status=200, error="invalid_blocks", retry_after=None)
    sent, _, key = await rig.send.command(ALICE, "upcoming")
    assert sent == 200
    await rig.fake.wait_for(lambda: len(responses(rig.fake, key)) == 2)
    incident = incident_in(responses(rig.fake, key)[1])
    (line,) = incident_lines(caplog, incident)
    assert "SlackApiError" in line.getMessage()
