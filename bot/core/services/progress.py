"""``/mock progress`` and ``/mock history``: what a member's revealed feedback says over time.

Only feedback already revealed to the member counts (never what is still hidden), plus the
member's own self-scores. Rater offsets are estimated from the community's revealed scores.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from datetime import datetime
from typing import Generic, TypeVar

from bot.core.bank import VERDICT_LABELS
from bot.core.clock import Clock
from bot.core.digest import type_label
from bot.core.dimension_names import dimension_names
from bot.core.errors import NotFound
from bot.core.feedback_models import FeedbackRole
from bot.core.messages import Attachment, Field, OutboundMessage, ts
from bot.core.models import SessionState
from bot.core.ports import PromptSource, UnitOfWorkFactory
from bot.core.progress import (
    CALIBRATED_NOTE,
    TREND_RULE,
    Calibration,
    DimensionProgress,
    MemberProgress,
    calibrate,
    member_progress,
)
from bot.core.ratings import community_mean, smoothed
from bot.core.services.actor import Actor
from bot.core.services.matching import parts_played, reliability

#: Draws the progress picture: the report and the rubric's dimension names by (type, dimension id).
ChartRenderer = Callable[[MemberProgress, Mapping[tuple[str, str], str]], bytes]
RatingsVersion = tuple[int, datetime | None, datetime | None]
#: Slack's alt text and Discord's attachment description both stop near 1,000 characters.
ALT_TEXT_LIMIT = 1000


V = TypeVar("V")


class PictureCache(Generic[V]):
    """The last picture drawn per member, valid until a newer score is revealed to them.

    Keyed on the member's latest reveal time and how many scored forms they have had revealed (two
    reveals can share an instant): a newly revealed score changes the key, so the next
    ``/mock progress`` draws again. (The community's calibration moves a little with every reveal
    anywhere; a member's picture follows it at their own next reveal.) Bounded: the least
    recently used pictures go first."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._items: OrderedDict[str, tuple[Hashable, V]] = OrderedDict()

    def get(self, member_id: str, latest_reveal: Hashable) -> V | None:
        """The member's cached picture if it is still current for ``latest_reveal``."""
        item = self._items.get(member_id)
        if item is None or item[0] != latest_reveal:
            return None
        self._items.move_to_end(member_id)
        return item[1]

    def put(self, member_id: str, latest_reveal: Hashable, png: V) -> None:
        """Remember the member's picture for ``latest_reveal`` (the least recently used drop
        out)."""
        self._items[member_id] = (latest_reveal, png)
        self._items.move_to_end(member_id)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


def self_assessment(report: MemberProgress) -> str:
    """How the member's last self-scores compared with their interviewer's, in one sentence."""
    gap = round(report.self_gap[-1][1], 1)
    if gap == 0:
        sentence = "Your last self-scores matched your interviewer's."
    else:
        word = "higher" if gap > 0 else "lower"
        sentence = f"Your last self-scores were {abs(gap):.1f} {word} than your interviewer's."
    trend = report.self_gap_trend_per_30_days
    if trend is not None:
        sentence += f" The gap's trend: {trend:+.2f}/month."
    return sentence


def _fit(lines: list[str], limit: int) -> str:
    """Whole lines up to ``limit`` characters, the last one kept (it explains the others)."""
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    tail = lines[-1]
    kept: list[str] = []
    for line in lines[:-1]:
        if len("\n".join([*kept, line, "…", tail])) > limit:
            break
        kept.append(line)
    return "\n".join([*kept, "…", tail])


class ProgressService:
    """``/mock progress`` and ``/mock history``: the member's calibrated scores, trends,
    readiness and picture."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        chart: ChartRenderer | None = None,
        prompts: PromptSource | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        #: community id -> (ratings version, calibration); see ``report``.
        self._calibrations: dict[str, tuple[RatingsVersion, Calibration]] = {}
        #: community id -> (ratings version, the calibration being computed): requests that
        #: miss the cache at the same moment share one computation.
        self._calibrating: dict[str, tuple[RatingsVersion, asyncio.Task[Calibration]]] = {}
        self._chart = chart
        self._prompts = prompts
        self.pictures: PictureCache[bytes] = PictureCache()
        #: How many progress pictures were drawn (cache misses), for tests and metrics.
        self.drawn = 0

    async def balance(self, actor: Actor) -> Field:
        """Interviews given and taken in completed sessions, and the member's no-show record:
        only the member who did not show carries a no-show, never the partner who reported it."""
        me = actor.member.id
        async with self._uow() as tx:
            sessions = await tx.sessions.for_member(me)
            marks = [r for r in await tx.no_shows.for_members([me]) if r.absent_id == me]
        given = taken = 0
        for s in sessions:
            if s.state is SessionState.COMPLETED:
                as_interviewer, as_candidate = parts_played(s, me)
                given, taken = given + as_interviewer, taken + as_candidate
        score = reliability([r.reported_at for r in marks], self._clock.now())
        record = (
            f"{len(marks)} no-show mark(s); reliability {round(score * 100)}% (marks fade over a few weeks)"
            if marks
            else "no no-show marks"
        )
        return Field(
            "Balance and reliability",
            f"Interviews given: {given} · taken as candidate: {taken}; {record}.",
        )

    async def interviewer_rating(self, actor: Actor) -> Field:
        """How candidates rate the member as an interviewer: revealed ratings only, smoothed
        toward the community's mean as matching uses them (bot/core/ratings.py)."""
        async with self._uow() as tx:
            totals = await tx.feedback.interviewer_rating_totals(actor.community.id)
        mine = smoothed(actor.member.id, totals)
        if mine.raw is None:
            return Field(
                "As an interviewer",
                "No ratings yet: candidates rate their interviewers after each "
                "session, and better-rated interviewers are matched first.",
            )
        count = "1 rating" if mine.ratings == 1 else f"{mine.ratings} ratings"
        return Field(
            "As an interviewer",
            f"{mine.smoothed:.1f}/4 from {count} (preparation, usefulness, would practise again). "
            f"Your own average is {mine.raw:.1f}; while ratings are few it is weighed with the "
            f"community's {community_mean(totals):.1f}. Better-rated interviewers are matched first.",
        )

    async def report(self, actor: Actor) -> MemberProgress:
        """The member's progress report."""
        return (await self._report(actor))[0]

    async def _report(self, actor: Actor) -> tuple[MemberProgress, tuple[datetime | None, int]]:
        """The report and the picture's cache key: the latest reveal among the member's scores
        and how many were revealed."""
        me = actor.member.id
        cid = actor.community.id
        async with self._uow() as tx:
            # The community's rater calibration is computed again only when a score was
            # revealed or edited since (one aggregate query tells); the member's own rows
            # are read alone.
            version = await tx.feedback.ratings_version(cid)
            rows = await tx.feedback.for_member(me)
        calibration = await self._calibration(cid, version)
        mine = [
            f
            for f in rows
            if (
                f.subject_id == me
                and f.role is FeedbackRole.INTERVIEWER
                and f.revealed_at is not None
            )
            or (f.author_id == me and f.role is FeedbackRole.CANDIDATE)
        ]
        revealed = [f.revealed_at for f in mine if f.revealed_at is not None]
        return member_progress(me, mine, calibration), (max(revealed, default=None), len(revealed))

    async def _calibration(self, cid: str, version: RatingsVersion) -> Calibration:
        """The community's calibration at ``version``: cached, or computed once however many
        requests ask at the same moment, on a thread (about 1.7 s of CPU with 100,000 feedback
        rows, which would hold the event loop; see docs/scaling.md)."""
        cached = self._calibrations.get(cid)
        if cached is not None and cached[0] == version:
            return cached[1]
        running = self._calibrating.get(cid)
        if running is None or running[0] != version:
            running = (version, asyncio.create_task(self._compute_calibration(cid, version)))
            self._calibrating[cid] = running
        # shield: one asker giving up (a cancelled interaction) does not cancel the others'.
        return await asyncio.shield(running[1])

    async def _compute_calibration(self, cid: str, version: RatingsVersion) -> Calibration:
        try:
            async with self._uow() as tx:
                obs = await tx.feedback.rating_observations(cid)
            calibration = await asyncio.to_thread(calibrate, obs)
            self._calibrations[cid] = (version, calibration)
            return calibration
        finally:
            if (current := self._calibrating.get(cid)) is not None and current[0] == version:
                del self._calibrating[cid]

    def dimension_names(self, report: MemberProgress) -> dict[tuple[str, str], str]:
        """(type, dimension id) -> the rubric's name for it (the id when no rubric names it), in
        the rubric's order (the picture's panels follow it)."""
        names: dict[tuple[str, str], str] = {}
        for kind in sorted({d.interview_type for d in report.dimensions}):
            if self._prompts is None:
                continue
            try:
                named = dimension_names(self._prompts, kind)
            except (KeyError, ValueError, LookupError):
                continue
            names.update({(kind, dim_id): name for dim_id, name in named.items()})
        for d in report.dimensions:
            names.setdefault((d.interview_type, d.dimension), d.dimension)
        return names

    async def picture(
        self, actor: Actor, report: MemberProgress, latest_reveal: Hashable, alt: str
    ) -> Attachment | None:
        """The progress picture, drawn off the event loop unless the cache has it."""
        if self._chart is None or not report.dimensions:
            return None
        me = actor.member.id
        png = self.pictures.get(me, latest_reveal)
        if png is None:
            png = await asyncio.to_thread(self._chart, report, self.dimension_names(report))
            self.drawn += 1
            self.pictures.put(me, latest_reveal, png)
        return Attachment("peerloop-progress.png", png, "image/png", alt[:ALT_TEXT_LIMIT])

    async def progress(self, actor: Actor, *, chart: bool = True) -> OutboundMessage:
        """The summary, and the chart as a PNG attachment unless ``chart`` is false (the Slack
        App Home shows no uploads, so it asks for the summary alone: nothing is drawn)."""
        report, latest = await self._report(actor)
        balance = await self.balance(actor)
        rated = await self.interviewer_rating(actor)
        if not report.dimensions:
            return OutboundMessage(
                text="No scores yet: your progress appears once feedback on a session "
                "has been shared with you.",
                fields=(balance, rated),
            )
        fields = [balance, rated]
        names = self.dimension_names(report)
        for r in report.readiness:
            extra = (
                f"; work on {names.get((r.interview_type, r.weakest), r.weakest)}"
                if r.weakest
                else ""
            )
            fields.append(
                Field(
                    f"{type_label(r.interview_type)}: {r.status}",
                    f"recent average {r.score:.1f}/4{extra}.",
                )
            )
        lines = [
            f"- {type_label(d.interview_type)} · {names[(d.interview_type, d.dimension)]}: "
            f"{d.recent:.1f} recent, {d.mean:.1f} overall"
            + (
                f", trend {d.trend_per_30_days:+.2f}/month"
                if d.trend_per_30_days is not None
                else ""
            )
            for d in report.dimensions
        ]
        if any(d.trend_per_30_days is None for d in report.dimensions):
            lines.append(TREND_RULE)
        fields.append(Field("Dimensions", _fit(lines, 1000)))
        if report.self_gap:
            fields.append(Field("Self-assessment", self_assessment(report)))

        def named(d: DimensionProgress | None) -> str:
            return names[(d.interview_type, d.dimension)] if d else "—"

        text = (
            f"{report.sessions_scored} scored part(s). Strongest: {named(report.strongest)}; "
            f"weakest: {named(report.weakest)}. {CALIBRATED_NOTE}"
        )
        attachments: tuple[Attachment, ...] = ()
        if chart:
            alt = _fit(
                [
                    f"Your scores per rubric dimension, {CALIBRATED_NOTE[:-1].lower()}; 3 = meets your "
                    "target level.",
                    *lines,
                ],
                ALT_TEXT_LIMIT,
            )
            attachment = await self.picture(actor, report, latest, alt)
            attachments = (attachment,) if attachment else ()
        return OutboundMessage(
            title="Your progress", text=text, fields=tuple(fields[:10]), attachments=attachments
        )

    def _prompt_title(self, prompt_id: str) -> str | None:
        if self._prompts is None:
            return None
        try:
            return self._prompts.get(prompt_id).title
        except NotFound:
            return None

    async def history(self, actor: Actor) -> OutboundMessage:
        """``/mock history``: the member's past sessions with their prompts and outcomes."""
        me = actor.member.id
        async with self._uow() as tx:
            rows = [
                f
                for f in await tx.feedback.for_member(me)
                if f.subject_id == me
                and f.role is FeedbackRole.INTERVIEWER
                and f.revealed_at is not None
            ]
            authors = await tx.members.get_many(sorted({f.author_id for f in rows}))
            sessions = {s.id: s for s in await tx.sessions.for_member(me)}
        if not rows:
            return OutboundMessage(
                text="No shared feedback yet. It appears here after each session's reveal."
            )
        fields = []
        for fb in sorted(rows, key=lambda f: f.submitted_at, reverse=True)[:10]:
            avg = sum(fb.scores.values()) / max(1, len(fb.scores))
            who = authors[fb.author_id].display_name if fb.author_id in authors else "a member"
            session = sessions.get(fb.session_id)
            prompt = (
                self._prompt_title(session.prompt_ids[fb.part - 1])
                if session and 0 < fb.part <= len(session.prompt_ids)
                else None
            )
            fields.append(
                Field(
                    f"{fb.interview_type} with {who}, {ts(fb.submitted_at, 'D')}",
                    (f"Prompt: {prompt}. " if prompt else "")
                    + f"Average {avg:.1f}/4; verdict {VERDICT_LABELS.get(fb.verdict or '', '—')}.",
                )
            )
        return OutboundMessage(
            title="Your history",
            text=f"{len(rows)} session part(s) with feedback.",
            fields=tuple(fields),
        )
