"""Community administration: what admins of a community may see and change.

Every method checks the actor's admin right itself (the faces check their platform's
permission first; this is the server-side check behind it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core import room
from bot.core.clock import Clock, SystemClock
from bot.core.errors import InvalidInput, NotFound
from bot.core.feedback_models import Feedback, FeedbackRole
from bot.core.messages import Attachment, quote
from bot.core.models import (
    ActionKind,
    Community,
    CommunitySettings,
    InterviewRequest,
    Member,
    NoShowReport,
    Platform,
    RequestStatus,
    Session,
    SessionState,
)
from bot.core.packs import CommunityPrompts, thin_message
from bot.core.ports import PromptSource, UnitOfWork, UnitOfWorkFactory
from bot.core.ratings import REPUTATION_WEIGHT_RANGE
from bot.core.services.actor import Actor
from bot.core.services.delivery import PAIR_SPACE_NOTICE
from bot.core.services.digest import FunnelChart, funnel_picture, read_funnel
from bot.core.services.matching import MatchingService, reliability
from bot.core.services.rounds import schedule_next_round
from bot.core.stats import CommunityStats
from bot.core.vocab import InterviewType
from bot.matching.explain import confidential_text

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SESSION_LENGTHS = (30, 45, 60, 90)
MATCH_EVERY_RANGE = (5, 1440)
REMINDER_RANGE = (5, 7 * 24 * 60)
MAX_REMINDERS = 4
STATS_PERIODS = (7, 30)
VOICE_OPEN_RANGE = (1, 120)
VOICE_CLOSE_RANGE = (0, 240)
#: The settings only Discord has (voice channels, scheduled events).
DISCORD_ONLY = ("voice_category", "voice_open", "voice_close", "session_events")

#: Setting keys `setup` accepts (also the neutral option names every face hands over).
SETUP_OPTIONS: dict[str, str] = {
    "pair_channel": "the channel where pair threads are opened (none: the platform default)",
    "admin_channel": "the admins' channel (none: no admins' channel)",
    "digest_day": "mon..sun",
    "digest_hour": "0-23 (each member's local hour)",
    "match_every": f"minutes between matching rounds, {MATCH_EVERY_RANGE[0]}-{MATCH_EVERY_RANGE[1]}",
    "session_minutes": "/".join(str(n) for n in SESSION_LENGTHS),
    "reminders": "minutes before the start, e.g. 1440, 60, 10 (or 24h, 1h, 10m; none for no reminders)",
    "disabled_types": "interview types members may not request, comma-separated (none: all allowed)",
    "prefer_seen_prompts": "yes/no: prefer prompts the interviewer has already seen",
    "admins_see_feedback": "yes/no: admins may read members' feedback",
    "admins_see_blocks": "yes/no: admins' member view shows that blocks exist (counts, never names)",
    "call_link": "the call of every session: an https link, {room} for a fresh name each (default: a Jitsi Meet room)",
    "coding_editor": "coding types' shared editor: an https link, {room} allowed (default: any shared editor)",
    "design_board": "design types' whiteboard: an https link, {room} allowed (default: an Excalidraw room)",
    "reputation_weight": f"how much interviewers' ratings count in matching, percent {REPUTATION_WEIGHT_RANGE[0]}-{REPUTATION_WEIGHT_RANGE[1]} (100: the default; 0: not at all)",
    "voice_category": "Discord: the category where each session gets a private voice channel (none: no voice channels)",
    "voice_open": f"minutes before the start the voice channel opens, {VOICE_OPEN_RANGE[0]}-{VOICE_OPEN_RANGE[1]}",
    "voice_close": f"minutes after the end the voice channel is removed, {VOICE_CLOSE_RANGE[0]}-{VOICE_CLOSE_RANGE[1]}",
    "session_events": "yes/no (Discord): a scheduled event for each session",
}


def _neutral(request: InterviewRequest) -> InterviewRequest:
    """The request as admins see it: a reason that names the member's blocks becomes neutral."""
    if not request.last_left_out_reason:
        return request
    return replace(request, last_left_out_reason=confidential_text(request.last_left_out_reason))


@dataclass(frozen=True)
class SettingsChange:
    """What a settings change did: the settings before and after, the keys changed, and whether
    rounds were re-planned."""

    before: CommunitySettings
    after: CommunitySettings
    changed: tuple[str, ...]
    #: Pending matching rounds re-planned because the cadence changed.
    rounds_replanned: bool = False


@dataclass(frozen=True)
class NoShowMark:
    """An active no-show mark on the member, with the session it is about."""

    report: NoShowReport
    #: The session's start; None when its row is gone (a partner's data was deleted).
    session_start: datetime | None
    #: The partner's display name (the member who reported it); None when unknown.
    partner: str | None


@dataclass(frozen=True)
class RoundOutcomeLine:
    """The member in one matching round: paired (``partner``, ``start``) or left out (``reason``)."""

    ran_at: datetime
    #: Why a request was left open, as the member was told (second person); "" when paired.
    reason: str = ""
    partner: str | None = None
    start: datetime | None = None


@dataclass(frozen=True)
class MemberReport:
    """One member as admins see them: reliability, active no-show marks, open requests and recent
    round outcomes."""

    member: Member
    reliability: float
    no_shows: tuple[NoShowMark, ...]
    open_requests: tuple[InterviewRequest, ...]
    #: The member's outcomes in recent rounds, newest first.
    rounds: tuple[RoundOutcomeLine, ...]
    #: Interviewers' feedback about the member, newest first; None when the community keeps
    #: feedback private from admins (``admins_see_feedback`` off).
    feedback: tuple[Feedback, ...] | None = None
    #: Interviewers' notes meant for admins about this member, newest first (always shown to admins).
    admin_notes: tuple[Feedback, ...] = ()
    #: The member's sessions an admin may end: in progress, or past their start without starting.
    endable: tuple[Session, ...] = ()
    #: How many members this member blocked, and how many blocked them; None unless the
    #: community lets admins see that blocks exist (``admins_see_blocks``). Never who.
    blocks: tuple[int, int] | None = None


@dataclass(frozen=True)
class SettingsPatch:
    """A ``setup`` change, typed (the surface parsed the admin's text): each field named by its
    ``setup`` option, None when not given; ``reset`` names options to put back to their default."""

    pair_channel: str | None = None
    admin_channel: str | None = None
    #: 0 (Monday) to 6 (Sunday).
    digest_day: int | None = None
    digest_hour: int | None = None
    match_every: int | None = None
    session_minutes: int | None = None
    #: Minutes before the start, each in ``REMINDER_RANGE``; () for none.
    reminders: tuple[int, ...] | None = None
    disabled_types: tuple[InterviewType, ...] | None = None
    prefer_seen_prompts: bool | None = None
    admins_see_feedback: bool | None = None
    admins_see_blocks: bool | None = None
    #: The session room's links: an https link (``{room}`` allowed), or ``default``.
    call_link: str | None = None
    coding_editor: str | None = None
    design_board: str | None = None
    #: Percent of the matcher's default rating weights.
    reputation_weight: int | None = None
    #: Discord only: the voice channels' category (a channel id, or ``""`` for none), their
    #: minutes before the start and after the end, and a scheduled event per session.
    voice_category: str | None = None
    voice_open: int | None = None
    voice_close: int | None = None
    session_events: bool | None = None
    reset: frozenset[str] = frozenset()

    def given(self) -> tuple[str, ...]:
        """The options this change sets or resets, in ``SETUP_OPTIONS`` order."""
        return tuple(k for k in SETUP_OPTIONS if k in self.reset or getattr(self, k) is not None)


_FIELD_OF = {
    "pair_channel": "pair_channel_id",
    "admin_channel": "admin_channel_id",
    "digest_day": "digest_weekday",
    "digest_hour": "digest_hour",
    "match_every": "match_every_minutes",
    "session_minutes": "session_minutes",
    "reminders": "reminder_minutes",
    "disabled_types": "disabled_types",
    "prefer_seen_prompts": "prefer_prompt_interviewer_has_seen",
    "admins_see_feedback": "admins_see_feedback",
    "admins_see_blocks": "admins_see_blocks",
    "call_link": "call_link",
    "coding_editor": "coding_editor",
    "design_board": "design_board",
    "reputation_weight": "reputation_weight",
    "voice_category": "voice_category_id",
    "voice_open": "voice_open_minutes",
    "voice_close": "voice_close_minutes",
    "session_events": "session_events",
}
#: What ``reset`` puts back (the options that have a "none" or platform default).
RESETTABLE: dict[str, object] = {
    "pair_channel": None,
    "admin_channel": None,
    "reminders": (),
    "disabled_types": (),
    "call_link": None,
    "coding_editor": None,
    "design_board": None,
    "voice_category": None,
}


def _check(key: str, value: object) -> object:
    """One typed value against the setting's rule; the value as stored."""
    ranges = {
        "digest_day": (0, 6),
        "digest_hour": (0, 23),
        "match_every": MATCH_EVERY_RANGE,
        "reputation_weight": REPUTATION_WEIGHT_RANGE,
        "voice_open": VOICE_OPEN_RANGE,
        "voice_close": VOICE_CLOSE_RANGE,
    }
    if key in ranges and isinstance(value, int):
        low, high = ranges[key]
        if not low <= value <= high:
            raise InvalidInput(key, f"{value} is out of range.", accepted=f"{low}-{high}")
    if key == "session_minutes" and value not in SESSION_LENGTHS:
        raise InvalidInput(
            key,
            f"{value} minutes is not a session length.",
            accepted=", ".join(str(n) for n in SESSION_LENGTHS),
        )
    if key == "reminders" and isinstance(value, tuple):
        accepted = f"up to {MAX_REMINDERS} times, each {REMINDER_RANGE[0]} minutes to 7 days before the start"
        if len(set(value)) > MAX_REMINDERS or any(
            not REMINDER_RANGE[0] <= m <= REMINDER_RANGE[1] for m in value
        ):
            raise InvalidInput(key, "Those reminders are out of range.", accepted=accepted)
        return tuple(sorted(set(value), reverse=True))
    if key == "disabled_types" and isinstance(value, tuple):
        return tuple(sorted({InterviewType(v).value for v in value}))
    if key in ("call_link", "coding_editor", "design_board") and isinstance(value, str):
        return room.parse_link(key, value)
    if (
        key in ("pair_channel", "admin_channel", "voice_category")
        and isinstance(value, str)
        and not value
    ):
        return None
    return value


def apply_setup(
    patch: SettingsPatch, current: CommunitySettings
) -> tuple[CommunitySettings, tuple[str, ...]]:
    """Check every given value first; the new settings and the names that changed.

    Any value against a rule refuses the whole change (raised as :class:`InvalidInput` naming
    what is accepted), so nothing is half-written.
    """
    unknown = sorted(patch.reset - set(RESETTABLE))
    if unknown:
        raise InvalidInput(
            "reset", f"{', '.join(unknown)} cannot be reset.", accepted=", ".join(RESETTABLE)
        )
    changes: dict[str, object] = {}
    problems: dict[str, str] = {}
    for key in patch.given():
        try:
            value = RESETTABLE[key] if key in patch.reset else _check(key, getattr(patch, key))
        except InvalidInput as exc:
            problems[key] = f"{key}: {exc.message}"
            continue
        changes[_FIELD_OF[key]] = value
    if problems:
        raise InvalidInput(
            next(iter(problems)),
            "Nothing was changed. " + " ".join(problems.values()),
            fields=problems,
        )
    after = replace(current, **changes)  # type: ignore[arg-type]
    changed = tuple(k for k in patch.given() if _settings_differ(k, current, after))
    return after, changed


def _discord_only(community: Community, patch: SettingsPatch) -> None:
    """Voice channels and scheduled events exist on Discord only: elsewhere they are refused
    (the call link is the session's room there), and nothing is changed."""
    if community.platform is Platform.DISCORD:
        return
    asked = [k for k in DISCORD_ONLY if getattr(patch, k) is not None and k not in patch.reset]
    if asked:
        raise InvalidInput(
            asked[0],
            f"Nothing was changed. {', '.join(asked)}: voice channels and scheduled events are "
            "a Discord feature; here each session's call link is its room.",
            accepted=", ".join(k for k in SETUP_OPTIONS if k not in DISCORD_ONLY),
        )


def _settings_differ(key: str, a: CommunitySettings, b: CommunitySettings) -> bool:
    name = _FIELD_OF[key]
    return bool(getattr(a, name) != getattr(b, name))


def _instant(text: str) -> datetime | None:
    """A paired round's start as stored (ISO text); None if it cannot be read."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


class AdminService:
    """The admin rules: community settings (validated all or nothing), pausing, statistics,
    member reports and clearing no-show marks. Every call checks the admin right."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock | None = None,
        matching: MatchingService | None = None,
        *,
        prompts: PromptSource | None = None,
        digest_planner: Callable[[UnitOfWork, Community, datetime], Awaitable[int]] | None = None,
        funnel_chart: FunnelChart | None = None,
    ) -> None:
        self._uow = uow
        self._clock: Clock = clock or SystemClock()
        self._matching = matching
        #: The prompts: switching built-in types off keeps to the packs' rule.
        self.prompts = prompts
        #: Stores the digest steps for a community's current settings (the digest service's
        #: ``plan``); called after the digest day or hour changed.
        self.digest_planner = digest_planner
        #: Draws the funnel picture of ``stats`` (None: figures only).
        self.funnel_chart = funnel_chart

    async def set_paused(self, actor: Actor, paused: bool) -> None:
        """Pause or resume matching for the actor's community (booked sessions go ahead)."""
        actor.require_admin()
        async with self._uow() as tx:
            community = await tx.communities.get(actor.community.id)
            if community is None:
                raise NotFound("This community is not known to PeerLoop any more.")
            await tx.communities.save_settings(
                community.id, replace(community.settings, paused=paused)
            )

    async def settings(self, actor: Actor) -> CommunitySettings:
        """The community's current settings."""
        actor.require_admin()
        async with self._uow() as tx:
            community = await tx.communities.get(actor.community.id)
        if community is None:
            raise NotFound("This community is not known to PeerLoop any more.")
        return community.settings

    async def update_settings(self, actor: Actor, patch: SettingsPatch) -> SettingsChange:
        """Check every given setting, then write them together; a new cadence re-plans the rounds."""
        actor.require_admin()
        now = self._clock.now()
        async with self._uow() as tx:
            community = await tx.communities.get(actor.community.id)
            if community is None:
                raise NotFound("This community is not known to PeerLoop any more.")
            _discord_only(community, patch)
            after, changed = apply_setup(patch, community.settings)
            if not changed:
                return SettingsChange(community.settings, after, ())
            if {"voice_category", "session_events"} & set(changed):
                # whoever chose them hears of a missing permission, once again
                after = replace(after, voice_set_by=actor.member.id, room_notices=())
            if "pair_channel" in changed:  # a new pair channel: lost access is said once again
                after = replace(
                    after,
                    room_notices=tuple(n for n in after.room_notices if n != PAIR_SPACE_NOTICE),
                )
            if "disabled_types" in changed and isinstance(self.prompts, CommunityPrompts):
                # the same rule as `prompts disable`: a type keeps none or enough prompts
                wanted = frozenset(InterviewType(v) for v in after.disabled_types)
                thin = await self.prompts.thin_if_switched_off(tx, community, wanted)
                if thin:
                    raise InvalidInput(
                        "setup", f"Nothing was changed. disabled_types: {thin_message(thin)}"
                    )
            await tx.communities.save_settings(community.id, after)
            replanned = False
            if "match_every" in changed:
                # A round after ``now`` on the new cadence replaces the planned one (rows of rounds
                # already run keep their keys, so the new one starts after them).
                if await tx.actions.delete_pending(community.id, ActionKind.MATCH_ROUND):
                    await schedule_next_round(
                        tx, replace(community, settings=after), now + timedelta(seconds=1)
                    )
                    replanned = True
            if {"digest_day", "digest_hour"} & set(changed) and self.digest_planner is not None:
                # digest steps still ahead move to the new day and hour
                await tx.actions.delete_pending(community.id, ActionKind.DIGEST)
                await self.digest_planner(tx, replace(community, settings=after), now)
            return SettingsChange(community.settings, after, changed, replanned)

    async def stats(self, actor: Actor) -> CommunityStats:
        """The community's figures over the statistics periods."""
        actor.require_admin()
        async with self._uow() as tx:
            return await tx.stats.community_stats(
                actor.community.id, self._clock.now(), STATS_PERIODS
            )

    async def stats_picture(self, actor: Actor) -> Attachment | None:
        """The last eight weeks' funnel and the types short of interviewers, as a picture."""
        actor.require_admin()
        if self.funnel_chart is None:
            return None
        async with self._uow() as tx:
            weeks = await read_funnel(tx, actor.community.id, self._clock.now())
        return await funnel_picture(self.funnel_chart, weeks)

    async def find_member(self, actor: Actor, who: str) -> Member:
        """A member of the actor's community by mention, platform id or display name."""
        actor.require_admin()
        # The faces hand over a platform user id (a Discord user option, a Slack mention) or
        # what was typed: an id, or a display name with or without "@".
        name = who.strip().removeprefix("@").strip()
        accepted = "a mention (@name), the member's user id or their display name"
        if not name:
            raise InvalidInput("member", "Which member?", accepted=accepted)
        async with self._uow() as tx:
            member = await tx.members.find(actor.community.id, name)
            if member is None:
                member = await tx.members.find_by_name(actor.community.id, name)
        if member is None:
            raise NotFound(
                f"“{quote(who.strip())}” has not used PeerLoop in this community yet. Accepted: {accepted}."
            )
        return member

    async def member_report(self, actor: Actor, member: Member) -> MemberReport:
        """Reliability, active no-show marks, open requests and recent round outcomes."""
        actor.require_admin()
        now = self._clock.now()
        async with self._uow() as tx:
            fresh = await tx.members.get(member.id)
            if fresh is None or fresh.community_id != actor.community.id:
                raise NotFound("That member is not in this community.")
            marks = await tx.no_shows.for_members([fresh.id])
            sessions = {s.id: s for s in await tx.sessions.for_member(fresh.id)}
            records = await tx.rounds.latest(actor.community.id, limit=50)
            paired = [
                (rec.ran_at, a if b == fresh.id else b, start)
                for rec in records
                for a, b, start in rec.paired
                if fresh.id in (a, b)
            ]
            names = {
                m.id: m.display_name
                for m in (
                    await tx.members.get_many(
                        sorted(
                            {r.reporter_id for r in marks} | {partner for _, partner, _ in paired}
                        )
                    )
                ).values()
            }
            requests = [
                r for r in await tx.requests.for_member(fresh.id) if r.status is RequestStatus.OPEN
            ]
            about = [
                fb
                for fb in await tx.feedback.for_member(fresh.id)
                if fb.subject_id == fresh.id and fb.role is FeedbackRole.INTERVIEWER
            ]
            community = await tx.communities.get(actor.community.id)
            blocks = None
            if community is not None and community.settings.admins_see_blocks:
                everyone = await tx.members.list(community.id)
                blocks = (len(fresh.blocked), sum(fresh.id in m.blocked for m in everyone))
        about.sort(key=lambda fb: fb.submitted_at, reverse=True)
        visible = community.settings.admins_see_feedback if community else False
        marks.sort(key=lambda r: r.reported_at, reverse=True)
        rounds = [
            RoundOutcomeLine(when, partner=names.get(partner), start=_instant(start))
            for when, partner, start in paired
        ]
        rounds += [
            RoundOutcomeLine(rec.ran_at, reason=confidential_text(text))
            for rec in records
            for mid, _code, text in rec.left_out
            if mid == fresh.id
        ]
        return MemberReport(
            member=fresh,
            reliability=reliability([r.reported_at for r in marks], now),
            no_shows=tuple(
                NoShowMark(
                    r,
                    sessions[r.session_id].start if r.session_id in sessions else None,
                    names.get(r.reporter_id),
                )
                for r in marks
            ),
            open_requests=tuple(_neutral(r) for r in requests),
            rounds=tuple(sorted(rounds, key=lambda r: r.ran_at, reverse=True)),
            feedback=tuple(about) if visible else None,
            admin_notes=tuple(fb for fb in about if fb.admin_note),
            blocks=blocks,
            endable=tuple(
                s
                for s in sorted(sessions.values(), key=lambda s: s.start)
                if s.state is SessionState.IN_PROGRESS
                or (s.state in (SessionState.PROPOSED, SessionState.CONFIRMED) and s.start <= now)
            ),
        )

    async def clear_no_shows(self, actor: Actor, member_id: str) -> tuple[Member, int]:
        """Clear a member's active no-show marks (reliability back to full); the count cleared."""
        actor.require_admin()
        async with self._uow() as tx:
            member = await tx.members.get(member_id)
            if member is None or member.community_id != actor.community.id:
                raise NotFound("That member is not in this community.")
            return member, await tx.no_shows.clear_for(member.id)
