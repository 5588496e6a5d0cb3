"""``/mock export``: everything PeerLoop holds about a member that is theirs to see, as one JSON
document (``schema_version``): never another member's private data (admin-only notes,
feedback not yet revealed to them, a candidate's private self-scores)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

from bot.core.availability import format_weekly
from bot.core.clock import Clock
from bot.core.errors import NotFound
from bot.core.feedback_models import Feedback, FeedbackRole
from bot.core.messages import Attachment, OutboundMessage, Tone
from bot.core.models import Member, RoundRecord, Session
from bot.core.ports import UnitOfWorkFactory
from bot.core.services.actor import Actor

SCHEMA = "peerloop.member-export"
#: 2: ``matching_rounds`` is a summary (counts per outcome and reason, every pairing, the
#: latest rounds in detail) instead of one entry per round.
SCHEMA_VERSION = 2
#: How another member who has been forgotten is shown (the placeholder seat's name).
PLACEHOLDER_NAME = "Former member"
#: Rounds shown in detail in an export (older ones are only counted).
RECENT_ROUNDS = 10


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _name(members: dict[str, Member], member_id: str) -> str:
    member = members.get(member_id)
    return member.display_name if member else PLACEHOLDER_NAME


async def export_document(uow: UnitOfWorkFactory, clock: Clock, actor: Actor) -> dict[str, object]:
    """Everything PeerLoop keeps about the member, as one JSON-ready document."""
    me = actor.member.id
    async with uow() as tx:
        member = await tx.members.get(me)
        if member is None:
            raise NotFound("PeerLoop holds no data about you in this community.")
        requests = await tx.requests.for_member(me)
        loops = await tx.loops.for_member(me)
        sessions = await tx.sessions.for_member(me)
        feedback = await tx.feedback.for_member(me)
        no_shows = await tx.privacy.no_shows_involving(me)
        rounds = await tx.privacy.rounds_mentioning(member.community_id, me)
        invitations = await tx.friends.for_member(me)
        others: set[str] = {s.partner_of(me) for s in sessions}
        others |= {f.author_id for f in feedback} | {f.subject_id for f in feedback}
        others |= {n.reporter_id for n in no_shows} | {n.absent_id for n in no_shows}
        others |= {m for r in rounds for p in r.paired for m in p[:2]}
        others |= set(member.blocked)
        others |= {i.requester_id for i in invitations} | {i.invitee_id for i in invitations}
        names = await tx.members.get_many(sorted(others - {me}))
    names[me] = member
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "exported_at": clock.now().isoformat(),
        "community": {"name": actor.community.name, "platform": actor.community.platform.value},
        "profile": {
            "display_name": member.display_name,
            "platform": member.platform.value,
            "platform_user_id": member.external_id,
            "timezone": member.timezone,
            "track": member.track,
            "level": member.level.value if member.level else None,
            "interview_types": [t.value for t in member.interview_types],
            "languages": list(member.languages),
            "blocked": [_name(names, m) for m in member.blocked],
            "is_admin": member.is_admin,
            "created_at": _iso(member.created_at),
        },
        "availability": {
            "weekly": format_weekly(member.availability) if member.availability else None,
            "windows": [
                {"weekday": w.weekday, "start_minute": w.start, "end_minute": w.end}
                for w in (member.availability.windows if member.availability else ())
            ],
            "blackouts": [d.isoformat() for d in member.blackouts],
        },
        "digest": {"opt_out": member.digest_opt_out, "nudge_when_quiet": member.digest_nudge},
        "requests": [
            {
                "id": r.id,
                "interview_type": r.interview_type.value,
                "role": r.role.value,
                "window_start": _iso(r.window_start),
                "window_end": _iso(r.window_end),
                "created_at": _iso(r.created_at),
                "status": r.status.value,
                "live": r.live,
                "priority": r.priority,
                "times_left_out": r.times_left_out,
                "last_left_out_reason": r.last_left_out_reason,
                "session_id": r.session_id,
                "loop_id": r.loop_id,
            }
            for r in requests
        ],
        "loops": [
            {
                "id": lp.id,
                "template": lp.template_id,
                "name": lp.template_name,
                "track": lp.track,
                "level": lp.level.value,
                "rounds": [t.value for t in lp.rounds],
                "starts_at": _iso(lp.starts_at),
                "ends_at": _iso(lp.ends_at),
                "status": lp.status.value,
                "debrief": lp.debrief,
                "debriefed_at": _iso(lp.debriefed_at),
            }
            for lp in loops
        ],
        "sessions": [_session_entry(s, me, names) for s in sessions],
        "feedback_written": [_written(f, names) for f in feedback if f.author_id == me],
        "feedback_received": [
            _received(f, names)
            for f in feedback
            if f.subject_id == me and f.revealed_at is not None
        ],
        "self_assessments": [
            {
                "session_id": f.session_id,
                "part": f.part,
                "scores": dict(f.scores),
                "submitted_at": _iso(f.submitted_at),
            }
            for f in feedback
            if f.author_id == me and f.role is FeedbackRole.CANDIDATE
        ],
        "no_show_reports": {
            "about_me": [
                {
                    "session_id": n.session_id,
                    "reported_by": _name(names, n.reporter_id),
                    "reported_at": _iso(n.reported_at),
                    "cleared": n.cleared,
                }
                for n in no_shows
                if n.absent_id == me
            ],
            "by_me": [
                {
                    "session_id": n.session_id,
                    "absent": _name(names, n.absent_id),
                    "reported_at": _iso(n.reported_at),
                    "cleared": n.cleared,
                }
                for n in no_shows
                if n.reporter_id == me
            ],
        },
        "matching_rounds": _rounds_summary(rounds, me, names),
        "invitations": [
            {
                "id": i.id,
                "you": "sent" if i.requester_id == me else "received",
                "with": _name(names, i.invitee_id if i.requester_id == me else i.requester_id),
                "interview_type": i.interview_type.value,
                "requester_role": i.role.value,
                "days": i.days,
                "status": i.status.value,
                "created_at": _iso(i.created_at),
                "expires_at": _iso(i.expires_at),
                "decided_at": _iso(i.decided_at),
                "session_id": i.session_id,
            }
            for i in invitations
        ],
    }


def _session_entry(s: Session, me: str, names: dict[str, Member]) -> dict[str, object]:
    role = "both (swap)" if s.swap else ("interviewer" if s.interviewer_id == me else "candidate")
    return {
        "id": s.id,
        "interview_type": s.interview_type.value,
        "start": _iso(s.start),
        "minutes": s.minutes,
        "state": s.state.value,
        "your_role": role,
        "you_interview_first": s.interviewer_id == me,
        "partner": _name(names, s.partner_of(me)),
        "prompt_ids": list(s.prompt_ids),
        "you_confirmed": me in s.confirmed_by,
        "you_said_partner_here": me in s.here_by,
        "you_said_done": me in s.done_by,
        "created_at": _iso(s.created_at),
    }


def _written(f: Feedback, names: dict[str, Member]) -> dict[str, object]:
    return {
        "session_id": f.session_id,
        "part": f.part,
        "your_role": f.role.value,
        "about": _name(names, f.subject_id),
        "scores": dict(f.scores),
        "verdict": f.verdict,
        "help_needed": f.help_needed,
        "strengths": f.strengths,
        "improvements": f.improvements,
        "note_for_admins": f.admin_note,
        "interviewer_ratings": dict(f.interviewer_ratings),
        "prompt_quality": f.prompt_quality,
        "submitted_at": _iso(f.submitted_at),
        "updated_at": _iso(f.updated_at),
        "revealed_at": _iso(f.revealed_at),
    }


def _received(f: Feedback, names: dict[str, Member]) -> dict[str, object]:
    """What the reveal showed the member: never the author's admin note or self-scores."""
    entry: dict[str, object] = {
        "session_id": f.session_id,
        "part": f.part,
        "from": _name(names, f.author_id),
        "revealed_at": _iso(f.revealed_at),
    }
    if f.role is FeedbackRole.INTERVIEWER:
        entry.update(
            as_candidate=True,
            scores=dict(f.scores),
            verdict=f.verdict,
            help_needed=f.help_needed,
            strengths=f.strengths,
            improvements=f.improvements,
        )
    else:
        entry.update(
            as_candidate=False,
            interviewer_ratings=dict(f.interviewer_ratings),
            tip=f.improvements,
        )
    return entry


def _rounds_summary(
    rounds: list[RoundRecord], me: str, names: dict[str, Member]
) -> dict[str, object]:
    """What the matching rounds that considered the member tell them, in a size that does not
    grow with every round they waited through: counts per outcome and per reason, every round
    that paired them (one per session), and the latest rounds in detail."""
    entries = [_round_entry(r, me, names) for r in sorted(rounds, key=lambda r: r.ran_at)]
    outcomes = Counter(str(e["outcome"]) for e in entries)
    reasons: dict[str, dict[str, object]] = {}
    for e in entries:
        if e["outcome"] == "left_out":
            seen = reasons.setdefault(
                str(e["reason_code"]), {"reason_code": e["reason_code"], "rounds": 0}
            )
            rounds = int(seen["rounds"]) + 1  # type: ignore[call-overload]
            seen.update(rounds=rounds, last_reason=e["reason"], last_ran_at=e["ran_at"])
    return {
        "rounds": len(entries),
        "first_ran_at": entries[0]["ran_at"] if entries else None,
        "last_ran_at": entries[-1]["ran_at"] if entries else None,
        "outcomes": {k: outcomes.get(k, 0) for k in ("paired", "left_out", "considered")},
        "left_out_reasons": sorted(reasons.values(), key=lambda r: -int(r["rounds"])),  # type: ignore[call-overload]
        "paired": [e for e in entries if e["outcome"] == "paired"],
        "recent": entries[-RECENT_ROUNDS:],
    }


def _round_entry(r: RoundRecord, me: str, names: dict[str, Member]) -> dict[str, object]:
    entry: dict[str, object] = {"ran_at": _iso(r.ran_at), "outcome": "considered"}
    for a, b, start in r.paired:
        if me in (a, b):
            entry.update(outcome="paired", partner=_name(names, b if a == me else a), start=start)
    for member_id, code, text in r.left_out:
        if member_id == me:
            entry.update(outcome="left_out", reason_code=code, reason=text)
    return entry


def export_message(doc: dict[str, object], actor: Actor, now: datetime) -> OutboundMessage:
    """The export ``doc`` as a JSON file attached to a private message."""
    data = json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False).encode()
    day = now.date().isoformat()
    counts = ", ".join(
        f"{len(doc[k])} {label}"  # type: ignore[arg-type]
        for k, label in (
            ("sessions", "session(s)"),
            ("requests", "request(s)"),
            ("feedback_written", "feedback form(s) written"),
            ("feedback_received", "received"),
        )
    )
    return OutboundMessage(
        title="Your PeerLoop data",
        text=f"Everything PeerLoop holds about you in {actor.community.name}, as JSON: {counts}. "
        "Feedback about you that has not been shared with you yet, and notes meant for admins "
        "only, are not part of it.",
        attachments=(
            Attachment(
                f"peerloop-export-{day}.json",
                data,
                "application/json",
                "Your PeerLoop data (JSON)",
            ),
        ),
        tone=Tone.SUCCESS,
        ephemeral=True,
    )
