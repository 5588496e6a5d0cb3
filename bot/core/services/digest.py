"""Weekly digests: planned as stored steps, built from a fixed number of queries, sent once.

Planning (:meth:`DigestService.plan`) stores one ``DIGEST`` step per community and due
instant: members whose zones put the community's weekday and hour at the same UTC moment
share a step (Berlin and Paris do; Kolkata has its own half-hour). A second step per week
posts the community digest to the admins' channel at the weekday and hour in UTC. Keys are
deterministic (``digest:<community>:<week>:…``), so planning twice stores nothing new, and
each message has an outbox key per member (or community) per ISO week, so a step that runs
twice — a retry, a restart, two workers — sends nothing twice. Every digest step plans the
weeks around it again, so the schedule carries on by itself; a restart finds the rows.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.digest import (
    LOOKBACK,
    STREAK_WEEKS,
    WEEK,
    CommunityDigest,
    DigestData,
    DigestMember,
    Focus,
    IsoWeek,
    PersonalDigest,
    ScoreChange,
    changes_alt,
    community_digest,
    community_message,
    due_slots,
    funnel_alt,
    funnel_weeks,
    funnel_window,
    local_due,
    month_changes,
    personal_digest,
    personal_message,
    weeks_around,
)
from bot.core.dimension_names import dimension_names
from bot.core.errors import InvalidInput, NotFound
from bot.core.gc_pause import collection_paused, without_collection
from bot.core.loop_debrief import Debrief, digest_line
from bot.core.messages import Attachment, Field, OutboundMessage, PictureRef, Tone, quote, ts
from bot.core.models import ActionKind, ActionStatus, Community, ScheduledAction
from bot.core.ports import PromptSource, UnitOfWork, UnitOfWorkFactory
from bot.core.services.actor import Actor, new_id
from bot.core.services.outbox import queue_direct, queue_space
from bot.core.vocab import Level

log = logging.getLogger(__name__)

#: A digest step later than this is skipped (next week's will come): stale news helps nobody.
LATE_LIMIT = timedelta(hours=24)
MEMBERS = "members"
COMMUNITY = "community"
CHOICES = {
    "off": "Digests are off. `/mock digest on` brings them back.",
    "on": "Digests are on.",
    "nudge": "Digests are on, with a short nudge in weeks with nothing to report.",
    "quiet": "Digests are on; weeks with nothing to report send nothing.",
}


#: The pictures a digest carries, drawn when it is delivered (``DigestService.draw``).
MONTH_PICTURE = "digest.month"
FUNNEL_PICTURE = "digest.funnel"


def month_picture_ref(changes: Sequence[ScoreChange]) -> PictureRef:
    """The month-of-change picture as the outbox stores it: the figures to draw, a few
    hundred bytes instead of the picture's tens of kilobytes."""
    return PictureRef(
        MONTH_PICTURE,
        json.dumps(
            {"changes": [[c.interview_type, c.dimension, c.before, c.now] for c in changes]},
            separators=(",", ":"),
        ),
    )


def funnel_picture_ref(community_id: str, due: datetime) -> PictureRef:
    """The admins' funnel picture as the outbox stores it: whose and up to when (the figures
    are read again when it is drawn; they end at ``due``, so they do not move meanwhile)."""
    return PictureRef(
        FUNNEL_PICTURE, json.dumps({"community": community_id, "due": due.isoformat()})
    )


def member_outbox_key(member_id: str, week: IsoWeek) -> str:
    """The outbox key of a member's digest for a week (one digest per member and week)."""
    return f"digest:{member_id}:{week.label}"


def community_outbox_key(community_id: str, week: IsoWeek) -> str:
    """The outbox key of a community's admin digest for a week."""
    return f"digest:community:{community_id}:{week.label}"


@dataclass(frozen=True)
class WeekDigests:
    """Every digest of one community for one week (what :meth:`DigestService.compute_week` builds)."""

    personal: tuple[PersonalDigest, ...]
    community: CommunityDigest
    #: Distinct due instants of the personal digests (one stored step each).
    slots: int
    data: DigestData


#: Draws the digest's month-of-change picture (changes, rubric names by (type, dimension id)).
ChangesChart = Callable[[Sequence[ScoreChange], Mapping[tuple[str, str], str]], bytes]
#: Draws the admins' funnel picture (one community digest per week, oldest first).
FunnelChart = Callable[[Sequence[CommunityDigest]], bytes]


async def read_funnel(
    tx: UnitOfWork, community_id: str, due: datetime
) -> tuple[CommunityDigest, ...]:
    """The last eight weeks' community digests up to ``due`` (three queries)."""
    start, end = funnel_window(due)
    repo = tx.digests
    sessions = await repo.sessions(community_id, start, end + WEEK)
    feedback = await repo.feedback(community_id, start, end, None, recent_from=start)
    requests = await repo.requests(community_id, start, end)
    return funnel_weeks(due, DigestData.index((), sessions, feedback, (), requests))


async def funnel_picture(chart: FunnelChart, weeks: Sequence[CommunityDigest]) -> Attachment:
    """The funnel picture, drawn off the event loop, with its figures as alt text."""
    png = await asyncio.to_thread(chart, weeks)
    return Attachment("peerloop-community.png", png, "image/png", funnel_alt(weeks))


def wants(digest: PersonalDigest, member: DigestMember) -> bool:
    """Whether the member gets this digest: always unless the week was quiet and they chose nothing."""
    return not (digest.quiet and not member.digest_nudge)


class DigestService:
    """The weekly digests: planning their steps, building each member's and the admins' digest,
    and the member's digest settings (``/mock digest``)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        prompts: PromptSource,
        *,
        changes_chart: ChangesChart | None = None,
        funnel_chart: FunnelChart | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._prompts = prompts
        self._names: dict[tuple[str, str], str] = {}
        #: Pictures (None: digests go without): drawn only for digests being sent.
        self.changes_chart = changes_chart
        self.funnel_chart = funnel_chart

    # -- planning --------------------------------------------------------------------------

    async def ensure_planned(self, community: Community) -> int:
        """Store the digest steps still ahead for the weeks around now (idempotent)."""
        async with self._uow() as tx:
            return await self.plan(tx, community, self._clock.now())

    async def plan(self, tx: UnitOfWork, community: Community, now: datetime) -> int:
        """Store every digest step still ahead of ``now``; returns how many were new."""
        s = community.settings
        added = 0
        zones = await tx.digests.zones(community.id)
        for (week, due), slot_zones in sorted(
            due_slots(zones, s.digest_weekday, s.digest_hour, now).items(), key=lambda kv: kv[0][1]
        ):
            added += await tx.actions.add(
                ScheduledAction(
                    id=new_id(),
                    key=f"digest:{community.id}:{week.label}:{MEMBERS}:{due:%Y%m%dT%H%MZ}",
                    kind=ActionKind.DIGEST,
                    community_id=community.id,
                    due_at=due,
                    payload={
                        "scope": MEMBERS,
                        "week": week.label,
                        "zones": [z or "UTC" for z in slot_zones],
                    },
                )
            )
        for week in weeks_around(now):
            due = local_due(week, s.digest_weekday, s.digest_hour, None)
            if due > now:
                added += await tx.actions.add(
                    ScheduledAction(
                        id=new_id(),
                        key=f"digest:{community.id}:{week.label}:{COMMUNITY}",
                        kind=ActionKind.DIGEST,
                        community_id=community.id,
                        due_at=due,
                        payload={"scope": COMMUNITY, "week": week.label},
                    )
                )
        return added

    # -- the scheduled step ----------------------------------------------------------------

    async def run_step(
        self, tx: UnitOfWork, action: ScheduledAction, now: datetime
    ) -> tuple[ActionStatus, str | None]:
        """Run one stored digest step (the step runner's hook): queue the messages, plan ahead."""
        scope, label = action.payload.get("scope"), action.payload.get("week")
        if scope not in (MEMBERS, COMMUNITY) or not isinstance(label, str):
            return ActionStatus.SKIPPED, "not a digest step (no scope or week)"
        community = await tx.communities.get(action.community_id)
        if community is None:
            return ActionStatus.SKIPPED, "community gone"
        await self.plan(tx, community, now)
        if now - action.due_at > LATE_LIMIT:
            return ActionStatus.SKIPPED, (
                f"too late to be useful ({int((now - action.due_at).total_seconds() // 3600)}"
                " h late); next week's digest follows"
            )
        week = IsoWeek.parse(label)
        if scope == COMMUNITY:
            return await self._community_step(tx, community, week, action.due_at, now)
        return await self._members_step(tx, community, week, action.due_at, now)

    async def _members_step(
        self, tx: UnitOfWork, community: Community, week: IsoWeek, due: datetime, now: datetime
    ) -> tuple[ActionStatus, str | None]:
        s = community.settings
        members = await tx.digests.members(community.id)
        dues: dict[str | None, datetime] = {}
        recipients = []
        for m in members:
            if m.digest_opt_out:
                continue
            if m.timezone not in dues:
                dues[m.timezone] = local_due(week, s.digest_weekday, s.digest_hour, m.timezone)
            if dues[m.timezone] == due:
                recipients.append(m)
        if not recipients:
            return ActionStatus.DONE, None
        zones = sorted({m.timezone for m in recipients}, key=lambda z: z or "")
        data = await self._fetch(tx, community.id, due, due, members, zones)
        # Building thousands of digests is pure Python: on a thread, so the loop gets its turn
        # every few milliseconds (docs/scaling.md, "Event-loop lag").
        # The month-of-change picture is drawn when each digest is delivered: the message
        # carries what to draw (docs/scaling.md, "Digest pictures").
        messages = await asyncio.to_thread(
            without_collection(self._personal_messages), recipients, week, due, data
        )
        queued = 0
        for m, message in messages:
            queued += await queue_direct(
                tx,
                key=member_outbox_key(m.id, week),
                community_id=community.id,
                member_id=m.id,
                now=now,
                message=message,
            )
        log.debug(
            "digests %s for %s at %s: %d queued for %d member(s)",
            week.label,
            community.id,
            due.isoformat(),
            queued,
            len(recipients),
        )
        return ActionStatus.DONE, None

    async def _community_step(
        self, tx: UnitOfWork, community: Community, week: IsoWeek, due: datetime, now: datetime
    ) -> tuple[ActionStatus, str | None]:
        channel = community.settings.admin_channel_id
        if not channel:
            return ActionStatus.SKIPPED, (
                "no admins' channel set (admin_channel_id): the community digest was not posted"
            )
        members = await tx.digests.members(community.id)
        data = await self._fetch(tx, community.id, due, due, members, None)
        ratings = await tx.feedback.interviewer_rating_totals(community.id)
        digest = await asyncio.to_thread(community_digest, week, due, data, ratings)
        message = community_message(digest)
        if self.funnel_chart is not None:
            message = replace(message, pictures=(funnel_picture_ref(community.id, due),))
        await queue_space(
            tx,
            key=community_outbox_key(community.id, week),
            community_id=community.id,
            space_ref=channel,
            now=now,
            message=message,
        )
        return ActionStatus.DONE, None

    # -- building --------------------------------------------------------------------------

    def _personal_messages(
        self, recipients: Sequence[DigestMember], week: IsoWeek, due: datetime, data: DigestData
    ) -> list[tuple[DigestMember, OutboundMessage]]:
        """(member, message) for each recipient who gets a digest this week; a digest with
        news carries its month-of-change picture's reference when the month changed anything."""
        out = []
        for m in recipients:
            digest = personal_digest(m.id, week, due, data)
            if wants(digest, m):
                message = self.message(digest, m, data)
                if self.changes_chart is not None and not digest.quiet:
                    changes = month_changes(data.received.get(m.id, []), due)
                    if changes:
                        message = replace(message, pictures=(month_picture_ref(changes),))
                out.append((m, message))
        return out

    async def _fetch(
        self,
        tx: UnitOfWork,
        community_id: str,
        first_due: datetime,
        last_due: datetime,
        members: Sequence[DigestMember],
        zones: Sequence[str | None] | None,
    ) -> DigestData:
        """Everything the digests due between ``first_due`` and ``last_due`` need: five queries
        (the fifth: the mock loops debriefed around the weeks)."""
        repo = tx.digests
        sessions = await repo.sessions(community_id, first_due - 2 * WEEK, last_due + WEEK)
        attended = await repo.attended_starts(
            community_id, first_due - (STREAK_WEEKS + 1) * WEEK, last_due
        )
        feedback = await repo.feedback(
            community_id,
            first_due - LOOKBACK - WEEK,
            last_due,
            zones,
            recent_from=first_due - 2 * WEEK,
        )
        requests = await repo.requests(community_id, first_due - WEEK, last_due)
        loops: dict[str, list[tuple[datetime, str]]] = {}
        for loop in await tx.loops.debriefed_between(community_id, first_due - WEEK, last_due):
            if loop.debrief is not None and loop.debriefed_at is not None:
                line = digest_line(loop.template_name, Debrief.from_json(loop.debrief))
                loops.setdefault(loop.member_id, []).append((loop.debriefed_at, line))
        data = await asyncio.to_thread(
            without_collection(DigestData.index), members, sessions, feedback, attended, requests
        )
        return replace(data, loops={k: tuple(v) for k, v in loops.items()})

    async def compute_week(self, community_id: str, week: IsoWeek) -> WeekDigests:
        """Every personal digest (each at its member's own due time) and the community digest
        for ``week``, from one fixed set of queries (what the benchmark measures)."""
        async with self._uow() as tx:
            community = await tx.communities.get(community_id)
            if community is None:
                raise NotFound("No such community.")
            s = community.settings
            members = await tx.digests.members(community_id)
            due_by_zone: dict[str | None, datetime] = {}
            for m in members:
                if m.timezone not in due_by_zone:
                    due_by_zone[m.timezone] = local_due(
                        week, s.digest_weekday, s.digest_hour, m.timezone
                    )
            community_due = local_due(week, s.digest_weekday, s.digest_hour, None)
            instants = [*due_by_zone.values(), community_due]
            data = await self._fetch(tx, community_id, min(instants), max(instants), members, None)
            ratings = await tx.feedback.interviewer_rating_totals(community_id)
        with (
            collection_paused()
        ):  # thousands of objects, none garbage until the end (bot/core/gc_pause.py)
            personal = tuple(
                personal_digest(m.id, week, due_by_zone[m.timezone], data)
                for m in members
                if not m.digest_opt_out
            )
        return WeekDigests(
            personal,
            community_digest(week, community_due, data, ratings),
            len({due_by_zone[m.timezone] for m in members if not m.digest_opt_out}),
            data,
        )

    def messages(self, week: WeekDigests) -> list[tuple[str, OutboundMessage]]:
        """(member id, message) for every member who gets a digest this week."""
        members = week.data.members
        with collection_paused():
            return [
                (d.member_id, self.message(d, members[d.member_id], week.data))
                for d in week.personal
                if wants(d, members[d.member_id])
            ]

    def message(
        self, digest: PersonalDigest, member: DigestMember, data: DigestData
    ) -> OutboundMessage:
        """The personal digest as a message to the member."""
        return personal_message(digest, member, data.names, self._dimension_name, self._focus_hint)

    async def draw(self, ref: PictureRef) -> Attachment | None:
        """A digest's picture, drawn as the digest is delivered (the delivery worker's hook),
        off the event loop. None: not a digest picture, or no drawer set in this process."""
        params = json.loads(ref.data)
        if ref.kind == MONTH_PICTURE:
            changes = tuple(
                ScoreChange(str(t), str(d), None if b is None else float(b), float(n))
                for t, d, b, n in params["changes"]
            )
            return await self.changes_attachment(changes)
        if ref.kind == FUNNEL_PICTURE and self.funnel_chart is not None:
            async with self._uow() as tx:
                weeks = await read_funnel(
                    tx, str(params["community"]), datetime.fromisoformat(params["due"])
                )
            return await funnel_picture(self.funnel_chart, weeks)
        return None

    async def changes_picture(
        self, member_id: str, due: datetime, data: DigestData
    ) -> Attachment | None:
        """The month-of-change picture (None: nothing changed this month, or no chart drawer
        set), drawn off the event loop."""
        return await self.changes_attachment(month_changes(data.received.get(member_id, []), due))

    async def changes_attachment(self, changes: Sequence[ScoreChange]) -> Attachment | None:
        """The month-of-change picture of ``changes`` with its figures as alt text, drawn off the
        event loop (None: no change, or no chart drawer set in this process)."""
        if self.changes_chart is None or not changes:
            return None
        names = {
            (c.interview_type, c.dimension): self._dimension_name(c.interview_type, c.dimension)
            for c in changes
        }
        png = await asyncio.to_thread(self.changes_chart, changes, names)
        return Attachment(
            "peerloop-month.png", png, "image/png", changes_alt(changes, self._dimension_name)
        )

    def _dimension_name(self, interview_type: str, dimension: str) -> str:
        key = (interview_type, dimension)
        if key not in self._names:
            try:
                self._names[key] = dimension_names(self._prompts, interview_type).get(
                    dimension, dimension
                )
            except (KeyError, ValueError, LookupError):
                self._names[key] = dimension
        return self._names[key]

    def _focus_hint(self, focus: Focus, level: str | None) -> str | None:
        try:
            dim = self._prompts.rubric_for_type(focus.interview_type).dimension(focus.dimension)
        except (KeyError, ValueError, LookupError):
            return None
        try:
            expected = dim.expectations[Level(level)] if level else None
        except ValueError:
            expected = None
        return f"At your level: {expected}" if expected else dim.description

    # -- /mock digest ----------------------------------------------------------------------

    async def command(self, actor: Actor, options: Mapping[str, str]) -> OutboundMessage:
        """``/mock digest`` shows the setting, the next delivery and the week so far;
        ``/mock digest off|on|nudge|quiet`` changes the setting."""
        unknown = set(options) - {"set"}
        if unknown:
            raise InvalidInput(
                "digest",
                f"Unknown option(s): {', '.join(sorted(unknown))}.",
                accepted="off, on, nudge or quiet, e.g. `/mock digest quiet`",
            )
        choice = options.get("set", "").strip().lower()
        if choice:
            return await self.choose(actor, choice)
        return await self.preview(actor)

    async def choose(self, actor: Actor, choice: str) -> OutboundMessage:
        """Set the member's digest choice (off, on, nudge or quiet) and plan the digest steps."""
        if choice not in CHOICES:
            raise InvalidInput(
                "digest",
                f"“{quote(choice)}” is not a digest setting.",
                accepted="off (no digests), on, nudge (a short note in quiet weeks), "
                "quiet (nothing in quiet weeks)",
            )
        async with self._uow() as tx:
            member = await tx.members.get(actor.member.id, for_update=True)
            if member is None:
                raise NotFound("You are not a member of this community any more.")
            changes: dict[str, object] = {"digest_opt_out": choice == "off"}
            if choice in ("nudge", "quiet"):
                changes["digest_nudge"] = choice == "nudge"
            await tx.members.save(replace(member, **changes))  # type: ignore[arg-type]
            if choice != "off":
                await self.plan(tx, actor.community, self._clock.now())
        return OutboundMessage(text=CHOICES[choice], tone=Tone.SUCCESS)

    async def preview(self, actor: Actor) -> OutboundMessage:
        """The member's digest for the week so far, as it would be sent now."""
        now = self._clock.now()
        async with self._uow() as tx:
            community = await tx.communities.get(actor.community.id) or actor.community
            member = await tx.members.get(actor.member.id)
            if member is None:
                raise NotFound("You are not a member of this community any more.")
            members = await tx.digests.members(community.id)
            data = await self._fetch(tx, community.id, now, now, members, [member.timezone])
            await self.plan(tx, community, now)  # idempotent: the member's zone has its step
        me = data.members.get(member.id)
        s = community.settings
        upcoming = min(
            (
                due
                for w in weeks_around(now)
                if (due := local_due(w, s.digest_weekday, s.digest_hour, member.timezone)) > now
            ),
            default=None,
        )
        if member.digest_opt_out:
            setting = "off (`/mock digest on` to get them)"
        else:
            setting = "on, " + (
                "with a nudge in quiet weeks" if member.digest_nudge else "silent in quiet weeks"
            )
        fields = [Field("Setting", setting)]
        if upcoming is not None and not member.digest_opt_out:
            fields.append(Field("Next digest", f"{ts(upcoming)} ({ts(upcoming, 'R')})"))
        if me is None:
            return OutboundMessage(title="Weekly digest", fields=tuple(fields))
        digest = personal_digest(me.id, IsoWeek.of(now.date()), now, data)
        so_far = self.message(digest, me, data)
        return OutboundMessage(
            title="Weekly digest: your last seven days",
            text=so_far.text,
            fields=(*fields, *so_far.fields)[:10],
        )
