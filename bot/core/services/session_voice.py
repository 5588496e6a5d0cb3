"""A session's private voice channel and scheduled event (platforms that have them: Discord).

Both are stored steps of the session, planned at booking (:func:`room_steps`), replanned when
it moves and called off when it is cancelled (:func:`call_off_room`):

- ``VOICE_OPEN`` a few minutes before the start (``voice_open_minutes``) asks the platform for
  a channel only the pair may see and join, and keeps its reference and link on the session
  (the start message shows the link). The channel's name is unique per session and version,
  so a retry after a crash finds the one it made instead of making a second.
- ``VOICE_CLOSE`` a while after the end (``voice_close_minutes``), or at once when the session
  is called off or moved, removes it.
- ``SESSION_EVENT`` creates or moves the scheduled event (``session_events``), and cancels it
  when the session is called off. It names no member and shows no link: the event is seen by
  the whole server until the voice channel opens, when it moves into that private channel.
- ``ROOM_REMOVE`` (:func:`room_removal`) removes what a session's room left on the platform
  when one of its members is forgotten: its voice channels (their permission overwrites name
  the member's platform id) and, for a session called off, its event. Forget-me deletes the
  session row (or cancels the steps of a past session), so this step is tied to no session:
  its payload holds only the platform's references, the channel names and the event's marker.

A platform without them answers "not available" and the session goes on with its links. When
the bot lacks a permission, the admins are told once (the admins' channel, else the admin who
chose the voice category), and it is stored so it is not said again. A ``ROOM_REMOVE`` refused
that way is tried again every six hours for a week: what it removes names a forgotten member.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeAlias, TypeVar

from bot.core.messages import OutboundMessage, Tone
from bot.core.models import (
    ActionKind,
    ActionStatus,
    Community,
    CommunitySettings,
    Platform,
    ScheduledAction,
    Session,
    SessionState,
)
from bot.core.ports import (
    ChatPort,
    RoomDenied,
    SessionEvent,
    UnitOfWork,
    VoiceRequest,
    VoiceRoom,
)
from bot.core.services.actor import new_id
from bot.core.services.outbox import queue_direct, queue_space
from bot.core.services.session_plan import PRE_START_STATES, action_key, session_step
from bot.core.services.session_steps import (
    DONE,
    PlatformCall,
    SessionStep,
    SessionStepHandler,
    StepHandler,
    StepOutcome,
    StepResult,
    with_session,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
#: A platform's answer, or its refusal for a missing permission.
Asked: TypeAlias = T | RoomDenied

#: A forgotten member's room the bot may not remove (a permission taken away) is tried again
#: this often, this many times (a week), once the admins have been told what is missing.
REMOVE_RETRY_EVERY = timedelta(hours=6)
REMOVE_RETRIES = 28

#: Where the event says the call is, until it moves into the pair's voice channel (the call
#: link is the pair's only: the whole server may see an event that is not in a private channel).
EVENT_LOCATION = "The call link is in your PeerLoop pair thread"
OPEN_STATES = (*PRE_START_STATES, SessionState.IN_PROGRESS)


def voice_name(session: Session) -> str:
    """The channel's name: the type and the session (unique per session and version)."""
    return f"mock-{session.interview_type.value}-{session.id[:8]}-{session.sequence}"


def event_marker(session: Session) -> str:
    """What the event's description carries, unique per session: a platform finds it by this."""
    return f"#{session.id[:12]}"


def room_steps(
    session: Session, settings: CommunitySettings, now: datetime
) -> list[ScheduledAction]:
    """The voice and event steps of a booked (or moved) session under the community's settings."""
    steps: list[ScheduledAction] = []
    seq = session.sequence
    if settings.voice_category_id:
        opens = max(session.start - timedelta(minutes=settings.voice_open_minutes), now)
        closes = session.start + timedelta(minutes=session.minutes + settings.voice_close_minutes)
        data: dict[str, object] = {"name": voice_name(session)}
        steps.append(session_step(session, f"voice-open-{seq}", ActionKind.VOICE_OPEN, opens, data))
        steps.append(
            session_step(session, f"voice-close-{seq}", ActionKind.VOICE_CLOSE, closes, data)
        )
    if settings.session_events:
        steps.append(session_step(session, f"event-{seq}", ActionKind.SESSION_EVENT, now))
    return steps


async def call_off_room(
    tx: UnitOfWork, before: Session, after: Session, settings: CommunitySettings, now: datetime
) -> Session:
    """After a session was cancelled or moved (``after`` is saved): its voice channel closes now
    and, when cancelled, its event is cancelled; a moved session gets its steps again. Returns
    the session as saved (without the old channel)."""
    if before.voice_ref or settings.voice_category_id:
        data: dict[str, object] = {"name": voice_name(before), "ref": before.voice_ref}
        await tx.actions.add(
            session_step(
                after, f"voice-close-{before.sequence}-off", ActionKind.VOICE_CLOSE, now, data
            )
        )
    if before.voice_ref:
        after = replace(after, voice_ref=None, voice_url=None)
        await tx.sessions.save(after)
    if after.state is SessionState.CANCELLED:
        if before.event_ref or settings.session_events:
            await tx.actions.add(
                session_step(
                    after,
                    f"event-cancel-{after.sequence}",
                    ActionKind.SESSION_EVENT,
                    now,
                    {"cancel": True},
                )
            )
    else:
        await tx.actions.add_many(room_steps(after, settings, now))
    return after


def room_removal(
    session: Session,
    pending: Sequence[ScheduledAction],
    now: datetime,
    *,
    called_off: bool,
) -> ScheduledAction | None:
    """The ``ROOM_REMOVE`` step for a session one of whose members is being forgotten (read
    with its row locked, so a voice or event step running now has saved what it made), or None
    when it has nothing on the platform. ``pending`` are its pending voice and event steps, which
    forget-me deletes or cancels: each channel they would remove goes, and so does the session's
    own channel (open, or perhaps made by an open step that did not finish); the event is cancelled when the session is ``called_off`` (it never takes
    place) or a cancel was pending. A step that may have made a channel or an event without
    recording it (due, not finished) has it found by name or marker."""
    channels: dict[tuple[str | None, str], None] = {}
    event = False
    for step in pending:
        payload = step.payload
        if step.kind is ActionKind.VOICE_CLOSE and "ref" in payload:  # an earlier version's
            ref, name = payload["ref"], str(payload.get("name") or voice_name(session))
            channels[(ref if isinstance(ref, str) else None, name)] = None
        elif step.kind is ActionKind.VOICE_OPEN and step.due_at <= now:
            channels[(None, str(payload.get("name") or voice_name(session)))] = None
        elif step.kind is ActionKind.SESSION_EVENT:
            event = event or bool(payload.get("cancel")) or (called_off and step.due_at <= now)
    if session.voice_ref:
        channels.pop((None, voice_name(session)), None)
        channels[(session.voice_ref, voice_name(session))] = None
    event = event or (called_off and session.event_ref is not None)
    if not channels and not event:
        return None
    data: dict[str, object] = {"channels": [[ref, name] for ref, name in channels]}
    if event:
        data.update(event_ref=session.event_ref, event_marker=event_marker(session))
    return ScheduledAction(
        id=new_id(),
        key=action_key(session.id, f"room-remove-{session.sequence}"),
        kind=ActionKind.ROOM_REMOVE,
        community_id=session.community_id,
        due_at=now,
        payload=data,
    )


def denied_notice(what: str) -> OutboundMessage:
    """What the admins read when the bot lacks a permission for voice channels or events."""
    return OutboundMessage(
        title="PeerLoop needs a permission",
        text=(
            f"PeerLoop could not make a session's private voice channel or event: it lacks the "
            f"**{what}** permission. Sessions go on with their call links. Give PeerLoop's role "
            f"{what} (Server Settings → Roles), or turn this off with `/mockadmin setup "
            "reset:voice_category` (or `session_events:False`). This is said once."
        ),
        tone=Tone.WARNING,
        ephemeral=False,
    )


class SessionRoom:
    """The handlers of the voice and event steps (``handlers()``: step kind to handler)."""

    def __init__(self, chats: Mapping[Platform, ChatPort]) -> None:
        #: The running faces' chat ports (a face adds its own when it starts).
        self.chats = chats

    def handlers(self) -> dict[ActionKind, StepHandler]:
        """One handler per step kind, each loading the session and its members first."""
        by_kind: dict[ActionKind, SessionStepHandler] = {
            ActionKind.VOICE_OPEN: self.voice_open,
            ActionKind.VOICE_CLOSE: self.voice_close,
            ActionKind.SESSION_EVENT: self.session_event,
        }
        handlers = {kind: with_session(handler) for kind, handler in by_kind.items()}
        return {**handlers, ActionKind.ROOM_REMOVE: self.room_remove}

    async def room_remove(
        self, tx: UnitOfWork, action: ScheduledAction, now: datetime
    ) -> StepResult:
        """Remove a forgotten member's session room: its channels, then its event. Each call
        finds one already gone fine, so a retry after a failure part way is harmless."""
        community = await tx.communities.get(action.community_id)
        if community is None:
            return ActionStatus.SKIPPED, "community gone"
        chat = self._chat(community)
        payload = action.payload
        channels = payload.get("channels")
        event_ref, marker = payload.get("event_ref"), payload.get("event_marker")

        async def remove() -> None:
            for ref, name in channels if isinstance(channels, list) else []:
                await chat.close_voice(community, ref if isinstance(ref, str) else None, str(name))
            if isinstance(marker, str):
                await chat.cancel_event(
                    community, event_ref if isinstance(event_ref, str) else None, marker
                )

        async def record(tx: UnitOfWork, answer: Asked[None], mine: bool) -> StepOutcome:
            if not isinstance(answer, RoomDenied):
                return DONE
            denied = await _refused(tx, community, answer, now)
            # What is left names a forgotten member: tried again until the admins have given
            # the permission back (they were told), not left behind.
            tries = int(str(payload.get("tries", 0))) + 1
            if tries > REMOVE_RETRIES:
                return ActionStatus.SKIPPED, f"{denied[1]}; gave up after {tries} tries"
            base = str(payload.get("base_key") or action.key)
            await tx.actions.add(
                replace(
                    action,
                    id=new_id(),
                    key=f"{base}:again-{tries}",
                    due_at=now + REMOVE_RETRY_EVERY,
                    payload={**payload, "tries": tries, "base_key": base},
                    status=ActionStatus.PENDING,
                    attempts=0,
                    last_error=None,
                )
            )
            return ActionStatus.SKIPPED, f"{denied[1]}; tried again in {REMOVE_RETRY_EVERY}"

        return PlatformCall(_asking(remove), record)

    def _chat(self, community: Community) -> ChatPort:
        chat = self.chats.get(community.platform)
        if chat is None:
            raise RuntimeError(f"no chat face running for {community.platform.value}")
        return chat

    async def _community(self, step: SessionStep) -> tuple[Community, ChatPort]:
        community = await step.tx.communities.get(step.session.community_id)
        if community is None:
            raise RuntimeError("the session's community is gone")
        return community, self._chat(community)

    async def voice_open(self, step: SessionStep) -> StepResult:
        """Open the pair's private voice channel (once: a retry finds the one it made)."""
        session, now = step.session, step.now
        if session.state not in OPEN_STATES:
            return ActionStatus.SKIPPED, f"session {session.state.value}"
        if session.voice_ref:
            return DONE
        community, chat = await self._community(step)
        category = community.settings.voice_category_id
        if not category:
            return ActionStatus.SKIPPED, "no voice category set"
        refs = (
            step.members[session.interviewer_id].external_id,
            step.members[session.candidate_id].external_id,
        )
        name = str(step.action.payload.get("name") or voice_name(session))
        request = VoiceRequest(name, category, refs)

        async def record(
            tx: UnitOfWork, opened: Asked[VoiceRoom | None], mine: bool
        ) -> StepOutcome:
            if isinstance(opened, RoomDenied):
                return await _refused(tx, community, opened, now)
            if opened is None:
                return ActionStatus.SKIPPED, "no voice channels on this platform"
            current = await tx.sessions.get(session.id)
            if current is None:  # forgotten meanwhile: its removal finds the channel by name
                return ActionStatus.SKIPPED, "session gone"
            wanted = current.state in OPEN_STATES and current.sequence == session.sequence
            if not (mine and wanted):
                if not wanted:  # called off or moved while the channel was being made
                    await tx.actions.add(
                        session_step(
                            current,
                            f"voice-close-{session.sequence}-late",
                            ActionKind.VOICE_CLOSE,
                            now,
                            {"name": name, "ref": opened.ref},
                        )
                    )
                return ActionStatus.SKIPPED, f"session {current.state.value}"
            await tx.sessions.save(replace(current, voice_ref=opened.ref, voice_url=opened.url))
            if current.event_ref and now < current.start:  # the event moves into the channel
                await tx.actions.add(
                    session_step(
                        current, f"event-voice-{current.sequence}", ActionKind.SESSION_EVENT, now
                    )
                )
            return DONE

        return PlatformCall(_asking(lambda: chat.open_voice(community, request)), record)

    async def voice_close(self, step: SessionStep) -> StepResult:
        """Remove the voice channel (the one named in the step, else the session's)."""
        session, payload, now = step.session, step.action.payload, step.now
        ref = payload["ref"] if "ref" in payload else session.voice_ref
        ref = ref if isinstance(ref, str) else None
        community, chat = await self._community(step)
        name = str(payload.get("name") or voice_name(session))

        async def record(tx: UnitOfWork, answer: Asked[None], mine: bool) -> StepOutcome:
            if isinstance(answer, RoomDenied):  # taken away since the channel opened
                return await _refused(tx, community, answer, now)
            current = await tx.sessions.get(session.id)
            if current is not None and ref and current.voice_ref == ref:
                await tx.sessions.save(replace(current, voice_ref=None, voice_url=None))
            return DONE

        return PlatformCall(_asking(lambda: chat.close_voice(community, ref, name)), record)

    async def session_event(self, step: SessionStep) -> StepResult:
        """Create, move or cancel the session's scheduled event."""
        session, now = step.session, step.now
        community, chat = await self._community(step)
        if step.action.payload.get("cancel"):
            if not session.event_ref:
                return DONE
            cancelled = session.event_ref

            async def recorded(tx: UnitOfWork, answer: Asked[None], mine: bool) -> StepOutcome:
                if isinstance(answer, RoomDenied):
                    return await _refused(tx, community, answer, now)
                return DONE

            return PlatformCall(_asking(lambda: chat.cancel_event(community, cancelled)), recorded)
        if session.state not in PRE_START_STATES or now >= session.start:
            return ActionStatus.SKIPPED, f"session {session.state.value}"
        marker = event_marker(session)
        event = SessionEvent(
            name=f"Mock interview: {session.interview_type.label}",
            description=(
                f"A PeerLoop practice session ({marker}). Its links are in the pair's thread."
            ),
            start=session.start,
            end=session.start + timedelta(minutes=session.minutes),
            voice_ref=session.voice_ref,
            location=EVENT_LOCATION,
            marker=marker,
        )
        known = session.event_ref

        async def record(tx: UnitOfWork, ref: Asked[str | None], mine: bool) -> StepOutcome:
            if isinstance(ref, RoomDenied):
                return await _refused(tx, community, ref, now)
            if ref is None:
                return ActionStatus.SKIPPED, "no scheduled events on this platform"
            current = await tx.sessions.get(session.id)
            if current is None:  # forgotten meanwhile: its removal finds the event by marker
                return ActionStatus.SKIPPED, "session gone"
            if current.event_ref in (None, known) and ref != current.event_ref:
                # Kept even if the session moved meanwhile: its next event step moves this one.
                await tx.sessions.save(replace(current, event_ref=ref))
            if current.state is SessionState.CANCELLED:  # called off while it was being made
                await tx.actions.add(
                    session_step(
                        current,
                        f"event-cancel-{current.sequence}-late",
                        ActionKind.SESSION_EVENT,
                        now,
                        {"cancel": True},
                    )
                )
                return ActionStatus.SKIPPED, "session cancelled"
            return DONE

        return PlatformCall(_asking(lambda: chat.put_event(community, event, known)), record)


def _asking(call: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[Asked[T]]]:
    """``call``, with a refusal for a missing permission returned rather than raised (any
    other failure is raised: the step is retried)."""

    async def ask() -> Asked[T]:
        try:
            return await call()
        except RoomDenied as denied:
            return denied

    return ask


async def _refused(
    tx: UnitOfWork, community: Community, denied: RoomDenied, now: datetime
) -> StepOutcome:
    """The platform refused for a missing permission: the admins are told (once) and the step
    is skipped."""
    await tell_admins_once(tx, community, denied.what, now)
    return ActionStatus.SKIPPED, f"missing permission: {denied.what}"


async def tell_admins_once(tx: UnitOfWork, community: Community, what: str, now: datetime) -> None:
    """Tell the admins the bot lacks ``what``: in the admins' channel, else to the admin who
    chose the voice category; stored, so each permission is said once."""
    fresh = await tx.communities.get(community.id) or community
    settings = fresh.settings
    if what in settings.room_notices:
        return
    # The same for every step that finds the same permission missing under the same setup, so
    # two workers failing at once still queue one notice (the outbox keeps one per key).
    key = (
        f"room-denied:{community.id}:{what}:{settings.voice_category_id}:"
        f"{settings.session_events}:{settings.voice_set_by}"
    )
    if settings.admin_channel_id:
        await queue_space(
            tx,
            key=key,
            community_id=community.id,
            space_ref=settings.admin_channel_id,
            now=now,
            message=denied_notice(what),
        )
    elif settings.voice_set_by:
        await queue_direct(
            tx,
            key=key,
            community_id=community.id,
            member_id=settings.voice_set_by,
            now=now,
            message=denied_notice(what),
        )
    else:
        log.warning("community %s: missing %s and nobody to tell", community.id, what)
    await tx.communities.save_settings(
        community.id, replace(settings, room_notices=(*settings.room_notices, what))
    )
