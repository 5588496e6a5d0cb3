"""A multi-screen form, drawn for Discord from its stored draft.

A form's screens are drawn from its stored draft (:func:`form_start`, :func:`form_choices`,
:func:`form_modal`). A modal holds at most five text inputs and no choices, so a page
with choices is an ephemeral message with selects and a *Continue* button, and its text
inputs follow in modals of at most five. Nothing is dropped: every input is asked for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.adapters.discord_render import (
    CONTENT,
    MODAL_INPUTS,
    MODAL_TITLE,
    OPTION_DESCRIPTION,
    OPTION_LABEL,
    ROWS,
    SELECT_PLACEHOLDER,
    TEXT_INPUT_LABEL,
    TEXT_INPUT_MAX,
    _clip,
    escape_markdown,
    render_text,
)
from bot.core.forms import FormDraft
from bot.core.messages import ChoiceInput, FormSpec, FormValues, TextInput

# A form's progress is a stored draft (:mod:`bot.core.forms`); these functions only draw
# a draft's screens. Every component's custom id is ``plform:<draft id>:…`` and no view
# or modal is kept by discord.py (each is finished before it is sent), so the cog answers
# every press itself, after a restart too, and checks who pressed against the draft.

FORM_PREFIX = "plform"
#: A select message holds four selects and the Continue button's row.
CHOICES_PER_MESSAGE = ROWS - 1
#: The core numbers a form's pages ("… (2/3)"); Discord numbers its own screens instead.
_PAGE_NUMBER = re.compile(r"\s*\(\d+/\d+\)$")


@dataclass(frozen=True)
class FormStep:
    """One screen of a form: either choices (a select message) or up to five text inputs (a modal)."""

    title: str
    choices: tuple[ChoiceInput, ...] = ()
    texts: tuple[TextInput, ...] = ()


def form_steps(form: FormSpec) -> list[FormStep]:
    """Split every page into select screens (≤4 choices) and modals (≤5 text inputs),
    numbered as the member sees them: "Scores (1/5)", "Scores (2/5)", … "Notes (5/5)"."""
    raw: list[tuple[str, tuple[ChoiceInput, ...], tuple[TextInput, ...]]] = []
    for page in form.pages:
        name = _PAGE_NUMBER.sub("", page.title or form.title) or form.title
        choices = [i for i in page.inputs if isinstance(i, ChoiceInput)]
        texts = [i for i in page.inputs if isinstance(i, TextInput)]
        for start in range(0, len(choices), CHOICES_PER_MESSAGE):
            raw.append((name, tuple(choices[start : start + CHOICES_PER_MESSAGE]), ()))
        for start in range(0, len(texts), MODAL_INPUTS):
            raw.append((name, (), tuple(texts[start : start + MODAL_INPUTS])))
    total = len(raw)
    steps = []
    for n, (name, step_choices, step_texts) in enumerate(raw, 1):
        suffix = f" ({n}/{total})" if total > 1 else ""
        steps.append(
            FormStep(_clip(name, MODAL_TITLE - len(suffix)) + suffix, step_choices, step_texts)
        )
    return steps


def form_id(draft_id: str, *parts: object) -> str:
    return ":".join((FORM_PREFIX, draft_id, *(str(p) for p in parts)))


@dataclass(frozen=True)
class FormPress:
    """A parsed ``plform:`` custom id: which draft, which screen, which component."""

    draft_id: str
    kind: str  # open, next, continue, choice, modal
    step: int = 0
    row: int = 0


_PRESS = re.compile(
    rf"^{FORM_PREFIX}:(?P<draft>[A-Za-z0-9_-]{{1,43}}):"
    r"(?:(?P<open>open)|(?P<step>\d{1,3}):(?:(?P<kind>next|continue|modal)|c(?P<row>\d)))$"
)


def parse_form_id(custom_id: str) -> FormPress | None:
    """The press a custom id names, or None when it is not one of ours (edited, malformed)."""
    match = _PRESS.match(custom_id)
    if match is None:
        return None
    if match["open"]:
        return FormPress(match["draft"], "open")
    if match["row"] is not None:
        return FormPress(match["draft"], "choice", int(match["step"]), int(match["row"]))
    return FormPress(match["draft"], match["kind"], int(match["step"]))


def is_form_id(custom_id: str) -> bool:
    return custom_id.startswith(FORM_PREFIX + ":")


def form_start(draft: FormDraft) -> tuple[str, discord.ui.View]:
    """The message that opens a form: its intro, its length, and the button to the first screen.

    The first screen is reached through a button, because a deferred interaction can no
    longer answer with a modal."""
    form = draft.form
    steps = len(form_steps(form))
    intro = render_text(form.intro) + "\n" if form.intro else ""
    text = _clip(
        f"{intro}**{escape_markdown(form.title)}** ({steps} step{'s' if steps != 1 else ''}).",
        CONTENT,
    )
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            label=_clip(f"Open: {form.title}", 80),
            style=discord.ButtonStyle.primary,
            custom_id=form_id(draft.id, "open"),
        )
    )
    view.stop()
    return text, view


def form_next(draft: FormDraft, index: int) -> tuple[str, discord.ui.View]:
    """After a modal: a modal cannot open another modal, so a button opens the next one."""
    step = form_steps(draft.form)[index]
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            label="Continue",
            style=discord.ButtonStyle.primary,
            custom_id=form_id(draft.id, index, "next"),
        )
    )
    view.stop()
    return f"Saved. Next: {escape_markdown(step.title)}.", view


def refused_step(steps: Sequence[FormStep], inputs: set[str]) -> int:
    """The first screen holding an input a refusal names (else the last): where the member
    goes back to, so a refused answer on an earlier screen can be changed."""
    for index, step in enumerate(steps):
        if inputs & ({c.id for c in step.choices} | {t.id for t in step.texts}):
            return index
    return len(steps) - 1


def form_back(draft: FormDraft, index: int) -> discord.ui.Button[Any]:
    """The button under a refusal that reopens screen ``index`` with the answers kept."""
    title = form_steps(draft.form)[index].title
    return discord.ui.Button(
        label=_clip(f"Change: {title}", 80),
        style=discord.ButtonStyle.primary,
        custom_id=form_id(draft.id, index, "next"),
    )


def form_choices(draft: FormDraft, index: int) -> tuple[str, discord.ui.View]:
    """A screen of choices: up to four selects (showing what was chosen) and Continue."""
    steps = form_steps(draft.form)
    step = steps[index]
    view = discord.ui.View(timeout=None)
    for row, choice in enumerate(step.choices):
        current = draft.values.get(choice.id, ())
        chosen = {current} if isinstance(current, str) else set(current)
        view.add_item(
            discord.ui.Select(
                custom_id=form_id(draft.id, index, f"c{row}"),
                # A select has no label of its own: the placeholder names what it asks.
                placeholder=_clip(
                    f"{choice.label}: {choice.hint}" if choice.hint else choice.label,
                    SELECT_PLACEHOLDER,
                ),
                min_values=1 if choice.required else 0,
                max_values=len(choice.options) if choice.multi else 1,
                options=[
                    discord.SelectOption(
                        label=_clip(o.label, OPTION_LABEL),
                        value=o.value,
                        description=_clip(o.description, OPTION_DESCRIPTION)
                        if o.description
                        else None,
                        default=o.value in chosen,
                    )
                    for o in choice.options
                ],
                row=row,
            )
        )
    label = "Continue" if index + 1 < len(steps) else _clip(draft.form.submit_label, 80)
    view.add_item(
        discord.ui.Button(
            label=label,
            style=discord.ButtonStyle.primary,
            custom_id=form_id(draft.id, index, "continue"),
            row=len(step.choices),
        )
    )
    view.stop()
    return _clip(f"**{escape_markdown(step.title)}**", CONTENT), view


def form_modal(draft: FormDraft, index: int) -> discord.ui.Modal:
    """A screen of text inputs, filled with what was saved so far."""
    step = form_steps(draft.form)[index]
    modal = discord.ui.Modal(
        title=step.title, timeout=None, custom_id=form_id(draft.id, index, "modal")
    )
    for n, text in enumerate(step.texts):
        current = draft.values.get(text.id)
        modal.add_item(
            discord.ui.TextInput(
                label=_clip(text.label, TEXT_INPUT_LABEL),
                custom_id=form_id(draft.id, index, n),
                style=discord.TextStyle.paragraph if text.multiline else discord.TextStyle.short,
                required=text.required,
                min_length=min(text.min_length, TEXT_INPUT_MAX) or None,
                max_length=min(text.max_length, TEXT_INPUT_MAX),
                placeholder=_clip(text.placeholder or text.hint or "", 100) or None,
                default=current if isinstance(current, str) and current else text.default,
            )
        )
    modal.stop()  # discord.py keeps no copy: the cog answers the submit from the stored draft
    return modal


def modal_values(draft: FormDraft, index: int, data: Mapping[str, Any]) -> FormValues:
    """The submitted texts of screen ``index``, by input id (unknown ids ignored, lengths clipped)."""
    step = form_steps(draft.form)[index]
    by_id = {form_id(draft.id, index, n): text for n, text in enumerate(step.texts)}
    found: FormValues = {}

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            custom_id = node.get("custom_id")
            if (
                isinstance(custom_id, str)
                and custom_id in by_id
                and isinstance(node.get("value"), str)
            ):
                text = by_id[custom_id]
                found[text.id] = node["value"][: text.max_length]
            for key in ("components", "component"):
                walk(node.get(key))
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(data.get("components"))
    return found
