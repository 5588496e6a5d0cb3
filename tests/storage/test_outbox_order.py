"""The outbox keeps the reading order of messages queued together (migration 0010)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.app import App
from bot.core.messages import OutboundMessage
from bot.core.models import OutboxItem
from bot.core.services.outbox import QUEUE_PIECE, queue_directs, queue_space
from tests.conftest import T0, make_actor, schema_drift


async def test_migration_gives_the_outbox_its_position_as_modelled(app: App) -> None:
    assert await schema_drift(app, "outbox") == []


async def test_messages_queued_together_are_delivered_in_the_order_queued(app: App) -> None:
    actor = await make_actor(app, "alice")
    keys = ["s:start:statement", "s:start:guide", "s:start:a-note"]  # the keys sort the other way
    async with app.db.uow() as tx:
        for key in keys:
            await queue_space(
                tx,
                key=key,
                community_id=actor.community.id,
                space_ref="room",
                now=T0,
                message=OutboundMessage(text=key),
            )
    async with app.db.uow() as tx:
        due = await tx.outbox.due_ids(T0)
        items = {i.id: i.key for i in await tx.outbox.all()}
    assert [items[i] for i in due] == keys
    assert list(items.values()) == keys


async def test_messages_queued_in_one_insert_keep_their_order_after_single_ones(app: App) -> None:
    actor = await make_actor(app, "alice")
    async with app.db.uow() as tx:
        await queue_space(
            tx,
            key="z:first",
            community_id=actor.community.id,
            space_ref="room",
            now=T0,
            message=OutboundMessage(text="first"),
        )
        await queue_directs(
            tx,
            community_id=actor.community.id,
            now=T0,
            items=[
                ("y:second", actor.member.id, OutboundMessage(text="second")),
                ("x:third", actor.member.id, OutboundMessage(text="third")),
            ],
        )
    async with app.db.uow() as tx:
        due = await tx.outbox.due_ids(T0)
        items = {i.id: i.key for i in await tx.outbox.all()}
    assert [items[i] for i in due] == ["z:first", "y:second", "x:third"]


async def test_many_messages_are_queued_a_piece_at_a_time_in_order(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of messages (a large round's "you waited" notes) are built and inserted in
    pieces, so no single piece holds the event loop long; the order and the count hold."""
    from bot.storage.outbox_repo import SqlOutboxRepo

    actor = await make_actor(app, "alice")
    sizes: list[int] = []
    original = SqlOutboxRepo.add_many

    async def counted(self: SqlOutboxRepo, items: Sequence[OutboxItem]) -> int:
        sizes.append(len(items))
        return await original(self, items)

    monkeypatch.setattr(SqlOutboxRepo, "add_many", counted)
    keys = [f"w:{i:04d}" for i in range(QUEUE_PIECE * 2 + 5)]
    async with app.db.uow() as tx:
        added = await queue_directs(
            tx,
            community_id=actor.community.id,
            now=T0,
            items=[(key, actor.member.id, OutboundMessage(text=key)) for key in reversed(keys)],
        )
    assert added == len(keys) and sizes == [QUEUE_PIECE, QUEUE_PIECE, 5]
    async with app.db.uow() as tx:
        due = await tx.outbox.due_ids(T0, limit=1000)
        items = {i.id: i.key for i in await tx.outbox.all()}
    assert [items[i] for i in due] == list(reversed(keys))
