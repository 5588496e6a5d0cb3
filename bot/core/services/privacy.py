"""``/mock export`` and ``/mock forget-me``: a member's data, handed over or deleted.

Export is a JSON document (``schema_version``) with everything PeerLoop holds about the
member that is theirs to see: never another member's private data (admin-only notes,
feedback not yet revealed to them, a candidate's private self-scores). The document is built
in :mod:`bot.core.services.privacy_export`.

Forget-me asks first; the confirm button is bound to the member who asked (their member
id and a fingerprint of their platform identity) and expires. Then one transaction:
upcoming sessions are cancelled as a normal cancellation (the partner is told and gets a
priority rematch) and deleted, since they never took place; past sessions stay for the
partner with the forgotten member's seat given to an anonymous placeholder member
("Former member"); requests, feedback they wrote or that is about them, no-show reports,
pending steps and messages addressed to them, and finally the member row itself are
deleted. A partner's own self-scores survive, stripped of what they said about the
forgotten interviewer. Any failure rolls the whole erasure back. What their sessions hold
on the platform (a voice channel whose permissions name them, the event of a session that
will not take place) is removed after the commit by a stored ``ROOM_REMOVE`` step that
holds only the platform's references (:func:`bot.core.services.session_voice.room_removal`).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core.actions import Action, encode
from bot.core.clock import Clock
from bot.core.errors import Conflict, NotFound, PermissionDenied
from bot.core.feedback_models import FeedbackRole
from bot.core.messages import Button, ButtonStyle, FormValues, OutboundMessage, Tone, ts
from bot.core.models import PLACEHOLDER_PREFIX, Member, Session, SessionState
from bot.core.ports import UnitOfWork, UnitOfWorkFactory
from bot.core.services.actor import Actor, new_id
from bot.core.services.outbox import queue_direct
from bot.core.services.privacy_export import PLACEHOLDER_NAME, export_document, export_message
from bot.core.services.session_plan import PRE_START_STATES
from bot.core.services.session_voice import room_removal
from bot.core.services.sessions import invite_for, reopen_request

#: How long a "Delete my data" button stays valid.
CONFIRM_TTL = timedelta(minutes=15)
#: What a forgotten member's id becomes in stored matching rounds.
ROUND_PLACEHOLDER = "former-member"
FORGET_VERB = "privacy.forget"
KEEP_VERB = "privacy.keep"


def fingerprint(member: Member) -> str:
    """A short, stable tag for a platform identity in one community (not a secret: it only lets
    a confirm click from the same person be recognised after their member row is gone)."""
    return hashlib.sha256(f"{member.community_id}:{member.external_id}".encode()).hexdigest()[:16]


class PrivacyService:
    """The member's data rights: ``/mock export-my-data`` and ``/mock forget-me`` (with a
    confirmation that only the member can press)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    # -- export ---------------------------------------------------------------------------

    async def export_document(self, actor: Actor) -> dict[str, object]:
        """Everything PeerLoop keeps about the member, as one JSON-ready document."""
        return await export_document(self._uow, self._clock, actor)

    async def export(self, actor: Actor) -> OutboundMessage:
        """The export as a JSON file attached to a private message."""
        return export_message(await self.export_document(actor), actor, self._clock.now())

    # -- forget-me ------------------------------------------------------------------------

    async def _blocking_session(self, tx: UnitOfWork, member_id: str) -> Session | None:
        for s in await tx.sessions.for_member(member_id, active_only=True):
            if s.state is SessionState.IN_PROGRESS:
                return s
        return None

    async def ask_forget(self, actor: Actor) -> OutboundMessage:
        """Ask the member to confirm forgetting, with what will be deleted and what is kept."""
        me = actor.member.id
        now = self._clock.now()
        async with self._uow() as tx:
            if (running := await self._blocking_session(tx, me)) is not None:
                raise Conflict(
                    f"Your session of {ts(running.start)} is in progress. Run `/mock forget-me` "
                    "again once it has ended."
                )
            sessions = await tx.sessions.for_member(me)
            requests = await tx.requests.open_for_member(me)
            counts = await tx.privacy.count_rows(actor.community.id, me)
        upcoming = [s for s in sessions if s.state in PRE_START_STATES]
        past = len(sessions) - len(upcoming)
        lines = [
            "This deletes everything PeerLoop holds about you in this community and cannot be undone:",
            "- your profile, availability and digest settings",
            f"- your requests ({len(requests)} open: withdrawn)",
            f"- {len(upcoming)} upcoming session(s): cancelled; your partner is told and gets priority",
            f"- {past} past session(s): your partner keeps their side, with you shown as “{PLACEHOLDER_NAME}”",
            f"- {counts['feedback']} feedback form(s) you wrote or that are about you, "
            f"{counts['no_show_reports']} no-show report(s), and messages waiting for you",
            "Want a copy first? Run `/mock export`.",
        ]
        issued = str(int(now.timestamp()))
        return OutboundMessage(
            title="Delete all your PeerLoop data?",
            text="\n".join(lines),
            buttons=(
                Button(
                    "Delete my data",
                    encode(FORGET_VERB, me, issued, fingerprint(actor.member)),
                    ButtonStyle.DANGER,
                ),
                Button("Keep my data", encode(KEEP_VERB, me), ButtonStyle.SECONDARY),
            ),
            tone=Tone.WARNING,
            ephemeral=True,
        )

    async def keep(self, actor: Actor, member_id: str) -> OutboundMessage:
        """The member chose to keep their data: nothing changes."""
        if member_id != actor.member.id:
            raise PermissionDenied(
                "This button belongs to someone else's request. Nothing was changed."
            )
        return OutboundMessage(
            text="Nothing was deleted. Your data stays as it is.", tone=Tone.SUCCESS
        )

    async def confirm_forget(
        self, actor: Actor, member_id: str, issued: str, tag: str
    ) -> OutboundMessage:
        """Forget the member (their confirmation checked): their data deleted, their sessions
        kept under a placeholder."""
        now = self._clock.now()
        if tag != fingerprint(actor.member):
            raise PermissionDenied(
                "This button belongs to someone else: only the member who asked can confirm. "
                "Nothing was deleted. To delete your own data, run `/mock forget-me`."
            )
        try:
            issued_at = datetime.fromtimestamp(int(issued), tz=now.tzinfo)
        except (ValueError, OverflowError, OSError):
            raise NotFound("That button is not valid. Run `/mock forget-me` again.") from None
        async with self._uow() as tx:
            # The community's round lock first: a matching round (or a pair booked by hand)
            # running now books the member before they go, and one starting later does not
            # find them; then the member row: a second click waits here, then finds it gone.
            await tx.rounds.lock_community(actor.community.id)
            member = (
                await tx.members.get(member_id) if await tx.privacy.lock_member(member_id) else None
            )
            if member is None:
                # Already forgotten (a second click). The face may just have re-created an empty
                # member for this click: remove it too, so nothing of theirs is stored again.
                if actor.member.id != member_id and await self._is_empty(tx, actor):
                    await tx.members.delete(actor.member.id)
                return OutboundMessage(
                    text="Your data has already been deleted.", tone=Tone.SUCCESS
                )
            if member.id != actor.member.id or fingerprint(member) != tag:
                raise PermissionDenied("This button belongs to someone else. Nothing was deleted.")
            if now - issued_at > CONFIRM_TTL or issued_at - now > timedelta(minutes=1):
                raise Conflict(
                    "This confirmation has expired (buttons last 15 minutes). Nothing was deleted; "
                    "run `/mock forget-me` again."
                )
            if (running := await self._blocking_session(tx, member.id)) is not None:
                raise Conflict(
                    f"Your session of {ts(running.start)} is in progress. Nothing was deleted; "
                    "run `/mock forget-me` again once it has ended."
                )
            await self._erase(tx, member, now)
        return OutboundMessage(
            title="Your data is deleted",
            text="PeerLoop no longer holds your profile, availability, requests, feedback or reports in "
            "this community. Partners keep their side of past sessions with you shown as "
            f"“{PLACEHOLDER_NAME}”. Using `/mock` again starts a new, empty profile.",
            tone=Tone.SUCCESS,
        )

    @staticmethod
    async def _is_empty(tx: UnitOfWork, actor: Actor) -> bool:
        fresh = await tx.members.get(actor.member.id)
        if (
            fresh is None
            or fresh.timezone
            or fresh.track
            or fresh.level
            or fresh.interview_types
            or fresh.availability
        ):
            return False
        counts = await tx.privacy.count_rows(actor.community.id, actor.member.id)
        return all(v == 0 for k, v in counts.items() if k != "members")

    async def _erase(self, tx: UnitOfWork, member: Member, now: datetime) -> None:
        me = member.id
        sessions = await tx.sessions.for_member(me)
        requests = await tx.requests.for_member(me)
        request_ids = [r.id for r in requests]
        feedback = await tx.feedback.for_member(me)
        # A session that has not started (even if its start step is late) never took place.
        upcoming = [s for s in sessions if s.state in PRE_START_STATES]
        kept = [s for s in sessions if s not in upcoming]
        await self._remove_rooms(tx, sessions, upcoming, now)
        # What stays stored (messages already sent, calendar files) shows this instead of the member.
        forgotten = member.with_changes(
            display_name=PLACEHOLDER_NAME, external_id=ROUND_PLACEHOLDER
        )
        # 1. Upcoming sessions: a normal cancellation for the partner (priority rematch, a
        #    calendar cancellation), then the session goes (it never took place).
        for s in upcoming:
            members = await tx.members.get_many(s.member_ids)
            partner_id = s.partner_of(me)
            cancelled = Session(
                **{**s.__dict__, "state": SessionState.CANCELLED, "sequence": s.sequence + 1}
            )
            await reopen_request(tx, s, partner_id, now, priority=True)
            await queue_direct(
                tx,
                key=f"{s.id}:cancelled:forget",
                community_id=s.community_id,
                member_id=partner_id,
                now=now,
                message=OutboundMessage(
                    title="Session cancelled",
                    # Not by name: the member is being forgotten, this message stays stored.
                    text=f"Your partner can't make it. The {ts(s.start)} session is off.\n"
                    "You get priority in the next matching round.",
                    tone=Tone.WARNING,
                    pictures=(
                        invite_for(
                            cancelled,
                            {**members, me: forgotten},
                            now,
                            cancelled=True,
                            label="Calendar cancellation",
                        ),
                    ),
                    ephemeral=False,
                ),
            )
        await tx.privacy.delete_pending_session_posts([s.id for s in sessions])
        await tx.privacy.delete_sessions([s.id for s in upcoming])
        # 2. Past sessions stay for the partner, with an anonymous placeholder in the member's seat.
        if kept:
            placeholder = Member(
                id=new_id(),
                community_id=member.community_id,
                platform=member.platform,
                external_id=f"{PLACEHOLDER_PREFIX}{new_id()[:24]}",
                display_name=PLACEHOLDER_NAME,
                digest_opt_out=True,
                digest_nudge=False,
                created_at=now,
            )
            await tx.members.add(placeholder)
            for s in kept:
                await tx.actions.cancel_for_session(s.id, now)
            await tx.privacy.reassign_sessions(
                [s.id for s in kept], me, placeholder.id, request_ids
            )
            # The partner's own self-scores survive; their ratings of the forgotten interviewer do not.
            partner_self = [
                f.id
                for f in feedback
                if f.subject_id == me and f.author_id != me and f.role is FeedbackRole.CANDIDATE
            ]
            await tx.privacy.anonymise_feedback_subject(partner_self, placeholder.id)
        else:
            partner_self = []
        # 3. Everything else that is theirs or about them.
        await tx.privacy.delete_feedback([f.id for f in feedback if f.id not in partner_self])
        await tx.privacy.delete_no_shows(me)
        await tx.privacy.delete_pending_actions(me, request_ids)
        await tx.privacy.delete_requests(me)
        await tx.privacy.delete_outbox_for(me)
        # Half-filled forms hold what they typed (keyed by platform identity: all of them go).
        await tx.form_drafts.delete_for_owner(member.platform, member.external_id)
        await tx.privacy.scrub_rounds(member.community_id, me, ROUND_PLACEHOLDER)
        # Messages already sent (announcements, reminders, the partner's feedback requests and
        # reveals) keep their record, without the member's name or platform id.
        await tx.privacy.scrub_outbox(
            member.community_id,
            [s.id for s in sessions],
            {member.display_name: PLACEHOLDER_NAME, member.external_id: ROUND_PLACEHOLDER},
        )
        await tx.members.delete(me)

    @staticmethod
    async def _remove_rooms(
        tx: UnitOfWork, sessions: list[Session], upcoming: list[Session], now: datetime
    ) -> None:
        """What the member's sessions hold on the platform (a voice channel whose permission
        overwrites name them, an event of a session that will not take place) goes through a
        stored ``ROOM_REMOVE`` step, run after this transaction commits and retried like any
        step: the steps that would have removed them go with the sessions' rows or are
        cancelled below. Each session is locked first, so a voice or event step running now
        has saved what it made before it is read."""
        pending = await tx.privacy.pending_room_steps([s.id for s in sessions])
        called_off = {s.id for s in upcoming}
        ids = called_off | {s.id for s in sessions if s.voice_ref}
        ids |= {a.session_id for a in pending if a.session_id is not None}
        locked = [fresh for sid in sorted(ids) if (fresh := await tx.sessions.get_for_update(sid))]
        pending = await tx.privacy.pending_room_steps([s.id for s in locked])
        for session in locked:
            steps = [a for a in pending if a.session_id == session.id]
            removal = room_removal(session, steps, now, called_off=session.id in called_off)
            if removal is not None:
                await tx.actions.add(removal)
            if session.voice_ref and session.id not in called_off:  # kept: its channel goes now
                await tx.sessions.save(replace(session, voice_ref=None, voice_url=None))

    # -- button routing -------------------------------------------------------------------

    async def on_action(self, actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        """Handle the forget and keep buttons."""
        if action.verb == FORGET_VERB:
            return await self.confirm_forget(actor, action.arg(0), action.arg(1), action.arg(2))
        if action.verb == KEEP_VERB:
            return await self.keep(actor, action.arg(0))
        raise NotFound("Unknown privacy action.")
