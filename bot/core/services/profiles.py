"""Member profiles and weekly availability."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core.actions import encode
from bot.core.availability import (
    candidate_starts,
    format_weekly,
    parse_blackouts,
    parse_weekly,
    validate_timezone,
)
from bot.core.clock import Clock
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Button, ButtonStyle, Field, OutboundMessage, Tone, ts
from bot.core.models import Member
from bot.core.ports import UnitOfWorkFactory
from bot.core.services.actor import Actor
from bot.core.services.requests import SCHEDULE_OPEN
from bot.core.vocab import (
    DEFAULT_TRACKS,
    InterviewType,
    Level,
    canonical_language,
    parse_track,
)

MAX_LANGUAGES = 10
MAX_LANGUAGE_LENGTH = 30


def parse_languages(text: str) -> tuple[str, ...]:
    """Languages from a comma-separated list, each name bounded and known ones spelled one way
    (:func:`~bot.core.vocab.canonical_language`), duplicates dropped."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if len(parts) > MAX_LANGUAGES:
        raise InvalidInput("languages", f"At most {MAX_LANGUAGES} languages, please.")
    for part in parts:
        if len(part) > MAX_LANGUAGE_LENGTH:
            raise InvalidInput(
                "languages",
                f"“{part[:40]}…” is too long for a language name (at most {MAX_LANGUAGE_LENGTH}).",
            )
    return tuple(dict.fromkeys(canonical_language(p) for p in parts))


class ProfileService:
    """The member's profile: showing and saving it, and their weekly availability and blackout
    dates."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def set_profile(
        self,
        actor: Actor,
        *,
        timezone: str | None = None,
        track: str | None = None,
        level: Level | None = None,
        interview_types: Sequence[InterviewType] | None = None,
        languages: str | None = None,
    ) -> OutboundMessage:
        """Validate every given field first; write only if all are valid.

        The surface parsed the member's text already (a zone name, a level, interview types);
        here are the community's rules: a known zone, one of its tracks, at least one type."""
        changes: dict[str, object] = {}
        if timezone is not None:
            changes["timezone"] = validate_timezone(timezone).key
        if track is not None:
            changes["track"] = parse_track(track, actor.community.settings.extra_tracks)
        if level is not None:
            changes["level"] = level
        if interview_types is not None:
            if not interview_types:
                raise InvalidInput(
                    "types",
                    "Name at least one interview type.",
                    accepted=", ".join(t.value for t in InterviewType),
                )
            changes["interview_types"] = tuple(dict.fromkeys(interview_types))
        if languages is not None:
            changes["languages"] = parse_languages(languages)
        if not changes:
            return await self.show(actor)
        async with self._uow() as tx:
            current = await tx.members.get(actor.member.id, for_update=True)
            if current is None:
                raise NotFound("Your profile was deleted. Run the command again to start afresh.")
            updated = current.with_changes(**changes)
            await tx.members.save(updated)
        return self.render(updated, actor, title="Profile saved")

    async def show(self, actor: Actor) -> OutboundMessage:
        """The member's profile as a message."""
        async with self._uow() as tx:
            member = await tx.members.get(actor.member.id) or actor.member
        return self.render(member, actor, title="Your profile")

    def render(self, member: Member, actor: Actor, *, title: str) -> OutboundMessage:
        """The profile as a message titled ``title``."""
        tracks = {**DEFAULT_TRACKS, **actor.community.settings.extra_tracks}
        fields = (
            Field("Time zone", member.timezone or "not set", inline=True),
            Field("Track", tracks.get(member.track or "", "not set"), inline=True),
            Field("Level", member.level.label if member.level else "not set", inline=True),
            Field(
                "Interview types",
                ", ".join(t.label for t in member.interview_types) or "not set",
            ),
            Field("Languages", ", ".join(member.languages) or "—", inline=True),
            Field(
                "Availability",
                format_weekly(member.availability) if member.availability else "not set",
            ),
        )
        missing = member.missing_profile_fields()
        if not member.availability:
            missing.append("availability")
        text = (
            "Ready to schedule: `/mock schedule`."
            if not missing
            else "Still missing: " + ", ".join(missing) + "."
        )
        return OutboundMessage(
            title=title,
            text=text,
            fields=fields,
            tone=Tone.SUCCESS if not missing else Tone.INFO,
        )

    async def set_availability(
        self, actor: Actor, text: str, *, blackouts: str | None = None
    ) -> OutboundMessage:
        """Save the member's weekly availability (and blackout dates) from their text."""
        weekly = parse_weekly(text)
        dates = parse_blackouts(blackouts) if blackouts is not None and blackouts.strip() else None
        async with self._uow() as tx:
            current = await tx.members.get(actor.member.id, for_update=True)
            if current is None:
                raise NotFound("Your profile was deleted. Run the command again to start afresh.")
            changes: dict[str, object] = {"availability": weekly}
            if dates is not None:
                changes["blackouts"] = dates
            updated = current.with_changes(**changes)
            await tx.members.save(updated)
        lines = [f"Saved: **{format_weekly(weekly)}**"]
        if updated.timezone:
            now = self._clock.now()
            starts = candidate_starts(
                weekly,
                ZoneInfo(updated.timezone),
                now,
                now + timedelta(days=7),
                session_minutes=actor.community.settings.session_minutes,
                blackouts=updated.blackouts,
            )
            if starts:
                lines.append(
                    f"That gives {len(starts)} possible start times in the next 7 days; "
                    f"the first is {ts(starts[0])}."
                )
            else:
                lines.append("That gives no possible start time in the next 7 days.")
            lines.append(f"Times are in your zone, {updated.timezone}.")
        else:
            lines.append(
                "Set your time zone with `/mock profile timezone:…` so these times mean yours."
            )
        if updated.blackouts:
            lines.append("Blackout dates: " + ", ".join(d.isoformat() for d in updated.blackouts))
        return OutboundMessage(
            title="Availability saved",
            text="\n".join(lines),
            tone=Tone.SUCCESS,
            buttons=(Button("Schedule a session", encode(SCHEDULE_OPEN), ButtonStyle.PRIMARY),),
        )
