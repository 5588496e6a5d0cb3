"""What the core needs from the running process: chat platforms (:class:`ChatPort` and its
delivery errors), worker processes (:class:`Offload`) and timers (:class:`JobScheduler`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bot.core.messages import Attachment, OutboundMessage
from bot.core.models import (
    Community,
    Member,
    Platform,
)
from bot.core.ports.room import SessionEvent, VoiceRequest, VoiceRoom

_T = TypeVar("_T")


class Offload(Protocol):
    """Somewhere to run CPU-heavy pure work so the event loop stays free (``bot.adapters.offload``).

    The app's offload runs ``fn`` in a worker process: ``fn`` must be a module-level function
    and its arguments and result plain data that pickles (the matching round's input and
    result). A thread would not do for such work: the matcher holds the GIL while it solves.
    Work that releases the loop often enough in a thread (pack checks, charts) uses
    :func:`asyncio.to_thread` instead."""

    async def run(self, fn: Callable[..., _T], /, *args: Any) -> _T:
        """``fn(*args)``, away from the event loop; its exception is raised here."""
        ...

    async def map(self, fn: Callable[[Any], _T], items: Sequence[Any], /) -> list[_T]:
        """``[fn(x) for x in items]``, away from the event loop, handed out in this order (a
        pool of workers starts the first ones first) and run in parallel where it can."""
        ...


class ChatPort(Protocol):
    """Messages nobody asked for: match found, reminders, prompts, feedback requests, digests."""

    platform: Platform

    async def send_direct(self, member: Member, message: OutboundMessage) -> str:
        """Send a direct message; returns a message reference. Raises
        :class:`DirectMessagesClosed` when the member cannot be messaged directly."""
        ...

    async def open_pair_space(
        self, community: Community, members: Sequence[Member], title: str
    ) -> str:
        """Open (or find) a private space for the pair; returns its reference."""
        ...

    async def post(self, community: Community, space_ref: str, message: OutboundMessage) -> str:
        """Post into a pair space or channel; returns a message reference. Raises
        :class:`SpaceUnavailable` when the space is gone or closed to the app."""
        ...

    async def edit(self, community: Community, message_ref: str, message: OutboundMessage) -> None:
        """Replace a message this port sent (``message_ref`` as ``send_direct`` or ``post``
        returned it) with ``message``: its text, and only its buttons (none: no buttons left).
        Raises :class:`SpaceUnavailable` when the message or its space is gone."""
        ...

    async def open_voice(self, community: Community, request: VoiceRequest) -> VoiceRoom | None:
        """Open (or find, by its name) the pair's private voice channel; None: the platform has
        none. Raises :class:`~bot.core.ports.room.RoomDenied` when the bot may not make it."""
        ...

    async def close_voice(self, community: Community, ref: str | None, name: str) -> None:
        """Remove the voice channel ``ref`` (or, with no reference, the one called ``name``);
        one already gone is fine."""
        ...

    async def put_event(
        self, community: Community, event: SessionEvent, ref: str | None
    ) -> str | None:
        """Create the scheduled event (``ref`` None) or move it; its reference, or None: the
        platform has none."""
        ...

    async def cancel_event(
        self, community: Community, ref: str | None, marker: str | None = None
    ) -> None:
        """Cancel the scheduled event ``ref`` (or, with no reference, the one PeerLoop made
        whose description carries ``marker``); one already gone is fine."""
        ...


class DirectMessagesClosed(Exception):
    """The platform refused a direct message (the member closed their DMs)."""


class SpaceUnavailable(Exception):
    """The space to post in (a pair thread or group DM, a channel), or the message to edit, is
    gone (deleted, archived) or closed to the app (access or a permission taken away): trying
    again will not help. ``needs_admin``: an admin can put it right (a permission, a channel
    setting), so the community's admins are told. ``reason`` is the platform's error code,
    never a member's text."""

    def __init__(self, reason: str, *, needs_admin: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.needs_admin = needs_admin


class AttachmentsNotSent(Exception):
    """The message was sent (``ref``), but its files could not be added to it (a platform that
    sends files apart from the text, Slack): sending the message again would repeat it, so only
    ``attachments`` are to be sent again. ``members``: when the message went to several members
    directly, those whose files are missing (empty: whoever the message was for)."""

    def __init__(
        self,
        ref: str,
        attachments: tuple[Attachment, ...],
        cause: Exception,
        members: tuple[str, ...] = (),
    ) -> None:
        super().__init__(type(cause).__qualname__)
        self.ref = ref
        self.attachments = attachments
        self.cause = cause
        self.members = members


class TemporaryDeliveryError(Exception):
    """A rate limit or server error: try again later. ``refused``: the platform turned the call
    away without acting on it (a rate limit), so making it again cannot make anything twice."""

    def __init__(
        self, message: str, retry_after: float | None = None, *, refused: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.refused = refused


class JobScheduler(Protocol):
    """Run a callable at a time; cancel by key. The database, not the scheduler, is the truth."""

    def schedule(self, key: str, when: datetime, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` at ``when``, replacing any job under ``key``."""
        ...

    def cancel(self, key: str) -> None:
        """Cancel the job under ``key``, if any."""
        ...
