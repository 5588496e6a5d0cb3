"""Slack onboarding end to end through bolt against the fake Slack: the profile modal with the
zone from ``users.info`` (and a restart before it is sent), straight on to the schedule modal,
a booked request without one key:value option; the sign-up message; pressed messages updated
with ``chat.update`` so no stale buttons remain."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from bot.app import build_app
from bot.core.models import RequestStatus
from bot.listeners.slack import start_slack
from bot.settings import Settings
from tests.conftest import delivered
from tests.fakes.fake_slack import SlackSender
from tests.listeners.test_slack import (
    ALICE,
    BOB,
    CAROL,
    SECRET,
    Rig,
    blob,
    community_id,
    ready,
    reply_text,
    responses,
)
from tests.listeners.test_slack import rig as rig

DANA = "UDANA"


def select(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value}}


def multi(*values: str) -> dict[str, Any]:
    return {"type": "multi_static_select", "selected_options": [{"value": v} for v in values]}


def text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def profile_values(zone: str, other: str = "") -> dict[str, Any]:
    answers = {
        "track": select("backend"),
        "level": select("senior"),
        "types": multi("coding", "system-design"),
        "languages": multi("Go"),
        "timezone": select(zone),
        "availability": text("daily 08:00-22:00"),
        "timezone_other": text(other),
    }
    return {key: {key: value} for key, value in answers.items()}


async def test_a_new_member_goes_from_nothing_to_a_request_across_a_restart(rig: Rig) -> None:
    fake = rig.fake
    fake.zones[DANA] = "America/Los_Angeles"
    status, _, _ = await rig.send.command(DANA, "")
    assert status == 200
    await fake.wait_for(lambda: fake.count("views.open") == 1)
    view = fake.of("views.open")[0]["view"]
    assert view["callback_id"] == "pl:onboard.submit"
    zone = next(b for b in view["blocks"] if b.get("block_id") == "timezone")
    assert (
        zone["element"]["initial_option"]["value"] == "America/Los_Angeles"
    )  # from users.info's tz
    types = next(b for b in view["blocks"] if b.get("block_id") == "types")
    assert types["element"]["type"] == "multi_static_select"

    # A restart before the modal is sent: a new app and bolt app over the same database.
    restarted = await build_app(rig.app.db.url, clock=rig.app.clock)
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_app_token=None,
        slack_api_base_url=fake.api_url,
        slack_http_port=0,
    )
    runner, stop = await start_slack(restarted, settings, host="127.0.0.1")
    try:
        async with aiohttp.ClientSession() as session:
            send = SlackSender(
                session, f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events", SECRET, fake
            )
            # "Another zone" with a name that is no zone: refused beside that input, the modal stays
            status, answer = await send.submit(DANA, view, profile_values("other", "Mars/Olympus"))
            assert status == 200
            refused = json.loads(answer)
            assert refused["response_action"] == "errors" and set(refused["errors"]) == {
                "timezone_other"
            }
            assert "America/Toronto" in refused["errors"]["timezone_other"]  # with an example
            assert fake.count("chat.postEphemeral") == 0
            async with restarted.db.uow() as tx:
                member = await tx.members.find(await community_id(restarted), DANA)
            assert member is not None and member.timezone is None  # nothing saved

            status, _ = await send.submit(DANA, view, profile_values("America/Los_Angeles"))
            assert status == 200
            await fake.wait_for(
                lambda: fake.count("views.open") == 2 and fake.count("chat.postEphemeral") == 1
            )
            saved = fake.of("chat.postEphemeral")[0]
            assert saved["user"] == DANA and "Profile saved" in blob(saved)
            assert "possible start times in the next 7 days" in blob(saved)
            schedule = fake.of("views.open")[1]["view"]
            assert schedule["callback_id"] == "pl:schedule.submit"  # straight on

            answers = {
                "type": {"type": select("coding")},
                "role": {"role": select("swap")},
                "days": {"days": select("7")},
            }
            status, _ = await send.submit(DANA, schedule, answers)
            assert status == 200
            await fake.wait_for(lambda: fake.count("chat.postEphemeral") == 2)
            assert "Request open" in blob(fake.of("chat.postEphemeral")[1])
    finally:
        await stop()
        await restarted.close()
    async with rig.app.db.uow() as tx:
        member = await tx.members.find(await community_id(rig.app), DANA)
        assert (
            member is not None
            and member.timezone == "America/Los_Angeles"
            and member.languages == ("Go",)
        )
        requests = await tx.requests.open_for_member(member.id)
    assert [(r.interview_type.value, r.status) for r in requests] == [
        ("coding", RequestStatus.OPEN)
    ]


async def test_the_signup_message_opens_a_form_for_whoever_presses_it(rig: Rig) -> None:
    fake = rig.fake
    fake.admins.add(ALICE)
    answer = await reply_text(rig, BOB, "admin signup")
    assert ":x:" in blob(answer)
    answer = await reply_text(rig, ALICE, "admin signup")
    assert answer["response_type"] == "in_channel" and "pl:onboard.join" in blob(answer)
    for n, user in enumerate((CAROL, DANA), 1):
        status, _, _ = await rig.send.click(user, "pl:onboard.join", "C1")
        assert status == 200
        await fake.wait_for(lambda n=n: fake.count("views.open") == n)  # type: ignore[misc]
    views = [v["view"] for v in fake.of("views.open")]
    assert [v["callback_id"] for v in views] == ["pl:onboard.submit"] * 2
    # Carol sends the form Dana was shown: it can only ever set Carol's own profile.
    status, _ = await rig.send.submit(CAROL, views[1], profile_values("Europe/Berlin"))
    assert status == 200
    await fake.wait_for(lambda: fake.count("views.open") == 3)
    async with rig.app.db.uow() as tx:
        cid = await community_id(rig.app)
        carol, dana = await tx.members.find(cid, CAROL), await tx.members.find(cid, DANA)
    assert carol is not None and carol.timezone == "Europe/Berlin"
    assert dana is not None and dana.timezone is None


def actions_of(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def test_confirm_and_cancel_update_the_pressed_message(rig: Rig) -> None:
    fake = rig.fake
    for user in (ALICE, BOB):
        await ready(rig, user)
        await reply_text(rig, user, "schedule type:coding")
    outcome = await rig.app.matching.run_round(await community_id(rig.app))
    assert len(outcome.sessions) == 1
    await rig.app.tick()
    await delivered(rig.app)
    post = next(
        p
        for p in fake.of("chat.postMessage")
        if str(p["channel"]).startswith("G")
        and any(a.startswith("pl:session.confirm:") for a in actions_of(p["blocks"]))
    )
    channel = post["channel"]
    confirm = next(a for a in actions_of(post["blocks"]) if a.startswith("pl:session.confirm:"))
    cancel = next(a for a in actions_of(post["blocks"]) if a.startswith("pl:session.cancel:"))

    status, _, key = await rig.send.click(
        CAROL, confirm, channel, message=post
    )  # not hers: nothing updated
    assert status == 200
    await fake.wait_for(lambda: len(responses(fake, key)) == 1)
    assert fake.count("chat.update") == 0

    status, _, key = await rig.send.click(ALICE, confirm, channel, message=post)
    assert status == 200
    await fake.wait_for(lambda: fake.count("chat.update") == 1 and len(responses(fake, key)) == 1)
    update = fake.of("chat.update")[0]
    assert update["channel"] == channel and update["ts"] == post["answered_ts"]
    assert f"<@{ALICE}> confirmed." in blob(update)
    assert confirm in actions_of(update["blocks"])  # Bob still has to confirm
    assert update["blocks"][0] == post["blocks"][0]  # the message itself is kept

    post = {**post, "blocks": update["blocks"]}
    await rig.send.click(BOB, confirm, channel, message=post)
    await fake.wait_for(lambda: fake.count("chat.update") == 2)
    update = fake.of("chat.update")[1]
    assert confirm not in actions_of(update["blocks"]) and "Both of you are in" in blob(update)

    post = {**post, "blocks": update["blocks"]}
    await rig.send.click(ALICE, cancel, channel, message=post)
    await fake.wait_for(lambda: fake.count("chat.update") == 3)
    update = fake.of("chat.update")[2]
    assert actions_of(update["blocks"]) == [] and "Cancelled" in blob(update)
    assert json.dumps(update).count("confirmed") == 2  # the earlier notes stay, in order


async def test_a_press_on_an_ephemeral_message_replaces_it_through_the_response_url(
    rig: Rig,
) -> None:
    fake = rig.fake
    for user in (ALICE, BOB):
        await ready(rig, user)
        await reply_text(rig, user, "schedule type:coding")
    assert len((await rig.app.matching.run_round(await community_id(rig.app))).sessions) == 1
    await rig.app.tick()
    await delivered(rig.app)
    upcoming = await reply_text(rig, ALICE, "upcoming")
    cancel = next(a for a in actions_of(upcoming["blocks"]) if a.startswith("pl:session.cancel:"))
    status, _, key = await rig.send.click(ALICE, cancel, "C1", ephemeral=True)
    assert status == 200
    await fake.wait_for(lambda: len(responses(fake, key)) == 2)
    replaced, answer = responses(fake, key)
    assert replaced["replace_original"] is True and actions_of(replaced["blocks"]) == []
    assert "Cancelled" in blob(replaced) and f"<@{ALICE}>" in blob(replaced)
    assert answer["replace_original"] is False and answer["response_type"] == "ephemeral"
    assert fake.count("chat.update") == 0
