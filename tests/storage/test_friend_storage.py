"""The friend_requests table: the migration matches the model, an invitation round-trips, only a
pending one changes state, and a member's invitations go with the member (SQLite, and
PostgreSQL when configured)."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.friend_models import FriendRequest, FriendStatus
from bot.core.services.actor import new_id
from bot.core.vocab import InterviewType, RolePreference
from tests.conftest import ready_member, schema_drift


async def test_migration_creates_the_friend_requests_table_as_modelled(app: App) -> None:
    assert await schema_drift(app, "friend_requests") == []


async def test_an_invitation_round_trips_and_settles_once(app: App, clock: FakeClock) -> None:
    alice = await ready_member(app, "alice")
    bob = await ready_member(app, "bob")
    now = clock.now()
    request = FriendRequest(
        id=new_id(),
        community_id=alice.community.id,
        requester_id=alice.member.id,
        invitee_id=bob.member.id,
        interview_type=InterviewType.CODING,
        role=RolePreference.CANDIDATE,
        days=5,
        created_at=now,
        expires_at=now + timedelta(hours=48),
    )
    async with app.db.uow() as tx:
        await tx.friends.add(request)
    async with app.db.uow() as tx:
        assert await tx.friends.get(request.id) == request
        assert await tx.friends.pending_from(alice.member.id) == [request]
        assert await tx.friends.settle(request.id, FriendStatus.BOOKED, now)
        assert not await tx.friends.settle(request.id, FriendStatus.CANCELLED, now)
        await tx.friends.record(request.id, FriendStatus.UNARRANGED)
    async with app.db.uow() as tx:
        stored = await tx.friends.get(request.id)
        assert stored is not None and stored.status is FriendStatus.UNARRANGED
        assert stored.decided_at == now and not await tx.friends.pending_from(alice.member.id)

    assert (await app.router.run(bob, "forget-me", {})).buttons  # asks to confirm
    confirm = next(b.action for b in (await app.router.run(bob, "forget-me", {})).buttons)
    await app.router.act(bob, confirm)
    async with app.db.uow() as tx:
        assert await tx.friends.get(request.id) is None  # gone with the member
