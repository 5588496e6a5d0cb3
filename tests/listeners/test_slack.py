"""The Slack face through bolt and slack_sdk, against a local fake Slack Web API.

Requests reach the bolt app over HTTP with real signatures; every Web API call it makes
goes to the fake, which re-parses blocks and views with ``slack_sdk.models``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from bot.app import App
from bot.core.models import Platform
from bot.core.surface.commands import schedule_form
from bot.listeners.slack import start_slack
from bot.settings import Settings
from tests.conftest import SETTLE_SECONDS, delivered
from tests.fakes.fake_slack import FakeSlack, SlackSender

SECRET = "test-signing-secret"
ALICE, BOB, CAROL = "UALICE", "UBOB", "UCAROL"


@dataclass
class Rig:
    app: App
    fake: FakeSlack
    send: SlackSender


@pytest.fixture
async def rig(app: App) -> AsyncIterator[Rig]:
    fake = FakeSlack()
    await fake.start()
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_app_token=None,
        slack_api_base_url=fake.api_url,
        slack_http_port=0,
        slack_admin_group="SADMINS",
    )
    runner, stop = await start_slack(app, settings, host="127.0.0.1")
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as session:
        yield Rig(
            app, fake, SlackSender(session, f"http://127.0.0.1:{port}/slack/events", SECRET, fake)
        )
    await listeners_done()
    await stop()
    await fake.stop()
    assert fake.invalid == [], "the app sent blocks or views Slack would refuse"


async def listeners_done(within: float = SETTLE_SECONDS) -> None:
    """Wait for bolt's listener tasks (the work after each ack, and the face's replies to presses
    no listener takes) to end before the app closes."""
    running = [
        t
        for t in asyncio.all_tasks()
        if any(
            name in getattr(t.get_coro(), "__qualname__", "")
            for name in ("run_ack_function_asynchronously", "SlackFace.guarded")
        )
    ]
    if running:
        await asyncio.wait(running, timeout=within)


def responses(fake: FakeSlack, key: str) -> list[dict]:
    return [a for a in fake.of("response_url") if a["key"] == key]


async def reply_text(rig: Rig, user: str, text: str) -> dict:
    status, _, key = await rig.send.command(user, text)
    assert status == 200
    await rig.fake.wait_for(lambda: len(responses(rig.fake, key)) == 1)
    # the step is over when its work is: the listener goes on to deliver what it queued, and on
    # SQLite a delivery holds the write lock while Slack answers
    await listeners_done()
    return responses(rig.fake, key)[0]


def blob(message: dict) -> str:
    return json.dumps(message)


async def with_profile(
    rig: Rig, user: str, hours: str = "08:00-22:00", types: str = "coding"
) -> dict:
    """``user`` sets a full profile (Berlin, backend, mid, ``types`` as typed after ``types:``)
    and daily ``hours``; the answer to the profile."""
    answer = await reply_text(
        rig, user, f"profile timezone:Europe/Berlin track:backend level:mid types:{types}"
    )
    await reply_text(rig, user, f"availability daily {hours}")
    return answer


async def ready(rig: Rig, user: str) -> None:
    answer = await with_profile(rig, user)
    assert answer["response_type"] == "ephemeral"


async def community_id(app: App) -> str:
    async with app.db.uow() as tx:
        community = await tx.communities.find(Platform.SLACK, "T1")
    assert community is not None
    return community.id


async def test_pairing_scenario_end_to_end(rig: Rig) -> None:
    fake, send = rig.fake, rig.send
    for user in (ALICE, BOB):
        await ready(rig, user)
        answer = await reply_text(rig, user, "schedule type:coding")
        assert "coding" in blob(answer).lower()
    await reply_text(rig, CAROL, "help")

    fake.fail_next("chat.postMessage", status=429, error="ratelimited", retry_after=0)
    outcome = await rig.app.matching.run_round(await community_id(rig.app))
    assert len(outcome.sessions) == 1
    await rig.app.tick()
    await delivered(rig.app)

    group_opens = [a for a in fake.of("conversations.open") if "," in str(a.get("users"))]
    assert group_opens and sorted(group_opens[0]["users"].split(",")) == [ALICE, BOB]
    space = "G"  # group DMs opened by the fake start with G
    posts = [a for a in fake.of("chat.postMessage") if str(a["channel"]).startswith(space)]
    # the first answer was "ratelimited": the client retried the same message
    assert len(posts) >= 2 and posts[0]["blocks"] == posts[1]["blocks"]
    channel = posts[0]["channel"]
    confirm = next(
        e["action_id"]
        for p in posts
        for b in p["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith("pl:session.confirm:")
    )
    session_id = confirm.split(":")[2]  # pl:session.confirm:<session>:<version>
    assert "<!date^" in blob(posts[0])

    # Carol is not in that session: refused, nothing changes
    status, _, key = await send.click(CAROL, confirm, channel)
    assert status == 200
    await fake.wait_for(lambda: len(responses(fake, key)) == 1)
    refusal = responses(fake, key)[0]
    assert refusal["response_type"] == "ephemeral" and ":x:" in blob(refusal)
    async with rig.app.db.uow() as tx:
        before = await tx.sessions.get(session_id)
    assert before is not None and not before.confirmed_by

    status, _, key = await send.click(ALICE, confirm, channel)
    assert status == 200
    await fake.wait_for(lambda: len(responses(fake, key)) == 1)
    assert responses(fake, key)[0]["response_type"] == "ephemeral"
    async with rig.app.db.uow() as tx:
        after = await tx.sessions.get(session_id)
    assert after is not None and len(after.confirmed_by) == 1

    # a retried delivery of the same click changes nothing
    status, _, key = await send.click(
        ALICE,
        confirm,
        channel,
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert status == 200
    await fake.wait_for(lambda: len(responses(fake, key)) == 1)
    async with rig.app.db.uow() as tx:
        again = await tx.sessions.get(session_id)
    assert again is not None and again.confirmed_by == after.confirmed_by


async def test_bad_or_stale_signature_is_refused_and_changes_nothing(rig: Rig) -> None:
    status, _, _ = await rig.send.command(
        ALICE, "profile timezone:Europe/Berlin", secret="wrong-secret"
    )
    assert status == 401
    status, _, _ = await rig.send.command(
        ALICE, "profile timezone:Europe/Berlin", timestamp=int(time.time()) - 600
    )
    assert status == 401
    async with rig.app.db.uow() as tx:
        assert await tx.communities.find(Platform.SLACK, "T1") is None
    assert rig.fake.of("response_url") == []


async def test_retried_command_and_event_change_nothing(rig: Rig) -> None:
    await ready(rig, ALICE)
    await reply_text(rig, ALICE, "schedule type:coding")
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    status, _, key = await rig.send.command(ALICE, "schedule type:coding", headers=retry)
    assert status == 200
    await rig.fake.wait_for(lambda: len(responses(rig.fake, key)) == 1)
    async with rig.app.db.uow() as tx:
        member = await tx.members.find(await community_id(rig.app), ALICE)
        assert member is not None
        assert len(await tx.requests.open_for_member(member.id)) == 1

    status, _ = await rig.send.event(
        {"type": "app_home_opened", "user": ALICE, "tab": "home", "channel": "D1"}
    )
    assert status == 200
    await rig.fake.wait_for(lambda: rig.fake.count("views.publish") == 1)
    status, _ = await rig.send.event(
        {"type": "app_home_opened", "user": ALICE, "tab": "home", "channel": "D1"}, headers=retry
    )
    assert status == 200
    await rig.send.command(BOB, "help")  # something after it, to be sure the retry was not queued
    await rig.fake.wait_for(lambda: rig.fake.count("response_url") >= 4)
    assert rig.fake.count("views.publish") == 1


async def test_schedule_modal_opens_validates_and_submits(rig: Rig) -> None:
    fake, send = rig.fake, rig.send
    await ready(rig, ALICE)
    status, _, _ = await send.command(ALICE, "")
    assert status == 200
    await fake.wait_for(lambda: fake.count("views.open") == 1)
    view = fake.of("views.open")[0]["view"]
    assert view["callback_id"] == schedule_form().action == "pl:schedule.submit"
    assert {b["block_id"] for b in view["blocks"] if b["type"] == "input"} == {
        "type",
        "role",
        "days",
    }
    # The "Schedule a session" button (after `/mock availability`, in `/mock upcoming`) opens it too.
    status, _, _ = await send.click(ALICE, "pl:schedule.open", "C1")
    assert status == 200
    await fake.wait_for(lambda: fake.count("views.open") == 2)
    assert fake.of("views.open")[1]["view"]["blocks"] == view["blocks"]
    assert (
        fake.count("chat.postEphemeral") == 0 and fake.count("response_url") == 2
    )  # no stray reply

    def chosen(kind: str, days: str) -> dict:
        return {
            "type": {"type": {"type": "static_select", "selected_option": {"value": kind}}},
            "role": {"role": {"type": "static_select", "selected_option": {"value": "swap"}}},
            "days": {"days": {"type": "static_select", "selected_option": {"value": days}}},
        }

    status, text = await send.submit(ALICE, view, chosen("coding", "30"))
    assert status == 200
    answer = json.loads(text)
    assert answer["response_action"] == "errors" and "days" in answer["errors"]

    status, text = await send.submit(ALICE, view, chosen("coding", "7"))
    assert status == 200 and text == ""
    await fake.wait_for(lambda: fake.count("chat.postEphemeral") == 1)
    assert fake.of("chat.postEphemeral")[0]["user"] == ALICE
    async with rig.app.db.uow() as tx:
        member = await tx.members.find(await community_id(rig.app), ALICE)
        assert member is not None
        assert len(await tx.requests.open_for_member(member.id)) == 1


async def test_app_home_publishes_profile_and_buttons(rig: Rig) -> None:
    await ready(rig, ALICE)
    status, _ = await rig.send.event(
        {"type": "app_home_opened", "user": ALICE, "tab": "home", "channel": "D1"}
    )
    assert status == 200
    await rig.fake.wait_for(lambda: rig.fake.count("views.publish") == 1)
    published = rig.fake.of("views.publish")[0]
    assert published["user_id"] == ALICE and published["view"]["type"] == "home"
    assert "pl:schedule.open" in blob(published)


def _home_actions(view: object) -> list[str]:
    """Every ``action_id`` anywhere in a published view."""
    if isinstance(view, dict):
        own = [view["action_id"]] if isinstance(view.get("action_id"), str) else []
        return own + [a for v in view.values() for a in _home_actions(v)]
    if isinstance(view, list):
        return [a for v in view for a in _home_actions(v)]
    return []


async def test_every_app_home_button_is_declared_and_answered(rig: Rig) -> None:
    """The Home tab is built outside the neutral messages the action fixture records, so its
    buttons are checked here: each one's verb has a handler, and pressing it gets an answer
    (a modal, a new Home, a file or a private note), never "something went wrong"."""
    from bot.core.actions import undeclared

    await ready(rig, ALICE)
    await rig.send.event({"type": "app_home_opened", "user": ALICE, "tab": "home", "channel": "D1"})
    await rig.fake.wait_for(lambda: rig.fake.count("views.publish") == 1)
    ids = _home_actions(rig.fake.of("views.publish")[0]["view"])
    assert "pl:schedule.open" in ids and len(ids) >= 3
    assert [i for i in ids if undeclared(i)] == []
    for n, action_id in enumerate(ids):
        before = len(rig.fake.calls)
        status, _ = await rig.send.home_click(
            ALICE, action_id, trigger_id=f"trigger-home-{n}", block_id=f"b{n}"
        )
        assert status == 200
        await listeners_done()
        answered = rig.fake.calls[before:]
        assert answered, f"pressing {action_id} on the Home tab got no answer"
        assert "went wrong" not in json.dumps(answered).lower(), action_id


async def test_admin_pause_needs_a_workspace_admin(rig: Rig) -> None:
    answer = await reply_text(rig, BOB, "admin pause")
    assert ":x:" in blob(answer)
    rig.fake.admins.add(ALICE)
    answer = await reply_text(rig, ALICE, "admin pause")
    assert "paused" in blob(answer)
    await ready(rig, BOB)
    answer = await reply_text(rig, BOB, "schedule type:coding")
    assert "paused" in blob(answer)
    rig.fake.groups["SADMINS"] = [CAROL]
    answer = await reply_text(rig, CAROL, "admin resume")
    assert "running again" in blob(answer)


async def test_closed_direct_messages_and_uploads(rig: Rig) -> None:
    from bot.core.messages import Attachment, OutboundMessage
    from bot.core.ports import DirectMessagesClosed

    await reply_text(rig, ALICE, "help")
    chat = rig.app.chats[Platform.SLACK]
    async with rig.app.db.uow() as tx:
        member = await tx.members.find(await community_id(rig.app), ALICE)
    assert member is not None
    ref = await chat.send_direct(
        member,
        OutboundMessage(
            text="Your notes", attachments=(Attachment("notes.md", b"# notes\n", "text/markdown"),)
        ),
    )
    assert ref.startswith(f"D{ALICE}:")
    assert rig.fake.count("files.getUploadURLExternal") == 1
    assert rig.fake.of("upload")[0]["data"] == b"# notes\n"
    assert rig.fake.count("files.completeUploadExternal") == 1
    rig.fake.closed_dms.add(ALICE)
    with pytest.raises(DirectMessagesClosed):
        await chat.send_direct(member, OutboundMessage(text="hello"))
