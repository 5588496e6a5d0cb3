"""What members read about invitations to practise with a chosen member, and admins about hand
pairing. No text ever says a member blocked another: an impossible pair "can't be arranged"."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.friend_models import FriendRequest, FriendStatus
from bot.core.messages import Button, OutboundMessage, Tone, ts
from bot.core.models import Member, Session
from bot.core.services.requests import MAX_DAYS
from bot.core.vocab import InterviewType, RolePreference

TITLE = "Practice invitation"


def invitation_key(request_id: str) -> str:
    """The outbox key of the invitation sent to the invited member (edits refer to it)."""
    return f"friend:{request_id}:invitation"


def _their_side(role: RolePreference) -> str:
    """The session as the invited member reads it, from the requester's role."""
    return {
        RolePreference.SWAP: "you interview each other",
        RolePreference.CANDIDATE: "you interview them",
        RolePreference.INTERVIEWER: "they interview you",
    }[role]


def _round_hint(kind: InterviewType) -> str:
    return f"`/mock schedule {kind.value}` pairs you with another peer in the next round."


def profile_first(missing: list[str]) -> str:
    """The requester's own profile is not complete."""
    return (
        "Before inviting someone, set your "
        + ", ".join(missing)
        + " (`/mock profile`, `/mock availability`)."
    )


def switched_off(kind: InterviewType) -> str:
    """The type has no prompts in the community."""
    return f"{kind.label} interviews are switched off in this community by its admins."


def already_invited(friend: Member, kind: InterviewType, until: datetime) -> str:
    """A second invitation to the same member for the same type."""
    return (
        f"You already invited {friend.display_name} to {kind.label}; they have until "
        f"{ts(until, 'f')} to answer."
    )


def too_many(limit: int) -> str:
    """Too many invitations waiting."""
    return (
        f"You have {limit} invitations waiting for an answer already. Wait for one, or "
        "withdraw one, before sending another."
    )


def cannot_arrange(friend: Member, kind: InterviewType, days: int) -> str:
    """The pair is impossible right now, for whatever reason (a block reads the same)."""
    return (
        f"A {kind.label} session with {friend.display_name} can't be arranged in the next "
        f"{days} days, so no invitation was sent. More availability (`/mock availability`) "
        f"or a longer window (`days:{MAX_DAYS}`) may help; or {_round_hint(kind)}"
    )


def invitation(
    request: FriendRequest, requester: Member, buttons: tuple[Button, ...]
) -> OutboundMessage:
    """The invitation the invited member answers."""
    kind = request.interview_type
    return OutboundMessage(
        title=TITLE,
        text=(
            f"**{requester.display_name}** would like to practise **{kind.label}** with you "
            f"({_their_side(request.role)}). If you accept, PeerLoop books you both at your "
            f"first common time in the next {request.days} days, by your availability. "
            f"Answer by {ts(request.expires_at, 'f')}."
        ),
        buttons=buttons,
        ephemeral=False,
    )


def invited(request: FriendRequest, friend: Member, withdraw: Button) -> OutboundMessage:
    """The requester's answer: the invitation is on its way."""
    return OutboundMessage(
        title="Invitation sent",
        text=(
            f"{friend.display_name} is asked to practise **{request.interview_type.label}** with "
            f"you. You'll get a message when they answer (they have until "
            f"{ts(request.expires_at, 'f')})."
        ),
        tone=Tone.SUCCESS,
        buttons=(withdraw,),
    )


def settled_note(status: FriendStatus) -> str:
    """A press on an invitation another press or the lapse already settled."""
    return {
        FriendStatus.BOOKED: "This invitation was accepted already.",
        FriendStatus.UNARRANGED: "This invitation was accepted already.",
        FriendStatus.DECLINED: "This invitation was declined.",
        FriendStatus.CANCELLED: "This invitation was withdrawn.",
        FriendStatus.EXPIRED: "This invitation lapsed.",
        FriendStatus.PENDING: "This invitation is still waiting for an answer.",
    }[status]


def booked(session: Session, requester: Member) -> str:
    """The invited member's answer after accepting."""
    return (
        f"Booked: **{session.interview_type.label}** with {requester.display_name}, "
        f"{ts(session.start, 'F')} ({ts(session.start, 'R')}). The details are in your pair space."
    )


def booked_note(session: Session) -> str:
    """What the accepted invitation shows under it."""
    return f"Accepted: booked for {ts(session.start, 'f')}."


def accepted(session: Session, friend: Member) -> OutboundMessage:
    """To the requester: their invitation was accepted and booked."""
    return OutboundMessage(
        title=f"{friend.display_name} accepted",
        text=(
            f"Your **{session.interview_type.label}** session with {friend.display_name} is "
            f"booked for {ts(session.start, 'F')} ({ts(session.start, 'R')}). "
            "The details are in your pair space."
        ),
        tone=Tone.SUCCESS,
        ephemeral=False,
    )


def not_booked(other: Member, request: FriendRequest, *, no_common_time: bool) -> str:
    """To either member: accepted, but nothing could be booked (never says why beyond time)."""
    kind = request.interview_type
    if no_common_time:
        return (
            f"You and {other.display_name} have no common time in the next {request.days} days "
            "(by both availabilities, blackout dates and other sessions), so nothing was booked. "
            "Next step: widen your availability (`/mock availability`) and invite again, or "
            + _round_hint(kind)
        )
    return (
        f"A {kind.label} session with {other.display_name} can't be arranged right now, so "
        "nothing was booked. " + _round_hint(kind)
    )


def declined(request: FriendRequest, friend: Member) -> OutboundMessage:
    """To the requester, kindly: the invited member can't make it."""
    kind = request.interview_type
    return OutboundMessage(
        title=TITLE,
        text=(
            f"{friend.display_name} can't practise {kind.label} with you this time, and that's "
            f"fine: timing doesn't always work out. {_round_hint(kind)}"
        ),
        ephemeral=False,
    )


def lapsed(request: FriendRequest, friend: Member, within: timedelta) -> OutboundMessage:
    """To the requester, kindly: no answer in time."""
    kind = request.interview_type
    hours = int(within.total_seconds() // 3600)
    return OutboundMessage(
        title=TITLE,
        text=(
            f"Your {kind.label} invitation to {friend.display_name} had no answer within "
            f"{hours} hours, so it lapsed; people get busy. {_round_hint(kind)}"
        ),
        ephemeral=False,
    )


def invitation_closed(
    request: FriendRequest, requester: Member, status: FriendStatus
) -> OutboundMessage:
    """The invited member's copy once it can't be answered any more (no buttons)."""
    why = (
        f"{requester.display_name} withdrew this invitation."
        if status is FriendStatus.CANCELLED
        else "This invitation lapsed without an answer; nothing was booked."
    )
    return OutboundMessage(
        title=TITLE,
        text=f"{requester.display_name} asked to practise {request.interview_type.label}. {why}",
        ephemeral=False,
    )


def hand_paired(session: Session, other: Member) -> OutboundMessage:
    """To each member an admin paired by hand."""
    return OutboundMessage(
        title=f"{session.interview_type.label} session booked",
        text=(
            f"An admin paired you with {other.display_name}: **{session.interview_type.label}**, "
            f"{ts(session.start, 'F')} ({ts(session.start, 'R')}). "
            "The details are in your pair space."
        ),
        tone=Tone.SUCCESS,
        ephemeral=False,
    )


def admin_booked(session: Session, a: Member, b: Member) -> OutboundMessage:
    """The admin's answer to a hand pairing that was booked."""
    return OutboundMessage(
        title="Paired",
        text=(
            f"{a.display_name} and {b.display_name}: **{session.interview_type.label}** at "
            f"{ts(session.start, 'F')}, their first common time. Both are told; the session "
            "runs like any other (confirm, reminders, feedback)."
        ),
        tone=Tone.SUCCESS,
    )


def admin_not_ready(member: Member) -> str:
    """Hand pairing refused: a member's profile is not complete."""
    return (
        f"{member.display_name} can't be paired yet: their profile or availability is not "
        "complete (`/mock profile`, `/mock availability`)."
    )


def admin_why_not(a: Member, b: Member, days: int, code: str) -> str:
    """Hand pairing refused: why, as far as an admin may know (a block is never named)."""
    names = f"{a.display_name} and {b.display_name}"
    if code in ("no_free_times", "no_shared_times"):
        return (
            f"{names} have no common time in the next {days} days (by both availabilities, "
            f"blackout dates and other sessions). Try `days:{MAX_DAYS}`, or ask them to widen "
            "their availability."
        )
    if code == "roles_do_not_fit":
        return f"{names} can't be paired with those roles. Try `role:swap`."
    if code == "suspended":
        return f"{names} can't be paired now: one of them is suspended from matching (`reports`)."
    if code == "levels_do_not_fit":
        return f"{names} are too far apart in level for a one-way session. Try `role:swap`."
    return f"{names} can't be arranged as a pair."
