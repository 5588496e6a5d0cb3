"""When matching rounds run (a stored step per community, every ``match_every_minutes``),
and whether they may: the admins' pause."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.errors import Conflict, NotFound, ProfileIncomplete
from bot.core.models import ActionKind, Community, Member, ScheduledAction
from bot.core.ports import UnitOfWork
from bot.core.services.actor import new_id

PAUSED = "Matching is paused in this community by its admins; try again later."


def matching_paused(community: Community) -> bool:
    """The one rule for the admins' pause (and for a community PeerLoop was removed from): no
    request is opened and no pair is made."""
    return community.settings.paused or community.settings.absent


async def community_open_for_matching(tx: UnitOfWork, community_id: str) -> Community:
    """The community as stored now (in ``tx``), for a path that opens a request or pairs
    members (``/mock schedule``, ``/mock now``); raises ``Conflict`` while matching is paused."""
    community = await tx.communities.get(community_id)
    if community is None:
        raise NotFound("This community is not set up any more.")
    if matching_paused(community):
        raise Conflict(PAUSED)
    return community


async def member_to_match(tx: UnitOfWork, member_id: str) -> Member:
    """The member as stored now (in ``tx``); raises ``NotFound`` once their profile is gone."""
    member = await tx.members.get(member_id)
    if member is None:
        raise NotFound("Your profile was deleted. Set it up again with `/mock profile`.")
    return member


def require_schedulable(member: Member, doing: str) -> None:
    """Raises ``ProfileIncomplete`` naming what ``member`` must set before ``doing`` (a
    request or a loop needs a full profile and availability)."""
    missing = member.missing_profile_fields()
    if not member.availability:
        missing.append("availability")
    if missing:
        raise ProfileIncomplete(
            f"Before {doing}, set your "
            + ", ".join(missing)
            + " (`/mock profile`, `/mock availability`)."
        )


def round_up(when: datetime, minutes: int) -> datetime:
    """The next ``minutes`` mark of the hour at or after ``when``."""
    base = when.replace(second=0, microsecond=0)
    if base < when:
        base += timedelta(minutes=1)
    extra = (
        (-base.minute) % minutes
        if 60 % minutes == 0
        else (-(base.hour * 60 + base.minute)) % minutes
    )
    return base + timedelta(minutes=extra)


async def schedule_next_round(tx: UnitOfWork, community: Community, now: datetime) -> None:
    """Store the community's next matching round (idempotent: the key is its due time)."""
    due = round_up(now, max(1, community.settings.match_every_minutes))
    await tx.actions.add(
        ScheduledAction(
            id=new_id(),
            key=f"round:{community.id}:{due.isoformat()}",
            kind=ActionKind.MATCH_ROUND,
            community_id=community.id,
            due_at=due,
        )
    )
