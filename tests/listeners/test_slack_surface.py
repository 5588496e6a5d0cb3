"""Slack's text parsing comes from the declarations: typed options reach the service, a value
out of range is refused with what is accepted, ``/mock schedule`` alone opens the schedule
modal whose answers book a request, and nobody presses another member's button."""

from __future__ import annotations

import pytest

from bot.core.vocab import InterviewType, RolePreference
from tests.contract.test_surface import Spy
from tests.listeners.test_slack import (
    ALICE,
    CAROL,
    Rig,
    blob,
    community_id,
    reply_text,
    responses,
    rig,
    with_profile,
)
from tests.listeners.test_slack_boundary import schedule_values

__all__ = ["rig"]


async def open_requests(rig: Rig, user: str) -> list[str]:
    async with rig.app.db.uow() as tx:
        member = await tx.members.find(await community_id(rig.app), user)
        assert member is not None
        return [r.id for r in await tx.requests.open_for_member(member.id)]


async def test_typed_options_reach_the_service(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(rig.app.requests.schedule)
    monkeypatch.setattr(rig.app.requests, "schedule", spy)
    await with_profile(rig, ALICE)
    answer = await reply_text(rig, ALICE, "schedule system design role:candidate days:5")
    assert "Request open" in blob(answer)
    ((_, kind, role, days),) = spy.calls
    assert (kind, role, days) == (InterviewType.SYSTEM_DESIGN, RolePreference.CANDIDATE, 5)


async def test_a_value_out_of_range_is_refused_with_what_is_accepted(rig: Rig) -> None:
    await with_profile(rig, ALICE)
    refused = await reply_text(rig, ALICE, "schedule coding days:60")
    assert "days" in blob(refused) and "from 1 to 14" in blob(refused)
    assert await open_requests(rig, ALICE) == []


async def test_schedule_alone_opens_the_modal_whose_answers_book_a_request(rig: Rig) -> None:
    fake, send = rig.fake, rig.send
    await with_profile(rig, ALICE)
    status, _, _ = await send.command(ALICE, "schedule")
    assert status == 200
    await fake.wait_for(lambda: fake.count("views.open") == 1)
    view = fake.of("views.open")[0]["view"]
    assert view["callback_id"] == "pl:schedule.submit"
    status, text = await send.submit(ALICE, view, schedule_values("coding", "3"))
    assert status == 200 and text == ""
    await fake.wait_for(lambda: fake.count("chat.postEphemeral") == 1)
    assert len(await open_requests(rig, ALICE)) == 1


async def test_a_third_member_pressing_anothers_button_is_refused(rig: Rig) -> None:
    await with_profile(rig, ALICE)
    await reply_text(rig, ALICE, "schedule coding")
    (request_id,) = await open_requests(rig, ALICE)
    status, _, key = await rig.send.click(CAROL, f"pl:request.cancel:{request_id}", "C1")
    assert status == 200
    await rig.fake.wait_for(lambda: len(responses(rig.fake, key)) == 1)
    assert "not yours" in blob(responses(rig.fake, key)[0])
    assert await open_requests(rig, ALICE) == [request_id]


async def test_an_option_added_to_the_declaration_is_in_the_modal_and_its_answer_is_typed(
    rig: Rig,
) -> None:
    from bot.core.vocab import Level
    from tests.contract.test_forms import extended_schedule

    seen = extended_schedule(rig.app)
    fake, send = rig.fake, rig.send
    await with_profile(rig, ALICE)
    status, _, _ = await send.command(ALICE, "schedule")
    assert status == 200
    await fake.wait_for(lambda: fake.count("views.open") == 1)
    view = fake.of("views.open")[0]["view"]
    blocks = {b.get("block_id"): b for b in view["blocks"] if b.get("type") == "input"}
    assert list(blocks) == ["type", "role", "days", "partner_level", "note"]
    assert blocks["partner_level"]["element"]["type"] == "static_select"
    assert blocks["note"]["element"]["type"] == "plain_text_input"
    values = {
        **schedule_values("coding", "3"),
        "partner_level": {
            "partner_level": {"type": "static_select", "selected_option": {"value": "staff+"}}
        },
        "note": {"note": {"type": "plain_text_input", "value": "see you there"}},
    }
    status, text = await send.submit(ALICE, view, values)
    assert status == 200 and text == ""
    await fake.wait_for(lambda: fake.count("chat.postEphemeral") == 1)
    (args,) = seen
    assert (args.type, args.days, args.partner_level, args.note) == (
        InterviewType.CODING,
        3,
        Level.STAFF,
        "see you there",
    )
