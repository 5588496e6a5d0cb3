"""Digests as messages: the personal and the community digest, and the pictures' alt texts."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.digest.community import CommunityDigest
from bot.core.digest.personal import STREAK_WEEKS, Focus, PersonalDigest, ScoreChange
from bot.core.digest.rows import DigestMember, DigestSession
from bot.core.digest.timing import FEEDBACK_WINDOW
from bot.core.messages import Field, OutboundMessage, Tone, ts
from bot.core.progress import RAW_NOTE
from bot.core.vocab import InterviewType


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
    d: PersonalDigest,
    member: DigestMember,
    names: dict[str, str],
    dimension_name: DimensionName,
    focus_hint: FocusHint,
) -> OutboundMessage:
    """The digest as the member reads it (names: member id -> display name, for partners)."""
    if d.quiet:
        return OutboundMessage(
            title="Your PeerLoop week",
            text="A quiet week: no sessions, no new scores. One session a week keeps the skills warm — "
            "`/mock schedule type:coding` (or any type you practise) books the next one. "
            "`/mock digest quiet` stops these quiet-week notes; `/mock digest off` stops digests.",
            ephemeral=False,
        )

    def partner(s: DigestSession) -> str:
        other = s.candidate_id if s.interviewer_id == member.id else s.interviewer_id
        return names.get(other, "a former member")

    fields: list[Field] = []
    if d.loops:  # the week's biggest news comes first
        fields.append(Field("Mock loop debrief", "\n".join(f"- {line}" for line in d.loops[:3])))
    if d.done:
        fields.append(
            Field(
                f"Sessions done this week ({len(d.done)})",
                "\n".join(
                    f"- {type_label(s.interview_type)} with {partner(s)}, {ts(s.start, 'D')}"
                    for s in d.done[:8]
                ),
            )
        )
    if d.changes:
        lines = []
        for c in d.changes[:8]:
            dim = dimension_name(c.interview_type, c.dimension)
            if c.before is None:
                lines.append(f"- {type_label(c.interview_type)} · {dim}: first score {c.now:.1f}/4")
            else:
                lines.append(
                    f"- {type_label(c.interview_type)} · {dim}: {c.before:.1f} → {c.now:.1f} "
                    f"({c.now - c.before:+.1f})"
                )
        fields.append(Field("Score changes", "\n".join([*lines, RAW_NOTE])))
    if d.weakest is not None:
        dim = dimension_name(d.weakest.interview_type, d.weakest.dimension)
        hint = focus_hint(d.weakest, member.level)
        fields.append(
            Field(
                "Suggested focus",
                f"{dim} in {type_label(d.weakest.interview_type)} "
                f"(recent average {d.weakest.recent:.1f}/4)."
                + (f" {hint}" if hint else "")
                + " Ask your next interviewer to watch it.",
            )
        )
    if d.owed:
        fields.append(
            Field(
                f"Feedback you still owe ({len(d.owed)})",
                "\n".join(
                    f"- {type_label(s.interview_type)} with {partner(s)}; open until {ts(s.end + FEEDBACK_WINDOW)}"
                    for s in d.owed[:5]
                )
                + "\n`/mock feedback` opens the forms.",
            )
        )
    if d.upcoming:
        fields.append(
            Field(
                f"Coming up ({len(d.upcoming)})",
                "\n".join(
                    f"- {type_label(s.interview_type)} with {partner(s)}, {ts(s.start)}"
                    for s in d.upcoming[:5]
                ),
            )
        )
    weeks = "week" if d.streak == 1 else "weeks"
    count = f"{d.streak}+" if d.streak >= STREAK_WEEKS else str(d.streak)
    text = (
        f"Streak: {count} {weeks} in a row with a session."
        if d.streak
        else "No session this week: book one to start a streak."
    )
    return OutboundMessage(
        title="Your PeerLoop week", text=text, fields=tuple(fields[:10]), ephemeral=False
    )


def community_message(c: CommunityDigest) -> OutboundMessage:
    """The admins' digest message for ``c``."""
    # Requests and sessions are counted each in its own unit: a matched pair of requests is one session.
    requests = (
        (
            f"{_count(c.requested, 'request')}, {c.matched} of them matched ({_pct(c.match_rate)})"
            + (f"; {c.expired} expired unmatched." if c.expired else ".")
        )
        if c.requested
        else "No requests."
    )
    fields = [
        Field("Requests", requests),
        Field(
            "Sessions",
            f"{_count(c.held, 'session')} held; {_count(c.no_shows, 'no-show')} "
            f"({_pct(c.no_show_rate)} of the sessions that were due).",
        ),
        Field(
            "Feedback",
            f"{c.feedback_submitted} of {c.feedback_expected} forms submitted "
            f"({_pct(c.feedback_rate)}) for sessions whose feedback closed this week.",
        ),
    ]
    if c.top_interviewers:
        fields.append(
            Field(
                "Top interviewers (rating shrunk toward the community's mean)",
                "\n".join(
                    f"- {t.name}: {t.rating:.1f}/4 from {_count(t.ratings, 'rating')}"
                    + (f", {_count(t.this_week, 'interview')} this week" if t.this_week else "")
                    for t in c.top_interviewers
                ),
            )
        )
    if c.shortages:
        fields.append(
            Field(
                "Types short of interviewers",
                "\n".join(
                    f"- {type_label(t.interview_type)}: {t.candidates} want to be candidates, "
                    f"{t.interviewers} offered to interview"
                    for t in c.shortages[:8]
                ),
            )
        )
    return OutboundMessage(
        title=f"PeerLoop community week {c.week.label}",
        text=f"The seven days to {ts(c.due)}.",
        fields=tuple(fields),
        tone=Tone.INFO,
        ephemeral=False,
    )


#: Slack's alt text and Discord's attachment description both stop near 1,000 characters.
ALT_TEXT_LIMIT = 1000


def _alt(lines: Sequence[str]) -> str:
    text = "\n".join(lines)
    return text if len(text) <= ALT_TEXT_LIMIT else text[: ALT_TEXT_LIMIT - 1] + "…"


def changes_alt(changes: Sequence[ScoreChange], dimension_name: DimensionName) -> str:
    """The digest picture in words (its alt text)."""
    lines = ["Your scores since last month (raw, as given; 3 = meets your target level):"]
    for c in changes:
        name = f"{type_label(c.interview_type)} · {dimension_name(c.interview_type, c.dimension)}"
        lines.append(
            f"- {name}: first scores this month, {c.now:.1f}"
            if c.before is None
            else f"- {name}: {c.before:.1f} a month ago, {c.now:.1f} now ({c.now - c.before:+.1f})"
        )
    return _alt(lines)


def funnel_alt(weeks: Sequence[CommunityDigest]) -> str:
    """The admins' funnel picture in words (its alt text)."""
    lines = [
        f"The last {len(weeks)} weeks: requests, matched, sessions held, feedback forms given."
    ]
    for w in weeks:
        lines.append(
            f"- week to {w.due.day} {w.due:%b}: {w.requested} requested, {w.matched} matched, {w.held} held, "
            f"{w.feedback_submitted} feedback forms"
        )
    short = weeks[-1].shortages if weeks else ()
    lines.append(
        "Short of interviewers: "
        + (
            "; ".join(
                f"{type_label(t.interview_type)} ({t.candidates} candidates, {t.interviewers} interviewers)"
                for t in short
            )
            if short
            else "none"
        )
        + "."
    )
    return _alt(lines)
