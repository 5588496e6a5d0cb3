"""Shared pieces for the scheduling tests: a recording chat port and a booked community."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.app import App
from bot.core.messages import OutboundMessage
from bot.core.models import Community, Member, Platform, Session
from bot.core.ports.room import WithoutVoice
from bot.core.services.actor import Actor
from tests.conftest import ready_member


@dataclass
class RecordingChat(WithoutVoice):
    """A ChatPort for the console platform that records every message it is given."""

    platform: Platform = Platform.CONSOLE
    messages: list[tuple[str, str, OutboundMessage]] = field(default_factory=list)
    spaces: dict[tuple[str, ...], str] = field(default_factory=dict)
    prefix: str = "msg"

    def _ref(self) -> str:
        return f"{self.prefix}-{len(self.messages)}"

    async def send_direct(self, member: Member, message: OutboundMessage) -> str:
        self.messages.append(("dm", member.id, message))
        return self._ref()

    async def open_pair_space(
        self, community: Community, members: Sequence[Member], title: str
    ) -> str:
        key = tuple(sorted(m.id for m in members))
        return self.spaces.setdefault(key, f"{self.prefix}-space-{len(self.spaces) + 1}")

    async def post(self, community: Community, space_ref: str, message: OutboundMessage) -> str:
        self.messages.append(("space", space_ref, message))
        return self._ref()

    async def edit(self, community: Community, message_ref: str, message: OutboundMessage) -> None:
        self.messages.append(("edit", message_ref, message))

    def refs(self) -> list[str]:
        return [f"{self.prefix}-{i}" for i in range(1, len(self.messages) + 1)]

    def actions_for(self, verb: str) -> list[str]:
        return [
            b.action
            for _, _, m in self.messages
            for b in m.buttons
            if b.action.startswith(f"pl:{verb}:")
        ]


async def book_pairs(app: App, members: int = 12) -> tuple[dict[str, Actor], list[Session]]:
    """``members`` ready members with an open coding request each, paired by one round."""
    actors: dict[str, Actor] = {}
    for i in range(members):
        actor = await ready_member(app, f"member{i:02d}")
        reply = await app.router.run(actor, "schedule", {"type": "coding", "role": "swap"})
        assert reply.buttons, reply.text
        actors[actor.member.id] = actor
    community_id = next(iter(actors.values())).community.id
    outcome = await app.matching.run_round(community_id)
    assert len(outcome.sessions) == members // 2
    return actors, list(outcome.sessions)


async def ready_requests(app: App, members: int) -> dict[str, Actor]:
    """``members`` ready members with an open coding request each (no round run yet)."""
    actors: dict[str, Actor] = {}
    for i in range(members):
        actor = await ready_member(app, f"member{i:02d}")
        await app.router.run(actor, "schedule", {"type": "coding", "role": "swap"})
        actors[actor.member.id] = actor
    return actors
