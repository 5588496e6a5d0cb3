"""Every press, twice at the same instant: the contract scenario (``test_actions.scenario``,
which reaches every kind of button, select and form the core offers) is run with each press
sent twice at once by the same member. Every press is answered (never an incident), and the
community ends exactly as it does when each press is sent once: the same number of rows in
every table, the same messages queued (by their keys)."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.core.actions import encode
from bot.core.clock import FakeClock
from bot.core.commands import CommandRouter
from bot.core.messages import FormValues, OutboundMessage, Tone
from bot.core.models import Platform, Session
from bot.core.services.actor import Actor
from bot.storage.tables import CommunityRow, MemberRow, OutboxRow, metadata
from tests.conftest import T0, _reset_postgres, ready_member
from tests.contract.test_actions import scenario
from tests.fakes.fake_chat import FakeChat

INCIDENT = "Something went wrong"
#: Ids in outbox keys; and the interviewer guide's pages, whose number depends on the prompt
#: (chosen with a seed made of the members' ids, which differ from run to run).
_ID = re.compile(r"[0-9a-f]{32}")
_PAGES = re.compile(r":guide:.*")


@dataclass
class Ending:
    rows: dict[str, int]
    queued: Counter[str]
    incidents: list[str]


async def run_scenario(database_url: str, *, presses: int) -> Ending:
    """The scenario with every press sent ``presses`` times at once; what it ends with."""
    clock = FakeClock(T0)
    chat = FakeChat()
    app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    original = CommandRouter.act
    incidents: list[str] = []

    async def at_once(
        self: CommandRouter, actor: Actor, action_id: str, values: FormValues | None = None
    ) -> OutboundMessage:
        replies = await asyncio.gather(
            *(original(self, actor, action_id, values) for _ in range(presses))
        )
        incidents.extend(f"{action_id}: {r.text}" for r in replies if INCIDENT in r.text)
        return next((r for r in replies if r.tone is not Tone.ERROR), replies[0])

    CommandRouter.act = at_once  # type: ignore[method-assign]
    try:
        await scenario(app, chat, clock)
        await app.tick()
        rows = {}
        async with app.db.engine.connect() as conn:
            for table in metadata.sorted_tables:
                count = select(func.count()).select_from(table)
                rows[table.name] = int((await conn.execute(count)).scalar_one())
            keys = (await conn.execute(select(OutboxRow.key))).scalars().all()  # type: ignore[call-overload]
    finally:
        CommandRouter.act = original  # type: ignore[method-assign]
        await app.close()
    queued = Counter(_ID.sub("#", key) for key in keys if not _PAGES.search(key))
    queued.update({_PAGES.sub(":guide", _ID.sub("#", key)) for key in keys if _PAGES.search(key)})
    rows.pop("outbox")  # compared by key, the guide's pages aside
    return Ending(rows, queued, incidents)


async def test_every_press_sent_twice_at_once_acts_once_and_is_answered(
    database_url: str,
) -> None:
    once = await run_scenario(database_url, presses=1)
    if database_url.startswith("sqlite"):
        database_url = database_url.replace(".sqlite3", "-twice.sqlite3")
    else:
        await _reset_postgres(database_url)
    twice = await run_scenario(database_url, presses=2)
    assert once.incidents == [] and twice.incidents == [], twice.incidents
    differing = {
        name: (count, twice.rows[name])
        for name, count in once.rows.items()
        if count != twice.rows[name]
    }
    assert differing == {}, differing
    assert twice.queued == once.queued, (twice.queued - once.queued, once.queued - twice.queued)


# -- both members of a pair, at the same instant ----------------------------------------------


async def _booked(app: App) -> tuple[Actor, Actor, Session]:
    alice = await ready_member(app, "alice", availability="daily 18:00-20:00")
    bob = await ready_member(app, "bob", availability="daily 18:00-20:00")
    for actor in (alice, bob):
        assert (await app.router.run(actor, "schedule", {"type": "coding"})).tone is Tone.SUCCESS
    (session,) = (await app.matching.run_round(alice.community.id)).sessions
    await app.tick()
    return alice, bob, session


async def _pending_keys(app: App) -> list[str]:
    async with app.db.engine.connect() as conn:
        keys = (await conn.execute(select(OutboxRow.key))).scalars().all()  # type: ignore[call-overload]
    return sorted(keys)


async def test_both_members_asking_for_another_time_at_once_move_the_session_once(
    app: App,
) -> None:
    alice, bob, session = await _booked(app)
    listed = await app.router.run(alice, "upcoming", {})
    (button,) = [b for b in listed.buttons if b.label.startswith("Reschedule")]
    replies = await asyncio.gather(
        app.router.act(alice, button.action),
        app.router.act(bob, button.action),
        app.router.act(alice, button.action),
    )
    assert not [r.text for r in replies if INCIDENT in r.text]
    assert sum(r.text.startswith("Proposed") for r in replies) == 1, [r.text for r in replies]
    assert sum("moved since" in r.text for r in replies) == 2, [r.text for r in replies]
    async with app.db.uow() as tx:
        moved = await tx.sessions.get(session.id)
        steps = await tx.actions.for_session(session.id)
    assert moved is not None and moved.sequence == 1 and moved.start > session.start
    assert {a.key.rsplit("-", 1)[1] for a in steps if a.status.value == "pending"} == {"1"}
    keys = await _pending_keys(app)
    assert sum(":rescheduled:" in k for k in keys) == 1, keys
    # The new proposal's own "Another time" moves it on once more.
    again = await app.router.act(bob, encode("session.reschedule", session.id, "1"))
    assert again.text.startswith("Proposed"), again.text
    async with app.db.uow() as tx:
        latest = await tx.sessions.get(session.id)
    assert latest is not None and latest.sequence == 2 and latest.start > moved.start


#: (how long before the start, Alice's presses, Bob's presses): what both members may press
#: at the same moment, each with what the other presses.
PAIR_PRESSES = [
    (timedelta(hours=20), ("session.confirm",), ("session.confirm",)),
    (timedelta(hours=20), ("session.cancel",), ("session.reschedule",)),
    (timedelta(hours=20), ("session.reschedule",), ("session.confirm", "session.cancel")),
    (timedelta(hours=20), ("session.reschedule:rematch",), ("session.reschedule",)),
    (timedelta(minutes=30), ("session.here",), ("session.here",)),
    (
        timedelta(minutes=30),
        ("session.here", "session.start_now"),
        ("session.here", "session.start_now"),
    ),
    (-timedelta(minutes=20), ("session.done",), ("session.done",)),
    (-timedelta(minutes=20), ("session.done", "session.noshow"), ("session.done",)),
]


def _press(session: Session, verb: str) -> str:
    if verb == "session.reschedule":
        return encode(verb, session.id, str(session.sequence))
    if verb == "session.reschedule:rematch":
        return encode("session.reschedule", session.id, "rematch")
    return encode(verb, session.id)


@pytest.mark.parametrize(("before", "alice_presses", "bob_presses"), PAIR_PRESSES)
async def test_both_members_pressing_at_once_leave_one_consistent_session(
    app: App,
    clock: FakeClock,
    before: timedelta,
    alice_presses: tuple[str, ...],
    bob_presses: tuple[str, ...],
) -> None:
    alice, bob, session = await _booked(app)
    clock.set(session.start - before)
    await app.tick()
    async with app.db.uow() as tx:
        now = await tx.sessions.get(session.id)
    assert now is not None
    for verb in ("session.here",) if "session.start_now" in alice_presses else ():
        await asyncio.gather(
            app.router.act(alice, _press(now, verb)), app.router.act(bob, _press(now, verb))
        )
    presses = [(alice, _press(now, v)) for v in alice_presses for _ in range(2)]
    presses += [(bob, _press(now, v)) for v in bob_presses for _ in range(2)]
    replies = await asyncio.gather(*(app.router.act(a, p) for a, p in presses))
    assert not [r.text for r in replies if INCIDENT in r.text], [r.text for r in replies]
    await app.tick()
    async with app.db.uow() as tx:
        after = await tx.sessions.get(session.id)
        steps = await tx.actions.for_session(session.id)
    assert after is not None
    pending = [a for a in steps if a.status.value == "pending"]
    versions = {a.key.rsplit("-", 1)[-1] for a in pending if a.kind.value in ("start", "end")}
    assert len(versions) <= 1, sorted(a.key for a in pending)
    assert sum(r.text.startswith("Proposed") for r in replies) <= 1, [r.text for r in replies]
    keys = await _pending_keys(app)
    assert len(keys) == len(set(keys))
    assert sum(":rescheduled:" in k for k in keys) <= 1, keys


@pytest.mark.parametrize("bob_presses", [("friend.accept",), ("friend.accept", "friend.decline")])
async def test_an_invitation_accepted_and_withdrawn_at_once_books_at_most_one_session(
    app: App, bob_presses: tuple[str, ...]
) -> None:
    alice = await ready_member(app, "alice", availability="daily 18:00-20:00")
    bob = await ready_member(app, "bob", availability="daily 18:00-20:00")
    sent = await app.router.run_text(alice, "schedule coding partner:bob")
    assert sent.tone is Tone.SUCCESS, sent.text
    withdraw = next(b.action for b in sent.buttons if b.label == "Withdraw invitation")
    invitation = withdraw.rsplit(":", 1)[1]
    presses = [(alice, withdraw), (alice, withdraw)]
    presses += [(bob, encode(v, invitation)) for v in bob_presses for _ in range(2)]
    replies = await asyncio.gather(*(app.router.act(a, p) for a, p in presses))
    assert not [r.text for r in replies if INCIDENT in r.text], [r.text for r in replies]
    await app.tick()
    async with app.db.uow() as tx:
        booked = await tx.sessions.for_member(alice.member.id, active_only=True)
        opened = await tx.requests.open_for_member(alice.member.id)
    withdrawn = any(r.tone is Tone.SUCCESS for r in replies[:2])
    assert len(booked) <= 1 and not (withdrawn and booked), ([r.text for r in replies], booked)
    assert opened == [], opened  # an invitation withdrawn, declined or booked leaves nothing open


async def test_a_confirm_pressed_as_the_partner_moves_the_session_never_confirms_the_new_time(
    app: App,
) -> None:
    alice, bob, session = await _booked(app)
    listed = await app.router.run(bob, "upcoming", {})
    confirm = next(b.action for b in listed.buttons if b.label.startswith("Confirm"))
    reschedule = next(b.action for b in listed.buttons if b.label.startswith("Reschedule"))
    replies = await asyncio.gather(app.router.act(alice, reschedule), app.router.act(bob, confirm))
    assert not [r.text for r in replies if INCIDENT in r.text]
    async with app.db.uow() as tx:
        moved = await tx.sessions.get(session.id)
    assert moved is not None and moved.sequence == 1
    # Bob confirmed the time he saw, not the one proposed after it: whichever ran first.
    assert bob.member.id not in moved.confirmed_by, [r.text for r in replies]
    # Pressed again after the move, the old button asks about the new time instead.
    late = await app.router.act(bob, confirm)
    assert "moved" in late.text, late.text
    (again,) = late.buttons
    assert (await app.router.act(bob, again.action)).tone is Tone.SUCCESS
    async with app.db.uow() as tx:
        confirmed = await tx.sessions.get(session.id)
    assert confirmed is not None and bob.member.id in confirmed.confirmed_by


# -- a member's very first commands, on several paths at once ---------------------------------


async def test_a_new_members_first_commands_all_at_once_make_one_member_and_one_community(
    app: App,
) -> None:
    """Every ``/mock`` command (without options) at the same instant from someone PeerLoop has
    never seen, in a community it has never seen, each resolving the member as a face does,
    and the same member's first command in a second community at that instant too."""

    async def first(name: str, community: str = "T-NEW") -> OutboundMessage:
        actor = await app.actors.resolve(Platform.SLACK, community, "New", "U-NEW", "Newcomer")
        return await app.router.run(actor, name, {})

    names = [n for n in app.router.command_names if n != "help"]
    assert {"profile", "schedule", "upcoming", "availability", "forget-me"} <= set(names)
    replies = await asyncio.gather(
        *(first(n) for n in names for _ in range(2)), first("profile", "T-OTHER")
    )
    assert not [r.text for r in replies if INCIDENT in r.text], [r.text for r in replies]
    async with app.db.engine.connect() as conn:
        communities = (await conn.execute(select(func.count()).select_from(CommunityRow))).scalar()
        members = (await conn.execute(select(func.count()).select_from(MemberRow))).scalar()
    assert (communities, members) == (2, 2)


@pytest.mark.parametrize("round_first", [True, False])
async def test_a_round_running_while_members_cancel_move_and_leave_books_only_whom_it_may(
    app: App, round_first: bool
) -> None:
    """A matching round and, at the same instant, members cancelling their requests, asking to
    be forgotten, and members of a session booked earlier rescheduling and cancelling it."""
    actors = [
        await ready_member(app, f"m{i:02}", availability="daily 08:00-22:00") for i in range(16)
    ]
    alice, bob, _earlier = await _booked(app)
    for actor in actors:
        assert (await app.router.run(actor, "schedule", {"type": "coding"})).tone is Tone.SUCCESS
    async with app.db.uow() as tx:
        requests = {a.member.id: await tx.requests.open_for_member(a.member.id) for a in actors}
    cancellers, leavers = actors[:4], actors[4:7]
    asks = [await app.router.run(a, "forget-me", {}) for a in leavers]
    upcoming = await app.router.run(alice, "upcoming", {})
    move = next(b.action for b in upcoming.buttons if b.label.startswith("Reschedule"))
    calls: list[Awaitable[object]] = [app.matching.run_round(actors[0].community.id)]
    calls += [
        app.router.act(a, encode("request.cancel", requests[a.member.id][0].id)) for a in cancellers
    ]
    calls += [
        app.router.act(a, ask.buttons[0].action) for a, ask in zip(leavers, asks, strict=True)
    ]
    calls += [app.router.act(alice, move), app.router.run(bob, "cancel", {})]
    if not round_first:
        calls.append(calls.pop(0))
    answers = await asyncio.gather(*calls)
    replies = [a for a in answers if isinstance(a, OutboundMessage)]
    texts = [r.text for r in replies]
    assert not [t for t in texts if INCIDENT in t], texts
    await app.tick()
    async with app.db.uow() as tx:
        sessions = await tx.sessions.for_community(actors[0].community.id)
        gone = [m.member.id for m in leavers if await tx.members.get(m.member.id) is None]
        cancelled = {
            r.id
            for a in cancellers
            for r in await tx.requests.for_member(a.member.id)
            if r.status.value == "cancelled"
        }
    active = [s for s in sessions if s.state.value in ("proposed", "confirmed")]
    in_sessions = [m for s in active for m in s.member_ids]
    assert len(in_sessions) == len(set(in_sessions)), "a member in two sessions at once"
    assert not set(gone) & set(in_sessions), "a forgotten member still booked"
    assert not cancelled & {r for s in active for r in s.request_ids}, "a cancelled request booked"
    assert len(gone) == len(leavers)
    assert len(cancelled) + sum("already matched" in t for t in texts) == len(cancellers), texts


async def test_both_members_reporting_each_other_twice_at_once_while_blocking(
    app: App, clock: FakeClock
) -> None:
    alice, bob, session = await _booked(app)
    clock.set(session.start + timedelta(minutes=session.minutes + 5))
    await app.tick()
    submit = encode("report.submit", session.id)
    calls = [app.router.act(a, submit, {"reason": "rude", "details": "x"}) for a in (alice, bob)]
    calls += [app.router.act(a, submit, {"reason": "other"}) for a in (alice, bob)]
    calls += [
        app.router.run_text(alice, "block member:bob"),
        app.router.run_text(bob, "unblock member:alice"),
    ]
    replies = await asyncio.gather(*calls)
    texts = [r.text for r in replies]
    assert not [t for t in texts if INCIDENT in t], texts
    assert sum(r.title == "Thank you for telling us" for r in replies) == 2, texts
    async with app.db.uow() as tx:
        a = await tx.members.get(alice.member.id)
        b = await tx.members.get(bob.member.id)
        reports = await tx.reports.for_community(alice.community.id, limit=10)
    assert a is not None and b is not None
    assert a.blocked == (bob.member.id,), a.blocked
    assert len(reports) == 2, reports


async def test_both_members_sending_their_feedback_twice_at_once_store_it_once(
    app: App, clock: FakeClock
) -> None:
    from tests.feedback_helpers import fill

    alice, bob, session = await _booked(app)
    clock.set(session.start + timedelta(minutes=session.minutes + 5))
    await app.tick()
    forms = []
    for actor in (alice, bob):
        owed = await app.router.run(actor, "feedback", {})
        for button in owed.buttons:
            opened = await app.router.act(actor, button.action)
            assert opened.form is not None, opened.text
            forms.append((actor, opened.form))
    assert len(forms) == 2, forms
    replies = await asyncio.gather(
        *(app.router.act(a, f.action, fill(f)) for a, f in forms for _ in range(2))
    )
    texts = [r.text for r in replies]
    assert not [t for t in texts if INCIDENT in t], texts
    assert sum("nothing changed" not in t for t in texts) == 2, texts
    await app.tick()
    async with app.db.engine.connect() as conn:
        from bot.storage.feedback_tables import FeedbackRow

        stored = (await conn.execute(select(func.count()).select_from(FeedbackRow))).scalar()
    assert stored == 2
    keys = await _pending_keys(app)
    assert len(keys) == len(set(keys))


async def test_the_same_request_asked_for_at_once_on_several_paths_opens_one(app: App) -> None:
    """``/mock schedule``, the schedule form and ``/mock now`` at the same instant, twice."""
    from bot.core.surface.commands import schedule_form

    alice = await ready_member(app, "alice")
    form = schedule_form()
    values = {"type": "coding", "role": "swap", "days": "7"}
    replies = await asyncio.gather(
        *(app.router.run(alice, "schedule", {"type": "coding"}) for _ in range(2)),
        *(app.router.act(alice, form.action, values) for _ in range(2)),
        app.router.run(alice, "upcoming", {}),
    )
    texts = [r.text for r in replies]
    assert not [t for t in texts if INCIDENT in t], texts
    async with app.db.uow() as tx:
        opened = await tx.requests.open_for_member(alice.member.id)
    assert len(opened) == 1, (opened, texts)
