"""Profile, availability and request services, on a real database with a fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.errors import ProfileIncomplete
from bot.core.messages import Tone
from bot.core.models import RequestStatus
from bot.core.vocab import InterviewType, Level, RolePreference
from tests.conftest import make_actor, ready_member


async def test_profile_is_saved_and_shown_back(app: App) -> None:
    alice = await make_actor(app, "alice")
    # the member's text is parsed once, by the surface (aliases, labels), then the service saves it
    reply = await app.router.run(
        alice,
        "profile",
        {
            "timezone": "europe/berlin",
            "track": "DevOps",
            "level": "Sr",
            "types": "coding, system design",
            "languages": "python, go",
        },
    )
    assert reply.tone is Tone.INFO  # availability still missing
    assert "availability" in reply.text
    async with app.db.uow() as tx:
        saved = await tx.members.get(alice.member.id)
    assert saved is not None
    assert saved.timezone == "Europe/Berlin"
    assert saved.track == "sre"
    assert saved.level is Level.SENIOR
    assert saved.interview_types == (InterviewType.CODING, InterviewType.SYSTEM_DESIGN)
    assert saved.languages == ("Python", "Go")  # known names spelled one way


async def test_bad_profile_input_names_what_is_accepted_and_writes_nothing(app: App) -> None:
    alice = await make_actor(app, "alice")
    await app.profiles.set_profile(alice, timezone="Europe/Berlin", level=Level.MID)
    for kwargs, expected in [
        ({"timezone": "Mars/Olympus", "level": "senior"}, "IANA"),
        ({"level": "guru", "timezone": "Asia/Tokyo"}, "junior, mid, senior, staff+"),
        ({"track": "astronaut"}, "backend"),
        ({"interview_types": "coding, juggling"}, "system-design"),
        ({"interview_types": " , "}, "coding"),
    ]:
        reply = await app.router.run(
            alice,
            "profile",
            {k if k != "interview_types" else "types": v for k, v in kwargs.items()},
        )
        assert reply.tone is Tone.ERROR
        assert expected in reply.text
    async with app.db.uow() as tx:
        saved = await tx.members.get(alice.member.id)
    assert saved is not None
    assert saved.timezone == "Europe/Berlin" and saved.level is Level.MID
    assert saved.track is None and saved.interview_types == ()


async def test_availability_is_normalised_and_counts_start_times(app: App) -> None:
    alice = await make_actor(app, "alice")
    await app.profiles.set_profile(alice, timezone="Europe/Berlin")
    reply = await app.profiles.set_availability(alice, "mon-fri 18-21, sat 10:00-14:00")
    assert "Mon" in reply.text and "18:00" in reply.text
    assert "possible start times" in reply.text
    bad = await app.router.run(alice, "availability", {"text": "mon 25:00-26:00"})
    assert bad.tone is Tone.ERROR
    async with app.db.uow() as tx:
        saved = await tx.members.get(alice.member.id)
    assert saved is not None and saved.availability is not None
    assert len(saved.availability.windows) == 6


async def test_schedule_needs_a_complete_profile(app: App) -> None:
    bob = await make_actor(app, "bob")
    with pytest.raises(ProfileIncomplete, match=r"time zone.*availability"):
        await app.requests.schedule(bob, InterviewType.CODING)
    # through the command set, the refusal becomes the profile form (guided onboarding)
    reply = await app.router.run(bob, "schedule", {"type": "coding"})
    assert reply.form is not None and reply.form.action == "pl:onboard.submit:coding"
    async with app.db.uow() as tx:
        assert await tx.requests.open_for_member(bob.member.id) == []


async def test_one_open_request_per_member_and_type(app: App, clock: FakeClock) -> None:
    alice = await ready_member(app, "alice")
    first = await app.router.run(alice, "schedule", {"type": "coding", "role": "swap"})
    assert first.tone is Tone.SUCCESS
    assert first.buttons and first.buttons[0].action.startswith("pl:request.cancel:")
    second = await app.router.run(alice, "schedule", {"type": "Coding"})
    assert second.tone is Tone.ERROR and "already have an open Coding request" in second.text
    other_type = await app.router.run(
        alice, "schedule", {"type": "behavioral", "role": "candidate"}
    )
    assert other_type.tone is Tone.SUCCESS
    async with app.db.uow() as tx:
        open_requests = await tx.requests.open_for_member(alice.member.id)
    assert sorted((r.interview_type.value, r.role) for r in open_requests) == [
        ("behavioral", RolePreference.CANDIDATE),
        ("coding", RolePreference.SWAP),
    ]
    assert open_requests[0].window_end - open_requests[0].window_start == timedelta(days=7)


async def test_schedule_refuses_bad_options(app: App) -> None:
    alice = await ready_member(app, "alice")
    for options, expected in [
        ({"type": "karaoke"}, "coding"),
        ({"type": "coding", "role": "boss"}, "swap, candidate, interviewer"),
        ({"type": "coding", "days": "30"}, "1 to 14"),
        ({"type": "coding", "days": "soon"}, "whole number"),
        ({"role": "swap"}, "Which interview type"),
    ]:
        reply = await app.router.run(alice, "schedule", options)
        assert reply.tone is Tone.ERROR, options
        assert expected in reply.text
    async with app.db.uow() as tx:
        assert await tx.requests.open_for_member(alice.member.id) == []


async def test_schedule_refused_when_availability_gives_no_start(
    app: App, clock: FakeClock
) -> None:
    alice = await ready_member(app, "alice", availability="sun 10-12")
    # T0 is a Tuesday: a one-day window holds no Sunday.
    reply = await app.router.run(alice, "schedule", {"type": "coding", "days": "1"})
    assert reply.tone is Tone.ERROR and "no start time" in reply.text


async def test_cancel_by_button_and_permissions(app: App) -> None:
    alice = await ready_member(app, "alice")
    bob = await ready_member(app, "bob")
    reply = await app.router.run(alice, "schedule", {"type": "coding"})
    cancel_action = reply.buttons[0].action
    refused = await app.router.act(bob, cancel_action)
    assert refused.tone is Tone.ERROR and "not yours" in refused.text
    done = await app.router.act(alice, cancel_action)
    assert done.tone is Tone.SUCCESS
    again = await app.router.act(alice, cancel_action)
    assert "already cancelled" in again.text
    async with app.db.uow() as tx:
        rows = await tx.requests.for_member(alice.member.id)
    assert [r.status for r in rows] == [RequestStatus.CANCELLED]


async def test_tampered_action_is_refused(app: App) -> None:
    alice = await ready_member(app, "alice")
    for bad in [
        "pl:request.cancel",
        "pl:request.cancel:../../x",
        "xx:foo",
        "pl:nope:1",
        "pl:" + "a" * 200,
    ]:
        reply = await app.router.act(alice, bad)
        assert reply.tone is Tone.ERROR and "not valid any more" in reply.text


async def test_upcoming_lists_open_requests(app: App) -> None:
    alice = await ready_member(app, "alice")
    empty = await app.router.run(alice, "upcoming", {})
    assert "Nothing open" in empty.text
    await app.router.run(alice, "schedule", {"type": "coding"})
    listed = await app.router.run(alice, "upcoming", {})
    assert "1 open request" in listed.text
    assert listed.fields[0].name.startswith("Coding")
