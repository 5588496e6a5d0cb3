"""A recording ChatPort for service tests."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.messages import OutboundMessage
from bot.core.models import Community, Member, Platform
from bot.core.ports import DirectMessagesClosed, TemporaryDeliveryError
from bot.core.ports.room import WithoutVoice


class FakeChat(WithoutVoice):
    platform = Platform.CONSOLE

    def __init__(self) -> None:
        self.direct: list[tuple[str, OutboundMessage]] = []
        self.posts: list[tuple[str, OutboundMessage]] = []
        self.spaces: dict[str, tuple[str, ...]] = {}
        self.closed_dms: set[str] = set()
        self.fail_next: list[Exception] = []
        self.edits: list[tuple[str, OutboundMessage]] = []

    def _maybe_fail(self) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)

    async def send_direct(self, member: Member, message: OutboundMessage) -> str:
        self._maybe_fail()
        if member.external_id in self.closed_dms:
            raise DirectMessagesClosed(member.display_name)
        self.direct.append((member.external_id, message))
        return f"dm-{len(self.direct)}"

    async def open_pair_space(
        self, community: Community, members: Sequence[Member], title: str
    ) -> str:
        ref = f"space-{len(self.spaces) + 1}"
        self.spaces[ref] = tuple(m.external_id for m in members)
        return ref

    async def post(self, community: Community, space_ref: str, message: OutboundMessage) -> str:
        self._maybe_fail()
        self.posts.append((space_ref, message))
        return f"post-{len(self.posts)}"

    async def edit(self, community: Community, message_ref: str, message: OutboundMessage) -> None:
        self._maybe_fail()
        self.edits.append((message_ref, message))

    def dms_to(self, external_id: str) -> list[OutboundMessage]:
        return [m for who, m in self.direct if who == external_id]

    def titles(self) -> list[str]:
        return [m.title or m.text[:40] for _, m in self.posts]


def rate_limited(seconds: float = 2.0) -> TemporaryDeliveryError:
    return TemporaryDeliveryError("rate limited", retry_after=seconds)
