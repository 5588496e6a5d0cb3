"""The admin command set (``/mockadmin …`` on Discord, ``/mock admin …`` on Slack and the console).

The commands are declared in :mod:`bot.core.surface.commands` (``ADMIN_COMMANDS``); this
module binds them to :class:`AdminService` on the router. The router checks the actor's
admin right before parsing or running any ``admin …`` command, so a face that forgot its
own check still refuses non-admins; admin-only button actions get the same check
(:meth:`AdminRouter.declare_action`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from bot.core.actions import Action, encode
from bot.core.bank import VERDICT_LABELS
from bot.core.commands import ActionHandler, CommandHandler, CommandRouter
from bot.core.messages import (
    Button,
    ButtonStyle,
    Field,
    FormValues,
    OutboundMessage,
    Tone,
    ts,
)
from bot.core.models import CommunitySettings
from bot.core.pack_commands import declare_pack_commands
from bot.core.services.actor import Actor
from bot.core.services.admin import (
    WEEKDAY_NAMES,
    WEEKDAYS,
    AdminService,
    MemberReport,
    NoShowMark,
    RoundOutcomeLine,
    SettingsChange,
    SettingsPatch,
)
from bot.core.services.packs import PackService
from bot.core.services.session_early import end_button
from bot.core.stats import CommunityStats, PeriodStats
from bot.core.surface.commands import ADMIN, MemberArgs, NoArgs, SetupArgs, command
from bot.core.vocab import DEFAULT_TRACKS, InterviewType

CLEAR_NOSHOW = "admin.clear_noshow"


class AdminRouter:
    """The admin commands bound on the router, and the faces' way to run them by name."""

    def __init__(
        self, admin: AdminService, router: CommandRouter, packs: PackService | None = None
    ) -> None:
        self.admin = admin
        self._router = router
        handlers: tuple[tuple[str, CommandHandler], ...] = (
            ("setup", self._setup),
            ("stats", self._stats),
            ("member", self._member),
            ("pause", self._pause),
            ("resume", self._resume),
            ("status", self._status),
        )
        for name, handler in handlers:
            router.declare(command(ADMIN, name), handler)
        self.declare_action(CLEAR_NOSHOW, self._clear_noshow)
        declare_pack_commands(self.declare_action, router, packs)

    def declare_action(self, verb: str, handler: ActionHandler) -> None:
        """Add a button/form action on :class:`CommandRouter` that only admins may use."""

        async def checked(actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
            actor.require_admin()
            return await handler(actor, action, values)

        self._router.declare_action(verb, checked)

    @property
    def command_names(self) -> list[str]:
        """The admin commands (``setup``, ``prompts export``, …)."""
        return sorted(" ".join(c.path[1:]) for c in self._router.commands if c.admin)

    def help(self) -> OutboundMessage:
        """The admin help (from the declarations)."""
        return self._router.admin_help()

    async def run(
        self, actor: Actor, name: str, options: Mapping[str, object] | None = None
    ) -> OutboundMessage:
        """An admin command by name (``setup``, ``prompts export``): the limit, the admin right,
        then the command (refusals become private error replies; anything unexpected, an incident reply)."""
        return await self._router.run_path(actor, (ADMIN, *name.split()), options or {})

    async def run_text(self, actor: Actor, text: str) -> OutboundMessage:
        """``setup digest_day:mon`` (a leading ``/mock admin`` or ``admin`` is ignored)."""
        text = text.strip()
        for prefix in ("/mock", ADMIN):
            first, _, rest = text.partition(" ")
            if first.lower() == prefix:
                text = rest.strip()
        return await self._router.run_text(actor, f"{ADMIN} {text}")

    # -- commands ---------------------------------------------------------------------------

    async def _setup(self, actor: Actor, args: SetupArgs) -> OutboundMessage:
        cleared = {
            name
            for name in ("pair_channel", "admin_channel", "voice_category")
            if getattr(args, name) == ""
        }
        patch = SettingsPatch(
            pair_channel=args.pair_channel or None,
            admin_channel=args.admin_channel or None,
            digest_day=WEEKDAYS.index(args.digest_day) if args.digest_day else None,
            digest_hour=args.digest_hour,
            match_every=args.match_every,
            session_minutes=args.session_minutes,
            reminders=args.reminders,
            disabled_types=args.disabled_types,
            prefer_seen_prompts=args.prefer_seen_prompts,
            admins_see_feedback=args.admins_see_feedback,
            admins_see_blocks=args.admins_see_blocks,
            call_link=args.call_link,
            coding_editor=args.coding_editor,
            design_board=args.design_board,
            reputation_weight=args.reputation_weight,
            voice_category=args.voice_category or None,
            voice_open=args.voice_open,
            voice_close=args.voice_close,
            session_events=args.session_events,
            reset=frozenset(cleared | ({args.reset} if args.reset else set())),
        )
        if not patch.given():
            return settings_message(await self.admin.settings(actor), title="PeerLoop settings")
        return change_message(await self.admin.update_settings(actor, patch))

    async def _stats(self, actor: Actor, args: NoArgs) -> OutboundMessage:
        message = stats_message(await self.admin.stats(actor))
        picture = await self.admin.stats_picture(actor)
        return replace(message, attachments=(picture,)) if picture else message

    async def _member(self, actor: Actor, args: MemberArgs) -> OutboundMessage:
        member = await self.admin.find_member(actor, args.user)
        report = await self.admin.member_report(actor, member)
        return member_message(report, actor.community.settings.extra_tracks)

    async def _pause(self, actor: Actor, args: NoArgs) -> OutboundMessage:
        await self.admin.set_paused(actor, True)
        return OutboundMessage(
            text="Matching is paused: no new pairs until an admin resumes it. Booked sessions go ahead.",
            tone=Tone.WARNING,
        )

    async def _resume(self, actor: Actor, args: NoArgs) -> OutboundMessage:
        await self.admin.set_paused(actor, False)
        return OutboundMessage(text="Matching is running again.", tone=Tone.SUCCESS)

    async def _status(self, actor: Actor, args: NoArgs) -> OutboundMessage:
        settings = await self.admin.settings(actor)
        state = (
            "paused"
            if settings.paused
            else f"running (a round every {settings.match_every_minutes} minutes)"
        )
        return OutboundMessage(text=f"Matching in this community is {state}.")

    async def _clear_noshow(
        self, actor: Actor, action: Action, values: FormValues
    ) -> OutboundMessage:
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
    """The community's settings, one field each, named by their ``setup`` option."""
    reminders = ", ".join(_minutes(m) for m in s.reminder_minutes) or "none"
    fields = (
        Field("Matching", "paused" if s.paused else "running", inline=True),
        Field("Round every (match_every)", f"{s.match_every_minutes} min", inline=True),
        Field("Session length (session_minutes)", f"{s.session_minutes} min", inline=True),
        Field(
            "Pair threads (pair_channel)",
            _channel(s.pair_channel_id, "platform default"),
            inline=True,
        ),
        Field("Admins' channel (admin_channel)", _channel(s.admin_channel_id, "none"), inline=True),
        Field(
            "Digest (digest_day, digest_hour)",
            f"{WEEKDAY_NAMES[s.digest_weekday]} {s.digest_hour:02d}:00 local",
            inline=True,
        ),
        Field("Reminders", reminders, inline=True),
        Field(
            "Disabled types (disabled_types)", ", ".join(s.disabled_types) or "none", inline=True
        ),
        Field(
            "Prefer prompts the interviewer has seen (prefer_seen_prompts)",
            _yes(s.prefer_prompt_interviewer_has_seen),
            inline=True,
        ),
        Field(
            "Admins see feedback (admins_see_feedback)", _yes(s.admins_see_feedback), inline=True
        ),
        Field(
            "Admins see that blocks exist (admins_see_blocks)",
            _yes(s.admins_see_blocks),
            inline=True,
        ),
        Field("Call (call_link)", s.call_link or "a Jitsi Meet room per session", inline=True),
        Field("Coding editor (coding_editor)", s.coding_editor or "any shared editor", inline=True),
        Field(
            "Design whiteboard (design_board)",
            s.design_board or "an Excalidraw room per session",
            inline=True,
        ),
        Field(
            "Interviewer reputation in matching (reputation_weight)",
            f"{s.reputation_weight}%",
            inline=True,
        ),
        Field(
            "Voice channels (voice_category, voice_open, voice_close)",
            (
                f"in category `{s.voice_category_id}`, open {s.voice_open_minutes} min before "
                f"the start, removed {s.voice_close_minutes} min after the end"
                if s.voice_category_id
                else "none"
            ),
            inline=True,
        ),
        Field("Scheduled events (session_events)", _yes(s.session_events), inline=True),
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
    """What ``setup`` changed, and the settings after it."""
    if not change.changed:
        return settings_message(
            change.after, title="PeerLoop settings", text="Those are the settings already."
        )
    text = "Changed: " + ", ".join(change.changed) + "."
    if change.rounds_replanned:
        text += f" The next matching round is re-planned for every {change.after.match_every_minutes} minutes."
    if "session_minutes" in change.changed or "reminders" in change.changed:
        text += " Sessions booked from now on use the new length and reminders; booked ones keep theirs."
    message = settings_message(change.after, title="Settings saved", text=text)
    return OutboundMessage(
        title=message.title, text=message.text, fields=message.fields, tone=Tone.SUCCESS
    )


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
    """The community's figures over the last 7 and 30 days."""
    labels = {t.value: t.label for t in InterviewType}
    open_text = (
        ", ".join(f"{labels.get(k, k)}: {n}" for k, n in sorted(stats.open_requests.items()))
        or "none"
    )
    fields = (
        Field(
            "Members",
            f"{stats.members_with_profile} with a profile of {stats.members}",
            inline=True,
        ),
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
_SECOND_PERSON = re.compile(
    r"\b(?:(?P<are>you are)|(?P<as>as you)|(?P<your>your)|(?P<you>you))\b", re.IGNORECASE
)


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
        kind = (
            InterviewType(fb.interview_type).label
            if fb.interview_type in set(InterviewType)
            else "session"
        )
        state = "" if fb.revealed_at else " (not yet revealed to the member)"
        verdict = VERDICT_LABELS.get(fb.verdict or "", "no verdict")
        lines.append(f"{_when(fb.submitted_at)} · {kind}: {verdict}, {scores}{state}")
    return "\n".join(lines)


def member_message(report: MemberReport, extra_tracks: Mapping[str, str]) -> OutboundMessage:
    """One member for an admin: profile, reliability, no-show marks, rounds and feedback."""
    m = report.member
    tracks = {**DEFAULT_TRACKS, **extra_tracks}
    profile = (
        " · ".join(
            x
            for x in (
                tracks.get(m.track or "", m.track or ""),
                m.level.label if m.level else "",
                ", ".join(t.label for t in m.interview_types),
                m.timezone or "",
            )
            if x
        )
        or "no profile yet"
    )
    missing = m.missing_profile_fields() + ([] if m.availability else ["availability"])
    marks = (
        "\n".join(_mark_line(mark) for mark in report.no_shows[:5]) if report.no_shows else "none"
    )
    requests = (
        "\n".join(
            f"{r.interview_type.label}: left out {r.times_left_out}×"
            + (
                f" — {about_member(r.last_left_out_reason, m.display_name)}"
                if r.last_left_out_reason
                else ""
            )
            for r in report.open_requests
        )
        or "none"
    )
    rounds = (
        "\n".join(
            f"{_when(line.ran_at)}: {_round_line(line, m.display_name)}"
            for line in report.rounds[:5]
        )
        or "not in a recent round"
    )
    fields = (
        Field("Profile", profile + (f"\nMissing: {', '.join(missing)}" if missing else "")),
        Field("Reliability", f"{round(report.reliability * 100)}%", inline=True),
        Field("Active no-show marks", marks[:1000], inline=True),
        Field("Open requests", requests[:1000]),
        Field("Recent rounds (newest first)", rounds[:1000]),
        Field("Feedback from interviewers (newest first)", _feedback_lines(report)[:1000]),
        *(
            (
                Field(
                    "Notes for admins",
                    "\n".join(
                        f"{_when(fb.submitted_at)}: {fb.admin_note}"
                        for fb in report.admin_notes[:5]
                    )[:1000],
                ),
            )
            if report.admin_notes
            else ()
        ),
    )
    if report.blocks is not None:
        blocked, blocked_by = report.blocks
        fields += (
            Field(
                "Blocks (never who)",
                f"has blocked {_members(blocked)} · blocked by {_members(blocked_by)}",
                inline=True,
            ),
        )
    buttons = (
        (Button("Clear no-show marks", encode(CLEAR_NOSHOW, m.id), ButtonStyle.DANGER),)
        if report.no_shows
        else ()
    ) + tuple(end_button(s) for s in report.endable[:3])
    if report.endable:
        fields += (
            Field(
                "Sessions under way (an admin can end a stuck one)",
                "\n".join(
                    f"`{s.id}`: {s.interview_type.label}, {ts(s.start)}, {s.state.value.replace('_', ' ')}"
                    for s in report.endable[:5]
                ),
            ),
        )
    last = _round_line(report.rounds[0], m.display_name) if report.rounds else None
    text = f"Last round: {last}" if last else "Not considered in a recent round."
    return OutboundMessage(
        title=m.display_name[:80], text=text[:1500], fields=fields, buttons=buttons
    )


def _members(n: int) -> str:
    return f"{n} member" if n == 1 else f"{n} members"
