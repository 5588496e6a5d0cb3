"""Start early, end early and an admin's end of a stuck session, bound on the router.

The buttons ("My partner is here", "Start now", "We're done") and ``/mockadmin end`` with
its button in the admin member view are declared here once and handled by
:class:`bot.core.services.session_early.EarlySessionService`.
"""

from __future__ import annotations

from bot.core.admin_commands import AdminRouter
from bot.core.commands import CommandRouter
from bot.core.messages import OutboundMessage
from bot.core.services.actor import Actor
from bot.core.services.session_early import ADMIN_VERBS, MEMBER_VERBS, EarlySessionService
from bot.core.surface.commands import ADMIN, EndSessionArgs, command

__all__ = ["declare_session_commands"]


def declare_session_commands(
    router: CommandRouter, admin: AdminRouter, early: EarlySessionService
) -> None:
    """Bind the pair's early start and end buttons, and the admin's end command and button."""
    for verb in MEMBER_VERBS:
        router.declare_action(verb, early.on_action)
    for verb in ADMIN_VERBS:
        admin.declare_action(verb, early.on_action)

    async def end(actor: Actor, args: EndSessionArgs) -> OutboundMessage:
        return await early.admin_end(actor, args.session)

    router.declare(command(ADMIN, "end"), end)
