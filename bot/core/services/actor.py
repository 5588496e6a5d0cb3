"""Who is acting: resolved once per interaction by the face, checked by every service."""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass, replace

from bot.core.clock import Clock
from bot.core.errors import PermissionDenied
from bot.core.messages import without_nul
from bot.core.models import Community, Member, Platform
from bot.core.ports import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """Who is acting: the member and their community, resolved once per event by the face."""

    community: Community
    member: Member
    #: The platform says this member may administer the community (Manage Server,
    #: workspace admin, the console's local admin). Checked again by admin services.
    platform_admin: bool = False
    #: What the platform says about the member's time zone, most likely first: a zone name
    #: (Slack's ``users.info``) or a locale (Discord). Offered first in the profile form.
    zone_hints: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        """Whether the member may administer the community (the platform says so, or PeerLoop's
        admin flag)."""
        return self.platform_admin or self.member.is_admin

    def require_admin(self) -> None:
        """Raise :class:`PermissionDenied` unless the member is an admin."""
        if not self.is_admin:
            raise PermissionDenied(
                "Only community admins can do that (Discord: Manage Server; Slack: workspace admins "
                "or the configured admin group)."
            )


_ids: random.Random | None = None


def new_id() -> str:
    """A new random id (32 hex digits)."""
    if _ids is not None:
        return uuid.UUID(int=_ids.getrandbits(128), version=4).hex
    return uuid.uuid4().hex


def use_repeatable_ids(seed: int | None) -> None:
    """Make ids repeatable (the scripted demo, so its transcript is the same every run);
    ``None`` goes back to random ids."""
    global _ids
    _ids = None if seed is None else random.Random(seed)


class ActorResolver:
    """Finds or creates the community and member behind a platform event."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def resolve(
        self,
        platform: Platform,
        community_external_id: str,
        community_name: str,
        user_external_id: str,
        display_name: str,
        *,
        platform_admin: bool = False,
    ) -> Actor:
        """The actor for a platform user in a platform community: both are found, or created on
        first use (the display name kept current). Ids and names are kept without NUL
        (``without_nul``): a database may refuse it."""
        community_external_id, user_external_id = (
            without_nul(community_external_id),
            without_nul(user_external_id),
        )
        community_name, display_name = without_nul(community_name), without_nul(display_name)
        async with self._uow() as tx:
            community = await tx.communities.find(platform, community_external_id)
            if community is None:
                # Insert-or-get: two first requests at the same moment both end up with the one row.
                community = await tx.communities.add_or_get(
                    Community(new_id(), platform, community_external_id, community_name)
                )
            member = await tx.members.find(community.id, user_external_id)
            if member is None:
                member = await tx.members.add_or_get(
                    Member(
                        id=new_id(),
                        community_id=community.id,
                        platform=platform,
                        external_id=user_external_id,
                        display_name=display_name[:80] or user_external_id,
                        created_at=self._clock.now(),
                    )
                )
            if display_name and member.display_name != display_name[:80]:
                member = member.with_changes(display_name=display_name[:80])
                await tx.members.save(member)
            if community.settings.absent:  # someone there uses PeerLoop: it is back
                community = await self._set_absent(tx, community, absent=False)
        return Actor(community, member, platform_admin)

    async def mark_absent(
        self, platform: Platform, community_external_id: str, *, absent: bool
    ) -> bool:
        """PeerLoop was removed from a community (``absent``), or is back in it: while absent
        nothing is paired or sent there. True when that changed (a community never seen is
        left alone)."""
        async with self._uow() as tx:
            community = await tx.communities.find(platform, community_external_id)
            if community is None or community.settings.absent == absent:
                return False
            await self._set_absent(tx, community, absent=absent)
        return True

    @staticmethod
    async def _set_absent(tx: UnitOfWork, community: Community, *, absent: bool) -> Community:
        settings = replace(community.settings, absent=absent)
        await tx.communities.save_settings(community.id, settings)
        log.info("community %s: PeerLoop %s", community.id, "was removed" if absent else "is back")
        return replace(community, settings=settings)

    async def find_community(
        self, platform: Platform, community_external_id: str
    ) -> Community | None:
        """The community behind a platform id, without creating anything (autocomplete)."""
        async with self._uow() as tx:
            return await tx.communities.find(platform, without_nul(community_external_id))

    async def resolve_direct(self, platform: Platform, user_external_id: str) -> list[Actor]:
        """A direct-message event carries no community: the member in each known community
        of that platform (action ids are unique, so only the right one accepts an action)."""
        actors: list[Actor] = []
        user_external_id = without_nul(user_external_id)
        async with self._uow() as tx:
            for community in await tx.communities.list():
                if community.platform is not platform:
                    continue
                member = await tx.members.find(community.id, user_external_id)
                if member is not None:
                    actors.append(Actor(community, member))
        return actors
