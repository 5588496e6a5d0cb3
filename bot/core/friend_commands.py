"""``/mock schedule partner:@member`` with its Accept, Decline and Withdraw buttons, and
``/mockadmin pair``.

Declared in :mod:`bot.core.surface.commands`; bound here to
:class:`bot.core.services.friends.FriendService`.
"""

from __future__ import annotations

from bot.core.commands import CommandRouter
from bot.core.errors import InvalidInput
from bot.core.messages import OutboundMessage
from bot.core.services.actor import Actor
from bot.core.services.friends import VERBS, FriendService
from bot.core.surface.commands import ADMIN, PairArgs, ScheduleArgs, command
from bot.core.vocab import InterviewType

__all__ = ["declare_friend_commands"]


def declare_friend_commands(router: CommandRouter, friends: FriendService) -> None:
    """Let ``/mock schedule`` invite a partner, bind the invitation's buttons and ``/mockadmin pair``."""

    async def invite(actor: Actor, args: ScheduleArgs) -> OutboundMessage:
        if args.type is None:
            raise InvalidInput(
                "type", "Which interview type?", accepted=", ".join(t.value for t in InterviewType)
            )
        assert args.partner is not None
        return await friends.invite(actor, args.partner, args.type, args.role, args.days)

    async def pair(actor: Actor, args: PairArgs) -> OutboundMessage:
        return await friends.admin_pair(actor, args.a, args.b, args.type, args.role, args.days)

    router.invite_partner = invite
    router.declare(command(ADMIN, "pair"), pair)
    for verb in VERBS:
        router.declare_action(verb, friends.on_action)
