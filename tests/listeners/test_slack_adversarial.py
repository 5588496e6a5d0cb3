"""The Slack face under adversarial input, through bolt against the fake Slack with signed
requests: a third member crafting payloads (private_metadata, action ids, wrong types),
presses sent twice and at once, retried and team-less events, and replies Slack would
refuse. Every request is answered with HTTP 200 well within Slack's 3 s, and whatever the
bot sends is re-parsed by the fake with ``slack_sdk.models`` plus Slack's own limits."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from contextvars import ContextVar
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.core.models import Platform
from bot.listeners.face import SlackFace
from tests.conftest import delivered
from tests.fakes.fake_slack import BOT_USER, FakeSlack
from tests.listeners.test_slack import (
    ALICE,
    BOB,
    CAROL,
    Rig,
    blob,
    community_id,
    listeners_done,
    ready,
    reply_text,
    responses,
    rig,
)
from tests.listeners.test_slack_boundary import schedule_values

__all__ = ["rig"]

#: Slack's limit for an answer; asserted per request, measured in the app from the request
#: reaching bolt to the listener's ``ack()`` (the HTTP answer), which must come before its work.
SLACK_ACK = 3.0

#: Per request bolt dispatched in this test: when it arrived, when it was acknowledged, when
#: the face started the work after the acknowledgement (``time.perf_counter()``).
_requests: list[dict[str, float]] = []
_request: ContextVar[dict[str, float] | None] = ContextVar("request", default=None)


@pytest.fixture(autouse=True)
def acks_are_timed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Times each request's acknowledgement inside the app. A listener task is started from
    the dispatch, so it sees the request's record through the context variable."""
    _requests.clear()
    dispatch, ack, guarded = AsyncApp.async_dispatch, AsyncAck.__call__, SlackFace.guarded

    async def timed_dispatch(self: AsyncApp, req: Any) -> Any:
        record = {"received": time.perf_counter()}
        _requests.append(record)
        token = _request.set(record)
        try:
            return await dispatch(self, req)
        finally:
            _request.reset(token)
            record.setdefault(
                "acked", time.perf_counter()
            )  # answered by a middleware, not a listener

    async def timed_ack(self: AsyncAck, *args: Any, **kwargs: Any) -> Any:
        if (record := _request.get()) is not None:
            record.setdefault("acked", time.perf_counter())
        return await ack(self, *args, **kwargs)

    async def timed_guarded(self: SlackFace, *args: Any, **kwargs: Any) -> None:
        if (record := _request.get()) is not None:
            record.setdefault("worked", time.perf_counter())
        await guarded(self, *args, **kwargs)

    monkeypatch.setattr(AsyncApp, "async_dispatch", timed_dispatch)
    monkeypatch.setattr(AsyncAck, "__call__", timed_ack)
    monkeypatch.setattr(SlackFace, "guarded", timed_guarded)


async def timed(call: Any) -> tuple[Any, float]:
    """``call``'s result, and the slowest acknowledgement among the requests the app received
    while it ran (each one's, when calls run at once: stricter); every one acknowledged before
    its work started."""
    started = time.perf_counter()
    result = await call
    ended = time.perf_counter()
    # requests answered by then: each one at least by its own call (answered before its response)
    seen = [r for r in _requests if started <= r["received"] <= ended and "acked" in r]
    assert seen, "the app received no request"
    assert all(r["acked"] <= r.get("worked", r["acked"]) for r in seen), (
        "work started before the ack"
    )
    return result, max(r["acked"] - r["received"] for r in seen)


async def open_schedule(rig: Rig, user: str, channel: str = "C1") -> dict[str, Any]:
    """The schedule modal as the bot opened it for ``user`` with ``/mock schedule`` in ``channel``."""
    before = rig.fake.count("views.open")
    body, _ = rig.send.command_body(user, "schedule", channel)
    status, _ = await rig.send.post(body, "application/x-www-form-urlencoded")
    assert status == 200
    await rig.fake.wait_for(lambda: rig.fake.count("views.open") == before + 1)
    view: dict[str, Any] = rig.fake.of("views.open")[-1]["view"]
    return view


async def open_requests(rig: Rig, user: str) -> int:
    async with rig.app.db.uow() as tx:
        member = await tx.members.find(await community_id(rig.app), user)
        assert member is not None
        return len(await tx.requests.open_for_member(member.id))


# -- the fake refuses what Slack refuses ----------------------------------------------------------


@pytest.mark.parametrize(
    "blocks",
    [
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51,
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}],
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}],
        [{"type": "section", "text": {"type": "mrkdwn", "text": " "}}],
    ],
)
async def test_the_fake_refuses_blocks_slack_refuses(blocks: list[dict[str, Any]]) -> None:
    fake = FakeSlack()
    assert fake._validate("chat.postMessage", {"channel": "C1", "blocks": blocks}) is not None


# -- private_metadata is the member's own ---------------------------------------------------------


async def test_a_modal_answers_in_the_channel_it_was_opened_from(rig: Rig) -> None:
    await ready(rig, ALICE)
    view = await open_schedule(rig, ALICE, "C7")
    status, text = await rig.send.submit(ALICE, view, schedule_values())
    assert (status, text) == (200, "")
    await rig.fake.wait_for(lambda: rig.fake.count("chat.postEphemeral") == 1)
    assert rig.fake.of("chat.postEphemeral")[0]["channel"] == "C7"


@pytest.mark.parametrize("metadata", ['{"channel": "CPRIVATE"}', "ALICE's", '{"channel": 7}', "[]"])
async def test_crafted_private_metadata_is_not_trusted(rig: Rig, metadata: str) -> None:
    """A third member submits a modal whose private_metadata they wrote: no reply goes to the
    channel it names; the answer comes in their direct messages."""
    await ready(rig, CAROL)
    view = {**await open_schedule(rig, CAROL, "C1"), "private_metadata": metadata}
    status, text = await rig.send.submit(CAROL, view, schedule_values())
    assert (status, text) == (200, "")
    await rig.fake.wait_for(lambda: rig.fake.count("chat.postMessage") == 1)
    assert rig.fake.of("chat.postMessage")[0]["channel"] == CAROL
    assert rig.fake.count("chat.postEphemeral") == 0


async def test_another_members_modal_metadata_is_not_trusted(rig: Rig) -> None:
    """Carol replays the view Alice's `/mock schedule` in C7 opened (its metadata is bound to
    Alice): Carol's answer goes to her direct messages, not to C7."""
    await ready(rig, ALICE)
    await ready(rig, CAROL)
    view = await open_schedule(rig, ALICE, "C7")
    status, text = await rig.send.submit(CAROL, view, schedule_values())
    assert (status, text) == (200, "")
    await rig.fake.wait_for(lambda: rig.fake.count("chat.postMessage") == 1)
    assert rig.fake.of("chat.postMessage")[0]["channel"] == CAROL
    assert rig.fake.count("chat.postEphemeral") == 0


async def test_an_ephemeral_slack_refuses_falls_back_to_a_direct_message(rig: Rig) -> None:
    """The channel a modal came from is gone (or the bot left it): the answer still arrives."""
    await ready(rig, ALICE)
    view = await open_schedule(rig, ALICE, "C7")
    rig.fake.fail_next(
        "chat.postEphemeral", status=200, error="channel_not_found", retry_after=None
    )
    status, _ = await rig.send.submit(ALICE, view, schedule_values())
    assert status == 200
    await rig.fake.wait_for(lambda: rig.fake.count("chat.postMessage") == 1)
    answer = rig.fake.of("chat.postMessage")[0]
    assert (
        answer["channel"] == ALICE
        and "coding" in blob(answer).lower()
        and "incident" not in blob(answer)
    )
    assert await open_requests(rig, ALICE) == 1


# -- crafted block_actions and view_submissions ----------------------------------------------------


def actions_payload(rig: Rig, user: str, actions: Any, key: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": rig.send.team(),
        "user": rig.send.user(user),
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "trigger-x",
        "response_url": rig.fake.response_url(key),
        "channel": {"id": "C1"},
        "container": {"type": "message", "channel_id": "C1"},
        "actions": actions,
    }


@pytest.mark.parametrize(
    "action",
    [
        {"type": "button", "action_id": "evil", "value": "x"},
        {"type": "button", "action_id": "pl:" + "a" * 300, "value": "x"},
        {"type": "button", "action_id": "pl:session.confirm:" + "<!channel>", "value": "x"},
        {
            "type": "static_select",
            "action_id": "pl:session.confirm:s1",
            "selected_option": "not an object",
        },
        {
            "type": "multi_static_select",
            "action_id": "pl:session.confirm:s1",
            "selected_options": [1, None],
        },
        {
            "type": "static_select",
            "action_id": "pl:session.confirm:s1",
            "selected_option": {"value": 7},
        },
        {"type": "button", "value": "no action id"},
        {"type": "button", "action_id": 12345},
    ],
)
async def test_crafted_presses_are_acknowledged_and_answered_privately(
    rig: Rig, action: dict[str, Any]
) -> None:
    await reply_text(rig, CAROL, "help")
    (status, _), took = await timed(
        rig.send.interaction(actions_payload(rig, CAROL, [action], "crafted"))
    )
    assert status == 200 and took < SLACK_ACK
    await rig.fake.wait_for(lambda: len(responses(rig.fake, "crafted")) == 1)
    answer = responses(rig.fake, "crafted")[0]
    assert answer["response_type"] == "ephemeral" and "incident" not in blob(answer)
    assert "<!channel>" not in blob(answer)


@pytest.mark.parametrize(
    "state",
    [
        {"values": "not a mapping"},
        {"values": {"type": "not a mapping"}},
        {"values": {"type": {"type": {"type": "static_select", "selected_option": "coding"}}}},
        {
            "values": {
                "days": {"days": {"type": "static_select", "selected_option": {"value": ["7"]}}}
            }
        },
    ],
)
async def test_a_submission_with_unreadable_state_is_acknowledged(
    rig: Rig, state: dict[str, Any]
) -> None:
    await ready(rig, CAROL)
    view = await open_schedule(rig, CAROL)
    payload = {
        "type": "view_submission",
        "team": rig.send.team(),
        "user": rig.send.user(CAROL),
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "t-1",
        "view": {**view, "id": "V1", "state": state},
    }
    (status, _), took = await timed(rig.send.interaction(payload))
    assert status == 200 and took < SLACK_ACK
    assert await open_requests(rig, CAROL) == 0


@pytest.mark.parametrize("odd", [123, 1.5, True, {"x": 1}, ["daily 08:00-22:00"]])
@pytest.mark.parametrize("answer", ["availability", "timezone_other", "track", "types"])
async def test_an_answer_that_is_not_text_is_refused_as_unreadable(
    rig: Rig, answer: str, odd: Any
) -> None:
    """A submission of the profile form in which one answer is a number, a list or an object
    (Slack only ever sends text) is acknowledged with a 200 and refused as unreadable,
    privately, never an error page for the member nor an incident; nothing is saved."""
    from bot.listeners.face import UNREADABLE_FORM
    from tests.listeners.test_slack_onboarding import profile_values

    await rig.send.command(CAROL, "")
    await rig.fake.wait_for(lambda: rig.fake.count("views.open") == 1)
    view = rig.fake.of("views.open")[0]["view"]
    assert view["callback_id"] == "pl:onboard.submit"
    values = profile_values("Europe/Berlin")
    data = values[answer][answer]
    if "selected_option" in data:
        data["selected_option"]["value"] = odd
    elif "selected_options" in data:
        data["selected_options"][0]["value"] = odd
    else:
        data["value"] = odd
    (status, text), took = await timed(rig.send.submit(CAROL, view, values))
    assert (status, text) == (200, "") and took < SLACK_ACK
    await rig.fake.wait_for(lambda: rig.fake.count("chat.postMessage") == 1)
    refusal = blob(rig.fake.of("chat.postMessage")[0])
    assert UNREADABLE_FORM in refusal and "incident" not in refusal, refusal
    async with rig.app.db.uow() as tx:
        member = await tx.members.find(await community_id(rig.app), CAROL)
    assert member is not None and member.timezone is None


# -- twice, and at once ----------------------------------------------------------------------------


async def test_a_modal_submitted_twice_at_once_books_one_request(rig: Rig) -> None:
    await ready(rig, ALICE)
    view = await open_schedule(rig, ALICE)
    answers = await asyncio.gather(
        *(timed(rig.send.submit(ALICE, view, schedule_values())) for _ in range(5))
    )
    assert all(status == 200 and took < SLACK_ACK for (status, _), took in answers)
    await rig.fake.wait_for(lambda: rig.fake.count("chat.postEphemeral") == 5)
    assert await open_requests(rig, ALICE) == 1


async def test_commands_and_presses_at_once_are_each_answered_within_slacks_limit(rig: Rig) -> None:
    calls = [rig.send.command(user, "help") for user in (ALICE, BOB, CAROL) for _ in range(4)]
    calls += [
        rig.send.click(user, "pl:session.confirm:nosuch", "C1") for user in (ALICE, BOB, CAROL)
    ]
    answers = await asyncio.gather(*(timed(c) for c in calls))
    assert all(result[0] == 200 and took < SLACK_ACK for result, took in answers)
    keys = [result[2] for result, _ in answers]
    await rig.fake.wait_for(lambda: all(len(responses(rig.fake, k)) == 1 for k in keys))


# -- what members type ------------------------------------------------------------------------------

INJECTION = "<!channel> <!here|here> <@UEVIL> <#C1|general> <https://evil.example|click> *b* ~s~ `c` ```x``` &amp; "


@pytest.mark.parametrize(
    "text",
    [
        "availability " + INJECTION * 60,
        "schedule type:" + INJECTION * 60,
        "profile track:" + INJECTION + " level:" + "\u202e\u200b\U0001f600" * 2000,
        "cancel request:" + "<@UALICE>" * 700,
        INJECTION * 80,
        "admin setup digest_day:" + INJECTION * 60,
        "admin prompts import " + "x" * 6000,
    ],
)
async def test_typed_text_never_mentions_links_or_breaks_a_reply(rig: Rig, text: str) -> None:
    rig.fake.admins.add(ALICE)
    await ready(rig, ALICE)
    status, _, key = await rig.send.command(ALICE, text)
    assert status == 200
    await rig.fake.wait_for(
        lambda: len(responses(rig.fake, key)) == 1 or rig.fake.count("views.open") == 1
    )
    for sent in rig.fake.calls:
        out = blob(sent[1])
        for raw in ("<!channel>", "<!here", "<@UEVIL>", "<#C1|", "<https://evil"):
            assert raw not in out, (sent[0], raw)


# -- events --------------------------------------------------------------------------------------


def event_body(rig: Rig, event: dict[str, Any], event_id: str, *, team: str | None = "T1") -> str:
    body: dict[str, Any] = {
        "token": "legacy",
        "api_app_id": "A1",
        "type": "event_callback",
        "event": event,
        "event_id": event_id,
        "event_time": int(time.time()),
    }
    if team is not None:
        body["team_id"] = team
        body["authorizations"] = [{"team_id": team, "user_id": BOT_USER, "is_bot": True}]
    return json.dumps(body)


HOME = {"type": "app_home_opened", "user": ALICE, "tab": "home", "channel": "D1"}


@pytest.mark.parametrize(
    "reason", ["http_timeout", "http_error", "too_many_requests", "unknown_error"]
)
async def test_a_retried_event_is_handled_once_whatever_the_reason(rig: Rig, reason: str) -> None:
    body = event_body(rig, HOME, "Ev42")
    assert (await rig.send.post(body, "application/json"))[0] == 200
    await rig.fake.wait_for(lambda: rig.fake.count("views.publish") == 1)
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": reason}
    assert (await rig.send.post(body, "application/json", headers=retry))[0] == 200
    await reply_text(rig, BOB, "help")  # something after it
    await listeners_done()  # whatever work the requests started has ended
    assert rig.fake.count("views.publish") == 1


async def test_a_first_delivery_that_arrives_as_a_retry_is_still_handled(rig: Rig) -> None:
    """A retry of an event this process never saw (it was down): handled once."""
    retry = {"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_error"}
    assert (await rig.send.post(event_body(rig, HOME, "Ev77"), "application/json", headers=retry))[
        0
    ] == 200
    await rig.fake.wait_for(lambda: rig.fake.count("views.publish") == 1)


@pytest.mark.parametrize(
    "event_ids",
    [("E" * 64, "E" * 65, "E" * 3000), ("\x00x", "x\x00"), ("é" * 64, "Ev 1", "Ev\u202e1")],
)
async def test_odd_event_ids_are_each_handled_once(rig: Rig, event_ids: tuple[str, ...]) -> None:
    """Event ids Slack would never send (over 64 characters, NUL, spaces, other scripts): each
    event is still handled once and its retry not at all; none shares another's record, none
    makes the record fail (PostgreSQL refuses NUL in text)."""
    for n, event_id in enumerate(event_ids, 1):
        body = event_body(rig, HOME, event_id)
        assert (await rig.send.post(body, "application/json"))[0] == 200
        await rig.fake.wait_for(lambda n=n: rig.fake.count("views.publish") == n)
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        assert (await rig.send.post(body, "application/json", headers=retry))[0] == 200
    await reply_text(rig, BOB, "help")  # something after them
    await listeners_done()
    assert rig.fake.count("views.publish") == len(event_ids)
    assert not [c for c in rig.fake.calls if "incident" in blob(c[1])]


async def test_an_event_without_a_workspace_creates_nothing(rig: Rig) -> None:
    status, _ = await rig.send.post(event_body(rig, HOME, "Ev9", team=None), "application/json")
    assert status == 200
    await reply_text(rig, BOB, "help")
    await listeners_done()  # whatever work the requests started has ended
    async with rig.app.db.uow() as tx:
        assert await tx.communities.find(Platform.SLACK, "") is None
    assert rig.fake.count("views.publish") == 0


@pytest.mark.parametrize("authorizations", [{"team_id": "T1"}, "x", [None], [7]])
@pytest.mark.parametrize("signed", [True, False])
async def test_a_body_bolt_cannot_read_is_refused_without_a_traceback(
    rig: Rig, caplog: pytest.LogCaptureFixture, authorizations: Any, signed: bool
) -> None:
    """bolt reads the workspace from a body before it checks the signature: a body it cannot
    read (``authorizations`` that is no list of objects) gets a 400, signed or not, no work
    and no error line (it was a 500 with aiohttp's traceback for anyone who posted one)."""
    payload = actions_payload(
        rig, CAROL, [{"type": "button", "action_id": "pl:schedule.open", "value": "x"}], "odd"
    )
    payload["authorizations"] = authorizations
    kw: dict[str, Any] = {} if signed else {"secret": "wrong"}
    status, _ = await rig.send.interaction(payload, **kw)
    assert status in ((400,) if signed else (400, 401))
    await listeners_done()
    assert responses(rig.fake, "odd") == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_url_verification_echoes_the_challenge(rig: Rig) -> None:
    body = json.dumps({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
    status, text = await rig.send.post(body, "application/json")
    assert status == 200 and "c-123" in text
    status, _ = await rig.send.post(body, "application/json", secret="wrong")
    assert status == 401


# -- a booked session's buttons -------------------------------------------------------------------


async def booked(rig: Rig) -> tuple[str, list[str], str]:
    """Alice and Bob paired: (session id, the action ids on the pair's first post, its channel)."""
    for user in (ALICE, BOB):
        await ready(rig, user)
        await reply_text(rig, user, "schedule type:coding")
    outcome = await rig.app.matching.run_round(await community_id(rig.app))
    assert len(outcome.sessions) == 1
    await rig.app.tick()
    await delivered(rig.app)
    post = next(a for a in rig.fake.of("chat.postMessage") if str(a["channel"]).startswith("G"))
    ids = [e["action_id"] for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]
    return outcome.sessions[0].id, ids, post["channel"]


async def test_session_buttons_pressed_by_a_third_member_at_once_change_nothing(rig: Rig) -> None:
    session_id, ids, channel = await booked(rig)
    await reply_text(rig, CAROL, "help")
    async with rig.app.db.uow() as tx:
        before = await tx.sessions.get(session_id)
    presses = [rig.send.click(CAROL, action_id, channel) for action_id in ids for _ in range(3)]
    answers = await asyncio.gather(*(timed(p) for p in presses))
    assert all(result[0] == 200 and took < SLACK_ACK for result, took in answers)
    keys = [result[2] for result, _ in answers]
    await rig.fake.wait_for(lambda: all(len(responses(rig.fake, k)) == 1 for k in keys))
    for key in keys:
        assert responses(rig.fake, key)[0]["response_type"] == "ephemeral"
        assert ":x:" in blob(responses(rig.fake, key)[0])
    async with rig.app.db.uow() as tx:
        session = await tx.sessions.get(session_id)
    assert session == before and not session.confirmed_by


async def test_a_confirm_pressed_five_times_at_once_confirms_once(rig: Rig) -> None:
    session_id, ids, channel = await booked(rig)
    confirm = next(a for a in ids if a.startswith("pl:session.confirm:"))
    answers = await asyncio.gather(
        *(timed(rig.send.click(ALICE, confirm, channel)) for _ in range(5))
    )
    assert all(result[0] == 200 and took < SLACK_ACK for result, took in answers)
    keys = [result[2] for result, _ in answers]
    await rig.fake.wait_for(lambda: all(len(responses(rig.fake, k)) == 1 for k in keys))
    async with rig.app.db.uow() as tx:
        session = await tx.sessions.get(session_id)
    assert session is not None and len(session.confirmed_by) == 1


# -- a restart in the middle of a modal -----------------------------------------------------------


async def test_a_modal_opened_before_a_restart_is_submitted_after_it(rig: Rig) -> None:
    """Modals hold no state in the process: one opened before a restart submits to the new
    process, which still answers in the channel it was opened from (the binding key is the
    signing secret, not a per-process one)."""
    from bot.listeners.slack import start_slack
    from bot.settings import Settings
    from tests.listeners.test_slack import SECRET, listeners_done

    await ready(rig, ALICE)
    view = await open_schedule(rig, ALICE, "C7")
    await listeners_done()
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_app_token=None,
        slack_api_base_url=rig.fake.api_url,
        slack_http_port=0,
        slack_admin_group="SADMINS",
    )
    runner, stop = await start_slack(rig.app, settings, host="127.0.0.1")  # the restarted process
    try:
        rig.send.url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        status, text = await rig.send.submit(ALICE, view, schedule_values())
        assert (status, text) == (200, "")
        await rig.fake.wait_for(lambda: rig.fake.count("chat.postEphemeral") == 1)
        assert rig.fake.of("chat.postEphemeral")[0]["channel"] == "C7"
        assert await open_requests(rig, ALICE) == 1
    finally:
        await listeners_done()
        await stop()


# -- feedback modals --------------------------------------------------------------------------------


async def test_feedback_modals_belong_to_the_sessions_members(rig: Rig, clock: Any) -> None:
    """Carol presses Alice's feedback button and submits Alice's feedback modal (its callback
    id, its values, even with the inputs stripped from the view): refused each time, nothing
    stored; the member's own modal submitted five times at once is stored once."""
    from datetime import timedelta

    from tests.listeners.test_slack_feedback import action_ids, dms, fill, open_feedback, stored

    session_id, ids, channel = await booked(rig)
    confirm = next(a for a in ids if a.startswith("pl:session.confirm:"))
    for user in (ALICE, BOB):
        _, _, key = await rig.send.click(user, confirm, channel)
        await rig.fake.wait_for(lambda key=key: len(responses(rig.fake, key)) == 1)
    await reply_text(rig, CAROL, "help")
    async with rig.app.db.uow() as tx:
        session = await tx.sessions.get(session_id)
    assert session is not None and len(session.confirmed_by) == 2
    clock.set(session.start + timedelta(minutes=session.minutes))
    await rig.app.tick()
    await delivered(rig.app)
    (ask,) = action_ids(dms(rig.fake, ALICE), "pl:feedback.open:")
    view = await open_feedback(rig, ALICE, ask)
    values = fill(view, score="3")

    status, _, key = await rig.send.click(CAROL, ask, "DUCAROL")
    assert status == 200
    await rig.fake.wait_for(lambda: len(responses(rig.fake, key)) == 1)
    assert "not yours" in blob(responses(rig.fake, key)[0])
    opened = rig.fake.count("views.open")
    for crafted in (view, {**view, "blocks": [b for b in view["blocks"] if b["type"] != "input"]}):
        posted = rig.fake.count("chat.postMessage")
        status, text = await rig.send.submit(CAROL, crafted, values)
        assert (status, text) == (200, "")
        await rig.fake.wait_for(
            lambda posted=posted: rig.fake.count("chat.postMessage") == posted + 1
        )
        refusal = rig.fake.of("chat.postMessage")[-1]
        assert refusal["channel"] == CAROL and "not yours" in blob(refusal)
    assert rig.fake.count("views.open") == opened and await stored(rig, session_id) == []

    answers = await asyncio.gather(*(timed(rig.send.submit(ALICE, view, values)) for _ in range(5)))
    assert all(status == 200 and took < SLACK_ACK for (status, _), took in answers)
    await rig.fake.wait_for(
        lambda: sum(1 for a in rig.fake.of("chat.postMessage") if a["channel"] == ALICE) >= 5
    )
    assert len(await stored(rig, session_id)) == 1


async def test_a_profile_name_never_mentions_or_links(rig: Rig) -> None:
    """Names come from users.info: a display name full of mrkdwn reaches the pair's post,
    the partner's messages and the App Home escaped, never as a mention or a link."""
    rig.fake.profiles[ALICE] = {"display_name": INJECTION * 20, "real_name": "Alice"}
    await booked(rig)
    status, _ = await rig.send.event(HOME)
    assert status == 200
    await rig.fake.wait_for(lambda: rig.fake.count("views.publish") == 1)
    assert any("&lt;!channel&gt;" in blob(args) for _, args in rig.fake.calls)
    for method, args in rig.fake.calls:
        if method == "upload":  # a file's bytes (a calendar invite): not read as mrkdwn
            continue
        out = blob(args)
        for raw in ("<!channel>", "<!here", "<@UEVIL>", "<#C1|", "<https://evil"):
            assert raw not in out, (method, raw)


@pytest.mark.parametrize("fields, buttons", [(60, 0), (0, 1400), (45, 60), (200, 3)])
def test_a_long_message_fits_slacks_block_limit(fields: int, buttons: int) -> None:
    """However many fields and buttons the core puts in a message, Slack takes it: at most 50
    blocks, the buttons kept, the rest counted in a note."""
    from bot.adapters.slack_render import render_message
    from bot.core.messages import Button, Field, OutboundMessage

    message = OutboundMessage(
        title="T" * 200,
        text=("x" * 99 + "\n") * 38,
        fields=tuple(Field(f"name {i}", "<!channel> " * 90) for i in range(fields)),
        buttons=tuple(Button(f"b{i}", f"pl:session.confirm:s{i}") for i in range(buttons)),
    )
    rendered = render_message(message)
    assert FakeSlack()._validate("chat.postMessage", {"channel": "C1", **rendered}) is None
    if buttons and buttons <= 60:
        assert blob(rendered).count('"action_id": "pl:session.confirm:') == buttons
    if fields > 45:
        assert "more not shown here" in blob(rendered)


@pytest.mark.parametrize(
    "kind",
    [
        "app_uninstalled",
        "tokens_revoked",
        "message",
        "app_mention",
        "view_closed",
        "shortcut",
        "message_action",
        "block_suggestion",
    ],
)
async def test_payloads_peerloop_does_not_use_are_still_acknowledged(rig: Rig, kind: str) -> None:
    """Whatever Slack sends (an event the manifest subscribes to, a closed modal, a shortcut)
    gets a 200 at once, so Slack neither retries it nor shows the member an error."""
    if kind in ("app_uninstalled", "tokens_revoked", "message", "app_mention"):
        event = {
            "type": kind,
            "user": ALICE,
            "channel": "D1",
            "text": "hi",
            "tokens": {"bot": [BOT_USER]},
        }
        (status, _), took = await timed(
            rig.send.post(event_body(rig, event, f"Ev-{kind}"), "application/json")
        )
    else:
        payload: dict[str, Any] = {
            "type": kind,
            "team": rig.send.team(),
            "user": rig.send.user(ALICE),
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": "t-1",
            "callback_id": "x",
            "action_id": "x",
            "block_id": "b",
            "value": "",
            "channel": {"id": "C1"},
            "message": {"ts": "1.0", "text": "x"},
            "response_url": rig.fake.response_url("s"),
            "view": {"id": "V1", "type": "modal", "callback_id": "pl:schedule.submit"},
        }
        (status, _), took = await timed(rig.send.interaction(payload))
    assert status == 200 and took < SLACK_ACK


@pytest.mark.parametrize("how", ["wrong secret", "stale", "future", "no signature"])
async def test_unsigned_or_stale_presses_submissions_and_events_do_nothing(
    rig: Rig, how: str
) -> None:
    """Bolt checks every kind of request the same way: 401, no work, no reply."""
    kw: dict[str, Any] = {
        "wrong secret": {"secret": "wrong"},
        "stale": {"timestamp": int(time.time()) - 301},
        "future": {"timestamp": int(time.time()) + 600},
        "no signature": {},
    }[how]
    if how == "no signature":
        async with rig.send.session.post(
            rig.send.url,
            data=event_body(rig, HOME, "Ev5").encode(),
            headers={"Content-Type": "application/json"},
        ) as resp:
            statuses = [resp.status]
    else:
        statuses = [
            (await rig.send.post(event_body(rig, HOME, "Ev5"), "application/json", **kw))[0],
            (await rig.send.click(ALICE, "pl:schedule.open", "C1", **kw))[0],
            (
                await rig.send.submit(
                    ALICE,
                    {"type": "modal", "callback_id": "pl:schedule.submit", "blocks": []},
                    schedule_values(),
                    **kw,
                )
            )[0],
        ]
    assert set(statuses) == {401}
    await listeners_done()  # whatever work the requests started has ended
    assert [name for name, _ in rig.fake.calls if name != "auth.test"] == []
    async with rig.app.db.uow() as tx:
        assert await tx.communities.find(Platform.SLACK, "T1") is None


async def test_typed_ampersands_and_angle_brackets_are_read_as_typed(rig: Rig) -> None:
    """Slack sends a slash command's text with ``&``, ``<`` and ``>`` escaped (a member's
    mention stays a reference): the core reads what was typed, and the reply shows it once,
    escaped once, not as ``&amp;lt;``."""
    typed = "&lt;Q&amp;A&gt; &amp;lt;"  # the member typed: <Q&A> &lt;
    answer = await reply_text(rig, "U1", f"block member:{typed}")
    shown = blob(answer)
    assert "&lt;Q&amp;A&gt; &amp;lt;" in shown, shown  # one escape: reads <Q&A> &lt;
    assert "&amp;lt;Q" not in shown and "&amp;amp;" not in shown, shown
