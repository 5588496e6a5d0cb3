"""Delivery claims a message in one short transaction, sends it outside any transaction and
records the result in another: a slow platform never holds SQLite's write lock, and a message
is still sent once per delivery (at least once across crashes)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.messages import OutboundMessage
from bot.core.models import Member, OutboxStatus, Platform
from bot.core.services.delivery import SEND_LEASE
from bot.core.services.outbox import queue_direct
from tests.conftest import make_actor, ready_member, schema_drift
from tests.fakes.fake_chat import FakeChat, rate_limited


class SlowChat(FakeChat):
    """A platform that answers a direct message only when the test lets it."""

    def __init__(self) -> None:
        super().__init__()
        self.sending = asyncio.Event()
        self.answer = asyncio.Event()
        self.calls = 0

    async def send_direct(self, member: Member, message: OutboundMessage) -> str:
        self.calls += 1
        self.sending.set()
        await self.answer.wait()
        return await super().send_direct(member, message)


async def _queue(app: App, name: str, key: str = "test:note") -> str:
    actor = await make_actor(app, name)
    async with app.db.uow() as tx:
        await queue_direct(
            tx,
            key=key,
            community_id=actor.community.id,
            member_id=actor.member.id,
            message=OutboundMessage(text="A note"),
            now=app.clock.now(),
        )
        [item_id] = await tx.outbox.due_ids(app.clock.now())
    return item_id


async def _status(app: App, item_id: str) -> OutboxStatus:
    async with app.db.uow() as tx:
        [item] = [i for i in await tx.outbox.all() if i.id == item_id]
    return item.status


async def test_a_member_write_proceeds_while_a_send_is_slow(
    database_url: str, clock: FakeClock
) -> None:
    """While the platform has not answered, another member's profile and availability are
    saved at once (SQLite's busy timeout is 5 s: a write lock held across the send made them
    wait, then fail with "database is locked")."""
    chat = SlowChat()
    app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        item_id = await _queue(app, "alice")
        delivery = asyncio.create_task(app.delivery.deliver_one(item_id))
        await asyncio.wait_for(chat.sending.wait(), 10)
        bob = await asyncio.wait_for(ready_member(app, "bob"), 3)
        assert bob.member.timezone == "Europe/Berlin"
        assert not delivery.done() and chat.direct == []
        chat.answer.set()
        assert await asyncio.wait_for(delivery, 10)
        assert await _status(app, item_id) is OutboxStatus.SENT
        assert [who for who, _ in chat.direct] == ["alice"]
    finally:
        chat.answer.set()
        await app.close()


async def test_a_message_being_sent_is_not_sent_again_alongside(
    database_url: str, clock: FakeClock
) -> None:
    """The claim is committed before the send: a second delivery (the sweep's, another
    worker's) finds it taken, and the message goes once."""
    chat = SlowChat()
    app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        item_id = await _queue(app, "alice")
        first = asyncio.create_task(app.delivery.deliver_one(item_id))
        await asyncio.wait_for(chat.sending.wait(), 10)
        assert not await app.delivery.deliver_one(item_id)
        assert await app.delivery.deliver_due() == 0
        chat.answer.set()
        assert await asyncio.wait_for(first, 10)
        assert not await app.delivery.deliver_one(item_id)  # sent: nothing left to claim
        assert chat.calls == 1 and len(chat.direct) == 1
    finally:
        chat.answer.set()
        await app.close()


async def test_a_delivery_that_died_mid_send_leaves_the_message_to_be_sent_again(
    database_url: str, clock: FakeClock
) -> None:
    """A claim nobody finishes (the process died while the platform answered) holds until its
    lease runs out; then the message is sent (at least once)."""
    chat = FakeChat()
    app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        item_id = await _queue(app, "alice")
        now = clock.now()
        async with app.db.uow() as tx:
            claimed = await tx.outbox.claim(
                item_id, token="dead-delivery", now=now, until=now + SEND_LEASE
            )
            assert claimed is not None and claimed.status is OutboxStatus.PENDING
        assert await app.delivery.deliver_due() == 0 and chat.direct == []
        clock.advance(SEND_LEASE + timedelta(seconds=1))
        assert await app.delivery.deliver_due() == 1
        assert [who for who, _ in chat.direct] == ["alice"]
        assert await _status(app, item_id) is OutboxStatus.SENT
        async with app.db.uow() as tx:  # the dead delivery's late record changes nothing
            assert not await tx.outbox.mark_sent(item_id, "late", token="dead-delivery")
    finally:
        await app.close()


async def test_a_failed_send_is_recorded_in_its_own_transaction_and_retried(
    database_url: str, clock: FakeClock
) -> None:
    chat = FakeChat()
    chat.fail_next.append(rate_limited(30))
    app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        item_id = await _queue(app, "alice")
        assert not await app.delivery.deliver_one(item_id)
        async with app.db.uow() as tx:
            [item] = await tx.outbox.all()
            assert item.attempts == 1 and item.last_error == "rate limited"
            assert await tx.outbox.due_ids(clock.now()) == []
        clock.advance(timedelta(seconds=31))
        assert await app.delivery.deliver_due() == 1
        assert await _status(app, item_id) is OutboxStatus.SENT
    finally:
        await app.close()


async def test_a_cancelled_send_gives_its_claim_back(database_url: str, clock: FakeClock) -> None:
    chat = SlowChat()
    app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        item_id = await _queue(app, "alice")
        delivery = asyncio.create_task(app.delivery.deliver_one(item_id))
        await asyncio.wait_for(chat.sending.wait(), 10)
        delivery.cancel()
        with pytest.raises(asyncio.CancelledError):
            await delivery
        chat.answer.set()
        assert await app.delivery.deliver_due() == 1  # no lease to wait for
        assert await _status(app, item_id) is OutboxStatus.SENT
    finally:
        chat.answer.set()
        await app.close()


async def test_the_migration_adds_the_claim_columns_as_modelled(app: App) -> None:
    assert await schema_drift(app, "outbox") == []
