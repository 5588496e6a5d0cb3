"""At most one pair space per session, whatever the point at which the process is killed.

A chat that kills the process (an exception no handler catches) at each point around opening
a pair space and posting its first message; the app is then started again on the same
database with the same platform, and every message is delivered.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.messages import OutboundMessage, Tone
from bot.core.models import Community, Member, OutboxStatus, Platform, Session
from bot.core.services.delivery import PAIR_SPACE_PATIENCE
from bot.core.services.outbox import queue_space, session_space
from tests.conftest import ready_member, schema_drift
from tests.fakes.fake_chat import FakeChat


class Killed(BaseException):
    """The process dies here: nothing after it runs, open transactions are never committed."""


POINTS = ("before_open", "after_open", "before_post", "after_post", "open_fails")


class CrashingChat(FakeChat):
    def __init__(self) -> None:
        super().__init__()
        self.crash_at: str | None = None

    def _crash(self, point: str) -> None:
        if self.crash_at == point:
            self.crash_at = None
            if point == "open_fails":
                raise RuntimeError("the platform refused")
            raise Killed(point)

    async def open_pair_space(
        self, community: Community, members: Sequence[Member], title: str
    ) -> str:
        self._crash("before_open")
        self._crash("open_fails")
        ref = await super().open_pair_space(community, members, title)
        self._crash("after_open")
        return ref

    async def post(self, community: Community, space_ref: str, message: OutboundMessage) -> str:
        self._crash("before_post")
        ref = await super().post(community, space_ref, message)
        self._crash("after_post")
        return ref


async def _book(app: App) -> Session:
    alice = await ready_member(app, "alice", availability="daily 18:00-20:00")
    bob = await ready_member(app, "bob", availability="daily 18:00-20:00")
    for actor in (alice, bob):
        assert (await app.router.run(actor, "schedule", {"type": "coding"})).tone is Tone.SUCCESS
    [session] = (await app.matching.run_round(alice.community.id)).sessions
    return session


async def _advance(app: App, clock: FakeClock, to: object) -> None:
    while (due := await app.next_due()) is not None and due <= to:  # type: ignore[operator]
        clock.set(max(due, clock.now()))
        await app.tick()
    clock.set(to)  # type: ignore[arg-type]
    await app.tick()


@pytest.mark.parametrize("point", POINTS)
async def test_at_most_one_pair_space_whatever_the_crash_point(
    database_url: str, clock: FakeClock, point: str
) -> None:
    chat = CrashingChat()
    app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    session = await _book(app)
    chat.crash_at = point
    if point == "open_fails":
        await app.tick()
    else:
        with pytest.raises(Killed):
            await app.tick()  # the first delivery (the booking announcement) dies at ``point``
    await app.close()

    # Started again (the platform keeps what it made). Within the patience a claim without a
    # space is waited for; after it, the session goes on by DM.
    app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        await app.tick()
        clock.advance(PAIR_SPACE_PATIENCE + timedelta(minutes=1))
        await _advance(app, clock, session.start + timedelta(minutes=session.minutes + 1))
        async with app.db.uow() as tx:
            items = await tx.outbox.all()
            space = await tx.sessions.pair_space(session.id)
    finally:
        await app.close()
    assert len(chat.spaces) <= 1, chat.spaces
    assert {i.status for i in items} == {OutboxStatus.SENT}, [(i.key, i.status) for i in items]
    titles = [m.title for _, m in chat.posts] + [m.title for _, m in chat.direct]
    assert "Mock interview booked: Coding" in titles
    assert space is not None
    if point in ("before_post", "after_post"):
        # The space was recorded before the crash: everything went there.
        assert len(chat.spaces) == 1 and space.ref == "space-1"
        assert {ref for ref, _ in chat.posts} == {"space-1"}
    else:
        # Opening was interrupted or failed: no second space; the pair's posts came by DM.
        assert space.ref is None and space.state.value == "direct"
        assert chat.posts == []
        announced = [who for who, m in chat.direct if m.title == "Mock interview booked: Coding"]
        assert sorted(announced) == ["alice", "bob"]


async def test_a_fresh_claim_is_waited_for_not_doubled(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another delivery holds a claim that is still fresh: no second space, the post waits."""
    monkeypatch.setattr("bot.core.services.delivery.PAIR_SPACE_POLLS", 2)
    chat = CrashingChat()
    app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        session = await _book(app)
        async with app.db.uow() as tx:
            assert await tx.sessions.claim_pair_space(session.id, "another-delivery", clock.now())
        await app.tick()
        assert chat.spaces == {} and chat.posts == []
        async with app.db.uow() as tx:
            assert await tx.sessions.set_pair_space(session.id, "another-delivery", "space-9")
            assert not await tx.sessions.set_pair_space(session.id, "someone-else", "space-10")
        clock.advance(timedelta(minutes=5))
        await app.tick()
        assert {ref for ref, _ in chat.posts} == {"space-9"} and chat.spaces == {}
    finally:
        await app.close()


async def test_the_migration_adds_the_claim_columns_as_modelled(app: App) -> None:
    assert await schema_drift(app, "sessions") == []


async def test_a_space_being_opened_alongside_is_waited_for_in_place(
    database_url: str, clock: FakeClock
) -> None:
    """Two deliveries of one session at once (a face's and the sweep's): one space, no delay."""
    import asyncio

    chat = CrashingChat()
    app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        session = await _book(app)
        async with app.db.uow() as tx:  # a second post for the pair, due with the announcement
            await queue_space(
                tx,
                key="test:second-post",
                community_id=session.community_id,
                space_ref=session_space(session.id),
                now=clock.now(),
                message=OutboundMessage(text="Second post"),
            )
            ids = await tx.outbox.due_ids(clock.now())
        await asyncio.gather(*(app.delivery.deliver_one(i) for i in ids))
        async with app.db.uow() as tx:
            pending = [i.key for i in await tx.outbox.all() if i.status is not OutboxStatus.SENT]
            space = await tx.sessions.pair_space(session.id)
    finally:
        await app.close()
    assert len(chat.spaces) == 1 and space is not None and space.ref == "space-1"
    assert pending == [] and "Second post" in [m.text for _, m in chat.posts]
