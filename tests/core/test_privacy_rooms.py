"""Forget-me and a session's room, on SQLite and PostgreSQL: the ``ROOM_REMOVE`` step it
stores (tied to no session, holding only the platform's references) and what it asks of the
platform when it runs."""

from __future__ import annotations

from dataclasses import replace

from bot.app import App
from bot.core.messages import Tone
from bot.core.models import ActionKind, ActionStatus, Community, Platform
from bot.core.services.session_plan import session_step
from bot.core.services.session_voice import event_marker, voice_name
from tests.conftest import ready_member
from tests.fakes.fake_chat import FakeChat


class RoomChat(FakeChat):
    """A chat port that records what it is asked to remove."""

    def __init__(self) -> None:
        super().__init__()
        self.closed: list[tuple[str | None, str]] = []
        self.cancelled: list[tuple[str | None, str | None]] = []

    async def close_voice(self, community: Community, ref: str | None, name: str) -> None:
        self.closed.append((ref, name))

    async def cancel_event(
        self, community: Community, ref: str | None, marker: str | None = None
    ) -> None:
        self.cancelled.append((ref, marker))


async def test_forget_me_stores_a_room_removal_holding_only_the_platforms_references(
    app: App,
) -> None:
    chat = RoomChat()
    app.chats[Platform.CONSOLE] = chat
    alice = await ready_member(app, "alice")
    bob = await ready_member(app, "bob")
    for actor in (alice, bob):
        assert (await app.router.run(actor, "schedule", {"type": "coding"})).tone is Tone.SUCCESS
    (session,) = (await app.matching.run_round(alice.community.id)).sessions
    now = app.clock.now()
    async with app.db.uow() as tx:
        # Its channel is open and its event made; an earlier version's channel is still to go.
        await tx.sessions.save(replace(session, voice_ref="v1", voice_url="u", event_ref="e1"))
        old = {"name": "mock-coding-old-0", "ref": "v0"}
        await tx.actions.add(
            session_step(session, "voice-close-0-off", ActionKind.VOICE_CLOSE, now, old)
        )

    delete = (await app.router.run(alice, "forget-me", {})).buttons[0]
    assert (await app.router.act(alice, delete.action)).title == "Your data is deleted"
    async with app.db.uow() as tx:
        assert await tx.sessions.get(session.id) is None
        (step,) = await tx.actions.by_kind(ActionKind.ROOM_REMOVE)
    assert step.session_id is None and step.status is ActionStatus.PENDING
    assert step.payload == {
        "channels": [["v0", "mock-coding-old-0"], ["v1", voice_name(session)]],
        "event_ref": "e1",
        "event_marker": event_marker(session),
    }
    for hers in (alice.member.id, alice.member.external_id, alice.member.display_name):
        assert hers not in str(step.payload) and hers not in step.key

    await app.tick()
    assert chat.closed == [("v0", "mock-coding-old-0"), ("v1", voice_name(session))]
    assert chat.cancelled == [("e1", event_marker(session))]
    await app.tick()  # done: nothing runs it again
    assert len(chat.closed) == 2 and len(chat.cancelled) == 1
    async with app.db.uow() as tx:
        done = await tx.actions.get(step.id)
    assert done is not None and done.status is ActionStatus.DONE


async def test_forget_me_stores_nothing_for_a_session_without_a_room(app: App) -> None:
    alice = await ready_member(app, "alice")
    bob = await ready_member(app, "bob")
    for actor in (alice, bob):
        await app.router.run(actor, "schedule", {"type": "coding"})
    assert len((await app.matching.run_round(alice.community.id)).sessions) == 1
    delete = (await app.router.run(alice, "forget-me", {})).buttons[0]
    assert (await app.router.act(alice, delete.action)).title == "Your data is deleted"
    async with app.db.uow() as tx:
        assert await tx.actions.by_kind(ActionKind.ROOM_REMOVE) == []
