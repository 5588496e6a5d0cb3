"""What reports and suspensions say: the notice in the admins' channel and the admins'
reports view (the service is :mod:`bot.core.services.reports`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.actions import encode
from bot.core.messages import Button, ButtonStyle, Field, OutboundMessage, Tone, clip, quote, ts
from bot.core.models import Member, Session
from bot.core.report_models import REPORT_RESOLVE, Report, ReportStatus, Suspension

#: How many Resolve buttons the view offers, and how much of each report's text it repeats
#: (the admins' channel had it whole).
RESOLVE_BUTTONS = 5
VIEW_TEXT = 250


@dataclass(frozen=True)
class ReportLine:
    """A report as the admins' view lists it, with the names resolved."""

    report: Report
    reporter: str
    reported: str
    session: Session | None


def resolve_button(report: Report, number: int) -> Button:
    """The admins' button that resolves one report."""
    return Button(f"Resolve #{number}", encode(REPORT_RESOLVE, report.id), ButtonStyle.SUCCESS)


def admin_notice(
    report: Report, reporter: Member, reported: Member, session: Session
) -> OutboundMessage:
    """The message posted in the admins' channel (no mention: nobody is pinged)."""
    return OutboundMessage(
        title="A member reported a problem",
        text=f"{reporter.display_name} reported {reported.display_name}: "
        f"**{report.reason.label}**, about their {session.interview_type.label} session of "
        f"{ts(session.start)}. The `reports` admin command lists every report. "
        f"{reporter.display_name} will not be paired with {reported.display_name} again; "
        f"{reported.display_name} is not told.",
        fields=(Field("What they wrote", report.text or "(nothing)"),),
        buttons=(resolve_button(report, 1),),
        tone=Tone.WARNING,
        ephemeral=False,
    )


def reports_message(
    lines: list[ReportLine], suspensions: list[tuple[Suspension, str]], now: datetime
) -> OutboundMessage:
    """The admins' reports view: open and resolved reports, and the suspensions' audit."""
    fields: list[Field] = []
    buttons: list[Button] = []
    for n, line in enumerate(lines, 1):
        r = line.report
        where = (
            f"{line.session.interview_type.label} session of {ts(line.session.start)}"
            if line.session
            else "a session since deleted"
        )
        state = (
            "open"
            if r.status is ReportStatus.OPEN
            else f"resolved {ts(r.resolved_at, 'D')}"
            if r.resolved_at
            else "resolved"
        )
        fields.append(
            Field(
                clip(f"#{n} {r.reason.label}: {line.reporter} about {line.reported}", 200),
                clip(
                    f"{state.capitalize()}. {where}, reported {ts(r.created_at, 'D')}. "
                    f"“{clip(r.text, VIEW_TEXT) if r.text else '(nothing written)'}”",
                    1000,
                ),
            )
        )
        if r.status is ReportStatus.OPEN and len(buttons) < RESOLVE_BUTTONS:
            buttons.append(resolve_button(r, n))
    audit = []
    for s, name in suspensions:
        if s.lifted_at is not None:
            until = f"lifted {ts(s.lifted_at, 'D')}"
        elif s.active(now):
            until = f"until {ts(s.ends_at)}"
        else:
            until = f"ended {ts(s.ends_at, 'D')}"
        why = f": {quote(s.reason, 120)}" if s.reason else ""
        audit.append(f"- {name}, from {ts(s.starts_at, 'D')}, {until}{why}")
    if audit:
        fields.append(Field("Suspensions", clip("\n".join(audit), 1000)))
    open_count = sum(1 for line in lines if line.report.status is ReportStatus.OPEN)
    text = (
        f"{open_count} open report(s), listed first. Only admins see this."
        if lines
        else "No reports yet. Members report a problem from the session's messages and "
        "`/mock history`; only admins see reports."
    )
    return OutboundMessage(title="Reports", text=text, fields=tuple(fields), buttons=tuple(buttons))
