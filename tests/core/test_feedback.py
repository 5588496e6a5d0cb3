"""Feedback forms, validation, edits, the reveal and the 72-hour window, on a real database."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.feedback_models import FeedbackRole
from bot.core.messages import (
    ChoiceInput,
    OutboundMessage,
    TextInput,
    Tone,
    message_from_dict,
)
from bot.core.models import ActionKind, NoShowReport, ScheduledAction, SessionState
from bot.core.progress import Calibration, Observation, calibrate, observations
from bot.core.services.actor import Actor
from bot.core.services.feedback_forms import window_end
from bot.core.services.progress import ProgressService
from bot.storage.feedback_repo import SqlFeedbackRepo
from tests.conftest import T0, make_actor
from tests.feedback_helpers import fill, finished_session

START = T0 - timedelta(hours=2)


async def _pair(app: App) -> tuple[Actor, Actor, Actor]:
    return (
        await make_actor(app, "alice"),
        await make_actor(app, "bob"),
        await make_actor(app, "carol"),
    )


async def _reveals(app: App) -> dict[str, list[str]]:
    async with app.db.uow() as tx:
        items = [i for i in await tx.outbox.all() if ":reveal" in i.key]
    out: dict[str, list[str]] = {}
    for item in items:
        msg = message_from_dict(item.message)
        out.setdefault(item.member_id or "", []).append(
            " ".join([msg.title or "", msg.text, *(f"{f.name} {f.value}" for f in msg.fields)])
        )
    return out


async def test_forms_fit_the_platform_limits(app: App) -> None:
    alice, bob, _ = await _pair(app)
    session = await finished_session(app, alice, bob, start=START)
    reply = await app.router.act(alice, f"pl:feedback.open:{session.id}")
    assert reply.tone is not Tone.ERROR, reply.text
    assert reply.form is not None
    assert reply.form.action == f"pl:feedback.submit:{session.id}:1:interviewer"
    assert len(reply.buttons) == 2  # interviewer in part 1, candidate in part 2
    for page in reply.form.pages:
        assert 1 <= len(page.inputs) <= 5
    ids = {i.id for i in reply.form.inputs}
    assert {"verdict", "help_needed", "strengths", "improvements", "admin_note"} <= ids
    for item in reply.form.inputs:
        if isinstance(item, ChoiceInput):
            assert all(o.description is None or len(o.description) <= 100 for o in item.options)
        if isinstance(item, TextInput):
            assert item.max_length <= 1000 and item.hint and str(item.max_length) in item.hint
    candidate_form = await app.router.act(alice, f"pl:feedback.open:{session.id}:2:candidate")
    assert candidate_form.form is not None
    cids = {i.id for i in candidate_form.form.inputs}
    assert {"rate.preparation", "rate.usefulness", "rate.again", "prompt_quality"} <= cids
    assert any(i.startswith("self.") for i in cids)


async def test_only_members_in_the_right_role_after_the_end(app: App) -> None:
    alice, bob, carol = await _pair(app)
    session = await finished_session(app, alice, bob, start=START, swap=False)
    stranger = await app.router.act(carol, f"pl:feedback.open:{session.id}")
    assert stranger.tone is Tone.ERROR and "not yours" in stranger.text
    form = (await app.router.act(alice, f"pl:feedback.open:{session.id}")).form
    assert form is not None
    wrong_role = await app.router.act(
        alice, f"pl:feedback.submit:{session.id}:1:candidate", fill(form)
    )
    assert wrong_role.tone is Tone.ERROR and "not in that role" in wrong_role.text
    no_part_two = await app.router.act(
        alice, f"pl:feedback.submit:{session.id}:2:interviewer", fill(form)
    )
    assert no_part_two.tone is Tone.ERROR
    live = await finished_session(app, alice, bob, start=T0, state=SessionState.IN_PROGRESS)
    early = await app.router.act(alice, f"pl:feedback.open:{live.id}")
    assert early.tone is Tone.ERROR and "ended" in early.text


async def test_bad_values_are_all_named_and_nothing_is_saved(app: App) -> None:
    alice, bob, _ = await _pair(app)
    session = await finished_session(app, alice, bob, start=START)
    form = (await app.router.act(alice, f"pl:feedback.open:{session.id}")).form
    assert form is not None
    score_id = next(i.id for i in form.inputs if i.id.startswith("score."))
    bad = fill(form, **{score_id: "7", "verdict": "maybe", "strengths": "ok", "sneaky": "x"})
    reply = await app.router.act(alice, form.action, bad)
    assert reply.tone is Tone.ERROR
    for expected in (
        "1, 2, 3 or 4",
        "strong-no, lean-no, lean-yes, strong-yes",
        "10 to 1000 characters",
        "Unknown field(s): sneaky",
        "Nothing was saved",
    ):
        assert expected in reply.text
    async with app.db.uow() as tx:
        assert await tx.feedback.for_session(session.id) == []


async def test_edit_until_reveal_idempotent_and_reveal_when_both_submit(app: App) -> None:
    alice, bob, _ = await _pair(app)
    session = await finished_session(app, alice, bob, start=START)
    form = (await app.router.act(alice, f"pl:feedback.open:{session.id}")).form
    assert form is not None
    values = fill(form, admin_note="Secret note for the admins only.")
    first = await app.router.act(alice, form.action, values)
    assert first.tone is Tone.SUCCESS and "Thanks, saved" in first.text
    again = await app.router.act(alice, form.action, values)
    assert "nothing changed" in again.text
    edited = await app.router.act(
        alice, form.action, {**values, "strengths": "Even clearer reasoning, well done."}
    )
    assert edited.text.startswith("Updated")
    assert await _reveals(app) == {}  # bob sees nothing before the reveal
    reopened = await app.router.act(alice, f"pl:feedback.open:{session.id}:1:interviewer")
    assert reopened.form is not None
    strengths = next(i for i in reopened.form.inputs if i.id == "strengths")
    assert (
        isinstance(strengths, TextInput)
        and strengths.default == "Even clearer reasoning, well done."
    )

    bob_form = (await app.router.act(bob, f"pl:feedback.open:{session.id}:1:candidate")).form
    assert bob_form is not None
    done = await app.router.act(
        bob, bob_form.action, fill(bob_form, improvements="Give hints a bit earlier.")
    )
    assert done.tone is Tone.SUCCESS and "shared" in done.text
    reveals = await _reveals(app)
    assert "Even clearer reasoning" in reveals[bob.member.id][0]
    assert "Secret note" not in " ".join(reveals[bob.member.id])
    assert "Give hints a bit earlier" in reveals[alice.member.id][0]
    assert "self" not in reveals[alice.member.id][0].lower()
    late_edit = await app.router.act(
        alice, form.action, {**values, "strengths": "Changing after the reveal."}
    )
    assert late_edit.tone is Tone.ERROR and "already been shared" in late_edit.text
    # Part 2 is still open for both.
    owed = await app.router.run(alice, "feedback", {})
    assert "1 session(s)" in owed.text


async def test_window_close_reveals_one_side_and_refuses_late_forms(
    app: App, clock: FakeClock
) -> None:
    alice, bob, _ = await _pair(app)
    session = await finished_session(app, alice, bob, start=START, swap=False)
    form = (await app.router.act(alice, f"pl:feedback.open:{session.id}")).form
    assert form is not None
    await app.router.act(alice, form.action, fill(form))
    async with app.db.uow() as tx:
        assert list(await app.steps.hooks.feedback_owed(tx, session)) == [bob.member.id]
        await tx.actions.add(
            ScheduledAction(
                id="close1",
                key=f"session:{session.id}:feedback-close",
                kind=ActionKind.FEEDBACK_CLOSE,
                community_id=session.community_id,
                due_at=window_end(session),
                session_id=session.id,
            )
        )
    clock.set(window_end(session) + timedelta(minutes=1))
    assert await app.steps.run_due() == 1
    reveals = await _reveals(app)
    assert list(reveals) == [bob.member.id]
    late = await app.router.act(bob, f"pl:feedback.submit:{session.id}:1:candidate", {})
    assert late.tone is Tone.ERROR and "closed" in late.text
    assert "owe no feedback" in (await app.router.run(bob, "feedback", {})).text
    async with app.db.uow() as tx:
        rows = await tx.feedback.for_session(session.id)
    assert [r.role for r in rows] == [FeedbackRole.INTERVIEWER] and rows[0].revealed_at is not None


async def test_progress_and_history_use_revealed_feedback_only(app: App) -> None:
    alice, bob, _ = await _pair(app)
    session = await finished_session(app, alice, bob, start=START, swap=False)
    empty = await app.router.run(bob, "progress", {})
    assert "No scores yet" in empty.text
    balance = {f.name: f.value for f in empty.fields}["Balance and reliability"]
    assert (
        "Interviews given: 0 · taken as candidate: 1" in balance and "no no-show marks" in balance
    )
    alice_balance = {f.name: f.value for f in (await app.router.run(alice, "progress", {})).fields}
    assert "Interviews given: 1 · taken as candidate: 0" in alice_balance["Balance and reliability"]
    async with app.db.uow() as tx:  # alice reports bob absent from an earlier session
        await tx.no_shows.add(
            NoShowReport(session.id, alice.member.id, bob.member.id, START), "ns-1"
        )
    marked = {f.name: f.value for f in (await app.router.run(bob, "progress", {})).fields}
    assert "1 no-show mark(s); reliability 50%" in marked["Balance and reliability"]
    clean = {f.name: f.value for f in (await app.router.run(alice, "progress", {})).fields}
    assert "no no-show marks" in clean["Balance and reliability"]
    form = (await app.router.act(alice, f"pl:feedback.open:{session.id}")).form
    assert form is not None
    await app.router.act(alice, form.action, fill(form))
    hidden = await app.router.run(bob, "progress", {})
    assert "No scores yet" in hidden.text  # not revealed yet: nothing leaks into progress
    bob_form = (await app.router.act(bob, f"pl:feedback.open:{session.id}")).form
    assert bob_form is not None
    await app.router.act(bob, bob_form.action, fill(bob_form))
    shown = await app.router.run(bob, "progress", {})
    assert shown.title == "Your progress" and "1 scored part(s)" in shown.text
    assert shown.attachments and shown.attachments[0].data.startswith(b"\x89PNG")
    assert shown.attachments[0].mime == "image/png"
    history = await app.router.run(bob, "history", {})
    assert "1 session part(s)" in history.text and "Alice" in history.fields[0].name
    title = app.prompts.get(session.prompt_ids[0]).title
    assert history.fields[0].value.startswith(f"Prompt: {title}.")
    assert "Balance and reliability" in {f.name for f in shown.fields}


async def test_admins_read_feedback_only_when_the_community_allows_it(app: App) -> None:
    alice, bob, _ = await _pair(app)
    session = await finished_session(app, alice, bob, start=START)
    form = (await app.router.act(alice, f"pl:feedback.open:{session.id}")).form
    assert form is not None
    await app.router.act(
        alice, form.action, fill(form, verdict="lean-yes", admin_note="Nervous at first; kind.")
    )
    ada = await make_actor(app, "ada", admin=True)

    def fields(reply: OutboundMessage) -> dict[str, str]:
        return {f.name: f.value for f in reply.fields}

    hidden = fields(await app.router.run_text(ada, f"admin member {bob.member.display_name}"))
    assert hidden["Feedback from interviewers (newest first)"].startswith("Private:")
    assert "Lean yes" not in hidden["Feedback from interviewers (newest first)"]
    assert "Nervous at first; kind." in hidden["Notes for admins"]  # notes are written for admins

    assert (
        await app.router.run_text(ada, "admin setup admins_see_feedback:yes")
    ).tone is Tone.SUCCESS
    shown = fields(await app.router.run_text(ada, f"admin member {bob.member.display_name}"))
    line = shown["Feedback from interviewers (newest first)"]
    assert "Lean yes, 3.0/4" in line and "not yet revealed" in line

    refused = await app.router.run_text(bob, f"admin member {bob.member.display_name}")
    assert refused.tone is Tone.ERROR


async def test_progress_calibration_is_reused_until_a_score_is_revealed(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob, carol = await _pair(app)
    progress = ProgressService(app.db.uow, app.clock)
    cid = alice.community.id
    reads: list[str] = []
    original = SqlFeedbackRepo.rating_observations

    async def counted(self: SqlFeedbackRepo, community_id: str) -> list[Observation]:
        reads.append(community_id)
        return await original(self, community_id)

    monkeypatch.setattr(SqlFeedbackRepo, "rating_observations", counted)

    async def by_definition() -> dict[str, float]:
        async with app.db.uow() as tx:
            rows = await tx.feedback.for_community(cid)
        return calibrate(observations([f for f in rows if f.revealed_at is not None])).offsets

    async def both_submit(
        interviewer: Actor, candidate: Actor, start: datetime, score: str
    ) -> None:
        session = await finished_session(app, interviewer, candidate, start=start, swap=False)
        for who in (interviewer, candidate):
            form = (await app.router.act(who, f"pl:feedback.open:{session.id}")).form
            assert form is not None
            scores = {
                i.id: score
                for i in form.inputs
                if isinstance(i, ChoiceInput) and i.options[0].value == "1"
            }
            await app.router.act(who, form.action, fill(form, **scores))

    await both_submit(alice, bob, START - timedelta(hours=5), "4")
    await progress.report(bob)
    first = progress._calibrations[cid][1].offsets
    await progress.report(bob)
    await progress.report(carol)
    assert len(reads) == 1  # nothing new revealed: the calibration is reused
    assert first == await by_definition() and first

    await both_submit(carol, bob, START, "1")  # a much harsher rater
    await progress.report(bob)
    second = progress._calibrations[cid][1].offsets
    assert len(reads) == 2  # a new reveal: calibrated again
    assert second == await by_definition() != first


async def test_concurrent_progress_requests_share_one_calibration_off_the_loop(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests that miss the calibration cache at the same moment compute it once, and not
    on the event loop's thread."""
    import threading

    import bot.core.services.progress as progress_module

    alice, bob, carol = await _pair(app)
    await finished_session(app, alice, bob, start=START - timedelta(hours=5), swap=False)
    progress = ProgressService(app.db.uow, app.clock)
    loop_thread = threading.get_ident()
    threads: list[int] = []

    def counted(obs: list[Observation]) -> Calibration:
        threads.append(threading.get_ident())
        return calibrate(obs)

    monkeypatch.setattr(progress_module, "calibrate", counted)
    reports = await asyncio.gather(
        *(progress.report(who) for who in (alice, bob, carol, bob, alice))
    )
    assert len(reports) == 5
    assert len(threads) == 1 and threads[0] != loop_thread
    assert not progress._calibrating  # nothing left behind once computed


async def test_optional_inputs_are_marked_once_by_the_face(app: App) -> None:
    """The core says whether an input is required; each face marks the optional ones its own way."""
    from bot.console.forms import FormFiller

    alice, bob, _ = await _pair(app)
    session = await finished_session(app, alice, bob, start=START)
    for part, role in ((1, "interviewer"), (2, "candidate")):
        form = (await app.router.act(alice, f"pl:feedback.open:{session.id}:{part}:{role}")).form
        assert form is not None
        optional = [i for i in form.inputs if not i.required]
        assert optional and not [i.label for i in form.inputs if "optional" in i.label.lower()]
        shown = FormFiller(form).render()
        assert shown.count("(optional)") == len(optional)
        assert all(f"{i.label} (optional)" in shown for i in optional)
    assert "Tip for your interviewer (optional)" in shown and "(optional) (optional)" not in shown


async def test_progress_shows_no_trend_from_a_week_of_sessions_and_reads_right(app: App) -> None:
    from bot.core.progress import TREND_RULE

    alice, bob, _ = await _pair(app)
    for hours in (60, 30, 0):  # three sessions within three days, bob the candidate
        session = await finished_session(
            app, alice, bob, start=START - timedelta(hours=hours), swap=False
        )
        for who, score in ((alice, "3"), (bob, "2")):  # bob scores himself one lower
            form = (await app.router.act(who, f"pl:feedback.open:{session.id}")).form
            assert form is not None
            scores = {
                i.id: score
                for i in form.inputs
                if isinstance(i, ChoiceInput) and i.options[0].value == "1"
            }
            await app.router.act(who, form.action, fill(form, **scores))
    shown = {f.name: f.value for f in (await app.router.run(bob, "progress", {})).fields}
    assert "/month" not in shown["Dimensions"] and shown["Dimensions"].endswith(TREND_RULE)
    assert (
        shown["Self-assessment"] == "Your last self-scores were 1.0 lower than your interviewer's."
    )


async def test_only_the_member_who_did_not_show_carries_the_no_show(
    app: App, clock: FakeClock
) -> None:
    alice, bob, _ = await _pair(app)
    session = await finished_session(
        app, alice, bob, start=START, swap=False, state=SessionState.NO_SHOW
    )
    async with app.db.uow() as tx:  # alice turned up and reported bob
        await tx.no_shows.add(
            NoShowReport(session.id, alice.member.id, bob.member.id, START), "ns-1"
        )

    async def balance(who: Actor) -> str:
        return {f.name: f.value for f in (await app.router.run(who, "progress", {})).fields}[
            "Balance and reliability"
        ]

    assert await balance(alice) == "Interviews given: 0 · taken as candidate: 0; no no-show marks."
    assert (await balance(bob)).startswith(
        "Interviews given: 0 · taken as candidate: 0; 1 no-show mark(s); reliability 50%"
    )
