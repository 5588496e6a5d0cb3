"""Community administration: what admins of a community may change.

Every method checks the actor's admin right itself (the faces check their platform's
permission first; this is the server-side check behind it).
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.errors import NotFound
from bot.core.ports import UnitOfWorkFactory
from bot.core.services.actor import Actor


class AdminService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def set_paused(self, actor: Actor, paused: bool) -> None:
        """Pause or resume matching for the actor's community (booked sessions go ahead)."""
        actor.require_admin()
        async with self._uow() as tx:
            community = await tx.communities.get(actor.community.id)
            if community is None:
                raise NotFound("This community is not known to PeerLoop any more.")
            await tx.communities.save_settings(community.id, replace(community.settings, paused=paused))
