"""Mock loops in the core: booking rounds as ordinary requests, running them through the
ordinary matching rounds, the debrief and its rules, cancelling, and bad templates."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.loop_debrief import RoundResult, recommend
from bot.core.loop_models import LoopStatus
from bot.core.messages import Tone, message_from_dict
from bot.core.models import RequestStatus
from bot.core.services.actor import Actor
from bot.core.vocab import InterviewType, Level
from bot.prompts.loop_templates import check_loop_text, load_loop_templates
from tests.conftest import ready_member
from tests.core.test_privacy import export_of
from tests.loop_helpers import run_rounds

CODING, DESIGN, BEHAVIORAL = (
    InterviewType.CODING,
    InterviewType.SYSTEM_DESIGN,
    InterviewType.BEHAVIORAL,
)


async def _community(app: App) -> dict[str, Actor]:
    alice = await ready_member(app, "alice", types="coding, system design, behavioral")
    bob = await ready_member(app, "bob", types="coding")
    carol = await ready_member(app, "carol", types="system design")
    dave = await ready_member(app, "dave", types="behavioral")
    return {a.member.id: a for a in (alice, bob, carol, dave)}


async def _partners_ask(app: App, actors: dict[str, Actor]) -> None:
    for actor in actors.values():
        if actor.member.display_name == "Alice":
            continue
        (kind,) = actor.member.interview_types
        reply = await app.router.run(actor, "schedule", {"type": kind.value, "days": "14"})
        assert reply.tone is Tone.SUCCESS, reply.text


async def test_a_loop_books_its_rounds_runs_them_and_writes_the_debrief(
    app: App, clock: FakeClock
) -> None:
    actors = await _community(app)
    alice = next(a for a in actors.values() if a.member.display_name == "Alice")
    booked = await app.router.run_path(
        alice, ("loop", "start"), {"template": "backend", "level": "senior"}
    )
    assert booked.tone is Tone.SUCCESS, booked.text
    assert "Backend onsite" in (booked.title or "") and "Senior" in booked.text
    assert "Startups often swap the algorithm round" in booked.text  # the template's own notes
    assert [b.action.split(":")[1] for b in booked.buttons] == ["loop.cancel"]
    async with app.db.uow() as tx:
        (loop,) = await tx.loops.for_member(alice.member.id)
        requests = await tx.loops.requests(loop.id)
    assert [r.interview_type for r in requests] == [CODING, DESIGN, BEHAVIORAL]
    assert all(r.loop_id == loop.id and r.status is RequestStatus.OPEN for r in requests)
    # Windows spread over the span, one after the other.
    assert requests[0].window_end == requests[1].window_start < requests[2].window_start
    assert requests[2].window_end == loop.ends_at
    again = await app.router.run_path(alice, ("loop", "start"), {"template": "sre"})
    assert again.tone is Tone.ERROR and "already have a loop running" in again.text

    await _partners_ask(app, actors)
    held = await run_rounds(
        app,
        clock,
        alice.community.id,
        actors,
        {CODING: "strong-yes", DESIGN: "lean-no", BEHAVIORAL: "lean-yes"},
        alice.member.id,
        rounds=3,
    )
    assert sorted(s.interview_type for s in held) == sorted([CODING, DESIGN, BEHAVIORAL])
    partners = {next(m for m in s.member_ids if m != alice.member.id) for s in held}
    async with app.db.uow() as tx:  # what the matcher reads: each earlier partner as just met
        met = await app.loops.partner_history(tx, await tx.loops.requests(loop.id), clock.now())
    assert met == {frozenset({alice.member.id, p}): clock.now() for p in partners}
    for s in held:  # the guide of the part where Alice is the candidate opens with the loop note
        part = 0 if s.candidate_id == alice.member.id else 1
        assert "round of your candidate's mock loop" in s.prompt_reasons[part]
        assert "mock loop" not in s.prompt_reasons[1 - part]
    assert len(partners) == 3  # a different partner each round

    async with app.db.uow() as tx:
        loop_now = await tx.loops.get(loop.id)
        sent = [i for i in await tx.outbox.all() if i.key == f"loop:{loop.id}:debrief"]
    assert loop_now is not None and loop_now.status is LoopStatus.DEBRIEFED
    (item,) = sent
    assert item.member_id == alice.member.id
    message = message_from_dict(item.message)
    fields = {f.name: f.value for f in message.fields}
    assert "Strong yes" in fields["Round 1: Coding"]
    assert "Lean no" in fields["Round 2: System design"]
    assert "Lean yes" in fields["Round 3: Behavioral"]
    verdict = fields["Recommendation at Senior: Lean hire"]
    assert "strong yes in Coding" in verdict and "advocate" in verdict
    weakest = fields["Weakest across the loop, and what to practise next"]
    assert "/4" in weakest and "/mock schedule type:" in weakest
    assert "After a bad round mid-loop" in fields and "Startup or large company" in fields
    assert "Large companies keep" in fields["This loop at a startup or a large company"]

    status = await app.router.run_path(alice, ("loop", "status"), {})
    assert status.title == "Loop debrief: Backend onsite"
    progress = await app.router.run(alice, "progress", {})
    latest = {f.name: f.value for f in progress.fields}["Latest mock loop"]
    assert latest.startswith("Backend onsite: Lean hire at Senior")
    digest = await app.router.run(alice, "digest", {})
    week = {f.name: f.value for f in digest.fields}
    assert "Backend onsite: Lean hire at Senior" in week["Mock loop debrief"]


async def test_only_the_member_cancels_their_loop(app: App) -> None:
    actors = await _community(app)
    alice, bob = list(actors.values())[:2]
    await app.router.run_path(alice, ("loop", "start"), {"template": "backend"})
    async with app.db.uow() as tx:
        (loop,) = await tx.loops.for_member(alice.member.id)
    refused = await app.router.act(bob, f"pl:loop.cancel:{loop.id}")
    assert refused.tone is Tone.ERROR and "not yours" in refused.text
    crafted = await app.router.run_path(bob, ("loop", "cancel"), {"loop": loop.id})
    assert crafted.tone is Tone.ERROR and "not yours" in crafted.text
    async with app.db.uow() as tx:
        still = await tx.loops.get(loop.id)
        open_ = [r for r in await tx.loops.requests(loop.id) if r.status is RequestStatus.OPEN]
    assert still is not None and still.status is LoopStatus.ACTIVE and len(open_) == 3
    done = await app.router.act(alice, f"pl:loop.cancel:{loop.id}")
    assert done.tone is Tone.SUCCESS and "3 round(s) not yet paired" in done.text
    async with app.db.uow() as tx:
        gone = await tx.loops.get(loop.id)
        left = [r for r in await tx.loops.requests(loop.id) if r.status is RequestStatus.OPEN]
    assert gone is not None and gone.status is LoopStatus.CANCELLED and not left


async def test_bad_options_are_refused_with_what_is_accepted(app: App) -> None:
    actors = await _community(app)
    alice = next(iter(actors.values()))
    bad = await app.router.run_path(alice, ("loop", "start"), {"template": "cooking"})
    assert bad.tone is Tone.ERROR and "backend" in bad.text and "sre" in bad.text
    days = await app.router.run_path(alice, ("loop", "start"), {"template": "sre", "days": "30"})
    assert days.tone is Tone.ERROR and "7" in days.text and "14" in days.text
    helped = await app.router.run(alice, "help", {"topic": "loop"})
    assert "/mock loop start" in helped.text and "/mock loop cancel" in helped.text
    assert "/mock loop status" in (await app.router.run(alice, "help", {})).text
    form = await app.router.run_path(alice, ("loop", "start"), {})
    assert form.form is not None and any(i.id == "template" for i in form.form.inputs)
    await app.router.run(alice, "schedule", {"type": "coding"})
    clash = await app.router.run_path(alice, ("loop", "start"), {"template": "backend"})
    assert clash.tone is Tone.ERROR and "open Coding request" in clash.text
    async with app.db.uow() as tx:
        assert not await tx.loops.for_member(alice.member.id)


async def test_the_span_passing_writes_a_debrief_with_what_came_in(
    app: App, clock: FakeClock
) -> None:
    actors = await _community(app)
    alice = next(iter(actors.values()))
    await app.router.run_path(alice, ("loop", "start"), {"template": "backend", "days": "7"})
    clock.advance(timedelta(days=11))
    await app.tick()
    async with app.db.uow() as tx:
        (loop,) = await tx.loops.for_member(alice.member.id)
    assert loop.status is LoopStatus.DEBRIEFED and loop.debrief is not None
    assert loop.debrief["recommendation"] == "No decision"
    status = await app.router.run_path(alice, ("loop", "status"), {})
    shown = {f.value for f in status.fields}
    assert "Not held: no partner was free in its part of the loop's span." in shown, shown


def _rounds(*verdicts: str | None) -> tuple[RoundResult, ...]:
    return tuple(
        RoundResult(k, InterviewType.CODING, True, None, (("d", "D", 3),) if v else (), v)
        for k, v in enumerate(verdicts)
    )


def test_the_committee_rules() -> None:
    assert recommend(_rounds("strong-yes", "strong-no", "strong-yes"), Level.MID)[0] == "No hire"
    assert recommend(_rounds("lean-no", "lean-no", "strong-yes"), Level.MID)[0] == "No hire"
    assert recommend(_rounds("lean-no", "lean-yes", "strong-yes"), Level.MID)[0] == "Lean hire"
    assert recommend(_rounds("lean-no", "lean-yes", "lean-yes"), Level.MID)[0] == "Lean no hire"
    assert recommend(_rounds("lean-yes", "strong-yes", "lean-yes"), Level.MID)[0] == "Hire"
    assert recommend(_rounds("lean-yes", "lean-yes", "lean-yes"), Level.MID)[0] == "Lean hire"
    outcome, why = recommend(_rounds("lean-yes", None, "strong-yes"), Level.SENIOR)
    assert outcome == "Hire" and "1 of 3 rounds had no feedback" in why and "Senior" in why
    assert recommend(_rounds(None, None, None), Level.MID)[0] == "No decision"


def test_bundled_templates_cover_the_tracks() -> None:
    templates = load_loop_templates()
    assert {"backend", "data-engineering", "sre", "ml", "frontend"} <= set(templates)
    assert templates["sre"].types[0] is InterviewType.SRE_TROUBLESHOOTING
    assert templates["data-engineering"].types[0] is InterviewType.SQL_DATA_MODELLING


def test_bad_template_files_are_refused_naming_what_is_accepted() -> None:
    text = """id: mine
name: My loop
track: backend
days: 30
flavour: spicy
rounds:
  - type: cooking
  - type: coding
  - type: coding
"""
    template, errors = check_loop_text(text, "mine.yaml")
    assert template is None
    messages = [str(e) for e in errors]
    joined = "\n".join(messages)
    assert "days" in joined and "Accepted: 7 to 14 days" in joined
    assert "flavour" in joined and "Accepted keys" in joined
    assert "rounds[0].type" in joined and "sre-troubleshooting" in joined
    assert all(e.line is not None for e in errors)
    twice, errors = check_loop_text(
        "id: x\nname: Two\ntrack: backend\nrounds:\n  - type: coding\n  - type: coding\n"
        "  - type: behavioral\n",
        "x.yaml",
    )
    assert twice is None and "repeated: coding" in str(errors[0])
    short, errors = check_loop_text(
        "id: y\nname: Short\ntrack: backend\nrounds:\n  - type: coding\n", "y.yaml"
    )
    assert short is None and "Accepted: 3 to 4 rounds" in str(errors[0])
    named, errors = check_loop_text(
        "id: other\nname: Named\ntrack: sre\nrounds:\n  - type: coding\n  - type: behavioral\n"
        "  - type: system-design\n",
        "mine.yaml",
    )
    assert named is None and "the id must be the file's name: mine" in str(errors[0])
    broken, errors = check_loop_text("id: [unclosed\n", "z.yaml")
    assert broken is None and "not valid YAML" in str(errors[0])


async def test_export_holds_the_loop_and_forget_me_removes_it(app: App, clock: FakeClock) -> None:
    actors = await _community(app)
    alice = next(iter(actors.values()))
    await app.router.run_path(alice, ("loop", "start"), {"template": "backend"})
    _reply, doc, _text = await export_of(app, alice)
    (loop,) = doc["loops"]  # type: ignore[misc]
    assert loop["template"] == "backend" and loop["rounds"] == [
        "coding",
        "system-design",
        "behavioral",
    ]
    assert {r["loop_id"] for r in doc["requests"]} == {loop["id"]}  # type: ignore[attr-defined]
    delete = (await app.router.run(alice, "forget-me", {})).buttons[0]
    done = await app.router.act(alice, delete.action)
    assert done.tone is Tone.SUCCESS, done.text
    async with app.db.uow() as tx:
        assert await tx.loops.get(loop["id"]) is None
    clock.advance(timedelta(days=30))
    await app.tick()  # the loop's end step finds nothing to debrief
    async with app.db.uow() as tx:
        assert await tx.loops.get(loop["id"]) is None


async def test_two_bookings_at_once_make_one_loop(app: App) -> None:
    actors = await _community(app)
    alice = next(iter(actors.values()))
    replies = await asyncio.gather(
        app.router.run_path(alice, ("loop", "start"), {"template": "backend"}),
        app.router.run_path(alice, ("loop", "start"), {"template": "data-science"}),
    )
    assert sorted(r.tone is Tone.SUCCESS for r in replies) == [False, True]
    async with app.db.uow() as tx:
        (loop,) = await tx.loops.for_member(alice.member.id)
        assert len(await tx.loops.requests(loop.id)) == 3
        assert len(await tx.requests.open_for_member(alice.member.id)) == 3


async def test_the_debrief_says_why_a_round_was_not_held(app: App, clock: FakeClock) -> None:
    """A round whose session was called off reads so, and a round nobody was free for reads
    that: not the same bare "not held" for both."""
    actors = await _community(app)
    alice = next(a for a in actors.values() if a.member.display_name == "Alice")
    bob = next(a for a in actors.values() if a.member.display_name == "Bob")
    await app.router.run_path(alice, ("loop", "start"), {"template": "backend", "days": "7"})
    reply = await app.router.run(bob, "schedule", {"type": "coding", "days": "14"})
    assert reply.tone is Tone.SUCCESS, reply.text
    (session,) = (await app.matching.run_round(alice.community.id)).sessions
    assert set(session.member_ids) == {alice.member.id, bob.member.id}
    off = await app.router.act(bob, f"pl:session.cancel:{session.id}")
    assert off.tone is not Tone.ERROR, off.text
    clock.advance(timedelta(days=11))
    await app.tick()
    status = await app.router.run_path(alice, ("loop", "status"), {})
    shown = [f.value for f in status.fields]
    assert "Not held: its session was called off." in shown, shown
    assert "Not held: no partner was free in its part of the loop's span." in shown, shown
