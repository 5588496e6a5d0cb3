"""Guided onboarding in the core and on the console: the profile form instead of key:value options."""

from __future__ import annotations

import io

from bot.app import App
from bot.console.chat import ConsoleChat
from bot.console.face import Console
from bot.core.actions import encode
from bot.core.clock import FakeClock
from bot.core.messages import ChoiceInput, Tone
from bot.core.models import Platform, RequestStatus
from bot.core.services.onboarding import (
    ONBOARD_JOIN,
    ONBOARD_SUBMIT,
    OTHER_ZONE,
    answer_problems,
    profile_form,
)
from bot.core.vocab import InterviewType
from bot.core.zone_hints import likely_zones
from tests.conftest import make_actor


def test_likely_zones_come_from_zone_names_and_locales_first() -> None:
    assert likely_zones(["America/Los_Angeles"])[0] == "America/Los_Angeles"
    assert likely_zones(["de"])[:3] == ("Europe/Berlin", "Europe/Vienna", "Europe/Zurich")
    assert likely_zones(["pt-BR"])[0] == "America/Sao_Paulo"
    assert likely_zones(["xx-YY", "not/a zone"])[0] == "UTC"  # nothing known: the wide list
    assert len(likely_zones(["en-US", "de", "fr", "ru", "es-419"])) <= 24


async def test_the_form_is_declared_from_the_vocabularies_with_the_platform_zone_first(
    app: App,
) -> None:
    actor = await make_actor(app, "alice")
    form = profile_form(actor.member, actor.community, ("Asia/Tokyo",), InterviewType.CODING)
    assert form.action == encode(ONBOARD_SUBMIT, "coding")
    by_id = {i.id: i for i in form.inputs}
    types = by_id["types"]
    assert isinstance(types, ChoiceInput) and types.multi
    assert [o.value for o in types.options] == [t.value for t in InterviewType]
    zone = by_id["timezone"]
    assert isinstance(zone, ChoiceInput) and zone.default == ("Asia/Tokyo",)
    assert zone.options[0].value == "Asia/Tokyo" and zone.options[-1].value == OTHER_ZONE


async def test_a_first_schedule_opens_the_profile_form_and_its_submit_opens_the_schedule_form(
    app: App,
) -> None:
    actor = await make_actor(app, "dana")
    first = await app.router.run(actor, "schedule", {"type": "behavioral"})
    assert first.form is not None and first.form.action == encode(ONBOARD_SUBMIT, "behavioral")
    # /mock now and the "Schedule a session" button, too; a mistyped option is refused first
    live = await app.router.run(actor, "now", {"type": "coding"})
    assert live.form is not None and live.form.action == encode(ONBOARD_SUBMIT, "coding")
    typo = await app.router.run(actor, "schedule", {"type": "coding", "days": "99"})
    assert typo.tone is Tone.ERROR and typo.form is None
    pressed = await app.router.act(actor, "pl:schedule.open")
    assert pressed.form is not None and pressed.form.action.startswith("pl:onboard.submit")

    answers = {
        "track": "backend",
        "level": "mid",
        "types": ("coding", "behavioral"),
        "languages": ("Python",),
        "timezone": OTHER_ZONE,
        "timezone_other": "",
        "availability": "weekdays 18:00-21:00",
    }
    assert answer_problems(first.form.action, answers).keys() == {
        "timezone_other"
    }  # pure, before any ack
    assert answer_problems("pl:schedule.submit", answers) == {}
    refused = await app.router.act(actor, first.form.action, answers)
    assert refused.tone is Tone.ERROR and "America/Toronto" in refused.text  # names an example
    assert dict(refused.field_errors).keys() == {"timezone_other"}
    refused = await app.router.act(
        actor, first.form.action, {**answers, "timezone_other": "Mars/Olympus"}
    )
    assert refused.tone is Tone.ERROR and "not a time zone" in refused.text
    refused = await app.router.act(
        actor,
        first.form.action,
        {**answers, "timezone_other": "Europe/Lisbon", "availability": "whenever", "types": ()},
    )
    assert dict(refused.field_errors).keys() == {"availability", "types"}
    async with app.db.uow() as tx:
        member = await tx.members.get(actor.member.id)
    assert member is not None and member.timezone is None  # nothing saved from a refused form

    saved = await app.router.act(
        actor, first.form.action, {**answers, "timezone_other": "europe/lisbon"}
    )
    assert saved.tone is Tone.SUCCESS and "Europe/Lisbon" in saved.text
    assert (
        "possible start times in the next 7 days" in saved.text
    )  # the preview of the availability
    assert saved.form is not None and saved.form.action == "pl:schedule.submit"
    type_input = next(i for i in saved.form.inputs if i.id == "type")
    assert isinstance(type_input, ChoiceInput) and type_input.default == ("behavioral",)
    async with app.db.uow() as tx:
        member = await tx.members.get(actor.member.id)
    assert member is not None and member.level is not None and member.level.value == "mid"
    assert member.interview_types == (InterviewType.CODING, InterviewType.BEHAVIORAL)
    assert member.languages == ("Python",) and member.availability is not None

    booked = await app.router.act(
        actor, saved.form.action, {"type": "behavioral", "role": "swap", "days": "7"}
    )
    assert booked.title == "Request open", booked.text
    # once the profile is there, schedule goes straight through
    again = await app.router.run(actor, "schedule", {"type": "coding"})
    assert again.form is None and again.title == "Request open"


async def test_signup_is_for_admins_and_its_button_gives_each_presser_their_own_form(
    app: App,
) -> None:
    admin = await make_actor(app, "ada", admin=True)
    member = await make_actor(app, "carol")
    post = await app.admin_commands.run(admin, "signup", {})  # type: ignore[union-attr]
    assert not post.ephemeral and post.buttons[0].label == "Join mock interviews"
    assert post.buttons[0].action == encode(ONBOARD_JOIN)
    refused = await app.admin_commands.run(member, "signup", {})  # type: ignore[union-attr]
    assert refused.tone is Tone.ERROR
    opened = await app.router.act(member, post.buttons[0].action)
    assert opened.form is not None and opened.form.action == encode(ONBOARD_SUBMIT)


async def test_console_member_goes_from_nothing_to_a_request_without_key_value_options(
    app: App, clock: FakeClock
) -> None:
    out = io.StringIO()
    console = Console(app, clock, out=out)
    await console.handle("/as erin")
    await console.handle("/mock schedule coding")
    assert console.filler is not None and console.filler.form.action.startswith("pl:onboard.submit")
    await console.handle(
        "/form track=backend level=senior types=coding,system-design timezone=UTC "
        'availability="daily 08:00-22:00"'
    )
    await console.handle("/form submit")
    assert "Profile saved" in out.getvalue(), out.getvalue()[-1500:]
    assert console.filler is not None and console.filler.form.action == "pl:schedule.submit"
    assert console.filler.values["type"] == "coding"  # what the member asked for, kept
    await console.handle("/form submit")
    assert "Request open" in out.getvalue(), out.getvalue()[-1500:]
    async with app.db.uow() as tx:
        actor_member = await tx.members.find((await tx.communities.list())[0].id, "erin")
        assert actor_member is not None
        requests = await tx.requests.open_for_member(actor_member.id)
    assert [r.status for r in requests] == [RequestStatus.OPEN]


async def test_console_room_buttons_stay_true_after_confirm_and_cancel(
    app: App, clock: FakeClock
) -> None:
    out = io.StringIO()
    chat = ConsoleChat(out, clock)
    app.chats[Platform.CONSOLE] = chat
    console = Console(app, clock, out=out, chat=chat)
    for name in ("alice", "bob"):
        await console.handle(f"/as {name}")
        await console.handle("/mock profile timezone:UTC track:backend level:mid types:coding")
        await console.handle("/mock availability daily 08:00-22:00")
        await console.handle("/mock schedule coding")
    async with app.db.uow() as tx:
        (community,) = await tx.communities.list()
    assert len((await app.matching.run_round(community.id)).sessions) == 1
    await app.tick()
    assert [b.label for b in chat.last["room-1"].buttons] == [
        "Confirm",
        "My partner is here",  # the session starts within the hour
        "Reschedule",
        "Can't make it",
    ], [(k, m.title, m.text[:60]) for k, m in chat.sent]

    await console.handle("/as alice")
    await console.handle("/press 1 room-1")
    assert (
        "that message now reads: ✓ alice confirmed. [Confirm] [My partner is here] [Reschedule] "
        "[Can't make it]" in out.getvalue()
    )
    await console.handle("/as bob")
    await console.handle("/mock upcoming")
    labels = [b.label for b in console.last.buttons] if console.last else []
    await console.handle(f"/press {labels.index('Cancel Coding session') + 1}")
    assert (
        "that message now reads: ✗ Cancelled: bob can't make it. (no buttons left)"
        in out.getvalue()
    )
