"""The "Report a problem" action and the admins' ``reports``, ``suspend`` and ``unsuspend`` commands.

Declared in :mod:`bot.core.surface.commands` (the admin commands, and the report form
``REPORT_FORM`` built from ``ReportArgs`` like every command's form); bound here to
:class:`bot.core.services.reports.ReportService`:

- ``report.open:<session>`` (the "Report a problem" button on a session's end and no-show
  messages and in ``/mock history``) checks the presser may report that session and opens
  the form; ``report.submit:<session>`` parses its answers as a command line's are and stores
  the report.
- ``admin.report.resolve:<report>`` is an admin action (the router checks the right again
  in the service).
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.actions import Action, encode
from bot.core.admin_commands import AdminRouter
from bot.core.commands import CommandRouter
from bot.core.messages import FormValues, OutboundMessage
from bot.core.report_models import REPORT_OPEN, REPORT_RESOLVE, REPORT_SUBMIT, report_button
from bot.core.services.actor import Actor
from bot.core.services.progress import ProgressService
from bot.core.services.report_text import reports_message
from bot.core.services.reports import ReportService
from bot.core.surface.commands import (
    ADMIN,
    REPORT_FORM,
    NoArgs,
    ReportArgs,
    SuspendArgs,
    UnsuspendArgs,
    command,
)
from bot.core.surface.forms import form_of
from bot.core.surface.options import parse_args

__all__ = ["declare_report_commands"]


def declare_report_commands(
    router: CommandRouter, admin: AdminRouter, reports: ReportService, progress: ProgressService
) -> None:
    """Bind the report button and form, the admin commands, and the history's report buttons."""

    async def open_form(actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        session_id = action.arg(0)
        await reports.check(actor, session_id)
        form = form_of(ReportArgs, REPORT_FORM)
        return OutboundMessage(form=replace(form, action=encode(REPORT_SUBMIT, session_id)))

    async def submit(actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        await reports.check(actor, action.arg(0))  # who may, before what they sent is read
        args: ReportArgs = parse_args(ReportArgs, dict(values), command="Report a problem")
        return await reports.submit(actor, action.arg(0), args.reason, args.details)

    async def resolve(actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        return await reports.resolve(actor, action.arg(0))

    async def listed(actor: Actor, args: NoArgs) -> OutboundMessage:
        lines, suspensions = await reports.overview(actor)
        return reports_message(lines, suspensions, reports.now())

    async def suspend(actor: Actor, args: SuspendArgs) -> OutboundMessage:
        return await reports.suspend(actor, args.member, args.days, args.reason)

    async def unsuspend(actor: Actor, args: UnsuspendArgs) -> OutboundMessage:
        return await reports.unsuspend(actor, args.member)

    async def history(actor: Actor, args: NoArgs) -> OutboundMessage:
        """``/mock history`` with a "Report a problem" button per recent session not yet reported."""
        shown = await progress.history(actor)
        buttons = [
            replace(
                report_button(s.id),
                label=f"Report a problem: {name}"[:75] if name else "Report a problem",
            )
            for s, name in await reports.reportable(actor)
        ]
        return replace(shown, buttons=(*shown.buttons, *buttons)[:5]) if buttons else shown

    router.declare_action(REPORT_OPEN, open_form)
    router.declare_action(REPORT_SUBMIT, submit)
    router.mark_form(REPORT_SUBMIT)
    admin.declare_action(REPORT_RESOLVE, resolve)
    router.declare(command(ADMIN, "reports"), listed)
    router.declare(command(ADMIN, "suspend"), suspend)
    router.declare(command(ADMIN, "unsuspend"), unsuspend)
    router.declare(command("history"), history)
