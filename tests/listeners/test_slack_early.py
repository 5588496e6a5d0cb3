"""Start early and end early on Slack, through bolt against the fake Web API (signed requests):
"My partner is here" on the reminder, "Start now", "We're done", ``/mock admin end``; a third
member and crafted ids are refused and nothing is updated for them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.core.models import Session, SessionState
from tests.conftest import delivered
from tests.listeners.test_slack import (
    ALICE,
    BOB,
    CAROL,
    Rig,
    _home_actions,
    blob,
    community_id,
    listeners_done,
    ready,
    reply_text,
    responses,
    rig,
)

__all__ = ["rig"]


async def booked(rig: Rig) -> Session:
    for user in (ALICE, BOB, CAROL):
        await ready(rig, user)
    for user in (ALICE, BOB):
        await reply_text(rig, user, "schedule type:coding")
    outcome = await rig.app.matching.run_round(await community_id(rig.app))
    assert len(outcome.sessions) == 1
    await rig.app.tick()
    await delivered(rig.app)
    return outcome.sessions[0]


async def state_of(rig: Rig, session_id: str) -> Session:
    async with rig.app.db.uow() as tx:
        session = await tx.sessions.get(session_id)
    assert session is not None
    return session


def pair_posts(rig: Rig) -> list[dict[str, Any]]:
    return [a for a in rig.fake.of("chat.postMessage") if str(a["channel"]).startswith("G")]


def action_ids(message: dict[str, Any]) -> list[str]:
    return [
        e["action_id"]
        for b in message.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
        if "action_id" in e
    ]


def with_button(rig: Rig, prefix: str) -> tuple[dict[str, Any], str]:
    for post in reversed(pair_posts(rig)):
        for action in action_ids(post):
            if action.startswith(prefix):
                return post, action
    raise AssertionError(f"no message with {prefix}")


async def press(rig: Rig, user: str, action: str, message: dict[str, Any]) -> dict[str, Any]:
    status, _, key = await rig.send.click(user, action, message["channel"], message=message)
    assert status == 200
    await rig.fake.wait_for(lambda: len(responses(rig.fake, key)) >= 1)
    return responses(rig.fake, key)[0]


async def test_both_here_start_now_then_we_are_done(rig: Rig) -> None:
    fake, app = rig.fake, rig.app
    session = await booked(rig)
    app.clock.set(session.start - timedelta(minutes=60))  # type: ignore[attr-defined]
    await app.tick()
    await delivered(app)
    reminder, here = with_button(rig, "pl:session.here:")

    updates = fake.count("chat.update")
    for action in (
        here,
        f"pl:session.start_now:{session.id}",
        f"pl:session.done:{session.id}",
        "pl:session.start_now:ffff",
    ):
        refused = await press(rig, CAROL, action, reminder)
        assert refused["response_type"] == "ephemeral" and ":x:" in blob(refused)
    assert fake.count("chat.update") == updates
    assert not (await state_of(rig, session.id)).here_by

    assert "Noted" in blob(await press(rig, ALICE, here, reminder))
    await fake.wait_for(lambda: fake.count("chat.update") == updates + 1)
    assert "says their partner is here" in blob(fake.of("chat.update")[-1])
    answer = await press(rig, BOB, here, reminder)
    assert "pl:session.start_now:" in blob(answer)
    start_now = f"pl:session.start_now:{session.id}"
    await delivered(app)

    assert "Started" in blob(await press(rig, BOB, start_now, reminder))
    await delivered(app)
    started = await state_of(rig, session.id)
    assert started.state is SessionState.IN_PROGRESS and started.start < session.start
    statement, done = with_button(rig, "pl:session.done:")
    assert "Part 1" in blob(statement)
    assert "already started" in blob(await press(rig, ALICE, start_now, reminder))

    assert ":x:" in blob(await press(rig, CAROL, done, statement))
    assert "Asked" in blob(await press(rig, ALICE, done, statement))
    assert (await state_of(rig, session.id)).state is SessionState.IN_PROGRESS
    assert "Ended" in blob(await press(rig, BOB, done, statement))
    await delivered(app)
    assert (await state_of(rig, session.id)).state is SessionState.COMPLETED
    feedback = [
        a["channel"]
        for a in fake.of("chat.postMessage")
        if "pl:feedback.open:" in blob(a) and not str(a["channel"]).startswith("G")
    ]
    assert len(feedback) == 2
    assert "already completed" in blob(await press(rig, ALICE, done, statement))


async def test_an_admin_ends_a_stuck_session(rig: Rig) -> None:
    fake, app = rig.fake, rig.app
    session = await booked(rig)
    app.clock.set(session.start + timedelta(minutes=5))  # type: ignore[attr-defined]
    await app.tick()
    await delivered(app)
    refused = await reply_text(rig, BOB, f"admin end session:{session.id}")
    assert ":x:" in blob(refused)
    fake.admins.add(ALICE)
    crafted = await reply_text(rig, ALICE, "admin end session:<@U1|x>")
    assert "No session of this community" in blob(crafted)
    assert (await state_of(rig, session.id)).state is SessionState.IN_PROGRESS
    ended = await reply_text(rig, ALICE, f"admin end {session.id}")
    assert "feedback is open" in blob(ended)
    await delivered(app)
    assert (await state_of(rig, session.id)).state is SessionState.COMPLETED
    assert any("A community admin ended" in blob(p) for p in pair_posts(rig))
    again = await reply_text(rig, ALICE, f"admin end session:{session.id}")
    assert "already completed" in blob(again)


async def home_of(rig: Rig, user: str) -> list[str]:
    """``user`` opens the App Home; the action ids of the Home published for them."""
    before = len(rig.fake.of("views.publish"))
    status, _ = await rig.send.event(
        {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"}
    )
    assert status == 200
    await rig.fake.wait_for(lambda: len(rig.fake.of("views.publish")) > before)
    published = rig.fake.of("views.publish")[-1]
    assert published["user_id"] == user
    return _home_actions(published["view"])


async def press_in_home(rig: Rig, user: str, action_id: str) -> list[str]:
    """``user`` presses ``action_id`` on their App Home; the action ids of the Home published
    again for them after the press."""
    before = len(rig.fake.of("views.publish"))
    status, _ = await rig.send.home_click(user, action_id)
    assert status == 200
    await rig.fake.wait_for(lambda: len(rig.fake.of("views.publish")) > before)
    await listeners_done()
    published = rig.fake.of("views.publish")[-1]
    assert published["user_id"] == user
    return _home_actions(published["view"])


async def test_upcoming_and_the_app_home_offer_my_partner_is_here_to_the_pair_only(
    rig: Rig,
) -> None:
    fake, app = rig.fake, rig.app
    session = await booked(rig)
    here, start_now = f"pl:session.here:{session.id}", f"pl:session.start_now:{session.id}"
    app.clock.set(session.start - timedelta(minutes=61))  # type: ignore[attr-defined]
    assert here not in action_ids(await reply_text(rig, ALICE, "upcoming"))
    assert here not in await home_of(rig, ALICE)

    app.clock.set(session.start - timedelta(minutes=30))  # type: ignore[attr-defined]
    listed = await reply_text(rig, ALICE, "upcoming")
    assert listed["response_type"] == "ephemeral" and action_ids(listed)[0] == here
    assert "My partner is here (Coding)" in blob(listed)
    assert here in await home_of(rig, BOB)
    assert here not in await home_of(rig, CAROL)

    # Carol's crafted presses (from a message, from her Home) are refused; nothing changes.
    for action in (here, start_now):
        status, _, key = await rig.send.click(CAROL, action, "C1", ephemeral=True)
        assert status == 200
        await fake.wait_for(lambda key=key: len(responses(fake, key)) >= 1)  # type: ignore[misc]
        refused = responses(fake, key)
        assert len(refused) == 1 and ":x:" in blob(refused[0]) and "not yours" in blob(refused[0])
        assert not refused[0].get("replace_original")
    assert here not in await press_in_home(rig, CAROL, here)
    assert not (await state_of(rig, session.id)).here_by

    # Alice presses on her list: answered privately, and the list keeps no stale button.
    status, _, key = await rig.send.click(ALICE, here, "C1", ephemeral=True)
    assert status == 200
    await fake.wait_for(lambda: len(responses(fake, key)) >= 2)
    replaced, answer = responses(fake, key)[:2]
    assert replaced.get("replace_original") and "says their partner is here" in blob(replaced)
    assert here not in action_ids(replaced)  # hers: what she may still press
    assert f"pl:session.cancel:{session.id}" in action_ids(replaced)
    assert "Noted" in blob(answer) and answer["response_type"] == "ephemeral"
    await delivered(app)
    assert len((await state_of(rig, session.id)).here_by) == 1
    assert here not in await home_of(rig, ALICE)

    # Bob presses on his Home: the Home is published again with "Start now" in its place.
    home = await press_in_home(rig, BOB, here)
    assert here not in home and start_now in home
    assert start_now in await home_of(rig, ALICE)
    assert start_now not in await home_of(rig, CAROL)
    await delivered(app)


async def test_a_private_list_slack_will_not_replace_still_gets_its_answer(
    rig: Rig, caplog: Any
) -> None:
    """The press's response URL refuses the replacement of the private list (expired, used
    up): the webhook client does not raise, so it is noticed by its status, logged without
    any text, and the member's answer still comes."""
    import logging

    caplog.set_level(logging.WARNING)
    fake, app = rig.fake, rig.app
    session = await booked(rig)
    here = f"pl:session.here:{session.id}"
    app.clock.set(session.start - timedelta(minutes=30))  # type: ignore[attr-defined]
    fake.fail_next("response_url", status=404, error="expired_url")
    status, _, key = await rig.send.click(ALICE, here, "C1", ephemeral=True)
    assert status == 200
    await fake.wait_for(lambda: len(responses(fake, key)) >= 2)
    refused, answer = responses(fake, key)[:2]
    assert refused.get("replace_original")
    assert "Noted" in blob(answer) and answer["response_type"] == "ephemeral"
    lines = [r.getMessage() for r in caplog.records if "could not be replaced" in r.getMessage()]
    assert lines == ["Slack: the pressed private message could not be replaced (404)"]
    await delivered(app)
