"""``/mock block``, ``/mock unblock``, ``/mock blocked`` and ``/mock who``, and the expected
wait in the reply to ``/mock schedule``.

Declared in :mod:`bot.core.surface.commands`; bound here to
:class:`bot.core.services.partners.PartnerService`.
"""

from __future__ import annotations

from bot.core.commands import CommandRouter
from bot.core.messages import OutboundMessage
from bot.core.services.actor import Actor
from bot.core.services.partners import PartnerService
from bot.core.surface.commands import NoArgs, PartnerArgs, command

__all__ = ["declare_partner_commands"]


def declare_partner_commands(router: CommandRouter, partners: PartnerService) -> None:
    """Bind the partner commands on ``router`` and let ``/mock schedule`` state the expected wait."""

    async def block(actor: Actor, args: PartnerArgs) -> OutboundMessage:
        return await partners.block(actor, args.member)

    async def unblock(actor: Actor, args: PartnerArgs) -> OutboundMessage:
        return await partners.unblock(actor, args.member)

    async def blocked(actor: Actor, args: NoArgs) -> OutboundMessage:
        return await partners.blocked(actor)

    async def who(actor: Actor, args: NoArgs) -> OutboundMessage:
        return await partners.who(actor)

    router.declare(command("block"), block)
    router.declare(command("unblock"), unblock)
    router.declare(command("blocked"), blocked)
    router.declare(command("who"), who)
    router.expected_wait = partners.expected_wait
