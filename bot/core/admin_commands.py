"""The admin command set (``/mockadmin …`` on Discord, ``/mock admin …`` on Slack and the console).

:class:`AdminRouter` checks the actor's admin right on every call before any handler
runs, so a face that forgot its own check still refuses non-admins. Commands are
registered by name (``register``); button actions go through the ordinary
:meth:`CommandRouter.act` path (``register_action`` wraps them with the same check).
Text faces hand ``setup digest_day:mon digest_hour:9`` to :meth:`AdminRouter.run_text`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime

from bot.core.actions import Action, encode
from bot.core.bank import VERDICT_LABELS
from bot.core.commands import ActionHandler, CommandRouter, guarded, parse_command_text
from bot.core.log_context import INTERACTION, log_context
from bot.core.messages import (
    Button,
    ButtonStyle,
    Field,
    FormValues,
    OutboundMessage,
    Tone,
    error_message,
    quote,
    ts,
)
from bot.core.models import CommunitySettings
from bot.core.services.actor import Actor
from bot.core.services.admin import (
    SETUP_OPTIONS,
    WEEKDAY_NAMES,
    AdminService,
    MemberReport,
    NoShowMark,
    RoundOutcomeLine,
    SettingsChange,
)
from bot.core.stats import CommunityStats, PeriodStats
from bot.core.vocab import DEFAULT_TRACKS, InterviewType

AdminHandler = Callable[[Actor, Mapping[str, str]], Awaitable[OutboundMessage]]

CLEAR_NOSHOW = "admin.clear_noshow"
#: Commands whose options may be given without ``key:`` (the rest of the line).
FREE_TEXT = {"member": "who", "prompts": "args"}
#: One line per built-in command, for the admin help text.
SUMMARIES: dict[str, str] = {
    "setup": "show the settings, or change them: " + ", ".join(f"{k}:…" for k in SETUP_OPTIONS),
    "stats": "community figures over the last 7 and 30 days",
    "member": "one member: reliability, no-show marks, why they were or were not matched",
    "pause": "stop pairing new sessions (booked ones go ahead)",
    "resume": "start pairing again",
    "status": "whether matching is running",
}


class AdminRouter:
    def __init__(self, admin: AdminService, router: CommandRouter) -> None:
        self.admin = admin
        self._router = router
        self._commands: dict[str, AdminHandler] = {}
        self._summaries: dict[str, str] = {}
        for name, handler in (
            ("setup", self._setup),
            ("stats", self._stats),
            ("member", self._member),
            ("pause", self._pause),
            ("resume", self._resume),
            ("status", self._status),
        ):
            self.register(name, handler, summary=SUMMARIES[name])
        self.register_action(CLEAR_NOSHOW, self._clear_noshow)
        router.register_text("admin", self.run_text)

    def register(self, name: str, handler: AdminHandler, *, summary: str = "") -> None:
        """Add an admin command (the admin check runs before ``handler``)."""
        self._commands[name] = handler
        self._summaries[name] = summary or self._summaries.get(name, "")

    def register_action(self, verb: str, handler: ActionHandler, *, form: bool = False) -> None:
        """Add a button/form action on :class:`CommandRouter` that only admins may use."""

        async def checked(actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
            actor.require_admin()
            return await handler(actor, action, values)

        self._router.register_action(verb, checked, form=form)

    @property
    def command_names(self) -> list[str]:
        return sorted(self._commands)

    def help(self) -> OutboundMessage:
        lines = [f"`{name}` — {self._summaries.get(name, '')}".rstrip(" —") for name in self.command_names]
        return OutboundMessage(title="PeerLoop admin commands", text="\n".join(lines))

    async def run(self, actor: Actor, name: str, options: Mapping[str, str]) -> OutboundMessage:
        """Check the limit and the admin right, then run the command (refusals become private
        error replies; anything unexpected, an incident reply)."""
        with log_context(INTERACTION, community=actor.community.id, member=actor.member.id):
            return await guarded(self._run(actor, name, options), admit=lambda: self._router.admit(actor),
                                 where="admin command")

    async def _run(self, actor: Actor, name: str, options: Mapping[str, str]) -> OutboundMessage:
        actor.require_admin()
        if name in ("", "help"):
            return self.help()
        handler = self._commands.get(name)
        if handler is None:
            return error_message(
                f"`{quote(name, 30)}` is not an admin command. Accepted: {', '.join(self.command_names)}.")
        reply = await handler(actor, options)
        self._router.count_form(actor, reply)
        return reply

    async def run_text(self, actor: Actor, text: str) -> OutboundMessage:
        """``setup digest_day:mon`` (a leading ``/mock admin`` or ``admin`` is ignored)."""
        with log_context(INTERACTION, community=actor.community.id, member=actor.member.id):
            return await guarded(self._run_text(actor, text), admit=lambda: self._router.admit(actor),
                                 where="admin command")

    async def _run_text(self, actor: Actor, text: str) -> OutboundMessage:
        text = text.strip()
        for prefix in ("/mock", "admin"):
            first, _, rest = text.partition(" ")
            if first.lower() == prefix:
                text = rest.strip()
        name, _, rest = text.partition(" ")
        name = name.lower()
        if name in FREE_TEXT and rest.strip() and ":" not in rest.split()[0]:
            return await self._run(actor, name, {FREE_TEXT[name]: rest.strip()})
        if not text:
            return await self._run(actor, "help", {})
        parsed = parse_command_text(text)
        return await self._run(actor, parsed.name, parsed.options)

    # -- commands ---------------------------------------------------------------------------

    async def _setup(self, actor: Actor, options: Mapping[str, str]) -> OutboundMessage:
        if not options:
            return settings_message(await self.admin.settings(actor), title="PeerLoop settings")
        change = await self.admin.update_settings(actor, options)
        return change_message(change)

    async def _stats(self, actor: Actor, options: Mapping[str, str]) -> OutboundMessage:
        message = stats_message(await self.admin.stats(actor))
        picture = await self.admin.stats_picture(actor)
        return replace(message, attachments=(picture,)) if picture else message

    async def _member(self, actor: Actor, options: Mapping[str, str]) -> OutboundMessage:
        who = options.get("who") or options.get("member") or options.get("user") or ""
        member = await self.admin.find_member(actor, who)
        report = await self.admin.member_report(actor, member)
        return member_message(report, actor.community.settings.extra_tracks)

    async def _pause(self, actor: Actor, options: Mapping[str, str]) -> OutboundMessage:
        await self.admin.set_paused(actor, True)
        return OutboundMessage(
            text="Matching is paused: no new pairs until an admin resumes it. Booked sessions go ahead.",
            tone=Tone.WARNING,
        )

    async def _resume(self, actor: Actor, options: Mapping[str, str]) -> OutboundMessage:
        await self.admin.set_paused(actor, False)
        return OutboundMessage(text="Matching is running again.", tone=Tone.SUCCESS)

    async def _status(self, actor: Actor, options: Mapping[str, str]) -> OutboundMessage:
        settings = await self.admin.settings(actor)
        state = "paused" if settings.paused else f"running (a round every {settings.match_every_minutes} minutes)"
        return OutboundMessage(text=f"Matching in this community is {state}.")

    async def _clear_noshow(self, actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        member, cleared = await self.admin.clear_no_shows(actor, action.arg(0))
        if not cleared:
            return OutboundMessage(text=f"{member.display_name} has no active no-show marks.")
        return OutboundMessage(
            text=f"Cleared {cleared} no-show mark(s) for {member.display_name}: their reliability is back to 100%.",
            tone=Tone.SUCCESS,
        )


# -- rendering ----------------------------------------------------------------------------------


def _channel(ref: str | None, default: str) -> str:
    # the channel's id (the neutral markup has no channel mentions)
    return f"channel `{ref}`" if ref else default


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def settings_message(s: CommunitySettings, *, title: str, text: str = "") -> OutboundMessage:
    reminders = ", ".join(_minutes(m) for m in s.reminder_minutes) or "none"
    fields = (
        Field("Matching", "paused" if s.paused else "running", inline=True),
        Field("Round every (match_every)", f"{s.match_every_minutes} min", inline=True),
        Field("Session length (session_minutes)", f"{s.session_minutes} min", inline=True),
        Field("Pair threads (pair_channel)", _channel(s.pair_channel_id, "platform default"), inline=True),
        Field("Admins' channel (admin_channel)", _channel(s.admin_channel_id, "none"), inline=True),
        Field("Digest (digest_day, digest_hour)", f"{WEEKDAY_NAMES[s.digest_weekday]} {s.digest_hour:02d}:00 local",
              inline=True),
        Field("Reminders", reminders, inline=True),
        Field("Disabled types (disabled_types)", ", ".join(s.disabled_types) or "none", inline=True),
        Field("Prefer prompts the interviewer has seen (prefer_seen_prompts)",
              _yes(s.prefer_prompt_interviewer_has_seen), inline=True),
        Field("Admins see feedback (admins_see_feedback)", _yes(s.admins_see_feedback), inline=True),
    )
    return OutboundMessage(
        title=title, text=text or "Change any of these with `setup name:value`.", fields=fields
    )


def _minutes(m: int) -> str:
    if m % 1440 == 0:
        return f"{m // 1440}d"
    if m % 60 == 0:
        return f"{m // 60}h"
    return f"{m}m"


def change_message(change: SettingsChange) -> OutboundMessage:
    if not change.changed:
        return settings_message(change.after, title="PeerLoop settings", text="Those are the settings already.")
    text = "Changed: " + ", ".join(change.changed) + "."
    if change.rounds_replanned:
        text += f" The next matching round is re-planned for every {change.after.match_every_minutes} minutes."
    if "session_minutes" in change.changed or "reminders" in change.changed:
        text += " Sessions booked from now on use the new length and reminders; booked ones keep theirs."
    message = settings_message(change.after, title="Settings saved", text=text)
    return OutboundMessage(title=message.title, text=message.text, fields=message.fields, tone=Tone.SUCCESS)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def _period_field(p: PeriodStats) -> Field:
    lines = [
        f"Sessions booked: {p.sessions_booked}",
        f"Held: {p.sessions_held} · cancelled: {p.sessions_cancelled} · no-show: {p.sessions_no_show}",
        f"Requests: {p.requests_made} · match rate: {_percent(p.match_rate)} "
        f"({p.requests_matched} matched, {p.requests_expired} expired)",
        f"Feedback from both: {_percent(p.feedback_completion)} ({p.feedback_both} of {p.sessions_held} held)",
    ]
    return Field(f"Last {p.days} days", "\n".join(lines))


def stats_message(stats: CommunityStats) -> OutboundMessage:
    labels = {t.value: t.label for t in InterviewType}
    open_text = ", ".join(f"{labels.get(k, k)}: {n}" for k, n in sorted(stats.open_requests.items())) or "none"
    fields = (
        Field("Members", f"{stats.members_with_profile} with a profile of {stats.members}", inline=True),
        Field("Open requests", open_text, inline=True),
        *(_period_field(p) for p in stats.periods),
    )
    return OutboundMessage(
        title="Community stats",
        text="Match rate: matched among requests that were matched or expired (withdrawn ones left out).",
        fields=fields,
    )


def _when(moment: datetime) -> str:
    return ts(moment, "f")


#: Second-person phrases in texts written for the member, and how an admin reads them:
#: the first names the member, later ones are pronouns.
_SECOND_PERSON = re.compile(r"\b(?:(?P<are>you are)|(?P<as>as you)|(?P<your>your)|(?P<you>you))\b", re.IGNORECASE)


def about_member(text: str, name: str) -> str:
    """A text written to a member (``You are already paired…``, ``…shares your times…``)
    rewritten about them for an admin (``Carol is already paired…``, ``…shares Carol's times…``)."""
    named = False

    def swap(match: re.Match[str]) -> str:
        nonlocal named
        first, named = not named, True
        if match.group("are"):
            out = f"{name} is" if first else "they are"
        elif match.group("as"):
            out = f"as {name}" if first else "as they did"
        elif match.group("your"):
            out = f"{name}'s" if first else "their"
        else:
            out = name if first else "they"
        return out[0].upper() + out[1:] if match.group(0)[0].isupper() else out

    return _SECOND_PERSON.sub(swap, text)


def _round_line(line: RoundOutcomeLine, name: str) -> str:
    if line.reason:
        return about_member(line.reason, name)
    partner = f" with {line.partner}" if line.partner else ""
    start = f" for {_when(line.start)}" if line.start else ""
    return f"paired{partner}{start}"


def _mark_line(mark: NoShowMark) -> str:
    """The session a no-show mark is about: its time and the partner who waited."""
    if mark.session_start is None:
        return f"reported {_when(mark.report.reported_at)} (the session is no longer stored)"
    return f"{_when(mark.session_start)} with {mark.partner or 'a former member'}"


def _feedback_lines(report: MemberReport) -> str:
    if report.feedback is None:
        return (
            "Private: this community keeps members' feedback between the pair. "
            "`setup admins_see_feedback:yes` lets admins read it."
        )
    if not report.feedback:
        return "none yet"
    lines = []
    for fb in report.feedback[:5]:
        scores = f"{sum(fb.scores.values()) / len(fb.scores):.1f}/4" if fb.scores else "no scores"
        kind = InterviewType(fb.interview_type).label if fb.interview_type in set(InterviewType) else "session"
        state = "" if fb.revealed_at else " (not yet revealed to the member)"
        verdict = VERDICT_LABELS.get(fb.verdict or "", "no verdict")
        lines.append(f"{_when(fb.submitted_at)} · {kind}: {verdict}, {scores}{state}")
    return "\n".join(lines)


def member_message(report: MemberReport, extra_tracks: Mapping[str, str]) -> OutboundMessage:
    m = report.member
    tracks = {**DEFAULT_TRACKS, **extra_tracks}
    profile = " · ".join(
        x
        for x in (
            tracks.get(m.track or "", m.track or ""),
            m.level.label if m.level else "",
            ", ".join(t.label for t in m.interview_types),
            m.timezone or "",
        )
        if x
    ) or "no profile yet"
    missing = m.missing_profile_fields() + ([] if m.availability else ["availability"])
    marks = "\n".join(_mark_line(mark) for mark in report.no_shows[:5]) if report.no_shows else "none"
    requests = "\n".join(
        f"{r.interview_type.label}: left out {r.times_left_out}×"
        + (f" — {about_member(r.last_left_out_reason, m.display_name)}" if r.last_left_out_reason else "")
        for r in report.open_requests
    ) or "none"
    rounds = "\n".join(
        f"{_when(line.ran_at)}: {_round_line(line, m.display_name)}" for line in report.rounds[:5]
    ) or "not in a recent round"
    fields = (
        Field("Profile", profile + (f"\nMissing: {', '.join(missing)}" if missing else "")),
        Field("Reliability", f"{round(report.reliability * 100)}%", inline=True),
        Field("Active no-show marks", marks[:1000], inline=True),
        Field("Open requests", requests[:1000]),
        Field("Recent rounds (newest first)", rounds[:1000]),
        Field("Feedback from interviewers (newest first)", _feedback_lines(report)[:1000]),
        *(
            (Field("Notes for admins", "\n".join(
                f"{_when(fb.submitted_at)}: {fb.admin_note}" for fb in report.admin_notes[:5]
            )[:1000]),)
            if report.admin_notes
            else ()
        ),
    )
    buttons = (
        (Button("Clear no-show marks", encode(CLEAR_NOSHOW, m.id), ButtonStyle.DANGER),) if report.no_shows else ()
    )
    last = _round_line(report.rounds[0], m.display_name) if report.rounds else None
    text = f"Last round: {last}" if last else "Not considered in a recent round."
    return OutboundMessage(title=m.display_name[:80], text=text[:1500], fields=fields, buttons=buttons)
