"""Reports about a session's partner and suspensions from matching, through the router (the
path every face takes), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from bot.app import App, build_app
from bot.core.actions import encode
from bot.core.clock import FakeClock
from bot.core.messages import OutboundMessage, Tone
from bot.core.models import Platform, SessionState
from bot.core.report_models import REPORT_OPEN, REPORT_RESOLVE, REPORT_SUBMIT, ReportStatus
from bot.core.services.actor import Actor
from tests.conftest import T0, make_actor, ready_member, schema_drift
from tests.fakes.fake_chat import FakeChat
from tests.feedback_helpers import finished_session


def shown(message: OutboundMessage) -> str:
    return " ".join(
        [message.title or "", message.text or "", *(f"{f.name} {f.value}" for f in message.fields)]
    )


async def report(app: App, actor: Actor, session_id: str, **values: str) -> OutboundMessage:
    return await app.router.act(actor, encode(REPORT_SUBMIT, session_id), values)


async def test_the_migration_creates_the_tables_as_modelled(app: App) -> None:
    assert await schema_drift(app, "reports", "suspensions") == []


async def test_a_report_reaches_the_admins_only_and_blocks_the_pair(
    app: App, clock: FakeClock
) -> None:
    chat = FakeChat()
    app.chats[Platform.CONSOLE] = chat
    ada = await make_actor(app, "ada", admin=True)
    assert (await app.router.run_text(ada, "admin setup admin_channel:admins")).tone is Tone.SUCCESS
    alice = await ready_member(app, "alice")
    bob = await ready_member(app, "bob")
    carol = await ready_member(app, "carol")
    session = await finished_session(app, alice, bob, start=T0 - timedelta(hours=3))

    # The form opens for a member of the session, with the reasons as a picker.
    opened = await app.router.act(alice, encode(REPORT_OPEN, session.id))
    assert opened.form is not None, shown(opened)
    reason = next(i for i in opened.form.inputs if i.id == "reason")
    assert [o.value for o in reason.options] == [  # type: ignore[attr-defined]
        "no-show-dispute",
        "rude",
        "inappropriate",
        "other",
    ]
    assert opened.form.action == encode(REPORT_SUBMIT, session.id)

    # A third member, crafted ids and a bad reason are refused; nothing is stored.
    for who, action, values in (
        (carol, encode(REPORT_OPEN, session.id), {}),
        (carol, encode(REPORT_SUBMIT, session.id), {"reason": "rude"}),
        (alice, encode(REPORT_OPEN, "0" * 32), {}),
        (alice, encode(REPORT_SUBMIT, "x" * 60), {"reason": "rude"}),
        (alice, "pl:report.open", {}),
        (alice, encode(REPORT_SUBMIT, session.id), {"reason": "annoying"}),
        (alice, encode(REPORT_SUBMIT, session.id), {"reason": "rude", "details": "x" * 1001}),
    ):
        refused = await app.router.act(who, action, values)
        assert refused.tone is Tone.ERROR and refused.form is None, (action, shown(refused))
    assert "no-show-dispute" in shown(
        await app.router.act(alice, encode(REPORT_SUBMIT, session.id), {"reason": "annoying"})
    )
    async with app.db.uow() as tx:
        assert await tx.reports.for_community(alice.community.id, limit=10) == []

    text = "He said <@123> **rude** things {t:0:F} @everyone"
    done = await report(app, alice, session.id, reason="rude", details=text)
    assert done.tone is Tone.SUCCESS and "Bob" in (done.text or ""), shown(done)
    again = await app.router.act(alice, encode(REPORT_OPEN, session.id))
    assert again.tone is Tone.ERROR and "already reported" in (again.text or "")
    second = await report(app, alice, session.id, reason="other")
    assert second.tone is Tone.ERROR and "already reported" in (second.text or "")
    await app.tick()

    # The admins' channel has it, with the text (no time token made of it) and a Resolve button.
    (posted,) = [m for ref, m in chat.posts if ref == "admins"]
    assert "Alice reported Bob" in shown(posted) and "Rude" in shown(posted)
    assert "{ t:0:F}" in shown(posted) and not posted.mentions
    assert any(b.action.startswith("pl:admin.report.resolve:") for b in posted.buttons)
    # Bob: no message, reply or export of his says anything of it.
    bob_sees = [
        *chat.dms_to("bob"),
        await app.router.run(bob, "upcoming", {}),
        await app.router.run(bob, "blocked", {}),
        await app.router.run(bob, "history", {}),
    ]
    for message in bob_sees:
        assert "report" not in (message.title or "").lower()
        assert "alice" not in shown(message).lower() and "rude" not in shown(message).lower()
    export = (await app.router.run(bob, "export", {})).attachments[0].data.decode()
    async with app.db.uow() as tx:
        (filed,) = await tx.reports.for_community(alice.community.id, limit=10)
    for word in ("rude", "things", filed.id):  # the session with Alice is his; the report is not
        assert word not in export.lower(), word
    assert json.loads(export)["profile"]["blocked"] == []
    # Alice is blocked from Bob (her own list).
    assert "Bob" in shown(await app.router.run_text(alice, "blocked"))
    # ... and the two are not paired again.
    for m in (alice, bob):
        await app.router.run(m, "schedule", {"type": "coding"})
    assert not (await app.matching.run_round(alice.community.id)).sessions

    # The reports view: admins only; Resolve checked server side.
    for cmd in ("admin reports", "admin suspend member:Bob days:3", "admin unsuspend Bob"):
        assert (await app.router.run_text(bob, cmd)).tone is Tone.ERROR
    view = await app.router.run_text(ada, "admin reports")
    assert "Alice about Bob" in shown(view) and "Open" in shown(view), shown(view)
    (resolve,) = [b.action for b in view.buttons if b.action.startswith("pl:admin.report")]
    assert (await app.router.act(bob, resolve)).tone is Tone.ERROR
    assert (await app.router.act(ada, encode(REPORT_RESOLVE, "f" * 32))).tone is Tone.ERROR
    assert (await app.router.act(ada, resolve)).tone is Tone.SUCCESS
    assert "already resolved" in shown(await app.router.act(ada, resolve))
    async with app.db.uow() as tx:
        (stored,) = await tx.reports.for_community(alice.community.id, limit=10)
    assert stored.status is ReportStatus.RESOLVED and stored.resolved_by == ada.member.id
    assert "Resolved" in shown(await app.router.run_text(ada, "admin reports"))


async def test_history_offers_report_buttons_for_past_sessions(app: App) -> None:
    alice = await ready_member(app, "alice")
    bob = await ready_member(app, "bob")
    session = await finished_session(
        app, alice, bob, start=T0 - timedelta(days=1), state=SessionState.NO_SHOW
    )
    history = await app.router.run(bob, "history", {})
    assert [b.action for b in history.buttons] == [encode(REPORT_OPEN, session.id)]
    assert "Alice" in history.buttons[0].label
    done = await report(app, bob, session.id, reason="no-show-dispute", details="I was there.")
    assert done.tone is Tone.SUCCESS
    assert not (await app.router.run(bob, "history", {})).buttons


async def test_suspension_keeps_a_member_out_until_it_ends_or_is_lifted(
    database_url: str, clock: FakeClock
) -> None:
    chat = FakeChat()
    app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        ada = await make_actor(app, "ada", admin=True)
        alice = await ready_member(app, "alice")
        bob = await ready_member(app, "bob")
        await app.router.run(alice, "schedule", {"type": "coding"})
        await app.router.run(bob, "schedule", {"type": "coding"})
        for bad in ("admin suspend member:Bob days:0", "admin suspend member:Nobody days:2"):
            assert (await app.router.run_text(ada, bad)).tone is Tone.ERROR
        done = await app.router.run_text(
            ada, "admin suspend member:Bob days:3 reason:spam in the thread"
        )
        assert done.tone is Tone.SUCCESS, shown(done)
        await app.tick()
        (told,) = [m for m in chat.dms_to("bob") if m.title == "Matching paused"]
        ends = T0 + timedelta(days=3)
        assert f"{{t:{int(ends.timestamp())}:F}}" in (told.text or "")
        assert "spam" not in shown(told)

        assert not (await app.matching.run_round(alice.community.id)).sessions
        refused = await app.router.run(bob, "schedule", {"type": "behavioral"})
        assert refused.tone is Tone.ERROR and f"{int(ends.timestamp())}" in (refused.text or "")
        assert (await app.router.run(bob, "now", {"type": "coding"})).tone is Tone.ERROR
        view = shown(await app.router.run_text(ada, "admin reports"))
        assert "Suspensions" in view and "Bob" in view and "spam in the thread" in view

        # A restart keeps it (it is in the database).
        await app.close()
        app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
        assert not (await app.matching.run_round(alice.community.id)).sessions

        lifted = await app.router.run_text(ada, "admin unsuspend member:Bob")
        assert lifted.tone is Tone.SUCCESS
        assert "not suspended" in shown(await app.router.run_text(ada, "admin unsuspend Bob"))
        (session,) = (await app.matching.run_round(alice.community.id)).sessions
        assert bob.member.id in session.member_ids
        assert "lifted" in shown(await app.router.run_text(ada, "admin reports"))

        await app.tick()
        # Bob's own end step finds his suspension lifted: he is not told twice.
        clock.set(ends + timedelta(minutes=1))
        await app.tick()
        assert [
            m.text for m in chat.dms_to("bob") if "running again" in m.text or "ended" in m.text
        ] == ["Your matching is running again: `/mock schedule` to ask for a session."]

        # A suspension also ends by itself, and the member is told then.
        await app.router.run_text(ada, "admin suspend member:Alice days:1")
        await app.tick()
        assert (await app.router.run(alice, "now", {"type": "behavioral"})).tone is Tone.ERROR
        clock.set(clock.now() + timedelta(days=1, minutes=1))
        await app.tick()
        assert any("pause from matching has ended" in m.text for m in chat.dms_to("alice"))
        assert (
            await app.router.run(alice, "schedule", {"type": "behavioral"})
        ).tone is Tone.SUCCESS
    finally:
        await app.close()


async def test_two_presses_at_once_store_one_report(app: App) -> None:
    alice = await ready_member(app, "alice")
    bob = await ready_member(app, "bob")
    session = await finished_session(app, alice, bob, start=T0 - timedelta(hours=3))
    first, second = await asyncio.gather(
        report(app, alice, session.id, reason="rude", details="one"),
        report(app, alice, session.id, reason="other", details="two"),
    )
    assert sorted([first.tone, second.tone]) == sorted([Tone.SUCCESS, Tone.ERROR])
    refused = first if first.tone is Tone.ERROR else second
    assert "already reported" in (refused.text or ""), shown(refused)
    async with app.db.uow() as tx:
        (stored,) = await tx.reports.for_community(alice.community.id, limit=10)
        me = await tx.members.get(alice.member.id)
    assert me is not None and me.blocked == (bob.member.id,)
    assert stored.text == ("one" if first.tone is Tone.SUCCESS else "two")
