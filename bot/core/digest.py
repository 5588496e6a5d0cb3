"""Weekly digests, pure: when each one is due, and what it says.

A personal digest is due at the community's weekday and hour in the member's own zone
(:func:`local_due`, DST-correct through :mod:`zoneinfo`). Its week is the seven days before
that moment. The community digest covers the seven days before the same weekday and hour in
UTC. Everything here works on plain rows (:class:`DigestMember`, :class:`DigestSession`,
:class:`DigestFeedback`, :class:`DigestRequest`) fetched in a fixed number of queries per
community, so building 10,000 digests costs no more queries than building ten.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.feedback_models import FeedbackRole
from bot.core.messages import Field, OutboundMessage, Tone, ts
from bot.core.models import SessionState
from bot.core.progress import RAW_NOTE
from bot.core.vocab import InterviewType, RolePreference

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
#: Scores older than this do not count for score changes or the weakest dimension.
LOOKBACK = timedelta(days=90)
#: Streaks are counted back this many weeks at most (shown as "26+").
STREAK_WEEKS = 26
#: Feedback stays open this long after a session ends (as in the feedback service).
FEEDBACK_WINDOW = timedelta(hours=72)
#: Recent scores per dimension that make up "where you are now".
RECENT = 3
TOP_INTERVIEWERS = 5


# -- timing ------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO week (year and week number), the unit digests are computed for."""

    year: int
    week: int

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        """The ISO week ``day`` falls in."""
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def parse(cls, label: str) -> IsoWeek:
        """The week of a label such as ``2026-W49``."""
        year, _, week = label.partition("-W")
        return cls(int(year), int(week))

    @property
    def label(self) -> str:
        """The label, such as ``2026-W49``."""
        return f"{self.year}-W{self.week:02d}"

    def day(self, weekday: int) -> date:
        """The date of ``weekday`` (0 = Monday) in this week."""
        return date.fromisocalendar(self.year, self.week, weekday + 1)

    def shift(self, weeks: int) -> IsoWeek:
        """The week ``weeks`` weeks later (earlier when negative)."""
        return IsoWeek.of(self.day(0) + timedelta(weeks=weeks))


def zone(name: str | None) -> ZoneInfo:
    """The member's zone; UTC when none is set (or an unknown name slipped into storage)."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r: digests use UTC", name)
        return ZoneInfo("UTC")


def local_due(week: IsoWeek, weekday: int, hour: int, tz: str | None) -> datetime:
    """``weekday`` at ``hour`` o'clock of ``week`` in zone ``tz``, as aware UTC.

    An hour that does not exist that day (clocks go forward) comes out one hour later on the
    wall clock; an hour that happens twice (clocks go back) means its first occurrence."""
    day = week.day(weekday)
    local = datetime(day.year, day.month, day.day, hour, tzinfo=zone(tz))
    return local.astimezone(UTC)


def weeks_around(now: datetime) -> tuple[IsoWeek, ...]:
    """The ISO weeks whose digests may still be ahead at ``now`` (zones span 26 hours)."""
    this = IsoWeek.of(now.astimezone(UTC).date())
    return (this.shift(-1), this, this.shift(1))


def due_slots(
    zones: Iterable[str | None], weekday: int, hour: int, now: datetime
) -> dict[tuple[IsoWeek, datetime], list[str | None]]:
    """Every (week, due instant) still ahead of ``now`` with the zones due then."""
    slots: dict[tuple[IsoWeek, datetime], list[str | None]] = defaultdict(list)
    for week in weeks_around(now):
        for tz in sorted(set(zones), key=lambda z: z or ""):
            due = local_due(week, weekday, hour, tz)
            if due > now:
                slots[(week, due)].append(tz)
    return dict(slots)


# -- rows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestMember:
    """What a digest needs of a member."""

    id: str
    display_name: str
    timezone: str | None
    level: str | None
    digest_opt_out: bool
    digest_nudge: bool


@dataclass(frozen=True)
class DigestSession:
    """What a digest needs of a session."""

    id: str
    interview_type: str
    interviewer_id: str
    candidate_id: str
    swap: bool
    start: datetime
    minutes: int
    state: SessionState

    @property
    def end(self) -> datetime:
        """When the session ends."""
        return self.start + timedelta(minutes=self.minutes)

    def parts(self) -> tuple[tuple[int, str, str], ...]:
        """(part, interviewer, candidate) for each part."""
        one = (1, self.interviewer_id, self.candidate_id)
        return (one, (2, self.candidate_id, self.interviewer_id)) if self.swap else (one,)


@dataclass(frozen=True)
class DigestFeedback:
    """What a digest needs of one feedback form."""

    session_id: str
    part: int
    author_id: str
    subject_id: str
    role: FeedbackRole
    interview_type: str
    scores: dict[str, int]
    submitted_at: datetime
    revealed_at: datetime | None


@dataclass(frozen=True)
class DigestRequest:
    """What a digest needs of an interview request."""

    member_id: str
    interview_type: str
    role: RolePreference
    status: str
    created_at: datetime


@dataclass(frozen=True)
class DigestData:
    """What one community's digests are built from, indexed once."""

    members: dict[str, DigestMember]
    sessions: Sequence[DigestSession]
    feedback: Sequence[DigestFeedback]
    #: (member, start) of the sessions each member turned up for, for streaks: a partner's
    #: no-show breaks nobody's streak but the absent member's.
    attended: Sequence[tuple[str, datetime]] = ()
    requests: Sequence[DigestRequest] = ()
    by_member: dict[str, list[DigestSession]] = field(default_factory=dict)
    received: dict[str, list[DigestFeedback]] = field(default_factory=dict)
    #: Forms each member wrote: (session, part, as interviewer).
    written: dict[str, set[tuple[str, int, bool]]] = field(default_factory=dict)
    starts: dict[str, list[datetime]] = field(default_factory=dict)

    @cached_property
    def names(self) -> dict[str, str]:
        """Member id -> display name."""
        return {mid: m.display_name for mid, m in self.members.items()}

    @classmethod
    def index(
        cls,
        members: Iterable[DigestMember],
        sessions: Sequence[DigestSession],
        feedback: Sequence[DigestFeedback],
        attended: Sequence[tuple[str, datetime]] = (),
        requests: Sequence[DigestRequest] = (),
    ) -> DigestData:
        """Index the rows once: sessions and feedback by member, the forms each member wrote,
        their session starts."""
        by_member: dict[str, list[DigestSession]] = defaultdict(list)
        for s in sessions:
            by_member[s.interviewer_id].append(s)
            by_member[s.candidate_id].append(s)
        received: dict[str, list[DigestFeedback]] = defaultdict(list)
        written: dict[str, set[tuple[str, int, bool]]] = defaultdict(set)
        for fb in feedback:
            as_interviewer = fb.role is FeedbackRole.INTERVIEWER
            written[fb.author_id].add((fb.session_id, fb.part, as_interviewer))
            if as_interviewer and fb.revealed_at is not None:
                received[fb.subject_id].append(fb)
        starts: dict[str, list[datetime]] = defaultdict(list)
        for member_id, start in attended:
            starts[member_id].append(start)
        return cls({m.id: m for m in members}, sessions, feedback, attended, requests,
                   dict(by_member), dict(received), dict(written), dict(starts))


# -- the personal digest -----------------------------------------------------------------


@dataclass(frozen=True)
class ScoreChange:
    """A dimension's score before the week and now."""

    interview_type: str
    dimension: str
    before: float | None
    now: float


@dataclass(frozen=True)
class Focus:
    """The dimension a member should work on next, with their recent score."""

    interview_type: str
    dimension: str
    recent: float


@dataclass(frozen=True)
class PersonalDigest:
    """One member's week: sessions done, score changes, what to focus on, feedback owed, sessions
    coming, streak."""

    member_id: str
    week: IsoWeek
    due: datetime
    done: tuple[DigestSession, ...]
    changes: tuple[ScoreChange, ...]
    weakest: Focus | None
    owed: tuple[DigestSession, ...]
    upcoming: tuple[DigestSession, ...]
    streak: int

    @property
    def quiet(self) -> bool:
        """Nothing happened and nothing is coming: a nudge or nothing, as the member chose."""
        return not (self.done or self.changes or self.owed or self.upcoming)


def personal_digest(member_id: str, week: IsoWeek, due: datetime, data: DigestData) -> PersonalDigest:
    """The personal digest of ``member_id`` for the week ending at ``due``."""
    since = due - WEEK
    mine = data.by_member.get(member_id, [])
    done = tuple(sorted((s for s in mine if s.state is SessionState.COMPLETED and since <= s.start < due),
                        key=lambda s: s.start))
    upcoming = tuple(sorted(
        (s for s in mine if s.state in (SessionState.PROPOSED, SessionState.CONFIRMED) and due <= s.start < due + WEEK),
        key=lambda s: s.start))
    written = data.written.get(member_id, set())
    owed = []
    for s in mine:
        if s.state is not SessionState.COMPLETED or not (s.end <= due <= s.end + FEEDBACK_WINDOW):
            continue
        forms = [(s.id, part, member_id == iv) for part, iv, cand in s.parts() if member_id in (iv, cand)]
        if any(f not in written for f in forms):
            owed.append(s)
    changes, weakest = _scores(data.received.get(member_id, []), due)
    return PersonalDigest(member_id, week, due, done, changes, weakest, tuple(sorted(owed, key=lambda s: s.start)),
                          upcoming, streak(data.starts.get(member_id, []), due))


def _scores(received: Sequence[DigestFeedback], due: datetime) -> tuple[tuple[ScoreChange, ...], Focus | None]:
    """Score changes (this week's revealed scores against the earlier ones) and the weakest dimension."""
    since, oldest = due - WEEK, due - LOOKBACK
    earlier: dict[tuple[str, str], list[tuple[datetime, int]]] = defaultdict(list)
    new: dict[tuple[str, str], list[tuple[datetime, int]]] = defaultdict(list)
    for fb in received:
        seen = fb.revealed_at
        if seen is None or seen >= due or fb.submitted_at < oldest:
            continue
        target = new if seen >= since else earlier
        for dim, score in fb.scores.items():
            target[(fb.interview_type, dim)].append((fb.submitted_at, score))
    changes = tuple(
        ScoreChange(kind, dim, _mean(earlier[(kind, dim)]) if (kind, dim) in earlier else None, _mean(pts))
        for (kind, dim), pts in sorted(new.items())
    )
    recent: list[Focus] = []
    for key in sorted(set(earlier) | set(new)):
        pts = sorted(earlier.get(key, []) + new.get(key, []))
        recent.append(Focus(key[0], key[1], _mean(pts[-RECENT:])))
    weakest = min(recent, key=lambda f: (f.recent, f.interview_type, f.dimension), default=None)
    return changes, weakest


#: "Since last month" in the digest's picture: where a dimension stood this long before the digest.
MONTH = timedelta(days=30)


def month_changes(received: Sequence[DigestFeedback], due: datetime) -> tuple[ScoreChange, ...]:
    """Per dimension scored in the month before ``due``: the recent average (last :data:`RECENT`
    scores revealed by ``due``) against the same a month earlier (None: no score before then).
    Raw scores, as the digest shows them; dimensions with no new score this month are left out."""
    points: dict[tuple[str, str], list[tuple[datetime, datetime, int]]] = defaultdict(list)
    for fb in received:
        seen = fb.revealed_at
        if seen is None or seen >= due or fb.submitted_at < due - LOOKBACK:
            continue
        for dim, score in fb.scores.items():
            points[(fb.interview_type, dim)].append((fb.submitted_at, seen, score))
    out = []
    for (kind, dim), pts in sorted(points.items()):
        pts.sort()
        if not any(seen >= due - MONTH for _, seen, _ in pts):
            continue
        then = [(when, score) for when, seen, score in pts if seen < due - MONTH]
        now = [(when, score) for when, _, score in pts]
        out.append(ScoreChange(kind, dim, _mean(then[-RECENT:]) if then else None, _mean(now[-RECENT:])))
    return tuple(out)


def _mean(points: Sequence[tuple[datetime, int]]) -> float:
    return sum(s for _, s in points) / len(points)


def streak(starts: Iterable[datetime], due: datetime) -> int:
    """Consecutive weeks (seven-day spans back from ``due``) with at least one session the
    member turned up for."""
    weeks = {int((due - s) / WEEK) for s in starts if s < due}
    count = 0
    while count in weeks and count < STREAK_WEEKS:
        count += 1
    return count


# -- the community digest ----------------------------------------------------------------


@dataclass(frozen=True)
class TypeShortage:
    """An interview type with more candidates waiting than interviewers offering."""

    interview_type: str
    candidates: int
    interviewers: int


@dataclass(frozen=True)
class CommunityDigest:
    """A community's week for its admins: requests, matches, sessions held, no-shows, feedback,
    top interviewers and shortages."""

    week: IsoWeek
    due: datetime
    requested: int
    matched: int
    #: This week's requests that expired unmatched (withdrawn ones and open ones are left out).
    expired: int
    held: int
    no_shows: int
    feedback_expected: int
    feedback_submitted: int
    top_interviewers: tuple[tuple[str, int], ...]
    shortages: tuple[TypeShortage, ...]

    @property
    def match_rate(self) -> float | None:
        """Matched among this week's requests (a request's unit, never a session's)."""
        return self.matched / self.requested if self.requested else None

    @property
    def no_show_rate(self) -> float | None:
        """No-shows among this week's finished sessions (held or no-show); None without any."""
        finished = self.held + self.no_shows
        return self.no_shows / finished if finished else None

    @property
    def feedback_rate(self) -> float | None:
        """Feedback forms submitted among those expected; None when none were expected."""
        return self.feedback_submitted / self.feedback_expected if self.feedback_expected else None


def community_digest(week: IsoWeek, due: datetime, data: DigestData) -> CommunityDigest:
    """The community digest for the week ending at ``due``."""
    since = due - WEEK
    requests = [r for r in data.requests if since <= r.created_at < due]
    matched = sum(1 for r in requests if r.status == "matched")
    expired = sum(1 for r in requests if r.status == "expired")
    this_week = [s for s in data.sessions if since <= s.start < due]
    held = [s for s in this_week if s.state is SessionState.COMPLETED]
    no_shows = sum(1 for s in this_week if s.state is SessionState.NO_SHOW)
    # Feedback completion over the sessions whose feedback window closed this week.
    closed = [s for s in data.sessions
              if s.state is SessionState.COMPLETED and since <= s.end + FEEDBACK_WINDOW < due]
    closed_ids = {s.id for s in closed}
    submitted_forms = {(fb.session_id, fb.part, fb.role is FeedbackRole.INTERVIEWER)
                       for fb in data.feedback if fb.session_id in closed_ids}
    expected = submitted = 0
    for s in closed:
        for part, _iv, _cand in s.parts():
            for as_interviewer in (True, False):
                expected += 1
                submitted += (s.id, part, as_interviewer) in submitted_forms
    gave: dict[str, int] = defaultdict(int)
    for s in held:
        for _part, iv, _cand in s.parts():
            gave[iv] += 1

    def name(member_id: str) -> str:
        m = data.members.get(member_id)
        return m.display_name if m else "a former member"

    top = tuple(sorted(((name(m), n) for m, n in gave.items()), key=lambda p: (-p[1], p[0]))[:TOP_INTERVIEWERS])
    wants: dict[str, set[str]] = defaultdict(set)
    offers: dict[str, set[str]] = defaultdict(set)
    for r in requests:
        if r.role in (RolePreference.CANDIDATE, RolePreference.SWAP):
            wants[r.interview_type].add(r.member_id)
        if r.role in (RolePreference.INTERVIEWER, RolePreference.SWAP):
            offers[r.interview_type].add(r.member_id)
    shortages = tuple(sorted(
        (TypeShortage(kind, len(who), len(offers.get(kind, set()))) for kind, who in wants.items()
         if len(offers.get(kind, set())) < len(who)),
        key=lambda t: (t.interviewers - t.candidates, t.interview_type)))
    return CommunityDigest(week, due, len(requests), matched, expired, len(held), no_shows, expected, submitted,
                           top, shortages)


#: Weeks of the admins' funnel picture (community digest and ``/mockadmin stats``).
FUNNEL_WEEKS = 8


def funnel_weeks(due: datetime, data: DigestData, weeks: int = FUNNEL_WEEKS) -> tuple[CommunityDigest, ...]:
    """The community digest of each of the ``weeks`` seven-day spans up to ``due``, oldest first
    (``data`` must reach back that far: :func:`funnel_window`)."""
    out = []
    for k in range(weeks - 1, -1, -1):
        end = due - k * WEEK
        out.append(community_digest(IsoWeek.of((end - WEEK).date()), end, data))
    return tuple(out)


def funnel_window(due: datetime, weeks: int = FUNNEL_WEEKS) -> tuple[datetime, datetime]:
    """From when to when sessions, feedback and requests are read for :func:`funnel_weeks`
    (sessions also a week past ``due``, as the digest reads them)."""
    return due - (weeks + 1) * WEEK - FEEDBACK_WINDOW, due


# -- messages ----------------------------------------------------------------------------


def type_label(kind: str) -> str:
    """The label of an interview type value, or the value itself if it is not a known type."""
    try:
        return InterviewType(kind).label
    except ValueError:
        return kind


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


DimensionName = Callable[[str, str], str]
FocusHint = Callable[[Focus, str | None], str | None]


def personal_message(
    d: PersonalDigest, member: DigestMember, names: dict[str, str], dimension_name: DimensionName,
    focus_hint: FocusHint,
) -> OutboundMessage:
    """The digest as the member reads it (names: member id -> display name, for partners)."""
    if d.quiet:
        return OutboundMessage(
            title="Your PeerLoop week",
            text="A quiet week: no sessions, no new scores. One session a week keeps the skills warm — "
            "`/mock schedule type:coding` (or any type you practise) books the next one. "
            "`/mock digest quiet` stops these quiet-week notes; `/mock digest off` stops digests.",
            ephemeral=False)

    def partner(s: DigestSession) -> str:
        other = s.candidate_id if s.interviewer_id == member.id else s.interviewer_id
        return names.get(other, "a former member")

    fields: list[Field] = []
    if d.done:
        fields.append(Field(f"Sessions done this week ({len(d.done)})", "\n".join(
            f"- {type_label(s.interview_type)} with {partner(s)}, {ts(s.start, 'D')}" for s in d.done[:8])))
    if d.changes:
        lines = []
        for c in d.changes[:8]:
            dim = dimension_name(c.interview_type, c.dimension)
            if c.before is None:
                lines.append(f"- {type_label(c.interview_type)} · {dim}: first score {c.now:.1f}/4")
            else:
                lines.append(f"- {type_label(c.interview_type)} · {dim}: {c.before:.1f} → {c.now:.1f} "
                             f"({c.now - c.before:+.1f})")
        fields.append(Field("Score changes", "\n".join([*lines, RAW_NOTE])))
    if d.weakest is not None:
        dim = dimension_name(d.weakest.interview_type, d.weakest.dimension)
        hint = focus_hint(d.weakest, member.level)
        fields.append(Field("Suggested focus", f"{dim} in {type_label(d.weakest.interview_type)} "
                            f"(recent average {d.weakest.recent:.1f}/4)." + (f" {hint}" if hint else "")
                            + " Ask your next interviewer to watch it."))
    if d.owed:
        fields.append(Field(f"Feedback you still owe ({len(d.owed)})", "\n".join(
            f"- {type_label(s.interview_type)} with {partner(s)}; open until {ts(s.end + FEEDBACK_WINDOW)}"
            for s in d.owed[:5]) + "\n`/mock feedback` opens the forms."))
    if d.upcoming:
        fields.append(Field(f"Coming up ({len(d.upcoming)})", "\n".join(
            f"- {type_label(s.interview_type)} with {partner(s)}, {ts(s.start)}" for s in d.upcoming[:5])))
    weeks = "week" if d.streak == 1 else "weeks"
    count = f"{d.streak}+" if d.streak >= STREAK_WEEKS else str(d.streak)
    text = (f"Streak: {count} {weeks} in a row with a session." if d.streak
            else "No session this week: book one to start a streak.")
    return OutboundMessage(title="Your PeerLoop week", text=text, fields=tuple(fields[:10]), ephemeral=False)


def community_message(c: CommunityDigest) -> OutboundMessage:
    """The admins' digest message for ``c``."""
    # Requests and sessions are counted each in its own unit: a matched pair of requests is one session.
    requests = (f"{_count(c.requested, 'request')}, {c.matched} of them matched ({_pct(c.match_rate)})"
                + (f"; {c.expired} expired unmatched." if c.expired else ".")) if c.requested else "No requests."
    fields = [
        Field("Requests", requests),
        Field("Sessions", f"{_count(c.held, 'session')} held; {_count(c.no_shows, 'no-show')} "
              f"({_pct(c.no_show_rate)} of the sessions that were due)."),
        Field("Feedback", f"{c.feedback_submitted} of {c.feedback_expected} forms submitted "
              f"({_pct(c.feedback_rate)}) for sessions whose feedback closed this week."),
    ]
    if c.top_interviewers:
        fields.append(Field("Gave the most interviews", "\n".join(
            f"- {who}: {n}" for who, n in c.top_interviewers)))
    if c.shortages:
        fields.append(Field("Types short of interviewers", "\n".join(
            f"- {type_label(t.interview_type)}: {t.candidates} want to be candidates, "
            f"{t.interviewers} offered to interview" for t in c.shortages[:8])))
    return OutboundMessage(
        title=f"PeerLoop community week {c.week.label}",
        text=f"The seven days to {ts(c.due)}.",
        fields=tuple(fields), tone=Tone.INFO, ephemeral=False)


#: Slack's alt text and Discord's attachment description both stop near 1,000 characters.
ALT_TEXT_LIMIT = 1000


def _alt(lines: Sequence[str]) -> str:
    text = "\n".join(lines)
    return text if len(text) <= ALT_TEXT_LIMIT else text[:ALT_TEXT_LIMIT - 1] + "…"


def changes_alt(changes: Sequence[ScoreChange], dimension_name: DimensionName) -> str:
    """The digest picture in words (its alt text)."""
    lines = ["Your scores since last month (raw, as given; 3 = meets your target level):"]
    for c in changes:
        name = f"{type_label(c.interview_type)} · {dimension_name(c.interview_type, c.dimension)}"
        lines.append(f"- {name}: first scores this month, {c.now:.1f}" if c.before is None
                     else f"- {name}: {c.before:.1f} a month ago, {c.now:.1f} now ({c.now - c.before:+.1f})")
    return _alt(lines)


def funnel_alt(weeks: Sequence[CommunityDigest]) -> str:
    """The admins' funnel picture in words (its alt text)."""
    lines = [f"The last {len(weeks)} weeks: requests, matched, sessions held, feedback forms given."]
    for w in weeks:
        lines.append(f"- week to {w.due.day} {w.due:%b}: {w.requested} requested, {w.matched} matched, {w.held} held, "
                     f"{w.feedback_submitted} feedback forms")
    short = weeks[-1].shortages if weeks else ()
    lines.append("Short of interviewers: " + ("; ".join(
        f"{type_label(t.interview_type)} ({t.candidates} candidates, {t.interviewers} interviewers)"
        for t in short) if short else "none") + ".")
    return _alt(lines)
