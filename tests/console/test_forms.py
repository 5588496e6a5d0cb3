"""Filling a feedback form in the console face."""

from __future__ import annotations

import io
from datetime import timedelta

from bot.app import App
from bot.console.face import Console
from bot.console.forms import FormFiller
from bot.core.clock import FakeClock
from bot.core.messages import ChoiceInput, FormPage, FormSpec, Option, TextInput, ts
from tests.conftest import T0, make_actor
from tests.feedback_helpers import finished_session


def test_filler_accepts_ids_numbers_values_and_labels() -> None:
    form = FormSpec(
        "pl:x.y",
        "T",
        (
            FormPage(
                "P",
                (
                    ChoiceInput(
                        "verdict",
                        "Verdict",
                        (Option("Lean yes", "lean-yes"), Option("Lean no", "lean-no")),
                    ),
                    TextInput("notes", "Notes", default="old"),
                ),
            ),
        ),
    )
    filler = FormFiller(form)
    assert filler.values == {"notes": "old"}
    assert filler.set('1="lean no" notes="two words"') == []
    assert filler.submission() == {"verdict": "lean-no", "notes": "two words"}
    problems = filler.set("verdict=perhaps 9=x bare")
    assert len(problems) == 3 and "lean-yes, lean-no" in problems[0]
    assert "1. verdict" in filler.render()


async def test_console_gives_feedback_through_a_form(app: App, clock: FakeClock) -> None:
    alice = await make_actor(app, "alice")
    bob = await make_actor(app, "bob")
    session = await finished_session(app, alice, bob, start=T0 - timedelta(hours=2), swap=False)
    out = io.StringIO()
    console = Console(app, clock, out=out)
    await console.handle("/as alice")
    await console.handle("/mock feedback")
    await console.handle("/press 1")
    assert console.filler is not None and "score." in out.getvalue()
    form = console.filler.form
    answers = " ".join(f"{i.id}=3" for i in form.inputs if i.id.startswith("score."))
    await console.handle(f"/form {answers} verdict=lean-yes help_needed=none")
    await console.handle(
        '/form submit strengths="Clear plan and tests." improvements="State complexity earlier."'
    )
    text = out.getvalue()
    assert "Thanks, saved" in text, text[-2000:]
    assert console.filler is None
    async with app.db.uow() as tx:
        rows = await tx.feedback.for_session(session.id)
    assert len(rows) == 1 and rows[0].verdict == "lean-yes"


async def test_the_form_intro_shows_times_in_the_members_zone_never_a_raw_token(
    app: App, clock: FakeClock
) -> None:
    alice = await make_actor(app, "alice")
    await app.profiles.set_profile(alice, timezone="Asia/Tokyo")
    bob = await make_actor(app, "bob")
    await finished_session(app, alice, bob, start=T0 - timedelta(hours=2), swap=False)
    out = io.StringIO()
    console = Console(app, clock, out=out)
    await console.handle("/as alice")
    await console.handle("/mock feedback")
    await console.handle("/press 1")
    assert (
        console.filler is not None
        and console.filler.form.intro
        and "{t:" in console.filler.form.intro
    )
    shown = out.getvalue()
    assert "📝" in shown and "{t:" not in shown
    assert "JST" in shown.split("📝", 1)[1]  # the window's close, in alice's zone


def test_a_form_renders_time_tokens_even_without_a_zone() -> None:
    when = T0 + timedelta(days=2)
    form = FormSpec(
        "pl:x.y",
        "T",
        (
            FormPage(
                "P", (TextInput("n", "Note (optional)", required=False, hint=f"until {ts(when)}"),)
            ),
        ),
        intro=f"Closes {ts(when, 'F')}",
    )
    text = FormFiller(form).render()
    assert "{t:" not in text and "Thu 03 Dec 2026 09:00 UTC" in text
    assert "(optional) (optional)" not in text
