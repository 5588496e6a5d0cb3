"""The form_drafts table: the migration matches the model; drafts round-trip, lock and expire
(on SQLite, and on PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.messages import ChoiceInput, FormPage, FormSpec, Option, TextInput
from bot.core.models import Platform
from bot.core.services.form_drafts import FORM_DRAFT_TTL
from tests.conftest import schema_drift

FORM = FormSpec(
    action="pl:demo.form",
    title="Form",
    intro="Intro {t:1796407200:F}",
    submit_label="Send",
    pages=(
        FormPage(
            "Page (1/1)",
            (
                ChoiceInput(
                    "many",
                    "Many",
                    (Option("A", "a", "first"), Option("B", "b")),
                    multi=True,
                    default=("a",),
                    hint="pick some",
                ),
                TextInput(
                    "note",
                    "Note",
                    required=False,
                    multiline=True,
                    min_length=2,
                    max_length=300,
                    placeholder="p",
                    default="d",
                    hint="h",
                ),
            ),
        ),
    ),
)


async def test_migration_creates_the_form_drafts_table_as_modelled(app: App) -> None:
    assert await schema_drift(app, "form_drafts") == []


async def test_a_draft_round_trips_and_two_presses_at_once_both_count(
    app: App, clock: FakeClock
) -> None:
    assert app.forms is not None
    draft = await app.forms.start(Platform.DISCORD, "42", FORM)
    loaded = await app.forms.load(draft.id, Platform.DISCORD, "42")
    assert loaded == draft and loaded.values == {"many": ("a",)}

    # Two answers saved at the same moment: the draft row is locked, neither is lost.
    await asyncio.gather(
        app.forms.update(draft.id, Platform.DISCORD, "42", {"many": ("a", "b")}),
        app.forms.update(draft.id, Platform.DISCORD, "42", {"note": "hello"}, step=1),
    )
    loaded = await app.forms.load(draft.id, Platform.DISCORD, "42")
    assert loaded.values == {"many": ("a", "b"), "note": "hello"} and loaded.step == 1

    # Only one of two simultaneous submits takes it.
    results = await asyncio.gather(
        *(app.forms.take(draft.id, Platform.DISCORD, "42") for _ in range(2)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1

    old = await app.forms.start(Platform.DISCORD, "42", FORM)
    clock.advance(FORM_DRAFT_TTL + timedelta(seconds=1))
    assert await app.forms.purge_expired() == 1
    async with app.db.uow() as tx:
        assert await tx.form_drafts.get(old.id) is None
