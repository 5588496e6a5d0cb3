"""Reporting a partner and suspensions on Slack, through bolt against the fake Web API: the
"Report a problem" button on the end-of-session message, its modal, the admins' channel,
``/mock admin reports|suspend|unsuspend``, and a third member's crafted presses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.core.clock import FakeClock
from tests.conftest import REPORT_WORDING, T0, delivered
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
from tests.listeners.test_slack_feedback import action_ids, dms, input_blocks, posts_to, text_of

__all__ = ["rig"]

ADA = "UADA"
ADMINS = "CADMINS"
WROTE = "Kept talking over me <!channel> <@UALICE> *loudly*"


async def press(rig: Rig, user: str, action_id: str) -> dict[str, Any]:
    """A press in the member's DMs; the one private reply."""
    status, _, key = await rig.send.click(user, action_id, f"D{user}")
    assert status == 200
    await rig.fake.wait_for(lambda: bool(responses(rig.fake, key)))
    await listeners_done()
    (answer,) = responses(rig.fake, key)
    return answer


def modal_values(view: dict[str, Any], reason: str, details: str) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for block_id, block in input_blocks(view).items():
        element = block["element"]
        if element["type"] == "static_select":
            state[block_id] = {
                element["action_id"]: {
                    "type": "static_select",
                    "selected_option": {
                        "value": reason,
                        "text": {"type": "plain_text", "text": reason},
                    },
                }
            }
        else:
            state[block_id] = {element["action_id"]: {"type": "plain_text_input", "value": details}}
    return state


async def test_a_report_reaches_the_admins_and_never_the_reported_member(
    rig: Rig, clock: FakeClock
) -> None:
    fake, app = rig.fake, rig.app
    fake.admins.add(ADA)
    saved = await reply_text(rig, ADA, f"admin setup admin_channel:<#{ADMINS}|admins>")
    assert "admin_channel" in blob(saved) and ":x:" not in blob(saved), blob(saved)
    for user in (ALICE, BOB):
        await ready(rig, user)
        await reply_text(rig, user, "schedule type:coding")
    await reply_text(rig, CAROL, "help")
    (session,) = (await app.matching.run_round(await community_id(app))).sessions
    clock.set(session.start + timedelta(minutes=session.minutes))
    await app.tick()
    await delivered(app)
    await listeners_done()
    report = f"pl:report.open:{session.id}"
    assert action_ids(dms(fake, ALICE), "pl:report.open:") == [report]

    # A third member and crafted ids are refused privately; no modal opens.
    opened = fake.count("views.open")
    for who, action_id in (
        (CAROL, report),
        (CAROL, f"pl:report.submit:{session.id}"),
        (ALICE, "pl:report.open:" + "0" * 32),
        (ALICE, "pl:admin.report.resolve:" + "0" * 32),
    ):
        refused = await press(rig, who, action_id)
        assert any(w in blob(refused) for w in ("Only the two members", "Only community admins")), (
            action_id,
            blob(refused),
        )
    assert fake.count("views.open") == opened

    # Alice: the modal (reasons as a picker, the text limited), then her private thanks.
    status, _, _key = await rig.send.click(ALICE, report, f"D{ALICE}")
    assert status == 200
    await fake.wait_for(lambda: fake.count("views.open") == opened + 1)
    await listeners_done()
    view = fake.of("views.open")[-1]["view"]
    assert view["callback_id"] == f"pl:report.submit:{session.id}"
    blocks = input_blocks(view)
    assert [o["value"] for o in blocks["reason"]["element"]["options"]] == [
        "no-show-dispute",
        "rude",
        "inappropriate",
        "other",
    ]
    assert blocks["details"]["element"]["max_length"] == 1000
    notes = len(posts_to(fake, ALICE))
    status, text = await rig.send.submit(ALICE, view, modal_values(view, "rude", WROTE))
    assert status == 200 and text == "", text
    await fake.wait_for(lambda: len(posts_to(fake, ALICE)) == notes + 1)
    await listeners_done()
    assert "Thank you for telling us" in text_of(posts_to(fake, ALICE)[-1])
    await app.tick()
    await delivered(app)
    await listeners_done()

    # The admins' channel has it, escaped (no channel ping, no mention); Bob has nothing.
    (notice,) = [m for m in posts_to(fake, ADMINS) if "reported a problem" in text_of(m)]
    shown = text_of(notice)
    assert "Kept talking over me" in shown and "<!channel>" not in shown, shown
    assert f"<@{ALICE}>" not in shown and "&lt;" in shown, shown
    to_bob = [text_of(m) for m in dms(fake, BOB)]
    to_bob += [blob(await reply_text(rig, BOB, cmd)) for cmd in ("history", "blocked", "upcoming")]
    for seen in to_bob:
        assert "Kept talking" not in seen and not REPORT_WORDING.search(seen), seen
    assert "Never paired with" in blob(await reply_text(rig, ALICE, "blocked"))

    # Admins only: the reports view and Resolve.
    for cmd in (
        "admin reports",
        f"admin suspend member:<@{ALICE}|alice> days:2",
        "admin unsuspend <@UALICE|alice>",
    ):
        answer = blob(await reply_text(rig, BOB, cmd))  # the face's check, then the core's
        assert "Only workspace admins" in answer or "Only community admins" in answer, cmd
    (resolve,) = action_ids([notice], "pl:admin.report.resolve:")
    assert "Only community admins" in blob(await press(rig, BOB, resolve))
    listed = await reply_text(rig, ADA, "admin reports")
    assert "Rude:" in blob(listed) and "Open." in blob(listed), blob(listed)
    assert "resolved" in blob(await press(rig, ADA, resolve))
    assert "Resolved" in blob(await reply_text(rig, ADA, "admin reports"))


async def test_suspend_refuses_schedule_with_the_end_date_and_unsuspend_lets_him_match(
    rig: Rig,
) -> None:
    fake, app = rig.fake, rig.app
    fake.admins.add(ADA)
    for user in (ALICE, BOB):
        await ready(rig, user)
    await reply_text(rig, ALICE, "schedule type:coding")
    done = await reply_text(rig, ADA, f"admin suspend member:<@{BOB}|bob> days:2 reason:spam")
    assert "suspended from matching until" in blob(done), blob(done)
    await app.tick()
    await delivered(app)
    await listeners_done()
    ends = int((T0 + timedelta(days=2)).timestamp())
    (told,) = [m for m in dms(fake, BOB) if "Matching paused" in text_of(m)]
    assert f"<!date^{ends}^" in text_of(told) and "spam" not in text_of(told)
    refused = await reply_text(rig, BOB, "schedule type:coding")
    assert "paused your matching until" in blob(refused) and f"<!date^{ends}^" in blob(refused)
    assert not (await app.matching.run_round(await community_id(app))).sessions

    assert "can be matched again" in blob(
        await reply_text(rig, ADA, f"admin unsuspend <@{BOB}|bob>")
    )
    await reply_text(rig, BOB, "schedule type:coding")
    assert len((await app.matching.run_round(await community_id(app))).sessions) == 1
    audit = blob(await reply_text(rig, ADA, "admin reports"))
    assert "Suspensions" in audit and "spam" in audit and "lifted" in audit
