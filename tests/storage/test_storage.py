"""The storage layer on SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.app import App
from bot.core.availability import parse_weekly
from bot.core.errors import Conflict
from bot.core.models import InterviewRequest, Member, Platform, RequestStatus
from bot.core.vocab import InterviewType, Level, RolePreference
from bot.storage.migrate import current_revision
from tests.conftest import make_actor


async def test_schema_is_at_head_and_upgrade_is_idempotent(app: App) -> None:
    assert await current_revision(app.db.engine) is not None
    await app.db.upgrade()  # a second upgrade changes nothing
    assert await current_revision(app.db.engine) is not None


async def test_sqlite_pragmas(app: App) -> None:
    if not app.db.is_sqlite:
        pytest.skip("SQLite pragmas apply to the embedded database only")
    async with app.db.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000


async def test_member_round_trip_returns_core_models(app: App) -> None:
    actor = await make_actor(app, "carol")
    member = Member(
        **{
            **actor.member.__dict__,
            "timezone": "Asia/Kolkata",
            "track": "ml",
            "level": Level.STAFF,
            "interview_types": (InterviewType.ML_SYSTEM_DESIGN,),
            "languages": ("python",),
            "availability": parse_weekly("sat 10-14"),
            "blackouts": (date(2026, 12, 24),),
            "blocked": ("someone",),
        }
    )
    async with app.db.uow() as tx:
        await tx.members.save(member)
    async with app.db.uow() as tx:
        loaded = await tx.members.get(member.id)
        by_external = await tx.members.find(actor.community.id, "carol")
    assert loaded == member
    assert by_external == member
    assert loaded is not None and loaded.created_at is not None
    assert loaded.created_at.tzinfo is not None


async def _request(
    app: App, member_id: str, community_id: str, kind: InterviewType
) -> InterviewRequest:
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    return InterviewRequest(
        id=f"r{kind.value[:5]}{member_id[:6]}{now.timestamp():.0f}"[:32],
        community_id=community_id,
        member_id=member_id,
        interview_type=kind,
        role=RolePreference.SWAP,
        window_start=now,
        window_end=now + timedelta(days=7),
        created_at=now,
    )


async def test_database_enforces_one_open_request_per_type(app: App) -> None:
    actor = await make_actor(app, "dave")
    req = await _request(app, actor.member.id, actor.community.id, InterviewType.CODING)
    async with app.db.uow() as tx:
        await tx.requests.add(req)
    duplicate = InterviewRequest(**{**req.__dict__, "id": "other-id"})
    with pytest.raises(Conflict):
        async with app.db.uow() as tx:
            await tx.requests.add(duplicate)
    # Once the first is cancelled, a new open one is allowed.
    async with app.db.uow() as tx:
        await tx.requests.save(
            InterviewRequest(**{**req.__dict__, "status": RequestStatus.CANCELLED})
        )
        await tx.requests.add(duplicate)
    async with app.db.uow() as tx:
        open_now = await tx.requests.open_for_member(actor.member.id)
    assert [r.id for r in open_now] == ["other-id"]
    assert open_now[0].window_start == datetime(2026, 12, 1, 9, tzinfo=UTC)


async def test_a_failed_transaction_writes_nothing(app: App) -> None:
    actor = await make_actor(app, "erin")
    with pytest.raises(RuntimeError):
        async with app.db.uow() as tx:
            await tx.members.save(actor.member.with_changes(timezone="Europe/Paris"))
            raise RuntimeError("boom")
    async with app.db.uow() as tx:
        loaded = await tx.members.get(actor.member.id)
    assert loaded is not None and loaded.timezone is None


async def test_deleting_a_member_cascades_to_requests(app: App) -> None:
    actor = await make_actor(app, "fay")
    req = await _request(app, actor.member.id, actor.community.id, InterviewType.BEHAVIORAL)
    async with app.db.uow() as tx:
        await tx.requests.add(req)
    async with app.db.uow() as tx:
        await tx.members.delete(actor.member.id)
    async with app.db.uow() as tx:
        assert await tx.requests.get(req.id) is None
        assert await tx.communities.find(Platform.CONSOLE, "local") is not None
