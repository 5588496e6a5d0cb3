"""``/mock loop start``, ``/mock loop status`` and ``/mock loop cancel``, the "Cancel loop"
button, and the latest loop's debrief in ``/mock progress``.

Declared in :mod:`bot.core.surface.commands`; bound here to
:class:`bot.core.services.mock_loop.LoopService`.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.commands import CommandRouter
from bot.core.errors import InvalidInput
from bot.core.loop_debrief import digest_line
from bot.core.messages import Field, OutboundMessage
from bot.core.services.actor import Actor
from bot.core.services.mock_loop import LOOP_CANCEL, LoopService
from bot.core.services.progress import ProgressService
from bot.core.surface.commands import LOOP, LoopCancelArgs, LoopStartArgs, NoArgs, command

__all__ = ["declare_loop_commands"]

#: An embed holds 25 fields: the loop's line comes after the progress report's own.
MAX_FIELDS = 25


def declare_loop_commands(
    router: CommandRouter, loops: LoopService, progress: ProgressService
) -> None:
    """Bind the loop commands and button on ``router``; ``/mock progress`` ends with the
    member's latest loop debrief."""

    async def start(actor: Actor, args: LoopStartArgs) -> OutboundMessage:
        if not args.template:
            raise InvalidInput(
                "template", "Name a loop template.", accepted=", ".join(sorted(loops.templates))
            )
        return await loops.start(actor, args.template, args.level, args.days)

    async def status(actor: Actor, args: NoArgs) -> OutboundMessage:
        return await loops.status(actor)

    async def cancel(actor: Actor, args: LoopCancelArgs) -> OutboundMessage:
        return await loops.cancel(actor, args.loop)

    async def with_loop(actor: Actor, args: NoArgs) -> OutboundMessage:
        report = await progress.progress(actor)
        latest = await loops.latest_debrief(actor.member.id)
        if latest is None or len(report.fields) >= MAX_FIELDS:
            return report
        loop, debrief = latest
        return replace(
            report,
            fields=(
                *report.fields,
                Field("Latest mock loop", digest_line(loop.template_name, debrief)),
            ),
        )

    router.declare(command(LOOP, "start"), start)
    router.declare(command(LOOP, "status"), status)
    router.declare(command(LOOP, "cancel"), cancel)
    router.declare(command("progress"), with_loop)
    router.declare_action(LOOP_CANCEL, loops.on_action)
