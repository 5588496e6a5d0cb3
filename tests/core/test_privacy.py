"""/mock export and /mock forget-me through the router, on a real SQLite database."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.app import App
from bot.core.actions import decode
from bot.core.clock import FakeClock
from bot.core.feedback_models import Feedback, FeedbackRole
from bot.core.messages import ButtonStyle, OutboundMessage, Tone
from bot.core.models import (
    ActionKind,
    NoShowReport,
    RequestStatus,
    RoundRecord,
    ScheduledAction,
    Session,
    SessionState,
)
from bot.core.services.actor import Actor, new_id
from bot.core.services.outbox import queue_direct
from bot.storage.privacy_repo import SqlPrivacyRepo
from tests.conftest import T0, make_actor, ready_member
from tests.fakes.fake_chat import FakeChat
from tests.feedback_helpers import finished_session


@pytest.fixture
def app(chat_app: App) -> App:
    """These tests run on SQLite with a recording chat (``chat``)."""
    return chat_app


def _fb(
    session: Session, part: int, author: Actor, subject: Actor, role: FeedbackRole, **extra: object
) -> Feedback:
    base: dict[str, object] = dict(
        id=new_id(),
        session_id=session.id,
        part=part,
        author_id=author.member.id,
        subject_id=subject.member.id,
        role=role,
        scores={"problem_solving": 3, "communication": 2},
        submitted_at=session.start + timedelta(hours=2),
        updated_at=session.start + timedelta(hours=2),
        revealed_at=session.start + timedelta(hours=3),
    )
    base.update(extra)
    return Feedback(**base)  # type: ignore[arg-type]


@dataclass
class World:
    alice: Actor
    bob: Actor
    carol: Actor
    dave: Actor
    erin: Actor
    past: Session
    hidden: Session
    upcoming: Session


async def world(app: App) -> World:
    """Alice has a past session with Bob (all feedback revealed), one with Carol (Carol's feedback
    not revealed yet, and a no-show report), and an upcoming session with Dave booked by a real
    matching round. Erin is unrelated."""
    alice = await ready_member(app, "alice", level="senior", availability="daily 18:00-20:00")
    dave = await ready_member(app, "dave", level="mid", availability="daily 18:00-20:00")
    bob, carol = await ready_member(app, "bob"), await ready_member(app, "carol")
    erin = await ready_member(app, "erin", types="behavioral")
    assert (await app.router.run(erin, "schedule", {"type": "behavioral"})).tone is Tone.SUCCESS
    assert (await app.router.run(alice, "schedule", {"type": "coding"})).tone is Tone.SUCCESS
    assert (await app.router.run(dave, "schedule", {"type": "coding"})).tone is Tone.SUCCESS
    outcome = await app.matching.run_round(alice.community.id)
    [upcoming] = outcome.sessions
    assert set(upcoming.member_ids) == {alice.member.id, dave.member.id}
    await app.tick()
    past = await finished_session(app, alice, bob, start=T0 - timedelta(days=10))
    hidden = await finished_session(app, carol, alice, start=T0 - timedelta(days=3), swap=False)
    async with app.db.uow() as tx:
        # Part 1: Alice interviews Bob.
        await tx.feedback.save(
            _fb(
                past,
                1,
                alice,
                bob,
                FeedbackRole.INTERVIEWER,
                strengths="Bob structured well",
                admin_note="ALICE-ADMIN-NOTE",
            )
        )
        await tx.feedback.save(
            _fb(
                past,
                1,
                bob,
                alice,
                FeedbackRole.CANDIDATE,
                scores={"problem_solving": 1},
                interviewer_ratings={"preparation": 4},
                improvements="BOB-TIP-FOR-ALICE",
            )
        )
        # Part 2: Bob interviews Alice.
        await tx.feedback.save(
            _fb(
                past,
                2,
                bob,
                alice,
                FeedbackRole.INTERVIEWER,
                strengths="ALICE-STRENGTHS",
                admin_note="BOB-SECRET-ADMIN-NOTE",
                verdict="hire",
            )
        )
        await tx.feedback.save(
            _fb(past, 2, alice, bob, FeedbackRole.CANDIDATE, scores={"problem_solving": 4})
        )
        # Carol's feedback about Alice is not revealed yet.
        await tx.feedback.save(
            _fb(
                hidden,
                1,
                carol,
                alice,
                FeedbackRole.INTERVIEWER,
                strengths="CAROL-UNREVEALED",
                revealed_at=None,
            )
        )
        await tx.no_shows.add(
            NoShowReport(hidden.id, carol.member.id, alice.member.id, hidden.start), new_id()
        )
        # Something waiting for Alice: a message and a step addressed to her.
        await queue_direct(
            tx,
            key="test:note-for-alice",
            community_id=alice.community.id,
            member_id=alice.member.id,
            now=T0 + timedelta(days=30),
            message=OutboundMessage(text="later"),
        )
        await tx.actions.add(
            ScheduledAction(
                id=new_id(),
                key=f"digest:{alice.member.id}",
                kind=ActionKind.DIGEST,
                community_id=alice.community.id,
                due_at=T0 + timedelta(days=30),
                payload={"member_id": alice.member.id},
            )
        )
    return World(alice, bob, carol, dave, erin, past, hidden, upcoming)


async def counts(app: App, actor: Actor) -> dict[str, int]:
    async with app.db.uow() as tx:
        return await tx.privacy.count_rows(actor.community.id, actor.member.id)


async def export_of(app: App, actor: Actor) -> tuple[OutboundMessage, dict[str, object], str]:
    reply = await app.router.run(actor, "export", {})
    assert reply.tone is Tone.SUCCESS and reply.ephemeral
    [attachment] = reply.attachments
    assert attachment.mime == "application/json" and attachment.filename.endswith(".json")
    text = attachment.data.decode()
    return reply, json.loads(text), text


async def test_export_holds_the_members_data_and_nothing_private_of_others(app: App) -> None:
    w = await world(app)
    _reply, doc, text = await export_of(app, w.alice)
    assert doc["schema"] == "peerloop.member-export" and doc["schema_version"] == 2
    profile = doc["profile"]
    assert isinstance(profile, dict)
    assert profile["timezone"] == "Europe/Berlin" and profile["level"] == "senior"
    assert doc["availability"]["windows"][0] == {
        "weekday": 0,
        "start_minute": 18 * 60,
        "end_minute": 20 * 60,
    }  # type: ignore[index]
    assert doc["digest"] == {"opt_out": False, "nudge_when_quiet": True}
    assert [r["interview_type"] for r in doc["requests"]] == ["coding"]  # type: ignore[attr-defined]
    partners = sorted(s["partner"] for s in doc["sessions"])  # type: ignore[attr-defined]
    assert partners == ["Bob", "Carol", "Dave"]
    # Partners appear by display name only: no other member's id anywhere in the file.
    for other in (w.bob, w.carol, w.dave, w.erin):
        assert other.member.id not in text
    written = doc["feedback_written"]
    assert {(f["part"], f["your_role"]) for f in written} == {(1, "interviewer"), (2, "candidate")}  # type: ignore[attr-defined]
    assert "ALICE-ADMIN-NOTE" in text  # her own note is hers
    received = {(f["part"], f["as_candidate"]): f for f in doc["feedback_received"]}  # type: ignore[attr-defined]
    assert set(received) == {(1, False), (2, True)}
    assert (
        received[(2, True)]["strengths"] == "ALICE-STRENGTHS"
        and received[(2, True)]["from"] == "Bob"
    )
    assert (
        received[(1, False)]["tip"] == "BOB-TIP-FOR-ALICE" and "scores" not in received[(1, False)]
    )
    assert "BOB-SECRET-ADMIN-NOTE" not in text and "CAROL-UNREVEALED" not in text
    assert [a["scores"] for a in doc["self_assessments"]] == [{"problem_solving": 4}]  # type: ignore[attr-defined]
    assert doc["no_show_reports"] == {
        "about_me": [  # type: ignore[comparison-overlap]
            {
                "session_id": w.hidden.id,
                "reported_by": "Carol",
                "reported_at": w.hidden.start.isoformat(),
                "cleared": False,
            }
        ],
        "by_me": [],
    }
    [paired] = doc["matching_rounds"]["paired"]  # type: ignore[index]
    assert paired["partner"] == "Dave"


async def test_bob_sees_only_his_side(app: App) -> None:
    w = await world(app)
    _reply, doc, text = await export_of(app, w.bob)
    assert [s["partner"] for s in doc["sessions"]] == ["Alice"]  # type: ignore[attr-defined]
    # Alice's self-scores in her candidate form about Bob are hers, not Bob's.
    [received] = [f for f in doc["feedback_received"] if not f["as_candidate"]]  # type: ignore[attr-defined]
    assert "scores" not in received
    assert "ALICE-ADMIN-NOTE" not in text and w.alice.member.id not in text


async def test_forget_me_asks_first_with_buttons_bound_to_the_member(app: App) -> None:
    w = await world(app)
    before = await counts(app, w.alice)
    ask = await app.router.run(w.alice, "forget-me", {})
    assert ask.ephemeral and ask.tone is Tone.WARNING
    delete, keep = ask.buttons
    assert (delete.label, delete.style) == ("Delete my data", ButtonStyle.DANGER)
    assert (keep.label, keep.style) == ("Keep my data", ButtonStyle.SECONDARY)
    assert "1 upcoming session(s)" in ask.text and "2 past session(s)" in ask.text
    assert decode(delete.action).args[0] == w.alice.member.id
    # Someone else's clicks are refused and change nothing.
    refused = await app.router.act(w.bob, delete.action)
    assert refused.tone is Tone.ERROR and "someone else" in refused.text
    assert (await app.router.act(w.bob, keep.action)).tone is Tone.ERROR
    assert (await app.router.act(w.alice, keep.action)).text.startswith("Nothing was deleted")
    assert await counts(app, w.alice) == before


async def test_a_stale_confirmation_is_refused(app: App, clock: FakeClock) -> None:
    w = await world(app)
    before = await counts(app, w.alice)
    delete = (await app.router.run(w.alice, "forget-me", {})).buttons[0]
    clock.advance(timedelta(minutes=16))
    stale = await app.router.act(w.alice, delete.action)
    assert stale.tone is Tone.ERROR and "expired" in stale.text
    assert await counts(app, w.alice) == before


async def test_forget_me_removes_every_row_and_partners_keep_their_side(
    app: App, chat: FakeChat
) -> None:
    w = await world(app)
    erin_before = await counts(app, w.erin)
    async with app.db.uow() as tx:
        erin_profile = await tx.members.get(w.erin.member.id)
    before = await counts(app, w.alice)
    assert before["members"] == 1 and before["sessions"] == 3 and before["feedback"] == 5
    assert before["no_show_reports"] == 1 and before["match_rounds"] == 1
    assert before["outbox"] == 1 and before["scheduled_actions"] == 1

    delete = (await app.router.run(w.alice, "forget-me", {})).buttons[0]
    done = await app.router.act(w.alice, delete.action)
    assert done.tone is Tone.SUCCESS and done.title == "Your data is deleted"
    assert set((await counts(app, w.alice)).values()) == {0}

    async with app.db.uow() as tx:
        # The upcoming session never took place: gone, and Dave has a priority request again.
        assert await tx.sessions.get(w.upcoming.id) is None
        [dave_open] = await tx.requests.open_for_member(w.dave.member.id)
        assert dave_open.priority and dave_open.status is RequestStatus.OPEN
        # The past session stays for Bob, with a placeholder in Alice's seat.
        past = await tx.sessions.get(w.past.id)
        assert past is not None and past.state is SessionState.COMPLETED
        assert past.interviewer_id != w.alice.member.id and past.candidate_id == w.bob.member.id
        placeholder = await tx.members.get(past.interviewer_id)
        assert placeholder is not None and placeholder.display_name == "Former member"
        assert placeholder.external_id != "alice"
        # Bob keeps his own self-scores, without what he said about Alice; his feedback about
        # Alice and hers about him are gone.
        [bob_self] = await tx.feedback.for_session(w.past.id)
        assert bob_self.author_id == w.bob.member.id and bob_self.role is FeedbackRole.CANDIDATE
        assert bob_self.scores == {"problem_solving": 1} and bob_self.subject_id == placeholder.id
        assert bob_self.interviewer_ratings == {} and bob_self.improvements == ""
        assert await tx.members.find(w.alice.community.id, "alice") is None
        erin_after = await tx.members.get(w.erin.member.id)
    assert erin_after == erin_profile and await counts(app, w.erin) == erin_before
    async with app.db.uow() as tx:  # the placeholder is not counted as a member
        stats = await tx.stats.community_stats(w.alice.community.id, app.clock.now(), (7,))
        everyone = await tx.members.list(w.alice.community.id)
    assert stats.members == len(everyone) - 1 and placeholder in everyone

    await app.tick()
    [notice] = [m for m in chat.dms_to("dave") if m.title == "Session cancelled"]
    assert (
        "Your partner can't make it" in notice.text
        and "Alice" not in notice.text
        and notice.attachments[0].mime == "text/calendar"
    )
    assert "STATUS:CANCELLED" in notice.attachments[0].data.decode()
    assert not [m for m in chat.dms_to("alice") if m.title == "Session cancelled"]
    # Bob's history shows the placeholder by name.
    _reply, bob_doc, _text = await export_of(app, w.bob)
    assert [s["partner"] for s in bob_doc["sessions"]] == ["Former member"]  # type: ignore[attr-defined]


async def test_double_click_is_idempotent(app: App) -> None:
    w = await world(app)
    delete = (await app.router.run(w.alice, "forget-me", {})).buttons[0]
    assert (await app.router.act(w.alice, delete.action)).tone is Tone.SUCCESS
    # The same click again: the face resolves the clicker anew (which re-creates an empty member).
    again_actor = await make_actor(app, "alice")
    assert again_actor.member.id != w.alice.member.id
    again = await app.router.act(again_actor, delete.action)
    assert again.tone is Tone.SUCCESS and again.text == "Your data has already been deleted."
    async with app.db.uow() as tx:
        assert await tx.members.find(w.alice.community.id, "alice") is None
    # A click racing the first (same stale actor) gets the same answer.
    assert (
        await app.router.act(w.alice, delete.action)
    ).text == "Your data has already been deleted."


async def test_a_failure_midway_rolls_everything_back(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await world(app)
    before = await counts(app, w.alice)

    async def broken(
        self: SqlPrivacyRepo, community_id: str, member_id: str, replacement: str
    ) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(SqlPrivacyRepo, "scrub_rounds", broken)
    delete = (await app.router.run(w.alice, "forget-me", {})).buttons[0]
    reply = await app.router.act(w.alice, delete.action)  # the router's boundary answers
    assert reply.tone is Tone.ERROR and "Something went wrong (incident" in reply.text
    assert "disk full" not in reply.text
    assert await counts(app, w.alice) == before
    async with app.db.uow() as tx:
        assert await tx.sessions.get(w.upcoming.id) is not None
        assert len(await tx.feedback.for_session(w.past.id)) == 4


async def test_forget_me_waits_for_a_session_in_progress(app: App) -> None:
    alice, bob = await make_actor(app, "alice"), await make_actor(app, "bob")
    await finished_session(
        app, alice, bob, start=T0 - timedelta(minutes=20), state=SessionState.IN_PROGRESS
    )
    reply = await app.router.run(alice, "forget-me", {})
    assert reply.tone is Tone.ERROR and "in progress" in reply.text and not reply.buttons


async def test_two_clicks_at_once_erase_once(app: App) -> None:
    w = await world(app)
    delete = (await app.router.run(w.alice, "forget-me", {})).buttons[0]
    first, second = await asyncio.gather(
        app.router.act(w.alice, delete.action), app.router.act(w.alice, delete.action)
    )
    assert "Your data has already been deleted." in {first.text, second.text}
    assert {first.title, second.title} == {"Your data is deleted", None}
    assert set((await counts(app, w.alice)).values()) == {0}
    async with app.db.uow() as tx:
        placeholders = [
            m
            for m in await tx.members.list(w.alice.community.id)
            if m.display_name == "Former member"
        ]
    assert len(placeholders) == 1


async def _export_size_after_rounds(
    app: App, actor: Actor, partner: Actor, rounds: int, start: int
) -> int:
    async with app.db.uow() as tx:
        for i in range(start, rounds):
            ran = T0 + timedelta(minutes=30 * i)
            paired = (
                ((actor.member.id, partner.member.id, ran.isoformat()),) if i % 200 == 199 else ()
            )
            left_out = (
                ()
                if paired
                else (
                    (
                        actor.member.id,
                        "no_overlap",
                        f"No common free time with anyone this round ({i} before).",
                    ),
                )
            )
            await tx.rounds.add(
                RoundRecord(
                    id=f"round-{i:05}",
                    community_id=actor.community.id,
                    ran_at=ran,
                    considered=(actor.member.id, partner.member.id),
                    paired=paired,
                    left_out=left_out,
                )
            )
    _reply, _doc, text = await export_of(app, actor)
    return len(text.encode())


async def test_export_size_stays_bounded_as_matching_rounds_grow(app: App) -> None:
    alice = await ready_member(app, "alice")
    bob = await ready_member(app, "bob")
    small = await _export_size_after_rounds(app, alice, bob, 40, 0)
    large = await _export_size_after_rounds(app, alice, bob, 640, 40)
    _reply, doc, _text = await export_of(app, alice)
    summary = doc["matching_rounds"]
    assert summary["rounds"] == 640  # type: ignore[index]
    assert summary["outcomes"] == {"paired": 3, "left_out": 637, "considered": 0}  # type: ignore[index]
    assert [r["partner"] for r in summary["paired"]] == ["Bob"] * 3  # type: ignore[index]
    assert summary["left_out_reasons"][0]["rounds"] == 637  # type: ignore[index]
    assert len(summary["recent"]) == 10  # type: ignore[index]
    # 600 more rounds add only the pairings among them (a few hundred bytes), not an entry each.
    assert large - small < 1000, (small, large)
    assert large < 12_000, large
