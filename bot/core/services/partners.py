"""Who a member practises with: a confidential "don't pair me with", who is looking, how long
a request waits.

- ``/mock block``, ``/mock unblock``, ``/mock blocked``: the member's own list
  (``Member.blocked``, member ids), which the matcher honours. Nobody else is ever told:
  the blocked member's replies, export and the admins' member view say nothing of it.
- ``/mock who``: without names, how many members are looking per interview type, and the
  busiest hours of the coming week in the asking member's zone.
- The expected wait for a type, from the requests the last weeks' rounds paired.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.availability import candidate_starts
from bot.core.clock import Clock
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Field, OutboundMessage, Tone, quote
from bot.core.models import Member
from bot.core.ports import UnitOfWork, UnitOfWorkFactory
from bot.core.services.actor import Actor
from bot.core.vocab import InterviewType

MAX_BLOCKED = 200
#: How far back the expected wait looks, and how many paired requests it needs to say anything.
WAIT_WINDOW = timedelta(weeks=4)
WAIT_MIN_SAMPLES = 3
#: ``/mock who`` reads the availability of at most this many looking members, a week ahead.
WHO_MEMBERS = 500
WHO_AHEAD = timedelta(days=7)
BUSIEST = 3
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _span(hours: float) -> str:
    if hours < 1:
        return "under an hour"
    if hours < 36:
        return f"about {round(hours)} hour{'s' if round(hours) != 1 else ''}"
    days = round(hours / 24)
    return f"about {days} days"


MEMBER_ACCEPTED = "a mention (@name), the member's user id or their display name"


async def member_named(
    tx: UnitOfWork, community_id: str, who: str, *, option: str = "member"
) -> Member:
    """The community's member ``who`` names (a platform id, a mention the face turned into
    one, or a display name); refused with what is accepted when nobody is found."""
    name = who.strip().removeprefix("@").strip()
    if not name:
        raise InvalidInput(option, "Which member?", accepted=MEMBER_ACCEPTED)
    member = await tx.members.find(community_id, name) or await tx.members.find_by_name(
        community_id, name
    )
    if member is None:
        raise NotFound(
            f"No member “{quote(name, 60)}” here. Use a mention (@name) or their user id."
        )
    return member


def wait_sentence(kind: InterviewType, waits_hours: list[float]) -> str:
    """The expected wait for ``kind`` as a member reads it (the median of recent waits)."""
    if len(waits_hours) < WAIT_MIN_SAMPLES:
        return (
            f"Expected wait: too few {kind.label} sessions were paired in the last "
            f"{WAIT_WINDOW.days // 7} weeks to say."
        )
    return (
        f"Expected wait: {_span(statistics.median(waits_hours))} for {kind.label}, going by the "
        f"{len(waits_hours)} requests paired in the last {WAIT_WINDOW.days // 7} weeks."
    )


class PartnerService:
    """Blocks, who is looking, and expected waits, for the members of a community."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    # -- "don't pair me with" ---------------------------------------------------------------

    async def _other(self, tx: UnitOfWork, actor: Actor, who: str) -> Member:
        member = await member_named(tx, actor.community.id, who)
        if member.id == actor.member.id:
            raise InvalidInput("member", "That is you.", accepted=MEMBER_ACCEPTED)
        return member

    async def block(self, actor: Actor, who: str) -> OutboundMessage:
        """Never pair the actor with ``who`` again; only the actor is told."""
        async with self._uow() as tx:
            me = await tx.members.get(actor.member.id, for_update=True) or actor.member
            other = await self._other(tx, actor, who)
            if other.id in me.blocked:
                return OutboundMessage(
                    text=f"You are already never paired with {other.display_name}."
                )
            if len(me.blocked) >= MAX_BLOCKED:
                raise InvalidInput(
                    "member",
                    f"You have blocked {MAX_BLOCKED} members already.",
                    accepted="unblock someone first",
                )
            await tx.members.save(me.with_changes(blocked=(*me.blocked, other.id)))
            booked = [
                s
                for s in await tx.sessions.for_member(me.id, active_only=True)
                if s.partner_of(me.id) == other.id
            ]
        text = (
            f"Done: you will not be paired with {other.display_name}. Nobody is told, "
            f"{other.display_name} included."
        )
        if booked:
            text += (
                f" You already have {len(booked)} session(s) booked with them: they stay unless you "
                "cancel them (`/mock upcoming`)."
            )
        return OutboundMessage(text=text, tone=Tone.SUCCESS)

    async def unblock(self, actor: Actor, who: str) -> OutboundMessage:
        """Allow pairing with ``who`` again."""
        async with self._uow() as tx:
            me = await tx.members.get(actor.member.id, for_update=True) or actor.member
            other = await self._other(tx, actor, who)
            if other.id not in me.blocked:
                return OutboundMessage(text=f"{other.display_name} is not on your list.")
            await tx.members.save(
                me.with_changes(blocked=tuple(m for m in me.blocked if m != other.id))
            )
        return OutboundMessage(
            text=f"Done: you may be paired with {other.display_name} again.", tone=Tone.SUCCESS
        )

    async def blocked(self, actor: Actor) -> OutboundMessage:
        """The actor's own list (only ever shown to them)."""
        async with self._uow() as tx:
            me = await tx.members.get(actor.member.id) or actor.member
            names = await tx.members.get_many(list(me.blocked))
        listed = sorted(names[m].display_name for m in me.blocked if m in names)
        if not listed:
            return OutboundMessage(
                text="You have not blocked anyone. `/mock block member:@name` keeps "
                "someone from being paired with you; nobody is told."
            )
        return OutboundMessage(
            title="Never paired with",
            text="Only you see this list. `/mock unblock member:@name` takes someone off it.",
            fields=(Field("Members", "\n".join(f"- {n}" for n in listed)[:1000]),),
        )

    # -- who is looking, and how long a request waits ------------------------------------

    async def expected_wait(self, community_id: str, kind: InterviewType) -> str:
        """The expected wait for ``kind`` from the requests paired in the last weeks' rounds."""
        now = self._clock.now()
        async with self._uow() as tx:
            waits = await tx.requests.matched_waits(community_id, kind, now - WAIT_WINDOW)
        return wait_sentence(kind, [w.total_seconds() / 3600 for w in waits])

    async def who(self, actor: Actor) -> OutboundMessage:
        """How many members are looking per type (no names) and the busiest hours in the actor's zone."""
        now = self._clock.now()
        async with self._uow() as tx:
            open_requests = await tx.requests.list_open(actor.community.id)
            looking: dict[InterviewType, set[str]] = {}
            for r in open_requests:
                looking.setdefault(r.interview_type, set()).add(r.member_id)
            ids = sorted({m for members in looking.values() for m in members})[:WHO_MEMBERS]
            members = await tx.members.get_many(ids)
        if not looking:
            return OutboundMessage(
                title="Who is looking",
                text="Nobody has an open request right now. "
                "`/mock schedule` and you will be the first.",
            )
        zone = ZoneInfo(actor.member.timezone or "UTC")
        busiest = busiest_hours(list(members.values()), now, zone)
        lines = [
            f"- {kind.label}: {len(who)} member{'s' if len(who) != 1 else ''}"
            for kind, who in sorted(looking.items(), key=lambda e: (-len(e[1]), e[0].label))
        ]
        fields = [Field("Looking now, per interview type", "\n".join(lines)[:1000])]
        if busiest:
            fields.append(
                Field(
                    f"Busiest hours this week ({zone.key})",
                    "\n".join(f"- {label}: {count} available" for label, count in busiest),
                )
            )
        return OutboundMessage(
            title="Who is looking",
            text="No names: just how many members have an open request, and when most of them can "
            "practise. Adding those hours to `/mock availability` shortens your wait.",
            fields=tuple(fields),
        )


def busiest_hours(members: list[Member], now: datetime, zone: ZoneInfo) -> list[tuple[str, int]]:
    """The hours of the coming week most looking members can start a session, in ``zone``."""
    counts: Counter[datetime] = Counter()
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    for m in members:
        if m.availability is None or not m.timezone:
            continue
        starts = candidate_starts(
            m.availability,
            ZoneInfo(m.timezone),
            start,
            start + WHO_AHEAD,
            grid_minutes=60,
            blackouts=m.blackouts,
        )
        counts.update(set(starts))
    top = sorted(counts.items(), key=lambda e: (-e[1], e[0]))[:BUSIEST]
    out = []
    for moment, count in top:
        local = moment.astimezone(zone)
        out.append((f"{_DAYS[local.weekday()]} {local:%H}:00", count))
    return out
