"""Digest pictures are drawn when each digest is delivered, not when it is queued.

The outbox row carries what to draw (a few hundred bytes of figures), never the picture; the
delivery worker draws it off the event loop and attaches it; a member with nothing new gets
no picture; a picture that cannot be drawn is retried, then the digest goes without it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.adapters.charts import render_changes_png
from bot.adapters.offload import InlineOffload
from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.digest import ScoreChange
from bot.core.feedback_models import Feedback, FeedbackRole
from bot.core.models import Platform
from bot.core.services.actor import Actor, new_id
from bot.core.services.delivery import PICTURE_ATTEMPTS
from bot.core.services.digest import FUNNEL_PICTURE, MONTH_PICTURE
from bot.core.vocab import InterviewType, Level
from bot.storage.tables import OutboxRow
from tests.conftest import make_actor
from tests.fakes.fake_chat import FakeChat
from tests.feedback_helpers import finished_session

#: Wednesday 4 March 2026; the digests of week 11 are due on Monday 9 March, 09:00 in Berlin.
WED = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
DUE = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[tuple[App, FakeClock, FakeChat]]:
    clock = FakeClock(WED)
    chat = FakeChat()
    # Inline offload: the pictures are drawn on a thread of this process, where a test can see it.
    app = await build_app(
        database_url, clock=clock, chats={Platform.CONSOLE: chat}, offload=InlineOffload()
    )
    try:
        yield app, clock, chat
    finally:
        await app.close()


async def member(app: App, name: str) -> Actor:
    actor = await make_actor(app, name)
    await app.profiles.set_profile(
        actor,
        timezone="Europe/Berlin",
        track="backend",
        level=Level.MID,
        interview_types=(InterviewType.CODING,),
    )
    return await make_actor(app, name)


async def revealed(
    app: App, author: Actor, subject: Actor, when: datetime, scores: dict[str, int]
) -> None:
    session = await finished_session(app, author, subject, start=when - timedelta(hours=2))
    async with app.db.uow() as tx:
        await tx.feedback.save(
            Feedback(
                id=new_id(),
                session_id=session.id,
                part=1,
                author_id=author.member.id,
                subject_id=subject.member.id,
                role=FeedbackRole.INTERVIEWER,
                scores=scores,
                submitted_at=when,
                updated_at=when,
                verdict="lean-yes",
                strengths="Clear plan.",
                improvements="Test edge cases first.",
                revealed_at=when + timedelta(hours=1),
            )
        )


async def scored_week(app: App) -> tuple[Actor, Actor, list[str]]:
    ann, ben = await member(app, "ann"), await member(app, "ben")
    return ann, ben, await give_scores(app, ann, ben, DUE)


async def give_scores(app: App, ann: Actor, ben: Actor, due: datetime) -> list[str]:
    """Ann got scores a month before ``due`` and in its week (her month changed); Ben got none
    (nothing new for him but the sessions he gave). The admins' channel is ``admins``; the
    digests are planned."""
    dims = [d.id for d in app.prompts.rubric_for_type("coding").dimensions]
    await revealed(app, ben, ann, due - timedelta(days=35), {d: 2 for d in dims})
    await revealed(app, ben, ann, due - timedelta(days=3), {d: 3 for d in dims})
    async with app.db.uow() as tx:
        community = await tx.communities.get(ann.community.id)
        assert community is not None
        await tx.communities.save_settings(
            community.id, replace(community.settings, admin_channel_id="admins")
        )
    assert app.digests is not None
    await app.digests.ensure_planned(ann.community)
    return dims


async def outbox_messages(app: App) -> dict[str, dict[str, Any]]:
    async with app.db.engine.connect() as conn:
        rows = (await conn.execute(select(OutboxRow.key, OutboxRow.message))).all()  # type: ignore[call-overload]
    return {key: message for key, message in rows}


async def test_the_outbox_carries_what_to_draw_and_delivery_draws_it_off_the_loop(
    world: tuple[App, FakeClock, FakeChat],
) -> None:
    app, clock, chat = world
    ann, ben, dims = await scored_week(app)
    assert app.digests is not None
    loop_thread = threading.get_ident()
    drawn_on: list[int] = []

    def chart(changes: Sequence[ScoreChange], names: Mapping[tuple[str, str], str]) -> bytes:
        drawn_on.append(threading.get_ident())
        return render_changes_png(changes, names)

    app.digests.changes_chart = chart
    clock.set(DUE)
    # The step queues the digests: nothing is drawn yet, and no row holds picture bytes.
    assert await app.steps.run_due() > 0
    assert drawn_on == [] and app.delivery.drawn == 0
    rows = await outbox_messages(app)
    ann_row = next(m for k, m in rows.items() if ann.member.id in k)
    ben_row = next(m for k, m in rows.items() if ben.member.id in k)
    assert all(not m.get("attachments") for m in rows.values())
    assert all(len(json.dumps(m)) < 4_000 for m in rows.values())
    ((kind, data),) = ann_row["pictures"]
    assert kind == MONTH_PICTURE
    assert {(t, d, b, n) for t, d, b, n in json.loads(data)["changes"]} == {
        ("coding", d, 2.0, 2.5) for d in dims
    }
    assert "pictures" not in ben_row  # nothing new for Ben this month: no picture
    # Delivery draws each picture once, on a thread, and attaches it with its alt text.
    await app.tick()
    assert len(drawn_on) == 1 and loop_thread not in drawn_on
    (ann_dm,) = chat.dms_to("ann")
    (picture,) = ann_dm.attachments
    assert picture.filename == "peerloop-month.png" and picture.data.startswith(PNG)
    first = app.prompts.rubric_for_type("coding").dimensions[0].name
    assert (
        picture.description is not None
        and f"Coding · {first}: 2.0 a month ago, 2.5 now (+0.5)" in picture.description
    )
    (ben_dm,) = chat.dms_to("ben")
    assert ben_dm.attachments == ()
    assert ann_dm.pictures == () and ben_dm.pictures == ()


async def test_the_community_digest_funnel_is_drawn_at_delivery(
    world: tuple[App, FakeClock, FakeChat],
) -> None:
    app, clock, chat = world
    await scored_week(app)
    clock.set(datetime(2026, 3, 9, 9, 0, tzinfo=UTC))  # the community digest: Monday 09:00 UTC
    await app.steps.run_due()
    (community_row,) = [
        m for k, m in (await outbox_messages(app)).items() if k.startswith("digest:community:")
    ]
    assert not community_row.get("attachments")
    assert [kind for kind, _ in community_row["pictures"]] == [FUNNEL_PICTURE]
    await app.tick()
    ((space, post),) = chat.posts
    (picture,) = post.attachments
    assert (
        space == "admins"
        and picture.filename == "peerloop-community.png"
        and picture.data.startswith(PNG)
    )
    assert picture.description is not None and "requested" in picture.description


async def test_a_picture_that_cannot_be_drawn_is_retried_then_the_digest_goes_without_it(
    world: tuple[App, FakeClock, FakeChat],
) -> None:
    app, clock, chat = world
    await scored_week(app)
    assert app.digests is not None
    calls: list[int] = []

    def broken(changes: Sequence[ScoreChange], names: Mapping[tuple[str, str], str]) -> bytes:
        calls.append(len(changes))
        raise RuntimeError("no fonts")

    app.digests.changes_chart = broken
    clock.set(DUE)
    await app.tick()
    assert chat.dms_to("ann") == [] and len(chat.dms_to("ben")) == 1  # Ben's has no picture: sent
    for attempt in range(1, PICTURE_ATTEMPTS):
        clock.advance(timedelta(minutes=30))  # past the retry delay
        await app.tick()
        assert len(calls) == attempt + 1
    (ann_dm,) = chat.dms_to("ann")
    assert ann_dm.attachments == () and ann_dm.title == "Your PeerLoop week"
    assert len(calls) == PICTURE_ATTEMPTS


async def test_a_retried_delivery_sends_the_picture_it_drew_without_drawing_again(
    world: tuple[App, FakeClock, FakeChat],
) -> None:
    from bot.core.ports import TemporaryDeliveryError

    app, clock, chat = world
    await scored_week(app)
    failures = [TemporaryDeliveryError("rate limited", retry_after=5.0)]
    original = chat.send_direct

    async def flaky(member: Any, message: Any) -> str:
        if failures and message.attachments:
            raise failures.pop()
        return await original(member, message)

    chat.send_direct = flaky  # type: ignore[method-assign]
    clock.set(DUE)
    await app.tick()
    assert chat.dms_to("ann") == [] and app.delivery.drawn == 1
    clock.advance(timedelta(seconds=10))
    await app.tick()
    (ann_dm,) = chat.dms_to("ann")
    assert ann_dm.attachments[0].data.startswith(PNG) and app.delivery.drawn == 1
