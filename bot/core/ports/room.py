"""What the session room asks of a platform beyond messages: a private voice channel for the
pair and a scheduled event (:class:`~bot.core.ports.ChatPort`'s ``open_voice``, ``close_voice``,
``put_event``, ``cancel_event``). Platforms without them answer "not available" (None)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.models import Community


@dataclass(frozen=True)
class VoiceRoom:
    """A pair's private voice channel: the platform's reference and the link members open."""

    ref: str
    url: str


@dataclass(frozen=True)
class VoiceRequest:
    """What a session's voice channel is: its name (unique per session and version, so a
    platform can find one it already made), where it goes, and who may join."""

    name: str
    #: The platform's id of the category (or folder) it is made in.
    category_ref: str
    #: The platform ids of the two members; nobody else is let in.
    member_refs: tuple[str, str]


@dataclass(frozen=True)
class SessionEvent:
    """A session's scheduled event: no member names and no links (others may see it until it
    moves into the pair's private voice channel)."""

    name: str
    description: str
    start: datetime
    end: datetime
    #: The pair's voice channel (the event lives in it, seen only by those who see the channel);
    #: None: an event elsewhere, at ``location``.
    voice_ref: str | None
    location: str
    #: Unique per session, and in the description: a platform finds an event it already made.
    marker: str


class RoomDenied(Exception):
    """The platform refused: the bot lacks a permission (``what`` names it). The admins are
    told once; the session goes on with its links."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class RoomFailed(Exception):
    """A platform call failed for another reason (status and code only, never a body that
    could quote a member's text): the step is retried."""


class WithoutVoice:
    """The room methods of a platform that has no voice channels or scheduled events (Slack,
    the console): each answers "not available", so sessions go on with their links."""

    async def open_voice(self, community: Community, request: VoiceRequest) -> VoiceRoom | None:
        """Not available here."""
        return None

    async def close_voice(self, community: Community, ref: str | None, name: str) -> None:
        """Nothing to remove."""

    async def put_event(
        self, community: Community, event: SessionEvent, ref: str | None
    ) -> str | None:
        """Not available here."""
        return None

    async def cancel_event(
        self, community: Community, ref: str | None, marker: str | None = None
    ) -> None:
        """Nothing to cancel."""
