"""Guided onboarding: the profile form a member fills instead of typing ``key:value`` options.

A member's first ``/mock schedule`` (or ``/mock now``, or the "Schedule a session" button)
before their profile is complete, and the "Join mock interviews" button of an admin's
sign-up message, open :func:`profile_form`: pickers for track, level, interview types and
languages (declared from the vocabularies), the time zone (the platform's hints first:
Slack's ``users.info`` zone, Discord's locale; any other zone name may be typed and is
checked against the zone database) and availability as text. Its submit
(:meth:`OnboardingService.submit`) checks every answer first, saves the profile and the
availability in one transaction, previews what the availability means (how many start
times it gives in the next week, the first one) and opens the schedule form straight away.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.core.actions import Action, encode
from bot.core.availability import (
    candidate_starts,
    format_weekly,
    parse_weekly,
    validate_timezone,
)
from bot.core.clock import Clock
from bot.core.errors import InvalidInput, NotFound
from bot.core.mentions import mention, mentioning
from bot.core.messages import (
    Button,
    ButtonStyle,
    ChoiceInput,
    Field,
    FormPage,
    FormSpec,
    FormValues,
    Option,
    OutboundMessage,
    TextInput,
    Tone,
    ts,
)
from bot.core.models import Community, Member
from bot.core.ports import UnitOfWorkFactory
from bot.core.services.actor import Actor
from bot.core.services.profiles import MAX_LANGUAGES
from bot.core.services.requests import SCHEDULE_OPEN
from bot.core.text import AVAILABILITY_EXAMPLE
from bot.core.vocab import (
    DEFAULT_TRACKS,
    LANGUAGES,
    InterviewType,
    Level,
    canonical_language,
    parse_interview_type,
    parse_level,
    parse_track,
)
from bot.core.zone_hints import likely_zones


class CommandSet(Protocol):
    """Where onboarding plugs in: the member command set (``CommandRouter``)."""

    def declare_action(
        self, verb: str, handler: Callable[[Actor, Action, FormValues], Awaitable[OutboundMessage]]
    ) -> None:
        """Answer the button or form verb ``verb`` with ``handler``."""

    def add_gate(
        self, name: str, gate: Callable[[Actor, str | None], Awaitable[OutboundMessage | None]]
    ) -> None:
        """Let ``gate`` answer the command or verb ``name`` for a member without a profile."""


#: The profile form's verb (its submit) and the buttons that open it.
ONBOARD_SUBMIT = "onboard.submit"
ONBOARD_OPEN = "onboard.open"
#: The sign-up message's button ("Join mock interviews"): the same form, for whoever presses it.
ONBOARD_JOIN = "onboard.join"
#: The zone choice that means "the zone I type below".
OTHER_ZONE = "other"
ZONE_EXAMPLE = "America/Toronto"

MAX_OPTIONS = 25


def _languages(member: Member) -> tuple[Option, ...]:
    names = list(dict.fromkeys((*member.languages, *LANGUAGES)))[:MAX_OPTIONS]
    return tuple(Option(name, name) for name in names)


def profile_form(
    member: Member,
    community: Community,
    zone_hints: Sequence[str] = (),
    then: InterviewType | None = None,
) -> FormSpec:
    """The profile form, with the member's saved answers (or the platform's zone) preselected.
    ``then``: the interview type the member asked for, preselected in the schedule form after it."""
    tracks = {**DEFAULT_TRACKS, **community.settings.extra_tracks}
    zones = likely_zones((*([member.timezone] if member.timezone else ()), *zone_hints))
    default_zone = zones[0] if member.timezone or zone_hints else ()
    return FormSpec(
        action=encode(ONBOARD_SUBMIT, *((then.value,) if then else ())),
        title="Your mock interview profile",
        submit_label="Save and continue",
        intro=(
            "Tell PeerLoop what you practise and when you are free; then pick your first session. "
            "You can change any of it later."
        ),
        pages=(
            FormPage(
                "About you",
                (
                    ChoiceInput(
                        "track",
                        "Your role track",
                        tuple(
                            Option(label, value)
                            for value, label in list(tracks.items())[:MAX_OPTIONS]
                        ),
                        default=(member.track,) if member.track in tracks else (),
                    ),
                    ChoiceInput(
                        "level",
                        "Your level",
                        tuple(Option(lv.label, lv.value) for lv in Level),
                        default=(member.level.value,) if member.level else (),
                    ),
                    ChoiceInput(
                        "types",
                        "Interview types you practise",
                        tuple(Option(t.label, t.value) for t in InterviewType),
                        multi=True,
                        default=tuple(t.value for t in member.interview_types),
                    ),
                    ChoiceInput(
                        "languages",
                        "Programming languages",
                        _languages(member),
                        required=False,
                        multi=True,
                        default=member.languages[:MAX_LANGUAGES],
                    ),
                ),
            ),
            FormPage(
                "When you can practise",
                (
                    ChoiceInput(
                        "timezone",
                        "Your time zone",
                        (
                            *(Option(zone, zone) for zone in zones),
                            Option("Another zone (type it below)", OTHER_ZONE),
                        ),
                        default=(default_zone,) if isinstance(default_zone, str) else (),
                    ),
                    TextInput(
                        "availability",
                        "Weekly availability, in your time",
                        multiline=True,
                        max_length=300,
                        placeholder=f"e.g. {AVAILABILITY_EXAMPLE}",
                        default=format_weekly(member.availability) if member.availability else None,
                        hint=f"Days then times, e.g. {AVAILABILITY_EXAMPLE}",
                    ),
                    TextInput(
                        "timezone_other",
                        "Another time zone (if not listed)",
                        required=False,
                        max_length=60,
                        placeholder=f"e.g. {ZONE_EXAMPLE}",
                        hint=f"Only if your zone is not in the list: a zone name such as {ZONE_EXAMPLE}",
                    ),
                ),
            ),
        ),
    )


def _one(values: FormValues, key: str) -> str:
    value = values.get(key, "")
    return value if isinstance(value, str) else (value[0] if value else "")


def _many(values: FormValues, key: str) -> tuple[str, ...]:
    value = values.get(key, ())
    items = (value,) if isinstance(value, str) else value
    return tuple(v for v in (i.strip() for i in items) if v)


def chosen_zone(values: FormValues) -> ZoneInfo:
    """The zone the form names: a typed zone name wins over the choice (a member who typed one
    meant it); "Another zone" with nothing typed, or a name that is no zone, is refused with an
    example."""
    typed = _one(values, "timezone_other").strip()
    picked = _one(values, "timezone").strip()
    if typed:
        try:
            return validate_timezone(typed)
        except InvalidInput as exc:
            problem = f"{exc.problem} Write a zone name such as {ZONE_EXAMPLE}."
            raise InvalidInput(
                "timezone_other", problem, fields={"timezone_other": problem}
            ) from None
    if not picked or picked == OTHER_ZONE:
        problem = f"Type your time zone's name, such as {ZONE_EXAMPLE}, or pick one from the list."
        raise InvalidInput("timezone_other", problem, fields={"timezone_other": problem})
    try:
        return validate_timezone(picked)
    except InvalidInput as exc:
        raise InvalidInput("timezone", exc.problem, fields={"timezone": exc.problem}) from None


def answer_problems(action_id: str, values: FormValues) -> dict[str, str]:
    """What is wrong with a profile form's answers that reading them alone shows (a zone that
    does not exist, availability that does not parse, no interview type), by input id; ``{}``
    for any other form. Pure, so a face may show these beside the inputs before it
    acknowledges the submit (Slack's ``response_action: errors``); the submit checks again."""
    if not action_id.startswith(f"pl:{ONBOARD_SUBMIT}"):
        return {}
    problems: dict[str, str] = {}
    for check in (
        lambda: chosen_zone(values),
        lambda: parse_weekly(_one(values, "availability")),
        lambda: _types(_many(values, "types")),
    ):
        try:
            check()
        except InvalidInput as exc:
            problems.update(
                exc.fields or {"types" if exc.field == "types" else exc.field: exc.problem}
            )
    return problems


class OnboardingService:
    """Opens the profile form when a member needs it, and saves what it sends."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, *, schedule_form: Callable[[], FormSpec]
    ) -> None:
        self._uow = uow
        self._clock = clock
        #: ``/mock schedule``'s form (built from its declaration by the surface), shown once saved.
        self._schedule_form = schedule_form

    async def _member(self, actor: Actor) -> Member:
        async with self._uow() as tx:
            member = await tx.members.get(actor.member.id)
        if member is None:
            raise NotFound("Your profile was deleted. Run the command again to start afresh.")
        return member

    async def form_for(self, actor: Actor, then: InterviewType | None = None) -> OutboundMessage:
        """The profile form for ``actor``, with what they saved so far."""
        member = await self._member(actor)
        # no text of its own: the form's intro says it (Slack would post it beside the modal)
        return OutboundMessage(form=profile_form(member, actor.community, actor.zone_hints, then))

    async def gate(self, actor: Actor, then: str | None = None) -> OutboundMessage | None:
        """The profile form when the member cannot schedule yet (their profile or availability
        is missing), else ``None`` (the command goes ahead)."""
        member = await self._member(actor)
        if member.profile_complete and member.availability:
            return None
        try:
            kind = parse_interview_type(then) if then else None
        except InvalidInput:
            return None  # what was typed is wrong: the command's own refusal says so first
        return await self.form_for(actor, kind)

    async def on_open(self, actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        """The "Set up my profile" and "Join mock interviews" buttons: the form, for the presser."""
        return await self.form_for(actor)

    async def submit(self, actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        """Check every answer, then save them in one transaction; the reply previews the
        availability and opens the schedule form."""
        problems: dict[str, str] = {}
        changes: dict[str, object] = {}
        checks = (
            (
                "track",
                lambda: parse_track(_one(values, "track"), actor.community.settings.extra_tracks),
            ),
            ("level", lambda: parse_level(_one(values, "level"))),
            ("types", lambda: _types(_many(values, "types"))),
            ("timezone", lambda: chosen_zone(values).key),
            ("availability", lambda: parse_weekly(_one(values, "availability"))),
        )
        for key, check in checks:
            try:
                changes[key] = check()
            except InvalidInput as exc:
                problems.update(
                    exc.fields or {exc.field if exc.field in values else key: exc.problem}
                )
        languages = _many(values, "languages")[:MAX_LANGUAGES]
        if problems:
            raise InvalidInput(next(iter(problems)), " ".join(problems.values()), fields=problems)
        then = action.args[0] if action.args else None
        async with self._uow() as tx:
            current = await tx.members.get(actor.member.id, for_update=True)
            if current is None:
                raise NotFound("Your profile was deleted. Run the command again to start afresh.")
            updated = current.with_changes(
                track=changes["track"],
                level=changes["level"],
                interview_types=changes["types"],
                timezone=changes["timezone"],
                availability=changes["availability"],
                languages=tuple(dict.fromkeys(canonical_language(v[:30]) for v in languages)),
            )
            await tx.members.save(updated)
        return self.saved(updated, actor, then)

    def saved(self, member: Member, actor: Actor, then: str | None) -> OutboundMessage:
        """The "Profile saved" reply: what the availability means, and the schedule form."""
        assert member.availability is not None and member.timezone is not None
        now = self._clock.now()
        starts = candidate_starts(
            member.availability,
            ZoneInfo(member.timezone),
            now,
            now + timedelta(days=7),
            session_minutes=actor.community.settings.session_minutes,
            blackouts=member.blackouts,
        )
        preview = (
            f"That gives **{len(starts)}** possible start times in the next 7 days; the first is "
            f"{ts(starts[0])}."
            if starts
            else "That gives no possible start time in the next 7 days: add more times with the "
            "button below."
        )
        form = self._schedule_form()
        if then:
            form = _preselect(form, "type", then)
        return OutboundMessage(
            title="Profile saved",
            text=f"Welcome, {mention(member)}! Times are in your zone, {member.timezone}.\n{preview}\n"
            "Now pick your first session.",
            fields=(Field("Availability", format_weekly(member.availability)),),
            tone=Tone.SUCCESS,
            mentions=mentioning(member),
            buttons=(Button("Change my profile", encode(ONBOARD_OPEN), ButtonStyle.SECONDARY),),
            form=form,
        )

    async def signup(self, actor: Actor) -> OutboundMessage:
        """The admins' sign-up message (public in the channel): anyone who presses its button
        gets their own profile form."""
        actor.require_admin()
        return signup_message(actor.community)


def signup_message(community: Community) -> OutboundMessage:
    """Donut-style opt-in: a public message whose button opens the profile form for the presser."""
    return OutboundMessage(
        title="Practise interviews with a peer",
        text=(
            f"**{community.name}** runs peer mock interviews with PeerLoop: you are paired with another "
            "member, you interview each other, and you get feedback.\n"
            "Press the button to join: a short form asks what you practise and when you are free."
        ),
        buttons=(Button("Join mock interviews", encode(ONBOARD_JOIN), ButtonStyle.PRIMARY),),
        ephemeral=False,
    )


def _types(values: Sequence[str]) -> tuple[InterviewType, ...]:
    if not values:
        raise InvalidInput(
            "types",
            "Pick at least one interview type.",
            accepted=", ".join(t.value for t in InterviewType),
        )
    return tuple(dict.fromkeys(parse_interview_type(v) for v in values))


def _preselect(form: FormSpec, input_id: str, value: str) -> FormSpec:
    pages = []
    for page in form.pages:
        inputs = tuple(
            ChoiceInput(i.id, i.label, i.options, i.required, i.multi, (value,), i.hint)
            if isinstance(i, ChoiceInput)
            and i.id == input_id
            and value in {o.value for o in i.options}
            else i
            for i in page.inputs
        )
        pages.append(FormPage(page.title, inputs))
    return FormSpec(form.action, form.title, tuple(pages), form.submit_label, form.intro)


__all__ = [
    "ONBOARD_JOIN",
    "ONBOARD_OPEN",
    "ONBOARD_SUBMIT",
    "OTHER_ZONE",
    "CommandSet",
    "OnboardingService",
    "chosen_zone",
    "install_onboarding",
    "profile_form",
    "signup_message",
]


def install_onboarding(service: OnboardingService, router: CommandSet) -> OnboardingService:
    """Wire onboarding into the command set: its form and buttons, and the gate before
    ``schedule``, ``now`` and the "Schedule a session" button (``admin signup`` is declared
    with the other commands and bound by the composition root)."""
    router.declare_action(ONBOARD_SUBMIT, service.submit)
    router.declare_action(ONBOARD_OPEN, service.on_open)
    router.declare_action(ONBOARD_JOIN, service.on_open)
    for name in ("schedule", "now", SCHEDULE_OPEN):
        router.add_gate(name, service.gate)
    return service
